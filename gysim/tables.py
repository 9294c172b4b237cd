"""Report tables: a run or an ensemble as one wide table, written to CSV or Excel.

:func:`to_table` turns a result Dataset into a :class:`pandas.DataFrame` with
one row per variable, or per element ``var[label]`` of a subscripted one
(``value_added[secondary]``, shown as ``Value added ... [secondary]``), a
``name`` column (the variable's ``long_name``, or with ``lang="zh"`` its
``long_name_zh`` where it has one, see :meth:`gysim.Model.set_names_zh`), a
``units`` column (with ``lang="zh"`` or ``units="plan"`` in the plan's units,
values scaled: percent, 亿元, 万人) and one column per output time: integers (2005, 2006...) when the model counts time in years,
the times as given otherwise. Unlike ``ds.to_dataframe()`` it never spreads a
variable over dimensions it does not have.

An ensemble (a ``run`` dimension) becomes a table either of one chosen run
(``run=k``) or of statistics over the runs in each cell: ``quantiles=(0.05,
0.5, 0.95)`` by default, any probabilities in [0, 1] and ``"mean"``, with
one row per variable (element) and statistic, labelled ``"5%"``, ``"50%"``,
``"95%"``, ``"mean"`` (as :meth:`pandas.DataFrame.describe` labels them). The
statistics leave out NaN values (failed runs masked with ``on_error="mask"``).
The output of :func:`gysim.envelope` (a ``quantile`` dimension) gives its
quantiles the same way.

With ``params=True`` the parameters (and stock initial values a run set),
which results carry as coordinates, follow the variables as rows with their
value in a ``value`` column (empty for the variables); in an ensemble they
are summarised like the variables, so a parameter varied over the runs gets
its quantiles.

:func:`write_table` writes a table to ``.csv`` or ``.xlsx`` by the path's
suffix. CSV is UTF-8 *with a byte-order mark* (``encoding="utf-8-sig"``):
Excel, opening a CSV by double-click, decodes it in the system's legacy code
page (GBK on a Chinese Windows, cp1252 on a Western one) unless the file
starts with the UTF-8 BOM, so without it every Chinese name arrives garbled.
pandas (``read_csv``), LibreOffice and Python's ``csv`` with ``encoding=
"utf-8-sig"`` read the BOM as what it is; a plain ``open(path,
encoding="utf-8")`` would keep it as ``"\\ufeff"`` in the first header, so
read such files with ``"utf-8-sig"``. Excel files need openpyxl (``pip
install gysim[report]``). The same with pandas alone::

    table.to_csv("table.csv", encoding="utf-8-sig")
    table.to_excel("table.xlsx", engine="openpyxl", merge_cells=False)

Examples
--------
>>> import gysim
>>> m = gysim.Model("pop", start=2000, stop=2003, time_units="year")
>>> m.stock("population", 100.0, units="1e4 person", doc="Resident population")
>>> m.param("growth", 0.1, units="1/year", doc="Growth rate")
>>> m.flow("births", "growth * population", into="population", units="1e4 person/year")
>>> table = gysim.to_table(gysim.simulate(m, method="euler", dt=1), ["population"])
>>> table.columns.tolist()
['name', 'units', 2000, 2001, 2002, 2003]
>>> float(table.loc["population", 2003])
133.1
"""

from __future__ import annotations

import itertools
import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ._text import suggest
from .atomic import atomic_write
from .display import display_name, display_units
from .errors import DataError
from .labels import NON_ELEMENT_DIMS, element_name, select_element, split_element

__all__ = ["to_table", "write_table", "DEFAULT_QUANTILES", "LANGS", "YEAR_UNITS"]

#: The statistics of an ensemble's table unless told otherwise.
DEFAULT_QUANTILES = (0.05, 0.5, 0.95)

#: The languages of names.
LANGS = ("en", "zh")

#: Units of time, lower-cased, that make integer year columns.
YEAR_UNITS = ("year", "years", "yr", "yrs", "a", "年")

#: Coordinate kinds that are inputs of a run (see gysim.engine.results).
_INPUT_KINDS = ("param", "initial")


