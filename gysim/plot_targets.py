"""Targets drawn on the panel of their variable, every form of :class:`gysim.Target`.

A target measures its variable in one of the forms of
:data:`gysim.targets.FORMS`; each is drawn where a reader of the panel can
check it by eye:

- ``value`` (a level at a year): a marker at the year, ▲ at least, ▼ at most,
  ● about with its tolerance as an error bar;
- ``growth`` (average yearly growth from year ``y0`` to ``y1``): the path
  that grows at the target rate from the model's value at ``y0``, dashed,
  ending in the marker at ``y1``;
- ``percent_change`` and ``change`` (``y1`` against ``y0``, e.g. energy per
  unit of GDP −20 % in 2010 against 2005): the level they imply at ``y1``
  from the model's value at ``y0``, a dotted line from ``y0`` to the marker;
- ``cumulative`` (a sum over the years ``y0`` to ``y1``): the yearly mean that
  reaches the sum, a horizontal bar over those years.

The level a ``growth`` or ``change`` target implies depends on the value at
``y0``: it is taken from the central line of the first run drawn (the
median of an ensemble). Targets measured by a function of the whole run
(``func``, e.g. a share of GDP) have no panel and are left out.

Examples
--------
>>> from gysim.targets import Target
>>> t = Target("energy", -20, "at_most", variable="energy_intensity", form="percent_change",
...            years=(2005, 2010))
>>> mark = target_mark(t, reference=lambda year: 1.5)
>>> mark.x, [round(y, 6) for y in mark.y]
([2005.0, 2010.0], [1.5, 1.2])
>>> target_label(t, "en", 1.0), target_label(t, "zh", 1.0)
('target: −20 % in 2010 vs 2005', '目标：2010年比2005年 −20%')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["TARGET_MARKERS", "KIND_SIGNS", "TargetMark", "target_mark", "target_label",
           "draw_target"]

#: Marker drawn for each kind of target: at least (pointing up), at most
#: (pointing down), about (a dot with the tolerance band as an error bar).
TARGET_MARKERS = {"at_least": "^", "at_most": "v", "about": "o"}

#: How a label states each kind.
KIND_SIGNS = {"at_least": "≥", "at_most": "≤", "about": "≈"}

_COLOR = "crimson"


@dataclass(frozen=True)
class TargetMark:
    """What to draw for one target, in the variable's (model) units.

    ``x``, ``y``: the line leading to the target (one point for a level);
    the marker sits on the last point, with ``err`` as its error bar (about);
    ``style``: ``"point"``, ``"path"`` (dashed), ``"change"`` (dotted) or
    ``"bar"`` (a horizontal bar over the years of a sum).
    """

    x: list
    y: list
    err: float | None
    style: str


def target_mark(target, reference: Callable[[float], float]) -> TargetMark | None:
    """The drawing of `target` in its variable's units; None for a ``func`` target.

    Parameters
    ----------
    target : gysim.Target
    reference : callable
        The model's value of the variable at a year (for growth and changes).

    Examples
    --------
    >>> from gysim.targets import Target
    >>> g = Target("g", 10, "at_least", variable="x", form="growth", years=(2000, 2002))
    >>> m = target_mark(g, reference=lambda year: 100.0)
    >>> [round(v, 6) for v in m.y]  # 100 growing 10 % a year
    [100.0, 110.0, 121.0]
    >>> c = Target("c", 30, "at_least", variable="x", form="cumulative", years=(2001, 2003))
    >>> target_mark(c, reference=lambda year: 0.0)
    TargetMark(x=[2000.5, 2003.5], y=[10.0, 10.0], err=None, style='bar')
    """
    if target.variable is None or getattr(target, "func", None) is not None:
        return None
    value = target.value / target.scale
    tol = target.tolerance if target.kind == "about" else None
    years = [float(y) for y in target.years]
    if target.form == "value":
        return TargetMark(years, [value], None if tol is None else abs(value) * tol, "point")
    if target.form == "cumulative":
        n = int(round(years[1] - years[0])) + 1
        mean = value / n
        return TargetMark([years[0] - 0.5, years[1] + 0.5], [mean, mean],
                          None if tol is None else abs(mean) * tol, "bar")
    y0, y1 = years
    start = float(reference(y0))
    if target.form == "growth":
        rate = value / 100
        ts = list(np.arange(y0, y1 + 0.5, 1.0)) if y1 - y0 >= 1 else [y0, y1]
        path = [float(start * (1 + rate) ** (t - y0)) for t in ts]
        err = None
        if tol is not None:  # the end points of the rates within the tolerance
            hi = start * (1 + rate + abs(rate) * tol) ** (y1 - y0)
            lo = start * (1 + rate - abs(rate) * tol) ** (y1 - y0)
            err = (hi - lo) / 2
        return TargetMark([float(t) for t in ts], path, err, "path")
    end = start * (1 + value / 100) if target.form == "percent_change" else start + value
    err = None
    if tol is not None:
        err = abs(start * value / 100 if target.form == "percent_change" else value) * tol
    return TargetMark([y0, y1], [start, end], err, "change")


def _num(x: float) -> str:
    """A number as a label shows it: up to 4 significant digits, a true minus sign."""
    return f"{x:.4g}".replace("-", "−")


def target_label(target, lang: str, factor: float, units: str = "") -> str:
    """The legend entry of a target, its value in display units (``factor``, ``units``).

    Examples
    --------
    >>> from gysim.targets import Target
    >>> t = Target("gdp", 1000, "at_least", variable="gdp", years=(2010,))
    >>> target_label(t, "zh", 1.0, "亿元")  # the axis states the units
    '目标：2010年 ≥ 1000'
    """
    sign = KIND_SIGNS[target.kind]
    zh = lang == "zh"
    years = [int(y) if float(y).is_integer() else y for y in target.years]
    # the axis states the units; a label repeats only the short signs % and ‰
    unit = units if units in ("%", "‰") and target.form in ("value", "cumulative", "change") else ""
    if unit and not zh:
        unit = " " + unit
    value = target.value / target.scale
    if target.form == "value":
        what = f"{years[0]}年 {sign} {_num(value * factor)}{unit}" if zh else \
            f"{sign} {_num(value * factor)}{unit} in {years[0]}"
    elif target.form == "growth":
        what = (f"{years[0]}–{years[1]}年年均增长 {sign} {_num(value)}%" if zh else
                f"growth {sign} {_num(value)} % a year, {years[0]}–{years[1]}")
    elif target.form == "percent_change":
        what = (f"{years[1]}年比{years[0]}年 {_num(value)}%" if zh else
                f"{_num(value)} % in {years[1]} vs {years[0]}")
        if target.kind == "about":
            what += "左右" if zh else " (about)"
    elif target.form == "change":
        what = (f"{years[1]}年比{years[0]}年 {sign} {_num(value * factor)}{unit}" if zh else
                f"change {sign} {_num(value * factor)}{unit}, {years[0]}–{years[1]}")
    else:  # cumulative
        n = int(round(years[1] - years[0])) + 1
        what = (f"{years[0]}–{years[1]}年累计 {sign} {_num(value * factor)}{unit}"
                f"（年均 {_num(value * factor / n)}）" if zh else
                f"sum {years[0]}–{years[1]} {sign} {_num(value * factor)}{unit} "
                f"(mean {_num(value * factor / n)} a year)")
    return ("目标：" if zh else "target: ") + what


def draw_target(ax, target, reference: Callable[[float], float], *, factor: float, lang: str,
                units: str = "", prefix: str = "") -> bool:
    """Draw `target` on `ax` in display units; False when it has nothing to draw on a panel.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from gysim.targets import Target
    >>> fig, ax = plt.subplots()
    >>> draw_target(ax, Target("u", 0.68, "about", variable="u", years=(2010,)), lambda y: 0.6,
    ...             factor=100, lang="en", units="%")
    True
    >>> ax.get_legend_handles_labels()[1]
    ['target: ≈ 68 % in 2010']
    >>> plt.close(fig)
    """
    mark = target_mark(target, reference)
    if mark is None:
        return False
    x = np.asarray(mark.x, dtype=float)
    y = factor * np.asarray(mark.y, dtype=float)
    err = None if mark.err is None else factor * mark.err
    label = prefix + target_label(target, lang, factor, units)
    marker = TARGET_MARKERS[target.kind]
    if mark.style == "bar":
        ax.plot(x, y, color=_COLOR, linewidth=3, alpha=0.7, solid_capstyle="butt", label=label)
        if err is not None:
            ax.fill_between(x, y - err, y + err, color=_COLOR, alpha=0.12, linewidth=0)
        return True
    if len(x) > 1:
        ax.plot(x, y, color=_COLOR, linewidth=1.2, linestyle="--" if mark.style == "path" else ":")
    ax.errorbar(x[-1:], y[-1:], yerr=err, fmt=marker, color=_COLOR, markersize=9, capsize=4,
                label=label)
    return True
