"""The elements of a model: immutable records of stocks, flows, parameters...

Each element is a frozen dataclass holding its name, its parsed equation (or
value, table or series), units, a doc line and a source. :class:`gysim.Model`
creates them; nothing changes them afterwards. The validators below check the
numbers, bounds and tables the builder receives.

Examples
--------
>>> from gysim.elements import Param
>>> Param("birth_rate", 0.013, units="1/year", bounds=(0.008, 0.02)).equation
'0.013'
"""

from __future__ import annotations

import keyword
import math
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Mapping, Protocol, runtime_checkable

import numpy as np

from ._text import nfkc, suggest
from .errors import DataError, ModelDefinitionError, ParameterError
from .expr import Node, to_text

__all__ = ["Stock", "Flow", "Aux", "Param", "Lookup", "DataInput", "Scenario", "ModelLike",
           "check_number", "check_bounds", "check_table", "check_name", "same_name",
           "normal_keys", "freeze", "named_zh", "short_field"]


def freeze(array: np.ndarray) -> tuple:
    """Nested tuples of floats from an array (hashable, printable).

    Examples
    --------
    >>> freeze(np.array([[1, 2], [3, 4]]))
    ((1.0, 2.0), (3.0, 4.0))
    """
    if array.ndim == 1:
        return tuple(float(v) for v in array)
    return tuple(freeze(a) for a in array)


@dataclass(frozen=True)
class Stock:
    """A stock (level): integrates its inflows minus its outflows."""

    name: str
    initial: Node
    units: str = ""
    doc: str = ""
    source: str = ""
    dims: tuple[str, ...] = ()
    kind: str = field(default="stock", init=False)
    #: The element's name in Chinese (results carry it as the attr ``long_name_zh``);
    #: keyword-only, so that the positional fields keep their places.
    long_name_zh: str = field(default="", kw_only=True)
    #: Short names for tight spaces (tick labels, legends), English and Chinese
    #: (:meth:`gysim.Model.set_short_names`); labels, like ``long_name_zh``.
    short_name: str = field(default="", kw_only=True)
    short_name_zh: str = field(default="", kw_only=True)

    #: Initial values by element (nested tuples, dims in model order) or None.
    values: tuple | None = None

    @cached_property
    def equation(self) -> str:
        """The initial value as text."""
        return repr(self.values) if self.values is not None else to_text(self.initial)


@dataclass(frozen=True)
class Flow:
    """A rate moving material into and/or out of stocks."""

    name: str
    tree: Node
    into: str | None = None
    out_of: str | None = None
    units: str = ""
    doc: str = ""
    source: str = ""
    dims: tuple[str, ...] = ()
    kind: str = field(default="flow", init=False)
    #: The element's name in Chinese (results carry it as the attr ``long_name_zh``);
    #: keyword-only, so that the positional fields keep their places.
    long_name_zh: str = field(default="", kw_only=True)
    #: Short names for tight spaces (tick labels, legends), English and Chinese
    #: (:meth:`gysim.Model.set_short_names`); labels, like ``long_name_zh``.
    short_name: str = field(default="", kw_only=True)
    short_name_zh: str = field(default="", kw_only=True)

    @cached_property
    def equation(self) -> str:
        """The equation as text."""
        return to_text(self.tree)


@dataclass(frozen=True)
class Aux:
    """An auxiliary: a named expression of other elements."""

    name: str
    tree: Node
    units: str = ""
    doc: str = ""
    source: str = ""
    dims: tuple[str, ...] = ()
    kind: str = field(default="aux", init=False)
    #: The element's name in Chinese (results carry it as the attr ``long_name_zh``);
    #: keyword-only, so that the positional fields keep their places.
    long_name_zh: str = field(default="", kw_only=True)
    #: Short names for tight spaces (tick labels, legends), English and Chinese
    #: (:meth:`gysim.Model.set_short_names`); labels, like ``long_name_zh``.
    short_name: str = field(default="", kw_only=True)
    short_name_zh: str = field(default="", kw_only=True)

    @cached_property
    def equation(self) -> str:
        """The equation as text."""
        return to_text(self.tree)


