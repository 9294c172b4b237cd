"""The model run many times as an ensemble, straight into arrays: observed series at observed times.

A sampler evaluates the likelihood thousands of times on ensembles of the
same shape. :func:`gysim.simulate` checks its options, the units and the
memory, compiles (a cache look-up), chooses the backend and builds an
xarray Dataset with every parameter as a coordinate on each call; for the
few dozen runs of an emcee half-step that costs more than the integration
itself. :class:`ArrayRuns` does the checking once (one
:func:`gysim.simulate` run of the model's own values, which also finds the
saved times and the elements the data name) and then, per call, only
resolves the runs' parameters and integrates them with the engine's own
chunk integrator: same numbers as :func:`gysim.simulate` with
``on_error="mask"`` (a failed run's values are NaN from its first bad time
on), returned as one array ``(runs, times, series)``.

Examples
--------
>>> import numpy as np, gysim
>>> from gysim.posterior.runs import ArrayRuns
>>> m = gysim.Model("growth", start=0, stop=4)
>>> m.stock("x", 1.0)
>>> m.param("r", 0.1, bounds=(0, 1))
>>> m.flow("inc", "r * x", into="x")
>>> runs = ArrayRuns(m, ["r"], ["x"], np.array([2.0, 4.0]), {"method": "rk4", "dt": 0.5})
>>> out = runs(np.array([[0.1], [0.2]]))
>>> out.shape                                  # (runs, times, series)
(2, 2, 1)
>>> ds = gysim.simulate(m, params={"r": np.array([0.1, 0.2])}, method="rk4", dt=0.5)
>>> bool(np.array_equal(out[:, :, 0], ds.x.sel(time=[2.0, 4.0]).values.T))
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from ..batch import as_params
from ..engine.integrate import SolverStats, sizes
from ..engine.limits import MAX_RHS_EVALS, working_bytes_per_run
from ..engine.numba_backend import choose
from ..errors import DataError, ModelDefinitionError
from ..labels import select_element, split_element, values_at_times
from ..model import Model
from ..random_draws import streams
from ..simulate import (CHUNK_BYTES, FIXED_STEP_METHODS, STATE_BUDGET, _evaluations,
                        _integrate_chunk, _resolve_runs, simulate)

__all__ = ["ArrayRuns"]


class ArrayRuns:
    """Runs of a model for rows of parameter values, as ``(runs, times, series)`` arrays.

    Parameters
    ----------
    model : gysim.Model
        Must not change while this is in use (it is compiled once).
    names : sequence of str
        The parameters (or ``p[label]`` elements, stock initial values) that
        each row of the input sets, in column order.
    series : sequence of str
        The variables or elements ``var[label]`` returned, in order.
    times : numpy.ndarray
        The times returned; each must be an output time of the run (a
        multiple of ``saveper`` from the start, up to ``stop``).
    options : dict
        Options of :func:`gysim.simulate` (``method``, ``dt``, ``saveper``,
        ``stop``, ``backend``, ``seed``...; not ``params``, ``variables``,
        ``on_error``).
    calls, runs : int
        About how many times the runs will be made, and how many runs a call
        has: ``backend="auto"`` weighs numba's compile time against the
        numpy overhead of all the calls, not of one
        (:func:`gysim.engine.numba_backend.choose`).

    Attributes
    ----------
    backend : str
        ``"numba"`` or ``"numpy"``; ``backend_reason`` says why not numba.

    Raises
    ------
    gysim.errors.GysimError
        Whatever :func:`gysim.simulate` raises for the options or the model.
    DataError
        If a series is not one element, or a time is not an output time.
    """

    def __init__(self, model: Model, names: Sequence[str], series: Sequence[str],
                 times: np.ndarray, options: dict[str, Any], calls: int = 1, runs: int = 1) -> None:
        self.model, self.names, self.series = model, list(names), [str(s) for s in series]
        self.variables = list(dict.fromkeys(split_element(c)[0] for c in self.series))
        options = dict(options)
        if getattr(model, "final_time_variable", None):  # runs ending apart: not here
            raise ModelDefinitionError(
                f"the FINAL TIME of model '{model.name}' ('{model.final_time_variable}') "
                f"changes during the run: posterior sampling needs one stop for every run; "
                f"give the model a constant stop")
        self.seed = int(options.get("seed", 0))
        # one checked run: options, units, compilation, saved times (its errors are simulate's)
        ds = simulate(model, variables=self.variables, on_error="mask", **options)
        self.compiled = model.compile()
        self.method = ds.attrs.get("method", options.get("method"))
        self.fixed = self.method in FIXED_STEP_METHODS
        self.step = float(ds.attrs["dt"]) if self.fixed else 0.0
        self.grid = np.asarray(ds["time"].values, dtype=float)
        position = xr.DataArray(np.arange(len(self.grid)), dims="time",
                                coords={"time": self.grid}, name="time")
        self.at = values_at_times(position, np.asarray(times, dtype=float)).astype(int)
        self.pick = [(v, self._element(ds, v, s)) for s in self.series
                     for v in [split_element(s)[0]]]
        self._backend = options.get("backend", "auto")
        self.opts = dict(rtol=options.get("rtol", 1e-6), atol=options.get("atol", 1e-9),
                         max_step=options.get("max_step"), on_error="mask",
                         max_rhs_evals=options.get("max_rhs_evals", MAX_RHS_EVALS),
                         max_seconds=options.get("max_seconds"))
        self.expect(calls, runs)
        per_run = working_bytes_per_run(self.compiled, self.method, len(self.grid), self.fixed)
        chunk = options.get("chunk_size") or max(1, STATE_BUDGET // max(1, self.compiled.n_state_rows))
        self.chunk = int(max(1, min(chunk, CHUNK_BYTES // max(1.0, per_run))))

    def expect(self, calls: int, runs: int) -> str:
        """Choose the backend for about `calls` calls of `runs` runs each; returns it.

        With ``backend="auto"``, numba when its compile time (none if cached)
        is repaid by the numpy overhead it saves over all the calls.
        """
        saveper = float(self.grid[1] - self.grid[0]) if len(self.grid) > 1 else 1.0
        evaluations = _evaluations(self.fixed, self.method, len(self.grid), self.step, saveper)
        kernel, self.backend_reason = choose(self.compiled, self._backend,
                                             evaluations * max(1, int(calls)), max(1, int(runs)))
        self.opts["kernel"] = kernel
        self.backend = "numpy" if kernel is None else "numba"
        return self.backend

    def _element(self, ds: xr.Dataset, variable: str, name: str) -> int:
        """Flat position of element `name` within its variable's values at one time."""
        shape = sizes(self.compiled, variable)
        da = ds[variable]
        flat = np.broadcast_to(np.arange(int(np.prod(shape))).reshape(shape), da.shape)
        index = xr.Dataset({variable: da.copy(data=flat)})
        chosen = np.unique(np.asarray(select_element(index, name, argument="data").values))
        if chosen.size != 1:
            raise DataError(f"`data`: '{name}' names {chosen.size} elements of '{variable}'; a "
                            "series must be one element")
        return int(chosen[0])

    def __call__(self, X: np.ndarray) -> np.ndarray:
        """The series at the times for each row of `X` ``(n, len(names))``: ``(n, times, series)``.

        A run that fails has NaN from its first saved time that is not finite on.
        """
        X = np.atleast_2d(np.asarray(X, dtype=float))
        params = as_params(self.model, {n: X[:, i] for i, n in enumerate(self.names)})
        runs = _resolve_runs(self.model, params, None)
        n = runs.n
        result = {v: np.empty((len(self.grid),) + sizes(self.compiled, v) + (n,))
                  for v in self.variables}
        stats, failed = SolverStats(), {}
        with np.errstate(all="ignore"):
            for lo in range(0, n, self.chunk):
                hi = min(n, lo + self.chunk)
                with streams(self.seed, lo, hi):
                    _integrate_chunk(self.compiled, runs, lo, hi, self.method, self.step,
                                     self.grid, self.opts, stats, result, failed)
        out = np.empty((n, len(self.at), len(self.series)))
        for j, (variable, k) in enumerate(self.pick):
            values = result[variable]
            out[:, :, j] = values.reshape(len(self.grid), -1, n)[self.at, k, :].T
        return out
