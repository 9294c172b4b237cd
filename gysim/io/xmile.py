"""Reading XMILE (Stella/iThink ``.xmile``) models into gysim.

Examples
--------
>>> import gysim
>>> m = gysim.read_xmile("teacup.xmile")  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ModelDefinitionError
from ..model import Model
from .build import build_model
from .safe_xml import check_xml

__all__ = ["read_xmile"]


def read_xmile(path: str | Path) -> Model:
    """Read an XMILE (``.xmile``/``.xml``) model into a :class:`gysim.Model`.

    Works like :func:`gysim.read_vensim`: ``model.source`` is a
    :class:`gysim.io.SourceInfo` with ``language="XMILE"``; the name mapping
    ``model.source.names`` is also available as ``model.xmile_names`` (and
    ``model.vensim_names``).

    Examples
    --------
    >>> import gysim
    >>> m = gysim.read_xmile("teacup.xmile")  # doctest: +SKIP
    """
    path = Path(path)
    if not path.is_file():
        raise ModelDefinitionError(f"`path` must be an existing XMILE file, got '{path}'")
    check_xml(path, name=path.name)  # no DOCTYPE/entities: billion laughs, XXE (issue 7)
    from pysd.translators.xmile.xmile_file import XmileFile
    try:
        xfile = XmileFile(path)
        xfile.parse()
        abstract = xfile.get_abstract_model()
    except ModelDefinitionError:
        raise
    except Exception as exc:
        raise ModelDefinitionError(f"{path.name}: PySD's XMILE translator could not parse "
                                   f"the file: {exc}") from exc
    return build_model(abstract, path, "XMILE")
