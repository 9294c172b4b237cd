"""Vensim data variables (``y := GET DIRECT DATA(...)``) as lookups of time.

A data variable's series is read from a file beside the model
(:func:`gysim.io.external.data_series`). Between its points the keyword before
``:=`` decides the value (Vensim's data equations):

* ``:INTERPOLATE:`` (the default): linear interpolation between points;
* ``:HOLD BACKWARD:``: the value of the last point at or before the time;
* ``:LOOK FORWARD:``: the value of the next point at or after the time;
* ``:RAW:``: the value at a data point, :NA: at every other time.

Before the first and after the last point the end values hold (``:RAW:``: :NA:).
Each series becomes gysim lookups called with ``time``, so a data variable is an
ordinary auxiliary of both backends. Interpolation is the lookup of (times,
values); hold backward and look forward are Vensim's LOOKUP BACKWARD and LOOKUP
FORWARD of the series at ``time`` (:class:`gysim.io.lookup_modes.DerivedLookups`,
exact next to a data time). Raw uses an index lookup ``I`` of (times, 0, 1, ...),
whose value is exactly ``k`` at the k-th data time, and a value lookup ``V`` of
(0, 1, ..., values): it takes ``V`` where ``I`` is within 1e-9 of an integer (a
data time, to 1e-9 of the interval between points) and :NA: elsewhere (``I`` is
padded with -0.5 and n - 0.5 beyond the ends).

A subscripted data variable reads one series per element of the range on its
left-hand side (at most one range; times in a row: one row per element, times in
a column: one column per element) and, natively, is one element over its
dimensions choosing each element's series.

Examples
--------
>>> from gysim.expr import to_text
>>> to_text(series_tree((0.0, 1.0, 3.0), (5.0, 6.0, 9.0), "interpolate", lambda x, y: "L"))
'L(time)'
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..expr import BinOp, Call, Compare, Const, Name, Node
from . import external
from .lookup_modes import DerivedLookups
from .names import VENSIM_NA, reference_key, safe_identifier

__all__ = ["KEYWORDS", "DATA_TIMES", "series_tree", "data_tree", "data_time"]

#: The keywords of a data equation gysim reads (PySD's spelling; None: the default).
KEYWORDS = ("interpolate", "raw", "hold_backward", "look_forward")
#: How close (in intervals between points) a time must be to a data time for :RAW:.
RAW_TOLERANCE = 1e-9


def series_tree(xs: tuple, ys: tuple, keyword: str,
                add_lookup: Callable[[tuple, tuple], str]) -> Node:
    """The value at ``time`` of one series under ``keyword`` (interpolate or raw; a
    series of one point under any keyword but raw).

    ``add_lookup(x, y)`` registers a lookup and returns its name.

    Examples
    --------
    >>> from gysim.expr import to_text
    >>> to_text(series_tree((0.0, 2.0), (1.0, 3.0), "interpolate", lambda x, y: "L"))
    'L(time)'
    >>> to_text(series_tree((4.0,), (7.0,), "look_forward", lambda x, y: "L"))
    '7'
    """
    time = Name("time")
    n = len(xs)
    if keyword == "interpolate" or (n == 1 and keyword != "raw"):
        return Const(ys[0]) if n == 1 else Call(add_lookup(xs, ys), (time,))
    positions = tuple(float(k) for k in range(n))
    if keyword == "raw":
        before = xs[1] - xs[0] if n > 1 else 1.0
        after = xs[-1] - xs[-2] if n > 1 else 1.0
        index = Call(add_lookup((xs[0] - before,) + tuple(xs) + (xs[-1] + after,),
                                (-0.5,) + positions + (n - 0.5,)), (time,))
        value = add_lookup(positions, ys)
        nearest = Call("integer", (BinOp("+", index, Const(0.5)),))
        at_point = Compare("<", Call("abs", (BinOp("-", index, nearest),)),
                           Const(RAW_TOLERANCE))
        return Call("if_then_else", (at_point, Call(value, (nearest,)), Const(VENSIM_NA)))
    raise ValueError(f"series_tree reads :INTERPOLATE: and :RAW: series, not {keyword!r} "
                     f"(the step functions are DerivedLookups')")


def _refusal(builder: Any, what: str, owner: str) -> Exception:
    """A refusal of the definition in any reading (no element-by-element retry)."""
    err = builder.fail(what, owner)
    err.model_error = True
    return err


def _read(builder: Any, comp: Any, owner: str) -> tuple[list, Callable[[tuple, list], int]]:
    """The series of a data definition and which of them an element (labels, lhs) takes."""
    ast = comp.ast
    kind = type(ast).__name__
    if kind == "DataStructure":
        raise _refusal(builder, "a data variable without an equation (its values come from a "
                       "Vensim .vdf run)", owner)
    if kind != "GetDataStructure":
        raise _refusal(builder, "a data variable defined by an equation (gysim reads data "
                       "variables of GET DIRECT DATA or GET XLS DATA)", owner)
    subs = builder.subs
    written = list(comp.subscripts[0]) if comp.subscripts else []
    ranges = [i for i, s in enumerate(written) if reference_key(str(s)) in subs.range_canon]
    if len(ranges) > 1:
        raise _refusal(builder, f"GET DATA over {len(ranges)} subscript ranges (gysim reads "
                       f"one range besides time per definition)", owner)
    count = len(subs.ranges[subs.range_canon[reference_key(str(written[ranges[0]]))]]
                ) if ranges else 1
    series = external.data_series(builder.path, ast.file, ast.tab, ast.time_row_or_col,
                                  ast.cell, count, owner)

    def which(labels: tuple, lhs: list) -> int:
        if not ranges:
            return 0
        pos = ranges[0]
        return subs.ranges[lhs[pos]].index(labels[pos])

    return series, which


def data_tree(builder: Any, ident: str, comp: Any, owner: str) -> Node:
    """The equation of one data definition ``comp`` of ``ident`` (a GET DIRECT/XLS DATA).

    Natively the tree is over ``ident``'s dimensions (0 outside the elements ``comp``
    defines); element by element it is the series of ``ident``'s element.
    """
    keyword = comp.keyword or "interpolate"
    if keyword not in KEYWORDS:
        raise _refusal(builder, f"the data keyword :{keyword.upper().replace('_', ' ')}:",
                       owner)
    series, which = _read(builder, comp, owner)
    subs = builder.subs

    def add_lookup(x: tuple, y: tuple) -> str:
        name = safe_identifier(f"{owner} data", builder.taken)
        builder.lookups_extra.append((name, x, y, owner))
        return name

    trees: dict[int, Node] = {}

    def tree_of(k: int) -> Node:
        if k not in trees:
            xs, ys = series[k]
            if keyword in ("hold_backward", "look_forward") and len(xs) > 1:
                steps = DerivedLookups(builder, f"{owner} data", xs, ys, owner)
                step = steps.backward if keyword == "hold_backward" else steps.forward
                trees[k] = step(Name("time"))
            else:
                trees[k] = series_tree(xs, ys, keyword, add_lookup)
        return trees[k]

    if not builder.native:
        _, _, labels, _, lhs = builder.comp_of[ident]
        return tree_of(which(labels, lhs))
    keys = builder.dims_of.get(ident, ())
    if not keys:
        return tree_of(0)
    fams = [builder.key_family[k] for k in keys]
    shape = tuple(len(subs.ranges[f]) for f in fams)
    tree: Node = Const(0.0)
    cells = list(subs.expand(comp, owner))
    for labels, _, lhs in reversed(cells):
        mask = np.zeros(shape)
        mask[tuple(subs.position[f][lab] for f, lab in zip(fams, labels))] = 1.0
        name = safe_identifier(f"{ident} is {' '.join(labels)}", builder.taken)
        builder.extra_params.append((name, mask, tuple(builder.dim_id[k] for k in keys),
                                     f"1 at {owner}[{','.join(labels)}]"))
        tree = Call("if_then_else", (Name(name), tree_of(which(labels, lhs)), tree))
    return tree


#: GET DATA FIRST TIME / LAST TIME (PySD's keys): which end of the series.
DATA_TIMES = {"get_data_first_time": 0, "get_data_last_time": -1}


def data_time(builder: Any, fname: str, arguments: list, owner: str) -> Node:
    """GET DATA FIRST TIME(d) / GET DATA LAST TIME(d): the first or last time at which
    the data variable ``d`` has a value (a constant), for a scalar data variable or one
    element of a subscripted one read element by element."""
    shown = fname.upper().replace("_", " ")
    node = builder.conv(arguments[0], owner) if len(arguments) == 1 else None
    comp = (builder.comp_of[node.id][1] if isinstance(node, Name) and node.id in builder.comp_of
            else None)
    if comp is None or type(comp).__name__ != "AbstractData":
        raise builder.fail(f"{shown} of something other than a data variable", owner)
    if builder.native and (builder.dims_of.get(node.id) or node.id in getattr(builder, "parts", {})):
        raise builder.fail(f"{shown} of the subscripted data variable "
                           f"'{builder.names[node.id]}'", owner)
    series, which = _read(builder, comp, builder.names[node.id])
    _, _, labels, _, lhs = builder.comp_of[node.id]
    times = series[which(labels, lhs) if not builder.native else 0][0]
    return Const(times[DATA_TIMES[fname]])
