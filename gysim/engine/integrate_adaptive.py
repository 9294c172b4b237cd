"""Adaptive integration with :func:`scipy.integrate.solve_ivp`, piece by piece.

All runs of a chunk are one flat system for ``solve_ivp``; its explicit
Runge-Kutta methods get per-run error control and the implicit ones scaled
tolerances (:mod:`gysim.engine.solvers`). LSODA sees each run's states
together (a banded Jacobian); BDF and Radau get the Jacobian's sparsity (runs
do not interact). The integration stops and restarts at every discontinuity
time (step, pulse, ramp) shared by all runs, so no step crosses a jump.

The solver is stepped here rather than through ``solve_ivp``, so that every
step can be checked: a non-finite state or derivative, a failure of the
solver (scipy's own message or exception) and the work limits
(:data:`~gysim.engine.limits.MAX_RHS_EVALS`, ``max_seconds``) all end the
integration with a :class:`Failure` naming the time reached and the run(s)
it is blamed on, which :func:`gysim.simulate` raises or masks.

Examples
--------
>>> import numpy as np, gysim
>>> from gysim.engine.integrate_adaptive import adaptive
>>> from gysim.engine.integrate import Runs, SolverStats, initial_state, param_tuple
>>> m = gysim.Model("growth", start=0, stop=1)
>>> m.stock("x", 1.0)
>>> m.param("r", 0.1)
>>> m.flow("growth", "r * x", into="x")
>>> compiled = m.compile()
>>> runs = Runs(2, True, {}, {"r": np.array([0.1, 0.2])})
>>> P = param_tuple(compiled, runs, 0, 2)
>>> y0 = initial_state(compiled, runs, 0, 2, 0.0, 0.0, P)[0]
>>> Y, failure = adaptive(compiled, P, compiled.prepare(P), y0, "RK45", np.array([0.0, 1.0]),
...                       [], 1e-8, 1e-10, None, SolverStats())
>>> Y.shape, failure  # (rows, time, runs)
((1, 2, 2), None)
>>> np.allclose(Y[0, 1], np.exp([0.1, 0.2]))
True
"""

from __future__ import annotations

import time as _time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
from scipy import sparse
from scipy.integrate import BDF, DOP853, LSODA, RK23, RK45, Radau

from .integrate import SolverStats, nonfinite_message
from .limits import MAX_RHS_EVALS
from .solvers import scaled_tolerances, solver_for

if TYPE_CHECKING:
    from .compiled import CompiledModel

__all__ = ["adaptive", "Failure"]

_CLASSES = {"RK45": RK45, "RK23": RK23, "DOP853": DOP853, "LSODA": LSODA, "BDF": BDF,
            "Radau": Radau}
#: What a scipy solver raises when the model breaks it (a singular or non-finite
#: Jacobian, an overflow); turned into a :class:`Failure`.
_SOLVER_ERRORS = (ArithmeticError, ValueError, RuntimeError, np.linalg.LinAlgError)


@dataclass
class Failure:
    """Why and where an adaptive integration stopped.

    Attributes
    ----------
    time : float
        The time the integration reached.
    runs : numpy.ndarray
        Positions (in the integrated runs) of the runs it is blamed on.
    message : str
        The whole message of the :class:`~gysim.errors.SimulationError`.
    maskable : bool
        Whether the failure belongs to those runs (a non-finite value, the
        solver's failure), so ``on_error="mask"`` may drop them and go on;
        False when a work limit stopped the integration as a whole.

    Examples
    --------
    >>> Failure(0.2, np.array([3]), "RK45 failed").maskable
    True
    """

    time: float
    runs: np.ndarray
    message: str
    maskable: bool = True


#: A step no longer than this times the time is no progress (scipy's explicit methods
#: stop at 10 machine epsilons; LSODA does not stop at all).
_TINY = 10 * np.finfo(float).eps


class _OverBudget(Exception):
    """The derivative evaluations or the wall time of one integration ran out."""


