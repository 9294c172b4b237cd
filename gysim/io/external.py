"""Values a model reads from a spreadsheet or text file beside it (GET DIRECT / GET XLS).

Vensim's ``GET DIRECT CONSTANTS('file', 'tab', 'cell')`` and
``GET DIRECT LOOKUPS('file', 'tab', 'x row or col', 'first cell')`` (and their
``GET XLS`` twins) name a file relative to the model, a worksheet (for
``.xlsx``; for text files the ``tab`` argument is the delimiter, e.g. ``','``)
and cells in spreadsheet notation (``B2``). Only files inside the model's
folder are read: a model file cannot make gysim open anything else.

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

__all__ = ["cell_position", "constant", "lookup_table"]

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


def _sheet(model_path: Path, file: str, tab: str, element: str) -> np.ndarray:
    """The cells of one sheet (or text file) as an object array."""
    folder = model_path.resolve().parent
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
        else:
            delimiter = "\t" if tab in ("\\t", "") else tab
            frame = pd.read_csv(path, sep=delimiter, header=None, engine="python")
    except ImportError:
        raise ModelDefinitionError(f"{where}: reading .xlsx files needs openpyxl "
                                   f"(pip install openpyxl)") from None
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
            f"{what}: gysim reads a single cell such as 'B2' (ranges and '*' arrays are "
            f"not supported)") from None
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
