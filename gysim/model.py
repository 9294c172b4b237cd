"""Models: the description of a stock-and-flow system, built element by element.

A :class:`Model` holds stocks, flows, auxiliaries, parameters, lookups and
time-series inputs, each with units, a doc line and a source. Building a model
adds elements; running it (:func:`gysim.simulate`) never changes it. Parameter
changes are passed to a run, or :meth:`Model.with_params` returns a new model.

Examples
--------
>>> import gysim
>>> m = gysim.Model("population", start=2000, stop=2010, time_units="year")
>>> m.stock("population", initial=331.8, units="1e4 person", doc="registered population")
>>> m.param("birth_rate", 0.013, units="1/year", bounds=(0.008, 0.02))
>>> m.flow("births", "population * birth_rate", into="population", units="1e4 person/year")
>>> sorted(m.params)
['birth_rate']
>>> m.with_params(birth_rate=0.01).params["birth_rate"].value
0.01
"""

from __future__ import annotations

import copy as _copy
import hashlib
import json
from dataclasses import replace
from types import MappingProxyType
from typing import Any, Mapping, Sequence

import numpy as np

from ._text import nfkc, suggest
from .builtins import RESERVED_NAMES
from .engine.compiled import CompiledModel
from .model_views import element_description, model_html, parameter_table, run_settings
from .units import check_units, define, check_units_text
from .elements import (Aux, DataInput, Flow, Lookup, Param, Scenario, Stock, check_bounds,
                       check_name, check_number, check_table, freeze, named_zh, normal_keys,
                       same_name, short_field)
from .errors import DataError, ModelDefinitionError, ParameterError
from .expr import parse

__all__ = ["Model", "Stock", "Flow", "Aux", "Param", "Lookup", "DataInput", "Scenario"]


