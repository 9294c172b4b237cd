"""The builtin functions equations may call: one table, one row per builtin.

Every fact about a builtin lives in its row of :data:`BUILTINS`:

* its arity and documented signature (the compiler's call checks);
* how it becomes numpy code (``numpy``: a template over the argument code
  strings, with any helper it calls in ``runtime``);
* its units rule (``units``: the unit checker of :mod:`gysim.units` calls it);
* for ``stateful`` builtins (``smooth``, ``delay1``, ``initial``, ...), how
  the compiler lowers a call into hidden stocks (``lower``), so that every
  integration method handles them exactly like user stocks;
* the times at which it makes the derivatives jump (``breaks``), where the
  adaptive methods restart;
* for aggregations over a dimension (``sum(x, sector)``), the numpy reduction;
* which arguments must be constant numbers.

Three kinds exist: ``pure`` functions of their arguments (elementwise over
the run axis), ``time`` functions that also read the model clock (``step``,
``ramp``, ``pulse``; PySD's/Vensim's conventions) and ``stateful`` ones.
Adding a builtin is adding one row (and its tests).

Examples
--------
>>> from gysim.builtins import BUILTINS
>>> BUILTINS["xidz"].signature
'xidz(a, b, x)'
>>> BUILTINS["exp"].numpy(["v_x"])
'np.exp(v_x)'
>>> sorted(name for name, b in BUILTINS.items() if b.kind == "stateful")[:3]
['delay1', 'delay3', 'delay_fixed']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Protocol, Sequence

import numpy as np

from . import allocation
from . import builtin_units as bu
from . import random_draws as rd
from . import vector_functions as vf
from . import vector_sort as vs
from .errors import ModelDefinitionError
from .expr import BinOp, Call, Const, Name, Node, UnaryOp, constant_value, map_children

__all__ = ["AGGREGATIONS", "Builtin", "BUILTINS", "LoweringContext", "RESERVED_NAMES",
           "RUNTIME", "SMALL", "aggregated_dim", "along_dim", "folded"]

#: What Vensim considers zero (its documentation's ``small`` for XIDZ/ZIDZ).
SMALL = 1e-6


class LoweringContext(Protocol):
    """What a stateful builtin's ``lower`` may ask of the compiler.

    The compiler's lowering stage (:mod:`gysim.engine.lowering`) implements it.
    """

    def as_name(self, tree: Node, prefix: str, owner: str) -> Node:
        """``tree`` as a name, giving a non-trivial argument its own hidden variable."""

    def hidden(self, prefix: str, owner: str) -> str:
        """A new hidden variable name."""

    def add_state(self, name: str, initial: Node, derivative: Node) -> None:
        """A hidden stock with its initial value and derivative."""

    def define(self, name: str, tree: Node) -> None:
        """The equation of a hidden variable named by :meth:`hidden`."""

    def fixed_delay(self, input: Node, delay_time: Node, initial: Node, owner: str, *,
                    prefix: str = "delay_fixed", why: str | None = None) -> Name:
        """A pipeline delay of fixed-step methods; returns its output's name."""

    def varies(self, tree: Node) -> bool:
        """Whether ``tree`` may change during a run."""

    def shaped_like(self, name: str, owner: str) -> None:
        """The hidden variable ``name`` has the dims of its owner."""

    def dims_of_tree(self, tree: Node, owner: str) -> tuple[str, ...]:
        """The dimensions a tree of ``owner``'s equation spans."""

    def random_context(self, owner: str) -> tuple[Node, ...]:
        """The leading arguments of a random draw of ``owner``: call key, start time,
        time step, the owner's shape (see :func:`gysim.random_draws.draw`)."""


@dataclass(frozen=True)
class Builtin:
    """Everything gysim knows about one builtin function.

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
    numpy : callable or None
        Pure and time builtins: maps the argument code strings to numpy code.
        Time builtins may use the locals ``t`` and ``dt`` of the generated
        function. None for stateful builtins and aggregations (the compiler
        writes those).
    runtime : mapping
        Helpers the numpy code calls, by the name it uses.
    units : callable or None
        ``units(checker, args, arg_units, where)``: the units of a call, raising
        the checker's mismatch for inconsistent arguments (see
        :mod:`gysim.units`). None: the result's units are unknown.
    lower : callable or None
        Stateful builtins and random draws: ``lower(ctx, args, owner)`` returns the tree that
        replaces the call, after adding hidden stocks through ``ctx``
        (a :class:`LoweringContext`).
    breaks : callable or None
        ``breaks(args)``: trees of the times at which the call jumps.
    reduction : str or None
        Aggregations over a dimension: the numpy reduction (``"np.sum"``).
    keeps_units : bool
        Aggregations: whether the result has the units of the argument.
    constant_args : tuple of int
        Arguments that must be constant numbers (e.g. a delay's order).
    initial_only : tuple of int
        Arguments used only at the initial time (a delay's initial value).
    family, order : str or None, int or None
        Smooths and delays of a fixed order (``"smooth"``, 3 for ``smooth3``):
        the builtin a Vensim/XMILE SMOOTH or DELAY structure of that order reads as.
    vensim : tuple of str
        The Vensim/XMILE functions (as PySD's translators key them, e.g.
        ``"if_then_else"``) read as a call of this builtin.
    from_file : callable or None
        Reorders a file function's arguments into this builtin's order.
    to_vensim, to_xmile : callable or None
        ``to_vensim(args, atom)``: the call in Vensim (or XMILE) from the
        printed arguments; ``atom(i)`` prints argument ``i`` bracketed for an
        operator. None: the language has no exact counterpart.
    array_function : str or None
        Aggregations: the Vensim array function over ``dim!`` (``"SUM"``).
    along : bool
        Functions along a dimension that keep it (the allocations): the last
        argument names the dimension; ``numpy`` receives the axis of that
        dimension (a negative integer) in its place, then the quoted name of the
        element computed (for its errors).
    """

    name: str
    min_args: int
    max_args: int
    kind: str
    signature: str
    doc: str
    numpy: Callable[[list[str]], str] | None = None
    runtime: Mapping[str, Callable] = field(default_factory=dict)
    units: Callable[..., Any] | None = None
    lower: Callable[..., Node] | None = None
    breaks: Callable[[Sequence[Node]], list[Node]] | None = None
    reduction: str | None = None
    keeps_units: bool = True
    constant_args: tuple[int, ...] = ()
    initial_only: tuple[int, ...] = ()
    family: str | None = None
    order: int | None = None
    vensim: tuple[str, ...] = ()
    from_file: Callable[[list], list] | None = None
    to_vensim: Callable[[list[str], Callable[[int], str]], str] | None = None
    to_xmile: Callable[[list[str], Callable[[int], str]], str] | None = None
    array_function: str | None = None
    along: bool = False


