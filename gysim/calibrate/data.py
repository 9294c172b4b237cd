"""Calibration data: a table of observations in the model's units, and the weight of each series.

Observations come as a DataFrame indexed by time with one column per
simulated variable (``var[label]`` for one element of a subscripted one), or
as a Dataset (a variable over ``(time, <dims>)`` gives one column per
element). For series ``j`` with weight ``w_j`` the residual of an
observation is ``w_j * (simulated - observed)``; the default weight is
``w_j = 1 / mean(|observed_j|)``, so each residual is a fraction of the
series' typical size and series in different units (亿元, 万人, percent)
count alike, observation by observation.

Examples
--------
>>> import pandas as pd, gysim
>>> from gysim.calibrate.data import data_frame, series_weights
>>> m = gysim.Model("growth", start=2000, stop=2005)
>>> m.stock("gdp", 264.8)
>>> m.param("g", 0.05, bounds=(0.0, 0.3))
>>> m.flow("increase", "g * gdp", into="gdp")
>>> notes = []
>>> frame = data_frame(m, pd.DataFrame({"gdp": [250.0, 350.0]}, index=[2000, 2008]), 2005, notes)
>>> frame.index.tolist(), notes
([2000.0], ["data at time(s) 2008 lie outside the model's horizon 2000-2005 and are not used"])
>>> series_weights(frame, None, notes).tolist()
[0.004]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from .._text import suggest
from ..errors import DataError, UnitsError
from ..labels import element_names, resolve_labels, select_element, split_element
from ..model import Model
from ..outputs import Derived
from ..units import _factor, to_model_units

__all__ = ["data_in_model_units", "data_frame", "series_weights", "check_columns",
           "derived_in_units"]


def check_columns(data: pd.DataFrame, what: str = "calibration `data`") -> None:
    """Refuse a table whose columns repeat a name (each column must be one series).

    Examples
    --------
    >>> import pandas as pd
    >>> check_columns(pd.DataFrame([[1.0, 2.0]], columns=["gdp", "gdp"]))
    Traceback (most recent call last):
    ...
    gysim.errors.DataError: calibration `data` has more than one column named 'gdp'; give each series one column (rename or drop the repeats)
    """
    if isinstance(data, pd.DataFrame) and data.columns.has_duplicates:
        twice = list(dict.fromkeys(data.columns[data.columns.duplicated()]))
        raise DataError(f"{what} has more than one column named "
                        f"{', '.join(map(repr, twice))}; give each series one column (rename "
                        f"or drop the repeats)")


def data_in_model_units(model: Model, data: pd.DataFrame | xr.Dataset,
                        data_units: Mapping[str, str] | None) -> pd.DataFrame | xr.Dataset:
    """Data converted to the model's units (a column ``var[label]`` takes the units of ``var``).

    Parameters
    ----------
    model : gysim.Model
    data : pandas.DataFrame or xarray.Dataset
        The observations. A Dataset variable's ``units`` attribute gives its
        units unless `data_units` does, and so does a DataFrame's
        ``attrs["units"]`` (column -> units, as
        :func:`gysim.read_observations` sets it); a Dataset with subscripted
        variables becomes a DataFrame with a column per element.
    data_units : mapping, optional
        Column (or variable) -> the units the data are in.

    Returns
    -------
    pandas.DataFrame or xarray.Dataset
        The data in the model's units (see :func:`gysim.units.to_model_units`).

    Raises
    ------
    DataError
        For units given for a column that is not in the data.
    UnitsError
        For units that do not convert to the variable's.

    Examples
    --------
    >>> import pandas as pd, gysim
    >>> m = gysim.Model("m", start=0, stop=1)
    >>> m.stock("gdp", 1.0, units="1e8 yuan")
    >>> data = pd.DataFrame({"gdp": [1.0e4, 2.0e4]}, index=[0, 1])
    >>> data_in_model_units(m, data, {"gdp": "1e4 yuan"})["gdp"].tolist()
    [1.0, 2.0]
    """
    check_columns(data)
    if isinstance(data, pd.DataFrame) and data.attrs.get("units"):  # from read_observations
        data_units = {**{k: v for k, v in data.attrs["units"].items() if k in data.columns},
                      **dict(data_units or {})}
    if isinstance(data, xr.Dataset):
        units = dict(data_units or {})
        for name, da in data.data_vars.items():
            if name not in units and da.attrs.get("units"):
                units[name] = da.attrs["units"]
        if any(d != "time" for da in data.data_vars.values() for d in da.dims):
            data = _flatten_dataset(data)
            for name in list(units):  # a variable's units hold for each of its elements
                for column in data.columns:
                    if split_element(column)[0] == name and column != name:
                        units.setdefault(column, units[name])
            data_units = {k: v for k, v in units.items() if k in data.columns}
        else:
            data_units = units or None
    if not data_units or not isinstance(data, pd.DataFrame):
        return to_model_units(model, data, data_units)
    plain = {k: v for k, v in data_units.items() if not split_element(str(k))[1]}
    out = to_model_units(model, data, plain) if plain else data.copy()
    for column, units in data_units.items():
        base, labels = split_element(str(column))
        if not labels:
            continue
        if column not in data.columns:
            raise DataError(f"`data_units` given for {column!r}, which is not in the data")
        one = to_model_units(model, data[[column]].rename(columns={column: base}), {base: units})
        out[column] = one[base].to_numpy()
    return out


def data_frame(model: Model, data: pd.DataFrame | xr.Dataset, stop: float,
               notes: list[str], derived: Sequence[str] = ()) -> pd.DataFrame:
    """The data as a float DataFrame sorted by time, restricted to the model's horizon.

    Parameters
    ----------
    model : gysim.Model
    data : pandas.DataFrame or xarray.Dataset
        Observations indexed by numeric time, one column per simulated
        variable or element ``var[label]``.
    stop : float
        The end of the runs; data after it (or before the model's start)
        are dropped.
    notes : list of str
        Gets a note naming the times dropped.
    derived : sequence of str
        Names of derived outputs (calibrate's `outputs`) a column may name.

    Returns
    -------
    pandas.DataFrame
        Float values indexed by ``time``, rows without any observation left out.

    Raises
    ------
    DataError
        For empty or non-numeric data, repeated times, a column that is not a
        simulated variable (or names a subscripted one without its element,
        or a label it does not have), infinite values, or no data within the
        horizon.

    Examples
    --------
    >>> import pandas as pd, gysim
    >>> m = gysim.Model("m", start=0, stop=3)
    >>> m.dimension("sector", ["farm", "mill"])
    >>> m.stock("x", 1.0, dims=("sector",))
    >>> data_frame(m, pd.DataFrame({"x[mill]": [1.0, 2.0]}, index=[3, 0]), 3, []).index.tolist()
    [0.0, 3.0]
    >>> data_frame(m, pd.DataFrame({"x[mil]": [1.0]}, index=[0]), 3, [])
    Traceback (most recent call last):
    ...
    gysim.errors.DataError: `data`: 'x[mil]': 'mil' is not an element of the dimension(s) sector of variable 'x' (elements: farm, mill); did you mean 'mill'?
    """
    if isinstance(data, xr.Dataset):
        data = _flatten_dataset(data)
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"calibration `data` must be a pandas DataFrame or an xarray Dataset, got {type(data).__name__}")
    if data.empty:
        raise DataError("calibration `data` is empty: it needs at least one time and one column")
    if not pd.api.types.is_numeric_dtype(data.index):
        raise DataError(f"calibration `data` must be indexed by numeric times (years); got a {type(data.index).__name__}"
                        " (for dates, index by data.index.year)")
    check_columns(data)
    times = np.asarray(data.index, dtype=float)
    if not np.isfinite(times).all():
        raise DataError(f"calibration `data` has times that are not finite numbers: "
                        f"{', '.join(map(str, data.index[~np.isfinite(times)][:5]))}")
    if data.index.has_duplicates:
        raise DataError("calibration `data` repeats the time(s) "
                        f"{', '.join(map(str, data.index[data.index.duplicated()].unique()[:5]))}")
    simulated = list(model.stocks) + list(model.flows) + list(model.auxes)
    for name in data.columns:
        if name in derived:
            continue
        base, labels = split_element(name) if isinstance(name, str) else (name, ())
        dims = model[base].dims if base in simulated else ()
        if base in simulated and (labels or not dims):
            if labels:
                resolve_labels(name, dims, model.dimensions, argument="data")
            continue
        if base in simulated:
            example = ", ".join(f"'{base}[{label}]'" for label in model.dimensions[dims[0]][:3])
            raise DataError(f"data column '{name}' is a variable over dimension(s) "
                            f"{', '.join(dims)}; name one element per column, e.g. {example}")
        if isinstance(name, str) and name in model:
            hint = ""
            if model[name].kind == "param":  # results carry their parameters as coordinates
                hint = ("; a frame made from simulation results carries their parameters: "
                        "drop them first, e.g. ds[[...]].reset_coords(drop=True).to_dataframe()")
            raise DataError(f"data column '{name}' is a {model[name].kind} of model '{model.name}', not a "
                            f"simulated variable (stock, flow or auxiliary){hint}")
        raise DataError(f"data column {name!r} is not a variable of model '{model.name}'"
                        f"{suggest(str(name), simulated + list(derived))} (a column may also "
                        f"observe a function of the run given in `outputs`)")
    try:
        frame = data.astype(float)
    except (TypeError, ValueError):
        bad = []
        for column in data.columns:
            try:
                data[column].astype(float)
            except (TypeError, ValueError):
                bad.append(column)
        raise DataError(f"calibration `data` must hold numbers (NaN for missing values); "
                        f"column(s) {', '.join(map(repr, bad))} do not") from None
    if np.isinf(frame.to_numpy()).any():
        raise DataError("calibration `data` holds infinite values; use NaN for a missing observation")
    frame.index = pd.Index(np.asarray(frame.index, dtype=float), name="time")
    frame = frame.sort_index()
    span = max(1.0, abs(model.start), abs(stop))
    inside = (frame.index >= model.start - 1e-9 * span) & (frame.index <= stop + 1e-9 * span)
    if not inside.any():
        raise DataError(f"no data time lies within the model's horizon {model.start:g}-{stop:g}; "
                        f"data times run from {frame.index[0]:g} to {frame.index[-1]:g}")
    if not inside.all():
        dropped = ", ".join(f"{t:g}" for t in frame.index[~inside])
        notes.append(f"data at time(s) {dropped} lie outside the model's horizon {model.start:g}-{stop:g} and are not used")
    frame = frame[inside].dropna(how="all")
    empty = [c for c in frame.columns if frame[c].isna().all()]
    if empty:
        raise DataError(f"data column(s) {', '.join(map(repr, empty))} have no observation within the model's horizon")
    return frame


def derived_in_units(data: pd.DataFrame | xr.Dataset, data_units: Mapping[str, str] | None,
                     derived: Sequence[Derived]) -> tuple[pd.DataFrame | xr.Dataset,
                                                          dict[str, str] | None]:
    """Convert the columns that observe derived outputs to the outputs' units.

    Returns the data and the `data_units` left for the model's variables.

    Raises
    ------
    UnitsError
        If a column observing a derived output has units but the output
        declares none, or the units do not convert.

    Examples
    --------
    >>> import pandas as pd
    >>> from gysim.outputs import Derived
    >>> d = Derived("intensity", lambda ds: ds.e / ds.gdp, units="tce/1e4 yuan")
    >>> data = pd.DataFrame({"intensity": [1.0, 2.0]}, index=[0, 1])
    >>> out, left = derived_in_units(data, {"intensity": "tce/1e8 yuan"}, [d])
    >>> out["intensity"].tolist(), left
    ([0.0001, 0.0002], {})
    """
    units = dict(data_units or {})
    if isinstance(data, pd.DataFrame):
        units = {**{k: v for k, v in data.attrs.get("units", {}).items()
                    if k in data.columns}, **units}
    names = {d.name: d for d in derived}
    mine = {k: v for k, v in units.items() if k in names}
    if not mine:
        return data, data_units
    out = data.copy()
    for column, given in mine.items():
        target = names[column].units
        if not target:
            raise UnitsError(f"data column {column!r} is in {given!r} but the derived output "
                             f"{column!r} declares no units: give it units "
                             f"(gysim.outputs.Derived(..., units=...)) or convert the column")
        out[column] = data[column] * _factor(given, target, what=f"data column {column!r}")
    if isinstance(out, pd.DataFrame):
        out.attrs = {**data.attrs, "units": {k: v for k, v in units.items() if k not in names}}
    return out, {k: v for k, v in units.items() if k not in names}


def series_weights(frame: pd.DataFrame, weights: Mapping[str, float] | None,
                   notes: list[str]) -> np.ndarray:
    """Weight of each data column (default ``1 / mean(|observed|)``).

    Parameters
    ----------
    frame : pandas.DataFrame
        The data, from :func:`data_frame`.
    weights : mapping, optional
        Column -> weight (finite, >= 0; 0 leaves the series out).
    notes : list of str
        Gets a note for a series that is zero throughout (its weight is 1).

    Returns
    -------
    numpy.ndarray
        One weight per column of `frame`.

    Raises
    ------
    DataError
        For a weight of a column not in the data, a negative or non-finite
        weight, or weights that are all 0.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"a": [2.0, -6.0], "b": [1.0, None]})
    >>> series_weights(frame, {"b": 0.5}, []).tolist()
    [0.25, 0.5]
    """
    out = []
    weights = dict(weights or {})
    unknown = [k for k in weights if k not in frame.columns]
    if unknown:
        raise DataError(f"`weights` given for {', '.join(map(repr, unknown))}, which is not a data column")
    for name in frame.columns:
        if name in weights:
            value = float(weights[name])
            if not (np.isfinite(value) and value >= 0):
                raise DataError(f"weight of {name!r} must be finite and >= 0, got {weights[name]!r}")
        else:
            typical = float(np.nanmean(np.abs(frame[name].to_numpy())))
            value = 1.0 / typical if typical > 0 else 1.0
            if typical == 0:
                notes.append(f"series {name!r} is zero throughout: its weight is 1")
        out.append(value)
    out = np.array(out)
    if not np.any(out > 0):
        raise DataError("every weight is 0: nothing to fit")
    return out


def _flatten_dataset(data: xr.Dataset) -> pd.DataFrame:
    """A Dataset of observations as a DataFrame; a variable over dims gives ``var[label]`` columns."""
    if "time" not in data.coords:
        raise DataError("calibration `data` as a Dataset must have a 'time' coordinate")
    columns = {}
    for name, da in data.data_vars.items():
        if "time" not in da.dims or "run" in da.dims:
            raise DataError(f"calibration data variable {name!r} must have dims ('time',) or "
                            f"('time', <its dims>), got {da.dims}")
        for element in element_names(da, str(name)):
            columns[element] = select_element(data, element, argument="data").transpose("time").values
    return pd.DataFrame(columns, index=pd.Index(data["time"].values, name="time"))
