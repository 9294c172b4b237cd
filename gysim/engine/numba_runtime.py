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


#: Helpers by the names the builtins' code templates call.
RUNTIME = {"_where": _where, "_xidz": _xidz, "_step": _step, "_ramp": _ramp,
           "_pulse": _pulse, "_pulse_train": _pulse_train, "_quantum": _quantum,
           "_modulo": _modulo, "_nonnegative_rate": _nonnegative_rate}
