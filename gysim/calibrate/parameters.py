"""What a calibration fits: parameters, elements ``p[label]`` of subscripted ones, and stock
initial values, with their search bounds, units and the model's own values.

Examples
--------
>>> import gysim
>>> from gysim.calibrate.parameters import calibrated_parameters
>>> m = gysim.Model("decay", start=0, stop=4)
>>> m.stock("x", 1.0, units="kg")
>>> m.param("k", 0.3, bounds=(0.01, 2), units="1/year")
>>> m.flow("out", "k * x", out_of="x", units="kg/year")
>>> names, lower, upper, units = calibrated_parameters(m, ["k", "x"], {"x": (0.5, 2)})
>>> names, lower.tolist(), upper.tolist(), units
(['k', 'x'], [0.01, 0.5], [2.0, 2.0], {'k': '1/year', 'x': 'kg'})
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._text import suggest
from ..batch import param_element
from ..errors import ParameterError
from ..labels import element_name, split_element
from ..model import Model
from ..simulate import simulate

__all__ = ["calibrated_parameters", "current_values"]


def calibrated_parameters(model: Model, params: Sequence[str] | str,
                          bounds: Mapping[str, tuple[float, float]] | None
                          ) -> tuple[list[str], np.ndarray, np.ndarray, dict[str, str]]:
    """Names, lower and upper bounds, and units of the calibrated parameters.

    Parameters
    ----------
    model : gysim.Model
        The model calibrated.
    params : sequence of str
        Parameters, elements ``p[label]`` of subscripted parameters, and
        stocks whose initial value is fitted (see :func:`gysim.calibrate`).
    bounds : mapping, optional
        Name -> ``(lower, upper)``, within a parameter's own bounds; a stock
        needs one.

    Returns
    -------
    names : list of str
    lower, upper : numpy.ndarray
        The search bounds of each name.
    units : dict
        Name -> units (of the parameter an element belongs to).

    Raises
    ------
    ParameterError
        For an empty, repeated or unknown name, a subscripted parameter or
        stock named as a whole, a name without bounds, or bounds outside a
        parameter's own.

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("m")
    >>> m.dimension("sector", ["farm", "mill"])
    >>> m.param("rate", 0.1, dims=("sector",), bounds=(0, 1))
    >>> calibrated_parameters(m, ["rate[mill]"], {"rate[mill]": (0, 0.5)})[:3]
    (['rate[mill]'], array([0.]), array([0.5]))
    >>> calibrated_parameters(m, ["rate"], None)
    Traceback (most recent call last):
    ...
    gysim.errors.ParameterError: parameter 'rate' is over dimension(s) sector: calibrate its elements by name, e.g. 'rate[farm]', 'rate[mill]'
    """
    if isinstance(params, str):
        params = [params]
    names = list(params)
    if not names:
        raise ParameterError("`params` must name at least one parameter to calibrate")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ParameterError(f"`params` names {', '.join(repeated)} more than once")
    bounds = dict(bounds or {})
    extra = [k for k in bounds if k not in names]
    if extra:
        raise ParameterError(f"`bounds` given for {', '.join(map(repr, extra))}, which is not in `params`")
    lower, upper, units = [], [], {}
    for name in names:
        base, labels = split_element(name) if isinstance(name, str) else (name, ())
        if labels:
            param_element(model, name, argument="params")
            element = model.params[base]
            own = element.bounds
        elif name in model.params and model.params[name].dims:
            element = model.params[name]
            example = ", ".join(f"'{n}'" for n in _param_elements(model, name)[:3])
            raise ParameterError(
                f"parameter '{name}' is over dimension(s) {', '.join(element.dims)}: calibrate its "
                f"elements by name, e.g. {example}")
        elif name in model.stocks and model.stocks[name].dims:
            raise ParameterError(
                f"stock '{name}' is over dimension(s) {', '.join(model.stocks[name].dims)}; the "
                "initial values of a subscripted stock cannot be calibrated (make them a "
                "parameter over its dims and calibrate that parameter's elements)")
        elif name in model.params:
            element = model.params[name]
            own = element.bounds
        elif name in model.stocks:
            element, own = model.stocks[name], None
        elif name in model:
            raise ParameterError(f"'{name}' is a {model[name].kind} of model '{model.name}'; only parameters "
                                 "and stock initial values can be calibrated")
        else:
            raise ParameterError(f"'{name}' is not a parameter or stock of model '{model.name}'"
                                 f"{suggest(name, list(model.params) + list(model.stocks))}")
        if name in bounds:
            try:
                lo, hi = (float(v) for v in bounds[name])
            except (TypeError, ValueError):
                raise ParameterError(f"`bounds` of '{name}' must be (lower, upper), got {bounds[name]!r}") from None
            if own is not None and not (own[0] <= lo and hi <= own[1]):
                raise ParameterError(f"`bounds` of '{name}' ({lo:g}, {hi:g}) must lie within its own bounds "
                                     f"({own[0]:g}, {own[1]:g})")
        elif own is not None:
            lo, hi = own
        else:
            what = "stock" if name in model.stocks else "parameter"
            raise ParameterError(f"{what} '{name}' has no bounds to search; give bounds={{'{name}': (lower, upper)}}")
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise ParameterError(f"bounds of '{name}' must be finite with lower < upper, got ({lo!r}, {hi!r})")
        lower.append(lo)
        upper.append(hi)
        units[name] = element.units
    return names, np.array(lower, dtype=float), np.array(upper, dtype=float), units


def _param_elements(model: Model, name: str) -> list[str]:
    """``p[label]`` for every element of subscripted parameter ``p``."""
    dims = model.params[name].dims
    return [element_name(name, c) for c in itertools.product(*(model.dimensions[d] for d in dims))]


def current_values(model: Model, names: Sequence[str], options: Mapping[str, Any]) -> np.ndarray:
    """The model's own values of calibrated parameters, elements and stock initial values.

    Parameters
    ----------
    model : gysim.Model
    names : sequence of str
        As returned by :func:`calibrated_parameters`.
    options : mapping
        Options of :func:`gysim.simulate` for the run that gives the stocks'
        initial values (only made when a stock is calibrated; ``stop`` is
        ignored).

    Returns
    -------
    numpy.ndarray
        One value per name.

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("m", start=0, stop=1)
    >>> m.dimension("sector", ["farm", "mill"])
    >>> m.param("rate", {"farm": 0.1, "mill": 0.2}, dims=("sector",), bounds=(0, 1))
    >>> m.param("x0", 3.0)
    >>> m.stock("x", "2 * x0")
    >>> current_values(m, ["rate[mill]", "x"], {}).tolist()
    [0.2, 6.0]
    """
    stocks = [n for n in names if n in model.stocks]
    initial = {}
    if stocks:
        keep = {k: v for k, v in options.items() if k != "stop"}
        ds = simulate(model, variables=stocks, **keep)
        initial = {n: float(ds[n].isel(time=0)) for n in stocks}
    values = []
    for n in names:
        if n in initial:
            values.append(initial[n])
            continue
        base, index = param_element(model, n, argument="params")
        own = np.asarray(model.params[base].value, dtype=float)
        values.append(float(own if index is None else np.broadcast_to(
            own, tuple(len(model.dimensions[d]) for d in model.params[base].dims))[index]))
    return np.array(values, dtype=float)
