"""Calibration: fit parameters of a model to time-series data.

:func:`calibrate` minimises a weighted sum of squared residuals between
simulated and observed series with :func:`scipy.optimize.least_squares`
(trust-region reflective, bounded), from several starting points. It works on
the vectorized engine: every start point's initial cost is one ensemble run,
and each finite-difference Jacobian is one ensemble run of ``n_params + 1``
parameter sets (the point and one perturbed copy per parameter).

The objective
-------------
For series ``j`` with weight ``w_j`` the residual of an observation is
``w_j * (simulated - observed)``; the cost is the sum of their squares over
every known (non-NaN) observation. The default weight is
``w_j = 1 / mean(|observed_j|)``, so each residual is a fraction of the
series' typical size and series in different units (亿元, 万人, percent)
count alike, observation by observation: a series with more observations
weighs more. Give `weights` to change that, e.g. ``1 / sigma_j`` for a known
measurement error.

Standard errors
---------------
The covariance of the fitted parameters is ``s**2 * inv(J.T @ J)`` with ``J``
the Jacobian of the *weighted* residuals at the optimum and
``s**2 = cost / (n_obs - n_params)``: the weights are read as inverse
measurement errors known up to a common factor, which the fit estimates. (An
unweighted version would have to add squared errors in different units.) The
errors are the usual local, linearised ones: they ignore the bounds and
assume the model is right.

Parameters the data do not pin down (a singular or nearly singular
``J.T @ J``: relative singular value of the bound-scaled Jacobian below
1e-6) are listed in ``result.unidentified``, get an infinite standard error
and NaN correlations, and are named in ``result.warnings``; calibrate does
not emit a Python warning.
"""

from __future__ import annotations

import inspect

import html
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy
import xarray as xr

from ._text import suggest
from .errors import CalibrationError, DataError, ParameterError, SimulationError
from .fit_report import element_names, fit_report, select_element, split_element, values_at_times
from .model import Model
from .simulate import simulate

__all__ = ["calibrate", "CalibrationResult", "load_calibration"]

#: Relative singular value of the bound-scaled Jacobian below which the data
#: do not identify a direction in parameter space.
IDENTIFIABILITY_RTOL = 1e-6

_OPTIMIZER_KEYS = {"ftol", "xtol", "gtol", "max_nfev", "verbose"}
_RESERVED_SIMULATE_KEYS = {"params", "variables", "scenario"}


