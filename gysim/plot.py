"""Pictures of runs: trajectories against data points and plan targets.

Each function takes Datasets from :func:`gysim.simulate` and returns the
matplotlib Figure, so a notebook shows it and a script saves it.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import gysim
>>> from gysim.examples import population_model
>>> from gysim.plot import trajectories
>>> fig = trajectories(gysim.simulate(population_model()), ["population", "births"])
>>> len(fig.axes)
2
"""

from __future__ import annotations

import math
from typing import Iterable, Mapping, Sequence

import xarray as xr

from .errors import DataError

__all__ = ["trajectories", "TARGET_MARKERS"]

#: Marker drawn for each kind of target: at least (pointing up), at most
#: (pointing down), about (a dot with the tolerance band as an error bar).
TARGET_MARKERS = {"at_least": "^", "at_most": "v", "about": "o"}


def trajectories(results: xr.Dataset | Mapping[str, xr.Dataset], variables: Sequence[str], *,
                 data=None, targets: Iterable = (), ncols: int = 3,
                 quantiles: tuple[float, float] = (0.05, 0.95), title: str | None = None):
    """Plot variables over time, one panel each, for one or several runs.

    Parameters
    ----------
    results : Dataset or mapping of label to Dataset
        Runs to draw, e.g. ``{"baseline": ds1, "plan": ds2}``. An ensemble
        (a ``run`` dimension) is drawn as its median with a quantile band.
    variables : sequence of str
        Variables to draw, one panel each.
    data : pandas.DataFrame, optional
        Observations indexed by time; columns named like variables are drawn
        as points.
    targets : iterable of gysim.targets.Target, optional
        Targets of form ``"value"`` on a drawn variable are marked at their
        year: ▲ at least, ▼ at most, ● about (with its tolerance band).
    ncols : int
        Panels per row.
    quantiles : (float, float)
        Band drawn for ensembles.
    title : str, optional
        Title of the figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np, gysim
    >>> from gysim.examples import population_model
    >>> ens = gysim.simulate(population_model(), params={"birth_rate": np.linspace(0.01, 0.02, 20)})
    >>> fig = trajectories({"ensemble": ens}, ["population"])
    >>> fig.axes[0].get_title()
    'population'
    """
    import matplotlib.pyplot as plt

    runs = {"": results} if isinstance(results, xr.Dataset) else dict(results)
    if not runs:
        raise DataError("`results` is empty: give a Dataset or a mapping of label to Dataset")
    variables = [variables] if isinstance(variables, str) else list(variables)
    for label, ds in runs.items():
        missing = [v for v in variables if v not in ds]
        if missing:
            raise DataError(f"variables {missing} are not in the results{' ' + label if label else ''}")
    ncols = max(1, min(ncols, len(variables)))
    nrows = math.ceil(len(variables) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.2 * nrows), squeeze=False,
                             layout="constrained")
    targets = list(targets)
    for ax, name in zip(axes.flat, variables):
        first = next(iter(runs.values()))[name]
        for label, ds in runs.items():
            da = ds[name]
            t = ds["time"].values
            if "run" in da.dims:
                lo, hi = da.quantile(list(quantiles), dim="run").values
                ax.fill_between(t, lo, hi, alpha=0.25)
                ax.plot(t, da.median("run").values, label=label or None)
            else:
                ax.plot(t, da.values, label=label or None)
        if data is not None and name in getattr(data, "columns", ()):
            column = data[name].dropna()
            ax.plot(column.index.to_numpy(dtype=float), column.to_numpy(dtype=float), "k.",
                    markersize=8, label="data")
        for target in targets:
            if getattr(target, "variable", None) != name or target.form != "value":
                continue
            year, value = target.years[0], target.value / target.scale
            marker = TARGET_MARKERS[target.kind]
            err = value * target.tolerance if target.kind == "about" else None
            ax.errorbar([year], [value], yerr=err, fmt=marker, color="crimson", markersize=9,
                        capsize=4, label=f"target ({target.kind.replace('_', ' ')})")
        ax.set_title(name)
        units = first.attrs.get("units", "")
        ax.set_ylabel(units)
        ax.set_xlabel(f"time ({first['time'].attrs.get('units', '')})".replace(" ()", ""))
        handles, labels = ax.get_legend_handles_labels()
        if len(set(labels)) > 1 or (labels and labels[0]):
            ax.legend(fontsize="small")
    for ax in list(axes.flat)[len(variables):]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    return fig
