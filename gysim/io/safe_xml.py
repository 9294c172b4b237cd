"""Screening XML model files before any XML library with entity support sees them.

XMILE files are plain XML without a document type: nothing in the XMILE
standard needs a ``<!DOCTYPE>``. A document type, however, is where XML's
two classic attacks live: internal entities that expand exponentially
("billion laughs": a few hundred bytes that expand to gigabytes) and
external entities that pull in a local file or a URL ("XXE"). PySD's
translator parses with lxml, whose entity handling gysim does not control,
so :func:`check_xml` reads the file first with ``defusedxml``'s expat
reader (namespace processing off, nothing resolved) and refuses it if it
declares a document type, an entity or an external reference, or is not
well-formed XML. Only a file that passes is handed to the translator.

Examples
--------
>>> from gysim.io.safe_xml import check_xml
>>> check_xml(b"<xmile><model/></xmile>", name="ok.xmile")
>>> check_xml(b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', name="bad.xmile")
Traceback (most recent call last):
...
gysim.errors.ModelDefinitionError: bad.xmile: XML with a document type declaration (<!DOCTYPE x>) is refused: model files must not declare entities or load external content
"""

from __future__ import annotations

import os
from pathlib import Path
from xml.sax import SAXException
from xml.sax.handler import ContentHandler

from ..errors import ModelDefinitionError

__all__ = ["check_xml", "MAX_BYTES"]

#: Largest XML model file read, in bytes.
MAX_BYTES = 64 * 1024 * 1024


def _read(source: str | os.PathLike | bytes, name: str | None) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
        label = name or "XML text"
    else:
        path = Path(source)
        label = name or str(path)
        try:
            size = path.stat().st_size
        except OSError as err:
            raise ModelDefinitionError(f"cannot read '{path}': {err.strerror}") from None
        if size > MAX_BYTES:
            raise ModelDefinitionError(f"{label} is {size} bytes long; XML model files larger "
                                       f"than {MAX_BYTES} bytes are refused")
        try:
            data = path.read_bytes()
        except OSError as err:
            raise ModelDefinitionError(f"cannot read '{path}': {err.strerror}") from None
    if len(data) > MAX_BYTES:
        raise ModelDefinitionError(f"{label} is {len(data)} bytes long; XML model files larger "
                                   f"than {MAX_BYTES} bytes are refused")
    return data, label


def check_xml(source: str | os.PathLike | bytes, *, name: str | None = None) -> None:
    """Refuse an XML model file that declares a document type or entities, or is malformed.

    Parameters
    ----------
    source : path or bytes
        The file, or its content.
    name : str, optional
        How to name the file in messages (default: the path).

    Raises
    ------
    ModelDefinitionError
        If the file cannot be read, is larger than :data:`MAX_BYTES`, has a
        ``<!DOCTYPE>`` (and so possibly entity declarations or an external
        DTD), declares or references an entity, or is not well-formed XML.
        Nothing is expanded or fetched on the way.

    Examples
    --------
    >>> xxe = b'<!DOCTYPE m [<!ENTITY f SYSTEM "file:///etc/passwd">]><m>&f;</m>'
    >>> check_xml(xxe, name="xxe.xmile")
    Traceback (most recent call last):
    ...
    gysim.errors.ModelDefinitionError: xxe.xmile: XML with a document type declaration (<!DOCTYPE m>) is refused: model files must not declare entities or load external content
    >>> check_xml(b"<xmile><model></xmile>", name="cut.xmile")
    Traceback (most recent call last):
    ...
    gysim.errors.ModelDefinitionError: cut.xmile is not well-formed XML: mismatched tag at line 1, column 16
    """
    import defusedxml
    from defusedxml import sax as safe_sax

    data, label = _read(source, name)
    if not data.strip():
        raise ModelDefinitionError(f"{label} is empty")
    try:
        safe_sax.parseString(data, ContentHandler(), forbid_dtd=True, forbid_entities=True,
                             forbid_external=True)
    except defusedxml.DTDForbidden as err:
        raise ModelDefinitionError(
            f"{label}: XML with a document type declaration (<!DOCTYPE {err.name}>) is "
            f"refused: model files must not declare entities or load external content") from None
    except defusedxml.EntitiesForbidden as err:
        raise ModelDefinitionError(
            f"{label}: XML declaring the entity '{err.name}' is refused: model files must not "
            f"declare entities") from None
    except defusedxml.ExternalReferenceForbidden as err:
        raise ModelDefinitionError(
            f"{label}: XML referring to external content ({err.sysid or err.pubid}) is "
            f"refused") from None
    except defusedxml.DefusedXmlException as err:  # pragma: no cover - other refusals
        raise ModelDefinitionError(f"{label}: unsafe XML refused ({err})") from None
    except SAXException as err:
        where = ""
        get_line = getattr(err, "getLineNumber", None)
        if get_line is not None:
            where = f" at line {get_line()}, column {err.getColumnNumber()}"
        raise ModelDefinitionError(
            f"{label} is not well-formed XML: {err.getMessage()}{where}") from None
    except (ValueError, LookupError) as err:  # e.g. an unknown encoding
        raise ModelDefinitionError(f"{label} cannot be read as XML: {err}") from None

