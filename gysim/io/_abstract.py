"""Build a :class:`gysim.Model` from PySD's abstract model of a Vensim or XMILE file.

PySD's translators parse a model file into an ``AbstractModel``: sections of
elements whose equations are trees of ``*Structure`` objects
(``pysd.translators.structures.abstract_expressions``). This module walks those
trees and produces gysim equation trees (:mod:`gysim.expr`), so nothing the
file says is ever executed. Only the subscript-free core of the languages is
covered; anything else raises :class:`~gysim.errors.ModelDefinitionError`
naming the construct and the element.
"""

from __future__ import annotations

import keyword
import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..builtins import RESERVED_NAMES
from ..errors import ModelDefinitionError
from ..expr import BinOp, BoolOp, Call, Compare, Const, IfExp, Name, Node, UnaryOp, to_text, walk
from ..model import Model

#: The number Vensim gives its missing value ``:NA:`` (-2**109, Vensim's documentation).
#: Vensim computes with it like any number (so ``x = :NA:`` tests work) and shows
#: it as a blank in tables and exported output.
VENSIM_NA = -2.0 ** 109

#: Vensim/XMILE control variables, by the key PySD gives their references.
CONTROL = {"initial_time": "start", "final_time": "stop", "time_step": "dt", "saveper": "saveper"}

