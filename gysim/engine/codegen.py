"""The numpy backend: a lowered, ordered, hoisted program becomes Python functions.

A backend turns a :class:`~gysim.engine.program.Program` into the five
functions the integrators call (the :class:`ModelFunctions`):

``init(t, dt, P, OV)``
    the initial state (a list of arrays), fixed-delay outputs and delay
    times, honouring stock-initial overrides ``OV``;
``prepare(P)``
    the static values (parameters only), once per chunk of runs;
``rhs(t, dt, Y, P, S, D, dY, DIN)``
    the derivatives of all stocks, written into ``dY``, and the fixed
    delays' inputs into ``DIN``;
``outputs(t, dt, Y, P, S, D)``
    every auxiliary, flow and data input at given states (a time axis
    before the run axis);
``rhs_outputs(...)``
    both at once, for the saved steps of the fixed-step methods.

Every value inside them is a numpy array whose last axis is the run axis (or
a scalar that broadcasts), so one call evaluates a whole ensemble. The code
is generated from the parsed trees only (names become ``v_``/``h`` locals,
labels integer indices), never from the user's text, and is registered with
:mod:`linecache` so tracebacks show the generated line.

Examples
--------
>>> import gysim
>>> m = gysim.Model("m")
>>> m.stock("x", 1.0)
>>> m.param("k", 0.1)
>>> m.flow("growth", "k * x", into="x")
>>> print("def rhs" + m.compile().source.split("def rhs")[1].split("def outputs")[0])
def rhs(t, dt, Y, P, S, D, dY, DIN):
    v_x = Y[0]
    v_k = P[0]
    v_growth = (v_k * v_x)
    dY[0] = v_growth
    return dY
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol

from ..builtins import BUILTINS, RUNTIME, along_dim
from ..elements import Flow
from ..errors import ModelDefinitionError
from ..expr import (BinOp, BoolOp, Call, Compare, Const, IfExp, Name, Node, Subscript, UnaryOp,
                    chain, names)
from .dims import Dimensions
from .program import Program, local_name
from .source_lines import register_source, unique_filename

__all__ = ["Backend", "ModelFunctions", "NumpyBackend", "derivative_trees"]


@dataclass(frozen=True)
class ModelFunctions:
    """What a backend gives the integrators: the model's functions and their source."""

    init: Callable
    prepare: Callable
    rhs: Callable
    outputs: Callable
    rhs_outputs: Callable
    source: str


class Backend(Protocol):
    """Turns a compiled program into :class:`ModelFunctions`."""

    def generate(self, program: Program, dims: Dimensions) -> ModelFunctions:
        """The functions of ``program``."""


