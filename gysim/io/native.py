"""Native dimensions for a file's subscripts: families, subranges, :EXCEPT:, per-element parts.

Every subscript range belongs to a *family*: the largest range holding all
its labels. Each family becomes one gysim dimension; a subrange is its
family's dimension restricted by a mask. A subscripted variable defined by
several equations (one per element or per subrange, or with :EXCEPT:) stays
ONE gysim element over its families' dimensions: each definition (a *part*)
covers the elements a boolean mask marks, and the element's equation chooses
among the parts with ``if_then_else(mask, part, ...)`` (elements no part
defines are 0); when every part is a constant, the parts are assembled into
one constant array at build time. Mappings (``->``) and ranges that overlap
without one holding the other still need the element-by-element reading
(:class:`~gysim.io.convert.NotNative`).

Examples
--------
>>> from types import SimpleNamespace as NS
>>> from pathlib import Path
>>> from gysim.io.subscripts import Subscripts
>>> subs = Subscripts([NS(name="d", subscripts=["a", "b", "c"], mapping=[]),
...                    NS(name="s", subscripts=["b", "c"], mapping=[])], Path("m.mdl"), "Vensim")
>>> families(subs)
{'d': 'd', 's': 'd'}
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..expr import BinOp, Call, Const, Name, Node
from .convert import NotNative
from .names import reference_key, safe_identifier

__all__ = ["families", "NativeLayout"]


def families(subs: Any) -> dict[str, str]:
    """Each range -> its family (the largest range holding all its labels).

    Raises :class:`NotNative` for mappings and for families that share labels.
    """
    out = {}
    for rng, labels in subs.ranges.items():
        if len(set(labels)) != len(labels):
            raise NotNative(f"the range '{rng}' repeats a label")
        holders = [r for r, other in subs.ranges.items() if set(labels) <= set(other)]
        out[rng] = max(holders, key=lambda r: len(subs.ranges[r]))  # first of the largest
    seen: dict[str, str] = {}
    for fam in set(out.values()):
        for label in subs.ranges[fam]:
            if seen.setdefault(label, fam) != fam:
                raise NotNative(f"the overlapping ranges '{seen[label]}' and '{fam}'")
    return out


class NativeLayout:
    """Mixin of :class:`~gysim.io.build.ModelBuilder`: the native layout of subscripts."""

    def _layout_native(self) -> None:
        """Subscripted elements as gysim elements with dims, or :class:`NotNative`."""
        subs = self.subs
        self.family = families(subs)
        self.label_family = {label: fam for fam in set(self.family.values())
                             for label in subs.ranges[fam]}
        for rng in subs.ranges:
            if self.family[rng] == rng:
                self.dim_id[rng] = safe_identifier(rng, self.taken)
        self.dim_list = list(self.dim_id.values())
        for rng in subs.ranges:
            self.range_dim[rng] = self.dim_id[self.family[rng]]
        for fam in self.dim_id:
            for label in subs.ranges[fam]:
                self.label_id[label] = safe_identifier(label, self.taken)
        any_dims = False
        for element in self.section.elements:
            key = reference_key(element.name)
            comps = list(element.components)
            layouts = [self._lhs_families(comp, element.name) for comp in comps]
            fams = layouts[0][0]
            if any(lay[0] != fams for lay in layouts):
                raise NotNative(f"definitions of '{element.name}' over different ranges")
            if len(set(fams)) != len(fams):
                raise NotNative(f"a range used twice in '{element.name}'")
            kinds = {type(c).__name__ for c in comps}
            is_lookup = "AbstractLookup" in kinds
            if fams and is_lookup:
                raise NotNative(f"the subscripted lookup '{element.name}'")
            ident = safe_identifier(element.name, self.taken)
            self.names[ident] = element.name
            self.comp_of[ident] = (element, comps[0], (), {}, [])
            if is_lookup:
                self.kinds[ident] = "lookup"
            self.instances[key] = {(): ident}
            self.by_key[key] = ident
            self.dims_of[ident] = fams
            any_dims = any_dims or bool(fams)
            whole = len(comps) == 1 and layouts[0][1] == list(fams) and not layouts[0][2]
            if fams and not whole:
                self.parts[ident] = [(comp, self._mask(comp, fams, element.name))
                                     for comp in comps]
        return any_dims

    def _lhs_families(self, comp: Any, owner: str) -> tuple[tuple, list, list]:
        """(families, ranges or labels as written, excepts) of a definition's subscripts."""
        subs, excepts = comp.subscripts if comp.subscripts else ([], [])
        fams, written = [], []
        for sub in subs:
            fk = reference_key(str(sub))
            rng = self.subs.range_canon.get(fk)
            if rng is not None:
                fams.append(self.family[rng])
                written.append(rng)
            elif fk in self.subs.label_canon:
                label = self.subs.label_canon[fk]
                fams.append(self.label_family[label])
                written.append(None)
            else:
                raise self.fail(f"the unknown subscript '{sub}'", owner)
        return tuple(fams), written, list(excepts or [])

    def _mask(self, comp: Any, fams: tuple, owner: str) -> np.ndarray:
        """Where (over the families) a definition defines its element."""
        mask = np.zeros(tuple(len(self.subs.ranges[f]) for f in fams), dtype=bool)
        for labels, _, _ in self.subs.expand(comp, owner):
            mask[tuple(self.subs.position[f][lab] for f, lab in zip(fams, labels))] = True
        return mask

    def range_mask(self, rng: str) -> Node:
        """A constant over the family of ``rng``: 1 at its labels, 0 elsewhere."""
        fam = self.family[rng]
        name = self.range_masks.get(rng)
        if name is None:
            name = safe_identifier(f"{rng} in {fam}", self.taken)
            values = np.array([float(label in self.subs.ranges[rng])
                               for label in self.subs.ranges[fam]])
            self.range_masks[rng] = name
            self.extra_params.append((name, values, (self.dim_id[fam],),
                                      f"1 on the subrange {rng} of {fam}"))
        return Name(name)

    def defined_labels(self, ident: str) -> dict[str, set]:
        """Family -> the labels ``ident``'s definitions define in it (natively)."""
        fams = self.dims_of.get(ident, ())
        if ident not in self.parts:
            return {f: set(self.subs.ranges[f]) for f in fams}
        return self._labels_of(fams, np.logical_or.reduce([m for _, m in self.parts[ident]]))

    def _labels_of(self, fams: tuple, union: np.ndarray) -> dict[str, set]:
        out = {}
        for i, fam in enumerate(fams):
            hit = union.any(axis=tuple(j for j in range(len(fams)) if j != i))
            out[fam] = {label for label, h in zip(self.subs.ranges[fam], hit) if h}
        return out

    def mapped(self, node: Node, rng: str, ref: str) -> Node:
        """``node`` (over the family of ``rng``) carried onto the definition's mapped range.

        A reference ``x[r]`` in the definition of an element over a range mapped
        to ``r`` (``m: m1, m2 -> r``) takes ``x``'s elements by position: a sum
        over ``r``'s family of a constant 0/1 matrix times ``x``.
        """
        fam = self.family[rng]
        sources = [r for r in self.subs.mappings.get(rng, ())
                   if self.family[r] in self.native_lhs and self.family[r] != fam]
        if len(sources) != 1:
            raise NotNative(f"the subscript '{rng}' of '{ref}'")
        src = sources[0]
        key = f"{src}->{rng}"
        name = self.range_masks.get(key)
        if name is None:
            name = safe_identifier(f"map {src} to {rng}", self.taken)
            self.range_masks[key] = name
            sfam = self.family[src]
            matrix = np.zeros((len(self.subs.ranges[sfam]), len(self.subs.ranges[fam])))
            for a, b in zip(self.subs.ranges[src], self.subs.ranges[rng]):
                matrix[self.subs.position[sfam][a], self.subs.position[fam][b]] = 1.0
            dims = (self.dim_id[sfam], self.dim_id[fam])
            if self.dim_list.index(dims[0]) > self.dim_list.index(dims[1]):
                matrix, dims = matrix.T, dims[::-1]
            self.extra_params.append((name, matrix, dims, f"{src} mapped to {rng} by position"))
        return Call("sum", (BinOp("*", Name(name), node), Name(self.dim_id[fam])))

    def range_position(self, rng: str) -> Node:
        """A range used as a value: each element's position, from 1, in its family."""
        fam = self.family[rng]
        name = self.range_masks.get("#" + fam)
        if name is None:
            name = safe_identifier(f"position in {fam}", self.taken)
            self.range_masks["#" + fam] = name
            self.extra_params.append((name, np.arange(1.0, len(self.subs.ranges[fam]) + 1),
                                      (self.dim_id[fam],), f"position of each element of {fam}"))
        return Name(name)

    def part_mask(self, ident: str, k: int, mask: np.ndarray) -> Node:
        """A constant over ``ident``'s dims: 1 where its definition ``k`` applies."""
        name = safe_identifier(f"{ident} part {k + 1}", self.taken)
        dims = tuple(self.dim_id[f] for f in self.dims_of[ident])
        self.extra_params.append((name, mask.astype(float), dims,
                                  f"1 where definition {k + 1} of {self.names[ident]} applies"))
        return Name(name)

    def part_value(self, ident: str, comp: Any, mask: np.ndarray, tree_of) -> Node | np.ndarray:
        """One part's value: a full array for a constant array, else its tree."""
        ast = comp.ast if type(comp.ast).__name__ != "IntegStructure" else None
        if isinstance(ast, np.ndarray):
            array = np.asarray(ast, dtype=float)
            count = int(mask.sum())
            if array.size == 1:
                return Const(float(array.reshape(-1)[0]))
            if array.size != count or not np.isfinite(array).all():
                raise NotNative(f"the constant array of '{self.names[ident]}'")
            full = np.zeros(mask.shape)
            full[mask] = array.reshape(-1)  # the masked elements in order: C order, as written
            return full
        return tree_of(comp)

    def assemble(self, ident: str, tree_of) -> Node | np.ndarray:
        """The element's value from its parts (``tree_of(comp)`` converts a part)."""
        parts = self.parts[ident]
        values = []
        for comp, mask in parts:
            self.native_lhs = self._labels_of(self.dims_of[ident], mask)  # this part's
            values.append(self.part_value(ident, comp, mask, tree_of))
        if all(isinstance(v, (Const, np.ndarray)) for v in values):
            full = np.zeros(parts[0][1].shape)
            for (_, mask), v in zip(parts, values):
                full[mask] = (v[mask] if isinstance(v, np.ndarray) else v.value)
            return full
        tree: Node = Const(0.0)
        for k in reversed(range(len(parts))):
            value = values[k]
            if isinstance(value, np.ndarray):
                name = safe_identifier(f"{ident} values {k + 1}", self.taken)
                self.extra_params.append((name, value, tuple(self.dim_id[f] for f in
                                                             self.dims_of[ident]),
                                          f"constant part {k + 1} of {self.names[ident]}"))
                value = Name(name)
            if parts[k][1].all():
                tree = value
            else:
                tree = Call("if_then_else", (self.part_mask(ident, k, parts[k][1]), value, tree))
        return tree

