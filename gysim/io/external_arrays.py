"""Arrays and subscript ranges a Vensim model reads from a file beside it.

``c[r, s] = GET DIRECT CONSTANTS('file', 'tab', 'cell')`` (or ``GET XLS
CONSTANTS``) reads one number per element of its left-hand side. By Vensim's
definition the first value is at ``cell``; the values of the last subscript
range run to the right (one column per element), those of the range before it
down (one row per element). A cell ending in ``*`` (``'C8*'``) transposes the
reading: the last range runs down, the one before it to the right. A subscript
that is a single element takes one row or column, so only the ranges on the
left-hand side count, at most two of them; an empty cell is refused.

``r: GET DIRECT SUBSCRIPT('file', 'tab', 'first', 'last', 'prefix')`` (or
``GET XLS SUBSCRIPT``) defines the range ``r`` by the cells from ``first`` to
``last`` read across, then down, skipping empty cells; each element is
``prefix`` followed by the cell's text (a whole number without ``.0``).

Examples
--------
>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> _ = (folder / "c.csv").write_text("x,1,2,3\\ny,4,5,6\\n")
>>> constant_block(folder / "m.mdl", "c.csv", ",", "B1", (2, 3), "c")
array([[1., 2., 3.],
       [4., 5., 6.]])
>>> constant_block(folder / "m.mdl", "c.csv", ",", "B1*", (3, 2), "c")
array([[1., 4.],
       [2., 5.],
       [3., 6.]])
>>> subscript_labels(folder / "m.mdl", "c.csv", ",", "A1", "A2", "r ", "dim")
['r x', 'r y']
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ModelDefinitionError
from .external import _sheet, cell_position
from .names import reference_key

__all__ = ["constant_block", "subscript_labels", "read_constant_arrays", "GET_SUBSCRIPT"]

#: How a range read from a file is named in messages.
GET_SUBSCRIPT = "GET DIRECT SUBSCRIPT / GET XLS SUBSCRIPT"


def constant_block(model_path: Path, file: str, tab: str, cell: str, shape: tuple,
                   element: str) -> np.ndarray:
    """The numbers of GET DIRECT/XLS CONSTANTS over ``shape`` (the sizes of the ranges
    of the left-hand side in written order, at most two; ``()`` for one cell)."""
    what = f"{model_path.name}: element '{element}', cell '{cell}' of '{file}'"
    text = cell.strip()
    transpose = text.endswith("*")
    try:
        row, col = cell_position(text[:-1] if transpose else text)
    except ValueError:
        raise ModelDefinitionError(f"{what}: not a cell such as 'B2' or 'B2*' (cell range "
                                   f"names are not supported)") from None
    if len(shape) > 2:
        raise ModelDefinitionError(f"{what}: GET CONSTANTS over {len(shape)} subscript ranges "
                                   f"(Vensim reads at most two: write one equation per "
                                   f"element of the others)")
    rows, cols = (1, 1) if not shape else (1, shape[0]) if len(shape) == 1 else shape
    if transpose:
        rows, cols = cols, rows
    cells = _sheet(model_path, file, tab, element)
    if row + rows > cells.shape[0] or col + cols > cells.shape[1]:
        raise ModelDefinitionError(
            f"{what}: {rows} rows x {cols} columns from the cell run outside the sheet "
            f"({cells.shape[0]} rows, {cells.shape[1]} columns)")
    block = np.empty((rows, cols))
    for i in range(rows):
        for j in range(cols):
            value = cells[row + i, col + j]
            at = f"{what}: the cell {_name(row + i, col + j)}"
            if pd.isna(value):
                raise ModelDefinitionError(f"{at} is empty")
            try:
                block[i, j] = float(value)
            except (TypeError, ValueError):
                raise ModelDefinitionError(f"{at} holds {value!r}, not a number") from None
    if transpose:
        block = block.T
    return block.reshape(shape)


def _name(row: int, col: int) -> str:
    """Spreadsheet name of the cell (row, col) from 0: (0, 27) -> 'AB1'."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return f"{letters}{row + 1}"


