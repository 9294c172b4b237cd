"""The unit registry and its words: which unit words gysim knows, parsing units text.

:mod:`gysim.units` describes the registry and the rules of writing units; this
module holds the pint registry with the plan's units, parses units text
(:func:`parse_units`), refuses words it does not know with suggestions, and
declares counted units of a model's own (:func:`define`). Both are re-exported
by :mod:`gysim.units`.

Examples
--------
>>> from gysim.unit_registry import parse_units
>>> parse_units("亿元").to("万元").magnitude
10000.0
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from ._text import suggest
from .errors import UnitsError

__all__ = ["registry", "parse_units", "define", "DEFINITIONS", "GYSIM_WORDS", "MAX_LENGTH"]

#: Definitions added to pint's default registry (pint's definition syntax).
DEFINITIONS = (
    "yuan = [currency_cny] = 元 = CNY = RMB",
    "USD = [currency_usd] = US_dollar = usd",
    "person = [person] = 人 = persons = capita",
    "job = [job] = jobs",
    "tce = [coal_equivalent] = tonne_coal_equivalent = 吨标准煤 = 标准煤",
    "kgce = 1e-3 * tce = kilogram_coal_equivalent",
    "fraction = 1",
    "Dmnl = 1 = dmnl",
    "m3 = meter ** 3 = 立方米",
    "m2 = meter ** 2 = 平方米",
    "年 = year",
    "吨 = tonne",
    "万- = 1e4",
    "亿- = 1e8",
)

_NUMBER_UNIT = re.compile(
    r"(?<![\w.])(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)\s+([^\W\d]\w*)")
_WORD_WORD = re.compile(r"(?<![\w.])([^\W\d]\w*)\s+(?=[^\W\d])")
_WORD = re.compile(r"[^\W\d]\w*")
#: A number with a shorthand suffix: "10k", "2.5bn" (never a unit: pint reads k as a constant).
_SHORTHAND = re.compile(r"(?<![\w.])(\d+(?:\.\d*)?)(k|K|m|M|mn|mln|b|B|bn|bln)(?![\w])")
_SHORTHAND_SCALE = {"k": 1e3, "K": 1e3, "m": 1e6, "M": 1e6, "mn": 1e6, "mln": 1e6,
                    "b": 1e9, "B": 1e9, "bn": 1e9, "bln": 1e9}
#: Constant-price money, a unit of its own: "yuan_2000" (2000 prices).
_REAL_MONEY = re.compile(r"(?:yuan|CNY|USD)_\d{4}")
#: gysim's own words, offered when a word is misspelt.
GYSIM_WORDS = ("yuan", "元", "万元", "亿元", "person", "persons", "人", "万人", "job", "tce",
               "万tce", "kgce", "万吨", "m3", "m2", "fraction", "Dmnl", "dimensionless",
               "percent", "‰", "year", "年", "month", "day", "USD", "yuan_2000")
#: Longest units string accepted, in characters.
MAX_LENGTH = 200
#: Counted units declared with :func:`define` (known everywhere from then on).
_DECLARED: set[str] = set()
#: Words defined as units of their own from free text (models read from other tools):
#: the name defined -> the word as written.
_FREE: dict[str, str] = {}
#: The registry's own unit names, symbols and aliases (for suggestions).
_NAMES: set[str] = set()


@lru_cache(maxsize=1)
def registry():
    """The shared :class:`pint.UnitRegistry` that knows the plan's units.

    Examples
    --------
    >>> ureg = registry()
    >>> ureg.Quantity(1, "亿元").to("万元").magnitude
    10000.0
    """
    import pint

    ureg = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
    for line in DEFINITIONS:
        ureg.define(line)
    _NAMES.update(ureg._units)  # before any prefixed name ("万person") is cached
    return ureg


@lru_cache(maxsize=1)
def _constants() -> frozenset[str]:
    """Names of pint's physical constants (``k`` is boltzmann_constant): never a model's unit."""
    from importlib.resources import files

    text = (files("pint") / "constants_en.txt").read_text(encoding="utf-8")
    names = {line.split("=")[0].strip() for line in text.splitlines()
             if "=" in line and not line.lstrip().startswith(("#", "@"))}
    return frozenset(names - {"standard_atmosphere", ""})


def _normalise(text: str) -> str:
    text = " ".join(text.split()).replace("$", " USD ")
    text = _NUMBER_UNIT.sub(r"(\1 \2)", text)
    return _WORD_WORD.sub(r"\1_", text)


def _shorthand(text: str) -> None:
    """Refuse "10k person": pint would read k as the Boltzmann constant."""
    match = _SHORTHAND.search(text)
    if match is None:
        return
    number, suffix = match.groups()
    scale = float(number) * _SHORTHAND_SCALE[suffix]
    rest = text[match.end():].strip()
    word = _WORD.match(rest)
    mantissa, exponent = f"{scale:e}".split("e")
    example = f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"
    hint = f"'{example} {word.group(0)}'" if word else f"'{example}'"
    chinese = {"person": "人", "persons": "人", "yuan": "元", "tonne": "吨"}.get(
        word.group(0) if word else "")
    if chinese and scale in (1e4, 1e8):
        hint += f" or '{'万' if scale == 1e4 else '亿'}{chinese}'"
    raise UnitsError(f"units {text!r}: {match.group(0)!r} is not a number in units ({suffix!r} "
                     f"is not a multiplier there); write {hint}")


def _known(ureg, word: str) -> bool:
    """Define a word that names a known unit in another spelling; False if it is unknown."""
    if _REAL_MONEY.fullmatch(word):
        ureg.define(f"{word} = [{word}]")
        return True
    lower = word.lower()
    try:  # "Month", "Minutes", "Persons" (Vensim's capitals): the registry's unit
        if lower != word:
            dims = ureg.Quantity(1, lower).dimensionality
            if len(dims) == 1 and next(iter(dims)) in _ALIAS_DIMS:
                ureg.define(f"{word} = {lower}")
                return True
    except Exception:
        pass
    return False


def _written(text: str, word: str) -> str:
    """The word as the user wrote it ("per_year" was "per year")."""
    if word in text or "_" not in word:
        return word
    spaced = word.replace("_", " ")
    return spaced if " ".join(text.split()).find(spaced) >= 0 else word


def _try(text: str) -> bool:
    try:
        _parse_cached(text, False)
        return True
    except UnitsError:
        return False


def _suggestions(text: str, word: str) -> str:
    """'; did you mean ...?' for an unknown word of `text`."""
    close: list[str] = []
    words = " ".join(text.split())
    if re.search(r"(?<!\w)per(?!\w)", words):  # "per year" -> "1/year"
        slashed = re.sub(r"\s*(?<!\w)per(?!\w)\s*", "/", words)
        slashed = "1" + slashed if slashed.startswith("/") else slashed
        if _try(slashed):
            close.append(slashed)
    written = _written(text, word)
    if " " in written:  # "万 persons" -> "万persons"; "kg person" -> "kg*person"
        for joined in (written.replace(" ", ""), written.replace(" ", "*")):
            if _try(words.replace(written, joined)):
                close.append(words.replace(written, joined))
    if close:  # a rewriting of the text that parses says it best
        return "; did you mean " + " or ".join(f"'{c}'" for c in close[:2]) + "?"
    registry()
    names = _NAMES - _constants()
    hint = suggest(word, sorted(names | set(GYSIM_WORDS) | _DECLARED), cutoff=0.7)
    if hint:
        close += [c for c in re.findall(r"'([^']*)'", hint) if c not in close]
    if not close:
        return ""
    return "; did you mean " + " or ".join(f"'{c}'" for c in close[:3]) + "?"


def _unknown(text: str, word: str) -> UnitsError:
    written = _written(text, word)
    message = f"units {text!r}: {written!r} is not a unit gysim knows{_suggestions(text, word) or '.'}"
    name = written.replace(" ", "_")
    if len(name) > 2 and name.endswith("s") and not name.endswith("ss"):
        name = name[:-1]
    if re.search(r"(?<!\w)per(?!\w)", written):
        name = "widget"
    return UnitsError(f"{message} Write '/' for 'per' and '*' to multiply units; a thing the "
                      f"model counts of its own is declared first with "
                      f"gysim.units.define({name!r})")


@lru_cache(maxsize=4096)
def _parse_cached(text: str, new_words: bool):
    ureg = registry()
    import pint

    if not new_words:
        _shorthand(text)
    expr = _normalise(text)
    defined: set[str] = set()
    while True:  # each round defines one more unknown word
        try:
            value = ureg.parse_expression(expr)
        except pint.UndefinedUnitError as err:
            names = err.unit_names if isinstance(err.unit_names, (list, tuple)) else [err.unit_names]
            word = str(names[0])
            if not _WORD.fullmatch(word) or word.startswith("_") or word in defined:
                raise UnitsError(f"units {text!r}: {word!r} is not a unit name") from None
            defined.add(word)
            if not _known(ureg, word):
                if not new_words:
                    raise _unknown(text, word) from None
                _define_word(ureg, word)
            continue
        except UnitsError:
            raise
        except Exception as err:  # pint's parser raises assorted errors on bad text
            raise UnitsError(f"units {text!r} cannot be parsed ({type(err).__name__}: "
                             f"{str(err) or 'malformed expression'}); write e.g. '1e8 yuan/year'") from None
        if not isinstance(value, ureg.Quantity):
            value = ureg.Quantity(float(value), "dimensionless")
        if not new_words:
            _strict(text, value)
        magnitude = value.magnitude
        if isinstance(magnitude, (int, float)) and math.isfinite(magnitude) and magnitude > 0:
            return ureg.Quantity(float(magnitude), value.units)
        raise UnitsError(f"units {text!r} must have a positive finite scale, got {magnitude!r}")


def _strict(text: str, value) -> None:
    """Refuse words only free text defined, and physical constants."""
    for name in value.units._units:
        if name in _FREE and name not in _DECLARED:
            raise _unknown(text, _FREE[name])
        if name in _constants():
            ureg = registry()
            words = [w for w in _WORD.findall(_normalise(text)) if _get_name(ureg, w) == name]
            word = words[0] if words else name
            tail = "; for thousands write a number, e.g. '1e3 person'" if word == "k" else ""
            raise UnitsError(f"units {text!r}: {word!r} is pint's {name}, a physical constant, "
                             f"not a unit for a model{tail}")


def _get_name(ureg, word: str) -> str:
    try:
        return ureg.get_name(word)
    except Exception:
        return ""


_ALIAS_DIMS = ("[time]", "[person]", "[job]", "[currency_cny]", "[currency_usd]",
               "[coal_equivalent]")


def _define_word(ureg, word: str) -> None:
    """Define a word of free text (models read from other tools) as a unit of its own."""
    written = word
    if len(word) > 2 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]  # define the singular; pint reads the plural from it
    ureg.define(f"{word} = [{word}]")
    _FREE[word] = written


def define(name: str) -> None:
    """Declare a counted unit of its own dimension, e.g. ``"widget"`` or ``"household"``.

    gysim refuses unit words it does not know (a typo must not become a new
    unit); a model that counts things of its own declares them once, before
    using them. The unit gets its own dimension: widgets only match widgets.
    Give the singular; pint reads the plural (``"widgets"``) from it.
    Declaring the same name again does nothing.

    Parameters
    ----------
    name : str
        The unit's name: one word (letters, digits after the first letter,
        underscores), e.g. ``"widget"``, ``"household"``, ``"户"``.

    Raises
    ------
    UnitsError
        If the name is not a word, or is already a unit (``"day"``).

    Examples
    --------
    After ``define("crate")``, a model may say ``units="crates"`` or
    ``units="crate/year"``:

    >>> define("crate")
    >>> str(parse_units("crates/year").dimensionality)
    '[crate] / [time]'
    >>> parse_units("12 crate/month").to("crate/year").magnitude
    144.0
    """
    if not isinstance(name, str) or not _WORD.fullmatch(name) or name.startswith("_"):
        raise UnitsError(f"`name` of a unit must be one word (letters, digits, underscores, "
                         f"not starting with '_'), got {name!r}")
    if name in _DECLARED or _REAL_MONEY.fullmatch(name):
        return
    ureg = registry()
    if name in _FREE:  # read earlier from another tool's free text: now declared
        _DECLARED.add(name)
        return
    try:
        ureg.parse_units(name)
    except Exception:
        ureg.define(f"{name} = [{name}]")
        _DECLARED.add(name)
        return
    raise UnitsError(f"{name!r} is already a unit ({ureg.Unit(name)}); use it as it is")


def parse_units(text: str, *, new_words: bool = False):
    """Parse a units string into a :class:`pint.Quantity` (scale times units).

    Parameters
    ----------
    text : str
        E.g. ``"1e8 yuan/year"``, ``"万人"``, ``"tce/1e4 yuan"``.
    new_words : bool
        If True, a word the registry does not know becomes a unit of its own
        (the free-text units of models read from Vensim or XMILE files);
        if False (the default) it is an error.

    Raises
    ------
    UnitsError
        If the text is empty or not a units expression, or (unless
        `new_words`) names a word that is not a known unit, suggesting close
        ones.

    Examples
    --------
    >>> q = parse_units("m3/1e4 yuan")
    >>> q.magnitude, str(q.units)
    (0.0001, 'm3 / yuan')
    >>> str(parse_units("万人").to("person"))
    '10000.0 person'
    >>> parse_units("1/yeer")
    Traceback (most recent call last):
    ...
    gysim.errors.UnitsError: units '1/yeer': 'yeer' is not a unit gysim knows; did you mean 'year'? Write '/' for 'per' and '*' to multiply units; a thing the model counts of its own is declared first with gysim.units.define('yeer')
    """
    if not isinstance(text, str) or not text.strip():
        raise UnitsError(f"units must be a non-empty string, got {text!r}")
    if len(text) > MAX_LENGTH:
        raise UnitsError(f"units {text[:40]!r}... are {len(text)} characters long; "
                         f"the limit is {MAX_LENGTH}")
    bad = sorted(set(text) & set(",;:=[]{}<>!?'\"\\`|&@#"))
    if bad:
        raise UnitsError(f"units {text!r} cannot be parsed: {''.join(bad)!r} has no meaning in "
                         f"units; write e.g. '1e8 yuan/year'")
    return _parse_cached(text.strip(), bool(new_words))
