"""Vensim's time functions that read as gysim expressions of ``time``.

* ``TIME BASE(start, slope)`` is ``start + Time * slope`` (Vensim's definition; it
  also marks its variable as a time base, which only labels output).
* ``GET TIME VALUE(relativeto, offset, measure)``: with ``relativeto`` 0 (the
  current simulation time) and ``measure`` 0 (in the model's units of time) it is
  ``Time + offset``. The other cases are refused by name: ``relativeto`` 1 (the
  initial time: the reference's own implementations disagree on it), 2 (the
  computer's clock: not reproducible) and the calendar measures 1-10 (they depend
  on the date labelling of Vensim's settings, which the model file does not carry
  in a form gysim reads).

Examples
--------
>>> from types import SimpleNamespace as NS
>>> from gysim.expr import Const, to_text
>>> conv = NS(conv=lambda a, owner: Const(float(a)), fail=lambda what, owner: ValueError(what))
>>> to_text(time_call(conv, "get_time_value", [0, 2.5, 0], "y"))
'time + 2.5'
>>> to_text(time_call(conv, "time_base", [1970, 0.5], "y"))
'1970 + time * 0.5'
"""

from __future__ import annotations

from typing import Any

from ..expr import BinOp, Const, Name, Node

__all__ = ["CALLS", "time_call"]

#: The functions this module reads (PySD's keys) and their numbers of arguments.
CALLS = {"get_time_value": 3, "time_base": 2}


def time_call(converter: Any, fname: str, arguments: list, owner: str) -> Node:
    """The gysim expression of a call of one of :data:`CALLS` (``converter`` converts
    the arguments and makes the refusals)."""
    shown = fname.upper().replace("_", " ")
    if len(arguments) != CALLS[fname]:
        raise converter.fail(f"{shown} with {len(arguments)} arguments (it takes "
                             f"{CALLS[fname]})", owner)
    args = [converter.conv(a, owner) for a in arguments]
    if fname == "time_base":
        return BinOp("+", args[0], BinOp("*", Name("time"), args[1]))
    relativeto, offset, measure = args
    if not (isinstance(relativeto, Const) and isinstance(measure, Const)):
        raise converter.fail(f"{shown} whose relativeto and measure are not numbers", owner)
    if relativeto.value != 0:
        why = {1: "relative to the initial time", 2: "of the computer's clock"}.get(
            relativeto.value, f"with relativeto = {relativeto.value:g}")
        raise converter.fail(f"{shown} {why} (gysim reads relativeto 0, the simulation "
                             f"time)", owner)
    if measure.value != 0:
        raise converter.fail(f"{shown} with the calendar measure {measure.value:g} (gysim "
                             f"reads measure 0, time in the model's units)", owner)
    if isinstance(offset, Const) and offset.value == 0:
        return Name("time")
    return BinOp("+", Name("time"), offset)
