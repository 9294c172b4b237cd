"""Helpers both writers share: field text, fresh names, the time step.

Examples
--------
>>> clean("kg ~ year | total")
'kg - year / total'
"""

from __future__ import annotations

import math

from ..errors import ModelDefinitionError
from ..elements import ModelLike

__all__ = ["DEFAULT_DT", "clean", "unique_name", "time_step"]

#: TIME STEP written for a model that has no ``dt`` of its own.
DEFAULT_DT = 0.125


def clean(text: str) -> str:
    """Text for a units or comment field: no ``~`` or ``|`` (Vensim's separators), one line.

    Examples
    --------
    >>> clean("a\\n  b")
    'a b'
    """
    return " ".join(str(text).replace("~", "-").replace("|", "/").split())


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
