"""Vensim's sorting and mapping functions of vectors, one element of the result at a time.

The runtime helpers of VECTOR SORT ORDER, VECTOR RANK, VECTOR REORDER, VECTOR
ELM MAP and VECTOR LOOKUP when a file is read element by element (one scalar
variable per subscript element; the native reading builds trees instead, see
:mod:`gysim.io.native_vectors`, whose docstring gives the definitions). Each
helper takes the vector's elements as separate arguments, each a scalar or an
array over the runs, and returns one element of the result for every run:

* :func:`vector_rank_element`: the rank from 1 of element ``k`` (a stable
  sort: equal values keep their order, in both directions);
* :func:`vector_sort_order_element`: the zero-based offset of the element
  that comes ``k``-th;
* :func:`vector_pick_element`: the element at a zero-based position (VECTOR
  REORDER's ``svec[k]``, VECTOR ELM MAP's start plus offset); NaN (Vensim's
  :NA:) when the position is not within 1e-6 of a whole number or is outside
  the vector;
* :func:`vector_lookup_element`: the vector as a lookup over ``n`` equally
  spaced points from ``xmin`` to ``xmax`` (modes 0 and 3).

A vector holding a NaN has no order: its ranks and sort order are NaN.

Examples
--------
>>> float(vector_rank_element(0, 1.0, 3.0, 1.0, 2.0))
3.0
>>> float(vector_sort_order_element(0, -1.0, 3.0, 1.0, 2.0))  # the biggest is at offset 0
0.0
>>> float(vector_pick_element(2.0, 5.0, 6.0, 7.0)), bool(np.isnan(vector_pick_element(3.0, 5.0)))
(7.0, True)
>>> float(vector_lookup_element(0.25, 0.0, 1.0, 0.0, 0.0, 10.0, 20.0))
5.0
"""

from __future__ import annotations

import numpy as np

from .vector_functions import _stacked

__all__ = ["long_vector", "ranks", "sort_order", "vector_rank_element", "vector_sort_order_element",
           "vector_pick_element", "vector_lookup_element", "TOLERANCE"]

#: How near a whole number a position must be to name an element.
TOLERANCE = 1e-6


def long_vector(x):
    """``x`` itself: the mark of a sort or map over a long vector read natively, whose
    sums the numba backend would unroll into a kernel too large to compile (it refuses
    calls of helpers it does not have, so ``backend="auto"`` runs numpy)."""
    return x


def _lined_up(values: np.ndarray, other) -> np.ndarray:
    """``values`` (elements first, then the runs' axes) broadcast against the runs'
    shape of ``other`` (the runs' axes lined up on the right)."""
    runs = np.broadcast_shapes(values.shape[1:], np.shape(other))
    values = values.reshape((len(values),) + (1,) * (len(runs) + 1 - values.ndim)
                            + values.shape[1:])
    return np.broadcast_to(values, (len(values),) + runs)


def sort_order(values, ascending) -> np.ndarray:
    """Zero-based offsets of ``values`` (along axis 0) in sorted order, stable; NaN in the
    columns that hold a NaN. ``ascending`` is a bool or a boolean array over the columns.

    Examples
    --------
    >>> sort_order(np.array([2.0, 1.0, 2.0]), False).tolist()
    [0.0, 2.0, 1.0]
    """
    values = np.asarray(values, dtype=float)
    up = np.argsort(values, axis=0, kind="stable").astype(float)
    down = np.argsort(-values, axis=0, kind="stable").astype(float)
    out = np.where(ascending, up, down)
    return np.where(np.isnan(values).any(axis=0), np.nan, out)


def ranks(values, ascending) -> np.ndarray:
    """Ranks from 1 of ``values`` along axis 0 (the inverse of :func:`sort_order`).

    Examples
    --------
    >>> ranks(np.array([5000.0, 3000.0, 8000.0]), True).tolist()
    [2.0, 1.0, 3.0]
    """
    order = sort_order(values, ascending)
    missing = np.isnan(order).any(axis=0)
    order = np.where(np.isnan(order), 0.0, order).astype(int)
    out = np.empty(order.shape)
    place = np.arange(1.0, order.shape[0] + 1).reshape((-1,) + (1,) * (order.ndim - 1))
    np.put_along_axis(out, order, np.broadcast_to(place, order.shape), axis=0)
    return np.where(missing, np.nan, out)


def vector_rank_element(k, direction, *entries):
    """Rank from 1 of element ``k`` of the vector ``entries`` (ascending where
    ``direction > 0``)."""
    direction = np.asarray(direction, dtype=float)
    return ranks(_lined_up(_stacked(entries), direction), direction > 0)[int(k)]


def vector_sort_order_element(k, direction, *entries):
    """Zero-based offset of the element of ``entries`` that comes ``k``-th (ascending where
    ``direction > 0``)."""
    direction = np.asarray(direction, dtype=float)
    return sort_order(_lined_up(_stacked(entries), direction), direction > 0)[int(k)]


def vector_pick_element(position, *entries):
    """The element of ``entries`` at the zero-based ``position``; NaN where the position is
    not within :data:`TOLERANCE` of a whole number or is outside the vector."""
    position = np.asarray(position, dtype=float)
    values = _lined_up(_stacked(entries), position)
    index = np.rint(np.broadcast_to(position, values.shape[1:]))
    valid = (np.abs(position - index) < TOLERANCE) & (index >= 0) & (index < len(values))
    safe = np.where(valid, index, 0).astype(int)
    picked = np.take_along_axis(values, safe[None, ...], axis=0)[0]
    return np.where(valid, picked, np.nan)


def vector_lookup_element(x, xmin, xmax, mode, *entries):
    """``entries`` as a lookup over equally spaced points from ``xmin`` to ``xmax``:
    mode 0 interpolates and holds the end values outside; mode 3 extends the end
    segments (LOOKUP EXTRAPOLATE)."""
    values = _stacked(entries)
    n = len(values)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = (np.asarray(x, dtype=float) - xmin) / (np.asarray(xmax, dtype=float) - xmin) * (n - 1)
    clamped = np.clip(p, 0.0, n - 1.0)
    offsets = np.arange(float(n)).reshape((-1,) + (1,) * (values.ndim - 1))
    weight = 1.0 - np.abs(clamped - offsets)
    y = np.where(weight > 0, values * weight, 0.0).sum(axis=0)
    if int(mode) == 3 and n > 1:
        slope = np.where(p < 0, values[1] - values[0], values[-1] - values[-2])
        y = y + (p - clamped) * slope
    return y
