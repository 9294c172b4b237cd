"""Pictures of runs and studies: trajectories, scenarios, fan charts, sensitivity indices.

Each function takes Datasets (from :func:`gysim.simulate`,
:func:`gysim.envelope` or :func:`gysim.sensitivity`) and returns the
matplotlib Figure, so a notebook shows it and a script saves it; the
single-panel ones draw into given Axes (``ax=``) and then return those.

- :func:`trajectories`: variables over time against data points and targets;
- :func:`scenario_comparison`: scenarios' levels and differences from a baseline;
- :func:`fan_chart`: nested quantile bands of an ensemble;
- :func:`sensitivity_bars`, :func:`sensitivity_heatmap`: indices with
  confidence intervals, and their evolution over time;
- :func:`fit_decomposition`, :func:`parameter_correlations`: a calibration's
  Theil decomposition and its parameters' correlations (:mod:`gysim.plot_fit`).

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import gysim
>>> from gysim.examples import population_model
>>> from gysim.plot import trajectories
>>> fig = trajectories(gysim.simulate(population_model()), ["population", "births"])
>>> len(fig.axes)
2
"""

from __future__ import annotations

import math
import textwrap
import unicodedata
from typing import Iterable, Mapping, Sequence

import numpy as np
import xarray as xr

from ._text import suggest
from .display import INDEX_LABELS, LANGS, display_name, display_units, time_label
from .errors import DataError
from .fonts import register_cjk_font
from .labels import complete_elements, expand_elements, select_element, split_element
from .plot_fit import fit_decomposition, parameter_correlations
from .plot_targets import TARGET_MARKERS, draw_target

register_cjk_font()  # Chinese names and units need a font that has them (gysim.fonts)

__all__ = ["trajectories", "scenario_comparison", "fan_chart", "sensitivity_bars",
           "sensitivity_heatmap", "TARGET_MARKERS", "fit_decomposition", "parameter_correlations"]


def _check_lang(lang) -> str:
    if lang not in LANGS:
        raise DataError(f"`lang` must be one of {', '.join(map(repr, LANGS))}, got {lang!r}")
    return lang


def _shown(da: xr.DataArray, name: str, lang: str, scales: Mapping[str, str] | None):
    """(factor, units label) of a variable in the plan's units (see gysim.display)."""
    base = split_element(name)[0]
    d = display_units(str(da.attrs.get("units", "")), lang, scale=(scales or {}).get(base))
    return d.factor, d.label


def _wrap(text: str, lang: str, width: int) -> str:
    """`text` on lines of about `width` Latin characters (Chinese ones count double)."""
    # Chinese has no spaces: textwrap then breaks it by characters
    wide = sum(unicodedata.east_asian_width(c) in "WF" for c in text)
    return textwrap.fill(text, width // 2 if 2 * wide > len(text) else width,
                         break_long_words=True)


def _panel_title(da: xr.DataArray, name: str, lang: str, width: int | None) -> str:
    """The variable's long name (with the element a ``var[label]`` fixes), wrapped."""
    base, labels = split_element(name)
    title = display_name(da.attrs, base, lang)
    if labels:
        title += f" [{','.join(labels)}]"
    return title if width is None else _wrap(title, lang, width)


