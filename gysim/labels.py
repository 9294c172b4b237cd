"""Naming one element of a subscripted variable: ``'var[label]'``.

Wherever gysim takes a string naming an output or a parameter (calibration
data columns, sensitivity outputs, targets, sampled parameters, the CLI's
``--vars``), one element of a subscripted variable is written ``var[label]``,
or ``var[label1,label2]`` over several dimensions (one label of each, in any
order: labels are unique across dimensions). This module parses such names,
resolves their labels against a variable's dimensions (:func:`resolve_labels`,
the one place that does it), and selects the values they name from a result
Dataset, by element and by output time.

It knows nothing of models: :func:`resolve_labels` takes a tuple of dims and
a mapping of each dim's labels, which a :class:`gysim.Model`
(``element.dims``, ``model.dimensions``) and a Dataset (its coordinates) both
provide.

Examples
--------
>>> import numpy as np, xarray as xr
>>> from gysim.labels import select_element, split_element
>>> split_element("capital[secondary]")
('capital', ('secondary',))
>>> ds = xr.Dataset({"capital": (("time", "sector"), [[1.0, 2.0], [3.0, 4.0]])},
...                 coords={"time": [0, 1], "sector": ["primary", "secondary"]})
>>> select_element(ds, "capital[secondary]").values.tolist()
[2.0, 4.0]
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence

import numpy as np
import xarray as xr

from ._text import suggest
from .errors import DataError, GysimError

__all__ = ["NON_ELEMENT_DIMS", "check_variables", "split_element", "element_name", "element_dims", "element_names",
           "resolve_labels", "select_element", "complete_elements", "expand_elements",
           "values_at_times"]

#: Dims of a simulated variable that are not subscripts (never named in ``var[label]``).
NON_ELEMENT_DIMS = ("time", "run", "quantile")
_ELEMENT = re.compile(r"^\s*([^\W\d]\w*)\s*\[([^\[\]]*)\]\s*$")  # any identifier, e.g. 资本[工业]


def split_element(name: str) -> tuple[str, tuple[str, ...]]:
    """A name as (variable, labels): ``"capital[secondary]"`` -> ``("capital", ("secondary",))``.

    Parameters
    ----------
    name : str
        ``var``, ``var[label]`` or ``var[label1,label2]``. A plain name has
        no labels; spaces around labels are ignored.

    Returns
    -------
    tuple
        The variable's name and the tuple of labels (empty for a plain name).

    Raises
    ------
    DataError
        If the brackets are malformed or a label is empty.

    Examples
    --------
    >>> from gysim.labels import split_element
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

    Parameters
    ----------
    variable : str
        The variable's name.
    labels : sequence of str
        One label per dimension (empty for a variable without dimensions).

    Returns
    -------
    str
        ``variable[l1,l2,...]``, or `variable` itself without labels.

    Examples
    --------
    >>> from gysim.labels import element_name
    >>> element_name("x", ("secondary", "north")), element_name("gdp", ())
    ('x[secondary,north]', 'gdp')
    """
    return f"{variable}[{','.join(map(str, labels))}]" if labels else variable


def element_dims(da: xr.DataArray) -> list[str]:
    """The subscript dims of a simulated variable: its dims besides ``time``, ``run`` and ``quantile``.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from gysim.labels import element_dims
    >>> element_dims(xr.DataArray(np.zeros((2, 3, 4)), dims=("time", "sector", "run")))
    ['sector']
    """
    return [d for d in da.dims if d not in NON_ELEMENT_DIMS]


def element_names(da: xr.DataArray, variable: str | None = None) -> list[str]:
    """Every element of a (possibly subscripted) variable, as ``var[label]`` names.

    The elements run over the variable's dimensions other than ``time``,
    ``run`` and ``quantile``, the last dimension fastest; a variable without
    such dimensions gives just its name.

    Parameters
    ----------
    da : xarray.DataArray
        The variable.
    variable : str, optional
        The name to use (default: ``da.name``).

    Returns
    -------
    list of str

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from gysim.labels import element_names
    >>> da = xr.DataArray(np.zeros((2, 3)), dims=("time", "sector"),
    ...                   coords={"sector": ["primary", "secondary", "tertiary"]}, name="capital")
    >>> element_names(da)
    ['capital[primary]', 'capital[secondary]', 'capital[tertiary]']
    """
    variable = str(da.name) if variable is None else variable
    dims = element_dims(da)
    if not dims:
        return [variable]
    labels = [[str(v) for v in (da[d].values if d in da.coords else range(da.sizes[d]))]
              for d in dims]
    return [element_name(variable, combo) for combo in itertools.product(*labels)]


def resolve_labels(name: str, dims: Sequence[str], labels: Mapping[str, Sequence[str]], *,
                   argument: str, kind: str = "variable", error: type[GysimError] = DataError,
                   partial: bool = False) -> dict[str, int]:
    """Where the labels of ``var[label, ...]`` sit along the dims of ``var``.

    This is the one place a ``var[label]`` name is resolved, for parameters
    of a model and variables of a Dataset alike: each label is looked up in
    the labels of every dim of the variable (labels are unique across
    dims, so the order of the labels in `name` does not matter).

    Parameters
    ----------
    name : str
        ``var``, ``var[label]`` or ``var[label1,label2]`` (see :func:`split_element`).
    dims : sequence of str
        The variable's subscript dims, in order (e.g. ``element.dims``).
    labels : mapping
        Dim -> its labels in order (e.g. ``model.dimensions``, or a
        Dataset's coordinates as strings). A dim missing here has no
        labels to name.
    argument : str
        The argument `name` came from, named in error messages.
    kind : str
        What the variable is ("variable", "parameter"), for error messages.
    error : type
        The exception to raise (a :class:`gysim.errors.GysimError`).
    partial : bool
        Accept a name that leaves some dims unnamed (a partial selection);
        by default every dim must get one label.

    Returns
    -------
    dict
        Dim -> position of its label, in the order of `dims`; empty for a
        plain name.

    Raises
    ------
    GysimError
        Of type `error`: for malformed brackets, labels on a variable
        without dims, a label that is not one of the dims' (with the close
        ones suggested), two labels of one dim, or (without `partial`) a dim
        left unnamed.

    Examples
    --------
    >>> from gysim.labels import resolve_labels
    >>> dims = ("sector", "district")
    >>> labels = {"sector": ("farm", "mill"), "district": ("north", "south")}
    >>> resolve_labels("x[south,mill]", dims, labels, argument="data")
    {'sector': 1, 'district': 1}
    >>> resolve_labels("x[north]", dims, labels, argument="data", partial=True)
    {'district': 0}
    >>> resolve_labels("x[mil,north]", dims, labels, argument="data")
    Traceback (most recent call last):
    ...
    gysim.errors.DataError: `data`: 'x[mil,north]': 'mil' is not an element of the dimension(s) sector, district of variable 'x' (elements: farm, mill, north, south); did you mean 'mill'?
    """
    try:
        variable, wanted = split_element(name)
    except GysimError as err:
        raise error(f"`{argument}`: {err}") from None
    if not wanted:
        return {}
    dims = tuple(dims)
    if not dims:
        raise error(f"`{argument}`: '{name}' names an element, but {kind} '{variable}' has no "
                    f"dimensions; write '{variable}'")
    own = {d: [str(v) for v in labels.get(d, ())] for d in dims}
    chosen: dict[str, tuple[int, str]] = {}
    for label in wanted:
        hits = [d for d in dims if label in own[d]]
        if not hits:
            known = [lab for d in dims for lab in own[d]]
            raise error(f"`{argument}`: '{name}': {label!r} is not an element of the dimension(s) "
                        f"{', '.join(dims)} of {kind} '{variable}' (elements: {', '.join(known)})"
                        f"{suggest(label, known)}")
        dim = hits[0]
        if dim in chosen:
            raise error(f"`{argument}`: '{name}' names two elements ({chosen[dim][1]!r}, "
                        f"{label!r}) of dimension '{dim}'")
        chosen[dim] = (own[dim].index(label), label)
    missing = [d for d in dims if d not in chosen]
    if missing and not partial:
        example = element_name(variable, [own[d][0] if own[d] else "?" for d in dims])
        raise error(f"`{argument}`: '{name}' must name one element of each dimension of "
                    f"'{variable}' ({', '.join(dims)}), e.g. '{example}'")
    return {d: chosen[d][0] for d in dims if d in chosen}


def _coordinate_labels(da: xr.DataArray, dims: Sequence[str]) -> dict[str, list[str]]:
    """Labels (as strings) of the dims of `da` that have a coordinate."""
    return {d: [str(v) for v in da[d].values] for d in dims if d in da.coords}


def select_element(ds: xr.Dataset, name: str, *, argument: str = "variables",
                   whole: bool = True, what: str = "the Dataset") -> xr.DataArray:
    """One variable, or one element ``var[label]`` of a subscripted variable, of a Dataset.

    Parameters
    ----------
    ds : xarray.Dataset
        A run or an ensemble from :func:`gysim.simulate`.
    name : str
        ``var``, ``var[label]`` or ``var[label1,label2]`` (see
        :func:`split_element`). Labels select with ``ds[var].sel(dim=label)``;
        naming some of the dims of a variable over several selects a part.
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
    >>> from gysim.labels import select_element
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
    dims = element_dims(da)
    if labels:
        index = resolve_labels(name, dims, _coordinate_labels(da, dims), argument=argument,
                               partial=True)
        da = da.isel(index)
        dims = [d for d in dims if d not in index]
    if dims and not whole:
        names = complete_elements(da, variable, labels, ds[variable].dims)
        shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
        raise DataError(f"`{argument}`: '{name}' is over dimension(s) {', '.join(dims)}; name "
                        f"one element, e.g. '{names[0]}' (elements: {shown})")
    return da.rename(name)


