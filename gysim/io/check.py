"""Check a Vensim or XMILE file: every construct gysim's reader cannot take, in one pass.

:func:`check_model` parses the file once with PySD's translator, then
converts every element separately, recording each one gysim refuses instead
of stopping at the first (as :func:`gysim.read_vensim` does). Each
:class:`Finding` names the construct in the file's own spelling (``RANDOM
PINK NOISE``, not PySD's ``random_pink_noise``), the element, and the line of
the file where it appears.

Examples
--------
>>> import tempfile
>>> f = Path(tempfile.mkdtemp()) / "m.mdl"
>>> _ = f.write_text("{UTF-8}\\nclock = GET TIME VALUE(2, 0, 0) ~ ~|\\n"
...                  "x = 1 ~~|\\nd: (e1-e2) ~~|\\n"
...                  "past = GET DATA BETWEEN TIMES(x, 0, 0) ~ ~|\\n"
...                  "INITIAL TIME = 0 ~ ~|\\nFINAL TIME = 2 ~ ~|\\nTIME STEP = 1 ~ ~|\\n")
>>> report = check_model(f)
>>> [(x.line, x.construct, x.element) for x in report.findings]
[(2, "GET TIME VALUE of the computer's clock (gysim reads relativeto 0, the simulation time)", 'clock'), (5, 'GET DATA BETWEEN TIMES', 'past')]
"""

from __future__ import annotations

import math
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ..errors import GysimError, ModelDefinitionError
from ..expr import Const, Node
from . import mdl_scan
from .build import ModelBuilder
from .macros import expand_macros
from .names import reference_key
from .reading import TRANSLATOR_RECURSION_LIMIT

__all__ = ["Finding", "CheckReport", "check_model"]

_FUNCTION = re.compile(r"([A-Za-z][A-Za-z0-9_ ]*?)\s*\(")
_CONSTRUCT_OF = re.compile(r"^the function ([A-Za-z0-9_ ]+)$")


@dataclass(frozen=True)
class Finding:
    """One construct the reader cannot take.

    Attributes
    ----------
    line : int or None
        Line of the file (from 1) where it appears; None when unknown.
    construct : str
        The construct, spelled as in the file (``"RANDOM PINK NOISE"``).
    element : str
        The element holding it (``''`` for the file as a whole).
    message : str
        The reader's explanation.
    """

    line: int | None
    construct: str
    element: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        what = f"{self.construct} in '{self.element}'" if self.element else self.construct
        return f"{where}: {what}: {self.message}"


@dataclass
class CheckReport:
    """What :func:`check_model` found in one file.

    Attributes
    ----------
    path : pathlib.Path
    language : {"Vensim", "XMILE"}
    findings : list of Finding
        In the order of the file (findings without a line first).
    """

    path: Path
    language: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when gysim reads every construct of the file."""
        return not self.findings

    def __len__(self) -> int:
        return len(self.findings)

    def __iter__(self):
        return iter(self.findings)

    def __str__(self) -> str:
        if self.ok:
            return f"{self.path.name}: gysim's {self.language} reader takes every construct"
        head = (f"{self.path.name}: {len(self.findings)} construct(s) gysim's {self.language} "
                f"reader cannot take")
        return "\n".join([head] + [f"  {finding}" for finding in self.findings])


class _TextIndex:
    """Where each element of the file is defined and how the file spells its functions."""

    def __init__(self, text: str, language: str) -> None:
        self.lines: dict[str, tuple[int, str]] = {}  # element key -> (first line, its text)
        self.spelling: dict[str, str] = {}           # function key -> spelling in the file
        if language == "Vensim":
            self._vensim(text)
        else:
            self._xmile(text)

    def _vensim(self, text: str) -> None:
        model = text.split(mdl_scan._SKETCH, 1)[0]
        declared = re.match(r"\s*\{[^}]*\}", model)
        for start, equation in _equation_fields(model, declared.end() if declared else 0):
            flat = " ".join(re.sub(r"\\\r?\n", " ", equation).split())
            definition = mdl_scan._definition(flat)
            if definition is not None:
                self.lines.setdefault(definition.key, (model.count("\n", 0, start) + 1, equation))
            for found in _FUNCTION.finditer(mdl_scan._QUOTED.sub('""', equation)):
                spelled = " ".join(found.group(1).split())
                self.spelling.setdefault(reference_key(spelled), spelled)

    def _xmile(self, text: str) -> None:
        for found in re.finditer(r"""<(\w+)\s+name\s*=\s*["']([^"']*)["']""", text):
            key = reference_key(" ".join(found.group(2).replace("\\n", " ").split()))
            end = text.find("</" + found.group(1), found.end())
            body = text[found.end():end if end > 0 else found.end()]
            self.lines.setdefault(key, (text.count("\n", 0, found.start()) + 1, body))
        for found in _FUNCTION.finditer(text):
            spelled = " ".join(found.group(1).split())
            self.spelling.setdefault(reference_key(spelled), spelled)

    def locate(self, element: str, construct: str) -> int | None:
        """The line of ``construct`` in ``element``'s definition (else of the definition)."""
        key = mdl_scan.Definition(element.split("[", 1)[0] if not element.startswith('"')
                                  else element, "").key
        first, body = self.lines.get(key, (None, ""))
        if first is None:
            return None
        words = construct.split()
        if words:
            pattern = r"\s*(?:\\\s*)?".join(re.escape(w) for w in words)
            found = re.search(pattern, body, flags=re.IGNORECASE)
            if found:
                return first + body.count("\n", 0, found.start())
        return first


