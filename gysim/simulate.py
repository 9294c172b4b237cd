"""Running a model: one run or a vectorized ensemble, into an xarray Dataset.

:func:`simulate` is the single entry point. Parameters given as arrays make
an ensemble: all runs are integrated together as one vectorized system (the
run axis is the last axis of every value), in chunks so memory stays bounded.

Examples
--------
>>> import numpy as np, gysim
>>> m = gysim.Model("growth", start=0, stop=10)
>>> m.stock("x", 1.0)
>>> m.param("r", 0.1, bounds=(0, 1))
>>> m.flow("growth", "r * x", into="x")
>>> ds = gysim.simulate(m, params={"r": np.linspace(0.05, 0.15, 5)})
>>> ds.x.dims
('time', 'run')
>>> np.allclose(ds.x.sel(time=10), np.exp(10 * ds.r), rtol=1e-5)
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np
import xarray as xr

from ._text import suggest
from .elements import check_number
from .engine.integrate_adaptive import adaptive
from .engine.final_time import final_time_of
from .engine.integrate_fixed_step import fixed_step
from .engine.integrate import (Runs, SolverStats, blank_after, break_times, check_finite,
                               initial_state, param_tuple, sizes, store)
from .engine.numba_backend import BACKENDS, choose
from .engine.limits import (MAX_RHS_EVALS, MAX_STEPS, check_limit, check_memory, format_bytes,
                            saved_times,
                            n_values, working_bytes_per_run)
from .engine.results import to_dataset
from .errors import ModelDefinitionError, ParameterError, SimulationError
from .model import Model, Param
from .random_draws import run_keys, streams

if TYPE_CHECKING:
    from .engine.compiled import CompiledModel

__all__ = ["simulate", "METHODS", "FIXED_STEP_METHODS", "ON_ERROR"]

FIXED_STEP_METHODS = ("euler", "rk4")
ADAPTIVE_METHODS = ("RK45", "RK23", "DOP853", "LSODA", "BDF", "Radau")
METHODS = FIXED_STEP_METHODS + ADAPTIVE_METHODS
#: Default budget of state values (stocks x runs) integrated at once.
STATE_BUDGET = 2_000_000
#: Default largest working memory of one chunk (bytes): the default chunk is made
#: smaller when its integration would need more (many saved times, large models).
CHUNK_BYTES = 2**30
#: What :func:`simulate` may do with a run that fails (``on_error``).
ON_ERROR = ("raise", "mask")


def simulate(model: Model, *, params: Mapping[str, Any] | Any | None = None,
             scenario: str | None = None, method: str | None = None, dt: float | None = None,
             saveper: float | None = None, rtol: float = 1e-6, atol: float = 1e-9,
             variables: Sequence[str] | None = None, stop: float | None = None,
             chunk_size: int | None = None, max_step: float | None = None,
             check_units: bool | None = None, on_error: str = "raise",
             max_bytes: float | None = None, max_steps: float | None = MAX_STEPS,
             max_rhs_evals: float | None = MAX_RHS_EVALS,
             max_seconds: float | None = None, seed: int = 0,
             backend: str = "auto") -> xr.Dataset:
    """Simulate a model once, or as a vectorized ensemble.

    Parameters
    ----------
    model : Model
        The model to run. It is not changed.
    params : mapping or pandas.DataFrame, optional
        Parameter values (or stock initial values) for this run, by name.
        A 1-D array makes an ensemble: every array must have the same length
        N and the result gains a ``run`` dimension of size N. A DataFrame
        gives one column per name and one row per run. For an element over
        dimensions, a number or a 1-D array of runs applies to every element;
        an array of shape ``(N, *sizes)`` gives one value per run and element.
    scenario : str, optional
        Name of a scenario registered with :meth:`Model.scenario`; its
        overrides apply first, ``params`` on top of them.
    method : str, optional
        ``"euler"`` or ``"rk4"`` (fixed step ``dt``, Vensim/PySD semantics),
        or a :func:`scipy.integrate.solve_ivp` method: ``"RK45"``, ``"RK23"``,
        ``"DOP853"``, ``"LSODA"``, ``"BDF"``, ``"Radau"``. Defaults to the
        model's method (``"RK45"`` for models built in Python).
    dt : float, optional
        Time step of the fixed-step methods; defaults to the model's ``dt``.
    saveper : float, optional
        Interval between saved times, from the start time; defaults to the
        model's ``saveper`` (1 time unit unless the model says otherwise).
    rtol, atol : float
        Tolerances of the adaptive methods.
    variables : sequence of str, optional
        Names of the stocks, flows, auxiliaries and data inputs to return
        (default: all of them).
    stop : float, optional
        Final time, if not the model's. For a model whose FINAL TIME changes
        during the run (``model.final_time_variable``), the horizon: runs
        end at their FINAL TIME or here, whichever comes first (without it,
        a run still going at the model's ``stop`` is an error; see
        :mod:`gysim.engine.final_time`).
    chunk_size : int, optional
        Number of runs integrated together; by default as many as keep about
        two million state values in one integration.
    max_step : float, optional
        Largest step of the adaptive methods (useful with pulses).
    check_units : bool, optional
        Check every equation's units (:func:`gysim.units.check_units`) before
        running, once per model. Default: on, except for models read from
        Vensim/XMILE files, whose units are free text (check them with
        ``model.check_units()``).
    on_error : {"raise", "mask"}
        What a run that fails (a non-finite value, a solver that gives up)
        does: ``"raise"`` a :class:`SimulationError` naming the time and the
        run; ``"mask"``: the run's values are NaN from the first saved time
        it did not reach (or where a value was not finite) on, it is listed in
        ``ds.attrs["failed_runs"]`` (JSON) and the boolean coordinate
        ``failed`` over ``run`` is True for it, and the other runs go on.
        Their numbers do not depend on the failed runs: with an adaptive
        method the chunk is integrated again without them (each failed run
        is then integrated alone, up to its failure). A work limit
        (``max_rhs_evals``, ``max_seconds``) stops the whole call either way.
    max_bytes : float, optional
        Memory the call may plan to use: the results, plus the integrator's
        working memory for one chunk, are estimated before anything is
        allocated and refused beyond it. Default:
        :data:`gysim.engine.limits.MEMORY_FRACTION` of the available memory
        (or :data:`gysim.engine.limits.MAX_BYTES` when set).
    max_steps : float or None
        Most fixed (Euler/RK4) steps per run, default
        :data:`gysim.engine.limits.MAX_STEPS` (ten million); None: no limit.
    max_rhs_evals : float or None
        Most derivative evaluations of one adaptive integration (one chunk),
        default :data:`gysim.engine.limits.MAX_RHS_EVALS` (a million); None:
        no limit.
    max_seconds : float, optional
        Most wall time of one adaptive integration (default: no limit).
    seed : int
        Seed of the RANDOM functions' draws: run ``r`` draws from its own
        stream, keyed by ``numpy.random.SeedSequence(seed)`` and ``r``, so each
        run is reproducible on its own (see :mod:`gysim.random_draws`).
        Default 0: the same draws on every call, as in Vensim.
    backend : {"auto", "numba", "numpy"}
        What evaluates the model. ``"numpy"``: the generated numpy code, all
        runs of a chunk as one array per value. ``"numba"``: the model
        compiled to machine code with numba (the ``compiled`` extra), the
        whole Euler/RK4 loop in compiled code and the runs in parallel
        threads (solve_ivp's derivatives too); compiled once per model and
        cached on disk (:func:`gysim.engine.numba_backend.cache_dir`).
        ``"auto"`` (default) uses numba when it is installed, can compile
        the model, and saves time: a run long enough to repay compiling, or
        (fixed step) an ensemble large enough to repay it, numba's loop
        being faster per run than numpy's on one thread and integrating
        blocks of runs on every core
        (:func:`gysim.engine.numba_backend.choose`), else numpy.
        ``ds.attrs["backend"]`` says which ran and ``ds.attrs["backend_reason"]``
        why not numba; ``model.compile().compile_seconds`` is the time numba
        took to compile (or load from its cache), apart from any run. Both
        give the same numbers (to rounding).

    Returns
    -------
    xarray.Dataset
        One variable per element with dims ``("time",)`` or
        ``("time", "run")``; a variable over model dimensions has them in
        between, ``("time", "sector", "run")``, with the element labels as
        coordinates. Every parameter is a coordinate (``ds.birth_rate``):
        scalar or over its dims, over ``run`` too when the ensemble varies
        it; a stock initial value set by ``params`` or the scenario is a
        ``<stock>_initial`` coordinate (see :mod:`gysim.engine.results`).
        Attributes hold units, docs and provenance.

    Raises
    ------
    ModelDefinitionError
        If the model or the options are invalid, or ``backend="numba"`` and
        numba is not installed or cannot compile the model.
    ParameterError
        If a parameter value is unknown, non-finite or out of bounds.
    UnitsError
        If an equation's units do not match its element's.
    SimulationError
        If the integration fails or produces non-finite values (with
        ``on_error="raise"``), would need more memory than ``max_bytes``, more
        steps than ``max_steps`` or more work than ``max_rhs_evals`` /
        ``max_seconds``.

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("decay", start=0, stop=2)
    >>> m.stock("x", 1.0, units="kg")
    >>> m.param("k", 0.5, units="1/year")
    >>> m.flow("loss", "k * x", out_of="x", units="kg/year")
    >>> ds = gysim.simulate(m, method="euler", dt=0.5)
    >>> ds.x.values.round(4).tolist()
    [1.0, 0.5625, 0.3164]
    >>> float(ds.k), ds.k.attrs["units"]
    (0.5, '1/year')
    """
    if not isinstance(model, Model):
        raise ModelDefinitionError(f"`model` must be a gysim.Model, got {type(model).__name__}")
    method = _check_method(model.method if method is None else method)
    start = model.start
    horizon_given = stop is not None  # a FINAL TIME that changes ends runs at this stop
    stop = model.stop if stop is None else check_number(stop, "`stop`")
    if stop <= start:
        raise ModelDefinitionError(f"`stop` must be after the start time {start:g}, got {stop:g}")
    saveper = check_number(getattr(model, "saveper", 1.0) if saveper is None else saveper,
                            "`saveper`")
    if saveper <= 0:
        raise ModelDefinitionError(f"`saveper` must be positive, got {saveper!r}")
    rtol = check_number(rtol, "`rtol`")
    atol = check_number(atol, "`atol`")
    if rtol <= 0 or atol < 0:
        raise ModelDefinitionError(f"`rtol` must be positive and `atol` non-negative, "
                                   f"got rtol={rtol!r}, atol={atol!r}")
    if on_error not in ON_ERROR:
        raise ModelDefinitionError(f"`on_error` must be 'raise' or 'mask', got {on_error!r}")
    if max_bytes is not None and check_number(max_bytes, "`max_bytes`") <= 0:
        raise ModelDefinitionError(f"`max_bytes` must be positive, got {max_bytes!r}")
    if backend not in BACKENDS:
        raise ModelDefinitionError(f"`backend` must be one of {', '.join(map(repr, BACKENDS))}, "
                                   f"got {backend!r}")
    max_steps = check_limit(max_steps, "max_steps")
    limits = dict(max_rhs_evals=check_limit(max_rhs_evals, "max_rhs_evals"),
                  max_seconds=check_limit(max_seconds, "max_seconds"))
    n_save = saved_times(start, stop, saveper)  # a float: may be huge

    step = 0.0
    fixed = method in FIXED_STEP_METHODS
    if fixed:
        step = model.dt if dt is None else dt
        if step is None:
            raise ModelDefinitionError(
                f"method={method!r} needs a time step: pass `dt` (or give the model one)")
        step = check_number(step, "`dt`")
        if step <= 0:
            raise ModelDefinitionError(f"`dt` must be positive, got {step!r}")
        ratio = saveper / step
        if abs(ratio - round(ratio)) > 1e-9 * max(1.0, ratio) or round(ratio) < 1:
            raise ModelDefinitionError(
                f"`saveper` ({saveper:g}) must be a whole multiple of `dt` ({step:g})")
        n_steps = (n_save - 1) * round(ratio)
        if max_steps is not None and n_steps > max_steps:
            raise SimulationError(
                f"method={method!r} with dt={step:g} from {start:g} to {stop:g} takes "
                f"{n_steps:.4g} steps per run, more than the limit `max_steps`={max_steps:g} "
                f"(default gysim.engine.limits.MAX_STEPS); use a larger `dt`, an earlier "
                f"`stop` or an adaptive method, or pass `max_steps=` (None: no limit)")
    elif dt is not None and check_number(dt, "`dt`") <= 0:  # ignored by adaptive methods,
        raise ModelDefinitionError(f"`dt` must be positive, got {dt!r}")  # but never wrong
    # the options are checked before compiling: a large model takes a while to compile
    compiled = model.compile()
    if check_units if check_units is not None else getattr(model, "check_units_on_run", True):
        compiled.check_units()
    if not fixed and compiled.delays_fixed:
        raise ModelDefinitionError(
            f"delay_fixed (in {', '.join(d.owner for d in compiled.delays_fixed)}) "
            f"needs a fixed-step method: use method='euler' or 'rk4' with a `dt`")
    random_in = compiled.random_owners
    if not fixed and random_in:
        raise ModelDefinitionError(
            f"random functions (in {', '.join(random_in)}) draw once per time step and need "
            f"a fixed-step method: use method='euler' or 'rk4' with a `dt`")
    run_keys(seed, 0, 0)  # checks the seed
    if max_step is not None and check_number(max_step, "`max_step`") <= 0:
        raise ModelDefinitionError(f"`max_step` must be positive, got {max_step!r}")

    runs = _resolve_runs(model, params, scenario)
    names = _select_variables(compiled, variables)
    per_run = working_bytes_per_run(compiled, method, n_save, fixed)
    if chunk_size is None:
        chunk_size = max(1, STATE_BUDGET // max(1, compiled.n_state_rows))
        if per_run * chunk_size > CHUNK_BYTES:
            chunk_size = int(max(1, CHUNK_BYTES // per_run))
    elif isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) \
            or chunk_size < 1:
        raise ModelDefinitionError(f"`chunk_size` must be a positive integer, got {chunk_size!r}")
    _check_memory(compiled, names, n_save, runs.n, min(runs.n, chunk_size), per_run, saveper,
                  max_bytes)
    times = start + saveper * np.arange(int(n_save))
    final_time = final_time_of(model, compiled, fixed, backend, strict=not horizon_given)
    kernel, why_not = (None, f"the FINAL TIME '{final_time.name}' changes during the run") \
        if final_time else choose(compiled, backend, _evaluations(fixed, method, n_save, step,
                                                                  saveper), runs.n, fixed=fixed)

    stats = SolverStats()
    failed: dict[int, str] = {}
    opts = dict(rtol=rtol, atol=atol, max_step=max_step, on_error=on_error, kernel=kernel,
                final_time=final_time, **limits)

    try:
        block, result = None, {}
        if kernel is not None and fixed and chunk_size >= runs.n:
            # one chunk: the compiled loop writes the saved values where the results live
            block, result = kernel.result_arrays(names, len(times), runs.n)
        for n in names:
            if n not in result:
                result[n] = np.empty((len(times),) + sizes(compiled, n) + (runs.n,))
        opts["target"] = block
        with np.errstate(all="ignore"):
            for lo in range(0, runs.n, chunk_size):
                hi = min(runs.n, lo + chunk_size)
                with streams(seed, lo, hi):
                    _integrate_chunk(compiled, runs, lo, hi, method, step, times, opts, stats,
                                     result, failed)
                stats.chunks += 1
    except MemoryError:
        raise SimulationError(
            f"simulate ran out of memory for {runs.n} runs of {len(times)} saved times; "
            f"use fewer runs, saved times (`saveper`) or variables (`variables=`), smaller "
            f"chunks (`chunk_size=`), or a study store (gysim.batch.run_batch(..., store=))"
        ) from None
    ds = to_dataset(model, compiled, result, times, runs, method=method, step=step,
                    saveper=saveper, rtol=rtol, atol=atol, scenario=scenario, stats=stats,
                    fixed_step=fixed, failed=failed if on_error == "mask" else None)
    # timings are not attrs: equal runs give identical Datasets
    ds.attrs.update(backend="numba" if kernel is not None else "numpy", backend_reason=why_not)
    return ds


def _evaluations(fixed: bool, method: str, n_save: float, step: float, saveper: float) -> float:
    """About how many times a run evaluates the derivatives (for backend="auto")."""
    if fixed:
        return (n_save - 1) * round(saveper / step) * (1 if method == "euler" else 4)
    return 12.0 * n_save  # a guess: a dozen evaluations per saved time


def _check_memory(compiled: CompiledModel, names: list[str], n_save: float, n_runs: int,
                  chunk: int, per_run: float, saveper: float, max_bytes: float | None) -> None:
    """Refuse a simulation whose results and working memory would not fit (see limits)."""
    values = n_values(compiled, names)
    result = n_save * values * n_runs * 8.0
    work = per_run * chunk
    hints = [f"save fewer times (`saveper`={saveper:g} saves {n_save:.4g} times)",
             f"return fewer variables (`variables=`: now {len(names)} variables, {values} "
             f"values per time and run)"]
    if n_runs > 1:
        hints.append(f"run fewer runs per call (now {n_runs}), e.g. streamed to a study store "
                     f"with gysim.batch.run_batch(model, samples, store=...)")
    if chunk > 1:
        hints.append(f"integrate fewer runs at once (`chunk_size=`, now {chunk})")
    check_memory(result + work, f"the results ({format_bytes(result)}: {n_save:.4g} saved times x "
                 f"{values} values x {n_runs} runs x 8 bytes) and the integrator's working "
                 f"memory ({format_bytes(work)} for a chunk of {chunk} runs)", hints,
                 max_bytes=max_bytes)


def _check_method(method: Any) -> str:
    if method not in METHODS:
        close = suggest(str(method), METHODS)
        raise ModelDefinitionError(f"`method` must be one of {', '.join(METHODS)}, got {method!r}"
                                   f"{close}")
    return method


def _resolve_runs(model: Model, params: Any, scenario: str | None) -> Runs:
    overrides: dict[str, Any] = {}
    if scenario is not None:
        if scenario not in model.scenarios:
            raise ModelDefinitionError(
                f"model '{model.name}' has no scenario {scenario!r}"
                f"{suggest(str(scenario), model.scenarios)}; known: "
                f"{', '.join(model.scenarios) or 'none'}")
        overrides.update(model.scenarios[scenario].overrides)
    if params is not None:
        if hasattr(params, "columns") and hasattr(params, "to_numpy"):  # pandas DataFrame
            params = {str(c): params[c].to_numpy(dtype=float) for c in params.columns}
        if not isinstance(params, Mapping):
            raise ParameterError(f"`params` must be a mapping of names to values or a pandas "
                                 f"DataFrame, got {type(params).__name__}")
        overrides.update(params)
    scalars = {n: p.value for n, p in model.params.items()}
    arrays: dict[str, np.ndarray] = {}
    n = None
    for key, value in overrides.items():
        element = model.settable_element(key, where="params")
        if np.ndim(value) == 0 or (isinstance(value, tuple) and scenario is not None
                                   and model.scenarios[scenario].overrides.get(key) is value):
            # a number, a mapping of labels, or a scenario's checked per-element values
            scalars[key] = model.checked_value(key, value)
            continue
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError, OverflowError):
            raise ParameterError(f"values of '{key}' must be (finite) numbers") from None
        dims = getattr(element, "dims", ())
        sizes = tuple(len(model.dimensions[d]) for d in dims)
        if arr.ndim != 1 and not (dims and arr.shape[1:] == sizes):
            extra = (f", or an array of shape (runs, {', '.join(map(str, sizes))}) over its "
                     f"dims {dims}" if dims else "")
            raise ParameterError(f"values of '{key}' must be a scalar or a 1-D array{extra}, "
                                 f"got shape {arr.shape}")
        if arr.size == 0:
            raise ParameterError(f"values of '{key}' are empty; an ensemble needs at least one run")
        if n is None:
            n, first = arr.shape[0], key
        elif arr.shape[0] != n:
            raise ParameterError(f"every array in `params` must have the same length: '{first}' "
                                 f"has {n} values but '{key}' has {arr.shape[0]}")
        flat = arr.reshape(arr.shape[0], -1)
        bad = ~np.isfinite(flat)
        if bad.any():
            i = int(np.argmax(bad.any(axis=1)))
            raise ParameterError(f"values of '{key}' must be finite; run {i} has "
                                 f"{float(flat[i][bad[i]][0])!r}")
        if isinstance(element, Param) and element.bounds is not None:
            lo, hi = element.bounds
            out = (flat < lo) | (flat > hi)
            if out.any():
                i = int(np.argmax(out.any(axis=1)))
                raise ParameterError(f"parameter '{key}' = {float(flat[i][out[i]][0])!r} (run {i}) "
                                     f"is outside its bounds ({lo:g}, {hi:g}); {int(out.sum())} of "
                                     f"{flat.size} values are")
        arrays[key] = arr
        scalars.pop(key, None)
    return Runs(n or 1, n is not None, scalars, arrays)


def _select_variables(compiled: CompiledModel, variables: Sequence[str] | None) -> list[str]:
    available = compiled.stock_names + compiled.output_names
    if variables is None:
        return available
    if isinstance(variables, str):
        variables = [variables]
    chosen = []
    for v in variables:
        if v not in available:
            kind = compiled.model.elements[v].kind if v in compiled.model.elements else None
            reason = (f"is a {kind}; it is a coordinate of the Dataset (an input), not a "
                      f"variable" if kind else
                      f"is not a variable of model '{compiled.model.name}'"
                      f"{suggest(str(v), available)}")
            raise ModelDefinitionError(f"`variables`: '{v}' {reason}")
        if v not in chosen:
            chosen.append(v)
    return chosen


def _integrate_chunk(compiled: CompiledModel, runs: Runs, lo: int, hi: int, method: str,
                     step: float, times: np.ndarray, opts: dict, stats: SolverStats,
                     result: dict, failed: dict) -> None:
    """Integrate runs lo:hi into ``result[name][..., lo:hi]``; masked failures into ``failed``."""
    mask = opts["on_error"] == "mask"
    out = {name: array[..., lo:hi] for name, array in result.items()}
    ends = None  # runs that end apart: how many saved times each has values at
    if method in FIXED_STEP_METHODS:
        # runs never mix in a fixed-step integration: a run that goes bad leaves the others'
        # numbers as they are, and is masked below
        P = param_tuple(compiled, runs, lo, hi)
        y0, discrete, delay_times = initial_state(compiled, runs, lo, hi, times[0], step, P,
                                                  check=not mask)
        kernel = opts["kernel"]
        save_every = int(round((times[1] - times[0]) / step)) if len(times) > 1 else 1
        n_steps = (len(times) - 1) * save_every
        if kernel is None:
            final_time = opts.get("final_time")  # (other callers: a constant FINAL TIME)
            ended = fixed_step(compiled, P, compiled.prepare(P), y0, discrete, delay_times,
                               method, step, times, stats, out, final_time)
            if final_time is not None:
                final_time.check_horizon(ended, n_steps, times[-1], lo)
                ends = final_time.saved_ends(ended, save_every, len(times))
        else:
            finite = kernel.fixed_step(P, compiled.prepare(P), y0, discrete, delay_times,
                                       method, step, times, out, target=opts.get("target"))
            stats.steps += n_steps
            stats.nfev += n_steps * (1 if method == "euler" else 4)
            if finite.all():  # the kernel saw every saved value: no bad one to look for
                return
    else:
        _adaptive_chunk(compiled, runs, lo, hi, method, times, opts, stats, out, failed)
    if mask:
        _mask_nonfinite(compiled, out, times, lo, failed, ends)
    else:
        check_finite(compiled, out, times, lo, ends)
    if ends is not None:
        blank_after(out, ends)


def _adaptive_chunk(compiled: CompiledModel, runs: Runs, lo: int, hi: int, method: str,
                    times: np.ndarray, opts: dict, stats: SolverStats, out: dict,
                    failed: dict) -> None:
    """Integrate runs lo:hi together; with on_error="mask", again without those that fail.

    A run blamed for a failure is removed and the others integrated again
    from the start, so their numbers are those of a chunk without it; each
    removed run is then integrated alone up to its own failure (a run blamed
    wrongly, which succeeds alone, keeps that single-run result).
    """
    mask = opts["on_error"] == "mask"
    active = np.arange(lo, hi)
    suspects: list[int] = []
    while active.size:
        failure = _adaptive_runs(compiled, runs, active, lo, method, times, opts, stats, out)
        if failure is None:
            break
        if not (mask and failure.maskable):
            raise SimulationError(failure.message)
        blamed = active[failure.runs]
        suspects.extend(int(r) for r in blamed)
        active = np.setdiff1d(active, blamed)
    for r in suspects:
        failure = _adaptive_runs(compiled, runs, np.array([r]), lo, method, times, opts, stats,
                                 out)
        if failure is not None:
            if not failure.maskable:
                raise SimulationError(failure.message)
            failed[r] = failure.message


def _adaptive_runs(compiled: CompiledModel, runs: Runs, ids: np.ndarray, lo: int, method: str,
                   times: np.ndarray, opts: dict, stats: SolverStats, out: dict):
    """Integrate the runs ``ids`` together into their columns of ``out``; the failure if any."""
    whole = ids[0] == lo and ids[-1] == lo + len(ids) - 1
    sub = runs if whole else Runs(len(ids), runs.ensemble, runs.scalars,
                                  {k: v[ids] for k, v in runs.arrays.items()})
    a, b = (int(ids[0]), int(ids[-1]) + 1) if whole else (0, len(ids))
    P = param_tuple(compiled, sub, a, b)
    S = compiled.prepare(P)
    y0 = initial_state(compiled, sub, a, b, times[0], 0.0, P, check=False)[0]
    Y, failure = adaptive(compiled, P, S, y0, method, times, break_times(compiled, runs),
                          opts["rtol"], opts["atol"], opts["max_step"], stats, run_ids=ids,
                          max_rhs_evals=opts["max_rhs_evals"], max_seconds=opts["max_seconds"],
                          rhs=opts["kernel"].rhs if opts["kernel"] is not None else None)
    values = compiled.outputs(times[:, None], 0.0, Y, P, S, [])
    cols = ids - lo
    part = {n: v[..., cols[0]:cols[-1] + 1] for n, v in out.items()} if whole else \
        {n: np.empty(v.shape[:-1] + (len(ids),)) for n, v in out.items()}
    store(compiled, part, slice(None), Y, values)
    if failure is not None:  # NaN from the first saved time the integration did not reach
        lost = np.isnan(Y).any(axis=0) if len(Y) else np.zeros((len(times), len(ids)), bool)
        for j in np.flatnonzero(lost.any(axis=0)):
            for v in part.values():
                v[int(np.argmax(lost[:, j])):, ..., j] = np.nan
    if not whole:
        for n, v in part.items():
            out[n][..., cols] = v
    return failure


def _mask_nonfinite(compiled: CompiledModel, out: dict, times: np.ndarray, lo: int,
                    failed: dict, ends: np.ndarray | None = None) -> None:
    """on_error="mask": NaN from each bad run's first non-finite saved value on; record it.

    Values after a run's end (``ends``, runs that end apart) do not count.
    """
    n = next(iter(out.values())).shape[-1] if out else 0
    first = np.full(n, len(times))
    where = np.empty(n, dtype=object)
    for name, v in out.items():
        bad = ~np.isfinite(v.reshape(v.shape[0], -1, n)).all(axis=1)  # (time, run)
        if ends is not None:
            bad &= np.arange(len(bad))[:, None] < ends
        at = np.where(bad.any(axis=0), np.argmax(bad, axis=0), len(times))
        where[at < first] = name
        first = np.minimum(first, at)
    for j in np.flatnonzero(first < len(times)):
        for v in out.values():
            v[first[j]:, ..., j] = np.nan
        failed.setdefault(lo + int(j), f"run {lo + int(j)}: non-finite value at time "
                                       f"{times[first[j]]:g} in {where[j]}")
