"""XMILE equation forms PySD's translator does not parse, rewritten in the forms it does.

``MOD`` in any letter case becomes ``mod`` (:func:`lower_mod_operator`) and
``LOOKUP(gf, x)`` becomes ``gf(x)`` (:func:`call_lookups_directly`).

XMILE 1.0 (section 3.3.1) has the infix modulo operator ``MOD``
(``a MOD b``, the remainder of ``a / b``), and its keywords are
case-insensitive. PySD's XMILE grammar accepts the operator only spelled in
lower case, so a Stella or xmutil file with ``(Time - 7) MOD 2`` failed to
parse. :func:`lower_mod_operator` spells the operator ``mod`` in every
``<eqn>``: only a ``MOD`` standing between an operand (a name, a number, a
closing bracket) and the next operand; a variable called ``Mod`` keeps its
name, and ``Time_MOD_x`` (a name with underscores) is one name.

Examples
--------
>>> lower_mod_operator(b"<eqn>(TIME - (7)) MOD (2) &lt; 1</eqn>")
b'<eqn>(TIME - (7)) mod (2) &lt; 1</eqn>'
>>> lower_mod_operator(b"<eqn>Mod + 1</eqn><eqn>a_MOD_b</eqn>")
b'<eqn>Mod + 1</eqn><eqn>a_MOD_b</eqn>'
"""

from __future__ import annotations

import re

__all__ = ["lower_mod_operator", "call_lookups_directly"]

_EQN = re.compile(rb"(<eqn\b[^>]*>)(.*?)(</eqn>)", re.DOTALL)
#: MOD after an operand's end and before an operand's start, with spacing around it
_MOD = re.compile(rb"""(?<=[\w\)\]"'.])(\s+)MOD(\s+)(?=[\w\(\["'.+-])""", re.IGNORECASE)


#: XMILE's LOOKUP(<graphical function>, <x>): the start of the call, up to the comma
_LOOKUP = re.compile(rb"""\bLOOKUP\s*\(\s*([A-Za-z_][\w.]*|"[^"]*")\s*,\s*""", re.IGNORECASE)


def call_lookups_directly(data: bytes) -> bytes:
    """``LOOKUP(gf, x)`` (XMILE 1.0's application of a graphical function) written
    ``gf(x)`` in every ``<eqn>``; PySD's translator fails on the first form.

    Examples
    --------
    >>> call_lookups_directly(b"<eqn>2 * LOOKUP(my_gf, TIME + 1)</eqn>")
    b'<eqn>2 * my_gf(TIME + 1)</eqn>'
    """
    def one(match: re.Match) -> bytes:
        return match.group(1) + _LOOKUP.sub(rb"\1(", match.group(2)) + match.group(3)
    return _EQN.sub(one, data)


def lower_mod_operator(data: bytes) -> bytes:
    """``data`` (an XMILE document) with the MOD operator of every ``<eqn>`` as ``mod``.

    Examples
    --------
    >>> lower_mod_operator(b"<eqn>x Mod 3</eqn>")
    b'<eqn>x mod 3</eqn>'
    """
    def one(match: re.Match) -> bytes:
        return match.group(1) + _MOD.sub(rb"\1mod\2", match.group(2)) + match.group(3)
    return _EQN.sub(one, data)
