"""Fixed-step integration (Euler, RK4) with Vensim/PySD semantics, and fixed delays.

Every step evaluates the compiled derivatives once (Euler) or four times
(RK4) for all runs of a chunk together. At save points the derivatives and
the outputs come from one pass of the compiled ``rhs_outputs``. Fixed delays
(``delay_fixed``) read a ring buffer of their inputs, ``order`` steps back,
per run.

Examples
--------
>>> import numpy as np, gysim
>>> from gysim.engine.integrate_fixed_step import fixed_step
>>> from gysim.engine.integrate import Runs, SolverStats, initial_state, param_tuple
>>> m = gysim.Model("decay", start=0, stop=2)
>>> m.stock("x", 1.0)
>>> m.param("k", 0.5)
>>> m.flow("loss", "k * x", out_of="x")
>>> compiled, runs, times = m.compile(), Runs(1, False, {"k": 0.5}), np.array([0.0, 1.0, 2.0])
>>> P = param_tuple(compiled, runs, 0, 1)
>>> y0, discrete, delay_times = initial_state(compiled, runs, 0, 1, 0.0, 0.5, P)
>>> out = {"x": np.empty((3, 1))}
>>> fixed_step(compiled, P, compiled.prepare(P), y0, discrete, delay_times, "euler", 0.5,
...            times, SolverStats(), out)
>>> out["x"][:, 0].round(4).tolist()
[1.0, 0.5625, 0.3164]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .integrate import SolverStats, store

if TYPE_CHECKING:
    from .compiled import CompiledModel
    from .final_time import FinalTime

__all__ = ["fixed_step"]


def fixed_step(compiled: CompiledModel, P: tuple, S: tuple, y0: np.ndarray, discrete: list,
               delay_times: list, method: str, step: float, times: np.ndarray,
               stats: SolverStats, out: dict, final_time: FinalTime | None = None
               ) -> np.ndarray | None:
    """Euler or RK4 at a fixed step; stocks and outputs go to ``out`` at the saved steps.

    Parameters
    ----------
    compiled : CompiledModel
    P, S : tuple
        Parameters (:func:`~gysim.engine.integrate.param_tuple`) and what the
        compiled ``prepare`` made of them.
    y0 : numpy.ndarray
        Initial state rows ``(rows, runs)``; ``discrete`` and ``delay_times``
        are the fixed delays' initial outputs and delay times (all three from
        :func:`~gysim.engine.integrate.initial_state`).
    method : {"euler", "rk4"}
    step : float
        The time step; the interval between ``times`` is a whole multiple of it.
    times : numpy.ndarray
        Saved times, evenly spaced from the start time.
    stats : SolverStats
        Updated with the steps and derivative evaluations.
    out : dict
        Result arrays ``(time, *sizes, runs)`` by name, filled in place.
    final_time : FinalTime, optional
        A FINAL TIME that changes during the run
        (:mod:`gysim.engine.final_time`): evaluated at every step, it ends
        each run at the first step where the time reaches it.

    Returns
    -------
    numpy.ndarray or None
        With ``final_time``: the step at which each run ended (the number
        of steps + 1 for a run still going at the last time). The saved
        values after a run's end are left as they are (the caller blanks
        them). None without ``final_time``.

    Examples
    --------
    See the module's example.
    """
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
    # A delay longer than the run never releases anything within it: capping it at
    # n_steps + 1 steps changes no number and bounds its buffer by the run's length.
    orders = [np.broadcast_to(np.clip(np.round(np.asarray(T, float) / step + 1e-6), 1,
                                      n_steps + 1).astype(int), (n,)) for T in delay_times]
    # A delay over dimensions holds (*full shape, run) values per step (its buffer is made at
    # the first write, in the shape of its input and initial value together).
    inits = [np.broadcast_to(np.asarray(v, float), np.broadcast_shapes(np.shape(v), (n,)))
             for v in discrete]
    buffers: list = [None] * n_d
    # A delay whose order is the same for every run reads one buffer row; others per run.
    uniform = [int(o[0]) if (o == o[0]).all() else None for o in orders]
    cols = np.arange(n)
    D = list(inits)
    rhs, rhs_outputs = compiled.rhs, compiled.rhs_outputs
    ends = None if final_time is None else final_time.start(n, n_steps)
    for k in range(n_steps + 1):
        t = start + k * step
        for i in range(n_d):
            if not k:
                continue
            if uniform[i] is not None:
                if k >= uniform[i]:
                    D[i] = buffers[i][(k - uniform[i]) % len(buffers[i])].copy()
            else:  # each run its own row (the runs' axis comes first: put it back last)
                past = np.moveaxis(buffers[i][(k - orders[i]) % len(buffers[i]), ..., cols],
                                   0, -1)
                D[i] = np.where(k >= orders[i], past, inits[i])
        if k % save_every == 0 or ends is not None:  # derivatives and outputs in one pass
            values = rhs_outputs(t, step, Y, P, S, D, dY, DIN)
            if k % save_every == 0:
                store(compiled, out, k // save_every, Y, values)
            if ends is not None and final_time.note(ends, k, t, values[final_time.index]):
                break  # every run has ended
        else:
            rhs(t, step, Y, P, S, D, dY, DIN)
        if k == n_steps:
            break
        for i in range(n_d):  # before Y changes: an input may be a view of Y
            if buffers[i] is None:
                shape = np.broadcast_shapes(np.shape(DIN[i]), inits[i].shape)
                buffers[i] = np.empty((int(orders[i].max()),) + shape)
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
    stats.steps += k
    stats.nfev += k * (1 if method == "euler" else 4)
    return ends
