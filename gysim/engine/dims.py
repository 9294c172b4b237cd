"""Dimensions of every value of a model: inference, checks and the full-form layout.

With dimensions (:meth:`gysim.Model.dimension`), a value over dims is held
in *full form*: one axis per model dimension, in declaration order, of the
dimension's size where the value has that dimension and of size 1
elsewhere, followed by the trailing axes (run; or time, run). numpy's
broadcasting then matches dimensions by name, a selection ``x[label]`` is a
slice of length 1 and an aggregation ``sum(x, dim)`` a reduction with
``keepdims``. Models without dimensions have no dims anywhere.

Examples
--------
>>> import gysim
>>> m = gysim.Model("m")
>>> m.dimension("sector", ["a", "b", "c"])
>>> m.dimension("district", ["north", "south"])
>>> m.param("k", 1.0, dims="district")
>>> m.aux("y", "k * 2", dims="district")
>>> from gysim.engine.program import Program
>>> dims = Dimensions(Program.of(m), varies=lambda tree: False)
>>> dims.full_shape(("district",)), dims.dims_of("y")
((1, 2), ('district',))
"""

from __future__ import annotations

from typing import Callable, Iterable

import numpy as np

from .._text import suggest
from ..builtins import BUILTINS, aggregated_dim, along_dim
from ..elements import Aux, Flow, Stock
from ..errors import ModelDefinitionError
from ..expr import (BinOp, BoolOp, Call, Compare, Const, IfExp, Name, Node, Subscript, UnaryOp,
                    children, to_text)
from .program import Program

__all__ = ["Dimensions"]


def _fmt_dims(dims: tuple) -> str:
    return "(" + ", ".join(dims) + ")" if dims else "no dimensions"


def _has(dims: tuple) -> str:
    return f"has dims {_fmt_dims(dims)}" if dims else "has no dimensions"


