"""What every integrator shares: a chunk's inputs in, its saved values out.

A chunk is a slice ``lo:hi`` of the runs of one :func:`gysim.simulate` call,
integrated together as one vectorized system (the run axis is the last axis
of every value). This module turns the resolved runs into the compiled
model's arguments (the parameter tuple, the initial state), writes the
values saved at the save points into the result arrays, checks them, and
finds the discontinuity times the adaptive methods must not step across.
The integrators themselves are in :mod:`gysim.engine.integrate_fixed_step`
and :mod:`gysim.engine.integrate_adaptive`.

Examples
--------
>>> import numpy as np, gysim
>>> from gysim.engine.integrate import Runs, initial_state, param_tuple
>>> m = gysim.Model("growth", start=0, stop=1)
>>> m.stock("x", 2.0)
>>> m.param("r", 0.1)
>>> m.flow("growth", "r * x", into="x")
>>> compiled = m.compile()
>>> runs = Runs(3, True, {}, {"r": np.array([0.1, 0.2, 0.3])})
>>> P = param_tuple(compiled, runs, 0, 2)
>>> P
(array([0.1, 0.2]),)
>>> initial_state(compiled, runs, 0, 2, 0.0, 0.0, P)[0]
array([[2., 2.]])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import SimulationError
from ..expr import constant_value

if TYPE_CHECKING:  # the compiled model is an argument, never imported at run time
    from .compiled import CompiledModel

__all__ = ["Runs", "SolverStats", "sizes", "full_value", "param_tuple", "initial_state",
           "store", "check_finite", "blank_after", "nonfinite_message", "break_times"]


@dataclass
class Runs:
    """Resolved run inputs: values shared by every run, and per-run arrays.

    Attributes
    ----------
    n : int
        Number of runs (1 for a single run).
    ensemble : bool
        Whether the results have a ``run`` dimension.
    scalars : dict
        Parameter (and overridden stock initial) values shared by every run:
        a float, or nested tuples over the element's dims.
    arrays : dict
        Per-run values: an array ``(n,)``, or ``(n, *sizes)`` over the dims.

    Examples
    --------
    >>> Runs(1, False, {"k": 0.5}).arrays
    {}
    """

    n: int
    ensemble: bool
    scalars: dict[str, Any]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class SolverStats:
    """Work counters of one simulation, summed over its chunks.

    Examples
    --------
    >>> stats = SolverStats()
    >>> stats.nfev += 4
    >>> stats
    SolverStats(nfev=4, njev=0, nlu=0, steps=0, chunks=0)
    """

    nfev: int = 0
    njev: int = 0
    nlu: int = 0
    steps: int = 0
    chunks: int = 0


def sizes(compiled: CompiledModel, name: str) -> tuple[int, ...]:
    """Sizes of the dims of a variable (``()`` without dims).

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("m")
    >>> m.dimension("sector", ["agri", "industry"])
    >>> m.param("k", 1.0, dims="sector")
    >>> m.aux("y", "2 * k", dims="sector")
    >>> sizes(m.compile(), "y"), sizes(m.compile(), "time")
    ((2,), ())
    """
    return tuple(len(compiled.dimensions[d]) for d in compiled.dims_of(name))


def full_value(compiled: CompiledModel, name: str, value: Any) -> Any:
    """A parameter or initial value over dims in full form, with a trailing run axis.

    Parameters
    ----------
    compiled : CompiledModel
    name : str
        The parameter or stock.
    value : number, tuple or array
        A number or nested tuple (the same for every run), a 1-D array of
        runs (broadcast over the dims) or an array ``(runs, *sizes)``.

    Returns
    -------
    number or numpy.ndarray
        ``value`` itself for an element without dims.

    Examples
    --------
    >>> import numpy as np, gysim
    >>> m = gysim.Model("m")
    >>> m.dimension("sector", ["agri", "industry"])
    >>> m.param("k", 1.0, dims="sector")
    >>> full_value(m.compile(), "k", np.array([1.0, 2.0, 3.0])).shape
    (2, 3)
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


