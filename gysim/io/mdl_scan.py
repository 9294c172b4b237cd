"""A Vensim ``.mdl`` file before PySD reads it: its size, its encoding, and what it defines.

PySD's Vensim translator is handed only files that pass these checks, and
what it makes of a file is compared with what the file says:

- **Size.** Files larger than :data:`MAX_MDL_BYTES` are refused before
  anything parses them (PySD's parser needs minutes and gigabytes for tens of
  megabytes); ``read_vensim(path, max_bytes=...)`` raises the limit.
- **Encoding.** The text is decoded here, strictly: as the encoding the first
  line declares (``{UTF-8}``, which Vensim writes; ``{cp1252}``, ``{GBK}``,
  ...), as the ``encoding=`` the caller gives, or as UTF-8; a file that is not
  valid in that encoding is refused, naming the byte and the line. (PySD
  would read it as UTF-8 and silently drop the bytes it cannot decode.) PySD
  then reads a UTF-8 copy of exactly that text (:func:`read_text`).
- **A plain scan of the definitions** (:func:`scan`): the file is cut into
  entries at ``|`` and each entry's equation ends at the first ``~`` (Vensim's
  separators; quoted names may hold both); the name before ``=``, ``==``,
  ``:=``, ``(`` (a lookup), ``:`` (a subscript range) or ``<->`` is one
  element the file defines. Units and comment fields are skipped as Vensim
  skips them. The scan also enforces :data:`MAX_NESTING` (parentheses),
  :data:`MAX_LOOKUP_POINTS` and :data:`MAX_SUBSCRIPT_LABELS`. The variables
  of a macro (between ``:MACRO:`` and ``:END OF MACRO:``) are local to it and
  not listed; a call naming a macro's additional outputs (``M(x : out)``),
  which PySD's grammar cannot read, is refused by name.
- **Nothing lost** (:func:`check_parsed`): every element the scan found must
  be in PySD's abstract model. PySD's grammar reads a ``"`` in a units field as
  the start of a quoted name, and may then swallow the entries that follow
  without an error; such a file is refused, naming the lost elements.

Examples
--------
>>> from gysim.io.mdl_scan import scan
>>> [(d.name, d.kind) for d in scan("{UTF-8}\\nd: a, b ~ ~|\\nx[d] = 1 ~ kg ~ a doc|\\n"
...                                 "t(\\n[(0,0)-(1,1)],(0,0),(1,1)) ~ ~|", "m.mdl")]
[('d', 'range'), ('x', 'equation'), ('t', 'lookup')]
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ModelDefinitionError
from .names import reference_key

__all__ = ["MAX_MDL_BYTES", "MAX_NESTING", "MAX_LOOKUP_POINTS", "MAX_SUBSCRIPT_LABELS",
           "MAX_ELEMENTS",
           "Definition", "read_text", "scan", "check_parsed"]

#: Largest ``.mdl`` file read, in bytes (4 MiB). PySD's parser needs about 7 s and
#: 450 MB per MB of text (a 4 MB comment: 28 s, 1.8 GB); the Earth4All model, one of
#: the largest published, is 0.3 MB. ``read_vensim(path, max_bytes=...)`` reads larger
#: files.
MAX_MDL_BYTES = 4 * 1024 * 1024

#: Deepest nesting of parentheses in one equation. PySD's parser recurses 16-30
#: Python frames per level (it failed near 40 nested calls and 55 parentheses with
#: "maximum recursion depth exceeded"); the readers raise Python's recursion limit
#: while it parses (:data:`gysim.io.reading.TRANSLATOR_RECURSION_LIMIT`), which
#: leaves it several times this depth. gysim's own equation parser has its own limit.
MAX_NESTING = 100

#: Most points of one lookup (graphical function). PySD's parser needs about 0.4 ms
#: and 20 kB per point (10 000 points: 4 s; a million took two minutes and 7 GB); a
#: lookup of data that long belongs in a data file.
MAX_LOOKUP_POINTS = 10_000

#: Most labels of one subscript range (``d: (e1-e100000)`` is 142 bytes).
MAX_SUBSCRIPT_LABELS = 10_000

#: Most scalar elements of a model whose subscripts are read element by element
#: (each element of each subscripted variable becomes one gysim element).
MAX_ELEMENTS = 100_000

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
_DECLARED = re.compile(rb"\s*\{([^}\r\n]{1,60})\}")
_SKETCH = "\\\\\\---///"
_SPECIAL_EQUATION = re.compile(r'[~|"]')
_SPECIAL_FIELD = re.compile(r"[~|]")
_QUOTED_REST = re.compile(r'(?:\\"|[^"])*"')
_QUOTED = re.compile(r'"(?:\\"|[^"])*"')
_NAME = re.compile(r'\s*("(?:\\"|[^"])*"|\w[\w\'$\s]*)')
_EXCEPT = re.compile(r":EXCEPT:\s*\[[^\]]*\](?:\s*,\s*\[[^\]]*\])*\s*")
_KEYWORD = re.compile(r":\s*(\w[\w'$\s]*?)\s*:(?!=)")
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_NUMERIC_RANGE = re.compile(r"\(\s*([^()]*?)(\d+)\s*-\s*([^()]*?)(\d+)\s*\)")


@dataclass(frozen=True)
class Definition:
    """One element (or subscript range) an ``.mdl`` file defines.

    Attributes
    ----------
    name : str
        As PySD names it (a quoted name keeps its quotes).
    kind : {"equation", "lookup", "data", "range"}
    depth : int
        The deepest nesting of parentheses in its equation.
    key : str
        :func:`~gysim.io.names.reference_key` of the name.

    Examples
    --------
    >>> Definition("Birth Rate", "equation").key
    'birth_rate'
    """

    name: str
    kind: str
    depth: int = 0

    @property
    def key(self) -> str:
        return reference_key(self.name.replace("\\", " "))


def _line(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _decode(data: bytes, label: str, encoding: str | None) -> str:
    if encoding is not None and not isinstance(encoding, str):
        raise ModelDefinitionError(f"`encoding` must be the name of an encoding (e.g. "
                                   f"'cp1252'), got {encoding!r}")
    for bom, name in _BOMS:
        if data.startswith(bom):
            encoding, how = name, "byte order mark"
            break
    else:
        declared = _DECLARED.match(data)
        if encoding is not None:
            how = "`encoding` given"
        elif declared is not None:
            encoding, how = declared.group(1).decode("ascii", "replace").strip(), "declared"
        else:
            how = ""
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ModelDefinitionError(
                f"{label}: the encoding {encoding!r} ({how}) is not one Python knows; give "
                f"a known one, e.g. read_vensim(path, encoding='cp1252')") from None
    try:
        text = data.decode(encoding or "utf-8")
    except UnicodeDecodeError as err:
        where = f"byte 0x{data[err.start]:02x} at line {_line(data, err.start)}"
        if encoding is None:
            raise ModelDefinitionError(
                f"{label} is not UTF-8 ({where}) and does not declare its encoding. Vensim "
                f"writes {{UTF-8}} on the first line of UTF-8 files; files without it are "
                f"usually in a Windows code page such as cp1252 (Western Europe) or GBK "
                f"(Chinese). Give the encoding (read_vensim(path, encoding='cp1252')), write "
                f"it on the file's first line ({{cp1252}}), or save the file as UTF-8") from None
        raise ModelDefinitionError(
            f"{label} is not valid {encoding} ({how}): {where} cannot be decoded; give the "
            f"file's real encoding (read_vensim(path, encoding=...)) or save it as "
            f"{encoding}") from None
    return text.lstrip("\ufeff")


def read_text(path: Path, *, max_bytes: int | None = None, encoding: str | None = None) -> str:
    """The text of an ``.mdl`` file, after the size and encoding checks.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    max_bytes : int, optional
        Largest size read (default :data:`MAX_MDL_BYTES`).
    encoding : str, optional
        The file's encoding, if it does not declare it on its first line.

    Raises
    ------
    ModelDefinitionError
        If the file is larger than the limit, cannot be read, or is not
        valid in its encoding.

    Examples
    --------
    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "m.mdl"
    >>> _ = f.write_bytes("{cp1252}\\ncafé = 1 ~ ~|".encode("cp1252"))
    >>> read_text(f).split("\\n")[1]
    'café = 1 ~ ~|'
    >>> _ = f.write_bytes("café = 1 ~ ~|".encode("cp1252"))
    >>> read_text(f)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gysim.errors.ModelDefinitionError: m.mdl is not UTF-8 (byte 0xe9 at line 1) and does not ...
    """
    limit = MAX_MDL_BYTES if max_bytes is None else max_bytes
    if isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0:
        raise ModelDefinitionError(f"`max_bytes` must be a positive whole number, got {limit!r}")
    label = path.name
    try:
        size = path.stat().st_size
        if size > limit:
            raise ModelDefinitionError(
                f"{label} is {size} bytes long; .mdl files larger than {limit} bytes "
                f"(MAX_MDL_BYTES) are refused: read it with read_vensim(path, "
                f"max_bytes={size}) if you trust it and can wait")
        data = path.read_bytes()
    except OSError as err:
        raise ModelDefinitionError(f"cannot read '{path}': {err.strerror}") from None
    if len(data) > limit:  # grew since stat
        raise ModelDefinitionError(f"{label} is longer than {limit} bytes (MAX_MDL_BYTES)")
    return _decode(data, label, encoding)


def _clean(text: str) -> str:
    """The model part of the file as PySD's translator sees it (one line, no sketch)."""
    text = text.split(_SKETCH, 1)[0]
    text = re.sub(r"[\n\t\s]+", " ", re.sub(r"\\\n\t", " ", text))
    declared = re.match(r"\s*\{[^}]*\}", text)
    return text[declared.end():] if declared else text


