"""The posterior of the Guiyang model's identified parameters, and the plan's targets under it.

Usage (from the repository root)::

    .venv/bin/python calibration/posterior.py              # sample, write posterior_summary.md
    .venv/bin/python calibration/posterior.py --seed 7     # another seed

Samples (gysim.sample_posterior: emcee, every half-step of the walkers one
ensemble run) the six parameters that ``calibration/fit.py`` fits (its
``FITTED``, read through the model's provider) and the observation error of
each of the seven series, against the same data as the fit: the
2000-2005 statistics (``observations()`` of the provider) and the plan's
2001-2005 investment path. Errors are lognormal (each series' sigma is about
its relative error), priors uniform over the parameters' bounds, and each
sigma has gysim's default weakly-informative prior (log-normal, median 5 %,
log-sd 2). Walkers start in a small ball around the model's calibrated values
(those of the least-squares fit), each sigma near its residual RMS there;
``--start fit`` spreads them by the fit's covariance instead
(``fitted_parameters.json``), which mixes worse here (see WALKERS). The model
runs only to the last observation (2005) and the likelihood takes the
observed series at the observed times as arrays (gysim.posterior.runs.ArrayRuns,
the numba backend when numba is installed).

Then runs the model under ``baseline`` to 2010 on every posterior draw and
gives the probability of each of the plan's targets, with its Monte Carlo
standard error from the effective sample size of the draws.

Writes ``calibration/posterior_summary.md``. The same seed gives the same
draws and the same file (apart from the timing line).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import pandas as pd

import gysim
from gysim.atomic import write_text_atomic
from gysim.registry import get_provider, models_module

HERE = Path(__file__).resolve().parent
SUMMARY_FILE = HERE / "posterior_summary.md"
#: The least-squares fit that starts the walkers (calibration/fit.py writes it).
FIT_FILE = HERE / "fitted_parameters.json"
#: The parameters' draws (NetCDF, not committed: the script makes it), read by
#: ``python -m gysim_models.plan_levers --posterior``.
DRAWS_FILE = HERE / "posterior_draws.nc"

SEED = 2006
#: Walkers (>= 2 x (6 parameters + 7 sigmas)). A step costs about the same for 28 or 64 (one
#: ensemble run per half-step, numba) and more walkers make r-hat's comparison steadier. At
#: seed 2006 (largest r-hat, smallest bulk ESS, CPU s): 28 walkers, ball, 300 + 1500: 1.04, 573;
#: 40: 1.049, 729, 36 s; 64: 1.043, 1223, 37 s; 64 with 300 + 2000: 1.032, 1587, 46 s. From the
#: fit's covariance, 200 + 1500: 28 walkers 1.065 (ESS 292), 40 walkers 1.046 (719).
WALKERS = 64
TUNE = 300
#: r-hat needs some 30 autocorrelation times (about 45 steps here) of kept steps per walker,
#: whatever the start: 500 give 1.08-1.16, 1000 from the fit 1.07-1.09 (three seeds).
DRAWS = 2000
#: Where the walkers start: "model" (a ball of 1 % of the bounds around the calibrated values)
#: or "fit" (spread by the least-squares covariance of fitted_parameters.json).
START = "model"
#: The integrator: fit.py's RK4 at a step of a quarter year (fit.py: an eighth), which halves
#: the time and moves the simulated 2000-2005 series by at most 6e-7 (relative, at the fitted
#: values), far less than their observation errors (0.1-3 %).
OPTIONS = {"method": "rk4", "dt": 0.25}


def data():
    """The fit's data: the provider's observations and the plan's investment path."""
    provider = get_provider("guiyang")
    observed = provider.get("observations", purpose="the Guiyang posterior")()
    return observed.join(models_module("_plan").plan_investment_path(), how="outer")


def fitted_parameters() -> list[str]:
    """The parameters calibration/fit.py fits (FITTED), through the provider's calibration hook."""
    return list(get_provider("guiyang").get("calibration", purpose="the Guiyang posterior")().FITTED)


def fit_start(path: Path = FIT_FILE) -> tuple[dict, pd.DataFrame]:
    """The least-squares fit's values and covariance (``stderr_i stderr_j corr_ij``) of the parameters."""
    fit = json.loads(Path(path).read_text(encoding="utf-8"))
    names = fitted_parameters()
    missing = [n for n in names if n not in fit["parameters"]]
    if missing:
        raise SystemExit(f"{path} has no fit of {', '.join(missing)}: run calibration/fit.py")
    values = {n: float(fit["parameters"][n]["value"]) for n in names}
    sd = pd.Series({n: float(fit["parameters"][n]["stderr"]) for n in names})
    corr = pd.DataFrame(fit["correlation"]).loc[names, names].astype(float)
    return values, corr.mul(sd, axis=0).mul(sd, axis=1)


def options() -> dict:
    """The integrator (see OPTIONS)."""
    return dict(OPTIONS)


def sample(walkers: int = WALKERS, draws: int = DRAWS, tune: int = TUNE, seed: int = SEED,
           progress: bool = False, start: str = START) -> gysim.Posterior:
    """Sample the posterior; `start` "model" (ball around the calibrated values) or "fit" (its covariance)."""
    model = gysim.load_model("guiyang")
    if start == "fit":
        values, cov = fit_start()
        init = dict(init=values, init_cov=cov)
    elif start == "model":
        init = dict(init="model")
    else:
        raise ValueError(f"start must be 'model' or 'fit', got {start!r}")
    return gysim.sample_posterior(model, data(), fitted_parameters(), error="lognormal", sigma=None,
                                  walkers=walkers, draws=draws, tune=tune, seed=seed,
                                  progress=progress, **init, **options())