def trajectories(results: xr.Dataset | Mapping[str, xr.Dataset], variables: Sequence[str], *,
                 data=None, targets: Iterable = (), ncols: int = 3,
                 quantiles: tuple[float, float] = (0.05, 0.95), title: str | None = None,
                 lang: str = "en", scales: Mapping[str, str] | None = None):
    """Plot variables over time, one panel each, for one or several runs.

    Each panel is titled with the variable's long name (``long_name``, or
    ``long_name_zh`` with ``lang="zh"``) and shows it in the plan's units
    (:func:`gysim.display.display_units`: shares and rates in percent, 亿元,
    万人...), data and targets scaled alike.

    Parameters
    ----------
    results : Dataset or mapping of label to Dataset
        Runs to draw, e.g. ``{"baseline": ds1, "plan": ds2}``. An ensemble
        (a ``run`` dimension) is drawn as its median with a quantile band.
    variables : sequence of str
        Variables to draw, one panel each. A subscripted variable is drawn
        as one line per element in its panel, with a legend of the
        elements; ``var[label]`` draws one element.
    data : pandas.DataFrame, optional
        Observations indexed by time; columns named like variables (or like
        their elements, ``var[label]``) are drawn as points.
    targets : iterable of gysim.targets.Target, optional
        Targets on a drawn variable are drawn on its panel, in every form
        (see :mod:`gysim.plot_targets`): a level at its year (▲ at least,
        ▼ at most, ● about with its tolerance), a growth rate as the path it
        implies, a change as the level it implies, a sum as its yearly mean.
    ncols : int
        Panels per row.
    quantiles : (float, float)
        Band drawn for ensembles.
    title : str, optional
        Title of the figure.
    lang : {"en", "zh"}
        Language of names, units and legends.
    scales : mapping of str to str, optional
        Variable -> a named scale of :data:`gysim.display.SCALES`, for a rate
        the plan states per mille (``{"natural_growth_rate": "per_mille"}``).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np, gysim
    >>> from gysim.examples import population_model
    >>> ens = gysim.simulate(population_model(), params={"birth_rate": np.linspace(0.01, 0.02, 20)})
    >>> fig = trajectories({"ensemble": ens}, ["population"])
    >>> fig.axes[0].get_title(), fig.axes[0].get_ylabel()
    ('registered population', '10 000 persons')
    >>> fig.axes[0].get_legend_handles_labels()[1]
    ['ensemble', 'ensemble: 5–95 % of runs']
    >>> m = gysim.Model("sectors", start=0, stop=3)
    >>> m.dimension("sector", ["primary", "secondary"])
    >>> m.stock("capital", {"primary": 1.0, "secondary": 2.0}, dims=("sector",))
    >>> fig = trajectories(gysim.simulate(m), ["capital"])
    >>> fig.axes[0].get_legend_handles_labels()[1]
    ['primary', 'secondary']
    """
    import matplotlib.pyplot as plt

    _check_lang(lang)
    zh = lang == "zh"
    runs = {"": results} if isinstance(results, xr.Dataset) else dict(results)
    if not runs:
        raise DataError("`results` is empty: give a Dataset or a mapping of label to Dataset")
    variables = [variables] if isinstance(variables, str) else list(variables)
    if data is not None:
        _check_data(data)
    for label, ds in runs.items():
        missing = [v for v in variables if split_element(v)[0] not in ds.data_vars]
        if missing:
            raise DataError(f"variables {missing} are not in the results{' ' + label if label else ''}")
        for v in variables:  # unknown labels fail before any drawing
            select_element(ds, v, what=f"the results{' ' + label if label else ''}")
    ncols = max(1, min(ncols, len(variables)))
    nrows = math.ceil(len(variables) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.6 * nrows), squeeze=False,
                             layout="constrained")
    targets = list(targets)
    colors = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
    band = (f"{100 * quantiles[0]:g}–{100 * quantiles[1]:g}%区间" if zh else
            f"{100 * quantiles[0]:g}–{100 * quantiles[1]:g} % of runs")
    model_word = "模型" if zh else "model"
    data_word = "统计数据" if zh else "data"
    for ax, name in zip(axes.flat, variables):
        first_run = next(iter(runs.values()))
        first = select_element(first_run, name)
        factor, units = _shown(first, name, lang, scales)
        # one line per element of a subscripted variable, labelled by its element
        elements = expand_elements(first_run, name)
        per_element = elements != [name]
        fixed = split_element(name)[1]
        element_names = {e: ",".join(x for x in split_element(e)[1] if x not in fixed) for e in elements}
        has_data = data is not None and any(e in getattr(data, "columns", ()) for e in elements)
        has_target = any(getattr(t, "variable", None) in [name, *elements]
                         and getattr(t, "func", None) is None
                         for t in targets)
        k = 0
        element_color = {}
        for label, ds in runs.items():
            t = ds["time"].values
            for element in elements:
                da = select_element(ds, element)
                tag = element_names[element]
                # a lone run still gets a legend entry when data or targets share the panel
                line_label = ": ".join(x for x in (label, tag) if x) or (
                    model_word if has_data or has_target else None)
                color = colors[k % len(colors)]
                k += 1
                element_color.setdefault(element, color)
                if "run" in da.dims:
                    lo, hi = da.quantile(list(quantiles), dim="run").transpose("quantile", "time").values
                    ax.plot(t, factor * da.median("run").transpose("time").values, label=line_label,
                            color=color)
                    ax.fill_between(t, factor * lo, factor * hi, alpha=0.25, color=color,
                                    linewidth=0, label=f"{line_label}: {band}" if line_label else band)
                else:
                    ax.plot(t, factor * da.transpose("time").values, label=line_label, color=color)
        if data is not None:
            for element in elements:
                if element not in getattr(data, "columns", ()):
                    continue
                column = data[element].dropna()
                style = dict(color=element_color[element], markeredgecolor="k") if per_element else {"color": "k"}
                ax.plot(column.index.to_numpy(dtype=float), factor * column.to_numpy(dtype=float), ".",
                        markersize=8, label=data_word if not per_element else
                        f"{data_word}: {element_names[element]}", **style)
        for target in targets:
            variable = getattr(target, "variable", None)
            if variable != name and variable not in elements:
                continue
            central = select_element(first_run, variable)
            if "run" in central.dims:
                central = central.median("run")

            def reference(year, da=central):
                return float(da.interp(time=year).values)
            what = f"{element_names.get(variable, variable)}: " if per_element else ""
            draw_target(ax, target, reference, factor=factor, lang=lang, units=units, prefix=what)
        ax.set_title(_panel_title(first, name, lang, 44), fontsize="medium")
        ax.set_ylabel(units)
        _time_axis(ax, first, lang)
        labels = ax.get_legend_handles_labels()[1]
        if len(set(labels)) > 1 or (labels and labels[0]):  # many entries: smaller, see-through
            ax.legend(fontsize="small" if len(labels) <= 3 else "x-small", framealpha=0.6)
    for ax in list(axes.flat)[len(variables):]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    return fig


