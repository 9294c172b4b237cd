"""Where each element of a stock-and-flow diagram goes: a layered layout from the links.

The diagram's graph has the elements as nodes, an information link
``a → b`` where ``b``'s equation uses ``a``, and the pipes of the flows
(``stock → outflow``, ``inflow → stock``). Feedback makes it cyclic; the
links leaving stocks are set aside for the layout (every loop passes a
stock), any cycle left among pipes is broken at a back edge, and the rest is
laid out in layers, left to right, by longest path (a Sugiyama-style
layout): a value sits to the right of what it is computed from. The order
inside each layer is improved by barycentre sweeps to reduce crossings.
With groups (sectors), each group is laid out on its own and the groups are
placed in a grid. Pure Python over networkx: nothing to install beyond it.

Examples
--------
>>> import gysim
>>> m = gysim.Model("m")
>>> m.stock("x", 1.0)
>>> m.param("k", 0.1)
>>> m.flow("growth", "k * x", into="x")
>>> lay = layout(m)
>>> lay.kind["x"], lay.kind["growth"], lay.kind["k"]
('stock', 'flow', 'param')
>>> lay.x["k"] < lay.x["growth"] < lay.x["x"]
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from .elements import Aux, DataInput, Flow, Lookup, ModelLike, Param, Stock
from .errors import ParameterError
from .expr import calls, names

__all__ = ["Layout", "layout", "element_graph", "LAYER_GAP", "ROW_GAP"]

#: Horizontal distance between layers and vertical distance between rows (diagram units).
LAYER_GAP = 160.0
ROW_GAP = 70.0

_KINDS = ((Stock, "stock"), (Flow, "flow"), (Aux, "aux"), (Param, "param"),
          (Lookup, "lookup"), (DataInput, "data"))


def _kind(element) -> str:
    for cls, kind in _KINDS:
        if isinstance(element, cls):
            return kind
    return "aux"


@dataclass
class Layout:
    """Positions of a diagram's elements (diagram units, y down as in Vensim's sketches).

    Attributes
    ----------
    x, y : dict
        Position of each element's centre.
    kind : dict
        ``stock``, ``flow``, ``aux``, ``param``, ``lookup`` or ``data``.
    links : list of (str, str)
        Information links ``(source, target)``.
    initial_links : list of (str, str)
        Links into a stock's initial value.
    pipes : list of (str or None, str, str or None)
        ``(from_stock, flow, to_stock)``; None is a cloud (outside the model).
    groups : dict
        Group name -> (x0, y0, x1, y1) box, when laid out by groups.
    shadows : set of str
        Elements outside the part drawn (``only=``) that feed it, drawn as
        shadow variables.
    """

    x: dict[str, float] = field(default_factory=dict)
    y: dict[str, float] = field(default_factory=dict)
    kind: dict[str, str] = field(default_factory=dict)
    links: list[tuple[str, str]] = field(default_factory=list)
    initial_links: list[tuple[str, str]] = field(default_factory=list)
    pipes: list[tuple[str | None, str, str | None]] = field(default_factory=list)
    groups: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)
    shadows: set[str] = field(default_factory=set)

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) around every element and group."""
        xs = list(self.x.values()) + [b[0] for b in self.groups.values()] + \
            [b[2] for b in self.groups.values()]
        ys = list(self.y.values()) + [b[1] for b in self.groups.values()] + \
            [b[3] for b in self.groups.values()]
        if not xs:
            return (0.0, 0.0, 1.0, 1.0)
        return (min(xs), min(ys), max(xs), max(ys))


def _add(graph, a: str, b: str, kind: str) -> None:
    if graph.has_edge(a, b):
        graph.edges[a, b]["kinds"].add(kind)
    else:
        graph.add_edge(a, b, kinds={kind})


def element_graph(model: ModelLike):
    """Information links and pipes of a model's elements as a :class:`networkx.DiGraph`.

    Edges carry ``kinds``, a set of ``"link"``, ``"initial"`` (a stock's
    initial value uses the source) and ``"pipe"``.
    """
    import networkx as nx

    elements = model.elements
    graph = nx.DiGraph()
    for name, element in elements.items():
        graph.add_node(name, kind=_kind(element))
    for name, element in elements.items():
        initial = getattr(element, "initial", None) if isinstance(element, Stock) else None
        if initial is not None and element.values is None:
            for source in sorted(names(initial) | calls(initial)):
                if source in elements and source != name:
                    _add(graph, source, name, "initial")
        tree = getattr(element, "tree", None)
        if tree is None:
            continue
        for source in sorted(names(tree) | calls(tree)):
            if source in elements and source != name:
                _add(graph, source, name, "link")
        if isinstance(element, Flow):
            if element.out_of in elements:
                _add(graph, element.out_of, name, "pipe")
            if element.into in elements:
                _add(graph, name, element.into, "pipe")
    return graph


