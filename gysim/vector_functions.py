"""Vensim's functions of whole vectors and matrices, one element of the result at a time.

A model read element by element (one scalar variable per subscript element)
computes ``inv[i, j] = INVERT MATRIX(a[d1, d2], n)`` or ``ship[i] =
ALLOCATE BY PRIORITY(...)`` as one call per element of the result, each given
every element of the arguments and its own position. These are the runtime
helpers of those calls (the builtins of the same names:
``invert_matrix_element`` and the others): each stacks its scalar arguments (arrays
over the run axis) into vectors or matrices, computes the whole result for
every run at once and returns its element.

* INVERT MATRIX(a, n): the inverse of the ``n`` by ``n`` matrix ``a``
  (Vensim's reference: the matrix must be square and non-singular); a
  singular matrix in any run raises :class:`gysim.errors.SimulationError`
  naming the runs.
* ALLOCATE BY PRIORITY and ALLOCATE AVAILABLE: :mod:`gysim.allocation`.

Examples
--------
>>> import numpy as np
>>> invert_matrix(np.array([[2.0, 0.0], [0.0, 4.0]]))
array([[0.5 , 0.  ],
       [0.  , 0.25]])
>>> float(invert_matrix_element(0, 1, 2, 1.0, 2.0, 3.0, 4.0))  # inv([[1, 2], [3, 4]])[0, 1]
1.0
"""

from __future__ import annotations

import numpy as np

from .allocation import allocate_available, allocate_by_priority
from .errors import SimulationError

__all__ = ["invert_matrix", "invert_matrix_element", "allocate_by_priority_element",
           "allocate_available_element"]


def _stacked(values) -> np.ndarray:
    """Scalars or arrays over the runs, stacked on a new first axis."""
    return np.stack(np.broadcast_arrays(*[np.asarray(v, dtype=float) for v in values]))


def invert_matrix(a) -> np.ndarray:
    """The inverse of each square matrix ``a[..., :, :]``; NaN where ``a`` has a NaN.

    Raises
    ------
    SimulationError
        When a matrix (without NaN) is singular.

    Examples
    --------
    >>> invert_matrix(np.array([[1.0, 2.0], [2.0, 4.0]]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gysim.errors.SimulationError: INVERT MATRIX: the matrix is singular ... in run(s) [0]
    """
    a = np.asarray(a, dtype=float)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise SimulationError(f"INVERT MATRIX: the matrix must be square, got shape {a.shape}")
    missing = np.isnan(a).any(axis=(-2, -1))
    filled = np.where(missing[..., None, None], np.eye(a.shape[-1]), a)
    rank = np.linalg.matrix_rank(filled)
    singular = rank < a.shape[-1]
    if np.any(singular):
        runs = np.flatnonzero(np.atleast_1d(singular)).tolist()
        raise SimulationError(f"INVERT MATRIX: the matrix is singular (its rows are linearly "
                              f"dependent) in run(s) {runs[:10]}")
    return np.where(missing[..., None, None], np.nan, np.linalg.inv(filled))


def invert_matrix_element(i, j, n, *entries):
    """Element ``[i, j]`` of the inverse of the ``n`` by ``n`` matrix given row by row.

    The entries are scalars or arrays over the runs; so is the result.
    """
    n, i, j = int(n), int(i), int(j)
    if len(entries) != n * n:
        raise SimulationError(f"INVERT MATRIX: a {n} by {n} matrix needs {n * n} entries, "
                              f"got {len(entries)}")
    stacked = _stacked(entries)               # (n * n, *runs)
    matrices = np.moveaxis(stacked.reshape((n, n) + stacked.shape[1:]), (0, 1), (-2, -1))
    return invert_matrix(matrices)[..., i, j]


def allocate_by_priority_element(k, n, width, supply, *requests_then_priorities):
    """Requester ``k``'s share of ALLOCATE BY PRIORITY over ``n`` requesters (the requests,
    then the priorities, one argument each)."""
    n, k = int(n), int(k)
    values = _stacked(requests_then_priorities + (width, supply))
    return allocate_by_priority(values[:n], values[n:2 * n], values[-2], values[-1])[k]


def allocate_available_element(k, n, available, *profiles):
    """Requester ``k``'s share of ALLOCATE AVAILABLE over ``n`` requesters: the requests,
    then each requester's ptype, ppriority and pwidth (``n`` arguments each)."""
    n, k = int(n), int(k)
    values = _stacked(profiles + (available,))
    request, ptype, priority, width = (values[m * n:(m + 1) * n] for m in range(4))
    return allocate_available(request, ptype, priority, width, values[-1])[k]