# --- helpers -------------------------------------------------------------------------------

def _check_data(data) -> None:
    """Observations to draw: a DataFrame of numbers indexed by numeric time, one column each."""
    import pandas as pd
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"`data` must be a pandas DataFrame indexed by time, got "
                        f"{type(data).__name__}")
    if data.columns.has_duplicates:
        twice = list(dict.fromkeys(data.columns[data.columns.duplicated()]))
        raise DataError(f"`data` has more than one column named {', '.join(map(repr, twice))}; "
                        f"give each series one column")
    if len(data.index) and not pd.api.types.is_numeric_dtype(data.index):
        raise DataError(f"`data` must be indexed by numeric times; got a "
                        f"{type(data.index).__name__} (for dates, index by data.index.year)")
    bad = [c for c in data.columns if not pd.api.types.is_numeric_dtype(data[c])]
    if bad:
        raise DataError(f"`data` must hold numbers (NaN for missing values); column(s) "
                        f"{', '.join(map(repr, bad))} do not")


def _new_axes(ax, figsize: tuple[float, float]):
    """(figure, axes, given): a new figure unless `ax` is given."""
    if ax is not None:
        return ax.figure, ax, True
    import matplotlib.pyplot as plt
    fig, new = plt.subplots(figsize=figsize, layout="constrained")
    return fig, new, False


def _check_dataset(ds, argument: str) -> None:
    if not isinstance(ds, xr.Dataset):
        raise DataError(f"`{argument}` must be an xarray Dataset, got {type(ds).__name__}")


def _variable(ds: xr.Dataset, name: str, argument: str, what: str = "the Dataset") -> xr.DataArray:
    """A variable, or one element ``var[label]`` of a subscripted one."""
    if split_element(name)[0] not in ds.data_vars:
        raise DataError(f"`{argument}`: variable '{name}' is not in {what}"
                        f"{suggest(str(name), list(ds.data_vars))}")
    return select_element(ds, name, argument=argument, what=what)


def _need_dims(da: xr.DataArray, dims: Sequence[str], what: str) -> None:
    for dim in dims:
        if dim not in da.dims:
            raise DataError(f"{what} has no `{dim}` dimension (its dimensions: "
                            f"{', '.join(da.dims) or 'none'})")


def _time_axis(ax, da: xr.DataArray, lang: str = "en") -> None:
    """Label the x axis with the time units; whole-number ticks for yearly times."""
    from matplotlib.ticker import MaxNLocator

    units = da["time"].attrs.get("units", "") if "time" in da.coords else ""
    ax.set_xlabel(time_label(units, lang))
    t = np.asarray(da["time"].values, dtype=float)
    if t.size and np.allclose(t, np.round(t)):  # whole years, on round numbers (2000, 2005...)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))


def _check_quantiles(quantiles) -> np.ndarray:
    try:
        q = np.asarray(quantiles, dtype=float)
    except (TypeError, ValueError):
        raise DataError(f"`quantiles` must be numbers in [0, 1], got {quantiles!r}") from None
    if q.ndim != 1 or q.size < 2 or not ((q >= 0) & (q <= 1)).all():
        raise DataError(f"`quantiles` must be at least two numbers in [0, 1], got {quantiles!r}")
    return np.unique(q)


