"""Subscript ranges of a Vensim/XMILE file and Vensim's rules for resolving references.

A :class:`Subscripts` holds the file's ranges (subranges and copies
expanded), their mappings (``->`` and equivalent ranges, element by
position) and each label's position in its family. The readers use it to
expand a definition into the elements it defines (:meth:`Subscripts.expand`)
and to resolve the subscripts of a reference to the element it means under
the current definition (:meth:`Subscripts.resolve_one`).
:func:`stack_subscripts` turns results of an element-by-element reading back
into variables with one dimension per range.

Examples
--------
>>> from types import SimpleNamespace as NS
>>> from pathlib import Path
>>> subs = Subscripts([NS(name="Region", subscripts=["North", "South"], mapping=[])],
...                   Path("m.mdl"), "Vensim")
>>> subs.ranges, subs.family_pos["South"]
({'Region': ['North', 'South']}, 2)
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from ..errors import ModelDefinitionError
from . import external_arrays, mdl_scan
from .names import reference_key, safe_identifier, unsupported

__all__ = ["Subscripts", "stack_subscripts"]


class Subscripts:
    """The subscript ranges of one file and how references to their labels resolve.

    Parameters
    ----------
    ranges : sequence
        PySD's ``AbstractSubscriptRange`` objects of the file (``name``,
        ``subscripts`` (labels, other range names, or one range name for a
        copy) and ``mapping``).
    path : pathlib.Path
        The file, for error messages.
    language : str
        ``"Vensim"`` or ``"XMILE"``, for error messages.

    Attributes
    ----------
    ranges : dict
        Range name -> its labels.
    range_canon, label_canon : dict
        Folded key (:func:`~gysim.io.names.reference_key`) -> the range's / label's name.
    family_pos : dict
        Label -> its position, from 1, in the largest range holding it.
    mappings : dict
        Range -> ranges that correspond to it element by position.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> from pathlib import Path
    >>> subs = Subscripts([NS(name="d", subscripts=["a", "b", "c"], mapping=[]),
    ...                    NS(name="e", subscripts=["b", "c"], mapping=[])],
    ...                   Path("m.mdl"), "Vensim")
    >>> subs.resolve_one("e", 0, "x[e]", "y[d]", binding={"d": "c"}, lhs=["d"])
    'c'
    """

    def __init__(self, ranges: Any, path: Path, language: str) -> None:
        self.path = path
        self.language = language
        self.ranges: dict[str, list[str]] = {}
        self.range_canon: dict[str, str] = {}
        self.label_canon: dict[str, str] = {}
        raw_maps: dict[str, list] = {}
        raw_ranges = {}
        explicit = (_explicit_mappings(path) if any(rng.mapping for rng in ranges) else {})
        for rng in ranges:
            self.range_canon[reference_key(rng.name)] = rng.name
            raw_maps[rng.name] = list(rng.mapping or [])
            items = rng.subscripts
            if isinstance(items, dict):  # GET DIRECT/XLS SUBSCRIPT: read the file now
                items = external_arrays.subscript_labels(
                    path, items["file"], items["tab"], items["firstcell"], items["lastcell"],
                    items["prefix"], rng.name)
            raw_ranges[rng.name] = items
            lists = explicit.get(reference_key(rng.name), {})
            if lists and not isinstance(rng.subscripts, (str, dict)):
                # PySD's parser appends the map-to lists' items to the range's own labels
                count = sum(len(part) for part in lists.values())
                raw_ranges[rng.name] = list(items)[:len(items) - count]
        for name in raw_ranges:
            self._range_labels(name, raw_ranges, raw_maps, ())
        self.ranges = {name: self.ranges[name] for name in raw_ranges}  # the file's order
        #: position of each label in each range, from 0
        self.position: dict[str, dict[str, int]] = {
            name: {label: i for i, label in reversed(list(enumerate(labels)))}
            for name, labels in self.ranges.items()}
        #: position of each label in its family (the largest range holding it), from 1
        self.family_pos: dict[str, int] = {}
        for labels in sorted(self.ranges.values(), key=len, reverse=True):
            for i, label in enumerate(labels):
                self.label_canon.setdefault(reference_key(label), label)
                self.family_pos.setdefault(label, i + 1)
        self.mappings: dict[str, set[str]] = {r: set() for r in self.ranges}
        #: (range on the right, range on the left) -> {left label: right label}
        self.maps: dict[tuple[str, str], dict[str, str]] = {}
        for rng, maps in raw_maps.items():
            for other in maps:
                target = (self.range_canon.get(reference_key(other))
                          if isinstance(other, str) else None)
                if target is None:
                    raise ModelDefinitionError(
                        f"{path.name}: the subscript mapping {other!r} of range '{rng}' names "
                        f"no subscript range of the file")
                items = explicit.get(reference_key(rng), {}).get(reference_key(target))
                self._add_map(rng, target, items)
                self.mappings[rng].add(target)
                self.mappings[target].add(rng)

    def _add_map(self, src: str, dst: str, items: list[str] | None) -> None:
        """The mapping ``src: ... -> dst`` (``items``: the map-to list, or None: by position).

        Vensim maps the k-th element of ``src`` to the k-th item of the list
        (an element of ``dst``, or a subrange of it: each of its elements), or,
        without a list, to the k-th element of ``dst``. A one-to-one mapping is
        also read backwards (``dst`` on the right of an equation over ``src``).
        """
        labels, dst_labels = self.ranges[src], self.ranges[dst]
        where = f"{self.path.name}: the subscript mapping of '{src}' onto '{dst}'"
        if items is None:
            if len(labels) != len(dst_labels):
                raise ModelDefinitionError(
                    f"{where} needs as many elements on both sides ({len(labels)} and "
                    f"{len(dst_labels)}), or an explicit list: {src}: ... -> ({dst}: ...)")
            items = list(dst_labels)
        if len(items) != len(labels):
            raise ModelDefinitionError(f"{where} lists {len(items)} items for the {len(labels)} "
                                       f"elements of '{src}'")
        table: dict[str, str] = {}
        for label, item in zip(labels, items):
            key = reference_key(item)
            sub = self.range_canon.get(key)
            targets = (self.ranges[sub] if sub is not None
                       else [lab for lab in dst_labels if reference_key(lab) == key])
            if not targets or not set(targets) <= set(dst_labels):
                raise ModelDefinitionError(f"{where}: '{item}' is neither an element nor a "
                                           f"subrange of '{dst}'")
            for target in targets:
                if table.setdefault(target, label) != label:
                    raise ModelDefinitionError(f"{where} maps two elements onto '{target}'")
        self.maps[(src, dst)] = table
        if len(set(table.values())) == len(table) and (dst, src) not in self.maps:
            self.maps[(dst, src)] = {v: k for k, v in table.items()}

    def _range_labels(self, name: str, raw: dict, maps: dict, stack: tuple) -> list[str]:
        """Labels of a range, with ranges named in its definition (subranges, copies) expanded.

        Each range is expanded once (into ``self.ranges``), and no range may
        hold more than :data:`~gysim.io.mdl_scan.MAX_SUBSCRIPT_LABELS` labels.
        """
        if name in self.ranges:
            return self.ranges[name]
        if name in stack:
            raise ModelDefinitionError(f"{self.path.name}: subscript range '{name}' is defined "
                                       f"through itself")
        items = raw[name]
        if isinstance(items, str):  # a copy (`new <-> old` or `new: old`)
            items = [items]
        labels: list[str] = []
        for item in items:
            other = self.range_canon.get(reference_key(str(item)))
            if other is not None and other != name:
                labels += self._range_labels(other, raw, maps, stack + (name,))
                if len(items) == 1:  # an equivalent range: correspond by position
                    maps[name].append(other)
            else:
                labels.append(str(item))
            if len(labels) > mdl_scan.MAX_SUBSCRIPT_LABELS:
                raise ModelDefinitionError(
                    f"{self.path.name}: the subscript range '{name}' has {len(labels)} or "
                    f"more labels; gysim reads ranges of at most "
                    f"{mdl_scan.MAX_SUBSCRIPT_LABELS} labels (MAX_SUBSCRIPT_LABELS)")
        self.ranges[name] = labels
        return labels

    def fail(self, construct: str, element: str) -> ModelDefinitionError:
        """The reader's error for an unsupported construct of ``element``."""
        return unsupported(self.path, self.language, construct, element)

    def disjoint_reason(self) -> str:
        """Why the ranges cannot all be gysim dimensions ('' if they can).

        Mappings, subranges and overlapping ranges need the element-by-element reading.
        """
        if any(self.mappings.values()):
            return "subscript mappings (->) or equivalent ranges"
        seen: set[str] = set()
        for rng, labels in self.ranges.items():
            if seen & set(labels) or len(set(labels)) != len(labels):
                return f"the subrange or overlapping range '{rng}'"
            seen |= set(labels)
        return ""

    def sub_options(self, sub: Any, owner: str) -> list[tuple[str, str | None]]:
        """(label, range or None) pairs a definition's subscript stands for."""
        fk = reference_key(str(sub))
        rng = self.range_canon.get(fk)
        if rng is not None:
            return [(label, rng) for label in self.ranges[rng]]
        if fk in self.label_canon:
            return [(self.label_canon[fk], None)]
        raise self.fail(f"the unknown subscript '{sub}'", owner)

    def expand(self, comp: Any, owner: str) -> Iterator[tuple[tuple, dict, list]]:
        """Element tuples a component defines, with the ranges bound for each."""
        if not comp.subscripts:
            yield (), {}, []
            return
        subs, excepts = comp.subscripts
        excluded: set[tuple] = set()
        for ex in excepts or []:
            opts = [[label for label, _ in self.sub_options(s, owner)] for s in ex]
            excluded |= set(itertools.product(*opts))
        options = [self.sub_options(s, owner) for s in subs]
        for combo in itertools.product(*options):
            labels = tuple(label for label, _ in combo)
            if labels in excluded:
                continue
            yield (labels, {r: label for label, r in combo if r is not None},
                   [r for _, r in combo])

    def resolve_one(self, sub: Any, pos: int, ref: str, owner: str, *, binding: dict,
                    lhs: list) -> str:
        """The element label a reference's subscript means.

        ``binding`` maps each range of the definition (``'range!'`` for one
        summed over) to the element being defined; ``lhs`` is the range of each
        subscript of the definition (None for a single label).
        """
        text = str(sub).strip()
        bang = text.endswith("!")
        fk = reference_key(text[:-1] if bang else text)
        rng = self.range_canon.get(fk)
        if rng is None:
            if fk in self.label_canon:
                return self.label_canon[fk]
            raise self.fail(f"the unknown subscript '{sub}' of '{ref}'", owner)
        if bang:
            if rng + "!" not in binding:
                raise self.fail(f"'{rng}!' outside SUM/PROD/VMIN/VMAX (in '{ref}')", owner)
            return binding[rng + "!"]
        if rng in binding:
            return binding[rng]
        bound = [(r, e) for r, e in binding.items() if not r.endswith("!")]
        labels = self.ranges[rng]
        for r, e in bound:  # a mapping (->)
            if e in self.maps.get((rng, r), {}):
                return self.maps[(rng, r)][e]
        same = lhs[pos] if pos < len(lhs) else None
        here = self.position[rng]
        if same in binding and binding[same] in here:  # subrange / superrange
            return binding[same]
        for r, e in bound:
            if e in here:  # (e is a label of r: the ranges overlap)
                return e
        if same in binding and len(self.ranges[same]) == len(labels):  # by position
            return labels[self.position[same][binding[same]]]
        raise self.fail(f"the subscript '{sub}' of '{ref}', which matches no subscript of the "
                        f"definition ({', '.join(f'{r}={e}' for r, e in bound) or 'none'})",
                        owner)

    def marked_whole(self, ast: Any) -> Any:
        """A copy of a PySD tree with every range named as a subscript marked ``range!``.

        XMILE's array functions take ``MAX(a[Dim])`` in a scalar equation to run
        over the whole of ``Dim``, as Vensim's ``VMAX(a[Dim!])`` does.
        """
        if type(ast).__name__ == "SubscriptsReferenceStructure":
            subs = [f"{text}!" if reference_key(text) in self.range_canon else text
                    for text in (str(sub).strip() for sub in ast.subscripts)]
            return dataclasses.replace(ast, subscripts=type(ast.subscripts)(subs))
        if isinstance(ast, (list, tuple)):
            return type(ast)(self.marked_whole(item) for item in ast)
        if hasattr(ast, "__dataclass_fields__"):
            return dataclasses.replace(ast, **{f: self.marked_whole(getattr(ast, f))
                                               for f in ast.__dataclass_fields__
                                               if ast.__dataclass_fields__[f].init})
        return ast

    def bang_ranges(self, ast: Any, found: list[str]) -> list[str]:
        """Ranges marked ``dim!`` anywhere in a PySD tree (appended to ``found``)."""
        if type(ast).__name__ == "SubscriptsReferenceStructure":
            for sub in ast.subscripts:
                text = str(sub).strip()
                if text.endswith("!"):
                    rng = self.range_canon.get(reference_key(text[:-1]))
                    if rng is not None and rng not in found:
                        found.append(rng)
            return found
        if isinstance(ast, (list, tuple)):
            for item in ast:
                self.bang_ranges(item, found)
        elif hasattr(ast, "__dataclass_fields__"):
            for field in ast.__dataclass_fields__:
                self.bang_ranges(getattr(ast, field), found)
        return found


