"""Reading Vensim's RANDOM LOOKUP: the lookup's points become arguments of the draw.

Vensim's ``RANDOM LOOKUP(lookup, min, max, shift, stretch, seed)`` (its
function reference, "RANDOM Number Functions": "RANDOM number using LOOKUP
PDF") draws ``shift + stretch * y``, ``y`` from the density whose shape is
the lookup (linear between its points, zero outside them), truncated to
``[min, max]``. A lookup is not a value in gysim's equations, so the reader
writes its points into the call: ``random_lookup(min, max, shift, stretch,
n, x1, ..., xn, y1, ..., yn, seed)`` (:mod:`gysim.distributions`). The
lookup must be a lookup of the file (or an inline one) whose points make a
density: at least two, x increasing, y non-negative, some area.

Examples
--------
>>> from gysim.expr import to_text
>>> to_text(random_lookup_tree((0.0, 1.0, 3.0), (0.0, 1.0, 0.0), [Const(0.0), Const(9.0),
...                            Const(0.0), Const(1.0), Const(5.0)]))
'random_lookup(0, 9, 0, 1, 3, 0, 1, 3, 0, 1, 0, 5)'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..distributions import lookup_points
from ..expr import Call, Const, Node
from .lookup_modes import lookup_argument

if TYPE_CHECKING:
    from .convert import Converter

__all__ = ["random_lookup_call", "random_lookup_tree"]


def random_lookup_tree(x: tuple, y: tuple, args: list[Node]) -> Call:
    """The gysim call of a RANDOM LOOKUP of points ``(x, y)``; ``args`` are min, max,
    shift, stretch and seed."""
    points = tuple(Const(float(v)) for v in (*x, *y))
    return Call("random_lookup", (*args[:4], Const(float(len(x))), *points, args[4]))


def random_lookup_call(conv: Converter, arguments: list[Any], owner: str) -> Node:
    """The gysim call of ``RANDOM LOOKUP(lookup, min, max, shift, stretch, seed)`` in the
    equation of ``owner`` (a :class:`~gysim.io.convert.Converter` reads the arguments)."""
    if len(arguments) != 6:
        raise conv.fail(f"RANDOM LOOKUP with {len(arguments)} arguments (it takes the lookup, "
                        f"min, max, shift, stretch and the seed)", owner)
    _, x, y, _ = lookup_argument(conv, "RANDOM LOOKUP", arguments[0], owner)
    if lookup_points(len(x), [*x, *y]) is None:
        raise conv.fail("RANDOM LOOKUP of a lookup that is not a density (it needs two points "
                        "or more, x increasing, y never negative, and some area under it)",
                        owner)
    return random_lookup_tree(x, y, [conv.conv(a, owner) for a in arguments[1:]])
