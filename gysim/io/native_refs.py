"""References between natively dimensioned elements: Vensim's subscript rules as index maps.

In a definition such as ``y[dim, dim1] = x[dim1, dim]``, each subscript of
a reference names where its element comes from: a single label (a
selection), a range of the definition (the element being defined, through
Vensim's rules: the same range, a mapping ``->``, a subrange or superrange,
equal-size ranges by position), or a range marked ``dim!`` that an
enclosing ``SUM``/``PROD``/``VMIN``/``VMAX`` runs over. :meth:`reindex`
turns such a reference into a gysim tree over the definition's own
dimensions: selections ``x[label]``, and wherever a reference's dimension
is not already the one it must line up with (another family, the second use
of a family, a mapping, a permutation), a sum over a constant 0/1 matrix
that carries each element to its place (``sum(if_then_else(M, x, 0), d)``).
A family used twice in one variable (``a[dim, dim1]`` with ``dim1`` a copy
of ``dim``; ``m[dim, dim!]`` in a matrix product) gets an *alias*
dimension for its second use: a copy of the family with its own labels
(``a_2``, ...), so that the engine, which matches dimensions by name, keeps
the two axes apart. Subscripted lookups ``tab[d](x)`` are one scalar lookup
per definition, chosen element by element by constant masks.

Examples
--------
>>> import tempfile, gysim
>>> from pathlib import Path
>>> f = Path(tempfile.mkdtemp()) / "m.mdl"
>>> _ = f.write_text("{UTF-8}\\nd: a, b ~ ~|\\ne <-> d ~ ~|\\nm[d, e] = 1, 2; 3, 4 ~ ~|\\n"
...                  "tr[d, e] = m[e, d] ~ ~|\\n"
...                  "INITIAL TIME = 0 ~ ~|\\nFINAL TIME = 1 ~ ~|\\nTIME STEP = 1 ~ ~|\\n")
>>> m = gysim.read_vensim(f)
>>> m.source.fallback, m.dimensions["e"]
('', ('a_2', 'b_2'))
>>> gysim.simulate(m)["tr"].isel(time=0).values.tolist()
[[1.0, 3.0], [2.0, 4.0]]
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..errors import ModelDefinitionError
from ..expr import BinOp, Call, Compare, Const, Name, Node, Subscript
from . import array_calls, functions
from .convert import NotNative
from .names import reference_key, safe_identifier

__all__ = ["NativeReferences"]

_NEUTRAL = {"sum": 0.0, "prod": 1.0, "vmin": 1e300, "vmax": -1e300}


class NativeReferences:
    """Mixin of :class:`~gysim.io.build.ModelBuilder`: references under native dimensions.

    Relies on the layout of :class:`~gysim.io.native.NativeLayout`:
    ``dims_of`` (identifier -> dimension keys), ``key_family`` (key -> its
    family range), ``alias_label`` (key -> family label -> gysim label) and
    ``native_ctx``, the definition being converted: one ``(key, range as
    written or None, labels defined)`` per subscript of its left-hand side.
    """

    # -------------------------------------------------------------- dimension keys
    def alias_key(self, fam: str, k: int) -> str:
        """The key of the ``k``-th use of family ``fam`` (``fam`` itself for k = 1)."""
        if k == 1:
            return fam
        key = f"{fam}#{k}"
        if key not in self.dim_id:
            labels = self.subs.ranges[fam]
            copies = [r for r in self.subs.ranges if r != fam and r not in self.alias_named
                      and self.subs.ranges[r] == labels]
            if copies:  # a declared copy of the family (dim1 <-> dim) names its second use
                self.alias_named.add(copies[0])
            name = copies[0] if copies else f"{fam} {k}"
            self.dim_id[key] = safe_identifier(name, self.taken)
            self.key_family[key] = fam
            self.alias_label[key] = {label: safe_identifier(f"{label} {k}", self.taken)
                                     for label in labels}
        return key

    def _free_key(self, fam: str, used: set) -> str:
        k = 1
        while self.alias_key(fam, k) in used:
            k += 1
        return self.alias_key(fam, k)

    def dimension_labels(self) -> list[tuple[str, list[str]]]:
        """(dimension, gysim labels) of every family and alias, in the order to declare them."""
        return [(dim, [self.alias_label[key][label]
                       for label in self.subs.ranges[self.key_family[key]]])
                for key, dim in self.dim_id.items()]

    def _labels(self, key: str) -> list[str]:
        return self.subs.ranges[self.key_family[key]]

    # -------------------------------------------------------------- the definition
    def _set_context(self, ident: str, comp: Any, mask: np.ndarray | None) -> None:
        """Make ``comp`` (one definition of ``ident``, over ``mask``) the current definition."""
        keys = self.dims_of.get(ident, ())
        subs = list(comp.subscripts[0]) if comp.subscripts and keys else []
        ctx = []
        for i, key in enumerate(keys):
            labels = self._labels(key)
            if mask is not None:
                hit = mask.any(axis=tuple(j for j in range(len(keys)) if j != i))
                defined = {lab for lab, h in zip(labels, hit) if h}
            else:
                defined = set(labels)
            written = (self.subs.range_canon.get(reference_key(str(subs[i])))
                       if i < len(subs) else None)
            ctx.append((key, written, defined))
        self.native_ctx = ctx
        self.native_lhs = {key: defined for key, _, defined in ctx}

    def defined_labels(self, ident: str) -> dict[str, set]:
        """Key -> the labels ``ident``'s definitions define; sets the current definition."""
        if not self.native:
            return {}
        parts = self.parts.get(ident)
        union = np.logical_or.reduce([m for _, m in parts]) if parts else None
        self._set_context(ident, self.comp_of[ident][1], union)
        return dict(self.native_lhs)

    # -------------------------------------------------------------- where subscripts point
    def _source(self, sub: Any, pos: int, ref: str, owner: str) -> tuple:
        """Where the subscript ``sub`` at position ``pos`` of a reference takes its element.

        ``('label', label)``, or ``('axis', key, table)``: along the dimension
        ``key`` of the definition, element ``e`` (a family label) takes the
        referenced element ``table[e]``.
        """
        text = str(sub).strip()
        bang = text.endswith("!")
        fk = reference_key(text[:-1] if bang else text)
        subs = self.subs
        rng = subs.range_canon.get(fk)
        if rng is None:
            if fk in subs.label_canon and not bang:
                return ("label", subs.label_canon[fk])
            raise self.fail(f"the unknown subscript '{sub}' of '{ref}'", owner)
        if bang:
            if rng not in self.bang_axes:
                raise self.fail(f"'{rng}!' outside SUM/PROD/VMIN/VMAX (in '{ref}')", owner)
            key = self.bang_axes[rng]
            return ("axis", key, {e: e for e in self._labels(key)})
        ctx = self.native_ctx
        fam = self.family[rng]
        for key, written, defined in ctx:  # the same range
            if written == rng:
                return ("axis", key, {e: e for e in defined})
        for key, written, defined in ctx:  # a mapping (->) onto the range written
            table = subs.maps.get((rng, written)) if written else None
            if table:
                return ("axis", key, {e: table[e] for e in defined if e in table})
        for key, written, defined in ctx:  # ... or onto a range holding the elements defined
            for (src, dst), table in subs.maps.items():
                if src == rng and self.family[dst] == self.key_family[key] and defined and \
                        defined <= set(table):
                    return ("axis", key, {e: table[e] for e in defined})
        if pos < len(ctx) and self.key_family[ctx[pos][0]] == fam:  # subrange / superrange
            return ("axis", ctx[pos][0], {e: e for e in ctx[pos][2]})
        same = [(key, defined) for key, _, defined in ctx if self.key_family[key] == fam]
        if len(same) == 1:
            return ("axis", same[0][0], {e: e for e in same[0][1]})
        if pos < len(ctx) and ctx[pos][1] is not None and len(subs.ranges[ctx[pos][1]]) == len(
                subs.ranges[rng]):  # equal-size ranges: by position
            key, written, defined = ctx[pos]
            return ("axis", key, {e: subs.ranges[rng][subs.position[written][e]]
                                  for e in defined if e in subs.position[written]})
        raise self.fail(f"the subscript '{sub}' of '{ref}', which matches no subscript of the "
                        f"definition", owner)

    def _sources(self, items: list, keys: tuple, ref: str, owner: str) -> list[tuple]:
        out = []
        for pos, (sub, key) in enumerate(zip(items, keys)):
            src = self._source(sub, pos, ref, owner)
            fam = self.key_family[key]
            if src[0] == "label" and self.label_family.get(src[1]) != fam:
                raise self.fail(f"the subscript '{sub}' of '{ref}', which is not an element of "
                                f"its range '{fam}'", owner)
            if src[0] == "axis" and not set(src[2].values()) <= set(self.subs.position[fam]):
                raise NotNative(f"the subscript '{sub}' of '{ref}' across families")
            out.append(src)
        return out

    # -------------------------------------------------------------- references
    def native_reference(self, key: str, ast: Any, owner: str) -> Node:
        """A reference to a (dimensioned) element, lined up with the definition's dimensions."""
        ident = self.by_key[key]
        have = self.dims_of.get(ident, ())
        if ast.subscripts is None:  # (XMILE) an array by its name: the same elements
            ctx = {key: defined for key, _, defined in self.native_ctx}
            if any(key not in ctx for key in have):
                raise NotNative(f"'{ast.reference}' without its subscripts")
            return self.reindex(Name(ident), have, [("axis", key, {e: e for e in ctx[key]})
                                                    for key in have])
        items = list(ast.subscripts.subscripts)
        if len(items) != len(have):
            raise NotNative(f"'{ast.reference}' with {len(items)} subscripts")
        sources = self._sources(items, have, ast.reference, owner)
        parts = self.parts.get(ident)
        if parts:
            union = np.logical_or.reduce([m for _, m in parts])
            block = [[self.subs.position[self.key_family[k]][s[1]]] if s[0] == "label" else
                     sorted({self.subs.position[self.key_family[k]][v] for v in s[2].values()})
                     for k, s in zip(have, sources)]
            if all(block) and not union[np.ix_(*block)].all():
                raise NotNative(f"a reference to elements of '{ast.reference}' it does not "
                                f"define")
        return self.reindex(Name(ident), have, sources)

    def reindex(self, node: Name, have: tuple, sources: list[tuple]) -> Node:
        """``node`` (over the keys ``have``) with each dimension where ``sources`` put it."""
        labels = tuple(self.alias_label[k][s[1]] for k, s in zip(have, sources)
                       if s[0] == "label")
        if labels:
            node = Subscript(node, labels)
        cur, target, table = {}, {}, {}
        for p, (k, s) in enumerate(zip(have, sources)):
            if s[0] == "axis":
                cur[p], target[p], table[p] = k, s[1], s[2]
        pending = [p for p in cur if cur[p] != target[p]
                   or any(v != e for e, v in table[p].items())]
        while pending:
            for p in pending:
                blocked = any(q != p and cur[q] == target[p] for q in pending)
                if cur[p] != target[p] and not blocked:
                    node = self._carry(node, cur[p], target[p], table[p])
                    cur[p] = target[p]
                    pending.remove(p)
                    break
            else:  # a permutation or a map within one dimension: through a spare alias
                p = pending[0]
                spare = self._free_key(self.key_family[cur[p]],
                                       set(cur.values()) | set(target.values()))
                node = self._carry(node, cur[p], spare, {e: e for e in self._labels(spare)})
                cur[p] = spare
        return node

    def _carry(self, node: Node, src: str, dst: str, table: dict[str, str]) -> Node:
        """``node``'s dimension ``src`` replaced by ``dst``: element e of dst takes table[e]."""
        cache = (src, dst, tuple(sorted(table.items())))
        name = self.range_masks.get(cache)
        if name is None:
            position = self.subs.position[self.key_family[src]]
            matrix = np.zeros((len(self._labels(src)), len(self._labels(dst))))
            for j, e in enumerate(self._labels(dst)):
                if e in table:
                    matrix[position[table[e]], j] = 1.0
            name = safe_identifier(f"{self.dim_id[src]} to {self.dim_id[dst]}", self.taken)
            self.range_masks[cache] = name
            self.extra_params.append((name, matrix, (self.dim_id[src], self.dim_id[dst]),
                                      f"element of {self.dim_id[src]} each element of "
                                      f"{self.dim_id[dst]} takes"))
        return Call("sum", (Call("if_then_else", (Name(name), node, Const(0.0))),
                            Name(self.dim_id[src])))

    def range_position(self, rng: str) -> Node:
        """A range used as a value: the position, from 1, in its family of the element bound."""
        fam = self.family[rng]
        name = self.range_masks.get("#" + fam)
        if name is None:
            name = safe_identifier(f"position in {fam}", self.taken)
            self.range_masks["#" + fam] = name
            self.extra_params.append((name, np.arange(1.0, len(self.subs.ranges[fam]) + 1),
                                      (self.dim_id[fam],), f"position of each element of {fam}"))
        source = self._source(rng, len(self.native_ctx), rng, rng)
        return self.reindex(Name(name), (fam,), [source])

    def range_mask(self, rng: str, key: str | None = None) -> Node:
        """A constant over the dimension ``key`` (default: the family): 1 at ``rng``'s labels."""
        key = key or self.family[rng]
        cache = f"{rng} in {key}"
        name = self.range_masks.get(cache)
        if name is None:
            name = safe_identifier(f"{rng} in {self.dim_id[key]}", self.taken)
            values = np.array([float(label in self.subs.ranges[rng])
                               for label in self._labels(key)])
            self.range_masks[cache] = name
            self.extra_params.append((name, values, (self.dim_id[key],),
                                      f"1 on the subrange {rng} of {self.key_family[key]}"))
        return Name(name)

    # -------------------------------------------------------------- aggregations
    def aggregate(self, fname: str, args: list, owner: str) -> Node:
        """SUM/PROD/VMIN/VMAX over the ranges marked ``dim!``, each along its own dimension.

        A range whose family the definition (or an enclosing aggregation)
        already uses runs along an alias of the family.
        """
        if not self.native:
            return super().aggregate(fname, args, owner)
        if len(args) != 1:
            raise self.fail(f"{fname.upper()} with {len(args)} arguments", owner)
        (tree,), new = self._over_bangs(args[:1], fname.upper(), owner)
        for rng, key in new.items():
            if set(self.subs.ranges[rng]) != set(self._labels(key)):  # a subrange
                tree = Call("if_then_else", (self.range_mask(rng, key), tree,
                                             Const(_NEUTRAL[fname])))
            tree = Call(functions.AGGREGATES[fname], (tree, Name(self.dim_id[key])))
        return tree

    def _over_bangs(self, args: list, what: str, owner: str) -> tuple[list, dict]:
        """``args`` converted with each range marked ``dim!`` in them along its own dimension.

        Returns the trees and {range: dimension key}. The family's own
        dimension serves unless the arguments also line up with the
        definition's use of it; then an alias of the family does.
        """
        over = self.subs.bang_ranges(args, [])
        if not over:
            raise self.fail(f"{what} without a 'dim!' range", owner)
        used = self._lhs_keys_in(args, set()) | set(self.bang_axes.values())
        new = {}
        for rng in over:
            if rng in self.bang_axes:
                raise self.fail(f"'{rng}!' in an aggregation over '{rng}!'", owner)
            new[rng] = self._free_key(self.family[rng], used)
            used.add(new[rng])
        saved = self.bang_axes
        self.bang_axes = {**saved, **new}
        try:
            return [self.conv(a, owner) for a in args], new
        finally:
            self.bang_axes = saved

    def native_vector_select(self, args: list, owner: str) -> Node:
        """VECTOR SELECT(selection[d!], values[d!], missing, action, error action), natively.

        Every action of Vensim's reference (see :func:`.array_calls.vector_select`:
        0-5 over ``selection * values``, 5 the product of ``values ^ selection``,
        6-10 over the values alone) and every error action, reduced along the
        ``d!`` dimension; ``missing`` when no selection is non-zero.
        """
        if len(args) != 5:
            raise self.fail(f"VECTOR SELECT with {len(args)} arguments", owner)
        try:
            action = self.evaluate(self.conv(args[3], owner), {})
            error_action = self.evaluate(self.conv(args[4], owner), {})
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            raise self.fail("VECTOR SELECT with an action that is not constant", owner) from None
        if action not in array_calls.ACTIONS or error_action not in (0, 1, 2, 3):
            raise self.fail(f"VECTOR SELECT with action {action:g} and error action "
                            f"{error_action:g} (Vensim's are 0-10 and 0-3)", owner)
        reduce, weight, neutral = array_calls.ACTIONS[int(action)]
        (sel, val), new = self._over_bangs(args[:2], "VECTOR SELECT", owner)
        chosen = Compare("!=", sel, Const(0.0))
        term = (BinOp(weight, val if weight == "**" else sel, sel if weight == "**" else val)
                if weight else val)
        count = Call("if_then_else", (chosen, Const(1.0), Const(0.0)))
        value = Call("if_then_else", (chosen, term, Const(neutral)))
        fname = "sum" if reduce == "mean" else reduce
        for rng, key in new.items():
            if set(self.subs.ranges[rng]) != set(self._labels(key)):  # a subrange
                mask = self.range_mask(rng, key)
                count = Call("if_then_else", (mask, count, Const(0.0)))
                value = Call("if_then_else", (mask, value, Const(neutral)))
            value = Call(functions.AGGREGATES[fname], (value, Name(self.dim_id[key])))
            count = Call("sum", (count, Name(self.dim_id[key])))
        if reduce == "mean":
            value = Call("zidz", (value, count))
        return array_calls.with_error_action(
            Call("if_then_else", (Compare(">", count, Const(0.0)), value,
                                  self.conv(args[2], owner))), count, int(error_action))

    def _lhs_keys_in(self, ast: Any, found: set) -> set:
        """Dimensions of the definition that references in a PySD tree line up with."""
        kind = type(ast).__name__
        ctx_keys = {key for key, _, _ in self.native_ctx}
        if kind == "SubscriptsReferenceStructure":
            for pos, sub in enumerate(ast.subscripts):
                text = str(sub).strip()
                if not text.endswith("!") and reference_key(text) in self.subs.range_canon:
                    try:
                        found.add(self._source(sub, pos, "", "")[1])
                    except ModelDefinitionError:  # reported where the reference is converted
                        found |= ctx_keys
            return found
        if kind == "ReferenceStructure" and ast.subscripts is None:
            key = reference_key(ast.reference)
            if key in self.subs.range_canon or self.dims_of.get(self.by_key.get(key)):
                found |= ctx_keys  # a range as a value, an array by its name: any of them
        if isinstance(ast, (list, tuple)):
            for item in ast:
                self._lhs_keys_in(item, found)
        elif hasattr(ast, "__dataclass_fields__"):
            for field in ast.__dataclass_fields__:
                self._lhs_keys_in(getattr(ast, field), found)
        return found

    # -------------------------------------------------------------- subscripted lookups
    def conv(self, ast: Any, owner: str) -> Node:
        """Converter.conv, with calls of subscripted lookups chosen element by element and
        INVERT MATRIX of a constant matrix computed once."""
        if (self.native and type(ast).__name__ == "CallStructure"
                and type(ast.function).__name__ == "ReferenceStructure"):
            key = reference_key(ast.function.reference)
            if key in self.sub_lookups:
                return self.lookup_call(ast, owner)
            if key == "invert_matrix":
                inverse = self.constant_inverse(ast, owner)
                if inverse is not None:
                    return inverse
        return super().conv(ast, owner)

    def constant_inverse(self, ast: Any, owner: str) -> Node | None:
        """INVERT MATRIX(m[..., d, d1], n) of a constant m: the inverse over its last two
        subscripts, for every element of the others (None when m is not constant)."""
        node = self.conv(ast.arguments[0], owner) if len(ast.arguments) == 2 else None
        if not isinstance(node, Name) or len(self.dims_of.get(node.id, ())) < 2:
            return None
        values = self._constant_array(node.id)
        if values is None:
            return None
        n = values.shape[-1]
        if values.shape[-2] != n:
            raise _model_error(self.path, f"INVERT MATRIX of a {values.shape[-2]} x {n} "
                               f"matrix (it must be square)", owner)
        try:
            inverse = np.linalg.inv(values)
        except np.linalg.LinAlgError:
            raise _model_error(self.path, "INVERT MATRIX of a singular matrix",
                               owner) from None
        name = safe_identifier(f"inverse of {node.id}", self.taken)
        self.extra_params.append((name, inverse, tuple(self.dim_id[k]
                                                       for k in self.dims_of[node.id]),
                                  f"INVERT MATRIX of {self.names[node.id]}"))
        return Name(name)

    def _constant_array(self, ident: str) -> np.ndarray | None:
        """The values of an element every definition of which is a number or an array."""
        comps = [c for c, _ in self.parts[ident]] if ident in self.parts else [
            self.comp_of[ident][1]]
        if not all(isinstance(c.ast, (np.ndarray, int, float)) for c in comps):
            return None
        saved = self.native_ctx, self.native_lhs
        try:
            if ident in self.parts:
                values = self.assemble(ident, lambda comp: self.conv(comp.ast, ident))
            else:
                values = self.array_value(ident, np.asarray(comps[0].ast, dtype=float))
        finally:
            self.native_ctx, self.native_lhs = saved
        sizes = tuple(len(self._labels(k)) for k in self.dims_of[ident])
        if isinstance(values, Const):
            return np.full(sizes, values.value)
        return np.asarray(values, dtype=float).reshape(sizes)

    def lookup_call(self, ast: Any, owner: str, apply: Callable | None = None) -> Node:
        """``tab[d](x)``: each element's table (one scalar lookup per definition) applied to x;
        ``apply(pid)``, when given, is the tree of each table's element instead (the
        arguments then belong to the caller, and ``ast`` is the lookup's reference)."""
        ref_ast = ast.function if apply is None else ast
        ref = ref_ast.reference
        keys, parts = self.sub_lookups[reference_key(ref)]
        if ref_ast.subscripts is None:
            raise self.fail(f"the subscripted lookup '{ref}' called without subscripts", owner)
        items = list(ref_ast.subscripts.subscripts)
        n_args = 1 if apply is not None else len(ast.arguments)
        if len(items) != len(keys) or n_args != 1:
            raise self.fail(f"the lookup '{ref}' called with {len(items)} subscripts and "
                            f"{n_args} arguments (it has {len(keys)} subscripts "
                            f"and takes one argument)", owner)
        for pid, _ in parts:  # XMILE's extrapolate/discrete types: scalar lookups only
            kind = getattr(self.comp_of[pid][1].ast, "type", "interpolate")
            if kind != "interpolate":
                raise self.fail(f"a subscripted lookup of type '{kind}'", owner)
        sources = self._sources(items, keys, ref, owner)
        if apply is None:
            arg = self.conv(ast.arguments[0], owner)

            def apply(pid: str) -> Node:
                return Call(pid, (arg,))
        targets = list(dict.fromkeys(s[1] for s in sources if s[0] == "axis"))
        shape = tuple(len(self._labels(t)) for t in targets)
        grid = np.indices(shape) if shape else np.zeros((0,), dtype=int)
        index, valid = [], np.ones(shape, dtype=bool)
        for k, s in zip(keys, sources):
            position = self.subs.position[self.key_family[k]]
            if s[0] == "label":
                index.append(np.full(shape, position[s[1]]))
                continue
            along = np.array([position.get(s[2].get(e), -1) for e in self._labels(s[1])])
            idx = along[grid[targets.index(s[1])]]
            valid &= idx >= 0
            index.append(np.where(idx >= 0, idx, 0))
        covered = np.zeros(shape, dtype=bool)
        tree: Node = Const(0.0)
        for pid, mask in reversed(parts):
            cond = mask[tuple(index)] & valid
            covered |= cond
            if cond.all():
                tree = apply(pid)
            elif cond.any():
                name = safe_identifier(f"{ref} uses {pid}", self.taken)
                self.extra_params.append((name, cond.astype(float),
                                          tuple(self.dim_id[t] for t in targets),
                                          f"1 where {ref} is the lookup {pid}"))
                tree = Call("if_then_else", (Name(name), apply(pid), tree))
        if not covered.all():
            raise self.fail(f"the reference to elements of the lookup '{ref}' the file does not "
                            f"define", owner)
        return tree

    # -------------------------------------------------------------- constant arrays
    def array_value(self, ident: str, array: Any) -> Node | np.ndarray:
        """A constant array over the element's dimensions (element by element: one number)."""
        if not self.native:
            return super().array_value(ident, array)
        array = np.asarray(array, dtype=float)
        sizes = tuple(len(self._labels(k)) for k in self.dims_of[ident])
        if array.size == 1:
            return self.conv(float(array.reshape(-1)[0]), self.names[ident])
        if array.size != int(np.prod(sizes)) or not np.isfinite(array).all():
            raise NotNative(f"the constant array of '{self.names[ident]}'")
        return array.reshape(sizes)


def _model_error(path, problem: str, element: str) -> ModelDefinitionError:
    """An error of the model itself: the reader refuses the file (no other reading)."""
    err = ModelDefinitionError(f"{path.name}: {problem} in element '{element}'")
    err.model_error = True  # build_model re-raises it instead of reading element by element
    return err
