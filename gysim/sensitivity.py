"""Global sensitivity studies of a model, resolved over time, through SALib.

:func:`sensitivity` runs a study end to end: it samples the named
parameters within the model's own bounds (:mod:`gysim.sampling`), evaluates
the runs in vectorized chunks, in-process or on Dask, optionally streamed to
a zarr store (:mod:`gysim.batch`), and analyses every output at every saved
time with SALib. The indices come back as an :class:`xarray.Dataset` over
dims ``(param, output, time)``.

The analysis (Sobol', Morris, eFAST) is ``analysis=``; ``method=`` names the
integrator, as in :func:`gysim.simulate`. (Before issue 13 the analysis was
``method=`` and the integrator ``solver=``: both are still accepted, with a
``DeprecationWarning``.)

``gysim.sensitivity`` is this module, and calling it calls
:func:`sensitivity` (see :mod:`gysim`): ``gysim.sensitivity(model, ...)`` and
``gysim.sensitivity.analyze(...)`` both work.

Examples
--------
>>> import gysim
>>> from gysim.sensitivity import sensitivity
>>> m = gysim.Model("linear", start=0, stop=1)
>>> m.param("a", 1.0, bounds=(0, 1))
>>> m.param("b", 1.0, bounds=(0, 1))
>>> m.aux("y", "a + 3 * b")
>>> si = sensitivity(m, ["a", "b"], ["y"], n=256, progress=False, method="euler", dt=1)
>>> si.S1.sel(output="y", time=1).round(1).values.tolist()
[0.1, 0.9]

A subscripted output is analysed element by element, as outputs ``var[label]``:

>>> m.dimension("sector", ["farm", "mill"])
>>> m.param("weight", {"farm": 0.0, "mill": 3.0}, dims=("sector",))
>>> m.aux("z", "weight * a + b", dims=("sector",))
>>> si = sensitivity(m, ["a", "b"], ["z"], n=256, progress=False, method="euler", dt=1)
>>> si.output.values.tolist(), si.S1.sel(output="z[mill]", time=1).round(1).values.tolist()
(['z[farm]', 'z[mill]'], [0.9, 0.1])
"""

from __future__ import annotations

import os
import warnings
from typing import Any, Mapping, Sequence

import numpy as np
import xarray as xr

from .batch import envelope, run_batch
from ._text import suggest
from .engine.limits import check_memory, format_bytes, n_values, saved_times
from . import indices
from .errors import DataError, ModelDefinitionError, ParameterError
from .labels import expand_elements, select_element, split_element
from .display import label_indices
from .model import Model
from .outputs import needed_variables, output_names, resolve_outputs, with_outputs
from .sampling import sample

__all__ = ["sensitivity", "analyze", "envelope", "SENSITIVITY_METHODS"]

#: Methods :func:`sensitivity` analyses, with the indices each returns.
SENSITIVITY_METHODS = {
    "sobol": ("S1", "S1_conf", "ST", "ST_conf"),
    "morris": ("mu", "mu_star", "mu_star_conf", "sigma"),
    "fast": ("S1", "S1_conf", "ST", "ST_conf"),
}

#: Bytes of series (runs x saved times of several outputs) analysed together.
GROUP_BYTES = 2**27


def _constant(y: np.ndarray) -> bool:
    """True when an output does not vary over the runs (indices are undefined)."""
    spread = np.ptp(y)
    return not np.isfinite(spread) or spread <= 1e-12 * max(1.0, float(np.max(np.abs(y))))


def _usable_runs(ensemble: xr.Dataset, method: str, D: int, second_order: bool,
                 n: int) -> tuple[np.ndarray, int]:
    """Runs the analysis may use, and how many failed (``failed`` coordinate, on_error="mask").

    SALib needs complete samples: Sobol' and Morris drop every group (a
    Saltelli block of ``D+2``/``2D+2`` runs, a Morris trajectory of ``D+1``)
    that holds a failed run, and analyse the groups left; eFAST refuses.
    """
    failed = np.zeros(n, bool)
    if "failed" in ensemble.coords and ensemble["failed"].dims == ("run",):
        failed = np.asarray(ensemble["failed"].values, dtype=bool)
    k = int(failed.sum())
    if not k:
        return np.ones(n, bool), 0
    if method == "fast":
        raise DataError(
            f"{k} of {n} runs failed (the ensemble's `failed` coordinate, on_error='mask'); "
            f"eFAST needs every run of its sample (its indices come from the whole search "
            f"curve): make the failing runs succeed (narrower bounds, another solver), or use "
            f"method='sobol' or 'morris', which drop the groups holding a failed run")
    group = (2 * D + 2 if second_order else D + 2) if method == "sobol" else D + 1
    bad_groups = failed.reshape(-1, group).any(axis=1)
    if bad_groups.all():
        raise DataError(f"{k} of {n} runs failed and every one of the {len(bad_groups)} sample "
                        f"groups ({group} runs each) holds one: nothing is left to analyse")
    return np.repeat(~bad_groups, group), k


