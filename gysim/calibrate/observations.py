"""Your own data for a calibration: a CSV or Excel table, a column mapping, units.

The data format
---------------
A table with **one row per year** and **one column per observed series**:

- a time column, named ``year``, ``time``, ``年份`` or ``年`` (any case), or
  named with ``time_column=``; its values are numbers (years);
- every other column is one series, named as in its source (e.g. the
  yearbook's ``gdp_nominal``); empty cells, ``-``, ``—``, ``..``, ``…`` and
  ``NA`` are missing observations; numbers may carry thousands separators
  (``1,234.5``);
- a CSV file is read as UTF-8 (an Excel "CSV UTF-8" byte-order mark is
  fine); an Excel file (``.xlsx``, needs openpyxl: ``pip install
  'gysim[report]'``) is read from its first sheet or from ``sheet=``.

The column mapping
------------------
From the table's names to the model's variables (``var[label]`` for one
element of a subscripted variable), each optionally with the units the
column is in (converted with pint to the variable's units by
:func:`gysim.calibrate`). With a mapping only the mapped columns are kept
(the others are listed in ``frame.attrs["unmapped"]``); without one every
column must be named as a model variable. In Python a dict::

    {"gdp_nominal": "gdp", "population_total": "population (万人)"}

or ``{"gdp_nominal": {"variable": "gdp", "units": "万元"}}``; in a file
(:func:`read_mapping`), JSON (``.json``) holding the same dict, or a text
file (``.yaml``, ``.yml``, ``.txt``) of ``name: variable`` lines, with the
units in brackets after the variable, ``#`` starting a comment::

    # yearbook column: model variable (units of the column)
    gdp_nominal: gdp (万元)
    population_total: population (万人)

This text form is a subset of YAML (flat ``key: value`` lines); gysim reads
it itself, so PyYAML is not needed (nested YAML is not read).

Examples
--------
>>> import os, tempfile
>>> from gysim.calibrate.observations import read_observations
>>> folder = tempfile.mkdtemp()
>>> path = os.path.join(folder, "yearbook.csv")
>>> with open(path, "w", encoding="utf-8") as f:
...     _ = f.write("年份,gdp_nominal,note\\n2001,\\"2,648,000\\",a\\n2002,3027000,b\\n")
>>> frame = read_observations(path, {"gdp_nominal": "gdp (万元)"})
>>> frame
          gdp
time
2001.0  2648000.0
2002.0  3027000.0
>>> frame.attrs["units"], frame.attrs["unmapped"]
({'gdp': '万元'}, ['note'])
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._text import suggest
from ..errors import DataError
from ..labels import split_element

__all__ = ["read_observations", "read_mapping", "TIME_COLUMNS", "MISSING"]

#: Names of the time column found without ``time_column=`` (compared lower-cased).
TIME_COLUMNS = ("year", "time", "年份", "年")
#: Cell texts read as a missing observation.
MISSING = ("", "-", "—", "–", "..", "...", "…", "NA", "N/A", "n.a.", "nan")
_EXCEL = (".xlsx", ".xlsm", ".xls")
_ENTRY = re.compile(r"^\s*(?P<var>[^\s(]+)\s*(?:\((?P<units>.*)\))?\s*$")


def _entry(column: str, value: Any, where: str) -> tuple[str, str | None]:
    """A mapping entry as (variable, units or None)."""
    if isinstance(value, Mapping):
        unknown = set(value) - {"variable", "units"}
        if unknown or "variable" not in value:
            raise DataError(f"{where}: the entry of {column!r} must be 'variable', 'variable "
                            f"(units)' or {{'variable': ..., 'units': ...}}, got {value!r}")
        variable, units = value["variable"], value.get("units")
    elif isinstance(value, str):
        match = _ENTRY.match(value)
        if not match:
            raise DataError(f"{where}: cannot read the entry of {column!r}: {value!r}; write "
                            f"'variable' or 'variable (units)', e.g. 'gdp (万元)'")
        variable, units = match["var"], match["units"]
    else:
        raise DataError(f"{where}: the entry of {column!r} must be a string 'variable' or "
                        f"'variable (units)', got {value!r}")
    if not isinstance(variable, str) or not variable:
        raise DataError(f"{where}: the entry of {column!r} names no variable: {value!r}")
    try:
        split_element(variable)
    except DataError as err:
        raise DataError(f"{where}: the entry of {column!r}: {err}") from None
    units = units.strip() if isinstance(units, str) and units.strip() else None
    return variable, units


def read_mapping(path: str | os.PathLike) -> dict[str, str]:
    """Read a column-mapping file: JSON, or ``name: variable (units)`` lines.

    Parameters
    ----------
    path : str or path-like
        ``.json``: an object ``{"column": "variable (units)", ...}`` (or
        ``{"column": {"variable": ..., "units": ...}}``); any other suffix
        (``.yaml``, ``.yml``, ``.txt``): one ``column: variable (units)``
        line per column (a full-width colon ``：`` also separates), ``#``
        comments and blank lines ignored, names optionally in quotes.

    Returns
    -------
    dict
        Column -> entry, for :func:`read_observations`'s ``mapping``.

    Raises
    ------
    DataError
        If the file cannot be read, or a line or entry is malformed, or a
        column is mapped twice.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "map.yaml")
    >>> with open(path, "w", encoding="utf-8") as f:
    ...     _ = f.write("# yearbook: model\\ngdp_nominal: gdp (亿元)\\n'总人口': population\\n")
    >>> read_mapping(path)
    {'gdp_nominal': 'gdp (亿元)', '总人口': 'population'}
    """
    where = f"mapping file {os.fspath(path)!r}"
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"cannot read the {where}: {err}") from None
    if Path(path).suffix.lower() == ".json":
        try:
            doc = json.loads(text)
        except ValueError as err:
            raise DataError(f"{where} is not valid JSON: {err}") from None
        if not isinstance(doc, dict):
            raise DataError(f"{where} must hold a JSON object {{\"column\": \"variable\"}}, "
                            f"got {type(doc).__name__}")
        for column, value in doc.items():
            _entry(column, value, where)
        return doc
    out: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        body = line.split("#", 1)[0].strip()
        if not body or body == "---":
            continue
        key, sep, value = body.replace("：", ":").partition(":")
        key, value = key.strip().strip("'\""), value.strip().strip("'\"")
        if not sep or not key or not value:
            raise DataError(f"{where}, line {number}: expected 'column: variable' or 'column: "
                            f"variable (units)', got {line.strip()!r}")
        if key in out:
            raise DataError(f"{where}, line {number}: the column {key!r} is mapped twice")
        _entry(key, value, f"{where}, line {number}")
        out[key] = value
    if not out:
        raise DataError(f"the {where} maps no column; write one 'column: variable' per line")
    return out


def _read_table(path: Path, sheet: str | int | None) -> pd.DataFrame:
    options = dict(na_values=list(MISSING), keep_default_na=True, thousands=",")
    suffix = path.suffix.lower()
    if not path.is_file():
        raise DataError(f"`path`: the data file {str(path)!r} does not exist")
    if suffix in _EXCEL:
        try:
            return pd.read_excel(path, sheet_name=0 if sheet is None else sheet,
                                 engine=None if suffix == ".xls" else "openpyxl", **options)
        except ImportError as err:
            raise DataError(f"reading Excel files needs openpyxl: pip install 'gysim[report]' "
                            f"({err})") from None
        except (ValueError, KeyError) as err:
            raise DataError(f"cannot read {str(path)!r} (sheet {sheet!r}): {err}") from None
    if sheet is not None:
        raise DataError(f"`sheet` applies to Excel files; {str(path)!r} is read as CSV")
    try:
        return pd.read_csv(path, encoding="utf-8-sig", **options)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise DataError(f"cannot read {str(path)!r} as a UTF-8 CSV file: {err}") from None


def read_observations(path: str | os.PathLike, mapping: Mapping[str, Any] | str | os.PathLike
                      | None = None, units: Mapping[str, str] | None = None,
                      sheet: str | int | None = None, *, time_column: str | None = None
                      ) -> pd.DataFrame:
    """Read observed series from a CSV or Excel file as the table :func:`gysim.calibrate` takes.

    Parameters
    ----------
    path : str or path-like
        The data file (see the module description for its format).
    mapping : mapping or path, optional
        File column -> model variable, ``"variable (units)"`` or
        ``{"variable": ..., "units": ...}``; or the path of a mapping file
        (:func:`read_mapping`). With a mapping only its columns are kept.
    units : mapping, optional
        Column (its name in the file, or the variable it maps to) -> the
        units its numbers are in, e.g. ``{"gdp_nominal": "万元"}``; wins
        over units in `mapping`.
    sheet : str or int, optional
        The sheet of an Excel file (default: the first).
    time_column : str, optional
        The time column (default: the first column named ``year``,
        ``time``, ``年份`` or ``年``).

    Returns
    -------
    pandas.DataFrame
        Float values indexed by ``time`` (sorted), one column per model
        variable; ``attrs["units"]`` maps columns to their units (used by
        :func:`gysim.calibrate` unless its ``data_units`` says otherwise),
        ``attrs["source"]`` is the file, ``attrs["unmapped"]`` lists the
        file's columns the mapping left out.

    Raises
    ------
    DataError
        If the file cannot be read, has no time column, repeats a time or a
        column, holds text that is not a number, or the mapping names a
        column the file does not have.

    Examples
    --------
    See the module description.
    """
    path = Path(path)
    table = _read_table(path, sheet)
    where = f"data file {str(path)!r}"
    table.columns = [str(c).strip() for c in table.columns]
    if table.columns.duplicated().any():
        twice = sorted(set(table.columns[table.columns.duplicated()]))
        raise DataError(f"{where} has more than one column named {', '.join(map(repr, twice))}")
    if time_column is None:
        found = [c for c in table.columns if c.lower() in TIME_COLUMNS]
        if not found:
            raise DataError(f"{where} has no time column: name one 'year' (or time, 年份, 年) "
                            f"or give `time_column`; its columns: {', '.join(table.columns)}")
        time_column = found[0]
    elif time_column not in table.columns:
        raise DataError(f"`time_column`: {time_column!r} is not a column of {where}"
                        f"{suggest(time_column, list(table.columns))}")
    times = pd.to_numeric(table[time_column], errors="coerce")
    if times.isna().any():
        bad = table[time_column][times.isna()].tolist()[:3]
        raise DataError(f"{where}: the time column {time_column!r} must hold numbers (years); "
                        f"found {', '.join(map(repr, bad))}")
    if times.duplicated().any():
        raise DataError(f"{where} repeats the time(s) "
                        f"{', '.join(f'{t:g}' for t in times[times.duplicated()].unique())}")
    series = [c for c in table.columns if c != time_column]
    file_units: dict[str, str] = {}
    unmapped: list[str] = []
    if mapping is not None:
        if isinstance(mapping, (str, os.PathLike)):
            mapping = read_mapping(mapping)
        if not isinstance(mapping, Mapping):
            raise DataError(f"`mapping` must be a dict of column -> variable or the path of a "
                            f"mapping file, got {type(mapping).__name__}")
        names: dict[str, str] = {}
        for column, value in mapping.items():
            if column not in series:
                raise DataError(f"`mapping` names the column {column!r}, which {where} does "
                                f"not have{suggest(str(column), series)}; its columns: "
                                f"{', '.join(series)}")
            variable, unit = _entry(column, value, "`mapping`")
            if variable in names.values():
                raise DataError(f"`mapping` maps two columns to the variable {variable!r}")
            names[column] = variable
            if unit:
                file_units[variable] = unit
        unmapped = [c for c in series if c not in names]
        series = list(names)
    else:
        names = {c: c for c in series}
    for key, unit in dict(units or {}).items():
        target = names.get(key, key)
        if target not in names.values():
            raise DataError(f"`units` given for {key!r}, which is neither a column of {where} "
                            f"nor a variable it maps to")
        file_units[target] = str(unit)
    frame = pd.DataFrame(index=pd.Index(np.asarray(times, dtype=float), name="time"))
    for column in series:
        values = table[column]
        numbers = pd.to_numeric(values, errors="coerce")
        bad = numbers.isna() & values.notna()
        if bad.any():
            row = int(np.argmax(bad.to_numpy()))
            raise DataError(f"{where}: column {column!r} holds text that is not a number: "
                            f"{values.iloc[row]!r} at time {times.iloc[row]:g} (leave the cell "
                            f"empty, or write one of {', '.join(repr(m) for m in MISSING if m)}, "
                            f"for a missing value)")
        frame[names[column]] = numbers.to_numpy(dtype=float)
    frame = frame.sort_index()
    frame.attrs.update(units=file_units, source=str(path), unmapped=unmapped)
    return frame
