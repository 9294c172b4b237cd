"""Native dimensions for a file's subscripts: families, subranges, :EXCEPT:, per-element parts.

Every subscript range belongs to a *family*: the largest range holding all
its labels. Each family becomes one gysim dimension; a subrange is its
family's dimension restricted by a mask. A subscripted variable defined by
several equations (one per element or per subrange, or with :EXCEPT:) stays
ONE gysim element over its families' dimensions: each definition (a *part*)
covers the elements a boolean mask marks, and the element's equation chooses
among the parts with ``if_then_else(mask, part, ...)`` (elements no part
defines are 0); when every part is a constant, the parts are assembled into
one constant array at build time. A family used twice in one variable
(``m[dim, dim1]``) takes an alias dimension for its second use, and a
subscripted lookup is one scalar lookup per definition; references between
elements (mappings ``->``, subranges, positions, ``dim!``) are
:mod:`gysim.io.native_refs`' business. Only ranges that overlap without
one holding them both need the element-by-element reading
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

from ..expr import Call, Const, Name, Node
from .convert import NotNative
from .native_refs import NativeReferences
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


class NativeLayout(NativeReferences):
    """Mixin of :class:`~gysim.io.build.ModelBuilder`: the native layout of subscripts."""

    def _layout_native(self) -> bool:
        """Subscripted elements as gysim elements with dims, or :class:`NotNative`."""
        subs = self.subs
        self.family = families(subs)
        self.label_family = {label: fam for fam in set(self.family.values())
                             for label in subs.ranges[fam]}
        self.key_family: dict[str, str] = {}           # dimension key -> its family
        self.alias_label: dict[str, dict[str, str]] = {}  # key -> family label -> gysim label
        self.alias_named: set[str] = set()             # copies of a family naming an alias
        self.sub_lookups: dict[str, tuple] = {}        # key -> (dim keys, [(lookup, mask)])
        self.bang_axes: dict[str, str] = {}            # range summed over -> its dimension key
        self.native_ctx: list[tuple] = []
        for rng in subs.ranges:
            if self.family[rng] == rng:
                self.dim_id[rng] = safe_identifier(rng, self.taken)
                self.key_family[rng] = rng
        for rng in subs.ranges:
            self.range_dim[rng] = self.dim_id[self.family[rng]]
        for fam in list(self.dim_id):
            for label in subs.ranges[fam]:
                self.label_id[label] = safe_identifier(label, self.taken)
            self.alias_label[fam] = {label: self.label_id[label] for label in subs.ranges[fam]}
        any_dims = False
        for element in self.section.elements:
            key = reference_key(element.name)
            comps = list(element.components)
            layouts = [self._lhs_families(comp, element.name) for comp in comps]
            fams = layouts[0][0]
            if any(lay[0] != fams for lay in layouts):
                raise NotNative(f"definitions of '{element.name}' over different ranges")
            keys = tuple(self.alias_key(f, fams[:i + 1].count(f)) for i, f in enumerate(fams))
            any_dims = any_dims or bool(fams)
            kinds = {type(c).__name__ for c in comps}
            if fams and "AbstractLookup" in kinds:
                self._layout_lookup(element, key, comps, fams, keys)
                continue
            ident = safe_identifier(element.name, self.taken)
            self.names[ident] = element.name
            self.comp_of[ident] = (element, comps[0], (), {}, [])
            if "AbstractLookup" in kinds:
                self.kinds[ident] = "lookup"
            self.instances[key] = {(): ident}
            self.by_key[key] = ident
            self.dims_of[ident] = keys
            written = layouts[0][1]
            whole = len(comps) == 1 and not layouts[0][2] and all(
                r is not None and subs.ranges[r] == subs.ranges[f] for r, f in zip(written, fams))
            if fams and not whole:
                self.parts[ident] = [(comp, self._mask(comp, fams, element.name))
                                     for comp in comps]
        return any_dims

    def _layout_lookup(self, element: Any, key: str, comps: list, fams: tuple,
                       keys: tuple) -> None:
        """A subscripted lookup: one scalar lookup per definition, with where it applies."""
        parts = []
        for comp in comps:
            shown = element.name + "[" + ",".join(str(s) for s in comp.subscripts[0]) + "]"
            pid = safe_identifier(shown, self.taken)
            self.names[pid] = shown
            self.comp_of[pid] = (element, comp, (), {}, [])
            self.kinds[pid] = "lookup"
            parts.append((pid, self._mask(comp, fams, element.name)))
        self.sub_lookups[key] = (keys, parts)

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
            array = np.asarray(ast, dtype=float).reshape(-1)
            if array.size == 1:
                return Const(float(array[0]))
            fams = [self.key_family[k] for k in self.dims_of[ident]]
            # the elements in the order written: each range's labels in its own order
            cells = [tuple(self.subs.position[f][lab] for f, lab in zip(fams, labels))
                     for labels, _, _ in self.subs.expand(comp, self.names[ident])]
            if array.size != len(cells) or not np.isfinite(array).all():
                raise NotNative(f"the constant array of '{self.names[ident]}'")
            full = np.zeros(mask.shape)
            for cell, value in zip(cells, array):
                full[cell] = value
            return full
        return tree_of(comp)

    def assemble(self, ident: str, tree_of) -> Node | np.ndarray:
        """The element's value from its parts (``tree_of(comp)`` converts a part)."""
        parts = self.parts[ident]
        values = []
        for comp, mask in parts:
            self._set_context(ident, comp, mask)  # this part's
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