# ---------------------------------------------------------------------- numpy helpers
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


def _quantum(a, q):
    return np.where(q < SMALL, a, q * np.trunc(a / np.where(q < SMALL, 1.0, q)))


def _modulo(a, b):
    return a - _quantum(a, b)


def _nonnegative_rate(rate, level, dt):
    if dt > 0:  # fixed step: never take the level below zero in one step (PySD/Vensim)
        return np.maximum(rate, -level / dt)
    return np.where(level <= 0, np.maximum(rate, 0.0), rate)


def _func(numpy_name: str) -> Callable[[list[str]], str]:
    return lambda a: f"np.{numpy_name}({', '.join(a)})"


def _fold(numpy_name: str) -> Callable[[list[str]], str]:
    def template(args: list[str]) -> str:
        code = args[0]
        for arg in args[1:]:
            code = f"np.{numpy_name}({code}, {arg})"
        return code
    return template


def _log(args: list[str]) -> str:
    if len(args) == 1:
        return f"np.log({args[0]})"
    return f"(np.log({args[0]}) / np.log({args[1]}))"


# ---------------------------------------------------------------------- breakpoints
def _breaks_step(args):
    return [args[1]]


def _breaks_ramp(args):
    return list(args[1:3])


def _breaks_pulse(args):
    return [args[0]] + ([BinOp("+", args[0], args[1])] if len(args) > 1 else [])


# ---------------------------------------------------------------------- lowering
def _lower_initial(ctx: LoweringContext, args, owner):
    x = ctx.as_name(args[0], "in", owner)
    state = ctx.hidden("initial", owner)
    ctx.add_state(state, x, Const(0.0))
    return Name(state)


def _lower_npv(ctx: LoweringContext, args, owner):
    """Vensim's NPV(stream, discount rate, initial value, factor), as its reference writes
    it: ``(accum + stream * TIME STEP * df) * factor`` with ``accum = INTEG(stream * df,
    initial value)`` and ``df = INTEG(-df * rate / (1 + rate * TIME STEP), 1)`` (the
    current step's stream is not discounted). TIME STEP is the run's step (0 under the
    adaptive methods: the continuous limit)."""
    stream, rate = ctx.as_name(args[0], "in", owner), ctx.as_name(args[1], "rate", owner)
    step = Call("integration_step", ())
    factor, accum = ctx.hidden("npv_df", owner), ctx.hidden("npv", owner)
    for state in (factor, accum):
        ctx.shaped_like(state, owner)
    ctx.add_state(factor, Const(1.0), BinOp("/", BinOp("*", UnaryOp("-", Name(factor)), rate),
                                            BinOp("+", Const(1.0), BinOp("*", rate, step))))
    ctx.add_state(accum, ctx.as_name(args[2], "init", owner), BinOp("*", stream, Name(factor)))
    return BinOp("*", BinOp("+", Name(accum), BinOp("*", BinOp("*", stream, step),
                                                     Name(factor))), args[3])


def _order_of(func: str, args, owner: str) -> int:
    value = folded(args[3])  # checked constant by the compiler (constant_args)
    if value < 1 or not float(value).is_integer():
        raise ModelDefinitionError(
            f"{owner}: the order of `{func}` must be a positive integer, got {value:g}")
    return int(value)


def _delay_args(ctx: LoweringContext, args, owner):
    x = ctx.as_name(args[0], "in", owner)
    delay = ctx.as_name(args[1], "tau", owner)
    init = ctx.as_name(args[2], "init", owner) if len(args) > 2 else x
    return x, delay, init


