"""Names and units for reports: a variable's name in a language, its values in the plan's units.

Models keep their values in the units they compute in (``1e8 yuan/year``,
``fraction``, ``1/year``); a report to a planning commission states them as
the plan does: GDP in 亿元 (100 million yuan), population in 万人
(10 000 persons), rates and shares in percent, the natural growth rate in
per mille. :func:`display_units` gives the factor that turns a model value
into the plan's figure and the label of that unit, in English or Chinese;
:func:`display_name` gives the name a variable goes by (its ``long_name``, or
``long_name_zh`` in Chinese); :func:`short_name` the name for tight spaces
(tick labels of sensitivity bars, rows of a fit figure), from the short names
a model gives its elements (:meth:`gysim.Model.set_short_names`), and
:func:`label_indices` puts them on sensitivity indices so that their figures
need no model.

Units not in :data:`UNITS` are shown as the model writes them, unscaled.
A scale can be asked for by name (``scale="per_mille"``) where a rate reads
better per thousand: the model's ``1/year`` does not say it.

Examples
--------
>>> u = display_units("fraction", "zh")
>>> u.factor, u.label
(100.0, '%')
>>> display_units("1e8 yuan/year", "en").label
'100 million yuan'
>>> display_units("1/year", "zh", scale="per_mille")
DisplayUnits(factor=1000.0, label='‰')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from .errors import DataError

__all__ = ["DisplayUnits", "display_units", "display_name", "names_of", "time_label", "UNITS",
           "SCALES", "LANGS", "short_name", "short_names_of", "label_indices", "INDEX_LABELS"]

#: The languages of labels.
LANGS = ("en", "zh")

#: Model units -> (factor, English label, Chinese label). The factor multiplies
#: the model's value. Yearly amounts (GDP, value added, investment) are stated
#: without "/year", as the plan states them ("生产总值突破1000亿元").
UNITS: dict[str, tuple[float, str, str]] = {
    "1e8 yuan/year": (1.0, "100 million yuan", "亿元"),
    "1e8 yuan": (1.0, "100 million yuan", "亿元"),
    "1e4 yuan": (1.0, "10 000 yuan", "万元"),
    "yuan/person/year": (1.0, "yuan per person", "元/人"),
    "USD/person/year": (1.0, "US dollars per person", "美元/人"),
    "1e4 person": (1.0, "10 000 persons", "万人"),
    "1e4 person/year": (1.0, "10 000 persons a year", "万人/年"),
    "person/person": (1.0, "persons per person", "人/人"),
    "fraction": (100.0, "%", "%"),
    "percent": (1.0, "%", "%"),
    "fraction/year": (100.0, "% a year", "%/年"),
    "1/year": (100.0, "% a year", "%/年"),
    "tce/1e4 yuan": (1.0, "tce per 10 000 yuan", "吨标准煤/万元"),
    "1e4 tce/year": (1.0, "10 000 tce a year", "万吨标准煤/年"),
    "m3/1e4 yuan": (1.0, "m³ per 10 000 yuan", "立方米/万元"),
    "1e8 m3/year": (1.0, "100 million m³ a year", "亿立方米/年"),
    "1e4 m3/day": (1.0, "10 000 m³ a day", "万立方米/日"),
    "1e4 m3/day/year": (1.0, "10 000 m³ a day, added a year", "万立方米/日（每年新增）"),
    "m3/person/day": (1.0, "m³ per person a day", "立方米/人·日"),
    "year": (1.0, "years", "年"),
    "dimensionless": (1.0, "", ""),
    "": (1.0, "", ""),
}

#: Scales asked for by name: factor on a plain number (a ``fraction`` or a
#: rate ``1/year``), English and Chinese label.
SCALES: dict[str, tuple[float, str, str]] = {
    "percent": (100.0, "%", "%"),
    "per_mille": (1000.0, "‰", "‰"),
    "none": (1.0, "", ""),
}

#: Units that are plain numbers, which a named scale may rescale.
_PLAIN = {"fraction": "", "dimensionless": "", "": "", "1/year": "/year", "fraction/year": "/year"}


@dataclass(frozen=True)
class DisplayUnits:
    """How to show a variable: multiply its values by `factor`, label them `label`."""

    factor: float
    label: str


def _check_lang(lang: Any) -> str:
    if lang not in LANGS:
        raise DataError(f"`lang` must be one of {', '.join(map(repr, LANGS))}, got {lang!r}")
    return lang


def display_units(units: str, lang: str = "en", *, scale: str | None = None) -> DisplayUnits:
    """The plan's unit for values in the model's `units`: a factor and a label.

    Parameters
    ----------
    units : str
        The model's units (a variable's ``units`` attr).
    lang : {"en", "zh"}
        Language of the label.
    scale : str, optional
        A named scale of :data:`SCALES` for a plain number or a rate
        (``"per_mille"`` for the natural growth rate); otherwise :data:`UNITS`
        decides, and units it does not list are shown unscaled as written.

    Returns
    -------
    DisplayUnits

    Raises
    ------
    DataError
        If `lang` or `scale` is unknown, or `scale` is asked of units that are
        not a plain number or a rate.

    Examples
    --------
    >>> display_units("1e4 person", "zh")
    DisplayUnits(factor=1.0, label='万人')
    >>> display_units("kg/s", "zh")  # not listed: as the model writes it
    DisplayUnits(factor=1.0, label='kg/s')
    >>> display_units("1e8 yuan", scale="per_mille")
    Traceback (most recent call last):
    ...
    gysim.errors.DataError: `scale` 'per_mille' rescales plain numbers and rates (fraction, 1/year...), not '1e8 yuan'
    """
    _check_lang(lang)
    units = str(units).strip()
    zh = lang == "zh"
    if scale is not None:
        if scale not in SCALES:
            raise DataError(f"`scale` must be one of {', '.join(map(repr, SCALES))}, got {scale!r}")
        if units not in _PLAIN:
            raise DataError(f"`scale` {scale!r} rescales plain numbers and rates (fraction, "
                            f"1/year...), not {units!r}")
        factor, en_label, zh_label = SCALES[scale]
        per = _PLAIN[units]
        if per:  # a rate: "‰ a year" / "‰/年"; a per mille rate alone reads "‰" in Chinese
            en_label = f"{en_label} a year".strip()
            zh_label = zh_label if zh_label else "/年"
        return DisplayUnits(factor, zh_label if zh else en_label)
    if units in UNITS:
        factor, en_label, zh_label = UNITS[units]
        return DisplayUnits(factor, zh_label if zh else en_label)
    return DisplayUnits(1.0, units)


def display_name(attrs: Mapping[str, Any], fallback: str, lang: str = "en") -> str:
    """The name a variable goes by in `lang`: ``long_name_zh`` or ``long_name``, else `fallback`.

    Chinese falls back to the English name where a variable has no Chinese one.

    Examples
    --------
    >>> display_name({"long_name": "GDP, current prices", "long_name_zh": "地区生产总值"}, "gdp", "zh")
    '地区生产总值'
    >>> display_name({}, "gdp")
    'gdp'
    """
    _check_lang(lang)
    name = attrs.get("long_name_zh") if lang == "zh" else None
    return str(name or attrs.get("long_name") or fallback)


def time_label(units: str, lang: str = "en") -> str:
    """The label of a time axis: ``"year"`` or ``"年份"`` for years, else ``"time (units)"``.

    Examples
    --------
    >>> time_label("year", "zh"), time_label("month")
    ('年份', 'time (month)')
    """
    _check_lang(lang)
    if str(units).strip().lower() in ("year", "years", "yr", "a", "年"):
        return "年份" if lang == "zh" else "year"
    if lang == "zh":
        return f"时间（{units}）" if units else "时间"
    return f"time ({units})" if units else "time"


def names_of(model: Any, lang: str = "en") -> dict[str, str]:
    """Every element's name to show in `lang`: its Chinese name, else its doc, else its name.

    For figures of things that do not carry the names themselves, such as
    sensitivity indices (``names=`` of :func:`gysim.plot.sensitivity_bars`).

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("m")
    >>> m.param("k", 0.5, doc="decay rate")
    >>> m.set_names_zh({"k": "衰减率"})
    >>> names_of(m, "zh"), names_of(m)
    ({'k': '衰减率'}, {'k': 'decay rate'})
    """
    _check_lang(lang)
    return {name: display_name({"long_name": e.doc, "long_name_zh": getattr(e, "long_name_zh", "")},
                               name, lang) for name, e in model.elements.items()}


#: Coordinates :func:`label_indices` adds: (dim, language) -> coordinate name.
INDEX_LABELS = {("param", "en"): "param_short_name", ("param", "zh"): "param_short_name_zh",
                ("output", "en"): "output_short_name", ("output", "zh"): "output_short_name_zh"}


def short_name(element: Any, fallback: str, lang: str = "en") -> str:
    """The short name of an element in `lang`, by one rule.

    English: ``short_name``, else `fallback` (the raw name). Chinese:
    ``short_name_zh``, else the English ``short_name``, else `fallback`. A
    name ``var[label]`` of one element of a subscripted variable is the short
    name of ``var`` followed by ``[label]``. Long names (docs) are never used:
    they do not fit where short names go.

    Parameters
    ----------
    element : element record, mapping or None
        An element of a model (``model[name]``), a mapping with the keys
        ``short_name``/``short_name_zh``, or None (no element: `fallback`).
    fallback : str
        The raw name, e.g. ``"capital_share"`` or ``"capital[secondary]"``.
    lang : {"en", "zh"}

    Examples
    --------
    >>> short_name({"short_name": "Capital share", "short_name_zh": "资本产出弹性"}, "capital_share", "zh")
    '资本产出弹性'
    >>> short_name({"short_name": "Capital"}, "capital[secondary]", "zh")
    'Capital [secondary]'
    >>> short_name(None, "energy_change")
    'energy_change'
    """
    _check_lang(lang)
    get = element.get if isinstance(element, Mapping) else (lambda k: getattr(element, k, ""))
    en = str(get("short_name") or "") if element is not None else ""
    zh = str(get("short_name_zh") or "") if element is not None else ""
    name = (zh or en) if lang == "zh" else en
    if not name:
        return str(fallback)
    labels = str(fallback).partition("[")[2]
    return f"{name} [{labels}" if labels else name


def short_names_of(model: Any, lang: str = "en") -> dict[str, str]:
    """Every element's short name in `lang`, by the rule of :func:`short_name`.

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("m")
    >>> m.param("k", 0.5, doc="fraction of the stock that decays each year")
    >>> m.param("x0", 1.0)
    >>> m.set_short_names({"k": "Decay rate"})
    >>> short_names_of(m, "zh")
    {'k': 'Decay rate', 'x0': 'x0'}
    """
    _check_lang(lang)
    return {name: short_name(e, name, lang) for name, e in model.elements.items()}


def _element(model: Any, name: str) -> Any:
    base = str(name).partition("[")[0].strip()
    return model.elements.get(base) if hasattr(model, "elements") else None


def label_indices(indices: Any, model: Any, names: Mapping[str, Any] | None = None) -> Any:
    """Sensitivity indices with the short names of their parameters and outputs.

    Adds the coordinates of :data:`INDEX_LABELS` (``param_short_name``,
    ``param_short_name_zh`` along ``param``; ``output_short_name``,
    ``output_short_name_zh`` along ``output``), each name chosen by the rule
    of :func:`short_name`, and ``output_units`` (the model's units of each
    output, empty for a target or a function of the run). The figures of
    :mod:`gysim.plot` label with them; they survive ``.sel`` and
    ``to_netcdf``. :func:`gysim.sensitivity` returns its indices labelled.

    Parameters
    ----------
    indices : xarray.Dataset
        From :func:`gysim.sensitivity` or :func:`gysim.sensitivity.analyze`
        (dims ``param`` and ``output``).
    model : Model
        The model the parameters and outputs belong to.
    names : mapping, optional
        Names for what the model does not name (a derived output, e.g.
        ``{"energy_change": ("Energy intensity, change", "能耗强度变化")}``):
        name -> ``(English, Chinese)`` short names; they win over the
        model's.

    Returns
    -------
    xarray.Dataset
        A copy with the coordinates added.

    Raises
    ------
    DataError
        If `indices` lacks a ``param`` or ``output`` dimension, or an entry
        of `names` is not a pair of strings.

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("m", start=0, stop=1)
    >>> m.param("a", 1.0, bounds=(0, 1))
    >>> m.param("b", 1.0, bounds=(0, 1))
    >>> m.aux("y", "a + 3 * b", units="1e8 yuan")
    >>> m.set_short_names({"a": "Share a", "y": "Output"})
    >>> m.set_short_names({"a": "份额甲"}, lang="zh")
    >>> si = gysim.sensitivity(m, ["a", "b"], ["y"], n=32, progress=False, method="euler", dt=1)
    >>> si.param_short_name_zh.values.tolist(), si.output_short_name.values.tolist()
    (['份额甲', 'b'], ['Output'])
    >>> si.output_units.values.tolist()
    ['1e8 yuan']
    """
    for dim in ("param", "output"):
        if dim not in getattr(indices, "dims", ()):
            raise DataError(f"`indices` must have a `{dim}` dimension (from gysim.sensitivity), "
                            f"got dimensions {', '.join(getattr(indices, 'dims', ())) or 'none'}")
    given = {}
    for key, pair in dict(names or {}).items():
        if (not isinstance(pair, (tuple, list)) or len(pair) != 2
                or not all(isinstance(v, str) and v.strip() for v in pair)):
            raise DataError(f"`names`: the names of {key!r} must be a pair of non-empty strings "
                            f"(English, Chinese), got {pair!r}")
        given[str(key)] = {"short_name": pair[0].strip(), "short_name_zh": pair[1].strip()}
    coords = {}
    for (dim, lang), coord in INDEX_LABELS.items():
        values = [str(v) for v in indices[dim].values]
        coords[coord] = (dim, [short_name(given.get(v) or _element(model, v), v, lang)
                               for v in values])
    units = []
    for v in (str(o) for o in indices["output"].values):
        e = None if v in given else _element(model, v)
        units.append(str(getattr(e, "units", "") or ""))
    coords["output_units"] = ("output", units)
    return indices.assign_coords(coords)
