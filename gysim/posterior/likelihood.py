"""The log posterior density of a model's parameters given data, for a batch of points in one run.

The error models
----------------
For series ``j`` (a data column) with observations ``y_tj`` and simulated
values ``f_tj(theta)``:

- ``"lognormal"``: ``log y_tj ~ Normal(log f_tj, sigma_j**2)``; ``sigma_j`` is
  on the log scale (about the relative error). Observations must be > 0; a
  run whose simulated value is <= 0 has likelihood 0.
- ``"normal"``: ``y_tj ~ Normal(f_tj, sigma_j**2)``; ``sigma_j`` in the series' units.

The log likelihood is the density of the observations in their own units
(for lognormal errors it includes ``-sum(log y)``), summed over every known
(non-NaN) observation. The log posterior adds the log priors (see
:mod:`gysim.posterior.priors`). Points are the rows of an array ``(n, ndim)``:
the sampled parameters first, then ``log(sigma_j)`` of each series whose error
is estimated. All the rows with a finite prior are run as one ensemble
(:class:`gysim.posterior.runs.ArrayRuns`: the numbers of :func:`gysim.simulate`
with ``on_error="mask"``, straight into arrays; a failed run has density 0).

Examples
--------
>>> import numpy as np, pandas as pd, gysim
>>> from gysim.posterior.likelihood import LogPosterior
>>> from gysim.posterior.priors import parameter_priors
>>> m = gysim.Model("growth", start=0, stop=2)
>>> m.stock("x", 1.0)
>>> m.param("r", 0.1, bounds=(0, 1))
>>> m.flow("inc", "r * x", into="x")
>>> frame = pd.DataFrame({"x": [1.0, np.exp(0.2), np.exp(0.4)]}, index=[0.0, 1.0, 2.0])
>>> lp = LogPosterior(m, ["r"], parameter_priors(["r"], np.array([0.0]), np.array([1.0]), None),
...                   frame, "lognormal", 0.1, None, {"method": "rk4", "dt": 0.01})
>>> ll = lp.log_likelihood(np.array([[0.2], [0.3]]), lp.sigma_matrix(np.zeros((2, 0))))
>>> round(float(ll[0] - ll[1]), 4)     # (0.1**2 + 0.2**2) / (2 * 0.1**2)
2.5
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..batch import as_params
from ..errors import DataError, ParameterError
from ..labels import select_element, split_element, values_at_times
from ..model import Model
from ..simulate import simulate
from .priors import Prior, SigmaPrior, default_sigma_prior
from .runs import ArrayRuns

__all__ = ["LogPosterior", "ERRORS"]

#: The error models of the observations.
ERRORS = ("lognormal", "normal")

_LOG_2PI = float(np.log(2 * np.pi))


class LogPosterior:
    """``log p(theta | data)`` (up to a constant) for each row of a batch, in one ensemble run.

    Parameters
    ----------
    model : gysim.Model
    names : sequence of str
        The sampled parameters (as :func:`gysim.calibrate` takes them).
    priors : list of Prior
        One per name.
    frame : pandas.DataFrame
        The observations (from :func:`gysim.calibrate.data.data_frame`).
    error : {"lognormal", "normal"}
    sigma : None, float or mapping
        None: every series' error is estimated; a number fixes all; a mapping
        fixes the series it names (the others are estimated).
    sigma_priors : scipy.stats distribution or mapping, optional
        Priors of the estimated errors: one for all or one per series
        (default :func:`gysim.posterior.priors.default_sigma_prior`).
    options : dict
        Options of :func:`gysim.simulate`.
    calls, runs : int
        About how many times the log posterior will be evaluated, on how many
        points at a time (for the choice of backend:
        :class:`gysim.posterior.runs.ArrayRuns`).

    Attributes
    ----------
    ndim : int
        Number of sampled coordinates (parameters, then ``log sigma`` of each
        estimated series).
    free : list of str
        The series whose error is estimated.
    fixed : dict
        Series -> fixed sigma.
    """

    def __init__(self, model: Model, names: Sequence[str], priors: list[Prior], frame: pd.DataFrame,
                 error: str, sigma: Any, sigma_priors: Any, options: dict[str, Any],
                 calls: int = 1, runs: int = 1) -> None:
        if error not in ERRORS:
            raise ParameterError(f"`error` must be one of {', '.join(map(repr, ERRORS))}, got {error!r}")
        self.model, self.names, self.priors, self.error = model, list(names), priors, error
        self.options = dict(options)
        self.columns = [str(c) for c in frame.columns]
        self.times = np.asarray(frame.index, dtype=float)
        observed = frame.to_numpy(dtype=float)
        self.mask = ~np.isnan(observed)
        if error == "lognormal":
            bad = self.mask & ~(observed > 0)
            if bad.any():
                t, j = np.argwhere(bad)[0]
                raise DataError(
                    f"lognormal errors need observations > 0; series {self.columns[j]!r} has "
                    f"{observed[t, j]:g} at time {self.times[t]:g} (use error='normal')")
            with np.errstate(invalid="ignore", divide="ignore"):
                self.y = np.where(self.mask, np.log(np.where(self.mask, observed, 1.0)), 0.0)
            self.log_jacobian = -float(self.y[self.mask].sum())
        else:
            self.y = np.where(self.mask, observed, 0.0)
            self.log_jacobian = 0.0
        self.observed = observed
        self.n_obs = self.mask.sum(axis=0)
        self.fixed, self.free = _split_sigma(sigma, self.columns)
        self.sigma_priors = _sigma_priors(sigma_priors, self.free, frame, error)
        self.ndim = len(self.names) + len(self.free)
        self.variables = list(dict.fromkeys(split_element(c)[0] for c in self.columns))
        #: False: run through gysim.simulate's Dataset (the path before ArrayRuns; benchmarks)
        self.lean = True
        self.runs = ArrayRuns(model, self.names, self.columns, self.times, self.options,
                              calls=calls, runs=runs)

    # --- pieces -------------------------------------------------------------------------
    def sigma_matrix(self, log_sigma: np.ndarray) -> np.ndarray:
        """Sigma of every series for each row, ``(n, n_series)``, from the free ``log sigma`` columns."""
        n = log_sigma.shape[0]
        out = np.empty((n, len(self.columns)))
        k = 0
        for j, c in enumerate(self.columns):
            if c in self.fixed:
                out[:, j] = self.fixed[c]
            else:
                out[:, j] = np.exp(log_sigma[:, k])
                k += 1
        return out

    def simulated(self, X: np.ndarray) -> np.ndarray:
        """Simulated values at the data times for each parameter row: ``(n, n_times, n_series)``.

        Failed runs give NaN.
        """
        return self.runs(X) if self.lean else self.simulated_dataset(X)

    def simulated_dataset(self, X: np.ndarray) -> np.ndarray:
        """:meth:`simulated` through :func:`gysim.simulate` and its Dataset (slower; same numbers)."""
        params = as_params(self.model, {n: X[:, i] for i, n in enumerate(self.names)})
        ds = simulate(self.model, params=params, variables=self.variables, on_error="mask",
                      **self.options)
        # the runs' parameters are coordinates: dropped, every selection below is ~10x faster
        ds = ds.drop_vars([c for c in ds.coords if c not in ds.dims])
        out = np.empty((X.shape[0], len(self.times), len(self.columns)))
        for j, name in enumerate(self.columns):
            values = values_at_times(select_element(ds, name, argument="data"), self.times)
            out[:, :, j] = (values if values.ndim == 2 else values[:, None]).T
        return out

    def residuals(self, X: np.ndarray) -> np.ndarray:
        """``y - f`` on the error model's scale (log for lognormal), NaN where unknown or failed."""
        f = self.simulated(X)
        if self.error == "lognormal":
            with np.errstate(invalid="ignore", divide="ignore"):
                f = np.where(f > 0, np.log(np.where(f > 0, f, 1.0)), np.nan)
        return np.where(self.mask[None], self.y[None] - f, 0.0)  # NaN stays where a run failed

    def log_likelihood(self, X: np.ndarray, sigma: np.ndarray) -> np.ndarray:
        """Log density of the data for each row of parameters `X` and errors `sigma` ``(n, n_series)``."""
        r = self.residuals(X)
        z = r / sigma[:, None, :]
        ll = (-0.5 * np.sum(np.where(self.mask[None], z * z, 0.0), axis=(1, 2))
              - np.sum(self.n_obs[None, :] * np.log(sigma), axis=1)
              - 0.5 * _LOG_2PI * self.n_obs.sum() + self.log_jacobian)
        return np.where(np.isfinite(ll), ll, -np.inf)

    def log_prior(self, theta: np.ndarray) -> np.ndarray:
        """Log prior density of each row (``log sigma`` coordinates included)."""
        p = len(self.names)
        out = np.zeros(theta.shape[0])
        for i, prior in enumerate(self.priors):
            out += prior.logpdf(theta[:, i])
        for k, prior in enumerate(self.sigma_priors):
            out += prior.logpdf_log(theta[:, p + k])
        return out

    def __call__(self, theta: np.ndarray) -> np.ndarray:
        """Log posterior of each row of `theta` ``(n, ndim)``; the rows with a finite prior run together."""
        theta = np.atleast_2d(np.asarray(theta, dtype=float))
        out = self.log_prior(theta)
        ok = np.isfinite(out)
        if ok.any():
            p = len(self.names)
            sub = theta[ok]
            out[ok] += self.log_likelihood(sub[:, :p], self.sigma_matrix(sub[:, p:]))
        return np.where(np.isfinite(out), out, -np.inf)

    def sigma_at(self, x: np.ndarray) -> np.ndarray:
        """Root-mean-square residual of each free series at one parameter point (a start for sigma)."""
        r = self.residuals(x[None, :])[0]
        out = []
        for c in self.free:
            j = self.columns.index(c)
            rms = float(np.sqrt(np.mean(r[self.mask[:, j], j] ** 2)))
            out.append(rms if np.isfinite(rms) and rms > 0 else float(
                self.sigma_priors[len(out)].dist.median()))
        return np.array(out)


