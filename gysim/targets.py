"""Targets: check a run (or an ensemble) against stated goals.

A :class:`Target` says what to measure on a simulated Dataset (a value at a
year, a change, a growth rate, a cumulative sum, or any function of the
Dataset), the goal, and how the goal reads: ``"at_least"``, ``"about"`` or
``"at_most"``. :func:`check_targets` turns a list of targets into a table;
:func:`load_targets` builds targets from a plan's table of targets and a
mapping from its indicators to model variables.

How a goal is met
-----------------
- ``at_least``: model value >= target value.
- ``at_most``: model value <= target value.
- ``about``: ``|model value - target value| <= tolerance * |target value|``,
  with ``tolerance = 0.05`` (within 5 %) unless the target says otherwise.

Each comparison allows a floating-point slack of ``1e-9 * max(1, |target|)``
so that a value computed to sit exactly on the boundary (``12.999999999999``
for 13) counts as on it.

How a plan's qualifier reads (:func:`parse_kind`)
-------------------------------------------------
``at least``, ``over``, ``以上``, ``突破``, ``超过``, ``大于``, ``不低于``
read as ``at_least``; ``at most``, ``below``, ``以内``, ``以下``, ``降至``,
``不超过`` as ``at_most``; ``about``, ``左右`` as ``about``. A plain
``target`` (also ``target (力争)``, "strive for", and ``target (保有量)``,
"keep") states a level to reach: it reads as ``at_least`` when the value is
zero or positive and as ``at_most`` when it is negative, a reduction, so that
"energy per unit of GDP -20 %" is met by any fall of 20 % or more. ("Over"
means strictly above; a model value exactly equal counts as met.)
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ._text import suggest
from .errors import DataError
from .labels import select_element, split_element, values_at_times

__all__ = ["Target", "check_targets", "load_targets", "parse_kind", "share_mcse", "FORMS", "KINDS",
           "MCSE_METHODS"]

#: The goal kinds.
KINDS = ("at_least", "about", "at_most")

#: What a target measures: name -> number of years it needs.
FORMS = {
    "value": 1,           # value of the variable at a year
    "change": 2,          # v(y1) - v(y0)
    "percent_change": 2,  # 100 * (v(y1) / v(y0) - 1)
    "growth": 2,          # average annual growth, 100 * ((v(y1) / v(y0)) ** (1 / (y1 - y0)) - 1), percent/year
    "cumulative": 2,      # v(y0) + v(y0 + 1) + ... + v(y1), whole years
}

_SLACK = 1e-9

# Qualifiers, most specific first; matched as substrings of the lower-cased text.
_QUALIFIERS = (
    ("at least", "at_least"), ("at most", "at_most"), ("about", "about"),
    ("no less than", "at_least"), ("no more than", "at_most"), ("below", "at_most"),
    ("under", "at_most"), ("over", "at_least"), ("above", "at_least"),
    ("以上", "at_least"), ("突破", "at_least"), ("超过", "at_least"), ("大于", "at_least"),
    ("不低于", "at_least"), ("以内", "at_most"), ("以下", "at_most"), ("降至", "at_most"),
    ("不超过", "at_most"), ("左右", "about"),
)
_PLAIN = ("target", "力争", "保有量", "达到")


def parse_kind(text: str, value: float | None = None) -> str:
    """Read a goal's qualifier ("at least (突破)", "about (左右)", ...) as a kind.

    Parameters
    ----------
    text : str
        One of :data:`KINDS`, or a qualifier as a plan states it (see the
        module docs for the words understood).
    value : float, optional
        The target value; needed to read a plain ``"target"``, which is
        ``at_least`` for a value >= 0 and ``at_most`` for a negative value.

    Returns
    -------
    str
        ``"at_least"``, ``"about"`` or ``"at_most"``.

    Raises
    ------
    DataError
        If the text holds no known qualifier, or a plain ``"target"`` comes
        without a value.

    Examples
    --------
    >>> from gysim.targets import parse_kind
    >>> parse_kind("at least (突破)"), parse_kind("about (左右)"), parse_kind("at most (以内)")
    ('at_least', 'about', 'at_most')
    >>> parse_kind("over (大于)"), parse_kind("target", 28.0), parse_kind("target", -20.0)
    ('at_least', 'at_least', 'at_most')
    """
    if not isinstance(text, str):
        raise DataError(f"`kind` must be a string such as 'at least (突破)', got {text!r}")
    low = text.strip().lower()
    if low in KINDS:
        return low
    if low.replace(" ", "_") in KINDS:
        return low.replace(" ", "_")
    for word, kind in _QUALIFIERS:
        if word in low:
            return kind
    if any(word in low for word in _PLAIN):
        if value is None or not np.isfinite(value):
            raise DataError(f"a plain target kind ({text!r}) needs a finite target value to read its direction")
        return "at_least" if value >= 0 else "at_most"
    raise DataError(
        f"cannot read the target kind {text!r}: expected one of {', '.join(KINDS)} or a qualifier "
        "such as 'at least (以上)', 'about (左右)', 'at most (以内)', 'over (突破)', 'target'")


@dataclass(frozen=True)
class Target:
    """A goal for one quantity of a run.

    Parameters
    ----------
    name : str
        What the target is called in the table (e.g. the plan's indicator).
    value : float
        The goal, in the target's units.
    kind : str
        ``"at_least"``, ``"about"`` or ``"at_most"``, or a plan's qualifier
        read by :func:`parse_kind` (``"at least (突破)"``, ``"target"``...).
    variable : str, optional
        The simulated variable the target is measured on (with `form` and
        `years`), or one element ``var[label]`` (``var[l1,l2]``) of a
        subscripted variable, which a target must name. Give either
        `variable` or `func`.
    form : str
        How the variable becomes one number (see :data:`FORMS`):
        ``"value"`` at ``years=(y,)``; between ``years=(y0, y1)``:
        ``"change"`` (``v(y1) - v(y0)``), ``"percent_change"``
        (``100 * (v(y1)/v(y0) - 1)``), ``"growth"`` (average annual growth in
        percent per year, ``100 * ((v(y1)/v(y0)) ** (1/(y1-y0)) - 1)``),
        ``"cumulative"`` (the sum of the values at the whole years ``y0, y0+1,
        ..., y1``, for an annual series such as investment per year).
    years : tuple of float
        One year for ``"value"``, two otherwise. A year must be an output
        time of the run.
    func : callable, optional
        ``func(ds)`` returning the model value: a number for one run, or a
        DataArray over ``"run"`` (or an array of length ``n_runs``) for an
        ensemble. Replaces `variable`, `form` and `years`.
    scale : float
        Factor that converts the computed value into the target's units
        (e.g. 100 for a model fraction against a target in percent).
    tolerance : float
        Relative half-width of the band of an ``"about"`` target (0.05: within
        5 % of the target value).
    units, source : str
        The target's units and where it comes from (for the table and docs).

    Examples
    --------
    >>> from gysim.targets import Target
    >>> t = Target("gdp_2010", 1000, "at least (突破)", variable="gdp", years=(2010,))
    >>> t.kind
    'at_least'
    >>> Target("growth", 13, "about", variable="gdp_real", form="growth", years=(2005, 2010)).tolerance
    0.05
    """

    name: str
    value: float
    kind: str = "at_least"
    variable: str | None = None
    form: str = "value"
    years: tuple[float, ...] = ()
    func: Callable[[xr.Dataset], Any] | None = None
    scale: float = 1.0
    tolerance: float = 0.05
    units: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        try:
            value = float(self.value)
        except (TypeError, ValueError):
            raise DataError(f"target '{self.name}': `value` must be a number, got {self.value!r}") from None
        if not np.isfinite(value):
            raise DataError(f"target '{self.name}': `value` must be finite, got {self.value!r}")
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "kind", parse_kind(self.kind, value))
        if (self.variable is None) == (self.func is None):
            raise DataError(f"target '{self.name}': give exactly one of `variable` and `func`")
        if self.func is not None and not callable(self.func):
            raise DataError(f"target '{self.name}': `func` must be callable, got {self.func!r}")
        if self.variable is not None:
            if self.form not in FORMS:
                raise DataError(
                    f"target '{self.name}': `form` must be one of {', '.join(FORMS)}, got {self.form!r}")
            years = (self.years,) if np.isscalar(self.years) else tuple(self.years)
            if len(years) != FORMS[self.form]:
                raise DataError(
                    f"target '{self.name}': form {self.form!r} needs {FORMS[self.form]} year(s) in `years`, "
                    f"got {self.years!r}")
            years = tuple(float(y) for y in years)
            if len(years) == 2 and not years[0] < years[1]:
                raise DataError(f"target '{self.name}': `years` must be increasing, got {self.years!r}")
            object.__setattr__(self, "years", years)
            if not isinstance(self.variable, str):
                raise DataError(f"target '{self.name}': `variable` must be a string, got "
                                f"{self.variable!r}")
            try:  # a malformed var[label] fails here, not at check time
                split_element(self.variable)
            except DataError as err:
                raise DataError(f"target '{self.name}': {err}") from None
        if not (np.isfinite(self.scale) and self.scale != 0):
            raise DataError(f"target '{self.name}': `scale` must be a finite non-zero number, got {self.scale!r}")
        if not (np.isfinite(self.tolerance) and self.tolerance >= 0):
            raise DataError(f"target '{self.name}': `tolerance` must be >= 0, got {self.tolerance!r}")
        if self.kind == "about" and value == 0:
            raise DataError(
                f"target '{self.name}': an 'about' target of 0 has no relative band; "
                "state it as a change, or use 'at_least'/'at_most'")

    def model_value(self, ds: xr.Dataset) -> np.ndarray:
        """The measured quantity: shape ``()`` for one run, ``(n_runs,)`` for an ensemble.

        Examples
        --------
        >>> import xarray as xr
        >>> from gysim.targets import Target
        >>> ds = xr.Dataset({"x": ("time", [100.0, 110.0, 121.0])}, coords={"time": [2000, 2001, 2002]})
        >>> t = Target("g", 10, "about", variable="x", form="growth", years=(2000, 2002))
        >>> round(float(t.model_value(ds)), 9)
        10.0
        >>> ds2 = xr.Dataset({"va": (("time", "sector"), [[1.0, 5.0], [2.0, 6.0]])},
        ...                  coords={"time": [2005, 2010], "sector": ["primary", "secondary"]})
        >>> float(Target("va2", 6, "about", variable="va[secondary]", years=(2010,)).model_value(ds2))
        6.0
        """
        if self.func is not None:
            out = self.func(ds)
            out = np.asarray(out.values if isinstance(out, xr.DataArray) else out, dtype=float)
            return out * self.scale
        if split_element(self.variable)[0] not in ds.data_vars:
            raise DataError(f"target '{self.name}': the Dataset has no variable {self.variable!r}"
                            f"{suggest(self.variable, map(str, ds.data_vars))}")
        try:
            da = select_element(ds, self.variable, argument="variable", whole=False)
        except DataError as err:
            raise DataError(f"target '{self.name}': {err}") from None
        if self.form == "cumulative":
            y0, y1 = self.years
            years = np.arange(np.ceil(y0), np.floor(y1) + 0.5)
            v = values_at_times(da, years).sum(axis=0)
        elif self.form == "value":
            v = values_at_times(da, np.array(self.years))[0]
        else:
            first, last = values_at_times(da, np.array(self.years))
            with np.errstate(divide="ignore", invalid="ignore"):
                if self.form == "change":
                    v = last - first
                elif self.form == "percent_change":
                    v = 100.0 * (last / first - 1.0)
                else:  # growth
                    v = 100.0 * ((last / first) ** (1.0 / (self.years[1] - self.years[0])) - 1.0)
        return np.asarray(v, dtype=float) * self.scale

    def met(self, model_value: np.ndarray | float) -> np.ndarray:
        """Whether a model value meets the target (elementwise; NaN never does).

        Examples
        --------
        >>> from gysim.targets import Target
        >>> t = Target("pop", 380, "about", variable="population", years=(2010,))
        >>> t.met([361.0, 399.0, 400.0]).tolist()
        [True, True, False]
        """
        v = np.asarray(model_value, dtype=float)
        slack = _SLACK * max(1.0, abs(self.value))
        if self.kind == "at_least":
            return v >= self.value - slack
        if self.kind == "at_most":
            return v <= self.value + slack
        return np.abs(v - self.value) <= self.tolerance * abs(self.value) + slack


def check_targets(ds: xr.Dataset, targets: Iterable[Target], *, posterior: Any = None,
                  n: int | None = None, seed: int | None = None) -> pd.DataFrame:
    """Check a run, or an ensemble of runs, against targets.

    Parameters
    ----------
    ds : xarray.Dataset
        The output of :func:`gysim.simulate`: one run (dims ``("time",)``) or
        an ensemble (a ``"run"`` dimension).
    targets : iterable of Target
    posterior : gysim.Posterior, optional
        Adds the columns ``probability under the posterior`` and
        ``probability mcse``: the share of runs on posterior draws
        (:meth:`gysim.Posterior.predict`, without observation noise) that meet
        each target, under the scenario that made `ds` (``ds.attrs["scenario"]``)
        and up to its last time.
    n, seed : optional
        Passed to :meth:`gysim.Posterior.predict` (None: every draw).

    Returns
    -------
    pandas.DataFrame
        One row per target, indexed by the target's name (index name
        ``"target"``). For one run the columns are ``kind``, ``target_value``,
        ``model_value``, ``met`` (bool), ``gap`` (model value minus target
        value, in the target's units) and ``units``. For an ensemble,
        ``model_value`` is the median over the runs (NaN runs left out),
        ``share_met`` (the fraction of all runs that meet the target: the
        probability of meeting it, if the runs are draws of a distribution)
        replaces ``met``, and ``gap`` is the median's gap; ``mcse`` is the Monte
        Carlo standard error of ``share_met`` and ``mcse_method`` says how it
        was computed (see :func:`share_mcse`).

    Raises
    ------
    DataError
        If a target's variable or year is not in `ds`, or two targets share a
        name.

    Examples
    --------
    >>> import xarray as xr
    >>> from gysim.targets import Target, check_targets
    >>> ds = xr.Dataset({"gdp": ("time", [500.0, 1010.0])}, coords={"time": [2005, 2010]})
    >>> table = check_targets(ds, [Target("gdp_2010", 1000, "at least (突破)", variable="gdp", years=(2010,))])
    >>> row = table.loc["gdp_2010"]
    >>> float(row.model_value), bool(row.met), float(row.gap)
    (1010.0, True, 10.0)
    """
    if not isinstance(ds, xr.Dataset):
        raise DataError(f"`ds` must be an xarray Dataset from gysim.simulate, got {type(ds).__name__}")
    targets = list(targets)
    for t in targets:
        if not isinstance(t, Target):
            raise DataError(f"`targets` must hold Target objects, got {type(t).__name__}")
    names = [t.name for t in targets]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise DataError(f"target names must be unique; repeated: {', '.join(dup)}")
    ensemble = "run" in ds.dims
    n_runs = ds.sizes["run"] if ensemble else 1
    rows = []
    for t in targets:
        v = t.model_value(ds)
        row = {"target": t.name, "kind": t.kind, "target_value": t.value}
        if ensemble:
            v = np.broadcast_to(v, (n_runs,))
            finite = v[np.isfinite(v)]
            median = float(np.median(finite)) if finite.size else float("nan")
            met = t.met(v)
            mcse, how = share_mcse(met, ds)
            row.update(model_value=median, share_met=float(np.mean(met)), mcse=mcse, mcse_method=how,
                       gap=median - t.value)
        else:
            if v.size != 1:
                raise DataError(f"target '{t.name}': expected one number for one run, got shape {v.shape}")
            value = float(v.reshape(()))
            row.update(model_value=value, met=bool(t.met(value)), gap=value - t.value)
        row["units"] = t.units
        rows.append(row)
    shares = ["share_met", "mcse", "mcse_method"] if ensemble else ["met"]
    columns = ["target", "kind", "target_value", "model_value", *shares, "gap", "units"]
    table = pd.DataFrame(rows, columns=columns).set_index("target")
    if posterior is not None:
        if not callable(getattr(posterior, "predict", None)):
            raise DataError(f"`posterior` must be a gysim.Posterior, got {type(posterior).__name__}")
        runs = posterior.predict(n, scenario=ds.attrs.get("scenario") or None,
                                 stop=float(ds["time"].values.max()), seed=seed)
        under = check_targets(runs, targets)
        table["probability under the posterior"] = under["share_met"]
        table["probability mcse"] = under["mcse"]
    return table


#: How :func:`share_mcse` computed a Monte Carlo standard error.
MCSE_METHODS = {
    "binomial": "sqrt(p (1 - p) / n): the runs taken as independent draws",
    "mcmc": "sqrt(p (1 - p) / ESS): ESS of the indicator over the runs' chains and draws (arviz.ess, "
            "method 'mean')",
}


def share_mcse(met: np.ndarray, ds: xr.Dataset | None = None) -> tuple[float, str]:
    """Monte Carlo standard error of the share of runs meeting a target, and how it was computed.

    The share ``p`` of ``n`` runs estimates the probability of meeting the
    target. For independent runs its standard error is binomial,
    ``sqrt(p (1 - p) / n)`` (``"binomial"``). When the runs are MCMC draws
    that keep their chain structure -- coordinates ``chain`` and ``draw``
    over ``run`` covering every (chain, draw) pair once, as
    :meth:`gysim.Posterior.predict` gives with ``n=None`` -- successive draws
    are correlated and ``n`` is replaced by the effective sample size of the
    met/not-met indicator (``"mcmc"``; needs arviz). ``p`` of 0 or 1 gives 0
    (then ``3 / n``, the "rule of three", bounds the probability at 95 %).

    Parameters
    ----------
    met : numpy.ndarray of bool
        Whether each run meets the target.
    ds : xarray.Dataset, optional
        The ensemble, for its ``chain`` and ``draw`` coordinates.

    Returns
    -------
    (float, str)
        The standard error and the method's key in :data:`MCSE_METHODS`.

    Examples
    --------
    >>> import numpy as np
    >>> share_mcse(np.array([True, False, False, False]))     # sqrt(0.25 * 0.75 / 4)
    (0.21650635094610965, 'binomial')
    """
    met = np.asarray(met, dtype=float).reshape(-1)
    n = met.size
    p = float(met.mean()) if n else float("nan")
    if n == 0 or p in (0.0, 1.0):
        return (0.0 if n else float("nan")), "binomial"
    grid = _chain_grid(ds, n) if ds is not None else None
    if grid is None:
        return float(np.sqrt(p * (1 - p) / n)), "binomial"
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # arviz announces its refactor on import
        from arviz import ess
        effective = float(ess(met[grid], method="mean"))
    return float(np.sqrt(p * (1 - p) / effective)), "mcmc"


def _chain_grid(ds: xr.Dataset, n: int) -> np.ndarray | None:
    """Index array (chain, draw) -> run, if the runs cover a whole grid of >= 2 chains and draws."""
    if "chain" not in ds.coords or "draw" not in ds.coords or ds["chain"].dims != ("run",) \
            or ds["draw"].dims != ("run",):
        return None
    chains, c_idx = np.unique(ds["chain"].values, return_inverse=True)
    draws, d_idx = np.unique(ds["draw"].values, return_inverse=True)
    if len(chains) < 2 or len(draws) < 4 or len(chains) * len(draws) != n:
        return None
    grid = np.full((len(chains), len(draws)), -1)
    grid[c_idx, d_idx] = np.arange(n)
    return None if (grid < 0).any() else grid


def load_targets(csv_path: str | os.PathLike, mapping: Mapping[str, Any], *, tolerance: float = 0.05) -> list[Target]:
    """Build targets from a plan's table of targets.

    Parameters
    ----------
    csv_path : str or path-like
        A CSV with at least the columns ``indicator``, ``target`` and
        ``kind`` (and optionally ``unit`` and ``seed_quote``), one row per
        target, like ``targets_11th_fyp.csv``.
    mapping : mapping
        Indicator -> how the model measures it, either a tuple
        ``(form, variable, years)`` or ``(form, variable, years, scale)``, or a
        dict with keys ``form``, ``variable``, ``years``, ``scale`` and
        optionally ``func`` (replacing form/variable/years), ``kind`` (overrides
        the row's qualifier), ``value`` (overrides the row's target, e.g. for a
        row whose target is not a single number), ``tolerance``. Rows whose
        indicator is not in the mapping are skipped: a plan has more targets
        than a model covers.
    tolerance : float
        Default relative band of ``"about"`` targets.

    Returns
    -------
    list of Target
        In the order of the mapping.

    Raises
    ------
    DataError
        If the file lacks a required column, a mapped indicator is not in the
        file, a target value is not a number, or a mapping entry is malformed.

    Examples
    --------
    >>> import tempfile, os
    >>> from gysim.targets import load_targets
    >>> path = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> with open(path, "w", encoding="utf-8") as f:
    ...     _ = f.write("indicator,target,unit,kind\\nurbanization_rate_2010,68,percent,about (左右)\\n")
    >>> [t] = load_targets(path, {"urbanization_rate_2010": ("value", "urbanization_rate", (2010,), 100)})
    >>> t.kind, t.value, t.scale, t.units
    ('about', 68.0, 100.0, 'percent')
    """
    try:
        with open(csv_path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            fields = reader.fieldnames or []
            rows = {row["indicator"].strip(): row for row in reader} if "indicator" in fields else {}
    except OSError as err:
        raise DataError(f"cannot read the targets file {os.fspath(csv_path)!r}: {err}") from None
    missing = [c for c in ("indicator", "target", "kind") if c not in fields]
    if missing:
        raise DataError(f"the targets file {os.fspath(csv_path)!r} lacks the column(s) {', '.join(missing)}")
    targets = []
    for indicator, spec in mapping.items():
        if indicator not in rows:
            raise DataError(f"indicator {indicator!r} is not in {os.fspath(csv_path)!r}{suggest(indicator, rows)}")
        row = rows[indicator]
        spec = _spec_dict(indicator, spec)
        raw = spec.pop("value", row["target"])
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise DataError(
                f"indicator {indicator!r}: the target {raw!r} is not a number; give `value` in its mapping entry "
                "or measure it with separate targets") from None
        spec.setdefault("tolerance", tolerance)
        kind = spec.pop("kind", row["kind"])
        source = (row.get("seed_quote") or "").strip()
        targets.append(Target(indicator, value, kind, units=(row.get("unit") or "").strip(), source=source, **spec))
    return targets


def _spec_dict(indicator: str, spec: Any) -> dict[str, Any]:
    """A mapping entry as Target keyword arguments."""
    allowed = {"form", "variable", "years", "scale", "func", "kind", "value", "tolerance"}
    if isinstance(spec, Mapping):
        unknown = set(spec) - allowed
        if unknown:
            raise DataError(f"mapping entry of {indicator!r} has unknown key(s) {', '.join(sorted(unknown))}; "
                            f"allowed: {', '.join(sorted(allowed))}")
        out = dict(spec)
    elif isinstance(spec, (tuple, list)) and len(spec) in (3, 4):
        out = dict(zip(("form", "variable", "years", "scale"), spec))
    else:
        raise DataError(f"mapping entry of {indicator!r} must be (form, variable, years[, scale]) or a dict, "
                        f"got {spec!r}")
    if "scale" in out:
        out["scale"] = float(out["scale"])
    if "years" in out and not isinstance(out["years"], (tuple, list)):
        out["years"] = (out["years"],)
    return out

