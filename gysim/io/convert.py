"""PySD's abstract syntax of one equation -> a gysim equation tree (:mod:`gysim.expr`).

PySD's translators parse each equation of a Vensim or XMILE file into a tree
of ``*Structure`` objects (``pysd.translators.structures.abstract_expressions``).
:class:`Converter` walks such a tree and produces gysim nodes, dispatching on
the structure's class through one table (:attr:`Converter.CONSTRUCTS`, one
method per construct), so nothing the file says is ever executed. Anything
outside the supported constructs raises
:class:`~gysim.errors.ModelDefinitionError` naming the construct and the
element. The names of the file's functions are :mod:`gysim.io.functions`'
business; references to subscripted elements are resolved with
:class:`gysim.io.subscripts.Subscripts`.

Examples
--------
>>> from gysim.io.convert import Converter
>>> sorted(Converter.CONSTRUCTS)[:3]
['AbstractSyntax', 'AllocateAvailableStructure', 'AllocateByPriorityStructure']
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import numpy as np

from ..errors import GysimError, ModelDefinitionError
from ..expr import (BinOp, BoolOp, Call, Compare, Const, Name, Node, Subscript,
                    UnaryOp)
from . import data_vars, external, functions, gf_types
from . import array_calls, mdl_scan, time_calls, vector_calls
from .fold import ConstantFolder
from .names import VENSIM_NA, reference_key, safe_identifier, shown_name, unsupported
from .lookup_modes import CALLS as LOOKUP_MODES, lookup_mode_call
from .random_lookup import random_lookup_call
from .subscripts import Subscripts

__all__ = ["Converter", "NotNative"]

#: Whole-vector functions: PySD's key -> their element-by-element reader.
_VECTOR_CALLS = {**array_calls.CALLS, **vector_calls.CALLS}
_COMPARE = {"=": "==", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_ARITH = {"+": "+", "-": "-", "*": "*", "/": "/", "^": "**"}
_LOGIC = {":and:": "and", "and": "and", ":or:": "or", "or": "or"}
#: Constructs PySD reads that gysim does not, and how messages name them.
_REFUSED = {"IntegStructure": "INTEG inside an expression",
            "DataStructure": "a data variable", "GetDataStructure": "GET DATA",
            "GetLookupsStructure": "GET LOOKUPS inside an expression",
            "AllocateAvailableStructure": "ALLOCATE AVAILABLE",
            "AllocateByPriorityStructure": "ALLOCATE BY PRIORITY",
            "SubscriptsReferenceStructure": "subscripts",
            "ndarray": "a constant array inside an expression"}


class NotNative(Exception):
    """The file needs the element-by-element reading of subscripts (internal signal)."""


#: XMILE 1.0's builtin names of the simulation specs, by the control variable they read.
_XMILE_TIME_NAMES = {"dt": "time_step", "starttime": "initial_time", "stoptime": "final_time"}


class Converter(ConstantFolder):
    """Converts the equations of one file section, with the state references need.

    The state (identifiers of the file's elements, the binding of the
    definition being converted, native dimensions) is filled by
    :class:`gysim.io.build.ModelBuilder`; this class holds the conversion.

    Parameters
    ----------
    section : Any
        PySD's main ``AbstractSection`` of the file.
    path : pathlib.Path
        The file, for messages.
    language : str
        ``"Vensim"`` or ``"XMILE"``.
    native : bool
        Subscripts as gysim dimensions (whole ranges only) instead of element
        by element.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> from pathlib import Path
    >>> from gysim.expr import to_text
    >>> conv = Converter(NS(subscripts=[]), Path("m.mdl"), "Vensim")
    >>> to_text(conv.conv(2.5, "x")), conv.conv(float("nan"), "x").value == -2.0 ** 109
    ('2.5', True)
    """

    def __init__(self, section: Any, path: Path, language: str, native: bool = False) -> None:
        self.path = path
        self.language = language
        self.native = native
        self.section = section
        self.subs = Subscripts(section.subscripts, path, language)
        self.binding: dict[str, str] = {}       # range (or 'range!') -> element label
        self.lhs: list[str | None] = []         # range of each subscript of the definition
        self.taken: set[str] = set()
        self.names: dict[str, str] = {}        # identifier -> original name
        self.by_key: dict[str, str] = {}       # reference key -> identifier (scalars)
        self.gf_tables: dict[str, str] = {}    # XMILE variable -> lookup of its gf (if called)
        self.kinds: dict[str, str] = {}        # identifier -> 'lookup'
        self.instances: dict[str, dict[tuple, str]] = {}   # key -> labels -> identifier
        self.default_subs: dict[str, list[str]] = {}
        # identifier -> (element, component, labels, binding, lhs ranges)
        self.comp_of: dict[str, tuple] = {}
        self.dims_of: dict[str, tuple[str, ...]] = {}  # native: identifier -> ranges
        self.dim_id: dict[str, str] = {}               # native: range -> dimension name
        self.label_id: dict[str, str] = {}             # native: label -> gysim label
        self.bang_active: set[str] = set()             # native: families summed over here
        self.family: dict[str, str] = {}               # native: range -> its family range
        self.native_lhs: dict[str, set] = {}           # native: family -> labels defined
        self.lookups_extra: list[tuple[str, tuple, tuple, str]] = []
        self.control: dict[str, Node] = {}

    def fail(self, construct: str, element: str) -> ModelDefinitionError:
        return unsupported(self.path, self.language, construct, element)

    def in_context(self, ident: str, func: Callable, *args: Any) -> Any:
        """Call ``func`` with the subscripts of ``ident``'s definition bound."""
        saved = self.binding, self.lhs
        _, _, _, self.binding, self.lhs = self.comp_of[ident]
        try:
            return func(*args)
        finally:
            self.binding, self.lhs = saved

    # -------------------------------------------------------------- dispatch
    def conv(self, ast: Any, owner: str) -> Node:
        """Convert one PySD abstract syntax tree into a gysim equation tree."""
        for cls in type(ast).__mro__:  # PySD's structures by class, numbers by their bases
            handler = self.CONSTRUCTS.get(cls.__name__)
            if handler is not None:
                return handler(self, ast, owner)
        raise AssertionError("unreachable: 'object' is in the table")  # pragma: no cover

    def _number(self, ast: Any, owner: str) -> Node:
        value = float(ast)
        if math.isnan(value):  # Vensim's :NA: (PySD's parser gives NaN)
            return Const(VENSIM_NA)
        if not math.isfinite(value):
            raise self.fail(f"the non-finite number {value}", owner)
        return Const(value)

    def _bool(self, ast: Any, owner: str) -> Node:
        return Const(float(ast))

    def _refused(self, ast: Any, owner: str) -> Node:
        kind = type(ast).__name__
        raise self.fail(_REFUSED.get(kind, f"the construct {kind}"
                                     + (f" {ast!r}" if isinstance(ast, str) else "")), owner)

    def _arithmetic(self, ast: Any, owner: str) -> Node:
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

    def _logic(self, ast: Any, owner: str) -> Node:
        ops, args = [o.lower() for o in ast.operators], [self.conv(a, owner)
                                                         for a in ast.arguments]
        if ops in ([":not:"], ["not"]) and len(args) == 1:
            return UnaryOp("not", args[0])
        tree = args[0]
        for op, right in zip(ops, args[1:]):
            if op in _LOGIC:
                tree = BoolOp(_LOGIC[op], (tree, right))
            elif op in _COMPARE:
                tree = Compare(_COMPARE[op], tree, right)
            else:
                raise self.fail(f"the logical operator '{op}'", owner)
        return tree

    def _initial(self, ast: Any, owner: str) -> Node:
        return Call("initial", (self.conv(ast.initial, owner),))

    def _smooth(self, ast: Any, owner: str) -> Node:
        func = functions.SMOOTH_BY_ORDER.get(int(ast.order))
        if func is None:
            raise self.fail(f"SMOOTH of order {ast.order}", owner)
        return Call(func, (self.conv(ast.input, owner), self.conv(ast.smooth_time, owner),
                           self.conv(ast.initial, owner)))

    def _smooth_n(self, ast: Any, owner: str) -> Node:
        return Call("smooth_n", (self.conv(ast.input, owner), self.conv(ast.smooth_time, owner),
                                 self.conv(ast.initial, owner),
                                 Const(self.order(ast.order, owner))))

    def _delay(self, ast: Any, owner: str) -> Node:
        func = functions.DELAY_BY_ORDER.get(int(ast.order))
        if func is None:
            raise self.fail(f"DELAY of order {ast.order}", owner)
        return Call(func, (self.conv(ast.input, owner), self.conv(ast.delay_time, owner),
                           self.conv(ast.initial, owner)))

    def _delay_n(self, ast: Any, owner: str) -> Node:
        delay, order = self.conv(ast.delay_time, owner), self.order(ast.order, owner)
        if self.language == "Vensim":
            order = self.delay_n_order(order, delay, owner)
        return Call("delay_n", (self.conv(ast.input, owner), delay,
                                self.conv(ast.initial, owner), Const(order)))

    def _delay_fixed(self, ast: Any, owner: str) -> Node:
        x = self.conv(ast.input, owner)
        if isinstance(x, Name):
            # Work around the engine storing a view of the state in the delay's
            # buffer (see the reader's report): give the input its own array.
            x = BinOp("+", x, Const(0.0))
        return Call("delay_fixed", (x, self.conv(ast.delay_time, owner),
                                    self.conv(ast.initial, owner)))

    def gf_table(self, ident: str, lookups: Any, owner: str) -> str:
        """The lookup holding the graphical function of XMILE variable ``ident`` (made once)."""
        name = self.gf_tables.get(ident)
        if name is None:
            x, y = self.table(lookups, owner, kinds=gf_types.TYPES)
            name = self.gf_tables[ident] = safe_identifier(f"{ident}_table", self.taken)
            self.lookups_extra.append((name, x, y, self.names.get(ident, ident)))
        return name

    def _inline_lookup(self, ast: Any, owner: str) -> Node:
        x, y = self.table(ast.lookups, owner, kinds=gf_types.TYPES)
        name = safe_identifier(f"{owner}_lookup", self.taken)
        self.lookups_extra.append((name, x, y, owner))
        return self.typed_call(name, self.conv(ast.argument, owner), ast.lookups, owner)

    def _trend(self, ast: Any, owner: str) -> Node:
        return functions.trend(self.conv(ast.input, owner), self.conv(ast.average_time, owner),
                               self.conv(ast.initial_trend, owner))

    def _sample_if_true(self, ast: Any, owner: str) -> Node:
        return Call("sample_if_true", (self.conv(ast.condition, owner),
                                       self.conv(ast.input, owner), self.conv(ast.initial, owner)))

    def _forecast(self, ast: Any, owner: str) -> Node:
        return functions.forecast(self.conv(ast.input, owner), self.conv(ast.average_time, owner),
                                  self.conv(ast.horizon, owner),
                                  self.conv(ast.initial_trend, owner))

    def _get_constants(self, ast: Any, owner: str) -> Node:
        error = getattr(self, "constant_errors", {}).get(id(ast))
        if error is not None:  # a whole-equation call gysim could not read (external_arrays)
            raise error
        if any(self.lhs or ()) or getattr(self, "native_ctx", None):
            raise self.fail("GET CONSTANTS inside an expression of a subscripted element", owner)
        return Const(external.constant(self.path, ast.file, ast.tab, ast.cell, owner))

    def _game(self, ast: Any, owner: str) -> Node:
        return self.conv(ast.expression, owner)

    # -------------------------------------------------------------- references
    def reference(self, ast: Any, owner: str) -> Node:
        """A reference to an element, a range or a label (``ReferenceStructure``)."""
        key = reference_key(ast.reference)
        subs = self.subs
        if key == "time":
            return Name("time")
        if self.native and key in self.by_key:
            node = self.native_reference(key, ast, owner)
            if self.kinds.get(node.id if isinstance(node, Name) else "") == "lookup":
                raise self.fail(f"the lookup '{ast.reference}' used as a value", owner)
            return node
        if self.native and key in subs.range_canon and ast.subscripts is None:
            return self.range_position(subs.range_canon[key])  # its element's position
        if self.native and key in subs.range_canon:
            raise NotNative(f"the subscript '{ast.reference}' used as a value")
        if self.instances.get(key):
            ident = self.instance(key, ast.subscripts, ast.reference, owner)
            if self.kinds.get(ident) == "lookup":
                raise self.fail(f"the lookup '{ast.reference}' used as a value", owner)
            return Name(ident)
        rng = subs.range_canon.get(key)
        if rng is not None and ast.subscripts is None:
            if rng in self.binding:   # a range as a value: the element's position, from 1,
                return Const(float(subs.family_pos[self.binding[rng]]))  # in its family
            label = self.resolve_one(rng, len(self.lhs), rng, owner) if self.binding else None
            if label is not None:
                return Const(float(subs.family_pos[label]))
            raise self.fail(f"the subscript range '{rng}' used as a value", owner)
        if key == "pi":
            return Const(math.pi)
        control = _XMILE_TIME_NAMES.get(key) if self.language == "XMILE" else None
        if control in self.by_key:  # XMILE's builtins DT, STARTTIME, STOPTIME
            return Name(self.by_key[control])
        if key in subs.label_canon and ast.subscripts is None:  # an element label as a value
            return Const(float(subs.family_pos[subs.label_canon[key]]))
        raise ModelDefinitionError(
            f"{self.path.name}: element '{owner}' refers to '{ast.reference}', which the file "
            f"does not define")

    def native_reference(self, key: str, ast: Any, owner: str) -> Node:
        """A reference as a gysim name (broadcast by dimension) or a selection."""
        ident = self.by_key[key]
        have = self.dims_of.get(ident, ())
        if ast.subscripts is None:
            if have:
                raise NotNative(f"'{ast.reference}' without its subscripts")
            return Name(ident)
        items = list(ast.subscripts.subscripts)
        if len(items) != len(have):
            raise NotNative(f"'{ast.reference}' with {len(items)} subscripts")
        labels, block, maps = [], [], []
        for sub, rng_have in zip(items, have):
            text = str(sub).strip()
            bang = text.endswith("!")
            fk = reference_key(text[:-1] if bang else text)
            rng = self.subs.range_canon.get(fk)
            if rng is not None:
                if self.family[rng] != rng_have or bang != (rng_have in self.bang_active):
                    raise NotNative(f"the subscript '{sub}' of '{ast.reference}'")
                if not bang and rng_have not in self.native_lhs and self.subs.mappings.get(rng):
                    maps.append(rng)
                elif not bang and not self.native_lhs.get(rng_have, set()) <= set(
                        self.subs.ranges[rng]):  # by position or mapping within a family
                    raise NotNative(f"the subscript '{sub}' of '{ast.reference}'")
                block.append([self.subs.position[rng_have][x] for x in self.subs.ranges[rng]])
            elif fk in self.subs.label_canon and not bang:
                label = self.subs.label_canon[fk]
                if label not in self.subs.ranges[rng_have]:
                    raise NotNative(f"the label '{sub}' of '{ast.reference}'")
                labels.append(self.label_id[label])
                block.append([self.subs.position[rng_have][label]])
            else:
                raise self.fail(f"the unknown subscript '{sub}' of '{ast.reference}'", owner)
        parts = getattr(self, "parts", {}).get(ident)
        if parts and not np.logical_or.reduce([m for _, m in parts])[np.ix_(*block)].all():
            raise NotNative(f"a reference to elements of '{ast.reference}' it does not define")
        node = Subscript(Name(ident), tuple(labels)) if labels else Name(ident)
        for rng in maps:
            node = self.mapped(node, rng, ast.reference)
        return node

    def resolve_one(self, sub: Any, pos: int, ref: str, owner: str) -> str:
        """The element label a reference's subscript means under the current binding."""
        return self.subs.resolve_one(sub, pos, ref, owner, binding=self.binding, lhs=self.lhs)

    def instance(self, key: str, subs: Any, ref: str, owner: str) -> str:
        """The identifier of the element a (subscripted) reference means."""
        inst = self.instances[key]
        if subs is None:
            items = [] if () in inst else self.default_subs.get(key, [])
        else:
            items = list(subs.subscripts)
        labels = tuple(self.resolve_one(s, j, ref, owner) for j, s in enumerate(items))
        ident = inst.get(labels)
        if ident is None:
            raise self.fail(f"the reference to {shown_name(ref, labels)}, an element the file "
                            f"does not define", owner)
        return ident

    # -------------------------------------------------------------- calls
    def _call(self, ast: Any, owner: str) -> Node:
        func = ast.function
        if type(func).__name__ != "ReferenceStructure":
            raise self.fail(f"a call of {type(func).__name__}", owner)
        fname = functions.ALIASES.get(func.reference, func.reference)
        if fname in functions.AGGREGATES:
            args = list(ast.arguments)
            if self.language == "XMILE" and not self.lhs and not self.subs.bang_ranges(args, []):
                args = self.subs.marked_whole(args)  # MAX(a[Dim]) in a scalar: all of Dim
            return self.aggregate(fname, args, owner)
        if fname == "elmcount":
            arg = ast.arguments[0] if len(ast.arguments) == 1 else None
            rng = (self.subs.range_canon.get(reference_key(arg.reference))
                   if type(arg).__name__ == "ReferenceStructure" else None)
            if rng is None:
                raise self.fail("ELMCOUNT of something other than a subscript range", owner)
            return Const(float(len(self.subs.ranges[rng])))
        if fname == "random_lookup":  # the lookup's points become arguments
            return random_lookup_call(self, list(ast.arguments), owner)
        if fname in LOOKUP_MODES:  # LOOKUP EXTRAPOLATE, FORWARD, ...: trees over its points
            return lookup_mode_call(self, fname, list(ast.arguments), owner)
        if fname in _VECTOR_CALLS:  # whole-vector functions, element by element
            if self.native:  # a native reading where the builder has one
                native = getattr(self, f"native_{fname}", None)
                if native is None:
                    raise NotNative(self.spelled(fname))  # (INVERT MATRIX of variables)
                return native(list(ast.arguments), owner)
            return _VECTOR_CALLS[fname](self, list(ast.arguments), owner)
        if fname in time_calls.CALLS and not self.instances.get(reference_key(fname)):
            return time_calls.time_call(self, fname, list(ast.arguments), owner)
        if fname in data_vars.DATA_TIMES:
            return data_vars.data_time(self, fname, list(ast.arguments), owner)
        key = reference_key(fname)
        if not (functions.known(fname) or self.instances.get(key) or fname == "active_initial"):
            return self._unknown_call(fname, list(ast.arguments), owner)
        args = [self.conv(a, owner) for a in ast.arguments]
        ident = (self.instance(key, func.subscripts, fname, owner)
                 if self.instances.get(key) else None)
        comp = self.comp_of.get(ident, (None, None))[1] if ident is not None else None
        if (self.language == "XMILE" and len(args) == 1 and type(getattr(comp, "ast", None))
                .__name__ == "InlineLookupsStructure"):  # XMILE: an aux's gf applied to x
            return self.typed_call(self.gf_table(ident, comp.ast.lookups, owner), args[0],
                                   comp.ast.lookups, owner)
        if ident is not None and self.kinds.get(ident) == "lookup":
            if len(args) != 1:
                raise self.fail(f"lookup '{fname}' called with {len(args)} arguments", owner)
            return self.typed_call(ident, args[0], getattr(comp, "ast", None), owner)
        if fname == "active_initial":
            raise self.fail("ACTIVE INITIAL inside an expression (it must be the whole "
                            "equation)", owner)
        if fname in functions.NEEDS_TIME_STEP and "time_step" in self.by_key:
            args.append(Name(self.by_key["time_step"]))  # (XMILE's PULSE is DT wide)
        if fname == "integer" and self.language == "XMILE" and len(args) == 1:
            return functions.xmile_int(args[0])  # XMILE's INT rounds down, Vensim's truncates
        tree = functions.builtin_call(fname, args)
        return self.unknown_function(fname, owner) if tree is None else tree

    def _unknown_call(self, fname: str, args: list, owner: str) -> Node:
        placeholder = self.unknown_function(fname, owner)  # the reader stops here
        for arg in args:  # the checker reads on: unknown functions nested in the arguments
            try:
                self.conv(arg, owner)
            except GysimError:
                pass  # (an argument only this function could take, e.g. a lookup)
        return placeholder

    def unknown_function(self, fname: str, owner: str) -> Node:
        """A call of a function the reader does not know: refused (the checker records
        it and reads on, to find the element's other unknown functions)."""
        raise self.fail(f"the function {self.spelled(fname)}", owner)

    def spelled(self, fname: str) -> str:
        """A function's name as the file spells it (PySD's key ``random_pink_noise`` is
        Vensim's ``RANDOM PINK NOISE``)."""
        return fname.upper().replace("_", " ") if self.language == "Vensim" else fname.upper()

    def aggregate(self, fname: str, args: list, owner: str) -> Node:
        """SUM/PROD/VMIN/VMAX over the ranges marked ``dim!`` in the argument."""
        if len(args) != 1:
            raise self.fail(f"{fname.upper()} with {len(args)} arguments", owner)
        over = self.subs.bang_ranges(args[0], [])
        if self.native:
            fams = [self.family[r] for r in over]
            if not over or set(fams) & self.bang_active or len(set(fams)) != len(fams):
                raise NotNative(f"{fname.upper()} in '{owner}'")
            saved_active = set(self.bang_active)
            self.bang_active |= set(fams)
            try:
                tree = self.conv(args[0], owner)
            finally:
                self.bang_active = saved_active
            neutral = {"sum": 0.0, "prod": 1.0, "vmin": 1e300, "vmax": -1e300}[fname]
            for rng in over:
                if self.family[rng] != rng:  # a subrange: the others count as neutral
                    tree = Call("if_then_else", (self.range_mask(rng), tree, Const(neutral)))
                tree = Call(functions.AGGREGATES[fname], (tree, Name(self.range_dim[rng])))
            return tree
        terms = self._each_element(over, lambda: self.conv(args[0], owner))
        return functions.join_all(fname, terms)

    def _each_element(self, over: list[str], func: Callable[[], Any]) -> list:
        """``func()`` once per element of the ranges ``over``, each bound as ``range!``."""
        saved = self.binding
        out = []
        try:
            for combo in itertools.product(*(self.subs.ranges[r] for r in over)):
                self.binding = {**saved, **{r + "!": e for r, e in zip(over, combo)}}
                out.append(func())
        finally:
            self.binding = saved
        return out

    def _whole_vector(self, ast: Any, owner: str) -> Node:
        """ALLOCATE BY PRIORITY / ALLOCATE AVAILABLE (natively: along the requesters)."""
        read = array_calls.CONSTRUCTS[type(ast).__name__]
        if self.native:
            return getattr(self, f"native_{read.__name__}")(ast, owner)
        return read(self, ast, owner)

    # -------------------------------------------------------------- values
    def array_value(self, ident: str, array: Any) -> Node | np.ndarray:
        """The number of one element in a constant array definition (natively: the array)."""
        element, _, labels, _, lhs = self.comp_of[ident]
        array = np.asarray(array, dtype=float)
        ranges = self.subs.ranges
        if self.native:
            sizes = tuple(len(ranges[r]) for r in self.dims_of[ident])
            if array.size == 1:
                return self.conv(float(array.reshape(-1)[0]), element.name)
            if array.size != int(np.prod(sizes)) or not np.isfinite(array).all():
                raise NotNative(f"the constant array of '{element.name}'")
            return array.reshape(sizes)
        positions = [i for i, r in enumerate(lhs) if r is not None]
        sizes = tuple(len(ranges[lhs[i]]) for i in positions)
        if array.shape != sizes and array.size == int(np.prod(sizes)):
            array = array.reshape(sizes)  # tabbed arrays come flat
        if array.ndim == len(positions):
            index = tuple(self.subs.position[lhs[i]][labels[i]] for i in positions)
        elif array.size == 1:
            index = (0,) * array.ndim
        else:
            raise self.fail(f"a constant array of shape {array.shape}", self.names[ident])
        return self.conv(float(array[index]), element.name)

    def typed_call(self, name: str, x: Node, lookups: Any, owner: str) -> Node:
        """The call of lookup ``name`` at ``x``, by the type of its points ``lookups``."""
        kind = getattr(lookups, "type", "interpolate")
        if kind == "interpolate" or kind not in gf_types.TYPES:
            return Call(name, (x,))
        return gf_types.lookup_call(name, x, *self.table(lookups, owner, kinds=gf_types.TYPES),
                                    kind)

    def table(self, lookups: Any, owner: str, kinds: tuple = ("interpolate",)
              ) -> tuple[tuple, tuple]:
        """The points of a lookup (``LookupsStructure``) of one of the types ``kinds``."""
        if type(lookups).__name__ == "GetLookupsStructure":  # GET DIRECT/XLS LOOKUPS
            lookups = SimpleNamespace(type="interpolate", **dict(zip("xy", external.lookup_table(
                self.path, lookups.file, lookups.tab, lookups.x_row_or_col, lookups.cell,
                owner))))
        if type(lookups).__name__ not in ("LookupsStructure", "SimpleNamespace"):
            raise self.fail(type(lookups).__name__, owner)
        if lookups.type not in kinds:
            raise self.fail(f"a lookup of type '{lookups.type}'", owner)
        if len(lookups.x) > mdl_scan.MAX_LOOKUP_POINTS:
            raise ModelDefinitionError(
                f"{self.path.name}: the lookup of '{owner}' has {len(lookups.x)} points; gysim "
                f"reads lookups of at most {mdl_scan.MAX_LOOKUP_POINTS} points "
                f"(MAX_LOOKUP_POINTS): put long series in a data file")
        xs, ys = [], []
        for x, y in zip((float(v) for v in lookups.x), (float(v) for v in lookups.y)):
            if xs and x == xs[-1]:   # a repeated point: dropped if identical, else refused
                if y != ys[-1] and not (math.isnan(y) and math.isnan(ys[-1])):
                    raise ModelDefinitionError(
                        f"{self.path.name}: the lookup of '{owner}' has two points at x = "
                        f"{x:g} with different values ({ys[-1]:g} and {y:g}); keep one")
                continue
            xs.append(x)
            ys.append(y)
        return tuple(xs), tuple(ys)

    def order(self, ast: Any, owner: str) -> float:
        """The order of a DELAY N / SMOOTH N, evaluated at the initial time."""
        try:
            value = self.evaluate(self.conv(ast, owner), {})
        except (KeyError, TypeError, ValueError, ZeroDivisionError, ModelDefinitionError):
            raise self.fail("a DELAY N / SMOOTH N order that is not a constant", owner) from None
        return float(value)

    #: One converter per PySD construct, by class name (Python and NumPy numbers by
    #: their base classes' names; 'AbstractSyntax' and 'object': everything else).
    CONSTRUCTS: dict[str, Callable[[Converter, Any, str], Node]] = {
        "bool": _bool, "bool_": _bool,
        "int": _number, "float": _number, "integer": _number, "floating": _number,
        "ReferenceStructure": reference,
        "ArithmeticStructure": _arithmetic,
        "LogicStructure": _logic,
        "CallStructure": _call,
        "InitialStructure": _initial,
        "SmoothStructure": _smooth,
        "SmoothNStructure": _smooth_n,
        "DelayStructure": _delay,
        "DelayNStructure": _delay_n,
        "DelayFixedStructure": _delay_fixed,
        "InlineLookupsStructure": _inline_lookup,
        "TrendStructure": _trend,
        "GameStructure": _game,
        "SampleIfTrueStructure": _sample_if_true,
        "GetConstantsStructure": _get_constants,
        "ForecastStructure": _forecast,
        **dict.fromkeys(_REFUSED, _refused),
        "AbstractSyntax": _refused, "object": _refused,
    }
    CONSTRUCTS.update(dict.fromkeys(array_calls.CONSTRUCTS, _whole_vector))