def _smooth(order: int | None, func: str):
    """An exponential smooth: each stage relaxes toward the previous one."""
    def lower(ctx: LoweringContext, args, owner):
        x, delay, init = _delay_args(ctx, args, owner)
        n = order or _order_of(func, args, owner)
        stage_time = delay if n == 1 else BinOp("/", delay, Const(float(n)))
        upstream, stage = x, Name("")
        for _ in range(n):
            stage = Name(ctx.hidden("smooth", owner))
            ctx.add_state(stage.id, init, BinOp("/", BinOp("-", upstream, stage), stage_time))
            upstream = stage
        return stage
    return lower


def _material_delay(order: int | None, func: str):
    """A material delay: a chain of ``order`` stages, each a stock whose outflow
    is its content divided by the stage time ``delay_time / order``, which acts
    on every stage at once; the delay's output is the last stage's outflow.

    DELAY1 and DELAY3 take the delay time of the current step everywhere.
    DELAY N's output "depends only on the values delay time had in previous
    Time Steps" (Vensim's reference): its last stage drains with the delay
    time of the PREVIOUS step (the initial time is its own previous step),
    its other stages with the current one, so that a jump in the delay time
    reaches the output one step later and what leaves is what is reported.
    A delay time that changes during the run is then a one-step fixed delay,
    and needs a fixed-step method.

    Each hidden stock is ``order`` times a stage's content, so that its outflow
    is ``stock / delay_time``; it starts at ``initial * delay_time`` (each stage
    holding ``initial * delay_time / order``: the outflow starts at ``initial``).
    """
    def lower(ctx: LoweringContext, args, owner):
        x, delay, init = _delay_args(ctx, args, owner)
        n = order or _order_of(func, args, owner)
        last = delay
        if order is None and ctx.varies(delay):
            last = ctx.fixed_delay(delay, Const(0.0), delay, owner, prefix="delay_n_time",
                                   why=f"delay_n of '{owner}' with a changing delay time")
        upstream: Node = x
        for i in range(n):
            stage = Name(ctx.hidden("delay", owner))
            outflow = BinOp("/", stage, last if i == n - 1 else delay)
            ctx.add_state(stage.id, BinOp("*", init, delay),
                          BinOp("*", BinOp("-", upstream, outflow), Const(float(n))))
            upstream = outflow
        return upstream
    return lower


def _lower_sample_if_true(ctx: LoweringContext, args, owner):
    """Vensim's SAMPLE IF TRUE: ``input`` while ``condition`` holds, else the value of
    the previous step (``initial`` at the start); the previous value is a one-step
    fixed delay of the output (over the owner's dimensions when the call has any), so
    the hold needs a fixed-step method."""
    dims = ctx.dims_of_tree(Call("if_then_else", tuple(args)), owner)
    out = ctx.hidden("sample", owner)
    if dims:
        ctx.shaped_like(out, owner)
    previous = ctx.fixed_delay(Name(out), Const(0.0), args[2], owner, prefix="sample_previous",
                               why=f"sample_if_true of '{owner}'")
    ctx.define(out, Call("if_then_else", (args[0], args[1], previous)))
    return Name(out)


def _lower_delay_fixed(ctx: LoweringContext, args, owner):
    x, delay, init = _delay_args(ctx, args, owner)
    return ctx.fixed_delay(x, delay, init, owner)


def _lower_random(kind: int, before: tuple[float, ...] = (), after: tuple[float, ...] = ()):
    """A random call becomes a ``_random`` draw keyed by its element and position."""
    def lower(ctx: LoweringContext, args, owner):
        extra = tuple(Const(v) for v in before) + tuple(args) + tuple(Const(v) for v in after)
        return Call("_random", (Const(float(kind)),) + ctx.random_context(owner) + extra)
    return lower


def _lower_pink_noise(ctx: LoweringContext, args, owner):
    """Anderson's pink noise (Vensim's RANDOM PINK NOISE macro): a first-order smooth,
    with time ``correlation time``, of white noise scaled so that the output's standard
    deviation does not depend on the time step; it starts at mean + sd * N(0, 1)."""
    mean, sd = ctx.as_name(args[0], "mean", owner), ctx.as_name(args[1], "sd", owner)
    tau = ctx.as_name(args[2], "tau", owner)
    scaled = Call("_random", (Const(float(rd.PINK)),) + ctx.random_context(owner)
                  + (mean, sd, tau, args[3]))
    white = Call("_random", (Const(float(rd.NORMAL)),) + ctx.random_context(owner)
                 + (Const(-6.0), Const(6.0), Const(0.0), Const(1.0), args[3]))
    state = ctx.hidden("pink_noise", owner)
    ctx.shaped_like(state, owner)  # one noise per element of a subscripted owner
    ctx.add_state(state, BinOp("+", mean, BinOp("*", sd, white)),
                  BinOp("/", BinOp("-", scaled, Name(state)), tau))
    return Name(state)


def _random(name, n, kind, signature, doc, units, vensim_name, before=(), after=(),
            lower=None, most=None):
    """A RANDOM function: a draw per time step and run (:mod:`gysim.random_draws`)."""
    # unlowered (in a stock's initial value): the draw of step 0 of a call keyed 0
    meta = [repr(float(kind)), "0.0", "t", "1.0", "0"]
    return Builtin(name, n, most or n, "time", signature, doc,
                   lambda a: "_random(t, dt, " + ", ".join(
                       meta + [repr(v) for v in before] + list(a) + [repr(v) for v in after])
                   + ")", runtime={"_random": rd.draw}, units=units,
                   lower=lower or _lower_random(kind, before, after), vensim=(name,),
                   to_vensim=_spelled(vensim_name) if vensim_name else None)