def to_table(ds: xr.Dataset, variables: str | Sequence[str] | None = None, *,
             years: Sequence[float] | None = None, lang: str = "en", run: Any = None,
             quantiles: Sequence[float | str] | None = None, params: bool = False,
             units: str | None = None, scales: Mapping[str, str] | None = None) -> pd.DataFrame:
    """A run or an ensemble as a wide report table (see the module docs).

    Parameters
    ----------
    ds : xarray.Dataset
        A result of :func:`gysim.simulate` (one run, or an ensemble with a
        ``run`` dimension), or an envelope of one (:func:`gysim.envelope`).
    variables : str or sequence of str, optional
        Variables (``var``) or elements (``var[label]``, or a part of a
        variable over several dims) to show, in this order; default: every
        data variable of `ds` with a ``time`` dimension.
    years : sequence of float, optional
        The output times to show as columns. Default: every whole-year output
        time when time is counted in years (``ds.time.attrs["units"]`` is
        one of :data:`YEAR_UNITS`), else every output time. Each must be an
        output time.
    lang : {"en", "zh"}
        Language of the ``name`` column: ``"zh"`` takes a variable's
        ``long_name_zh`` attribute, and its ``long_name`` where it has none.
    run : optional
        For an ensemble: the label of the run (``ds.run``) to show.
    quantiles : sequence of float or "mean", optional
        For an ensemble: the statistics over the runs in each cell,
        probabilities in [0, 1] or ``"mean"``; default
        :data:`DEFAULT_QUANTILES`. Not with `run`.
    params : bool
        Add the parameters (the coordinates of kind ``"param"`` or
        ``"initial"``) as rows after the variables, their value in a
        ``value`` column.
    units : {"model", "plan"}, optional
        ``"model"``: values and units as the model computes them;
        ``"plan"``: in the plan's units (:func:`gysim.display.display_units`:
        fractions and rates in percent, ``1e8 yuan`` as 亿元 / "100 million
        yuan"...), the ``units`` column in `lang`. Default: ``"plan"`` with
        ``lang="zh"``, ``"model"`` with ``"en"``.
    scales : mapping of str to str, optional
        With plan units: variable -> a named scale of
        :data:`gysim.display.SCALES` (``{"natural_growth_rate": "per_mille"}``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``variable`` (``var`` or ``var[label]``), or by
        ``(variable, statistic)`` for an ensemble's statistics; columns
        ``name``, ``units``, ``value`` (with `params`), then one per time
        (``int`` for years).

    Raises
    ------
    DataError
        If `ds` is not a Dataset, a variable, label, year or run is unknown,
        `lang` is not one of :data:`LANGS`, or `run`/`quantiles` do not fit
        `ds`.

    Examples
    --------
    >>> import numpy as np, gysim
    >>> m = gysim.Model("va", start=2005, stop=2007, time_units="year")
    >>> m.dimension("sector", ["primary", "secondary"])
    >>> m.param("growth", 0.1, units="1/year", bounds=(0, 0.2))
    >>> m.stock("value_added", {"primary": 10.0, "secondary": 20.0}, dims="sector",
    ...         units="1e8 yuan", doc="value added")
    >>> m.flow("gain", "growth * value_added", into="value_added", dims="sector", units="1e8 yuan/year")
    >>> ds = gysim.simulate(m, method="euler", dt=1)
    >>> gysim.to_table(ds, "value_added")
                                           name     units  2005  2006  2007
    variable
    value_added[primary]    value added [primary]  1e8 yuan  10.0  11.0  12.1
    value_added[secondary]  value added [secondary]  1e8 yuan  20.0  22.0  24.2
    >>> m.set_names_zh({"value_added": "增加值", "growth": "增长率"})
    >>> zh = gysim.to_table(gysim.simulate(m, method="euler", dt=1), "value_added[primary]",
    ...                     lang="zh", params=True)
    >>> zh[["name", "units", "value", 2007]]  # the growth rate in percent: the plan's units
                                      name units  value  2007
    variable
    value_added[primary]  增加值 [primary]    亿元    NaN  12.1
    growth                             增长率   %/年   10.0   NaN
    >>> ens = gysim.simulate(m, method="euler", dt=1, params={"growth": [0.0, 0.1, 0.2]})
    >>> gysim.to_table(ens, "value_added[primary]", years=[2007], quantiles=["mean", 0.5],
    ...                params=True)[["value", 2007]]
                                   value  2007
    variable             statistic
    value_added[primary] mean        NaN  12.2
                         50%         NaN  12.1
    growth               mean        0.1   NaN
                         50%         0.1   NaN
    """
    if not isinstance(ds, xr.Dataset):
        raise DataError(f"`ds` must be an xarray Dataset from gysim.simulate, got {type(ds).__name__}")
    if lang not in LANGS:
        raise DataError(f"`lang` must be one of {', '.join(map(repr, LANGS))}, got {lang!r}")
    if units is None:
        units = "plan" if lang == "zh" else "model"
    if units not in ("model", "plan"):
        raise DataError(f"`units` must be 'model' or 'plan', got {units!r}")
    scales = dict(scales or {})

    def shown(name: str, attrs: Mapping) -> tuple[float, str]:
        """(factor, units label) of a variable in the table."""
        if units == "model":
            return 1.0, str(attrs.get("units", ""))
        d = display_units(str(attrs.get("units", "")), lang, scale=scales.get(name))
        return d.factor, d.label

    ds, stats = _runs(ds, run, quantiles)
    names = _variables(ds, variables)
    index, labels = _times(ds, years)
    columns = ["name", "units"] + (["value"] if params else []) + labels
    keys, rows = [], []
    for name in names:
        da = select_element(ds, name, argument="variables").isel(time=index)
        factor, label = shown(split_element(name)[0], da.attrs)
        for key, title, cell in _elements(ds, split_element(name)[0], da, lang):
            for stat, values in _summaries(cell, stats):
                keys.append((key, stat))
                rows.append([title, label] + ([np.nan] if params else [])
                            + list(factor * np.atleast_1d(values)))
    if params:
        for coord in _inputs(ds):
            factor, label = shown(coord, ds[coord].attrs)
            for key, title, cell in _elements(ds, coord, ds[coord], lang):
                for stat, value in _summaries(cell, stats):
                    keys.append((key, stat))
                    rows.append([title, label, factor * float(value)] + [np.nan] * len(labels))
    if stats is None:
        idx = pd.Index([k for k, _ in keys], name="variable")
    else:
        idx = pd.MultiIndex.from_tuples(keys, names=["variable", "statistic"])
    table = pd.DataFrame(rows, index=idx, columns=columns)
    numeric = columns[2:]
    table[numeric] = table[numeric].astype(float)
    return table