def _equation_fields(text: str, pos: int) -> list[tuple[int, str]]:
    """(offset, text) of the equation field of each entry (as :mod:`~gysim.io.mdl_scan` reads).

    Quotes count in the equation field only: units and comments may hold one.
    """
    out = []
    start, field = pos, 0
    while True:
        found = (mdl_scan._SPECIAL_EQUATION if field == 0
                 else mdl_scan._SPECIAL_FIELD).search(text, pos)
        if found is None:
            break
        char, pos = found.group(), found.end()
        if char == '"':
            rest = mdl_scan._QUOTED_REST.match(text, pos)
            pos = rest.end() if rest else len(text)
            continue
        if field == 0:
            body = text[start:found.start()]
            stripped = body.lstrip()
            out.append((start + len(body) - len(stripped), stripped))
        if char == "~":
            field += 1
        else:
            field, start = 0, pos
    return out


class _Checker(ModelBuilder):
    """The model builder, recording each element's refusal instead of stopping."""

    def __init__(self, *args: Any) -> None:
        self.refused: list[tuple[str, str, str]] = []  # (element, construct, message)
        self._last_construct = ""
        super().__init__(*args)

    def fail(self, construct: str, element: str) -> ModelDefinitionError:
        self._last_construct = construct
        return super().fail(construct, element)

    def unknown_function(self, fname: str, owner: str) -> Node:
        construct = f"the function {self.spelled(fname)}"
        message = _message(self.fail(construct, owner), self.path)
        self.refused.append((self._element, construct, message))
        return Const(math.nan)  # read on: the element's other calls are checked too

    def collect_one(self, ident: str) -> None:
        self._last_construct = ""
        self._element = self.comp_of[ident][0].name
        try:
            super().collect_one(ident)
        except GysimError as err:
            self.refused.append((self._element, self._last_construct, _message(err, self.path)))


def _message(err: BaseException, path: Path) -> str:
    text = " ".join(str(err).split())
    prefix = f"{path.name}: "
    return text[len(prefix):] if text.startswith(prefix) else text


def _construct(raw: str, index: _TextIndex) -> str:
    """A construct named by the reader, in the file's spelling."""
    found = _CONSTRUCT_OF.match(raw)
    if found:
        key = reference_key(found.group(1))
        return index.spelling.get(key, found.group(1).upper().replace("_", " "))
    return raw


def _translate(path: Path, text: str, language: str) -> Any:
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, TRANSLATOR_RECURSION_LIMIT))
    try:
        with tempfile.TemporaryDirectory(prefix="gysim-check-") as tmp:
            copy = Path(tmp) / (path.stem + path.suffix.lower())
            if language == "Vensim":
                from pysd.translators.vensim.vensim_file import VensimFile
                copy.write_text(text, encoding="utf-8")
                vfile = VensimFile(copy, encoding="UTF-8")
                vfile.parse()
                return vfile.get_abstract_model()
            from pysd.translators.xmile.xmile_file import XmileFile
            from .safe_xml import screen_xml
            copy.write_bytes(screen_xml(path, name=path.name).utf8())
            xfile = XmileFile(copy)
            xfile.parse()
            return xfile.get_abstract_model()
    finally:
        sys.setrecursionlimit(limit)