def target_probabilities(post: gysim.Posterior, scenario: str = "baseline"):
    """Every target of the plan the model covers, checked on every posterior draw under `scenario`."""
    targets = get_provider("guiyang").get("targets", purpose="the Guiyang posterior")(post.model)
    runs = post.predict(scenario=scenario, stop=2010)
    return gysim.check_targets(runs, targets), runs.sizes["run"]


def markdown_table(frame, fmt: str = ".4g") -> str:
    """A DataFrame as a Markdown table (fit.py's, through the provider's calibration hook)."""
    return get_provider("guiyang").get("calibration", purpose="the Guiyang posterior")(
    ).markdown_table(frame, fmt)


def report(post: gysim.Posterior, seconds: float, probabilities, n_runs: int,
           cpu: float | None = None, load: float | None = None) -> str:
    """The Markdown summary (`cpu`: the sampling's CPU seconds; `load`: the 1-minute load average)."""
    s = post.settings
    exact = post.summary(round_to="none")      # arviz's default rounding shows an sd of 3e-4 as 0
    summary = exact[["mean", "sd", "hdi_3%", "hdi_97%", "ess_bulk", "ess_tail", "r_hat",
                     "prior_sd", "contraction"]].copy()
    summary = summary.astype(object)              # whole ESS stay whole in the table
    for c in ("ess_bulk", "ess_tail"):
        summary[c] = [int(round(v)) for v in exact[c]]
    summary["r_hat"] = [f"{v:.3f}" for v in exact["r_hat"]]
    summary.index.name = "quantity"
    ident = post.identification()
    corr = post.correlation().loc[post.names, post.names]
    probs = probabilities[["kind", "target_value", "model_value", "share_met", "mcse", "units"]].rename(
        columns={"model_value": "median", "share_met": "probability"})
    lines = [
        "# Guiyang model: posterior of the identified parameters", "",
        f"Generated by `calibration/posterior.py` (seed {s['seed']}, {s['walkers']} emcee walkers, "
        f"{s['tune']} tuning + {s['draws']} kept steps, {post.error} errors, "
        f"{', '.join(f'{k}={v}' for k, v in post.options.items())}, {s.get('backend', '?')} backend; "
        + ("walkers started around the least-squares fit, spread by its covariance"
           if s.get("init_cov") is not None else
           "walkers started in a ball of 1 % of the bounds around the calibrated values")
        + f"). Sampling took {seconds:.1f} s wall"
        + (f", {cpu:.1f} s CPU" if cpu is not None else "")
        + (f", with a load average of {load:.1f} on the machine's 2 cores (other sessions running)"
           if load is not None else "") + ".", "",
        f"Convergence: largest r-hat {exact['r_hat'].max():.3f} (rank-normalised split r-hat, "
        f"walkers as chains; converged below 1.05), smallest bulk ESS {exact['ess_bulk'].min():.0f}.", "",
        "Parameters: uniform priors over their bounds. Observation errors (`sigma[...]`, on the log "
        "scale: about the relative error): estimated, each with the default log-normal prior "
        "(median 0.05, log-sd 2). Chains are emcee walkers (r-hat and ESS treat them as chains). "
        "Contraction = 1 - posterior variance / prior variance (for the errors, of log sigma, as is their prior_sd).", "",
        markdown_table(summary, ".3g"), "",
        f"Acceptance fraction: {post.acceptance.mean():.2f} (walkers {post.acceptance.min():.2f}-"
        f"{post.acceptance.max():.2f}); emcee's autocorrelation time: "
        f"{post.autocorr.max():.0f} steps at most.", "",
        "## What the data identify", "",
        markdown_table(ident, ".3g"), "",
        "## Posterior correlations of the parameters", "",
        markdown_table(corr, ".2f"), "",
        "## The plan's targets under `baseline`", "",
        f"The model run to 2010 under `baseline` on each of the {n_runs} posterior draws (without "
        "observation noise); `probability` is the share of draws that meet the target and `mcse` "
        "its Monte Carlo standard error (effective sample size of the met/not-met indicator over "
        "the walkers' draws; 0 when every draw agrees).", "",
        markdown_table(probs, ".3g"), "",
    ]
    if post.warnings:
        lines += ["## Notes", ""] + [f"- {w}" for w in post.warnings] + [""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--walkers", type=int, default=WALKERS)
    parser.add_argument("--draws", type=int, default=DRAWS)
    parser.add_argument("--tune", type=int, default=TUNE)
    parser.add_argument("--out", type=Path, default=SUMMARY_FILE)
    parser.add_argument("--progress", action="store_true")
    parser.add_argument("--start", choices=("model", "fit"), default=START)
    parser.add_argument("--draws-out", type=Path, default=DRAWS_FILE,
                        help="where to write the parameters' draws (NetCDF)")
    args = parser.parse_args(argv)
    started, cpu = time.perf_counter(), time.process_time()
    post = sample(args.walkers, args.draws, args.tune, args.seed, args.progress, args.start)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    load = os.getloadavg()[0]
    print(f"sampled in {seconds:.1f} s ({cpu:.1f} s CPU, load average {load:.1f})")
    probabilities, n_runs = target_probabilities(post)
    text = report(post, seconds, probabilities, n_runs, cpu=cpu, load=load)
    write_text_atomic(args.out, text)
    post.posterior[list(post.names)].to_netcdf(args.draws_out)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
