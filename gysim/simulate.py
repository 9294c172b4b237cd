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

import json
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import xarray as xr
from scipy import sparse
from scipy.integrate import solve_ivp

from ._version import __version__
from ._text import suggest
from .compile import CompiledModel
from .errors import ModelDefinitionError, ParameterError, SimulationError
from .expr import BinOp, Const, Name, walk
from .model import Model, Param, Stock, _check_number
from .solvers import scaled_tolerances, solver_for

__all__ = ["simulate", "METHODS", "FIXED_STEP_METHODS"]

FIXED_STEP_METHODS = ("euler", "rk4")
ADAPTIVE_METHODS = ("RK45", "RK23", "DOP853", "LSODA", "BDF", "Radau")
METHODS = FIXED_STEP_METHODS + ADAPTIVE_METHODS
#: Default budget of state values (stocks x runs) integrated at once.
STATE_BUDGET = 2_000_000


@dataclass
class _Runs:
    """Resolved run inputs: scalar values and per-run arrays of parameters and initials."""

    n: int
    ensemble: bool
    scalars: dict[str, float]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class _Stats:
    nfev: int = 0
    njev: int = 0
    nlu: int = 0
    steps: int = 0
    chunks: int = 0


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
        coordinates. Attributes hold units, docs and provenance.

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
    """
    if not isinstance(model, Model):
        raise ModelDefinitionError(f"`model` must be a gysim.Model, got {type(model).__name__}")
    compiled = model.compile()
    if check_units if check_units is not None else getattr(model, "check_units_on_run", True):
        compiled.check_units()
    method = _check_method(model.method if method is None else method)
    start = model.start
    stop = model.stop if stop is None else _check_number(stop, "`stop`")
    if stop <= start:
        raise ModelDefinitionError(f"`stop` must be after the start time {start:g}, got {stop:g}")
    saveper = _check_number(getattr(model, "saveper", 1.0) if saveper is None else saveper,
                            "`saveper`")
    if saveper <= 0:
        raise ModelDefinitionError(f"`saveper` must be positive, got {saveper!r}")
    rtol = _check_number(rtol, "`rtol`")
    atol = _check_number(atol, "`atol`")
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
        step = _check_number(step, "`dt`")
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
    if max_step is not None and _check_number(max_step, "`max_step`") <= 0:
        raise ModelDefinitionError(f"`max_step` must be positive, got {max_step!r}")

    runs = _resolve_runs(model, params, scenario)
    names = _select_variables(compiled, variables)
    if chunk_size is None:
        chunk_size = max(1, STATE_BUDGET // max(1, compiled.n_state_rows))
    elif isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) \
            or chunk_size < 1:
        raise ModelDefinitionError(f"`chunk_size` must be a positive integer, got {chunk_size!r}")

    stats = _Stats()
    result = {n: np.empty((n_save,) + _sizes(compiled, n) + (runs.n,)) for n in names}
    with np.errstate(all="ignore"):
        for lo in range(0, runs.n, chunk_size):
            hi = min(runs.n, lo + chunk_size)
            _integrate_chunk(compiled, runs, lo, hi, method, step, times, rtol, atol, max_step,
                             stats, result)
            stats.chunks += 1
    return _to_dataset(model, compiled, result, times, runs, method, step, saveper, rtol, atol,
                       scenario, stats)


def _sizes(compiled: CompiledModel, name: str) -> tuple[int, ...]:
    """Sizes of the dims of a variable (``()`` without dims)."""
    return tuple(len(compiled.dimensions[d]) for d in compiled.dims_of(name))


def _full_value(compiled: CompiledModel, name: str, value: Any) -> Any:
    """A parameter or initial value over dims in full form, with a trailing run axis.

    ``value`` is a number or nested tuple (the same for every run), a 1-D array
    of runs (broadcast over the dims) or an array ``(runs, *sizes)``.
    """
    dims = compiled.dims_of(name)
    if not dims:
        return value
    full = compiled.full_shape(dims)
    if isinstance(value, tuple):
        return np.asarray(value, dtype=float).reshape(full + (1,))
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return np.full(full + (1,), float(arr))
    if arr.ndim == 1:
        return np.broadcast_to(arr, full + arr.shape)
    return np.moveaxis(arr, 0, -1).reshape(full + (arr.shape[0],))


def _check_method(method: Any) -> str:
    if method not in METHODS:
        close = suggest(str(method), METHODS)
        raise ModelDefinitionError(f"`method` must be one of {', '.join(METHODS)}, got {method!r}"
                                   f"{close}")
    return method


def _resolve_runs(model: Model, params: Any, scenario: str | None) -> _Runs:
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
        element = model._settable(key, where="params")
        if np.ndim(value) == 0 or (isinstance(value, tuple) and scenario is not None
                                   and model.scenarios[scenario].overrides.get(key) is value):
            # a number, a mapping of labels, or a scenario's checked per-element values
            scalars[key] = model._checked_value(key, value)
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
    return _Runs(n or 1, n is not None, scalars, arrays)


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
            reason = (f"is a {kind}; it is recorded in the Dataset's attrs (or as a run "
                      f"coordinate), not as a variable" if kind else
                      f"is not a variable of model '{compiled.model.name}'"
                      f"{suggest(str(v), available)}")
            raise ModelDefinitionError(f"`variables`: '{v}' {reason}")
        if v not in chosen:
            chosen.append(v)
    return chosen


def _param_tuple(compiled: CompiledModel, runs: _Runs, lo: int, hi: int) -> tuple:
    if compiled.dimensions:
        return tuple(_full_value(compiled, n, runs.arrays[n][lo:hi] if n in runs.arrays
                                 else runs.scalars[n]) for n in compiled.param_names)
    # numpy scalars, not Python floats: a division by zero gives inf (and is then
    # reported as a non-finite value) instead of raising ZeroDivisionError
    return tuple(runs.arrays[n][lo:hi] if n in runs.arrays else np.float64(runs.scalars[n])
                 for n in compiled.param_names)


def _initial_overrides(compiled: CompiledModel, runs: _Runs, lo: int, hi: int) -> dict:
    ov = {}
    for i, s in enumerate(compiled.stock_names):
        if s in runs.arrays:
            ov[i] = _full_value(compiled, s, runs.arrays[s][lo:hi])
        elif s in runs.scalars:
            ov[i] = _full_value(compiled, s, runs.scalars[s])
    return ov


def _integrate_chunk(compiled, runs, lo, hi, method, step, times, rtol, atol, max_step, stats,
                     result):
    """Integrate runs lo:hi and write their saved values into ``result[name][:, lo:hi]``."""
    n = hi - lo
    P = _param_tuple(compiled, runs, lo, hi)
    S = compiled.prepare(P)
    start = np.float64(times[0])
    states, discrete, delay_times = compiled.init(start, step, P, _initial_overrides(
        compiled, runs, lo, hi))
    y0 = np.empty((compiled.n_state_rows, n))
    for name, value in zip(compiled.state_names, states):
        a, b = compiled.state_rows[name]
        if compiled.dims_of(name):
            shape = compiled.full_shape(compiled.dims_of(name)) + (n,)
            y0[a:b] = np.broadcast_to(value, shape).reshape(b - a, n)
        else:
            y0[a] = value
    bad = ~np.isfinite(y0)
    if bad.any():
        raise SimulationError(_nonfinite_message(compiled.row_names, bad, "initial value",
                                                 start, lo))
    out = {name: array[..., lo:hi] for name, array in result.items()}
    if method in FIXED_STEP_METHODS:
        _fixed_step(compiled, P, S, y0, discrete, delay_times, method, step, times, stats, out)
    else:
        Y = _adaptive(compiled, P, S, y0, method, times, _break_times(compiled, runs), rtol, atol,
                      max_step, stats)
        bad = ~np.isfinite(Y)
        if bad.any():
            t_index = int(np.argmax(bad.any(axis=(0, 2))))
            raise SimulationError(_nonfinite_message(compiled.row_names, bad[:, t_index],
                                                     "value", times[t_index], lo))
        values = compiled.outputs(times[:, None], 0.0, Y, P, S, [])
        _store(compiled, out, slice(None), Y, values)
    _check_finite(compiled, out, times, lo)


def _store(compiled, out, j, Y, values) -> None:
    """Write stocks and outputs of saved time(s) ``j`` into the result slices."""
    if compiled.dimensions:
        return _store_dims(compiled, out, j, Y, values)
    for i, name in enumerate(compiled.stock_names):
        if name in out:
            out[name][j] = Y[i]
    for name, value in zip(compiled.output_names, values):
        if name in out:
            out[name][j] = value


def _store_dims(compiled, out, j, Y, values) -> None:
    """:func:`_store` for models with dimensions: full-form values to (time, *dims, run)."""
    many = isinstance(j, slice)  # adaptive methods: Y is (rows, time, run)
    trailing = Y.shape[1:]

    def put(name, value):
        dims = compiled.dims_of(name)
        if not dims:
            out[name][j] = value
            return
        sizes = _sizes(compiled, name)
        full = np.broadcast_to(value, compiled.full_shape(dims) + trailing).reshape(
            sizes + trailing)
        out[name][j] = np.moveaxis(full, -2, 0) if many else full

    for name in compiled.stock_names:
        if name in out:
            a, b = compiled.state_rows[name]
            put(name, Y[a:b].reshape(compiled.full_shape(compiled.dims_of(name)) + trailing)
                if compiled.dims_of(name) else Y[a])
    for name, value in zip(compiled.output_names, values):
        if name in out:
            put(name, value)


def _check_finite(compiled, out, times, lo) -> None:
    for name in compiled.stock_names + compiled.output_names:
        if name not in out:
            continue
        finite = np.isfinite(out[name])
        if finite.all():
            continue
        finite = finite.reshape(finite.shape[0], -1, finite.shape[-1]).all(axis=1)
        t_index = int(np.argmax(~finite.all(axis=1)))
        run = lo + int(np.argmax(~finite[t_index]))
        if name in compiled.stock_names:
            raise SimulationError(_nonfinite_message([name], ~finite[t_index][None, :], "value",
                                                     times[t_index], lo))
        raise SimulationError(
            f"'{name}' is not finite at time {times[t_index]:g} (first bad run: {run}); check "
            f"divisions by zero, logs or square roots of negative values in its equation")


def _nonfinite_message(state_names, bad, what, time, lo):
    bad = np.atleast_2d(bad)
    names = list(dict.fromkeys(s for i, s in enumerate(state_names) if bad[i].any()))
    shown = [s for s in names if not s.startswith("_")] or ["a smooth/delay of the model"]
    run = lo + int(np.argmax(bad.any(axis=0)))
    return (f"non-finite {what} at time {time:g} in {', '.join(shown[:5])} "
            f"(first bad run: {run}); the model diverged or divided by zero: check its "
            f"parameters and equations, or use a smaller step")


def _break_times(compiled: CompiledModel, runs: _Runs) -> list[float]:
    """Discontinuity times that are the same for every run, sorted."""
    found = set()
    values = {n: runs.scalars[n] for n in compiled.param_names if n not in runs.arrays}
    for tree in compiled.breakpoints:
        if any(isinstance(node, Name) and node.id not in values for node in walk(tree)):
            continue  # varies between runs
        value = _evaluate_constant(tree, values)
        if np.isfinite(value):
            found.add(float(value))
    return sorted(found)


def _evaluate_constant(tree, values) -> float:
    if isinstance(tree, Const):
        return tree.value
    if isinstance(tree, Name):
        return values[tree.id]
    if isinstance(tree, BinOp) and tree.op in "+-*/":
        a, b = _evaluate_constant(tree.left, values), _evaluate_constant(tree.right, values)
        return {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else np.nan}[tree.op]
    return np.nan


def _fixed_step(compiled, P, S, y0, discrete, delay_times, method, step, times, stats, out):
    """Euler or RK4 at a fixed step; stocks and outputs go to ``out`` at the saved steps."""
    n_state, n = y0.shape
    start = np.float64(times[0])
    save_every = int(round((times[1] - times[0]) / step)) if len(times) > 1 else 1
    n_steps = (len(times) - 1) * save_every
    Y = y0.copy()
    dY = np.empty_like(Y)
    n_d = len(compiled.delays_fixed)
    DIN = [None] * n_d
    scratch = [None] * n_d
    # Fixed delays: a ring buffer per delay, read `order` steps back (per run).
    orders = [np.broadcast_to(np.maximum(np.round(np.asarray(T, float) / step + 1e-6), 1)
                              .astype(int), (n,)) for T in delay_times]
    buffers = [np.empty((int(o.max()), n)) for o in orders]
    inits = [np.broadcast_to(np.asarray(v, float), (n,)) for v in discrete]
    # A delay whose order is the same for every run reads one buffer row; others per run.
    uniform = [int(o[0]) if (o == o[0]).all() else None for o in orders]
    cols = np.arange(n)
    D = list(inits)
    rhs, rhs_outputs = compiled.rhs, compiled.rhs_outputs
    for k in range(n_steps + 1):
        t = start + k * step
        for i in range(n_d):
            if not k:
                continue
            if uniform[i] is not None:
                if k >= uniform[i]:
                    D[i] = buffers[i][(k - uniform[i]) % len(buffers[i])].copy()
            else:
                past = buffers[i][(k - orders[i]) % len(buffers[i]), cols]
                D[i] = np.where(k >= orders[i], past, inits[i])
        if k % save_every == 0:  # saved step: derivatives and outputs in one pass
            _store(compiled, out, k // save_every, Y, rhs_outputs(t, step, Y, P, S, D, dY, DIN))
        else:
            rhs(t, step, Y, P, S, D, dY, DIN)
        if k == n_steps:
            break
        for i in range(n_d):  # before Y changes: an input may be a view of Y
            buffers[i][k % len(buffers[i])] = DIN[i]
        if method == "euler":
            dY *= step
            Y += dY
        else:
            k1 = dY.copy()
            k2 = rhs(t + step / 2, step, Y + step / 2 * k1, P, S, D, np.empty_like(Y),
                     scratch).copy()
            k3 = rhs(t + step / 2, step, Y + step / 2 * k2, P, S, D, np.empty_like(Y),
                     scratch).copy()
            k4 = rhs(t + step, step, Y + step * k3, P, S, D, np.empty_like(Y), scratch)
            Y += step / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    stats.steps += n_steps
    stats.nfev += n_steps * (1 if method == "euler" else 4)


def _adaptive(compiled, P, S, y0, method, times, breaks, rtol, atol, max_step, stats):
    n_state, n = y0.shape
    shape = (n_state, n)
    rhs = compiled.rhs
    empty: list = []
    options: dict[str, Any] = {}
    if max_step is not None:
        options["max_step"] = max_step
    run_major = method == "LSODA" and n > 1 and n_state > 0
    if run_major:
        # LSODA takes a banded Jacobian: keep each run's states together.
        options.update(lband=n_state - 1, uband=n_state - 1)

        def fun(t, y):
            dY = np.empty(shape)
            rhs(t, 0.0, y.reshape(n, n_state).T, P, S, empty, dY, empty)
            return dY.T.ravel()
        y_start = y0.T.ravel()
    else:
        if method in ("BDF", "Radau") and n > 1:
            options["jac_sparsity"] = sparse.kron(np.ones((n_state, n_state)),
                                                  sparse.identity(n, format="csr"), format="csr")

        def fun(t, y):
            dY = np.empty(shape)
            rhs(t, 0.0, y.reshape(shape), P, S, empty, dY, empty)
            return dY.ravel()
        y_start = y0.ravel()
    if len(times) == 1:
        return y0[:, None, :]
    solver = solver_for(method, n_state=n_state, n_runs=n, run_major=run_major)
    rtol, atol = scaled_tolerances(method, rtol, atol, n)
    # Integrate from one discontinuity (step, ramp, pulse time) to the next, so
    # the solver never steps across a jump: each piece sees the time clamped to
    # its own side of the jump.
    edges = [float(times[0])] + [b for b in breaks if times[0] < b < times[-1]] \
        + [float(times[-1])]
    pieces = []
    y_now = y_start
    for a, b in zip(edges[:-1], edges[1:]):
        eps = 1e-9 * max(1.0, abs(a), abs(b))
        lo_t, hi_t = a + eps, b - eps

        def piece(t, y, lo_t=lo_t, hi_t=hi_t):
            return fun(min(max(t, lo_t), hi_t), y)
        inside = times[(times >= a) & (times <= b)]
        t_eval = np.unique(np.r_[a, inside, b])
        sol = solve_ivp(piece, (a, b), y_now, method=solver, t_eval=t_eval, rtol=rtol,
                        atol=atol, **options)
        stats.nfev += int(sol.nfev)
        stats.njev += int(sol.njev)
        stats.nlu += int(sol.nlu)
        sol_t, sol_y = np.asarray(sol.t), np.asarray(sol.y)
        if sol.status != 0 or sol_y.ndim != 2 or sol_y.shape[1] != len(t_eval):
            t_fail = float(sol_t[-1]) if sol_t.size else a
            where = ""
            try:
                y_last = sol_y[:, -1] if sol_y.ndim == 2 and sol_y.size else y_now
                dY = fun(t_fail, y_last).reshape((n, n_state) if run_major else shape)
                dY = dY.T if run_major else dY
                bad = ~np.isfinite(dY)
                if bad.any():
                    where = "; " + _nonfinite_message(compiled.row_names, bad, "derivative",
                                                      t_fail, 0)
            except Exception:  # pragma: no cover - diagnosis must not hide the failure
                pass
            raise SimulationError(f"{method} failed at time {t_fail:g}: {sol.message}{where}")
        keep = np.isin(t_eval, inside) & ~np.isin(t_eval, [p[0] for p in pieces])
        pieces.extend((t, sol_y[:, j]) for j, t in enumerate(t_eval) if keep[j])
        y_now = sol_y[:, -1]
    sol_y = np.stack([y for _, y in pieces], axis=1)
    y = sol_y.reshape((n, n_state, len(times))).transpose(1, 2, 0) if run_major \
            else sol_y.reshape((n_state, n, len(times))).transpose(0, 2, 1)
    return y


def _to_dataset(model, compiled, result, times, runs, method, step, saveper, rtol, atol,
                scenario, stats) -> xr.Dataset:
    elements = model.elements
    data_vars = {}
    dims = ("time", "run") if runs.ensemble else ("time",)
    for name, values in result.items():
        e = elements[name]
        attrs = {"units": e.units, "long_name": e.doc or name, "kind": e.kind,
                 "equation": e.equation}
        if e.source:
            attrs["source"] = e.source
        var_dims = compiled.dims_of(name)
        full_dims = ("time",) + var_dims + dims[1:]
        data_vars[name] = (full_dims, values if runs.ensemble else values[..., 0], attrs)
    coords: dict[str, Any] = {"time": ("time", times, {"units": model.time_units})}
    used = {d for name in result for d in compiled.dims_of(name)}
    used |= {d for name in runs.arrays for d in compiled.dims_of(name)
             if np.ndim(runs.arrays[name]) > 1}
    for d, labels in compiled.dimensions.items():
        if d in used:
            coords[d] = (d, np.array(labels, dtype=object))
    if runs.ensemble:
        coords["run"] = ("run", np.arange(runs.n))
        for name, arr in runs.arrays.items():
            label = name
            if isinstance(elements[name], Stock):  # the stock itself is a data variable
                label = f"{name}_initial"
                while label in elements:
                    label += "_"
            coords[label] = ((compiled.dims_of(name) + ("run",)) if arr.ndim > 1 else "run",
                             arr if arr.ndim == 1 else np.moveaxis(arr, 0, -1),
                             {"units": elements[name].units,
                              "long_name": elements[name].doc or name})
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
    if method in FIXED_STEP_METHODS:
        attrs.update(dt=step, solver_steps=stats.steps)
    else:
        attrs.update(rtol=rtol, atol=atol, solver_njev=stats.njev, solver_nlu=stats.nlu)
    return xr.Dataset(data_vars, coords=coords, attrs=attrs)
