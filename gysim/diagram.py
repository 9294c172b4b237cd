"""Stock-and-flow diagrams drawn with matplotlib: stocks, flows with valves, links and loops.

:func:`diagram` (also ``model.diagram()``) draws a model the way system
dynamics is read: stocks as boxes, flows as pipes with valves (a cloud
where material comes from or goes outside the model), auxiliaries as their
names, parameters in grey italics, information links as curved arrows
(with ``+``/``−`` where a link is on a feedback loop) and each loop's
id (``R1``, ``B2``) at its centre. Positions come from
:mod:`gysim.diagram_layout`; nothing beyond matplotlib and networkx is
needed (no Graphviz). The result shows inline in Jupyter (SVG) and saves as
SVG, PNG or PDF.

Examples
--------
>>> import gysim
>>> m = gysim.Model("logistic", stop=20)
>>> m.stock("population", 10.0)
>>> m.param("r", 0.5)
>>> m.param("capacity", 1000.0)
>>> m.flow("births", "r * population", into="population")
>>> m.flow("deaths", "r * population ** 2 / capacity", out_of="population")
>>> d = m.diagram()
>>> sorted(d.labels)
['births', 'capacity', 'deaths', 'population', 'r']
>>> d.loop_ids
['R1', 'B1']
"""

from __future__ import annotations

import io
import textwrap
from pathlib import Path
from typing import Any, Mapping, Sequence

from .diagram_layout import Layout, layout
from .elements import ModelLike
from .fonts import register_cjk_font
from .errors import DataError, ParameterError

__all__ = ["Diagram", "diagram"]

_STOCK_W, _STOCK_H = 110.0, 46.0
_CLOUD_GAP = 75.0
_SCALE = 1 / 95  # inches per diagram unit
_LINK = "#4a6fa5"
_HIGHLIGHT = "#d1495b"


def _label(model: ModelLike, name: str, lang: str) -> str:
    element = model.elements[name]
    text = name
    if lang == "zh":
        for attr in ("long_name_zh", "name_zh"):
            value = getattr(element, attr, None)
            if value:
                text = str(value)
                break
    if text == name:
        text = name.replace("_", " ")
        return "\n".join(textwrap.wrap(text, 16)) or name
    return "\n".join(textwrap.wrap(text, 8)) or name


class Diagram:
    """A drawn stock-and-flow diagram (see :func:`diagram`).

    Attributes
    ----------
    figure : matplotlib.figure.Figure
    layout : Layout
        The positions used.
    labels : dict
        Element name -> the text drawn for it.
    loop_ids : list of str
        The loops marked on the diagram.
    """

    def __init__(self, figure: Any, lay: Layout, labels: dict[str, str],
                 loop_ids: list[str]) -> None:
        self.figure = figure
        self.layout = lay
        self.labels = labels
        self.loop_ids = loop_ids

    def save(self, path: str | Path, *, dpi: int = 150) -> Path:
        """Write the diagram: ``.svg``, ``.png`` or ``.pdf`` by the file's suffix."""
        path = Path(path)
        if path.suffix.lower() not in (".svg", ".png", ".pdf"):
            raise ParameterError(f"`path` must end in .svg, .png or .pdf, got {path.name!r}")
        self.figure.savefig(path, dpi=dpi, bbox_inches="tight")
        return path

    def _repr_svg_(self) -> str:
        buffer = io.StringIO()
        self.figure.savefig(buffer, format="svg", bbox_inches="tight")
        return buffer.getvalue()

    def __repr__(self) -> str:
        return f"<gysim.Diagram: {len(self.labels)} elements, loops {', '.join(self.loop_ids)}>"


def _draw_cloud(ax, x: float, y: float) -> None:
    from matplotlib.patches import Ellipse

    for dx, dy, w in ((-9, 0, 20), (6, -5, 22), (7, 6, 18)):
        ax.add_patch(Ellipse((x + dx, y + dy), w, w * 0.75, facecolor="#eef3f8",
                             edgecolor="#7d8da1", linewidth=0.8, zorder=2))


def _draw_pipe(ax, start: tuple, end: tuple, arrow: bool) -> None:
    from matplotlib.patches import FancyArrowPatch

    ax.plot([start[0], end[0]], [start[1], end[1]], color="#33415c", linewidth=5.5,
            solid_capstyle="butt", zorder=1)
    ax.plot([start[0], end[0]], [start[1], end[1]], color="white", linewidth=3.0,
            solid_capstyle="butt", zorder=1)
    if arrow:
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=18,
                                     color="#33415c", linewidth=0, zorder=1, shrinkA=0,
                                     shrinkB=0))


def _on_arc(a: tuple, b: tuple, rad: float, s: float) -> tuple[float, float]:
    """The point at ``s`` along matplotlib's ``arc3`` curve from ``a`` to ``b`` (y axis down)."""
    mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
    dx, dy = b[0] - a[0], b[1] - a[1]
    cx, cy = mx - rad * dy, my + rad * dx  # the control point, for an inverted y axis
    u = 1 - s
    return (u * u * a[0] + 2 * u * s * cx + s * s * b[0],
            u * u * a[1] + 2 * u * s * cy + s * s * b[1])


