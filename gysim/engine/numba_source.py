"""The numba backend's code: a compiled program as scalar code, one run at a time.

The numpy backend (:mod:`gysim.engine.codegen`) writes each equation once,
over arrays whose last axis is the run axis. Here every value is one float
of one run: a value over model dimensions becomes one local per element
(``sum(x, sector)`` an explicit ``x0 + x1 + x2``, ``x[label]`` the local of
that element). ``_rhs`` computes the derivatives of one run, called for
each run by ``rhs_many`` (solve_ivp's right-hand side) and four times a
step by ``run_rk4``. Euler, ``run_euler``, has the model's equations
written inside its loop and each state row a local variable (in registers,
not an array). A whole fixed-step integration is one compiled call: no
Python call per step.

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
>>> "q0 += v0 * step" in src  # run_euler: the state a local of the loop
True
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
           "_nonnegative_rate", "_interp")
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
        #: How a state row is read: an array (``_rhs``) or a local per row (``run_fixed``).
        self.state_ref = "y[{}]"

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
            return self.state_ref.format(self.program.state_rows[name][0] + k)
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
        if tree.func in BUILTINS and BUILTINS[tree.func].along:
            raise Unsupported(f"the function {tree.func}() (an allocation along a dimension: "
                              f"the numpy backend computes it)")
        helpers = sorted(h for h in getattr(BUILTINS.get(tree.func), "runtime", {})
                         if h not in HELPERS)
        if helpers:  # refused before its arguments' code is written (it may be huge)
            raise Unsupported(f"the function {tree.func}() (it calls {', '.join(helpers)})")
        args = [self.code(a, idx) for a in tree.args]
        if tree.func in self.program.tables:
            i = self.tables[tree.func]
            return f"_interp({args[0]}, _TX{i}, _TY{i})"
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


def _needed(em: _ScalarEmitter, roots: list[Node], known: frozenset = frozenset()) -> set[str]:
    """The non-static equations ``roots`` need, apart from those ``known``."""
    program = em.program
    need: set[str] = set()
    stack = [n for tree in roots for n in names(tree)]
    while stack:
        n = stack.pop()
        if n in program.equations and n not in need and n not in em.statics and n not in known:
            need.add(n)
            stack.extend(names(program.equations[n]))
    return need


def _body(em: _ScalarEmitter, need: set[str], indent: str = "    ") -> list[str]:
    """Lines computing, in order, the equations ``need`` (each element)."""
    program = em.program
    lines = []
    for n in program.order:
        if n in need:
            for idx in em.layout.elements(n):
                lines.append(f"{indent}{em.local(n, em.layout.flat(n, idx))} = "
                             f"{em.code(program.equations[n], idx)}")
    return lines


def _rhs_source(em: _ScalarEmitter, deriv_trees: dict) -> list[str]:
    """``_rhs``: the derivatives of one run, its delays' inputs, and its outputs when asked."""
    program, layout = em.program, em.layout
    em.state_ref = "y[{}]"
    derivs = []
    for s in program.state_names:
        row = program.state_rows[s][0]
        for idx in layout.elements(s):
            derivs.append(f"    dy[{row + layout.flat(s, idx)}] = "
                          f"{em.code(deriv_trees[s], idx)}")
    derivs += [f"    din[{i}] = {em.code(tree, {})}" for i, tree in enumerate(program.delay_inputs)]
    outs = [f"        o[{layout.output_at[o] + layout.flat(o, idx)}] = {em.ref(o, idx)}"
            for o in program.output_names for idx in layout.elements(o)]
    body = _body(em, _needed(em, list(deriv_trees.values()) + list(program.delay_inputs)
                             + [Name(n) for n in program.output_names]))
    return ["@_jit", "def _rhs(t, dt, y, p, s, d, dy, din, o, save):", *body, *derivs,
            "    if save:", *outs, "        pass", "    return dy"]


def _euler_source(em: _ScalarEmitter, deriv_trees: dict) -> list[str]:
    """``run_euler``: Euler over runs lo:hi, each state row a local of the loop.

    The model's equations are written inside the loop over steps; those only
    outputs need are computed when saved. (One definition per local but the
    states': numba's SSA pass costs about the number of locals defined more
    than once times the function's length.)
    """
    program, layout = em.program, em.layout
    em.state_ref = "q{}"
    rows = range(program.n_state_rows)
    core = _needed(em, list(deriv_trees.values()))
    delay_need = _needed(em, list(program.delay_inputs), frozenset(core))
    extra = _needed(em, [Name(n) for n in program.output_names], frozenset(core | delay_need))
    derivs = []
    for s in program.state_names:
        row = program.state_rows[s][0]
        for idx in layout.elements(s):
            derivs.append(f"v{row + layout.flat(s, idx)} = {em.code(deriv_trees[s], idx)}")
    outs = [f"o[{layout.output_at[o] + layout.flat(o, idx)}] = {em.ref(o, idx)}"
            for o in program.output_names for idx in layout.elements(o)]
    din = [f"din[{i}] = {em.code(tree, {})}" for i, tree in enumerate(program.delay_inputs)]
    i3, i4, i5 = " " * 12, " " * 16, " " * 20
    lines = ["@_jit",
             "def run_euler(P, S, Y0, D0, ORDER, lo, hi, start, step, n_steps, save_every,",
             "              sel_y, sel_o, OUT, FINITE):", _FIXED_HEAD]
    lines += [f"        q{i} = Y0[r, {i}]" for i in rows]
    lines.append(_EULER_STEP)
    lines += _body(em, core, i3)
    lines += [i3 + line for line in derivs]
    lines += _body(em, delay_need, i3)
    lines += [i3 + line for line in din]
    lines.append(f"{i3}if left == 0:")
    lines += _body(em, extra, i4)
    lines += [f"{i4}yv[{i}] = q{i}" for i in rows]
    lines += [i4 + line for line in outs]
    lines += [f"{i4}for i in range(ny):", f"{i5}x = yv[sel_y[i]]", f"{i5}OUT[j, i, r] = x",
              f"{i5}bad += x - x",
              f"{i4}for i in range(no):", f"{i5}x = o[sel_o[i]]", f"{i5}OUT[j, ny + i, r] = x",
              f"{i5}bad += x - x",
              f"{i4}j += 1", f"{i4}left = save_every",
              f"{i3}left -= 1", f"{i3}if k == n_steps:", f"{i4}break",
              f"{i3}for i in range(n_d):", f"{i4}buf[i, k % ring] = din[i]"]
    lines += [f"{i3}q{i} += v{i} * step" for i in rows]
    lines.append("        FINITE[r] = bad == 0.0")
    em.state_ref = "y[{}]"
    return lines


