"""Running a model: one run or a vectorized ensemble, into an xarray Dataset.

:func:`simulate` is the single entry point. Parameters given as arrays make
an ensemble: all runs are integrated together as one vectorized system (the
run axis is the last axis of every value), in chunks so memory stays bounded.

Examples
--------
>>> import numpy as np, gysim
>>> m = gysim.Model("growth", start=0, stop=10)
>>> m.stock("x", 1.0)
>>> m.param("r", 0.1, bounds=(0, 1))
>>> m.flow("growth", "r * x", into="x")
>>> ds = gysim.simulate(m, params={"r": np.linspace(0.05, 0.15, 5)})
>>> ds.x.dims
('time', 'run')
>>> np.allclose(ds.x.sel(time=10), np.exp(10 * ds.r), rtol=1e-5)
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np
import xarray as xr

from ._text import suggest
from .elements import check_number
from .engine.integrate_adaptive import adaptive
from .engine.integrate_fixed_step import fixed_step
from .engine.integrate import (Runs, SolverStats, break_times, check_finite, initial_state,
                               nonfinite_message, param_tuple, sizes, store)
from .engine.results import to_dataset
from .errors import ModelDefinitionError, ParameterError, SimulationError
from .model import Model, Param

if TYPE_CHECKING:
    from .engine.compiled import CompiledModel

__all__ = ["simulate", "METHODS", "FIXED_STEP_METHODS"]

FIXED_STEP_METHODS = ("euler", "rk4")
ADAPTIVE_METHODS = ("RK45", "RK23", "DOP853", "LSODA", "BDF", "Radau")
METHODS = FIXED_STEP_METHODS + ADAPTIVE_METHODS
#: Default budget of state values (stocks x runs) integrated at once.
STATE_BUDGET = 2_000_000


def simulate(model: Model, *, params: Mapping[str, Any] | Any | None = None,
             scenario: str | None = None, method: str | None = None, dt: float | None = None,
             saveper: float | None = None, rtol: float = 1e-6, atol: float = 1e-9,
             variables: Sequence[str] | None = None, stop: float | None = None,
             chunk_size: int | None = None, max_step: float | None = None,
             check_units: bool | None = None) -> xr.Dataset:
    """Simulate a model once, or as a vectorized ensemble.

    Parameters
    ----------
    model : Model
        The model to run. It is not changed.
    params : mapping or pandas.DataFrame, optional
        Parameter values (or stock initial values) for this run, by name.
        A 1-D array makes an ensemble: every array must have the same length
        N and the result gains a ``run`` dimension of size N. A DataFrame
        gives one column per name and one row per run. For an element over
        dimensions, a number or a 1-D array of runs applies to every element;
        an array of shape ``(N, *sizes)`` gives one value per run and element.
    scenario : str, optional
        Name of a scenario registered with :meth:`Model.scenario`; its
        overrides apply first, ``params`` on top of them.
    method : str, optional
        ``"euler"`` or ``"rk4"`` (fixed step ``dt``, Vensim/PySD semantics),
        or a :func:`scipy.integrate.solve_ivp` method: ``"RK45"``, ``"RK23"``,
        ``"DOP853"``, ``"LSODA"``, ``"BDF"``, ``"Radau"``. Defaults to the
        model's method (``"RK45"`` for models built in Python).
    dt : float, optional
        Time step of the fixed-step methods; defaults to the model's ``dt``.
    saveper : float, optional
        Interval between saved times, from the start time; defaults to the
        model's ``saveper`` (1 time unit unless the model says otherwise).
    rtol, atol : float
        Tolerances of the adaptive methods.
    variables : sequence of str, optional
        Names of the stocks, flows, auxiliaries and data inputs to return
        (default: all of them).
    stop : float, optional
        Final time, if not the model's.
    chunk_size : int, optional
        Number of runs integrated together; by default as many as keep about
        two million state values in one integration.
    max_step : float, optional
        Largest step of the adaptive methods (useful with pulses).
    check_units : bool, optional
        Check every equation's units (:func:`gysim.units.check_units`) before
        running, once per model. Default: on, except for models read from
        Vensim/XMILE files, whose units are free text (check them with
        ``model.check_units()``).

    Returns
    -------
    xarray.Dataset
        One variable per element with dims ``("time",)`` or
        ``("time", "run")``; a variable over model dimensions has them in
        between, ``("time", "sector", "run")``, with the element labels as
        coordinates. Every parameter is a coordinate (``ds.birth_rate``):
        scalar or over its dims, over ``run`` too when the ensemble varies
        it; a stock initial value set by ``params`` or the scenario is a
        ``<stock>_initial`` coordinate (see :mod:`gysim.engine.results`).
        Attributes hold units, docs and provenance.

    Raises
    ------
    ModelDefinitionError
        If the model or the options are invalid.
    ParameterError
        If a parameter value is unknown, non-finite or out of bounds.
    UnitsError
        If an equation's units do not match its element's.
    SimulationError
        If the integration fails or produces non-finite values.

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("decay", start=0, stop=2)
    >>> m.stock("x", 1.0, units="kg")
    >>> m.param("k", 0.5, units="1/year")
    >>> m.flow("loss", "k * x", out_of="x", units="kg/year")
    >>> ds = gysim.simulate(m, method="euler", dt=0.5)
    >>> ds.x.values.round(4).tolist()
    [1.0, 0.5625, 0.3164]
    >>> float(ds.k), ds.k.attrs["units"]
    (0.5, '1/year')
    """
    if not isinstance(model, Model):
        raise ModelDefinitionError(f"`model` must be a gysim.Model, got {type(model).__name__}")
    compiled = model.compile()
    if check_units if check_units is not None else getattr(model, "check_units_on_run", True):
        compiled.check_units()
    method = _check_method(model.method if method is None else method)
    start = model.start
    stop = model.stop if stop is None else check_number(stop, "`stop`")
    if stop <= start:
        raise ModelDefinitionError(f"`stop` must be after the start time {start:g}, got {stop:g}")
    saveper = check_number(getattr(model, "saveper", 1.0) if saveper is None else saveper,
                            "`saveper`")
    if saveper <= 0:
        raise ModelDefinitionError(f"`saveper` must be positive, got {saveper!r}")
    rtol = check_number(rtol, "`rtol`")
    atol = check_number(atol, "`atol`")
    if rtol <= 0 or atol < 0:
        raise ModelDefinitionError(f"`rtol` must be positive and `atol` non-negative, "
                                   f"got rtol={rtol!r}, atol={atol!r}")
    n_save = int(np.floor((stop - start) / saveper + 1e-9)) + 1
    times = start + saveper * np.arange(n_save)

    step = 0.0
    if method in FIXED_STEP_METHODS:
        step = model.dt if dt is None else dt
        if step is None:
            raise ModelDefinitionError(
                f"method={method!r} needs a time step: pass `dt` (or give the model one)")
        step = check_number(step, "`dt`")
        if step <= 0:
            raise ModelDefinitionError(f"`dt` must be positive, got {step!r}")
        ratio = saveper / step
        if abs(ratio - round(ratio)) > 1e-9 * max(1.0, ratio) or round(ratio) < 1:
            raise ModelDefinitionError(
                f"`saveper` ({saveper:g}) must be a whole multiple of `dt` ({step:g})")
    elif compiled.delays_fixed:
        raise ModelDefinitionError(
            f"delay_fixed (in {', '.join(d.owner for d in compiled.delays_fixed)}) "
            f"needs a fixed-step method: use method='euler' or 'rk4' with a `dt`")
    if max_step is not None and check_number(max_step, "`max_step`") <= 0:
        raise ModelDefinitionError(f"`max_step` must be positive, got {max_step!r}")

    runs = _resolve_runs(model, params, scenario)
    names = _select_variables(compiled, variables)
    if chunk_size is None:
        chunk_size = max(1, STATE_BUDGET // max(1, compiled.n_state_rows))
    elif isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) \
            or chunk_size < 1:
        raise ModelDefinitionError(f"`chunk_size` must be a positive integer, got {chunk_size!r}")

    stats = SolverStats()
    result = {n: np.empty((n_save,) + sizes(compiled, n) + (runs.n,)) for n in names}
    with np.errstate(all="ignore"):
        for lo in range(0, runs.n, chunk_size):
            hi = min(runs.n, lo + chunk_size)
            _integrate_chunk(compiled, runs, lo, hi, method, step, times, rtol, atol, max_step,
                             stats, result)
            stats.chunks += 1
    return to_dataset(model, compiled, result, times, runs, method=method, step=step,
                      saveper=saveper, rtol=rtol, atol=atol, scenario=scenario, stats=stats,
                      fixed_step=method in FIXED_STEP_METHODS)


def _check_method(method: Any) -> str:
    if method not in METHODS:
        close = suggest(str(method), METHODS)
        raise ModelDefinitionError(f"`method` must be one of {', '.join(METHODS)}, got {method!r}"
                                   f"{close}")
    return method


def _resolve_runs(model: Model, params: Any, scenario: str | None) -> Runs:
    overrides: dict[str, Any] = {}
    if scenario is not None:
        if scenario not in model.scenarios:
            raise ModelDefinitionError(
                f"model '{model.name}' has no scenario {scenario!r}"
                f"{suggest(str(scenario), model.scenarios)}; known: "
                f"{', '.join(model.scenarios) or 'none'}")
        overrides.update(model.scenarios[scenario].overrides)
    if params is not None:
        if hasattr(params, "columns") and hasattr(params, "to_numpy"):  # pandas DataFrame
            params = {str(c): params[c].to_numpy(dtype=float) for c in params.columns}
        if not isinstance(params, Mapping):
            raise ParameterError(f"`params` must be a mapping of names to values or a pandas "
                                 f"DataFrame, got {type(params).__name__}")
        overrides.update(params)
    scalars = {n: p.value for n, p in model.params.items()}
    arrays: dict[str, np.ndarray] = {}
    n = None
    for key, value in overrides.items():
        element = model.settable_element(key, where="params")
        if np.ndim(value) == 0 or (isinstance(value, tuple) and scenario is not None
                                   and model.scenarios[scenario].overrides.get(key) is value):
            # a number, a mapping of labels, or a scenario's checked per-element values
            scalars[key] = model.checked_value(key, value)
            continue
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise ParameterError(f"values of '{key}' must be numbers") from None
        dims = getattr(element, "dims", ())
        sizes = tuple(len(model.dimensions[d]) for d in dims)
        if arr.ndim != 1 and not (dims and arr.shape[1:] == sizes):
            extra = (f", or an array of shape (runs, {', '.join(map(str, sizes))}) over its "
                     f"dims {dims}" if dims else "")
            raise ParameterError(f"values of '{key}' must be a scalar or a 1-D array{extra}, "
                                 f"got shape {arr.shape}")
        if arr.size == 0:
            raise ParameterError(f"values of '{key}' are empty; an ensemble needs at least one run")
        if n is None:
            n, first = arr.shape[0], key
        elif arr.shape[0] != n:
            raise ParameterError(f"every array in `params` must have the same length: '{first}' "
                                 f"has {n} values but '{key}' has {arr.shape[0]}")
        flat = arr.reshape(arr.shape[0], -1)
        bad = ~np.isfinite(flat)
        if bad.any():
            i = int(np.argmax(bad.any(axis=1)))
            raise ParameterError(f"values of '{key}' must be finite; run {i} has "
                                 f"{float(flat[i][bad[i]][0])!r}")
        if isinstance(element, Param) and element.bounds is not None:
            lo, hi = element.bounds
            out = (flat < lo) | (flat > hi)
            if out.any():
                i = int(np.argmax(out.any(axis=1)))
                raise ParameterError(f"parameter '{key}' = {float(flat[i][out[i]][0])!r} (run {i}) "
                                     f"is outside its bounds ({lo:g}, {hi:g}); {int(out.sum())} of "
                                     f"{flat.size} values are")
        arrays[key] = arr
        scalars.pop(key, None)
    return Runs(n or 1, n is not None, scalars, arrays)


def _select_variables(compiled: CompiledModel, variables: Sequence[str] | None) -> list[str]:
    available = compiled.stock_names + compiled.output_names
    if variables is None:
        return available
    if isinstance(variables, str):
        variables = [variables]
    chosen = []
    for v in variables:
        if v not in available:
            kind = compiled.model.elements[v].kind if v in compiled.model.elements else None
            reason = (f"is a {kind}; it is a coordinate of the Dataset (an input), not a "
                      f"variable" if kind else
                      f"is not a variable of model '{compiled.model.name}'"
                      f"{suggest(str(v), available)}")
            raise ModelDefinitionError(f"`variables`: '{v}' {reason}")
        if v not in chosen:
            chosen.append(v)
    return chosen


def _integrate_chunk(compiled: CompiledModel, runs: Runs, lo: int, hi: int, method: str,
                     step: float, times: np.ndarray, rtol: float, atol: float,
                     max_step: float | None, stats: SolverStats, result: dict) -> None:
    """Integrate runs lo:hi and write their saved values into ``result[name][..., lo:hi]``."""
    P = param_tuple(compiled, runs, lo, hi)
    S = compiled.prepare(P)
    y0, discrete, delay_times = initial_state(compiled, runs, lo, hi, times[0], step, P)
    out = {name: array[..., lo:hi] for name, array in result.items()}
    if method in FIXED_STEP_METHODS:
        fixed_step(compiled, P, S, y0, discrete, delay_times, method, step, times, stats, out)
    else:
        Y = adaptive(compiled, P, S, y0, method, times, break_times(compiled, runs), rtol, atol,
                     max_step, stats)
        bad = ~np.isfinite(Y)
        if bad.any():
            t_index = int(np.argmax(bad.any(axis=(0, 2))))
            raise SimulationError(nonfinite_message(compiled.row_names, bad[:, t_index],
                                                    "value", times[t_index], lo))
        values = compiled.outputs(times[:, None], 0.0, Y, P, S, [])
        store(compiled, out, slice(None), Y, values)
    check_finite(compiled, out, times, lo)