def _quantile_lines(da: xr.DataArray, q: np.ndarray, name: str) -> np.ndarray:
    """Quantiles of an ensemble (``run`` dim) or picked from an envelope (``quantile`` dim),
    shape (len(q), n_times)."""
    if "run" in da.dims:
        out = da.quantile(q, dim="run").transpose("quantile", "time")
        return np.asarray(out.values, dtype=float)
    if "quantile" in da.dims:
        have = np.asarray(da["quantile"].values, dtype=float)
        rows = []
        for value in q:
            hit = np.flatnonzero(np.isclose(have, value, rtol=0, atol=1e-9))
            if not hit.size:
                raise DataError(f"`quantiles`: {value:g} is not among the envelope's quantiles "
                                f"of '{name}' ({', '.join(f'{h:g}' for h in have)})")
            rows.append(da.isel(quantile=int(hit[0])).transpose("time").values)
        return np.asarray(rows, dtype=float)
    raise DataError(f"variable '{name}' has neither a `run` dimension (an ensemble) nor a "
                    f"`quantile` dimension (from gysim.envelope); its dimensions: "
                    f"{', '.join(da.dims)}")


# --- fan charts ----------------------------------------------------------------------------

def fan_chart(ds: xr.Dataset, variable: str,
              quantiles: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95), ax=None, *,
              color: str | None = None, label: str | None = None, lang: str = "en",
              scales: Mapping[str, str] | None = None):
    """Fan chart of one variable of an ensemble: nested quantile bands around the median.

    The quantiles pair from the outside in (the lowest with the highest, and so
    on); each pair is a band, darker towards the middle. An odd middle
    quantile (the median, by default) is drawn as a line.

    Parameters
    ----------
    ds : xarray.Dataset
        An ensemble with a ``run`` dimension (from :func:`gysim.simulate` with
        array parameters or :func:`gysim.run_batch`), or its summary from
        :func:`gysim.envelope` (a ``quantile`` dimension holding ``quantiles``).
    variable : str
        The variable to draw; ``var[label]`` for one element of a
        subscripted variable (a fan chart shows one series).
    quantiles : sequence of float
        At least two quantiles in [0, 1].
    ax : matplotlib Axes, optional
        Draw into these axes (and return them) instead of a new figure.
    color : str, optional
        Colour of the bands and the median line.
    label : str, optional
        Name of the ensemble in the legend, e.g. ``"plan"``: the bands are
        labelled ``"plan: 5–95 %"`` and the median ``"plan: median"``
        (without it, ``"5–95 %"`` and ``"median"``).
    lang : {"en", "zh"}
        Language of the title (the variable's long name), units and legend.
    scales : mapping of str to str, optional
        Variable -> a named scale of :data:`gysim.display.SCALES`.

    Returns
    -------
    matplotlib.figure.Figure, or the Axes when ``ax`` is given

    Raises
    ------
    DataError
        If the variable is not in ``ds``, it has no ``time`` and no ``run``
        or ``quantile`` dimension, or a quantile is invalid (or missing from
        an envelope).

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np, gysim
    >>> from gysim.examples import population_model
    >>> ens = gysim.simulate(population_model(), params={"birth_rate": np.linspace(0.01, 0.02, 50)})
    >>> fig = fan_chart(ens, "population")
    >>> len(fig.axes[0].collections)  # two bands: 5-95 % and 25-75 %
    2
    >>> ax = fan_chart(gysim.envelope(ens, "population"), "population", ax=fig.axes[0])
    """
    _check_dataset(ds, "ds")
    _check_lang(lang)
    if split_element(variable)[0] not in ds.data_vars:
        _variable(ds, variable, "variable")
    da = select_element(ds, variable, argument="variable", whole=False)
    factor, units = _shown(da, variable, lang, scales)
    _need_dims(da, ["time"], f"variable '{variable}'")
    q = _check_quantiles(quantiles)
    lines = factor * _quantile_lines(da, q, variable)
    fig, ax, given = _new_axes(ax, (6.0, 3.8))
    t = np.asarray(da["time"].values, dtype=float)
    if color is None:  # the axes' next colour
        (probe,) = ax.plot([], [])
        color = probe.get_color()
        probe.remove()
    prefix = f"{label}: " if label else ""
    n_bands = len(q) // 2
    for i in range(n_bands):
        lo, hi = lines[i], lines[len(q) - 1 - i]
        alpha = 0.15 + 0.35 * (i + 1) / n_bands
        ax.fill_between(t, lo, hi, color=color, alpha=alpha, linewidth=0,
                        label=f"{prefix}{100 * q[i]:g}–{100 * q[len(q) - 1 - i]:g} %")
    if len(q) % 2:
        mid = q[n_bands]
        name = ("中位数" if lang == "zh" else "median") if np.isclose(mid, 0.5) else f"{100 * mid:g} %"
        ax.plot(t, lines[n_bands], color=color, linewidth=1.8, label=prefix + name)
    ax.set_title(_panel_title(da, variable, lang, 60), fontsize="medium")
    ax.set_ylabel(units)
    _time_axis(ax, da, lang)
    ax.legend(fontsize="small")
    return ax if given else fig


# --- scenarios -----------------------------------------------------------------------------