def complete_elements(da: xr.DataArray, variable: str, labels: Sequence[str] = (),
                      order: Sequence[str] = ()) -> list[str]:
    """Full element names of a (partly) selected variable: its labels plus each remaining one.

    Parameters
    ----------
    da : xarray.DataArray
        The variable after selecting `labels` (its remaining subscript dims
        are completed).
    variable : str
        The variable's name.
    labels : sequence of str
        The labels already selected.
    order : sequence of str, optional
        The dims of the unselected variable: each name's labels are put in
        their order (default: the selected labels first).

    Returns
    -------
    list of str
        One ``var[l1,l2,...]`` name per element of `da`, the last dim fastest.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from gysim.labels import complete_elements
    >>> da = xr.DataArray(np.zeros((2, 2)), dims=("sector", "district"),
    ...                   coords={"sector": ["farm", "mill"], "district": ["n", "s"]})
    >>> complete_elements(da.sel(district="s"), "x", ("s",), da.dims)
    ['x[farm,s]', 'x[mill,s]']
    >>> complete_elements(da, "x")
    ['x[farm,n]', 'x[farm,s]', 'x[mill,n]', 'x[mill,s]']
    """
    labels = tuple(labels)
    rest = element_names(da, "_")
    combos = [labels] if rest == ["_"] else [labels + tuple(r[2:-1].split(",")) for r in rest]
    if order:
        where = {str(v): d for d in order if d in da.coords for v in np.atleast_1d(da[d].values)}
        combos = [tuple(sorted(c, key=lambda lab: list(order).index(where.get(lab, order[0]))))
                  for c in combos]
    return [element_name(variable, c) for c in combos]


