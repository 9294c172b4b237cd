"""XMILE graphical function types beyond interpolation, as gysim expressions.

XMILE 1.0 (section 3.1.4) gives a graphical function a ``type``:
``continuous`` (the default: linear interpolation between the points, the end
values held beyond them), ``extrapolate`` (as continuous, but beyond the first
or last point the line through the two end points is continued) and
``discrete`` (a step function: the y of the last point at or before x; the
first y below the first point). PySD's translator names them ``interpolate``,
``extrapolate`` and ``hold_backward``.

gysim's lookups interpolate; :func:`lookup_call` writes the other two types
from the lookup's points: extrapolation adds the end segments' slopes beyond
the ends to the interpolated value, a discrete function is a sum of steps.

Examples
--------
>>> from gysim.expr import Name, to_text
>>> to_text(lookup_call("g", Name("x"), (1.0, 2.0), (10.0, 20.0), "extrapolate"))
'g(x) + min(x - 1, 0) * 10 + max(x - 2, 0) * 10'
>>> to_text(lookup_call("g", Name("x"), (1.0, 2.0), (10.0, 30.0), "hold_backward"))
'10 + if_then_else(x >= 2, 20, 0)'
"""

from __future__ import annotations

from ..expr import BinOp, Call, Compare, Const, Node

__all__ = ["TYPES", "lookup_call", "extrapolated"]

#: The lookup types (PySD's names) gysim reads.
TYPES = ("interpolate", "extrapolate", "hold_backward")


def lookup_call(name: str, x: Node, xs: tuple, ys: tuple, kind: str) -> Node:
    """The value at ``x`` of lookup ``name`` (points ``xs``, ``ys``) of type ``kind``.

    Examples
    --------
    >>> from gysim.expr import Name, to_text
    >>> to_text(lookup_call("g", Name("x"), (1.0, 2.0), (10.0, 20.0), "interpolate"))
    'g(x)'
    """
    if kind not in TYPES:
        raise ValueError(f"lookup type {kind!r} is not one of {TYPES}")
    if kind == "interpolate" or len(xs) < 2:
        return Call(name, (x,))
    if kind == "extrapolate":
        return extrapolated(Call(name, (x,)), xs, ys)
    tree: Node = Const(ys[0])
    for xi, step in zip(xs[1:], (b - a for a, b in zip(ys, ys[1:]))):
        if step:
            tree = BinOp("+", tree, Call("if_then_else", (Compare(">=", x, Const(xi)),
                                                          Const(step), Const(0.0))))
    return tree


def extrapolated(call: Call, xs: tuple, ys: tuple) -> Node:
    """``call`` (a lookup of points ``xs``, ``ys`` at its one argument) continued beyond
    the first and last points along the end segments' slopes (a flat end adds nothing,
    so an infinite argument stays finite there).

    Examples
    --------
    >>> from gysim.expr import Name, to_text
    >>> to_text(extrapolated(Call("g", (Name("x"),)), (0.0, 1.0, 2.0), (5.0, 5.0, 7.0)))
    'g(x) + max(x - 2, 0) * 2'
    """
    x = call.args[0]
    first = (ys[1] - ys[0]) / (xs[1] - xs[0])
    last = (ys[-1] - ys[-2]) / (xs[-1] - xs[-2])
    tree: Node = call
    if first != 0.0:
        below = Call("min", (BinOp("-", x, Const(xs[0])), Const(0.0)))
        tree = BinOp("+", tree, BinOp("*", below, Const(first)))
    if last != 0.0:
        above = Call("max", (BinOp("-", x, Const(xs[-1])), Const(0.0)))
        tree = BinOp("+", tree, BinOp("*", above, Const(last)))
    return tree
