"""Reading VECTOR SORT ORDER, VECTOR RANK, VECTOR REORDER, VECTOR ELM MAP and VECTOR
LOOKUP element by element.

When a file is read element by element (one scalar variable per subscript
element), the call defining one element becomes a call of a runtime helper of
:mod:`gysim.vector_sort` given every element of the vector (the vector's
last subscript bound to each of its range's labels in turn, the others to the
element being defined):

* ``r[d] = VECTOR RANK(x[d], dir)`` -> ``vector_rank_element(k, dir, x[d1], ...)``
  (``k``: the position of the element defined); VECTOR SORT ORDER alike;
* ``VECTOR REORDER(x[d], s[d])`` -> ``vector_pick_element(s[...], x[d1], ...)``;
* ``VECTOR ELM MAP(x[start], offset)`` -> ``vector_pick_element(start + offset, every
  element of x in row order)``;
* ``VECTOR LOOKUP(x[first], v, lo, hi, mode)`` -> ``vector_lookup_element(v, lo, hi,
  mode, x[d1], ...)``.

The definitions are in :mod:`gysim.io.native_vectors`, the native reading of the
same functions.

Examples
--------
>>> import tempfile, gysim
>>> from pathlib import Path
>>> from pysd.translators.vensim.vensim_file import VensimFile
>>> from gysim.io.build import build_model
>>> f = Path(tempfile.mkdtemp()) / "m.mdl"
>>> _ = f.write_text("{UTF-8}\\nd: a, b, c ~ ~|\\nx[d] = 3, 1, 2 ~ ~|\\n"
...                  "o[d] = VECTOR SORT ORDER(x[d], 1) ~ ~|\\n"
...                  "INITIAL TIME = 0 ~ ~|\\nFINAL TIME = 1 ~ ~|\\nTIME STEP = 1 ~ ~|\\n")
>>> vfile = VensimFile(f)
>>> vfile.parse()
>>> m = build_model(vfile.get_abstract_model(), f, "Vensim", native=False)
>>> ds = gysim.simulate(m)
>>> [float(ds[f"o_{e}"][0]) for e in "abc"]
[1.0, 2.0, 0.0]
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from ..expr import BinOp, Call, Const, Node
from . import array_calls
from .names import reference_key
from .native_vectors import LOOKUP_MODES, lookup_mode_refused

if TYPE_CHECKING:
    from .convert import Converter

__all__ = ["CALLS"]


def _family(conv: Converter, labels: list[str]) -> str:
    """The largest range holding all ``labels`` (the vector's dimension)."""
    holders = [r for r, other in conv.subs.ranges.items() if set(labels) <= set(other)]
    return max(holders, key=lambda r: len(conv.subs.ranges[r]))


def _whole(conv: Converter, rng: str, what: str, owner: str) -> None:
    """Refuses a vector over a subrange (Vensim's reference: subranges will not work)."""
    if len(conv.subs.ranges[_family(conv, conv.subs.ranges[rng])]) != len(conv.subs.ranges[rng]):
        raise array_calls._refused(conv, what, f"its vector runs over the subrange '{rng}' "
                                   f"(Vensim's reference: subranges will not work)", owner)


def _with_subscripts(ref: Any, items: list) -> Any:
    return dataclasses.replace(ref, subscripts=dataclasses.replace(ref.subscripts,
                                                                   subscripts=list(items)))


def _arity(conv: Converter, args: list, n: int, what: str, owner: str) -> None:
    if len(args) != n:
        raise array_calls._refused(conv, what, f"it takes {n} arguments, got {len(args)}", owner)


def _sorting(builtin: str, what: str):
    def read(conv: Converter, args: list, owner: str) -> Node:
        _arity(conv, args, 2, what, owner)
        rng, k = array_calls._vector(conv, [args[0]], what, owner)
        _whole(conv, rng, what, owner)
        entries = array_calls._each(conv, [rng], lambda: conv.conv(args[0], owner))
        return Call(builtin, (Const(float(k)), conv.conv(args[1], owner), *entries))
    return read


def vector_reorder(conv: Converter, args: list, owner: str) -> Node:
    """VECTOR REORDER(vec[..., d], svec): ``vec`` at the offset ``svec`` gives."""
    what = "VECTOR REORDER"
    _arity(conv, args, 2, what, owner)
    rng = array_calls._ranges_of(conv, args[0], what, owner)[-1]
    if rng is None:
        raise array_calls._refused(conv, what, "its vector's last subscript must be a range",
                                   owner)
    _whole(conv, rng, what, owner)
    entries = array_calls._each(conv, [rng], lambda: conv.conv(args[0], owner))
    return Call("vector_pick_element", (conv.conv(args[1], owner), *entries))


def vector_elm_map(conv: Converter, args: list, owner: str) -> Node:
    """VECTOR ELM MAP(vec[start], offset): the element ``offset`` places after ``start`` in
    the whole array ``vec``, row by row."""
    what = "VECTOR ELM MAP"
    _arity(conv, args, 2, what, owner)
    ref = args[0]
    ranges = array_calls._ranges_of(conv, ref, what, owner)
    labels = [array_calls._current(conv, ref, pos, owner) for pos in range(len(ranges))]
    fams = [_family(conv, conv.subs.ranges[r] if r else [lab]) for r, lab in zip(ranges, labels)]
    if len(set(fams)) != len(fams):
        raise array_calls._refused(conv, what, "its vector is subscripted twice by one "
                                   "range's elements", owner)
    start, stride = 0, 1
    for fam, label in reversed(list(zip(fams, labels))):
        start += conv.subs.ranges[fam].index(label) * stride
        stride *= len(conv.subs.ranges[fam])
    whole = _with_subscripts(ref, fams)
    entries = array_calls._each(conv, fams, lambda: conv.conv(whole, owner))
    return Call("vector_pick_element",
                (BinOp("+", Const(float(start)), conv.conv(args[1], owner)), *entries))


def vector_lookup(conv: Converter, args: list, owner: str) -> Node:
    """VECTOR LOOKUP(vec[..., first], x, xmin, xmax, mode), modes 0 and 3."""
    what = "VECTOR LOOKUP"
    _arity(conv, args, 5, what, owner)
    try:
        mode = float(conv.evaluate(conv.conv(args[4], owner), {}))
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        mode = None
    if mode not in LOOKUP_MODES:
        raise array_calls._refused(conv, what, lookup_mode_refused(mode), owner)
    ref = args[0]
    items = list(ref.subscripts.subscripts) if type(ref).__name__ == "ReferenceStructure" \
        and ref.subscripts is not None else []
    label = conv.subs.label_canon.get(reference_key(str(items[-1]).strip())) if items else None
    fam = _family(conv, [label]) if label else None
    if fam is None or conv.subs.ranges[fam][0] != label:
        raise array_calls._refused(conv, what, "call it with the first element of the "
                                   "vector's last subscript (Vensim's reference)", owner)
    row = _with_subscripts(ref, items[:-1] + [fam])
    entries = array_calls._each(conv, [fam], lambda: conv.conv(row, owner))
    return Call("vector_lookup_element", tuple(conv.conv(a, owner) for a in args[1:4])
                + (Const(mode), *entries))


#: Calls read here, by PySD's key of the function.
CALLS = {"vector_rank": _sorting("vector_rank_element", "VECTOR RANK"),
         "vector_sort_order": _sorting("vector_sort_order_element", "VECTOR SORT ORDER"),
         "vector_reorder": vector_reorder, "vector_elm_map": vector_elm_map,
         "vector_lookup": vector_lookup}
