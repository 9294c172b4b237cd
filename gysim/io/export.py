"""Writing gysim models as Vensim ``.mdl`` and XMILE files: the older import path.

The writers live in :mod:`gysim.io.vensim_writer` and
:mod:`gysim.io.xmile_writer`; this module re-exports their public names so
that ``from gysim.io.export import write_vensim`` keeps working.
``write_registered`` moved to :func:`gysim.registry.write_registered`.

Examples
--------
>>> from gysim.io.export import write_vensim, vensim_text, DEFAULT_DT
>>> DEFAULT_DT
0.125
"""

from __future__ import annotations

from typing import Any

from .vensim_writer import DEFAULT_DT, vensim_text, write_vensim
from .xmile_writer import write_xmile, xmile_text

__all__ = ["write_vensim", "write_xmile", "vensim_text", "xmile_text", "DEFAULT_DT"]


def __getattr__(name: str) -> Any:
    from . import moved_attribute
    raise moved_attribute(__name__, name)
