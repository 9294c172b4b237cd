"""Vensim macros, expanded into the main model when the file is read.

A Vensim macro (``:MACRO: NAME(in1, in2 : out2) ... :END OF MACRO:``) is a
self-contained set of equations called like a function. PySD's translator
gives each macro as a section of its abstract model (``type == "macro"``,
``params`` the inputs, ``returns`` the additional outputs); the calls stay in
the main model's equations as calls of the macro's name. :func:`expand_macros`
replaces every call by a fresh copy of the macro's variables:

* the copies are named after the calling element, the macro and the call's
  number within that element: the second call of ``SMOOTHIT`` in ``y`` makes
  ``'y SMOOTHIT 2 inner'`` for the macro variable ``inner`` (Vensim also
  prefixes expanded macro variables with the calling variable);
* each input becomes an element holding the call's argument expression
  (``'y SMOOTHIT 2 in1'``), evaluated once, in the caller's namespace;
* the call itself becomes a reference to the copy of the macro's output,
  the variable named like the macro;
* units naming an input (Vensim's convention) become the units of the
  argument when it names an element, else they are left empty;
* a stock inside the macro is one stock per call site, so that two calls
  accumulate independently;
* calls inside a macro (a macro using another macro, or a call as an
  argument of a call) are expanded recursively; a macro calling itself is
  refused.

Names inside a macro are local: a reference that is neither an input nor a
variable of the macro may only be ``Time``, a control variable or a model
variable marked with ``$`` (``TIME STEP$``); anything else is refused, as
Vensim would not connect it. A call from a subscripted equation gives every
copy the caller's subscripts (the macro's local references take them too).
Subscripts inside a macro definition, which Vensim does not allow, are
refused; so are calls naming additional outputs (``M(x : out)``), which PySD's
grammar does not read (:func:`gysim.io.mdl_scan.scan` refuses them by name).

Examples
--------
>>> from pysd.translators.structures.abstract_model import (
...     AbstractComponent, AbstractElement, AbstractSection)
>>> from pysd.translators.structures.abstract_expressions import (
...     ArithmeticStructure, CallStructure, ReferenceStructure)
>>> def section(name, kind, params, elements):
...     return AbstractSection(name, None, kind, params, [], [], elements, [], [], False, None)
>>> body = AbstractElement("TWICE", [AbstractComponent(([], []), ArithmeticStructure(
...     ["*"], (ReferenceStructure("a"), 2)))])
>>> macro = section("twice", "macro", ["a"], [body])
>>> call = CallStructure(ReferenceStructure("twice"), (3,))
>>> main = section("__main__", "main", [], [
...     AbstractElement("y", [AbstractComponent(([], []), call)])])
>>> expanded = expand_macros([main, macro], "m.mdl")
>>> [e.name for e in expanded.elements]
['y', 'y TWICE 1 a', 'y TWICE 1 TWICE']
>>> expanded.elements[0].components[0].ast
ReferenceStructure(reference='y_twice_1_twice', subscripts=None)
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..errors import ModelDefinitionError
from .names import CONTROL, reference_key

__all__ = ["expand_macros", "MAX_MACRO_COPIES"]

#: At most this many macro variables are made by expansion (a guard against
#: macros calling macros many times over).
MAX_MACRO_COPIES = 100_000


class _Expander:
    """Expands the macro calls of one file's main section."""

    def __init__(self, macros: dict[str, Any], taken: set[str], label: str) -> None:
        self.macros = macros
        self.taken = taken
        self.label = label
        self.made: list[Any] = []
        self.stack: list[str] = []
        self.units: dict[str, str] = {}  # element key -> units (to resolve units naming inputs)

    def fail(self, why: str, element: str) -> ModelDefinitionError:
        return ModelDefinitionError(f"{self.label}: {why} (in '{element}')")

    # ------------------------------------------------------------ trees
    def rewrite(self, ast: Any, ctx: dict) -> Any:
        """``ast`` with its macro calls expanded and (in a macro) its names made global."""
        kind = type(ast).__name__
        if isinstance(ast, (list, tuple)):
            return type(ast)(self.rewrite(a, ctx) for a in ast)
        if kind == "CallStructure" and type(ast.function).__name__ == "ReferenceStructure":
            key = reference_key(ast.function.reference)
            if key in self.macros:
                args = tuple(self.rewrite(a, ctx) for a in ast.arguments)
                return self.call(self.macros[key], args, ctx)
            local = ctx.get("local") or {}
            function = self.reference(ast.function, ctx) if key in local else ast.function
            return dataclasses.replace(ast, function=function,  # a built-in stays as it is
                                       arguments=self.rewrite(ast.arguments, ctx))
        if kind == "ReferenceStructure":
            return self.reference(ast, ctx)
        if kind == "SubscriptsReferenceStructure" or not dataclasses.is_dataclass(ast):
            return ast
        changes = {f.name: self.rewrite(getattr(ast, f.name), ctx)
                   for f in dataclasses.fields(ast)}
        return dataclasses.replace(ast, **changes)

    def reference(self, ast: Any, ctx: dict) -> Any:
        local = ctx.get("local")
        if local is None:
            return ast
        key = reference_key(ast.reference)
        if key in local:
            if ast.subscripts is not None:
                raise self.fail(f"the macro '{ctx['macro']}' subscripts its own variable "
                                f"'{ast.reference}'; gysim reads macros without subscripts "
                                f"inside (as Vensim defines them)", ctx["element"])
            subs = ctx["subs"]
            return dataclasses.replace(ast, reference=local[key], subscripts=(
                _subscripts(subs) if subs else None))
        if key.endswith("$"):
            return dataclasses.replace(ast, reference=key[:-1].rstrip("_"))
        if key == "time" or key in CONTROL:
            return ast
        raise self.fail(f"the macro '{ctx['macro']}' refers to '{ast.reference}', which is "
                        f"neither one of its inputs nor one of its variables (a model "
                        f"variable is written with a $ inside a macro: '{ast.reference}$')",
                        ctx["element"])

    # ------------------------------------------------------------ calls
    def call(self, macro: Any, args: tuple, ctx: dict) -> Any:
        """Copy ``macro`` for one call; the reference to the copy of its output."""
        name = _shown(macro)
        where = ctx["element"]
        if name in self.stack:
            raise self.fail(f"the macro '{name}' calls itself (through "
                            f"{' > '.join(self.stack + [name])}); gysim expands macros and "
                            f"cannot expand a recursive one", where)
        if len(args) != len(macro.params):
            raise self.fail(f"the macro '{name}' takes {len(macro.params)} inputs, the call "
                            f"gives {len(args)}", where)
        if macro.subscripts or any(c.subscripts[0] or c.subscripts[1]
                                   for e in macro.elements for c in e.components):
            raise self.fail(f"the macro '{name}' has subscripts inside its definition; "
                            f"gysim reads macros without them (as Vensim defines them; the "
                            f"call may pass subscripted values)", where)
        ctx["count"][0] += 1
        prefix = f"{ctx['caller']} {name} {ctx['count'][0]}"
        local: dict[str, str] = {}
        names: dict[str, str] = {}
        for var in list(macro.params) + [e.name for e in macro.elements]:
            if reference_key(var) in local:
                raise self.fail(f"the macro '{name}' defines '{var}' twice", where)
            names[var] = self._unique(f"{prefix} {var}")
            local[reference_key(var)] = reference_key(names[var])
        output = local.get(reference_key(name))
        if output is None or reference_key(name) in map(reference_key, macro.params):
            raise self.fail(f"the macro '{name}' has no equation for its output '{name}'",
                            where)
        if len(self.made) + len(local) > MAX_MACRO_COPIES:
            raise self.fail(f"expanding the macros makes more than {MAX_MACRO_COPIES} "
                            f"variables (MAX_MACRO_COPIES)", where)
        comp_subs = ctx["comp_subs"]
        units = {}
        for param, arg in zip(macro.params, args):
            units[reference_key(param)] = (self.units.get(reference_key(arg.reference), "")
                                           if type(arg).__name__ == "ReferenceStructure"
                                           else "")
            self.units[reference_key(names[param])] = units[reference_key(param)]
            self.made.append(_element(names[param], arg, comp_subs, units[reference_key(param)],
                                      f"input '{param}' of the call of macro '{name}'"))
        self.stack.append(name)
        try:
            for element in macro.elements:
                inner = {"local": local, "macro": name, "element": names[element.name],
                         "caller": names[element.name], "count": [0], "subs": ctx["subs"],
                         "comp_subs": comp_subs}
                comps = [dataclasses.replace(c, subscripts=comp_subs,
                                             ast=self.rewrite(c.ast, inner))
                         for c in element.components]
                # units naming an input are the units of the argument (if it names an element)
                unit = units.get(reference_key(element.units or ""), element.units)
                self.units[reference_key(names[element.name])] = unit
                self.made.append(dataclasses.replace(element, name=names[element.name],
                                                     components=comps, units=unit))
        finally:
            self.stack.pop()
        from pysd.translators.structures.abstract_expressions import ReferenceStructure
        subs = ctx["subs"]
        return ReferenceStructure(output, _subscripts(subs) if subs else None)

    def _unique(self, name: str) -> str:
        candidate, i = name, 2
        while reference_key(candidate) in self.taken:
            candidate = f"{name} {i}"
            i += 1
        self.taken.add(reference_key(candidate))
        return candidate


