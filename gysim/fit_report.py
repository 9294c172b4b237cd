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

from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from .errors import DataError
# The 'var[label]' helpers live in gysim.labels; they are re-exported here so that
# `from gysim.fit_report import split_element` (and the others) keeps working.
from .labels import (NON_ELEMENT_DIMS, element_name, element_names, expand_elements,
                     select_element, split_element, values_at_times)

__all__ = ["fit_statistics", "fit_report", "split_element", "element_name", "element_names",
           "select_element", "expand_elements", "values_at_times", "NON_ELEMENT_DIMS"]

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
