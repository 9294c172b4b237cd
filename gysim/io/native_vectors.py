"""Vensim's sorting and mapping functions of vectors, read with native dimensions.

VECTOR SORT ORDER, VECTOR RANK, VECTOR REORDER, VECTOR ELM MAP and VECTOR
LOOKUP each look at a whole vector (the elements of their first argument's
last subscript, for every combination of the others) to compute one element
of the result. Read natively, each becomes a tree of gysim's own builtins:
the vector is converted once more along a spare copy (an *alias*) of its
range's dimension for every index the definition needs, and comparisons
between the copies are summed over them (an element's rank is one plus the
number of elements sorted before it). The trees hold nothing but
comparisons, ``if_then_else`` and sums over a dimension, so a leading run
axis (an ensemble) is carried through: each run sorts its own vector. Their
cost in numpy is quadratic in the length of the vector (cubic for the sort
order), small in the models that use them. The numba backend unrolls such sums
into code growing as a higher power of the length, too large to compile: the
trees are marked ``long_vector`` and numba refuses them by name
(``backend="auto"`` runs numpy).

The definitions, from Vensim's reference:

* VECTOR RANK(vec, direction): the rank from 1 of each element, ascending
  when ``direction > 0``, else descending. Equal values take contiguous ranks
  (Vensim: "arbitrarily"); here in their order in the range (a stable sort),
  in both directions.
* VECTOR SORT ORDER(vec, direction): element ``k`` of the result is the
  zero-based offset of the element that comes ``k``-th in that order (the
  inverse of the rank, minus one).
* VECTOR REORDER(vec, svec): element ``k`` is ``vec[svec[k]]`` (``svec``
  holds zero-based offsets, as VECTOR SORT ORDER returns).
* VECTOR ELM MAP(vec[start], offset): the element ``offset`` places after
  ``start`` in the whole array ``vec`` taken in row order (last subscript
  fastest).
* VECTOR LOOKUP(vec[first], x, xmin, xmax, mode): ``vec``'s last subscript
  as the y values of a lookup at ``n`` equally spaced x from ``xmin`` to
  ``xmax``; modes 0 (interpolation, holding the end values outside) and 3
  (LOOKUP EXTRAPOLATE: the end segments extended) are read, the others are
  refused by name.

A vector holding a NaN has no order: its ranks and sort order are NaN (which
stops a run with an error naming the element). An offset that is not within
1e-6 of a whole number, or that points outside the vector, gives :NA: (NaN),
as Vensim's "error message ... and :NA: will be returned".

Examples
--------
>>> import tempfile, gysim
>>> from pathlib import Path
>>> f = Path(tempfile.mkdtemp()) / "m.mdl"
>>> _ = f.write_text("{UTF-8}\\nd: a, b, c ~ ~|\\nx[d] = 3, 1, 2 ~ ~|\\n"
...                  "r[d] = VECTOR RANK(x[d], 1) ~ ~|\\n"
...                  "INITIAL TIME = 0 ~ ~|\\nFINAL TIME = 1 ~ ~|\\nTIME STEP = 1 ~ ~|\\n")
>>> gysim.simulate(gysim.read_vensim(f))["r"].isel(time=0).values.tolist()
[3.0, 1.0, 2.0]
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ..builtins import folded
from ..expr import BinOp, BoolOp, Call, Compare, Const, Name, Node
from ..vector_sort import TOLERANCE
from .names import reference_key, safe_identifier

__all__ = ["NativeVectors", "LOOKUP_MODES", "TOLERANCE", "lookup_mode_refused"]

#: VECTOR LOOKUP's modes gysim reads (Vensim's reference lists 0-9).
LOOKUP_MODES = {0: "a normal lookup", 3: "LOOKUP EXTRAPOLATE"}
#: Vensim's other modes, named in refusals.
_OTHER_MODES = {1: "LOOKUP AREA", 2: "LOOKUP BACKWARD", 4: "LOOKUP FORWARD",
                5: "LOOKUP INVERT", 6: "LOOKUP SLOPE", 7: "LOOKUP AREA with extrapolation",
                8: "LOOKUP INVERT with extrapolation", 9: "LOOKUP SLOPE with extrapolation"}


def _for_numba(tree: Node) -> Node:
    """``tree`` marked ``long_vector``: refused by the numba backend, whose unrolled sums
    over the alias dimensions grow as a high power of the vector's length (the call's
    nested sums and the converted vector's own; a sort order of five elements did not
    compile in minutes), so ``backend="auto"`` runs numpy."""
    return Call("long_vector", (tree,))


def lookup_mode_refused(mode: float | None) -> str:
    """Why VECTOR LOOKUP with ``mode`` is refused (Vensim's name of the mode).

    Examples
    --------
    >>> lookup_mode_refused(5.0)
    'mode 5 (LOOKUP INVERT): gysim reads modes 0 (a normal lookup) and 3 (LOOKUP EXTRAPOLATE)'
    """
    shown = "not a constant" if mode is None else f"{mode:g}"
    detail = f" ({_OTHER_MODES[int(mode)]})" if mode in _OTHER_MODES else ""
    return f"mode {shown}{detail}: gysim reads modes 0 (a normal lookup) and 3 (LOOKUP EXTRAPOLATE)"


def _where(test: Node, body: Node, orelse: Node) -> Node:
    return Call("if_then_else", (test, body, orelse))


def _count(test: Node) -> Node:
    return _where(test, Const(1.0), Const(0.0))


def _nan() -> Node:
    return Call("not_available", ())


class NativeVectors:
    """Mixin of :class:`~gysim.io.build.ModelBuilder`: the functions above, natively.

    Relies on :class:`~gysim.io.native_refs.NativeReferences` (``_source``,
    ``_free_key``, ``_carry``, ``bang_axes``, ``native_ctx``).
    """

    # -------------------------------------------------------------- helpers
    def _vector_ref(self, ast: Any, what: str, owner: str) -> list[str]:
        """The subscripts (as written) of the vector argument, which must be a
        subscripted variable."""
        if type(ast).__name__ != "ReferenceStructure" or ast.subscripts is None:
            raise self.fail(f"{what} of something other than a subscripted variable", owner)
        return [str(s).strip() for s in ast.subscripts.subscripts]

    def _whole_range(self, text: str, what: str, owner: str) -> str:
        """The range a vector's last subscript names (a whole family: Vensim's
        "subranges will not work")."""
        rng = self.subs.range_canon.get(reference_key(text))
        if rng is None or text.endswith("!"):
            raise self.fail(f"{what} with '{text}' as the vector's last subscript (it must be "
                            f"a subscript range)", owner)
        if self.subs.ranges[rng] != self.subs.ranges[self.family[rng]]:
            raise self.fail(f"{what} over the subrange '{rng}' (Vensim's reference: subranges "
                            f"will not work)", owner)
        return rng

    def _constant(self, ast: Any, owner: str) -> float | None:
        """A constant argument's value, or None when it is not constant."""
        try:
            return float(self.evaluate(self.conv(ast, owner), {}))
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            return None

    def _spare_keys(self, args: list, fam: str, n: int, taken: tuple = ()) -> list[str]:
        """``n`` alias keys of the family ``fam`` that nothing in the definition uses
        (nor ``taken``)."""
        used = (self._lhs_keys_in(args, set()) | set(self.bang_axes.values())
                | {key for key, _, _ in self.native_ctx} | set(taken))
        keys = []
        for _ in range(n):
            keys.append(self._free_key(fam, used))
            used.add(keys[-1])
        return keys

    def _along(self, ast: Any, positions: dict[int, tuple[str, str]], owner: str) -> Node:
        """The reference ``ast`` with its subscript at each position ``p`` running over
        the whole range ``positions[p][0]`` along the dimension key ``positions[p][1]``."""
        items = list(ast.subscripts.subscripts)
        for p, (rng, _) in positions.items():
            items[p] = rng + "!"
        ref = dataclasses.replace(ast, subscripts=dataclasses.replace(ast.subscripts,
                                                                      subscripts=items))
        saved = self.bang_axes
        self.bang_axes = {**saved, **{rng: key for rng, key in positions.values()}}
        try:
            return self.conv(ref, owner)
        finally:
            self.bang_axes = saved

    def _offsets(self, key: str) -> Name:
        """A constant over the dimension ``key``: each element's offset from 0."""
        cache = "offsets in " + key
        name = self.range_masks.get(cache)
        if name is None:
            name = safe_identifier(f"offset in {self.dim_id[key]}", self.taken)
            self.range_masks[cache] = name
            self.extra_params.append((name, np.arange(float(len(self._labels(key)))),
                                      (self.dim_id[key],),
                                      f"offset from 0 of each element of {self.dim_id[key]}"))
        return Name(name)

    def _direction(self, ast: Any, owner: str) -> Node | bool:
        """True (ascending) or False for a direction written with numbers only, else the
        test ``direction > 0`` (a parameter may differ between runs)."""
        tree = self.conv(ast, owner)
        value = folded(tree)
        if value is not None:
            return value > 0
        return Compare(">", tree, Const(0.0))

    def _rank(self, vec: Any, rng: str, ascending: Node | bool, of: str, over: str,
              owner: str) -> tuple[Node, Node]:
        """(rank of each element along key ``of``, count of NaN in the vector), the rank
        counting the elements (along key ``over``) sorted before it."""
        mine, other = self._along(vec, {-1: (rng, of)}, owner), self._along(
            vec, {-1: (rng, over)}, owner)
        rising, falling = Compare("<", other, mine), Compare(">", other, mine)
        if isinstance(ascending, bool):
            strict: Node = rising if ascending else falling
        else:
            strict = _where(ascending, rising, falling)
        tie = BoolOp("and", (Compare("==", other, mine),
                             Compare("<", self._offsets(over), self._offsets(of))))
        before = Call("sum", (_count(BoolOp("or", (strict, tie))), Name(self.dim_id[over])))
        nans = Call("sum", (_count(Compare("!=", other, other)), Name(self.dim_id[over])))
        return BinOp("+", Const(1.0), before), nans

    def _placed(self, vec: Any, rng: str, what: str, owner: str) -> tuple[str, dict]:
        """The key of the definition the vector's last subscript lines up with, and its
        table (the definition's element -> the vector's), which must cover the range."""
        items = list(vec.subscripts.subscripts)
        src = self._source(items[-1], len(items) - 1, vec.reference, owner)
        key, table = src[1], src[2]
        labels = self.subs.ranges[rng]
        if sorted(table) != sorted(self._labels(key)) or sorted(table.values()) != sorted(labels):
            raise self.fail(f"{what} in a definition that does not cover the whole range "
                            f"'{rng}' of its vector", owner)
        return key, table

    # -------------------------------------------------------------- the functions
    def native_vector_rank(self, args: list, owner: str) -> Node:
        """VECTOR RANK(vec[..., d], direction): ranks from 1 along ``d``."""
        what = "VECTOR RANK"
        if len(args) != 2:
            raise self.fail(f"{what} with {len(args)} arguments", owner)
        rng = self._whole_range(self._vector_ref(args[0], what, owner)[-1], what, owner)
        key, table = self._placed(args[0], rng, what, owner)
        ascending = self._direction(args[1], owner)
        of, over = self._spare_keys(list(args), self.family[rng], 2)
        rank, nans = self._rank(args[0], rng, ascending, of, over, owner)
        rank = _where(Compare(">", nans, Const(0.0)), _nan(), rank)
        return _for_numba(self._carry(rank, of, key, table))

    def native_vector_sort_order(self, args: list, owner: str) -> Node:
        """VECTOR SORT ORDER(vec[..., d], direction): the zero-based offsets in sorted order."""
        what = "VECTOR SORT ORDER"
        if len(args) != 2:
            raise self.fail(f"{what} with {len(args)} arguments", owner)
        rng = self._whole_range(self._vector_ref(args[0], what, owner)[-1], what, owner)
        key, table = self._placed(args[0], rng, what, owner)
        ascending = self._direction(args[1], owner)
        slot, of, over = self._spare_keys(list(args), self.family[rng], 3)
        rank, nans = self._rank(args[0], rng, ascending, of, over, owner)
        hit = Compare("==", rank, BinOp("+", self._offsets(slot), Const(1.0)))
        order = Call("sum", (_where(hit, self._offsets(of), Const(0.0)), Name(self.dim_id[of])))
        order = _where(Compare(">", nans, Const(0.0)), _nan(), order)
        return _for_numba(self._carry(order, slot, key, table))

    def _pick(self, values: Node, position: Node, at: Node, over: list[str]) -> Node:
        """The value whose ``position`` (a tree over the keys ``over``) is within
        :data:`TOLERANCE` of ``at``; NaN where none is."""
        hit = Compare("<", Call("abs", (BinOp("-", position, at),)), Const(TOLERANCE))
        value, count = _where(hit, values, Const(0.0)), _count(hit)
        for key in over:
            value = Call("sum", (value, Name(self.dim_id[key])))
            count = Call("sum", (count, Name(self.dim_id[key])))
        return _where(Compare(">", count, Const(0.0)), value, _nan())

    def native_vector_reorder(self, args: list, owner: str) -> Node:
        """VECTOR REORDER(vec[..., d], svec): ``vec[svec[k]]`` along ``d``."""
        what = "VECTOR REORDER"
        if len(args) != 2:
            raise self.fail(f"{what} with {len(args)} arguments", owner)
        rng = self._whole_range(self._vector_ref(args[0], what, owner)[-1], what, owner)
        (over,) = self._spare_keys(list(args), self.family[rng], 1)
        values = self._along(args[0], {-1: (rng, over)}, owner)
        return _for_numba(self._pick(values, self._offsets(over), self.conv(args[1], owner),
                                     [over]))

    def native_vector_elm_map(self, args: list, owner: str) -> Node:
        """VECTOR ELM MAP(vec[start], offset): the element ``offset`` places after ``start``
        in the whole array ``vec`` (row order)."""
        what = "VECTOR ELM MAP"
        if len(args) != 2:
            raise self.fail(f"{what} with {len(args)} arguments", owner)
        vec = args[0]
        items = self._vector_ref(vec, what, owner)
        fams, starts = [], []
        for pos, text in enumerate(items):
            src = self._source(text, pos, vec.reference, owner)
            fam = (self.label_family[src[1]] if src[0] == "label"
                   else self.key_family[src[1]])
            fams.append(fam)
            starts.append(self._start_position(src, fam))
        if len(set(fams)) != len(fams):
            raise self.fail(f"{what} of a vector subscripted twice by one range's elements",
                            owner)
        keys: list[str] = []
        for fam in fams:
            keys += self._spare_keys(list(args), fam, 1, tuple(keys))
        strides = [float(np.prod([len(self.subs.ranges[f]) for f in fams[i + 1:]]))
                   for i in range(len(fams))]
        flat: Node = Const(0.0)
        start: Node = Const(0.0)
        for key, first, stride in zip(keys, starts, strides):
            flat = BinOp("+", flat, BinOp("*", self._offsets(key), Const(stride)))
            start = BinOp("+", start, BinOp("*", first, Const(stride)))
        values = self._along(vec, {p: (fams[p], keys[p]) for p in range(len(items))}, owner)
        target = BinOp("+", start, self.conv(args[1], owner))
        return _for_numba(self._pick(values, flat, target, keys))

    def _start_position(self, src: tuple, fam: str) -> Node:
        """The offset in its family of a vector subscript's element: a number for a label,
        a constant over the definition's dimension for a range lined up with it."""
        position = self.subs.position[fam]
        if src[0] == "label":
            return Const(float(position[src[1]]))
        key, table = src[1], src[2]
        values = np.array([float(position[table[e]]) if e in table else 0.0
                           for e in self._labels(key)])
        name = safe_identifier(f"start in {self.dim_id[key]}", self.taken)
        self.extra_params.append((name, values, (self.dim_id[key],),
                                  f"offset in {fam} of the element each element of "
                                  f"{self.dim_id[key]} starts from"))
        return Name(name)

    def native_vector_lookup(self, args: list, owner: str) -> Node:
        """VECTOR LOOKUP(vec[..., first], x, xmin, xmax, mode), modes 0 and 3."""
        what = "VECTOR LOOKUP"
        if len(args) != 5:
            raise self.fail(f"{what} with {len(args)} arguments", owner)
        mode = self._constant(args[4], owner)
        if mode not in LOOKUP_MODES:
            raise self.fail(f"{what} with {lookup_mode_refused(mode)}", owner)
        items = self._vector_ref(args[0], what, owner)
        label = self.subs.label_canon.get(reference_key(items[-1]))
        fam = self.label_family.get(label)
        if fam is None or self.subs.ranges[fam][0] != label:
            raise self.fail(f"{what} called with '{items[-1]}' as the vector's last subscript "
                            f"(Vensim's reference: call it with the first element of the "
                            f"vector)", owner)
        n = len(self.subs.ranges[fam])
        (over,) = self._spare_keys(list(args), fam, 1)
        values = self._along(args[0], {-1: (fam, over)}, owner)
        x, lo, hi = (self.conv(a, owner) for a in args[1:4])
        offsets = self._offsets(over)
        # the input as a position along the vector, 0 at xmin, n - 1 at xmax
        p = BinOp("*", BinOp("/", BinOp("-", x, lo), BinOp("-", hi, lo)), Const(n - 1.0))
        clamped = Call("min", (Call("max", (p, Const(0.0))), Const(n - 1.0)))
        weight = BinOp("-", Const(1.0), Call("abs", (BinOp("-", clamped, offsets),)))
        y = Call("sum", (_where(Compare(">", weight, Const(0.0)), BinOp("*", values, weight),
                                Const(0.0)), Name(self.dim_id[over])))
        if mode == 3 and n > 1:
            def end_slope(a: int, b: int) -> Node:  # y[b] - y[a]
                pick = _where(Compare("==", offsets, Const(float(b))), values,
                              _where(Compare("==", offsets, Const(float(a))),
                                     BinOp("*", Const(-1.0), values), Const(0.0)))
                return Call("sum", (pick, Name(self.dim_id[over])))
            slope = _where(Compare("<", p, Const(0.0)), end_slope(0, 1),
                           end_slope(n - 2, n - 1))
            y = BinOp("+", y, BinOp("*", BinOp("-", p, clamped), slope))
        return _for_numba(y)