def _equations(text: str) -> list[str]:
    """The equation field of each entry (up to its first ``~``), in order."""
    out = []
    pos = start = field = 0
    while True:
        found = (_SPECIAL_EQUATION if field == 0 else _SPECIAL_FIELD).search(text, pos)
        if found is None:
            break
        char, pos = found.group(), found.end()
        if char == '"':
            rest = _QUOTED_REST.match(text, pos)
            pos = rest.end() if rest else len(text)
            continue
        if field == 0:
            out.append(text[start:found.start()])
        if char == "~":
            field += 1
        else:
            field, start = 0, pos
    if field == 0 and text[start:].strip():
        out.append(text[start:])
    return out


def _nesting(equation: str) -> int:
    depth = deepest = 0
    for char in re.findall(r"[()]", _QUOTED.sub('""', equation)):
        depth += 1 if char == "(" else -1
        deepest = max(deepest, depth)
    return deepest


def _labels(items: str) -> int:
    """How many labels a range definition's list names (numeric ranges expanded)."""
    items = items.split("->", 1)[0]
    count = 0
    for found in _NUMERIC_RANGE.finditer(items):
        count += max(int(found.group(4)) - int(found.group(2)) + 1, 0)
    rest = _NUMERIC_RANGE.sub("", items)
    return count + sum(1 for item in rest.split(",") if item.strip())