#: Functions of the file that map one-to-one onto gysim builtins.
_SIMPLE_CALLS = {
    "abs": "abs", "exp": "exp", "ln": "ln", "log": "log", "sqrt": "sqrt", "sin": "sin",
    "cos": "cos", "tan": "tan", "arcsin": "arcsin", "arccos": "arccos", "arctan": "arctan",
    "integer": "integer", "modulo": "modulo", "min": "min", "max": "max", "xidz": "xidz",
    "zidz": "zidz", "if_then_else": "if_then_else", "step": "step", "ramp": "ramp",
    "pulse": "pulse", "Xramp": "ramp",
}
#: Stateful builtins whose third argument is only used at initialisation.
_INITIAL_ARG = {"smooth", "smooth3", "smooth_n", "delay1", "delay3", "delay_n", "delay_fixed"}
_COMPARE = {"=": "==", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_ARITH = {"+": "+", "-": "-", "*": "*", "/": "/", "^": "**"}


def reference_key(name: str) -> str:
    """The key PySD's translators give references to an element (case and spacing folded).

    Examples
    --------
    >>> reference_key("Birth  Rate")
    'birth_rate'
    """
    return re.sub(r"[\s_]+", "_", name.strip().lower())


def safe_identifier(name: str, taken: set[str]) -> str:
    """A gysim element name for an original (Vensim/XMILE) name, unique within ``taken``.

    Lower case; every run of characters that are not letters, digits or
    underscores becomes one ``_``; a leading digit gets a ``v_`` prefix;
    Python keywords and gysim's reserved names get a trailing ``_``; clashes
    get ``_2``, ``_3``, ...

    Examples
    --------
    >>> safe_identifier('"Flow*with a few^arithmetic"', set())
    'flow_with_a_few_arithmetic'
    >>> safe_identifier("import", set())
    'import_'
    >>> safe_identifier("Stock A", {"stock_a"})
    'stock_a_2'
    """
    ident = re.sub(r"\W+", "_", name.lower(), flags=re.ASCII).strip("_")
    ident = re.sub(r"_+", "_", ident)
    if not ident:
        ident = "v"
    if ident[0].isdigit():
        ident = "v_" + ident
    if keyword.iskeyword(ident) or ident in RESERVED_NAMES:
        ident += "_"
    base, i = ident, 2
    while ident in taken:
        ident = f"{base}_{i}"
        i += 1
    taken.add(ident)
    return ident


def _type(obj: Any) -> str:
    return type(obj).__name__


class _Builder:
    """Walks one abstract model and collects gysim elements."""

    def __init__(self, abstract_model: Any, path: Path, language: str) -> None:
        self.path = path
        self.language = language
        sections = abstract_model.sections
        main = [s for s in sections if s.type == "main"]
        others = [s for s in sections if s.type != "main"]
        if others:
            raise ModelDefinitionError(
                f"{path.name}: macros are not supported (found {others[0].type} "
                f"'{others[0].name}'); expand them into the main model")
        self.section = main[0]
        if self.section.subscripts:
            raise ModelDefinitionError(
                f"{path.name}: subscripts are not supported (found subscript range "
                f"'{self.section.subscripts[0].name}')")
        self.taken: set[str] = set()
        self.names: dict[str, str] = {}        # identifier -> original name
        self.by_key: dict[str, str] = {}       # reference key -> identifier
        self.kinds: dict[str, str] = {}        # identifier -> 'lookup', 'aux', ...
        for element in self.section.elements:
            ident = safe_identifier(element.name, self.taken)
            self.names[ident] = element.name
            self.by_key[reference_key(element.name)] = ident
            comps = element.components
            if len(comps) == 1 and _type(comps[0]) == "AbstractLookup":
                self.kinds[ident] = "lookup"
        # specs: (kind, ident, payload, element)
        self.specs: list[tuple[str, str, Any, Any]] = []
        self.active_initial: dict[str, Node] = {}
        self.lookups_extra: list[tuple[str, tuple, tuple, str]] = []
        self.control: dict[str, Node] = {}

    # -------------------------------------------------------------- expressions
    def fail(self, construct: str, element: str) -> ModelDefinitionError:
        return ModelDefinitionError(
            f"{self.path.name}: {construct} in element '{element}' is not supported by "
            f"gysim's {self.language} reader")

    def conv(self, ast: Any, owner: str) -> Node:
        """Convert one PySD abstract syntax tree into a gysim equation tree."""
        kind = _type(ast)
        if isinstance(ast, (bool, np.bool_)):
            return Const(float(ast))
        if isinstance(ast, (int, float, np.integer, np.floating)):
            value = float(ast)
            if math.isnan(value):  # Vensim's :NA: (PySD's parser gives NaN)
                return Const(VENSIM_NA)
            if not math.isfinite(value):
                raise self.fail(f"the non-finite number {value}", owner)
            return Const(value)
        if kind == "ReferenceStructure":
            return self.reference(ast, owner)
        if kind == "ArithmeticStructure":
            ops, args = list(ast.operators), [self.conv(a, owner) for a in ast.arguments]
            if ops == ["negative"] and len(args) == 1:
                return UnaryOp("-", args[0])
            if len(ops) != len(args) - 1:
                raise self.fail(f"arithmetic with operators {ops}", owner)
            if ops and all(op == "^" for op in ops):   # a^b^c as PySD writes it: a**(b**c)
                tree = args[-1]
                for left in reversed(args[:-1]):
                    tree = BinOp("**", left, tree)
                return tree
            tree = args[0]
            for op, right in zip(ops, args[1:]):
                if op not in _ARITH:
                    raise self.fail(f"the operator '{op}'", owner)
                tree = BinOp(_ARITH[op], tree, right)
            return tree
        if kind == "LogicStructure":
            ops, args = [o.lower() for o in ast.operators], [self.conv(a, owner)
                                                             for a in ast.arguments]
            if ops in ([":not:"], ["not"]) and len(args) == 1:
                return UnaryOp("not", args[0])
            tree = args[0]
            for op, right in zip(ops, args[1:]):
                if op in (":and:", "and"):
                    tree = BoolOp("and", (tree, right))
                elif op in (":or:", "or"):
                    tree = BoolOp("or", (tree, right))
                elif op in _COMPARE:
                    tree = Compare(_COMPARE[op], tree, right)
                else:
                    raise self.fail(f"the logical operator '{op}'", owner)
            return tree
        if kind == "CallStructure":
            return self.call(ast, owner)
        if kind == "InitialStructure":
            return Call("initial", (self.conv(ast.initial, owner),))
        if kind == "SmoothStructure":
            func = {1: "smooth", 3: "smooth3"}.get(int(ast.order))
            if func is None:
                raise self.fail(f"SMOOTH of order {ast.order}", owner)
            return Call(func, (self.conv(ast.input, owner), self.conv(ast.smooth_time, owner),
                               self.conv(ast.initial, owner)))
        if kind == "SmoothNStructure":
            return Call("smooth_n", (self.conv(ast.input, owner),
                                     self.conv(ast.smooth_time, owner),
                                     self.conv(ast.initial, owner),
                                     Const(self.order(ast.order, owner))))
        if kind == "DelayStructure":
            func = {1: "delay1", 3: "delay3"}.get(int(ast.order))
            if func is None:
                raise self.fail(f"DELAY of order {ast.order}", owner)
            return Call(func, (self.conv(ast.input, owner), self.conv(ast.delay_time, owner),
                               self.conv(ast.initial, owner)))
        if kind == "DelayNStructure":
            return Call("delay_n", (self.conv(ast.input, owner), self.conv(ast.delay_time, owner),
                                    self.conv(ast.initial, owner),
                                    Const(self.order(ast.order, owner))))
        if kind == "DelayFixedStructure":
            x = self.conv(ast.input, owner)
            if isinstance(x, Name):
                # Work around the engine storing a view of the state in the delay's
                # buffer (see the reader's report): give the input its own array.
                x = BinOp("+", x, Const(0.0))
            return Call("delay_fixed", (x,
                                        self.conv(ast.delay_time, owner),
                                        self.conv(ast.initial, owner)))
        if kind == "InlineLookupsStructure":
            x, y = self.table(ast.lookups, owner)
            name = safe_identifier(f"{owner}_lookup", self.taken)
            self.lookups_extra.append((name, x, y, owner))
            return Call(name, (self.conv(ast.argument, owner),))
        if kind == "GameStructure":
            return self.conv(ast.expression, owner)
        names = {"IntegStructure": "INTEG inside an expression",
                 "SampleIfTrueStructure": "SAMPLE IF TRUE",
                 "TrendStructure": "TREND", "ForecastStructure": "FORECAST",
                 "DataStructure": "a data variable", "GetDataStructure": "GET DATA",
                 "GetLookupsStructure": "GET LOOKUPS", "GetConstantsStructure": "GET CONSTANTS",
                 "AllocateAvailableStructure": "ALLOCATE AVAILABLE",
                 "AllocateByPriorityStructure": "ALLOCATE BY PRIORITY",
                 "SubscriptsReferenceStructure": "subscripts"}
        raise self.fail(names.get(kind, f"the construct {kind}"
                                  + (f" {ast!r}" if isinstance(ast, str) else "")), owner)

    def reference(self, ast: Any, owner: str) -> Node:
        if ast.subscripts is not None:
            raise self.fail("a subscripted reference", owner)
        key = reference_key(ast.reference)
        if key == "time":
            return Name("time")
        if key in self.by_key:
            ident = self.by_key[key]
            if self.kinds.get(ident) == "lookup":
                raise self.fail(f"the lookup '{ast.reference}' used as a value", owner)
            return Name(ident)
        if key == "pi":
            return Const(math.pi)
        raise ModelDefinitionError(
            f"{self.path.name}: element '{owner}' refers to '{ast.reference}', which the file "
            f"does not define")

    def call(self, ast: Any, owner: str) -> Node:
        func = ast.function
        if _type(func) != "ReferenceStructure":
            raise self.fail(f"a call of {_type(func)}", owner)
        fname = func.reference
        args = [self.conv(a, owner) for a in ast.arguments]
        ident = self.by_key.get(reference_key(fname))
        if ident is not None and self.kinds.get(ident) == "lookup":
            if len(args) != 1:
                raise self.fail(f"lookup '{fname}' called with {len(args)} arguments", owner)
            return Call(ident, tuple(args))
        if fname == "pulse_train":  # PySD orders it (start, interval, width, end)
            start, interval, width, end = args
            return Call("pulse_train", (start, width, interval, end))
        if fname == "pi" and not args:
            return Const(math.pi)
        if fname == "active_initial":
            raise self.fail("ACTIVE INITIAL inside an expression (it must be the whole "
                            "equation)", owner)
        if fname in _SIMPLE_CALLS:
            return Call(_SIMPLE_CALLS[fname], tuple(args))
        raise self.fail(f"the function {fname.upper()}", owner)

    def order(self, ast: Any, owner: str) -> float:
        """The order of a DELAY N / SMOOTH N, evaluated at the initial time."""
        try:
            value = self.evaluate(self.conv(ast, owner), {})
        except (KeyError, TypeError, ZeroDivisionError, ModelDefinitionError):
            raise self.fail("a DELAY N / SMOOTH N order that is not a constant", owner) from None
        return float(value)

    def table(self, lookups: Any, owner: str) -> tuple[tuple, tuple]:
        if _type(lookups) != "LookupsStructure":
            raise self.fail(_type(lookups), owner)
        if lookups.type != "interpolate":
            raise self.fail(f"a lookup of type '{lookups.type}'", owner)
        return tuple(float(v) for v in lookups.x), tuple(float(v) for v in lookups.y)

    # -------------------------------------------------------------- constant folding
    def evaluate(self, tree: Node, seen: dict) -> float:
        """Value of a tree of constants at the initial time (control variables, orders)."""
        if isinstance(tree, Const):
            return tree.value
        if isinstance(tree, Name):
            if tree.id == "time":
                return self.evaluate(self.control["initial_time"], seen)
            for key, spec in self.control.items():
                if self.by_key.get(key) == tree.id:
                    return self.evaluate(spec, seen)
            if tree.id in seen:
                raise TypeError(tree)
            element = self.element_by_ident[tree.id]
            ast = element.components[0].ast
            if _type(ast) == "IntegStructure":
                ast = ast.initial
            return self.evaluate(self.conv(ast, element.name), {**seen, tree.id: True})
        if isinstance(tree, UnaryOp) and tree.op == "-":
            return -self.evaluate(tree.operand, seen)
        if isinstance(tree, BinOp):
            a, b = self.evaluate(tree.left, seen), self.evaluate(tree.right, seen)
            ops = {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,
                   "/": lambda: a / b, "**": lambda: a ** b}
            return ops[tree.op]()
        if isinstance(tree, Call) and tree.func == "step":
            t0 = self.evaluate(self.control["initial_time"], seen)
            height, start = (self.evaluate(a, seen) for a in tree.args)
            return height if t0 >= start else 0.0
        raise TypeError(tree)

    # -------------------------------------------------------------- elements
    def collect(self) -> None:
        self.equations: dict[str, Node] = {}
        self.element_by_ident = {self.by_key[reference_key(e.name)]: e
                                 for e in self.section.elements}
        for element in self.section.elements:  # control variables first: others may use them
            key = reference_key(element.name)
            if key in CONTROL and len(element.components) == 1:
                self.control[key] = self.conv(element.components[0].ast, element.name)
        for element in self.section.elements:
            ident = self.by_key[reference_key(element.name)]
            original = element.name
            comps = element.components
            if len(comps) != 1:
                raise self.fail(f"{len(comps)} equations (subscripted definitions)", original)
            comp = comps[0]
            if comp.subscripts and (comp.subscripts[0] or comp.subscripts[1]):
                raise self.fail("subscripts", original)
            ctype = _type(comp)
            if ctype == "AbstractData":
                raise self.fail("a data variable", original)
            ast = comp.ast
            key = reference_key(original)
            if _type(element) == "AbstractControlElement" or key in CONTROL:
                if key not in CONTROL:
                    raise self.fail("the control variable", original)
                tree = self.conv(ast, original)
                self.control[key] = tree
                self.specs.append(("control", ident, tree, element))
                continue
            if ctype == "AbstractLookup":
                x, y = self.table(ast, original)
                self.specs.append(("lookup", ident, (x, y), element))
                continue
            if _type(ast) == "IntegStructure":
                flow = self.conv(ast.flow, original)
                initial = self.conv(ast.initial, original)
                self.specs.append(("stock", ident, (initial, flow, bool(ast.non_negative)),
                                   element))
                continue
            if (_type(ast) == "CallStructure" and _type(ast.function) == "ReferenceStructure"
                    and ast.function.reference == "active_initial"):
                if len(ast.arguments) != 2:
                    raise self.fail("ACTIVE INITIAL without two arguments", original)
                tree = self.conv(ast.arguments[0], original)
                self.active_initial[ident] = self.conv(ast.arguments[1], original)
            else:
                tree = self.conv(ast, original)
            self.equations[ident] = tree
            self.specs.append(("aux", ident, tree, element))

    def initial_version(self, tree: Node, stack: tuple = ()) -> Node:
        """``tree`` as evaluated at initialisation: ACTIVE INITIAL elements use their initial."""
        if not self.active_initial:
            return tree
        if isinstance(tree, Name):
            n = tree.id
            if n in stack:
                return tree
            if n in self.active_initial:
                return self.initial_version(self.active_initial[n], stack + (n,))
            if n in self.equations and self._uses_active(n, set()):
                return self.initial_version(self.equations[n], stack + (n,))
            return tree
        if isinstance(tree, Const):
            return tree
        if isinstance(tree, BinOp):
            return BinOp(tree.op, self.initial_version(tree.left, stack),
                         self.initial_version(tree.right, stack))
        if isinstance(tree, UnaryOp):
            return UnaryOp(tree.op, self.initial_version(tree.operand, stack))
        if isinstance(tree, Compare):
            return Compare(tree.op, self.initial_version(tree.left, stack),
                           self.initial_version(tree.right, stack))
        if isinstance(tree, BoolOp):
            return BoolOp(tree.op, tuple(self.initial_version(v, stack) for v in tree.values))
        if isinstance(tree, IfExp):
            return IfExp(*(self.initial_version(v, stack)
                           for v in (tree.test, tree.body, tree.orelse)))
        if isinstance(tree, Call):
            return Call(tree.func, tuple(self.initial_version(a, stack) for a in tree.args))
        return tree

    def _uses_active(self, name: str, seen: set) -> bool:
        if name in self.active_initial:
            return True
        if name in seen or name not in self.equations:
            return False
        seen.add(name)
        return any(isinstance(n, Name) and self._uses_active(n.id, seen)
                   for n in walk(self.equations[name]))

    def build(self) -> Model:
        self.collect()
        for key in ("initial_time", "final_time", "time_step"):
            if key not in self.control:
                raise ModelDefinitionError(
                    f"{self.path.name}: the control variable {key.upper().replace('_', ' ')} "
                    f"is missing")
        values = {}
        for key in CONTROL:
            if key in self.control:
                try:
                    values[key] = float(self.evaluate(self.control[key], {}))
                except (KeyError, TypeError, ZeroDivisionError):
                    raise self.fail("a control variable that is not constant",
                                    key.upper().replace("_", " ")) from None
        dt = values["time_step"]
        time_units = ""
        for _, ident, _, element in self.specs:
            if reference_key(element.name) == "time_step":
                time_units = element.units or ""
        model = Model(self.path.stem, start=values["initial_time"], stop=values["final_time"],
                      dt=dt, method="euler", time_units=time_units or "time",
                      doc=f"read from {self.path.name} by gysim's {self.language} reader")
        model.saveper = values.get("saveper", dt)
        for kind, ident, payload, element in self.specs:
            doc = element.name
            if getattr(element, "documentation", ""):
                doc += " — " + " ".join(str(element.documentation).split())
            units = element.units or ""
            src = f"{self.path.name}"
            if kind == "control":
                model.param(ident, values[reference_key(element.name)], units=units, doc=doc,
                            source=src)
            elif kind == "lookup":
                model.lookup(ident, payload[0], payload[1], units=units, doc=doc, source=src)
            elif kind == "stock":
                initial, flow, non_negative = payload
                initial = self.initial_version(initial)
                model.stock(ident, to_text(initial), units=units, doc=doc, source=src)
                if non_negative:
                    flow = Call("nonnegative_rate", (flow, Name(ident)))
                fname = safe_identifier(f"{ident}_net_flow", self.taken)
                self.names[fname] = f"net flow of {element.name}"
                model.flow(fname, to_text(flow), into=ident, doc=f"net flow of {element.name}",
                           source=src)
            else:
                tree = payload
                if isinstance(tree, Const) and ident not in self.active_initial:
                    model.param(ident, tree.value, units=units, doc=doc, source=src)
                else:
                    tree = self._initial_calls(tree)
                    model.aux(ident, to_text(tree), units=units, doc=doc, source=src)
        for name, x, y, owner in self.lookups_extra:
            self.names[name] = f"lookup of {owner}"
            model.lookup(name, x, y, doc=f"inline lookup of {owner}", source=self.path.name)
        model.vensim_names = dict(self.names)
        model.check_units_on_run = False  # free-text units of other tools: check on request
        return model

    def _initial_calls(self, tree: Node) -> Node:
        """INITIAL(x) of an ACTIVE INITIAL element takes its initial value."""
        if not self.active_initial:
            return tree
        if isinstance(tree, Call):
            args = tuple(self._initial_calls(a) for a in tree.args)
            if tree.func == "initial":
                args = (self.initial_version(args[0]),)
            elif tree.func in _INITIAL_ARG and len(args) > 2:
                args = args[:2] + (self.initial_version(args[2]),) + args[3:]
            return Call(tree.func, args)
        if isinstance(tree, BinOp):
            return BinOp(tree.op, self._initial_calls(tree.left), self._initial_calls(tree.right))
        if isinstance(tree, UnaryOp):
            return UnaryOp(tree.op, self._initial_calls(tree.operand))
        if isinstance(tree, Compare):
            return Compare(tree.op, self._initial_calls(tree.left),
                           self._initial_calls(tree.right))
        if isinstance(tree, BoolOp):
            return BoolOp(tree.op, tuple(self._initial_calls(v) for v in tree.values))
        return tree


def build_model(abstract_model: Any, path: Path, language: str) -> Model:
    """Build a gysim model from PySD's abstract model of the file at ``path``."""
    return _Builder(abstract_model, Path(path), language).build()