@dataclass(frozen=True)
class Param:
    """A parameter: a number a run, a calibration or a study may change."""

    name: str
    value: float | tuple
    units: str = ""
    bounds: tuple[float, float] | None = None
    doc: str = ""
    source: str = ""
    dims: tuple[str, ...] = ()
    kind: str = field(default="param", init=False)
    #: The element's name in Chinese (results carry it as the attr ``long_name_zh``);
    #: keyword-only, so that the positional fields keep their places.
    long_name_zh: str = field(default="", kw_only=True)
    #: Short names for tight spaces (tick labels, legends), English and Chinese
    #: (:meth:`gysim.Model.set_short_names`); labels, like ``long_name_zh``.
    short_name: str = field(default="", kw_only=True)
    short_name_zh: str = field(default="", kw_only=True)

    @cached_property
    def equation(self) -> str:
        """The value as text."""
        return repr(self.value)


@dataclass(frozen=True)
class Lookup:
    """A graphical function ``y(x)``: linear interpolation, clamped at the ends."""

    name: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    units: str = ""
    doc: str = ""
    source: str = ""
    kind: str = field(default="lookup", init=False)
    #: The element's name in Chinese (results carry it as the attr ``long_name_zh``);
    #: keyword-only, so that the positional fields keep their places.
    long_name_zh: str = field(default="", kw_only=True)
    #: Short names for tight spaces (tick labels, legends), English and Chinese
    #: (:meth:`gysim.Model.set_short_names`); labels, like ``long_name_zh``.
    short_name: str = field(default="", kw_only=True)
    short_name_zh: str = field(default="", kw_only=True)

    @cached_property
    def equation(self) -> str:
        """The table as text."""
        return "lookup(" + ", ".join(f"({a:g}, {b:g})" for a, b in zip(self.x, self.y)) + ")"


@dataclass(frozen=True)
class DataInput:
    """A time-series input: values given at times, interpolated linearly."""

    name: str
    times: tuple[float, ...]
    values: tuple[float, ...]
    units: str = ""
    doc: str = ""
    source: str = ""
    kind: str = field(default="data", init=False)
    #: The element's name in Chinese (results carry it as the attr ``long_name_zh``);
    #: keyword-only, so that the positional fields keep their places.
    long_name_zh: str = field(default="", kw_only=True)
    #: Short names for tight spaces (tick labels, legends), English and Chinese
    #: (:meth:`gysim.Model.set_short_names`); labels, like ``long_name_zh``.
    short_name: str = field(default="", kw_only=True)
    short_name_zh: str = field(default="", kw_only=True)

    @cached_property
    def equation(self) -> str:
        """The series as text."""
        return "data(" + ", ".join(f"{a:g}: {b:g}" for a, b in zip(self.times, self.values)) + ")"