def adaptive(compiled: CompiledModel, P: tuple, S: tuple, y0: np.ndarray, method: str,
             times: np.ndarray, breaks: list[float], rtol: float, atol: float,
             max_step: float | None, stats: SolverStats, *, run_ids: np.ndarray | None = None,
             max_rhs_evals: float | None = MAX_RHS_EVALS,
             max_seconds: float | None = None,
             rhs: Callable | None = None) -> tuple[np.ndarray, Failure | None]:
    """Integrate with a scipy ``OdeSolver``; the state rows at the saved times.

    The solver is stepped here (as ``solve_ivp`` would) so that every
    accepted step is checked: the states and, where the solver keeps it, the
    derivative must be finite, and the derivatives at the start of each
    piece too (a NaN derivative there used to make RK45 loop forever).

    Parameters
    ----------
    compiled : CompiledModel
    P, S : tuple
        Parameters and what the compiled ``prepare`` made of them.
    y0 : numpy.ndarray
        Initial state rows ``(rows, runs)``.
    method : str
        ``"RK45"``, ``"RK23"``, ``"DOP853"``, ``"LSODA"``, ``"BDF"`` or ``"Radau"``.
    times : numpy.ndarray
        Saved times, increasing, the first being the start time.
    breaks : list of float
        Discontinuity times (:func:`~gysim.engine.integrate.break_times`).
    rtol, atol : float
        Tolerances every run meets.
    max_step : float or None
        Largest step.
    stats : SolverStats
        Updated with the solver's evaluations.
    run_ids : numpy.ndarray, optional
        The numbers of the runs (for messages); default ``0..runs-1``.
    max_rhs_evals : float or None
        Most derivative evaluations (:data:`~gysim.engine.limits.MAX_RHS_EVALS`).
    max_seconds : float or None
        Most wall time, in seconds.
    rhs : callable, optional
        The derivatives, with the signature of ``compiled.rhs`` (which is
        the default): e.g. a numba kernel's
        (:meth:`gysim.engine.numba_backend.Kernel.rhs`).

    Returns
    -------
    Y : numpy.ndarray
        Shape ``(rows, time, runs)``; NaN at the times not reached.
    failure : Failure or None
        Why the integration stopped early, if it did.

    Examples
    --------
    See the module's example.
    """
    n_state, n = y0.shape
    ids = np.arange(n) if run_ids is None else np.asarray(run_ids)
    Y = np.full((n_state, len(times), n), np.nan)
    Y[:, 0] = y0
    if len(times) == 1 or n_state == 0:
        if n_state == 0:
            Y = np.empty((0, len(times), n))
        return Y, None
    shape = (n_state, n)
    rhs = compiled.rhs if rhs is None else rhs
    empty: list = []
    options: dict[str, Any] = {}
    if max_step is not None:
        options["max_step"] = max_step
    run_major = method == "LSODA" and n > 1
    if run_major:
        # LSODA takes a banded Jacobian: keep each run's states together.
        options.update(lband=n_state - 1, uband=n_state - 1)

        def raw(t, y):
            dY = np.empty(shape)
            rhs(t, 0.0, y.reshape(n, n_state).T, P, S, empty, dY, empty)
            return dY.T.ravel()

        def rows(flat):  # flat state vector -> (rows, runs)
            return flat.reshape(n, n_state).T
        y_now = y0.T.ravel()
    else:
        if method in ("BDF", "Radau") and n > 1:
            options["jac_sparsity"] = sparse.kron(np.ones((n_state, n_state)),
                                                  sparse.identity(n, format="csr"), format="csr")

        def raw(t, y):
            dY = np.empty(shape)
            rhs(t, 0.0, y.reshape(shape), P, S, empty, dY, empty)
            return dY.ravel()

        def rows(flat):
            return flat.reshape(shape)
        y_now = y0.ravel()
    solver_class = solver_for(method, n_state=n_state, n_runs=n, run_major=run_major)
    if isinstance(solver_class, str):
        solver_class = _CLASSES[solver_class]
    tol = scaled_tolerances(method, rtol, atol, n)
    budget = {"nfev": 0, "limit": np.inf if max_rhs_evals is None else max_rhs_evals,
              "deadline": np.inf if max_seconds is None else _time.monotonic() + max_seconds,
              "why": ""}

    def fun(t, y):
        budget["nfev"] += 1
        if budget["nfev"] > budget["limit"]:
            budget["why"] = (f"after {budget['nfev'] - 1} derivative evaluations, the limit "
                             f"`max_rhs_evals`={max_rhs_evals:g} "
                             f"(default gysim.engine.limits.MAX_RHS_EVALS)")
            raise _OverBudget
        if _time.monotonic() > budget["deadline"]:
            budget["why"] = f"after {max_seconds:g} s, the limit `max_seconds`"
            raise _OverBudget
        return raw(t, y)

    def fail(t: float, y: np.ndarray, why: str, what: str = "") -> Failure:
        return _diagnose(compiled, method, raw, rows, t, y, why, what, ids, rtol, atol)

    # Integrate from one discontinuity (step, ramp, pulse time) to the next, so
    # the solver never steps across a jump: each piece sees the time clamped to
    # its own side of the jump.
    edges = [float(times[0])] + [b for b in breaks if times[0] < b < times[-1]] \
        + [float(times[-1])]
    now = {"t": float(times[0]), "y": y_now}  # the last accepted point
    k = 1  # the next saved time to fill
    failure = None
    try:
        for a, b in zip(edges[:-1], edges[1:]):
            failure, k = _piece(solver_class, fun, a, b, now, tol, options, times, k, Y, rows,
                                fail, stats)
            if failure is not None:
                break
    except _OverBudget:
        failure = fail(now["t"], now["y"], budget["why"], "budget")
    stats.nfev += int(budget["nfev"])
    return Y, failure


