"""Adaptive integration with :func:`scipy.integrate.solve_ivp`, piece by piece.

All runs of a chunk are one flat system for ``solve_ivp``; its explicit
Runge-Kutta methods get per-run error control and the implicit ones scaled
tolerances (:mod:`gysim.engine.solvers`). LSODA sees each run's states
together (a banded Jacobian); BDF and Radau get the Jacobian's sparsity (runs
do not interact). The integration stops and restarts at every discontinuity
time (step, pulse, ramp) shared by all runs, so no step crosses a jump.

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
>>> Y = adaptive(compiled, P, compiled.prepare(P), y0, "RK45", np.array([0.0, 1.0]), [],
...              1e-8, 1e-10, None, SolverStats())
>>> Y.shape  # (rows, time, runs)
(1, 2, 2)
>>> np.allclose(Y[0, 1], np.exp([0.1, 0.2]))
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import sparse
from scipy.integrate import solve_ivp

from ..errors import SimulationError
from .integrate import SolverStats, nonfinite_message
from .solvers import scaled_tolerances, solver_for

if TYPE_CHECKING:
    from .compiled import CompiledModel

__all__ = ["adaptive"]


def adaptive(compiled: CompiledModel, P: tuple, S: tuple, y0: np.ndarray, method: str,
             times: np.ndarray, breaks: list[float], rtol: float, atol: float,
             max_step: float | None, stats: SolverStats) -> np.ndarray:
    """Integrate with a ``solve_ivp`` method; the state rows at the saved times.

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

    Returns
    -------
    numpy.ndarray
        Shape ``(rows, time, runs)``.

    Raises
    ------
    SimulationError
        If the solver fails (the message names non-finite derivatives).

    Examples
    --------
    See the module's example.
    """
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
                    where = "; " + nonfinite_message(compiled.row_names, bad, "derivative",
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