def write_table(table: pd.DataFrame, path: str | os.PathLike, *, sheet_name: str = "gysim") -> Path:
    """Write a table to ``.csv`` (UTF-8 with BOM) or ``.xlsx`` (openpyxl), atomically.

    Parameters
    ----------
    table : pandas.DataFrame
        E.g. from :func:`to_table`, :meth:`gysim.Model.parameter_table` or
        :func:`gysim.check_targets`. The index is written as the first
        column(s), one per level, repeated rather than merged.
    path : str or path-like
        The file; its suffix (``.csv`` or ``.xlsx``) chooses the format.
    sheet_name : str
        The worksheet of an Excel file (at most 31 characters); its header
        row and index columns are frozen.

    Returns
    -------
    pathlib.Path
        `path`.

    Raises
    ------
    DataError
        If the suffix is neither, openpyxl is missing for ``.xlsx``, or the
        file cannot be written.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> from gysim.tables import write_table
    >>> table = pd.DataFrame({"name": ["国内生产总值"], 2010: [1000.0]}, index=pd.Index(["gdp"], name="variable"))
    >>> path = write_table(table, pathlib.Path(tempfile.mkdtemp()) / "gdp.csv")
    >>> path.read_bytes()[:3] == b"\\xef\\xbb\\xbf"
    True
    >>> pd.read_csv(path, index_col=0).loc["gdp", "name"]
    '国内生产总值'
    """
    if not isinstance(table, pd.DataFrame):
        raise DataError(f"`table` must be a pandas DataFrame, got {type(table).__name__}")
    suffix = Path(os.fspath(path)).suffix.lower()
    if suffix == ".csv":
        return atomic_write(path, lambda tmp: table.to_csv(tmp, encoding="utf-8-sig"))
    if suffix != ".xlsx":
        raise DataError(f"`path` must end in .csv or .xlsx, got {os.fspath(path)!r}")
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        raise DataError("writing .xlsx needs openpyxl: pip install 'gysim[report]' "
                        "(or write .csv)") from None
    if not isinstance(sheet_name, str) or not 0 < len(sheet_name) <= 31:
        raise DataError(f"`sheet_name` must be a string of 1 to 31 characters, got {sheet_name!r}")

    def writer(tmp: Path) -> None:
        with pd.ExcelWriter(tmp, engine="openpyxl") as excel:
            table.to_excel(excel, sheet_name=sheet_name, merge_cells=False)
            sheet = excel.sheets[sheet_name]
            sheet.freeze_panes = sheet.cell(row=2, column=table.index.nlevels + 1)
            for i, column in enumerate([*table.index.names, *table.columns], start=1):
                if column in ("variable", "name", "parameter", "doc", "source"):
                    letter = sheet.cell(row=1, column=i).column_letter
                    sheet.column_dimensions[letter].width = 40
    return atomic_write(path, writer)