def _label(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def subscript_labels(model_path: Path, file: str, tab: str, first: str, last: str,
                     prefix: str, name: str) -> list[str]:
    """The elements of a range defined by GET DIRECT/XLS SUBSCRIPT."""
    what = f"{model_path.name}: subscript range '{name}' ({GET_SUBSCRIPT} of '{file}')"
    called = _function_of(model_path, name)
    if called and re.sub(r"[\s_]+", " ", called.upper()) not in (
            "GET DIRECT SUBSCRIPT", "GET XLS SUBSCRIPT"):
        raise ModelDefinitionError(f"{model_path.name}: subscript range '{name}' is defined "
                                   f"by {called}(...); gysim reads ranges from files only "
                                   f"with {GET_SUBSCRIPT}")
    if not last.strip():
        raise ModelDefinitionError(f"{what}: gysim reads a range of cells from 'firstcell' "
                                   f"to 'lastcell'; an empty 'lastcell' is not supported")
    try:
        (r0, c0), (r1, c1) = cell_position(first), cell_position(last)
    except ValueError:
        raise ModelDefinitionError(f"{what}: '{first}' or '{last}' is not a cell such as "
                                   f"'B2'") from None
    if r1 < r0 or c1 < c0:
        raise ModelDefinitionError(f"{what}: the last cell '{last}' is above or left of the "
                                   f"first '{first}'")
    cells = _sheet(model_path, file, tab, name)
    labels = [prefix + _label(cells[r, c])
              for r in range(r0, min(r1 + 1, cells.shape[0]))
              for c in range(c0, min(c1 + 1, cells.shape[1])) if not pd.isna(cells[r, c])]
    if not labels:
        raise ModelDefinitionError(f"{what}: no elements in the cells {first} to {last}")
    keys = [reference_key(label) for label in labels]
    if len(set(keys)) != len(keys):
        raise ModelDefinitionError(f"{what}: an element is repeated in {labels}")
    return labels


def _function_of(model_path: Path, name: str) -> str:
    """The function that defines the range ``name`` in the model's text ('' if not found)."""
    try:
        text = model_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    words = r"[\s_]+".join(re.escape(w) for w in re.split(r"[\s_]+", name.strip()))
    found = re.search(rf'(?im)^[ \t]*"?{words}"?\s*:\s*([A-Za-z][A-Za-z0-9_ ]*?)\s*\(',
                      text)
    return found.group(1) if found else ""


def read_constant_arrays(builder: Any) -> dict[int, ModelDefinitionError]:
    """Replace each whole-equation GET DIRECT/XLS CONSTANTS of the file by the array it reads.

    The array has the sizes of the definition's ranges in written order (as PySD gives
    a constant array), so it is read as any constant array. A definition that cannot
    be read keeps its call; its error is returned (by ``id`` of the call) for the
    converter to raise when it meets the element.
    """
    errors: dict[int, ModelDefinitionError] = {}
    subs = builder.subs
    for element in builder.section.elements:
        for comp in element.components:
            ast = comp.ast
            if type(ast).__name__ != "GetConstantsStructure":
                continue
            written = list(comp.subscripts[0]) if comp.subscripts else []
            shape = tuple(len(subs.ranges[subs.range_canon[reference_key(str(s))]])
                          for s in written if reference_key(str(s)) in subs.range_canon)
            try:
                if comp.subscripts and comp.subscripts[1]:
                    raise builder.fail("GET CONSTANTS with :EXCEPT:", element.name)
                block = constant_block(builder.path, ast.file, ast.tab, ast.cell, shape,
                                       element.name)
                comp.ast = block if shape else float(block)
            except ModelDefinitionError as err:
                err.model_error = True  # wrong in any reading
                errors[id(ast)] = err
    return errors
