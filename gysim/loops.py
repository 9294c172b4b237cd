"""Feedback loops: the elementary cycles of a model's dependency graph, with polarities.

A feedback loop is a closed path of causal links through at least one
stock. The links are those of the compiled model: each equation depends on
the names it uses, each stock on its inflows and outflows (its initial value
is not a link), and stateful functions (``smooth``, ``delay_n``...) are the
hidden stocks they become. The loops are the graph's elementary cycles
(Johnson's algorithm, through :func:`networkx.simple_cycles`); a loop made
only of hidden stocks (the inside of a ``smooth``) is not reported.

A link's polarity is the sign of its partial derivative ``d target / d source``
(the others held), taken at the model's start or at every saved point of a
run: ``"+"``, ``"-"``, ``"?"`` where the sign changes between points, ``"0"``
where it is zero at every point. A loop's polarity is the product of its
links' (``"?"`` if one of them is ``"?"`` or ``"0"``). Loops are named
``R1, R2...`` (reinforcing, ``+``), ``B1...`` (balancing, ``-``) and ``U1...``
(sign unknown), in the order found (stocks in model order).

Examples
--------
>>> import gysim
>>> m = gysim.Model("logistic", stop=20)
>>> m.stock("population", 10.0)
>>> m.param("r", 0.5)
>>> m.param("capacity", 1000.0)
>>> m.flow("births", "r * population", into="population")
>>> m.flow("deaths", "r * population ** 2 / capacity", out_of="population")
>>> for loop in m.loops():
...     print(loop.id, loop.polarity, loop.name)
R1 + population → births → population
B1 - population → deaths → population
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice
from typing import Any, Mapping, Sequence

import numpy as np

from .elements import ModelLike
from .engine import CompiledModel
from .engine.codegen import derivative_trees
from .engine.program import local_name
from .errors import ModelDefinitionError, ParameterError
from .expr import names
from .link_values import ProgramValues

__all__ = ["Link", "Loop", "Loops", "dependency_graph", "find_loops", "loops_at",
           "link_polarity", "MAX_LOOPS"]

#: Loops listed at most unless ``limit=`` says otherwise (large models have millions).
MAX_LOOPS = 10_000

_ARROW = " → "


@dataclass(frozen=True)
class Link:
    """A causal link ``source → target`` and its polarity (``+ - ? 0``)."""

    source: str
    target: str
    polarity: str


@dataclass(frozen=True)
class Loop:
    """One feedback loop.

    Attributes
    ----------
    id : str
        ``R1``, ``B2``, ``U1``... (reinforcing, balancing, unknown sign).
    variables : tuple of str
        The model's variables along the loop, in order, a stock first.
    polarity : str
        ``"+"``, ``"-"`` or ``"?"``.
    links : tuple of Link
        Every link of the loop, hidden values of stateful functions included.
    path : tuple of str
        Every node of the loop in order (hidden ones included); ``links[i]``
        goes from ``path[i]`` to ``path[i + 1]`` (the last back to the first).
    stocks : tuple of str
        The model's own stocks on the loop, in order.
    sector : str or None
        The sector of its variables when ``sectors=`` was given (several
        joined by ``" & "``).
    """

    id: str
    variables: tuple[str, ...]
    polarity: str
    links: tuple[Link, ...]
    path: tuple[str, ...]
    stocks: tuple[str, ...] = ()
    sector: str | None = None

    @property
    def name(self) -> str:
        """``population → births → population``."""
        return _ARROW.join(self.variables + self.variables[:1])

    def __len__(self) -> int:
        return len(self.variables)


class Loops(tuple):
    """The loops of a model: a tuple of :class:`Loop` with a table (see :func:`find_loops`)."""

    def table(self):
        """One row per loop: id, name, polarity, length, stocks, sector (a DataFrame)."""
        import pandas as pd

        return pd.DataFrame(
            [{"id": lp.id, "name": lp.name, "polarity": lp.polarity,
              "length": len(lp.variables), "sector": lp.sector} for lp in self],
            columns=["id", "name", "polarity", "length", "sector"]).set_index("id")

    def by_id(self, loop_id: str) -> Loop:
        """The loop named ``loop_id`` (``"R1"``)."""
        for lp in self:
            if lp.id == loop_id:
                return lp
        raise ParameterError(f"no loop {loop_id!r}; the loops are "
                             f"{', '.join(lp.id for lp in self) or 'none'}")

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()


def dependency_graph(compiled: CompiledModel):
    """The causal links of a compiled model as a :class:`networkx.DiGraph`.

    Nodes are the equations (flows, auxiliaries, hidden values) and the
    stocks (the model's and hidden ones); an edge ``a → b`` means ``b``'s
    equation (for a stock: its net flow) uses ``a``. Parameters, lookups,
    data and time are not nodes: nothing feeds back into them.

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("m")
    >>> m.stock("x", 1.0)
    >>> m.param("k", 0.1)
    >>> m.flow("growth", "k * x", into="x")
    >>> sorted(dependency_graph(m.compile()).edges)
    [('growth', 'x'), ('x', 'growth')]
    """
    import networkx as nx

    net_flows = derivative_trees(compiled.program)
    program = compiled.program
    statics = set(program.static_names)
    nodes = (set(program.equations) - statics) | set(net_flows)
    graph = nx.DiGraph()
    graph.add_nodes_from(n for n in list(program.equations) + list(net_flows) if n in nodes)
    for name, tree in program.equations.items():
        if name in nodes:
            graph.add_edges_from((src, name) for src in names(tree) if src in nodes)
    for state, tree in net_flows.items():
        graph.add_edges_from((src, state) for src in names(tree) if src in nodes)
    return graph


def _signs(before: np.ndarray, after: np.ndarray) -> set[int]:
    """Signs of ``after - before`` beyond rounding (a few ulps of the values)."""
    before, after = np.broadcast_arrays(np.asarray(before, dtype=float),
                                        np.asarray(after, dtype=float))
    delta = after - before
    tol = 16 * np.finfo(float).eps * np.maximum(np.abs(before), np.abs(after))
    finite = np.isfinite(delta)
    out = set()
    if np.any(finite & (delta > tol)):
        out.add(1)
    if np.any(finite & (delta < -tol)):
        out.add(-1)
    return out


def link_polarity(values: ProgramValues, source: str, target: str, env: Mapping[str, Any]) -> str:
    """The sign of ``d target / d source`` at the points of ``env`` (``+ - ? 0``).

    The source is nudged up by a small relative step, everything else held.

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("m")
    >>> m.stock("x", 1.0)
    >>> m.flow("decay", "x / 4", out_of="x")
    >>> v = ProgramValues(m.compile())
    >>> link_polarity(v, "x", "decay", v.at_start()), link_polarity(v, "decay", "x", v.at_start())
    ('+', '-')
    """
    key = local_name(source)
    base = np.asarray(env[key], dtype=float)
    step = 1e-6 * np.maximum(np.abs(base), 1e-3)
    nudged = dict(env)
    nudged[key] = base + step
    evaluate = values.net_flow if values.is_state(target) else values.evaluate
    with np.errstate(all="ignore"):
        before, after = evaluate(target, env), evaluate(target, nudged)
    signs = _signs(before, after)
    if signs == {1}:
        return "+"
    if signs == {-1}:
        return "-"
    return "?" if signs else "0"


def _loop_polarity(links: Sequence[Link]) -> str:
    if any(link.polarity in ("?", "0") for link in links):
        return "?"
    return "-" if sum(link.polarity == "-" for link in links) % 2 else "+"


def _rotate(cycle: list[str], model: ModelLike, values: ProgramValues) -> list[str]:
    """Start at the cycle's first stock of the model (in model order), or its first state."""
    order = {n: i for i, n in enumerate(model.elements)}
    user_stocks = [n for n in cycle if values.is_user_stock(n)]
    if user_stocks:
        first = min(user_stocks, key=order.__getitem__)
    else:
        states = [n for n in cycle if values.is_state(n)]
        first = states[0] if states else cycle[0]
    i = cycle.index(first)
    return cycle[i:] + cycle[:i]


def _sector_of(variables: Sequence[str], sectors: Mapping[str, str] | None) -> str | None:
    if not sectors:
        return None
    found: list[str] = []
    for v in variables:
        s = sectors.get(v)
        if s is not None and s not in found:
            found.append(s)
    return " & ".join(found) if found else None


def find_loops(model: ModelLike, *, run: Any = None, sectors: Mapping[str, str] | None = None,
               limit: int | None = None) -> Loops:
    """Every feedback loop of ``model`` with its polarity.

    Parameters
    ----------
    model : Model
        The model (compiled here).
    run : xarray.Dataset, optional
        Results of the model (all stocks saved): link polarities are taken
        at every saved point, so a sign that changes gives ``"?"``. Without
        it they are taken at the model's start, with its own values.
    sectors : mapping, optional
        The sector of each variable (name -> sector), for ``Loop.sector``.
    limit : int, optional
        Refuse models with more loops than this (default :data:`MAX_LOOPS`).

    Returns
    -------
    Loops
        A tuple of :class:`Loop`, stocks in model order, shorter loops first.

    Raises
    ------
    ModelDefinitionError
        If the model has more than ``limit`` loops.

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("oscillator", stop=10)
    >>> m.stock("position", 1.0)
    >>> m.stock("velocity", 0.0)
    >>> m.flow("move", "velocity", into="position")
    >>> m.flow("accelerate", "-position", into="velocity")
    >>> [(lp.id, lp.name) for lp in find_loops(m)]
    [('B1', 'position → accelerate → velocity → move → position')]
    """
    compiled = model.compile() if hasattr(model, "compile") else CompiledModel(model)
    values = ProgramValues(compiled)
    env = values.from_run(run)[0] if run is not None else values.at_start()
    return loops_at(model, values, env, sectors=sectors, limit=limit)


def loops_at(model: ModelLike, values: ProgramValues, env: Mapping[str, Any], *,
             sectors: Mapping[str, str] | None = None, limit: int | None = None) -> Loops:
    """:func:`find_loops` with the link polarities taken at the points of ``env``.

    For callers that hold the model's values already (:func:`gysim.loop_dominance`).
    """
    import networkx as nx

    limit = MAX_LOOPS if limit is None else int(limit)
    if limit < 1:
        raise ParameterError(f"`limit` must be at least 1, got {limit}")
    graph = dependency_graph(values.compiled)
    cycles = list(islice(nx.simple_cycles(graph), limit + 1))
    if len(cycles) > limit:
        raise ModelDefinitionError(
            f"model '{model.name}' has more than {limit} feedback loops; pass a larger "
            f"`limit` (each is listed) or study a part of the model")
    elements = model.elements
    polarities: dict[tuple[str, str], str] = {}
    found: dict[tuple[str, ...], tuple] = {}
    for cycle in cycles:
        cycle = _rotate(cycle, model, values)
        visible = [n for n in cycle if n in elements]
        if not visible:
            continue  # the inside of a stateful function
        key = tuple(visible)
        if key in found:
            continue
        links = []
        for a, b in zip(cycle, cycle[1:] + cycle[:1]):
            if (a, b) not in polarities:
                polarities[a, b] = link_polarity(values, a, b, env)
            links.append(Link(a, b, polarities[a, b]))
        found[key] = (tuple(cycle), tuple(links))
    order = {n: i for i, n in enumerate(elements)}
    ranked = sorted(found.items(), key=lambda kv: (order.get(kv[0][0], len(order)), len(kv[0]),
                                                   [order.get(v, 0) for v in kv[0]]))
    counters = {"+": 0, "-": 0, "?": 0}
    prefix = {"+": "R", "-": "B", "?": "U"}
    loops = []
    for variables, (path, links) in ranked:
        polarity = _loop_polarity(links)
        counters[polarity] += 1
        stocks = tuple(v for v in variables if values.is_user_stock(v))
        loops.append(Loop(f"{prefix[polarity]}{counters[polarity]}", variables, polarity, links,
                          path, stocks, _sector_of(variables, sectors)))
    return Loops(loops)