def _explicit_mappings(path: Path) -> dict[str, dict[str, list[str]]]:
    """Map-to lists of a Vensim file's mappings: range key -> {target key: items}.

    ``src: s1, s2 -> (dst: d1, d2), other`` gives ``{'src': {'dst': ['d1', 'd2']}}``
    (``other``, mapped by position, has no list). PySD's translator keeps
    only the target's name, so the lists are read from the file's text.
    """
    if path.suffix.lower() != ".mdl" or not path.is_file():
        return {}
    out: dict[str, dict[str, list[str]]] = {}
    text = mdl_scan._clean(mdl_scan.read_text(path))
    for equation in mdl_scan._equations(text):
        head, arrow, tail = equation.partition("->")
        if not arrow or "<" in head[-1:] or ":" not in head or "=" in head:
            continue
        name = head.split(":", 1)[0].strip()
        for found in re.finditer(r"\(\s*([^:()]+?)\s*:\s*([^()]*)\)", tail):
            items = [item.strip() for item in found.group(2).split(",") if item.strip()]
            out.setdefault(reference_key(name), {})[reference_key(found.group(1))] = items
    return out


def stack_subscripts(ds: Any, model: Any) -> Any:
    """Results of a model read from a subscripted file, with its subscripts as dimensions.

    When the readers could not make a file's subscripts native dimensions
    (``model.source.fallback``), they expand each subscripted variable into one
    variable per element (``stock_a_entry_1``, ...). This gathers them back: for every subscripted
    variable of the file (``model.source.subscripts``) whose elements are all in
    ``ds``, one variable named after the file's name (made an identifier), with
    one dimension per subscript range, labelled with the range's elements.
    Elements the file leaves undefined (definitions over subranges, :EXCEPT:)
    are NaN. Variables without subscripts are kept as they are. Results of a
    model read with native dimensions already carry them, and models not read
    from a file have no layout: the results are returned unchanged (a copy),
    so callers can always use this function.

    Parameters
    ----------
    ds : xarray.Dataset
        The result of :func:`gysim.simulate` for ``model``.
    model : Model
        A model read by :func:`gysim.read_vensim` or :func:`gysim.read_xmile`.

    Returns
    -------
    xarray.Dataset

    Examples
    --------
    >>> import tempfile, gysim
    >>> from pathlib import Path
    >>> f = Path(tempfile.mkdtemp()) / "m.mdl"
    >>> _ = f.write_text("{UTF-8}\\nd: a, b ~ ~|\\nt[a]((0,1),(9,1)) ~ ~|\\nt[b]((0,2),(9,2)) ~ ~|\\n"
    ...                  "x[d] = t[d](Time) * Time ~ ~|\\n"
    ...                  "INITIAL TIME = 0 ~ ~|\\nFINAL TIME = 2 ~ ~|\\nTIME STEP = 1 ~ ~|\\n")
    >>> from pysd.translators.vensim.vensim_file import VensimFile
    >>> from gysim.io.build import build_model
    >>> vfile = VensimFile(f)
    >>> _ = vfile.parse()
    >>> m = build_model(vfile.get_abstract_model(), f, "Vensim", native=False)
    >>> m.source.fallback
    'native=False'
    >>> out = stack_subscripts(gysim.simulate(m), m)
    >>> out["x"].dims, out["x"].sel(d="b").values.tolist()
    (('time', 'd'), [0.0, 2.0, 4.0])
    """
    import xarray as xr
    source = getattr(model, "source", None)
    layout = getattr(source, "subscripts", None) or {}
    out = ds.copy()
    taken = set(ds.data_vars) | set(ds.dims) | set(ds.coords)
    for original, (ranges, elements) in layout.items():
        if None in ranges or not elements or not all(i in ds.data_vars for i in elements.values()):
            continue
        dims = [safe_identifier(r, set()) for r in ranges]
        if len(set(dims)) != len(dims):
            continue  # a range used twice (x[d, d]): keep the elements
        labels = [list(source.ranges[r]) for r in ranges]
        sample = ds[next(iter(elements.values()))]
        shape = tuple(len(x) for x in labels)
        data = np.full(shape + sample.shape, np.nan)
        where = [{label: i for i, label in reversed(list(enumerate(x)))} for x in labels]
        for key, ident in elements.items():
            try:
                index = tuple(where[i][k] for i, k in enumerate(key))
            except KeyError:
                break
            data[index] = ds[ident].values
        else:
            new_dims = tuple(dims) + sample.dims
            if sample.dims[:1] == ("time",):  # time first, as gysim's results
                data = np.moveaxis(data, list(range(len(shape))),
                                   list(range(1, len(shape) + 1)))
                new_dims = ("time",) + tuple(dims) + sample.dims[1:]
            coords = {d: lab for d, lab in zip(dims, labels)}
            coords.update({d: ds.coords[d] for d in sample.dims if d in ds.coords})
            name = safe_identifier(original, set(taken))
            taken.add(name)
            out[name] = xr.DataArray(data, dims=new_dims, coords=coords,
                                     attrs={"long_name": original})
    return out
