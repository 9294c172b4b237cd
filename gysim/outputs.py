"""Outputs of a run: variables, targets and functions of the run, resolved in one place.

Wherever gysim asks which quantities of a run to keep or analyse
(:func:`gysim.sensitivity` ``outputs=``, :func:`gysim.batch.run_batch` and
:func:`gysim.envelope` ``variables=``, :func:`gysim.calibrate` ``outputs=``
for data columns), an output may be

- a **variable**: its name, or ``var[label]`` for one element of a
  subscripted variable;
- a :class:`gysim.Target`: the output is the quantity the target measures
  (:meth:`gysim.Target.model_value`: the value at a year, the change, the
  percent change, the growth rate or the sum it states), one number per run,
  named after the target, in the target's units;
- a **function of the run** ``f(ds) -> DataArray``, over ``run`` and
  optionally ``time`` (its dims must be a subset of those), named after the
  function; a ``lambda`` has no name, so give it in a mapping
  ``{"name": f}`` or as :class:`Derived` (which also carries units).

A derived output over ``run`` only is one number per run (a scalar output,
e.g. "energy per GDP, 2010 against 2005"); one over ``(time, run)`` is a time
series. :func:`with_outputs` adds the derived outputs to a Dataset as
variables carrying ``long_name`` and ``units``, so that plots, tables,
envelopes and the sensitivity analysis use them like any variable.

Functions of the run may read any variable, so a study with one saves every
variable of the model; targets on a variable save only that variable.

Examples
--------
>>> import numpy as np, xarray as xr
>>> from gysim.outputs import with_outputs, Derived
>>> from gysim.targets import Target
>>> ds = xr.Dataset({"gdp": (("time", "run"), [[100.0, 100.0], [150.0, 200.0]]),
...                  "energy": (("time", "run"), [[50.0, 50.0], [60.0, 80.0]])},
...                 coords={"time": [2005, 2010], "run": [0, 1]})
>>> def intensity(ds):
...     return ds.energy / ds.gdp
>>> growth = Target("gdp_change", 50, "at least", variable="gdp", form="percent_change",
...                 years=(2005, 2010), units="percent")
>>> out = with_outputs(ds, [intensity, growth])
>>> out.intensity.sel(time=2010).values.tolist(), out.gdp_change.values.tolist()
([0.4, 0.4], [50.0, 100.0])
>>> out.gdp_change.attrs["units"], out.gdp_change.dims
('percent', ('run',))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from .errors import DataError
from .labels import check_variables, split_element
from .targets import Target

__all__ = ["Derived", "resolve_outputs", "needed_variables", "evaluate", "with_outputs",
           "output_names"]


@dataclass(frozen=True)
class Derived:
    """A named output computed from a run: ``func(ds) -> DataArray`` over ``run`` (and ``time``).

    Parameters
    ----------
    name : str
        The output's name (a variable of that name is added to the Dataset).
    func : callable
        ``func(ds)`` of the run's Dataset, returning a DataArray whose dims
        are ``("run",)`` (one number per run) or ``time`` and ``run``; for a
        single run (no ``run`` dim), ``()`` or ``("time",)``. A
        :class:`gysim.Target` is turned into one of these by
        :func:`resolve_outputs`.
    units, long_name : str
        Written to the variable's attributes.
    kind : str
        ``"function"`` or ``"target"`` (what it was made from).

    Examples
    --------
    >>> d = Derived("intensity", lambda ds: ds.energy / ds.gdp, units="tce/1e4 yuan")
    >>> d.name, d.units
    ('intensity', 'tce/1e4 yuan')
    """

    name: str
    func: Callable[[xr.Dataset], Any]
    units: str = ""
    long_name: str = ""
    kind: str = "function"
    needs: tuple[str, ...] | None = None  # variables it reads; None: possibly any

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise DataError(f"`outputs`: a derived output's name must be an identifier, got "
                            f"{self.name!r}")
        if not callable(self.func):
            raise DataError(f"`outputs`: derived output '{self.name}' must have a callable "
                            f"`func`, got {self.func!r}")


def _from_target(t: Target) -> Derived:
    if t.func is not None:
        long_name, needs = t.name, None
    else:
        span = "-".join(f"{y:g}" for y in t.years)
        form = {"value": "", "change": "change of ", "percent_change": "percent change of ",
                "growth": "average annual growth of ", "cumulative": "sum of "}[t.form]
        long_name, needs = f"{form}{t.variable} {span}", (split_element(t.variable)[0],)
    return Derived(t.name, t.model_value, units=t.units, long_name=long_name, kind="target",
                   needs=needs)


def _one(spec: Any, name: str | None, argument: str) -> str | Derived:
    label = f"`{argument}`"
    if isinstance(spec, Derived):
        return spec if name is None or name == spec.name else Derived(
            name, spec.func, spec.units, spec.long_name, spec.kind, spec.needs)
    if isinstance(spec, Target):
        d = _from_target(spec)
        return d if name is None else Derived(name, d.func, d.units, d.long_name, d.kind, d.needs)
    if isinstance(spec, str):
        if name is not None and name != spec:
            raise DataError(f"{label}: '{name}' maps to the variable '{spec}'; name a variable "
                            f"output by itself (a list entry '{spec}'), or give a function")
        try:
            split_element(spec)
        except DataError as err:
            raise DataError(f"{label}: {err}") from None
        return spec
    if callable(spec):
        if name is None:
            name = getattr(spec, "__name__", None)
            if not isinstance(name, str) or not name.isidentifier():
                raise DataError(
                    f"{label}: the function {spec!r} has no name to give its output; give it "
                    f"one: a mapping {{'name': f}}, gysim.outputs.Derived('name', f), or a "
                    f"function defined with `def name(ds): ...`")
        return Derived(name, spec, long_name=(getattr(spec, "__doc__", None) or "")
                       .strip().split("\n")[0])
    raise DataError(f"{label} must hold variable names ('var' or 'var[label]'), gysim.Target "
                    f"objects or functions f(ds) -> DataArray; got {type(spec).__name__} "
                    f"{spec!r}")


def resolve_outputs(outputs: Any, *, argument: str = "outputs",
                    variables: Sequence[str] | None = None, what: str = "the model",
                    kinds: Mapping[str, str] | None = None) -> list[str | Derived]:
    """The outputs as variable names (str) and :class:`Derived` outputs, checked.

    Parameters
    ----------
    outputs : str, Target, callable, Derived, sequence of them, or mapping
        One output or several; a mapping ``{name: spec}`` names each (a
        function or target), which a ``lambda`` needs.
    argument : str
        The argument the outputs came from, named in errors.
    variables : sequence of str, optional
        The variables that may be named; when given, every variable output and
        every target's variable must be one of them.
    what : str
        What holds the variables, for messages (e.g. ``"model 'm'"``).
    kinds : mapping, optional
        Kind of every element of the model (to say why a parameter cannot
        be an output).

    Returns
    -------
    list
        ``str`` for a variable, :class:`Derived` for a target or a function,
        in the order given.

    Raises
    ------
    DataError
        For no outputs, an entry of another type, a function without a
        name, an unknown variable, or two outputs of the same name.

    Examples
    --------
    >>> from gysim.targets import Target
    >>> t = Target("pop_2010", 380, "about", variable="pop", years=(2010,))
    >>> [o if isinstance(o, str) else o.name for o in resolve_outputs(["gdp", t])]
    ['gdp', 'pop_2010']
    >>> resolve_outputs([lambda ds: ds.gdp])
    Traceback (most recent call last):
    ...
    gysim.errors.DataError: `outputs`: the function <function <lambda> at ...> has no name to give its output; give it one: a mapping {'name': f}, gysim.outputs.Derived('name', f), or a function defined with `def name(ds): ...`
    """
    if isinstance(outputs, Mapping):
        items = [(str(k), v) for k, v in outputs.items()]
    elif isinstance(outputs, (str, Target, Derived)) or callable(outputs):
        items = [(None, outputs)]
    elif isinstance(outputs, Sequence) or hasattr(outputs, "__iter__"):
        items = [(None, o) for o in outputs]
    else:
        raise DataError(f"`{argument}` must be a variable name, a gysim.Target, a function "
                        f"f(ds), or a list or mapping of them; got {type(outputs).__name__}")
    if not items:
        raise DataError(f"`{argument}` must name at least one output")
    resolved = [_one(spec, name, argument) for name, spec in items]
    if variables is not None:
        plain = [o for o in resolved if isinstance(o, str)]
        plain += [n for o in resolved if isinstance(o, Derived) and o.needs for n in o.needs]
        check_variables(plain, list(variables), argument=argument, what=what, kinds=kinds)
        for o in resolved:
            if isinstance(o, Derived) and o.name in variables:
                raise DataError(f"`{argument}`: the derived output '{o.name}' has the name of a "
                                f"variable of {what}; give it another name")
    names = output_names(resolved)
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise DataError(f"`{argument}`: two outputs are named {', '.join(map(repr, twice))}; "
                        f"give each its own name")
    return resolved


def output_names(outputs: Sequence[str | Derived]) -> list[str]:
    """The name of each resolved output (a variable's name, a derived output's name).

    Examples
    --------
    >>> output_names(["gdp", Derived("ratio", lambda ds: ds.a / ds.b)])
    ['gdp', 'ratio']
    """
    return [o if isinstance(o, str) else o.name for o in outputs]


def needed_variables(outputs: Sequence[str | Derived]) -> list[str] | None:
    """The variables a run must save to compute `outputs`; None when a function may read any.

    Examples
    --------
    >>> from gysim.targets import Target
    >>> t = Target("g", 10, "about", variable="gdp[tertiary]", form="growth", years=(2005, 2010))
    >>> needed_variables(resolve_outputs(["pop", t]))
    ['pop', 'gdp']
    >>> def f(ds):
    ...     return ds.pop
    >>> needed_variables(resolve_outputs(["pop", f])) is None
    True
    """
    out: list[str] = []
    for o in outputs:
        if isinstance(o, Derived) and o.needs is None:
            return None
        for name in ([split_element(o)[0]] if isinstance(o, str) else o.needs):
            if name not in out:
                out.append(name)
    return out


def evaluate(output: Derived, ds: xr.Dataset, *, argument: str = "outputs") -> xr.DataArray:
    """A derived output of a run or an ensemble, as a DataArray with its units and long name.

    Parameters
    ----------
    output : Derived
    ds : xarray.Dataset
        The run (dims ``(time,)``) or ensemble (``(time, run)``).
    argument : str
        Named in errors.

    Returns
    -------
    xarray.DataArray
        Dims ``("run",)`` or ``("time", "run")`` for an ensemble, ``()`` or
        ``("time",)`` for one run, with the Dataset's coordinates.

    Raises
    ------
    DataError
        If the function fails, returns something that is not an array of
        the right shape, or a DataArray over other dims (e.g. one that
        reduced over the runs).

    Examples
    --------
    >>> import xarray as xr
    >>> ds = xr.Dataset({"x": (("time", "run"), [[1.0, 2.0], [3.0, 5.0]])},
    ...                 coords={"time": [0, 1], "run": [0, 1]})
    >>> def rise(ds):
    ...     return ds.x.sel(time=1) - ds.x.sel(time=0)
    >>> evaluate(Derived("rise", rise), ds).values.tolist()
    [2.0, 3.0]
    >>> evaluate(Derived("bad", lambda ds: ds.x.mean("run")), ds)
    Traceback (most recent call last):
    ...
    gysim.errors.DataError: `outputs`: 'bad' returned dims ('time',); an output of an ensemble must have a 'run' dim (one value per run), optionally with 'time': did it reduce over the runs?
    """
    label = f"`{argument}`"
    try:
        value = output.func(ds)
    except DataError as err:
        raise DataError(f"{label}: {output.kind} '{output.name}': {err}") from None
    except Exception as err:  # the user's function: say which and what it raised
        hint = ""
        if isinstance(err, (AttributeError, KeyError)):
            hint = f" (the run's variables: {', '.join(map(str, ds.data_vars))})"
        raise DataError(f"{label}: the {output.kind} '{output.name}' failed on the run: "
                        f"{type(err).__name__}: {err}{hint}") from err
    ensemble = "run" in ds.dims
    if not isinstance(value, xr.DataArray):
        arr = np.asarray(value, dtype=float)
        want = (ds.sizes["run"],) if ensemble else ()
        if arr.shape == want or (not ensemble and arr.shape == (1,)):
            value = xr.DataArray(arr.reshape(want), dims=("run",) if ensemble else (),
                                 coords={"run": ds["run"].values} if ensemble else {})
        else:
            raise DataError(f"{label}: '{output.name}' must return a DataArray over 'run' (and "
                            f"optionally 'time') or an array of one value per run {want}, got "
                            f"{type(value).__name__} of shape {arr.shape}")
    dims = set(value.dims)
    allowed = {"time", "run"} if ensemble else {"time"}
    if not dims <= allowed or (ensemble and "run" not in dims):
        why = ("an output of an ensemble must have a 'run' dim (one value per run), optionally "
               "with 'time': did it reduce over the runs?") if ensemble and "run" not in dims \
            else ("an output must be over 'run' and optionally 'time'; select one element of "
                  "the other dims (e.g. .sel(sector='tertiary')) or sum them")
        raise DataError(f"{label}: '{output.name}' returned dims {tuple(value.dims)}; {why}")
    value = value.transpose(*[d for d in ("time", "run") if d in dims])
    drop = [c for c in value.coords if c not in value.dims and c not in ds.coords]
    value = value.drop_vars(drop).astype(float)
    attrs = {"long_name": output.long_name or output.name, "units": output.units,
             "derived": output.kind}
    return value.rename(output.name).assign_attrs(attrs)


def with_outputs(ds: xr.Dataset, outputs: Any, *, argument: str = "outputs") -> xr.Dataset:
    """`ds` with the derived outputs among `outputs` added as variables.

    Variable outputs must already be in `ds`; targets and functions are
    evaluated (:func:`evaluate`) and added under their names, with
    ``long_name``, ``units`` and ``derived`` (``"target"`` or
    ``"function"``) attributes. The Dataset given is not changed.

    Parameters
    ----------
    ds : xarray.Dataset
        A run or an ensemble.
    outputs : see :func:`resolve_outputs`
    argument : str
        Named in errors.

    Raises
    ------
    DataError
        If a variable output is not in `ds`, or a derived output fails (see
        :func:`evaluate`).

    Examples
    --------
    >>> import xarray as xr
    >>> ds = xr.Dataset({"x": ("time", [1.0, 4.0])}, coords={"time": [0, 1]})
    >>> with_outputs(ds, {"half": lambda ds: ds.x / 2}).half.values.tolist()
    [0.5, 2.0]
    """
    if not isinstance(ds, xr.Dataset):
        raise DataError(f"`ds` must be an xarray Dataset (a run or an ensemble), got "
                        f"{type(ds).__name__}")
    resolved = outputs if isinstance(outputs, list) and all(
        isinstance(o, (str, Derived)) for o in outputs) else resolve_outputs(outputs,
                                                                              argument=argument)
    available = [str(v) for v in ds.data_vars]
    plain = [o for o in resolved if isinstance(o, str)]
    if plain:
        check_variables(plain, available, argument=argument, what="the run")
    out = ds.copy()
    for o in resolved:
        if isinstance(o, Derived):
            if o.name in available:
                raise DataError(f"`{argument}`: the derived output '{o.name}' has the name of a "
                                f"variable of the run; give it another name")
            out[o.name] = evaluate(o, ds, argument=argument)
    return out