def _layers(graph) -> dict[str, int]:
    """Longest-path layer of each node, with links leaving stocks and back edges set aside."""
    import networkx as nx

    dag = nx.DiGraph()
    dag.add_nodes_from(graph.nodes)
    for a, b, data in graph.edges(data=True):
        if graph.nodes[a]["kind"] == "stock" and "pipe" not in data["kinds"]:
            continue
        dag.add_edge(a, b)
    # cycles of pipes (stock -> flow -> stock -> flow -> ...) broken at back edges
    while True:
        try:
            cycle = nx.find_cycle(dag)
        except nx.NetworkXNoCycle:
            break
        dag.remove_edge(*cycle[-1][:2])
    layer: dict[str, int] = {}
    for node in nx.topological_sort(dag):
        preds = list(dag.predecessors(node))
        layer[node] = 1 + max(layer[p] for p in preds) if preds else 0
    # parameters sit just left of their first user, not all in the first column
    for node in graph.nodes:
        succ = [layer[s] for s in dag.successors(node)]
        if not list(dag.predecessors(node)) and succ:
            layer[node] = max(0, min(succ) - 1)
    return layer


def _order(graph, layer: dict[str, int], sweeps: int = 6) -> dict[str, float]:
    """Rows inside each layer by barycentre sweeps (both directions)."""
    by_layer: dict[int, list[str]] = {}
    for node in graph.nodes:  # model order first: a stable, readable start
        by_layer.setdefault(layer[node], []).append(node)
    row = {n: float(i) for nodes in by_layer.values() for i, n in enumerate(nodes)}
    keys = sorted(by_layer)
    undirected = graph.to_undirected(as_view=True)
    for sweep in range(sweeps):
        for k in (keys if sweep % 2 == 0 else reversed(keys)):
            nodes = by_layer[k]
            def centre(n: str) -> float:
                near = [row[m] for m in undirected.neighbors(n) if layer[m] != k]
                return sum(near) / len(near) if near else row[n]
            nodes.sort(key=lambda n: (centre(n), row[n]))
            for i, n in enumerate(nodes):
                row[n] = float(i)
    for nodes in by_layer.values():  # centre each layer vertically
        offset = (len(nodes) - 1) / 2
        for n in nodes:
            row[n] -= offset
    return row


#: A layer taller than this many rows is folded into side-by-side columns.
MAX_ROWS = 9


def _flows_beside_stocks(graph, lay: Layout) -> None:
    """Move each flow next to the stock(s) it fills or drains, where there is room."""
    taken = {(round(lay.x[n]), round(lay.y[n])) for n in graph.nodes}
    for flow in [n for n in graph.nodes if graph.nodes[n]["kind"] == "flow"]:
        ends = [(a, -1) for a in graph.predecessors(flow)
                if "pipe" in graph.edges[a, flow]["kinds"]]
        ends += [(b, 1) for b in graph.successors(flow)
                 if "pipe" in graph.edges[flow, b]["kinds"]]
        stocks = [(n, side) for n, side in ends if n in lay.x]
        if not stocks:
            continue
        if len(stocks) == 2:
            x = (lay.x[stocks[0][0]] + lay.x[stocks[1][0]]) / 2
            y = (lay.y[stocks[0][0]] + lay.y[stocks[1][0]]) / 2
        else:
            stock, side = stocks[0]
            x, y = lay.x[stock] - side * LAYER_GAP * 0.6, lay.y[stock]
        taken.discard((round(lay.x[flow]), round(lay.y[flow])))
        for _ in range(8):  # step down until free
            if all(abs(x - tx) > LAYER_GAP * 0.45 or abs(y - ty) > ROW_GAP * 0.45
                   for tx, ty in taken):
                break
            y += ROW_GAP / 2
        lay.x[flow], lay.y[flow] = x, y
        taken.add((round(x), round(y)))