@dataclass(repr=False)
class CalibrationResult:
    """What :func:`calibrate` found.

    Attributes
    ----------
    params : dict
        Fitted value of every calibrated parameter (or stock initial value).
    stderr : dict
        Standard error of each fitted value (inf for an unidentified one,
        NaN when there are no more observations than parameters).
    correlation : pandas.DataFrame
        Correlation matrix of the fitted values.
    cost : float
        Weighted sum of squared residuals at the optimum.
    n_obs : int
        Number of observations in the cost.
    report : pandas.DataFrame
        Goodness of fit per series (:func:`gysim.fit_report.fit_report`):
        n, MAPE, RMSE, R2, U, UM, US, UC.
    starts : pandas.DataFrame
        One row per start point: where it came from ("model" for the model's
        own values, "lhs" for a Latin-hypercube point), its initial and final
        cost, the function evaluations, the optimiser's status, and the values
        it reached.
    unidentified : list of str
        Parameters the data do not determine.
    warnings : list of str
        Things to know about this fit (unidentified or bound-hugging
        parameters, dropped data times, an optimiser that stopped early).
    bounds, units : dict
        Bounds searched and units of each parameter.
    weights : dict
        Weight of each data series.
    observed, simulated : pandas.DataFrame
        The data used and the fitted model's values at the same times.
    provenance : dict
        gysim and scipy versions, model name and hash, data columns and
        times, seed, method and options.
    base_model : gysim.Model
        The model that was calibrated.

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("decay", start=0, stop=4)
    >>> m.stock("x", 1.0)
    >>> m.param("k", 0.3, bounds=(0.01, 2))
    >>> m.flow("out", "k * x", out_of="x")
    >>> data = gysim.simulate(m.with_params(k=0.5))[["x"]].to_dataframe()
    >>> result = gysim.calibrate(m, data, ["k"], n_starts=2, rtol=1e-10, atol=1e-12)
    >>> round(result.params["k"], 6), round(result.model.params["k"].value, 6)
    (0.5, 0.5)
    """

    params: dict[str, float]
    stderr: dict[str, float]
    correlation: pd.DataFrame
    cost: float
    n_obs: int
    report: pd.DataFrame
    starts: pd.DataFrame
    unidentified: list[str]
    warnings: list[str]
    bounds: dict[str, tuple[float, float]]
    units: dict[str, str]
    weights: dict[str, float]
    observed: pd.DataFrame
    simulated: pd.DataFrame
    provenance: dict[str, Any]
    base_model: Model = field(repr=False)

    @property
    def model(self) -> Model:
        """The calibrated model: ``base_model.with_params(params)`` (elements ``p[label]``
        set within their parameter's values)."""
        from .batch import as_params
        return self.base_model.with_params(as_params(self.base_model, self.params))

    @property
    def table(self) -> pd.DataFrame:
        """Fitted values with standard errors, bounds and units, one row per parameter."""
        rows = {
            name: {"value": value, "stderr": self.stderr[name], "lower": self.bounds[name][0],
                   "upper": self.bounds[name][1], "units": self.units[name]}
            for name, value in self.params.items()
        }
        table = pd.DataFrame.from_dict(rows, orient="index")
        table.index.name = "parameter"
        return table

    def to_json(self, path: str | os.PathLike) -> None:
        """Write the result as readable JSON, atomically (temporary file, then rename).

        The file holds the fitted values with their standard errors, bounds
        and units, the correlation matrix, the fit report, the starts, the
        warnings and the provenance. Non-finite numbers are written as
        ``null``. :func:`load_calibration` reads the fitted values back.

        Examples
        --------
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "fit.json")
        >>> result.to_json(path)                                  # doctest: +SKIP
        >>> load_calibration(path)                                # doctest: +SKIP
        {'k': 0.5}
        """
        doc = {
            "model": self.base_model.name,
            "parameters": {
                name: {"value": self.params[name], "stderr": self.stderr[name],
                       "lower": self.bounds[name][0], "upper": self.bounds[name][1],
                       "units": self.units[name],
                       "kind": "stock initial value" if name in self.base_model.stocks else "parameter"}
                for name in self.params
            },
            "unidentified": list(self.unidentified),
            "warnings": list(self.warnings),
            "cost": self.cost,
            "n_obs": self.n_obs,
            "weights": dict(self.weights),
            "correlation": {r: self.correlation.loc[r].to_dict() for r in self.correlation.index},
            "fit": {s: self.report.loc[s].to_dict() for s in self.report.index},
            "starts": self.starts.reset_index().to_dict(orient="records"),
            "provenance": self.provenance,
        }
        text = json.dumps(_jsonable(doc), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        from .atomic import write_text_atomic
        write_text_atomic(path, text)

    def __repr__(self) -> str:
        lines = [f"CalibrationResult(model={self.base_model.name!r}, cost={self.cost:.6g}, "
                 f"n_obs={self.n_obs}, starts={len(self.starts)})",
                 self.table.to_string(), "", self.report.to_string()]
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        warnings = "".join(f"<li>{esc(w)}</li>" for w in self.warnings)
        return (
            f"<div><p><b>Calibration of '{esc(self.base_model.name)}'</b>: cost {self.cost:.4g} "
            f"over {self.n_obs} observations, best of {len(self.starts)} starts</p>"
            f"{self.table.to_html(float_format=lambda v: f'{v:.5g}')}"
            f"<p>Fit per series</p>{self.report.to_html(float_format=lambda v: f'{v:.4g}')}"
            + (f"<ul>{warnings}</ul>" if warnings else "") + "</div>"
        )


#: Keyword options of gysim.simulate that calibrate passes through.
_SIMULATE_OPTIONS = frozenset(inspect.signature(simulate).parameters) - {"model"}


def calibrate(
    model: Model,
    data: pd.DataFrame | xr.Dataset,
    params: Sequence[str],
    *,
    weights: Mapping[str, float] | None = None,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    n_starts: int = 8,
    seed: int | None = 0,
    method: str | None = None,
    dt: float | None = None,
    diff_step: float = 1e-6,
    optimizer_options: Mapping[str, Any] | None = None,
    data_units: Mapping[str, str] | None = None,
    **simulate_options: Any,
) -> CalibrationResult:
    """Fit parameters (and stock initial values) of a model to data.

    Parameters
    ----------
    model : gysim.Model
        The model; it is not changed.
    data : pandas.DataFrame or xarray.Dataset
        Observations indexed by time (a numeric index, e.g. years; for a
        Dataset, a ``time`` coordinate), one column per simulated variable
        (stock, flow or auxiliary). A subscripted variable is observed
        element by element: columns ``var[label]`` (``var[l1,l2]`` over
        several dims); a Dataset variable over ``(time, <dims>)`` gives one
        such column per element. NaN marks a missing observation. Every
        data time must be an output time of the run (see `saveper`); times
        outside the model's horizon are dropped and named in
        ``result.warnings``.
    params : sequence of str
        Names of the parameters to fit, and of stocks whose initial value is
        fitted. An element of a subscripted parameter is fitted as
        ``param[label]`` (within the parameter's bounds; the other elements
        keep the model's values); a subscripted parameter or stock as a whole
        cannot be fitted. A parameter is searched within its own ``bounds`` unless
        `bounds` narrows them; a stock needs an entry in `bounds`.
    weights : mapping, optional
        Series name -> weight ``w`` multiplying the residual
        ``simulated - observed`` (so ``1/sigma`` for a known error ``sigma``;
        0 leaves the series out of the cost). Series not given keep the
        default ``1 / mean(|observed|)``.
    bounds : mapping, optional
        Name -> ``(lower, upper)``: search bounds, which must lie within a
        parameter's own bounds.
    n_starts : int
        Number of local fits: the first starts from the model's current
        values (clipped into the bounds), the others from a Latin hypercube
        sample of the bounds drawn with `seed`.
    seed : int, optional
        Seed of the Latin hypercube; the same seed gives the same result.
    method, dt : optional
        Integration method and step for :func:`gysim.simulate` (None: the
        model's). A fixed-step method ("euler", "rk4") gives a cost that is a
        smooth function of the parameters; with an adaptive one keep `rtol`
        small (e.g. 1e-8) so the solver's error stays below the fit's.
    diff_step : float
        Relative step of the finite-difference Jacobian: parameter ``p`` moves
        by ``diff_step * max(|p|, 0.01 * (upper - lower))``.
    optimizer_options : mapping, optional
        Passed to :func:`scipy.optimize.least_squares`: ``ftol``, ``xtol``,
        ``gtol``, ``max_nfev``, ``verbose``.
    **simulate_options
        Passed to :func:`gysim.simulate` (``rtol``, ``atol``, ``saveper``,
        ``stop``, ``max_step``...). Unless `stop` is given, runs stop at the
        last data time.

    Returns
    -------
    CalibrationResult
        Fitted values, standard errors, correlations, the fit report per
        series and the calibrated model (``result.model``).

    Raises
    ------
    DataError
        For empty data, a column that is not a simulated variable of the
        model (or names a subscripted variable without its element), non-numeric or infinite values, or no data time within the
        model's horizon.
    ParameterError
        For a name in `params` that is not a parameter or stock of the model,
        or that has no bounds.
    CalibrationError
        If every start fails (the runs fail or give non-finite values).

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("growth", start=2000, stop=2005)
    >>> m.stock("gdp", 264.8, units="1e8 yuan")
    >>> m.param("g", 0.05, units="1/year", bounds=(0.0, 0.3))
    >>> m.flow("increase", "g * gdp", into="gdp", units="1e8 yuan/year")
    >>> data = pd.DataFrame({"gdp": [264.8, 302.7, 336.4, 380.9, 442.2, 500.0]},
    ...                     index=range(2000, 2006))
    >>> result = gysim.calibrate(m, data, ["g"], n_starts=4, rtol=1e-8)
    >>> round(result.params["g"], 3), bool(result.report.loc["gdp", "MAPE"] < 3)
    (0.126, True)
    """
    if not isinstance(model, Model):
        raise ParameterError(f"`model` must be a gysim.Model, got {type(model).__name__}")
    unknown = sorted(set(simulate_options) - _SIMULATE_OPTIONS)
    if unknown:
        raise ParameterError(
            f"calibrate got unknown option(s) {', '.join(f'`{k}`' for k in unknown)}; it takes "
            f"its own options and those of gysim.simulate: {', '.join(sorted(_SIMULATE_OPTIONS))}")
    reserved = _RESERVED_SIMULATE_KEYS & set(simulate_options)
    if reserved:
        raise ParameterError(
            f"calibrate sets {', '.join(f'`{k}`' for k in sorted(reserved))} of gysim.simulate itself; "
            "to calibrate a scenario, apply it first with model.with_params(...)")
    if not (isinstance(n_starts, (int, np.integer)) and n_starts >= 1):
        raise ParameterError(f"`n_starts` must be a positive integer, got {n_starts!r}")
    if not (np.isfinite(diff_step) and 0 < diff_step < 0.1):
        raise ParameterError(f"`diff_step` must be in (0, 0.1), got {diff_step!r}")
    lsq_options = dict(optimizer_options or {})
    if set(lsq_options) - _OPTIMIZER_KEYS:
        raise ParameterError(f"`optimizer_options` may hold {', '.join(sorted(_OPTIMIZER_KEYS))}; "
                             f"got {', '.join(sorted(set(lsq_options) - _OPTIMIZER_KEYS))}")

    names, lower, upper, units = _parameters(model, params, bounds)
    notes: list[str] = []
    data = _data_units(model, data, data_units)
    frame = _data_frame(model, data, simulate_options.get("stop", model.stop), notes)
    w = _weights(frame, weights, notes)

    options = dict(simulate_options, method=method)
    if dt is not None:
        options["dt"] = dt
    last = float(frame.index[-1])
    if "stop" not in options and last > model.start:
        options["stop"] = last
    problem = _Problem(model, names, lower, upper, frame, w, options, diff_step)

    # Start points: the model's values, then a Latin hypercube of the bounds.
    x_model = np.clip(_current_values(model, names, options), lower, upper)
    starts = [x_model]
    if n_starts > 1:
        rng = np.random.default_rng(seed)
        from scipy.stats import qmc  # imported here: scipy.stats takes ~0.3 s to import
        unit = qmc.LatinHypercube(d=len(names), rng=rng).random(n_starts - 1)
        starts += list(lower + unit * (upper - lower))
    x0 = np.array(starts)
    initial_cost = problem.costs(x0)

    records, fits = [], []
    for k, x_start in enumerate(x0):
        record = {"start": k, "origin": "model" if k == 0 else "lhs", "initial_cost": initial_cost[k],
                  "cost": np.nan, "nfev": 0, "status": None, "message": ""}
        fit = None
        if not np.isfinite(initial_cost[k]):
            record["message"] = "the run at the start point failed or was not finite"
        else:
            try:
                fit = problem.fit(x_start, lsq_options)
            except SimulationError as err:
                record["message"] = f"a run failed: {err}"
            else:
                record.update(cost=2.0 * fit.cost, nfev=fit.nfev, status=fit.status, message=fit.message)
        x_end = problem.to_x(fit.x) if fit is not None else np.full(len(names), np.nan)
        record.update(zip(names, x_end))
        records.append(record)
        fits.append(fit)
    table = pd.DataFrame.from_records(records).set_index("start")
    final = table["cost"].to_numpy(dtype=float)
    if not np.any(np.isfinite(final)):
        reasons = "; ".join(f"start {k}: {m}" for k, m in zip(table.index, table["message"]))
        raise CalibrationError(f"calibration of model '{model.name}' failed from every start ({reasons})")
    best = int(np.nanargmin(final))
    if fits[best].status == 0:
        notes.append("the optimiser stopped at its evaluation limit (`max_nfev`) before converging")

    x_best = problem.to_x(fits[best].x)
    sim, resid, jac = problem.jacobian(x_best)
    cost = float(resid @ resid)
    stderr, correlation, unidentified = _uncertainty(jac, cost, names, lower, upper)
    if unidentified:
        notes.append(f"not identifiable from the data: {', '.join(unidentified)} (the fit depends on them "
                     "only through combinations the data cannot separate; fix them or add data)")
    if problem.n_obs <= len(names):
        notes.append(f"{problem.n_obs} observations for {len(names)} parameters leave no degrees of "
                     "freedom: standard errors are NaN")
    for i, name in enumerate(names):
        tol = 1e-6 * (upper[i] - lower[i])
        if x_best[i] - lower[i] <= tol or upper[i] - x_best[i] <= tol:
            side = "lower" if x_best[i] - lower[i] <= tol else "upper"
            notes.append(f"{name} ended at its {side} bound; its standard error assumes an interior optimum")

    simulated = pd.DataFrame(sim, index=frame.index, columns=frame.columns)
    provenance = {
        "gysim_version": problem.attrs.get("gysim_version"),
        "scipy_version": scipy.__version__,
        "model": model.name,
        "model_hash": model.hash(),
        "data_columns": list(frame.columns),
        "data_times": [float(frame.index[0]), float(frame.index[-1])],
        "seed": seed,
        "n_starts": int(n_starts),
        "method": problem.attrs.get("method", method),
        "dt": dt,
        "simulate_options": {k: v for k, v in options.items() if k != "method"},
        "optimizer": "scipy.optimize.least_squares(method='trf')",
        "optimizer_options": lsq_options,
        "diff_step": diff_step,
    }
    return CalibrationResult(
        params=dict(zip(names, map(float, x_best))),
        stderr=dict(zip(names, map(float, stderr))),
        correlation=pd.DataFrame(correlation, index=names, columns=names),
        cost=cost,
        n_obs=problem.n_obs,
        report=fit_report(frame, simulated),
        starts=table,
        unidentified=unidentified,
        warnings=notes,
        bounds={n: (float(lo), float(hi)) for n, lo, hi in zip(names, lower, upper)},
        units=units,
        weights={c: float(v) for c, v in zip(frame.columns, w)},
        observed=frame,
        simulated=simulated,
        provenance=provenance,
        base_model=model,
    )


def load_calibration(path: str | os.PathLike) -> dict[str, float]:
    """Read the fitted values written by :meth:`CalibrationResult.to_json`.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    dict
        Parameter (or stock) name -> fitted value, ready for
        ``model.with_params(...)`` (elements ``p[label]`` of subscripted
        parameters through ``model.with_params(gysim.batch.as_params(model,
        values))``).

    Raises
    ------
    DataError
        If the file cannot be read or is not a calibration result.

    Examples
    --------
    >>> import json, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "fit.json")
    >>> with open(path, "w") as f:
    ...     json.dump({"parameters": {"k": {"value": 0.5, "stderr": 0.01}}}, f)
    >>> load_calibration(path)
    {'k': 0.5}
    """
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        return {name: float(entry["value"]) for name, entry in doc["parameters"].items()}
    except (OSError, ValueError) as err:
        raise DataError(f"cannot read calibration file {os.fspath(path)!r}: {err}") from None
    except (KeyError, TypeError, AttributeError):
        raise DataError(f"{os.fspath(path)!r} is not a calibration result: it must hold "
                        "'parameters' -> name -> {'value': ...}") from None


# ---------------------------------------------------------------------- internals
class _Problem:
    """The least-squares problem: runs, residuals and Jacobians on the ensemble engine.

    The optimiser works in unit coordinates ``u = (x - lower) / (upper - lower)``
    so every parameter moves on the same scale.
    """

    def __init__(self, model, names, lower, upper, frame, weights, options, diff_step):
        self.model, self.names, self.options = model, names, options
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
        return np.clip(self.lower + u * self.width, self.lower, self.upper)

    def simulate(self, X: np.ndarray) -> np.ndarray:
        """Simulated data for each parameter row of `X`: shape (n_runs, n_times, n_columns)."""
        n_runs = X.shape[0]
        from .batch import as_params
        params = as_params(self.model, {n: X[:, i] for i, n in enumerate(self.names)})
        variables = list(dict.fromkeys(split_element(c)[0] for c in self.columns))
        ds = simulate(self.model, params=params, variables=variables, **self.options)
        self.attrs = ds.attrs
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
        """One local least-squares fit from `x_start`."""

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


def _parameters(model, params, bounds):
    """Names, lower and upper bounds, and units of the calibrated parameters."""
    if isinstance(params, str):
        params = [params]
    names = list(params)
    if not names:
        raise ParameterError("`params` must name at least one parameter to calibrate")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ParameterError(f"`params` names {', '.join(repeated)} more than once")
    bounds = dict(bounds or {})
    extra = [k for k in bounds if k not in names]
    if extra:
        raise ParameterError(f"`bounds` given for {', '.join(map(repr, extra))}, which is not in `params`")
    lower, upper, units = [], [], {}
    for name in names:
        base, labels = split_element(name) if isinstance(name, str) else (name, ())
        if labels:
            from .batch import param_element
            param_element(model, name, argument="params")
            element = model.params[base]
            own = element.bounds
        elif name in model.params and model.params[name].dims:
            element = model.params[name]
            example = ", ".join(f"'{n}'" for n in _param_elements(model, name)[:3])
            raise ParameterError(
                f"parameter '{name}' is over dimension(s) {', '.join(element.dims)}: calibrate its "
                f"elements by name, e.g. {example}")
        elif name in model.stocks and model.stocks[name].dims:
            raise ParameterError(
                f"stock '{name}' is over dimension(s) {', '.join(model.stocks[name].dims)}; the "
                "initial values of a subscripted stock cannot be calibrated (make them a "
                "parameter over its dims and calibrate that parameter's elements)")
        elif name in model.params:
            element = model.params[name]
            own = element.bounds
        elif name in model.stocks:
            element, own = model.stocks[name], None
        elif name in model:
            raise ParameterError(f"'{name}' is a {model[name].kind} of model '{model.name}'; only parameters "
                                 "and stock initial values can be calibrated")
        else:
            raise ParameterError(f"'{name}' is not a parameter or stock of model '{model.name}'"
                                 f"{suggest(name, list(model.params) + list(model.stocks))}")
        if name in bounds:
            try:
                lo, hi = (float(v) for v in bounds[name])
            except (TypeError, ValueError):
                raise ParameterError(f"`bounds` of '{name}' must be (lower, upper), got {bounds[name]!r}") from None
            if own is not None and not (own[0] <= lo and hi <= own[1]):
                raise ParameterError(f"`bounds` of '{name}' ({lo:g}, {hi:g}) must lie within its own bounds "
                                     f"({own[0]:g}, {own[1]:g})")
        elif own is not None:
            lo, hi = own
        else:
            what = "stock" if name in model.stocks else "parameter"
            raise ParameterError(f"{what} '{name}' has no bounds to search; give bounds={{'{name}': (lower, upper)}}")
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise ParameterError(f"bounds of '{name}' must be finite with lower < upper, got ({lo!r}, {hi!r})")
        lower.append(lo)
        upper.append(hi)
        units[name] = element.units
    return names, np.array(lower, dtype=float), np.array(upper, dtype=float), units


def _param_elements(model, name):
    """``p[label]`` for every element of subscripted parameter ``p``."""
    import itertools
    dims = model.params[name].dims
    return [f"{name}[{','.join(c)}]" for c in itertools.product(*(model.dimensions[d] for d in dims))]


def _flatten_dataset(data):
    """A Dataset of observations as a DataFrame; a variable over dims gives ``var[label]`` columns."""
    if "time" not in data.coords:
        raise DataError("calibration `data` as a Dataset must have a 'time' coordinate")
    columns = {}
    for name, da in data.data_vars.items():
        if "time" not in da.dims or "run" in da.dims:
            raise DataError(f"calibration data variable {name!r} must have dims ('time',) or "
                            f"('time', <its dims>), got {da.dims}")
        for element in element_names(da, str(name)):
            columns[element] = select_element(data, element, argument="data").transpose("time").values
    return pd.DataFrame(columns, index=pd.Index(data["time"].values, name="time"))


def _data_units(model, data, data_units):
    """Data converted to the model's units (a column ``var[label]`` takes the units of ``var``)."""
    from .units import to_model_units
    if isinstance(data, xr.Dataset):
        units = dict(data_units or {})
        for name, da in data.data_vars.items():
            if name not in units and da.attrs.get("units"):
                units[name] = da.attrs["units"]
        if any(d != "time" for da in data.data_vars.values() for d in da.dims):
            data = _flatten_dataset(data)
            for name in list(units):  # a variable's units hold for each of its elements
                for column in data.columns:
                    if split_element(column)[0] == name and column != name:
                        units.setdefault(column, units[name])
            data_units = {k: v for k, v in units.items() if k in data.columns}
        else:
            data_units = units or None
    if not data_units or not isinstance(data, pd.DataFrame):
        return to_model_units(model, data, data_units)
    plain = {k: v for k, v in data_units.items() if not split_element(str(k))[1]}
    out = to_model_units(model, data, plain) if plain else data.copy()
    for column, units in data_units.items():
        base, labels = split_element(str(column))
        if not labels:
            continue
        if column not in data.columns:
            raise DataError(f"`data_units` given for {column!r}, which is not in the data")
        one = to_model_units(model, data[[column]].rename(columns={column: base}), {base: units})
        out[column] = one[base].to_numpy()
    return out


def _data_frame(model, data, stop, notes):
    """The data as a float DataFrame sorted by time, restricted to the model's horizon."""
    if isinstance(data, xr.Dataset):
        data = _flatten_dataset(data)
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"calibration `data` must be a pandas DataFrame or an xarray Dataset, got {type(data).__name__}")
    if data.empty:
        raise DataError("calibration `data` is empty: it needs at least one time and one column")
    if not pd.api.types.is_numeric_dtype(data.index):
        raise DataError(f"calibration `data` must be indexed by numeric times (years); got a {type(data.index).__name__}"
                        " (for dates, index by data.index.year)")
    if data.index.has_duplicates:
        raise DataError("calibration `data` repeats the time(s) "
                        f"{', '.join(map(str, data.index[data.index.duplicated()].unique()[:5]))}")
    simulated = list(model.stocks) + list(model.flows) + list(model.auxes)
    for name in data.columns:
        base, labels = split_element(name) if isinstance(name, str) else (name, ())
        dims = model[base].dims if base in simulated else ()
        if base in simulated and (labels or not dims):
            if labels:
                _check_labels(model, name, base, labels)
            continue
        if base in simulated:
            example = ", ".join(f"'{base}[{label}]'" for label in model.dimensions[dims[0]][:3])
            raise DataError(f"data column '{name}' is a variable over dimension(s) "
                            f"{', '.join(dims)}; name one element per column, e.g. {example}")
        if isinstance(name, str) and name in model:
            raise DataError(f"data column '{name}' is a {model[name].kind} of model '{model.name}', not a "
                            "simulated variable (stock, flow or auxiliary)")
        raise DataError(f"data column {name!r} is not a variable of model '{model.name}'"
                        f"{suggest(str(name), simulated)}")
    try:
        frame = data.astype(float)
    except (TypeError, ValueError):
        raise DataError("calibration `data` must hold numbers (NaN for missing values)") from None
    if np.isinf(frame.to_numpy()).any():
        raise DataError("calibration `data` holds infinite values; use NaN for a missing observation")
    frame.index = pd.Index(np.asarray(frame.index, dtype=float), name="time")
    frame = frame.sort_index()
    span = max(1.0, abs(model.start), abs(stop))
    inside = (frame.index >= model.start - 1e-9 * span) & (frame.index <= stop + 1e-9 * span)
    if not inside.any():
        raise DataError(f"no data time lies within the model's horizon {model.start:g}-{stop:g}; "
                        f"data times run from {frame.index[0]:g} to {frame.index[-1]:g}")
    if not inside.all():
        dropped = ", ".join(f"{t:g}" for t in frame.index[~inside])
        notes.append(f"data at time(s) {dropped} lie outside the model's horizon {model.start:g}-{stop:g} and are not used")
    frame = frame[inside].dropna(how="all")
    empty = [c for c in frame.columns if frame[c].isna().all()]
    if empty:
        raise DataError(f"data column(s) {', '.join(map(repr, empty))} have no observation within the model's horizon")
    return frame


