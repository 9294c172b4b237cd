"""Vensim's ALLOCATE AVAILABLE and ALLOCATE BY PRIORITY: supply shared by priority curves.

Vensim's allocation functions (its reference guide, "Allocation Functions")
give each requester ``i`` a curve: the part of its request ``r_i`` it takes
at a common "market" priority ``P``,
``q_i(P) = r_i * S((P - priority_i) / width_i)``, with ``S`` falling from 1
to 0 (the integral of the profile's shape, read from the right). The market
clears at the ``P`` where the ``q_i`` add up to the supply; a supply at
least the total request fills every request exactly; none is overfilled.
The profile shapes (``ptype``) are:

1. rectangular of full width ``width``: ``S(z) = clip(1/2 - z, 0, 1)``;
2. triangular of full base ``width``;
3. normal of standard deviation ``width`` (its CDF evaluated as Vensim does, with
   Abramowitz and Stegun's formula 7.1.25, within 1.3e-5 of the exact one);
4. exponential (Laplace) of scale ``width``: ``S(z) = 1 - exp(z)/2`` below 0,
   ``exp(-z)/2`` above.

ALLOCATE BY PRIORITY(request, priority, size, width, supply) is the
rectangular case with one width for all: a requester whose priority is more
than ``width`` below another's gets nothing until that one is filled, and
requesters of equal priority are filled in proportion to their requests.

The clearing priority is found by bisection on every run (and element of
other dimensions) at once: arrays hold the requesters on axis 0, and any
further axes (the run axis) broadcast. :func:`allocate_available_along` and
:func:`allocate_by_priority_along` take the requesters along any axis: they
are the engine's builtins ``allocate_available(request, ptype, priority,
width, available, dimension)`` and ``allocate_by_priority(request, priority,
width, supply, dimension)``, which clear every other dimension and run at once.

Examples
--------
>>> import numpy as np
>>> allocate_by_priority(np.array([3.0, 6.0]), np.array([10.0, 9.0]), 3.0, 5.0).round(4)
array([2.3333, 2.6667])
>>> allocate_by_priority(np.array([3.0, 6.0]), np.array([10.0, 9.0]), 3.0, 100.0)
array([3., 6.])
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from .errors import ModelDefinitionError

__all__ = ["PROFILES", "allocate_available", "allocate_available_along", "allocate_by_priority",
           "allocate_by_priority_along", "profile_refusal", "share"]


def _rectangular(z):
    return np.clip(0.5 - z, 0.0, 1.0)


def _triangular(z):
    low = 1.0 - 2.0 * (np.clip(z, -0.5, 0.0) + 0.5) ** 2
    high = 2.0 * (0.5 - np.clip(z, 0.0, 0.5)) ** 2
    return np.where(z < 0, low, high)


#: Abramowitz & Stegun (1964), formula 7.1.25: erfc(x) ~ t (a1 + t (a2 + t a3)) exp(-x^2),
#: t = 1 / (1 + p x), for x >= 0 (absolute error below 2.5e-5).
_AS_P, _AS_A = 0.47047, (0.3480242, -0.0958798, 0.7478556)


def _erfc_as(x):
    ax = np.abs(x)
    t = 1.0 / (1.0 + _AS_P * ax)
    tail = t * (_AS_A[0] + t * (_AS_A[1] + t * _AS_A[2])) * np.exp(-ax * ax)
    return np.where(x >= 0, tail, 2.0 - tail)


def _normal(z):
    # Vensim evaluates the normal curve with A&S 7.1.25 (its published allocation test
    # output agrees with it to 1e-5; with the exact erfc it differs by up to 0.1 %)
    return 0.5 * _erfc_as(z / np.sqrt(2.0))


def _exponential(z):
    return np.where(z < 0, 1.0 - 0.5 * np.exp(np.minimum(z, 0.0)),
                    0.5 * np.exp(-np.maximum(z, 0.0)))


#: The share of its request a requester takes at standardised priority distance ``z``,
#: by ``ptype``, and how many widths from its priority the curve is (numerically) flat.
PROFILES = {1: (_rectangular, 0.5), 2: (_triangular, 0.5), 3: (_normal, 40.0),
            4: (_exponential, 40.0)}
#: ptypes Vensim documents that gysim does not take, and why.
_REFUSED = {0: "fixed quantity (ptype 0)", 5: "constant elasticity (ptype 5)"}
#: Halvings of the bracket of the market priority, 80 widths at most: 2^-64 of it is
#: below a double's resolution.
_BISECTIONS = 64


def share(ptype, z):
    """The share of its request a requester of profile ``ptype`` takes at standardised
    distance ``z = (P - priority) / width`` (``ptype`` an array of codes 1-4).

    Examples
    --------
    >>> share(np.array([1, 2, 3, 4]), np.zeros(4)).tolist()
    [0.5, 0.5, 0.5, 0.5]
    """
    ptype, z = np.broadcast_arrays(np.asarray(ptype), np.asarray(z, dtype=float))
    return _curves(ptype)(z)


def _curves(ptype: np.ndarray):
    """``z -> share`` for requesters of profiles ``ptype`` (masks computed once)."""
    codes = [int(c) for c in np.unique(ptype) if int(c) in PROFILES]
    if len(codes) == 1 and np.all(ptype == codes[0]):  # one profile for all: no masks
        return PROFILES[codes[0]][0]
    masks = [(ptype == code, PROFILES[code][0]) for code in codes]

    def curves(z):
        out = np.full(z.shape, np.nan)
        for mask, curve in masks:
            out[mask] = curve(z[mask])
        return out
    return curves


def allocate_available(request, ptype, priority, width, available):
    """Vensim's ALLOCATE AVAILABLE: ``available`` shared among the requests.

    Parameters
    ----------
    request : array_like, shape (n, ...)
        The requests, requesters on axis 0; must be non-negative.
    ptype, priority, width : array_like, broadcastable to ``request``
        Each requester's priority profile (Vensim's ``ptype``, ``ppriority``,
        ``pwidth``): shape code 1-4 (see the module), centre and width (> 0).
    available : array_like, broadcastable to ``request.shape[1:]``
        The supply.

    Returns
    -------
    numpy.ndarray, shape of ``request``
        Each requester's allocation; NaN wherever an argument of that run is NaN.

    Raises
    ------
    ModelDefinitionError
        For a negative request, a width that is not positive, or a profile other
        than 1-4 (fixed quantity, constant elasticity and integer allocations,
        ``ptype`` + 10, are not supported).

    Examples
    --------
    >>> allocate_available(np.array([10.0, 10.0]), 3, np.array([1.0, 1.0]), 1.0, 5.0)
    array([2.5, 2.5])
    """
    request = np.asarray(request, dtype=float)
    shape = request.shape
    ptype, priority, width = (np.broadcast_to(np.asarray(a, dtype=float), shape)
                              for a in (ptype, priority, width))
    available = np.broadcast_to(np.asarray(available, dtype=float), shape[1:])
    missing = (np.isnan(request) | np.isnan(ptype) | np.isnan(priority)
               | np.isnan(width)).any(axis=0) | np.isnan(available)
    ok = ~missing
    _check(request[:, ok], ptype[:, ok], width[:, ok])
    total = np.sum(np.where(missing, 0.0, request), axis=0)
    out = np.where(missing, np.nan, request)
    short = ok & (available < total)
    if np.any(short):
        r, t, p, w = (a[:, short] for a in (request, ptype, priority, width))
        supply = np.maximum(available[short], 0.0)
        reach = np.where(t <= 2, PROFILES[1][1], PROFILES[3][1])  # curves' flat ends
        lo, hi = np.min(p - reach * w, axis=0), np.max(p + reach * w, axis=0)
        curves = _curves(t)
        for _ in range(_BISECTIONS):  # the total falls as the market priority P rises
            mid = 0.5 * (lo + hi)
            over = np.sum(r * curves((mid - p) / w), axis=0) > supply
            lo, hi = np.where(over, mid, lo), np.where(over, hi, mid)
        out[:, short] = r * curves((0.5 * (lo + hi) - p) / w)
        out[:, short] = np.where(supply > 0, out[:, short], 0.0)
    return out


def profile_refusal(code: float) -> str | None:
    """Why the profile ``ptype = code`` is refused (None for the shapes 1-4).

    Examples
    --------
    >>> profile_refusal(3) is None, profile_refusal(5)
    (True, 'the profile constant elasticity (ptype 5) is not supported')
    """
    if code in PROFILES:
        return None
    if code in _REFUSED:
        return f"the profile {_REFUSED[int(code)]} is not supported"
    if code - 10 in PROFILES or code - 10 in _REFUSED:
        return f"integer allocations (ptype {code:g} = 10 + shape) are not supported"
    return f"ptype {code:g} is not a profile"


def _check(request, ptype, width) -> None:
    if np.any(request < 0):
        raise ModelDefinitionError(f"the requests of an allocation must be non-negative, got "
                                   f"{float(request.min()):g}")
    if np.any(width <= 0):
        raise ModelDefinitionError(f"the width of an allocation's priority must be positive, "
                                   f"got {float(width.min()):g}")
    unknown = sorted(set(np.unique(ptype).tolist()) - set(PROFILES))
    if unknown:
        why = profile_refusal(unknown[0])
        raise ModelDefinitionError(f"ALLOCATE AVAILABLE: {why}; use ptype 1 (rectangular), "
                                   f"2 (triangular), 3 (normal) or 4 (exponential)")


def allocate_by_priority(request, priority, width, supply):
    """Vensim's ALLOCATE BY PRIORITY: ``supply`` shared by rectangular priority curves.

    Parameters
    ----------
    request, priority : array_like, shape (n, ...)
        Requests (non-negative) and priorities, requesters on axis 0.
    width : array_like
        The priority gap (> 0) beyond which a lower priority waits for a higher one.
    supply : array_like
        The supply, broadcastable to ``request.shape[1:]``.

    Returns
    -------
    numpy.ndarray, shape of ``request``

    Examples
    --------
    >>> allocate_by_priority(np.array([2.0, 4.0]), np.array([1.0, 1.0]), 1.0, 3.0)
    array([1., 2.])
    """
    request = np.asarray(request, dtype=float)
    width = np.asarray(width, dtype=float)
    return allocate_available(request, 1, priority, width, supply)


@contextmanager
def _naming(where: str):
    """Errors of the allocation inside name the element ``where`` computes."""
    try:
        yield
    except ModelDefinitionError as err:
        if not where:
            raise
        raise ModelDefinitionError(f"'{where}': {err}") from None


def _along(axis: int, available, *vectors) -> tuple[list, np.ndarray]:
    """The ``vectors`` broadcast together with their axis ``axis`` first, and the supply
    broadcast to the other axes (it must not vary along ``axis``)."""
    arrays = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in vectors),
                                 np.asarray(available, dtype=float))
    moved = [np.moveaxis(a, axis, 0) for a in arrays]
    return moved[:-1], moved[-1][0]


def allocate_available_along(request, ptype, priority, width, available, axis: int,
                             where: str = ""):
    """:func:`allocate_available` with the requesters along ``axis`` of arrays in full form.

    The engine's code for ``allocate_available(request, ptype, priority, width,
    available, dimension)``: the arguments broadcast together (a value without
    the dimension is the same for every requester), the supply is the same
    along ``axis``, and every other axis (other dimensions, runs, times) is an
    allocation of its own, all cleared at once.

    Examples
    --------
    >>> req = np.array([[10.0, 10.0], [10.0, 30.0]])  # requesters on axis 0, two runs
    >>> allocate_available_along(req, 1, 5.0, 2.0, np.array([4.0, 100.0]), axis=0)
    array([[ 2., 10.],
           [ 2., 30.]])
    """
    (request, ptype, priority, width), available = _along(axis, available, request, ptype,
                                                          priority, width)
    with _naming(where):
        out = allocate_available(request, ptype, priority, width, available)
    return np.moveaxis(out, 0, axis)


def allocate_by_priority_along(request, priority, width, supply, axis: int, where: str = ""):
    """:func:`allocate_by_priority` with the requesters along ``axis`` (see
    :func:`allocate_available_along`).

    Examples
    --------
    >>> allocate_by_priority_along(np.array([[2.0], [4.0]]), 1.0, 0.5, 3.0, axis=-2)
    array([[1.],
           [2.]])
    """
    (request, priority, width), supply = _along(axis, supply, request, priority, width)
    with _naming(where):
        out = allocate_by_priority(request, priority, width, supply)
    return np.moveaxis(out, 0, axis)
