"""Build a :class:`gysim.Model` from PySD's abstract model of a Vensim or XMILE file.

PySD's translators parse a model file into an ``AbstractModel``: sections of
elements whose equations are trees of ``*Structure`` objects. This module
lays out the file's elements as gysim elements, converts their equations
(:mod:`gysim.io.convert`), handles ACTIVE INITIAL and the control variables,
and builds the :class:`~gysim.Model` with a :class:`~gysim.io.SourceInfo`.

Subscripts (Vensim) and arrays (XMILE) become native gysim dimensions
(:mod:`gysim.io.native`): each family of ranges (a range with its subranges)
is a ``m.dimension`` (labels made identifiers: ``model.source.dims``,
``model.source.labels``), elements take ``dims=``, references broadcast by
dimension name (a single label is a selection ``x[label]``; a mapped range a
sum with a 0/1 matrix), ``SUM``/``PROD``/``VMIN``/``VMAX`` over ``dim!``
become ``sum``/``prod``/``min``/``max(x, dim)`` (over a subrange, with a mask),
ALLOCATE AVAILABLE / BY PRIORITY an allocation along the requesters' dimension,
an element defined in parts (per element, per subrange, :EXCEPT:) chooses
among them by masks, and results carry the dimensions.

Beyond that (``model.source.fallback`` says why) subscripts are expanded element
by element: each element of a subscripted variable becomes one scalar gysim
element (``Stock A[Entry 1]`` becomes ``stock_a_entry_1``), with every reference resolved to
the element it means under Vensim's rules (ranges, subranges, mappings ``->``,
positional correspondence of equal-size ranges, :EXCEPT:, element-by-element
definitions); ``SUM``/``PROD``/``VMIN``/``VMAX`` over ``dim!`` become sums,
products, minima and maxima of the elements, ``ELMCOUNT`` a constant and a
subscripted lookup one lookup per element. The run is still vectorized over
runs; ``model.source.subscripts`` keeps the layout so that results can be
stacked into dimensions (:func:`gysim.io.stack_subscripts`).

Examples
--------
>>> from gysim.io.build import build_model  # doctest: +SKIP
>>> build_model(abstract, Path("m.mdl"), "Vensim")  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..errors import ModelDefinitionError
from ..expr import BinOp, BoolOp, Call, Compare, Const, IfExp, Name, Node, UnaryOp, to_text, walk
from ..model import Model
from . import data_vars, external_arrays, gf_types, mdl_scan
from .convert import Converter, NotNative
from .functions import INITIAL_ARG
from .macros import expand_macros
from .native import NativeLayout
from .native_allocation import NativeAllocation
from .native_vectors import NativeVectors
from .names import CONTROL, reference_key, safe_identifier, shown_name
from .source import SourceInfo

__all__ = ["build_model", "ModelBuilder"]

_NO_SUBSCRIPTS = "no subscripted element"

#: Children of gysim nodes that transformations of a tree rebuild (a Subscript is a leaf).
_CHILDREN = {BinOp: ("left", "right"), UnaryOp: ("operand",), Compare: ("left", "right"),
             BoolOp: ("values",), IfExp: ("test", "body", "orelse"), Call: ("args",)}


def _map_children(tree: Node, func: Callable[[Node], Node]) -> Node:
    """``tree`` with ``func`` applied to each child (leaves unchanged)."""
    fields = _CHILDREN.get(type(tree))
    if not fields:
        return tree
    changes = {}
    for name in fields:
        value = getattr(tree, name)
        changes[name] = tuple(func(v) for v in value) if isinstance(value, tuple) else func(value)
    return dataclasses.replace(tree, **changes)


class ModelBuilder(NativeVectors, NativeLayout, NativeAllocation, Converter):
    """Lays out one abstract model's elements, converts them and builds the gysim model."""

    def __init__(self, abstract_model: Any, path: Path, language: str,
                 native: bool = False) -> None:
        main = expand_macros(abstract_model.sections, path.name)
        super().__init__(main, path, language, native)
        self.constant_errors = external_arrays.read_constant_arrays(self)
        self.subscripted: dict[str, tuple] = {}  # original name -> (ranges, labels -> ident)
        # specs: (kind, ident, payload, element)
        self.specs: list[tuple[str, str, Any, Any]] = []
        self.active_initial: dict[str, Node] = {}
        self.equations: dict[str, Node] = {}
        self.range_dim: dict[str, str] = {}       # native: range -> its family's dimension
        self.parts: dict[str, list] = {}           # native: identifier -> [(definition, mask)]
        self.range_masks: dict[str, str] = {}      # native: subrange -> its mask constant
        self.extra_params: list[tuple] = []        # native: (name, values, dims, doc)
        if native:
            if not self._layout_native():
                raise NotNative(_NO_SUBSCRIPTS)
        else:
            self._layout_elements()

    # -------------------------------------------------------------- layout
    def _layout_elements(self) -> None:
        """Each element of a subscripted variable as one scalar gysim element."""
        for element in self.section.elements:
            key = reference_key(element.name)
            inst: dict[tuple, str] = {}
            for comp in element.components:
                subs = list(comp.subscripts[0]) if comp.subscripts else []
                self.default_subs.setdefault(key, subs)
                for labels, binding, lhs in self.subs.expand(comp, element.name):
                    if len(self.comp_of) >= mdl_scan.MAX_ELEMENTS:
                        raise ModelDefinitionError(
                            f"{self.path.name}: read element by element, the file's subscripted "
                            f"variables make more than {mdl_scan.MAX_ELEMENTS} elements "
                            f"(MAX_ELEMENTS), the first beyond it in '{element.name}'")
                    shown = shown_name(element.name, labels)
                    if labels in inst:
                        raise self.fail(f"a second definition of {shown}", element.name)
                    ident = safe_identifier(shown, self.taken)
                    inst[labels] = ident
                    self.names[ident] = shown
                    self.comp_of[ident] = (element, comp, labels, binding, lhs)
                    if type(comp).__name__ == "AbstractLookup":
                        self.kinds[ident] = "lookup"
            self.instances[key] = inst
            if () in inst:
                self.by_key[key] = inst[()]
            elif inst:
                ranges = [self.subs.range_canon.get(reference_key(s))
                          for s in self.default_subs[key]]
                self.subscripted[element.name] = (tuple(ranges), dict(inst))

    # -------------------------------------------------------------- elements
    def collect(self) -> None:
        """Convert every element: control variables first (others may use them)."""
        for element in self.section.elements:
            key = reference_key(element.name)
            if key in CONTROL and len(element.components) == 1:
                self.control[key] = self.conv(element.components[0].ast, element.name)
        for ident in self.comp_of:
            self.in_context(ident, self.collect_one, ident)

    def collect_one(self, ident: str) -> None:
        """The spec of one (element of an) element of the file."""
        element, comp, labels, _, _ = self.comp_of[ident]
        original = self.names[ident]
        control = (type(element).__name__ == "AbstractControlElement"
                   or reference_key(element.name) in CONTROL)
        ctype = type(comp).__name__
        keys = (ctype == "AbstractData" and ctype, control and "control", ctype,
                type(comp.ast).__name__)  # in this order of precedence
        kind = next((k for k in keys if k in self._COMPONENTS), None)
        self.native_lhs = self.defined_labels(ident)
        if ident in self.parts:
            return self._parted(ident, element, original)
        self._COMPONENTS.get(kind, ModelBuilder._equation)(self, ident, element, comp, labels,
                                                          original)

    def _parted(self, ident, element, original) -> None:
        """An element defined in parts (per element, per subrange, :EXCEPT:), natively."""
        comps = [comp for comp, _ in self.parts[ident]]
        kinds = {type(c).__name__ for c in comps} | {type(c.ast).__name__ for c in comps}
        if "IntegStructure" in kinds:
            if any(type(c.ast).__name__ != "IntegStructure" for c in comps) or len(
                    {bool(c.ast.non_negative) for c in comps}) != 1:
                raise NotNative(f"the stock '{original}' defined in unlike parts")

            def initial(comp):
                if isinstance(comp.ast.initial, np.ndarray):
                    raise NotNative(f"the constant array initial value of '{original}'")
                return self.conv(comp.ast.initial, original)

            init = self.assemble(ident, initial)
            flow = self.assemble(ident, lambda comp: self.conv(comp.ast.flow, original))
            if isinstance(flow, np.ndarray):
                flow = Name(self._extra(ident, "rates", flow))
            self.specs.append(("stock", ident, (init, flow, bool(comps[0].ast.non_negative)),
                               element))
            return
        if "CallStructure" in kinds and any(
                type(c.ast.function).__name__ == "ReferenceStructure"
                and c.ast.function.reference == "active_initial"
                for c in comps if type(c.ast).__name__ == "CallStructure"):
            raise NotNative(f"ACTIVE INITIAL in the parts of '{original}'")
        tree = self.assemble(ident, lambda comp: (
            data_vars.data_tree(self, ident, comp, original)
            if type(comp).__name__ == "AbstractData" else self.conv(comp.ast, original)))
        if not isinstance(tree, np.ndarray):
            self.equations[ident] = tree
        self.specs.append(("aux", ident, tree, element))

    def _extra(self, ident: str, what: str, values: np.ndarray) -> str:
        name = safe_identifier(f"{ident} {what}", self.taken)
        self.extra_params.append((name, values, tuple(self.dim_id[f] for f in
                                                      self.dims_of[ident]),
                                  f"{what} of {self.names[ident]}"))
        return name

    def _control(self, ident, element, comp, labels, original) -> None:
        if reference_key(element.name) not in CONTROL or labels:
            raise self.fail("the control variable", original)
        tree = self.conv(comp.ast, original)
        self.control[reference_key(element.name)] = tree
        self.specs.append(("control", ident, tree, element))

    def _data(self, ident, element, comp, labels, original) -> None:
        tree = data_vars.data_tree(self, ident, comp, original)
        self.equations[ident] = tree
        self.specs.append(("aux", ident, tree, element))

    def _lookup(self, ident, element, comp, labels, original) -> None:
        self.specs.append(("lookup", ident, self.table(comp.ast, original, kinds=gf_types.TYPES),
                           element))

    def _stock(self, ident, element, comp, labels, original) -> None:
        ast = comp.ast
        flow = self.conv(ast.flow, original)
        initial = (self.array_value(ident, ast.initial)
                   if isinstance(ast.initial, np.ndarray) else self.conv(ast.initial, original))
        self.specs.append(("stock", ident, (initial, flow, bool(ast.non_negative)), element))

    def _equation(self, ident, element, comp, labels, original) -> None:
        ast = comp.ast
        if (type(ast).__name__ == "CallStructure"
                and type(ast.function).__name__ == "ReferenceStructure"
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

    #: What each kind of definition becomes: control variables, PySD's component
    #: classes, INTEG; anything else is an equation.
    _COMPONENTS = {"control": _control, "AbstractData": _data, "AbstractLookup": _lookup,
                   "IntegStructure": _stock}

    # -------------------------------------------------------------- ACTIVE INITIAL
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
        return _map_children(tree, lambda child: self.initial_version(child, stack))

    def _uses_active(self, name: str, seen: set) -> bool:
        if name in self.active_initial:
            return True
        if name in seen or name not in self.equations:
            return False
        seen.add(name)
        return any(isinstance(n, Name) and self._uses_active(n.id, seen)
                   for n in walk(self.equations[name]))

    def _initial_calls(self, tree: Node) -> Node:
        """INITIAL(x) of an ACTIVE INITIAL element takes its initial value."""
        if not self.active_initial:
            return tree
        tree = _map_children(tree, self._initial_calls)
        if isinstance(tree, Call):
            args = tree.args
            if tree.func == "initial":
                args = (self.initial_version(args[0]),)
            elif tree.func in INITIAL_ARG and len(args) > 2:
                args = args[:2] + (self.initial_version(args[2]),) + args[3:]
            return Call(tree.func, args)
        return tree

    # -------------------------------------------------------------- the model
    def _control_values(self) -> dict[str, float]:
        for key in ("initial_time", "final_time", "time_step"):
            if key not in self.control:
                raise ModelDefinitionError(
                    f"{self.path.name}: the control variable {key.upper().replace('_', ' ')} "
                    f"is missing")
        values = {}
        for key in CONTROL:
            if key in self.control:
                shown = key.upper().replace("_", " ")
                try:
                    values[key] = self.fold_control(self.control[key], shown)
                except (KeyError, TypeError, ValueError, ZeroDivisionError, OverflowError) as exc:
                    why = str(exc) if isinstance(exc, TypeError) and isinstance(
                        exc.args[0], str) else "it is not computable before the run"
                    if key == "final_time":  # may change during the run: an auxiliary
                        values[key] = self.final_time_horizon(self.control[key], why)
                        continue
                    raise ModelDefinitionError(
                        f"{self.path.name}: the control variable {shown} must be a constant "
                        f"(numbers, other constants and pure functions of them): {why} (only "
                        f"FINAL TIME may change during the run: a run starts once and keeps "
                        f"one time step and save period)") from None
        return values

    def build(self, fallback: str = "") -> Model:
        """The gysim model; ``fallback`` goes to its ``source.fallback``."""
        self.collect()
        values = self._control_values()
        dt = values["time_step"]
        time_units = ""
        for _, ident, _, element in self.specs:
            if reference_key(element.name) == "time_step":
                time_units = element.units or ""
        model = Model(self.path.stem, start=values["initial_time"], stop=values["final_time"],
                      dt=dt, method="euler", time_units=time_units or "time",
                      doc=f"read from {self.path.name} by gysim's {self.language} reader",
                      check_units_on_run=False)  # free-text units of other tools: on request
        model.saveper = values.get("saveper", dt)
        for dim, labels in self.dimension_labels():  # families, then their aliases
            model.dimension(dim, labels)
        for kind, ident, payload, element in self.specs:
            self._add(model, kind, ident, payload, element, values)
        for name, array, dims, doc in self.extra_params:
            self.names[name] = doc
            model.param(name, array, doc=doc, source=self.path.name, dims=dims)
        for name, x, y, owner in self.lookups_extra:
            self.names[name] = f"lookup of {owner}"
            model.lookup(name, x, y, doc=f"inline lookup of {owner}", source=self.path.name)
        model.source = SourceInfo(
            path=self.path, language=self.language, names=dict(self.names),
            dims=dict(self.dim_id), labels=dict(self.label_id),
            ranges={r: tuple(labels) for r, labels in self.subs.ranges.items()},
            subscripts={name: (ranges, {labels: ident for labels, ident in inst.items()
                                        if ident in self.names})
                        for name, (ranges, inst) in self.subscripted.items()},
            fallback=fallback)
        return model

    def _add(self, model: Model, kind: str, ident: str, payload: Any, element: Any,
             values: dict[str, float]) -> None:
        """Add one spec to ``model``."""
        dims = tuple(self.dim_id[r] for r in self.dims_of.get(ident, ())) or None
        doc = self.names[ident]
        if getattr(element, "documentation", ""):
            doc += " — " + " ".join(str(element.documentation).split())
        units = element.units or ""
        src = f"{self.path.name}"
        if kind == "control" and ident in self.dynamic_controls:
            model.aux(ident, to_text(self._initial_calls(payload)), units=units, doc=doc,
                      source=src)
            model.final_time_variable = ident
        elif kind == "control":
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
        elif isinstance(payload, np.ndarray):
            model.param(ident, payload, units=units, doc=doc, source=src, dims=dims)
        elif isinstance(payload, Const) and ident not in self.active_initial:
            model.param(ident, payload.value, units=units, doc=doc, source=src, dims=dims)
        else:
            model.aux(ident, to_text(self._initial_calls(payload)), units=units, doc=doc,
                      source=src, dims=dims)


def build_model(abstract_model: Any, path: Path, language: str, *, native: bool = True) -> Model:
    """Build a gysim model from PySD's abstract model of the file at ``path``.

    Subscripts become native gysim dimensions (:mod:`gysim.io.native`); a
    file beyond them (ranges overlapping without a range holding both,
    INVERT MATRIX of a matrix that is not constant) has each element of a
    subscripted variable read as a scalar element, and ``model.source.fallback`` says
    why ('' when the model is native or has no subscripts). ``native=False``
    always reads subscripts element by element.

    Parameters
    ----------
    abstract_model : pysd.translators.structures.abstract_model.AbstractModel
        What PySD's Vensim or XMILE translator made of the file.
    path : pathlib.Path
        The file (its stem names the model).
    language : {"Vensim", "XMILE"}
        The file's language.
    native : bool
        Try native dimensions first (default).

    Returns
    -------
    Model
        With ``model.source`` a :class:`~gysim.io.SourceInfo`.

    Examples
    --------
    >>> import tempfile
    >>> from pysd.translators.vensim.vensim_file import VensimFile
    >>> f = Path(tempfile.mkdtemp()) / "m.mdl"
    >>> _ = f.write_text("{UTF-8}\\nd: a, b ~ ~|\\nx[d] = 1 ~ ~|\\n"
    ...                  "INITIAL TIME = 0 ~ ~|\\nFINAL TIME = 2 ~ ~|\\nTIME STEP = 1 ~ ~|\\n")
    >>> vfile = VensimFile(f)
    >>> _ = vfile.parse()
    >>> m = build_model(vfile.get_abstract_model(), f, "Vensim", native=False)
    >>> sorted(m.params), m.source.fallback
    (['final_time', 'initial_time', 'time_step', 'x_a', 'x_b'], 'native=False')
    """
    path = Path(path)
    if not native:
        return ModelBuilder(abstract_model, path, language).build(fallback="native=False")
    try:
        model = ModelBuilder(abstract_model, path, language, native=True).build()
        model.compile()  # dimension checks of the engine: fall back if they object
        return model
    except (NotNative, ModelDefinitionError) as exc:
        if getattr(exc, "model_error", False):  # wrong in any reading, e.g. a singular matrix
            raise
        why = "" if str(exc) == _NO_SUBSCRIPTS else str(exc)
    return ModelBuilder(abstract_model, path, language).build(fallback=why)
