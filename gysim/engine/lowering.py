"""Lowering: stateful builtins become hidden stocks; the state layout; breakpoints.

Each call of a stateful builtin (``smooth``, ``delay3``, ``initial``, ...) is
replaced by the tree its row of :data:`gysim.builtins.BUILTINS` returns
(``lower``), after the hidden stocks (or fixed delays) it needs are added
through the :class:`Lowering` context. Every integration method then treats
them exactly like user stocks.

Examples
--------
>>> import gysim
>>> m = gysim.Model("m")
>>> m.stock("x", 1.0)
>>> m.flow("f", "delay3(x, 3)", into="x")
>>> cm = m.compile()
>>> cm.state_names
['x', '_delay_f_1', '_delay_f_2', '_delay_f_3']
"""

from __future__ import annotations

import numpy as np

from ..builtins import BUILTINS
from ..elements import Aux, DataInput, Flow, Param, Stock
from ..expr import BinOp, Call, Const, Name, Node, map_children, walk
from ..random_draws import call_key
from .dims import Dimensions
from .program import DelayFixedSpec, Program, local_name

__all__ = ["Lowering", "breakpoints"]


class Lowering:
    """The lowering stage of one program (the :class:`~gysim.builtins.LoweringContext`).

    Parameters
    ----------
    program : Program
        Completed in place: equations, initial values, hidden stocks, fixed
        delays and the state layout.
    """

    def __init__(self, program: Program) -> None:
        self.program = program
        self.dims: Dimensions | None = None
        self._counter = 0
        self._random_calls: dict[str, int] = {}

    # ---- the LoweringContext the builtins' rows use
    def hidden(self, prefix: str, owner: str) -> str:
        """A new hidden variable name, e.g. ``_smooth_births_3``."""
        self._counter += 1
        return f"_{prefix}_{owner}_{self._counter}"

    def as_name(self, tree: Node, prefix: str, owner: str) -> Node:
        """Give a non-trivial argument its own hidden aux, so it is computed once."""
        if isinstance(tree, (Name, Const)):
            return tree
        name = self.hidden(prefix, owner)
        self.program.equations[name] = tree
        return Name(name)

    def add_state(self, name: str, initial: Node, derivative: Node) -> None:
        """A hidden stock with its initial value and derivative."""
        self.program.hidden_states.append(name)
        self.program.initials[name] = initial
        self.program.hidden_derivs[name] = derivative

    def define(self, name: str, tree: Node) -> None:
        """The equation of a hidden variable named by :meth:`hidden`."""
        self.program.equations[name] = tree

    def fixed_delay(self, input: Node, delay_time: Node, initial: Node, owner: str, *,
                    prefix: str = "delay_fixed", why: str | None = None,
                    dims: tuple[str, ...] | None = None) -> Name:
        """A fixed delay of ``input`` by ``delay_time``; its output's name.

        ``why`` describes the delay in errors (default: the owner's name). The
        output spans ``dims`` (default: the dims of the input and the initial
        value together); the delay time must not vary along dimensions.
        """
        out = self.hidden(prefix, owner)
        if self.dims is not None and self.dims.dimensions:
            if dims is None:
                dims = self.dims.union(self.dims.infer(input, owner),
                                       self.dims.infer(initial, owner))
            self.dims.declare(out, tuple(dims))
        self.program.delays_fixed.append(
            DelayFixedSpec(out, input, delay_time, initial, why or owner))
        return Name(out)

    def random_context(self, owner: str) -> tuple[Node, ...]:
        """Call key (the owner and the call's position in it), start time, time step and
        the owner's shape: the leading arguments of a lowered random draw."""
        position = self._random_calls.get(owner, 0)
        self._random_calls[owner] = position + 1
        model = self.program.model
        shape = (self.dims.full_shape(self.dims.dims_of(owner))
                 if self.dims is not None and self.dims.dimensions else ())
        return (Const(call_key(owner, position)), Const(float(model.start)),
                Const(float(getattr(model, "dt", None) or 1.0)), Const(float(len(shape))),
                *(Const(float(n)) for n in shape))

    def dims_of_tree(self, tree: Node, owner: str) -> tuple[str, ...]:
        """The dimensions a tree of ``owner``'s equation spans."""
        if self.dims is None or not self.dims.dimensions:
            return ()
        return self.dims.infer(tree, owner)

    def shaped_like(self, name: str, owner: str) -> None:
        """The hidden variable ``name`` has the dims of its owner (a random draw's state)."""
        if self.dims is not None and self.dims.dimensions:
            self.dims.declare(name, self.dims.dims_of(owner))

    def varies(self, tree: Node) -> bool:
        """Whether ``tree`` may change during a run (uses time, a state, a data input...).

        Follows auxiliaries and hidden values through a work list (chains of
        thousands of auxiliaries do not recurse).
        """
        program = self.program
        elements = program.model.elements
        dimensions = program.model.dimensions
        pending, seen = [tree], set()
        while pending:
            for node in walk(pending.pop()):
                if isinstance(node, Call):
                    spec = BUILTINS.get(node.func)
                    if spec is not None and spec.kind in ("time", "stateful"):
                        return True
                elif isinstance(node, Name) and node.id not in seen:
                    seen.add(node.id)
                    element = elements.get(node.id)
                    if node.id in dimensions or isinstance(element, Param):
                        continue
                    if isinstance(element, Aux):
                        pending.append(element.tree)
                    elif node.id.startswith("_") and node.id in program.equations:
                        pending.append(program.equations[node.id])
                    else:  # time, stocks, flows, data inputs, hidden states
                        return True
        return False

    # ---- the stage
    def expand(self, tree: Node, owner: str) -> Node:
        """Rewrite a tree bottom-up, replacing stateful calls by hidden variables."""
        tree = map_children(tree, lambda child: self.expand(child, owner))
        if isinstance(tree, Call):
            spec = BUILTINS.get(tree.func)
            if spec is not None and spec.lower is not None:
                return spec.lower(self, tree.args, owner)
        return tree

    def run(self, dims: Dimensions) -> None:
        """Lower every equation, then lay out the state array."""
        program = self.program
        elements = program.model.elements
        self.dims = dims
        for n, e in elements.items():
            if isinstance(e, Stock):
                program.initials[n] = e.initial
                if e.values is not None:  # one number per element: a constant of the code
                    const = f"_initval_{n}"
                    dims.declare(const, e.dims)
                    program.constants[local_name(const)] = np.asarray(
                        e.values, dtype=float).reshape(dims.full_shape(e.dims) + (1,))
                    program.initials[n] = Name(const)
        for n, e in elements.items():
            if isinstance(e, (Flow, Aux)):
                program.equations[n] = self.expand(e.tree, owner=n)
            elif isinstance(e, DataInput):
                program.equations[n] = Call(n, (Name("time"),))
        # A state over dims takes prod(sizes) consecutive rows of the state array.
        row = 0
        for s in program.state_names:
            size = int(np.prod(dims.full_shape(dims.dims_of(s))))
            program.state_rows[s] = (row, row + size)
            row += size
        program.n_state_rows = row


def breakpoints(program: Program, dims: Dimensions) -> list[Node]:
    """Times at which step, ramp or pulse make the derivatives jump.

    Only times made of numbers and scalar parameters are kept; adaptive
    methods integrate up to each such time and restart after it.
    """
    found: list[Node] = []
    for tree in program.equations.values():
        for node in walk(tree):
            if isinstance(node, Call):
                spec = BUILTINS.get(node.func)
                if spec is not None and spec.breaks is not None:
                    found.extend(spec.breaks(node.args))
    params = {p for p in program.param_names if not dims.dims_of(p)}
    return [t for t in found
            if all(isinstance(n, (Const, BinOp)) or (isinstance(n, Name) and n.id in params)
                   for n in walk(t))]
