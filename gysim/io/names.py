"""Names: how the readers turn a file's names into gysim identifiers and refer to them.

PySD's translators fold case and spacing in references (:func:`reference_key`);
gysim elements need Python identifiers (:func:`safe_identifier`). Vensim's
missing value ``:NA:`` is a number (:data:`VENSIM_NA`), and the control
variables INITIAL TIME, FINAL TIME, TIME STEP and SAVEPER become the model's
``start``, ``stop``, ``dt`` and ``saveper`` (:data:`CONTROL`).

Examples
--------
>>> from gysim.io.names import reference_key, safe_identifier
>>> reference_key("Birth  Rate"), safe_identifier("Birth Rate", set())
('birth_rate', 'birth_rate')
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path

from ..builtins import RESERVED_NAMES
from ..errors import ModelDefinitionError

__all__ = ["VENSIM_NA", "CONTROL", "reference_key", "safe_identifier", "shown_name",
           "unsupported"]

#: The number Vensim gives its missing value ``:NA:`` (-2**109, Vensim's documentation).
#: Vensim computes with it like any number (so ``x = :NA:`` tests work) and shows
#: it as a blank in tables and exported output.
VENSIM_NA = -2.0 ** 109

#: Vensim/XMILE control variables, by the key PySD gives their references.
CONTROL = {"initial_time": "start", "final_time": "stop", "time_step": "dt", "saveper": "saveper"}


def reference_key(name: str) -> str:
    """The key PySD's translators give references to an element (case and spacing folded).

    Examples
    --------
    >>> reference_key("Birth  Rate")
    'birth_rate'
    """
    return re.sub(r"[\s_]+", "_", name.strip().lower())


def safe_identifier(name: str, taken: set[str]) -> str:
    """A gysim element name for an original (Vensim/XMILE) name, unique within ``taken``.

    Lower case; every run of characters that are not letters, digits or
    underscores becomes one ``_``; a leading digit gets a ``v_`` prefix;
    Python keywords and gysim's reserved names get a trailing ``_``; clashes
    get ``_2``, ``_3``, ... The name returned is added to ``taken``.

    Examples
    --------
    >>> safe_identifier('"Flow*with a few^arithmetic"', set())
    'flow_with_a_few_arithmetic'
    >>> safe_identifier("import", set())
    'import_'
    >>> safe_identifier("Stock A", {"stock_a"})
    'stock_a_2'
    """
    ident = re.sub(r"\W+", "_", name.lower(), flags=re.ASCII).strip("_")
    ident = re.sub(r"_+", "_", ident)
    if not ident:
        ident = "v"
    if ident[0].isdigit():
        ident = "v_" + ident
    if keyword.iskeyword(ident) or ident in RESERVED_NAMES:
        ident += "_"
    base, i = ident, 2
    while ident in taken:
        ident = f"{base}_{i}"
        i += 1
    taken.add(ident)
    return ident


def shown_name(name: str, labels: tuple[str, ...]) -> str:
    """The file's name of one element of a subscripted variable (``'x[a,b]'``).

    Examples
    --------
    >>> shown_name("Stock A", ("Entry 1",)), shown_name("Stock A", ())
    ('Stock A[Entry 1]', 'Stock A')
    """
    return f"{name}[{','.join(labels)}]" if labels else name


def unsupported(path: Path, language: str, construct: str, element: str) -> ModelDefinitionError:
    """The readers' error for a construct they do not read, naming the element.

    Examples
    --------
    >>> from pathlib import Path
    >>> print(unsupported(Path("m.mdl"), "Vensim", "SAMPLE IF TRUE", "x"))
    m.mdl: SAMPLE IF TRUE in element 'x' is not supported by gysim's Vensim reader
    """
    return ModelDefinitionError(
        f"{path.name}: {construct} in element '{element}' is not supported by "
        f"gysim's {language} reader")