# ---------------------------------------------------------------------- spellings
def _spelled(name: str) -> Callable[[list[str], Callable[[int], str]], str]:
    """A function of the same arguments in the other language: ``NAME(a, b)``."""
    return lambda args, atom: f"{name}({', '.join(args)})"


def _with_initial(plain: str, with_initial: str):
    """Vensim's SMOOTH/SMOOTHI pairs: the name says whether an initial value is given."""
    return lambda args, atom: f"{with_initial if len(args) > 2 else plain}({', '.join(args)})"


def _vensim_min_max(name: str):
    def spell(args, atom):
        text = args[-1]  # Vensim's MIN and MAX take two arguments
        for arg in reversed(args[:-1]):
            text = f"{name}({arg}, {text})"
        return text
    return spell


def _xmile_order_last(name: str):
    """XMILE orders SMTHN/DELAYN (input, time, order, initial)."""
    return lambda args, atom: f"{name}({args[0]}, {args[1]}, {args[3]}, {args[2]})"


def _xmile_ramp(args, atom):
    if len(args) > 2:
        return f"(RAMP({args[0]}, {args[1]}) - RAMP({args[0]}, {args[2]}))"
    return f"RAMP({args[0]}, {args[1]})"


def _log_spelling(xmile: bool):
    def spell(args, atom):
        if len(args) == 1:
            return f"LN({args[0]})"
        return f"(LN({args[0]}) / LN({args[1]}))" if xmile else f"LOG({args[0]}, {args[1]})"
    return spell


# ---------------------------------------------------------------------- the table
def _pure(name, lo, hi, signature, doc, numpy, units=None, **more):
    return Builtin(name, lo, hi, "pure", signature, doc, numpy, units=units, **more)


def _simple(name, lo, hi, signature, doc, numpy, units, vensim_name, xmile_name=None, **more):
    """A pure function that Vensim (and XMILE) write as one function of the same arguments."""
    xmile_name = vensim_name if xmile_name is None else xmile_name
    return _pure(name, lo, hi, signature, doc, numpy, units, vensim=(name,),
                 to_vensim=_spelled(vensim_name),
                 to_xmile=_spelled(xmile_name) if xmile_name else None, **more)


def _time(name, lo, hi, signature, doc, numpy, helper, units, breaks=None, **more):
    return Builtin(name, lo, hi, "time", signature, doc, numpy,
                   runtime={helper.__name__: helper}, units=units, breaks=breaks, **more)


def _stateful(name, lo, hi, signature, doc, lower, units=bu.delay, **more):
    return Builtin(name, lo, hi, "stateful", signature, doc, units=units, lower=lower, **more)


def _aggregation(name, doc, reduction, keeps_units=True, array_function=None):
    return Builtin(name, 2, 2, "pure", f"{name}(x, dimension)", doc,
                   reduction=reduction, keeps_units=keeps_units, array_function=array_function)


def _dimensionless(name, doc, xmile=True):
    return _simple(name, 1, 1, f"{name}(x)", doc, _func(name), bu.dimensionless, name.upper(),
                   None if xmile else "")


