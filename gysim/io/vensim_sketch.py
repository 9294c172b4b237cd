"""The sketch (diagram) of a Vensim ``.mdl`` file, from gysim's diagram layout.

A Vensim file ends with its sketch: one view of numbered objects, one per
line, after ``*View 1``. The objects written here are the ones Vensim's own
files use for a stock-and-flow diagram:

``10,id,name,x,y,w,h,shape,...``
    a variable: shape 3 is a stock's box, 8 a plain name, 40 the name of a
    flow, written right after its valve;
``11,id,0,x,y,6,8,34,...``
    a flow's valve; ``12,id,48,x,y,...`` a cloud (outside the model);
``1,id,from,to,...,|(x,y)|``
    an arrow: a pipe (style 22) from the valve to the stock it fills (4:
    with a head) or from the valve back to where it drains (100: no head),
    or an information link (192; 64 for an initial value).

Positions come from :func:`gysim.diagram_layout.layout`, the layout of
``model.diagram()``, so Vensim users see the same picture.

Examples
--------
>>> import gysim
>>> m = gysim.Model("m")
>>> m.stock("x", 1.0)
>>> m.param("k", 0.1)
>>> m.flow("growth", "k * x", into="x")
>>> lines = sketch_lines(m, lambda n: n)
>>> [line.split(",")[0] for line in lines]  # x, k; cloud, valve, growth; pipes; links
['10', '10', '12', '11', '10', '1', '1', '1', '1']
"""

from __future__ import annotations

from typing import Callable

from ..diagram_layout import layout
from ..elements import ModelLike

__all__ = ["sketch_lines", "SKETCH_HEADER"]

#: The view's default font and colours line (Vensim writes one after ``*View 1``).
SKETCH_HEADER = ("$192-192-192,0,Times New Roman|12||0-0-0|0-0-0|0-0-255|-1--1--1|-1--1--1|"
                 "96,96,100,0")

_TAIL = "0,0,-1,0,0,0,0,0,0,0,0,0"
_ORIGIN = 120  # Vensim's canvas starts at the top left; keep a margin


def sketch_lines(model: ModelLike, vensim_name: Callable[[str], str]) -> list[str]:
    """The object lines of the model's sketch (without the header).

    Parameters
    ----------
    model : Model
    vensim_name : callable
        The name an element has in the file (as its equations spell it).

    Returns
    -------
    list of str
    """
    lay = layout(model)
    if lay.x:
        x0, y0 = min(lay.x.values()), min(lay.y.values())
    else:
        x0 = y0 = 0.0

    def at(name: str) -> tuple[int, int]:
        return round(lay.x[name] - x0 + _ORIGIN), round(lay.y[name] - y0 + _ORIGIN)

    lines: list[str] = []
    ids: dict[str, int] = {}

    def new_id() -> int:
        return len(lines) + 1

    def arrow(source: int, target: int, kind: str, point: tuple[int, int] = (0, 0)) -> None:
        spec = {"fill": "4,0,0,22,0,192,0", "drain": "100,0,0,22,0,192,0",
                "link": "0,0,0,0,0,192,0", "initial": "0,0,0,0,0,64,1"}[kind]
        lines.append(f"1,{new_id()},{source},{target},{spec},-1--1--1,,1|({point[0]},"
                     f"{point[1]})|")

    flows = {flow: (src, dst) for src, flow, dst in lay.pipes}
    for name, kind in lay.kind.items():  # stocks and plain names first: arrows point to ids
        if kind == "flow":
            continue
        x, y = at(name)
        shape, w, h = ("3", 40, 20) if kind == "stock" else ("8", 45, 12)
        ids[name] = new_id()
        lines.append(f"10,{ids[name]},{vensim_name(name)},{x},{y},{w},{h},{shape},3,{_TAIL}")
    for flow, (source, target) in flows.items():
        x, y = at(flow)
        ends = []
        for stock, side in ((source, -1), (target, 1)):
            if stock in ids:
                ends.append(ids[stock])
            else:  # a cloud beside the valve
                ends.append(new_id())
                lines.append(f"12,{ends[-1]},48,{x + side * 60},{y},10,8,0,3,{_TAIL}")
        valve = new_id()
        lines.append(f"11,{valve},0,{x},{y},6,8,34,3,0,0,1,0,0,0,0,0,0,0,0,0")
        ids[flow] = new_id()
        lines.append(f"10,{ids[flow]},{vensim_name(flow)},{x},{y + 22},45,12,40,3,{_TAIL}")
        arrow(valve, ends[1], "fill", (x + 30, y))
        arrow(valve, ends[0], "drain", (x - 30, y))
    for source, target in lay.links:
        arrow(ids[source], ids[target], "link")
    for source, target in lay.initial_links:
        arrow(ids[source], ids[target], "initial")
    return lines
