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
Local, linearised standard errors from the Jacobian of the weighted residuals
at the optimum (how, and what they assume: :mod:`gysim.calibrate.uncertainty`).
Parameters the data do not pin down (a singular or nearly singular
``J.T @ J``: relative singular value of the bound-scaled Jacobian below
1e-6) are listed in ``result.unidentified``, get an infinite standard error
and NaN correlations, and are named in ``result.warnings``; calibrate does
not emit a Python warning.

The package, one idea per module:

- :mod:`gysim.calibrate.result`: :class:`CalibrationResult`, its JSON file, :func:`load_calibration`;
- :mod:`gysim.calibrate.parameters`: what is fitted, within which bounds, from which values;
- :mod:`gysim.calibrate.data`: the data in the model's units, and the weights;
- :mod:`gysim.calibrate.observations`: reading your own data (CSV, Excel, a column mapping);
- :mod:`gysim.calibrate.least_squares`: residuals, Jacobians and the multi-start fit;
- :mod:`gysim.calibrate.uncertainty`: standard errors and identifiability from the Jacobian.

``gysim.calibrate`` is this package, and calling it calls :func:`calibrate`
(see :mod:`gysim`): ``gysim.calibrate(model, data, params)`` fits, and
``gysim.calibrate.least_squares`` is the module above.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy
import xarray as xr

from ..errors import DataError, ParameterError
from ..fit_report import fit_report
from ..model import Model
from ..outputs import Derived, resolve_outputs
from ..simulate import simulate
from .data import data_frame, data_in_model_units, derived_in_units, series_weights
from .least_squares import LeastSquaresProblem, start_points
from .parameters import calibrated_parameters, current_values
from .observations import read_mapping, read_observations
from .result import CalibrationResult, apply_calibration, load_calibration
from .uncertainty import IDENTIFIABILITY_RTOL, parameter_uncertainty

__all__ = ["calibrate", "CalibrationResult", "load_calibration", "IDENTIFIABILITY_RTOL",
           "read_observations", "read_mapping", "apply_calibration"]

_OPTIMIZER_KEYS = {"ftol", "xtol", "gtol", "max_nfev", "verbose"}
_RESERVED_SIMULATE_KEYS = {"params", "variables", "scenario"}

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
    outputs: Any = None,
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
    data_units : mapping, optional
        Column -> the units the column is in, converted to the model's (or
        to a derived output's) units; a DataFrame's ``attrs["units"]`` (from
        :func:`gysim.read_observations`) gives those not named here.
    outputs : mapping or sequence, optional
        Functions of the run that data columns observe (see
        :mod:`gysim.outputs`): ``{name: f}`` or named functions
        ``f(ds) -> DataArray`` over ``time`` (and ``run``), or
        :class:`gysim.outputs.Derived` (which carries units); a data column
        of that name is compared with it, e.g. an energy intensity the model
        only has as a ratio of two variables. Every variable is saved for
        these runs.
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

    names, lower, upper, units = calibrated_parameters(model, params, bounds)
    notes: list[str] = []
    derived = _derived_outputs(model, outputs)
    data, data_units = derived_in_units(data, data_units, derived)
    data = data_in_model_units(model, data, data_units)
    frame = data_frame(model, data, simulate_options.get("stop", model.stop), notes,
                       derived=[d.name for d in derived])
    w = series_weights(frame, weights, notes)

    options = dict(simulate_options, method=method)
    if dt is not None:
        options["dt"] = dt
    last = float(frame.index[-1])
    if "stop" not in options and last > model.start:
        options["stop"] = last
    problem = LeastSquaresProblem(model, names, lower, upper, frame, w, options, diff_step,
                                  derived=derived)

    # Start points: the model's values, then a Latin hypercube of the bounds.
    x_model = np.clip(current_values(model, names, options), lower, upper)
    table, best = problem.fit_starts(start_points(x_model, lower, upper, n_starts, seed), lsq_options)
    if best.status == 0:
        notes.append("the optimiser stopped at its evaluation limit (`max_nfev`) before converging")

    x_best = problem.to_x(best.x)
    sim, resid, jac = problem.jacobian(x_best)
    cost = float(resid @ resid)
    stderr, correlation, unidentified = parameter_uncertainty(jac, cost, names, lower, upper)
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


def _derived_outputs(model: Model, outputs: Any) -> list[Derived]:
    """The functions of the run that data columns may observe (calibrate's `outputs`)."""
    if outputs is None:
        return []
    compiled = model.compile()
    resolved = resolve_outputs(outputs, argument="outputs",
                               variables=compiled.stock_names + compiled.output_names,
                               what=f"model '{model.name}'",
                               kinds={k: e.kind for k, e in model.elements.items()})
    for o in resolved:
        if isinstance(o, str):
            raise DataError(f"`outputs`: '{o}' is a variable of the model, which a data column "
                            f"observes by its name already; `outputs` takes functions of the "
                            f"run")
        if o.kind == "target":
            raise DataError(f"`outputs`: the target '{o.name}' measures one number per run; "
                            f"calibration compares time series: give a function of the run "
                            f"over time, f(ds) -> DataArray")
    return resolved
