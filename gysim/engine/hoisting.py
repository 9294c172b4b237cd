"""Hoisting: values that depend on parameters only are computed once per run.

Whole variables that depend on parameters only, then the largest
parameter-only sub-expressions of the other equations (e.g. ``1 - a`` in
``x ** (1 - a)``), become *static* values: entries of the tuple ``S`` that
the generated ``prepare(P)`` returns, instead of work at every step.

Examples
--------
>>> import gysim
>>> m = gysim.Model("m")
>>> m.stock("x", 1.0)
>>> m.param("a", 0.3)
>>> m.flow("f", "x ** (1 - a)", into="x")
>>> m.compile().static_names
['_static_0']
"""

from __future__ import annotations

from ..builtins import BUILTINS
from ..elements import DataInput
from ..expr import Call, Const, Name, Node, map_children, walk
from .program import Program

__all__ = ["Hoisting"]


class Hoisting:
    """Finds the static values of a program and rewrites the rest to use them."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.params = set(program.param_names)
        self.statics: set[str] = set()

    def is_static(self, tree: Node) -> bool:
        """True when a tree depends on parameters only: no time, no state."""
        dimensions = self.program.model.dimensions
        elements = self.program.model.elements
        for node in walk(tree):
            if isinstance(node, Name):
                if node.id not in self.params and node.id not in self.statics \
                        and node.id not in dimensions:
                    return False
            elif isinstance(node, Call):
                spec = BUILTINS.get(node.func)
                if spec is not None and spec.kind != "pure":
                    return False
                if isinstance(elements.get(node.func), DataInput):
                    return False
        return True

    def hoist(self, tree: Node) -> Node:
        """Replace the largest parameter-only sub-expressions by static values."""
        if isinstance(tree, (Const, Name)):
            return tree
        if self.is_static(tree):
            program = self.program
            name = f"_static_{len(program.static_names)}"
            program.equations[name] = tree
            self.statics.add(name)
            program.static_names.append(name)
            return Name(name)
        return map_children(tree, self.hoist)

    def run(self) -> None:
        """Mark whole static variables, then hoist within the others."""
        program = self.program
        for n in program.order:
            if self.is_static(program.equations[n]):
                self.statics.add(n)
                program.static_names.append(n)
        for n in program.order:
            if n not in self.statics:
                program.equations[n] = self.hoist(program.equations[n])
        for s, tree in list(program.hidden_derivs.items()):
            program.hidden_derivs[s] = self.hoist(tree)
        program.delay_inputs = [self.hoist(d.input) for d in program.delays_fixed]
