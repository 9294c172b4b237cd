"""Reading Vensim's other ways of using a lookup: LOOKUP EXTRAPOLATE, FORWARD,
BACKWARD, AREA and INVERT.

A gysim lookup is one thing only: linear interpolation between its points,
holding the first and last values outside them. Vensim's function reference
("Lookups") defines five more uses of a lookup ``(x_0, y_0) ... (x_m, y_m)``
(x increasing); the reader writes each as an equation tree over the lookup
itself and a few lookups derived from its points, so that both backends, run
axes and element-by-element subscripted lookups need nothing new:

``LOOKUP EXTRAPOLATE(lookup, x)``
    the lookup inside its range, continued outside along the slope of its first
    (last) segment;
``LOOKUP BACKWARD(lookup, x)``
    ``y_i`` of the last point with ``x_i <= x`` (a step function held from
    each point to the next); below the first point, ``y_0``;
``LOOKUP FORWARD(lookup, x)``
    ``y_i`` of the first point with ``x_i >= x`` (a step function taking each
    point's value from the previous point on); above the last point, ``y_m``;
    exactly on a point both give that point's ``y``;
``LOOKUP AREA(lookup, x1, x2)``
    the integral from ``x1`` to ``x2`` of the lookup as it is evaluated
    (linear between points, the end values held outside), negative when
    ``x2 < x1`` (the reference's example ``LOOK((0,1),(1,1),(2,2))``:
    ``LOOKUP AREA(LOOK, 2, 4) = 4``, ``LOOKUP AREA(LOOK, .5, 2.5) = 3``);
``LOOKUP INVERT(lookup, y)``
    the ``x`` at which the lookup takes the value ``y``, interpolated, holding
    the end points' ``x`` outside the range of ``y``; only for a lookup whose
    ``y`` strictly increase or strictly decrease (another has no single
    inverse: refused).

How: the segment of ``x`` is found without a search, from three derived
lookups of the point index ``i``: ``index = lookup((x_i, i))``,
``xs = lookup((i, x_i))``, ``ys = lookup((i, y_i))``. ``j = INTEGER(index(x))``
is the segment within one (rounding near a point); comparing ``x`` with
``xs(j)`` and ``xs(j + 1)`` makes it exact: ``s``, the last ``i`` with
``x_i <= x`` (``-1`` below the range, ``m + 1`` at or above its end, where the
derived lookups hold their end values). BACKWARD is ``ys(s)``; FORWARD is
``ys`` of the first of ``j - 1 ... j + 2`` whose point is at or after ``x``;
AREA is ``F(x2) - F(x1)`` with ``F(x) = cum(s) + (x - xs(s)) * (ys(s) +
lookup(x)) / 2`` (the trapezoid from the point ``s`` to ``x``, exact on a
linear segment; ``cum = lookup((i, C_i))`` the area from ``x_0`` to each
point). A NaN input gives NaN.

Examples
--------
>>> cumulative((0.0, 1.0, 2.0), (1.0, 1.0, 2.0))
(0.0, 1.0, 2.5)
>>> monotone_inverse((0.0, 1.0, 2.0), (0.0, 1.0, 4.0))
((0.0, 1.0, 4.0), (0.0, 1.0, 2.0))
>>> monotone_inverse((0.0, 1.0, 2.0), (0.0, 1.0, 0.0)) is None
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..builtins import BUILTINS
from ..expr import BinOp, Call, Compare, Const, Node, calls
from .gf_types import extrapolated
from .names import reference_key, safe_identifier

if TYPE_CHECKING:
    from .convert import Converter

__all__ = ["CALLS", "DerivedLookups", "lookup_argument", "lookup_mode_call", "subscripted_lookup", "cumulative",
           "monotone_inverse"]

#: PySD's keys of the functions read here, and the arguments after the lookup.
CALLS = {"lookup_extrapolate": 1, "lookup_forward": 1, "lookup_backward": 1,
         "lookup_area": 2, "lookup_invert": 1}


def cumulative(x: tuple, y: tuple) -> tuple:
    """The area under the lookup of points ``(x, y)`` from ``x[0]`` to each point."""
    total, out = 0.0, [0.0]
    for i in range(1, len(x)):
        total += (x[i] - x[i - 1]) * (y[i - 1] + y[i]) / 2.0
        out.append(total)
    return tuple(out)


def monotone_inverse(x: tuple, y: tuple) -> tuple[tuple, tuple] | None:
    """The points ``(y, x)`` of the inverse lookup, ``y`` increasing; None unless ``y``
    strictly increases or strictly decreases."""
    steps = [b - a for a, b in zip(y, y[1:])]
    if all(d > 0 for d in steps):
        return tuple(y), tuple(x)
    if all(d < 0 for d in steps):
        return tuple(reversed(y)), tuple(reversed(x))
    return None


def subscripted_lookup(conv: Converter, arguments: list[Any]) -> bool:
    """Whether the lookup argument is a subscripted lookup of a native (whole-array)
    reading: a lookup per definition, chosen element by element."""
    first = arguments[0] if arguments else None
    return (type(first).__name__ == "ReferenceStructure"
            and reference_key(first.reference) in getattr(conv, "sub_lookups", {}))


def lookup_argument(conv: Converter, spelled: str, first: Any,
            owner: str) -> tuple[str, tuple, tuple, str | None]:
    """The lookup argument: (a name for what derives from it, x, y, its element or None)."""
    kind = type(first).__name__
    if kind == "ReferenceStructure" and conv.instances.get(reference_key(first.reference)):
        ident = conv.instance(reference_key(first.reference), first.subscripts,
                              first.reference, owner)
        if conv.kinds.get(ident) != "lookup":
            raise conv.fail(f"{spelled} of '{first.reference}', which is not a lookup", owner)
        x, y = conv.table(conv.comp_of[ident][1].ast, owner)
        return ident, x, y, ident
    if kind in ("LookupsStructure", "InlineLookupsStructure"):
        x, y = conv.table(getattr(first, "lookups", first), owner)
        return f"{owner} lookup", x, y, None
    raise conv.fail(f"{spelled} whose first argument is not a lookup", owner)


class DerivedLookups:
    """The derived lookups of one lookup, added to the model on first use; its
    :meth:`backward` and :meth:`forward` are the step functions of the points (also
    the :HOLD BACKWARD: and :LOOK FORWARD: data variables, :mod:`gysim.io.data_vars`)."""

    def __init__(self, conv: Converter, name: str, x: tuple, y: tuple, owner: str,
                 element: str | None = None) -> None:
        self.conv, self.name, self.x, self.y, self.owner = conv, name, x, y, owner
        self.made: dict[str, str] = {} if element is None else {"lookup": element}

    def call(self, role: str, arg: Node) -> Call:
        """A call of the derived lookup ``role`` (``lookup`` is the lookup itself)."""
        if role not in self.made:
            i = tuple(float(k) for k in range(len(self.x)))
            points = {"lookup": (self.x, self.y), "index": (self.x, i), "xs": (i, self.x),
                      "ys": (i, self.y), "cum": (i, cumulative(self.x, self.y))}[role]
            cache = self.conv.__dict__.setdefault("_lookup_modes", {})
            key = (role, points)
            if key not in cache:
                cache[key] = safe_identifier(f"{self.name} {role}", self.conv.taken)
                self.conv.lookups_extra.append((cache[key], *points, self.owner))
            self.made[role] = cache[key]
        return Call(self.made[role], (arg,))

    def segment(self, x: Node) -> Node:
        """``s``: the last index with ``x_i <= x`` (-1 below the points)."""
        j = Call("integer", (self.call("index", x),))
        up = BinOp("+", j, Const(1.0))
        return Call("if_then_else", (
            Compare("<=", self.call("xs", up), x), up,
            Call("if_then_else", (Compare("<=", self.call("xs", j), x), j,
                                  BinOp("-", j, Const(1.0))))))

    def backward(self, x: Node) -> Node:
        return self.call("ys", self.segment(x))

    def forward(self, x: Node) -> Node:
        """``ys(f)``, ``f`` the first index with ``x_i >= x``: ``s`` or ``s + 1``, so one of
        ``j - 1 ... j + 2``, the first of them whose point is at or after ``x``."""
        j = Call("integer", (self.call("index", x),))
        tree: Node = BinOp("+", j, Const(2.0))
        for step in (1.0, 0.0, -1.0):
            c = BinOp("+", j, Const(step)) if step else j
            tree = Call("if_then_else", (Compare(">=", self.call("xs", c), x), c, tree))
        return self.call("ys", tree)

    def area_to(self, x: Node) -> Node:
        s = self.segment(x)
        heights = BinOp("+", self.call("ys", s), self.call("lookup", x))
        return BinOp("+", self.call("cum", s), BinOp(
            "*", BinOp("-", x, self.call("xs", s)), BinOp("/", heights, Const(2.0))))

    def extrapolate(self, x: Node) -> Node:
        return extrapolated(self.call("lookup", x), self.x, self.y)


def lookup_mode_call(conv: Converter, fname: str, arguments: list[Any], owner: str) -> Node:
    """The gysim tree of ``LOOKUP EXTRAPOLATE/FORWARD/BACKWARD/AREA/INVERT`` (PySD's key
    ``fname``) in the equation of ``owner`` (a :class:`~gysim.io.convert.Converter`
    reads the arguments)."""
    spelled = conv.spelled(fname)
    want = CALLS[fname] + 1
    if len(arguments) != want:
        raise conv.fail(f"{spelled} with {len(arguments)} arguments (it takes the lookup and "
                        f"{want - 1} more)", owner)
    args = [conv.conv(a, owner) for a in arguments[1:]]
    drawn = sorted(f for a in args for f in calls(a) if f.lstrip("_").startswith("random")
                   or getattr(BUILTINS.get(f), "kind", "") == "stateful")
    if drawn and fname != "lookup_invert":  # (the trees repeat the input)
        raise conv.fail(f"{spelled} of an input that calls {drawn[0]}() (a random draw or a "
                        f"function with a state of its own: give the input an auxiliary of "
                        f"its own)", owner)
    if conv.native and subscripted_lookup(conv, arguments):  # a table per element
        return conv.lookup_call(arguments[0], owner, lambda pid: _tree(
            conv, fname, pid, *conv.table(conv.comp_of[pid][1].ast, owner), pid, args, owner))
    return _tree(conv, fname, *lookup_argument(conv, spelled, arguments[0], owner), args, owner)


def _tree(conv: Converter, fname: str, name: str, x: tuple, y: tuple, element: str | None,
          args: list[Node], owner: str) -> Node:
    """The tree of the call ``fname`` of the lookup of points ``(x, y)`` (the element
    ``element``, or None for an inline lookup) at the converted ``args``."""
    spelled = conv.spelled(fname)
    if len(x) < 2:
        raise conv.fail(f"{spelled} of a lookup of {len(x)} point (it needs two or more)",
                        owner)
    if fname == "lookup_invert":
        inverse = monotone_inverse(x, y)
        if inverse is None:
            raise conv.fail(f"{spelled} of a lookup whose values do not strictly increase or "
                            f"strictly decrease (it has no single inverse)", owner)
        return DerivedLookups(conv, f"{name} inverse", *inverse, owner).call("lookup", args[0])
    table = DerivedLookups(conv, name, x, y, owner, element)
    if fname == "lookup_area":
        return BinOp("-", table.area_to(args[1]), table.area_to(args[0]))
    return {"lookup_extrapolate": table.extrapolate, "lookup_forward": table.forward,
            "lookup_backward": table.backward}[fname](args[0])
