"""Sobol' study of the Guiyang model: in-process, on a 2-worker Dask LocalCluster, vs PySD.

The study of issue 4: the calibrated Guiyang model, 10 uncertain parameters
sampled within their bounds, Sobol' with second-order indices at base
n = 4096 (N(2D+2) = 90 112 runs), Euler at dt = 0.25, yearly output of every
reporting variable, indices at every year 2000-2010 (the issue's "all years").
Each configuration runs in a fresh interpreter so its peak memory (VmHWM) is
its own:

1. in-process, in memory;
2. in-process, streamed to a zarr store;
3. on a LocalCluster of 2 worker processes (1 thread each), streamed to a
   zarr store (cluster start-up reported apart, not counted);
4. the larger study (n = 65 536, the power of 2 above the issue's 10x =
   40 960; 1 441 792 runs) streamed to a zarr store,
   every variable evaluated and stored, analysed for one output and year:
   its peak memory against (2).

Beside them, PySD runs the same model, exported to a Vensim file by
:func:`gysim.registry.write_registered`, in a loop for a few hundred runs;
its study time is extrapolated from that (and said so). The Dask indices must
equal the in-process ones (runs exactly, indices to 1e-12; exit code 1 otherwise).

Usage::

    python benchmarks/bench_sensitivity.py                 # the issue's study (n = 4096)
    python benchmarks/bench_sensitivity.py --n 256 --skip-large   # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path


import gysim
from gysim.batch import run_batch
from gysim.sampling import n_runs, sample
from gysim.sensitivity import analyze

PARAMS = ["birth_rate", "death_rate", "tfp_growth", "capital_share", "depreciation_rate",
          "investment_efficiency", "employment_elasticity", "farm_productivity_growth",
          "inflation_rate", "migration_growth_elasticity"]
OUTPUTS = ["gdp", "gdp_real", "gdp_real_growth", "va_primary", "va_secondary", "va_tertiary",
           "gdp_per_capita", "population", "urbanization_rate", "natural_growth_rate",
           "rural_labor_transferred", "fixed_asset_investment", "energy_intensity",
           "energy_use", "industrial_water_intensity", "water_use", "sewage_treatment_rate"]
TIMES = list(range(2000, 2011))  # every output year of the run
# The larger study is evaluated in full (every reporting variable streamed to the store) but
# analysed for one output and year: its point is memory, and SALib's bootstrap over all
# 85 output-years would take about ten times the study's own analysis.
LARGE_OUTPUTS = ["gdp"]
# Sobol' base sizes must be powers of 2, so the "10x larger" study of the issue
# (n = 40 960) becomes the next power of 2 above it: 16x.
LARGE_FACTOR = 16
LARGE_TIMES = [2010]
SIM = {"method": "euler", "dt": 0.25}
RESULTS = Path(__file__).resolve().parent / "results"


def peak_mb() -> float:
    """Peak resident memory of this process (VmHWM), in MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one(config: str, n: int, second_order: bool, chunk: int, store: str | None,
        outputs: list[str] = OUTPUTS, times: list[float] = TIMES) -> dict:
    """One configuration, in this (fresh) process."""
    model = gysim.load_model("guiyang")
    client = cluster = None
    startup = 0.0
    if config == "dask":
        from distributed import Client, LocalCluster
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                   dashboard_address=":0", silence_logs=40)
            client = Client(cluster)
        startup = time.perf_counter() - t0
    try:
        warm = sample(model, PARAMS, "sobol", 8, seed=1)
        # in two chunks, so that on Dask each worker has imported gysim and compiled the
        # model before the clock starts (as in-process; compiling is not the study)
        run_batch(model, warm, progress=False, variables=OUTPUTS, client=client,
                  chunk_size=len(warm) // 2, **SIM)
        t0 = time.perf_counter()
        s = sample(model, PARAMS, "sobol", n, seed=1, second_order=second_order)
        ens = run_batch(model, s, progress=False, variables=OUTPUTS, chunk_size=chunk,
                        client=client, store=store, **SIM)
        t1 = time.perf_counter()
        # the analysis (gysim.indices, every output and year at once) runs in this
        # process, as gysim.sensitivity does
        si = analyze(s, ens, outputs, times=times, seed=1)
        t2 = time.perf_counter()
    finally:
        if client is not None:
            client.close()
            cluster.close()
    if store:
        si.to_netcdf(store + ".indices.nc")
    return {"config": config, "runs": len(s), "evaluate": t1 - t0, "analyse": t2 - t1,
            "total": t2 - t0, "peak_mb": peak_mb(), "startup": startup}


def in_fresh_process(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, "--one", *args], capture_output=True,
                         text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def pysd_runs_per_second(n_runs_timed: int, tmp: str) -> tuple[float, int]:
    """PySD on the exported Guiyang model, a loop of runs with sampled parameters."""
    import pysd
    from gysim.registry import write_registered
    model = gysim.load_model("guiyang")
    path = write_registered("guiyang", tmp, dt=SIM["dt"])
    names = gysim.read_vensim(path).vensim_names
    s = sample(model, PARAMS, "sobol", 64, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pm = pysd.read_vensim(str(path))
        columns = [names[v] for v in OUTPUTS if v in names]
        pm.run(params={names[p]: float(s[p].iloc[0]) for p in PARAMS}, return_columns=columns)
        t0 = time.perf_counter()
        for i in range(n_runs_timed):
            row = s.iloc[i % len(s)]
            # every run sets all sampled parameters, so PySD's sticky values do no harm
            pm.run(params={names[p]: float(row[p]) for p in PARAMS}, return_columns=columns)
        elapsed = time.perf_counter() - t0
    return n_runs_timed / elapsed, n_runs_timed


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=4096, help="Sobol' base sample size (power of 2)")
    ap.add_argument("--first-order-only", action="store_true", help="no S2 (N(D+2) runs)")
    ap.add_argument("--chunk-size", type=int, default=16384)
    ap.add_argument("--pysd-runs", type=int, default=200, help="PySD runs actually timed")
    ap.add_argument("--skip-large", action="store_true", help="skip the 16x larger study")
    ap.add_argument("--one", nargs=4, metavar=("CONFIG", "N", "SECOND", "STORE"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        config, n, second, store = args.one
        large = config == "large"
        print(json.dumps(one("local" if large else config, int(n), second == "1",
                             args.chunk_size, None if store == "-" else store,
                             LARGE_OUTPUTS if large else OUTPUTS,
                             LARGE_TIMES if large else TIMES)))
        return 0

    second = "0" if args.first_order_only else "1"
    runs = n_runs("sobol", args.n, len(PARAMS), second_order=second == "1")
    tmp = tempfile.mkdtemp(prefix="gysim-bench-")
    rows = []
    try:
        rows.append(("in-process, in memory", in_fresh_process(["local", str(args.n), second, "-"])))
        rows.append(("in-process, zarr store", in_fresh_process(
            ["local", str(args.n), second, os.path.join(tmp, "local.zarr")])))
        rows.append(("2-worker LocalCluster, zarr store", in_fresh_process(
            ["dask", str(args.n), second, os.path.join(tmp, "dask.zarr")])))
        if not args.skip_large:
            rows.append((f"16x larger (n = {LARGE_FACTOR * args.n}), zarr store, analysed for "
                         f"{', '.join(LARGE_OUTPUTS)} in {LARGE_TIMES[0]:g} only", in_fresh_process(
                ["large", str(LARGE_FACTOR * args.n), second,
                 os.path.join(tmp, "large.zarr")])))
        import xarray as xr
        runs_local = xr.open_zarr(os.path.join(tmp, "local.zarr"), consolidated=False).load()
        runs_dask = xr.open_zarr(os.path.join(tmp, "dask.zarr"), consolidated=False).load()
        same_runs = bool(runs_local.drop_vars("_done").identical(runs_dask.drop_vars("_done")))
        local = xr.open_dataset(os.path.join(tmp, "local.zarr.indices.nc")).load()
        dask = xr.open_dataset(os.path.join(tmp, "dask.zarr.indices.nc")).load()
        # SALib's sums may round differently in the last bit with the arrays' memory
        # alignment, so indices are compared to 1e-12, the runs exactly.
        try:
            xr.testing.assert_allclose(local, dask, rtol=1e-12, atol=1e-14)
            same_indices = True
        except AssertionError:
            same_indices = False
        same = same_runs and same_indices
        pysd_rate, timed = pysd_runs_per_second(args.pysd_runs, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    lines = [
        "# Sobol' study of the Guiyang model: gysim in-process, on Dask, and PySD", "",
        f"{len(PARAMS)} parameters, base n = {args.n}"
        f"{' with second-order indices' if second == '1' else ''}: {runs:,} runs; Euler "
        f"dt = {SIM['dt']}, 2000-2010; {len(OUTPUTS)} reporting variables x {len(TIMES)} "
        f"years analysed; chunk size {args.chunk_size}; {os.cpu_count()} CPUs. Each row in a "
        "fresh interpreter (peak = its VmHWM).", "",
        "| configuration | runs | evaluate (s) | analyse (s) | study total (s) | runs/s "
        "(evaluate) | vs PySD | peak memory (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in rows:
        rate = r["runs"] / r["evaluate"]
        lines.append(f"| {name} | {r['runs']:,} | {r['evaluate']:.2f} | {r['analyse']:.2f} | "
                     f"{r['total']:.2f} | {rate:,.0f} | {rate / pysd_rate:,.0f}x | "
                     f"{r['peak_mb']:,.0f} |")
    lines.append(f"| PySD `run()` in a loop (extrapolated from {timed} timed runs) | {runs:,} | "
                 f"{runs / pysd_rate:,.0f} | | | {pysd_rate:,.1f} | 1x | |")
    dask_row = rows[2][1]
    lines += ["", f"LocalCluster start-up (not counted): {dask_row['startup']:.1f} s. "
              f"Dask runs identical to in-process: {same_runs}; indices equal to 1e-12: "
              f"{same_indices}.",
              "evaluate = sampling + simulation (+ writing the store); analyse = SALib's "
              "estimators with their bootstrap at every output and year (gysim.indices, "
              "equal to SALib's), in this process (also in the Dask row)."]
    if not args.skip_large:
        lines.append(f"Peak memory, {LARGE_FACTOR}x larger study vs the zarr-store study: "
                     f"{rows[3][1]['peak_mb']:,.0f} MB vs {rows[1][1]['peak_mb']:,.0f} MB.")
    text = "\n".join(lines)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_sensitivity.md").write_text(text + "\n", encoding="utf-8")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
