"""Sliders in Jupyter: move a parameter, see the outputs and the targets follow.

(``gysim.explore`` imports this module when first called, so that
``import gysim`` does not load ipywidgets.)

:func:`explore` returns an ipywidgets widget: one slider per parameter
(within its bounds, labelled with its units), the outputs drawn over time
and, with ``targets=``, the target table, all recomputed whenever a slider
moves. With ``ensemble=`` (sampled values of uncertain parameters) every
change re-runs the whole ensemble as one vectorized integration and the
outputs are drawn as fan charts (median, 50 % and 90 % bands) with the
share of runs meeting each target. It is Vensim's SyntheSim with the
uncertainty kept.

Examples
--------
>>> import numpy as np, gysim
>>> m = gysim.Model("growth", stop=10)
>>> m.stock("capital", 100.0, units="yuan")
>>> m.param("rate", 0.05, units="1/year", bounds=(0.0, 0.2))
>>> m.flow("investment", "rate * capital", into="capital", units="yuan/year")
>>> w = explore(m, params=["rate"], outputs=["capital"])
>>> before = float(w.last_run["capital"][-1])
>>> w.sliders["rate"].value = 0.1
>>> float(w.last_run["capital"][-1]) > before
True
"""

from __future__ import annotations

import time
from typing import Any, Mapping, Sequence

import numpy as np

from .errors import ParameterError
from .model import Model
from .simulate import simulate

__all__ = ["explore", "Explorer"]

#: Slider positions between a parameter's bounds.
STEPS = 200


def _bounds(model: Model, name: str) -> tuple[float, float]:
    element = model.params[name]
    value = float(np.asarray(element.value, dtype=float).ravel()[0])
    lo, hi = element.bounds if element.bounds else (None, None)
    if lo is None or not np.isfinite(lo):
        lo = value - abs(value) if value else -1.0
    if hi is None or not np.isfinite(hi):
        hi = value + abs(value) if value else 1.0
    return float(lo), float(hi)


def _widgets():
    import ipywidgets  # imported with this module only: `import gysim` stays light

    return ipywidgets


def explore(model: Model, params: Sequence[str], outputs: Sequence[str], *,
            ensemble: Mapping[str, Any] | None = None, targets: Sequence[Any] | None = None,
            scenario: str | None = None, **simulate_options: Any) -> "Explorer":
    """Sliders for ``params`` driving plots of ``outputs`` (and a target table).

    Parameters
    ----------
    model : Model
    params : sequence of str
        Scalar parameters to put on sliders (their bounds are the slider's
        range; without bounds, the value ± its size).
    outputs : sequence of str
        Variables drawn over time, one panel each.
    ensemble : mapping, optional
        Uncertain parameters -> arrays of sampled values (one per run, all of
        one length): each change runs them all and draws fan charts.
    targets : sequence of Target, optional
        Checked after each change (:func:`gysim.check_targets`).
    scenario : str, optional
        A scenario of the model to start from.
    **simulate_options
        Passed to :func:`gysim.simulate` (``method``, ``dt``...).

    Returns
    -------
    Explorer
        An ``ipywidgets.VBox``; ``.sliders`` (name -> slider),
        ``.last_run`` (the Dataset drawn), ``.table`` (the targets),
        ``.seconds`` (time of the last update).

    Raises
    ------
    ParameterError
        If a name is not a scalar parameter or variable, a slider parameter
        is also in ``ensemble``, or the samples differ in length.
    """
    return Explorer(model, params, outputs, ensemble=ensemble, targets=targets,
                    scenario=scenario, **simulate_options)


