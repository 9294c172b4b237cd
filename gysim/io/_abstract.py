"""Build a :class:`gysim.Model` from PySD's abstract model of a Vensim or XMILE file.

PySD's translators parse a model file into an ``AbstractModel``: sections of
elements whose equations are trees of ``*Structure`` objects
(``pysd.translators.structures.abstract_expressions``). This module walks those
trees and produces gysim equation trees (:mod:`gysim.expr`), so nothing the
file says is ever executed. Anything outside the supported constructs raises
:class:`~gysim.errors.ModelDefinitionError` naming the construct and the element.

Subscripts (Vensim) and arrays (XMILE) become native gysim dimensions when
every subscripted element of the file is defined over whole ranges: one
definition per element over full range names, no subranges, mappings ``->``,
:EXCEPT:, element-by-element definitions, subscripted lookups or VECTOR SELECT.
Then each range is a ``m.dimension`` (labels made identifiers:
``Model.vensim_dims``, ``Model.vensim_labels``), elements take ``dims=``,
references broadcast by dimension name (a single label is a selection
``x[label]``), ``SUM``/``PROD``/``VMIN``/``VMAX`` over ``dim!`` become
``sum``/``prod``/``min``/``max(x, dim)`` and results carry the dimensions.

Otherwise (``Model.vensim_fallback`` says why) subscripts are expanded element
by element: each element of a subscripted variable becomes one scalar gysim
element (``Stock A[Entry 1]`` becomes ``stock_a_entry_1``), with every reference resolved to
the element it means under Vensim's rules (ranges, subranges, mappings ``->``,
positional correspondence of equal-size ranges, :EXCEPT:, element-by-element
definitions); ``SUM``/``PROD``/``VMIN``/``VMAX`` over ``dim!`` become sums,
products, minima and maxima of the elements, ``ELMCOUNT`` a constant and a
subscripted lookup one lookup per element. The run is still vectorized over
runs; ``Model.vensim_subscripts`` keeps the layout so that results can be
stacked into dimensions (:func:`stack_subscripts`).
"""

from __future__ import annotations

import itertools
import keyword
import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..builtins import RESERVED_NAMES
from ..errors import ModelDefinitionError
from ..expr import (BinOp, BoolOp, Call, Compare, Const, IfExp, Name, Node, Subscript, UnaryOp,
                    to_text, walk)
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


_NO_SUBSCRIPTS = "no subscripted element"


class _NotNative(Exception):
    """The file needs the element-by-element reading of subscripts (internal signal)."""