def _central(values: np.ndarray) -> np.ndarray:
    return values if values.ndim == 1 else np.nanmedian(values, axis=1)


def _as_time_runs(da: xr.DataArray) -> np.ndarray:
    """Values as (time,) or (time, run)."""
    order = ["time"] + (["run"] if "run" in da.dims else [])
    extra = [d for d in da.dims if d not in order]
    if extra:
        raise DataError(f"variable '{da.name}' has dimensions {', '.join(extra)} besides "
                        f"time and run; name one element, e.g. "
                        f"'{complete_elements(da.isel(time=0), *split_element(str(da.name)))[0]}'")
    return np.asarray(da.transpose(*order).values, dtype=float)


def scenario_comparison(results: Mapping[str, xr.Dataset], variables: str | Sequence[str],
                        baseline: str = "baseline", *, relative: bool = False,
                        quantiles: tuple[float, float] = (0.05, 0.95), title: str | None = None,
                        lang: str = "en", scales: Mapping[str, str] | None = None):
    """Compare scenarios with a baseline: levels (top row) and differences (bottom row).

    Parameters
    ----------
    results : mapping of label to Dataset
        One run or an ensemble per scenario, e.g.
        ``{"baseline": simulate(m, scenario="baseline"), "plan": ...}``.
    variables : str or sequence of str
        Variables to compare, one column each; ``var[label]`` for one
        element of a subscripted variable.
    baseline : str
        The label in ``results`` the others are compared with.
    relative : bool
        Draw differences in percent of the baseline instead of in the
        variable's units.
    quantiles : (float, float)
        Band drawn for ensembles. When a scenario and the baseline are
        ensembles of the same number of runs (the same sample), the
        differences are taken run by run, so the band is the spread of the
        scenario's effect; otherwise the medians are compared.
    title : str, optional
        Title of the figure.
    lang : {"en", "zh"}
        Language of names (panel titles are the variables' long names),
        units (the plan's, see :func:`gysim.display.display_units`) and legends.
    scales : mapping of str to str, optional
        Variable -> a named scale of :data:`gysim.display.SCALES`.

    Returns
    -------
    matplotlib.figure.Figure
        Axes ``[0, j]`` hold the levels of variable ``j``, ``[1, j]`` the
        differences from the baseline, over the times the runs share.

    Raises
    ------
    DataError
        If ``baseline`` is not in ``results``, a variable is missing from a
        run, or a run has no ``time`` dimension.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import gysim
    >>> from gysim.examples import population_model
    >>> m = population_model()
    >>> runs = {"baseline": gysim.simulate(m), "more births": gysim.simulate(m, params={"birth_rate": 0.02})}
    >>> fig = scenario_comparison(runs, ["population"])
    >>> fig.axes[0].get_ylabel(), fig.axes[1].get_title()
    ('10 000 persons', 'registered population: difference from baseline')
    >>> fig = scenario_comparison(runs, ["population"], lang="zh", relative=True)
    >>> fig.axes[1].get_title(), fig.axes[1].get_ylabel()
    ('registered population：与baseline之差', '占baseline的%')
    """
    import matplotlib.pyplot as plt

    _check_lang(lang)
    zh = lang == "zh"
    if not isinstance(results, Mapping) or not results:
        raise DataError("`results` must be a non-empty mapping of label to Dataset")
    runs = dict(results)
    for label, ds in runs.items():
        _check_dataset(ds, f"results[{label!r}]")
    if baseline not in runs:
        raise DataError(f"`baseline`: '{baseline}' is not a label of `results` "
                        f"({', '.join(map(str, runs))}){suggest(str(baseline), map(str, runs))}")
    variables = [variables] if isinstance(variables, str) else list(variables)
    if not variables:
        raise DataError("`variables` must name at least one variable")
    for label, ds in runs.items():
        for name in variables:
            _need_dims(_variable(ds, name, "variables", f"the results '{label}'"), ["time"],
                       f"variable '{name}' of '{label}'")
            select_element(ds, name, whole=False, what=f"the results '{label}'")
    lo_q, hi_q = _check_quantiles(quantiles)[[0, -1]]
    fig, axes = plt.subplots(2, len(variables), figsize=(4.4 * len(variables), 6.0),
                             squeeze=False, sharex="col", layout="constrained")
    colors = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
    base = runs[baseline]
    for j, name in enumerate(variables):
        top, bottom = axes[0, j], axes[1, j]
        factor, units = _shown(select_element(base, name), name, lang, scales)
        for k, (label, ds) in enumerate(runs.items()):
            color = colors[k % len(colors)]
            t = np.asarray(ds["time"].values, dtype=float)
            values = factor * _as_time_runs(select_element(ds, name))
            if values.ndim == 2:
                top.fill_between(t, *np.nanquantile(values, [lo_q, hi_q], axis=1), color=color,
                                 alpha=0.2, linewidth=0)
            top.plot(t, _central(values), color=color, label=label)
            if label == baseline:
                continue
            common = np.intersect1d(t, np.asarray(base["time"].values, dtype=float))
            if not common.size:
                raise DataError(f"results '{label}' and '{baseline}' share no time for "
                                f"variable '{name}'")
            own = factor * _as_time_runs(select_element(ds, name).sel(time=common)).reshape(len(common), -1)
            ref = factor * _as_time_runs(select_element(base, name).sel(time=common)).reshape(len(common), -1)
            if 1 < own.shape[1] != ref.shape[1] > 1:  # unpaired ensembles: compare medians
                own, ref = _central(own)[:, None], _central(ref)[:, None]
            diff = own - ref
            if relative:
                with np.errstate(divide="ignore", invalid="ignore"):
                    diff = 100 * diff / np.abs(ref)
            if diff.shape[1] > 1:
                bottom.fill_between(common, *np.nanquantile(diff, [lo_q, hi_q], axis=1),
                                    color=color, alpha=0.2, linewidth=0)
            bottom.plot(common, _central(diff) if diff.shape[1] > 1 else diff[:, 0], color=color,
                        label=f"{label} - {baseline}")
        shown = _panel_title(select_element(base, name), name, lang, None)
        top.set_title(_wrap(shown, lang, 48), fontsize="medium")
        top.set_ylabel(units)
        top.legend(fontsize="small")
        bottom.axhline(0.0, color="0.4", linewidth=0.8)
        bottom.set_title(_wrap(f"{shown}：与{baseline}之差" if zh else
                               f"{shown}: difference from {baseline}", lang, 48), fontsize="medium")
        if not relative and units == "%":  # a difference of percentages: percentage points
            units = "百分点" if zh else "percentage points"
        bottom.set_ylabel((f"占{baseline}的%" if zh else f"% of {baseline}") if relative else units)
        _time_axis(bottom, select_element(base, name), lang)
    if title:
        fig.suptitle(title)
    return fig


