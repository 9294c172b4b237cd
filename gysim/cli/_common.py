"""What the ``gysim`` commands share: the usage error, argument parsing, output and tables.

Examples
--------
>>> print(table([("birth_rate", 0.0125), ("death_rate", 0.006)], ["parameter", "value"]))
parameter    value
----------  ------
birth_rate  0.0125
death_rate   0.006
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import Any, Sequence

from ..errors import GysimError

__all__ = ["PROG", "MODEL_HELP", "UsageError", "parse_assignments", "load_any_model", "names",
           "check_writable", "atomic", "write_netcdf", "open_dataset", "table", "value_text",
           "one_line", "status", "run_provider"]

PROG = "gysim"
#: Help text of every MODEL argument.
MODEL_HELP = "registered model name (`gysim info` lists them), .py file, .mdl or .xmile file"


class UsageError(GysimError, ValueError):
    """A command-line value the parser accepted but the command cannot use.

    Examples
    --------
    >>> raise UsageError("-n must be positive, got 0")
    Traceback (most recent call last):
    ...
    gysim.cli._common.UsageError: -n must be positive, got 0
    """


def load_any_model(spec: str):
    """A model from a registered name, a ``.py`` file, a Vensim ``.mdl`` or an XMILE file.

    The same as :func:`gysim.load_model`, kept under its former name.

    Parameters
    ----------
    spec : str
        A registered name, or a path ending in ``.py``, ``.mdl``, ``.xmile``,
        ``.xml`` or ``.stmx``.

    Returns
    -------
    gysim.Model

    Raises
    ------
    ModelDefinitionError
        If there is no such model or the file cannot be read.

    Examples
    --------
    >>> load_any_model("population").name
    'population'
    """
    from ..registry import load_model
    return load_model(spec)


def parse_assignments(items: Sequence[str] | None, option: str = "--set") -> dict[str, float]:
    """``["a=1", "b=2.5"]`` -> ``{"a": 1.0, "b": 2.5}``, with one-line errors.

    Examples
    --------
    >>> parse_assignments(["birth_rate=0.012", "death_rate = 6e-3"])
    {'birth_rate': 0.012, 'death_rate': 0.006}
    >>> parse_assignments(["birth_rate"])
    Traceback (most recent call last):
    ...
    gysim.cli._common.UsageError: --set expects NAME=VALUE, got 'birth_rate'
    """
    out: dict[str, float] = {}
    for item in items or ():
        name, sep, text = item.partition("=")
        name, text = name.strip(), text.strip()
        if not sep or not name or not text:
            raise UsageError(f"{option} expects NAME=VALUE, got {item!r}")
        try:
            value = float(text)
        except ValueError:
            raise UsageError(f"{option} {name}: {text!r} is not a number") from None
        if not math.isfinite(value):
            raise UsageError(f"{option} {name}: the value must be finite, got {text!r}")
        if name in out:
            raise UsageError(f"{option} {name} is given twice ({out[name]:g} and {value:g}); "
                             f"give each name once")
        out[name] = value
    return out


def names(text: str | None) -> list[str] | None:
    """A comma-separated list, split at commas outside brackets; None when empty.

    Examples
    --------
    >>> names("gdp, x[secondary,north]")
    ['gdp', 'x[secondary,north]']
    >>> names(None) is None
    True
    """
    if text is None:
        return None
    found, depth, current = [], 0, ""
    for char in text:
        depth += (char == "[") - (char == "]")
        if char == "," and depth == 0:
            found.append(current)
            current = ""
        else:
            current += char
    found = [n.strip() for n in found + [current] if n.strip()]
    return found or None


def check_writable(path: str | os.PathLike) -> Path:
    """Fail before any work when an output could not be written.

    Examples
    --------
    >>> check_writable("no_such_folder/out.nc")
    Traceback (most recent call last):
    ...
    gysim.cli._common.UsageError: cannot write 'no_such_folder/out.nc': folder 'no_such_folder' does not exist
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"cannot write {str(path)!r}: folder {str(folder)!r} does not exist")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"cannot write {str(path)!r}: folder {str(folder)!r} is not writable")
    if path.is_dir() and path.suffix.lower() != ".zarr":
        raise UsageError(f"cannot write {str(path)!r}: it is a folder")
    return path


