"""The Guiyang posterior: time to sample it, and the vectorized walkers against one run per walker.

1. ``calibration/posterior.py``'s sampling (6 parameters + 7 observation
   errors, its walkers, tuning and kept steps, its seed), timed, with the
   slowest mixing it reports (largest r-hat, smallest bulk ESS) and ESS per
   second. The issue asks for under 2 minutes on 2 cores.
2. Side by side, the cost of one emcee half-step: the log posterior of half
   the walkers as ONE ensemble run (what sample_posterior does,
   ``vectorize=True``) against one run per walker (emcee's default,
   ``vectorize=False``), over the same points; the ratio is the speed-up.

Usage::

    python benchmarks/bench_posterior.py            # both
    python benchmarks/bench_posterior.py --skip-full  # only the side-by-side
"""

from __future__ import annotations

import argparse
import importlib.util
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


def script():
    spec = importlib.util.spec_from_file_location("guiyang_posterior", ROOT / "calibration" / "posterior.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def full(s) -> None:
    started = time.perf_counter()
    post = s.sample()
    seconds = time.perf_counter() - started
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summary = post.summary(round_to="none")
    steps = post.settings["tune"] + post.settings["draws"]
    print(f"Guiyang posterior: {len(post.names)} parameters + {len(post.free_sigma)} sigmas, "
          f"{post.settings['walkers']} walkers x {steps} steps (seed {post.settings['seed']})")
    print(f"  sampling: {seconds:.1f} s ({steps / seconds:.1f} steps/s, "
          f"{2 * steps / seconds:.1f} ensemble runs/s)")
    print(f"  largest r-hat {summary['r_hat'].max():.3f}, smallest bulk ESS {summary['ess_bulk'].min():.0f} "
          f"({summary['ess_bulk'].min() / seconds:.1f} per second), acceptance {post.acceptance.mean():.2f}")


def side_by_side(s, repeats: int) -> None:
    model = gysim.load_model("guiyang")
    names = s.fitted_parameters()
    options = s.options()
    names, lower, upper, _ = calibrated_parameters(model, names, None)
    frame = data_frame(model, s.data(), model.stop, [])
    options["stop"] = float(frame.index[-1])
    logpost = LogPosterior(model, names, parameter_priors(names, lower, upper, None), frame,
                           "lognormal", None, None, options)
    rng = np.random.default_rng(0)
    centre = current_values(model, names, options)
    half = s.WALKERS // 2
    x = np.clip(centre + 0.005 * (upper - lower) * rng.standard_normal((half, len(names))), lower, upper)
    theta = np.hstack([x, np.log(np.full((half, len(logpost.free)), 0.02))])
    logpost(theta)                                             # compile, check units
    t0 = time.perf_counter()
    for _ in range(repeats):
        together = logpost(theta)
    vectorized = (time.perf_counter() - t0) / repeats
    t0 = time.perf_counter()
    for _ in range(repeats):
        apart = np.array([logpost(row[None, :])[0] for row in theta])
    looped = (time.perf_counter() - t0) / repeats
    assert np.allclose(together, apart, rtol=1e-10), "the vectorized log posterior differs"
    print(f"one half-step ({half} walkers), mean of {repeats}:")
    print("| evaluation | seconds | ratio |")
    print("|---|---:|---:|")
    print(f"| one ensemble run (vectorize=True) | {vectorized:.4f} | 1.0 |")
    print(f"| one run per walker (vectorize=False) | {looped:.4f} | {looped / vectorized:.1f}x |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip-full", action="store_true")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    s = script()
    side_by_side(s, args.repeats)
    if not args.skip_full:
        full(s)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
