"""Values a model reads from a spreadsheet or text file beside it (GET DIRECT / GET XLS).

Vensim's ``GET DIRECT CONSTANTS('file', 'tab', 'cell')`` and
``GET DIRECT LOOKUPS('file', 'tab', 'x row or col', 'first cell')`` (and their
``GET XLS`` twins), and ``GET DIRECT DATA('file', 'tab', 'time row or col', 'cell')``,
name a file relative to the model, a worksheet (for
``.xlsx``; for text files the ``tab`` argument is the delimiter, e.g. ``','``)
and cells in spreadsheet notation (``B2``). Only files inside the model's
folder are read: a model file cannot make gysim open anything else. A file named by
a tag, ``'?input.xlsx'``, is the one the model's settings give the tag (a line
``30:?input.xlsx=input.xlsx`` after the sketch), else the tag without its ``?``.
Arrays of constants and subscript ranges read from files are in
:mod:`gysim.io.external_arrays`.

Examples
--------
>>> cell_position("B3"), cell_position("aa10")
((2, 1), (9, 26))
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ModelDefinitionError

__all__ = ["cell_position", "constant", "data_series", "lookup_table"]

_CELL = re.compile(r"^([A-Za-z]+)([0-9]+)$")


def cell_position(cell: str) -> tuple[int, int]:
    """(row, column) from 0 of a cell such as ``B3``."""
    match = _CELL.match(cell.strip())
    if not match:
        raise ValueError(cell)
    col = 0
    for ch in match.group(1).upper():
        col = col * 26 + ord(ch) - ord("A") + 1
    return int(match.group(2)) - 1, col - 1


def _tagged(model_path: Path, file: str) -> str:
    """The file a ``'?tag'`` names: Vensim's settings lines ``30:?tag=file`` of the model."""
    tag = file.strip()
    try:
        lines = model_path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return tag[1:]
    for line in lines:
        key, _, target = line.strip().partition("=")
        if key == "30:" + tag and target.strip():
            return target.strip()
    return tag[1:]


def _sheet(model_path: Path, file: str, tab: str, element: str) -> np.ndarray:
    """The cells of one sheet (or text file) as an object array."""
    folder = model_path.resolve().parent
    if file.strip().startswith("?"):  # a tag, resolved in the model's settings
        file = _tagged(model_path, file)
    path = (folder / file.strip()).resolve()
    where = f"{model_path.name}: element '{element}' reads '{file}'"
    if folder not in path.parents:
        raise ModelDefinitionError(f"{where}, which is not inside the model's folder; gysim "
                                   f"reads external data only from beside the model")
    if not path.is_file():
        raise ModelDefinitionError(f"{where}, which does not exist (looked for {path})")
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            frame = pd.read_excel(path, sheet_name=tab, header=None, engine="openpyxl")
        elif path.suffix.lower() == ".xls":
            frame = pd.read_excel(path, sheet_name=tab, header=None, engine="xlrd")
        else:
            # Vensim's default delimiter: a comma for .csv files, else a tab
            default = "," if path.suffix.lower() == ".csv" else "\t"
            delimiter = "\t" if tab == "\\t" else tab or default
            frame = pd.read_csv(path, sep=delimiter, header=None, engine="python")
    except ImportError:
        raise ModelDefinitionError(f"{where}: reading .xlsx files needs openpyxl and .xls "
                                   f"files xlrd (pip install openpyxl xlrd)") from None
    except (ValueError, KeyError, OSError) as err:
        raise ModelDefinitionError(f"{where} (tab '{tab}'): {err}") from None
    return frame.to_numpy(dtype=object)


def _number(cells: np.ndarray, row: int, col: int, what: str) -> float:
    if row >= cells.shape[0] or col >= cells.shape[1]:
        raise ModelDefinitionError(f"{what}: the cell is outside the sheet "
                                   f"({cells.shape[0]} rows, {cells.shape[1]} columns)")
    try:
        value = float(cells[row, col])
    except (TypeError, ValueError):
        raise ModelDefinitionError(f"{what}: the cell holds {cells[row, col]!r}, "
                                   f"not a number") from None
    return value


def constant(model_path: Path, file: str, tab: str, cell: str, element: str) -> float:
    """The number in one cell (GET DIRECT/XLS CONSTANTS of a single cell)."""
    what = f"{model_path.name}: element '{element}', cell '{cell}' of '{file}'"
    try:
        row, col = cell_position(cell)
    except ValueError:
        raise ModelDefinitionError(
            f"{what}: not a cell such as 'B2' (cell range names are not supported)") from None
    return _number(_sheet(model_path, file, tab, element), row, col, what)