def param_tuple(compiled: CompiledModel, runs: Runs, lo: int, hi: int) -> tuple:
    """The compiled model's ``P`` argument for runs ``lo:hi``.

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("m")
    >>> m.param("k", 0.5)
    >>> param_tuple(m.compile(), Runs(1, False, {"k": 0.5}), 0, 1)
    (np.float64(0.5),)
    """
    if compiled.dimensions:
        return tuple(full_value(compiled, n, runs.arrays[n][lo:hi] if n in runs.arrays
                                else runs.scalars[n]) for n in compiled.param_names)
    # numpy scalars, not Python floats: a division by zero gives inf (and is then
    # reported as a non-finite value) instead of raising ZeroDivisionError
    return tuple(runs.arrays[n][lo:hi] if n in runs.arrays else np.float64(runs.scalars[n])
                 for n in compiled.param_names)


def _initial_overrides(compiled: CompiledModel, runs: Runs, lo: int, hi: int) -> dict:
    ov = {}
    for i, s in enumerate(compiled.stock_names):
        if s in runs.arrays:
            ov[i] = full_value(compiled, s, runs.arrays[s][lo:hi])
        elif s in runs.scalars:
            ov[i] = full_value(compiled, s, runs.scalars[s])
    return ov


def initial_state(compiled: CompiledModel, runs: Runs, lo: int, hi: int, start: float,
                  step: float, P: tuple, check: bool = True) -> tuple[np.ndarray, list, list]:
    """The state rows at the start time for runs ``lo:hi``, checked finite.

    Parameters
    ----------
    compiled : CompiledModel
    runs : Runs
    lo, hi : int
        The chunk of runs.
    start : float
        The start time.
    step : float
        Time step of a fixed-step method (0 for the adaptive ones).
    P : tuple
        From :func:`param_tuple`.
    check : bool
        Raise if an initial value is not finite (else the caller masks the run).

    Returns
    -------
    y0 : numpy.ndarray
        Shape ``(compiled.n_state_rows, hi - lo)``.
    discrete : list
        Initial outputs of the fixed delays.
    delay_times : list
        Their delay times.

    Raises
    ------
    SimulationError
        If an initial value is not finite.

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("m")
    >>> m.stock("x", "1 / k")
    >>> m.param("k", 0.0)
    >>> with np.errstate(divide="ignore"):
    ...     initial_state(m.compile(), Runs(1, False, {"k": 0.0}), 0, 1, 0.0, 0.0,
    ...                   (np.float64(0),))
    Traceback (most recent call last):
    ...
    gysim.errors.SimulationError: non-finite initial value at time 0 in x (first bad run: 0); ...
    """
    n = hi - lo
    start = np.float64(start)
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
    if check and bad.any():
        raise SimulationError(nonfinite_message(compiled.row_names, bad, "initial value",
                                                start, lo))
    return y0, discrete, delay_times


def store(compiled: CompiledModel, out: dict, j: int | slice, Y: np.ndarray,
          values: Any) -> None:
    """Write stocks and outputs of saved time(s) ``j`` into the result slices.

    Parameters
    ----------
    compiled : CompiledModel
    out : dict
        Result arrays ``(time, *sizes, runs)`` of the chunk, by name (only the
        variables asked for).
    j : int or slice
        The saved time (fixed-step methods), or ``slice(None)`` for all of
        them (adaptive methods, ``Y`` then being ``(rows, time, runs)``).
    Y : numpy.ndarray
        State rows.
    values : sequence
        The outputs, in ``compiled.output_names`` order.

    Examples
    --------
    >>> import numpy as np, gysim
    >>> m = gysim.Model("m")
    >>> m.stock("x", 1.0)
    >>> out = {"x": np.zeros((2, 1))}
    >>> store(m.compile(), out, 1, np.array([[5.0]]), [])
    >>> out["x"].tolist()
    [[0.0], [5.0]]
    """
    if compiled.dimensions:
        return _store_dims(compiled, out, j, Y, values)
    for i, name in enumerate(compiled.stock_names):
        if name in out:
            out[name][j] = Y[i]
    for name, value in zip(compiled.output_names, values):
        if name in out:
            out[name][j] = value


def _store_dims(compiled, out, j, Y, values) -> None:
    """:func:`store` for models with dimensions: full-form values to (time, *dims, run)."""
    many = isinstance(j, slice)  # adaptive methods: Y is (rows, time, run)
    trailing = Y.shape[1:]

    def put(name, value):
        dims = compiled.dims_of(name)
        if not dims:
            out[name][j] = value
            return
        full = np.broadcast_to(value, compiled.full_shape(dims) + trailing).reshape(
            sizes(compiled, name) + trailing)
        out[name][j] = np.moveaxis(full, -2, 0) if many else full

    for name in compiled.stock_names:
        if name in out:
            a, b = compiled.state_rows[name]
            put(name, Y[a:b].reshape(compiled.full_shape(compiled.dims_of(name)) + trailing)
                if compiled.dims_of(name) else Y[a])
    for name, value in zip(compiled.output_names, values):
        if name in out:
            put(name, value)


