"""Sensitivity indices of many output series at once: Sobol' (with S2) by bootstrap, vectorised.

SALib's analysers take one output vector at a time; a time-resolved study
asks for every (output, time). The functions here take ``Y`` of shape
``(series, runs)`` and compute the indices of every row together, with the
estimators SALib uses and the same bootstrap draws, so that each row's
numbers equal SALib's for that row (to rounding): SALib stays the sampler
and the reference (``tests/test_indices.py`` compares them).

Sobol' indices (:func:`sobol`) from a Saltelli sample of ``N`` base rows
(``D + 2`` or ``2D + 2`` runs each, in the order SALib's sampler writes
them):

* first order, Saltelli et al. (2010), table 2 (b):
  ``S_i = mean(f(B) (f(A_B^i) - f(A))) / V``;
* total order, Jansen (1999) as in Saltelli et al. (2010), table 2 (f):
  ``ST_i = mean((f(A) - f(A_B^i))^2) / (2 V)``;
* second order, Saltelli (2002):
  ``S_ij = mean(f(B_A^i) f(A_B^j) - f(A) f(B)) / V - S_i - S_j``;

with ``V`` the variance of the ``A`` and ``B`` outputs together, each
series standardised first (mean 0, standard deviation 1). Confidence
intervals are ``z * std`` of the estimates over ``num_resamples``
bootstrap resamples of the base rows (drawn once, ``N x num_resamples``
integers, as SALib draws them: ``numpy.random.default_rng(seed).integers``,
or ``numpy.random.randint`` without a seed).

Examples
--------
>>> import numpy as np
>>> from SALib.sample import sobol as sobol_sample
>>> problem = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0, 1], [0, 1]]}
>>> X = sobol_sample.sample(problem, 256, calc_second_order=False, seed=1)
>>> Y = np.stack([X[:, 0] + 3 * X[:, 1], X[:, 0] ** 2])  # two series
>>> si = sobol(Y, 2, second_order=False, seed=4)
>>> si["S1"].shape, si["S1"][:, 1].round(2).tolist()  # (param, series)
((2, 2), [1.0, 0.0])
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

from .errors import DataError

__all__ = ["sobol", "bootstrap_draws"]

_EPS = np.finfo(float).eps
#: Series analysed together in one block (bounds the bootstrap's memory).
BLOCK_BYTES = 2**28


def bootstrap_draws(n: int, num_resamples: int, seed: int | None) -> np.ndarray:
    """The resampled rows, ``(n, num_resamples)``: the same integers SALib draws.

    Examples
    --------
    >>> bootstrap_draws(4, 3, seed=1).shape
    (4, 3)
    """
    if seed:
        return np.random.default_rng(seed).integers(n, size=(n, num_resamples))
    return np.random.randint(n, size=(n, num_resamples))


def _ratio(num: np.ndarray, var: np.ndarray) -> np.ndarray:
    """``num / var`` where the variance is above machine epsilon, else 0 (as SALib)."""
    return np.divide(num, var, out=np.zeros(np.broadcast_shapes(num.shape, var.shape)),
                     where=var > _EPS)


class _Split:
    """The A, B, A_B and B_A outputs of a block of standardised series (runs on axis 1)."""

    def __init__(self, Y: np.ndarray, D: int, second_order: bool) -> None:
        step = 2 * D + 2 if second_order else D + 2
        self.A = Y[:, 0::step]
        self.B = Y[:, step - 1::step]
        self.AB = [Y[:, j + 1::step] for j in range(D)]
        self.BA = [Y[:, j + 1 + D::step] for j in range(D)] if second_order else []


def _estimates(A, B, AB, BA, pairs, axis):
    """S1, ST (and S2 of ``pairs``) of arrays whose base rows are on ``axis``.

    A constant block (the spread of all A and B values at most machine
    epsilon) gives zeros, as in SALib.
    """
    y = np.concatenate([A, B], axis=axis)
    var = np.var(y, axis=axis)
    constant = _spread(y, axis) <= _EPS
    s1 = [_ratio(np.mean(B * (ab - A), axis=axis), var) for ab in AB]
    st = [_ratio(0.5 * np.mean((A - ab) ** 2, axis=axis), var) for ab in AB]
    s2 = [_ratio(np.mean(BA[j] * AB[k] - A * B, axis=axis), var) - s1[j] - s1[k]
          for j, k in pairs]
    out = [np.array(s1), np.array(st), np.array(s2) if pairs else None]
    for arr in out:
        if arr is not None:
            arr[:, constant] = 0.0
    return out


def _spread(y: np.ndarray, axis: int) -> np.ndarray:
    """np.ptp over every axis but the series axis (0)."""
    other = tuple(range(1, y.ndim))
    return np.max(y, axis=other) - np.min(y, axis=other)


def sobol(Y: np.ndarray, D: int, *, second_order: bool = True, num_resamples: int = 100,
          conf_level: float = 0.95, seed: int | None = None) -> dict[str, np.ndarray]:
    """Sobol' indices of every row of ``Y``, with bootstrap confidence intervals.

    Parameters
    ----------
    Y : numpy.ndarray
        ``(series, runs)``: each row the outputs of a Saltelli sample (runs
        in the sampler's order).
    D : int
        Number of parameters (groups).
    second_order : bool
        Whether the sample holds the ``B_A`` runs (``2D + 2`` per base row).
    num_resamples : int
        Bootstrap resamples.
    conf_level : float
        Confidence level of the intervals, in (0, 1).
    seed : int, optional
        Seed of the bootstrap draws (SALib's meaning: 0 or None use
        numpy's global generator).

    Returns
    -------
    dict
        ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` of shape ``(D, series)``;
        with ``second_order``, ``S2`` and ``S2_conf`` of shape ``(D, D,
        series)``, NaN on and below the diagonal.

    Raises
    ------
    DataError
        If the number of runs is not a multiple of the group size, or an
        option is out of range.

    Examples
    --------
    See the module's example.
    """
    Y = np.atleast_2d(np.asarray(Y, dtype=float))
    if isinstance(D, bool) or not isinstance(D, (int, np.integer)) or D < 1:
        raise DataError(f"`D` must be a positive integer, got {D!r}")
    group = 2 * D + 2 if second_order else D + 2
    if Y.ndim != 2 or Y.shape[1] == 0 or Y.shape[1] % group:
        raise DataError(f"`Y` must be (series, runs) with runs a multiple of {group} "
                        f"(D={D}, second_order={second_order}), got shape {Y.shape}")
    if not 0 < conf_level < 1:
        raise DataError(f"`conf_level` must be between 0 and 1, got {conf_level!r}")
    if isinstance(num_resamples, bool) or not isinstance(num_resamples, (int, np.integer)) \
            or num_resamples < 2:
        raise DataError(f"`num_resamples` must be an integer of at least 2, got {num_resamples!r}")
    n_series, N = Y.shape[0], Y.shape[1] // group
    r = bootstrap_draws(N, num_resamples, seed)
    z = norm.ppf(0.5 + conf_level / 2)
    pairs = [(j, k) for j in range(D) for k in range(j + 1, D)] if second_order else []
    out = {k: np.empty((D, n_series)) for k in ("S1", "S1_conf", "ST", "ST_conf")}
    if second_order:
        out["S2"] = np.full((D, D, n_series), np.nan)
        out["S2_conf"] = np.full((D, D, n_series), np.nan)
    # series at once, as many as keep one block's bootstrap arrays within BLOCK_BYTES
    per_series = 8.0 * N * num_resamples * (6 + 2 * D)
    block = max(1, int(BLOCK_BYTES // per_series))
    for lo in range(0, n_series, block):
        hi = min(n_series, lo + block)
        y = Y[lo:hi]
        # standardised per series, as SALib does with each output vector
        y = (y - y.mean(axis=1, keepdims=True)) / y.std(axis=1, keepdims=True)
        s = _Split(y, D, second_order)
        s1, st, s2 = _estimates(s.A, s.B, s.AB, s.BA, pairs, axis=1)
        out["S1"][:, lo:hi], out["ST"][:, lo:hi] = s1, st
        # resampled: (series, N, resamples), base rows on axis 1
        Ar, Br = s.A[:, r], s.B[:, r]
        ABr = [ab[:, r] for ab in s.AB]
        BAr = [ba[:, r] for ba in s.BA]
        b1, bt, b2 = _estimates(Ar, Br, ABr, BAr, pairs, axis=1)
        varies = _spread(np.concatenate([Ar, Br], axis=1), 1) != 0.0
        out["S1_conf"][:, lo:hi] = np.where(varies, z * b1.std(axis=-1, ddof=1), 0.0)
        out["ST_conf"][:, lo:hi] = np.where(varies, z * bt.std(axis=-1, ddof=1), 0.0)
        for i, (j, k) in enumerate(pairs):
            out["S2"][j, k, lo:hi] = s2[i]
            out["S2_conf"][j, k, lo:hi] = z * b2[i].std(axis=-1, ddof=1)
    return out
