"""The Guiyang posterior: where the time goes, and the sampling with the old and the new settings.

1. One emcee half-step (half the walkers' log posterior), four ways, over the
   same points: through ``gysim.simulate`` and its Dataset (the path before
   ``ArrayRuns``) or straight into arrays (``gysim.posterior.runs.ArrayRuns``),
   each with the numpy and the numba backend; and one run per walker
   (emcee's ``vectorize=False``). Same numbers every way (checked); the
   ratios are the speed-ups.
2. ``calibration/posterior.py``'s sampling (6 parameters + 7 observation
   errors, its seed) with the old settings -- 28 walkers in a 1 % ball around
   the model's values, 300 tuning + 1500 kept steps (converged) and 300 + 500
   (not) -- and the new ones (the script's walkers, start, tuning and kept
   steps; and started from the least-squares covariance): wall and CPU time, the largest
   r-hat, the smallest bulk ESS, ESS per CPU second. The issue asks for
   under 2 minutes on 2 cores. The machine's load average is printed: other
   sessions share the cores, so wall time exceeds CPU time.

Usage::

    python benchmarks/bench_posterior.py              # both
    python benchmarks/bench_posterior.py --skip-full  # only the half-step
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import time
import warnings
from pathlib import Path

import numpy as np

import gysim
from gysim.calibrate.data import data_frame
from gysim.calibrate.parameters import calibrated_parameters, current_values
from gysim.posterior.likelihood import LogPosterior
from gysim.posterior.priors import parameter_priors

ROOT = Path(__file__).resolve().parents[1]
#: The settings before this benchmark's changes (28 walkers, ball start, tuning + kept steps).
OLD = [("old: 28 walkers, ball, 300 + 1500", dict(walkers=28, start="model", tune=300, draws=1500)),
       ("old: 28 walkers, ball, 300 + 500", dict(walkers=28, start="model", tune=300, draws=500))]


def script():
    spec = importlib.util.spec_from_file_location("guiyang_posterior", ROOT / "calibration" / "posterior.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def half_step(s, repeats: int) -> None:
    model = gysim.load_model("guiyang")
    names, lower, upper, _ = calibrated_parameters(model, s.fitted_parameters(), None)
    frame = data_frame(model, s.data(), model.stop, [])
    rng = np.random.default_rng(0)
    options = dict(s.options(), stop=float(frame.index[-1]))
    centre = current_values(model, names, options)
    half = s.WALKERS // 2
    x = np.clip(centre + 0.005 * (upper - lower) * rng.standard_normal((half, len(names))), lower, upper)
    rows, reference = [], None
    for backend in ("numpy", "numba"):
        logpost = LogPosterior(model, names, parameter_priors(names, lower, upper, None), frame,
                               "lognormal", None, None, dict(options, backend=backend))
        theta = np.hstack([x, np.log(np.full((half, len(logpost.free)), 0.02))])
        for lean, what in ((False, "gysim.simulate Dataset"), (True, "ArrayRuns arrays")):
            logpost.lean = lean
            value = logpost(theta)                              # compile, warm up
            reference = value if reference is None else reference
            assert np.allclose(value, reference, rtol=1e-9), f"{what}, {backend}: different numbers"
            t0 = time.perf_counter()
            for _ in range(repeats):
                logpost(theta)
            rows.append((f"{what}, {backend}", (time.perf_counter() - t0) / repeats))
        t0 = time.perf_counter()
        for _ in range(repeats):
            apart = np.array([logpost(row[None, :])[0] for row in theta])
        assert np.allclose(apart, reference, rtol=1e-9)
        rows.append((f"ArrayRuns, one run per walker, {backend}", (time.perf_counter() - t0) / repeats))
    base = rows[0][1]
    print(f"one half-step ({half} walkers), mean of {repeats}; load average {os.getloadavg()[0]:.1f}:")
    print("| evaluation | ms | speed-up over the old path |")
    print("|---|---:|---:|")
    for what, seconds in rows:
        print(f"| {what} | {1000 * seconds:.1f} | {base / seconds:.1f}x |")


def full(s) -> None:
    new = dict(walkers=s.WALKERS, start=s.START, tune=s.TUNE, draws=s.DRAWS)
    runs = OLD + [(f"new: {s.WALKERS} walkers, {s.START}, {s.TUNE} + {s.DRAWS}", new),
                  (f"new, started from the fit's covariance, 200 + {s.DRAWS}",
                   dict(new, start="fit", tune=200))]
    print(f"\nGuiyang posterior, seed {s.SEED} (ball: 1 % of the bounds around the calibrated values; "
          "fit: spread by the least-squares covariance):")
    print("| settings | wall s | CPU s | load | largest r-hat | smallest bulk ESS | ESS / CPU s | converged |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for what, kw in runs:
        t0, c0 = time.perf_counter(), time.process_time()
        post = s.sample(kw["walkers"], kw["draws"], kw["tune"], s.SEED, start=kw["start"])
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            summary = post.summary(round_to="none")
        rhat, ess = summary["r_hat"].max(), summary["ess_bulk"].min()
        print(f"| {what} | {wall:.1f} | {cpu:.1f} | {os.getloadavg()[0]:.1f} | {rhat:.3f} | {ess:.0f} "
              f"| {ess / cpu:.1f} | {'yes' if rhat < 1.05 else 'NO'} |", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip-full", action="store_true")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    s = script()
    half_step(s, args.repeats)
    if not args.skip_full:
        full(s)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