class _Emitter:
    """numpy code of trees for one generated function.

    ``trailing`` is the number of axes after the model dimensions: 1 (run)
    in ``rhs``/``init``/``prepare``, 2 (time, run) in ``outputs``.
    """

    def __init__(self, program: Program, dims: Dimensions, trailing: int) -> None:
        self.program = program
        self.dims = dims
        self.trailing = trailing
        self.tables = {name: i for i, name in enumerate(program.tables)}
        self.owner = ""  # the element whose equation is being written (for its errors)

    def code(self, tree: Node) -> str:
        return _EMIT[type(tree)](self, tree)

    def _const(self, tree: Const) -> str:
        # negative numbers bracketed: (-2.0) ** x, not -(2.0 ** x)
        return f"({tree.value!r})" if tree.value < 0 else repr(tree.value)

    def _name(self, tree: Name) -> str:
        return "t" if tree.id == "time" else local_name(tree.id)

    def _binop(self, tree: BinOp) -> str:
        if isinstance(tree.left, Const) and isinstance(tree.right, Const):
            # two Python numbers: compute as numpy so 1/0 is inf, not an exception
            return f"(np.float64({tree.left.value!r}) {tree.op} ({tree.right.value!r}))"
        if tree.op not in _CHAINED:
            return f"({self.code(tree.left)} {tree.op} {self.code(tree.right)})"
        # a left-leaning chain a + b - c ...: one pair of brackets, written in a loop
        group = _CHAINED[tree.op]
        spine = []
        while isinstance(tree, BinOp) and _CHAINED.get(tree.op) == group:
            spine.append(tree)
            tree = tree.left
        spine.reverse()
        first = self.code(tree)
        if isinstance(tree, Const) and isinstance(spine[0].right, Const):
            first = f"np.float64({first})"
        rest = " ".join(f"{n.op} {self.code(n.right)}" for n in spine)
        return f"({first} {rest})"

    def _unary(self, tree: UnaryOp) -> str:
        if tree.op == "not":
            return f"np.logical_not({self.code(tree.operand)})"
        return f"({tree.op}{self.code(tree.operand)})"

    def _compare(self, tree: Compare) -> str:
        return f"({self.code(tree.left)} {tree.op} {self.code(tree.right)})"

    def _boolop(self, tree: BoolOp) -> str:
        func = "np.logical_and" if tree.op == "and" else "np.logical_or"

        def halves(values: tuple) -> str:  # balanced: a long `and` is not deeply nested
            if len(values) == 1:
                return self.code(values[0])
            mid = len(values) // 2
            return f"{func}({halves(values[:mid])}, {halves(values[mid:])})"
        return halves(tree.values)

    def _ifexp(self, tree: IfExp) -> str:
        return (f"np.where({self.code(tree.test)}, {self.code(tree.body)}, "
                f"{self.code(tree.orelse)})")

    def _subscript(self, tree: Subscript) -> str:
        dim_list = self.dims.dim_list
        index = [":"] * len(dim_list)
        for label in tree.labels:
            dim, i = self.dims.label_dim[label]
            index[dim_list.index(dim)] = f"{i}:{i + 1}"
        while index[-1] == ":":
            index.pop()
        return f"{local_name(tree.value.id)}[{', '.join(index)}]"

    def _call(self, tree: Call) -> str:
        dim = self.dims.aggregated_dim(tree) if self.dims.dimensions else None
        if dim is not None:
            axis = self.dims.axis(dim, self.trailing)
            return (f"{BUILTINS[tree.func].reduction}({self.code(tree.args[0])}, axis={axis}, "
                    f"keepdims=True)")
        if getattr(BUILTINS.get(tree.func), "along", None):
            dim = along_dim(tree, self.dims.dimensions)  # (the dims stage checked it)
            args = [self.code(a) for a in tree.args[:-1]]
            where = repr(self.owner)
            return BUILTINS[tree.func].numpy(args + [str(self.dims.axis(dim, self.trailing)),
                                                     where])
        args = [self.code(a) for a in tree.args]
        if tree.func in self.program.tables:
            i = self.tables[tree.func]
            return f"np.interp({args[0]}, _TX{i}, _TY{i})"
        return BUILTINS[tree.func].numpy(args)

    def assign(self, name: str, tree: Node) -> str:
        """Code of a value, broadcast to its declared dims when the equation has fewer."""
        self.owner = name
        code = self.code(tree)
        if not self.dims.dimensions:
            return code
        want = self.dims.dims_of(name)
        if want and self.dims.infer(tree, name) != want:
            code = f"({code} * {self.dims.ones(want, self.trailing)})"
        return code

    def unpack(self, lines: list[str], used: set[str], states: str | None,
               discrete: str | None) -> None:
        """Lines binding the locals a function uses to its arguments."""
        program, dims = self.program, self.dims

        def lift(source: str, name: str) -> str:
            # outputs() has a time axis before the run axis
            if self.trailing == 2 and dims.dims_of(name):
                return f"{source}[..., None, :]"
            return source

        if states:
            for n in program.state_names:
                if n not in used:
                    continue
                a, b = program.state_rows[n]
                if dims.dims_of(n):
                    lines.append(f"    {local_name(n)} = {states}[{a}:{b}].reshape("
                                 f"{dims.full_shape(dims.dims_of(n))!r} + {states}.shape[1:])")
                else:
                    lines.append(f"    {local_name(n)} = {states}[{a}]")
        lines += [f"    {local_name(n)} = {lift(f'P[{i}]', n)}"
                  for i, n in enumerate(program.param_names) if n in used]
        if states:
            lines += [f"    {local_name(n)} = {lift(f'S[{i}]', n)}"
                      for i, n in enumerate(program.static_names) if n in used]
        if discrete:
            lines += [f"    {local_name(n)} = {discrete}[{i}]"
                      for i, n in enumerate(program.discrete_names) if n in used]

    def function(self, header: str, roots: list[Node], tail: list[str]) -> str:
        """A function computing what ``roots`` need (statics excluded), then ``tail``."""
        program = self.program
        statics = set(program.static_names)
        need: set[str] = set()
        stack = [n for tree in roots for n in names(tree)]
        while stack:
            n = stack.pop()
            if n in program.equations and n not in need and n not in statics:
                need.add(n)
                stack.extend(names(program.equations[n]))
        body = [n for n in program.order if n in need]
        used = set().union(*(names(t) for t in roots),
                           *(names(program.equations[n]) for n in body))
        lines = [header]
        self.unpack(lines, used, "Y", "D")
        lines += [f"    {local_name(n)} = {self.assign(n, program.equations[n])}" for n in body]
        return "\n".join(lines + tail)


#: Operators written as one flat chain in the generated code (Python reads it left to right).
_CHAINED = {"+": "+", "-": "+", "*": "*", "/": "*", "%": "*"}

_EMIT: dict[type, Callable[[_Emitter, Node], str]] = {
    Const: _Emitter._const, Name: _Emitter._name, BinOp: _Emitter._binop,
    UnaryOp: _Emitter._unary, Compare: _Emitter._compare, BoolOp: _Emitter._boolop,
    IfExp: _Emitter._ifexp, Subscript: _Emitter._subscript, Call: _Emitter._call,
}


