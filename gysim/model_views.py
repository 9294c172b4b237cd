"""Views of a model for people and for provenance: its description, HTML and parameter table.

:class:`gysim.Model` calls down into these (``description()``,
``_repr_html_()``, ``parameter_table()``); they read any model-like object
(:class:`gysim.elements.ModelLike` with ``params``), so the builder keeps to
building.

Examples
--------
>>> import gysim
>>> m = gysim.Model("m")
>>> m.param("k", 0.5, units="1/year", bounds=(0, 1))
>>> element_description(m["k"])["bounds"]
(0.0, 1.0)
>>> "<b>k</b>" in model_html(m)
True
"""

from __future__ import annotations

import html
import itertools
from typing import Any

import numpy as np

from .elements import DataInput, Flow, Lookup, Param
from .errors import DataError
from .labels import element_name

__all__ = ["element_description", "model_html", "parameter_table", "run_settings"]


def run_settings(model: Any) -> dict:
    """The run settings of a model's description: method, save period, units checked on
    a run, and the variable holding a FINAL TIME that changes during the run (when set).

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("m", method="rk4", saveper=0.5)
    >>> run_settings(m)
    {'method': 'rk4', 'saveper': 0.5, 'check_units_on_run': True}
    >>> m.final_time_variable = "end"
    >>> run_settings(m)["final_time_variable"]
    'end'
    """
    out = {"method": model.method, "saveper": model.saveper,
           "check_units_on_run": model.check_units_on_run}
    if getattr(model, "final_time_variable", None):
        out["final_time_variable"] = model.final_time_variable
    return out


def element_description(e: Any) -> dict:
    """One element as JSON-ready data, every number at full precision (for the model hash).

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("m")
    >>> m.lookup("tab", [0, 1], [0.5000001, 1])
    >>> element_description(m["tab"])["y"]
    ['0.5000001', '1.0']
    """
    d = {"kind": e.kind, "units": e.units, "doc": e.doc, "equation": e.equation}
    if isinstance(e, Flow):
        d.update(into=e.into, out_of=e.out_of)
    if isinstance(e, Param):
        d.update(bounds=e.bounds)
    if isinstance(e, Lookup):  # the equation text rounds to 6 digits
        d.update(x=[repr(float(v)) for v in e.x], y=[repr(float(v)) for v in e.y])
    if isinstance(e, DataInput):
        d.update(times=[repr(float(v)) for v in e.times],
                 values=[repr(float(v)) for v in e.values])
    if getattr(e, "dims", ()):
        d.update(dims=list(e.dims))
    return d


def model_html(model: Any) -> str:
    """The HTML table of a model's elements that Jupyter shows (``Model._repr_html_``)."""
    rows = []
    esc = html.escape
    for e in model.elements.values():
        extra = ""
        if isinstance(e, Flow):
            extra = " → ".join(x for x in (e.out_of or "∅", e.into or "∅"))
        elif isinstance(e, Param) and e.bounds is not None:
            extra = f"[{e.bounds[0]:g}, {e.bounds[1]:g}]"
        rows.append(
            f"<tr><td>{esc(e.kind)}</td><td><b>{esc(e.name)}</b></td>"
            f"<td><code>{esc(e.equation)}</code></td><td>{esc(extra)}</td>"
            f"<td>{esc(e.units)}</td><td>{esc(e.doc)}"
            f"{'<br>' + esc(e.long_name_zh) if getattr(e, 'long_name_zh', '') else ''}</td></tr>")
    head = ("<tr><th>kind</th><th>name</th><th>equation / value</th><th>flow / bounds</th>"
            "<th>units</th><th>doc</th></tr>")
    scen = ""
    if model.scenarios:
        scen = "<p>Scenarios: " + ", ".join(esc(s) for s in model.scenarios) + "</p>"
    return (f"<div><p><b>gysim.Model '{esc(model.name)}'</b> "
            f"{model.start:g}–{model.stop:g} {esc(model.time_units)}"
            f"{' — ' + esc(model.doc) if model.doc else ''}</p>"
            f"<table>{head}{''.join(rows)}</table>{scen}</div>")


def parameter_table(model: Any, lang: str = "en"):
    """Every parameter's value, units, bounds, doc and source (see ``Model.parameter_table``)."""
    import pandas as pd  # only this function needs it

    if lang not in ("en", "zh"):
        raise DataError(f"`lang` must be 'en' or 'zh', got {lang!r}")
    rows = {}
    for name, p in model.params.items():
        zh = getattr(p, "long_name_zh", "")  # Model.set_names_zh
        shape = tuple(len(model.dimensions[d]) for d in p.dims)
        values = np.broadcast_to(np.asarray(p.value, dtype=float), shape).ravel()
        lower, upper = p.bounds if p.bounds is not None else (np.nan, np.nan)
        labels = itertools.product(*(model.dimensions[d] for d in p.dims))
        for combo, value in zip(labels, values):
            rows[element_name(name, combo)] = (zh if lang == "zh" and zh else p.doc or name, float(value),
                                               p.units, lower, upper, p.doc, zh, p.source)
    columns = ["name", "value", "units", "lower", "upper", "doc", "name_zh", "source"]
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns).rename_axis("parameter")

