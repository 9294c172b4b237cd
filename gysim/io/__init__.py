"""Reading models written for other tools: Vensim ``.mdl`` and XMILE files.

Both readers use PySD's translators to parse the file into PySD's abstract
model, then build a :class:`gysim.Model` from that structure. The Python code
PySD would generate is never produced, imported or executed. The writers
(:mod:`gysim.io.export`) go the other way: a gysim model out as ``.mdl`` or XMILE.

Examples
--------
>>> from gysim.io import read_vensim, read_xmile  # doctest: +SKIP
"""

from __future__ import annotations

from ._abstract import stack_subscripts
from .export import write_registered, write_vensim, write_xmile
from .vensim import read_vensim
from .xmile import read_xmile

__all__ = ["read_vensim", "read_xmile", "write_vensim", "write_xmile", "write_registered",
           "stack_subscripts"]
