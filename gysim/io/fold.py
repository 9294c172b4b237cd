"""Constant folding of converted equations: control variables, orders, actions.

A file's INITIAL TIME, FINAL TIME, TIME STEP and SAVEPER, the order of a
DELAY N / SMOOTH N and the action of VECTOR SELECT must be numbers before the
run. :class:`ConstantFolder` computes them from the gysim equation trees the
converter makes: numbers, references to elements defined by such trees
(followed through the file), arithmetic, comparisons, ``and``/``or``/``not``,
IF THEN ELSE, and the pure functions in :data:`PURE` (MIN, MAX, ABS, INTEGER,
EXP, LN, SQRT, MODULO, ZIDZ, XIDZ, ...). A tree holding anything else (a
stock, a lookup, a delay) is not constant.

``Time`` counts as the initial time for orders and actions (they are fixed
at the start, as in Vensim), but a control variable that uses ``Time`` or a
stock changes during the run and is refused (:meth:`ConstantFolder.fold_control`),
except FINAL TIME: it then stays an auxiliary that ends each run
(:mod:`gysim.engine.final_time`), and its value at the initial time is the
horizon of the run's times (:meth:`ConstantFolder.final_time_horizon`).

Examples
--------
>>> from gysim.expr import parse
>>> class Folder(ConstantFolder):
...     control, by_key, comp_of = {}, {}, {}
>>> Folder().evaluate(parse("max(2, 3) * if_then_else(1 > 0, 4, 5) + integer(-2.5)"), {})
10.0
>>> Folder().fold_control(parse("time + 1"), "FINAL TIME")
Traceback (most recent call last):
...
TypeError: FINAL TIME uses Time: it changes during the run
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Callable

import numpy as np

from ..builtins import folded
from ..errors import ModelDefinitionError
from ..expr import ARITHMETIC, BinOp, BoolOp, Call, Compare, Const, IfExp, Name, Node, UnaryOp

__all__ = ["ConstantFolder", "PURE"]

#: Below this magnitude a divisor counts as zero (ZIDZ, XIDZ; as gysim's builtins).
_SMALL = 1e-6


def _zidz(a: float, b: float) -> float:
    return 0.0 if abs(b) < _SMALL else a / b


def _xidz(a: float, b: float, x: float) -> float:
    return x if abs(b) < _SMALL else a / b


def _modulo(a: float, b: float) -> float:
    return a if b < _SMALL else a - b * math.trunc(a / b)


def _log(x: float, base: float | None = None) -> float:
    return math.log(x) if base is None else math.log(x) / math.log(base)


#: Pure functions folded, by gysim name: (smallest, largest number of arguments, function).
PURE: dict[str, tuple[int, int, Callable[..., float]]] = {
    "abs": (1, 1, abs), "exp": (1, 1, math.exp), "ln": (1, 1, math.log),
    "log": (1, 2, _log), "sqrt": (1, 1, math.sqrt), "integer": (1, 1, math.trunc),
    "sin": (1, 1, math.sin), "cos": (1, 1, math.cos), "tan": (1, 1, math.tan),
    "min": (1, 99, min), "max": (1, 99, max), "modulo": (2, 2, _modulo),
    "zidz": (2, 2, _zidz), "xidz": (3, 3, _xidz),
}

_COMPARE = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


class ConstantFolder:
    """Mixin of the converter: the value of a tree of constants.

    The class using it provides ``control`` (control-variable key -> tree),
    ``by_key`` (reference key -> identifier), ``comp_of`` (identifier -> its
    definition), and for references to the file's elements ``array_value``,
    ``in_context``, ``conv`` and ``names``.
    """

    #: While folding a control variable: Time and stocks are refused.
    _folding_control: str = ""
    #: Identifiers of the control variables that change during the run (FINAL TIME only).
    dynamic_controls: frozenset = frozenset()

    def final_time_horizon(self, tree: Node, why: str) -> float:
        """The horizon of a FINAL TIME that is not a constant: its value at the initial time.

        ``Time`` is the initial time there and stocks are their initial
        values. The element becomes an auxiliary evaluated during the run
        (:mod:`gysim.engine.final_time`); ``why`` says why it is not a
        constant. Raises ModelDefinitionError if the value is not computable
        before the run or not after the initial time.
        """
        shown = f"{self.path.name}: the control variable FINAL TIME"
        try:
            value = float(self.evaluate(tree, {}))
            start = float(self.evaluate(self.control["initial_time"], {}))
        except (KeyError, TypeError, ValueError, ZeroDivisionError, OverflowError):
            raise ModelDefinitionError(
                f"{shown} changes during the run ({why}), and its value at the initial time, "
                f"the horizon of the run's times, must be computable before the run from "
                f"numbers, constants, Time, the stocks' initial values and pure functions; "
                f"it is not") from None
        if not value > start:
            raise ModelDefinitionError(
                f"{shown} changes during the run ({why}) and is {value:g} at the initial time "
                f"{start:g}: the run would end before it starts; it must be later at the start")
        self.dynamic_controls = frozenset({self.by_key.get("final_time", "final_time")})
        return value

    def fold_control(self, tree: Node, name: str) -> float:
        """The value of control variable ``name`` (TypeError if it changes during the run)."""
        saved = self._folding_control
        self._folding_control = name
        try:
            return float(self.evaluate(tree, {}))
        finally:
            self._folding_control = saved

    def delay_n_order(self, order: float, delay_time: Node, owner: str) -> float:
        """Vensim's order of a DELAY N: at most ``delay_time / TIME STEP`` stages.

        Vensim's reference: "for the DELAY N function to make sense delay time
        must be bigger than order * TIME STEP. If this is not the case Vensim
        will issue a warning and automatically reduce the order so that this is
        true." The order becomes the largest integer ``n <= order`` with
        ``n * TIME STEP <= delay time`` (at least 1), for the delay time at the
        initial time and the file's TIME STEP. A delay time not known before
        the run (a subscripted or run-dependent one) keeps the order given.
        """
        try:
            delay = float(self.evaluate(delay_time, {}))
            dt = float(self.evaluate(self.control["time_step"], {}))
        except (KeyError, TypeError, ValueError, ZeroDivisionError, OverflowError):
            return order
        if not (dt > 0 and math.isfinite(delay)) or order < 1 or order * dt <= delay * (1 + 1e-9):
            return order
        reduced = float(max(1, min(int(order), math.floor(delay / dt * (1 + 1e-9)))))
        warnings.warn(f"{owner}: DELAY N of order {order:g} with delay time {delay:g} < order * "
                      f"TIME STEP ({order * dt:g}): order reduced to {reduced:g}, as Vensim does",
                      stacklevel=2)
        return reduced

    def evaluate(self, tree: Node, seen: dict) -> float:
        """Value of a tree of constants at the initial time (control variables, orders).

        Raises TypeError (or KeyError, ZeroDivisionError, ValueError) for a
        tree that is not constant.
        """
        handler = self._FOLD.get(type(tree))
        if handler is None:
            raise TypeError(tree)
        return handler(self, tree, seen)

    def _fold_name(self, tree: Name, seen: dict) -> float:
        if tree.id == "time":
            if self._folding_control:
                raise TypeError(f"{self._folding_control} uses Time: it changes during the run")
            return self.evaluate(self.control["initial_time"], seen)
        for key, spec in self.control.items():
            if self.by_key.get(key) == tree.id:
                return self.evaluate(spec, seen)
        if tree.id in seen or tree.id not in self.comp_of:
            raise TypeError(tree)
        element, comp, *_ = self.comp_of[tree.id]
        ast = comp.ast
        if type(ast).__name__ == "IntegStructure":
            if self._folding_control:
                raise TypeError(f"{self._folding_control} uses the stock '{element.name}': "
                                f"it changes during the run")
            ast = ast.initial
        if isinstance(ast, np.ndarray):
            value = self.array_value(tree.id, ast)
            if not isinstance(value, Const):
                raise TypeError(tree)
            return value.value
        return self.evaluate(self.in_context(tree.id, self.conv, ast, self.names[tree.id]),
                             {**seen, tree.id: True})

    def _fold_unary(self, tree: UnaryOp, seen: dict) -> float:
        value = self.evaluate(tree.operand, seen)
        if tree.op == "-":
            return -value
        if tree.op == "+":
            return value
        if tree.op == "not":
            return float(not value)
        raise TypeError(tree)

    def _fold_binop(self, tree: BinOp, seen: dict) -> float:
        a, b = self.evaluate(tree.left, seen), self.evaluate(tree.right, seen)
        return ARITHMETIC[tree.op](a, b)

    def _fold_compare(self, tree: Compare, seen: dict) -> float:
        a, b = self.evaluate(tree.left, seen), self.evaluate(tree.right, seen)
        return float(_COMPARE[tree.op](a, b))

    def _fold_bool(self, tree: BoolOp, seen: dict) -> float:
        values = [bool(self.evaluate(v, seen)) for v in tree.values]
        return float(all(values) if tree.op == "and" else any(values))

    def _fold_if(self, tree: IfExp, seen: dict) -> float:
        test = self.evaluate(tree.test, seen)
        return self.evaluate(tree.body if test else tree.orelse, seen)

    def _fold_call(self, tree: Call, seen: dict) -> float:
        if tree.func == "if_then_else" and len(tree.args) == 3:
            test = self.evaluate(tree.args[0], seen)
            return self.evaluate(tree.args[1] if test else tree.args[2], seen)
        if tree.func == "step" and not self._folding_control:
            t0 = self.evaluate(self.control["initial_time"], seen)
            height, start = (self.evaluate(a, seen) for a in tree.args)
            return height if t0 >= start else 0.0
        low, high, func = PURE.get(tree.func, (1, 0, None))
        if low <= len(tree.args) <= high:
            return float(func(*(self.evaluate(a, seen) for a in tree.args)))
        # any other pure builtin of constants is a constant (the builtin table computes it)
        value = folded(Call(tree.func, tuple(Const(self.evaluate(a, seen)) for a in tree.args)))
        if value is None:
            raise TypeError(tree)
        return value

    #: Constant folding, by gysim node class.
    _FOLD: dict[type, Callable[[Any, Any, dict], float]] = {
        Const: lambda self, tree, seen: tree.value, Name: _fold_name,
        UnaryOp: _fold_unary, BinOp: _fold_binop, Compare: _fold_compare,
        BoolOp: _fold_bool, IfExp: _fold_if, Call: _fold_call}
