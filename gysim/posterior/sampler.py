"""Sampling the posterior with emcee, every step of the walkers as one ensemble run.

:func:`sample_posterior` runs emcee's ensemble sampler (Foreman-Mackey et al.
2013; differential-evolution moves by default) with ``vectorize=True``:
emcee moves the walkers in two halves, and each half's log posterior is one
:func:`gysim.simulate` ensemble, so a step costs two vectorized runs
whatever the number of walkers.
"""

from __future__ import annotations

import inspect
import time as _time
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..calibrate.data import data_frame, data_in_model_units
from ..calibrate.parameters import calibrated_parameters, current_values
from ..errors import CalibrationError, GysimError, ParameterError
from ..model import Model
from ..simulate import simulate
from .likelihood import LogPosterior
from .priors import parameter_priors
from .result import Posterior, _arviz

__all__ = ["sample_posterior", "INITS"]

#: How the walkers start (besides a mapping of values).
INITS = ("prior", "model")
_RESERVED = {"params", "variables", "scenario", "on_error"}
_SIMULATE_OPTIONS = frozenset(inspect.signature(simulate).parameters) - {"model"}
#: Relative spread (of each parameter's bounds) of the walkers started around a point.
BALL = 0.01


def sample_posterior(model: Model, data: pd.DataFrame, params: Sequence[str], *,
                     priors: Mapping[str, Any] | None = None, error: str = "lognormal",
                     sigma: float | Mapping[str, float] | None = None, walkers: int | None = None,
                     draws: int = 2000, tune: int = 1000, seed: int | None = None,
                     init: str | Mapping[str, float] = "prior", init_cov: Any = None,
                     bounds: Mapping[str, tuple[float, float]] | None = None,
                     data_units: Mapping[str, str] | None = None, progress: bool = False,
                     moves: Any = None, **simulate_options: Any) -> Posterior:
    """Sample the posterior of model parameters given data (emcee, one ensemble run per half-step).

    Parameters
    ----------
    model : gysim.Model
    data : pandas.DataFrame or xarray.Dataset
        Observations, as :func:`gysim.calibrate` takes them (indexed by
        time, a column per simulated variable or element ``var[label]``,
        NaN for missing).
    params : sequence of str
        Parameters (elements ``p[label]``, stock initial values) to sample.
    priors : mapping, optional
        Name -> frozen :mod:`scipy.stats` distribution (e.g.
        ``scipy.stats.norm(0.05, 0.01)``), truncated to the parameter's
        bounds; default uniform over the bounds. Key ``"sigma"``: the prior of
        the estimated observation errors, one distribution of ``sigma`` for
        every series or a mapping series -> distribution (default
        log-normal, median 5 % of the series' typical size -- of 1 on the log
        scale of lognormal errors -- with log-sd 2;
        :func:`gysim.posterior.priors.default_sigma_prior`).
    error : {"lognormal", "normal"}
        The observation error model (:mod:`gysim.posterior.likelihood`):
        ``log y ~ N(log f, sigma**2)`` or ``y ~ N(f, sigma**2)``.
    sigma : None, float or mapping
        None: each series' error ``sigma_j`` is estimated (sampled as ``log
        sigma_j`` with the prior above). A number fixes every series' sigma
        (on the log scale for lognormal errors: 0.05 is about 5 %); a mapping
        fixes the series it names and estimates the others.
    walkers : int, optional
        Number of emcee walkers (default ``max(16, 2 * ndim + 2)``; at least
        ``2 * ndim``), where ``ndim`` counts the parameters and estimated sigmas.
    draws, tune : int
        Steps kept and steps discarded first (burn-in), per walker.
    seed : int, optional
        Seeds the start and emcee's moves: the same seed gives the same draws.
    init : {"prior", "model"} or mapping
        Where the walkers start: ``"prior"`` draws them from the prior;
        ``"model"`` a small ball (1 % of each parameter's bounds) around the
        model's own values (the calibrated ones of a calibrated model), with
        each estimated sigma near the residual RMS there; a mapping gives the
        centre of the ball for some parameters (the model's values for the
        rest). Starts with zero posterior density are drawn again.
    init_cov : pandas.DataFrame or mapping, optional
        With ``init="model"`` or a mapping: the spread of the start instead of
        the 1 % ball, as a covariance of parameters (a DataFrame whose index
        and columns name them, e.g. a least-squares fit's ``stderr_i
        stderr_j corr_ij``) or a mapping name -> standard deviation; the
        parameters it does not name keep the ball. Each estimated ``log
        sigma`` then starts spread by ``1 / sqrt(2 n_j)``, about its
        posterior sd from ``n_j`` observations. A start near the posterior
        shortens the burn-in (`tune`); the kept steps r-hat needs are set by
        how fast the walkers mix (``post.autocorr``), whatever the start.
    bounds : mapping, optional
        Narrower bounds (within the parameters' own); a stock needs them.
    data_units : mapping, optional
        Units of the data columns (converted to the model's).
    progress : bool
        Show emcee's progress bar.
    moves : emcee move(s), optional
        emcee's proposal moves; default differential-evolution moves, 80 %
        ``DEMove`` and 20 % ``DESnookerMove`` (ter Braak & Vrugt 2008), which
        mix several times faster than emcee's default stretch move on the
        posteriors of calibrated models (autocorrelation time about 5 steps
        against 18 on the known-answer case of the tests).
    **simulate_options
        Options of :func:`gysim.simulate` (``method``, ``dt``, ``rtol``...);
        runs stop at the last data time unless ``stop`` is given.

    Returns
    -------
    Posterior
        ``post.idata`` (ArviZ InferenceData), ``post.posterior[name]`` over
        ``(chain, draw)``, ``post.summary()``, ``post.contraction()``,
        ``post.correlation()``, ``post.identification()``, ``post.predict()``.

    Raises
    ------
    ParameterError
        For unknown parameters or options, a bad prior, `walkers`, `draws`,
        `tune`, `init` or `sigma`.
    DataError
        For data gysim.calibrate would refuse, and non-positive observations
        with lognormal errors.
    CalibrationError
        If no start with a finite posterior density is found.

    Examples
    --------
    >>> import numpy as np, pandas as pd, gysim
    >>> m = gysim.Model("growth", start=0, stop=4)
    >>> m.stock("x", 1.0)
    >>> m.param("r", 0.1, bounds=(0.0, 1.0))
    >>> m.flow("inc", "r * x", into="x")
    >>> t = np.arange(5.0)
    >>> data = pd.DataFrame({"x": np.exp(0.2 * t + 0.05 * np.array([0, 1, -1, 1, -1]))}, index=t)
    >>> post = gysim.sample_posterior(m, data, ["r"], sigma=0.05, walkers=8, draws=150, tune=50,
    ...                               seed=1, method="rk4", dt=0.1)
    >>> post.posterior["r"].dims, post.posterior["r"].shape
    (('chain', 'draw'), (8, 150))

    The exact posterior is normal with mean ``sum(t log y) / sum(t**2) = 0.19667``
    and sd ``0.05 / sqrt(sum(t**2)) = 0.0091`` (regression through the origin):

    >>> bool(abs(float(post.posterior["r"].mean()) - 0.19667) < 0.005)
    True
    >>> bool(post.contraction()["r"] > 0.99)
    True
    """
    emcee = _emcee()
    if not isinstance(model, Model):
        raise ParameterError(f"`model` must be a gysim.Model, got {type(model).__name__}")
    unknown = sorted(set(simulate_options) - _SIMULATE_OPTIONS)
    if unknown:
        raise ParameterError(f"sample_posterior got unknown option(s) {', '.join(f'`{k}`' for k in unknown)}")
    reserved = sorted(_RESERVED & set(simulate_options))
    if reserved:
        raise ParameterError(f"sample_posterior sets {', '.join(f'`{k}`' for k in reserved)} of "
                             "gysim.simulate itself; for a scenario, apply it first with model.with_params(...)")
    for name, value, least in (("draws", draws, 1), ("tune", tune, 0)):
        if not (isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= least):
            raise ParameterError(f"`{name}` must be an integer >= {least}, got {value!r}")

    names, lower, upper, _ = calibrated_parameters(model, params, bounds)
    priors = dict(priors or {})
    sigma_priors = priors.get("sigma")
    param_priors = parameter_priors(names, lower, upper, priors)
    data = data_in_model_units(model, data, data_units)
    notes: list[str] = []
    frame = data_frame(model, data, simulate_options.get("stop", model.stop), notes)
    options = dict(simulate_options)
    last = float(frame.index[-1])
    if "stop" not in options and last > model.start:
        options["stop"] = last
    logpost = LogPosterior(model, names, param_priors, frame, error, sigma, sigma_priors, options)
    ndim = logpost.ndim
    if walkers is None:
        walkers = max(16, 2 * ndim + 2)
    if not (isinstance(walkers, (int, np.integer)) and not isinstance(walkers, bool)
            and walkers >= 2 * ndim and walkers >= 4):
        raise ParameterError(f"`walkers` must be an integer >= 2 * ndim = {2 * ndim} (and >= 4), got {walkers!r}")

    # the backend for the whole run (once the walkers are known): a start, then two
    # half-ensembles per step
    logpost.runs.expect(calls=2 * (int(tune) + int(draws)) + 1, runs=max(walkers // 2, 1))
    rng = np.random.default_rng(seed)
    started = _time.perf_counter()
    p0 = _start(logpost, init, walkers, rng, lower, upper, options, _spread(init_cov, names, lower, upper))
    if moves is None:
        moves = [(emcee.moves.DEMove(), 0.8), (emcee.moves.DESnookerMove(), 0.2)]
    sampler = emcee.EnsembleSampler(int(walkers), ndim, logpost, vectorize=True, moves=moves)
    sampler.random_state = np.random.RandomState(rng.integers(2**32 - 1)).get_state()
    sampler.run_mcmc(p0, int(tune) + int(draws), progress=progress)
    elapsed = _time.perf_counter() - started

    chain = sampler.get_chain(discard=int(tune))            # (draws, walkers, ndim)
    lp = sampler.get_log_prob(discard=int(tune))            # (draws, walkers)
    coords_names = names + [f"log_sigma[{s}]" for s in logpost.free]
    tau = _autocorr_time(sampler, int(tune), ndim)
    idata = _inference_data(chain, lp, names, logpost.free, frame)
    idata.posterior.attrs.update({"sampler": "emcee.EnsembleSampler(vectorize=True)",
                                  "walkers": int(walkers), "tune": int(tune), "draws": int(draws),
                                  "seed": "" if seed is None else int(seed), "error": error,
                                  "model": model.name, "seconds": round(elapsed, 3),
                                  "backend": logpost.runs.backend})
    settings = {"priors": priors, "walkers": int(walkers), "draws": int(draws), "tune": int(tune),
                "seed": seed, "init": init, "init_cov": init_cov, "bounds": bounds,
                "data_units": data_units,
                "sigma": sigma, "params": list(params), "simulate_options": dict(simulate_options),
                "seconds": elapsed, "notes": notes, "backend": logpost.runs.backend}
    return Posterior(idata=idata, names=names, model=model, error=error, fixed_sigma=logpost.fixed,
                     free_sigma=logpost.free, priors=param_priors, sigma_priors=logpost.sigma_priors,
                     frame=frame, acceptance=np.asarray(sampler.acceptance_fraction),
                     autocorr=pd.Series(tau, index=coords_names, name="autocorr_time"),
                     options=options, settings=settings, notes=notes)


def _autocorr_time(sampler: Any, tune: int, ndim: int) -> np.ndarray:
    """emcee's integrated autocorrelation time per coordinate, without its log message on short chains."""
    import logging

    log = logging.getLogger("emcee.autocorr")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.asarray(sampler.get_autocorr_time(discard=tune, quiet=True), dtype=float)
    except Exception:  # emcee raises on chains too short to estimate anything
        return np.full(ndim, np.nan)
    finally:
        log.setLevel(level)


def _spread(init_cov: Any, names: list[str], lower: np.ndarray, upper: np.ndarray) -> np.ndarray | None:
    """The start's covariance of the parameters ``(p, p)``: `init_cov` where given, the ball elsewhere."""
    if init_cov is None:
        return None
    ball = np.diag((BALL * (upper - lower)) ** 2)
    if isinstance(init_cov, pd.DataFrame):
        given = [str(c) for c in init_cov.columns]
        if [str(i) for i in init_cov.index] != given:
            raise ParameterError("`init_cov` must be a covariance DataFrame with the same names as "
                                 "index and columns")
        values = init_cov.to_numpy(dtype=float)
    elif isinstance(init_cov, Mapping):
        given = [str(k) for k in init_cov]
        try:
            values = np.diag(np.square(np.array([float(v) for v in init_cov.values()])))
        except (TypeError, ValueError):
            raise ParameterError("`init_cov` as a mapping gives a standard deviation (a number) "
                                 "per parameter") from None
    else:
        raise ParameterError(f"`init_cov` must be a covariance DataFrame or a mapping of standard "
                             f"deviations, got {type(init_cov).__name__}")
    unknown = [k for k in given if k not in names]
    if unknown:
        raise ParameterError(f"`init_cov` given for {', '.join(map(repr, unknown))}, which is not a "
                             f"sampled parameter ({', '.join(names)})")
    at = [names.index(k) for k in given]
    ball[np.ix_(at, at)] = values
    if not (np.all(np.isfinite(ball)) and np.allclose(ball, ball.T)
            and np.linalg.eigvalsh(ball).min() >= -1e-12 * max(1.0, np.abs(ball).max())):
        raise ParameterError("`init_cov` must be a finite, symmetric, positive semi-definite "
                             "covariance (standard deviations >= 0)")
    return ball


def _start(logpost: LogPosterior, init: Any, walkers: int, rng: np.random.Generator,
           lower: np.ndarray, upper: np.ndarray, options: dict,
           cov: np.ndarray | None = None) -> np.ndarray:
    """Start positions ``(walkers, ndim)`` with a finite log posterior."""
    p = len(logpost.names)
    if cov is not None and isinstance(init, str) and init == "prior":
        raise ParameterError("`init_cov` spreads a start around a point: use it with init='model' "
                             "or a mapping of values, not init='prior'")
    if isinstance(init, str) and init == "prior":
        def draw(k):
            x = np.column_stack([pr.draw(k, rng) for pr in logpost.priors] +
                                [sp.draw_log(k, rng) for sp in logpost.sigma_priors])
            return x.reshape(k, logpost.ndim)
    elif (isinstance(init, str) and init == "model") or isinstance(init, Mapping):
        centre = np.clip(current_values(logpost.model, logpost.names, options), lower, upper)
        if isinstance(init, Mapping):
            unknown = [k for k in init if k not in logpost.names]
            if unknown:
                raise ParameterError(f"`init` given for {', '.join(map(repr, unknown))}, which is not "
                                     f"a sampled parameter ({', '.join(logpost.names)})")
            for k, v in init.items():
                centre[logpost.names.index(k)] = float(v)
            if np.any(centre < lower) or np.any(centre > upper):
                raise ParameterError("`init` values must lie within the parameters' bounds")
        log_sigma = np.log(logpost.sigma_at(centre)) if logpost.free else np.zeros(0)
        if cov is None:
            sd_sigma = np.full(len(log_sigma), 0.1)
        else:  # the posterior sd of log sigma from n normal residuals: about 1 / sqrt(2 n)
            n_obs = dict(zip(logpost.columns, logpost.n_obs))
            sd_sigma = np.array([1 / np.sqrt(2 * max(int(n_obs[c]), 1)) for c in logpost.free])

        def draw(k):
            if cov is None:
                x = np.clip(centre + BALL * (upper - lower) * rng.standard_normal((k, p)), lower, upper)
            else:  # outside the bounds: drawn again below (zero prior density)
                x = rng.multivariate_normal(centre, cov, size=k, method="eigh")
            s = log_sigma + sd_sigma * rng.standard_normal((k, len(log_sigma)))
            return np.hstack([x, s])
    else:
        raise ParameterError(f"`init` must be one of {', '.join(map(repr, INITS))} or a mapping of "
                             f"parameter values, got {init!r}")
    out = draw(walkers)
    lp = logpost(out)
    for _ in range(20):
        bad = ~np.isfinite(lp)
        if not bad.any():
            return out
        out[bad] = draw(int(bad.sum()))
        lp[bad] = logpost(out[bad])
    raise CalibrationError(f"no start with a finite posterior density for {int((~np.isfinite(lp)).sum())} "
                           f"of {walkers} walkers after 20 tries (init={init!r}); the runs fail or give "
                           "values the error model excludes (e.g. <= 0 with lognormal errors)")


def _inference_data(chain: np.ndarray, lp: np.ndarray, names: list[str], free: list[str],
                    frame: pd.DataFrame):
    """ArviZ InferenceData: walkers as chains, sigma over `series`."""
    az = _arviz()
    samples = np.swapaxes(chain, 0, 1)                       # (walkers, draws, ndim)
    posterior = {n: samples[:, :, i] for i, n in enumerate(names)}
    dims = {}
    coords = {"time": np.asarray(frame.index, dtype=float)}
    if free:
        posterior["sigma"] = np.exp(samples[:, :, len(names):])
        dims["sigma"] = ["series"]
        coords["series"] = list(free)
    observed = {str(c): frame[c].to_numpy(dtype=float) for c in frame.columns}
    dims.update({k: ["time"] for k in observed})
    with warnings.catch_warnings():  # arviz doubts arrays with more chains than draws: ours are right
        warnings.filterwarnings("ignore", message="More chains", category=UserWarning)
        return az.from_dict(posterior=posterior, sample_stats={"lp": np.swapaxes(lp, 0, 1)},
                            observed_data=observed, coords=coords, dims=dims)


def _emcee():
    try:
        import emcee
    except ImportError:  # pragma: no cover - the bayes extra installs it
        raise GysimError("sample_posterior needs emcee: pip install gysim[bayes]") from None
    return emcee