# ---------------------------------------------------------------------- helpers
def _runs(ds: xr.Dataset, run: Any, quantiles: Any) -> tuple[xr.Dataset, list | None]:
    """`ds` reduced to the chosen run, and the statistics to take (None: one run)."""
    ensemble = "run" in ds.dims
    if run is not None:
        if quantiles is not None:
            raise DataError("give `run` (one run of the ensemble) or `quantiles` (statistics over "
                            "the runs), not both")
        if not ensemble:
            raise DataError(f"`run` chooses a run of an ensemble; `ds` is one run (got run={run!r})")
        try:
            return ds.sel(run=run), None
        except (KeyError, IndexError, TypeError, ValueError):
            labels = ds["run"].values
            raise DataError(f"`run`: {run!r} is not a run of `ds` (runs {labels[0]!r} to "
                            f"{labels[-1]!r})") from None
    if "quantile" in ds.dims and not ensemble:  # an envelope: its quantiles are the statistics
        if run is not None or quantiles is not None:
            raise DataError("`ds` holds quantiles already (gysim.envelope); leave out `run` and "
                            "`quantiles`, or pass the ensemble itself")
        return ds, [float(q) for q in ds["quantile"].values]
    if not ensemble:
        if quantiles is not None:
            raise DataError("`quantiles` summarise an ensemble's runs; `ds` is one run (it has no "
                            "`run` dimension): leave `quantiles` out")
        return ds, None
    if quantiles is None:
        quantiles = DEFAULT_QUANTILES
    if isinstance(quantiles, (str, float, int)):
        quantiles = [quantiles]
    stats = []
    for q in quantiles:
        if isinstance(q, str) and q == "mean":
            stats.append(q)
            continue
        if isinstance(q, bool) or not isinstance(q, (int, float, np.number)) or not 0 <= q <= 1:
            raise DataError(f"`quantiles` must hold probabilities in [0, 1] or 'mean', got {q!r}")
        stats.append(float(q))
    if not stats:
        raise DataError("`quantiles` must name at least one statistic")
    return ds, stats


