"""What a calibration found: :class:`CalibrationResult`, its JSON file and reading it back.

Examples
--------
>>> import json, os, tempfile
>>> from gysim.calibrate.result import load_calibration
>>> path = os.path.join(tempfile.mkdtemp(), "fit.json")
>>> with open(path, "w") as f:
...     json.dump({"parameters": {"k": {"value": 0.5}}}, f)
>>> load_calibration(path)
{'k': 0.5}
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..atomic import write_text_atomic
from ..batch import as_params, element_bounds, param_element
from ..errors import DataError, ParameterError
from ..model import Model

__all__ = ["CalibrationResult", "load_calibration", "apply_calibration"]


@dataclass(repr=False)
class CalibrationResult:
    """What :func:`calibrate` found.

    Attributes
    ----------
    params : dict
        Fitted value of every calibrated parameter (or stock initial value).
    stderr : dict
        Standard error of each fitted value (inf for an unidentified one,
        NaN when there are no more observations than parameters).
    correlation : pandas.DataFrame
        Correlation matrix of the fitted values.
    cost : float
        Weighted sum of squared residuals at the optimum.
    n_obs : int
        Number of observations in the cost.
    report : pandas.DataFrame
        Goodness of fit per series (:func:`gysim.fit_report.fit_report`):
        n, MAPE, RMSE, R2, U, UM, US, UC.
    starts : pandas.DataFrame
        One row per start point: where it came from ("model" for the model's
        own values, "lhs" for a Latin-hypercube point), its initial and final
        cost, the function evaluations, the optimiser's status, and the values
        it reached.
    unidentified : list of str
        Parameters the data do not determine.
    warnings : list of str
        Things to know about this fit (unidentified or bound-hugging
        parameters, dropped data times, an optimiser that stopped early).
    bounds, units : dict
        Bounds searched and units of each parameter.
    weights : dict
        Weight of each data series.
    observed, simulated : pandas.DataFrame
        The data used and the fitted model's values at the same times.
    provenance : dict
        gysim and scipy versions, model name and hash, data columns and
        times, seed, method and options.
    base_model : gysim.Model
        The model that was calibrated.

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("decay", start=0, stop=4)
    >>> m.stock("x", 1.0)
    >>> m.param("k", 0.3, bounds=(0.01, 2))
    >>> m.flow("out", "k * x", out_of="x")
    >>> data = gysim.simulate(m.with_params(k=0.5))[["x"]].reset_coords(drop=True).to_dataframe()
    >>> result = gysim.calibrate(m, data, ["k"], n_starts=2, rtol=1e-10, atol=1e-12)
    >>> round(result.params["k"], 6), round(result.model.params["k"].value, 6)
    (0.5, 0.5)
    """

    params: dict[str, float]
    stderr: dict[str, float]
    correlation: pd.DataFrame
    cost: float
    n_obs: int
    report: pd.DataFrame
    starts: pd.DataFrame
    unidentified: list[str]
    warnings: list[str]
    bounds: dict[str, tuple[float, float]]
    units: dict[str, str]
    weights: dict[str, float]
    observed: pd.DataFrame
    simulated: pd.DataFrame
    provenance: dict[str, Any]
    base_model: Model = field(repr=False)

    @property
    def model(self) -> Model:
        """The calibrated model: ``base_model.with_params(params)`` (elements ``p[label]``
        set within their parameter's values)."""
        return self.base_model.with_params(as_params(self.base_model, self.params))

    @property
    def table(self) -> pd.DataFrame:
        """Fitted values with standard errors, bounds and units, one row per parameter."""
        rows = {
            name: {"value": value, "stderr": self.stderr[name], "lower": self.bounds[name][0],
                   "upper": self.bounds[name][1], "units": self.units[name]}
            for name, value in self.params.items()
        }
        table = pd.DataFrame.from_dict(rows, orient="index")
        table.index.name = "parameter"
        return table

    def to_json(self, path: str | os.PathLike) -> None:
        """Write the result as readable JSON, atomically (temporary file, then rename).

        The file holds the fitted values with their standard errors, bounds
        and units, the correlation matrix, the fit report, the starts, the
        warnings and the provenance. Non-finite numbers are written as
        ``null``. :func:`load_calibration` reads the fitted values back.

        Examples
        --------
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "fit.json")
        >>> result.to_json(path)                                  # doctest: +SKIP
        >>> load_calibration(path)                                # doctest: +SKIP
        {'k': 0.5}
        """
        doc = {
            "model": self.base_model.name,
            "parameters": {
                name: {"value": self.params[name], "stderr": self.stderr[name],
                       "lower": self.bounds[name][0], "upper": self.bounds[name][1],
                       "units": self.units[name],
                       "kind": "stock initial value" if name in self.base_model.stocks else "parameter"}
                for name in self.params
            },
            "unidentified": list(self.unidentified),
            "warnings": list(self.warnings),
            "cost": self.cost,
            "n_obs": self.n_obs,
            "weights": dict(self.weights),
            "correlation": {r: self.correlation.loc[r].to_dict() for r in self.correlation.index},
            "fit": {s: self.report.loc[s].to_dict() for s in self.report.index},
            "starts": self.starts.reset_index().to_dict(orient="records"),
            "provenance": self.provenance,
        }
        text = json.dumps(_jsonable(doc), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        write_text_atomic(path, text)

    def __repr__(self) -> str:
        lines = [f"CalibrationResult(model={self.base_model.name!r}, cost={self.cost:.6g}, "
                 f"n_obs={self.n_obs}, starts={len(self.starts)})",
                 self.table.to_string(), "", self.report.to_string()]
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        warnings = "".join(f"<li>{esc(w)}</li>" for w in self.warnings)
        return (
            f"<div><p><b>Calibration of '{esc(self.base_model.name)}'</b>: cost {self.cost:.4g} "
            f"over {self.n_obs} observations, best of {len(self.starts)} starts</p>"
            f"{self.table.to_html(float_format=lambda v: f'{v:.5g}')}"
            f"<p>Fit per series</p>{self.report.to_html(float_format=lambda v: f'{v:.4g}')}"
            + (f"<ul>{warnings}</ul>" if warnings else "") + "</div>"
        )



def load_calibration(path: str | os.PathLike) -> dict[str, float]:
    """Read the fitted values written by :meth:`CalibrationResult.to_json`.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    dict
        Parameter (or stock) name -> fitted value, ready for
        ``model.with_params(...)`` (elements ``p[label]`` of subscripted
        parameters through ``model.with_params(gysim.batch.as_params(model,
        values))``).

    Raises
    ------
    DataError
        If the file cannot be read or is not a calibration result.

    Examples
    --------
    >>> import json, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "fit.json")
    >>> with open(path, "w") as f:
    ...     json.dump({"parameters": {"k": {"value": 0.5, "stderr": 0.01}}}, f)
    >>> load_calibration(path)
    {'k': 0.5}
    """
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        return {name: float(entry["value"]) for name, entry in doc["parameters"].items()}
    except (OSError, ValueError) as err:
        raise DataError(f"cannot read calibration file {os.fspath(path)!r}: {err}") from None
    except (KeyError, TypeError, AttributeError):
        raise DataError(f"{os.fspath(path)!r} is not a calibration result: it must hold "
                        "'parameters' -> name -> {'value': ...}") from None



def apply_calibration(model: Model, path: str | os.PathLike) -> Model:
    """The model with the fitted values of a calibration file applied, after checking them.

    Parameters
    ----------
    model : gysim.Model
        The model the file was fitted to (its ``model`` entry, when present,
        must be this model's name).
    path : str or path-like
        A file written by :meth:`CalibrationResult.to_json` (or by ``gysim
        calibrate --out``): ``{"model": name, "parameters": {name: {"value":
        ...}}}``.

    Returns
    -------
    gysim.Model
        A new model with the values set (``param[label]`` sets one element);
        `model` is not changed.

    Raises
    ------
    DataError
        If the file cannot be read or is not a calibration; if it was made
        for another model; if it names a parameter (or stock) the model does
        not have; if a value is not finite or lies outside its parameter's
        bounds.

    Examples
    --------
    >>> import json, os, tempfile, gysim
    >>> m = gysim.Model("decay", start=0, stop=1)
    >>> m.stock("x", 1.0)
    >>> m.param("k", 0.3, bounds=(0.0, 1.0))
    >>> m.flow("out", "k * x", out_of="x")
    >>> path = os.path.join(tempfile.mkdtemp(), "fit.json")
    >>> with open(path, "w") as f:
    ...     json.dump({"model": "decay", "parameters": {"k": {"value": 0.5}}}, f)
    >>> apply_calibration(m, path).params["k"].value
    0.5
    >>> with open(path, "w") as f:
    ...     json.dump({"model": "decay", "parameters": {"k": {"value": 1.5}}}, f)
    >>> apply_calibration(m, path)
    Traceback (most recent call last):
    ...
    gysim.errors.DataError: calibration file '...fit.json': the value 1.5 of 'k' lies outside its bounds (0, 1) in model 'decay'
    """
    where = f"calibration file {os.fspath(path)!r}"
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as err:
        raise DataError(f"cannot read the {where}: {err}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("parameters"), dict):
        raise DataError(f"the {where} is not a calibration result: it must hold "
                        "'parameters' -> name -> {'value': ...} (as gysim calibrate --out writes)")
    fitted_for = doc.get("model")
    if fitted_for is not None and fitted_for != model.name:
        raise DataError(f"the {where} was fitted to model {fitted_for!r}, not to "
                        f"{model.name!r}: load it with the model it was made for")
    values: dict[str, float] = {}
    for name, entry in doc["parameters"].items():
        raw = entry.get("value") if isinstance(entry, dict) else None
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise DataError(f"{where}: the entry of {name!r} must hold a number 'value', got "
                            f"{entry!r}") from None
        if not np.isfinite(value):
            raise DataError(f"{where}: the value of {name!r} is not finite ({raw!r})")
        try:
            param_element(model, name, argument="calibration")
        except ParameterError as err:
            raise DataError(f"{where}: {str(err).split(': ', 1)[1]}") from None
        bounds = element_bounds(model, name)
        if bounds is not None and not bounds[0] <= value <= bounds[1]:
            raise DataError(f"{where}: the value {value:g} of {name!r} lies outside its bounds "
                            f"({bounds[0]:g}, {bounds[1]:g}) in model {model.name!r}")
        values[name] = value
    if not values:
        raise DataError(f"the {where} holds no fitted value")
    return model.with_params(as_params(model, values, argument="calibration"))


def _jsonable(obj):
    """Plain JSON values: numpy scalars to Python, non-finite floats to None."""
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    if obj is None or isinstance(obj, (str, int, bool)):
        return obj
    return str(obj)

