"""The builtin functions equations may call, and how each becomes numpy code.

Three kinds of builtins exist:

* ``pure`` functions of their arguments (``min``, ``exp``, ``xidz``, ...),
  turned into numpy expressions that work elementwise over the run axis;
* ``time`` functions that also read the model clock (``step``, ``ramp``,
  ``pulse``), following PySD's/Vensim's conventions;
* ``stateful`` functions (``smooth``, ``delay1``, ``initial``, ...) that the
  compiler expands into hidden stocks, so every integration method handles
  them exactly like user stocks.

Examples
--------
>>> from gysim.builtins import BUILTINS
>>> BUILTINS["xidz"].signature
'xidz(a, b, x)'
>>> sorted(name for name, b in BUILTINS.items() if b.kind == "stateful")[:3]
['delay1', 'delay3', 'delay_fixed']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["AGGREGATIONS", "Builtin", "BUILTINS", "RESERVED_NAMES", "RUNTIME", "SMALL"]

#: What Vensim considers zero (its documentation's ``small`` for XIDZ/ZIDZ).
SMALL = 1e-6


@dataclass(frozen=True)
class Builtin:
    """Description of one builtin function.

    Attributes
    ----------
    name : str
        The name used in equations.
    min_args, max_args : int
        Accepted number of positional arguments.
    kind : {"pure", "time", "stateful"}
        How the compiler treats the call.
    signature : str
        The call as documented, e.g. ``"step(height, start)"``.
    doc : str
        One line on what it computes.
    template : callable or None
        For pure and time builtins: maps the argument code strings to the
        numpy code of the call. Time builtins may use the locals ``t`` and
        ``dt`` of the generated function.
    """

    name: str
    min_args: int
    max_args: int
    kind: str
    signature: str
    doc: str
    template: Callable[[list[str]], str] | None = None


def _pure(name, n_min, n_max, signature, doc, template):
    return Builtin(name, n_min, n_max, "pure", signature, doc, template)


def _min_max(func: str) -> Callable[[list[str]], str]:
    def template(args: list[str]) -> str:
        code = args[0]
        for arg in args[1:]:
            code = f"np.{func}({code}, {arg})"
        return code
    return template


def _log(args: list[str]) -> str:
    if len(args) == 1:
        return f"np.log({args[0]})"
    return f"(np.log({args[0]}) / np.log({args[1]}))"


_FUNCTIONS = [
    _pure("min", 2, 8, "min(a, b, ...)", "elementwise minimum", _min_max("minimum")),
    _pure("max", 2, 8, "max(a, b, ...)", "elementwise maximum", _min_max("maximum")),
    _pure("abs", 1, 1, "abs(x)", "absolute value", lambda a: f"np.abs({a[0]})"),
    _pure("exp", 1, 1, "exp(x)", "e to the power x", lambda a: f"np.exp({a[0]})"),
    _pure("log", 1, 2, "log(x[, base])", "natural logarithm, or to the given base", _log),
    _pure("ln", 1, 1, "ln(x)", "natural logarithm", lambda a: f"np.log({a[0]})"),
    _pure("log10", 1, 1, "log10(x)", "base-10 logarithm", lambda a: f"np.log10({a[0]})"),
    _pure("sqrt", 1, 1, "sqrt(x)", "square root", lambda a: f"np.sqrt({a[0]})"),
    _pure("sin", 1, 1, "sin(x)", "sine (radians)", lambda a: f"np.sin({a[0]})"),
    _pure("cos", 1, 1, "cos(x)", "cosine (radians)", lambda a: f"np.cos({a[0]})"),
    _pure("tan", 1, 1, "tan(x)", "tangent (radians)", lambda a: f"np.tan({a[0]})"),
    _pure("arcsin", 1, 1, "arcsin(x)", "inverse sine", lambda a: f"np.arcsin({a[0]})"),
    _pure("arccos", 1, 1, "arccos(x)", "inverse cosine", lambda a: f"np.arccos({a[0]})"),
    _pure("arctan", 1, 1, "arctan(x)", "inverse tangent", lambda a: f"np.arctan({a[0]})"),
    _pure("integer", 1, 1, "integer(x)", "x truncated toward zero", lambda a: f"np.trunc({a[0]})"),
    _pure("modulo", 2, 2, "modulo(a, b)", "remainder of a / b, sign of b",
          lambda a: f"np.mod({a[0]}, {a[1]})"),
    _pure("if_then_else", 3, 3, "if_then_else(condition, a, b)",
          "a where condition holds, else b (both are evaluated)",
          lambda a: f"np.where({a[0]}, {a[1]}, {a[2]})"),
    _pure("xidz", 3, 3, "xidz(a, b, x)", "a / b, or x where |b| < 1e-6",
          lambda a: f"_xidz({a[0]}, {a[1]}, {a[2]})"),
    _pure("zidz", 2, 2, "zidz(a, b)", "a / b, or 0 where |b| < 1e-6",
          lambda a: f"_xidz({a[0]}, {a[1]}, 0.0)"),
    Builtin("step", 2, 2, "time", "step(height, start)",
            "0 before `start`, `height` from then on (Vensim STEP)",
            lambda a: f"_step(t, dt, {a[0]}, {a[1]})"),
    Builtin("ramp", 2, 3, "time", "ramp(slope, start[, end])",
            "0 before `start`, then rising with `slope` until `end` (Vensim RAMP)",
            lambda a: f"_ramp(t, {a[0]}, {a[1]}, {a[2] if len(a) > 2 else 'np.inf'})"),
    Builtin("pulse", 1, 2, "time", "pulse(start[, width])",
            "1 for start <= time < start + width, else 0 (width defaults to dt/2)",
            lambda a: f"_pulse(t, dt, {a[0]}, {a[1] if len(a) > 1 else 'None'})"),
    Builtin("pulse_train", 4, 4, "time", "pulse_train(start, width, interval, end)",
            "a pulse of `width` every `interval` from `start` until `end`",
            lambda a: f"_pulse_train(t, {a[0]}, {a[1]}, {a[2]}, {a[3]})"),
]

_STATEFUL = [
    ("smooth", 2, 3, "smooth(input, delay_time[, initial])",
     "first-order exponential smooth of `input` (starts at `initial`, default `input`)"),
    ("smooth3", 2, 3, "smooth3(input, delay_time[, initial])",
     "third-order exponential smooth"),
    ("smooth_n", 4, 4, "smooth_n(input, delay_time, initial, order)",
     "exponential smooth of integer `order` (a constant)"),
    ("delay1", 2, 3, "delay1(input, delay_time[, initial])",
     "first-order material delay (outflow starts at `initial`, default `input`)"),
    ("delay3", 2, 3, "delay3(input, delay_time[, initial])", "third-order material delay"),
    ("delay_n", 4, 4, "delay_n(input, delay_time, initial, order)",
     "material delay of integer `order` (a constant)"),
    ("delay_fixed", 3, 3, "delay_fixed(input, delay_time, initial)",
     "`input` shifted by `delay_time`; `initial` before that (fixed-step methods only)"),
    ("initial", 1, 1, "initial(x)", "the value `x` had at the start time"),
]

def _aggregate(name: str) -> Callable[[list[str]], str]:
    def template(args: list[str]) -> str:  # pragma: no cover - the compiler writes these
        raise NotImplementedError(f"{name} over a dimension is generated by the compiler")
    return template


# Aggregations over a named dimension (``sum(capital, sector)``); the compiler
# generates their code, because the axis depends on the model's dimensions.
# ``min(x, d)`` and ``max(x, d)`` with a dimension name ``d`` aggregate too.
_FUNCTIONS += [
    _pure("sum", 2, 2, "sum(x, dimension)", "sum of x over a dimension", _aggregate("sum")),
    _pure("mean", 2, 2, "mean(x, dimension)", "mean of x over a dimension", _aggregate("mean")),
    _pure("prod", 2, 2, "prod(x, dimension)", "product of x over a dimension",
          _aggregate("prod")),
]
#: Aggregating builtins and the numpy reduction each becomes.
AGGREGATIONS = {"sum": "np.sum", "mean": "np.mean", "prod": "np.prod", "min": "np.min",
                "max": "np.max"}

BUILTINS: dict[str, Builtin] = {b.name: b for b in _FUNCTIONS}
BUILTINS.update({name: Builtin(name, lo, hi, "stateful", sig, doc)
                 for name, lo, hi, sig, doc in _STATEFUL})

#: Names an element may not take.
RESERVED_NAMES = frozenset(BUILTINS) | {"time", "dt", "t", "np", "pi", "inf", "nan"}


def _xidz(a, b, x):
    tiny = np.abs(b) < SMALL
    return np.where(tiny, x, a / np.where(tiny, 1.0, b))


def _step(t, dt, height, start):
    return height * (t + 0.5 * dt > start)


def _ramp(t, slope, start, end):
    return (t + SMALL > start) * slope * (np.minimum(end, t) - start)


def _pulse(t, dt, start, width):
    width = 0.5 * dt if width is None else width
    return 1.0 * ((start - SMALL <= t) & (t < start + width))


def _pulse_train(t, start, width, interval, end):
    phase = np.mod(t - start + SMALL, np.where(interval > 0, interval, np.inf))
    return 1.0 * ((t >= start) & (t < end) & (phase < width))


#: Helpers the generated code may call, by the name it uses.
RUNTIME = {"np": np, "_xidz": _xidz, "_step": _step, "_ramp": _ramp,
           "_pulse": _pulse, "_pulse_train": _pulse_train}


# Added for the Vensim/XMILE readers (gysim.io): non-negative stocks.
def _nonnegative_rate(rate, level, dt):
    if dt > 0:  # fixed step: never take the level below zero in one step (PySD/Vensim)
        return np.maximum(rate, -level / dt)
    return np.where(level <= 0, np.maximum(rate, 0.0), rate)


BUILTINS["nonnegative_rate"] = Builtin(
    "nonnegative_rate", 2, 2, "time", "nonnegative_rate(rate, level)",
    "`rate`, limited so that a stock at `level` does not go below zero (non-negative stocks)",
    lambda a: f"_nonnegative_rate({a[0]}, {a[1]}, dt)")
RESERVED_NAMES = RESERVED_NAMES | {"nonnegative_rate"}
RUNTIME["_nonnegative_rate"] = _nonnegative_rate

# Vensim's :NA: (PySD reads it as NaN).
BUILTINS["not_available"] = Builtin(
    "not_available", 0, 0, "pure", "not_available()",
    "a missing value, NaN (Vensim's :NA:)", lambda a: "np.nan")
RESERVED_NAMES = RESERVED_NAMES | {"not_available"}