# --- sensitivity indices -------------------------------------------------------------------

#: Indices by name -> (symbol, English, Chinese description), for titles and axis labels;
#: other indices show as named.
INDEX_NAMES = {"ST": ("ST", "total-order index", "总效应指数"),
               "S1": ("S1", "first-order index", "一阶效应指数"),
               "mu_star": ("μ*", "mean absolute effect", "平均绝对效应"),
               "mu": ("μ", "mean effect", "平均效应"),
               "sigma": ("σ", "spread of effects", "效应标准差")}
#: Indices in the units of their output (Morris' elementary effects).
_IN_OUTPUT_UNITS = ("mu_star", "mu", "sigma")


def _index_shown(indices: xr.Dataset, dim: str, lang: str, names: Mapping[str, str]) -> dict:
    """Name shown for each label of `dim`: `names`, else the short-name coordinate of
    :func:`gysim.display.label_indices`, else the raw name."""
    values = [str(v) for v in indices[dim].values]
    coord = INDEX_LABELS[(dim, lang)]
    carried = ([str(v) for v in indices[coord].values] if coord in indices.coords
               and indices[coord].dims == (dim,) else values)
    return {v: str(names.get(v, c)) for v, c in zip(values, carried)}


def _index_axis_label(indices: xr.Dataset, index: str, output: str, lang: str):
    """(factor, axis label, symbol) of an index: its description, and the plan's units of
    the output for Morris' effects (which are in the output's units)."""
    symbol, en, zh = INDEX_NAMES.get(index, (index, "", ""))
    text = f"{zh if lang == 'zh' else en} {symbol}".strip()
    if index not in _IN_OUTPUT_UNITS or "output_units" not in indices.coords:
        return 1.0, text, symbol
    shown = display_units(str(indices["output_units"].sel(output=output).values), lang)
    if not shown.label:
        return shown.factor, text, symbol
    return shown.factor, (f"{text}（{shown.label}）" if lang == "zh" else
                          f"{text} ({shown.label})"), symbol

def _index_at(indices: xr.Dataset, name: str, output: str) -> xr.DataArray:
    _check_dataset(indices, "indices")
    da = _variable(indices, name, "index", "the indices")
    _need_dims(da, ["param", "output"], f"index '{name}'")
    outputs = [str(o) for o in indices["output"].values]
    if output not in outputs:
        raise DataError(f"`output`: '{output}' is not an output of the indices "
                        f"({', '.join(outputs)}){suggest(str(output), outputs)}")
    return da.sel(output=output)