def _check_labels(model, name, base, labels):
    """A data column ``var[label]`` must name one element of each of ``var``'s dims."""
    dims = model[base].dims
    if not dims:
        raise DataError(f"data column '{name}' names an element, but '{base}' has no dimensions; "
                        f"name the column '{base}'")
    found = {}
    for label in labels:
        hits = [d for d in dims if label in model.dimensions[d]]
        if not hits:
            known = [lab for d in dims for lab in model.dimensions[d]]
            raise DataError(f"data column '{name}': {label!r} is not an element of the dimension(s) "
                            f"{', '.join(dims)} of '{base}'{suggest(label, known)}")
        if hits[0] in found:
            raise DataError(f"data column '{name}' names two elements of dimension '{hits[0]}'")
        found[hits[0]] = label
    if len(found) != len(dims):
        raise DataError(f"data column '{name}' must name one element of each of the dimensions "
                        f"{', '.join(dims)} of '{base}'")


def _weights(frame, weights, notes):
    """Weight of each data column (default 1 / mean |observed|)."""
    out = []
    weights = dict(weights or {})
    unknown = [k for k in weights if k not in frame.columns]
    if unknown:
        raise DataError(f"`weights` given for {', '.join(map(repr, unknown))}, which is not a data column")
    for name in frame.columns:
        if name in weights:
            value = float(weights[name])
            if not (np.isfinite(value) and value >= 0):
                raise DataError(f"weight of {name!r} must be finite and >= 0, got {weights[name]!r}")
        else:
            typical = float(np.nanmean(np.abs(frame[name].to_numpy())))
            value = 1.0 / typical if typical > 0 else 1.0
            if typical == 0:
                notes.append(f"series {name!r} is zero throughout: its weight is 1")
        out.append(value)
    out = np.array(out)
    if not np.any(out > 0):
        raise DataError("every weight is 0: nothing to fit")
    return out


