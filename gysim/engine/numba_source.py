"""The numba backend's code: a compiled program as scalar code, one run at a time.

The numpy backend (:mod:`gysim.engine.codegen`) writes each equation once,
over arrays whose last axis is the run axis. Here every value is one float
of one run: a value over model dimensions becomes one local per element
(``sum(x, sector)`` an explicit ``x0 + x1 + x2``, ``x[label]`` the local of
that element), and a loop over runs (numba's ``prange``) calls the
generated step function for each run. The whole fixed-step integration of
a run (Euler or RK4) is one compiled loop, so a single run makes no Python
call per step.

The operations are those of the numpy code, in the same order (numpy
reduces over a dimension axis element after element, as the sums here do),
so the two backends agree to rounding. Nothing the user wrote is copied
into the source: locals are numbered (``e12``), stocks, parameters and
precomputed (static) values are read by index (``y[3]``, ``p[0]``,
``s[2]``).

:func:`generate_source` returns the source of a module, or raises
:class:`Unsupported` naming what the numba backend cannot compile.

Examples
--------
>>> import gysim
>>> m = gysim.Model("m")
>>> m.stock("x", 1.0)
>>> m.param("k", 0.1)
>>> m.flow("growth", "k * x", into="x")
>>> cm = m.compile()
>>> src = generate_source(cm.program, cm._dims)
>>> print(src.split("def _rhs(")[1].split("\\n\\n")[0])
t, dt, y, p, s, d, dy, din, o, save):
    e0 = (p[0] * y[0])
    dy[0] = e0
    if save:
        o[0] = e0
        pass
    return dy
"""

from __future__ import annotations

import itertools
import re
from typing import Callable

import numpy as np

from ..builtins import BUILTINS
from ..expr import (BinOp, BoolOp, Call, Compare, Const, IfExp, Name, Node, Subscript, UnaryOp,
                    names)
from .codegen import derivative_trees
from .dims import Dimensions
from .program import Program

__all__ = ["Unsupported", "generate_source", "Layout"]

#: Runtime helpers the numba backend has scalar versions of (gysim.engine.numba_runtime).
HELPERS = ("_xidz", "_step", "_ramp", "_pulse", "_pulse_train", "_quantum", "_modulo",
           "_nonnegative_rate")
#: numpy functions the builtins' templates may call: numba compiles them on floats.
NUMPY_FUNCTIONS = {"minimum", "maximum", "abs", "exp", "log", "log10", "sqrt", "sin", "cos",
                   "tan", "arcsin", "arccos", "arctan", "trunc", "where", "nan", "mod",
                   "power", "interp", "logical_and", "logical_or", "logical_not", "inf"}
_REDUCTIONS = {"np.sum": " + ", "np.prod": " * "}


class Unsupported(Exception):
    """The model uses something the numba backend cannot compile (the message says what)."""


class Layout:
    """Where each element of each value lives: state rows, parameter and static columns.

    A value over dimensions has one entry per element, in the order of its
    full form (C order over the model's dimensions, in declaration order),
    which is the order of the numpy backend's state rows.
    """

    def __init__(self, program: Program, dims: Dimensions) -> None:
        self.dims = dims
        self.dim_list = dims.dim_list
        self.param_at = self._offsets(program.param_names)
        self.static_at = self._offsets(program.static_names)
        self.n_params = sum(self.size(n) for n in program.param_names)
        self.n_statics = sum(self.size(n) for n in program.static_names)
        self.output_at = self._offsets(program.output_names)
        self.n_outputs = sum(self.size(n) for n in program.output_names)

    def ordered(self, name: str) -> tuple[str, ...]:
        """The dims of a value, in the model's declaration order."""
        own = set(self.dims.dims_of(name))
        return tuple(d for d in self.dim_list if d in own)

    def size(self, name: str) -> int:
        return int(np.prod([len(self.dims.dimensions[d]) for d in self.ordered(name)]))

    def _offsets(self, group: list[str]) -> dict[str, int]:
        at, k = {}, 0
        for n in group:
            at[n] = k
            k += self.size(n)
        return at

    def flat(self, name: str, idx: dict[str, int]) -> int:
        """Position of the element ``idx`` (dim -> label index) within the value."""
        k = 0
        for d in self.ordered(name):
            if d not in idx:
                raise Unsupported(f"'{name}' is used over dimension '{d}' where no element "
                                  f"of it is chosen")
            k = k * len(self.dims.dimensions[d]) + idx[d]
        return k

    def elements(self, name: str) -> list[dict[str, int]]:
        """Every element of a value, as dim -> label index, in full-form order."""
        ordered = self.ordered(name)
        ranges = [range(len(self.dims.dimensions[d])) for d in ordered]
        return [dict(zip(ordered, combo)) for combo in itertools.product(*ranges)]


