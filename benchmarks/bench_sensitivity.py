"""Sobol' study throughput: in-process against a 2-worker Dask LocalCluster.

Runs the same time-resolved Sobol' study of the Guiyang model (10 uncertain
parameters sampled within their bounds, Euler at ``dt`` = 0.25, yearly output
2000-2010, indices at 2006-2010) three ways and prints a Markdown table of
wall time, runs per second and the ratio to the in-process run:

The evaluation (simulating the runs, streaming them to the store) and the
analysis (SALib's Sobol' estimator with its bootstrap, at every output and
time, in this process) are timed apart.

1. in-process, in memory;
2. in-process, streamed to a zarr store;
3. on a LocalCluster of 2 worker processes (1 thread each), streamed to a zarr store.

It also checks that the Dask indices are identical to the in-process ones
(and exits non-zero if they are not). The time to start the cluster is
reported apart and not counted in the study's wall time. Peak memory is the
parent process's peak RSS (``ru_maxrss``), which only grows: read it per row
as "at most".

This is the scaled-down study of issue 4 (the issue's full study is base
n = 4096 with second-order indices, 90 112 runs); pass ``--n 4096
--second-order`` for that.

Usage::

    python benchmarks/bench_sensitivity.py              # n = 256: 3 072 runs
    python benchmarks/bench_sensitivity.py --n 1024     # 12 288 runs
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
import warnings

import xarray as xr

import gysim
from gysim.batch import run_batch
from gysim.sampling import n_runs, sample
from gysim.sensitivity import analyze

PARAMS = ["birth_rate", "death_rate", "tfp_growth", "capital_share", "depreciation_rate",
          "investment_efficiency", "employment_elasticity", "farm_productivity_growth",
          "inflation_rate", "migration_growth_elasticity"]
OUTPUTS = ["gdp", "gdp_per_capita", "population", "urbanization_rate", "energy_intensity",
           "energy_use", "water_use", "registered_unemployment_rate"]
TIMES = [2006, 2007, 2008, 2009, 2010]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def study(model, n, second_order, **kw):
    """The steps of :func:`gysim.sensitivity`, timed apart: (indices, evaluate s, analyse s)."""
    s = sample(model, PARAMS, "sobol", n, seed=1, second_order=second_order)
    t0 = time.perf_counter()
    ens = run_batch(model, s, progress=False, variables=OUTPUTS, method="euler", dt=0.25, **kw)
    t1 = time.perf_counter()
    si = analyze(s, ens, OUTPUTS, times=TIMES, seed=1)
    return si, t1 - t0, time.perf_counter() - t1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=256, help="Sobol' base sample size (power of 2)")
    ap.add_argument("--second-order", action="store_true", help="also S2 (N(2D+2) runs)")
    ap.add_argument("--chunk-size", type=int, default=512)
    args = ap.parse_args(argv)

    model = gysim.load_model("guiyang")
    runs = n_runs("sobol", args.n, len(PARAMS), second_order=args.second_order)
    tmp = tempfile.mkdtemp(prefix="gysim-bench-")
    rows = []
    try:
        study(model, 8, False)  # warm-up: compile, imports
        base, wall, ana = study(model, args.n, args.second_order, chunk_size=args.chunk_size)
        rows.append(("in-process, in memory", wall, ana, peak_mb()))
        _, wall, ana2 = study(model, args.n, args.second_order, chunk_size=args.chunk_size,
                        store=os.path.join(tmp, "local.zarr"))
        rows.append(("in-process, zarr store", wall, ana2, peak_mb()))

        from distributed import Client, LocalCluster
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                   dashboard_address=":0", silence_logs=40)
            client = Client(cluster)
        startup = time.perf_counter() - t0
        try:
            study(model, 8, False, client=client)  # warm-up: workers import gysim
            dask_si, wall, ana3 = study(model, args.n, args.second_order,
                                        chunk_size=args.chunk_size,
                                        client=client, store=os.path.join(tmp, "dask.zarr"))
            rows.append(("2-worker LocalCluster, zarr store", wall, ana3, peak_mb()))
        finally:
            client.close()
            cluster.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    same = dask_si.identical(base)
    ref = rows[0][1]
    print(f"Sobol' study of the Guiyang model: {len(PARAMS)} parameters, n = {args.n}, "
          f"{runs} runs, {len(OUTPUTS)} outputs x {len(TIMES)} times analysed, "
          f"chunk_size = {args.chunk_size}, {os.cpu_count()} CPUs\n")
    print("| where | evaluate (s) | runs/s | speed vs in-process | analyse (s) | "
          "peak RSS so far (MB) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, wall, ana, mem in rows:
        print(f"| {name} | {wall:.2f} | {runs / wall:,.0f} | {ref / wall:.2f}x | {ana:.2f} | "
              f"{mem:,.0f} |")
    print("\nevaluate: sampling excluded, simulation and (for stores) writing included; "
          "analyse: SALib at every output and time, always in this process")
    print(f"\nLocalCluster start-up (not counted above): {startup:.1f} s")
    print(f"Dask indices identical to in-process: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
