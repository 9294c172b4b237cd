"""XMILE's ``MOD`` operator in any letter case, for PySD's translator.

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

__all__ = ["lower_mod_operator"]

_EQN = re.compile(rb"(<eqn\b[^>]*>)(.*?)(</eqn>)", re.DOTALL)
#: MOD after an operand's end and before an operand's start, with spacing around it
_MOD = re.compile(rb"""(?<=[\w\)\]"'.])(\s+)MOD(\s+)(?=[\w\(\["'.+-])""", re.IGNORECASE)


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