def _shown(macro: Any) -> str:
    """The macro's name as its output variable spells it."""
    key = reference_key(macro.name)
    return next((e.name for e in macro.elements if reference_key(e.name) == key), macro.name)


def _subscripts(subs: list) -> Any:
    """The subscripts of a reference to a copy made for a subscripted call."""
    from pysd.translators.structures.abstract_expressions import (
        SubscriptsReferenceStructure)
    return SubscriptsReferenceStructure(list(subs))


def _element(name: str, ast: Any, comp_subs: tuple, units: str, doc: str) -> Any:
    from pysd.translators.structures.abstract_model import AbstractComponent, AbstractElement
    return AbstractElement(name, [AbstractComponent(comp_subs, ast)], units=units,
                           documentation=doc)


def expand_macros(sections: list, label: str) -> Any:
    """The main section of ``sections`` with every macro call expanded.

    Parameters
    ----------
    sections : list of AbstractSection
        PySD's sections of one file: one ``"main"``, any number of ``"macro"``.
    label : str
        The file's name, for messages.

    Returns
    -------
    AbstractSection
        The main section itself when the file has no macro; else a copy whose
        elements are the main ones (their macro calls replaced by references)
        followed by the copies of the macros' variables.

    Raises
    ------
    ModelDefinitionError
        For a recursive macro, a call with the wrong number of inputs, a macro
        with subscripts inside, or a macro referring to a name outside itself
        without ``$``, naming the macro and the element.
    """
    main = next(s for s in sections if s.type == "main")
    others = [s for s in sections if s.type != "main"]
    if not others:
        return main
    strange = [s for s in others if s.type != "macro"]
    if strange:
        raise ModelDefinitionError(f"{label}: a section of type '{strange[0].type}' "
                                   f"('{strange[0].name}') is not read")
    macros = {reference_key(s.name): s for s in others}
    taken = {reference_key(e.name) for e in main.elements}
    taken |= {reference_key(s.name) for s in main.subscripts}
    expander = _Expander(macros, taken, label)
    expander.units = {reference_key(e.name): e.units or "" for e in main.elements}
    elements = []
    for element in main.elements:
        count = [0]
        comps = []
        for comp in element.components:
            subs = [s for s in (comp.subscripts[0] if comp.subscripts else [])]
            ctx = {"local": None, "element": element.name, "caller": element.name,
                   "count": count, "subs": subs, "comp_subs": comp.subscripts}
            comps.append(dataclasses.replace(comp, ast=expander.rewrite(comp.ast, ctx)))
        elements.append(dataclasses.replace(element, components=comps) if count[0]
                        else element)
    return dataclasses.replace(main, elements=elements + expander.made)