def _expand_outputs(ensemble: xr.Dataset, outputs: Sequence[str]) -> list[str]:
    """Outputs as one series each: a subscripted variable becomes its elements ``var[label]``."""
    out: list[str] = []
    for name in outputs:
        names = expand_elements(ensemble, str(name), argument="outputs", what="the ensemble")
        out += [n for n in names if n not in out]
    return out


def _analyze_one(method: str, prob: dict, X: np.ndarray, y: np.ndarray, *, second_order: bool,
                 num_levels: int, fast_m: int, seed: int | None, num_resamples: int,
                 conf_level: float) -> dict:
    if method == "sobol":
        from SALib.analyze import sobol
        res = sobol.analyze(prob, y, calc_second_order=second_order, num_resamples=num_resamples,
                            conf_level=conf_level, seed=seed)
    elif method == "morris":
        from SALib.analyze import morris
        res = morris.analyze(prob, X, y, num_resamples=num_resamples, conf_level=conf_level,
                             num_levels=num_levels, seed=seed)
    else:
        from SALib.analyze import fast
        res = fast.analyze(prob, y, M=fast_m, num_resamples=num_resamples,
                           conf_level=conf_level, seed=seed)
    return {k: np.asarray(v, dtype=float) for k, v in res.items() if k != "names"}


def _analyze_series(method: str, prob: dict, X: np.ndarray, Y: np.ndarray, keys: list,
                    opts: dict) -> dict:
    """Indices of one output at each of its times (rows of ``Y``); NaN where it is constant."""
    D = len(prob["names"])
    out = {k: np.full((D, D, len(Y)) if k.startswith("S2") else (D, len(Y)), np.nan)
           for k in keys}
    if not prob.get("groups"):
        # every time at once (gysim.indices: SALib's estimators and bootstrap draws)
        varies = np.array([not _constant(y) for y in Y], dtype=bool)
        if varies.any():
            common = dict(num_resamples=opts["num_resamples"], conf_level=opts["conf_level"],
                          seed=opts["seed"])
            rows = np.ascontiguousarray(Y[varies])
            with np.errstate(all="ignore"):
                if method == "sobol":
                    r = indices.sobol(rows, D, second_order=opts["second_order"], **common)
                elif method == "morris":
                    r = indices.morris(X, rows, num_levels=opts["num_levels"], **common)
                else:
                    r = indices.fast(rows, D, M=opts["fast_m"], **common)
            for key in keys:
                out[key][..., varies] = r[key]
        return out
    for k, y in enumerate(Y):
        if _constant(y):
            continue
        with np.errstate(all="ignore"), warnings.catch_warnings():
            # said once in the Dataset's attrs rather than at every time and output
            warnings.filterwarnings("ignore", message="FAST confidence intervals")
            r = _analyze_one(method, prob, X, y, **opts)
        for key in keys:
            out[key][..., k] = r[key]
    return out


