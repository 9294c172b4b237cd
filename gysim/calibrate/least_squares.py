"""The least-squares problem of a calibration: residuals, Jacobians and fits on the ensemble engine.

The cost is the sum of squared weighted residuals ``w_j * (simulated - observed)``
over every known observation. :class:`LeastSquaresProblem` evaluates it with
the vectorized engine: the initial costs of all start points are one ensemble
run, and each finite-difference Jacobian one ensemble run of
``n_params + 1`` parameter sets (the point and one perturbed copy per
parameter). Fits use :func:`scipy.optimize.least_squares` (trust-region
reflective, in unit coordinates within the bounds).

Examples
--------
>>> import numpy as np, pandas as pd, gysim
>>> from gysim.calibrate.least_squares import LeastSquaresProblem
>>> m = gysim.Model("decay", start=0, stop=2)
>>> m.stock("x", 1.0)
>>> m.param("k", 0.3, bounds=(0.0, 1.0))
>>> m.flow("out", "k * x", out_of="x")
>>> frame = pd.DataFrame({"x": [1.0, 0.5, 0.25]}, index=[0.0, 1.0, 2.0])
>>> problem = LeastSquaresProblem(m, ["k"], np.array([0.0]), np.array([1.0]), frame,
...                               np.array([1.0]), {"method": "euler", "dt": 1.0}, 1e-6)
>>> problem.costs(np.array([[0.5], [0.0]])).tolist()    # k = 0.5 halves x each step
[0.0, 0.8125]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..batch import as_params
from ..errors import CalibrationError, DataError, SimulationError
from ..labels import select_element, split_element, values_at_times
from ..model import Model
from ..outputs import Derived, needed_variables, with_outputs
from ..simulate import simulate

__all__ = ["LeastSquaresProblem", "start_points"]


class LeastSquaresProblem:
    """The least-squares problem: runs, residuals and Jacobians on the ensemble engine.

    The optimiser works in unit coordinates ``u = (x - lower) / (upper - lower)``
    so every parameter moves on the same scale.

    Parameters
    ----------
    model : gysim.Model
        The model calibrated.
    names : sequence of str
        The calibrated parameters, elements ``p[label]`` and stocks.
    lower, upper : numpy.ndarray
        Their search bounds.
    frame : pandas.DataFrame
        The observations, indexed by time, one column per series.
    weights : numpy.ndarray
        One weight per column of `frame` (0 leaves the series out).
    options : dict
        Options of :func:`gysim.simulate` for every run.
    diff_step : float
        Relative step of the finite-difference Jacobian.
    derived : sequence of gysim.outputs.Derived
        Functions of the run that data columns of the same name observe.

    Attributes
    ----------
    n_obs : int
        Number of observations in the cost.
    attrs : dict
        Attributes of the last run (gysim version, method...).

    Examples
    --------
    >>> import numpy as np, pandas as pd, gysim
    >>> m = gysim.Model("line", start=0, stop=2)
    >>> m.stock("x", 0.0)
    >>> m.param("b", 1.0, bounds=(-5, 5))
    >>> m.flow("inc", "b", into="x")
    >>> frame = pd.DataFrame({"x": [0.0, 2.0, 4.0]}, index=[0.0, 1.0, 2.0])
    >>> problem = LeastSquaresProblem(m, ["b"], np.array([-5.0]), np.array([5.0]), frame,
    ...                               np.array([1.0]), {"method": "euler", "dt": 1.0}, 1e-6)
    >>> sim, resid, jac = problem.jacobian(np.array([1.0]))
    >>> resid.tolist(), np.round(jac, 6).tolist()    # x = b t against 2 t
    ([0.0, -1.0, -2.0], [[0.0], [1.0], [2.0]])
    """

    def __init__(self, model: Model, names: Sequence[str], lower: np.ndarray, upper: np.ndarray,
                 frame: pd.DataFrame, weights: np.ndarray, options: dict[str, Any],
                 diff_step: float, derived: Sequence[Derived] = ()) -> None:
        self.model, self.names, self.options = model, list(names), options
        self.derived = [d for d in derived if d.name in frame.columns]
        self.lower, self.upper, self.width = lower, upper, upper - lower
        self.columns = list(frame.columns)
        self.times = np.asarray(frame.index, dtype=float)
        self.observed = frame.to_numpy(dtype=float)
        self.weights = weights
        self.mask = ~np.isnan(self.observed) & (weights > 0)[None, :]
        self.n_obs = int(self.mask.sum())
        self.diff_step = diff_step
        self.attrs: dict[str, Any] = {}

    def to_x(self, u: np.ndarray) -> np.ndarray:
        """Parameter values from unit coordinates, clipped into the bounds."""
        return np.clip(self.lower + u * self.width, self.lower, self.upper)

    def simulate(self, X: np.ndarray) -> np.ndarray:
        """Simulated data for each parameter row of `X`: shape (n_runs, n_times, n_columns)."""
        n_runs = X.shape[0]
        params = as_params(self.model, {n: X[:, i] for i, n in enumerate(self.names)})
        plain = [c for c in self.columns if c not in {d.name for d in self.derived}]
        needed = needed_variables(list(dict.fromkeys(split_element(c)[0] for c in plain))
                                  + self.derived)
        ds = simulate(self.model, params=params, variables=needed, **self.options)
        self.attrs = ds.attrs
        if self.derived:  # functions of the run the data observe (calibrate's `outputs`)
            ds = with_outputs(ds, self.derived)
            for d in self.derived:
                if "time" not in ds[d.name].dims:
                    raise DataError(f"`outputs`: '{d.name}' gives one number per run, but its "
                                    f"data column is a time series: return a DataArray over "
                                    f"'time' (and 'run')")
        out = np.empty((n_runs, len(self.times), len(self.columns)))
        for j, name in enumerate(self.columns):
            values = values_at_times(select_element(ds, name, argument="data"), self.times)
            out[:, :, j] = (values if values.ndim == 2 else values[:, None]).T
        return out

    def residuals(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Simulated data and weighted residuals (n_runs, n_obs) for each row of `X`."""
        sim = self.simulate(X)
        return sim, ((sim - self.observed) * self.weights)[:, self.mask]

    def costs(self, X: np.ndarray) -> np.ndarray:
        """Cost of each row of `X` in one ensemble run (row by row if the ensemble fails)."""
        try:
            r = self.residuals(X)[1]
        except SimulationError:
            if len(X) == 1:
                return np.array([np.inf])
            return np.concatenate([self.costs(x[None, :]) for x in X])
        cost = np.sum(r**2, axis=1)
        return np.where(np.isfinite(cost), cost, np.inf)

    def jacobian(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Simulated data and residuals at `x`, and the residuals' Jacobian in x, from one run."""
        h = self.diff_step * np.maximum(np.abs(x), 0.01 * self.width)
        h = np.where(x + h <= self.upper, h, -h)  # step inward at the upper bound
        X = np.vstack([x, x + np.diag(h)])
        sim, r = self.residuals(X)
        return sim[0], r[0], ((r[1:] - r[0]) / h[:, None]).T

    def fit(self, x_start: np.ndarray, lsq_options: dict):
        """One local least-squares fit from `x_start` (a :class:`scipy.optimize.OptimizeResult`)."""

        def fun(u):
            try:
                r = self.residuals(self.to_x(u)[None, :])[1][0]
            except SimulationError:
                r = np.full(self.n_obs, np.nan)  # trf rejects the step and shrinks the region
            return r

        def jac(u):
            return self.jacobian(self.to_x(u))[2] * self.width

        u0 = (x_start - self.lower) / self.width
        from scipy.optimize import least_squares  # imported on first use, not with gysim
        return least_squares(fun, u0, jac=jac, bounds=(0.0, 1.0), method="trf", **lsq_options)

    def fit_starts(self, x0: np.ndarray, lsq_options: dict) -> tuple[pd.DataFrame, Any]:
        """A local fit from each row of `x0` (the first is the model's own values).

        Returns
        -------
        table : pandas.DataFrame
            One row per start: origin, initial and final cost, evaluations,
            status, message and the values reached.
        best : scipy.optimize.OptimizeResult
            The fit with the lowest cost.

        Raises
        ------
        CalibrationError
            If every start fails.
        """
        initial_cost = self.costs(x0)
        records, fits = [], []
        for k, x_start in enumerate(x0):
            record = {"start": k, "origin": "model" if k == 0 else "lhs", "initial_cost": initial_cost[k],
                      "cost": np.nan, "nfev": 0, "status": None, "message": ""}
            fit = None
            if not np.isfinite(initial_cost[k]):
                record["message"] = "the run at the start point failed or was not finite"
            else:
                try:
                    fit = self.fit(x_start, lsq_options)
                except SimulationError as err:
                    record["message"] = f"a run failed: {err}"
                else:
                    record.update(cost=2.0 * fit.cost, nfev=fit.nfev, status=fit.status, message=fit.message)
            x_end = self.to_x(fit.x) if fit is not None else np.full(len(self.names), np.nan)
            record.update(zip(self.names, x_end))
            records.append(record)
            fits.append(fit)
        table = pd.DataFrame.from_records(records).set_index("start")
        final = table["cost"].to_numpy(dtype=float)
        if not np.any(np.isfinite(final)):
            reasons = "; ".join(f"start {k}: {m}" for k, m in zip(table.index, table["message"]))
            raise CalibrationError(f"calibration of model '{self.model.name}' failed from every start ({reasons})")
        return table, fits[int(np.nanargmin(final))]


def start_points(x_model: np.ndarray, lower: np.ndarray, upper: np.ndarray, n_starts: int,
                 seed: int | None) -> np.ndarray:
    """Start points of a multi-start fit: `x_model`, then a Latin hypercube of the bounds.

    Parameters
    ----------
    x_model : numpy.ndarray
        The model's own values (within the bounds).
    lower, upper : numpy.ndarray
        The search bounds.
    n_starts : int
        Number of points in all.
    seed : int, optional
        Seed of the Latin hypercube.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_starts, n_params)``.

    Examples
    --------
    >>> import numpy as np
    >>> x0 = start_points(np.array([0.5]), np.array([0.0]), np.array([1.0]), 3, seed=0)
    >>> x0.shape, x0[0].tolist(), bool(np.all((x0 >= 0) & (x0 <= 1)))
    ((3, 1), [0.5], True)
    """
    starts = [x_model]
    if n_starts > 1:
        rng = np.random.default_rng(seed)
        from scipy.stats import qmc  # imported here: scipy.stats takes ~0.3 s to import
        unit = qmc.LatinHypercube(d=len(x_model), rng=rng).random(n_starts - 1)
        starts += list(lower + unit * (upper - lower))
    return np.array(starts)