class Dimensions:
    """The dimensions of a program's values, declared or inferred.

    Parameters
    ----------
    program : Program
        The program; hidden values are inferred from its equations, initial
        values and derivatives as lowering adds them.
    varies : callable, optional
        ``varies(tree)``: whether a tree changes during a run (from lowering).
        No check needs it any more (a DELAY N over dimensions may have a
        delay time that changes: each element's chain follows its own);
        accepted so that callers need not change.
    """

    def __init__(self, program: Program, varies: Callable[[Node], bool] | None = None) -> None:
        model = program.model
        self.program = program
        #: Dimensions by name (their labels), in declaration order.
        self.dimensions: dict[str, tuple[str, ...]] = dict(model.dimensions)
        self.dim_list = list(self.dimensions)
        #: Each label -> (its dimension, its index).
        self.label_dim = {label: (d, i) for d, labels in self.dimensions.items()
                          for i, label in enumerate(labels)}
        self._dims: dict[str, tuple[str, ...]] = {
            n: tuple(getattr(e, "dims", ())) for n, e in model.elements.items()}

    def declare(self, name: str, dims: tuple[str, ...]) -> None:
        """Give a hidden value known dims."""
        self._dims[name] = dims

    def full_shape(self, dims: Iterable[str]) -> tuple[int, ...]:
        """Shape of a value over ``dims`` in full form (size 1 for the other dims)."""
        dims = set(dims)
        return tuple(len(self.dimensions[d]) if d in dims else 1 for d in self.dim_list)

    def union(self, *groups: Iterable[str]) -> tuple[str, ...]:
        """The dims of several values together, in declaration order."""
        found = set().union(*groups)
        return tuple(d for d in self.dim_list if d in found)

    def axis(self, dim: str, trailing: int) -> int:
        """The (negative) axis of ``dim`` in full form with ``trailing`` axes after it."""
        return self.dim_list.index(dim) - len(self.dim_list) - trailing

    def dims_of(self, name: str) -> tuple[str, ...]:
        """Dimensions of a named value: declared for elements, inferred for hidden ones."""
        if name in self._dims:
            return self._dims[name]
        if name == "time" or not self.dimensions:
            return ()
        program = self.program
        self._dims[name] = ()  # a state's derivative refers to the state itself
        if name in program.hidden_derivs:
            dims = self.union(self.infer(program.initials[name], name),
                              self.infer(program.hidden_derivs[name], name))
        elif name in program.equations:
            dims = self.infer(program.equations[name], name)
        else:
            dims = ()
        self._dims[name] = dims
        return dims

    def aggregated_dim(self, call: Call) -> str | None:
        """The dimension an aggregating call reduces over, or None."""
        return aggregated_dim(call, self.dimensions)

    def infer(self, tree: Node, where: str) -> tuple[str, ...]:
        """Dimensions of an expression, checking selections and aggregations."""
        if not self.dimensions:
            return ()
        return _INFER[type(tree)](self, tree, where)

    def _name(self, tree: Name, where: str) -> tuple[str, ...]:
        if tree.id in self.dimensions:
            raise ModelDefinitionError(
                f"{where}: dimension '{tree.id}' may only be the second argument of sum, "
                f"mean, prod, min or max, e.g. sum(x, {tree.id})")
        return self.dims_of(tree.id)

    def _subscript(self, tree: Subscript, where: str) -> tuple[str, ...]:
        base = tree.value.id
        have = self.dims_of(base)
        shown = f"{base}[{', '.join(tree.labels)}]"
        if not have:
            raise ModelDefinitionError(
                f"{where}: '{base}' has no dimensions, so `{shown}` selects nothing")
        left = list(have)
        for label in tree.labels:
            if label not in self.label_dim:
                raise ModelDefinitionError(
                    f"{where}: '{label}' in `{shown}` is not an element label of any "
                    f"dimension{suggest(label, self.label_dim)}")
            dim = self.label_dim[label][0]
            if dim not in have:
                raise ModelDefinitionError(
                    f"{where}: '{label}' in `{shown}` is an element of dimension '{dim}', "
                    f"but '{base}' {_has(have)}")
            if dim not in left:
                raise ModelDefinitionError(
                    f"{where}: `{shown}` selects two elements of dimension '{dim}'")
            left.remove(dim)
        return tuple(left)

    def _call(self, tree: Call, where: str) -> tuple[str, ...]:
        dim = self.aggregated_dim(tree)
        if dim is not None:
            inner = self.infer(tree.args[0], where)
            if dim not in inner:
                raise ModelDefinitionError(
                    f"{where}: `{to_text(tree)}` aggregates over dimension '{dim}', but "
                    f"`{to_text(tree.args[0])}` {_has(inner)}")
            return tuple(d for d in inner if d != dim)
        if getattr(BUILTINS.get(tree.func), "along", None):
            return self._along(tree, where)
        dims = self.union(*(self.infer(a, where) for a in tree.args))
        if tree.func == "delay_fixed" and len(tree.args) > 1 \
                and self.infer(tree.args[1], where):
            raise ModelDefinitionError(
                f"{where}: the delay time of `{to_text(tree)}` varies over dimensions "
                f"{_fmt_dims(self.infer(tree.args[1], where))}; a fixed delay takes one delay "
                f"time per run (use one delay_fixed per element, or delay_n)")
        return dims

    def _along(self, tree: Call, where: str) -> tuple[str, ...]:
        """An allocation along a dimension: the requests span it, the supply does not."""
        dim = along_dim(tree, self.dimensions)
        shown = f"`{to_text(tree)}`"
        if dim is None:
            raise ModelDefinitionError(
                f"{where}: the last argument of {shown} must be a dimension name "
                f"({', '.join(self.dimensions)})")
        vectors = [self.infer(a, where) for a in tree.args[:-2]]
        supply = self.infer(tree.args[-2], where)
        if dim not in self.union(*vectors):
            raise ModelDefinitionError(
                f"{where}: {shown} allocates along dimension '{dim}', but its requests "
                f"`{to_text(tree.args[0])}` {_has(vectors[0])}")
        if dim in supply:
            raise ModelDefinitionError(
                f"{where}: the supply `{to_text(tree.args[-2])}` of {shown} varies along "
                f"'{dim}', the dimension it is shared along; give one supply per allocation")
        return self.union(*vectors, supply)

    def _children(self, tree: Node, where: str) -> tuple[str, ...]:
        return self.union(*(self.infer(c, where) for c in children(tree)))

    def check(self) -> None:
        """Equations' dimensions fit the declared ones; flows fit their stocks."""
        elements = self.program.model.elements
        for name, e in elements.items():
            if isinstance(e, Stock):
                if e.values is not None:
                    continue
                where, tree = f"initial value of stock '{name}'", e.initial
            elif isinstance(e, (Flow, Aux)):
                where, tree = f"{e.kind} '{name}'", e.tree
            else:
                continue
            have = self.infer(tree, where)
            extra = [d for d in have if d not in e.dims]
            if extra:
                raise ModelDefinitionError(
                    f"{where}: `{to_text(tree)}` {_has(have)}, but '{name}' is declared "
                    f"{'with dims ' + _fmt_dims(e.dims) if e.dims else 'without dims'}; "
                    f"add {', '.join(extra)} to its `dims`, or select/aggregate over "
                    f"{', '.join(extra)}")
            if isinstance(e, Flow):
                for role, target in (("into", e.into), ("out_of", e.out_of)):
                    if target is None:
                        continue
                    stock_dims = elements[target].dims
                    if not set(e.dims) <= set(stock_dims):
                        raise ModelDefinitionError(
                            f"flow '{name}' {_has(e.dims)}, but the stock it "
                            f"flows {'into' if role == 'into' else 'out of'}, '{target}', has "
                            f"{_has(stock_dims)[4:]}; a flow's dims must be contained "
                            f"in each connected stock's dims")

    def ones(self, dims: tuple[str, ...], trailing: int) -> str:
        """Name of a constant of ones in full form over ``dims`` (with ``trailing`` axes)."""
        # by position: names joined with '_' could collide (('a_b', 'c') and ('a', 'b_c'))
        name = f"_ONES_{'_'.join(str(self.dim_list.index(d)) for d in dims)}_{trailing}"
        if name not in self.program.constants:
            self.program.constants[name] = np.ones(self.full_shape(dims) + (1,) * trailing)
        return name


#: Dimension inference by node class.
_INFER: dict[type, Callable[[Dimensions, Node, str], tuple[str, ...]]] = {
    Const: lambda self, tree, where: (),
    Name: Dimensions._name,
    Subscript: Dimensions._subscript,
    Call: Dimensions._call,
    BinOp: Dimensions._children,
    Compare: Dimensions._children,
    UnaryOp: Dimensions._children,
    BoolOp: Dimensions._children,
    IfExp: Dimensions._children,
}
