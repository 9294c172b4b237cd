"""Loop dominance by the *Loops That Matter* method, for a run or a whole ensemble at once.

Schoenberg, Davidsen and Eberlein (System Dynamics Review 36(2), 2020,
"Understanding model behavior using the Loops that Matter method") measure
how much each feedback loop contributes to the change of the model's
behaviour from one point in time to the next:

* the **link score** of ``x → z``, where ``z = f(x, y, ...)``, is
  ``|Δx z / Δz| · sign(Δx z / Δx)``: ``Δx z`` is the change of ``z`` had only
  ``x`` changed (``f(x_t, y_{t-1}, ...) - z_{t-1}``), ``Δz`` its actual change;
  0 where ``Δz`` or ``Δx`` is 0;
* for a flow into a stock it is ``|Δ flow / Δ net flow|``, negative for an
  outflow (the same formula with the stock's net flow for ``z``);
* the **loop score** is the product of the link scores along the loop, and
  its **relative score** the loop score divided by the sum of the absolute
  loop scores of all loops at that time. The loop with the largest absolute
  relative score dominates.

Changes are taken between consecutive saved times, so save every step
(``saveper == dt``) to follow the method exactly; each score is reported at
the later time of its pair (the first time is NaN). In logistic growth the
balancing loop takes over when the population crosses half the capacity.

Examples
--------
>>> import gysim
>>> m = gysim.Model("logistic", stop=30, dt=0.25)
>>> m.stock("population", 10.0)
>>> m.param("r", 0.5)
>>> m.param("capacity", 1000.0)
>>> m.flow("births", "r * population", into="population")
>>> m.flow("deaths", "r * population ** 2 / capacity", out_of="population")
>>> ds = gysim.simulate(m, method="euler", saveper=0.25)
>>> dom = loop_dominance(m, ds)
>>> dom["loop_id"].values.tolist()
['R1', 'B1']
>>> first = float(dom.time[(dom["dominant"] == "B1").values.argmax()])
>>> half = float(ds.time[(ds["population"] >= 500).values.argmax()])
>>> abs(first - half) <= 0.25
True
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import xarray as xr

from .elements import ModelLike
from .engine.program import local_name
from .errors import DataError, ParameterError
from .link_values import ProgramValues
from .loops import Loop, loops_at

__all__ = ["loop_dominance", "plot_loop_dominance"]


def _slice(env: dict, sl: slice) -> dict:
    out = {}
    for key, value in env.items():
        arr = np.asarray(value)
        out[key] = arr[..., sl] if arr.ndim and arr.shape[-1] > 1 else value
    return out


def _link_scores(values: ProgramValues, links: Sequence[tuple[str, str]], prev: dict,
                 curr: dict) -> dict[tuple[str, str], np.ndarray]:
    """LTM link scores between two sets of points (``prev``, ``curr``)."""
    scores = {}
    with np.errstate(all="ignore"):
        for source, target in links:
            evaluate = values.net_flow if values.is_state(target) else values.evaluate
            before = np.asarray(evaluate(target, prev), dtype=float)
            after = np.asarray(evaluate(target, curr), dtype=float)
            mixed = dict(prev)
            mixed[local_name(source)] = curr[local_name(source)]
            partial = np.asarray(evaluate(target, mixed), dtype=float) - before
            d_target = after - before
            d_source = (np.asarray(curr[local_name(source)], dtype=float)
                        - np.asarray(prev[local_name(source)], dtype=float))
            score = np.abs(partial / d_target) * np.sign(partial / d_source)
            score = np.where((d_target == 0) | (d_source == 0) | ~np.isfinite(score), 0.0, score)
            scores[source, target] = np.broadcast_to(
                score, np.broadcast_shapes(score.shape, np.shape(prev["t"])))
    return scores


def loop_dominance(model: ModelLike, ds: xr.Dataset, *, loops: Sequence[Loop] | None = None,
                   sectors: Any = None) -> xr.Dataset:
    """Loop scores and dominance over time, for one run or every run of an ensemble.

    Parameters
    ----------
    model : Model
        The model that made ``ds`` (without fixed delays or stateful
        functions: their hidden states are not in the results). A loop over
        dimensions gives one row per element, ``name [label]``.
    ds : xarray.Dataset
        Its results with every stock saved (``variables=None``), for one run
        or an ensemble (a ``run`` dimension; parameters as coordinates).
    loops : sequence of Loop, optional
        The loops to score (default: all, from ``model.loops(run=ds)``).
    sectors : mapping, optional
        Passed to :func:`gysim.loops.find_loops` when ``loops`` is not given.

    Returns
    -------
    xarray.Dataset
        ``score`` (loop, time[, run]): the loop scores; ``relative_score``:
        each divided by the sum of absolute loop scores; ``dominant``
        (time[, run]): the id of the loop with the largest absolute relative
        score ("" where no loop changes anything); ``link_score`` (link,
        time[, run]). For an ensemble also ``dominance_share`` (loop, time):
        the share of runs in which each loop dominates. The ``loop``
        coordinate holds the loop names, with ``loop_id`` and ``polarity``
        beside it.

    Raises
    ------
    DataError
        If ``ds`` has fewer than two times or lacks a stock.
    ModelDefinitionError
        If the model has dimensions or stateful functions.

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("decay", stop=4, dt=1)
    >>> m.stock("x", 8.0)
    >>> m.flow("outflow", "x / 2", out_of="x")
    >>> dom = loop_dominance(m, gysim.simulate(m, method="euler"))
    >>> [float(v) for v in dom["score"].sel(loop="x → outflow → x").values[1:]]
    [-1.0, -1.0, -1.0, -1.0]
    """
    if "time" not in ds.dims or ds.sizes["time"] < 2:
        raise DataError("`ds` needs at least two saved times to measure changes")
    compiled = model.compile() if hasattr(model, "compile") else None
    values = ProgramValues(compiled)
    env, (n_t, n_r) = values.from_run(ds)
    if loops is None:
        loops = loops_at(model, values, env, sectors=sectors)  # polarities over the same run
    loops = list(loops)
    prev, curr = _slice(env, slice(0, (n_t - 1) * n_r)), _slice(env, slice(n_r, n_t * n_r))
    links = list(dict.fromkeys((lk.source, lk.target) for lp in loops for lk in lp.links))
    link_scores = _link_scores(values, links, prev, curr)
    shape = (n_t - 1, n_r)
    rows, row_loops, row_labels = [], [], []
    dim_list = list(compiled.dimensions)
    for lp in loops:
        product = np.ones(1)
        for lk in lp.links:
            product = product * link_scores[lk.source, lk.target]
        lead = product.shape[:-1]
        if not lead or all(n == 1 for n in lead):  # a loop without dimensions
            rows.append(np.reshape(product, shape))
            row_loops.append(lp)
            row_labels.append("")
            continue
        # a loop over dimensions: one row per element (each is a loop of the element graph)
        for index in np.ndindex(*lead):
            labels = [compiled.dimensions[d][i] for d, i, n in zip(dim_list, index, lead)
                      if n > 1]
            rows.append(np.reshape(product[index], shape))
            row_loops.append(lp)
            row_labels.append(", ".join(labels))
    scores = np.empty((len(rows), n_t, n_r))
    scores[:, 0] = np.nan
    for i, row in enumerate(rows):
        scores[i, 1:] = row
    total = np.nansum(np.abs(scores), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        relative = np.where(total > 0, scores / np.where(total > 0, total, 1.0), 0.0)
    relative[:, 0] = np.nan
    row_ids = [lp.id + (f"[{lab}]" if lab else "") for lp, lab in zip(row_loops, row_labels)]
    row_names = [lp.name + (f" [{lab}]" if lab else "") for lp, lab in zip(row_loops, row_labels)]
    ids = np.array(row_ids + [""], dtype=object)
    if rows:
        pick = np.nanargmax(np.where(np.isnan(relative), -1.0, np.abs(relative)), axis=0)
        pick = np.where(total > 0, pick, len(rows))
    else:
        pick = np.full((n_t, n_r), 0)
    dominant = ids[pick]
    dominant[0] = ""
    link_rows, link_names = [], []
    for (a, b), score in link_scores.items():
        lead = score.shape[:-1]
        for index in (np.ndindex(*lead) if lead and any(n > 1 for n in lead) else [None]):
            labels = "" if index is None else ", ".join(
                compiled.dimensions[d][i] for d, i, n in zip(dim_list, index, lead) if n > 1)
            link_rows.append(np.reshape(score if index is None else score[index], shape))
            link_names.append(f"{a} → {b}" + (f" [{labels}]" if labels else ""))
    link_array = np.full((len(link_rows), n_t, n_r), np.nan)
    for j, row in enumerate(link_rows):
        link_array[j, 1:] = row
    coords = {"loop": row_names, "time": ds["time"].values,
              "loop_id": ("loop", row_ids),
              "polarity": ("loop", [lp.polarity for lp in row_loops]),
              "link": link_names}
    ensemble = "run" in ds.dims
    if ensemble:
        coords["run"] = ds["run"].values
    squeeze = (lambda a: a) if ensemble else (lambda a: a[..., 0])
    dims_lt = ("loop", "time", "run") if ensemble else ("loop", "time")
    out = xr.Dataset(
        {"score": (dims_lt, squeeze(scores), {"long_name": "loop score (Loops That Matter)"}),
         "relative_score": (dims_lt, squeeze(relative),
                            {"long_name": "relative loop score", "units": "1"}),
         "dominant": (dims_lt[1:], squeeze(dominant.astype(str)),
                      {"long_name": "id of the dominant loop"}),
         "link_score": (("link",) + dims_lt[1:], squeeze(link_array),
                        {"long_name": "link score (Loops That Matter)"})},
        coords=coords,
        attrs={"method": "Loops That Matter (Schoenberg, Davidsen & Eberlein 2020)",
               "model": getattr(model, "name", "")})
    if ensemble:
        share = np.stack([(dominant == i).mean(axis=1) for i in row_ids]) if rows else \
            np.empty((0, n_t))
        share[:, 0] = np.nan
        out["dominance_share"] = (("loop", "time"), share,
                                  {"long_name": "share of runs in which the loop dominates",
                                   "units": "1"})
    return out


def plot_loop_dominance(dom: xr.Dataset, *, run: int | None = None, ax: Any = None,
                        title: str | None = None):
    """Relative loop scores stacked over time (reinforcing above zero, balancing below).

    For an ensemble, without ``run``: the share of runs each loop dominates.

    Parameters
    ----------
    dom : xarray.Dataset
        From :func:`loop_dominance`.
    run : int, optional
        For an ensemble, the position of the run to draw.
    ax : matplotlib.axes.Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("decay", stop=4, dt=1)
    >>> m.stock("x", 8.0)
    >>> m.flow("outflow", "x / 2", out_of="x")
    >>> ax = plot_loop_dominance(loop_dominance(m, gysim.simulate(m, method="euler")))
    >>> ax.get_ylabel()
    'relative loop score'
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4))
    time = dom["time"].values
    labels = [f"{i} ({p})  {_short(n)}" for i, p, n in zip(
        dom["loop_id"].values, dom["polarity"].values, dom["loop"].values)]
    if "run" in dom.dims and run is None:
        share = np.nan_to_num(dom["dominance_share"].values)
        ax.stackplot(time, share, labels=labels)
        ax.set_ylabel("share of runs in which the loop dominates")
        ax.set_ylim(0, 1)
    else:
        rel = dom["relative_score"]
        if "run" in rel.dims:
            if run is None or not 0 <= int(run) < dom.sizes["run"]:
                raise ParameterError(f"`run` must be a position below {dom.sizes['run']}")
            rel = rel.isel(run=int(run))
        rel = np.nan_to_num(rel.values)
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        cols = [colors[i % len(colors)] for i in range(len(labels))]
        ax.stackplot(time, np.clip(rel, 0, None), colors=cols, labels=labels)
        ax.stackplot(time, np.clip(rel, None, 0), colors=cols)
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_ylabel("relative loop score")
        ax.set_ylim(-1.05, 1.05)
    ax.set_xlabel("time")
    ax.set_title(title or f"Loop dominance: {dom.attrs.get('model', '')}".rstrip(": "))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize="small", frameon=False,
              ncol=1 if len(labels) > 4 else max(1, len(labels)))
    return ax


def _short(name: str, width: int = 70) -> str:
    """A loop's name cut to ``width`` characters, keeping its start and end."""
    if len(name) <= width:
        return name
    head, _, tail = name.rpartition(" [")  # keep an element label
    tail = f" [{tail}" if head else ""
    body = head or name
    keep = width - len(tail) - 3
    return body[: keep // 2] + " … " + body[-(keep - keep // 2):] + tail