def _variables(ds: xr.Dataset, variables: Any) -> list[str]:
    """The names to show, checked."""
    if variables is None:
        return [str(v) for v in ds.data_vars if "time" in ds[v].dims]
    if isinstance(variables, str):
        variables = [variables]
    names = list(variables)
    for name in names:
        if not isinstance(name, str):
            raise DataError(f"`variables` must hold names (str), got {name!r}")
        base = split_element(name)[0]
        if base not in ds.data_vars:
            hint = (" (it is a parameter: pass params=True to show the parameters)"
                    if base in ds.coords else suggest(base, map(str, ds.data_vars)))
            raise DataError(f"`variables`: {base!r} is not a variable of the Dataset{hint}")
        if "time" not in ds[base].dims:
            raise DataError(f"`variables`: {base!r} has no time dimension")
    return names


def _times(ds: xr.Dataset, years: Any) -> tuple[np.ndarray, list]:
    """Indices into ``ds.time`` of the columns, and the column labels."""
    if "time" not in ds.dims:
        raise DataError("`ds` has no `time` dimension; is it a result of gysim.simulate?")
    grid = np.asarray(ds["time"].values, dtype=float)
    in_years = str(ds["time"].attrs.get("units", "")).strip().lower() in YEAR_UNITS
    tol = 1e-9 * max(1.0, float(np.max(np.abs(grid)))) if grid.size else 0.0
    whole = np.abs(grid - np.round(grid)) <= tol
    if years is None:
        index = np.flatnonzero(whole) if in_years and whole.any() else np.arange(grid.size)
    else:
        wanted = np.atleast_1d(np.asarray(years, dtype=object))
        index = []
        for y in wanted:
            try:
                y = float(y)
            except (TypeError, ValueError):
                raise DataError(f"`years` must hold numbers, got {y!r}") from None
            hit = np.flatnonzero(np.abs(grid - y) <= tol)
            if not hit.size:
                raise DataError(f"`years`: {y:g} is not an output time of `ds` (output times run from "
                                f"{grid[0]:g} to {grid[-1]:g} every {_step(grid)}); simulate with a "
                                "`saveper` that reaches it")
            index.append(int(hit[0]))
        index = np.array(index, dtype=int)
    labels = [int(round(grid[i])) if in_years and whole[i] else float(grid[i]) for i in index]
    return index, labels


def _step(grid: np.ndarray) -> str:
    return f"{grid[1] - grid[0]:g}" if grid.size > 1 else "-"


def _elements(ds: xr.Dataset, variable: str, da: xr.DataArray, lang: str):
    """``(key, title, values)`` for each element of `variable` that `da` (a part of it) holds."""
    title = display_name(da.attrs, variable, lang)
    full = [d for d in ds[variable].dims if d not in NON_ELEMENT_DIMS]
    loose = [d for d in da.dims if d in full]
    fixed = {d: str(da.coords[d].values) for d in full if d not in loose}
    ranges = [[str(v) for v in ds[d].values] if d in ds.coords else [str(i) for i in range(da.sizes[d])]
              for d in loose]
    for positions in itertools.product(*(range(len(r)) for r in ranges)):
        chosen = {d: r[p] for d, r, p in zip(loose, ranges, positions)}
        labels = [chosen[d] if d in chosen else fixed[d] for d in full]
        shown = f"{title} [{','.join(labels)}]" if labels else title
        yield element_name(variable, labels), shown, da.isel(dict(zip(loose, positions)))


def _summaries(cell: Any, stats: list | None):
    """``(statistic, values)``: the cell itself for one run, else each statistic over ``run``."""
    data = np.asarray(cell.values, dtype=float)
    if stats is None:
        yield None, data
        return
    axis = list(cell.dims).index("run") if "run" in cell.dims else None
    for i, stat in enumerate(stats):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN cells give NaN
            if "quantile" in cell.dims:
                values = np.asarray(cell.isel(quantile=i).values, dtype=float)
            elif axis is None:
                values = data
            elif stat == "mean":
                values = np.nanmean(data, axis=axis)
            else:
                values = np.nanquantile(data, stat, axis=axis)
        yield ("mean" if stat == "mean" else f"{100 * stat:g}%"), values


def _inputs(ds: xr.Dataset) -> list[str]:
    """The coordinates that are a run's inputs, in Dataset order."""
    return [str(c) for c in ds.coords if ds[c].attrs.get("kind") in _INPUT_KINDS]
