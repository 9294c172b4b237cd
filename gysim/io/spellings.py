"""The writers' spellings of gysim builtins in Vensim and XMILE.

Everything :mod:`gysim.io.vensim_writer` and :mod:`gysim.io.xmile_writer`
know about how a gysim builtin call is written is here, in two marked
sections: the tables of one-to-one names and the special cases
(:func:`vensim_call`, :func:`xmile_call`), which receive the call's arguments
already printed. Calls of lookups, aggregations over a dimension and
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
}

#: Calls printed as Vensim functions of the same arguments.
_DIRECT = {
    "abs": "ABS", "exp": "EXP", "ln": "LN", "sqrt": "SQRT", "sin": "SIN", "cos": "COS",
    "tan": "TAN", "arcsin": "ARCSIN", "arccos": "ARCCOS", "arctan": "ARCTAN",
    "integer": "INTEGER", "modulo": "MODULO", "xidz": "XIDZ", "zidz": "ZIDZ",
    "if_then_else": "IF THEN ELSE", "step": "STEP", "initial": "INITIAL",
    "delay_fixed": "DELAY FIXED", "smooth_n": "SMOOTH N", "delay_n": "DELAY N",
}
#: Stateful calls whose Vensim name depends on whether an initial value is given.
_WITH_INITIAL = {"smooth": ("SMOOTH", "SMOOTHI"), "smooth3": ("SMOOTH3", "SMOOTH3I"),
                 "delay1": ("DELAY1", "DELAY1I"), "delay3": ("DELAY3", "DELAY3I")}
#: Aggregations over a dimension (``sum(x, dim)``) and their Vensim array functions
#: (``mean`` is the SUM divided by ELMCOUNT; XMILE writes VMIN/VMAX as MIN/MAX).
AGGREGATE = {"sum": "SUM", "mean": "SUM", "prod": "PROD", "min": "VMIN", "max": "VMAX"}


def _min_max(func: str, args: list[str]) -> str:
    text = args[-1]  # Vensim's MIN and MAX take two arguments
    for arg in reversed(args[:-1]):
        text = f"{func.upper()}({arg}, {text})"
    return text


#: Special cases: builtin -> writer of the printed arguments (``atom(i)``: argument i bracketed).
_VENSIM_SPECIAL = {
    "min": lambda args, atom: _min_max("min", args),
    "max": lambda args, atom: _min_max("max", args),
    "log": lambda args, atom: (f"LN({args[0]})" if len(args) == 1
                                else f"LOG({args[0]}, {args[1]})"),
    "log10": lambda args, atom: f"LOG({args[0]}, 10)",
    "ramp": lambda args, atom: (f"RAMP({args[0]}, {args[1]}, "
                                 f"{args[2] if len(args) > 2 else 'FINAL TIME'})"),
    # gysim's default width (dt/2) covers one Euler step, as TIME STEP
    "pulse": lambda args, atom: f"PULSE({args[0]}, {args[1] if len(args) > 1 else 'TIME STEP'})",
    # same argument order: start, width, interval, end
    "pulse_train": lambda args, atom: f"PULSE TRAIN({', '.join(args)})",
    # the fixed-step form gysim uses, as Vensim runs
    "nonnegative_rate": lambda args, atom: f"MAX({args[0]}, -{atom(1)} / TIME STEP)",
    "not_available": lambda args, atom: ":NA:",
}


def vensim_call(func: str, args: list[str], atom: Callable[[int], str]) -> str | None:
    """A call of the gysim builtin ``func`` in Vensim, or None if Vensim has none.

    ``args`` are the printed arguments; ``atom(i)`` prints argument ``i``
    bracketed where an operator would bind it (called only where needed).

    Examples
    --------
    >>> vensim_call("min", ["a", "b", "c"], str)
    'MIN(a, MIN(b, c))'
    >>> vensim_call("cumsum", ["a"], str) is None
    True
    """
    if func in _DIRECT:
        return f"{_DIRECT[func]}({', '.join(args)})"
    if func in _WITH_INITIAL:
        plain, with_init = _WITH_INITIAL[func]
        return f"{with_init if len(args) > 2 else plain}({', '.join(args)})"
    if func in _VENSIM_SPECIAL:
        return _VENSIM_SPECIAL[func](args, atom)
    return None


# ========================================================================================
# XMILE: gysim builtin -> XMILE spelling
# ========================================================================================

#: Calls printed as XMILE functions of the same arguments.
_XMILE_DIRECT = {
    "abs": "ABS", "exp": "EXP", "ln": "LN", "sqrt": "SQRT", "sin": "SIN", "cos": "COS",
    "tan": "TAN", "arcsin": "ARCSIN", "arccos": "ARCCOS", "arctan": "ARCTAN",
    "integer": "INT", "xidz": "SAFEDIV", "step": "STEP", "initial": "INIT",
    "min": "MIN", "max": "MAX",
    "smooth": "SMTH1", "smooth3": "SMTH3", "delay1": "DELAY1", "delay3": "DELAY3",
    "delay_fixed": "DELAY",
}
#: Builtins without an exact XMILE counterpart.
XMILE_REFUSED = {"pulse", "pulse_train", "nonnegative_rate", "not_available"}


def _ramp(args: list[str]) -> str:
    if len(args) > 2:
        return f"(RAMP({args[0]}, {args[1]}) - RAMP({args[0]}, {args[2]}))"
    return f"RAMP({args[0]}, {args[1]})"


#: Special cases: builtin -> writer of the printed arguments (``atom(i)``: argument i bracketed).
_XMILE_SPECIAL = {
    "if_then_else": lambda args, atom: f"(IF {args[0]} THEN {args[1]} ELSE {args[2]})",
    "zidz": lambda args, atom: f"SAFEDIV({args[0]}, {args[1]}, 0)",
    "modulo": lambda args, atom: f"({atom(0)} MOD {atom(1)})",
    # XMILE orders SMTHN/DELAYN (input, time, order, initial)
    "smooth_n": lambda args, atom: f"SMTHN({args[0]}, {args[1]}, {args[3]}, {args[2]})",
    "delay_n": lambda args, atom: f"DELAYN({args[0]}, {args[1]}, {args[3]}, {args[2]})",
    "log": lambda args, atom: (f"LN({args[0]})" if len(args) == 1
                                else f"(LN({args[0]}) / LN({args[1]}))"),
    "log10": lambda args, atom: f"LOG10({args[0]})",
    "ramp": lambda args, atom: _ramp(args),
}


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
    if func in XMILE_REFUSED:
        return None
    if func in _XMILE_SPECIAL:
        return _XMILE_SPECIAL[func](args, atom)
    if func in _XMILE_DIRECT:
        return f"{_XMILE_DIRECT[func]}({', '.join(args)})"
    return None