def analyze(samples: Any, ensemble: xr.Dataset, outputs: Sequence[str], *,
            times: Sequence[float] | None = None, seed: int | None = 1,
            num_resamples: int = 100, conf_level: float = 0.95, client: Any = None,
            workers: int | None = None) -> xr.Dataset:
    """Sensitivity indices of an evaluated sample, at every time.

    Parameters
    ----------
    samples : pandas.DataFrame
        The sample from :func:`gysim.sampling.sample` (its ``attrs`` say
        which method and problem it was drawn for).
    ensemble : xarray.Dataset
        Its evaluation, dims ``(time, run)`` in the sample's row order (from
        :func:`gysim.batch.run_batch`).
    outputs : sequence of str
        The variables to analyse: a name, or ``var[label]`` for one element
        of a subscripted variable. A whole subscripted variable is analysed
        element by element: its outputs are ``var[label]`` for every
        element (flattened), so the indices keep dims ``(param, output,
        time)`` whatever the variables' dimensions.
    times : sequence of float, optional
        The saved times to analyse (default: all of them).
    seed : int, optional
        Seed of SALib's bootstrap of the confidence intervals.
    num_resamples, conf_level
        Bootstrap resamples and confidence level of the intervals.
    client : dask.distributed.Client, optional
        Analyse the outputs on this client's workers.
    workers : int, optional
        Without a client: analyse the outputs in this many processes
        (default 1, in this process). The indices do not depend on either.

    Returns
    -------
    xarray.Dataset
        Indices over dims ``(param, output, time)`` (and ``param2`` for S2).
        Where an output does not vary over the runs (e.g. a stock at the
        start time), its indices are NaN. eFAST's confidence intervals are
        indicative only (see the ``conf_note`` attribute). Runs that failed
        (an ensemble simulated with ``on_error="mask"`` marks them in its
        ``failed`` coordinate) are dropped with their whole sample group
        (Sobol': the ``D+2`` runs of one base sample, ``2D+2`` with S2;
        Morris: the trajectory); the attrs ``n_failed_runs``,
        ``n_dropped_runs`` and ``n_runs_used`` say how many.

    Raises
    ------
    DataError
        If an output or a time is not in the ensemble, or the sample and the
        ensemble do not match; if an output is not finite in a run not marked
        failed; if eFAST's sample has failed runs, or every group has one.

    Examples
    --------
    >>> import gysim
    >>> from gysim.sampling import sample
    >>> from gysim.batch import run_batch
    >>> m = gysim.Model("m", start=0, stop=1)
    >>> m.param("a", 1.0, bounds=(0, 1))
    >>> m.param("b", 1.0, bounds=(0, 1))
    >>> m.aux("y", "a + 3 * b")
    >>> s = sample(m, ["a", "b"], "morris", n=20, seed=2)
    >>> ens = run_batch(m, s, progress=False)
    >>> si = analyze(s, ens, ["y"])
    >>> si.mu_star.sel(output="y", time=1).round(3).values.tolist()
    [1.0, 3.0]
    """
    meta = getattr(samples, "attrs", {})
    if "problem" not in meta or meta.get("method") not in SENSITIVITY_METHODS:
        raise DataError("`samples` must come from gysim.sampling.sample with method "
                        f"{', '.join(repr(m) for m in SENSITIVITY_METHODS)}")
    method, prob = meta["method"], meta["problem"]
    X = samples.to_numpy(dtype=float)
    if "run" not in ensemble.dims or ensemble.sizes["run"] != len(X):
        raise DataError(f"`ensemble` must have a `run` dimension of {len(X)} runs (one per "
                        f"sample row), got {dict(ensemble.sizes)}")
    if isinstance(outputs, str):
        outputs = [outputs]
    outputs = _expand_outputs(ensemble, outputs)
    all_times = ensemble["time"].values
    if times is None:
        tsel = all_times
    else:
        tsel = np.atleast_1d(np.asarray(times, dtype=float))
        for t in tsel:
            if not np.isclose(all_times, t, rtol=0, atol=1e-9 * max(1.0, abs(t))).any():
                raise DataError(f"`times`: {t:g} is not a saved time of the ensemble "
                                f"(saved: {all_times[0]:g} to {all_times[-1]:g} every "
                                f"{ensemble.attrs.get('saveper', '?')})")
        tsel = np.array([all_times[np.argmin(np.abs(all_times - t))] for t in tsel])
    second_order = bool(meta.get("second_order")) and method == "sobol"
    names = list(prob["names"])
    D, n_out, n_t = len(names), len(outputs), len(tsel)
    n_all = len(X)
    keep, n_failed = _usable_runs(ensemble, method, D, second_order, n_all)
    X = X[keep]
    keys = list(SENSITIVITY_METHODS[method]) + (["S2", "S2_conf"] if second_order else [])
    res = {k: np.full((D, D, n_out, n_t) if k.startswith("S2") else (D, n_out, n_t), np.nan)
           for k in keys}
    opts = dict(second_order=second_order, num_levels=meta.get("num_levels", 4),
                fast_m=meta.get("fast_m", 4), seed=seed, num_resamples=num_resamples,
                conf_level=conf_level)
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        raise DataError(f"`workers` must be a positive integer, got {workers!r}")

    # the runs' values without the coordinates (the sampled parameters over `run`), which
    # xarray would otherwise carry through every selection
    values = ensemble.reset_coords(drop=True)
    at = [int(np.argmin(np.abs(all_times - t))) for t in tsel]
    every = bool(keep.all())

    def series(out):
        # one output at a time: a store-backed ensemble is read piece by piece
        da = select_element(values, out, argument="outputs", whole=False, what="the ensemble")
        data = da.variable.transpose("time", "run")[at].data
        if hasattr(data, "dask"):  # from a store: read here, not through a Dask client's
            import dask            # workers (the default scheduler while one is open)
            data, = dask.compute(data, scheduler="threads")
        y = np.asarray(data, dtype=float)
        if not every:
            y = y[:, keep]
        finite = np.isfinite(y).all(axis=0)
        if not finite.all():  # SALib would turn them into NaN indices without a word
            first = int(np.flatnonzero(keep)[np.argmin(finite)])
            raise DataError(f"output '{out}' is not finite in {int((~finite).sum())} runs not "
                            f"marked failed (first: run {first}); SALib needs a finite value "
                            f"from every run: simulate with on_error='mask' to mark runs that "
                            f"fail, or make them succeed")
        return y

    def groups():
        # outputs analysed together (every series of a group at once, the same bootstrap
        # draws as one at a time), as many as keep a group's series within GROUP_BYTES
        per_output = 8.0 * n_t * len(X)
        size = max(1, int(GROUP_BYTES // per_output))
        for lo in range(0, n_out, size):
            yield lo, np.concatenate([series(out) for out in outputs[lo:lo + size]])

    args = (method, prob)
    if client is not None:
        X_remote = client.scatter(X, broadcast=True)
        futures = {lo: client.submit(_analyze_series, *args, X_remote, Y, keys, opts, pure=False)
                   for lo, Y in groups()}
        results = dict(zip(futures, client.gather(list(futures.values()))))
    elif workers is not None and workers > 1 and n_out > 1:
        from concurrent.futures import ProcessPoolExecutor
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {lo: pool.submit(_analyze_series, *args, X, Y, keys, opts)
                       for lo, Y in groups()}
            results = {lo: f.result() for lo, f in futures.items()}
    else:
        results = {lo: _analyze_series(*args, X, Y, keys, opts) for lo, Y in groups()}
    for lo, r in results.items():
        for key in keys:
            got = r[key]
            k = got.shape[-1] // n_t
            res[key][..., lo:lo + k, :] = got.reshape(got.shape[:-1] + (k, n_t))
    coords = {"param": names, "output": outputs, "time": tsel}
    data_vars = {k: (("param", "output", "time"), v) for k, v in res.items()
                 if not k.startswith("S2")}
    if second_order:
        coords["param2"] = names
        for k in ("S2", "S2_conf"):
            data_vars[k] = (("param", "param2", "output", "time"), res[k])
    attrs = {"method": method, "n": meta.get("n"), "seed": meta.get("seed"),
             "n_runs": n_all, "n_failed_runs": n_failed, "n_dropped_runs": n_all - len(X),
             "n_runs_used": len(X), "conf_level": conf_level, "num_resamples": num_resamples}
    if method == "fast":
        attrs["conf_note"] = ("eFAST confidence intervals come from a bootstrap of the search "
                              "curve, which SALib considers indicative only (SALib issue 649)")
    for key in ("model", "model_hash", "gysim_version"):
        if key in ensemble.attrs:
            attrs[key] = ensemble.attrs[key]
    out_ds = xr.Dataset(data_vars, coords=coords, attrs=attrs)
    out_ds["time"].attrs.update(ensemble["time"].attrs)
    return out_ds


def _check_study_memory(model: Model, rows: int, variables: list[str], store: Any,
                        num_resamples: int, options: dict, *, bootstrap: float = 0.0) -> None:
    """Refuse a study whose in-memory ensemble or analysis would not fit (engine.limits)."""
    values = n_values(model.compile(), variables)
    saveper = options.get("saveper") or getattr(model, "saveper", 1.0)
    stop = options.get("stop", model.stop)
    n_save = saved_times(model.start, stop, saveper)
    if n_save is None:
        return  # simulate reports bad options
    ensemble = 0.0 if store is not None else 8.0 * rows * n_save * values
    # a group of series (at least one output's), and the bootstrap's working memory
    # (`bootstrap` bytes per run, for one series at least)
    analysis = (max(GROUP_BYTES, 8.0 * rows * n_save)
                + max(indices.BLOCK_BYTES, bootstrap * rows) + 8.0 * rows * num_resamples)
    hints = ["a smaller `n`", "fewer saved times (`saveper=`)"]
    if store is None:
        hints.insert(0, "stream the ensemble to a study store on disk (`store=`)")
    check_memory(ensemble + analysis, f"the study's {rows} runs (ensemble in memory: "
                 f"{format_bytes(ensemble)}, {n_save:.4g} saved times x {values} values x 8 "
                 f"bytes per run; analysis of one output: {format_bytes(analysis)})", hints,
                 max_bytes=options.get("max_bytes"))


def _analysis_and_integrator(analysis: Any, method: Any, solver: Any) -> tuple[str, Any]:
    """The analysis and the integrator of a study, from the names old and new.

    Examples
    --------
    >>> _analysis_and_integrator("morris", "rk4", None)
    ('morris', 'rk4')
    >>> _analysis_and_integrator(None, "moris", None)
    Traceback (most recent call last):
    ...
    gysim.errors.ParameterError: `method` is the integrator (as in gysim.simulate), got 'moris', which looks like the analysis 'morris': give it as `analysis='morris'`
    """
    if isinstance(method, str) and method in SENSITIVITY_METHODS:
        if analysis is not None:
            raise ParameterError(f"`method` is the integrator (as in gysim.simulate), got "
                                 f"{method!r}, an analysis, with `analysis={analysis!r}`: give "
                                 f"the integrator, or leave `method` out")
        warnings.warn(f"sensitivity(method={method!r}) naming the analysis is deprecated: give "
                      f"`analysis={method!r}`; `method` names the integrator, as in "
                      f"gysim.simulate", DeprecationWarning, stacklevel=3)
        analysis, method = method, None
    if solver is not None:
        if method is not None:
            raise ParameterError(f"give the integrator once, as `method=` (`solver=` is its old "
                                 f"name), got method={method!r} and solver={solver!r}")
        warnings.warn(f"sensitivity(solver={solver!r}) is deprecated: give the integrator as "
                      f"`method={solver!r}`, as in gysim.simulate", DeprecationWarning,
                      stacklevel=3)
        method = solver
    if isinstance(method, str) and analysis is None:
        close = suggest(method, SENSITIVITY_METHODS)
        if close:
            near = close.split("'")[1]
            raise ParameterError(f"`method` is the integrator (as in gysim.simulate), got "
                                 f"{method!r}, which looks like the analysis {near!r}: give it "
                                 f"as `analysis={near!r}`")
    analysis = "sobol" if analysis is None else analysis
    if analysis not in SENSITIVITY_METHODS:
        hint = (" (for Monte Carlo ensembles use gysim.sampling.sample and "
                "gysim.batch.run_batch, then envelope())" if analysis in ("latin", "mc") else
                suggest(str(analysis), SENSITIVITY_METHODS))
        raise ParameterError(f"`analysis` must be one of {', '.join(SENSITIVITY_METHODS)}, got "
                             f"{analysis!r}{hint}")
    return analysis, method


def sensitivity(model: Model, params: Sequence[str], outputs: Sequence[str],
                analysis: str | None = None, n: int = 1024, seed: int | None = 1, *,
                method: str | None = None, client: Any = None, store: str | os.PathLike | None = None,
                chunk_size: int | None = None, progress: bool = True,
                times: Sequence[float] | None = None, dists: Mapping[str, Any] | None = None,
                second_order: bool = False, return_ensemble: bool = False,
                num_levels: int = 4, num_resamples: int = 100, conf_level: float = 0.95,
                workers: int | None = None,
                **simulate_options: Any) -> xr.Dataset | tuple[xr.Dataset, xr.Dataset]:
    """Run a global sensitivity study of a model, resolved over time.

    Parameters
    ----------
    model : Model
        The model. It is not changed.
    params : sequence of str
        The uncertain parameters, sampled within their bounds in the model
        (or from ``dists``); ``param[label]`` samples one element of a
        subscripted parameter, a plain name one value for all its elements.
    outputs : sequence or mapping
        What is analysed (see :mod:`gysim.outputs`): variable names, or
        ``var[label]`` (``var[l1,l2]``) for one element of a subscripted
        variable (a whole subscripted variable gives one output per element,
        named ``var[label]``, see :func:`analyze`); :class:`gysim.Target`
        objects, whose output is the quantity the target measures in each
        run (e.g. a percent change 2005-2010), named after the target; and
        functions ``f(ds) -> DataArray`` over ``run`` and optionally
        ``time``, named after the function (a mapping ``{name: f}`` names
        lambdas). A time series is analysed at every time; an output with
        one value per run (a target, a function without ``time``) is
        analysed once, at the last saved time, with NaN indices at the
        other times (the ``scalar_outputs`` attribute names them). Only the
        variables the outputs need are saved, every variable when a
        function is among them.
    analysis : {"sobol", "morris", "fast"}, optional
        Default ``"sobol"``: Saltelli's scheme, S1, ST (and S2 with
        ``second_order``) with confidence intervals, ``n`` a power of 2;
        ``"morris"``: elementary effects of ``n`` trajectories, mu, mu_star,
        mu_star_conf, sigma; ``"fast"``: eFAST, S1 and ST.
    n : int
        Base sample size (see :func:`gysim.sampling.n_runs` for the runs).
    method : str, optional
        The integrator, as in :func:`gysim.simulate` (``"euler"``, ``"rk4"``
        or a ``solve_ivp`` method; default: the model's). ``solver=``, its
        old name, and ``method=`` naming an analysis (``"sobol"``, ...) are
        still accepted, with a ``DeprecationWarning``.
    seed : int, optional
        Seed of the sample and of the bootstrap: the same seed gives the same
        numbers.
    client : dask.distributed.Client, optional
        Evaluate the chunks on Dask; without one they run in this process.
        The analysis runs here (see `workers`): on a small cluster, SALib's
        bootstrap was measured slower on Dask workers than in local
        processes; call :func:`analyze` with ``client=`` to spread it anyway.
    store : str or path, optional
        A zarr store the ensemble streams to; an interrupted study given the
        same store resumes where it stopped.
    chunk_size : int, optional
        Runs per vectorized chunk.
    workers : int, optional
        Without a client, analyse the outputs in this many processes
        (SALib's bootstrap dominates large studies; default 1).
    progress : bool
        Show a progress bar over chunks.
    times : sequence of float, optional
        Saved times at which to analyse (default: every saved time).
    dists : mapping, optional
        Parameter distributions (see :func:`gysim.sampling.problem`).
    second_order : bool
        Also compute second-order Sobol' indices S2 (needs ``n*(2D+2)`` runs).
    return_ensemble : bool
        Return ``(indices, ensemble)``: the ensemble is the raw Dataset with
        a ``run`` dimension and the sampled values as run coordinates (lazy,
        from the store, when ``store`` is given).
    num_levels : int
        Grid levels of the Morris method.
    num_resamples, conf_level
        Bootstrap resamples and confidence level of the intervals.
    **simulate_options
        Passed to :func:`gysim.simulate`: ``dt``, ``saveper``,
        ``rtol``, ``atol``, ``stop``, ``max_step``, ``scenario``, and
        ``on_error="mask"`` to drop runs that fail: see :func:`analyze`).
        ``max_bytes`` also bounds the sample and the study's memory, checked
        before anything is allocated.

    Returns
    -------
    xarray.Dataset or (xarray.Dataset, xarray.Dataset)
        The indices over dims ``(param, output, time)`` (plus ``param2`` for
        S2); NaN where an output does not vary over the runs. With
        ``return_ensemble``, the pair ``(indices, ensemble)``.

    Raises
    ------
    ParameterError
        For unknown parameters, missing bounds, an invalid ``n`` or analysis;
        for an analysis given both as ``analysis`` and ``method``, or an
        integrator given both as ``method`` and ``solver``.
    DataError
        For unknown outputs or times, or a store holding another study.

    Examples
    --------
    >>> import math, gysim
    >>> m = gysim.Model("ishigami", start=0, stop=1)
    >>> for x in ("x1", "x2", "x3"):
    ...     m.param(x, 0.0, bounds=(-math.pi, math.pi))
    >>> m.aux("y", "sin(x1) + 7 * sin(x2)**2 + 0.1 * x3**4 * sin(x1)")
    >>> si, ens = sensitivity(m, ["x1", "x2", "x3"], ["y"], n=1024, seed=1, progress=False,
    ...                       return_ensemble=True, method="euler", dt=1)
    >>> ens.sizes["run"]
    5120
    >>> si.ST.sel(output="y", time=1).round(1).values.tolist()
    [0.6, 0.4, 0.2]

    A target, or any function of the run, is an output too:

    >>> def y_squared(ds):
    ...     return ds.y.sel(time=1) ** 2
    >>> si = sensitivity(m, ["x1", "x2", "x3"], ["y", y_squared], n=64, progress=False,
    ...                  method="euler", dt=1)
    >>> si.output.values.tolist(), si.attrs["scalar_outputs"]
    (['y', 'y_squared'], 'y_squared')
    """
    analysis, method = _analysis_and_integrator(analysis, method,
                                                simulate_options.pop("solver", None))
    if method is not None:
        simulate_options["method"] = method
    if not isinstance(model, Model):
        raise ModelDefinitionError(f"`model` must be a gysim.Model, got {type(model).__name__}")
    compiled = model.compile()
    simulated = compiled.stock_names + compiled.output_names
    resolved = resolve_outputs(outputs, argument="outputs", variables=simulated,
                               what=f"model '{model.name}'",
                               kinds={k: e.kind for k, e in model.elements.items()})
    needed = needed_variables(resolved)
    variables = list(simulate_options.pop("variables", None) or [])
    for base in simulated if needed is None else needed:
        if base not in variables:
            variables.append(base)
    max_bytes = simulate_options.get("max_bytes")
    s = sample(model, params, analysis, n, seed, dists=dists, second_order=second_order,
               num_levels=num_levels, max_bytes=max_bytes)
    _check_study_memory(model, len(s), variables, store, num_resamples if analysis == "sobol"
                        else 0, simulate_options, bootstrap=indices.sobol_bytes_per_run(
                            len(s.columns), second_order) if analysis == "sobol" else 0.0)
    ens = run_batch(model, s, chunk_size=chunk_size, client=client, store=store,
                    progress=progress, variables=variables, **simulate_options)
    ens = with_outputs(ens, resolved)
    si = _analyze_outputs(s, ens, output_names(resolved), times=times, seed=seed,
                          num_resamples=num_resamples, conf_level=conf_level, workers=workers)
    si = label_indices(si, model)  # short names for the figures (gysim.display)
    return (si, ens) if return_ensemble else si


def _analyze_outputs(samples: Any, ens: xr.Dataset, names: list[str], *,
                     times: Sequence[float] | None, **options: Any) -> xr.Dataset:
    """:func:`analyze` the outputs: series at every time, one-number-per-run outputs once.

    An output without a ``time`` dim (a target's measured quantity, a
    function of the run that gives one number per run) is analysed once and
    placed at the last saved time; its indices are NaN at the other times.
    """
    series = [n for n in names if "time" in ens[split_element(n)[0]].dims]
    scalar = [n for n in names if n not in series]
    parts = []
    if series:
        parts.append(analyze(samples, ens, series, times=times, **options))
    if scalar:
        last = float(ens["time"].values[-1])
        one = xr.Dataset({n: ens[n].expand_dims(time=[last]) for n in scalar},
                         coords={c: ens.coords[c] for c in ens.coords
                                 if c != "time" and set(ens.coords[c].dims) <= {"run"}},
                         attrs=ens.attrs)
        one["time"].attrs.update(ens["time"].attrs)
        parts.append(analyze(samples, one, scalar, **options))
    if len(parts) == 1:
        out = parts[0]
    else:
        out = xr.concat(parts, dim="output", join="outer", combine_attrs="override",
                        data_vars="minimal", coords="minimal")
        out["time"].attrs.update(ens["time"].attrs)
        out = out.sel(output=[o for name in names for o in out["output"].values
                              if o == name or split_element(str(o))[0] == name])
    if scalar:
        out.attrs["scalar_outputs"] = ", ".join(scalar)
        out.attrs["scalar_outputs_note"] = (
            "outputs with one value per run (targets, functions of the run without time) are "
            f"analysed once; their indices are at time {float(ens['time'].values[-1]):g} and "
            "NaN at the other times")
    return out