def check_model(path: str | Path) -> CheckReport:
    """Every construct of a Vensim/XMILE file that gysim's reader cannot take.

    The file is parsed once by PySD's translator (as by
    :func:`gysim.read_vensim` / :func:`gysim.read_xmile`); then each element
    is converted on its own, so that one report lists all refusals: unknown
    or unsupported functions (``RANDOM PINK NOISE``, ``INVERT MATRIX``),
    unsupported structures (``SAMPLE IF TRUE``, ``ALLOCATE AVAILABLE`` of a
    profile other than 1-4, data variables), macros gysim cannot expand
    (:mod:`gysim.io.macros`), control variables that
    are not constant, references to elements the file does not define, and
    elements PySD's translator lost.
    A file PySD cannot parse at all gives one finding with its message.

    Parameters
    ----------
    path : str or pathlib.Path
        A Vensim ``.mdl`` or XMILE ``.xmile``/``.xml``/``.stmx`` file.

    Returns
    -------
    CheckReport
        ``report.ok`` is True when the file reads; ``report.findings`` lists
        :class:`Finding` (line, construct, element, message).

    Raises
    ------
    ModelDefinitionError
        When ``path`` is not an existing model file.

    Examples
    --------
    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "ok.mdl"
    >>> _ = f.write_text("{UTF-8}\\nx = 1 ~ ~|\\nINITIAL TIME = 0 ~ ~|\\n"
    ...                  "FINAL TIME = 2 ~ ~|\\nTIME STEP = 1 ~ ~|\\n")
    >>> check_model(f).ok
    True
    """
    path = Path(path)
    if not path.is_file():
        raise ModelDefinitionError(f"`path` must be an existing model file, got '{path}'")
    suffix = path.suffix.lower()
    if suffix not in (".mdl", ".xmile", ".xml", ".stmx"):
        raise ModelDefinitionError(f"`path` must be a Vensim .mdl or an XMILE .xmile/.xml/.stmx "
                                   f"file, got '{path.name}'")
    language = "Vensim" if suffix == ".mdl" else "XMILE"
    report = CheckReport(path, language)
    add = report.findings.append
    try:
        if language == "Vensim":
            text = mdl_scan.read_text(path)
            declared = mdl_scan.scan(text, path.name)
        else:
            text = path.read_bytes().decode("utf-8", errors="replace")
            declared = []
    except ModelDefinitionError as err:
        add(Finding(None, "the file", "", _message(err, path)))
        return report
    index = _TextIndex(text, language)
    try:
        abstract = _translate(path, text, language)
    except GysimError as err:
        add(Finding(None, "the file", "", _message(err, path)))
        return report
    except RecursionError:
        add(Finding(None, "the file", "", "an equation nests too deeply for PySD's parser"))
        return report
    except Exception as exc:  # PySD's own parse errors, of any type
        add(Finding(None, "the file", "", f"PySD's {language} translator could not parse the "
                                          f"file: {' '.join(str(exc).split()) or type(exc)}"))
        return report
    try:
        mdl_scan.check_parsed(declared, abstract, path.name, language)
    except ModelDefinitionError as err:
        add(Finding(None, "lost elements", "", _message(err, path)))
    try:
        main = SimpleNamespace(sections=[expand_macros(abstract.sections, path.name)])
    except ModelDefinitionError as err:
        add(Finding(None, ":MACRO:", "", _message(err, path)))
        return _sorted(report)
    try:
        checker = _Checker(main, path, language)
        checker.collect()
    except GysimError as err:
        add(Finding(None, "the subscripts", "", _message(err, path)))
        return _sorted(report)
    seen = set()
    for element, raw, message in checker.refused:
        construct = _construct(raw, index) if raw else "a reference or definition"
        if (element, construct) in seen:
            continue  # one finding per element and construct (not per subscript element)
        seen.add((element, construct))
        if raw.startswith("the function ") and construct != raw:
            message = message.replace(raw, "the function " + construct)
        add(Finding(index.locate(element, construct), construct, element, message))
    try:
        checker._control_values()
    except GysimError as err:
        message = _message(err, path)
        name = next((n for n in ("INITIAL TIME", "FINAL TIME", "TIME STEP", "SAVEPER")
                     if n in message), "")
        add(Finding(index.locate(name, "") if name else None, "a control variable", name,
                    message))
    return _sorted(report)


def _sorted(report: CheckReport) -> CheckReport:
    report.findings.sort(key=lambda f: (f.line is not None, f.line or 0))
    return report
