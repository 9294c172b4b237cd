"""Hindcasts: the posterior predictive of data held out of the fit, scored.

:func:`hindcast` fits the posterior on the data before a year (with the
settings of a posterior sampled before, see :func:`gysim.sample_posterior`),
predicts the held-out years with observation noise, and scores the forecast:

- **coverage** of the central 50 % and 90 % predictive bands: the share of
  held-out observations inside each band (a calibrated forecast covers about
  50 % and 90 %);
- **Theil's U2** against a naive trend forecast: ``sqrt(sum((f - y)**2)) /
  sqrt(sum((n - y)**2))`` over the held-out observations ``y`` of a series,
  where ``f`` is the predictive median and ``n`` continues the series' average
  trend over the fit period (from its first to its last observation before
  the hold-out: compound growth for lognormal errors, a straight line for
  normal errors). ``U2 < 1``: the model forecasts better than the trend.

Examples
--------
>>> import numpy as np
>>> from gysim.hindcast import naive_trend, theil_u2
>>> naive_trend(np.array([0.0, 2.0]), np.array([100.0, 121.0]), np.array([3.0, 4.0]), "lognormal")
array([133.1 , 146.41])
>>> theil_u2(np.array([10.0, 20.0]), np.array([11.0, 20.0]), np.array([12.0, 18.0]))   # 1 / sqrt(8)
0.3535533905932738
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from .calibrate.data import data_frame, data_in_model_units
from .errors import DataError, ParameterError
from .labels import select_element, split_element, values_at_times
from .plot import fan_chart
from .posterior import Posterior, sample_posterior

__all__ = ["hindcast", "HindcastResult", "naive_trend", "theil_u2", "LEVELS"]

#: The central predictive bands whose coverage is scored.
LEVELS = (0.5, 0.9)


def naive_trend(t_fit: np.ndarray, y_fit: np.ndarray, t_new: np.ndarray, error: str) -> np.ndarray:
    """The naive trend forecast: the average trend from the first to the last fit observation, continued.

    Compound growth for ``error="lognormal"``, a straight line for ``"normal"``.

    Examples
    --------
    >>> naive_trend(np.array([0.0, 1.0, 2.0]), np.array([1.0, 5.0, 3.0]), np.array([4.0]), "normal")
    array([5.])
    """
    t0, t1, y0, y1 = float(t_fit[0]), float(t_fit[-1]), float(y_fit[0]), float(y_fit[-1])
    if t1 == t0:
        return np.full(len(t_new), y1)
    if error == "lognormal":
        return y1 * (y1 / y0) ** ((np.asarray(t_new, dtype=float) - t1) / (t1 - t0))
    return y1 + (y1 - y0) / (t1 - t0) * (np.asarray(t_new, dtype=float) - t1)


def theil_u2(observed: np.ndarray, forecast: np.ndarray, naive: np.ndarray) -> float:
    """Theil's U2: the forecast's root sum of squared errors over the naive forecast's.

    NaN when the naive forecast is exact.

    Examples
    --------
    >>> theil_u2(np.array([1.0]), np.array([1.5]), np.array([2.0]))
    0.5
    """
    num = float(np.sum((forecast - observed) ** 2))
    den = float(np.sum((naive - observed) ** 2))
    return float(np.sqrt(num / den)) if den > 0 else float("nan")


class HindcastResult:
    """A hindcast: the scores, the posterior fitted before `start`, and the predictive runs.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per series and a row ``"all"`` (pooled coverage): ``n_fit``,
        ``n_held_out``, ``coverage_50``, ``coverage_90`` (one column per
        level), ``U2``.
    posterior : gysim.Posterior
        The posterior fitted on the data before `start`.
    predictive : xarray.Dataset
        Runs on posterior draws to `stop`, with observation noise on the observed series.
    observed : pandas.DataFrame
        The data (model units), fit and held-out years.
    start, stop : float
    levels : tuple of float
    """

    def __init__(self, table, posterior, predictive, observed, start, stop, levels):
        self.table, self.posterior, self.predictive = table, posterior, predictive
        self.observed, self.start, self.stop, self.levels = observed, start, stop, levels

    def plot(self, series: Sequence[str] | None = None, *, ncols: int = 3):
        """Fan charts of the predictive per series, the fit data (●) and the held-out data (✕).

        Returns
        -------
        matplotlib.figure.Figure
        """
        import matplotlib.pyplot as plt

        series = list(self.observed.columns if series is None else series)
        unknown = [s for s in series if s not in self.observed.columns]
        if unknown:
            raise DataError(f"`series` {', '.join(map(repr, unknown))} not in the hindcast's data "
                            f"({', '.join(self.observed.columns)})")
        ncols = max(1, min(ncols, len(series)))
        nrows = -(-len(series) // ncols)
        fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.4 * nrows), squeeze=False)
        q = sorted({0.5} | {(1 - lv) / 2 for lv in self.levels} | {(1 + lv) / 2 for lv in self.levels})
        for ax, name in zip(axes.flat, series):
            fan_chart(self.predictive, name, quantiles=q, ax=ax, color="tab:blue")
            y = self.observed[name].dropna()
            fit, held = y[y.index < self.start], y[y.index >= self.start]
            ax.plot(fit.index, fit.values, "o", color="black", markersize=4, label="fit data")
            ax.plot(held.index, held.values, "x", color="tab:red", markersize=6, label="held out")
            ax.axvline(self.start, color="grey", linestyle=":", linewidth=1)
            ax.legend(fontsize="x-small")
        for ax in list(axes.flat)[len(series):]:
            ax.set_visible(False)
        fig.suptitle(f"hindcast: fit before {self.start:g}, predicted {self.start:g}-{self.stop:g}")
        fig.tight_layout()
        return fig

    def __repr__(self) -> str:
        return f"<gysim HindcastResult {self.start:g}-{self.stop:g}>\n{self.table.to_string()}"


def hindcast(post: Posterior, data: pd.DataFrame | xr.Dataset, start: float, stop: float | None = None, *,
             levels: Sequence[float] = LEVELS, n: int | None = None, seed: int | None = None,
             data_units: Mapping[str, str] | None = None) -> HindcastResult:
    """Fit on the data before `start`, predict `start`..`stop`, and score against the held-out data.

    Parameters
    ----------
    post : gysim.Posterior
        A posterior from :func:`gysim.sample_posterior`: its model, parameters,
        priors, error model, sigma, walkers, draws, tune, seed and simulate
        options are used again. If it was fitted on data before `start` only,
        it is used as it is; otherwise it is sampled again on the data before
        `start`.
    data : pandas.DataFrame or xarray.Dataset
        Observations (the format of :func:`gysim.calibrate`) covering both the
        fit years and the held-out years.
    start : float
        First held-out time: the fit uses the data at times < `start`.
    stop : float, optional
        Last held-out time (default: the last data time).
    levels : sequence of float
        Central predictive bands scored (default 50 % and 90 %).
    n, seed : optional
        Number of posterior draws predicted (:meth:`Posterior.predict`; None:
        every draw) and the seed of their choice and noise.
    data_units : mapping, optional
        Units of the data columns.

    Returns
    -------
    HindcastResult
        ``.table`` (coverage per level and Theil's U2 per series), ``.plot()``.

    Raises
    ------
    DataError
        If no data lie before `start` or within `start`..`stop`, or a series
        has no observation before `start`.
    ParameterError
        For bad `levels` or `start` >= `stop`.

    Examples
    --------
    >>> import numpy as np, pandas as pd, gysim
    >>> m = gysim.Model("growth", start=0, stop=9)
    >>> m.stock("x", 1.0)
    >>> m.param("r", 0.1, bounds=(0.0, 1.0))
    >>> m.flow("inc", "r * x", into="x")
    >>> t = np.arange(10.0)
    >>> e = np.random.default_rng(3).standard_normal(10)
    >>> data = pd.DataFrame({"x": np.exp(0.2 * t + 0.05 * e)}, index=t)
    >>> post = gysim.sample_posterior(m, data[data.index < 7], ["r"], sigma=0.05, walkers=8,
    ...                               draws=40, tune=20, seed=1, method="rk4", dt=0.25)
    >>> h = hindcast(post, data, start=7)          # gysim.hindcast(...) outside this module
    >>> h.table.loc["x", ["n_fit", "n_held_out"]].tolist()
    [7, 3]
    """
    if not isinstance(post, Posterior):
        raise ParameterError(f"`post` must be a gysim.Posterior, got {type(post).__name__}")
    levels = tuple(float(v) for v in levels)
    if not levels or not all(0 < v < 1 for v in levels):
        raise ParameterError(f"`levels` must be numbers in (0, 1), got {levels!r}")
    model = post.model
    data = data_in_model_units(model, data, data_units)
    horizon = max(float(model.stop), float(stop) if stop is not None else -np.inf)
    frame = data_frame(model, data, horizon, [])
    stop = float(frame.index[-1]) if stop is None else float(stop)
    start = float(start)
    if not start < stop:
        raise ParameterError(f"`start` ({start:g}) must be before `stop` ({stop:g})")
    fit = frame[frame.index < start].dropna(how="all")
    held = frame[(frame.index >= start) & (frame.index <= stop)].dropna(how="all")
    if fit.empty:
        raise DataError(f"no data before `start` = {start:g} to fit")
    if held.empty:
        raise DataError(f"no data within {start:g}-{stop:g} to hold out")
    empty = [c for c in frame.columns if fit[c].isna().all()]
    if empty:
        raise DataError(f"series {', '.join(map(repr, empty))} have no observation before {start:g}; "
                        "drop them from the hindcast's data")

    if float(post.observed.index[-1]) < start:
        fitted = post
    else:
        s = post.settings
        fitted = sample_posterior(model, fit, s["params"], priors=s["priors"], error=post.error,
                                  sigma=s["sigma"], walkers=s["walkers"], draws=s["draws"], tune=s["tune"],
                                  seed=s["seed"], init=s["init"], bounds=s["bounds"],
                                  **{k: v for k, v in s["simulate_options"].items() if k != "stop"})
    variables = list(dict.fromkeys(split_element(c)[0] for c in frame.columns))
    pred = fitted.predict(n, stop=stop, seed=seed, noise=True, variables=variables)

    rows, pooled = [], {lv: [] for lv in levels}
    for name in frame.columns:
        y = held[name].dropna()
        y_fit = fit[name].dropna()
        row: dict[str, Any] = {"series": name, "n_fit": int(len(y_fit)), "n_held_out": int(len(y))}
        if len(y):
            sims = values_at_times(select_element(pred, name, argument="data"), y.index.to_numpy(float))
            sims = sims.reshape(len(y), -1)
            for lv in levels:
                lo = np.nanquantile(sims, (1 - lv) / 2, axis=1)
                hi = np.nanquantile(sims, (1 + lv) / 2, axis=1)
                inside = (y.to_numpy() >= lo) & (y.to_numpy() <= hi)
                row[_col(lv)] = float(inside.mean())
                pooled[lv].extend(inside.tolist())
            naive = naive_trend(y_fit.index.to_numpy(float), y_fit.to_numpy(), y.index.to_numpy(float),
                                post.error)
            row["U2"] = theil_u2(y.to_numpy(), np.nanmedian(sims, axis=1), naive)
        else:
            row.update({_col(lv): float("nan") for lv in levels}, U2=float("nan"))
        rows.append(row)
    total = {"series": "all", "n_fit": int(sum(r["n_fit"] for r in rows)),
             "n_held_out": int(sum(r["n_held_out"] for r in rows)), "U2": float("nan")}
    total.update({_col(lv): float(np.mean(pooled[lv])) for lv in levels})
    rows.append(total)
    columns = ["series", "n_fit", "n_held_out", *[_col(lv) for lv in levels], "U2"]
    table = pd.DataFrame(rows, columns=columns).set_index("series")
    return HindcastResult(table, fitted, pred, frame[frame.index <= stop], start, stop, levels)


def _col(level: float) -> str:
    return f"coverage_{100 * level:g}"