class _ScalarEmitter:
    """Scalar code of trees for one element (``idx``: dim -> label index) of one run."""

    def __init__(self, program: Program, layout: Layout) -> None:
        self.program = program
        self.layout = layout
        self.dims = layout.dims
        self.tables = {name: i for i, name in enumerate(program.tables)}
        self.statics = set(program.static_names)
        self.params = set(program.param_names)
        self.discrete = {n: i for i, n in enumerate(program.discrete_names)}
        self.locals: dict[tuple[str, int], str] = {}

    def local(self, name: str, k: int) -> str:
        key = (name, k)
        if key not in self.locals:
            self.locals[key] = f"e{len(self.locals)}"
        return self.locals[key]

    def ref(self, name: str, idx: dict[str, int]) -> str:
        if name == "time":
            return "t"
        lay = self.layout
        k = lay.flat(name, idx)
        if name in self.program.state_rows:
            return f"y[{self.program.state_rows[name][0] + k}]"
        if name in self.params:
            return f"p[{lay.param_at[name] + k}]"
        if name in self.discrete:
            return f"d[{self.discrete[name]}]"
        if name in self.statics:
            return f"s[{lay.static_at[name] + k}]"
        if name in self.program.equations:
            return self.local(name, k)
        raise Unsupported(f"'{name}' (a constant of the numpy code) is read during the run")

    def code(self, tree: Node, idx: dict[str, int]) -> str:
        return _EMIT[type(tree)](self, tree, idx)

    def _const(self, tree: Const, idx) -> str:
        value = float(tree.value)
        if np.isnan(value):
            return "np.nan"
        if np.isinf(value):
            return "np.inf" if value > 0 else "(-np.inf)"
        return f"({value!r})" if value < 0 else repr(value)

    def _name(self, tree: Name, idx) -> str:
        return self.ref(tree.id, idx)

    def _binop(self, tree: BinOp, idx) -> str:
        left, right = self.code(tree.left, idx), self.code(tree.right, idx)
        if tree.op == "**":
            return f"np.power({left}, {right})"
        if tree.op == "%":
            return f"np.mod({left}, {right})"
        return f"({left} {tree.op} {right})"

    def _unary(self, tree: UnaryOp, idx) -> str:
        if tree.op == "not":
            return f"np.logical_not({self.code(tree.operand, idx)})"
        return f"({tree.op}{self.code(tree.operand, idx)})"

    def _compare(self, tree: Compare, idx) -> str:
        return f"({self.code(tree.left, idx)} {tree.op} {self.code(tree.right, idx)})"

    def _boolop(self, tree: BoolOp, idx) -> str:
        func = "np.logical_and" if tree.op == "and" else "np.logical_or"

        def halves(values: tuple) -> str:  # balanced, as in the numpy backend
            if len(values) == 1:
                return self.code(values[0], idx)
            mid = len(values) // 2
            return f"{func}({halves(values[:mid])}, {halves(values[mid:])})"
        return halves(tree.values)

    def _ifexp(self, tree: IfExp, idx) -> str:
        return (f"_where({self.code(tree.test, idx)}, {self.code(tree.body, idx)}, "
                f"{self.code(tree.orelse, idx)})")

    def _subscript(self, tree: Subscript, idx) -> str:
        chosen = dict(idx)
        for label in tree.labels:
            dim, i = self.dims.label_dim[label]
            chosen[dim] = i
        return self.ref(tree.value.id, chosen)

    def _call(self, tree: Call, idx) -> str:
        dim = self.dims.aggregated_dim(tree) if self.dims.dimensions else None
        if dim is not None:
            reduction = BUILTINS[tree.func].reduction
            terms = [self.code(tree.args[0], {**idx, dim: i})
                     for i in range(len(self.dims.dimensions[dim]))]
            if reduction in _REDUCTIONS:
                return "(" + _REDUCTIONS[reduction].join(terms) + ")"
            if reduction == "np.mean":
                return f"(({' + '.join(terms)}) / {float(len(terms))!r})"
            func = {"np.min": "np.minimum", "np.max": "np.maximum"}.get(reduction)
            if func is None:
                raise Unsupported(f"the aggregation {tree.func}() ({reduction})")
            code = terms[0]
            for term in terms[1:]:
                code = f"{func}({code}, {term})"
            return code
        args = [self.code(a, idx) for a in tree.args]
        if tree.func in self.program.tables:
            i = self.tables[tree.func]
            return f"np.interp({args[0]}, _TX{i}, _TY{i})"
        spec = BUILTINS.get(tree.func)
        if spec is None or spec.numpy is None or spec.kind == "stateful":
            raise Unsupported(f"the function {tree.func}()")
        code = spec.numpy(args)
        unknown = ({h for h in spec.runtime if h not in HELPERS}
                   | {f for f in re.findall(r"\bnp\.(\w+)", code) if f not in NUMPY_FUNCTIONS})
        if unknown:
            raise Unsupported(f"the function {tree.func}() (it calls {', '.join(sorted(unknown))})")
        return code.replace("np.where(", "_where(")