def expand_elements(ds: xr.Dataset, name: str, *, argument: str = "variables",
                    what: str = "the Dataset") -> list[str]:
    """A name as the single series it covers.

    Every element ``var[label]`` of a subscripted variable (or of a partial
    selection ``var[label]`` of one over several dims), or the name itself.

    Parameters
    ----------
    ds : xarray.Dataset
        A run or an ensemble.
    name : str
        ``var``, ``var[label]`` or ``var[label1,label2]``.
    argument, what : str
        The argument and what ``ds`` is, for error messages (see
        :func:`select_element`).

    Returns
    -------
    list of str

    Raises
    ------
    DataError
        As :func:`select_element`.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from gysim.labels import expand_elements
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
    names = complete_elements(da, variable, labels, ds[variable].dims)
    return names if len(names) > 1 else [name]


def check_variables(names: Sequence[str], available: Sequence[str], *, argument: str,
                    what: str, kinds: Mapping[str, str] | None = None) -> None:
    """Check that each name (``var`` or ``var[label]``) is one of the `available` variables.

    Parameters
    ----------
    names : sequence of str
        The names given.
    available : sequence of str
        The variables that may be named.
    argument : str
        The argument or option the names came from (``"outputs"`` in the
        API, ``"--outputs"`` on the command line), named in the message.
    what : str
        What holds the variables, e.g. ``"model 'm'"``.
    kinds : mapping, optional
        Kind of each other element of the model (``"param"``, ...), to say
        why it cannot be named.

    Raises
    ------
    DataError
        Naming the argument, the first unknown name and the nearest
        available ones.

    Examples
    --------
    >>> check_variables(["gdp", "gdp_per_head[north]"], ["gdp", "gdp_per_head"],
    ...                 argument="outputs", what="model 'm'")
    >>> check_variables(["gpd"], ["gdp"], argument="--outputs", what="model 'm'")
    Traceback (most recent call last):
    ...
    gysim.errors.DataError: --outputs: 'gpd' is not a variable of model 'm'; did you mean 'gdp'?
    """
    label = argument if argument.startswith("-") else f"`{argument}`"
    for name in names:
        try:
            base = split_element(str(name))[0]
        except DataError as err:
            raise DataError(f"{label}: {err}") from None
        if base in available:
            continue
        kind = (kinds or {}).get(base)
        if kind:
            raise DataError(f"{label}: '{name}' is a {kind} of {what}, not a variable (a "
                            f"stock, flow or auxiliary)")
        raise DataError(f"{label}: '{name}' is not a variable of {what}"
                        f"{suggest(str(base), list(available))}")


def values_at_times(da: xr.DataArray, times: np.ndarray) -> np.ndarray:
    """Values of a simulated variable at given output times, time axis first.

    The times must be output times of the run (within a 1e-9 relative
    tolerance); nothing is interpolated, so a fit is never judged against
    values the model did not produce.

    Parameters
    ----------
    da : xarray.DataArray
        A variable with a ``time`` dimension (and maybe ``run``).
    times : numpy.ndarray
        The times wanted.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(times),)`` for one run and ``(len(times), n_runs)`` for
        an ensemble (the other dims after time, in their order).

    Raises
    ------
    DataError
        If a time is not an output time.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from gysim.labels import values_at_times
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