def _split_sigma(sigma: Any, columns: list[str]) -> tuple[dict[str, float], list[str]]:
    """Fixed sigma per series, and the series whose sigma is estimated."""
    def check(name: str, value: Any) -> float:
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise ParameterError(f"`sigma` of {name!r} must be a number > 0, got {value!r}") from None
        if not (np.isfinite(v) and v > 0):
            raise ParameterError(f"`sigma` of {name!r} must be a finite number > 0, got {value!r}")
        return v

    if sigma is None:
        return {}, list(columns)
    if isinstance(sigma, Mapping):
        unknown = [k for k in sigma if k not in columns]
        if unknown:
            raise DataError(f"`sigma` given for {', '.join(map(repr, unknown))}, which is not a data "
                            f"column (columns: {', '.join(columns)})")
        fixed = {c: check(c, sigma[c]) for c in columns if c in sigma}
        return fixed, [c for c in columns if c not in fixed]
    v = check("every series", sigma)
    return {c: v for c in columns}, []


def _sigma_priors(given: Any, free: list[str], frame: pd.DataFrame, error: str) -> list[SigmaPrior]:
    if given is not None and isinstance(given, Mapping):
        unknown = [k for k in given if k not in free]
        if unknown:
            raise ParameterError(f"`priors['sigma']` given for {', '.join(map(repr, unknown))}, whose "
                                 f"error is not estimated (estimated: {', '.join(free) or 'none'})")
    out = []
    for c in free:
        dist = given.get(c) if isinstance(given, Mapping) else given
        if dist is None:
            typical = 1.0 if error == "lognormal" else float(np.nanmean(np.abs(frame[c].to_numpy())))
            dist = default_sigma_prior(typical if typical > 0 else 1.0)
        out.append(SigmaPrior(c, dist))
    return out
