"""Units: a registry that knows the plan's units, a dimensional check of every equation, conversion.

Units are written as text on every element (``units="1e8 yuan/year"``) and
parsed with `pint <https://pint.readthedocs.io>`_ into a *scale* and *units*:
``"1e8 yuan/year"`` is 1e8 yuan per year, ``"tce/1e4 yuan"`` is tonnes of coal
equivalent per 10 000 yuan. :func:`check_units` walks every equation tree and
verifies that both sides of every sum, comparison and assignment have the same
dimensions, and the same scale where the scale is known.

The registry
------------
pint's default units (metre, day, year, tonne, percent, permille ``‰``, ...)
plus:

=====================  ==========================================================
``yuan`` (元, CNY)      Chinese yuan, dimension ``[currency_cny]``
``万`` and ``亿``       prefixes 1e4 and 1e8: ``万元``, ``亿元``, ``万人``, ``万吨``
``person`` (人)         a head count, dimension ``[person]``; ``1e4 person`` = 万人
``job``                 a position, dimension ``[job]``: converting jobs to persons
                        needs an explicit persons-per-job factor
``tce`` (吨标准煤)      tonne of coal equivalent, its own dimension
                        ``[coal_equivalent]``, not an energy: Chinese statistics
                        convert electricity to coal equivalent by two methods
                        (calorific value, or coal used by power plants), so a
                        conversion to joules or kWh must be an explicit factor;
                        ``kgce`` = 0.001 tce
``USD`` (``$``)         US dollar, dimension ``[currency_usd]``: yuan and dollars
                        convert only through an explicit ``yuan/USD`` rate
``m3``, ``m2``          cubic and square metre (立方米)
``fraction``, ``Dmnl``  dimensionless 1 (``percent`` is 0.01, ``‰`` is 0.001)
``年``, ``吨``          year, tonne
=====================  ==========================================================

Writing units
-------------
* A number followed by a unit scales that unit: ``"m3/1e4 yuan"`` is cubic
  metres per 10 000 yuan (the number binds to the word after it).
* Words separated by spaces join into one unit name: ``"output per composite
  input"`` is a single unit. Use ``*`` to multiply units.
* A word the registry does not know is an error where the element is
  defined (:class:`UnitsError` naming the word and the element, suggesting
  close units): a typo never becomes a new unit. ``"per year"`` is refused
  (write ``"1/year"``), and so are ``"10k person"`` (write ``"1e4 person"``
  or ``"万人"``; pint would read ``k`` as the Boltzmann constant) and
  pint's other physical constants. Vensim's capitalised spellings of
  time, person and money units (``"Year"``, ``"Months"``, ``"Persons"``)
  are the registry's units.
* A model that counts things of its own declares them first with
  :func:`define`: after ``gysim.units.define("widget")``, ``"widget/year"``
  works, and widgets only match widgets.
* Real (constant-price) money is a unit of its own: ``"1e8 yuan_2000/year"``
  (any ``yuan_YYYY``, ``USD_YYYY``) is a dimension distinct from nominal
  ``yuan``; a price index in ``yuan/yuan_2000`` converts.
* Models read from Vensim or XMILE files (``check_units_on_run=False``)
  keep their free-text units: there an unknown word (``"Widgets"``,
  ``"output per composite input"``) becomes a unit of its own dimension, as
  in Vensim, and is not checked where it is defined. A model built in
  Python may say the same with ``gysim.Model(..., check_units_on_run=False)``.
* Empty units mean *not declared*: the element's equation is not checked at
  all, and where the element is used its units are unknown (see below). So a
  model without units passes, and units can be added element by element.

The rules of the check
----------------------
* Only elements with declared units are checked. Names have their
  element's declared units; ``time`` has the model's ``time_units``. An
  element with empty units is *unknown* where it is used: an expression
  containing it is not checked (the rest of the equation still is, where
  the other side is known).
* A number is dimensionless but adopts whatever units its place needs (the
  usual system-dynamics convention): ``x + 1`` has the units of ``x``, and in
  ``0.5 * x`` or ``gdp / population * 10000`` the number may be a conversion
  factor, so the *scale* of such a product is not checked (its dimensions
  are); a factor of exactly 1, as in ``x * step(1, 2005)``, keeps the scale.
* ``+ - %``, comparisons, ``min``, ``max``, ``abs``, ``integer``, ``modulo``,
  the branches of ``a if c else b`` and of ``if_then_else``, and the
  fallback of ``xidz`` must agree in dimensions, and in scale where both
  scales are known (``1e8 yuan`` plus ``1e4 yuan`` is an error).
* ``*`` and ``/`` combine units. ``x ** n`` with a constant ``n`` raises the
  units to ``n``; with a non-constant exponent the exponent must be
  dimensionless and the result is dimensionless if the base is, else unknown
  (e.g. a Cobb-Douglas product with an estimated elasticity).
* ``exp``, ``log``, ``ln``, ``log10`` and the trigonometric functions need a
  dimensionless argument with scale 1 (so ``exp(g * t)`` with ``g`` in
  ``percent/year`` is refused) and return a dimensionless number; ``sqrt``
  halves the exponents.
* Lookups return their declared units; their argument is not checked (a
  lookup declares no units for x).
* ``step(height, start)`` has the units of ``height``, ``ramp(slope, start[,
  end])`` those of ``slope`` times time (a number if ``slope`` is one), ``pulse`` and ``pulse_train`` are
  dimensionless; their times must be in the model's time units.
  ``smooth``, ``smooth3``, ``smooth_n``, ``delay1``, ``delay3``, ``delay_n``,
  ``delay_fixed`` and ``initial`` keep the units of their input (the initial
  value must match it, the delay time must be a time);
  ``nonnegative_rate(rate, level)`` has the units of ``rate``.
* Conditions (``and``, ``or``, ``not``, comparisons) are dimensionless.
* Each auxiliary's and flow's equation must give its declared units, each
  stock's initial value the stock's units, and each flow's declared units
  must be (stock units) / (time units) of the stocks it fills and drains.

Examples
--------
>>> import gysim
>>> from gysim.units import check_units, convert
>>> m = gysim.Model("m", start=2000, stop=2005)
>>> m.stock("gdp", 264.8, units="1e8 yuan/year")
>>> m.param("g", 0.1, units="1/year")
>>> m.flow("gdp_growth", "g * gdp", into="gdp", units="1e8 yuan/year/year")
>>> check_units(m)
>>> convert([1.5, 2.0], "亿元", "万元").tolist()
[15000.0, 20000.0]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from .builtins import BUILTINS, aggregated_dim
from .elements import Aux, Flow, ModelLike, Stock
from .errors import UnitsError
from .unit_registry import DEFINITIONS, MAX_LENGTH, define, parse_units, registry  # noqa: F401
from .expr import (BinOp, BoolOp, Call, Compare, Const, IfExp, Name, Node, Subscript, UnaryOp,
                   constant_value, to_text)

__all__ = ["registry", "parse_units", "define", "check_units_text", "check_units",
           "unit_problems", "convert", "to_model_units", "DEFINITIONS"]

_RTOL = 1e-9


def check_units_text(text: str, what: str, *, time: bool = False) -> str:
    """Check an element's units text where it is defined; return it.

    Empty text (units not declared) passes. Used by :class:`gysim.Model`'s
    element methods for models whose units are checked (``check_units_on_run``).

    Raises
    ------
    UnitsError
        Naming `what` (e.g. "stock 'gdp'"), if the text does not parse, names
        an unknown word, or (with `time`) is not a time.

    Examples
    --------
    >>> check_units_text("1e8 yuan/year", "aux 'gdp'")
    '1e8 yuan/year'
    >>> check_units_text("person", "`time_units` of model 'm'", time=True)
    Traceback (most recent call last):
    ...
    gysim.errors.UnitsError: `time_units` of model 'm' must be a time (e.g. 'year', 'month', 'day'), got 'person' ([person])
    """
    text = str(text)
    if not text.strip():
        return text
    try:
        q = parse_units(text)
    except UnitsError as err:
        message = str(err).split(" Write '/'")[0] if time else str(err)  # no counted units
        raise UnitsError(f"{what}: {message}") from None
    if time and q.dimensionality != registry().Quantity(1, "year").dimensionality:
        raise UnitsError(f"{what} must be a time (e.g. 'year', 'month', 'day'), got {text!r} "
                         f"({q.dimensionality})")
    return text


def _describe(q) -> str:
    """'1e+08 yuan / year [currency_cny] / [time]' style text."""
    scale = q.magnitude
    units = str(q.units)
    head = units if scale == 1 else f"{scale:g} {units}"
    dims = str(q.dimensionality)
    return f"{head} ({'dimensionless' if dims == 'dimensionless' else dims})"


# --------------------------------------------------------------------- the check
@dataclass(frozen=True)
class _U:
    """Units of a sub-expression: quantity (scale * units) or None if unknown."""

    q: Any = None
    exact: bool = False     # scale known (no number multiplied in)
    literal: bool = False   # a number: adopts any units
    value: float | None = None  # a literal's value, where known


_UNKNOWN = _U()
_LITERAL = _U(literal=True)


class _Mismatch(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _ratio(a, b) -> float | None:
    """a / b as a number, for quantities of the same dimensions (None if pint cannot tell)."""
    try:
        return float((a / b).to("dimensionless").magnitude)
    except Exception:
        return None


def _side(node: Node) -> str:
    text = to_text(node)
    return text if len(text) <= 80 else text[:77] + "..."


class _Checker:
    def __init__(self, model) -> None:
        self.model = model
        self.declared: dict[str, _U] = {}
        self.problems: list[str] = []
        #: free-text units (models read from other tools): unknown words are units of their own
        self.new_words = not getattr(model, "check_units_on_run", True)
        for name, element in model.elements.items():
            self.declared[name] = self._declare(element.units, f"{element.kind} '{name}'")
        self.time = self._declare(model.time_units, f"time units of model '{model.name}'")
        self.dim1 = _U(registry().Quantity(1.0, "dimensionless"), True)

    def _declare(self, text: str, what: str) -> _U:
        if not text or not str(text).strip():
            return _UNKNOWN
        try:
            return _U(parse_units(str(text), new_words=self.new_words), True)
        except UnitsError as err:
            self.problems.append(f"{what}: {err}")
            return _UNKNOWN

    # ---- combining
    def same(self, a: _U, b: _U, left: Node | str, right: Node | str, what: str) -> _U:
        if a.literal:
            return b
        if b.literal:
            return a
        if a.q is None:
            return b
        if b.q is None:
            return a
        lt = left if isinstance(left, str) else f"`{_side(left)}`"
        rt = right if isinstance(right, str) else f"`{_side(right)}`"
        if a.q.dimensionality != b.q.dimensionality:
            raise _Mismatch(f"{what}: {lt} is in {_describe(a.q)} but {rt} is in "
                            f"{_describe(b.q)}")
        if a.exact and b.exact:
            r = _ratio(a.q, b.q)
            if r is not None and not math.isclose(r, 1.0, rel_tol=_RTOL):
                raise _Mismatch(f"{what}: {lt} is in {_describe(a.q)} but {rt} is in "
                                f"{_describe(b.q)}, a factor {r:g} apart")
        return a if a.exact or not b.exact else b

    def dimensionless(self, u: _U, node: Node, what: str) -> None:
        if u.literal or u.q is None:
            return
        if not u.q.dimensionless:
            raise _Mismatch(f"{what}: `{_side(node)}` must be dimensionless but is in "
                            f"{_describe(u.q)}")
        if u.exact:
            r = _ratio(u.q, self.dim1.q)
            if r is not None and not math.isclose(r, 1.0, rel_tol=_RTOL):
                raise _Mismatch(f"{what}: `{_side(node)}` must be a plain number but is in "
                                f"{_describe(u.q)} (scale {r:g})")

    def is_time(self, u: _U, node: Node, what: str) -> None:
        self.same(u, self.time, node, f"time ({self.model.time_units})", what)

    @staticmethod
    def mul(a: _U, b: _U, divide: bool = False) -> _U:
        if a.literal and b.literal:
            return _LITERAL
        if a.q is None and not a.literal or b.q is None and not b.literal:
            return _UNKNOWN
        if a.literal:  # a number times units: it may be a conversion factor, unless it is 1
            return _U(1 / b.q if divide else b.q, a.value == 1.0 and b.exact)
        if b.literal:
            return _U(a.q, b.value == 1.0 and a.exact)
        return _U(a.q / b.q if divide else a.q * b.q, a.exact and b.exact)

    # ---- walking
    def units(self, node: Node) -> _U:
        return _UNITS_OF[type(node)](self, node)

    def _const(self, node: Const) -> _U:
        return _U(literal=True, value=node.value)

    def _name(self, node: Name) -> _U:
        if node.id in self.declared:
            return self.declared[node.id]
        if node.id in ("time", "t", "dt"):
            return self.time
        return _LITERAL if node.id in ("pi", "inf", "nan") else _UNKNOWN

    def _unary(self, node: UnaryOp) -> _U:
        inner = self.units(node.operand)
        if node.op == "not":
            return self.dim1
        if inner.literal and inner.value is not None and node.op == "-":
            return _U(literal=True, value=-inner.value)
        return inner

    def _compare(self, node: Compare) -> _U:
        self.same(self.units(node.left), self.units(node.right), node.left, node.right,
                  f"comparison `{_side(node)}`")
        return self.dim1

    def _boolop(self, node: BoolOp) -> _U:
        for value in node.values:
            self.units(value)
        return self.dim1

    def _ifexp(self, node: IfExp) -> _U:
        self.units(node.test)
        return self.same(self.units(node.body), self.units(node.orelse), node.body,
                         node.orelse, f"the branches of `{_side(node)}`")

    def _subscript(self, node: Subscript) -> _U:  # one element of a subscripted variable
        return self.units(node.value)

    def binop(self, node: BinOp) -> _U:
        a, b = self.units(node.left), self.units(node.right)
        op = node.op
        if op in ("+", "-", "%"):
            what = {"+": "sum", "-": "difference", "%": "remainder"}[op]
            return self.same(a, b, node.left, node.right, f"{what} `{_side(node)}`")
        if op in ("*", "/"):
            return self.mul(a, b, divide=op == "/")
        # power
        self.dimensionless(b, node.right, f"exponent of `{_side(node)}`")
        power = constant_value(node.right)
        if a.literal:
            return _LITERAL
        if a.q is None:
            return _UNKNOWN
        if power is not None:
            try:
                return _U(a.q ** power, a.exact)
            except Exception:
                return _UNKNOWN
        if a.q.dimensionless:
            r = _ratio(a.q, self.dim1.q)
            return _U(self.dim1.q, a.exact and r is not None and math.isclose(r, 1.0))
        return _UNKNOWN

    def call(self, node: Call) -> _U:
        func, args = node.func, node.args
        if func in self.model.lookups:
            for arg in args:
                self.units(arg)
            return self.declared.get(func, _UNKNOWN)
        spec = BUILTINS.get(func)
        if spec is None or not spec.min_args <= len(args) <= spec.max_args:
            return _UNKNOWN  # unknown function or wrong arity: the compiler reports it
        if aggregated_dim(node, self.model.dimensions) is not None:
            # aggregation over a dimension: a sum or mean keeps the units, a product does not
            inner = self.units(args[0])
            return inner if spec.keeps_units else _UNKNOWN
        if spec.along:  # an allocation: the last argument names its dimension
            args = args[:-1]
        u = [self.units(a) for a in args]
        if spec.units is None:
            return _UNKNOWN
        return spec.units(self, args, u, f"`{_side(node)}`")

    # ---- what the builtins' units rules use (gysim.builtins)
    literal = _LITERAL
    unknown = _UNKNOWN

    @staticmethod
    def side(node: Node) -> str:
        return _side(node)

    def power(self, u: _U, power: float) -> _U:
        return self._power(u, power)

    @staticmethod
    def _power(u: _U, power: float) -> _U:
        if u.literal or u.q is None:
            return u
        try:
            return _U(u.q ** power, u.exact)
        except Exception:
            return _UNKNOWN

    # ---- elements
    def assign(self, label: str, tree: Node, declared: _U, target: str) -> None:
        if declared.q is None:  # no (usable) units declared: the element is not checked
            return
        try:
            got = self.units(tree)
            self.same(got, declared, tree, f"the declared units {target}",
                      "equation and declared units differ")
        except _Mismatch as err:
            self.problems.append(f"{label} = `{_side(tree)}`: {err.message}")
        except Exception as err:  # pint cannot combine these units (e.g. offset temperatures)
            if not type(err).__module__.startswith("pint"):
                raise

    def run(self) -> list[str]:
        for name, element in self.model.elements.items():
            declared = self.declared[name]
            target = repr(element.units)
            if isinstance(element, Stock):
                self.assign(f"initial value of stock '{name}'", element.initial, declared, target)
            elif isinstance(element, Aux):
                self.assign(f"aux '{name}'", element.tree, declared, target)
            elif isinstance(element, Flow):
                self.assign(f"flow '{name}'", element.tree, declared, target)
                self.flow_units(name, element, declared)
        return self.problems

    def flow_units(self, name: str, flow: Any, declared: _U) -> None:
        if declared.q is None or self.time.q is None:
            return
        for stock_name in (flow.into, flow.out_of):
            stock = self.declared.get(stock_name) if stock_name else None
            if stock is None or stock.q is None:
                continue
            expected = _U(stock.q / self.time.q, True)
            units = self.model.elements[stock_name].units
            try:
                self.same(declared, expected, f"flow units {flow.units!r}",
                          f"stock units per time unit ({units!r} per {self.model.time_units!r})",
                          f"flow '{name}' {'into' if stock_name == flow.into else 'out of'} "
                          f"stock '{stock_name}'")
            except _Mismatch as err:
                self.problems.append(err.message)


#: The units of an expression, by node class.
_UNITS_OF = {Const: _Checker._const, Name: _Checker._name, UnaryOp: _Checker._unary,
             BinOp: _Checker.binop, Compare: _Checker._compare, BoolOp: _Checker._boolop,
             IfExp: _Checker._ifexp, Call: _Checker.call, Subscript: _Checker._subscript}


def unit_problems(model) -> list[str]:
    """Every dimensional inconsistency of a model, one message each (empty if none).

    Parameters
    ----------
    model : gysim.Model
        The model; its elements' ``units`` are checked as described in
        :mod:`gysim.units`.

    Returns
    -------
    list of str
        One line per problem, naming the element, the equation and the
        two sides' units and dimensions.

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("m")
    >>> m.stock("population", 331.8, units="1e4 person")
    >>> m.param("births_per_year", 4.0, units="1e4 person/year")
    >>> m.aux("total", "population + births_per_year", units="1e4 person")
    >>> print(unit_problems(m)[0])
    aux 'total' = `population + births_per_year`: sum `population + births_per_year`: `population` is in 10000 person ([person]) but `births_per_year` is in 10000 person / year ([person] / [time])
    """
    if not isinstance(model, ModelLike):
        raise UnitsError(f"`model` must be a gysim.Model, got {type(model).__name__}")
    for name in getattr(model, "defined_units", ()):  # e.g. in a Dask worker's process
        define(name)
    return _Checker(model).run()


def check_units(model) -> None:
    """Check every equation of a model dimensionally; raise on the first inconsistencies.

    The rules are those in :mod:`gysim.units`: sums, comparisons and the
    branches of conditions must agree, each equation must give its element's
    declared units, each flow must be in (stock units)/(time units) of the
    stocks it connects. Elements without units are not checked.

    Parameters
    ----------
    model : gysim.Model
        The model to check. It is not changed.

    Raises
    ------
    UnitsError
        Naming every inconsistent element, its equation and the two sides'
        units and dimensions (the list is also in the error's ``problems``
        attribute).

    Examples
    --------
    >>> import gysim
    >>> from gysim.examples import population_model
    >>> check_units(population_model())
    >>> m = gysim.Model("m")
    >>> m.stock("capital", 100.0, units="1e8 yuan")
    >>> m.flow("investment", 20.0, into="capital", units="1e4 yuan/year")
    >>> check_units(m)
    Traceback (most recent call last):
    ...
    gysim.errors.UnitsError: model 'm' has 1 unit inconsistency: flow 'investment' into stock 'capital': flow units '1e4 yuan/year' is in 10000 yuan / year ([currency_cny] / [time]) but stock units per time unit ('1e8 yuan' per 'year') is in 1e+08 yuan / year ([currency_cny] / [time]), a factor 0.0001 apart
    """
    problems = unit_problems(model)
    if problems:
        n = len(problems)
        head = f"model '{model.name}' has {n} unit inconsistenc{'y' if n == 1 else 'ies'}: "
        text = problems[0] if n == 1 else "\n  - " + "\n  - ".join(problems)
        err = UnitsError(head + text)
        err.problems = problems
        raise err


# --------------------------------------------------------------------- conversion
def _factor(from_units: str, to_units: str, what: str = "values", new_words: bool = False) -> float:
    a = parse_units(from_units, new_words=new_words)
    b = parse_units(to_units, new_words=new_words)
    if a.dimensionality != b.dimensionality:
        raise UnitsError(f"{what} in {from_units!r} cannot be converted to {to_units!r}: "
                         f"{_describe(a)} and {_describe(b)} have different dimensions")
    r = _ratio(a, b)
    if r is None or not math.isfinite(r):
        raise UnitsError(f"{what} in {from_units!r} cannot be converted to {to_units!r}")
    return r


def convert(values: Any, from_units: str, to_units: str) -> Any:
    """Convert numbers from one unit to another.

    Parameters
    ----------
    values : float, array-like, pandas Series/DataFrame or xarray object
        The numbers, in `from_units`.
    from_units, to_units : str
        Units strings (see :mod:`gysim.units`).

    Returns
    -------
    The values in `to_units`: a float for a number, a numpy array for a
    list, otherwise the same type as given.

    Raises
    ------
    UnitsError
        If the units do not parse or have different dimensions (yuan and
        USD, tce and joules, persons and jobs need an explicit factor).

    Examples
    --------
    >>> convert(350.66, "万人", "person")
    3506600.0
    >>> convert(2.5, "percent/year", "1/year")
    0.025
    >>> convert(1.0, "1e8 yuan", "USD")
    Traceback (most recent call last):
    ...
    gysim.errors.UnitsError: values in '1e8 yuan' cannot be converted to 'USD': 1e+08 yuan ([currency_cny]) and USD ([currency_usd]) have different dimensions
    """
    factor = _factor(from_units, to_units)
    if isinstance(values, (list, tuple)):
        values = np.asarray(values, dtype=float)
    if isinstance(values, (int, float, np.integer, np.floating)) and not isinstance(values, bool):
        return float(values) * factor
    return values * factor


def to_model_units(model, data: Any, units: Mapping[str, str] | None = None) -> Any:
    """Convert calibration data to the units of the model's variables.

    Parameters
    ----------
    model : gysim.Model
        The model whose stocks, flows and auxiliaries the data columns name.
    data : pandas.DataFrame or xarray.Dataset
        Observations, one column (variable) per model variable.
    units : mapping, optional
        Column -> units of the data. For a Dataset, a variable's
        ``attrs["units"]`` is used when `units` does not name it. Columns
        with no units given are taken to be in the model's units already.

    Returns
    -------
    The data (same type), with every column that has units converted to
    the declared units of its model variable.

    Raises
    ------
    UnitsError
        If a column's units and its variable's units have different
        dimensions, or the variable declares no units to convert to.

    Examples
    --------
    >>> import pandas as pd
    >>> from gysim.examples import population_model
    >>> data = pd.DataFrame({"population": [3318000.0, 3350000.0]}, index=[2000, 2001])
    >>> to_model_units(population_model(), data, {"population": "person"})["population"].tolist()
    [331.8, 335.0]
    """
    units = dict(units or {})
    is_dataset = hasattr(data, "data_vars")
    if not is_dataset and not units:
        return data
    if not is_dataset and not hasattr(data, "columns"):
        raise UnitsError(f"data with `units` must be a pandas DataFrame or an xarray Dataset, "
                         f"got {type(data).__name__}")
    columns = list(data.data_vars) if is_dataset else list(data.columns)
    unknown = [k for k in units if k not in columns]
    if unknown:
        raise UnitsError(f"`units` given for {', '.join(map(repr, unknown))}, which "
                         f"{'is' if len(unknown) == 1 else 'are'} not in the data")
    out = data.copy()
    for column in columns:
        given = units.get(column)
        if given is None and is_dataset:
            given = data[column].attrs.get("units")
        if not given:
            continue
        element = model.elements.get(column) if isinstance(column, str) else None
        target = getattr(element, "units", "") if element is not None else ""
        if not target:
            what = "declares no units" if element is not None else "is not in the model"
            raise UnitsError(f"data column {column!r} is in {given!r} but model variable "
                             f"{column!r} {what}; cannot convert")
        factor = _factor(given, target, what=f"data column {column!r}",
                         new_words=not getattr(model, "check_units_on_run", True))
        out[column] = data[column] * factor
        if is_dataset:
            out[column].attrs["units"] = target
    return out