_TABLE = [
    _pure("min", 2, 8, "min(a, b, ...)", "elementwise minimum (or min(x, dimension))",
          _fold("minimum"), bu.all_same, reduction="np.min", array_function="VMIN",
          vensim=("min",), to_vensim=_vensim_min_max("MIN"), to_xmile=_spelled("MIN")),
    _pure("max", 2, 8, "max(a, b, ...)", "elementwise maximum (or max(x, dimension))",
          _fold("maximum"), bu.all_same, reduction="np.max", array_function="VMAX",
          vensim=("max",), to_vensim=_vensim_min_max("MAX"), to_xmile=_spelled("MAX")),
    _simple("abs", 1, 1, "abs(x)", "absolute value", _func("abs"), bu.first_argument, "ABS"),
    _simple("exp", 1, 1, "exp(x)", "e to the power x", _func("exp"), bu.dimensionless, "EXP"),
    _pure("log", 1, 2, "log(x[, base])", "natural logarithm, or to the given base", _log,
          bu.dimensionless, vensim=("log",), to_vensim=_log_spelling(xmile=False),
          to_xmile=_log_spelling(xmile=True)),
    _simple("ln", 1, 1, "ln(x)", "natural logarithm", _func("log"), bu.dimensionless, "LN"),
    _pure("log10", 1, 1, "log10(x)", "base-10 logarithm", _func("log10"), bu.dimensionless,
          to_vensim=lambda a, atom: f"LOG({a[0]}, 10)", to_xmile=_spelled("LOG10")),
    _simple("sqrt", 1, 1, "sqrt(x)", "square root", _func("sqrt"), bu.sqrt_of, "SQRT"),
    _dimensionless("sin", "sine (radians)"),
    _dimensionless("cos", "cosine (radians)"),
    _dimensionless("tan", "tangent (radians)"),
    _dimensionless("arcsin", "inverse sine"),
    _dimensionless("arccos", "inverse cosine"),
    _dimensionless("arctan", "inverse tangent"),
    _simple("integer", 1, 1, "integer(x)", "x truncated toward zero", _func("trunc"),
            bu.first_argument, "INTEGER", "INT"),
    # Vensim's MODULO is a - QUANTUM(a, b): the sign of a (Python's % takes the sign of b)
    _pure("modulo", 2, 2, "modulo(a, b)",
          "remainder of a / b with the sign of a (Vensim MODULO); 0 where b < 1e-6",
          lambda a: f"_modulo({a[0]}, {a[1]})", bu.all_same,
          runtime={"_modulo": _modulo, "_quantum": _quantum}, vensim=("modulo",), to_vensim=_spelled("MODULO"),
          to_xmile=lambda a, atom: f"({atom(0)} MOD {atom(1)})"),
    _pure("if_then_else", 3, 3, "if_then_else(condition, a, b)",
          "a where condition holds, else b (both are evaluated)", _func("where"), bu.branches,
          vensim=("if_then_else",), to_vensim=_spelled("IF THEN ELSE"),
          to_xmile=lambda a, atom: f"(IF {a[0]} THEN {a[1]} ELSE {a[2]})"),
    _simple("xidz", 3, 3, "xidz(a, b, x)", "a / b, or x where |b| < 1e-6",
            lambda a: f"_xidz({a[0]}, {a[1]}, {a[2]})", bu.ratio, "XIDZ", "SAFEDIV",
            runtime={"_xidz": _xidz}),
    _pure("zidz", 2, 2, "zidz(a, b)", "a / b, or 0 where |b| < 1e-6",
          lambda a: f"_xidz({a[0]}, {a[1]}, 0.0)", bu.ratio, runtime={"_xidz": _xidz},
          vensim=("zidz",), to_vensim=_spelled("ZIDZ"),
          to_xmile=lambda a, atom: f"SAFEDIV({a[0]}, {a[1]}, 0)"),
    _pure("quantum", 2, 2, "quantum(a, q)",
          "a truncated toward zero to a whole multiple of q; a where q < 1e-6 (Vensim QUANTUM)",
          lambda a: f"_quantum({a[0]}, {a[1]})", bu.all_same, runtime={"_quantum": _quantum},
          vensim=("quantum",), to_vensim=_spelled("QUANTUM")),
    _pure("not_available", 0, 0, "not_available()", "a missing value, NaN (Vensim's :NA:)",
          lambda a: "np.nan", bu.literal, to_vensim=lambda a, atom: ":NA:"),
    _time("step", 2, 2, "step(height, start)",
          "0 before `start`, `height` from then on (Vensim STEP)",
          lambda a: f"_step(t, dt, {a[0]}, {a[1]})", _step, bu.step_of, _breaks_step,
          vensim=("step",), to_vensim=_spelled("STEP"), to_xmile=_spelled("STEP")),
    _time("ramp", 2, 3, "ramp(slope, start[, end])",
          "0 before `start`, then rising with `slope` until `end` (Vensim RAMP)",
          lambda a: f"_ramp(t, {a[0]}, {a[1]}, {a[2] if len(a) > 2 else 'np.inf'})",
          _ramp, bu.ramp_of, _breaks_ramp, vensim=("ramp", "Xramp"),
          to_vensim=lambda a, atom: f"RAMP({a[0]}, {a[1]}, {a[2] if len(a) > 2 else 'FINAL TIME'})",
          to_xmile=_xmile_ramp),
    # gysim's default width (dt/2) covers one Euler step, as Vensim's TIME STEP
    _time("pulse", 1, 2, "pulse(start[, width])",
          "1 for start <= time < start + width, else 0 (width defaults to dt/2)",
          lambda a: f"_pulse(t, dt, {a[0]}, {a[1] if len(a) > 1 else 'None'})",
          _pulse, bu.pulse_of, _breaks_pulse, vensim=("pulse",),
          to_vensim=lambda a, atom: f"PULSE({a[0]}, {a[1] if len(a) > 1 else 'TIME STEP'})"),
    # PySD orders PULSE TRAIN (start, interval, width, end)
    _time("pulse_train", 4, 4, "pulse_train(start, width, interval, end)",
          "a pulse of `width` every `interval` from `start` until `end`",
          lambda a: f"_pulse_train(t, {a[0]}, {a[1]}, {a[2]}, {a[3]})", _pulse_train, bu.pulse_of,
          vensim=("pulse_train",), from_file=lambda a: [a[0], a[2], a[1], a[3]],
          to_vensim=_spelled("PULSE TRAIN")),
    # written in the fixed-step form gysim uses, as Vensim runs
    _time("nonnegative_rate", 2, 2, "nonnegative_rate(rate, level)",
          "`rate`, limited so that a stock at `level` does not go below zero (non-negative "
          "stocks)", lambda a: f"_nonnegative_rate({a[0]}, {a[1]}, dt)", _nonnegative_rate,
          bu.first_argument, to_vensim=lambda a, atom: f"MAX({a[0]}, -{atom(1)} / TIME STEP)"),
    Builtin("integration_step", 0, 0, "time", "integration_step()",
            "the step of a fixed-step run (Vensim's TIME STEP there); 0 under the adaptive "
            "methods", lambda a: "dt", units=lambda c, args, u, where: c.time),
    _stateful("npv", 4, 4, "npv(stream, discount_rate, initial, factor)",
              "net present value of `stream` at `discount_rate` from `initial`, times "
              "`factor` (Vensim NPV: the current step's stream is not discounted)", _lower_npv,
              units=bu.npv, vensim=("npv",), to_vensim=_spelled("NPV")),
    _aggregation("sum", "sum of x over a dimension", "np.sum", array_function="SUM"),
    _aggregation("mean", "mean of x over a dimension (written as SUM / ELMCOUNT)", "np.mean"),
    _aggregation("prod", "product of x over a dimension", "np.prod", keeps_units=False,
                 array_function="PROD"),
    _stateful("smooth", 2, 3, "smooth(input, delay_time[, initial])",
              "first-order exponential smooth of `input` (starts at `initial`, default "
              "`input`)", _smooth(1, "smooth"), family="smooth", order=1, initial_only=(2,),
              to_vensim=_with_initial("SMOOTH", "SMOOTHI"), to_xmile=_spelled("SMTH1")),
    _stateful("smooth3", 2, 3, "smooth3(input, delay_time[, initial])",
              "third-order exponential smooth", _smooth(3, "smooth3"), family="smooth",
              order=3, initial_only=(2,), to_vensim=_with_initial("SMOOTH3", "SMOOTH3I"),
              to_xmile=_spelled("SMTH3")),
    _stateful("smooth_n", 4, 4, "smooth_n(input, delay_time, initial, order)",
              "exponential smooth of integer `order` (a constant)", _smooth(None, "smooth_n"),
              constant_args=(3,), initial_only=(2,), to_vensim=_spelled("SMOOTH N"),
              to_xmile=_xmile_order_last("SMTHN")),
    _stateful("delay1", 2, 3, "delay1(input, delay_time[, initial])",
              "first-order material delay (outflow starts at `initial`, default `input`)",
              _material_delay(1, "delay1"), family="delay", order=1, initial_only=(2,),
              to_vensim=_with_initial("DELAY1", "DELAY1I"), to_xmile=_spelled("DELAY1")),
    _stateful("delay3", 2, 3, "delay3(input, delay_time[, initial])",
              "third-order material delay", _material_delay(3, "delay3"), family="delay",
              order=3, initial_only=(2,), to_vensim=_with_initial("DELAY3", "DELAY3I"),
              to_xmile=_spelled("DELAY3")),
    _stateful("delay_n", 4, 4, "delay_n(input, delay_time, initial, order)",
              "material delay of integer `order` (a constant)", _material_delay(None, "delay_n"),
              constant_args=(3,), initial_only=(2,), to_vensim=_spelled("DELAY N"),
              to_xmile=_xmile_order_last("DELAYN")),
    _stateful("delay_fixed", 3, 3, "delay_fixed(input, delay_time, initial)",
              "`input` shifted by `delay_time`; `initial` before that (fixed-step methods only)",
              _lower_delay_fixed, initial_only=(2,), to_vensim=_spelled("DELAY FIXED"),
              to_xmile=_spelled("DELAY")),
    _stateful("sample_if_true", 3, 3, "sample_if_true(condition, input, initial)",
              "`input` while `condition` holds, else its last such value (`initial` before "
              "any; fixed-step methods only)", _lower_sample_if_true, units=bu.sample,
              initial_only=(2,), to_vensim=_spelled("SAMPLE IF TRUE")),
    _stateful("initial", 1, 1, "initial(x)", "the value `x` had at the start time",
              _lower_initial, units=bu.first_argument, to_vensim=_spelled("INITIAL"),
              to_xmile=_spelled("INIT")),
    # random draws, held over a time step (streams: gysim.random_draws)
    _random("random_0_1", 0, rd.UNIFORM, "random_0_1()", "uniform in [0, 1) (Vensim RANDOM 0 1)",
            bu.literal, "RANDOM 0 1", before=(0.0, 1.0), after=(0.0,)),
    _random("random_uniform", 3, rd.UNIFORM, "random_uniform(min, max, seed)",
            "uniform between min and max (Vensim RANDOM UNIFORM)", bu.random_draw((0, 1)),
            "RANDOM UNIFORM"),
    _random("random_normal", 5, rd.NORMAL, "random_normal(min, max, mean, sd, seed)",
            "normal of `mean` and `sd`, truncated to [min, max] (Vensim RANDOM NORMAL)",
            bu.random_draw((0, 1, 2, 3)), "RANDOM NORMAL"),
    _random("random_exponential", 5, rd.EXPONENTIAL,
            "random_exponential(min, max, shift, stretch, seed)",
            "shift + stretch * an exponential of mean 1, truncated to [min, max]",
            bu.random_draw((0, 1, 2, 3)), "RANDOM EXPONENTIAL"),
    _random("random_poisson", 6, rd.POISSON,
            "random_poisson(min, max, mean, shift, stretch, seed)",
            "shift + stretch * a Poisson count of `mean`, truncated to [min, max]",
            bu.random_draw((0, 1, 3, 4), (2,)), "RANDOM POISSON"),
    _random("random_triangular", 6, rd.TRIANGULAR,
            "random_triangular(min, max, start, peak, end, seed)",
            "triangular from start to end with its peak at `peak`, truncated to [min, max]",
            bu.random_draw((0, 1, 2, 3, 4)), "RANDOM TRIANGULAR"),
    _random("random_lognormal", 5, rd.LOGNORMAL, "random_lognormal(min, max, mean, sd, seed)",
            "lognormal of mean `mean` and standard deviation `sd`, truncated to [min, max] "
            "(XMILE LOGNORMAL; Vensim has none)", bu.random_draw((0, 1, 2, 3)), None),
    _random("random_beta", 7, rd.BETA, "random_beta(min, max, alpha, beta, shift, stretch, seed)",
            "shift + stretch * a Beta(alpha, beta), truncated to [min, max] (Vensim RANDOM BETA)",
            bu.random_draw((0, 1, 4, 5), (2, 3)), "RANDOM BETA"),
    _random("random_binomial", 7, rd.BINOMIAL,
            "random_binomial(min, max, p, n, shift, stretch, seed)",
            "shift + stretch * successes in n trials of probability p, truncated to [min, max] "
            "(Vensim RANDOM BINOMIAL)", bu.random_draw((0, 1, 4, 5), (2, 3)), "RANDOM BINOMIAL"),
    _random("random_gamma", 6, rd.GAMMA, "random_gamma(min, max, order, shift, stretch, seed)",
            "shift + stretch * a Gamma of shape `order` (at least 1) and scale 1, truncated to "
            "[min, max] (Vensim RANDOM GAMMA)", bu.random_draw((0, 1, 3, 4), (2,)), "RANDOM GAMMA"),
    _random("random_negative_binomial", 7, rd.NEGATIVE_BINOMIAL,
            "random_negative_binomial(min, max, p, n, shift, stretch, seed)",
            "shift + stretch * the trials until the n-th success of probability p, truncated "
            "to [min, max] (Vensim RANDOM NEGATIVE BINOMIAL)", bu.random_draw((0, 1, 4, 5), (2, 3)),
            "RANDOM NEGATIVE BINOMIAL"),
    _random("random_weibull", 6, rd.WEIBULL, "random_weibull(min, max, shape, shift, stretch, seed)",
            "shift + stretch * a Weibull of that shape and mean 1, truncated to [min, max] "
            "(Vensim RANDOM WEIBULL)", bu.random_draw((0, 1, 3, 4), (2,)), "RANDOM WEIBULL"),
    _random("random_lookup", 10, rd.LOOKUP,
            "random_lookup(min, max, shift, stretch, n, x1, ..., xn, y1, ..., yn, seed)",
            "shift + stretch * a draw from the density shaped as the lookup of points (x, y) "
            "(linear between them), truncated to [min, max]; the readers write Vensim's "
            "RANDOM LOOKUP(lookup, min, max, shift, stretch, seed) so",
            bu.random_draw((0, 1, 2, 3), (4,)), None, most=1 << 20),
    _random("random_pink_noise", 4, rd.PINK,
            "random_pink_noise(mean, sd, correlation_time, seed)",
            "normal noise smoothed over `correlation_time` (Vensim RANDOM PINK NOISE)",
            bu.pink_noise, "RANDOM PINK NOISE", lower=_lower_pink_noise),
    # whole-vector functions read element by element (gysim.vector_functions)
    _pure("invert_matrix_element", 4, 1 << 20, "invert_matrix_element(i, j, n, *entries)",
          "element [i, j] of the inverse of the n by n matrix of `entries` (Vensim INVERT "
          "MATRIX, read element by element)",
          lambda a: f"invert_matrix_element({', '.join(a)})",
          runtime={"invert_matrix_element": vf.invert_matrix_element}),
    _pure("allocate_by_priority_element", 6, 1 << 20,
          "allocate_by_priority_element(k, n, width, supply, *requests, *priorities)",
          "requester k's share of `supply` (Vensim ALLOCATE BY PRIORITY, read element by "
          "element)", lambda a: f"allocate_by_priority_element({', '.join(a)})",
          runtime={"allocate_by_priority_element": vf.allocate_by_priority_element}),
    _pure("allocate_available_element", 7, 1 << 20,
          "allocate_available_element(k, n, available, *requests, *ptypes, *priorities, *widths)",
          "requester k's share of `available` (Vensim ALLOCATE AVAILABLE, read element by "
          "element)", lambda a: f"allocate_available_element({', '.join(a)})",
          runtime={"allocate_available_element": vf.allocate_available_element}),
    # allocations along a dimension (gysim.allocation), every other axis at once
    _pure("allocate_available", 6, 6,
          "allocate_available(request, ptype, priority, width, available, dimension)",
          "`available` shared among the requests along `dimension` by priority profiles "
          "(ptype 1 rectangular, 2 triangular, 3 normal, 4 exponential; Vensim ALLOCATE "
          "AVAILABLE)",
          lambda a: f"_allocate_available({', '.join(a[:-2])}, axis={a[-2]}, where={a[-1]})",
          bu.shared_with(4), along=True,
          runtime={"_allocate_available": allocation.allocate_available_along}),
    _pure("allocate_by_priority", 5, 5,
          "allocate_by_priority(request, priority, width, supply, dimension)",
          "`supply` shared among the requests along `dimension` by rectangular priority "
          "curves of one width (Vensim ALLOCATE BY PRIORITY)",
          lambda a: f"_allocate_by_priority({', '.join(a[:-2])}, axis={a[-2]}, where={a[-1]})",
          bu.shared_with(3), along=True,
          runtime={"_allocate_by_priority": allocation.allocate_by_priority_along}),
    # sorting and mapping functions of vectors read element by element (gysim.vector_sort)
    *(_pure(name, lo, 1 << 20, sig, doc, lambda a, n=name: f"{n}({', '.join(a)})",
            runtime={name: getattr(vs, name)}) for name, lo, sig, doc in (
        ("vector_rank_element", 3, "vector_rank_element(k, direction, *entries)",
         "rank from 1 of element k (Vensim VECTOR RANK, read element by element)"),
        ("vector_sort_order_element", 3, "vector_sort_order_element(k, direction, *entries)",
         "offset of the k-th element in sorted order (Vensim VECTOR SORT ORDER)"),
        ("vector_pick_element", 2, "vector_pick_element(position, *entries)",
         "the element at a zero-based position, NaN outside (VECTOR REORDER, ELM MAP)"),
        ("vector_lookup_element", 5, "vector_lookup_element(x, xmin, xmax, mode, *entries)",
         "the entries as a lookup from xmin to xmax (Vensim VECTOR LOOKUP)"))),
    _pure("long_vector", 1, 1, "long_vector(x)", "x itself: marks a sort or map over a long "
          "vector, which the numba backend refuses (gysim.io.native_vectors)",
          lambda a: f"long_vector({a[0]})", bu.first_argument,
          runtime={"long_vector": vs.long_vector},
          to_vensim=lambda a, atom: a[0], to_xmile=lambda a, atom: a[0]),
    Builtin("_random", 7, 64, "time", "_random(kind, key, start, dt, ndim, *shape, *args)",
            "a lowered random draw (gysim.random_draws.draw)",
            lambda a: f"_random(t, dt, {', '.join(a)})", runtime={"_random": rd.draw}),
]