def atomic(path: Path):
    """A temporary name beside `path`, renamed to `path` on success (:mod:`gysim.atomic`).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "note.txt"
    >>> with atomic(path) as tmp:
    ...     _ = pathlib.Path(tmp).write_text("done")
    >>> path.read_text()
    'done'
    """
    from ..atomic import atomic_path
    return atomic_path(path)


def write_netcdf(ds, path: Path) -> None:
    """Write `ds` to `path` as netCDF, atomically; a failed write is a one-line ``DataError``.

    Examples
    --------
    >>> import pathlib, tempfile, xarray as xr
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "x.nc"
    >>> write_netcdf(xr.Dataset({"x": ("time", [1.0, 2.0])}), path)
    >>> float(open_dataset(str(path)).x[-1])
    2.0
    """
    from ..atomic import to_netcdf_atomic
    to_netcdf_atomic(ds, path)


def open_dataset(path: str):
    """Read a netCDF results file into memory, with one-line errors.

    Examples
    --------
    >>> open_dataset("no_such_results.nc")
    Traceback (most recent call last):
    ...
    gysim.cli._common.UsageError: results file 'no_such_results.nc' does not exist
    """
    import xarray as xr
    if not Path(path).is_file():
        raise UsageError(f"results file {path!r} does not exist")
    try:
        with xr.open_dataset(path) as ds:
            return ds.load()
    except (ValueError, OSError, RuntimeError) as err:
        text = one_line(err)
        if "IO backends" in text or "not a valid NetCDF" in text or "Unknown file format" in text:
            detail = "it is not a netCDF file; `gysim run -o FILE.nc` writes one"
        else:
            detail = text
        raise UsageError(f"cannot read {path!r} as netCDF results: {detail}") from None


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.6g}"
    return str(value)


def table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    """A plain text table with right-aligned numbers (6 significant digits).

    Examples
    --------
    >>> print(table([("a", 1.0, True)], ["name", "value", "met"]))
    name  value  met
    ----  -----  ---
    a         1  yes
    """
    cells = [[_fmt(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(header)]
    numeric = [all(isinstance(row[i], (int, float)) and not isinstance(row[i], bool)
                   for row in rows) and rows for i in range(len(header))]

    def line(values):
        return "  ".join(v.rjust(w) if num else v.ljust(w)
                         for v, w, num in zip(values, widths, numeric)).rstrip()
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in cells])


def value_text(value: Any) -> str:
    """A number, or the nested tuple of a subscripted value, in short form.

    Examples
    --------
    >>> value_text((0.5, (1.0, 2.0)))
    '[0.5, [1, 2]]'
    """
    if isinstance(value, tuple):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return str(value)


def one_line(err: BaseException) -> str:
    """An exception as one line of text (an OSError as ``file: reason``).

    Examples
    --------
    >>> one_line(ValueError("two\\nlines"))
    'two lines'
    """
    if isinstance(err, OSError) and err.filename is not None and err.strerror:
        return f"{err.filename}: {err.strerror}"
    text = " ".join(str(err).split())
    return text or type(err).__name__


def status(message: str) -> None:
    """Print a progress message on stderr (stdout holds the results).

    Examples
    --------
    >>> status("working ...")  # on stderr
    """
    print(message, file=sys.stderr, flush=True)


def run_provider(ds, name: str | None, option: str = "--model"):
    """The provider of the model a saved run came from (or of `name`, if given).

    Parameters
    ----------
    ds : xarray.Dataset
        A run saved by ``gysim run -o``; its ``model`` attribute names the model.
    name : str, optional
        The model named on the command line, which wins over the file's.
    option : str
        The option that names a model, for the message.

    Raises
    ------
    UsageError
        If neither names a registered model.

    Examples
    --------
    >>> import xarray as xr
    >>> run_provider(xr.Dataset(attrs={"model": "population"}), None).name
    'population'
    """
    from ..registry import available_models, find_provider, get_provider
    if name is not None:
        return get_provider(name)
    model = ds.attrs.get("model")
    provider = find_provider(model) if isinstance(model, str) else None
    if provider is None:
        raise UsageError(
            f"the run is of model {model!r}, which is not a registered model; name one with "
            f"{option} (available: {', '.join(available_models()) or 'none'})")
    return provider
