"""The builtins' runtime helpers for one run at a time, compiled by numba.

The numpy backend's helpers (:data:`gysim.builtins.RUNTIME`) take arrays
over the run axis; the numba backend evaluates a model one run at a time,
with every value a float, so it needs scalar versions of them. Each one
computes the same floating-point operations in the same order as its numpy
twin (a comparison becomes 1.0 or 0.0 where the numpy helper multiplies by
a boolean array), so both backends give the same numbers. The generated
model files import them from here (a real module: numba's on-disk cache
needs a file).

Importing this module needs numba.

Examples
--------
>>> from gysim.engine.numba_runtime import RUNTIME
>>> float(RUNTIME["_xidz"](1.0, 0.0, 7.0)), float(RUNTIME["_step"](2.0, 1.0, 3.0, 1.0))
(7.0, 3.0)
"""

from __future__ import annotations

import numba
import numpy as np

from ..builtins import SMALL

__all__ = ["RUNTIME"]

_jit = numba.njit(cache=True, error_model="numpy", nogil=True)


@_jit
def _where(test, a, b):
    return a if test else b


@_jit
def _xidz(a, b, x):
    if np.abs(b) < SMALL:
        return x + 0.0
    return a / b


@_jit
def _step(t, dt, height, start):
    return height * (1.0 if t + 0.5 * dt > start else 0.0)


@_jit
def _ramp(t, slope, start, end):
    return (1.0 if t + SMALL > start else 0.0) * slope * (np.minimum(end, t) - start)


@_jit
def _pulse(t, dt, start, width):
    w = 0.5 * dt if width is None else width
    return 1.0 if (start - SMALL <= t) and (t < start + w) else 0.0


@_jit
def _pulse_train(t, start, width, interval, end):
    phase = np.mod(t - start + SMALL, interval if interval > 0 else np.inf)
    return 1.0 if (t >= start) and (t < end) and (phase < width) else 0.0


@_jit
def _quantum(a, q):
    if q < SMALL:
        return a + 0.0
    return q * np.trunc(a / q)


@_jit
def _modulo(a, b):
    return a - _quantum(a, b)


@_jit
def _nonnegative_rate(rate, level, dt):
    if dt > 0:  # fixed step: never take the level below zero in one step (PySD/Vensim)
        return np.maximum(rate, -level / dt)
    if level <= 0:
        return np.maximum(rate, 0.0)
    return rate + 0.0


@_jit
def _interp(x, xp, fp):
    """``np.interp(x, xp, fp)`` for one float, with numpy's arithmetic and special cases.

    numba's own ``np.interp`` of a scalar builds arrays on every call (about
    6x the arithmetic's cost in a model step); this follows numpy's C loop
    (``arr_interp``): the last ``j`` with ``xp[j] <= x`` (a scan of a short table, a bisection of a long one), ``fp[j]`` exactly on
    a point, the slope ``(fp[j+1] - fp[j]) / (xp[j+1] - xp[j])`` between points,
    the other end's formula when that gives NaN, the end values outside.
    """
    n = xp.shape[0]
    if n == 1:  # numpy: fp[0] left, right, on the point, and for NaN
        return fp[0]
    if np.isnan(x):
        return x
    if x > xp[n - 1]:
        return fp[n - 1]
    if x < xp[0]:
        return fp[0]
    if n <= 16:  # a short table: a scan, whose branches the processor predicts
        j = 0
        while j < n - 1 and xp[j + 1] <= x:
            j += 1
    else:
        lo = 0
        hi = n
        while lo < hi:  # the first index with xp[i] > x
            mid = lo + ((hi - lo) >> 1)
            if x >= xp[mid]:
                lo = mid + 1
            else:
                hi = mid
        j = lo - 1
    if j == n - 1 or xp[j] == x:
        return fp[j]
    slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])
    value = slope * (x - xp[j]) + fp[j]
    if np.isnan(value):
        value = slope * (x - xp[j + 1]) + fp[j + 1]
        if np.isnan(value) and fp[j] == fp[j + 1]:
            value = fp[j]
    return value


#: Helpers by the names the builtins' code templates call.
RUNTIME = {"_where": _where, "_xidz": _xidz, "_step": _step, "_ramp": _ramp,
           "_pulse": _pulse, "_pulse_train": _pulse_train, "_quantum": _quantum,
           "_modulo": _modulo, "_nonnegative_rate": _nonnegative_rate, "_interp": _interp}