@runtime_checkable
class ModelLike(Protocol):
    """What the layers below :class:`gysim.Model` (units, the compiler) read of a model.

    They take any object with these attributes, so they never import the
    builder itself.

    Examples
    --------
    >>> import gysim
    >>> isinstance(gysim.Model("m"), ModelLike)
    True
    """

    name: str
    start: float
    stop: float
    time_units: str

    @property
    def elements(self) -> Mapping[str, Any]: ...

    @property
    def dimensions(self) -> Mapping[str, tuple[str, ...]]: ...

    @property
    def lookups(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class Scenario:
    """A named set of parameter (or stock initial value) overrides."""

    name: str
    overrides: Mapping[str, float]
    doc: str = ""


def check_number(value: Any, what: str) -> float:
    """A finite real number as a float, or a :class:`ParameterError` naming ``what``.

    Parameters
    ----------
    value : Any
        The value received.
    what : str
        How the error message names it, e.g. ``"`dt`"``.

    Returns
    -------
    float

    Raises
    ------
    ParameterError
        If ``value`` is not a real number (booleans are not) or is not finite.

    Examples
    --------
    >>> check_number(2, "`dt`")
    2.0
    >>> check_number(float("nan"), "`dt`")
    Traceback (most recent call last):
    ...
    gysim.errors.ParameterError: `dt` must be finite, got nan
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ParameterError(f"{what} must be a number, got {value!r}")
    try:
        value = float(value)
    except OverflowError:  # an int beyond the range of floats
        raise ParameterError(f"{what} must be finite, got an integer of {len(str(value))} "
                             f"digits, beyond the range of floating-point numbers") from None
    if not math.isfinite(value):
        raise ParameterError(f"{what} must be finite, got {value!r}")
    return value


def check_bounds(bounds: Any, name: str) -> tuple[float, float] | None:
    """A parameter's bounds as ``(low, high)`` floats (None stays None; a None end is infinite).

    Examples
    --------
    >>> check_bounds((0, None), "k")
    (0.0, inf)
    """
    if bounds is None:
        return None
    try:
        lo, hi = bounds
    except (TypeError, ValueError):
        raise ParameterError(f"`bounds` of parameter '{name}' must be a pair (low, high), "
                             f"got {bounds!r}") from None
    lo = check_number(lo, f"lower bound of parameter '{name}'") if lo is not None else -math.inf
    hi = check_number(hi, f"upper bound of parameter '{name}'") if hi is not None else math.inf
    if lo > hi:
        raise ParameterError(f"`bounds` of parameter '{name}' must have low <= high, got {bounds!r}")
    return (lo, hi)


#: Most points a lookup table or data series may have (a model holds each point as a
#: Python number and hashes it at full precision; longer series belong in data files).
MAX_TABLE_POINTS = 1_000_000


def check_table(x: Any, y: Any, what: str, axis: str = "x") -> tuple[tuple, tuple]:
    """The points of a lookup or data series as two tuples of floats, checked.

    Both must be 1-D, of the same length, finite, with ``x`` strictly increasing.

    Examples
    --------
    >>> check_table([0, 1], [5, 6], "lookup 'tab'")
    ((0.0, 1.0), (5.0, 6.0))
    """
    try:
        xs = np.asarray(x, dtype=float)
        ys = np.asarray(y, dtype=float)
    except (TypeError, ValueError):
        raise DataError(f"{what}: {axis} and y must be sequences of numbers") from None
    if xs.ndim != 1 or ys.ndim != 1 or xs.size != ys.size:
        raise DataError(f"{what}: {axis} and y must be 1-D and of the same length, "
                        f"got {xs.size} and {ys.size} values")
    if xs.size == 0:
        raise DataError(f"{what} has no points")
    if xs.size > MAX_TABLE_POINTS:
        raise DataError(f"{what} has {xs.size} points; a table may have at most "
                        f"{MAX_TABLE_POINTS} (gysim.elements.MAX_TABLE_POINTS): thin it, or "
                        f"raise that limit if you must")
    if not (np.isfinite(xs).all() and np.isfinite(ys).all()):
        bad = xs[~(np.isfinite(xs) & np.isfinite(ys))]
        raise DataError(f"{what} has missing or non-finite values at {axis} = {bad.tolist()}")
    if xs.size > 1 and not (np.diff(xs) > 0).all():
        i = int(np.argmax(np.diff(xs) <= 0))
        raise DataError(f"{what}: {axis} must be strictly increasing, but {xs[i]:g} is "
                        f"followed by {xs[i + 1]:g}")
    return tuple(xs.tolist()), tuple(ys.tolist())


def check_name(name: Any, what: str) -> str:
    """``name`` as a model stores it: a Python identifier in NFKC normal form.

    Python compares identifiers in NFKC normal form (``ｘ`` and ``x`` are one
    name in an equation and in generated code), so models do too: the name
    must be an identifier as written, and is returned normalised.

    Parameters
    ----------
    name : Any
        The name received.
    what : str
        How the error message names it, e.g. ``"element name"``.

    Raises
    ------
    ModelDefinitionError
        If it is not an identifier, is a keyword or starts with an underscore.

    Examples
    --------
    >>> check_name("\uff47\uff44\uff50", "element name")
    'gdp'
    >>> check_name("2x", "element name")
    Traceback (most recent call last):
    ...
    gysim.errors.ModelDefinitionError: element name '2x' must be a Python identifier (letters, digits, underscores; not starting with a digit; not a keyword)
    """
    normal = nfkc(name) if isinstance(name, str) else None
    if normal is None or not name.isidentifier() or not normal.isidentifier() \
            or keyword.iskeyword(normal):
        raise ModelDefinitionError(
            f"{what} {name!r} must be a Python identifier (letters, digits, underscores; "
            f"not starting with a digit; not a keyword)")
    if normal.startswith("_"):
        raise ModelDefinitionError(f"{what} {name!r} must not start with an underscore")
    return normal


def same_name(name: str, other: str) -> str:
    """A note for messages when two different spellings are one name ('' when equal).

    Examples
    --------
    >>> same_name("\uff58", "x")
    " ('ｘ' and 'x' are the same name: Python reads both as 'x', their NFKC normal form)"
    """
    if name == other:
        return ""
    return (f" ({name!r} and {other!r} are the same name: Python reads both as "
            f"{nfkc(name)!r}, their NFKC normal form)")


def normal_keys(values: Mapping, where: str) -> dict:
    """A mapping keyed by element names in NFKC form; two spellings of one name are refused.

    Examples
    --------
    >>> normal_keys({"\uff4b": 1.0}, "with_params")
    {'k': 1.0}
    """
    out: dict = {}
    written: dict = {}
    for key, value in values.items():
        normal = nfkc(key) if isinstance(key, str) else key
        if normal in out:
            raise ParameterError(f"{where} sets '{normal}' twice{same_name(written[normal], key)}")
        out[normal], written[normal] = value, key
    return out


#: The name fields a table of names may set, and the method that sets each.
NAME_FIELDS = {"long_name_zh": "set_names_zh", "short_name": "set_short_names",
               "short_name_zh": "set_short_names"}


def short_field(lang: Any) -> str:
    """The field of a short name in `lang`: ``short_name`` ("en") or ``short_name_zh`` ("zh").

    Examples
    --------
    >>> short_field("zh")
    'short_name_zh'
    >>> short_field("fr")
    Traceback (most recent call last):
    ...
    gysim.errors.ModelDefinitionError: set_short_names: `lang` must be 'en' or 'zh', got 'fr'
    """
    if lang not in ("en", "zh"):
        raise ModelDefinitionError(f"set_short_names: `lang` must be 'en' or 'zh', got {lang!r}")
    return "short_name" if lang == "en" else "short_name_zh"


def named_zh(elements: Mapping[str, Any], names: Any, *, strict: bool = True,
             field: str = "long_name_zh") -> dict[str, Any]:
    """The elements given a name by `names`, ``{name: element}``, checked.

    The logic of :meth:`gysim.Model.set_names_zh` (the Chinese name,
    ``long_name_zh``) and :meth:`gysim.Model.set_short_names` (``short_name``,
    ``short_name_zh``): each element whose name is a key of `names` becomes a
    copy with `field` set (names are matched in NFKC form, as the model stores
    them); the others are left out.

    Parameters
    ----------
    elements : mapping
        The model's elements by name.
    names : mapping of str to str
        Element name -> its name (a non-empty string; surrounding white
        space is removed).
    strict : bool
        Refuse a name that is not an element of the model (default). With
        ``False`` such names are skipped: one table can name the elements of
        several models built from shared parts.
    field : {"long_name_zh", "short_name", "short_name_zh"}
        The field to set.

    Raises
    ------
    ModelDefinitionError
        If `names` is not a mapping, a name is not a non-empty string, or
        (with `strict`) a key is not an element.

    Examples
    --------
    >>> named = named_zh({"gdp": Param("gdp", 1.0)}, {"gdp": " 地区生产总值 "})
    >>> named["gdp"].long_name_zh
    '地区生产总值'
    >>> named_zh({"gdp": Param("gdp", 1.0)}, {"gdp": "GDP"}, field="short_name")["gdp"].short_name
    'GDP'
    >>> named_zh({"gdp": Param("gdp", 1.0)}, {"gpd": "地区生产总值"})
    Traceback (most recent call last):
    ...
    gysim.errors.ModelDefinitionError: set_names_zh: 'gpd' is not an element of the model; did you mean 'gdp'?
    """
    if field not in NAME_FIELDS:
        raise ModelDefinitionError(f"`field` must be one of {', '.join(NAME_FIELDS)}, got {field!r}")
    where, what = NAME_FIELDS[field], "Chinese name" if field.endswith("_zh") else "name"
    what = f"short {what}" if field.startswith("short") else what
    if not isinstance(names, Mapping):
        raise ModelDefinitionError(f"{where}: `names` must be a mapping of element name to "
                                   f"{what}, got {type(names).__name__}")
    out: dict[str, Any] = {}
    for key, text in names.items():
        name = nfkc(key) if isinstance(key, str) else key
        if not isinstance(text, str) or not text.strip():
            raise ModelDefinitionError(f"{where}: the {what} of {key!r} must be a "
                                       f"non-empty string, got {text!r}")
        if name not in elements:
            if strict:
                raise ModelDefinitionError(f"{where}: {key!r} is not an element of the "
                                           f"model{suggest(str(key), elements)}")
            continue
        out[name] = replace(elements[name], **{field: text.strip()})
    return out