class Model:
    """A stock-and-flow model: elements with equations, units and docs.

    Parameters
    ----------
    name : str
        The model's name, recorded in results.
    start, stop : float
        Start and final time of a run.
    dt : float, optional
        Time step for the fixed-step methods ("euler", "rk4") when
        :func:`gysim.simulate` is not given one.
    time_units : str
        Units of time, e.g. ``"year"``; must be a time (checked, unless
        ``check_units_on_run`` is False).
    doc : str
        What the model is for.
    method : str
        The integration method runs use unless told otherwise.
    saveper : float
        Interval between saved times that runs use unless told otherwise.
    check_units_on_run : bool
        Whether :func:`gysim.simulate` checks units before a run, and each
        element's units are checked where it is defined (an unknown unit
        word is a :class:`UnitsError`; declare a counted unit of your own
        with :func:`gysim.units.define`). Models read from other tools,
        whose units are free text, set it to False: their unknown words
        become units of their own.
    source : object, optional
        Where the model was read from (a :class:`gysim.io.SourceInfo` for
        Vensim/XMILE files: original names, subscript layout, ...); None for
        models built in Python. The older attributes ``vensim_names``,
        ``vensim_dims``, ``vensim_labels``, ``vensim_ranges``,
        ``vensim_subscripts`` and ``vensim_fallback`` read its fields.

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("decay", start=0, stop=5)
    >>> m.stock("x", initial=1.0)
    >>> m.param("k", 0.5, bounds=(0, 2))
    >>> m.flow("outflow", "k * x", out_of="x")
    >>> round(float(gysim.simulate(m).x.sel(time=5)), 4)
    0.0821
    """

    def __init__(self, name: str, *, start: float = 0.0, stop: float = 10.0,
                 dt: float | None = None, time_units: str = "year", doc: str = "",
                 method: str = "RK45", saveper: float = 1.0, check_units_on_run: bool = True,
                 source: Any = None) -> None:
        if not isinstance(name, str) or not name.strip():
            raise ModelDefinitionError(f"`name` of a model must be a non-empty string, got {name!r}")
        self.name = name
        self.start = check_number(start, "`start`")
        self.stop = check_number(stop, "`stop`")
        if self.stop <= self.start:
            raise ModelDefinitionError(
                f"`stop` must be after `start`, got start={start!r}, stop={stop!r}")
        if dt is not None:
            dt = check_number(dt, "`dt`")
            if dt <= 0:
                raise ModelDefinitionError(f"`dt` must be positive, got {dt!r}")
        self.dt = dt
        self.saveper = check_number(saveper, "`saveper`")
        if self.saveper <= 0:
            raise ModelDefinitionError(f"`saveper` must be positive, got {saveper!r}")
        self.time_units = str(time_units)
        self.doc = str(doc)
        self.method = method
        self.check_units_on_run = bool(check_units_on_run)
        if self.check_units_on_run:  # free-text units (other tools' models) are not checked
            check_units_text(self.time_units, f"`time_units` of model '{name}'", time=True)
        self.source = source
        self._defined_units: tuple[str, ...] = ()
        self._elements: dict[str, Any] = {}
        self._dimensions: dict[str, tuple[str, ...]] = {}
        #: Each element label -> its dimension.
        self._label_dim: dict[str, str] = {}
        #: Names stored in NFKC normal form -> how they were written, where different.
        self._spellings: dict[str, str] = {}
        self._scenarios: dict[str, Scenario] = {}
        self._compiled = None

    #: The older reader attributes and the :attr:`source` fields they read.
    _SOURCE_FIELDS = {"vensim_names": "names", "xmile_names": "names", "vensim_dims": "dims",
                      "vensim_labels": "labels", "vensim_ranges": "ranges",
                      "vensim_subscripts": "subscripts", "vensim_fallback": "fallback"}
    #: An auxiliary whose value is a FINAL TIME that changes during the run (or None):
    #: each run of a fixed-step method ends at the first step where ``time >= `` its
    #: value, its later saved values are NaN, and ``stop`` is then the horizon of the
    #: time axis (see :mod:`gysim.engine.final_time`).
    final_time_variable: str | None = None

    def __getattr__(self, name: str) -> Any:
        # only called for attributes not found otherwise: the pre-SourceInfo reader attributes
        fields = type(self)._SOURCE_FIELDS
        if name in fields:
            source = self.__dict__.get("source")
            if source is not None and hasattr(source, fields[name]):
                return getattr(source, fields[name])
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    # ------------------------------------------------------------------ building
    def _add(self, element: Any) -> None:
        written = element.name
        name = check_name(written, "element name")
        if name in RESERVED_NAMES:
            raise ModelDefinitionError(
                f"element name {written!r} is reserved (a builtin function or `time`); "
                f"choose another name")
        if name in self._elements:
            existing = self._elements[name].kind
            spelled = self._spelled(name)
            if spelled != written:
                raise ModelDefinitionError(
                    f"element name {written!r} is already used by the {existing} "
                    f"{spelled!r}{same_name(written, spelled)}; element names must be unique")
            raise ModelDefinitionError(
                f"'{written}' is already defined (as a {existing}); element names must be unique")
        clash = self._dimension_clash(name)
        if clash:
            raise ModelDefinitionError(f"element name {written!r} is already used as {clash}")
        if name != written:
            element = replace(element, name=name)
            self._spellings[name] = written
        self._elements[name] = element
        self._compiled = None

    def _units(self, units: Any, what: str) -> str:
        """The units text of an element; an unknown word is an error unless units are free text."""
        if not self.check_units_on_run:
            return str(units)
        return check_units_text(str(units), f"`units` of {what}")

    def _spelled(self, name: str) -> str:
        """How a stored (NFKC) name was first written."""
        return self._spellings.get(name, name)

    def _dimension_clash(self, name: str) -> str:
        if name in self._dimensions:
            return f"a dimension of model '{self.name}'{same_name(name, self._spelled(name))}"
        if name in self._label_dim:
            return (f"an element label of dimension '{self._label_dim[name]}'"
                    f"{same_name(name, self._spelled(name))}")
        return ""

    def dimension(self, name: str, labels: Sequence[str]) -> None:
        """Declare a dimension (subscript range) and its element labels.

        Elements declared with ``dims=(name, ...)`` hold one value per label
        (per combination of labels). Labels are plain identifiers, unique
        across all dimensions of the model, so ``capital[secondary]`` selects
        one element unambiguously.

        Parameters
        ----------
        name : str
            Name of the dimension, e.g. ``"sector"``; used in ``dims=`` and as
            the second argument of the aggregations ``sum(x, sector)``.
        labels : sequence of str
            The element labels, in order.

        Examples
        --------
        >>> m = Model("m")
        >>> m.dimension("sector", ["primary", "secondary", "tertiary"])
        >>> m.param("depreciation_rate", 0.05, dims=("sector",))
        >>> m.stock("capital", {"primary": 40, "secondary": 380, "tertiary": 300}, dims=("sector",))
        >>> m.flow("depreciation", "depreciation_rate * capital", out_of="capital",
        ...        dims=("sector",))
        >>> m.aux("total_capital", "sum(capital, sector)")
        >>> m.dimensions["sector"]
        ('primary', 'secondary', 'tertiary')
        """
        written = name
        name = check_name(name, "dimension name")
        if name in RESERVED_NAMES:
            raise ModelDefinitionError(f"dimension name {written!r} is reserved; choose another name")
        if name in self._elements:
            raise ModelDefinitionError(
                f"dimension name {written!r} is already used as a {self._elements[name].kind}"
                f"{same_name(written, self._spelled(name))}")
        clash = self._dimension_clash(name)
        if clash:
            raise ModelDefinitionError(f"dimension {written!r} is already declared as {clash}")
        if isinstance(labels, str) or not isinstance(labels, Sequence):
            raise ModelDefinitionError(
                f"labels of dimension '{name}' must be a sequence of names, got {labels!r}")
        if not labels:
            raise ModelDefinitionError(f"dimension '{name}' needs at least one element label")
        # one pass, set and dict lookups only: 100 000 labels take a fraction of a second
        seen: dict[str, str] = {}  # label (NFKC) -> as written
        for label in labels:
            normal = check_name(label, f"element label of dimension '{name}':")
            if normal in seen:
                raise ModelDefinitionError(
                    f"element label {label!r} appears twice in dimension '{name}'"
                    f"{same_name(label, seen[normal])}")
            if normal in RESERVED_NAMES or normal == name:
                raise ModelDefinitionError(
                    f"element label {label!r} of dimension '{name}' is reserved or the "
                    f"dimension's own name")
            if normal in self._elements:
                raise ModelDefinitionError(
                    f"element label {label!r} of dimension '{name}' is already used as a "
                    f"{self._elements[normal].kind}{same_name(label, self._spelled(normal))}")
            clash = self._dimension_clash(normal)
            if clash:
                raise ModelDefinitionError(
                    f"element label {label!r} of dimension '{name}' is already {clash}; "
                    f"labels must be unique across the model's dimensions")
            seen[normal] = label
        self._dimensions[name] = tuple(seen)
        for normal, label in seen.items():
            self._label_dim[normal] = name
            if normal != label:
                self._spellings[normal] = label
        if name != written:
            self._spellings[name] = written
        self._compiled = None

    def _user_dims(self, dims: Any, where: str) -> tuple[str, ...]:
        """``dims`` as given (the order arrays follow), names in NFKC form, validated."""
        if dims is None:
            return ()
        if isinstance(dims, str):
            dims = (dims,)
        try:
            dims = tuple(nfkc(d) if isinstance(d, str) else d for d in dims)
        except TypeError:
            raise ModelDefinitionError(
                f"`dims` of {where} must be a tuple of dimension names, got {dims!r}") from None
        for d in dims:
            if not isinstance(d, str) or d not in self._dimensions:
                raise ModelDefinitionError(
                    f"`dims` of {where}: '{d}' is not a dimension of model '{self.name}'"
                    f"{suggest(str(d), self._dimensions)}; declare it with "
                    f"m.dimension({d!r}, [...]) first")
        if len(set(dims)) != len(dims):
            twice = next(d for d in dims if dims.count(d) > 1)
            raise ModelDefinitionError(f"`dims` of {where} names '{twice}' twice")
        return dims

    def _dims(self, dims: Any, where: str) -> tuple[str, ...]:
        """Validate ``dims`` and return them in the model's declaration order."""
        given = self._user_dims(dims, where)
        return tuple(d for d in self._dimensions if d in given)

    def _array(self, value: Any, given: tuple[str, ...], dims: tuple[str, ...],
               where: str) -> np.ndarray:
        """An array of values over ``dims`` (model order) from a mapping or an array.

        ``given`` is the order of dims the user wrote (arrays follow it).
        """
        sizes = tuple(len(self._dimensions[d]) for d in given)
        if isinstance(value, Mapping):
            out = np.full(sizes, np.nan)
            positions = [{label: i for i, label in enumerate(self._dimensions[d])}
                         for d in given]
            written: dict[tuple, Any] = {}
            for key, v in value.items():
                key_t = key if isinstance(key, tuple) else (key,)
                if len(key_t) != len(given):
                    raise ModelDefinitionError(
                        f"{where}: key {key!r} must name one label of each of {given}")
                index = []
                for d, label, position in zip(given, key_t, positions):
                    i = position.get(nfkc(label)) if isinstance(label, str) else None
                    if i is None:
                        raise ModelDefinitionError(
                            f"{where}: {label!r} is not an element of dimension '{d}'"
                            f"{suggest(str(label), self._dimensions[d])}")
                    index.append(i)
                if tuple(index) in written:
                    raise ModelDefinitionError(
                        f"{where}: keys {written[tuple(index)]!r} and {key!r} name the same "
                        f"element (Python reads labels in NFKC normal form); give it once")
                written[tuple(index)] = key
                out[tuple(index)] = check_number(v, f"{where}[{key!r}]")
            if np.isnan(out).any():
                missing = [", ".join(self._dimensions[d][i] for d, i in zip(given, idx))
                           for idx in zip(*np.nonzero(np.isnan(out)))]
                raise ModelDefinitionError(
                    f"{where}: no value for {', '.join(missing[:5])}; give every element")
        else:
            try:
                out = np.array(value, dtype=float)
            except (TypeError, ValueError):
                raise ModelDefinitionError(
                    f"{where} must be a number, a mapping of labels to numbers or an array "
                    f"of numbers, got {value!r}") from None
            if out.shape != sizes:
                raise ModelDefinitionError(
                    f"{where}: an array over dims {given} must have shape {sizes}, got "
                    f"{out.shape}")
            if not np.isfinite(out).all():
                raise ModelDefinitionError(f"{where}: values must be finite")
        return np.transpose(out, [given.index(d) for d in dims])

    def stock(self, name: str, initial: float | str | Mapping | Any, *, units: str = "",
              doc: str = "", source: str = "", dims: Sequence[str] | None = None) -> None:
        """Add a stock.

        Parameters
        ----------
        name : str
            Name of the stock.
        initial : float, str, mapping or array
            Initial value: a number or an equation evaluated at the start time
            (it may use parameters and other elements). With ``dims``, a number
            or an equation broadcasts over the dims; a mapping gives one number
            per label (tuples of labels with several dims) and an array one
            number per element, its axes in the order of ``dims``.
        units, doc, source : str
            Units, a one-line description and where the value comes from.
        dims : tuple of str, optional
            Dimensions (declared with :meth:`dimension`) the stock is defined over.

        Examples
        --------
        >>> m = Model("m")
        >>> m.stock("capital", initial="2.5 * output0")
        >>> m.stocks["capital"].equation
        '2.5 * output0'
        """
        where = f"initial value of stock '{name}'"
        units = self._units(units, f"stock '{name}'")
        given = self._user_dims(dims, f"stock '{name}'")
        canonical = self._dims(given, f"stock '{name}'")
        if given and (isinstance(initial, Mapping) or np.ndim(initial) > 0):
            arr = self._array(initial, given, canonical, where)
            self._add(Stock(name, parse(0.0), str(units), str(doc), str(source), canonical,
                            freeze(arr)))
            return
        tree = parse(initial, where=where)
        self._add(Stock(name, tree, str(units), str(doc), str(source), canonical))

    def flow(self, name: str, equation: float | str, *, into: str | None = None,
             out_of: str | None = None, units: str = "", doc: str = "", source: str = "",
             dims: Sequence[str] | None = None) -> None:
        """Add a flow into and/or out of stocks.

        Parameters
        ----------
        name : str
            Name of the flow.
        equation : float or str
            The rate.
        into, out_of : str, optional
            The stock the flow fills and the stock it drains (at least one).
        dims : tuple of str, optional
            Dimensions of the flow; they must be among each connected stock's
            dims, and the equation's dims among them (fewer broadcast).

        Examples
        --------
        >>> m = Model("m")
        >>> m.stock("rural", 100)
        >>> m.stock("urban", 50)
        >>> m.flow("migration", "0.02 * rural", out_of="rural", into="urban")
        >>> m.flows["migration"].into, m.flows["migration"].out_of
        ('urban', 'rural')
        """
        if into is None and out_of is None:
            raise ModelDefinitionError(
                f"flow '{name}' must name a stock in `into` or `out_of` (or both); "
                f"use `aux` for a rate that moves nothing")
        for arg, value in (("into", into), ("out_of", out_of)):
            if value is not None and not isinstance(value, str):
                raise ModelDefinitionError(
                    f"`{arg}` of flow '{name}' must be a stock name, got {value!r}")
        into, out_of = (nfkc(s) if isinstance(s, str) else s for s in (into, out_of))
        if into is not None and into == out_of:
            raise ModelDefinitionError(f"flow '{name}' must not flow into the stock it drains ('{into}')")
        tree = parse(equation, where=f"flow '{name}'")
        units = self._units(units, f"flow '{name}'")
        self._add(Flow(name, tree, into, out_of, str(units), str(doc), str(source),
                       self._dims(dims, f"flow '{name}'")))

    def aux(self, name: str, equation: float | str, *, units: str = "", doc: str = "",
            source: str = "", dims: Sequence[str] | None = None) -> None:
        """Add an auxiliary variable.

        With ``dims``, the equation may have those dimensions or fewer (it is
        broadcast); an equation with other dims is an error.

        Examples
        --------
        >>> m = Model("m")
        >>> m.aux("natural_growth_rate", "birth_rate - death_rate", units="1/year")
        >>> m.auxes["natural_growth_rate"].equation
        'birth_rate - death_rate'
        """
        tree = parse(equation, where=f"aux '{name}'")
        units = self._units(units, f"aux '{name}'")
        self._add(Aux(name, tree, str(units), str(doc), str(source),
                      self._dims(dims, f"aux '{name}'")))

    def param(self, name: str, value: float | Mapping | Any, *, units: str = "",
              bounds: tuple[float, float] | None = None, doc: str = "", source: str = "",
              dims: Sequence[str] | None = None) -> None:
        """Add a parameter.

        Parameters
        ----------
        name : str
            Name of the parameter.
        value : float, mapping or array
            Its default value. With ``dims``, a number applies to every
            element; a mapping gives one number per label (tuples of labels
            with several dims) and an array one number per element, its axes
            in the order of ``dims``.
        bounds : (float, float), optional
            Plausible range; calibration and sensitivity studies use it, and a
            value outside it is refused.
        dims : tuple of str, optional
            Dimensions (declared with :meth:`dimension`) the parameter is defined over.

        Examples
        --------
        >>> m = Model("m")
        >>> m.param("birth_rate", 0.013, units="1/year", bounds=(0.008, 0.02), doc="crude birth rate")
        >>> m.params["birth_rate"].bounds
        (0.008, 0.02)
        """
        given = self._user_dims(dims, f"parameter '{name}'")
        canonical = self._dims(given, f"parameter '{name}'")
        checked = check_bounds(bounds, name)
        units = self._units(units, f"parameter '{name}'")
        if canonical and (isinstance(value, Mapping) or np.ndim(value) > 0):
            arr = self._array(value, given, canonical, f"value of parameter '{name}'")
            if checked is not None and ((arr < checked[0]) | (arr > checked[1])).any():
                bad = float(arr[(arr < checked[0]) | (arr > checked[1])][0])
                raise ParameterError(
                    f"parameter '{name}' = {bad!r} (one of its elements) is outside its bounds "
                    f"{bounds!r}")
            self._add(Param(name, freeze(arr), str(units), checked, str(doc), str(source),
                            canonical))
            return
        value = check_number(value, f"value of parameter '{name}'")
        if checked is not None and not checked[0] <= value <= checked[1]:
            raise ParameterError(f"parameter '{name}' = {value!r} is outside its bounds {bounds!r}")
        self._add(Param(name, value, str(units), checked, str(doc), str(source), canonical))

    def lookup(self, name: str, x: Sequence[float], y: Sequence[float], *, units: str = "",
               doc: str = "", source: str = "") -> None:
        """Add a graphical function, called in equations as ``name(x)``.

        Values between points are interpolated linearly; beyond the first and
        last point the end values hold.

        Examples
        --------
        >>> m = Model("m")
        >>> m.lookup("effect_of_density", x=[0, 1, 2], y=[1.0, 0.8, 0.2])
        >>> m.lookups["effect_of_density"].y
        (1.0, 0.8, 0.2)
        """
        xs, ys = check_table(x, y, f"lookup '{name}'")
        units = self._units(units, f"lookup '{name}'")
        self._add(Lookup(name, xs, ys, str(units), str(doc), str(source)))

    def data(self, name: str, values: Mapping[float, float] | Any, *, units: str = "",
             doc: str = "", source: str = "") -> None:
        """Add a time-series input, used in equations as a plain name.

        Parameters
        ----------
        values : mapping or pandas.Series
            Values by time (e.g. ``{2000: 264.8, 2001: 302.7}``). Between
            times the series is interpolated linearly; outside them the first
            or last value holds. Missing values are refused.

        Examples
        --------
        >>> m = Model("m", start=2000, stop=2002)
        >>> m.data("gdp_data", {2000: 264.8, 2001: 302.7, 2002: 336.4}, units="1e8 yuan/year")
        >>> m.data_inputs["gdp_data"].times
        (2000.0, 2001.0, 2002.0)
        """
        if hasattr(values, "index") and hasattr(values, "to_numpy"):
            times, vals = list(values.index), values.to_numpy()
        elif isinstance(values, Mapping):
            times, vals = list(values.keys()), list(values.values())
        else:
            raise DataError(f"values of data input '{name}' must be a mapping of time to value "
                            f"or a pandas Series, got {type(values).__name__}")
        order = np.argsort(np.asarray(times, dtype=float)) if len(times) else []
        times = [times[i] for i in order]
        vals = [vals[i] for i in order]
        xs, ys = check_table(times, vals, f"data input '{name}'", axis="time")
        units = self._units(units, f"data input '{name}'")
        self._add(DataInput(name, xs, ys, str(units), str(doc), str(source)))

    def scenario(self, name: str, overrides: Mapping[str, float], *, doc: str = "") -> None:
        """Register a named scenario: parameter or stock-initial overrides.

        Examples
        --------
        >>> m = Model("m")
        >>> m.param("growth", 0.1, bounds=(0, 0.3))
        >>> m.scenario("slow", {"growth": 0.05}, doc="half the growth")
        >>> m.scenarios["slow"].overrides
        mappingproxy({'growth': 0.05})
        """
        if not isinstance(name, str) or not name:
            raise ModelDefinitionError(f"scenario name must be a non-empty string, got {name!r}")
        if name in self._scenarios:
            raise ModelDefinitionError(f"scenario '{name}' is already defined")
        if not isinstance(overrides, Mapping):
            raise ModelDefinitionError(f"overrides of scenario '{name}' must be a mapping")
        clean = {}
        for key, value in normal_keys(overrides, f"scenario '{name}'").items():
            self.settable_element(key, where=f"scenario '{name}'")
            clean[key] = self.checked_value(key, value)
        self._scenarios[name] = Scenario(name, MappingProxyType(clean), str(doc))

    def define_unit(self, name: str) -> None:
        """Declare a counted unit of this model's own (see :func:`gysim.units.define`).

        The declaration travels with the model (copies, pickles sent to Dask
        workers) and is part of its hash, unlike a bare ``gysim.units.define``.

        Examples
        --------
        >>> m = Model("m")
        >>> m.define_unit("widget")
        >>> m.stock("stockpile", 10.0, units="widgets")
        >>> m.defined_units
        ('widget',)
        """
        define(name)
        if name not in self._defined_units:
            self._defined_units += (name,)

    @property
    def defined_units(self) -> tuple[str, ...]:
        """The units this model declared with :meth:`define_unit`."""
        return self.__dict__.get("_defined_units", ())

    def set_names_zh(self, names: Mapping[str, str], *, strict: bool = True) -> None:
        """Give elements their Chinese names; results carry them as ``long_name_zh``.

        Plots (``lang="zh"``), tables (:func:`gysim.to_table`) and
        :meth:`parameter_table` show them. They are labels, not part of the
        model's equations: the model's :meth:`hash` does not change.

        Parameters
        ----------
        names : mapping of str to str
            Element name -> Chinese name.
        strict : bool
            Refuse names that are not elements of the model; ``False`` skips
            them (see :func:`gysim.elements.named_zh`).

        Examples
        --------
        >>> m = Model("m")
        >>> m.param("gdp_2000", 264.8, units="1e8 yuan/year", doc="GDP in 2000")
        >>> m.set_names_zh({"gdp_2000": "2000年地区生产总值"})
        >>> m["gdp_2000"].long_name_zh
        '2000年地区生产总值'
        """
        self._elements.update(named_zh(self._elements, names, strict=strict))

    def set_short_names(self, names: Mapping[str, str], *, lang: str = "en", strict: bool = True) -> None:
        """Give elements short names, for tight spaces: tick labels, legends, bars of indices.

        A short name says what the element is in a few words ("Capital
        share", "资本产出弹性"), where the long name (``doc``,
        ``long_name_zh``) would not fit. Sensitivity indices carry them
        (:func:`gysim.display.label_indices`) and the figures of indices and
        fits label with them (:func:`gysim.display.short_name` gives the
        rule when one is missing). Like the Chinese names, they are labels:
        the model's :meth:`hash` does not change.

        Parameters
        ----------
        names : mapping of str to str
            Element name -> short name.
        lang : {"en", "zh"}
            The language of the names: ``short_name`` or ``short_name_zh``.
        strict : bool
            Refuse names that are not elements of the model; ``False`` skips
            them (see :func:`gysim.elements.named_zh`).

        Examples
        --------
        >>> m = Model("m")
        >>> m.param("capital_share", 0.5, doc="output elasticity of capital")
        >>> m.set_short_names({"capital_share": "Capital share"})
        >>> m.set_short_names({"capital_share": "资本产出弹性"}, lang="zh")
        >>> m["capital_share"].short_name, m["capital_share"].short_name_zh
        ('Capital share', '资本产出弹性')
        """
        self._elements.update(named_zh(self._elements, names, strict=strict, field=short_field(lang)))

    # ------------------------------------------------------------------ deriving
    def copy(self) -> "Model":
        """Return an independent copy of the model.

        Examples
        --------
        >>> m = Model("m")
        >>> m2 = m.copy()
        >>> m2.param("a", 1.0)
        >>> "a" in m
        False
        """
        new = _copy.copy(self)
        new._elements = dict(self._elements)
        new._scenarios = dict(self._scenarios)
        new._dimensions = dict(self._dimensions)
        new._label_dim = dict(self._label_dim)
        new._spellings = dict(self._spellings)
        new._compiled = None
        return new

    def with_params(self, overrides: Mapping[str, float] | None = None, /, *,
                    allow_outside_bounds: bool = False, **kwargs: float) -> "Model":
        """Return a new model with some parameter values (or stock initial values) changed.

        For an element over dimensions, a number applies to every element; a
        mapping of labels (tuples of labels with several dims) or an array
        over its dims gives one value per element.

        Parameters
        ----------
        overrides : mapping, optional
            Values by name; keyword arguments add to them.
        allow_outside_bounds : bool
            Accept values outside a parameter's bounds: a deliberate what-if.
            The new model remembers them (:attr:`outside_bounds`) and every
            run that uses them says so in ``ds.attrs["outside_bounds"]``.
            Values are still checked to be finite.

        Raises
        ------
        ParameterError
            If a name is not a parameter or stock, a value is not finite, or
            (without `allow_outside_bounds`) is outside the parameter's bounds.

        Examples
        --------
        >>> m = Model("m")
        >>> m.param("a", 1.0, bounds=(0, 10))
        >>> m.with_params(a=2.0).params["a"].value, m.params["a"].value
        (2.0, 1.0)
        >>> what_if = m.with_params(a=12.0, allow_outside_bounds=True)
        >>> what_if.params["a"].value, dict(what_if.outside_bounds)
        (12.0, {'a': {'value': 12.0, 'bounds': [0.0, 10.0]}})
        """
        changes = normal_keys(dict(overrides or {}), "with_params")
        for key, value in normal_keys(kwargs, "with_params").items():
            if key in changes:
                raise ParameterError(f"with_params sets '{key}' twice (as a mapping and a keyword)")
            changes[key] = value
        new = self.copy()
        outside = dict(self.outside_bounds)
        for key, value in changes.items():
            element = new.settable_element(key, where="with_params")
            bounds = element.bounds if isinstance(element, Param) else None
            value = new.checked_value(key, value, within_bounds=False)  # bounds: below
            arr, _ = np.asarray(value, dtype=float), outside.pop(key, None)
            out = (arr < bounds[0]) | (arr > bounds[1]) if bounds else np.zeros(1, bool)
            if out.any() and not allow_outside_bounds:
                raise ParameterError(
                    f"parameter '{key}' = {float(arr[out].flat[0] if arr.ndim else arr)!r}"
                    f"{' (one of its elements)' if arr.ndim else ''} is outside its bounds "
                    f"({bounds[0]:g}, {bounds[1]:g}); for a deliberate what-if use "
                    f"with_params(..., allow_outside_bounds=True)")
            if out.any():
                outside[key] = {"value": arr.tolist(), "bounds": [float(b) for b in bounds]}
            if isinstance(element, Param):
                new._elements[key] = replace(element, value=value)
            elif isinstance(value, tuple):  # one initial value per element
                new._elements[key] = replace(element, initial=parse(0.0), values=value)
            else:
                new._elements[key] = replace(element, initial=parse(value), values=None)
        new._outside_bounds = MappingProxyType(outside)
        return new

    def with_bounds(self, bounds: Mapping[str, tuple[float | None, float | None] | None]
                    ) -> "Model":
        """Return a new model whose parameters have other bounds (None: no bounds).

        Examples
        --------
        >>> m = Model("m")
        >>> m.param("a", 1.0, bounds=(0, 10))
        >>> m.with_bounds({"a": (0, 20)}).params["a"].bounds, m.params["a"].bounds
        ((0.0, 20.0), (0.0, 10.0))
        """
        new = self.copy()
        for key, pair in normal_keys(dict(bounds), "with_bounds").items():
            element = new.settable_element(key, where="with_bounds")
            if not isinstance(element, Param):
                raise ParameterError(f"with_bounds: '{key}' is a stock; only parameters have bounds")
            new._elements[key] = replace(element, bounds=check_bounds(pair, key))
            new.checked_value(key, element.value)  # the value must lie within the new bounds
        return new

    @property
    def outside_bounds(self) -> Mapping[str, dict]:
        """Parameters set outside their bounds by ``with_params(..., allow_outside_bounds=True)``.

        Name -> ``{"value": ..., "bounds": [lo, hi]}`` (the value a number,
        or nested lists for one value per element); empty for a model whose
        values are all within their bounds.

        Examples
        --------
        >>> m = Model("m")
        >>> m.param("a", 1.0, bounds=(0, 10))
        >>> len(m.outside_bounds), list(m.with_params(a=-1, allow_outside_bounds=True).outside_bounds)
        (0, ['a'])
        """
        return self.__dict__.get("_outside_bounds", MappingProxyType({}))

    def with_time(self, *, start: float | None = None, stop: float | None = None,
                  dt: float | None = None) -> "Model":
        """Return a new model with another time horizon or time step.

        Examples
        --------
        >>> Model("m", start=2000, stop=2010).with_time(stop=2020).stop
        2020.0
        """
        new = self.copy()
        start = self.start if start is None else check_number(start, "`start`")
        stop = self.stop if stop is None else check_number(stop, "`stop`")
        if stop <= start:
            raise ModelDefinitionError(f"`stop` must be after `start`, got start={start}, stop={stop}")
        new.start, new.stop = start, stop
        if dt is not None:
            if check_number(dt, "`dt`") <= 0:
                raise ModelDefinitionError(f"`dt` must be positive, got {dt!r}")
            new.dt = float(dt)
        return new

    def settable_element(self, key: str, *, where: str) -> Param | Stock:
        """The element a run may set: a parameter, or a stock (its initial value).

        Parameters
        ----------
        key : str
            Element name.
        where : str
            What the error message names as the source of ``key``, e.g.
            ``"params"`` or ``"scenario 'plan'"``.

        Returns
        -------
        Param or Stock

        Raises
        ------
        ParameterError
            If ``key`` is not an element of the model, or is one that cannot
            be set (a flow, auxiliary, lookup or data input).

        Examples
        --------
        >>> m = Model("m")
        >>> m.stock("x", 1.0)
        >>> m.param("k", 0.5)
        >>> m.flow("loss", "k * x", out_of="x")
        >>> m.settable_element("k", where="params").kind
        'param'
        >>> m.settable_element("loss", where="params")
        Traceback (most recent call last):
        ...
        gysim.errors.ParameterError: params: 'loss' is a flow; only parameters and stock initial values can be set
        """
        element = self._elements.get(key)
        if element is None:
            raise ParameterError(f"{where}: '{key}' is not an element of model '{self.name}'"
                                 f"{self._hint(key)}")
        if not isinstance(element, (Param, Stock)):
            raise ParameterError(
                f"{where}: '{key}' is a {element.kind}; only parameters and stock initial "
                f"values can be set")
        return element

    def checked_value(self, key: str, value: Any, *, within_bounds: bool = True) -> float | tuple:
        """A value for settable element ``key``, checked: finite, within its bounds.

        Parameters
        ----------
        key : str
            Name of a parameter or stock (see :meth:`settable_element`).
        value : number, mapping or array
            A number; for an element over dimensions also a mapping of labels
            (tuples of labels with several dims) or an array over its dims.
        within_bounds : bool
            Whether a parameter's value must lie within its bounds.

        Returns
        -------
        float or tuple
            The number, or nested tuples of floats (dims in model order) for
            one value per element.

        Raises
        ------
        ParameterError
            If the value is not a finite number, a label is unknown, or a
            parameter's value is outside its bounds.

        Examples
        --------
        >>> m = Model("m")
        >>> m.dimension("sector", ["agri", "industry"])
        >>> m.param("share", 0.5, dims="sector", bounds=(0, 1))
        >>> m.checked_value("share", {"agri": 0.2, "industry": 0.8})
        (0.2, 0.8)
        >>> m.checked_value("share", 2)
        Traceback (most recent call last):
        ...
        gysim.errors.ParameterError: parameter 'share' = 2.0 is outside its bounds (0, 1)
        """
        element = self._elements[key]
        if element.dims and (isinstance(value, Mapping) or np.ndim(value) > 0):
            # one value per element: a mapping of labels, or an array over the dims
            arr = self._array(value, element.dims, element.dims, f"value of '{key}'")
            if within_bounds and isinstance(element, Param) and element.bounds is not None:
                lo, hi = element.bounds
                out = (arr < lo) | (arr > hi)
                if out.any():
                    raise ParameterError(
                        f"parameter '{key}' = {float(arr[out][0])!r} (one of its elements) is "
                        f"outside its bounds ({lo:g}, {hi:g})")
            return freeze(arr)
        value = check_number(value, f"value of '{key}'")
        if within_bounds and isinstance(element, Param) and element.bounds is not None:
            lo, hi = element.bounds
            if not lo <= value <= hi:
                raise ParameterError(
                    f"parameter '{key}' = {value!r} is outside its bounds ({lo:g}, {hi:g})")
        return value

    # ------------------------------------------------------------------ inspecting
    def _of_kind(self, cls: type) -> Mapping[str, Any]:
        return MappingProxyType({k: v for k, v in self._elements.items() if isinstance(v, cls)})

    @property
    def elements(self) -> Mapping[str, Any]:
        """Every element by name, in the order they were added."""
        return MappingProxyType(self._elements)

    @property
    def dimensions(self) -> Mapping[str, tuple[str, ...]]:
        """Dimensions by name: their element labels, in declaration order."""
        return MappingProxyType(self._dimensions)

    @property
    def stocks(self) -> Mapping[str, Stock]:
        """Stocks by name."""
        return self._of_kind(Stock)

    @property
    def flows(self) -> Mapping[str, Flow]:
        """Flows by name."""
        return self._of_kind(Flow)

    @property
    def auxes(self) -> Mapping[str, Aux]:
        """Auxiliaries by name."""
        return self._of_kind(Aux)

    @property
    def params(self) -> Mapping[str, Param]:
        """Parameters by name (value, units, bounds, doc, source)."""
        return self._of_kind(Param)

    @property
    def lookups(self) -> Mapping[str, Lookup]:
        """Lookups (graphical functions) by name."""
        return self._of_kind(Lookup)

    @property
    def data_inputs(self) -> Mapping[str, DataInput]:
        """Time-series inputs by name."""
        return self._of_kind(DataInput)

    @property
    def scenarios(self) -> Mapping[str, Scenario]:
        """Registered scenarios by name."""
        return MappingProxyType(self._scenarios)

    def __getitem__(self, name: str) -> Any:
        try:
            return self._elements[name]
        except KeyError:
            raise KeyError(f"'{name}' is not an element of model '{self.name}'"
                           f"{self._hint(name)}") from None

    def _hint(self, name: Any) -> str:
        """Did-you-mean for a name that is not an element, NFKC spellings first."""
        if isinstance(name, str) and nfkc(name) in self._elements:
            return (f"; the model stores it as '{nfkc(name)}' (names are kept in NFKC "
                    f"normal form, as Python reads them): write '{nfkc(name)}'")
        return suggest(str(name), self._elements)

    def __contains__(self, name: object) -> bool:
        return name in self._elements

    def __len__(self) -> int:
        return len(self._elements)

    def compile(self):
        """Check the model and return its compiled form (cached until the model changes).

        Raises
        ------
        ModelDefinitionError
            For unknown names, wrong calls, flows attached to missing stocks
            and algebraic loops.

        Examples
        --------
        >>> m = Model("m")
        >>> m.stock("x", 1.0)
        >>> m.flow("f", "0.1 * x", into="x")
        >>> m.compile().state_names
        ['x']
        """
        if self._compiled is None:
            self._compiled = CompiledModel(self)
        return self._compiled

    def description(self) -> dict:
        """A JSON-ready description of the model (used for hashing and export).

        It holds everything that changes a number of a run: every value at
        full precision (``repr`` of floats, which round-trips), lookup tables
        and data series point by point, the run settings (start, stop, dt,
        saveper, method) and whether units are checked on a run.

        Examples
        --------
        >>> Model("m", start=0, stop=1).description()["name"]
        'm'
        >>> Model("m", method="rk4", saveper=0.5).description()["run"]
        {'method': 'rk4', 'saveper': 0.5, 'check_units_on_run': True}
        """
        out = {"name": self.name, "start": self.start, "stop": self.stop, "dt": self.dt,
               "time_units": self.time_units, "defined_units": list(self.defined_units),
               "run": run_settings(self),
               "elements": {k: element_description(v) for k, v in self._elements.items()},
               "scenarios": {k: dict(s.overrides) for k, s in self._scenarios.items()}}
        if self._dimensions:
            out["dimensions"] = {k: list(v) for k, v in self._dimensions.items()}
        return out

    def hash(self) -> str:
        """SHA-256 of the model description: equal for equal models.

        Two models that differ in any number (to the last bit), in the
        integration method or in the save period have different hashes.

        Examples
        --------
        >>> Model("m").hash() == Model("m").hash()
        True
        >>> Model("m", method="rk4").hash() == Model("m").hash()
        False
        """
        text = json.dumps(self.description(), sort_keys=True, default=repr)
        return hashlib.sha256(text.encode()).hexdigest()

    def check_units(self) -> None:
        """Check every equation dimensionally (see :func:`gysim.units.check_units`).

        Raises
        ------
        UnitsError
            Naming the element, its equation and the two sides' units.

        Examples
        --------
        >>> m = Model("m")
        >>> m.stock("x", 1.0, units="kg")
        >>> m.flow("f", "x", into="x", units="kg/year")
        >>> m.check_units()
        Traceback (most recent call last):
        ...
        gysim.errors.UnitsError: ...
        """
        check_units(self)

    def to_vensim(self, path, *, dt: float | None = None, saveper: float | None = None):
        """Write the model as a Vensim ``.mdl`` file (see :func:`gysim.io.vensim_writer.write_vensim`).

        Scenarios are not written. TIME STEP is ``dt``, else the model's ``dt``, else 0.125.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> m = Model("m", start=0, stop=2, dt=1)
        >>> m.stock("x", 1.0)
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     m.to_vensim(pathlib.Path(tmp) / "m.mdl").name
        'm.mdl'
        """
        # Imported here: gysim.io's package module loads the readers, which build Models.
        from .io.vensim_writer import write_vensim
        return write_vensim(self, path, dt=dt, saveper=saveper)

    def to_xmile(self, path, *, dt: float | None = None):
        """Write the model as an XMILE file (see :func:`gysim.io.xmile_writer.write_xmile`).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> m = Model("m", start=0, stop=2, dt=1)
        >>> m.stock("x", 1.0)
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     m.to_xmile(pathlib.Path(tmp) / "m.xmile").name
        'm.xmile'
        """
        from .io.xmile_writer import write_xmile  # (see to_vensim)
        return write_xmile(self, path, dt=dt)

    def parameter_table(self, lang: str = "en"):
        """Every parameter's default value, units, bounds, doc and source, as a table.

        Parameters
        ----------
        lang : {"en", "zh"}
            Language of the ``name`` column: ``"zh"`` takes the Chinese name
            where the parameter has one, its doc otherwise.

        Returns
        -------
        pandas.DataFrame
            One row per parameter, or per element ``name[label]`` of a
            parameter over dimensions, indexed by ``parameter``; columns
            ``name``, ``value``, ``units``, ``lower`` and ``upper`` (the
            bounds; NaN for none), ``doc``, ``name_zh`` (the Chinese name
            given by :meth:`set_names_zh`, else empty) and ``source``. Write it with
            :func:`gysim.write_table` (CSV or Excel).

        Examples
        --------
        >>> m = Model("m")
        >>> m.dimension("sector", ["farm", "mill"])
        >>> m.param("birth_rate", 0.013, units="1/year", bounds=(0.008, 0.02), doc="crude birth rate",
        ...         source="yearbook 2005")
        >>> m.param("share", {"farm": 0.3, "mill": 0.7}, dims="sector")
        >>> m.parameter_table()[["value", "units", "lower", "upper", "source"]]
                    value   units  lower  upper         source
        parameter
        birth_rate  0.013  1/year  0.008   0.02  yearbook 2005
        share[farm]   0.3            NaN    NaN
        share[mill]   0.7            NaN    NaN
        """
        return parameter_table(self, lang)

    def loops(self, *, run=None, sectors=None, limit=None):
        """Every feedback loop, with its polarity (see :func:`gysim.loops.find_loops`).

        Examples
        --------
        >>> m = Model("m")
        >>> m.stock("x", 1.0)
        >>> m.flow("growth", "0.1 * x", into="x")
        >>> [(lp.id, lp.polarity, lp.name) for lp in m.loops()]
        [('R1', '+', 'x → growth → x')]
        """
        from .loops import find_loops  # a peer of Model, as the writers are
        return find_loops(self, run=run, sectors=sectors, limit=limit)

    def diagram(self, **options):
        """The stock-and-flow diagram: ``group_by``, ``only``, ``highlight``, ``loops``,
        ``lang`` and ``title`` as in :func:`gysim.diagram.diagram`.

        Examples
        --------
        >>> m = Model("m")
        >>> m.stock("x", 1.0)
        >>> m.flow("growth", "0.1 * x", into="x")
        >>> m.diagram().loop_ids
        ['R1']
        """
        from .diagram import diagram  # a peer of Model, as the writers are
        return diagram(self, **options)

    def __repr__(self) -> str:
        counts = {k: 0 for k in ("stock", "flow", "aux", "param", "lookup", "data")}
        for e in self._elements.values():
            counts[e.kind] += 1
        parts = ", ".join(f"{n} {k}{'s' if n != 1 else ''}" for k, n in counts.items() if n)
        return (f"<gysim.Model '{self.name}' {self.start:g}-{self.stop:g} {self.time_units}: "
                f"{parts or 'empty'}>")

    def _repr_html_(self) -> str:
        return model_html(self)