def _edge_point(lay: Layout, stock: str, toward: tuple[float, float]) -> tuple[float, float]:
    """Where a pipe meets a stock's box, on the side facing ``toward``."""
    x, y = lay.x[stock], lay.y[stock]
    dx, dy = toward[0] - x, toward[1] - y
    if abs(dx) * _STOCK_H >= abs(dy) * _STOCK_W:
        return (x + (_STOCK_W / 2) * (1 if dx > 0 else -1), y)
    return (x, y + (_STOCK_H / 2) * (1 if dy > 0 else -1))


def diagram(model: ModelLike, *, group_by: Mapping[str, str] | None = None,
            only: Sequence[str] | None = None, highlight: str | Sequence[str] | None = None, loops: Any = None,
            lang: str = "en", title: str | None = None) -> Diagram:
    """Draw a model's stock-and-flow diagram.

    Parameters
    ----------
    model : Model
        Built in Python or read from Vensim/XMILE.
    group_by : mapping, optional
        Element name -> group (e.g. sector): each group is laid out in its
        own frame.
    only : sequence of str, optional
        Draw only these elements (e.g. one sector); elements outside that
        feed them are drawn as shadow variables ``<name>``.
    highlight : str or sequence of str, optional
        Loop ids (``"R1"``) or element names: their loops' links are drawn
        in colour and their elements in bold.
    loops : sequence of Loop, optional
        The loops to mark (default: ``model.loops()`` when the model has at
        most 12, else only the highlighted ones).
    lang : {"en", "zh"}
        ``"zh"`` labels elements by their Chinese names where they have one.
    title : str, optional

    Returns
    -------
    Diagram
        ``.figure``, ``.save(path)``; shows inline in Jupyter.

    Raises
    ------
    ParameterError
        For an unknown ``lang`` or a highlight that names neither a loop nor an element.
    DataError
        For an empty model.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle

    if lang not in ("en", "zh"):
        raise ParameterError(f"`lang` must be 'en' or 'zh', got {lang!r}")
    if lang == "zh":
        register_cjk_font()  # Chinese names need a CJK font (the package's own)
    if not model.elements:
        raise DataError(f"model '{model.name}' has no elements to draw")
    lay = layout(model, group_by, only)
    if loops is None:
        found = model.loops() if hasattr(model, "loops") else ()
        loops = list(found)
    loops = [lp for lp in loops if all(v in lay.kind for v in lp.variables)]
    wanted = [highlight] if isinstance(highlight, str) else list(highlight or [])
    loop_by_id = {lp.id: lp for lp in loops}
    bad = [h for h in wanted if h not in loop_by_id and h not in model.elements]
    if bad:
        raise ParameterError(f"`highlight`: {', '.join(map(repr, bad))} is neither a loop id "
                             f"({', '.join(loop_by_id) or 'no loops'}) nor an element")
    lit_loops = [lp for lp in loops if lp.id in wanted or any(v in wanted for v in lp.variables)]
    marked = loops if len(loops) <= 12 else lit_loops
    lit_links = {(a, b) for lp in lit_loops
                 for a, b in zip(lp.variables, lp.variables[1:] + lp.variables[:1])}
    lit_nodes = {v for lp in lit_loops for v in lp.variables} | {h for h in wanted
                                                                if h in model.elements}
    polarity: dict[tuple[str, str], str] = {}
    for lp in loops:
        for lk in lp.links:
            polarity[lk.source, lk.target] = lk.polarity

    x0, y0, x1, y1 = lay.extent
    width = (x1 - x0 + 2 * _STOCK_W + 2 * _CLOUD_GAP) * _SCALE
    height = (y1 - y0 + 3 * _STOCK_H) * _SCALE + (0.4 if title else 0)
    fig, ax = plt.subplots(figsize=(min(max(width, 4.0), 30.0), min(max(height, 2.5), 30.0)))
    ax.set_xlim(x0 - _STOCK_W - _CLOUD_GAP, x1 + _STOCK_W + _CLOUD_GAP)
    ax.set_ylim(y1 + 1.5 * _STOCK_H, y0 - 1.5 * _STOCK_H)  # y down, as in Vensim
    ax.set_aspect("equal")
    ax.axis("off")
    for name, (gx0, gy0, gx1, gy1) in lay.groups.items():
        ax.add_patch(Rectangle((gx0, gy0), gx1 - gx0, gy1 - gy0, facecolor="#f6f7f9",
                               edgecolor="#c5ccd6", linewidth=0.8, zorder=0))
        ax.text(gx0 + 8, gy0 + 8, name, fontsize=10, fontweight="bold", color="#52606d",
                va="top", ha="left", zorder=0)

    labels = {n: _label(model, n, lang) for n in lay.kind}
    labels.update({n: f"<{labels[n]}>" for n in lay.shadows})
    # pipes and valves
    for source, flow, target in lay.pipes:
        fx, fy = lay.x[flow], lay.y[flow]
        if source and source in lay.x:
            start = _edge_point(lay, source, (fx, fy))
        else:
            start = (fx - _CLOUD_GAP, fy)
            _draw_cloud(ax, *start)
        if target and target in lay.x:
            end = _edge_point(lay, target, (fx, fy))
        else:
            _draw_cloud(ax, fx + _CLOUD_GAP, fy)
            end = (fx + _CLOUD_GAP - 20, fy)
        _draw_pipe(ax, start, (fx, fy), arrow=False)
        _draw_pipe(ax, (fx, fy), end, arrow=True)
    # information links
    for a, b in lay.links:
        lit = (a, b) in lit_links
        own_flow = any(a in (src, dst) and b == f for src, f, dst in lay.pipes)
        arrow = FancyArrowPatch((lay.x[a], lay.y[a]), (lay.x[b], lay.y[b]),
                                connectionstyle=f"arc3,rad={0.5 if own_flow else 0.18}",
                                arrowstyle="-|>",
                                mutation_scale=9, linewidth=1.6 if lit else 0.7,
                                color=_HIGHLIGHT if lit else _LINK, shrinkA=16, shrinkB=18,
                                zorder=3, alpha=0.95)
        ax.add_patch(arrow)
        sign = polarity.get((a, b))
        if sign in ("+", "-"):
            px, py = _on_arc((lay.x[a], lay.y[a]), (lay.x[b], lay.y[b]),
                             0.5 if own_flow else 0.18, 0.8)
            ax.text(px, py, "+" if sign == "+" else "−", fontsize=8, fontweight="bold",
                    color=_HIGHLIGHT if lit else _LINK, ha="center", va="center", zorder=4)
    for a, b in lay.initial_links:  # into an initial value: dashed, light
        ax.add_patch(FancyArrowPatch((lay.x[a], lay.y[a]), (lay.x[b], lay.y[b]),
                                     connectionstyle="arc3,rad=0.18", arrowstyle="-|>",
                                     mutation_scale=8, linewidth=0.6, linestyle="--",
                                     color="#9aa5b1", shrinkA=16, shrinkB=18, zorder=3))
    # elements
    for name, kind in lay.kind.items():
        x, y = lay.x[name], lay.y[name]
        weight = "bold" if name in lit_nodes else "normal"
        if name in lay.shadows:
            ax.text(x, y, labels[name], fontsize=7.5, ha="center", va="center", zorder=6,
                    color="#9aa5b1", bbox=dict(facecolor="white", edgecolor="none", pad=0.5,
                                                alpha=0.8))
            continue
        if kind == "stock":
            ax.add_patch(FancyBboxPatch((x - _STOCK_W / 2, y - _STOCK_H / 2), _STOCK_W, _STOCK_H,
                                        boxstyle="square,pad=0", facecolor="#dbe7f3",
                                        edgecolor="#33415c", linewidth=1.2, zorder=5))
            ax.text(x, y, labels[name], fontsize=8, ha="center", va="center", zorder=6,
                    fontweight=weight)
        elif kind == "flow":
            ax.plot([x - 7, x + 7, x - 7, x + 7, x - 7], [y - 7, y + 7, y + 7, y - 7, y - 7],
                    color="#33415c", linewidth=1.0, zorder=5)
            ax.text(x, y + 13, labels[name], fontsize=7.5, ha="center", va="top", zorder=6,
                    fontweight=weight, bbox=dict(facecolor="white", edgecolor="none", pad=0.5,
                                                 alpha=0.8))
        else:
            style = {"param": dict(color="#6b7280", style="italic"),
                     "lookup": dict(color="#7c3aed"), "data": dict(color="#0f766e")}
            ax.text(x, y, labels[name], fontsize=7.5, ha="center", va="center", zorder=6,
                    fontweight=weight, bbox=dict(facecolor="white", edgecolor="none", pad=0.5,
                                                 alpha=0.8), **style.get(kind, {}))
    # loop markers: the loop's id inside a circular arrow, at the centre of its variables
    from matplotlib.patches import Arc

    for lp in marked:
        xs = [lay.x[v] for v in lp.variables if v in lay.x]
        ys = [lay.y[v] for v in lp.variables if v in lay.y]
        if not xs:
            continue
        cx, cy = sum(xs) / len(xs), sum(ys) / len(ys) + 22
        color = _HIGHLIGHT if lp in lit_loops else "#52606d"
        ax.add_patch(Arc((cx, cy), 30, 30, theta1=40, theta2=320, color=color, linewidth=1.0,
                         zorder=7))
        ax.text(cx, cy, lp.id, fontsize=7, ha="center", va="center", color=color,
                fontweight="bold", zorder=7)
    ax.set_title(title if title is not None else f"{model.name}", fontsize=11)
    fig.tight_layout()
    plt.close(fig)  # shown by _repr_svg_ in notebooks, not twice
    return Diagram(fig, lay, {n: labels[n] for n in lay.kind}, [lp.id for lp in marked])