#: Every builtin by name.
BUILTINS: dict[str, Builtin] = {b.name: b for b in _TABLE}

#: Aggregating builtins and the numpy reduction each becomes.
AGGREGATIONS = {b.name: b.reduction for b in _TABLE if b.reduction}

#: Names an element may not take.
RESERVED_NAMES = frozenset(BUILTINS) | {"time", "dt", "t", "np", "pi", "inf", "nan"}

#: Helpers the generated code may call, by the name it uses.
RUNTIME: dict[str, Any] = {"np": np}
for _b in _TABLE:
    RUNTIME.update(_b.runtime)


def aggregated_dim(call: Call, dimensions: Mapping[str, Any]) -> str | None:
    """The dimension a call aggregates over, or None when it is not an aggregation.

    ``sum``, ``mean`` and ``prod`` always aggregate over their second argument;
    ``min`` and ``max`` do when called with two arguments, the second a
    dimension name.

    Examples
    --------
    >>> from gysim.expr import parse
    >>> aggregated_dim(parse("max(capital, sector)"), {"sector": ("a", "b")})
    'sector'
    >>> aggregated_dim(parse("max(capital, floor)"), {"sector": ("a", "b")}) is None
    True
    """
    spec = BUILTINS.get(call.func)
    if spec is None or spec.reduction is None or len(call.args) != 2:
        return None
    second = call.args[1]
    if isinstance(second, Name) and (second.id in dimensions or spec.numpy is None):
        return second.id
    return None