def check_finite(compiled: CompiledModel, out: dict, times: np.ndarray, lo: int,
                 ends: np.ndarray | None = None) -> None:
    """Raise a :class:`SimulationError` naming the first non-finite saved value.

    ``ends`` (runs that end apart, :mod:`gysim.engine.final_time`): how many
    saved times each run has values at; the later ones are not checked.

    Examples
    --------
    >>> import numpy as np, gysim
    >>> m = gysim.Model("m")
    >>> m.stock("x", 1.0)
    >>> check_finite(m.compile(), {"x": np.array([[1.0], [np.inf]])}, np.array([0.0, 1.0]), 0)
    Traceback (most recent call last):
    ...
    gysim.errors.SimulationError: non-finite value at time 1 in x (first bad run: 0); ...
    """
    first = None  # the first variable (stocks, then outputs) with a non-finite value
    for name in compiled.stock_names + compiled.output_names:
        if name not in out:
            continue
        finite = np.isfinite(out[name])
        finite = finite.reshape(finite.shape[0], -1, finite.shape[-1]).all(axis=1)
        if ends is not None:
            finite |= np.arange(len(finite))[:, None] >= ends
        if finite.all():
            continue
        first = (int(np.argmax(~finite.all(axis=1))), name, finite)
        break
    if first is None:
        return
    t_index, name, finite = first
    run = lo + int(np.argmax(~finite[t_index]))
    if name in compiled.stock_names:
        raise SimulationError(nonfinite_message([name], ~finite[t_index][None, :], "value",
                                                times[t_index], lo))
    raise SimulationError(
        f"'{name}' is not finite at time {times[t_index]:g} (first bad run: {run}); check "
        f"divisions by zero, logs or square roots of negative values in its equation")


def blank_after(out: dict, ends: np.ndarray) -> None:
    """NaN in each run's saved values from saved time ``ends[run]`` on (runs that ended).

    Examples
    --------
    >>> out = {"x": np.ones((3, 2))}
    >>> blank_after(out, np.array([3, 1]))
    >>> out["x"].tolist()
    [[1.0, 1.0], [1.0, nan], [1.0, nan]]
    """
    for j in np.flatnonzero(ends < max((len(v) for v in out.values()), default=0)):
        for v in out.values():
            v[int(ends[j]):, ..., j] = np.nan


def nonfinite_message(state_names: list[str], bad: np.ndarray, what: str, time: float,
                      lo: int | np.ndarray) -> str:
    """The message for non-finite state values ``bad`` (rows x runs of the chunk).

    ``lo`` is the number of the chunk's first run, or the runs' numbers.

    Examples
    --------
    >>> nonfinite_message(["x", "_smooth0"], np.array([[False], [True]]), "value", 2.0, 10)
    'non-finite value at time 2 in a smooth/delay of the model (first bad run: 10); ...'
    """
    bad = np.atleast_2d(bad)
    names = list(dict.fromkeys(s for i, s in enumerate(state_names) if bad[i].any()))
    shown = [s for s in names if not s.startswith("_")] or ["a smooth/delay of the model"]
    first = int(np.argmax(bad.any(axis=0)))
    run = int(lo[first]) if np.ndim(lo) else lo + first
    return (f"non-finite {what} at time {time:g} in {', '.join(shown[:5])} "
            f"(first bad run: {run}); the model diverged or divided by zero: check its "
            f"parameters and equations, or use a smaller step")


def break_times(compiled: CompiledModel, runs: Runs) -> list[float]:
    """Discontinuity times (steps, pulses, ramps) that are the same for every run, sorted.

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("m", start=0, stop=10)
    >>> m.param("t0", 3.0)
    >>> m.aux("y", "step(1, t0 + 2)")
    >>> break_times(m.compile(), Runs(1, False, {"t0": 3.0}))
    [5.0]
    """
    values = {n: runs.scalars[n] for n in compiled.param_names if n not in runs.arrays}
    found = {constant_value(tree, values.get) for tree in compiled.breakpoints}
    return sorted(t for t in found if t is not None)  # None: varies between runs