class _Builder:
    """Walks one abstract model and collects gysim elements."""

    def __init__(self, abstract_model: Any, path: Path, language: str,
                 native: bool = False) -> None:
        self.path = path
        #: subscripts as gysim dimensions (whole ranges only) instead of element by element
        self.native = native
        self.language = language
        sections = abstract_model.sections
        main = [s for s in sections if s.type == "main"]
        others = [s for s in sections if s.type != "main"]
        if others:
            raise ModelDefinitionError(
                f"{path.name}: macros are not supported (found {others[0].type} "
                f"'{others[0].name}'); expand them into the main model")
        self.section = main[0]
        # subscript ranges: name -> labels; folded keys -> canonical names/labels
        self.ranges: dict[str, list[str]] = {}
        self.range_canon: dict[str, str] = {}
        self.label_canon: dict[str, str] = {}
        raw_maps: dict[str, list] = {}
        raw_ranges = {}
        for rng in self.section.subscripts:
            self.range_canon[reference_key(rng.name)] = rng.name
            raw_maps[rng.name] = list(rng.mapping or [])
            raw_ranges[rng.name] = rng.subscripts
        for name in raw_ranges:
            self.ranges[name] = self._range_labels(name, raw_ranges, raw_maps, ())
        #: position of each label in its family (the largest range holding it), from 1
        self.family_pos: dict[str, int] = {}
        for labels in sorted(self.ranges.values(), key=len, reverse=True):
            for i, label in enumerate(labels):
                self.label_canon.setdefault(reference_key(label), label)
                self.family_pos.setdefault(label, i + 1)
        self.mappings: dict[str, set[str]] = {r: set() for r in self.ranges}
        for rng, maps in raw_maps.items():
            for other in maps:
                target = (self.range_canon.get(reference_key(other))
                          if isinstance(other, str) else None)
                if target is None:
                    raise ModelDefinitionError(
                        f"{path.name}: the subscript mapping {other!r} of range '{rng}' is not "
                        f"supported by gysim's {language} reader (only mappings onto a whole "
                        f"range, element by position)")
                self.mappings[rng].add(target)
                self.mappings[target].add(rng)
        self.binding: dict[str, str] = {}       # range (or 'range!') -> element label
        self.lhs: list[str | None] = []         # range of each subscript of the definition
        self.taken: set[str] = set()
        self.names: dict[str, str] = {}        # identifier -> original name
        self.by_key: dict[str, str] = {}       # reference key -> identifier (scalars)
        self.kinds: dict[str, str] = {}        # identifier -> 'lookup', 'aux', ...
        self.instances: dict[str, dict[tuple, str]] = {}   # key -> labels -> identifier
        self.default_subs: dict[str, list[str]] = {}
        # identifier -> (element, component, labels, binding, lhs ranges)
        self.comp_of: dict[str, tuple] = {}
        self.subscripted: dict[str, tuple] = {}  # original name -> (ranges, labels -> ident)
        self.dims_of: dict[str, tuple[str, ...]] = {}  # native: identifier -> ranges
        self.dim_id: dict[str, str] = {}               # native: range -> dimension name
        self.label_id: dict[str, str] = {}             # native: label -> gysim label
        self.bang_active: set[str] = set()             # native: ranges summed over here
        # specs: (kind, ident, payload, element)
        self.specs: list[tuple[str, str, Any, Any]] = []
        self.active_initial: dict[str, Node] = {}
        self.lookups_extra: list[tuple[str, tuple, tuple, str]] = []
        self.control: dict[str, Node] = {}
        if native:
            self._init_native()
            return
        for element in self.section.elements:
            key = reference_key(element.name)
            inst: dict[tuple, str] = {}
            for comp in element.components:
                subs = list(comp.subscripts[0]) if comp.subscripts else []
                self.default_subs.setdefault(key, subs)
                for labels, binding, lhs in self.expand(comp, element.name):
                    if labels in inst:
                        raise self.fail(f"a second definition of {self.show(element.name, labels)}",
                                        element.name)
                    shown = self.show(element.name, labels)
                    ident = safe_identifier(shown, self.taken)
                    inst[labels] = ident
                    self.names[ident] = shown
                    self.comp_of[ident] = (element, comp, labels, binding, lhs)
                    if _type(comp) == "AbstractLookup":
                        self.kinds[ident] = "lookup"
            self.instances[key] = inst
            if () in inst:
                self.by_key[key] = inst[()]
            elif inst:
                ranges = [self.range_canon.get(reference_key(s)) for s in self.default_subs[key]]
                self.subscripted[element.name] = (tuple(ranges), dict(inst))

    def _init_native(self) -> None:
        """Subscripted elements as gysim elements with dims, or :class:`_NotNative`."""
        if any(self.mappings.values()):
            raise _NotNative("subscript mappings (->) or equivalent ranges")
        seen: set[str] = set()
        for rng, labels in self.ranges.items():
            if seen & set(labels) or len(set(labels)) != len(labels):
                raise _NotNative(f"the subrange or overlapping range '{rng}'")
            seen |= set(labels)
        for rng in self.ranges:
            self.dim_id[rng] = safe_identifier(rng, self.taken)
        for labels in self.ranges.values():
            for label in labels:
                self.label_id[label] = safe_identifier(label, self.taken)
        any_dims = False
        for element in self.section.elements:
            key = reference_key(element.name)
            if len(element.components) != 1:
                raise _NotNative(f"element-by-element definitions of '{element.name}'")
            comp = element.components[0]
            subs, excepts = comp.subscripts if comp.subscripts else ([], [])
            if excepts:
                raise _NotNative(f":EXCEPT: in '{element.name}'")
            ranges = tuple(self.range_canon.get(reference_key(str(s))) for s in subs)
            if None in ranges:
                raise _NotNative(f"a definition of single elements of '{element.name}'")
            if len(set(ranges)) != len(ranges):
                raise _NotNative(f"a range used twice in '{element.name}'")
            if ranges and _type(comp) == "AbstractLookup":
                raise _NotNative(f"the subscripted lookup '{element.name}'")
            ident = safe_identifier(element.name, self.taken)
            self.names[ident] = element.name
            self.comp_of[ident] = (element, comp, (), {}, [])
            if _type(comp) == "AbstractLookup":
                self.kinds[ident] = "lookup"
            self.instances[key] = {(): ident}
            self.by_key[key] = ident
            self.dims_of[ident] = ranges
            any_dims = any_dims or bool(ranges)
        if not any_dims:
            raise _NotNative(_NO_SUBSCRIPTS)

    def native_reference(self, key: str, ast: Any, owner: str) -> Node:
        """A reference as a gysim name (broadcast by dimension) or a selection."""
        ident = self.by_key[key]
        have = self.dims_of.get(ident, ())
        if ast.subscripts is None:
            if have:
                raise _NotNative(f"'{ast.reference}' without its subscripts")
            return Name(ident)
        items = list(ast.subscripts.subscripts)
        if len(items) != len(have):
            raise _NotNative(f"'{ast.reference}' with {len(items)} subscripts")
        labels = []
        for sub, rng_have in zip(items, have):
            text = str(sub).strip()
            bang = text.endswith("!")
            fk = reference_key(text[:-1] if bang else text)
            rng = self.range_canon.get(fk)
            if rng is not None:
                if rng != rng_have or bang != (rng in self.bang_active):
                    raise _NotNative(f"the subscript '{sub}' of '{ast.reference}'")
            elif fk in self.label_canon and not bang:
                label = self.label_canon[fk]
                if label not in self.ranges[rng_have]:
                    raise _NotNative(f"the label '{sub}' of '{ast.reference}'")
                labels.append(self.label_id[label])
            else:
                raise self.fail(f"the unknown subscript '{sub}' of '{ast.reference}'", owner)
        return Subscript(Name(ident), tuple(labels)) if labels else Name(ident)

    def native_aggregate(self, fname: str, args: list, owner: str) -> Node:
        if len(args) != 1:
            raise self.fail(f"{fname.upper()} with {len(args)} arguments", owner)
        over = self.bang_ranges(args[0], [])
        if not over or set(over) & self.bang_active:
            raise _NotNative(f"{fname.upper()} in '{owner}'")
        saved = set(self.bang_active)
        self.bang_active |= set(over)
        try:
            tree = self.conv(args[0], owner)
        finally:
            self.bang_active = saved
        func = {"sum": "sum", "prod": "prod", "vmin": "min", "vmax": "max"}[fname]
        for rng in over:
            tree = Call(func, (tree, Name(self.dim_id[rng])))
        return tree

    # -------------------------------------------------------------- subscripts
    def _range_labels(self, name: str, raw: dict, maps: dict, stack: tuple) -> list[str]:
        """Labels of a range, with ranges named in its definition (subranges, copies) expanded."""
        if name in stack:
            raise ModelDefinitionError(f"{self.path.name}: subscript range '{name}' is defined "
                                       f"through itself")
        items = raw[name]
        if isinstance(items, str):  # a copy (`new <-> old` or `new: old`)
            items = [items]
        labels: list[str] = []
        for item in items:
            other = self.range_canon.get(reference_key(str(item)))
            if other is not None and other != name:
                labels += self._range_labels(other, raw, maps, stack + (name,))
                if len(items) == 1:  # an equivalent range: correspond by position
                    maps[name].append(other)
            else:
                labels.append(str(item))
        return labels

    @staticmethod
    def show(name: str, labels: tuple) -> str:
        return f"{name}[{','.join(labels)}]" if labels else name

    def sub_options(self, sub: Any, owner: str) -> list[tuple[str, str | None]]:
        """(label, range or None) pairs a definition's subscript stands for."""
        fk = reference_key(str(sub))
        rng = self.range_canon.get(fk)
        if rng is not None:
            return [(label, rng) for label in self.ranges[rng]]
        if fk in self.label_canon:
            return [(self.label_canon[fk], None)]
        raise self.fail(f"the unknown subscript '{sub}'", owner)

    def expand(self, comp: Any, owner: str):
        """Element tuples a component defines, with the ranges bound for each."""
        if not comp.subscripts:
            yield (), {}, []
            return
        subs, excepts = comp.subscripts
        excluded: set[tuple] = set()
        for ex in excepts or []:
            opts = [[label for label, _ in self.sub_options(s, owner)] for s in ex]
            excluded |= set(itertools.product(*opts))
        options = [self.sub_options(s, owner) for s in subs]
        for combo in itertools.product(*options):
            labels = tuple(label for label, _ in combo)
            if labels in excluded:
                continue
            yield (labels, {r: label for label, r in combo if r is not None},
                   [r for _, r in combo])

    def resolve_one(self, sub: Any, pos: int, ref: str, owner: str) -> str:
        """The element label a reference's subscript means under the current binding."""
        text = str(sub).strip()
        bang = text.endswith("!")
        fk = reference_key(text[:-1] if bang else text)
        rng = self.range_canon.get(fk)
        if rng is None:
            if fk in self.label_canon:
                return self.label_canon[fk]
            raise self.fail(f"the unknown subscript '{sub}' of '{ref}'", owner)
        if bang:
            if rng + "!" not in self.binding:
                raise self.fail(f"'{rng}!' outside SUM/PROD/VMIN/VMAX (in '{ref}')", owner)
            return self.binding[rng + "!"]
        if rng in self.binding:
            return self.binding[rng]
        bound = [(r, e) for r, e in self.binding.items() if not r.endswith("!")]
        labels = self.ranges[rng]
        for r, e in bound:  # a mapping (->): element by position
            if r in self.mappings[rng] and self.ranges[r].index(e) < len(labels):
                return labels[self.ranges[r].index(e)]
        same = self.lhs[pos] if pos < len(self.lhs) else None
        if same in self.binding and self.binding[same] in labels:  # subrange / superrange
            return self.binding[same]
        for r, e in bound:
            if e in labels and set(self.ranges[r]) & set(labels):
                return e
        if same in self.binding and len(self.ranges[same]) == len(labels):  # by position
            return labels[self.ranges[same].index(self.binding[same])]
        raise self.fail(f"the subscript '{sub}' of '{ref}', which matches no subscript of the "
                        f"definition ({', '.join(f'{r}={e}' for r, e in bound) or 'none'})",
                        owner)

    def resolve(self, subs: Any, key: str, ref: str, owner: str) -> tuple:
        inst = self.instances[key]
        if subs is None:
            if () in inst:
                return ()
            items = self.default_subs.get(key, [])
        else:
            items = list(subs.subscripts)
        return tuple(self.resolve_one(s, j, ref, owner) for j, s in enumerate(items))

    def instance(self, key: str, subs: Any, ref: str, owner: str) -> str:
        labels = self.resolve(subs, key, ref, owner)
        ident = self.instances[key].get(labels)
        if ident is None:
            raise self.fail(f"the reference to {self.show(ref, labels)}, an element the file "
                            f"does not define", owner)
        return ident

    def bang_ranges(self, ast: Any, found: list[str]) -> list[str]:
        """Ranges marked ``dim!`` anywhere in a PySD tree."""
        if _type(ast) == "SubscriptsReferenceStructure":
            for sub in ast.subscripts:
                text = str(sub).strip()
                if text.endswith("!"):
                    rng = self.range_canon.get(reference_key(text[:-1]))
                    if rng is not None and rng not in found:
                        found.append(rng)
            return found
        if isinstance(ast, (list, tuple)):
            for item in ast:
                self.bang_ranges(item, found)
        elif hasattr(ast, "__dataclass_fields__"):
            for field in ast.__dataclass_fields__:
                self.bang_ranges(getattr(ast, field), found)
        return found

    def aggregate(self, fname: str, args: list, owner: str) -> Node:
        if self.native:
            return self.native_aggregate(fname, args, owner)
        if len(args) != 1:
            raise self.fail(f"{fname.upper()} with {len(args)} arguments", owner)
        over = self.bang_ranges(args[0], [])
        saved = self.binding
        terms = []
        try:
            for combo in itertools.product(*(self.ranges[r] for r in over)):
                self.binding = {**saved, **{r + "!": e for r, e in zip(over, combo)}}
                terms.append(self.conv(args[0], owner))
        finally:
            self.binding = saved
        tree = terms[0]
        for term in terms[1:]:
            if fname == "sum":
                tree = BinOp("+", tree, term)
            elif fname == "prod":
                tree = BinOp("*", tree, term)
            else:
                tree = Call(fname[1:], (tree, term))
        return tree

    def vector_select(self, args: list, owner: str) -> Node:
        """VECTOR SELECT(selection[d!], values[d!], missing, action, error action)."""
        if self.native:
            raise _NotNative("VECTOR SELECT")
        if len(args) != 5:
            raise self.fail(f"VECTOR SELECT with {len(args)} arguments", owner)
        try:
            action = self.evaluate(self.conv(args[3], owner), {})
            error_action = self.evaluate(self.conv(args[4], owner), {})
        except (KeyError, TypeError, ZeroDivisionError):
            raise self.fail("VECTOR SELECT with an action that is not constant", owner) from None
        if action not in (0, 1, 2, 3) or error_action != 0:
            raise self.fail(f"VECTOR SELECT with action {action:g} and error action "
                            f"{error_action:g} (supported: actions 0-3, error action 0)", owner)
        over = self.bang_ranges(args[:2], [])
        neutral = {0: Const(0.0), 1: Const(1.0), 2: Const(1e300), 3: Const(-1e300)}
        saved = self.binding
        picks, count = [], None
        try:
            for combo in itertools.product(*(self.ranges[r] for r in over)):
                self.binding = {**saved, **{r + "!": e for r, e in zip(over, combo)}}
                chosen = Compare("!=", self.conv(args[0], owner), Const(0.0))
                picks.append(Call("if_then_else", (chosen, self.conv(args[1], owner),
                                                   neutral[int(action)])))
                one = Call("if_then_else", (chosen, Const(1.0), Const(0.0)))
                count = one if count is None else BinOp("+", count, one)
        finally:
            self.binding = saved
        if not picks:
            raise self.fail("VECTOR SELECT without a 'dim!' range", owner)
        tree = picks[0]
        for pick in picks[1:]:
            tree = (BinOp({0: "+", 1: "*"}[int(action)], tree, pick) if action < 2
                    else Call({2: "min", 3: "max"}[int(action)], (tree, pick)))
        return Call("if_then_else", (Compare(">", count, Const(0.0)), tree,
                                     self.conv(args[2], owner)))

    def in_context(self, ident: str, func, *args):
        """Call ``func`` with the subscripts of ``ident``'s definition bound."""
        saved = self.binding, self.lhs
        _, _, _, self.binding, self.lhs = self.comp_of[ident]
        try:
            return func(*args)
        finally:
            self.binding, self.lhs = saved

    def array_value(self, ident: str, array: Any) -> Const:
        """The number of one element in a constant array definition."""
        element, _, labels, _, lhs = self.comp_of[ident]
        array = np.asarray(array, dtype=float)
        if self.native:
            sizes = tuple(len(self.ranges[r]) for r in self.dims_of[ident])
            if array.size == 1:
                return self.conv(float(array.reshape(-1)[0]), element.name)
            if array.size != int(np.prod(sizes)) or not np.isfinite(array).all():
                raise _NotNative(f"the constant array of '{element.name}'")
            return array.reshape(sizes)
        positions = [i for i, r in enumerate(lhs) if r is not None]
        sizes = tuple(len(self.ranges[lhs[i]]) for i in positions)
        if array.shape != sizes and array.size == int(np.prod(sizes)):
            array = array.reshape(sizes)  # tabbed arrays come flat
        if array.ndim == len(positions):
            index = tuple(self.ranges[lhs[i]].index(labels[i]) for i in positions)
        elif array.size == 1:
            index = (0,) * array.ndim
        else:
            raise self.fail(f"a constant array of shape {array.shape}", self.names[ident])
        return self.conv(float(array[index]), element.name)

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
        if isinstance(ast, np.ndarray):
            raise self.fail("a constant array inside an expression", owner)
        if kind == "ArithmeticStructure":
            ops, args = list(ast.operators), [self.conv(a, owner) for a in ast.arguments]
            if ops == ["negative"] and len(args) == 1:
                return UnaryOp("-", args[0])
            if len(ops) != len(args) - 1:
                raise self.fail(f"arithmetic with operators {ops}", owner)
            if ops and all(op == "^" for op in ops):   # a^b^c as PySD writes it: a**(b**c)
                tree = args[-1]
                for raw, left in reversed(list(zip(ast.arguments[:-1], args[:-1]))):
                    if isinstance(left, Const) and left.value < 0 and not isinstance(raw, str):
                        # `-2^2` reaches us as the number -2 raised to 2; Vensim and XMILE
                        # (and PySD's generated `-2**2`) mean -(2^2)
                        tree = UnaryOp("-", BinOp("**", Const(-left.value), tree))
                    else:
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
        if kind == "TrendStructure":
            # Vensim's TREND: a first-order smooth s of the input, starting at
            # input / (1 + initial trend * average time); TREND = (input - s) / (time * |s|)
            x = self.conv(ast.input, owner)
            avg = self.conv(ast.average_time, owner)
            init = self.conv(ast.initial_trend, owner)
            smooth = Call("smooth", (x, avg, BinOp("/", x, BinOp("+", Const(1.0),
                                                                  BinOp("*", init, avg)))))
            return Call("zidz", (BinOp("-", x, smooth), BinOp("*", avg, Call("abs", (smooth,)))))
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
        key = reference_key(ast.reference)
        if key == "time":
            return Name("time")
        if self.native and key in self.by_key:
            node = self.native_reference(key, ast, owner)
            if self.kinds.get(node.id if isinstance(node, Name) else "") == "lookup":
                raise self.fail(f"the lookup '{ast.reference}' used as a value", owner)
            return node
        if self.native and (key in self.range_canon or key in self.label_canon):
            raise _NotNative(f"the subscript '{ast.reference}' used as a value")
        if self.instances.get(key):
            ident = self.instance(key, ast.subscripts, ast.reference, owner)
            if self.kinds.get(ident) == "lookup":
                raise self.fail(f"the lookup '{ast.reference}' used as a value", owner)
            return Name(ident)
        rng = self.range_canon.get(key)
        if rng is not None and ast.subscripts is None:
            if rng in self.binding:   # a range as a value: the element's position, from 1,
                return Const(float(self.family_pos[self.binding[rng]]))  # in its family
            label = self.resolve_one(rng, len(self.lhs), rng, owner) if self.binding else None
            if label is not None:
                return Const(float(self.family_pos[label]))
            raise self.fail(f"the subscript range '{rng}' used as a value", owner)
        if key == "pi":
            return Const(math.pi)
        if key in self.label_canon and ast.subscripts is None:  # an element label as a value
            return Const(float(self.family_pos[self.label_canon[key]]))
        raise ModelDefinitionError(
            f"{self.path.name}: element '{owner}' refers to '{ast.reference}', which the file "
            f"does not define")

    def call(self, ast: Any, owner: str) -> Node:
        func = ast.function
        if _type(func) != "ReferenceStructure":
            raise self.fail(f"a call of {_type(func)}", owner)
        fname = func.reference
        # XMILE's one-argument MIN/MAX over an array reach us as vmin_xmile/vmax_xmile
        fname = {"vmin_xmile": "vmin", "vmax_xmile": "vmax"}.get(fname, fname)
        if fname in ("sum", "prod", "vmin", "vmax"):
            return self.aggregate(fname, list(ast.arguments), owner)
        if fname == "elmcount":
            arg = ast.arguments[0] if len(ast.arguments) == 1 else None
            rng = (self.range_canon.get(reference_key(arg.reference))
                   if _type(arg) == "ReferenceStructure" else None)
            if rng is None:
                raise self.fail("ELMCOUNT of something other than a subscript range", owner)
            return Const(float(len(self.ranges[rng])))
        if fname == "vector_select":
            return self.vector_select(list(ast.arguments), owner)
        args = [self.conv(a, owner) for a in ast.arguments]
        key = reference_key(fname)
        ident = (self.instance(key, func.subscripts, fname, owner)
                 if self.instances.get(key) else None)
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
        if fname == "power" and len(args) == 2:
            return BinOp("**", args[0], args[1])
        if fname in ("sinh", "cosh", "tanh") and len(args) == 1:
            up = Call("exp", (args[0],))
            down = Call("exp", (UnaryOp("-", args[0]),))
            if fname == "tanh":
                return BinOp("/", BinOp("-", up, down), BinOp("+", up, down))
            return BinOp("/", BinOp("-" if fname == "sinh" else "+", up, down), Const(2.0))
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
            if tree.id in seen or tree.id not in self.comp_of:
                raise TypeError(tree)
            element, comp, *_ = self.comp_of[tree.id]
            ast = comp.ast
            if _type(ast) == "IntegStructure":
                ast = ast.initial
            if isinstance(ast, np.ndarray):
                value = self.array_value(tree.id, ast)
                if not isinstance(value, Const):
                    raise TypeError(tree)
                return value.value
            return self.evaluate(self.in_context(tree.id, self.conv, ast, self.names[tree.id]),
                                 {**seen, tree.id: True})
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
        for element in self.section.elements:  # control variables first: others may use them
            key = reference_key(element.name)
            if key in CONTROL and len(element.components) == 1:
                self.control[key] = self.conv(element.components[0].ast, element.name)
        for ident in self.comp_of:
            self.in_context(ident, self.collect_one, ident)

    def collect_one(self, ident: str) -> None:
        """The spec of one (element of an) element of the file."""
        element, comp, labels, _, _ = self.comp_of[ident]
        original = self.names[ident]
        ctype = _type(comp)
        if ctype == "AbstractData":
            raise self.fail("a data variable", original)
        ast = comp.ast
        key = reference_key(element.name)
        if _type(element) == "AbstractControlElement" or key in CONTROL:
            if key not in CONTROL or labels:
                raise self.fail("the control variable", original)
            tree = self.conv(ast, original)
            self.control[key] = tree
            self.specs.append(("control", ident, tree, element))
            return
        if ctype == "AbstractLookup":
            x, y = self.table(ast, original)
            self.specs.append(("lookup", ident, (x, y), element))
            return
        if _type(ast) == "IntegStructure":
            flow = self.conv(ast.flow, original)
            initial = (self.array_value(ident, ast.initial)
                       if isinstance(ast.initial, np.ndarray) else self.conv(ast.initial, original))
            self.specs.append(("stock", ident, (initial, flow, bool(ast.non_negative)),
                               element))
            return
        if (_type(ast) == "CallStructure" and _type(ast.function) == "ReferenceStructure"
                and ast.function.reference == "active_initial"):
            if len(ast.arguments) != 2:
                raise self.fail("ACTIVE INITIAL without two arguments", original)
            tree = self.conv(ast.arguments[0], original)
            self.active_initial[ident] = self.conv(ast.arguments[1], original)
        elif isinstance(ast, np.ndarray):
            tree = self.array_value(ident, ast)
        else:
            tree = self.conv(ast, original)
        if not isinstance(tree, np.ndarray):
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
        for rng, dim in self.dim_id.items():
            model.dimension(dim, [self.label_id[label] for label in self.ranges[rng]])
        for kind, ident, payload, element in self.specs:
            dims = tuple(self.dim_id[r] for r in self.dims_of.get(ident, ())) or None
            doc = self.names[ident]
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
                if not isinstance(initial, np.ndarray):
                    initial = to_text(self.initial_version(initial))
                model.stock(ident, initial, units=units, doc=doc, source=src, dims=dims)
                if non_negative:
                    flow = Call("nonnegative_rate", (flow, Name(ident)))
                fname = safe_identifier(f"{ident}_net_flow", self.taken)
                self.names[fname] = f"net flow of {self.names[ident]}"
                model.flow(fname, to_text(flow), into=ident, doc=f"net flow of {self.names[ident]}",
                           source=src, dims=dims)
            else:
                tree = payload
                if isinstance(tree, np.ndarray):
                    model.param(ident, tree, units=units, doc=doc, source=src, dims=dims)
                elif isinstance(tree, Const) and ident not in self.active_initial:
                    model.param(ident, tree.value, units=units, doc=doc, source=src, dims=dims)
                else:
                    tree = self._initial_calls(tree)
                    model.aux(ident, to_text(tree), units=units, doc=doc, source=src, dims=dims)
        for name, x, y, owner in self.lookups_extra:
            self.names[name] = f"lookup of {owner}"
            model.lookup(name, x, y, doc=f"inline lookup of {owner}", source=self.path.name)
        model.vensim_names = dict(self.names)
        model.vensim_subscripts = {
            name: (ranges, {labels: ident for labels, ident in inst.items()
                            if ident in self.names})
            for name, (ranges, inst) in self.subscripted.items()}
        model.vensim_ranges = {r: tuple(labels) for r, labels in self.ranges.items()}
        #: native dimensions: range -> dimension name, original label -> gysim label
        model.vensim_dims = dict(self.dim_id)
        model.vensim_labels = dict(self.label_id)
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