def _pick_time(da: xr.DataArray, time: float | None, index: str, output: str):
    """(values at one time, the time) -- by default the last time with a finite index."""
    if "time" not in da.dims:
        return da, None
    times = np.asarray(da["time"].values, dtype=float)
    if time is None:
        finite = np.isfinite(da.transpose("time", ...).values.reshape(len(times), -1)).any(axis=1)
        if not finite.any():
            raise DataError(f"index '{index}' of output '{output}' is NaN at every time (the "
                            "output does not vary over the runs)")
        k = int(np.flatnonzero(finite)[-1])
    else:
        hit = np.flatnonzero(np.isclose(times, float(time), rtol=0,
                                        atol=1e-9 * max(1.0, abs(float(time)))))
        if not hit.size:
            raise DataError(f"`time`: {float(time):g} is not a time of the indices "
                            f"({times[0]:g} to {times[-1]:g})")
        k = int(hit[0])
    return da.isel(time=k), float(times[k])


def sensitivity_bars(indices: xr.Dataset, output: str, time: float | None = None,
                     index: str = "ST", ax=None, *, sort: bool = False, lang: str = "en",
                     names: Mapping[str, str] | None = None):
    """Sensitivity indices of one output as horizontal bars with confidence intervals.

    Parameters
    ----------
    indices : xarray.Dataset
        From :func:`gysim.sensitivity` (dims ``param``, ``output``, ``time``).
    output : str
        The output whose indices are drawn.
    time : float, optional
        The time (default: the last time at which the index is defined).
    index : str
        The index: ``"ST"`` or ``"S1"`` (Sobol', eFAST), ``"mu_star"``
        (Morris), or any other per-parameter variable. The error bars are
        the variable ``<index>_conf`` when the Dataset has it.
    ax : matplotlib Axes, optional
        Draw into these axes (and return them) instead of a new figure.
    sort : bool
        Order the bars by the index, largest on top (default: the order of
        the ``param`` dimension, top to bottom).
    lang : {"en", "zh"}
        Language of the title and axis label.
    names : mapping of str to str, optional
        Names to show for parameters and the output, overriding the short
        names the indices carry (:func:`gysim.display.label_indices`, which
        :func:`gysim.sensitivity` applies): a name is taken from `names`,
        else from the coordinate ``param_short_name`` (``_zh`` in Chinese) or
        ``output_short_name``, else it is the raw name. Morris' effects are
        shown in the plan's units of the output (its ``output_units``).

    Returns
    -------
    matplotlib.figure.Figure, or the Axes when ``ax`` is given
        One bar per parameter: the BarContainer among ``ax.containers``,
        its error bars in the container's ``errorbar``.

    Raises
    ------
    DataError
        If the index variable, the output or the time is not in the indices,
        or a ``param``/``output`` dimension is missing.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import gysim
    >>> m = gysim.Model("linear", start=0, stop=1)
    >>> m.param("a", 1.0, bounds=(0, 1))
    >>> m.param("b", 1.0, bounds=(0, 1))
    >>> m.aux("y", "a + 3 * b")
    >>> si = gysim.sensitivity(m, ["a", "b"], ["y"], n=64, progress=False, method="euler", dt=1)
    >>> fig = sensitivity_bars(si, "y")
    >>> len(fig.axes[0].patches)
    2
    >>> fig.axes[0].get_title()
    'y at time 1: ST'
    """
    _check_lang(lang)
    da = _index_at(indices, index, output)
    da, t = _pick_time(da, time, index, output)
    shown_params = _index_shown(indices, "param", lang, dict(names or {}))
    factor, axis_label, symbol = _index_axis_label(indices, index, output, lang)
    params = [str(p) for p in indices["param"].values]
    extra = [d for d in da.dims if d != "param"]
    if extra:
        raise DataError(f"index '{index}' has dimensions {', '.join(extra)} besides param, "
                        "output and time; bars need one value per parameter")
    values = factor * np.asarray(da.transpose("param").values, dtype=float)
    conf = None
    if f"{index}_conf" in indices.data_vars:
        c = indices[f"{index}_conf"].sel(output=output)
        if "time" in c.dims and t is not None:
            c = c.sel(time=t)
        conf = factor * np.asarray(c.transpose("param").values, dtype=float)
    order = np.arange(len(params))
    if sort:
        order = np.argsort(np.nan_to_num(values, nan=-np.inf))[::-1]
    fig, ax, given = _new_axes(ax, (6.0, 0.9 + 0.38 * len(params)))
    y = np.arange(len(params))
    ax.barh(y, values[order], xerr=None if conf is None else conf[order],
            color="steelblue", ecolor="0.2", capsize=3)
    ax.set_yticks(y, [shown_params[params[i]] for i in order])
    ax.invert_yaxis()  # first parameter on top
    ax.axvline(0.0, color="0.4", linewidth=0.8)
    level = indices.attrs.get("conf_level")
    zh = lang == "zh"
    if conf is not None and level is not None:
        ci = (f"；误差线：{100 * float(level):g}%置信区间" if zh
              else f"; error bars: {100 * float(level):g} % CI")
    else:
        ci = ""
    ax.set_xlabel(axis_label + ci)
    shown = _index_shown(indices, "output", lang, dict(names or {}))[output]
    if zh:
        ax.set_title(f"{shown}{'' if t is None else f'（{t:g}年）'}：{symbol}")
    else:
        ax.set_title(f"{shown}{'' if t is None else f' at time {t:g}'}: {symbol}")
    return ax if given else fig


