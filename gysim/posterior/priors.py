"""Priors of a posterior: scipy.stats frozen distributions, truncated to each parameter's bounds.

A parameter's prior is uniform over its bounds unless ``priors=`` gives a
frozen :mod:`scipy.stats` distribution for it; a given prior is truncated to
the bounds (a model's bounds are hard limits: no run goes outside them).

An observation error ``sigma`` that is estimated is sampled as ``log(sigma)``;
its prior is a distribution of ``sigma`` itself (default
:func:`default_sigma_prior`: log-normal with median 5 % of the series'
typical size and a log-standard deviation of 2, i.e. 95 % of its mass between
about 0.1 % and 250 % of that size: weakly informative). The density of
``z = log(sigma)`` is ``p_sigma(exp(z)) * exp(z)``.

Examples
--------
>>> import numpy as np, scipy.stats
>>> from gysim.posterior.priors import Prior
>>> p = Prior("r", scipy.stats.norm(0.1, 1.0), 0.0, 1.0)   # truncated to [0, 1]
>>> bool(np.isfinite(p.logpdf(np.array([0.5]))[0])), float(p.logpdf(np.array([1.5]))[0])
(True, -inf)
>>> round(Prior("r", None, 0.0, 1.0).variance(), 6)           # uniform: (1 - 0) ** 2 / 12
0.083333
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import ParameterError

__all__ = ["Prior", "SigmaPrior", "parameter_priors", "default_sigma_prior",
           "SIGMA_PRIOR_MEDIAN", "SIGMA_PRIOR_LOG_SD"]

#: Median of the default prior of an estimated observation error, as a fraction of the
#: series' typical size (of 1 on the log scale of lognormal errors).
SIGMA_PRIOR_MEDIAN = 0.05
#: Standard deviation of ``log(sigma)`` under the default prior.
SIGMA_PRIOR_LOG_SD = 2.0


def _check_distribution(name: str, dist: Any, argument: str = "priors") -> None:
    if not (hasattr(dist, "logpdf") and hasattr(dist, "cdf") and hasattr(dist, "ppf")
            and hasattr(dist, "dist")):
        raise ParameterError(
            f"`{argument}` of '{name}' must be a frozen scipy.stats continuous distribution "
            f"(e.g. scipy.stats.norm(0.05, 0.01)), got {type(dist).__name__}")
    if np.ndim(dist.mean()) != 0:
        raise ParameterError(f"`{argument}` of '{name}' must be a univariate distribution")


class Prior:
    """The prior of one parameter: a frozen distribution (or uniform) truncated to ``[lower, upper]``.

    Parameters
    ----------
    name : str
    dist : scipy.stats frozen distribution or None
        None: uniform over the bounds.
    lower, upper : float
        The parameter's bounds.

    Examples
    --------
    >>> import numpy as np
    >>> p = Prior("k", None, 0.0, 2.0)
    >>> p.logpdf(np.array([1.0, 3.0])).tolist()     # log(1/2), outside
    [-0.6931471805599453, -inf]
    >>> x = p.draw(1000, np.random.default_rng(0))
    >>> bool(x.min() >= 0 and x.max() <= 2)
    True
    """

    def __init__(self, name: str, dist: Any, lower: float, upper: float) -> None:
        import scipy.stats  # imported on first use: scipy.stats takes ~0.3 s to import

        self.name, self.lower, self.upper = name, float(lower), float(upper)
        self.given = dist is not None
        if dist is None:
            dist = scipy.stats.uniform(loc=lower, scale=upper - lower)
        _check_distribution(name, dist)
        self.dist = dist
        self.c_lo, self.c_hi = float(dist.cdf(lower)), float(dist.cdf(upper))
        self.mass = self.c_hi - self.c_lo
        if not self.mass > 0:
            raise ParameterError(
                f"the prior of '{name}' puts no probability within its bounds ({lower:g}, {upper:g}); "
                "give a prior whose support overlaps the bounds")

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        """Log density of the truncated prior (-inf outside the bounds)."""
        x = np.asarray(x, dtype=float)
        inside = (x >= self.lower) & (x <= self.upper)
        if not self.given:  # uniform: no scipy call on the sampler's hot path
            return np.where(inside, -np.log(self.upper - self.lower), -np.inf)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(inside, self.dist.logpdf(np.clip(x, self.lower, self.upper))
                           - np.log(self.mass), -np.inf)
        return np.where(np.isnan(out), -np.inf, out)

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """`n` draws from the truncated prior (inverse CDF)."""
        u = rng.uniform(self.c_lo, self.c_hi, size=n)
        return np.clip(self.dist.ppf(u), self.lower, self.upper)

    def variance(self) -> float:
        """Variance of the truncated prior."""
        if not self.given:
            return (self.upper - self.lower) ** 2 / 12.0
        mean = self.dist.expect(lambda x: x, lb=self.lower, ub=self.upper, conditional=True)
        second = self.dist.expect(lambda x: x * x, lb=self.lower, ub=self.upper, conditional=True)
        return float(second - mean**2)

    def __repr__(self) -> str:
        what = f"{self.dist.dist.name}{self.dist.args}" if self.given else "uniform"
        return f"Prior({self.name!r}, {what}, [{self.lower:g}, {self.upper:g}])"


class SigmaPrior:
    """The prior of an observation error ``sigma > 0``, sampled as ``z = log(sigma)``.

    Examples
    --------
    >>> import numpy as np, scipy.stats
    >>> p = SigmaPrior("gdp", scipy.stats.lognorm(s=1.0, scale=0.1))
    >>> z = np.log(0.1)
    >>> round(float(p.logpdf_log(np.array([z]))[0]), 6)   # N(log 0.1, 1) density at its mean
    -0.918939
    """

    def __init__(self, series: str, dist: Any) -> None:
        _check_distribution(series, dist, argument="priors['sigma']")
        if float(dist.cdf(0.0)) > 0:
            raise ParameterError(f"the prior of sigma of '{series}' must be for positive values only "
                                 "(e.g. scipy.stats.halfnorm(scale=0.1) or lognorm)")
        self.series, self.dist = series, dist
        self._normal = _log_normal_of(dist)

    def _log_normal(self, z: np.ndarray) -> np.ndarray:
        mu, s = self._normal
        return -0.5 * ((z - mu) / s) ** 2 - np.log(s) - 0.5 * np.log(2 * np.pi)

    def logpdf_log(self, z: np.ndarray) -> np.ndarray:
        """Log density of ``z = log(sigma)``."""
        z = np.asarray(z, dtype=float)
        if self._normal is not None:  # log-normal sigma: z is normal (no scipy call on the hot path)
            return np.where(np.isfinite(z), self._log_normal(z), -np.inf)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            out = self.dist.logpdf(np.exp(z)) + z
        return np.where(np.isnan(out), -np.inf, out)

    def draw_log(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """`n` draws of ``log(sigma)``."""
        u = rng.uniform(1e-6, 1 - 1e-6, size=n)
        return np.log(np.maximum(self.dist.ppf(u), 1e-300))

    def log_variance(self) -> float:
        """Variance of ``log(sigma)`` under the prior (from 4000 evenly spaced quantiles).

        Examples
        --------
        >>> import scipy.stats
        >>> round(SigmaPrior("x", scipy.stats.lognorm(s=2.0, scale=0.05)).log_variance(), 2)   # 2 ** 2
        4.0
        """
        u = (np.arange(4000) + 0.5) / 4000
        return float(np.var(np.log(self.dist.ppf(u))))


def _log_normal_of(dist: Any) -> tuple[float, float] | None:
    """``(mu, s)`` if ``log`` of `dist` is ``Normal(mu, s**2)`` (a log-normal from 0), else None.

    Checked on the density itself, at a spread of points, against scipy's.
    """
    if getattr(getattr(dist, "dist", None), "name", None) != "lognorm":
        return None
    mu = float(np.log(dist.median()))
    s = float(np.log(dist.ppf(0.8413447460685429)) - mu)
    if not (np.isfinite(mu) and np.isfinite(s) and s > 0):
        return None
    z = mu + s * np.linspace(-6, 6, 13)
    exact = dist.logpdf(np.exp(z)) + z
    closed = -0.5 * ((z - mu) / s) ** 2 - np.log(s) - 0.5 * np.log(2 * np.pi)
    return (mu, s) if np.allclose(closed, exact, rtol=1e-9, atol=1e-9) else None


def default_sigma_prior(typical: float) -> Any:
    """The default prior of an observation error: log-normal, median ``0.05 * typical``.

    Parameters
    ----------
    typical : float
        1 for lognormal errors (``sigma`` is on the log scale: a relative
        error); the mean absolute observation of the series for normal errors.

    Examples
    --------
    >>> d = default_sigma_prior(1.0)
    >>> round(float(d.median()), 3), [round(float(v), 4) for v in d.interval(0.95)]
    (0.05, [0.001, 2.5198])
    """
    import scipy.stats

    return scipy.stats.lognorm(s=SIGMA_PRIOR_LOG_SD, scale=SIGMA_PRIOR_MEDIAN * typical)


def parameter_priors(names: Sequence[str], lower: np.ndarray, upper: np.ndarray,
                     priors: Mapping[str, Any] | None) -> list[Prior]:
    """One :class:`Prior` per parameter (``priors`` by name; uniform over the bounds otherwise).

    Raises
    ------
    ParameterError
        For a prior of a name that is not sampled, or that is not a frozen
        scipy.stats distribution, or that has no mass within the bounds.

    Examples
    --------
    >>> import numpy as np, scipy.stats
    >>> ps = parameter_priors(["a", "b"], np.array([0.0, 0.0]), np.array([1.0, 1.0]),
    ...                       {"b": scipy.stats.beta(2, 2)})
    >>> [p.given for p in ps]
    [False, True]
    >>> parameter_priors(["a"], np.array([0.0]), np.array([1.0]), {"c": scipy.stats.norm()})
    Traceback (most recent call last):
    ...
    gysim.errors.ParameterError: `priors` given for 'c', which is not a sampled parameter (sampled: a; the observation errors' priors go under 'sigma')
    """
    priors = dict(priors or {})
    priors.pop("sigma", None)
    extra = [k for k in priors if k not in names]
    if extra:
        raise ParameterError(f"`priors` given for {', '.join(map(repr, extra))}, which is not a sampled "
                             f"parameter (sampled: {', '.join(names)}; the observation errors' priors "
                             "go under 'sigma')")
    return [Prior(n, priors.get(n), lo, hi) for n, lo, hi in zip(names, lower, upper)]
