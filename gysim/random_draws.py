"""Random draws of the RANDOM functions: one stream per run, one draw per time step.

The streams
-----------
``gysim.simulate(model, seed=s)`` gives run ``r`` of the ensemble a 64-bit
key made from the state of ``numpy.random.SeedSequence(s)`` and ``r``
(:func:`run_keys`), so a run's draws depend on the seed and its own number
only: not on the other runs, the ensemble's size or how runs are chunked. Within a run, the draw of one call (a key made of the element
that calls it, the call's position in the equation and its seed/stream
argument) at time step ``k`` for element ``e`` of a subscripted variable is
one uniform number ``u`` in (0, 1), a SplitMix64 hash of (run key, call key,
``k``, ``e``) with 53 random bits. Each distribution is its inverse CDF at
``u``, restricted to the truncation interval, so truncation is exact and
needs no rejection. A draw is held for the whole time step, as Vensim's are
(every evaluation within the step, the RK4 stages at ``t + dt/2`` included,
sees the same value; RK4's last stage, at ``t + dt``, sees the next step's);
``k`` counts steps from the model's start time. Adaptive methods are refused
by :func:`gysim.simulate` (a draw per step needs a step).

Outside :func:`gysim.simulate` (a compiled model called directly) the runs
use the keys of seed 0, run 0.

Examples
--------
>>> import numpy as np
>>> with streams(seed=3, lo=0, hi=2):
...     a = draw(0.0, 1.0, UNIFORM, 12345.0, 0.0, 1.0, 0, 0.0, 1.0, 0.0)
>>> a.shape, bool(np.all((0 <= a) & (a < 1)))
((2,), True)
>>> with streams(seed=3, lo=1, hi=2):  # run 1 alone draws what it drew beside run 0
...     b = draw(0.0, 1.0, UNIFORM, 12345.0, 0.0, 1.0, 0, 0.0, 1.0, 0.0)
>>> bool(b[0] == a[1])
True
"""

from __future__ import annotations

import contextlib
import contextvars
import zlib
from typing import Any, Iterator

import numpy as np
from scipy import special

from . import distributions as dist
from .errors import ModelDefinitionError
from .expr import Call, walk

__all__ = ["DISTRIBUTIONS", "call_key", "draw", "random_owners", "run_keys", "streams",
           "NORMAL", "PINK", "UNIFORM"]

#: Codes of the distributions (the first argument of the generated ``_random`` call).
UNIFORM, NORMAL, EXPONENTIAL, POISSON, TRIANGULAR, LOGNORMAL, PINK = range(7)
#: Codes of Vensim's other distributions (:mod:`gysim.distributions`).
BETA, BINOMIAL, GAMMA, NEGATIVE_BINOMIAL, WEIBULL, LOOKUP = range(7, 13)
#: Name of each code, for messages.
DISTRIBUTIONS = ("uniform", "normal", "exponential", "poisson", "triangular", "lognormal",
                 "pink noise", "beta", "binomial", "gamma", "negative binomial", "weibull",
                 "lookup")