def _definition(equation: str) -> Definition | None:
    """The element an equation field defines (None for group headings, constraints...)."""
    found = _NAME.match(equation)
    if found is None:
        return None
    name = found.group(1).strip()
    rest = equation[found.end():].lstrip()
    subscripted = rest.startswith("[")
    if subscripted:
        close = rest.find("]")
        rest = rest[close + 1:].lstrip() if close >= 0 else ""
        rest = _EXCEPT.sub("", rest, count=1) if rest.startswith(":EXCEPT:") else rest
    if rest.startswith(":="):
        return Definition(name, "data")
    if rest.startswith("="):
        return Definition(name, "equation")
    if rest.startswith("("):
        return Definition(name, "lookup")
    if rest.startswith("<->"):
        return Definition(name, "range")
    if rest.startswith(":"):
        keyword = _KEYWORD.match(rest)
        if keyword is not None:
            word = " ".join(keyword.group(1).upper().split())
            return None if word in ("THE CONDITION", "TEST INPUT") else Definition(name, "data")
        return None if subscripted else Definition(name, "range")
    return None


_MACRO_HEADER = re.compile(r":MACRO:\s*([^(\n]+?)\s*\(([^)]*)\)")


def macro_outputs(text: str) -> list[str]:
    """The names of the macros of ``text`` that declare additional outputs.

    Examples
    --------
    >>> macro_outputs(":MACRO: M(a : b)\\nM = a ~~|\\nb = 1 ~~|\\n:END OF MACRO:\\n")
    ['M']
    """
    return [m.group(1) for m in _MACRO_HEADER.finditer(text) if ":" in m.group(2)]


def _refuse_output_call(equation: str, name: str, outputs: list[str], label: str) -> None:
    """Refuse a call of a macro that names additional outputs (``M(x : out)``)."""
    body = _QUOTED.sub('""', equation.split("=", 1)[-1])
    for macro in outputs:
        words = r"[\s_]+".join(map(re.escape, re.split(r"[\s_]+", macro.strip())))
        for found in re.finditer(rf"(?<![\w$]){words}\s*\(", body, re.IGNORECASE):
            depth, pos = 1, found.end()
            while pos < len(body) and depth:
                depth += {"(": 1, ")": -1}.get(body[pos], 0)
                if depth == 1 and body[pos] == ":":
                    raise ModelDefinitionError(
                        f"{label}: the call of macro '{macro}' in '{name}' names additional "
                        f"outputs (after ':'), which PySD's grammar does not read; use a "
                        f"macro without additional outputs")
                pos += 1


