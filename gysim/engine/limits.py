"""Resource limits of simulations and studies: memory, fixed steps, solver work.

Every limit is a module-level constant below, named in the error a user gets
when a run would pass it, and each has a way past it:

==========================  ==========================  =================================
limit                       default                     way past it
==========================  ==========================  =================================
memory of one call          :data:`MEMORY_FRACTION` of  ``simulate(..., max_bytes=)``, or
                            the available memory        set :data:`MAX_BYTES`
fixed steps of one run      :data:`MAX_STEPS`           ``simulate(..., max_steps=)``
derivative evaluations      :data:`MAX_RHS_EVALS`       ``simulate(..., max_rhs_evals=)``
of one adaptive integration
wall time of one adaptive   none                        ``simulate(..., max_seconds=)``
integration
==========================  ==========================  =================================

A refused call raises :class:`~gysim.errors.SimulationError` before it
allocates or integrates anything, saying how much it needs and how to need
less.

Examples
--------
>>> from gysim.engine.limits import format_bytes, check_memory
>>> format_bytes(3 * 2**30)
'3.0 GiB'
>>> check_memory(2**40, "the results", ["save fewer times"], max_bytes=2**30)
Traceback (most recent call last):
...
gysim.errors.SimulationError: the results need about 1.0 TiB, more than the limit of 1.0 GiB ...
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ..errors import ModelDefinitionError, SimulationError

if TYPE_CHECKING:
    from .compiled import CompiledModel

__all__ = ["MAX_STEPS", "MAX_RHS_EVALS", "MEMORY_FRACTION", "FALLBACK_MEMORY", "MAX_BYTES",
           "available_memory", "memory_limit", "check_memory", "format_bytes", "saved_times", "check_limit",
           "n_values", "working_bytes_per_run"]

#: Most fixed (Euler/RK4) steps one run may take: 1e7 steps of a small model take
#: minutes in numpy. ``simulate(..., max_steps=)`` allows more (``None``: no limit).
MAX_STEPS = 10_000_000
#: Most derivative evaluations one adaptive integration (one chunk of runs) may make
#: before it is stopped as stiff or diverging. ``simulate(..., max_rhs_evals=)``
#: allows more (``None``: no limit).
MAX_RHS_EVALS = 1_000_000
#: Share of the available memory (``MemAvailable`` in ``/proc/meminfo``) a call may plan
#: to use: the rest is left to the interpreter, the Dataset's construction and others.
MEMORY_FRACTION = 0.8
#: The memory a call may plan to use when the available memory cannot be read
#: (neither ``/proc/meminfo`` nor ``os.sysconf``): 8 GiB.
FALLBACK_MEMORY = 8 * 2**30
#: Override of the memory limit in bytes for every call (``None``: from the available
#: memory). A call's ``max_bytes=`` takes precedence.
MAX_BYTES: int | None = None


def available_memory() -> int | None:
    """Bytes of memory available to new allocations now, or None if unknown.

    Examples
    --------
    >>> m = available_memory()
    >>> m is None or m > 0
    True
    """
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


def memory_limit(max_bytes: float | None = None) -> tuple[float, str]:
    """The memory a call may plan to use, and where that figure comes from.

    Parameters
    ----------
    max_bytes : float, optional
        A call's own limit; else :data:`MAX_BYTES`; else :data:`MEMORY_FRACTION`
        of :func:`available_memory`; else :data:`FALLBACK_MEMORY`.

    Examples
    --------
    >>> memory_limit(1e9)
    (1000000000.0, 'max_bytes=1e+09')
    """
    if max_bytes is not None:
        return float(max_bytes), f"max_bytes={max_bytes:g}"
    if MAX_BYTES is not None:
        return float(MAX_BYTES), f"gysim.engine.limits.MAX_BYTES={MAX_BYTES:g}"
    free = available_memory()
    if free is None:
        return float(FALLBACK_MEMORY), ("gysim.engine.limits.FALLBACK_MEMORY, the available "
                                        "memory being unknown")
    return MEMORY_FRACTION * free, (f"gysim.engine.limits.MEMORY_FRACTION={MEMORY_FRACTION:g} "
                                    f"of the {format_bytes(free)} available")


def saved_times(start: float, stop: Any, saveper: Any) -> float | None:
    """How many times a run saves from ``start`` to ``stop`` every ``saveper`` (a float: it
    may be huge), or None for options :func:`gysim.simulate` will refuse.

    Examples
    --------
    >>> saved_times(2000, 2010, 0.5), saved_times(0, 1, 0)
    (21.0, None)
    """
    try:
        n = float(np.floor((float(stop) - float(start)) / float(saveper) + 1e-9)) + 1
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return n if np.isfinite(n) and n >= 1 else None


def format_bytes(n: float) -> str:
    """Bytes in binary units, e.g. ``'14.9 GiB'``.

    Examples
    --------
    >>> format_bytes(512), format_bytes(8e12)
    ('512 B', '7.3 TiB')
    """
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PiB"  # pragma: no cover


def check_memory(needed: float, what: str, hints: Sequence[str], *,
                 max_bytes: float | None = None) -> None:
    """Refuse to allocate ``needed`` bytes beyond :func:`memory_limit`.

    Parameters
    ----------
    needed : float
        Estimated bytes.
    what : str
        What needs them, with the breakdown (e.g. ``"the results (...)"``).
    hints : sequence of str
        Ways to need less, in the order to try them.
    max_bytes : float, optional
        The caller's limit (see :func:`memory_limit`).

    Raises
    ------
    SimulationError
        If ``needed`` exceeds the limit.

    Examples
    --------
    >>> check_memory(10, "a tiny run", [], max_bytes=100)
    """
    limit, source = memory_limit(max_bytes)
    if needed <= limit:
        return
    raise SimulationError(
        f"{what} need about {format_bytes(needed)}, more than the limit of "
        f"{format_bytes(limit)} ({source}); to need less: {'; '.join(hints)}; or, if the "
        f"memory is there, raise the limit with `max_bytes=`")


def check_limit(value: object, name: str) -> float | None:
    """A limit option: None (no limit) or a positive number.

    Examples
    --------
    >>> check_limit(None, "max_steps"), check_limit(5, "max_steps")
    (None, 5.0)
    >>> check_limit(0, "max_steps")
    Traceback (most recent call last):
    ...
    gysim.errors.ModelDefinitionError: `max_steps` must be a positive number or None, got 0
    """
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)) \
            or not value > 0:
        raise ModelDefinitionError(f"`{name}` must be a positive number or None, got {value!r}")
    return float(value)


def n_values(compiled: CompiledModel, names: Sequence[str]) -> int:
    """Values per saved time and run of some variables (every element of a subscripted one).

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("m")
    >>> m.dimension("sector", ["a", "b", "c"])
    >>> m.stock("x", 1.0, dims="sector")
    >>> m.aux("y", "2")
    >>> n_values(m.compile(), ["x", "y"])
    4

    A single name may be given as a string; a name the model does not know counts
    one value (the run that uses it reports it).
    """
    if isinstance(names, str):
        names = [names]
    total = 0
    for name in names:
        try:
            total += math.prod(compiled.full_shape(compiled.dims_of(name)))
        except Exception:  # noqa: BLE001 - an unknown name: simulate reports it
            total += 1
    return total


def working_bytes_per_run(compiled: CompiledModel, method: str, n_save: float,
                          fixed_step: bool) -> float:
    """Bytes an integration needs for each run of a chunk, besides the results.

    An adaptive method keeps the states at every saved time, interpolates
    them and computes every output there (``n_save x (2 x states + outputs)``),
    plus its stages and, for the implicit methods, a Jacobian per run; a
    fixed-step method keeps a few copies of the state and one saved time of
    outputs. An estimate, on the generous side.

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("m")
    >>> m.stock("x", 1.0)
    >>> working_bytes_per_run(m.compile(), "euler", 11, True)
    88.0
    >>> working_bytes_per_run(m.compile(), "RK45", 11, False)
    392.0
    """
    rows = max(1, compiled.n_state_rows)
    every = n_values(compiled, compiled.stock_names + compiled.output_names)
    if fixed_step:
        return 8.0 * (10 * rows + every
                      + n_values(compiled, [d.output for d in compiled.delays_fixed]))
    per_run = n_save * (2 * rows + every) + 16 * rows
    if method in ("BDF", "Radau"):
        per_run += 6 * rows * rows
    elif method == "LSODA":
        per_run += 6 * 3 * rows * rows
    return 8.0 * per_run