def _piece(solver_class: Any, fun: Callable, a: float, b: float, now: dict, tol: tuple,
           options: dict, times: np.ndarray, k: int, Y: np.ndarray, rows: Callable,
           fail: Callable, stats: SolverStats) -> tuple[Failure | None, int]:
    """Integrate from ``a`` to ``b`` (no discontinuity between), checking every step."""
    eps = 1e-9 * max(1.0, abs(a), abs(b))

    def piece(t, y):
        return fun(min(max(t, a + eps), b - eps), y)
    y = now["y"]
    f0 = piece(a, y)
    if not (np.isfinite(f0).all() and np.isfinite(y).all()):
        return fail(a, y, "", "derivative"), k
    try:
        solver = solver_class(piece, a, y, b, rtol=tol[0], atol=tol[1], **options)
    except _SOLVER_ERRORS as err:
        return fail(a, y, f"{type(err).__name__}: {err}"), k
    failure = None
    try:
        while solver.status == "running":
            try:
                message = solver.step()
            except _SOLVER_ERRORS as err:
                message, solver.status = f"{type(err).__name__}: {err}", "failed"
            if solver.status == "failed":
                failure = fail(now["t"], now["y"], str(message))
                break
            f_new = getattr(solver, "f", None)  # the derivative at the new point, if kept
            if not (np.isfinite(solver.y).all() and (f_new is None
                                                      or np.isfinite(f_new).all())):
                failure = fail(solver.t, solver.y, "", "derivative")
                break
            if solver.t - now["t"] <= _TINY * max(1.0, abs(solver.t)) and solver.t < b:
                # LSODA near a pole: steps at the spacing of the numbers, forever
                failure = fail(now["t"], now["y"], "the step size fell to the spacing of the "
                                                   "numbers near this time")
                break
            now["t"], now["y"] = solver.t, solver.y
            end = int(np.searchsorted(times, solver.t, side="right"))
            if end > k:
                values = solver.dense_output()(times[k:end])
                for j in range(end - k):
                    Y[:, k + j] = rows(values[:, j])
                k = end
    finally:
        stats.njev += int(getattr(solver, "njev", 0) or 0)
        stats.nlu += int(getattr(solver, "nlu", 0) or 0)
    return failure, k


def _diagnose(compiled: CompiledModel, method: str, raw: Callable, rows: Callable, t: float,
              y: np.ndarray, why: str, what: str, ids: np.ndarray, rtol: float,
              atol: float) -> Failure:
    """The failure at ``(t, y)``: the runs with non-finite values, else the fastest one."""
    why = why.rstrip(". ")
    state = rows(np.asarray(y, dtype=float))
    try:
        with np.errstate(all="ignore"):
            deriv = rows(raw(t, np.asarray(y, dtype=float)))
    except Exception:  # noqa: BLE001 - the diagnosis must not hide the failure
        deriv = np.full_like(state, np.nan)
    bad = ~np.isfinite(state) | ~np.isfinite(deriv)
    if bad.any():
        runs = np.flatnonzero(bad.any(axis=0))
        kind = "value" if (~np.isfinite(state)).any() else "derivative"
        more = f"; {len(runs)} runs of this chunk are affected" if len(runs) > 1 else ""
        text = (f"{method} stopped at time {t:g}: "
                + nonfinite_message(compiled.row_names, bad, kind, t, ids) + more)
        if why and what != "budget":
            text += f" (the solver said: {why})"
        return Failure(float(t), runs, text)
    with np.errstate(all="ignore"):
        rate = np.sqrt(np.mean((deriv / (atol + rtol * np.abs(state))) ** 2, axis=0))
    worst = int(np.argmax(np.nan_to_num(rate, nan=np.inf)))
    others = " or ".join(repr(m) for m in ("BDF", "LSODA") if m != method)
    runs = np.array([worst])
    fastest = (f" (of the {len(ids)} runs integrated together, the one whose states change "
               f"fastest there)" if len(ids) > 1 else "")
    if what == "budget":
        return Failure(float(t), runs, (
            f"{method} stopped at time {t:g} {why}; run {int(ids[worst])}{fastest} is probably "
            f"stiff or diverging: try method={others} or a fixed step, or pass a "
            f"larger `max_rhs_evals=`/`max_seconds=` (None: no limit)"), maskable=False)
    return Failure(float(t), runs, (
        f"{method} failed at time {t:g} in run {int(ids[worst])}{fastest}: {why}; the model "
        f"may blow up in finite time there or be too stiff for {method}: check its parameters "
        f"and equations, or try method={others} or a fixed step"))