_EMIT: dict[type, Callable] = {
    Const: _ScalarEmitter._const, Name: _ScalarEmitter._name, BinOp: _ScalarEmitter._binop,
    UnaryOp: _ScalarEmitter._unary, Compare: _ScalarEmitter._compare,
    BoolOp: _ScalarEmitter._boolop, IfExp: _ScalarEmitter._ifexp,
    Subscript: _ScalarEmitter._subscript, Call: _ScalarEmitter._call,
}


def _body(em: _ScalarEmitter, roots: list[Node]) -> list[str]:
    """Lines computing, in order, every non-static equation ``roots`` need (each element)."""
    program = em.program
    need: set[str] = set()
    stack = [n for tree in roots for n in names(tree)]
    while stack:
        n = stack.pop()
        if n in program.equations and n not in need and n not in em.statics:
            need.add(n)
            stack.extend(names(program.equations[n]))
    lines = []
    for n in program.order:
        if n in need:
            for idx in em.layout.elements(n):
                lines.append(f"    {em.local(n, em.layout.flat(n, idx))} = "
                             f"{em.code(program.equations[n], idx)}")
    return lines


def generate_source(program: Program, dims: Dimensions) -> str:
    """The source of a module with the model's numba functions (see :mod:`numba_kernels`).

    Raises
    ------
    Unsupported
        If the model uses something the numba backend cannot compile.
    """
    layout = Layout(program, dims)
    em = _ScalarEmitter(program, layout)
    for d in program.discrete_names:
        if dims.dims_of(d):
            raise Unsupported("fixed delays (delay_fixed) over dimensions")
    deriv_trees = derivative_trees(program)
    derivs = []
    for s in program.state_names:
        row = program.state_rows[s][0]
        for idx in layout.elements(s):
            derivs.append(f"    dy[{row + layout.flat(s, idx)}] = "
                          f"{em.code(deriv_trees[s], idx)}")
    outs = []
    for o in program.output_names:
        for idx in layout.elements(o):
            outs.append(f"    o[{layout.output_at[o] + layout.flat(o, idx)}] = "
                        f"{em.ref(o, idx)}")
    # one function for both: half the machine code to compile; outputs written when asked
    derivs += [f"    din[{i}] = {em.code(tree, {})}" for i, tree in enumerate(program.delay_inputs)]
    body = _body(em, list(deriv_trees.values()) + list(program.delay_inputs)
                 + [Name(n) for n in program.output_names])
    tables = []
    for i, (xs, ys) in enumerate(program.tables.values()):
        tables.append(f"_TX{i} = np.array({np.asarray(xs, float).tolist()!r})")
        tables.append(f"_TY{i} = np.array({np.asarray(ys, float).tolist()!r})")
    head = _HEAD.format(n_rows=program.n_state_rows, n_outputs=layout.n_outputs)
    return "\n".join([head, *tables, "", "",
                      "@_jit", "def _rhs(t, dt, y, p, s, d, dy, din, o, save):", *body, *derivs,
                      "    if save:", *["    " + line for line in outs], "        pass",
                      "    return dy", "", "", _LOOPS])


