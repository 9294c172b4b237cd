"""Small text helpers shared by every layer: name suggestions and number formatting.

This module imports nothing from gysim, so any module may use it.

Examples
--------
>>> from gysim._text import format_number, suggest
>>> suggest("birth_rat", ["birth_rate", "inflow"])
"; did you mean 'birth_rate'?"
>>> format_number(2.0), format_number(0.25)
('2', '0.25')
"""

from __future__ import annotations

import difflib
import unicodedata
from typing import Iterable

__all__ = ["format_number", "nfkc", "suggest"]


def nfkc(name: str) -> str:
    """A name in NFKC normal form: the form in which Python compares identifiers.

    Python reads ``ｘ`` (fullwidth), ``𝐱`` (mathematical bold) and ``x`` as one
    identifier; gysim stores every name in this form so that they are one name
    in models too.

    Examples
    --------
    >>> nfkc("\uff58"), nfkc("\ufb01nance"), nfkc("gdp")
    ('x', 'finance', 'gdp')
    """
    return unicodedata.normalize("NFKC", name)


def suggest(name: str, candidates: Iterable[str], *, cutoff: float = 0.6) -> str:
    """A ``"; did you mean ...?"`` hint for a misspelt name ('' if none is close).

    Parameters
    ----------
    name : str
        What the user wrote.
    candidates : iterable of str
        The names that exist.
    cutoff : float
        How close a candidate must be (0 to 1, :func:`difflib.get_close_matches`).

    Returns
    -------
    str
        The hint, to append to an error message, or an empty string.

    Examples
    --------
    >>> suggest("birth_rat", ["birth_rate", "inflow"])
    "; did you mean 'birth_rate'?"
    >>> suggest("MIN", ["min", "max"])
    "; did you mean 'min'?"
    >>> suggest("zzz", ["birth_rate"])
    ''
    """
    candidates = list(candidates)
    # another tool's spelling of the same name (Vensim's MIN, SMOOTH): case alone differs
    close = [c for c in candidates if c.lower() == name.lower() and c != name][:3]
    close = close or difflib.get_close_matches(name, candidates, n=3, cutoff=cutoff)
    if not close:
        return ""
    return "; did you mean " + " or ".join(f"'{c}'" for c in close) + "?"


def format_number(value: float) -> str:
    """A number as equation text: integers without a decimal point, others by ``repr``.

    Examples
    --------
    >>> format_number(3.0), format_number(-1e20), format_number(0.1)
    ('3', '-1e+20', '0.1')
    """
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)
