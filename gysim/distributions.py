"""Vensim's shifted, stretched and truncated distributions as inverse CDFs.

Vensim's RANDOM BETA, BINOMIAL, GAMMA, NEGATIVE BINOMIAL and WEIBULL (its
function reference, "RANDOM Number Functions") draw ``y`` from a standard
distribution, return ``shift + stretch * y``, and truncate the result to
``[min, max]``. Here each is the inverse of its CDF at a uniform ``u`` in
(0, 1) restricted to the CDF's values on the truncation interval, so the
truncation is exact without rejection (the design of
:mod:`gysim.random_draws`, which gives the ``u``). The standard
distributions:

* beta: Beta(alpha, beta) on [0, 1];
* binomial: successes in ``n`` trials of probability ``p`` (an integer);
* gamma: Gamma of shape ``order`` and scale 1 (order 1 is RANDOM
  EXPONENTIAL's exponential of mean 1; an order below 1 is taken as 1, as
  Vensim does);
* negative binomial: the number of trials up to and including the ``n``-th
  success of probability ``p`` (an integer from ``n`` on);
* weibull: shape ``shape``, scaled to mean 1 ("starting at 0 with mean 1");
* lookup (RANDOM LOOKUP): the density whose shape is a lookup's points,
  interpolated linearly between them and zero outside them (normalised to
  area 1), as Vensim's reference says ("RANDOM number using LOOKUP PDF").

All work elementwise on arrays (the run axis and any dimensions broadcast).

Examples
--------
>>> import numpy as np
>>> u = np.array([0.25, 0.5, 0.75])
>>> beta(u, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0)   # Beta(1, 1) is uniform
array([0.25, 0.5 , 0.75])
>>> binomial(np.array([0.5]), 0.0, 100.0, 0.5, 2.0, 10.0, 1.0)  # median of Bin(2, 0.5) is 1
array([11.])
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import special

__all__ = ["beta", "binomial", "gamma", "negative_binomial", "weibull", "lookup",
           "lookup_points"]


def _standard_bounds(lo, hi, shift, stretch):
    """The interval of the standard variable ``y`` whose ``shift + stretch * y`` is in
    ``[lo, hi]`` (a negative stretch flips it)."""
    a, b = (lo - shift) / stretch, (hi - shift) / stretch
    return np.minimum(a, b), np.maximum(a, b)


def _continuous(u, lo, hi, shift, stretch, cdf, ppf):
    y_lo, y_hi = _standard_bounds(lo, hi, shift, stretch)
    p_lo, p_hi = cdf(y_lo), cdf(y_hi)
    y = ppf(p_lo + u * np.maximum(p_hi - p_lo, 0.0))
    return np.clip(shift + stretch * y, lo, hi)


def _discrete(u, lo, hi, shift, stretch, cdf, ppf):
    """As :func:`_continuous` for a distribution on the integers: the truncation keeps
    the integers ``k`` with ``shift + stretch * k`` in ``[lo, hi]``."""
    y_lo, y_hi = _standard_bounds(lo, hi, shift, stretch)
    k_lo, k_hi = np.ceil(y_lo), np.floor(y_hi)
    p_lo, p_hi = cdf(k_lo - 1), cdf(k_hi)
    k = ppf(p_lo + u * np.maximum(p_hi - p_lo, 0.0))
    return np.clip(shift + stretch * np.clip(k, k_lo, k_hi), lo, hi)


def beta(u, lo, hi, alpha, beta_, shift, stretch):
    """RANDOM BETA(min, max, alpha, beta, shift, stretch) at the uniforms ``u``."""
    return _continuous(u, lo, hi, shift, stretch,
                       lambda y: special.betainc(alpha, beta_, np.clip(y, 0.0, 1.0)),
                       lambda p: special.betaincinv(alpha, beta_, p))


def gamma(u, lo, hi, order, shift, stretch):
    """RANDOM GAMMA(min, max, order, shift, stretch) at the uniforms ``u``."""
    order = np.maximum(order, 1.0)
    return _continuous(u, lo, hi, shift, stretch,
                       lambda y: special.gammainc(order, np.maximum(y, 0.0)),
                       lambda p: special.gammaincinv(order, p))


def weibull(u, lo, hi, shape, shift, stretch):
    """RANDOM WEIBULL(min, max, shape, shift, stretch) at the uniforms ``u``: the
    Weibull of that shape with scale ``1 / Gamma(1 + 1 / shape)`` (mean 1)."""
    scale = 1.0 / special.gamma(1.0 + 1.0 / shape)
    return _continuous(u, lo, hi, shift, stretch,
                       lambda y: -np.expm1(-(np.maximum(y, 0.0) / scale) ** shape),
                       lambda p: scale * (-np.log1p(-p)) ** (1.0 / shape))


def binomial(u, lo, hi, p, n, shift, stretch):
    """RANDOM BINOMIAL(min, max, p, n, shift, stretch) at the uniforms ``u``."""
    from scipy import stats  # here, not at import: scipy.stats takes a second to import

    n = np.round(n)
    return _discrete(u, lo, hi, shift, stretch, lambda k: stats.binom.cdf(k, n, p),
                     lambda q: stats.binom.ppf(q, n, p))


def negative_binomial(u, lo, hi, p, n, shift, stretch):
    """RANDOM NEGATIVE BINOMIAL(min, max, p, n, shift, stretch) at the uniforms ``u``:
    trials until the ``n``-th success (scipy's ``nbinom`` counts the failures)."""
    from scipy import stats

    n = np.round(n)
    return _discrete(u, lo, hi, shift, stretch, lambda k: stats.nbinom.cdf(k - n, n, p),
                     lambda q: stats.nbinom.ppf(q, n, p) + n)


def lookup_points(n, points) -> tuple[np.ndarray, np.ndarray] | None:
    """The lookup ``(x, y)`` of ``n`` points given as ``x1..xn, y1..yn``; None if it is
    not a density (fewer than 2 points, x not increasing, a negative or non-finite
    value, or no area).

    Examples
    --------
    >>> lookup_points(3, [0.0, 1.0, 3.0, 0.0, 1.0, 0.0])
    (array([0., 1., 3.]), array([0., 1., 0.]))
    >>> lookup_points(2, [0.0, 1.0, 0.0, 0.0]) is None  # no area
    True
    """
    n = int(np.ravel(n)[0]) if np.size(n) else 0
    values = np.array([float(np.ravel(p)[0]) for p in points])
    if n < 2 or len(values) != 2 * n or not np.isfinite(values).all():
        return None
    x, y = values[:n], values[n:]
    if (np.diff(x) <= 0).any() or (y < 0).any() or not ((y[:-1] + y[1:]) * np.diff(x)).sum() > 0:
        return None
    return x, y


@functools.lru_cache(maxsize=256)
def _density(n: int, values: tuple) -> tuple | None:
    """The density of a lookup's points, normalised to area 1: its points ``x``, heights
    ``y``, CDF at the points and slopes (None if not a density). Made once per lookup:
    a draw calls it at every step."""
    table = lookup_points(n, values)
    if table is None:
        return None
    x, y = table
    widths = np.diff(x)
    cum = np.concatenate([[0.0], np.cumsum((y[:-1] + y[1:]) / 2 * widths)])
    y, cum = y / cum[-1], cum / cum[-1]  # a density of area 1, and its CDF at the points
    return x, y, cum, np.diff(y) / widths


def lookup(u, lo, hi, shift, stretch, n, *points):
    """``shift + stretch * y``, ``y`` drawn from the density shaped as a lookup, truncated
    to ``[lo, hi]``: ``points`` are the lookup's ``x1..xn, y1..yn`` (NaN if they are not
    a density, :func:`lookup_points`).

    Examples
    --------
    >>> import numpy as np
    >>> # density 2 - 2x on [0, 1]: the CDF is 2x - x**2, its median 1 - sqrt(1/2)
    >>> lookup(np.array([0.5]), -9.0, 9.0, 0.0, 1.0, 2, 0.0, 1.0, 2.0, 0.0).round(6)
    array([0.292893])
    """
    table = _density(int(np.ravel(n)[0]) if np.size(n) else 0,
                     tuple(float(np.ravel(p)[0]) for p in points))
    if table is None:
        return np.full(np.shape(u), np.nan)
    x, y, cum, slope = table
    widths = np.diff(x)

    def cdf(v):
        v = np.clip(v, x[0], x[-1])
        i = np.clip(np.searchsorted(x, v, "right") - 1, 0, len(widths) - 1)
        d = v - x[i]
        return np.minimum(cum[i] + y[i] * d + slope[i] * d * d / 2, 1.0)

    def ppf(p):
        i = np.clip(np.searchsorted(cum, p, "right") - 1, 0, len(widths) - 1)
        a = np.maximum(p - cum[i], 0.0)  # area to cover within segment i
        # the root of y_i d + slope_i d**2 / 2 = a, written without cancellation
        denominator = y[i] + np.sqrt(np.maximum(y[i] ** 2 + 2 * slope[i] * a, 0.0))
        d = np.where(denominator > 0, 2 * a / np.where(denominator > 0, denominator, 1.0), 0.0)
        return np.minimum(x[i] + d, x[i + 1])

    return _continuous(u, lo, hi, shift, stretch, cdf, ppf)
