"""ALLOCATE AVAILABLE and ALLOCATE BY PRIORITY read natively: one call along the requesters.

In Vensim's ``ship[region, branch] = ALLOCATE AVAILABLE(demand[region,
branch], pp[branch, ptype], supply[region])`` the requesters are the
elements of the left-hand side's last subscript (``branch``; Vensim's rule:
the request ends with it, and the priority profile has it second last, its
profile element last). Natively the whole variable is one call of the
engine's :func:`~gysim.allocation.allocate_available_along` builtin along
that dimension: ``allocate_available(request, ptype, priority, width,
supply, branch)``, every other dimension (``region``) and every run an
allocation of its own. The profile's ``ptype``, ``ppriority`` and ``pwidth``
are the element named in ``pp`` and the two after it in its range; the
request may be any expression. Over a subrange (``ship[north] = ...
demand[north] ...``) the other elements of the family request nothing.

ALLOCATE BY PRIORITY(request, priority, size, width, supply) becomes
``allocate_by_priority(request, priority, width, supply, branch)``
(``size``, when constant, must be the number of requesters).

A constant ``ptype`` outside the profiles gysim computes (1-4) is refused
when the file is read, naming the element (:func:`gysim.allocation.profile_refusal`).

Examples
--------
>>> import tempfile, gysim
>>> from pathlib import Path
>>> f = Path(tempfile.mkdtemp()) / "m.mdl"
>>> _ = f.write_text("{UTF-8}\\nb: x, y ~ ~|\\np: ptype, ppriority, pwidth, pextra ~ ~|\\n"
...                  "d[b] = 4, 6 ~ ~|\\npp[b, p] = 1, 5, 2, 0; 1, 5, 2, 0 ~ ~|\\n"
...                  "s[b] = ALLOCATE AVAILABLE(d[b], pp[b, ptype], 5) ~ ~|\\n"
...                  "INITIAL TIME = 0 ~ ~|\\nFINAL TIME = 1 ~ ~|\\nTIME STEP = 1 ~ ~|\\n")
>>> m = gysim.read_vensim(f)
>>> m.source.fallback, gysim.simulate(m)["s"].isel(time=0).values.tolist()
('', [2.0, 3.0])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..allocation import profile_refusal
from ..expr import Call, Const, Name, Node, Subscript
from . import array_calls

__all__ = ["NativeAllocation"]


class NativeAllocation:
    """Mixin of :class:`~gysim.io.build.ModelBuilder`: the allocations under native dimensions.

    Relies on :class:`~gysim.io.native_refs.NativeReferences` (``native_ctx``,
    ``range_mask``, ``_labels``, ``_constant_array``) and the converter.
    """

    def _requesters(self, what: str, owner: str) -> tuple[str, str]:
        """(dimension key, range) of the requesters: the left-hand side's last subscript."""
        ctx = self.native_ctx
        if not ctx or ctx[-1][1] is None:
            raise array_calls._refused(self, what, "the last subscript of the variable it "
                                       "defines must be the range of the requesters", owner)
        return ctx[-1][0], ctx[-1][1]

    def _among(self, tree: Node, rng: str, key: str, neutral: float) -> Node:
        """``tree`` over the requesters of the range ``rng``; ``neutral`` for the others of
        its family (a request of 0 takes nothing and moves nobody's share)."""
        if set(self.subs.ranges[rng]) == set(self._labels(key)):
            return tree
        return Call("if_then_else", (self.range_mask(rng, key), tree, Const(neutral)))

    def native_allocate_available(self, ast: Any, owner: str) -> Node:
        """ALLOCATE AVAILABLE(request, pp, avail) along the requesters' dimension."""
        what = "ALLOCATE AVAILABLE"
        key, rng = self._requesters(what, owner)
        ranges = array_calls._ranges_of(self, ast.pp, what, owner)
        if len(ranges) < 2 or ranges[-1] is not None:
            raise array_calls._refused(self, what, "its priority profile must end with a "
                                       "profile element such as ptype", owner)
        if ranges[-2] is None or self.family[ranges[-2]] != self.family[rng]:
            raise array_calls._refused(self, what, f"its priority profile's second last "
                                       f"subscript must be the requesters' range '{rng}'", owner)
        fields = []
        for offset, neutral in ((0, 1.0), (1, 0.0), (2, 1.0)):  # ptype, ppriority, pwidth
            field = array_calls._profile_field(self, ast.pp, offset, owner)
            fields.append(self._among(self.conv(field, owner), rng, key, neutral))
        self._check_ptypes(fields[0], key, rng, what, owner)
        request = self._among(self.conv(ast.request, owner), rng, key, 0.0)
        return Call("allocate_available", (request, *fields, self.conv(ast.avail, owner),
                                           Name(self.dim_id[key])))

    def native_allocate_by_priority(self, ast: Any, owner: str) -> Node:
        """ALLOCATE BY PRIORITY(request, priority, size, width, supply) along the
        requesters' dimension."""
        what = "ALLOCATE BY PRIORITY"
        key, rng = self._requesters(what, owner)
        array_calls._size_matches(self, ast.size, len(self.subs.ranges[rng]), what, owner)
        request = self._among(self.conv(ast.request, owner), rng, key, 0.0)
        priority = self._among(self.conv(ast.priority, owner), rng, key, 0.0)
        return Call("allocate_by_priority", (request, priority, self.conv(ast.width, owner),
                                             self.conv(ast.supply, owner),
                                             Name(self.dim_id[key])))

    def _check_ptypes(self, tree: Node, key: str, rng: str, what: str, owner: str) -> None:
        """Refuse a constant ptype of a requester that is not a profile gysim computes."""
        codes = self._constant_codes(tree, key, rng)
        for code in sorted(codes or ()):
            why = profile_refusal(code)
            if why is not None:
                err = array_calls._refused(self, what, f"{why}; gysim computes ptype 1 "
                                           f"(rectangular), 2 (triangular), 3 (normal) and 4 "
                                           f"(exponential)", owner)
                err.model_error = True  # no other reading computes it either
                raise err

    def _constant_codes(self, tree: Node, key: str, rng: str) -> set | None:
        """The values a constant ptype takes for the requesters of ``rng`` (None: not constant)."""
        if isinstance(tree, Call) and tree.func == "if_then_else":
            tree = tree.args[1]  # (the requesters' part of _among)
        if isinstance(tree, Const):
            return {float(tree.value)}
        if not (isinstance(tree, Subscript) and isinstance(tree.value, Name)):
            return None
        ident = tree.value.id
        values = self._constant_array(ident) if ident in self.comp_of else None
        if values is None:
            return None
        for axis, k in reversed(list(enumerate(self.dims_of[ident]))):
            gysim_labels = [self.alias_label[k][label] for label in self._labels(k)]
            chosen = [lab for lab in tree.labels if lab in gysim_labels]
            if chosen:  # the profile element (ptype), or another selected label
                values = np.take(values, [gysim_labels.index(chosen[0])], axis=axis)
            elif self.key_family[k] == self.key_family[key]:  # only the requesters
                position = self.subs.position[self.key_family[k]]
                values = np.take(values, [position[lab] for lab in self.subs.ranges[rng]],
                                 axis=axis)
        return set(np.unique(values).tolist())
