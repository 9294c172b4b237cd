"""Goodness-of-fit statistics for a simulated series against data.

The summary statistics the system-dynamics community uses to judge a
historical fit (Sterman, 1984): the mean absolute percent error, the root
mean square error, the coefficient of determination, Theil's inequality
coefficient, and Theil's decomposition of the mean square error into the
shares due to bias (``UM``), unequal variation (``US``) and unequal
covariation (``UC``).

With simulated values ``s`` and observed (actual) values ``a`` over the
``n`` points where ``a`` is known, and standard deviations taken with the
``1/n`` divisor, the mean square error splits exactly into::

    MSE = (mean(s) - mean(a))**2 + (S_s - S_a)**2 + 2 * (1 - r) * S_s * S_a

and ``UM``, ``US`` and ``UC`` are the three terms divided by ``MSE``, so they
sum to 1. A large ``UM`` or ``US`` points at a systematic error; error that
sits mostly in ``UC`` is unsystematic (noise, or cycles the model does not
try to reproduce point by point).

References
----------
J. D. Sterman (1984), "Appropriate summary statistics for evaluating the
historical fit of system dynamics models", Dynamica 10(2), 51-66.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from ._text import suggest
from .errors import DataError

__all__ = ["fit_statistics", "fit_report", "split_element", "element_name", "element_names",
           "select_element", "expand_elements"]

#: Dims of a simulated variable that are not subscripts (never named in ``var[label]``).
NON_ELEMENT_DIMS = ("time", "run", "quantile")
_ELEMENT = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\[([^\[\]]*)\]\s*$")

#: Columns of :func:`fit_report`, and keys of :func:`fit_statistics`.
STATISTICS = ("n", "MAPE", "RMSE", "R2", "U", "UM", "US", "UC")


def fit_statistics(observed: Sequence[float] | np.ndarray, simulated: Sequence[float] | np.ndarray) -> dict[str, float]:
    """Goodness-of-fit statistics of one simulated series against data.

    Parameters
    ----------
    observed : array_like
        Data, one value per time point. NaN marks a missing observation:
        that point is left out of every statistic.
    simulated : array_like
        Model values at the same time points; must be finite wherever
        `observed` is known.

    Returns
    -------
    dict
        ``n``: the number of observations used;
        ``MAPE``: mean absolute percent error, ``100 * mean(|s - a| / |a|)``
        (NaN if an observation is 0, where it is undefined);
        ``RMSE``: root mean square error, in the data's units;
        ``R2``: the squared correlation coefficient ``r**2`` of simulated and
        observed values (Sterman's R², not ``1 - SSE/SST``: a pure bias keeps
        ``R2 == 1`` and shows in ``UM`` instead; NaN if either series is
        constant);
        ``U``: Theil's inequality coefficient
        ``RMSE / (sqrt(mean(s**2)) + sqrt(mean(a**2)))``, 0 for a perfect fit
        and at most 1;
        ``UM``, ``US``, ``UC``: the bias, unequal-variation and
        unequal-covariation shares of the MSE (they sum to 1; NaN for a
        perfect fit, where there is no error to split).

    Raises
    ------
    DataError
        If the two series differ in length, if `simulated` is not finite
        where `observed` is known, or if there is no observation at all.

    Examples
    --------
    >>> from gysim.fit_report import fit_statistics
    >>> stats = fit_statistics([1.0, 2.0, 3.0], [2.0, 3.0, 4.0])   # bias only
    >>> stats["RMSE"], stats["UM"], stats["US"], stats["UC"]
    (1.0, 1.0, 0.0, 0.0)
    >>> fit_statistics([1.0, float("nan"), 3.0], [1.0, 9.0, 3.0])["n"]
    2
    """
    a = np.asarray(observed, dtype=float)
    s = np.asarray(simulated, dtype=float)
    if a.ndim != 1 or a.shape != s.shape:
        raise DataError(
            f"`observed` and `simulated` must be 1-D and of equal length; got shapes {a.shape} and {s.shape}."
        )
    known = ~np.isnan(a)
    a, s = a[known], s[known]
    n = a.size
    if n == 0:
        raise DataError("`observed` has no observation (all values are NaN).")
    if not np.all(np.isfinite(a)):
        raise DataError("`observed` must be finite or NaN; it contains an infinite value.")
    if not np.all(np.isfinite(s)):
        raise DataError("`simulated` must be finite wherever `observed` is known; it has NaN or infinite values there.")

    err = s - a
    mse = float(np.mean(err**2))
    rmse = float(np.sqrt(mse))
    mape = float(100.0 * np.mean(np.abs(err) / np.abs(a))) if np.all(a != 0) else float("nan")

    mean_s, mean_a = float(np.mean(s)), float(np.mean(a))
    std_s, std_a = float(np.std(s)), float(np.std(a))
    if std_s > 0 and std_a > 0:
        r = float(np.mean((s - mean_s) * (a - mean_a)) / (std_s * std_a))
        r = min(1.0, max(-1.0, r))
        r2 = r * r
        covariation = 2.0 * (1.0 - r) * std_s * std_a
    else:  # a constant series: no correlation, and no covariation term
        r2 = float("nan")
        covariation = 0.0
    bias = (mean_s - mean_a) ** 2
    variation = (std_s - std_a) ** 2

    denom = float(np.sqrt(np.mean(s**2)) + np.sqrt(np.mean(a**2)))
    theil_u = rmse / denom if denom > 0 else 0.0
    if mse > 0:
        # The three terms equal MSE up to rounding; normalise by their sum so
        # the shares add up to 1 exactly.
        total = bias + variation + covariation
        um, us, uc = bias / total, variation / total, covariation / total
    else:
        um = us = uc = float("nan")
    return {"n": int(n), "MAPE": mape, "RMSE": rmse, "R2": r2, "U": theil_u, "UM": um, "US": us, "UC": uc}


def fit_report(observed: pd.DataFrame, simulated: pd.DataFrame | xr.Dataset) -> pd.DataFrame:
    """Goodness-of-fit statistics for every series of a data table.

    Parameters
    ----------
    observed : pandas.DataFrame
        Data indexed by time, one column per series; NaN marks a missing
        observation.
    simulated : pandas.DataFrame or xarray.Dataset
        Model values: a table with the same index and columns, or a one-run
        Dataset from :func:`gysim.simulate` with a variable per column of
        `observed` and an output time at every time of `observed`.

    Returns
    -------
    pandas.DataFrame
        One row per series (the index is the column name of `observed`),
        columns ``n, MAPE, RMSE, R2, U, UM, US, UC`` as defined in
        :func:`fit_statistics`.

    Raises
    ------
    DataError
        If a series or a time of `observed` has no simulated counterpart, or
        `simulated` holds more than one run.

    Examples
    --------
    >>> import pandas as pd
    >>> from gysim.fit_report import fit_report
    >>> obs = pd.DataFrame({"x": [1.0, 2.0, 4.0]}, index=[2000, 2001, 2002])
    >>> sim = pd.DataFrame({"x": [1.0, 2.0, 4.0]}, index=[2000, 2001, 2002])
    >>> fit_report(obs, sim).loc["x", ["n", "MAPE", "U"]].tolist()
    [3.0, 0.0, 0.0]
    """
    if not isinstance(observed, pd.DataFrame):
        raise DataError(f"`observed` must be a pandas DataFrame; got {type(observed).__name__}.")
    times = np.asarray(observed.index, dtype=float)
    rows = {}
    for name in observed.columns:
        if isinstance(simulated, xr.Dataset):
            if split_element(name)[0] not in simulated.data_vars:
                raise DataError(f"`simulated` has no variable {name!r} to compare with the data.")
            sim = values_at_times(select_element(simulated, name, argument="observed"), times)
            if sim.ndim != 1:
                raise DataError(
                    f"`simulated` must be a single run; {name!r} has dims {simulated[name].dims}. "
                    "Select one run first, e.g. ds.isel(run=0)."
                )
        elif isinstance(simulated, pd.DataFrame):
            if name not in simulated.columns:
                raise DataError(f"`simulated` has no column {name!r} to compare with the data.")
            column = simulated[name].reindex(observed.index)
            sim = column.to_numpy(dtype=float)
        else:
            raise DataError(f"`simulated` must be a pandas DataFrame or an xarray Dataset; got {type(simulated).__name__}.")
        rows[name] = fit_statistics(observed[name].to_numpy(dtype=float), sim)
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(STATISTICS))
    table["n"] = table["n"].astype(int)
    table.index.name = "series"
    return table


def values_at_times(da: xr.DataArray, times: np.ndarray) -> np.ndarray:
    """Values of a simulated variable at given output times, time axis first.

    The times must be output times of the run (within a 1e-9 relative
    tolerance); nothing is interpolated, so a fit is never judged against
    values the model did not produce. The result has shape ``(len(times),)``
    for one run and ``(len(times), n_runs)`` for an ensemble.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from gysim.fit_report import values_at_times
    >>> da = xr.DataArray([1.0, 2.0, 3.0], dims="time", coords={"time": [2000, 2001, 2002]}, name="x")
    >>> values_at_times(da, np.array([2002.0, 2000.0])).tolist()
    [3.0, 1.0]
    """
    grid = np.asarray(da["time"].values, dtype=float)
    idx = np.searchsorted(grid, times)
    idx = np.clip(idx, 0, len(grid) - 1)
    left = np.clip(idx - 1, 0, len(grid) - 1)
    pick = np.where(np.abs(grid[left] - times) < np.abs(grid[idx] - times), left, idx)
    scale = max(1.0, float(np.max(np.abs(grid)))) if grid.size else 1.0
    off = np.abs(grid[pick] - times) > 1e-9 * scale
    if np.any(off):
        missing = ", ".join(f"{t:g}" for t in times[off][:5])
        raise DataError(
            f"The run of {da.name!r} has no output at time(s) {missing}; output times run from "
            f"{grid[0]:g} to {grid[-1]:g}. Choose `saveper` so that every data time is an output time."
        )
    other = [d for d in da.dims if d != "time"]
    return np.asarray(da.transpose("time", *other).values, dtype=float)[pick]


# ---------------------------------------------------------------------- elements of subscripted variables
def split_element(name: str) -> tuple[str, tuple[str, ...]]:
    """A name as (variable, labels): ``"capital[secondary]"`` -> ``("capital", ("secondary",))``.

    Wherever gysim takes a string naming an output (calibration data
    columns, sensitivity outputs, targets, sampled parameters, the CLI's
    ``--vars``), one element of a subscripted variable is written
    ``var[label]``, or ``var[label1,label2]`` for several dimensions (one
    label of each, in any order: labels are unique across dimensions). A
    plain name has no labels.

    Raises
    ------
    DataError
        If the brackets are malformed or a label is empty.

    Examples
    --------
    >>> from gysim.fit_report import split_element
    >>> split_element("capital[secondary]"), split_element("x[ north , tertiary ]")
    (('capital', ('secondary',)), ('x', ('north', 'tertiary')))
    >>> split_element("gdp")
    ('gdp', ())
    """
    if not isinstance(name, str) or ("[" not in name and "]" not in name):
        return name, ()
    match = _ELEMENT.match(name)
    labels = tuple(part.strip() for part in match.group(2).split(",")) if match else ()
    if not match or not all(labels):
        raise DataError(f"{name!r} is neither a variable name nor an element such as "
                        f"'capital[secondary]' or 'x[secondary,north]'")
    return match.group(1), labels


def element_name(variable: str, labels: Sequence[str]) -> str:
    """The name of one element: ``element_name("capital", ["secondary"]) == "capital[secondary]"``.

    Examples
    --------
    >>> from gysim.fit_report import element_name
    >>> element_name("x", ("secondary", "north")), element_name("gdp", ())
    ('x[secondary,north]', 'gdp')
    """
    return f"{variable}[{','.join(map(str, labels))}]" if labels else variable


def _element_dims(da: xr.DataArray) -> list[str]:
    return [d for d in da.dims if d not in NON_ELEMENT_DIMS]


def element_names(da: xr.DataArray, variable: str | None = None) -> list[str]:
    """Every element of a (possibly subscripted) variable, as ``var[label]`` names.

    The elements run over the variable's dimensions other than ``time``,
    ``run`` and ``quantile``, the last dimension fastest; a variable without
    such dimensions gives just its name.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from gysim.fit_report import element_names
    >>> da = xr.DataArray(np.zeros((2, 3)), dims=("time", "sector"),
    ...                   coords={"sector": ["primary", "secondary", "tertiary"]}, name="capital")
    >>> element_names(da)
    ['capital[primary]', 'capital[secondary]', 'capital[tertiary]']
    """
    variable = str(da.name) if variable is None else variable
    dims = _element_dims(da)
    if not dims:
        return [variable]
    labels = [[str(v) for v in (da[d].values if d in da.coords else range(da.sizes[d]))]
              for d in dims]
    return [element_name(variable, combo) for combo in itertools.product(*labels)]


def select_element(ds: xr.Dataset, name: str, *, argument: str = "variables",
                   whole: bool = True, what: str = "the Dataset") -> xr.DataArray:
    """One variable, or one element ``var[label]`` of a subscripted variable, of a Dataset.

    Parameters
    ----------
    ds : xarray.Dataset
        A run or an ensemble from :func:`gysim.simulate`.
    name : str
        ``var``, ``var[label]`` or ``var[label1,label2]`` (see
        :func:`split_element`). Labels select with ``ds[var].sel(dim=label)``.
    argument : str
        The argument named in error messages.
    whole : bool
        Accept a result that still has dimensions besides ``time``, ``run``
        and ``quantile`` (a whole subscripted variable); with False such a
        name raises, listing the elements to choose from.
    what : str
        What ``ds`` is, for error messages.

    Returns
    -------
    xarray.DataArray
        Named ``name``.

    Raises
    ------
    DataError
        If the variable or a label is unknown, two labels name the same
        dimension, or (with ``whole=False``) an element must be named.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from gysim.fit_report import select_element
    >>> ds = xr.Dataset({"capital": (("time", "sector"), [[1.0, 2.0], [3.0, 4.0]])},
    ...                 coords={"time": [0, 1], "sector": ["primary", "secondary"]})
    >>> select_element(ds, "capital[secondary]").values.tolist()
    [2.0, 4.0]
    >>> select_element(ds, "capital", whole=False)
    Traceback (most recent call last):
    ...
    gysim.errors.DataError: `variables`: 'capital' is over dimension(s) sector; name one element, e.g. 'capital[primary]' (elements: capital[primary], capital[secondary])
    """
    variable, labels = split_element(name)
    if variable not in ds.data_vars:
        raise DataError(f"`{argument}`: '{variable}' is not a variable of {what}"
                        f"{suggest(str(variable), list(map(str, ds.data_vars)))}")
    da = ds[variable]
    dims = _element_dims(da)
    if labels:
        if not dims:
            raise DataError(f"`{argument}`: '{name}' names an element, but variable "
                            f"'{variable}' has no dimensions; write '{variable}'")
        chosen: dict[str, str] = {}
        for label in labels:
            hits = [d for d in dims if d in da.coords and label in map(str, da[d].values)]
            if not hits:
                known = [str(v) for d in dims if d in da.coords for v in da[d].values]
                raise DataError(f"`{argument}`: '{name}': {label!r} is not an element of the "
                                f"dimension(s) {', '.join(dims)} of '{variable}' (elements: "
                                f"{', '.join(known)}){suggest(label, known)}")
            if hits[0] in chosen:
                raise DataError(f"`{argument}`: '{name}' names two elements ({chosen[hits[0]]!r}"
                                f", {label!r}) of dimension '{hits[0]}'")
            chosen[hits[0]] = label
        index = {d: list(map(str, da[d].values)).index(label) for d, label in chosen.items()}
        da = da.isel(index)
        dims = [d for d in dims if d not in chosen]
    if dims and not whole:
        names = _complete(da, variable, labels, ds[variable].dims)
        shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
        raise DataError(f"`{argument}`: '{name}' is over dimension(s) {', '.join(dims)}; name "
                        f"one element, e.g. '{names[0]}' (elements: {shown})")
    return da.rename(name)


def _complete(da: xr.DataArray, variable: str, labels: tuple[str, ...],
              order: Sequence[str] = ()) -> list[str]:
    """Full element names of a (partly) selected variable: its labels plus each remaining one,
    in the order of the dims ``order`` (the unselected variable's) when given."""
    rest = element_names(da, "_")
    combos = [labels] if rest == ["_"] else [labels + tuple(r[2:-1].split(",")) for r in rest]
    if order:
        where = {str(v): d for d in order if d in da.coords for v in np.atleast_1d(da[d].values)}
        combos = [tuple(sorted(c, key=lambda lab: list(order).index(where.get(lab, order[0]))))
                  for c in combos]
    return [element_name(variable, c) for c in combos]


def expand_elements(ds: xr.Dataset, name: str, *, argument: str = "variables",
                    what: str = "the Dataset") -> list[str]:
    """A name as the single series it covers: every element ``var[label]`` of a subscripted
    variable (or of a partial selection ``var[label]`` of one over several dims), or the
    name itself.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from gysim.fit_report import expand_elements
    >>> ds = xr.Dataset({"x": (("time", "sector", "district"), np.zeros((1, 2, 2)))},
    ...                 coords={"time": [0], "sector": ["farm", "mill"], "district": ["n", "s"]})
    >>> expand_elements(ds, "x[s]")  # labels in the order of the variable's dims
    ['x[farm,s]', 'x[mill,s]']
    >>> expand_elements(ds, "x")
    ['x[farm,n]', 'x[farm,s]', 'x[mill,n]', 'x[mill,s]']
    """
    da = select_element(ds, name, argument=argument, what=what)
    variable, labels = split_element(name)
    if not labels:
        return element_names(da, variable)
    names = _complete(da, variable, labels, ds[variable].dims)
    return names if len(names) > 1 else [name]