class Explorer(_widgets().VBox):
    """The widget :func:`explore` returns."""

    def __init__(self, model: Model, params: Sequence[str], outputs: Sequence[str], *,
                 ensemble: Mapping[str, Any] | None = None, targets: Sequence[Any] | None = None,
                 scenario: str | None = None, **simulate_options: Any) -> None:
        widgets = _widgets()
        params, outputs = [str(p) for p in params], [str(o) for o in outputs]
        if not params or not outputs:
            raise ParameterError("`params` and `outputs` must each name at least one element")
        for p in params:
            if p not in model.params or model.params[p].dims:
                raise ParameterError(f"`params`: {p!r} is not a scalar parameter of model "
                                     f"'{model.name}'")
        known = set(model.stocks) | set(model.flows) | set(model.auxes) | set(model.data_inputs)
        for o in outputs:
            if o not in known:
                raise ParameterError(f"`outputs`: {o!r} is not a variable of model "
                                     f"'{model.name}'")
        self.samples = {k: np.asarray(v, dtype=float) for k, v in (ensemble or {}).items()}
        lengths = {v.shape[0] for v in self.samples.values()}
        if len(lengths) > 1:
            raise ParameterError(f"`ensemble`: the samples differ in length ({sorted(lengths)})")
        both = sorted(set(self.samples) & set(params))
        if both:
            raise ParameterError(f"{', '.join(both)} is both on a slider and in `ensemble`")
        if scenario is not None:
            model = model.with_params(model.scenarios[scenario].overrides) \
                if scenario in model.scenarios else model.with_params({})
        self.model, self.params, self.outputs = model, params, outputs
        self.targets = list(targets or [])
        self.options = simulate_options
        self.sliders = {}
        for p in params:
            lo, hi = _bounds(model, p)
            units = model.params[p].units
            self.sliders[p] = widgets.FloatSlider(
                value=float(model.params[p].value), min=lo, max=hi, step=(hi - lo) / STEPS,
                description=p, readout_format=".4g", continuous_update=False,
                style={"description_width": "initial"},
                layout=widgets.Layout(width="480px"))
            if units:
                self.sliders[p].description = f"{p} [{units}]"
        self._variables = self._read_by_targets(outputs)
        self.plot_area = widgets.Output()
        self.table_area = widgets.HTML()
        self.status = widgets.HTML()
        self.last_run = None
        self.table = None
        self.seconds = float("nan")
        self._figure = None
        super().__init__([widgets.VBox(list(self.sliders.values())), self.status,
                          self.plot_area, self.table_area])
        for slider in self.sliders.values():
            slider.observe(self._changed, names="value")
        self.update()

    def _read_by_targets(self, outputs: list[str]) -> list[str] | None:
        """The variables to save: the outputs and what the targets read.

        A target computed by a function is watched once, on one run of the
        model: the variables it takes from the Dataset are saved from then on.
        None (save everything) when that cannot be told.
        """
        wanted = list(outputs) + [t.variable.partition("[")[0] for t in self.targets
                                  if getattr(t, "variable", None)]
        functions = [t for t in self.targets if not getattr(t, "variable", None)]
        if functions:
            full = simulate(self.model, params=self.values(), **self.options)
            watched = _Watched(full)
            try:
                for target in functions:
                    target.model_value(watched)
            except Exception:  # noqa: BLE001 - the user's function: then save everything
                return None
            if watched.other_use:
                return None
            wanted += sorted(watched.read)
        return list(dict.fromkeys(wanted))

    def _changed(self, change: Any) -> None:
        self.update()

    def values(self) -> dict[str, float]:
        """The sliders' current values."""
        return {p: float(s.value) for p, s in self.sliders.items()}

    def update(self) -> None:
        """Run with the sliders' values, redraw the outputs and the table."""
        start = time.perf_counter()
        params: dict[str, Any] = dict(self.values())
        params.update(self.samples)
        self.last_run = simulate(self.model, params=params, variables=self._variables,
                                 **self.options)
        self._draw()
        if self.targets:
            from .targets import check_targets

            # without the parameters as coordinates: selecting values is several times faster
            self.table = check_targets(self.last_run.reset_coords(drop=True), self.targets)
            self.table_area.value = self.table.to_html(float_format=lambda v: f"{v:.4g}")
        self.seconds = time.perf_counter() - start
        runs = self.last_run.sizes.get("run", 1)
        self.status.value = (f"<small>{runs} run{'s' if runs > 1 else ''} in "
                             f"{self.seconds * 1000:.0f} ms</small>")

    def _draw(self) -> None:
        import matplotlib.pyplot as plt

        ds = self.last_run
        if self._figure is None:
            n = len(self.outputs)
            cols = min(n, 3)
            rows = -(-n // cols)
            self._figure, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.8 * rows),
                                              squeeze=False, layout="constrained")
            self._axes = axes.ravel()[:n]
            for ax in axes.ravel()[n:]:
                ax.set_visible(False)
            plt.close(self._figure)
        time_ = ds["time"].values
        for ax, name in zip(self._axes, self.outputs):
            ax.clear()
            da = ds[name]
            units = da.attrs.get("units", "")
            if "run" in da.dims:
                q = da.quantile([0.05, 0.25, 0.5, 0.75, 0.95], dim="run").values
                ax.fill_between(time_, q[0], q[4], alpha=0.2, color="C0", label="90 %")
                ax.fill_between(time_, q[1], q[3], alpha=0.35, color="C0", label="50 %")
                ax.plot(time_, q[2], color="C0", label="median")
            else:
                ax.plot(time_, da.values, color="C0")
            ax.set_title(da.attrs.get("long_name", name), fontsize=9)
            ax.set_ylabel(units, fontsize=8)
            ax.tick_params(labelsize=8)
        if "run" in ds.dims:
            self._axes[0].legend(fontsize=7, frameon=False)
        from IPython import get_ipython
        from IPython.display import display

        if get_ipython() is None:  # no kernel (a script, the tests): the figure is kept only
            return
        with self.plot_area:
            self.plot_area.clear_output(wait=True)
            display(self._figure)

    @property
    def figure(self):
        """The figure of the outputs (matplotlib)."""
        return self._figure


class _Watched:
    """A Dataset that notes which variables a function takes from it (``ds[name]``).

    Any other use (attributes, iteration, methods) is passed through and
    noted as ``other_use``: then what the function reads is not known.
    """

    def __init__(self, ds: Any) -> None:
        self._ds = ds
        self.read: set[str] = set()
        self.other_use = False

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str) and key in self._ds.data_vars:
            self.read.add(key)
        else:
            self.other_use = True
        return self._ds[key]

    def __contains__(self, key: Any) -> bool:
        return key in self._ds

    def __getattr__(self, name: str) -> Any:
        if name in ("dims", "sizes", "coords", "attrs"):
            return getattr(self._ds, name)
        self.other_use = True
        return getattr(self._ds, name)