def _place(graph, lay: Layout, dx: float, dy: float) -> tuple[float, float, float, float]:
    layer = _layers(graph)
    row = _order(graph, layer)
    # fold tall layers: each layer takes as many columns as it needs
    sizes: dict[int, int] = {}
    for n in graph.nodes:
        sizes[layer[n]] = sizes.get(layer[n], 0) + 1
    columns = {k: max(1, math.ceil(v / MAX_ROWS)) for k, v in sizes.items()}
    start, x = {}, 0.0
    for k in sorted(columns):
        start[k] = x
        x += columns[k] * LAYER_GAP
    for n in graph.nodes:
        k, r = layer[n], row[n] + (sizes[layer[n]] - 1) / 2  # r back to 0..size-1
        c = int(r) % columns[k]
        rows = math.ceil(sizes[k] / columns[k])
        lay.x[n] = dx + start[k] + c * LAYER_GAP
        lay.y[n] = dy + (int(r) // columns[k] - (rows - 1) / 2) * ROW_GAP
    _flows_beside_stocks(graph, lay)
    xs = [lay.x[n] for n in graph.nodes] or [dx]
    ys = [lay.y[n] for n in graph.nodes] or [dy]
    return min(xs), min(ys), max(xs), max(ys)


def layout(model: ModelLike, group_by: Mapping[str, str] | None = None,
           only: Iterable[str] | None = None) -> Layout:
    """Positions for a model's stock-and-flow diagram.

    Parameters
    ----------
    model : Model
    group_by : mapping, optional
        Element name -> group (e.g. its sector). Each group is laid out on
        its own and framed; elements not named form a group ``"other"``.
    only : iterable of str, optional
        Draw only these elements (a sector), with the elements outside that
        feed them as shadow variables.

    Returns
    -------
    Layout
    """
    graph = element_graph(model)
    lay = Layout()
    if only is not None:
        part = set(only)
        unknown = sorted(part - set(graph.nodes))
        if unknown:
            raise ParameterError(f"`only`: {', '.join(unknown[:5])} not in model "
                                 f"'{model.name}'")
        lay.shadows = {a for b in part for a in graph.predecessors(b) if a not in part}
        lay.shadows |= {b for a in part for b in graph.successors(a)
                        if b not in part and "pipe" in graph.edges[a, b]["kinds"]}
        graph = graph.subgraph(part | lay.shadows).copy()
        graph.remove_edges_from([(a, b) for a, b in graph.edges if b in lay.shadows
                                 and "pipe" not in graph.edges[a, b]["kinds"]])
    lay.kind = {n: graph.nodes[n]["kind"] for n in graph.nodes}
    lay.links = [(a, b) for a, b, d in graph.edges(data=True) if "link" in d["kinds"]]
    lay.initial_links = [(a, b) for a, b, d in graph.edges(data=True)
                         if d["kinds"] == {"initial"}]
    for name, element in model.elements.items():
        if isinstance(element, Flow) and name in graph and name not in lay.shadows:
            lay.pipes.append((element.out_of if element.out_of in graph else None, name,
                              element.into if element.into in graph else None))
    if not group_by:
        _place(graph, lay, 0.0, 0.0)
        return lay
    groups: dict[str, list[str]] = {}
    for n in graph.nodes:
        groups.setdefault(str(group_by.get(n, "other")), []).append(n)
    columns = max(1, math.ceil(math.sqrt(len(groups))))
    x0 = y0 = row_height = 0.0
    for i, (name, nodes) in enumerate(groups.items()):
        if i and i % columns == 0:
            x0, y0, row_height = 0.0, y0 + row_height + 2 * ROW_GAP, 0.0
        sub = graph.subgraph(nodes)
        bx0, by0, bx1, by1 = _place(sub, lay, 0.0, 0.0)
        shift_x, shift_y = x0 - bx0 + LAYER_GAP / 2, y0 - by0 + ROW_GAP
        for n in nodes:
            lay.x[n] += shift_x
            lay.y[n] += shift_y
        box = (x0, y0, x0 + (bx1 - bx0) + LAYER_GAP, y0 + (by1 - by0) + 1.7 * ROW_GAP)
        lay.groups[name] = box
        x0 = box[2] + LAYER_GAP / 2
        row_height = max(row_height, box[3] - box[1])
    return lay
