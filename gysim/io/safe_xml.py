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

The same pass measures what the translator would silently get wrong:
elements nested deeper than :data:`MAX_DEPTH` (lxml, in the recovering mode
PySD uses, stops there and returns the tree cut short, without an error) are
refused, and the variables the file declares (``stock``, ``flow``, ``aux``,
``gf`` and ``module`` elements with a ``name`` under ``model/variables``) are
listed, so that the reader can check that each of them reached the model
(:func:`screen_xml`). The document's encoding (its byte order mark or its
XML declaration) is recorded, so that the reader can hand PySD, which reads
every file as UTF-8, a UTF-8 copy (:meth:`XmlScan.utf8`).

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

import codecs
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax import SAXException
from xml.sax.handler import ContentHandler

from ..errors import ModelDefinitionError

__all__ = ["check_xml", "screen_xml", "XmlScan", "MAX_BYTES", "MAX_DEPTH", "VARIABLE_TAGS"]

#: Largest XML model file read, in bytes.
MAX_BYTES = 64 * 1024 * 1024

#: Deepest nesting of XML elements read (the root is level 1). lxml, which PySD's
#: XMILE translator uses in its recovering mode, stops at 256 levels and returns the
#: document cut short without an error; deeper files are refused.
MAX_DEPTH = 256

#: XMILE elements under ``model/variables`` that declare a variable by their ``name``.
VARIABLE_TAGS = ("stock", "flow", "aux", "gf", "module")

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
_DECLARATION = re.compile(r"""<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")


@dataclass
class XmlScan:
    """What :func:`screen_xml` learnt of a file that passed.

    Attributes
    ----------
    text : str
        The document, decoded.
    encoding : str
        The encoding it was decoded from.
    variables : list of (tag, name)
        The variables it declares under ``model/variables``, in order.

    Examples
    --------
    >>> scan = screen_xml(b'<xmile><model><variables><aux name="a"/></variables></model>'
    ...                   b'</xmile>')
    >>> scan.variables, scan.encoding
    ([('aux', 'a')], 'utf-8')
    """

    text: str
    encoding: str
    variables: list[tuple[str, str]] = field(default_factory=list)

    def utf8(self) -> bytes:
        """The document encoded as UTF-8, its XML declaration saying so.

        Examples
        --------
        >>> doc = '<?xml version="1.0" encoding="iso-8859-1"?><x>é</x>'.encode("latin-1")
        >>> screen_xml(doc).utf8().decode("utf-8")
        '<?xml version="1.0" encoding="utf-8"?><x>é</x>'
        """
        head = _DECLARATION.match(self.text.lstrip())
        text = self.text.lstrip()
        if head is not None:
            text = text[:head.start(1)] + "utf-8" + text[head.end(1):]
        return text.encode("utf-8")


class _TooDeep(Exception):
    pass


class _Screen(ContentHandler):
    """Measures depth and lists the declared variables while expat reads the file."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.variables: list[tuple[str, str]] = []
        self.locator = None

    def setDocumentLocator(self, locator) -> None:  # noqa: N802 - SAX's name
        self.locator = locator

    def startElement(self, name, attrs) -> None:  # noqa: N802 - SAX's name
        if len(self.stack) >= MAX_DEPTH:
            line = self.locator.getLineNumber() if self.locator is not None else "?"
            raise _TooDeep(line)
        if (name in VARIABLE_TAGS and self.stack[-2:] == ["model", "variables"]
                and "name" in attrs):
            self.variables.append((name, attrs["name"]))
        self.stack.append(name)

    def endElement(self, name) -> None:  # noqa: N802 - SAX's name
        self.stack.pop()


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
                                       f"than {MAX_BYTES} bytes (MAX_BYTES) are refused")
        try:
            data = path.read_bytes()
        except OSError as err:
            raise ModelDefinitionError(f"cannot read '{path}': {err.strerror}") from None
    if len(data) > MAX_BYTES:
        raise ModelDefinitionError(f"{label} is {len(data)} bytes long; XML model files larger "
                                   f"than {MAX_BYTES} bytes (MAX_BYTES) are refused")
    return data, label


def _decode(data: bytes, label: str) -> tuple[str, str]:
    """The document's text and encoding (byte order mark, else declaration, else UTF-8)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            break
    else:
        if data.startswith(b"<\x00?\x00") or data.startswith(b"\x00<\x00?"):
            encoding = "utf-16-le" if data[0] == 0x3C else "utf-16-be"
        else:
            declared = _DECLARATION.match(data[:1024].decode("latin-1").lstrip())
            encoding = declared.group(1) if declared else "utf-8"
    try:
        return data.decode(encoding).lstrip("\ufeff"), encoding
    except (UnicodeDecodeError, LookupError) as err:
        raise ModelDefinitionError(f"{label} cannot be decoded as {encoding}, the encoding it "
                                   f"declares ({err}); save it as UTF-8") from None


def screen_xml(source: str | os.PathLike | bytes, *, name: str | None = None) -> XmlScan:
    """:func:`check_xml`, returning the decoded document and the variables it declares.

    Examples
    --------
    >>> deep = b"<x>" + b"<a>" * 300 + b"</a>" * 300 + b"</x>"
    >>> screen_xml(deep, name="deep.xmile")
    Traceback (most recent call last):
    ...
    gysim.errors.ModelDefinitionError: deep.xmile: XML elements nest deeper than 256 levels (MAX_DEPTH) at line 1; PySD's XMILE translator would silently drop everything from there on
    """
    import defusedxml
    from defusedxml import sax as safe_sax

    data, label = _read(source, name)
    if not data.strip():
        raise ModelDefinitionError(f"{label} is empty")
    screen = _Screen()
    try:
        safe_sax.parseString(data, screen, forbid_dtd=True, forbid_entities=True,
                             forbid_external=True)
    except _TooDeep as err:
        raise ModelDefinitionError(
            f"{label}: XML elements nest deeper than {MAX_DEPTH} levels (MAX_DEPTH) at line "
            f"{err.args[0]}; PySD's XMILE translator would silently drop everything from "
            f"there on") from None
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
    text, encoding = _decode(data, label)
    return XmlScan(text, encoding, screen.variables)


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
        DTD), declares or references an entity, nests elements deeper than
        :data:`MAX_DEPTH`, is not well-formed XML, or cannot be decoded.
        Nothing is expanded or fetched on the way.

    Examples
    --------
    >>> check_xml(b"<xmile><model/></xmile>", name="ok.xmile")
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
    screen_xml(source, name=name)
