"""Reading models written for other tools: Vensim ``.mdl`` and XMILE files, and writing them.

Both readers use PySD's translators to parse the file into PySD's abstract
model, then build a :class:`gysim.Model` from that structure
(:mod:`gysim.io.build`, :mod:`gysim.io.convert`); the Python code PySD would
generate is never produced, imported or executed. A model read from a file
carries a :class:`SourceInfo` as ``model.source``. The writers
(:mod:`gysim.io.vensim_writer`, :mod:`gysim.io.xmile_writer`) go the other
way: a gysim model out as ``.mdl`` or XMILE.

Modules: :mod:`~gysim.io.names` (identifiers, ``VENSIM_NA``),
:mod:`~gysim.io.subscripts` (ranges, resolution, :func:`stack_subscripts`),
:mod:`~gysim.io.functions` (the readers' function table, derived from the builtins'
rows),
:mod:`~gysim.io.convert` (PySD's syntax -> gysim trees), :mod:`~gysim.io.build`
(the model), :mod:`~gysim.io.source` (:class:`SourceInfo`),
:mod:`~gysim.io.vensim` and :mod:`~gysim.io.xmile` (the readers),
:mod:`~gysim.io.spellings` (the writers' look-up of each builtin's spelling, which
is part of its row in :data:`gysim.builtins.BUILTINS`),
:mod:`~gysim.io.vensim_writer`, :mod:`~gysim.io.xmile_writer`,
:mod:`~gysim.io.safe_xml` (screening XML: entities, size, depth, encoding),
:mod:`~gysim.io.mdl_scan` (an ``.mdl`` file before PySD: size, encoding, the
definitions it holds), :mod:`~gysim.io.reading` (running a translator: one
error for every failure, nothing lost), :mod:`~gysim.io.macros` (Vensim macros
expanded into one copy of their variables per call).

Hostile and oversized files are refused with a
:class:`~gysim.errors.ModelDefinitionError` naming the file, never read in
part. The limits: :data:`gysim.io.mdl_scan.MAX_MDL_BYTES` (4 MiB,
``read_vensim(max_bytes=)``), :data:`~gysim.io.mdl_scan.MAX_NESTING`
(parentheses in one equation), :data:`~gysim.io.mdl_scan.MAX_LOOKUP_POINTS`,
:data:`~gysim.io.mdl_scan.MAX_SUBSCRIPT_LABELS`,
:data:`gysim.io.macros.MAX_MACRO_COPIES` (variables made by expanding macros),
:data:`gysim.io.safe_xml.MAX_BYTES` (64 MiB of XML) and
:data:`~gysim.io.safe_xml.MAX_DEPTH` (256 levels of XML elements).

Examples
--------
>>> from gysim.io import read_vensim, read_xmile, SourceInfo, VENSIM_NA
>>> VENSIM_NA == -2.0 ** 109
True
"""

from __future__ import annotations

from typing import Any

from .names import VENSIM_NA
from .source import SourceInfo
from .subscripts import stack_subscripts
from .vensim import read_vensim
from .vensim_writer import write_vensim
from .xmile import read_xmile
from .xmile_writer import write_xmile

__all__ = ["read_vensim", "read_xmile", "write_vensim", "write_xmile", "stack_subscripts",
           "SourceInfo", "VENSIM_NA"]

#: Names that left gysim.io, and where they went.
MOVED = {"write_registered": "gysim.registry.write_registered"}


def moved_attribute(module: str, name: str) -> Exception:
    """The error for ``module.name`` (a module of gysim.io): where it moved, if it did.

    An ImportError (so that ``from gysim.io import write_registered`` shows the
    message) for names in :data:`MOVED`, else the usual AttributeError.

    Examples
    --------
    >>> print(moved_attribute("gysim.io", "write_registered"))  # doctest: +ELLIPSIS
    `write_registered` moved to gysim.registry.write_registered ...
    """
    if name in MOVED:
        return ImportError(f"`{name}` moved to {MOVED[name]} (it loads registered models, "
                           f"which gysim.io does not know about): use `from "
                           f"{MOVED[name].rpartition('.')[0]} import {name}`", name=name)
    return AttributeError(f"module {module!r} has no attribute {name!r}")


def __getattr__(name: str) -> Any:
    raise moved_attribute(__name__, name)