def _current_values(model, names, options):
    """The model's values of the calibrated parameters and stock initial values."""
    stocks = [n for n in names if n in model.stocks]
    initial = {}
    if stocks:
        keep = {k: v for k, v in options.items() if k != "stop"}
        ds = simulate(model, variables=stocks, **keep)
        initial = {n: float(ds[n].isel(time=0)) for n in stocks}
    values = []
    for n in names:
        if n in initial:
            values.append(initial[n])
            continue
        from .batch import param_element
        base, index = param_element(model, n, argument="params")
        own = np.asarray(model.params[base].value, dtype=float)
        values.append(float(own if index is None else np.broadcast_to(
            own, tuple(len(model.dimensions[d]) for d in model.params[base].dims))[index]))
    return np.array(values, dtype=float)


def _uncertainty(jac, cost, names, lower, upper):
    """Standard errors, correlations and unidentified parameters from the Jacobian."""
    n_obs, n_par = jac.shape
    width = upper - lower
    scaled = jac * width  # columns on the scale of the bounds
    _, sv, vt = np.linalg.svd(scaled, full_matrices=True)
    sv = np.concatenate([sv, np.zeros(n_par - sv.size)])  # fewer observations than parameters
    small = sv <= IDENTIFIABILITY_RTOL * (sv[0] if sv[0] > 0 else 1.0)
    flagged = np.zeros(n_par, dtype=bool)
    for k in np.flatnonzero(small):
        flagged |= np.abs(vt[k]) > 0.1
    inv = np.where(small, 0.0, 1.0 / np.where(small, 1.0, sv) ** 2)
    cov = (vt.T * inv) @ vt * np.outer(width, width)  # pseudo-inverse of J.T @ J
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = cov / np.outer(sd, sd)
    np.fill_diagonal(corr, 1.0)
    corr[flagged, :] = np.nan
    corr[:, flagged] = np.nan
    s2 = cost / (n_obs - n_par) if n_obs > n_par else np.nan
    stderr = np.where(flagged, np.inf, np.sqrt(s2) * sd)
    return stderr, corr, [n for n, f in zip(names, flagged) if f]


def _jsonable(obj):
    """Plain JSON values: numpy scalars to Python, non-finite floats to None."""
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    if obj is None or isinstance(obj, (str, int, bool)):
        return obj
    return str(obj)
