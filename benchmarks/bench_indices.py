"""Time-resolved indices: gysim.indices (all series at once) against SALib (one at a time).

The Guiyang model's study outputs (``bench_sensitivity.OUTPUTS``) at every
saved year are evaluated once for a Sobol' (with S2), a Morris and an eFAST
sample; then the indices of every (output, year) are computed both ways on
the same ensemble and the same bootstrap draws, checked equal (1e-12
relative, with a floor of 1e-12 of each index's scale), and timed (a Morris interval of equal effects is rounding noise: its floor is
1e-12 of ``mu_star``).

Run: ``python benchmarks/bench_indices.py [--n 512]``.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main(argv=None) -> int:
    import gysim
    from gysim import indices
    from gysim.batch import run_batch
    from gysim.sampling import sample
    from SALib.analyze import fast as salib_fast, morris as salib_morris, sobol as salib_sobol
    from bench_sensitivity import OUTPUTS, PARAMS, SIM

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=512, help="Sobol' base size (power of 2)")
    args = ap.parse_args(argv)
    model = gysim.load_model("guiyang")
    D = len(PARAMS)
    rows, bad = [], 0
    for method, n in (("sobol", args.n), ("morris", args.n // 4), ("fast", 4 * args.n)):
        opts = {"second_order": True} if method == "sobol" else {}
        s = sample(model, PARAMS, method, n, seed=1, **opts)
        ens = run_batch(model, s, progress=False, variables=OUTPUTS, **SIM)
        Y = np.concatenate([ens[v].transpose("time", "run").values for v in OUTPUTS])
        Y = Y[np.ptp(Y, axis=1) > 1e-12 * np.max(np.abs(Y), axis=1)]  # varying series only
        prob = s.attrs["problem"]
        X = s.to_numpy(dtype=float)
        t0 = time.perf_counter()
        if method == "sobol":
            mine = indices.sobol(Y, D, seed=1)
        elif method == "morris":
            mine = indices.morris(X, Y, num_levels=s.attrs.get("num_levels", 4), seed=1)
        else:
            mine = indices.fast(Y, D, M=s.attrs.get("fast_m", 4), seed=1)
        t_mine = time.perf_counter() - t0
        t0 = time.perf_counter()
        worst = 0.0
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            for i, y in enumerate(Y):
                if method == "sobol":
                    ref = salib_sobol.analyze(prob, y, calc_second_order=True, seed=1)
                elif method == "morris":
                    ref = salib_morris.analyze(prob, X, y, seed=1,
                                               num_levels=s.attrs.get("num_levels", 4))
                else:
                    ref = salib_fast.analyze(prob, y, M=s.attrs.get("fast_m", 4), seed=1)
                for key, got in mine.items():
                    want = np.asarray(ref[key], float)
                    ok = ~np.isnan(want)
                    # Morris: the effects' scale (an interval of equal effects is noise)
                    ref_scale = np.asarray(ref["mu_star" if method == "morris" else key], float)
                    scale = max(np.nanmax(np.abs(ref_scale), initial=0.0), 1e-300)
                    err = np.abs(got[..., i][ok] - want[ok]) / (np.abs(want[ok]) + scale)
                    worst = max(worst, float(np.max(err, initial=0.0)))
        t_salib = time.perf_counter() - t0
        bad += worst > 1e-12
        rows.append((method, len(X), len(Y), t_salib, t_mine, worst))
    print("| method | runs | series (output x year) | SALib loop | gysim.indices | speed-up "
          "| worst difference |\n|---|---|---|---|---|---|---|")
    for method, runs, n_series, a, b, w in rows:
        print(f"| {method} | {runs} | {n_series} | {a:.2f} s | {b:.2f} s | {a / b:.1f}x | {w:.1e} |")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