_HEAD = '''"""Generated by gysim's numba backend from a compiled model: do not edit."""
import numba
import numpy as np
from gysim.engine.numba_runtime import RUNTIME

globals().update(RUNTIME)
_jit = numba.njit(cache=True, error_model="numpy", nogil=True)
N_ROWS = {n_rows}
N_OUTPUTS = {n_outputs}'''

# The integration loops: the same arithmetic, in the same order, as
# gysim.engine.integrate_fixed_step (Euler: y += dy * step; RK4's stages and sum).
_LOOPS = '''@_jit
def _one_run(p, s, y0, d0, order, start, step, n_steps, save_every, rk4, sel_y, sel_o, out):
    y = y0.copy()
    d = d0.copy()
    n_d = d.shape[0]
    ring = 1
    for i in range(n_d):
        ring = max(ring, order[i])
    buf = np.empty((n_d, ring))
    din = np.empty(n_d)
    scratch = np.empty(n_d)
    dy = np.empty(N_ROWS)
    o = np.empty(N_OUTPUTS)
    k2 = np.empty(N_ROWS)
    k3 = np.empty(N_ROWS)
    k4 = np.empty(N_ROWS)
    tmp = np.empty(N_ROWS)
    ny = sel_y.shape[0]
    half = step / 2
    sixth = step / 6
    for k in range(n_steps + 1):
        t = start + k * step
        if k > 0:
            for i in range(n_d):
                if k >= order[i]:
                    d[i] = buf[i, (k - order[i]) % ring]
        if k % save_every == 0:
            _rhs(t, step, y, p, s, d, dy, din, o, True)
            j = k // save_every
            for i in range(ny):
                out[j, i] = y[sel_y[i]]
            for i in range(sel_o.shape[0]):
                out[j, ny + i] = o[sel_o[i]]
        else:
            _rhs(t, step, y, p, s, d, dy, din, o, False)
        if k == n_steps:
            break
        for i in range(n_d):
            buf[i, k % ring] = din[i]
        if rk4:
            for i in range(N_ROWS):
                tmp[i] = y[i] + half * dy[i]
            _rhs(t + half, step, tmp, p, s, d, k2, scratch, o, False)
            for i in range(N_ROWS):
                tmp[i] = y[i] + half * k2[i]
            _rhs(t + half, step, tmp, p, s, d, k3, scratch, o, False)
            for i in range(N_ROWS):
                tmp[i] = y[i] + step * k3[i]
            _rhs(t + step, step, tmp, p, s, d, k4, scratch, o, False)
            for i in range(N_ROWS):
                y[i] += sixth * (dy[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i])
        else:
            for i in range(N_ROWS):
                y[i] += dy[i] * step


@_jit
def run_fixed(P, S, Y0, D0, ORDER, start, step, n_steps, save_every, rk4, sel_y, sel_o, OUT):
    for r in range(Y0.shape[0]):
        _one_run(P[r], S[r], Y0[r], D0[r], ORDER[r], start, step, n_steps, save_every, rk4,
                 sel_y, sel_o, OUT[r])


@_jit
def rhs_many(t, dt, Y, P, S, dY):
    none = np.empty(0)
    o = np.empty(N_OUTPUTS)
    for r in range(Y.shape[1]):
        y = np.empty(N_ROWS)
        for i in range(N_ROWS):
            y[i] = Y[i, r]
        dr = np.empty(N_ROWS)
        _rhs(t, dt, y, P[r], S[r], none, dr, none, o, False)
        for i in range(N_ROWS):
            dY[i, r] = dr[i]
'''
