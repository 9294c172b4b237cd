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

Morris' elementary effects (:func:`morris`, Morris 1991 with Campolongo et
al. 2007's ``mu_star``) from trajectories of ``D + 1`` points: the effect of
parameter ``i`` in a trajectory is the change of the output over the step
that moves ``i`` (up or down), divided by the step ``delta = p / (2 (p -
1))`` of a ``p``-level grid; ``mu``, ``mu_star`` and ``sigma`` are the mean,
the mean of the absolute values and the standard deviation (``ddof=1``) of
the effects over trajectories, and ``mu_star_conf`` is ``z * std`` of
``mu_star`` over bootstrap resamples of the trajectories (for each
parameter in turn, ``num_resamples x trajectories`` integers from
``numpy.random.default_rng(seed)``, as SALib draws them).

eFAST indices (:func:`fast`, Saltelli et al. 1999) from ``D`` search
curves of ``N`` runs each: with ``S_p`` the squared moduli of the Fourier
coefficients (over ``N``) of one curve, ``V = 2 sum S_p``, the first order
index is ``2 sum_{m <= M} S_{m omega} / V`` and the total order ``1 - 2
sum_{p < omega / 2} S_p / V``, ``omega = floor((N - 1) / (2M))``. Their
intervals bootstrap circular windows of half the curve (start points from
numpy's global generator, seeded with ``seed`` when given, one per
parameter and resample: SALib's draws), which SALib calls indicative only.

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
from scipy.special import ndtri  # the normal quantile (scipy.stats.norm.ppf), cheap to import

from .errors import DataError

__all__ = ["sobol", "morris", "fast", "bootstrap_draws", "resample_counts",
           "sobol_bytes_per_run"]

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
    """The A, B, A_B and B_A outputs of a block of standardised series.

    ``Y`` is ``(series, runs)`` in the sampler's order; the parts are
    contiguous ``(series, N)`` arrays (one copy of the block, laid out so
    that every later operation reads memory in order).
    """

    def __init__(self, Y: np.ndarray, D: int, second_order: bool) -> None:
        group = 2 * D + 2 if second_order else D + 2
        self.parts = np.ascontiguousarray(
            Y.reshape(len(Y), -1, group).transpose(0, 2, 1))  # (series, group, N)
        self.A, self.B = self.parts[:, 0], self.parts[:, group - 1]
        self.AB = [self.parts[:, j + 1] for j in range(D)]
        self.BA = [self.parts[:, j + 1 + D] for j in range(D)] if second_order else []

    def rows(self, i: int) -> "_Split":
        """Series ``i`` alone (kept 2-D)."""
        one = _Split.__new__(_Split)
        one.parts = self.parts[i:i + 1]
        one.A, one.B = self.A[i:i + 1], self.B[i:i + 1]
        one.AB = [ab[i:i + 1] for ab in self.AB]
        one.BA = [ba[i:i + 1] for ba in self.BA]
        return one

    def terms(self, pairs: list) -> np.ndarray:
        """The per-row terms whose means make the estimators, ``(series, terms, N)``.

        In order: ``A + B`` and ``A^2 + B^2`` (the variance of the A and B
        outputs), ``B (A_B^j - A)`` (S1 of each j), ``(A - A_B^j)^2 / 2``
        (ST), ``B_A^j A_B^k - A B`` (S2 of each pair), each computed as
        SALib computes it.
        """
        A, B, D = self.A, self.B, len(self.AB)
        T = np.empty((len(A), 2 + 2 * D + len(pairs), A.shape[1]))
        np.add(A, B, out=T[:, 0])
        np.add(A * A, B * B, out=T[:, 1])
        for j, ab in enumerate(self.AB):
            np.multiply(B, ab - A, out=T[:, 2 + j])
            np.multiply(0.5, (A - ab) ** 2, out=T[:, 2 + D + j])
        if pairs:
            AxB = A * B
            for i, (j, k) in enumerate(pairs):
                np.subtract(self.BA[j] * self.AB[k], AxB, out=T[:, 2 + 2 * D + i])
        return T


def _estimates(A, B, AB, BA, pairs, axis):
    """S1, ST (and S2 of ``pairs``) of arrays whose base rows are on ``axis``, SALib's way.

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
    W = resample_counts(r)
    z = ndtri(0.5 + conf_level / 2)
    pairs = [(j, k) for j in range(D) for k in range(j + 1, D)] if second_order else []
    out = {k: np.empty((D, n_series)) for k in ("S1", "S1_conf", "ST", "ST_conf")}
    if second_order:
        out["S2"] = np.full((D, D, n_series), np.nan)
        out["S2_conf"] = np.full((D, D, n_series), np.nan)
    # series at once, as many as keep one block's per-row terms within BLOCK_BYTES
    per_series = Y.shape[1] * sobol_bytes_per_run(D, second_order)
    block = max(1, int(BLOCK_BYTES // per_series))
    for lo in range(0, n_series, block):
        hi = min(n_series, lo + block)
        y = Y[lo:hi]
        # standardised per series, as SALib does with each output vector
        y = (y - y.mean(axis=1, keepdims=True)) / y.std(axis=1, keepdims=True)
        s = _Split(y, D, second_order)
        T = s.terms(pairs)
        var = np.var(np.concatenate([s.A, s.B], axis=1), axis=1)
        constant = _spread(np.concatenate([s.A, s.B], axis=1), 1) <= _EPS
        s1, st, s2 = _from_means(np.mean(T[:, 2:], axis=-1)[..., None], var[:, None],
                                 constant, D, pairs)
        out["S1"][:, lo:hi], out["ST"][:, lo:hi] = s1[..., 0], st[..., 0]
        b1, bt, b2, varies = _bootstrap(s, T, pairs, r, W)
        out["S1_conf"][:, lo:hi] = np.where(varies, z * b1.std(axis=-1, ddof=1), 0.0)
        out["ST_conf"][:, lo:hi] = np.where(varies, z * bt.std(axis=-1, ddof=1), 0.0)
        for i, (j, k) in enumerate(pairs):
            out["S2"][j, k, lo:hi] = s2[i, :, 0]
            out["S2_conf"][j, k, lo:hi] = z * b2[i].std(axis=-1, ddof=1)
    return out


def sobol_bytes_per_run(D: int, second_order: bool) -> float:
    """Working memory of :func:`sobol` per run and series: its per-row terms, twice.

    Examples
    --------
    >>> sobol_bytes_per_run(1, second_order=False)  # 4 terms per base row of 3 runs
    21.333333333333332
    """
    group = 2 * D + 2 if second_order else D + 2
    terms = 2 + 2 * D + (D * (D - 1) // 2 if second_order else 0)
    return 2 * 8.0 * terms / group


def resample_counts(r: np.ndarray) -> np.ndarray:
    """How often each row is drawn in each resample: ``(n, num_resamples)`` from draws ``r``.

    A bootstrap mean ``mean(x[r[:, b]])`` is ``(x @ W)[b] / n`` with these
    counts ``W``: one matrix product gives every resample of every series.

    Examples
    --------
    >>> resample_counts(np.array([[0, 2], [0, 2], [1, 2]])).tolist()
    [[2.0, 0.0], [1.0, 0.0], [0.0, 3.0]]
    """
    n, R = r.shape
    flat = (r + n * np.arange(R)).ravel()
    return np.bincount(flat, minlength=n * R).reshape(R, n).T.astype(float)


#: A resample whose variance (of standardised outputs, about 1) is below this is
#: recomputed from the drawn rows themselves, where SALib's tests at machine epsilon bite.
_SMALL_VAR = 1e-6


def _from_means(means: np.ndarray, var: np.ndarray, constant: np.ndarray, D: int,
                pairs: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """S1, ST and S2 from the means of the estimators' terms, ``(series, terms, k)``, and
    the variances ``(series, k)``: each ``(D or pairs, series, k)``; zero where the
    variance is at most machine epsilon or the series is ``constant`` (SALib's rules)."""
    ratios = np.moveaxis(_ratio(means, var[:, None]), 1, 0)
    s1, st, s2 = ratios[:D], ratios[D:2 * D], ratios[2 * D:]
    s2 = s2 - s1[[j for j, _ in pairs]] - s1[[k for _, k in pairs]]
    for arr in (s1, st, s2):
        arr[:, constant] = 0.0
    return s1, st, s2


def _bootstrap(s: _Split, T: np.ndarray, pairs: list, r: np.ndarray, W: np.ndarray):
    """S1, ST, S2 of every bootstrap resample, ``(D or pairs, series, resamples)``, and
    whether the drawn outputs of each series vary at all (SALib's test of its intervals).

    Each estimator is a mean over base rows of a per-row term (``T``, from
    :meth:`_Split.terms`), divided by the variance of the A and B outputs:
    the terms of every series are summed for every resample at once,
    weighted by the draw counts ``W``. Series with a near-constant resample
    take the drawn rows themselves (:func:`_bootstrap_drawn`), so that
    SALib's rules at machine epsilon hold exactly.
    """
    N = W.shape[0]
    D = len(s.AB)
    means = (T.reshape(-1, N) @ W).reshape(T.shape[0], T.shape[1], -1) / N
    mean = 0.5 * means[:, 0]
    var = 0.5 * means[:, 1] - mean * mean  # (series, resamples), about 1
    drawn = W.sum(axis=1) > 0
    ends = np.concatenate([s.A[:, drawn], s.B[:, drawn]], axis=1)
    spread = _spread(ends, 1)
    constant = spread <= _EPS
    b1, bt, b2 = _from_means(means[:, 2:], var, constant, D, pairs)
    odd = np.flatnonzero(~constant & ~(var > _SMALL_VAR).all(axis=1))  # NaN too
    for i in odd:  # near-constant resamples: SALib's own arithmetic on the drawn rows
        b1[:, i], bt[:, i], b2i, _ = _bootstrap_drawn(s.rows(i), pairs, r)
        if pairs:
            b2[:, i] = b2i
    return b1, bt, b2, spread != 0.0


def _bootstrap_drawn(s: _Split, pairs: list, r: np.ndarray):
    """:func:`_bootstrap` for one series by gathering the drawn rows (as SALib does)."""
    Ar, Br = s.A[:, r], s.B[:, r]
    ABr = [ab[:, r] for ab in s.AB]
    BAr = [ba[:, r] for ba in s.BA]
    b1, bt, b2 = _estimates(Ar, Br, ABr, BAr, pairs, axis=1)
    varies = _spread(np.concatenate([Ar, Br], axis=1), 1) != 0.0
    return b1[:, 0], bt[:, 0], (b2[:, 0] if pairs else None), varies[0]


def morris(X: np.ndarray, Y: np.ndarray, *, num_levels: int = 4, num_resamples: int = 100,
           conf_level: float = 0.95, seed: int | None = None) -> dict[str, np.ndarray]:
    """Morris indices of every row of ``Y`` (``mu``, ``mu_star``, ``sigma``, ``mu_star_conf``).

    Parameters
    ----------
    X : numpy.ndarray
        ``(runs, D)``: the trajectories of a Morris sample (``D + 1`` runs each,
        one parameter moving at each step), in the sampler's order.
    Y : numpy.ndarray
        ``(series, runs)``: the outputs.
    num_levels : int
        Levels of the sample's grid (the step is ``num_levels / (2 (num_levels - 1))``
        of the unit range).
    num_resamples, conf_level, seed
        The bootstrap of ``mu_star_conf`` (see the module).

    Returns
    -------
    dict
        Each index as ``(D, series)``.

    Raises
    ------
    DataError
        If the shapes do not match, or an option is out of range.

    Examples
    --------
    >>> from SALib.sample import morris as morris_sample
    >>> problem = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0, 1], [0, 1]]}
    >>> X = morris_sample.sample(problem, 10, num_levels=4, seed=1)
    >>> Y = np.stack([X[:, 0] + 3 * X[:, 1], 2 * X[:, 0]])
    >>> morris(X, Y, seed=1)["mu_star"].round(6).tolist()
    [[1.0, 2.0], [3.0, 0.0]]
    """
    X = np.asarray(X, dtype=float)
    Y = np.atleast_2d(np.asarray(Y, dtype=float))
    if X.ndim != 2 or X.shape[1] < 1:
        raise DataError(f"`X` must be (runs, parameters), got shape {X.shape}")
    D = X.shape[1]
    size = D + 1
    if Y.ndim != 2 or Y.shape[1] != X.shape[0] or X.shape[0] % size or not X.shape[0]:
        raise DataError(f"`Y` must be (series, runs) with the {X.shape[0]} runs of `X`, in "
                        f"trajectories of {size}; got shape {Y.shape}")
    if isinstance(num_levels, bool) or not isinstance(num_levels, (int, np.integer)) \
            or num_levels < 2:
        raise DataError(f"`num_levels` must be an integer of at least 2, got {num_levels!r}")
    if not 0 < conf_level < 1:
        raise DataError(f"`conf_level` must be between 0 and 1, got {conf_level!r}")
    T = X.shape[0] // size
    delta = num_levels / (2.0 * (num_levels - 1))
    steps = X.reshape(T, size, D)
    moves = steps[:, 1:, :] - steps[:, :-1, :]  # (trajectory, step, parameter)
    pad = ((0, 0), (1, 0), (0, 0)), ((0, 0), (0, 1), (0, 0))
    # the point after a step that raised a parameter, or before one that lowered it ...
    upper = np.pad(moves > 0, pad[0]) + np.pad(moves < 0, pad[1])
    # ... minus the other end of that step
    lower = np.pad(moves > 0, pad[1]) + np.pad(moves < 0, pad[0])
    out = np.reshape(Y, (len(Y), T, size))
    # one point of each trajectory has weight 1 per parameter: the sums are exact
    effects = (np.einsum("sik,ikj->sji", out, upper)
               - np.einsum("sik,ikj->sji", out, lower)) / delta  # (series, D, T)
    z = ndtri(0.5 + conf_level / 2)
    rng = np.random.default_rng(seed)
    conf = np.empty((D, len(Y)))
    for j in range(D):
        draws = rng.integers(T, size=(num_resamples, T))
        resampled = np.abs(effects[:, j, :][:, draws])  # (series, resamples, T)
        conf[j] = z * np.average(resampled, axis=2).std(axis=1, ddof=1)
    return {"mu": np.average(effects, axis=2).T, "mu_star": np.average(np.abs(effects), axis=2).T,
            "sigma": np.std(effects, axis=2, ddof=1).T, "mu_star_conf": conf}


def _fast_orders(curves: np.ndarray, M: int) -> tuple[np.ndarray, np.ndarray]:
    """First and total order of search curves on the last axis (SALib's compute_orders)."""
    N = curves.shape[-1]
    omega = (N - 1) // (2 * M)
    f = np.fft.fft(curves, axis=-1)
    Sp = np.power(np.absolute(f[..., np.arange(1, -(-N // 2))]) / N, 2)
    V = 2.0 * np.sum(Sp, axis=-1)
    D1 = 2.0 * np.sum(Sp[..., np.arange(1, M + 1) * omega - 1], axis=-1)
    Dt = 2.0 * np.sum(Sp[..., np.arange(omega // 2)], axis=-1)
    return D1 / V, 1.0 - Dt / V


def fast(Y: np.ndarray, D: int, *, M: int = 4, num_resamples: int = 100,
         conf_level: float = 0.95, seed: int | None = None) -> dict[str, np.ndarray]:
    """eFAST indices of every row of ``Y`` (``S1``, ``ST`` and their bootstrap intervals).

    Parameters
    ----------
    Y : numpy.ndarray
        ``(series, runs)``: outputs of an eFAST sample, ``D`` search curves
        of ``N`` runs one after the other.
    D : int
        Number of parameters.
    M : int
        Interference parameter of the sample (harmonics counted).
    num_resamples, conf_level, seed
        The bootstrap (see the module). With a seed, numpy's global
        generator is seeded, as SALib does.

    Returns
    -------
    dict
        Each index as ``(D, series)``.

    Raises
    ------
    DataError
        If the runs are not ``D`` curves, a curve is too short for ``M``, or an
        option is out of range.

    Examples
    --------
    >>> from SALib.sample import fast_sampler
    >>> problem = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0, 1], [0, 1]]}
    >>> X = fast_sampler.sample(problem, 129, M=4, seed=1)
    >>> Y = np.stack([X[:, 0] + 3 * X[:, 1], X[:, 0]])
    >>> fast(Y, 2, seed=1)["S1"].round(2).tolist()
    [[0.1, 1.0], [0.9, 0.0]]
    """
    Y = np.atleast_2d(np.asarray(Y, dtype=float))
    if isinstance(D, bool) or not isinstance(D, (int, np.integer)) or D < 1:
        raise DataError(f"`D` must be a positive integer, got {D!r}")
    if Y.ndim != 2 or not Y.shape[1] or Y.shape[1] % D:
        raise DataError(f"`Y` must be (series, runs) with runs a multiple of D={D}, got shape "
                        f"{Y.shape}")
    N = Y.shape[1] // D
    half = -(-N // 2)
    if isinstance(M, bool) or not isinstance(M, (int, np.integer)) or M < 1 \
            or (half - 1) // (2 * M) < 1:
        raise DataError(f"`M` must be a positive integer with curves of at least 4M + 2 runs; "
                        f"got M={M!r} and curves of {N} runs")
    if not 0 < conf_level < 1:
        raise DataError(f"`conf_level` must be between 0 and 1, got {conf_level!r}")
    if seed:
        np.random.seed(seed)
    # SALib's draws: a start per resample, parameter after parameter
    starts = np.array([[np.random.randint(0, N) for _ in range(num_resamples)]
                       for _ in range(D)], dtype=np.int64)
    windows = (starts[..., None] + np.arange(half)) % N  # (D, resamples, half): circular
    z = ndtri(0.5 + conf_level / 2.0)
    out = {k: np.empty((D, len(Y))) for k in ("S1", "ST", "S1_conf", "ST_conf")}
    block = max(1, int(BLOCK_BYTES // (16.0 * num_resamples * half * 3)))
    for lo in range(0, len(Y), block):
        y = Y[lo:lo + block].reshape(-1, D, N)
        out["S1"][:, lo:lo + block], out["ST"][:, lo:lo + block] = (
            a.T for a in _fast_orders(y, M))
        for i in range(D):
            s1, st = _fast_orders(y[:, i, :][:, windows[i]], M)  # (series, resamples)
            out["S1_conf"][i, lo:lo + block] = z * s1.std(axis=-1, ddof=1)
            out["ST_conf"][i, lo:lo + block] = z * st.std(axis=-1, ddof=1)
    return out
