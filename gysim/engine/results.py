"""Building the :class:`xarray.Dataset` of a simulation.

Outputs (stocks, flows, auxiliaries, data inputs) are the data variables,
with dims ``("time", *element dims[, "run"])``. Inputs are coordinates:
every parameter of the model is a non-index coordinate under its own name,
over its dims (``sector``...) and over ``run`` when an ensemble varies it,
scalar otherwise; a stock whose initial value was set (``params`` or the
scenario) gives a ``<stock>_initial`` coordinate the same way. They carry
``units``, ``long_name`` and ``kind`` (``"param"`` or ``"initial"``) attrs,
and ``long_name_zh`` where the element has a Chinese name
(:meth:`gysim.Model.set_names_zh`), as the outputs do.

Why coordinates and not data variables: they are what labels the runs
(concatenating single runs along ``run`` gives exactly an ensemble's
layout), they travel with every output selected from the Dataset
(``ds.population.sel(run=3)`` still says which ``birth_rate`` it used),
and everything that walks ``ds.data_vars`` (plots, envelopes, targets,
sensitivity, the batch store) keeps seeing outputs only. Drop them with
``ds.reset_coords(drop=True)``, e.g. before ``to_dataframe()``.

The attrs keep the provenance as before: model name and hash, gysim
version, method and solver statistics, and the parameters as JSON.

Examples
--------
>>> import gysim
>>> m = gysim.Model("decay", start=0, stop=2)
>>> m.stock("x", 1.0, units="kg")
>>> m.param("k", 0.5, units="1/year", doc="decay rate")
>>> m.flow("loss", "k * x", out_of="x", units="kg/year")
>>> ds = gysim.simulate(m, method="euler", dt=0.5)
>>> float(ds.k), ds.k.attrs["units"], ds.k.attrs["kind"]
(0.5, '1/year', 'param')
>>> sorted(ds.data_vars)
['loss', 'x']
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from .._version import __version__
from ..elements import Stock
from .integrate import Runs, SolverStats

if TYPE_CHECKING:
    from .compiled import CompiledModel
    from ..model import Model

__all__ = ["to_dataset", "input_coords"]

#: Names a coordinate of an input must not take.
_RESERVED = ("time", "run")


def input_coords(model: Model, runs: Runs) -> dict[str, tuple]:
    """Coordinates of a run's inputs: every parameter, and the stock initials it set.

    Parameters
    ----------
    model : Model
    runs : Runs
        Resolved values: ``runs.arrays`` over ``run``, ``runs.scalars`` shared.

    Returns
    -------
    dict
        ``name -> (dims, values, attrs)`` in model order: a parameter under its
        own name, a stock initial value under ``<stock>_initial`` (with ``_``
        appended while that names an element).

    Examples
    --------
    >>> import numpy as np, gysim
    >>> from gysim.engine.integrate import Runs
    >>> m = gysim.Model("m")
    >>> m.dimension("sector", ["agri", "industry"])
    >>> m.param("share", {"agri": 0.3, "industry": 0.7}, dims="sector")
    >>> m.param("k", 0.5)
    >>> m.stock("x", 1.0)
    >>> coords = input_coords(m, Runs(2, True, {"share": (0.3, 0.7), "x": 2.0},
    ...                                  {"k": np.array([0.4, 0.6])}))
    >>> {name: dims for name, (dims, _, _) in coords.items()}
    {'share': ('sector',), 'k': ('run',), 'x_initial': ()}
    """
    elements = model.elements
    taken = set(elements) | set(model.dimensions) | set(_RESERVED)
    out: dict[str, tuple] = {}
    for name, e in elements.items():
        is_stock = isinstance(e, Stock)
        if is_stock and name not in runs.arrays and name not in runs.scalars:
            continue  # an initial value the run did not set: it is the equation's
        if not is_stock and e.kind != "param":
            continue
        label = name
        if is_stock or name in _RESERVED:
            label = f"{name}_initial" if is_stock else f"{name}_"
            while label in taken:
                label += "_"
            taken.add(label)
        dims = tuple(e.dims)
        shape = tuple(len(model.dimensions[d]) for d in dims)
        if name in runs.arrays:
            arr = np.asarray(runs.arrays[name], dtype=float)
            if arr.ndim == 1:  # one value per run, the same for every element
                arr = arr.reshape((-1,) + (1,) * len(dims))
            values = np.moveaxis(np.broadcast_to(arr, (arr.shape[0],) + shape), 0, -1).copy()
            dims = dims + ("run",)
        else:
            value = runs.scalars[name] if name in runs.scalars else e.value
            values = np.broadcast_to(np.asarray(value, dtype=float), shape).copy()
        attrs = {"units": e.units, "long_name": e.doc or name,
                 "kind": "initial" if is_stock else "param"}
        if is_stock:
            attrs["long_name"] = f"initial value of {name}"
        if getattr(e, "long_name_zh", ""):
            attrs["long_name_zh"] = f"{e.long_name_zh}初始值" if is_stock else e.long_name_zh
        out[label] = (dims, values, attrs)
    return out


def to_dataset(model: Model, compiled: CompiledModel, result: dict[str, np.ndarray],
               times: np.ndarray, runs: Runs, *, method: str, step: float, saveper: float,
               rtol: float, atol: float, scenario: str | None, stats: SolverStats,
               fixed_step: bool, failed: dict[int, str] | None = None) -> xr.Dataset:
    """The Dataset of a simulation from its saved values.

    Parameters
    ----------
    model : Model
    compiled : CompiledModel
        ``model.compile()``.
    result : dict
        Saved values ``(time, *sizes, runs)`` by variable name.
    times : numpy.ndarray
        Saved times.
    runs : Runs
        The inputs of the runs.
    method, step, saveper, rtol, atol, scenario
        The options of the simulation, recorded in the attrs.
    stats : SolverStats
        Work counters, recorded in the attrs.
    fixed_step : bool
        Whether ``method`` is a fixed-step one (``dt`` and steps recorded) or
        adaptive (``rtol``, ``atol`` and Jacobian counts recorded).
    failed : dict, optional
        With ``on_error="mask"``: the failed runs and why (``{run: message}``),
        recorded as the boolean coordinate ``failed`` (over ``run`` in an
        ensemble) and the attrs ``failed_runs`` (a JSON list), ``n_failed``
        and ``first_failure`` (the first failed run's message).

    Returns
    -------
    xarray.Dataset

    Examples
    --------
    >>> import numpy as np, gysim
    >>> from gysim.engine.integrate import Runs, SolverStats
    >>> m = gysim.Model("m", start=0, stop=1)
    >>> m.stock("x", 1.0, units="kg")
    >>> m.param("k", 0.5)
    >>> ds = to_dataset(m, m.compile(), {"x": np.ones((2, 1))}, np.array([0.0, 1.0]),
    ...                 Runs(1, False, {"k": 0.5}), method="euler", step=1.0, saveper=1.0,
    ...                 rtol=1e-6, atol=1e-9, scenario=None, stats=SolverStats(),
    ...                 fixed_step=True)
    >>> ds.x.attrs["units"], float(ds.k), ds.attrs["dt"]
    ('kg', 0.5, 1.0)
    """
    elements = model.elements
    data_vars = {}
    dims = ("time", "run") if runs.ensemble else ("time",)
    for name, values in result.items():
        e = elements[name]
        attrs = {"units": e.units, "long_name": e.doc or name, "kind": e.kind,
                 "equation": e.equation}
        if e.source:
            attrs["source"] = e.source
        if getattr(e, "long_name_zh", ""):
            attrs["long_name_zh"] = e.long_name_zh
        full_dims = ("time",) + compiled.dims_of(name) + dims[1:]
        data_vars[name] = (full_dims, values if runs.ensemble else values[..., 0], attrs)
    inputs = input_coords(model, runs)
    coords: dict[str, Any] = {"time": ("time", times, {"units": model.time_units})}
    used = {d for name in result for d in compiled.dims_of(name)}
    used |= {d for dims_, _, _ in inputs.values() for d in dims_}
    for d, labels in compiled.dimensions.items():
        if d in used:
            coords[d] = (d, np.array(labels, dtype=object))
    if runs.ensemble:
        coords["run"] = ("run", np.arange(runs.n))
    params_used = {n: runs.scalars[n] for n in model.params if n in runs.scalars}
    initials = {n: runs.scalars[n] for n in model.stocks if n in runs.scalars}
    attrs = {
        "model": model.name,
        "model_hash": model.hash(),
        "gysim_version": __version__,
        "method": method,
        "saveper": saveper,
        "parameters": json.dumps(params_used, sort_keys=True),
        "varied_parameters": json.dumps(sorted(runs.arrays)),
        "initial_overrides": json.dumps(initials, sort_keys=True),
        "scenario": scenario or "",
        "n_runs": runs.n,
        "solver_nfev": stats.nfev,
        "solver_chunks": stats.chunks,
    }
    # values set outside their bounds (Model.with_params(..., allow_outside_bounds=True)) this run used
    outside = {k: v for k, v in getattr(model, "outside_bounds", {}).items() if k not in runs.arrays
               and np.array_equal(runs.scalars.get(k), model.elements[k].value)}
    if outside:
        attrs["outside_bounds"] = json.dumps(outside, sort_keys=True)
    if fixed_step:
        attrs.update(dt=step, solver_steps=stats.steps)
    else:
        attrs.update(rtol=rtol, atol=atol, solver_njev=stats.njev, solver_nlu=stats.nlu)
    if failed is not None:
        flags = np.zeros(runs.n, bool)
        flags[list(failed)] = True
        label = "failed"  # "failed_" if the model has an element of that name
        while label in inputs or label in elements or label in model.dimensions:
            label += "_"
        inputs[label] = (("run",) if runs.ensemble else (), flags if runs.ensemble
                            else flags[0], {"long_name": "the run failed (on_error='mask'): its "
                                            "values are NaN from the failure on"})
        attrs.update(on_error="mask", failed_runs=json.dumps(sorted(failed)),
                     n_failed=len(failed),
                     first_failure=failed[min(failed)] if failed else "")
    # The inputs go in as variables and become coordinates with set_coords: the same
    # Dataset, built in half the time of passing dozens of 0-d coordinates to the constructor.
    data_vars.update(inputs)
    return xr.Dataset(data_vars, coords=coords, attrs=attrs).set_coords(list(inputs))