def derivative_trees(program: Program) -> dict[str, Node]:
    """Every state's derivative as a tree: inflows minus outflows, or a hidden stock's own."""
    flows_in: dict[str, list[str]] = {s: [] for s in program.stock_names}
    flows_out: dict[str, list[str]] = {s: [] for s in program.stock_names}
    for n, e in program.model.elements.items():
        if isinstance(e, Flow):
            if e.into:
                flows_in[e.into].append(n)
            if e.out_of:
                flows_out[e.out_of].append(n)
    trees: dict[str, Node] = {}
    for s in program.stock_names:
        terms = [("+", Name(f)) for f in flows_in[s]] + [("-", Name(f)) for f in flows_out[s]]
        if not terms:
            trees[s] = Const(0.0)
            continue
        op, first = terms[0]
        # a stock may have thousands of flows: a balanced chain, not a deep one
        trees[s] = chain(first if op == "+" else UnaryOp("-", first), terms[1:])
    trees.update(program.hidden_derivs)
    return trees


class NumpyBackend:
    """Generates plain Python functions over numpy arrays (the reference backend)."""

    def generate(self, program: Program, dims: Dimensions) -> ModelFunctions:
        """The model's functions, compiled from generated source."""
        source = "\n\n".join([self._init(program, dims), self._prepare(program, dims),
                              *self._dynamics(program, dims)])
        namespace = dict(RUNTIME)
        namespace.update(program.constants)
        for i, (xs, ys) in enumerate(program.tables.values()):
            namespace[f"_TX{i}"], namespace[f"_TY{i}"] = xs, ys
        filename = unique_filename(program.model.name)
        try:
            code = compile(source, filename, "exec")
        except (SyntaxError, RecursionError, MemoryError) as err:  # nesting beyond Python's limits
            raise ModelDefinitionError(
                f"model '{program.model.name}' is too complex for Python to compile "
                f"({getattr(err, 'msg', None) or type(err).__name__}); split its deepest "
                f"equations into auxiliaries") from None
        register_source(filename, source)  # tracebacks and debuggers show the generated lines
        exec(code, namespace)  # noqa: S102 - source generated from whitelisted trees only
        return ModelFunctions(namespace["init"], namespace["prepare"], namespace["rhs"],
                              namespace["outputs"], namespace["rhs_outputs"], source)

    def _dynamics(self, program: Program, dims: Dimensions) -> list[str]:
        deriv_trees = derivative_trees(program)
        din_trees = program.delay_inputs
        em = _Emitter(program, dims, trailing=1)
        derivs = []
        for s in program.state_names:
            a, b = program.state_rows[s]
            if dims.dims_of(s):
                derivs.append(f"    dY[{a}:{b}].reshape({dims.full_shape(dims.dims_of(s))!r} "
                              f"+ (-1,))[...] = {em.code(deriv_trees[s])}")
            else:
                derivs.append(f"    dY[{a}] = {em.code(deriv_trees[s])}")
        derivs += [f"    DIN[{i}] = {em.code(t)}" for i, t in enumerate(din_trees)]
        returned = "    return (" + "".join(f"{local_name(n)}, "
                                            for n in program.output_names) + ")"
        out_roots = [Name(n) for n in program.output_names]
        rhs = em.function("def rhs(t, dt, Y, P, S, D, dY, DIN):",
                          list(deriv_trees.values()) + din_trees, derivs + ["    return dY"])
        outputs = _Emitter(program, dims, trailing=2).function(
            "def outputs(t, dt, Y, P, S, D):", out_roots, [returned])
        both = em.function("def rhs_outputs(t, dt, Y, P, S, D, dY, DIN):",
                           list(deriv_trees.values()) + din_trees + out_roots,
                           derivs + [returned])
        return [rhs, outputs, both]

    @staticmethod
    def _prepare(program: Program, dims: Dimensions) -> str:
        em = _Emitter(program, dims, trailing=1)
        lines = ["def prepare(P):"]
        used = set().union(*(names(program.equations[n]) for n in program.static_names))
        em.unpack(lines, used, None, None)
        lines += [f"    {local_name(n)} = {em.assign(n, program.equations[n])}"
                  for n in program.static_names]
        lines.append("    return (" + "".join(f"{local_name(n)}, "
                                              for n in program.static_names) + ")")
        return "\n".join(lines)

    @staticmethod
    def _init(program: Program, dims: Dimensions) -> str:
        em = _Emitter(program, dims, trailing=1)
        state_index = {s: i for i, s in enumerate(program.state_names)}
        trees = program.init_trees
        used = set().union(*(names(trees[n]) for n in program.init_order),
                           *(names(d.delay_time) for d in program.delays_fixed))
        lines = ["def init(t, dt, P, OV):"]
        em.unpack(lines, used, None, None)
        for n in program.init_order:
            code = em.assign(n, trees[n])
            if n in state_index and n in program.stock_names:
                i = state_index[n]
                code = f"OV[{i}] if {i} in OV else {code}"
            lines.append(f"    {local_name(n)} = {code}")
        lines.append(
            "    return [" + "".join(f"{local_name(s)}, " for s in program.state_names)
            + "], [" + "".join(f"{local_name(d.output)}, " for d in program.delays_fixed)
            + "], [" + "".join(f"{em.code(d.delay_time)}, " for d in program.delays_fixed) + "]")
        return "\n".join(lines)


