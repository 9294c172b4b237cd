"""Moved: the compiler is the package :mod:`gysim.engine` (one module per stage).

``from gysim.compile import CompiledModel`` and ``suggest`` keep working.

Examples
--------
>>> from gysim.compile import CompiledModel
>>> CompiledModel.__module__
'gysim.engine.compiled'
"""

from ._text import suggest
from .engine.compiled import CompiledModel, DelayFixedSpec

__all__ = ["CompiledModel", "DelayFixedSpec", "suggest"]
