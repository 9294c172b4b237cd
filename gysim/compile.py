"""Compiling a model: checks, dependency order and vectorized numpy functions.

:class:`CompiledModel` checks a :class:`~gysim.model.Model` (unknown names,
wrong calls, flows attached to missing stocks, algebraic loops), expands the
stateful builtins (smooth, delay, initial) into hidden stocks, sorts the
auxiliaries and flows into dependency order and generates plain Python
functions from the parsed trees (never from the user's text):

``init(t, dt, P, OV)``
    the initial state, honouring stock-initial overrides ``OV``;
``prepare(P)``
    the values that depend on parameters only (computed once per run, not
    at every step);
``rhs(t, dt, Y, P, S, D, dY, DIN)``
    the derivatives of all stocks, written into ``dY``;
``outputs(t, dt, Y, P, S, D)``
    every auxiliary, flow and data input at given states;
``rhs_outputs(...)``
    both at once, for the saved steps of the fixed-step methods.

Every value inside them is a numpy array whose last axis is the run axis (or a
scalar that broadcasts), so one call evaluates a whole ensemble.

With dimensions (:meth:`Model.dimension`), a value over dims is held in *full
form*: one axis per model dimension, in declaration order, of the dimension's
size where the value has that dimension and of size 1 elsewhere, followed by
the trailing axes (run; or time, run in ``outputs``). numpy's broadcasting then
matches dimensions by name, a selection ``x[label]`` is a slice of length 1 and
an aggregation ``sum(x, dim)`` a reduction with ``keepdims``. A state over dims
takes ``prod(sizes)`` consecutive rows of the state array ``Y`` (rows, runs)
and is read as a reshaped view. Models without dimensions generate the same
code as before dimensions existed.

Examples
--------
>>> import gysim
>>> m = gysim.Model("m")
>>> m.stock("x", 1.0)
>>> m.param("k", 0.1)
>>> m.flow("growth", "k * x", into="x")
>>> cm = m.compile()
>>> cm.state_names, cm.param_names, cm.output_names
(['x'], ['k'], ['growth'])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

import numpy as np

from ._text import suggest
from .builtins import AGGREGATIONS, BUILTINS, RUNTIME
from .errors import ModelDefinitionError
from .expr import (BinOp, BoolOp, Call, Compare, Const, IfExp, Name, Node, Subscript,
                   UnaryOp, names, to_text, walk)
from .model import Aux, DataInput, Flow, Lookup, Model, Param, Stock

__all__ = ["CompiledModel", "suggest"]


@dataclass(frozen=True)
class DelayFixedSpec:
    """A fixed delay: its output variable, input, delay time and initial value."""

    output: str
    input: Node
    delay_time: Node
    initial: Node
    owner: str


def _fmt_dims(dims: tuple) -> str:
    return "(" + ", ".join(dims) + ")" if dims else "no dimensions"


def _has(dims: tuple) -> str:
    return f"has dims {_fmt_dims(dims)}" if dims else "has no dimensions"


def _local(name: str) -> str:
    """Python local for an element (user names) or hidden variable (leading _)."""
    return "h" + name if name.startswith("_") else "v_" + name


class CompiledModel:
    """A checked model with generated vectorized functions.

    Parameters
    ----------
    model : Model
        The model to compile. It is not changed.

    Attributes
    ----------
    state_names : list of str
        User stocks, then hidden stocks of stateful builtins.
    param_names : list of str
        Parameters in the order of the ``P`` tuple.
    output_names : list of str
        Flows, auxiliaries and data inputs, in model order.
    delays_fixed : list of DelayFixedSpec
        Fixed delays, which need a fixed-step method.
    """

    def check_units(self) -> None:
        """Check the model's units (gysim.units.check_units), once per compiled model."""
        if not self._units_checked:
            from .units import check_units
            check_units(self.model)
            self._units_checked = True

    def __init__(self, model: Model) -> None:
        self.model = model
        self._units_checked = False
        elements = model.elements
        #: Dimensions by name (their labels), in declaration order.
        self.dimensions: dict[str, tuple[str, ...]] = dict(model.dimensions)
        self._dim_list = list(self.dimensions)
        self._label_dim = {label: (d, i) for d, labels in self.dimensions.items()
                           for i, label in enumerate(labels)}
        # dims of every named value: declared for elements, inferred for hidden ones
        self._dims: dict[str, tuple[str, ...]] = {
            n: tuple(getattr(e, "dims", ())) for n, e in elements.items()}
        self._ones: dict[tuple, str] = {}
        self._constants: dict[str, np.ndarray] = {}
        self._nt = 1
        self.param_names = [n for n, e in elements.items() if isinstance(e, Param)]
        self.stock_names = [n for n, e in elements.items() if isinstance(e, Stock)]
        self.output_names = [n for n, e in elements.items()
                             if isinstance(e, (Flow, Aux, DataInput))]
        self._tables: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for n, e in elements.items():
            if isinstance(e, Lookup):
                self._tables[n] = (np.array(e.x), np.array(e.y))
            elif isinstance(e, DataInput):
                self._tables[n] = (np.array(e.times), np.array(e.values))

        self._check_references()
        self._check_flows()
        if self.dimensions:
            self._check_dims()

        # Expand stateful builtins into hidden stocks and auxes.
        self._equations: dict[str, Node] = {}      # computed variables
        self._initials: dict[str, Node] = {}       # state -> initial value tree
        self._hidden_derivs: dict[str, Node] = {}  # hidden state -> derivative tree
        self.delays_fixed: list[DelayFixedSpec] = []
        self._hidden_states: list[str] = []
        self._counter = 0
        for n, e in elements.items():
            if isinstance(e, Stock):
                for call in (c for c in walk(e.initial) if isinstance(c, Call)):
                    if BUILTINS.get(call.func) and BUILTINS[call.func].kind == "stateful":
                        raise ModelDefinitionError(
                            f"initial value of stock '{n}': `{call.func}` keeps state and cannot "
                            f"be used in an initial value; use the value it starts from")
                self._initials[n] = e.initial
                if e.values is not None:  # one number per element: a constant of the code
                    const = f"_initval_{n}"
                    self._dims[const] = e.dims
                    self._constants[_local(const)] = np.asarray(e.values, dtype=float).reshape(
                        self.full_shape(e.dims) + (1,))
                    self._initials[n] = Name(const)
        for n, e in elements.items():
            if isinstance(e, (Flow, Aux)):
                self._equations[n] = self._expand(e.tree, owner=n)
            elif isinstance(e, DataInput):
                self._equations[n] = Call(n, (Name("time"),))
        self.state_names = self.stock_names + self._hidden_states
        self.discrete_names = [d.output for d in self.delays_fixed]
        # Layout of the state array: a state over dims takes prod(sizes) rows.
        self.state_rows: dict[str, tuple[int, int]] = {}
        self.row_names: list[str] = []
        row = 0
        for s in self.state_names:
            size = int(np.prod(self.full_shape(self.dims_of(s))))
            self.state_rows[s] = (row, row + size)
            self.row_names += [s] * size
            row += size
        self.n_state_rows = row

        self.order = self._dynamic_order()
        self.breakpoints = self._breakpoints()
        self._init_order = self._initial_order()
        self._generate()

    # ------------------------------------------------------------------ checks
    def _check_references(self) -> None:
        elements = self.model.elements
        known = set(elements) | {"time"} | set(self.dimensions)
        for owner, element in elements.items():
            trees = []
            if isinstance(element, Stock):
                trees.append(("initial value of stock", element.initial))
            elif isinstance(element, (Flow, Aux)):
                trees.append((element.kind, element.tree))
            for what, tree in trees:
                where = f"{what} '{owner}'"
                for node in walk(tree):
                    if isinstance(node, Name):
                        if node.id in self._label_dim:
                            raise ModelDefinitionError(
                                f"{where} uses '{node.id}', an element label of dimension "
                                f"'{self._label_dim[node.id][0]}'; select an element with a "
                                f"subscript, e.g. x[{node.id}]")
                        if node.id not in known:
                            raise ModelDefinitionError(
                                f"{where} uses '{node.id}', which is not defined in model "
                                f"'{self.model.name}'{suggest(node.id, known)}")
                        if isinstance(elements.get(node.id), Lookup):
                            raise ModelDefinitionError(
                                f"{where} uses lookup '{node.id}' as a value; call it with an "
                                f"argument, e.g. {node.id}(x)")
                    elif isinstance(node, Call):
                        self._check_call(node, where, elements)
                if owner in names(tree) and isinstance(element, (Flow, Aux)):
                    raise ModelDefinitionError(
                        f"{where} refers to itself: '{owner}' = {to_text(tree)} is an algebraic "
                        f"loop; make one of the variables in it a stock")

    def _check_call(self, node: Call, where: str, elements: Mapping) -> None:
        spec = BUILTINS.get(node.func)
        n = len(node.args)
        if spec is not None:
            if not spec.min_args <= n <= spec.max_args:
                expected = (str(spec.min_args) if spec.min_args == spec.max_args
                            else f"{spec.min_args} to {spec.max_args}")
                raise ModelDefinitionError(
                    f"{where}: `{node.func}` takes {expected} arguments, got {n} "
                    f"(usage: {spec.signature})")
            if node.func in ("smooth_n", "delay_n") and not isinstance(node.args[3], Const):
                raise ModelDefinitionError(
                    f"{where}: the order of `{node.func}` must be a constant number")
            if node.func in ("sum", "mean", "prod") and not (
                    isinstance(node.args[1], Name) and node.args[1].id in self.dimensions):
                raise ModelDefinitionError(
                    f"{where}: the second argument of `{node.func}` must be a dimension name "
                    f"({', '.join(self.dimensions) or 'the model declares none'}), got "
                    f"`{to_text(node.args[1])}`")
            return
        target = elements.get(node.func)
        if isinstance(target, Lookup):
            if n != 1:
                raise ModelDefinitionError(
                    f"{where}: lookup '{node.func}' takes one argument, got {n}")
            return
        if target is not None:
            raise ModelDefinitionError(
                f"{where} calls '{node.func}', which is a {target.kind}, not a function or lookup")
        candidates = list(BUILTINS) + [k for k, v in elements.items() if isinstance(v, Lookup)]
        raise ModelDefinitionError(
            f"{where} calls unknown function '{node.func}'{suggest(node.func, candidates)}")

    def _check_flows(self) -> None:
        elements = self.model.elements
        for name, e in elements.items():
            if not isinstance(e, Flow):
                continue
            for role, target in (("into", e.into), ("out_of", e.out_of)):
                if target is None:
                    continue
                if target not in elements:
                    raise ModelDefinitionError(
                        f"flow '{name}' has {role}='{target}', which is not a stock of model "
                        f"'{self.model.name}'{suggest(target, self.stock_names)}")
                if not isinstance(elements[target], Stock):
                    raise ModelDefinitionError(
                        f"flow '{name}' has {role}='{target}', which is a "
                        f"{elements[target].kind}, not a stock")

    # ------------------------------------------------------------------ dimensions
    def full_shape(self, dims: Iterable[str]) -> tuple[int, ...]:
        """Shape of a value over ``dims`` in full form (size 1 for the other dims).

        Examples
        --------
        >>> import gysim
        >>> m = gysim.Model("m")
        >>> m.dimension("sector", ["a", "b", "c"])
        >>> m.dimension("district", ["north", "south"])
        >>> m.compile().full_shape(("district",))
        (1, 2)
        """
        dims = set(dims)
        return tuple(len(self.dimensions[d]) if d in dims else 1 for d in self._dim_list)

    def _union(self, *groups: Iterable[str]) -> tuple[str, ...]:
        found = set().union(*groups)
        return tuple(d for d in self._dim_list if d in found)

    def dims_of(self, name: str) -> tuple[str, ...]:
        """Dimensions of a named value: declared for elements, inferred for hidden ones."""
        if name in self._dims:
            return self._dims[name]
        if name == "time" or not self.dimensions:
            return ()
        self._dims[name] = ()  # a state's derivative refers to the state itself
        if name in self._hidden_derivs:
            dims = self._union(self._infer(self._initials[name], name),
                               self._infer(self._hidden_derivs[name], name))
        elif name in self._equations:
            dims = self._infer(self._equations[name], name)
        else:
            dims = ()
        self._dims[name] = dims
        return dims

    def _aggregated_dim(self, call: Call) -> str | None:
        """The dimension an aggregating call reduces over, or None."""
        if call.func in ("sum", "mean", "prod") or (
                call.func in ("min", "max") and len(call.args) == 2
                and isinstance(call.args[1], Name) and call.args[1].id in self.dimensions
                and call.func not in self.model.elements):
            return call.args[1].id
        return None

    def _infer(self, tree: Node, where: str) -> tuple[str, ...]:
        """Dimensions of an expression, checking selections and aggregations."""
        if not self.dimensions:
            return ()
        if isinstance(tree, Const):
            return ()
        if isinstance(tree, Name):
            if tree.id in self.dimensions:
                raise ModelDefinitionError(
                    f"{where}: dimension '{tree.id}' may only be the second argument of sum, "
                    f"mean, prod, min or max, e.g. sum(x, {tree.id})")
            return self.dims_of(tree.id)
        if isinstance(tree, Subscript):
            base = tree.value.id
            have = self.dims_of(base)
            shown = f"{base}[{', '.join(tree.labels)}]"
            if not have:
                raise ModelDefinitionError(
                    f"{where}: '{base}' has no dimensions, so `{shown}` selects nothing")
            left = list(have)
            for label in tree.labels:
                if label not in self._label_dim:
                    raise ModelDefinitionError(
                        f"{where}: '{label}' in `{shown}` is not an element label of any "
                        f"dimension{suggest(label, self._label_dim)}")
                dim = self._label_dim[label][0]
                if dim not in have:
                    raise ModelDefinitionError(
                        f"{where}: '{label}' in `{shown}` is an element of dimension '{dim}', "
                        f"but '{base}' {_has(have)}")
                if dim not in left:
                    raise ModelDefinitionError(
                        f"{where}: `{shown}` selects two elements of dimension '{dim}'")
                left.remove(dim)
            return tuple(left)
        if isinstance(tree, Call):
            dim = self._aggregated_dim(tree)
            if dim is not None:
                inner = self._infer(tree.args[0], where)
                if dim not in inner:
                    raise ModelDefinitionError(
                        f"{where}: `{to_text(tree)}` aggregates over dimension '{dim}', but "
                        f"`{to_text(tree.args[0])}` {_has(inner)}")
                return tuple(d for d in inner if d != dim)
            dims = self._union(*(self._infer(a, where) for a in tree.args))
            if dims and tree.func == "delay_fixed":
                raise ModelDefinitionError(
                    f"{where}: delay_fixed over dimensions {_fmt_dims(dims)} is not supported; "
                    f"use delay_n, or one delay_fixed per element")
            if dims and tree.func == "delay_n" and self._varies(tree.args[1]):
                raise ModelDefinitionError(
                    f"{where}: delay_n with a time-varying delay time over dimensions "
                    f"{_fmt_dims(dims)} is not supported")
            return dims
        if isinstance(tree, (BinOp, Compare)):
            return self._union(self._infer(tree.left, where), self._infer(tree.right, where))
        if isinstance(tree, UnaryOp):
            return self._infer(tree.operand, where)
        if isinstance(tree, BoolOp):
            return self._union(*(self._infer(v, where) for v in tree.values))
        if isinstance(tree, IfExp):
            return self._union(self._infer(tree.test, where), self._infer(tree.body, where),
                               self._infer(tree.orelse, where))
        raise TypeError(f"not an expression node: {tree!r}")  # pragma: no cover

    def _check_dims(self) -> None:
        """Equations' dimensions fit the declared ones; flows fit their stocks."""
        elements = self.model.elements
        for name, e in elements.items():
            if isinstance(e, Stock):
                if e.values is not None:
                    continue
                where, tree = f"initial value of stock '{name}'", e.initial
            elif isinstance(e, (Flow, Aux)):
                where, tree = f"{e.kind} '{name}'", e.tree
            else:
                continue
            have = self._infer(tree, where)
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

    def _ones_name(self, dims: tuple[str, ...]) -> str:
        """A constant of ones in full form over ``dims`` (for the current trailing axes)."""
        key = (dims, self._nt)
        if key not in self._ones:
            name = f"_ONES{len(self._ones)}"
            self._ones[key] = name
            self._constants[name] = np.ones(self.full_shape(dims) + (1,) * self._nt)
        return self._ones[key]

    def _assign(self, name: str, tree: Node) -> str:
        """Code of a value, broadcast to its declared dims when the equation has fewer."""
        code = self._code(tree)
        if not self.dimensions:
            return code
        want = self.dims_of(name)
        if want and self._infer(tree, name) != want:
            code = f"({code} * {self._ones_name(want)})"
        return code

    # ------------------------------------------------------------------ stateful expansion
    def _hidden(self, prefix: str, owner: str) -> str:
        self._counter += 1
        return f"_{prefix}_{owner}_{self._counter}"

    def _as_name(self, tree: Node, prefix: str, owner: str) -> Node:
        """Give a non-trivial argument its own hidden aux, so it is computed once."""
        if isinstance(tree, (Name, Const)):
            return tree
        name = self._hidden(prefix, owner)
        self._equations[name] = tree
        return Name(name)

    def _expand(self, tree: Node, owner: str) -> Node:
        """Rewrite a tree bottom-up, replacing stateful calls by hidden variables."""
        if isinstance(tree, (Const, Name)):
            return tree
        if isinstance(tree, BinOp):
            return BinOp(tree.op, self._expand(tree.left, owner), self._expand(tree.right, owner))
        if isinstance(tree, UnaryOp):
            return UnaryOp(tree.op, self._expand(tree.operand, owner))
        if isinstance(tree, Compare):
            return Compare(tree.op, self._expand(tree.left, owner), self._expand(tree.right, owner))
        if isinstance(tree, BoolOp):
            return BoolOp(tree.op, tuple(self._expand(v, owner) for v in tree.values))
        if isinstance(tree, IfExp):
            return IfExp(self._expand(tree.test, owner), self._expand(tree.body, owner),
                         self._expand(tree.orelse, owner))
        if isinstance(tree, Subscript):
            return tree
        assert isinstance(tree, Call)
        args = tuple(self._expand(a, owner) for a in tree.args)
        spec = BUILTINS.get(tree.func)
        if spec is None or spec.kind != "stateful":
            return Call(tree.func, args)
        return self._stateful(tree.func, args, owner)

    def _stateful(self, func: str, args: tuple, owner: str) -> Node:
        x = self._as_name(args[0], "in", owner)
        if func == "initial":
            state = self._hidden("initial", owner)
            self._add_state(state, x, Const(0.0))
            return Name(state)
        delay = self._as_name(args[1], "tau", owner)
        init = self._as_name(args[2], "init", owner) if len(args) > 2 else x
        if func == "delay_fixed":
            out = self._hidden("delay_fixed", owner)
            self.delays_fixed.append(DelayFixedSpec(out, x, delay, init, owner))
            return Name(out)
        order = {"smooth": 1, "smooth3": 3, "delay1": 1, "delay3": 3}.get(func)
        if order is None:  # smooth_n / delay_n: checked constant in _check_call
            value = args[3].value
            if value < 1 or not float(value).is_integer():
                raise ModelDefinitionError(
                    f"{owner}: the order of `{func}` must be a positive integer, got {value:g}")
            order = int(value)
        stage_time = delay if order == 1 else BinOp("/", delay, Const(float(order)))
        upstream: Node = x
        stage = Name("")
        if func.startswith("smooth"):
            # Each stage relaxes toward the previous one with time delay/order.
            for _ in range(order):
                stage = Name(self._hidden("smooth", owner))
                self._add_state(stage.id, init,
                                BinOp("/", BinOp("-", upstream, stage), stage_time))
                upstream = stage
            return stage
        # Material delay: each stage holds `initial * delay_time` at the start
        # (PySD's and Vensim's convention); its outflow is stage / delay * order.
        if func == "delay_n" and self._varies(delay):
            return self._delay_n_varying(x, delay, init, order, owner)
        for _ in range(order):
            stage = Name(self._hidden("delay", owner))
            outflow = BinOp("/", stage, delay)
            self._add_state(stage.id, BinOp("*", init, delay),
                            BinOp("*", BinOp("-", upstream, outflow), Const(float(order))))
            upstream = outflow
        return upstream

    def _varies(self, tree: Node, seen: frozenset = frozenset()) -> bool:
        """Whether ``tree`` may change during a run (uses time, a state, a data input...)."""
        elements = self.model.elements
        for node in walk(tree):
            if isinstance(node, Call):
                spec = BUILTINS.get(node.func)
                if spec is not None and spec.kind in ("time", "stateful"):
                    return True
            elif isinstance(node, Name) and node.id not in seen:
                if node.id in self.dimensions:
                    continue
                element = elements.get(node.id)
                if isinstance(element, Param):
                    continue
                if isinstance(element, Aux):
                    sub = element.tree
                elif node.id.startswith("_") and node.id in self._equations:
                    sub = self._equations[node.id]
                else:  # time, stocks, flows, data inputs, hidden states
                    return True
                if self._varies(sub, seen | {node.id}):
                    return True
        return False

    def _delay_n_varying(self, x: Node, delay: Node, init: Node, order: int,
                         owner: str) -> Node:
        """Vensim's DELAY N when the delay time changes during the run.

        Vensim (and PySD's ``DelayN``) give each stage the delay time of the
        step at which its content entered: the stage delay times are a shift
        register advanced once per time step. Stage 0 drains with the current
        delay time, stage k with the one of k steps ago, and the reported
        output is ``last stage / delay time of one step ago``. The register is
        made of one-step fixed delays, so this needs a fixed-step method;
        with a constant delay time it is the ordinary chain of stages.
        """
        lagged: list[Node] = []
        upstream_time: Node = delay
        for _ in range(max(order - 1, 1)):
            out = self._hidden("delay_n_time", owner)
            # A delay time of 0 shifts by exactly one step (the minimum).
            self.delays_fixed.append(DelayFixedSpec(
                out, upstream_time, Const(0.0), delay,
                f"delay_n of '{owner}', whose delay time varies"))
            lagged.append(Name(out))
            upstream_time = Name(out)
        stage_times = [delay] + lagged[:order - 1]
        upstream: Node = x
        stage = Name("")
        for stage_time in stage_times:
            stage = Name(self._hidden("delay", owner))
            outflow = BinOp("/", stage, stage_time)
            self._add_state(stage.id, BinOp("*", init, delay),
                            BinOp("*", BinOp("-", upstream, outflow), Const(float(order))))
            upstream = outflow
        return BinOp("/", stage, lagged[0])

    def _add_state(self, name: str, initial: Node, derivative: Node) -> None:
        self._hidden_states.append(name)
        self._initials[name] = initial
        self._hidden_derivs[name] = derivative

    # ------------------------------------------------------------------ ordering
    def _toposort(self, graph: dict[str, set[str]], what: str) -> list[str]:
        order: list[str] = []
        state: dict[str, int] = {}  # 1 = on the stack, 2 = done
        for root in graph:
            if state.get(root):
                continue
            stack = [(root, iter(sorted(graph[root])))]
            state[root] = 1
            path = [root]
            while stack:
                node, children = stack[-1]
                for child in children:
                    if state.get(child) == 1:
                        cycle = path[path.index(child):] + [child]
                        shown = [c for c in cycle if not c.startswith("_")] or cycle
                        raise ModelDefinitionError(
                            f"algebraic loop in {what}: " + " -> ".join(shown) +
                            "; break it with a stock (or a smooth/delay) on the loop")
                    if not state.get(child):
                        state[child] = 1
                        path.append(child)
                        stack.append((child, iter(sorted(graph[child]))))
                        break
                else:
                    stack.pop()
                    path.pop()
                    state[node] = 2
                    order.append(node)
        return order

    def _dynamic_order(self) -> list[str]:
        computed = set(self._equations)
        graph = {n: names(tree) & computed for n, tree in self._equations.items()}
        return self._toposort(graph, "the model's equations")

    def _initial_order(self) -> list[str]:
        """Order in which initial values and the values they need are computed."""
        trees = dict(self._equations)
        for d in self.delays_fixed:
            trees[d.output] = d.initial
        trees.update(self._initials)
        graph = {n: names(tree) & set(trees) for n, tree in trees.items()}
        # Only what the initial values (and the fixed delays' set-up) need.
        needed: set[str] = set()
        stack = list(self._initials) + [d.output for d in self.delays_fixed]
        for d in self.delays_fixed:
            stack.extend(names(d.delay_time) & set(trees))
        while stack:
            n = stack.pop()
            if n not in needed:
                needed.add(n)
                stack.extend(graph[n])
        sub = {n: graph[n] for n in trees if n in needed}
        self._init_trees = trees
        return self._toposort(sub, "the initial values")

    def _breakpoints(self) -> list[Node]:
        """Times at which step, ramp or pulse make the derivatives jump.

        Only arguments that are numbers or parameter names are kept; adaptive
        methods integrate up to each such time and restart after it.
        """
        found: list[Node] = []
        for tree in self._equations.values():
            for node in walk(tree):
                if not isinstance(node, Call):
                    continue
                if node.func == "step":
                    found.append(node.args[1])
                elif node.func == "ramp":
                    found.extend(node.args[1:3])
                elif node.func == "pulse":
                    found.append(node.args[0])
                    if len(node.args) > 1:
                        found.append(BinOp("+", node.args[0], node.args[1]))
        params = {p for p in self.param_names if not self._dims.get(p)}
        return [t for t in found
                if all(isinstance(n, (Const, BinOp)) or (isinstance(n, Name) and n.id in params)
                       for n in walk(t))]

    # ------------------------------------------------------------------ code generation
    def _code(self, tree: Node) -> str:
        if isinstance(tree, Const):  # negative numbers bracketed: (-2.0) ** x, not -(2.0 ** x)
            return f"({tree.value!r})" if tree.value < 0 else repr(tree.value)
        if isinstance(tree, Name):
            return "t" if tree.id == "time" else _local(tree.id)
        if isinstance(tree, BinOp):
            if isinstance(tree.left, Const) and isinstance(tree.right, Const):
                # two Python numbers: compute as numpy so 1/0 is inf, not an exception
                return f"(np.float64({tree.left.value!r}) {tree.op} ({tree.right.value!r}))"
            return f"({self._code(tree.left)} {tree.op} {self._code(tree.right)})"
        if isinstance(tree, UnaryOp):
            if tree.op == "not":
                return f"np.logical_not({self._code(tree.operand)})"
            return f"({tree.op}{self._code(tree.operand)})"
        if isinstance(tree, Compare):
            return f"({self._code(tree.left)} {tree.op} {self._code(tree.right)})"
        if isinstance(tree, BoolOp):
            func = "np.logical_and" if tree.op == "and" else "np.logical_or"
            code = self._code(tree.values[0])
            for v in tree.values[1:]:
                code = f"{func}({code}, {self._code(v)})"
            return code
        if isinstance(tree, IfExp):
            return (f"np.where({self._code(tree.test)}, {self._code(tree.body)}, "
                    f"{self._code(tree.orelse)})")
        if isinstance(tree, Subscript):
            index = [":"] * len(self._dim_list)
            for label in tree.labels:
                dim, i = self._label_dim[label]
                index[self._dim_list.index(dim)] = f"{i}:{i + 1}"
            while index[-1] == ":":
                index.pop()
            return f"{_local(tree.value.id)}[{', '.join(index)}]"
        if isinstance(tree, Call) and self.dimensions and self._aggregated_dim(tree):
            dim = self._aggregated_dim(tree)
            axis = self._dim_list.index(dim) - len(self._dim_list) - self._nt
            return (f"{AGGREGATIONS[tree.func]}({self._code(tree.args[0])}, axis={axis}, "
                    f"keepdims=True)")
        if isinstance(tree, Call):
            args = [self._code(a) for a in tree.args]
            if tree.func in self._tables:
                i = list(self._tables).index(tree.func)
                return f"np.interp({args[0]}, _TX{i}, _TY{i})"
            return BUILTINS[tree.func].template(args)
        raise TypeError(f"cannot generate code for {tree!r}")  # pragma: no cover

    def _needed_for(self, roots: Iterable[Node]) -> list[str]:
        """Computed variables the given trees need, in dependency order (statics excluded)."""
        need: set[str] = set()
        stack = [n for tree in roots for n in names(tree)]
        while stack:
            n = stack.pop()
            if n in self._equations and n not in need and n not in self._static_set:
                need.add(n)
                stack.extend(names(self._equations[n]))
        return [n for n in self.order if n in need]

    def _unpack(self, lines: list[str], used: set[str], states: str | None,
                discrete: str | None) -> None:
        def lift(source: str, name: str) -> str:
            # outputs() of the adaptive methods has a time axis before the run axis
            if self._nt == 2 and self.dims_of(name):
                return f"{source}[..., None, :]"
            return source

        if states:
            for n in self.state_names:
                if n not in used:
                    continue
                a, b = self.state_rows[n]
                dims = self.dims_of(n)
                if dims:
                    lines.append(f"    {_local(n)} = {states}[{a}:{b}].reshape("
                                 f"{self.full_shape(dims)!r} + {states}.shape[1:])")
                else:
                    lines.append(f"    {_local(n)} = {states}[{a}]")
        lines += [f"    {_local(n)} = {lift(f'P[{i}]', n)}"
                  for i, n in enumerate(self.param_names) if n in used]
        if states:
            lines += [f"    {_local(n)} = {lift(f'S[{i}]', n)}"
                      for i, n in enumerate(self.static_names) if n in used]
        if discrete:
            lines += [f"    {_local(n)} = {discrete}[{i}]"
                      for i, n in enumerate(self.discrete_names) if n in used]

    # ------------------------------------------------------------------ per-run constants
    def _is_static(self, tree: Node) -> bool:
        """True when a tree depends on parameters only: no time, no state."""
        for node in walk(tree):
            if isinstance(node, Name):
                if node.id not in self._param_set and node.id not in self._static_set \
                        and node.id not in self.dimensions:
                    return False
            elif isinstance(node, Call):
                spec = BUILTINS.get(node.func)
                if spec is not None and spec.kind != "pure":
                    return False
                if isinstance(self.model.elements.get(node.func), DataInput):
                    return False
        return True

    def _hoist(self, tree: Node) -> Node:
        """Replace the largest parameter-only sub-expressions by hidden static values."""
        if isinstance(tree, (Const, Name)):
            return tree
        if self._is_static(tree):
            name = f"_static_{len(self.static_names)}"
            self._equations[name] = tree
            self._static_set.add(name)
            self.static_names.append(name)
            return Name(name)
        if isinstance(tree, BinOp):
            return BinOp(tree.op, self._hoist(tree.left), self._hoist(tree.right))
        if isinstance(tree, UnaryOp):
            return UnaryOp(tree.op, self._hoist(tree.operand))
        if isinstance(tree, Compare):
            return Compare(tree.op, self._hoist(tree.left), self._hoist(tree.right))
        if isinstance(tree, BoolOp):
            return BoolOp(tree.op, tuple(self._hoist(v) for v in tree.values))
        if isinstance(tree, IfExp):
            return IfExp(self._hoist(tree.test), self._hoist(tree.body), self._hoist(tree.orelse))
        if isinstance(tree, Subscript):
            return tree
        assert isinstance(tree, Call)
        return Call(tree.func, tuple(self._hoist(a) for a in tree.args))

    def _find_statics(self) -> None:
        """Values computed once per run instead of at every step.

        Whole variables that depend on parameters only, then the largest
        parameter-only sub-expressions of the other equations (e.g. ``1 - a``
        in ``x ** (1 - a)``), become entries of the tuple ``S`` that
        ``prepare(P)`` returns.
        """
        self._param_set = set(self.param_names)
        self._static_set: set[str] = set()
        self.static_names: list[str] = []
        for n in self.order:
            if self._is_static(self._equations[n]):
                self._static_set.add(n)
                self.static_names.append(n)
        for n in self.order:
            if n not in self._static_set:
                self._equations[n] = self._hoist(self._equations[n])
        for s, tree in list(self._hidden_derivs.items()):
            self._hidden_derivs[s] = self._hoist(tree)

    # ------------------------------------------------------------------ code generation
    def _function(self, header: str, roots: list[Node], tail: list[str]) -> str:
        body = self._needed_for(roots)
        used = set().union(*(names(t) for t in roots), *(names(self._equations[n]) for n in body))
        lines = [header]
        self._unpack(lines, used, "Y", "D")
        lines += [f"    {_local(n)} = {self._assign(n, self._equations[n])}" for n in body]
        return "\n".join(lines + tail)

    def _generate(self) -> None:
        elements = self.model.elements
        flows_in: dict[str, list[str]] = {s: [] for s in self.stock_names}
        flows_out: dict[str, list[str]] = {s: [] for s in self.stock_names}
        for n, e in elements.items():
            if isinstance(e, Flow):
                if e.into:
                    flows_in[e.into].append(n)
                if e.out_of:
                    flows_out[e.out_of].append(n)
        self._find_statics()
        deriv_trees: dict[str, Node] = {}
        for s in self.stock_names:
            terms: Node | None = None
            for f in flows_in[s]:
                terms = Name(f) if terms is None else BinOp("+", terms, Name(f))
            for f in flows_out[s]:
                terms = UnaryOp("-", Name(f)) if terms is None else BinOp("-", terms, Name(f))
            deriv_trees[s] = terms if terms is not None else Const(0.0)
        deriv_trees.update(self._hidden_derivs)
        din_trees = [self._hoist(d.input) for d in self.delays_fixed]
        self._nt = 1
        derivs = []
        for s in self.state_names:
            a, b = self.state_rows[s]
            dims = self.dims_of(s)
            if dims:
                derivs.append(f"    dY[{a}:{b}].reshape({self.full_shape(dims)!r} + (-1,))[...] = "
                              f"{self._code(deriv_trees[s])}")
            else:
                derivs.append(f"    dY[{a}] = {self._code(deriv_trees[s])}")
        derivs += [f"    DIN[{i}] = {self._code(t)}" for i, t in enumerate(din_trees)]
        returned = "    return (" + "".join(f"{_local(n)}, " for n in self.output_names) + ")"
        out_roots = [Name(n) for n in self.output_names]

        # prepare: the static values of a chunk of runs
        lines = ["def prepare(P):"]
        used = set().union(*(names(self._equations[n]) for n in self.static_names))
        self._unpack(lines, used, None, None)
        lines += [f"    {_local(n)} = {self._assign(n, self._equations[n])}"
                  for n in self.static_names]
        lines.append("    return (" + "".join(f"{_local(n)}, " for n in self.static_names) + ")")
        prepare_src = "\n".join(lines)
        rhs_src = self._function("def rhs(t, dt, Y, P, S, D, dY, DIN):",
                                 list(deriv_trees.values()) + din_trees,
                                 derivs + ["    return dY"])
        self._nt = 2
        out_src = self._function("def outputs(t, dt, Y, P, S, D):", out_roots, [returned])
        self._nt = 1
        both_src = self._function("def rhs_outputs(t, dt, Y, P, S, D, dY, DIN):",
                                  list(deriv_trees.values()) + din_trees + out_roots,
                                  derivs + [returned])

        # initial values
        state_index = {s: i for i, s in enumerate(self.state_names)}
        used = set().union(*(names(self._init_trees[n]) for n in self._init_order),
                           *(names(d.delay_time) for d in self.delays_fixed))
        lines = ["def init(t, dt, P, OV):"]
        self._unpack(lines, used, None, None)
        for n in self._init_order:
            code = self._assign(n, self._init_trees[n])
            if n in state_index and n in self.stock_names:
                i = state_index[n]
                code = f"OV[{i}] if {i} in OV else {code}"
            lines.append(f"    {_local(n)} = {code}")
        lines.append("    return [" + "".join(f"{_local(s)}, " for s in self.state_names) + "], ["
                     + "".join(f"{_local(d.output)}, " for d in self.delays_fixed) + "], ["
                     + "".join(f"{self._code(d.delay_time)}, " for d in self.delays_fixed) + "]")
        init_src = "\n".join(lines)

        namespace = dict(RUNTIME)
        namespace.update(self._constants)
        for i, (xs, ys) in enumerate(self._tables.values()):
            namespace[f"_TX{i}"], namespace[f"_TY{i}"] = xs, ys
        self.source = "\n\n".join([init_src, prepare_src, rhs_src, out_src, both_src])
        code = compile(self.source, f"<gysim model {self.model.name!r}>", "exec")
        exec(code, namespace)  # noqa: S102 - source generated from whitelisted trees only
        self.init = namespace["init"]
        self.prepare = namespace["prepare"]
        self.rhs = namespace["rhs"]
        self.outputs = namespace["outputs"]
        self.rhs_outputs = namespace["rhs_outputs"]