def generate_source(program: Program, dims: Dimensions) -> str:
    """The source of a module with the model's numba functions.

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
    tables = []
    for i, (xs, ys) in enumerate(program.tables.values()):
        tables.append(f"_TX{i} = np.array({np.asarray(xs, float).tolist()!r})")
        tables.append(f"_TY{i} = np.array({np.asarray(ys, float).tolist()!r})")
    head = _HEAD.format(n_rows=program.n_state_rows, n_outputs=layout.n_outputs)
    return "\n".join([head, *tables, "", "", *_euler_source(em, deriv_trees), "", "",
                      *_rhs_source(em, deriv_trees), "", "", _RK4, "", "", _RHS_MANY])


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
# The runs lo:hi one after another, each over the whole horizon, saved values at
# OUT[save, value, run]: a thread takes a contiguous block of runs, with no barrier
# per step and no Python call in the loop. FINITE[run]: whether every value the run
# saved is finite (``bad`` sums x - x over them: NaN once one is not), so that the
# caller looks for the first non-finite value only when there is one. Euler has the
# model's equations inside its loop (_euler_source); RK4 calls _rhs four times a step.
# Both loops: the ring buffer of the fixed delays (as long as the longest delay of the
# runs lo:hi), and at each step the delayed values due from it.
_RING = """    n_d = D0.shape[1]
    ring = 1
    for r in range(lo, hi):
        for i in range(n_d):
            ring = max(ring, ORDER[r, i])
    buf = np.empty((n_d, ring))"""
_STEP_HEAD = """        left = 0
        j = 0
        for k in range(n_steps + 1):
            t = start + k * step
            if k > 0:
                for i in range(n_d):
                    if k >= order[i]:
                        d[i] = buf[i, (k - order[i]) % ring]"""
_FIXED_HEAD = _RING + """
    d = np.empty(n_d)
    din = np.empty(n_d)
    yv = np.empty(N_ROWS)
    o = np.empty(N_OUTPUTS)
    ny = sel_y.shape[0]
    no = sel_o.shape[0]
    dt = step
    for r in range(lo, hi):
        p = P[r]
        s = S[r]
        order = ORDER[r]
        bad = 0.0
        for i in range(n_d):
            d[i] = D0[r, i]"""
_EULER_STEP = _STEP_HEAD
_RK4 = '''@_jit
def run_rk4(P, S, Y0, D0, ORDER, lo, hi, start, step, n_steps, save_every, sel_y, sel_o, OUT,
            FINITE):
''' + _RING + '''
    y = np.empty(N_ROWS)
    d = np.empty(n_d)
    din = np.empty(n_d)
    scratch = np.empty(n_d)
    dy = np.empty(N_ROWS)
    o = np.empty(N_OUTPUTS)
    k2 = np.empty(N_ROWS)
    k3 = np.empty(N_ROWS)
    k4 = np.empty(N_ROWS)
    tmp = np.empty(N_ROWS)
    ny = sel_y.shape[0]
    no = sel_o.shape[0]
    half = step / 2
    sixth = step / 6
    for r in range(lo, hi):
        p = P[r]
        s = S[r]
        order = ORDER[r]
        bad = 0.0
        for i in range(N_ROWS):
            y[i] = Y0[r, i]
        for i in range(n_d):
            d[i] = D0[r, i]
''' + _STEP_HEAD + '''
            if left == 0:
                _rhs(t, step, y, p, s, d, dy, din, o, True)
                for i in range(ny):
                    x = y[sel_y[i]]
                    OUT[j, i, r] = x
                    bad += x - x
                for i in range(no):
                    x = o[sel_o[i]]
                    OUT[j, ny + i, r] = x
                    bad += x - x
                j += 1
                left = save_every
            else:
                _rhs(t, step, y, p, s, d, dy, din, o, False)
            left -= 1
            if k == n_steps:
                break
            for i in range(n_d):
                buf[i, k % ring] = din[i]
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
        FINITE[r] = bad == 0.0
'''
_RHS_MANY = '''@_jit
def rhs_many(t, dt, Y, P, S, dY):
    y = np.empty(N_ROWS)
    dr = np.empty(N_ROWS)
    none = np.empty(0)
    o = np.empty(N_OUTPUTS)
    for r in range(Y.shape[1]):
        for i in range(N_ROWS):
            y[i] = Y[i, r]
        _rhs(t, dt, y, P[r], S[r], none, dr, none, o, False)
        for i in range(N_ROWS):
            dY[i, r] = dr[i]
'''