_ACTIVE: contextvars.ContextVar[np.ndarray | None] = contextvars.ContextVar(
    "gysim_random_streams", default=None)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def run_keys(seed: int, lo: int, hi: int) -> np.ndarray:
    """The 64-bit keys of runs ``lo:hi`` under ``seed``.

    ``numpy.random.SeedSequence(seed)`` gives two 64-bit words ``(a, b)``; run
    ``r``'s key is ``mix(a ^ mix(b + r * golden))`` with SplitMix64's finaliser
    ``mix``: a key per run, computed for a chunk of runs at once.

    Examples
    --------
    >>> bool(run_keys(0, 0, 3)[1] == run_keys(0, 1, 2)[0])
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ModelDefinitionError(f"`seed` must be a non-negative integer, got {seed!r}")
    a, b = np.random.SeedSequence(int(seed)).generate_state(2, np.uint64)
    runs = np.arange(lo, hi, dtype=np.uint64)
    with np.errstate(over="ignore"):
        return _mix(a ^ _mix(b + runs * _GOLDEN))


@contextlib.contextmanager
def streams(seed: int, lo: int, hi: int) -> Iterator[None]:
    """Within the block, the generated code draws for runs ``lo:hi`` of ``seed``."""
    token = _ACTIVE.set(run_keys(seed, lo, hi))
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def random_owners(program: Any) -> list[str]:
    """Elements of a compiled program whose equations draw random numbers.

    ``program`` is a :class:`gysim.engine.program.Program` (its equations and
    hidden derivatives are searched for lowered ``_random`` calls).
    """
    found = []
    for name, tree in [*program.equations.items(), *program.hidden_derivs.items()]:
        if any(isinstance(n, Call) and n.func == "_random" for n in walk(tree)):
            found.append(name.rsplit("_", 1)[0] if name.startswith("_") else name)
    return sorted(set(found))


def call_key(owner: str, position: int) -> float:
    """A stable key of one call: the element calling it and the call's position there.

    Examples
    --------
    >>> call_key("noise", 0) == call_key("noise", 0) != call_key("noise", 1)
    True
    """
    return float(zlib.crc32(f"{owner}\0{position}".encode()))


def _mix(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def _uniforms(key: float, stream: float, step: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    runs = _ACTIVE.get()
    if runs is None:
        runs = run_keys(0, 0, 1)
    elements = np.arange(int(np.prod(shape)), dtype=np.uint64).reshape(shape + (1,))
    with np.errstate(over="ignore"):
        call = _mix(np.uint64(int(key)) * _GOLDEN + np.uint64(int(round(stream)) % 2 ** 63))
        z = _mix(runs ^ _mix(call + np.asarray(step, dtype=np.uint64) * _GOLDEN))
        z = _mix(z + (elements + np.uint64(1)) * _GOLDEN)
    # 53 bits, shifted half a unit off 0 so that u is in (0, 1)
    return ((z >> np.uint64(11)).astype(float) + 0.5) * 2.0 ** -53


def _between(cdf_lo, cdf_hi, u):
    return cdf_lo + u * np.maximum(cdf_hi - cdf_lo, 0.0)


def _uniform(u, lo, hi):
    return lo + (hi - lo) * u


def _normal(u, lo, hi, mean, sd):
    a, b = special.ndtr((lo - mean) / sd), special.ndtr((hi - mean) / sd)
    return np.clip(mean + sd * special.ndtri(_between(a, b, u)), lo, hi)


def _exponential(u, lo, hi, shift, stretch):
    # exponential of mean 1, stretched then shifted, truncated to [lo, hi]
    a = 1.0 - np.exp(-np.maximum((lo - shift) / stretch, 0.0))
    b = 1.0 - np.exp(-np.maximum((hi - shift) / stretch, 0.0))
    return np.clip(shift - stretch * np.log1p(-_between(a, b, u)), lo, hi)


def _poisson(u, lo, hi, mean, shift, stretch):
    from scipy import stats  # here, not at import: scipy.stats takes a second to import

    k_lo = np.ceil((lo - shift) / stretch)
    k_hi = np.floor((hi - shift) / stretch)
    a = np.where(k_lo > 0, stats.poisson.cdf(k_lo - 1, mean), 0.0)
    b = stats.poisson.cdf(k_hi, mean)
    k = stats.poisson.ppf(_between(a, b, u), mean)
    return np.clip(shift + stretch * k, lo, hi)


def _triangular_cdf(x, start, peak, end):
    x = np.clip(x, start, end)
    width = np.where(end > start, end - start, 1.0)
    left = (x - start) ** 2 / (width * np.where(peak > start, peak - start, 1.0))
    right = 1.0 - (end - x) ** 2 / (width * np.where(end > peak, end - peak, 1.0))
    return np.where(x <= peak, np.where(peak > start, left, 0.0),
                    np.where(end > peak, right, 1.0))


def _triangular(u, lo, hi, start, peak, end):
    p = _between(_triangular_cdf(lo, start, peak, end), _triangular_cdf(hi, start, peak, end), u)
    width = end - start
    split = np.where(width > 0, (peak - start) / np.where(width > 0, width, 1.0), 0.0)
    x = np.where(p < split, start + np.sqrt(p * width * (peak - start)),
                 end - np.sqrt((1.0 - p) * width * (end - peak)))
    return np.clip(x, lo, hi)


def _lognormal(u, lo, hi, mean, sd):
    # mean and standard deviation of the lognormal variable itself
    s2 = np.log1p((sd / mean) ** 2)
    mu = np.log(mean) - s2 / 2
    return np.clip(np.exp(mu + np.sqrt(s2) * special.ndtri(u)), lo, hi)


def _pink(u, dt, mean, sd, tau):
    # Anderson's pink noise input: white noise scaled so that the first-order smooth
    # of it with time `tau` has standard deviation `sd` whatever the time step
    white = _normal(u, -6.0, 6.0, 0.0, 1.0)
    a = dt / tau
    return mean + white * sd * np.sqrt((2.0 - a) / a)


_SAMPLERS = {UNIFORM: _uniform, NORMAL: _normal, EXPONENTIAL: _exponential,
             POISSON: _poisson, TRIANGULAR: _triangular, LOGNORMAL: _lognormal,
             BETA: dist.beta, BINOMIAL: dist.binomial, GAMMA: dist.gamma,
             NEGATIVE_BINOMIAL: dist.negative_binomial, WEIBULL: dist.weibull,
             LOOKUP: dist.lookup}


def draw(t, dt, kind, key, start, model_dt, ndim, *rest):
    """The draw of one call at time ``t``: the generated code's ``_random``.

    Parameters
    ----------
    t, dt : float
        The clock of the generated function (``dt`` 0 for adaptive methods,
        which then hold draws over the model's ``model_dt``).
    kind : float
        The distribution's code (:data:`DISTRIBUTIONS`).
    key : float
        The call's key (:func:`call_key`).
    start, model_dt : float
        The model's start time and time step: draws change at ``start + k * dt``.
    ndim : int
        How many of ``rest`` give the shape of the calling element.
    *rest
        That shape, then the distribution's arguments, the last one the
        call's seed (Vensim's stream ID).
    """
    ndim = int(ndim)
    shape = tuple(int(s) for s in rest[:ndim])
    args = [np.asarray(a, dtype=float) for a in rest[ndim:]]
    step_dt = dt if dt > 0 else model_dt
    step = np.floor((np.asarray(t, dtype=float) - start) / step_dt + 1e-6)
    u = _uniforms(key, float(np.max(args[-1])) if args else 0.0,
                  np.maximum(step, 0).astype(np.uint64), shape)
    params = args[:-1]
    if params:
        u = np.broadcast_to(u, np.broadcast_shapes(u.shape, *(p.shape for p in params)))
    with np.errstate(all="ignore"):
        if int(kind) == PINK:
            return _pink(u, step_dt, *params)
        return _SAMPLERS[int(kind)](u, *params)