def scan(text: str, label: str) -> list[Definition]:
    """The elements and subscript ranges an ``.mdl`` text defines, in order, once each.

    Raises
    ------
    ModelDefinitionError
        For a call of a macro naming additional outputs, an equation nested
        deeper than :data:`MAX_NESTING` parentheses, a lookup of more than
        :data:`MAX_LOOKUP_POINTS` points or a range of more than
        :data:`MAX_SUBSCRIPT_LABELS` labels, naming the element.

    Examples
    --------
    >>> scan("x = " + "(" * 101 + "1" + ")" * 101 + " ~ ~|", "m.mdl")
    Traceback (most recent call last):
    ...
    gysim.errors.ModelDefinitionError: m.mdl: the equation of 'x' nests 101 levels of parentheses; gysim reads at most 100 (MAX_NESTING)
    """
    seen: dict[str, Definition] = {}
    in_macro, outputs = False, macro_outputs(text)
    for equation in _equations(_clean(text)):
        bare = _QUOTED.sub('""', equation)
        if ":END OF MACRO:" in bare:
            in_macro, equation = False, equation.split(":END OF MACRO:", 1)[1]
        if ":MACRO:" in bare:  # the header, then the macro's first equation
            in_macro, equation = True, equation.split(":MACRO:", 1)[1].split(")", 1)[-1]
        definition = _definition(equation)
        if definition is None:
            continue
        name = definition.name
        _refuse_output_call(equation, name, outputs, label)
        depth = _nesting(equation)
        if depth > MAX_NESTING:
            raise ModelDefinitionError(
                f"{label}: the equation of '{name}' nests {depth} levels of parentheses; "
                f"gysim reads at most {MAX_NESTING} (MAX_NESTING)")
        if definition.kind == "lookup" or "WITH LOOKUP" in equation.upper():
            points = (len(_NUMBER.findall(equation)) - 4) // 2
            if points > MAX_LOOKUP_POINTS:
                raise ModelDefinitionError(
                    f"{label}: the lookup of '{name}' has about {points} points; gysim reads "
                    f"lookups of at most {MAX_LOOKUP_POINTS} points (MAX_LOOKUP_POINTS): put "
                    f"long series in a data file")
        if definition.kind == "range" and ":" in equation:
            count = _labels(equation.split(":", 1)[1])
            if count > MAX_SUBSCRIPT_LABELS:
                raise ModelDefinitionError(
                    f"{label}: the subscript range '{name}' has {count} labels; gysim reads "
                    f"ranges of at most {MAX_SUBSCRIPT_LABELS} labels (MAX_SUBSCRIPT_LABELS)")
        if not in_macro:  # a macro's variables are local to it
            seen.setdefault(definition.key, Definition(name, definition.kind, depth))
    return list(seen.values())


def check_parsed(definitions: list[Definition], abstract_model: Any, label: str,
                 language: str = "Vensim") -> None:
    """Refuse when PySD's abstract model lacks an element the file defines.

    Parameters
    ----------
    definitions : list of Definition
        What :func:`scan` (or the XMILE screen) found in the file.
    abstract_model : AbstractModel
        What PySD's translator made of it (its main sections are compared).
    label : str
        The file's name, for the message.
    language : str
        "Vensim" or "XMILE", for the message.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> am = NS(sections=[NS(type="main", elements=[NS(name="y")], subscripts=[])])
    >>> check_parsed([Definition("k", "equation"), Definition("y", "equation")], am, "m.mdl")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gysim.errors.ModelDefinitionError: m.mdl: the file defines 'k' but PySD's Vensim translator lost it ...
    """
    present = set()
    for section in abstract_model.sections:
        if section.type == "main":
            present |= {Definition(e.name, "").key for e in section.elements}
            present |= {Definition(s.name, "").key for s in section.subscripts}
    lost = [d.name for d in definitions if d.key not in present]
    if not lost:
        return
    shown = ", ".join(f"'{n}'" for n in lost[:10]) + (f" and {len(lost) - 10} more"
                                                     if len(lost) > 10 else "")
    them = "it" if len(lost) == 1 else "them"
    if language == "Vensim":
        why = ("PySD's grammar misreads a units field holding a quote (\") or a comment "
               "holding :MACRO: or \\\\\\---///, and swallows the entries after it; look at "
               "the units and comment fields of these elements and the ones just before "
               "them, and remove such text")
    else:
        why = "look for elements PySD does not read (XML nested deeper than it parses)"
    raise ModelDefinitionError(
        f"{label}: the file defines {shown} but PySD's {language} translator lost {them} "
        f"while parsing the file ({len(lost)} of {len(definitions)} definitions); gysim "
        f"refuses rather than build the model without {them}. {why}")