def along_dim(call: Call, dimensions: Mapping[str, Any]) -> str | None:
    """The dimension a function along a dimension (an allocation) runs along, or None.

    Examples
    --------
    >>> from gysim.expr import parse
    >>> along_dim(parse("allocate_by_priority(r, p, 1, s, branch)"), {"branch": ("a", "b")})
    'branch'
    >>> along_dim(parse("sum(r, branch)"), {"branch": ("a", "b")}) is None
    True
    """
    spec = BUILTINS.get(call.func)
    if spec is None or not spec.along or not call.args:
        return None
    last = call.args[-1]
    return last.id if isinstance(last, Name) and last.id in dimensions else None


def folded(tree: Node) -> float | None:
    """The value of a tree of numbers, arithmetic and pure builtins, or None.

    An expression of constants is a constant: a delay's order may be written
    ``integer(2.9) + 1``. Names (parameters may differ between runs), time and
    stateful calls make the tree non-constant; so does a non-finite result.

    Examples
    --------
    >>> from gysim.expr import parse
    >>> folded(parse("integer(2.9) + max(0, 1)")), folded(parse("k + 1")) is None
    (3.0, True)
    """
    def fold(node: Node) -> Node:
        node = map_children(node, fold)
        if not isinstance(node, Call):
            return node
        spec = BUILTINS.get(node.func)
        values = [a.value if isinstance(a, Const) else None for a in node.args]
        if spec is None or spec.kind != "pure" or spec.numpy is None or None in values:
            return node
        code = spec.numpy([f"np.float64({float(v)!r})" for v in values])
        try:
            with np.errstate(all="ignore"):
                value = float(eval(code, {"__builtins__": {}}, dict(RUNTIME)))  # noqa: S307
        except (ArithmeticError, TypeError, ValueError):
            return node
        return Const(value) if np.isfinite(value) else node
    return constant_value(fold(tree))
