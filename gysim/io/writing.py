"""Helpers both writers share: field text, fresh names, the time step.

Examples
--------
>>> clean("kg ~ year | total")
'kg - year / total'
"""

from __future__ import annotations

import math
import re

from ..errors import ModelDefinitionError
from ..elements import ModelLike

__all__ = ["DEFAULT_DT", "clean", "units_text", "unique_name", "time_step"]

#: TIME STEP written for a model that has no ``dt`` of its own.
DEFAULT_DT = 0.125


#: Characters no model file may hold: control characters (C0 but tab and line ends,
#: DEL, C1), lone surrogates (not encodable) and the non-characters U+FFFE/U+FFFF
#: (not XML). Tabs and line ends become spaces with the rest of the white space.
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

#: Text that other tools read as structure wherever it stands in a ``.mdl`` file:
#: the sketch marker (everything after it is the diagram) and the macro keywords
#: (PySD cuts the file at ``:MACRO:`` even inside a comment). Each is broken by a space.
_STRUCTURE = (("\\\\\\---///", "\\\\\\--- ///"), ("///---\\\\\\", "/// ---\\\\\\"),
              (":MACRO:", ":MACRO :"), (":END OF MACRO:", ":END OF MACRO :"))


def clean(text: str) -> str:
    """Text for a units or comment field that every reader reads back as one field.

    One line; no ``~`` or ``|`` (Vensim's separators, written ``-`` and
    ``/``); no control characters, lone surrogates or U+FFFE/U+FFFF (dropped);
    the sketch marker ``\\\\\\---///`` and ``:MACRO:`` broken by a space; runs of
    three or more ``"`` spaced out (PySD puts docs in Python docstrings).

    Examples
    --------
    >>> clean("a\\n  b")
    'a b'
    >>> clean(":MACRO: x\\x00y")
    ':MACRO : xy'
    """
    text = " ".join(_UNWRITABLE.sub("", str(text)).replace("~", "-").replace("|", "/").split())
    for bad, good in _STRUCTURE:
        text = text.replace(bad, good)
    return re.sub('"{3,}', lambda run: " ".join(run.group()), text)


def units_text(text: str) -> str:
    """Text for a units field: :func:`clean`, quotes as ``'``, brackets as parentheses.

    PySD reads a ``"`` in a Vensim units field as the start of a quoted name
    (and swallows what follows), and ``[...]`` at its end as the range of values.

    Examples
    --------
    >>> units_text('m"s [per day]')
    "m's (per day)"
    """
    return clean(text).replace('"', "'").replace("[", "(").replace("]", ")")


def unique_name(base: str, model: ModelLike) -> str:
    """``base``, or ``base_2``, ... : a name no element, dimension or label of ``model`` has.

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("m")
    >>> m.param("x_initial", 1.0)
    >>> unique_name("x_initial", m)
    'x_initial_2'
    """
    taken = {n.lower() for n in list(model.elements) + list(model.dimensions)}
    for labels in model.dimensions.values():
        taken.update(x.lower() for x in labels)
    name, k = base, 1
    while name.lower() in taken:
        k += 1
        name = f"{base}_{k}"
    return name


def time_step(model: ModelLike, dt: float | None) -> float:
    """The time step to write: ``dt``, else the model's, else :data:`DEFAULT_DT`.

    Examples
    --------
    >>> import gysim
    >>> time_step(gysim.Model("m"), None), time_step(gysim.Model("m", dt=0.5), None)
    (0.125, 0.5)
    """
    step = dt if dt is not None else (model.dt if model.dt is not None else DEFAULT_DT)
    if isinstance(step, bool) or not isinstance(step, (int, float)) or not step > 0 \
            or not math.isfinite(step):
        raise ModelDefinitionError(f"`dt` must be a positive number, got {step!r}")
    return float(step)