def lookup_table(model_path: Path, file: str, tab: str, x_row_or_col: str, cell: str,
                 element: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The points of GET DIRECT/XLS LOOKUPS: x along a row (a number) or a column (a
    letter), y from ``cell`` on in the same direction, up to the first empty cell."""
    what = f"{model_path.name}: element '{element}', lookup in '{file}'"
    try:
        row, col = cell_position(cell)
    except ValueError:
        raise ModelDefinitionError(f"{what}: '{cell}' is not a cell such as 'B2'") from None
    cells = _sheet(model_path, file, tab, element)
    axis = x_row_or_col.strip()
    xs, ys = [], []
    if axis.isdigit():  # x in a row, values across the columns
        x_row = int(axis) - 1
        for c in range(col, cells.shape[1]):
            if pd.isna(cells[x_row, c]):
                break
            xs.append(_number(cells, x_row, c, what))
            ys.append(_number(cells, row, c, what))
    elif axis.isalpha():  # x in a column, values down the rows
        x_col = cell_position(axis + "1")[1]
        for r in range(row, cells.shape[0]):
            if pd.isna(cells[r, x_col]):
                break
            xs.append(_number(cells, r, x_col, what))
            ys.append(_number(cells, r, col, what))
    else:
        raise ModelDefinitionError(f"{what}: '{x_row_or_col}' is neither a row number nor "
                                   f"a column letter")
    if len(xs) < 1:
        raise ModelDefinitionError(f"{what}: no points from cell '{cell}'")
    return tuple(xs), tuple(ys)


def data_series(model_path: Path, file: str, tab: str, time_row_or_col: str, cell: str,
                count: int, element: str) -> list[tuple[tuple[float, ...], tuple[float, ...]]]:
    """The time series of GET DIRECT/XLS DATA: ``count`` series (one per element of a
    subscripted data variable), each as (times, values).

    Times run along a row (``time_row_or_col`` a number) or down a column (a letter),
    from the cell's column or row on, up to the first empty time cell. The first series
    starts at ``cell``; the next ones lie in the following rows (times in a row) or
    columns (times in a column). An empty value cell is no data point: the series
    skips that time. A series with no value at all is refused.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "d.csv").write_text("t,0,1,2\\na,5,,7\\nb,1,2,3\\n")
    >>> data_series(folder / "m.mdl", "d.csv", ",", "1", "B2", 2, "y")
    [((0.0, 2.0), (5.0, 7.0)), ((0.0, 1.0, 2.0), (1.0, 2.0, 3.0))]
    """
    what = f"{model_path.name}: element '{element}', data in '{file}'"
    try:
        row, col = cell_position(cell)
    except ValueError:
        raise ModelDefinitionError(f"{what}: '{cell}' is not a cell such as 'B2' (cell "
                                   f"range names are not supported)") from None
    cells = _sheet(model_path, file, tab, element)
    axis = time_row_or_col.strip()
    if axis.isdigit():  # times in a row, each series along a row below the first
        t_row = int(axis) - 1
        times = [(t_row, c) for c in range(col, cells.shape[1])]
        starts = [(row + k, 0) for k in range(count)]
    elif axis.isalpha():  # times in a column, each series down a column
        t_col = cell_position(axis + "1")[1]
        times = [(r, t_col) for r in range(row, cells.shape[0])]
        starts = [(0, col + k) for k in range(count)]
    else:
        raise ModelDefinitionError(f"{what}: '{time_row_or_col}' is neither a row number "
                                   f"nor a column letter")
    if not times or times[0][0] >= cells.shape[0] or times[0][1] >= cells.shape[1]:
        raise ModelDefinitionError(f"{what}: the times of cell '{cell}' are outside the "
                                   f"sheet ({cells.shape[0]} rows, {cells.shape[1]} columns)")
    out = []
    for k, (r0, c0) in enumerate(starts):
        xs, ys = [], []
        for r, c in times:
            if pd.isna(cells[r, c]):
                break
            vr, vc = (r0, c) if axis.isdigit() else (r, c0)
            if vr < cells.shape[0] and vc < cells.shape[1] and pd.isna(cells[vr, vc]):
                continue  # a blank: no data point at this time
            xs.append(_number(cells, r, c, f"{what} (time)"))
            ys.append(_number(cells, vr, vc, what))
        if not ys:
            raise ModelDefinitionError(
                f"{what}: no values from cell '{cell}'" + (f" (series {k + 1} of {count})"
                                                           if count > 1 else ""))
        if any(b <= a for a, b in zip(xs, xs[1:])):
            raise ModelDefinitionError(f"{what}: the times must increase, but they are "
                                       f"{xs}")
        out.append((tuple(xs), tuple(ys)))
    return out