def build_model(abstract_model: Any, path: Path, language: str, *, native: bool = True) -> Model:
    """Build a gysim model from PySD's abstract model of the file at ``path``.

    Subscripts become native gysim dimensions when every subscripted element
    is defined over whole ranges (see :func:`native_fallback_reason`); otherwise
    each element of a subscripted variable is read as a scalar element, and
    ``model.vensim_fallback`` says why ('' when the model is native or has no
    subscripts). ``native=False`` always reads subscripts element by element.
    """
    path = Path(path)
    if not native:
        model = _Builder(abstract_model, path, language).build()
        model.vensim_fallback = "native=False"
        return model
    try:
        model = _Builder(abstract_model, path, language, native=True).build()
        model.compile()  # dimension checks of the engine: fall back if they object
        model.vensim_fallback = ""
        return model
    except (_NotNative, ModelDefinitionError) as exc:
        why = "" if str(exc) == _NO_SUBSCRIPTS else str(exc)
    model = _Builder(abstract_model, path, language).build()
    model.vensim_fallback = why
    return model


def stack_subscripts(ds: Any, model: Model) -> Any:
    """Results of a model read from a subscripted file, with its subscripts as dimensions.

    When the readers could not make a file's subscripts native dimensions
    (``model.vensim_fallback``), they expand each subscripted variable into one
    variable per element (``stock_a_entry_1``, ...). This gathers them back: for every subscripted
    variable of the file (``model.vensim_subscripts``) whose elements are all in
    ``ds``, one variable named after the file's name (made an identifier), with
    one dimension per subscript range, labelled with the range's elements.
    Elements the file leaves undefined (definitions over subranges, :EXCEPT:)
    are NaN. Variables without subscripts are kept as they are. Results of a
    model read with native dimensions already carry them: they are returned
    unchanged (a copy), so callers can always use this function.

    Parameters
    ----------
    ds : xarray.Dataset
        The result of :func:`gysim.simulate` for ``model``.
    model : Model
        A model read by :func:`gysim.read_vensim` or :func:`gysim.read_xmile`.

    Returns
    -------
    xarray.Dataset

    Examples
    --------
    >>> import tempfile, gysim
    >>> from pathlib import Path
    >>> f = Path(tempfile.mkdtemp()) / "m.mdl"
    >>> _ = f.write_text("{UTF-8}\\nd: a, b ~ ~|\\nv[a] = 1 ~ ~|\\nv[b] = 2 ~ ~|\\n"
    ...                  "x[d] = v[d] * Time ~ ~|\\n"
    ...                  "INITIAL TIME = 0 ~ ~|\\nFINAL TIME = 2 ~ ~|\\nTIME STEP = 1 ~ ~|\\n")
    >>> m = gysim.read_vensim(f)
    >>> m.vensim_fallback
    "element-by-element definitions of 'v'"
    >>> out = stack_subscripts(gysim.simulate(m), m)
    >>> out["x"].dims, out["x"].sel(d="b").values.tolist()
    (('time', 'd'), [0.0, 2.0, 4.0])
    """
    import xarray as xr
    layout = getattr(model, "vensim_subscripts", {})
    out = ds.copy()
    taken = set(ds.data_vars) | set(ds.dims) | set(ds.coords)
    for original, (ranges, elements) in layout.items():
        if None in ranges or not elements or not all(i in ds for i in elements.values()):
            continue
        dims = [safe_identifier(r, set()) for r in ranges]
        if len(set(dims)) != len(dims):
            continue  # a range used twice (x[d, d]): keep the elements
        labels = [list(model.vensim_ranges[r]) for r in ranges]
        sample = ds[next(iter(elements.values()))]
        shape = tuple(len(x) for x in labels)
        data = np.full(shape + sample.shape, np.nan)
        for key, ident in elements.items():
            try:
                index = tuple(labels[i].index(k) for i, k in enumerate(key))
            except ValueError:
                break
            data[index] = ds[ident].values
        else:
            new_dims = tuple(dims) + sample.dims
            if sample.dims[:1] == ("time",):  # time first, as gysim's results
                data = np.moveaxis(data, list(range(len(shape))),
                                   list(range(1, len(shape) + 1)))
                new_dims = ("time",) + tuple(dims) + sample.dims[1:]
            coords = {d: lab for d, lab in zip(dims, labels)}
            coords.update({d: ds.coords[d] for d in sample.dims if d in ds.coords})
            name = safe_identifier(original, set(taken))
            taken.add(name)
            out[name] = xr.DataArray(data, dims=new_dims, coords=coords,
                                     attrs={"long_name": original})
    return out