def sensitivity_heatmap(indices: xr.Dataset, output: str, index: str = "ST", ax=None, *,
                        cmap: str = "viridis", vmax: float | None = None, lang: str = "en",
                        names: Mapping[str, str] | None = None):
    """Sensitivity indices of one output as a parameter × time heatmap.

    Parameters
    ----------
    indices : xarray.Dataset
        From :func:`gysim.sensitivity` (dims ``param``, ``output``, ``time``).
    output : str
        The output whose indices are drawn.
    index : str
        The index variable (``"ST"``, ``"S1"``, ``"mu_star"``, ...). Times at
        which it is undefined (NaN: the output does not vary) are left blank.
    ax : matplotlib Axes, optional
        Draw into these axes (and return them) instead of a new figure.
    cmap : str
        Colour map.
    vmax : float, optional
        Top of the colour scale (default: 1 for Sobol' indices ``S*``, the
        largest value otherwise).
    lang : {"en", "zh"}
        Language of the title and axis label.
    names : mapping of str to str, optional
        Names to show for parameters and the output (see :func:`sensitivity_bars`).

    Returns
    -------
    matplotlib.figure.Figure, or the Axes when ``ax`` is given
        The image is ``ax.collections[0]`` (a QuadMesh, rows = parameters,
        columns = times), with a colour bar.

    Raises
    ------
    DataError
        If the index, the output, or the ``param``/``output``/``time``
        dimension is missing.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import gysim
    >>> m = gysim.Model("growth", start=0, stop=4)
    >>> m.param("r", 0.1, bounds=(0.05, 0.15))
    >>> m.param("x0", 1.0, bounds=(0.5, 1.5))
    >>> m.stock("x", "x0")
    >>> m.flow("growth", "r * x", into="x")
    >>> si = gysim.sensitivity(m, ["r", "x0"], ["x"], n=64, progress=False)
    >>> fig = sensitivity_heatmap(si, "x")
    >>> fig.axes[0].collections[0].get_array().shape
    (2, 5)
    """
    _check_lang(lang)
    names = dict(names or {})
    da = _index_at(indices, index, output)
    _need_dims(da, ["time"], f"index '{index}'")
    factor, axis_label, symbol = _index_axis_label(indices, index, output, lang)
    extra = [d for d in da.dims if d not in ("param", "time")]
    if extra:
        raise DataError(f"index '{index}' has dimensions {', '.join(extra)} besides param, "
                        "output and time; a heatmap needs one value per parameter and time")
    values = factor * np.asarray(da.transpose("param", "time").values, dtype=float)
    params = [str(p) for p in indices["param"].values]
    shown_params = _index_shown(indices, "param", lang, names)
    t = np.asarray(da["time"].values, dtype=float)
    if len(t) > 1:
        mids = (t[1:] + t[:-1]) / 2
        edges = np.concatenate([[t[0] - (mids[0] - t[0])], mids, [t[-1] + (t[-1] - mids[-1])]])
    else:
        edges = np.array([t[0] - 0.5, t[0] + 0.5])
    if vmax is None:
        finite = values[np.isfinite(values)]
        vmax = 1.0 if index.startswith("S") else (float(finite.max()) if finite.size else 1.0)
    fig, ax, given = _new_axes(ax, (7.0, 1.2 + 0.4 * len(params)))
    mesh = ax.pcolormesh(edges, np.arange(len(params) + 1), np.ma.masked_invalid(values),
                         cmap=cmap, vmin=0.0, vmax=vmax, shading="flat")
    ax.set_yticks(np.arange(len(params)) + 0.5, [shown_params[p] for p in params])
    ax.invert_yaxis()
    _time_axis(ax, da, lang)
    shown = _index_shown(indices, "output", lang, names)[output]
    ax.set_title(f"{shown}：{symbol}随时间变化" if lang == "zh" else f"{shown}: {symbol} over time")
    ax.figure.colorbar(mesh, ax=ax, label=axis_label)
    return ax if given else fig
