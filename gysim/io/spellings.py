"""The writers' spellings of gysim builtins in Vensim and XMILE.

How a gysim builtin call is written is a fact of the builtin, in its row of
:data:`gysim.builtins.BUILTINS` (``to_vensim``, ``to_xmile``,
``array_function``); :func:`vensim_call` and :func:`xmile_call` look it up for
the printers, which pass the call's arguments already printed. Here also:
Vensim's own function names (elements so named are quoted). Calls of lookups, aggregations over a dimension and
anything these return None for are the printers' business.

Examples
--------
>>> vensim_call("smooth", ["x", "2", "1"], str)
'SMOOTHI(x, 2, 1)'
>>> xmile_call("smooth", ["x", "2", "1"], str)
'SMTH1(x, 2, 1)'
"""

from __future__ import annotations

from typing import Callable

from ..builtins import BUILTINS

__all__ = ["VENSIM_FUNCTIONS", "AGGREGATE", "vensim_call", "xmile_call", "XMILE_REFUSED"]

# ========================================================================================
# VENSIM: gysim builtin -> Vensim spelling
# ========================================================================================

#: Vensim function names (spaces folded to ``_``): elements so named are quoted.
VENSIM_FUNCTIONS = {
    "abs", "exp", "ln", "log", "sqrt", "sin", "cos", "tan", "arcsin", "arccos", "arctan",
    "integer", "modulo", "min", "max", "xidz", "zidz", "if_then_else", "step", "ramp",
    "pulse", "pulse_train", "smooth", "smoothi", "smooth3", "smooth3i", "smooth_n",
    "delay1", "delay1i", "delay3", "delay3i", "delay_n", "delay_fixed", "initial",
    "active_initial", "integ", "with_lookup", "pi", "random_uniform", "random_normal",
    "sample_if_true", "trend", "forecast", "lookup_invert", "quantum", "sinh", "cosh",
    "tanh", "power", "sum", "prod", "vmin", "vmax", "elmcount", "game", "get_data",
    "random_0_1", "random_exponential", "random_poisson", "random_triangular",
    "random_pink_noise", "random_beta", "random_binomial", "random_gamma", "random_weibull",
    "random_lookup", "random_negative_binomial", "get_direct_constants", "get_direct_lookups",
    "get_direct_data", "get_xls_constants", "get_xls_lookups", "get_xls_data",
    "allocate_available", "allocate_by_priority", "invert_matrix", "vector_select",
    "vector_sort_order", "vector_rank", "vector_reorder", "vector_elm_map", "vector_lookup",
}

#: Aggregations over a dimension (``sum(x, dim)``) and their Vensim array functions
#: (``Builtin.array_function``; ``mean`` is the SUM divided by ELMCOUNT, and XMILE
#: writes VMIN/VMAX as MIN/MAX).
AGGREGATE = {b.name: b.array_function or BUILTINS["sum"].array_function
             for b in BUILTINS.values() if b.reduction}


def vensim_call(func: str, args: list[str], atom: Callable[[int], str]) -> str | None:
    """A call of the gysim builtin ``func`` in Vensim (``Builtin.to_vensim``), or None.

    ``args`` are the printed arguments; ``atom(i)`` prints argument ``i``
    bracketed where an operator would bind it (called only where needed).

    Examples
    --------
    >>> vensim_call("min", ["a", "b", "c"], str)
    'MIN(a, MIN(b, c))'
    >>> vensim_call("cumsum", ["a"], str) is None
    True
    """
    spec = BUILTINS.get(func)
    if spec is None or spec.to_vensim is None:
        return None
    return spec.to_vensim(args, atom)


# ========================================================================================
# XMILE: gysim builtin -> XMILE spelling
# ========================================================================================

#: Builtins Vensim can write but XMILE has no exact counterpart for.
XMILE_REFUSED = {b.name for b in BUILTINS.values() if b.to_vensim and not b.to_xmile}


def xmile_call(func: str, args: list[str], atom: Callable[[int], str]) -> str | None:
    """A call of the gysim builtin ``func`` in XMILE, or None if XMILE has none.

    Builtins in :data:`XMILE_REFUSED` return None too (the printer says why).

    Examples
    --------
    >>> xmile_call("ramp", ["1", "2", "5"], str)
    '(RAMP(1, 2) - RAMP(1, 5))'
    >>> xmile_call("pulse", ["1"], str) is None
    True
    """
    spec = BUILTINS.get(func)
    if spec is None or spec.to_xmile is None:
        return None
    return spec.to_xmile(args, atom)
