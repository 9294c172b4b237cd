"""The numba backend against the numpy backend, hand-written numpy and PySD, side by side.

Rows (each a median of repeated runs after a warm-up; compile time shown apart):

1. Earth4All (``../shared/real-models/earth4all``), one run: gysim numba,
   gysim numpy, PySD. The published file does not read yet (its
   ``RANDOM PINK NOISE`` call): a copy in a temporary folder has that call
   replaced by its mean (the noise's "normal" argument), for gysim and PySD alike.
2. Earth4All, an ensemble of ``--e4a-runs`` runs (parameters +-10 %), numba
   on 1 and 2 threads, and numpy.
3. The Guiyang model's kernel compiled cold (wall and CPU time).
4. The ensemble model of ``bench_ensemble.py``, 10 000 runs: the hand-written
   numpy Euler loop, gysim numpy, gysim numba on 1 and 2 threads, timed in
   interleaved rounds (``bench_ensemble.backend_comparison``), with ratios
   and the thread scaling.

The script checks that numba and numpy agree (1e-12 relative) before timing.
Run: ``python benchmarks/bench_compiled.py [--quick]``; the table goes to
stdout and ``benchmarks/results/bench_compiled.md``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
E4A = HERE.parents[1] / "shared" / "real-models" / "earth4all" / "E4A-global-TLTL.mdl"
RESULTS = HERE / "results" / "bench_compiled.md"


def median(fn, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def threads(n):
    import numba
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))


def worst(a, b):
    w = 0.0
    for v in a.data_vars:
        x, y = a[v].values, b[v].values
        ok = np.isfinite(x)
        w = max(w, float(np.max(np.abs(x[ok] - y[ok]) / np.maximum(np.abs(x[ok]), 1e-300),
                                initial=0.0)))
    return w


def patched_e4a(folder: Path) -> Path | None:
    if not E4A.is_file():
        return None
    text = E4A.read_text(encoding="utf-8", errors="surrogateescape")
    call = ('RANDOM PINK NOISE("Normal (1)" ,"STD in fluctuation around normal (1)", '
            'Sampling time y\\\n\t\t, 1)')
    text = text.replace(call, '"Normal (1)"')
    target = folder / "E4A-patched.mdl"
    target.write_text(text, encoding="utf-8", errors="surrogateescape")
    return target


def bench_e4a(rows, folder, n_runs, repeats):
    import gysim
    path = patched_e4a(folder)
    if path is None:
        rows.append(("Earth4All", "not available", "", ""))
        return
    model = gysim.load_model(path)
    compiled = model.compile()
    t = time.perf_counter()
    kernel, reason = compiled.kernel()
    if kernel is None:
        rows.append(("Earth4All", f"numba cannot compile: {reason}", "", ""))
        return
    compile_s = time.perf_counter() - t
    print(f"Earth4All: numba kernel in {compile_s:.1f} s", flush=True)
    a = gysim.simulate(model, backend="numpy")
    b = gysim.simulate(model, backend="numba")
    print(f"Earth4All numba vs numpy: worst relative difference {worst(a, b):.2e}", flush=True)
    threads(1)
    t_nb = median(lambda: gysim.simulate(model, backend="numba"), repeats)
    t_np = median(lambda: gysim.simulate(model, backend="numpy"), max(1, repeats // 3))
    rows.append(("Earth4All, 1 run", "gysim numba (warm)", f"{t_nb:.3f} s",
                 f"compile {compile_s:.1f} s ({'from cache' if kernel.cached else 'cold'})"))
    rows.append(("Earth4All, 1 run", "gysim numpy", f"{t_np:.3f} s",
                 f"{t_np / t_nb:.0f}x slower than numba"))
    try:
        import pysd
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pm = pysd.read_vensim(str(path))
            pm.run()
            t_pysd = median(lambda: pm.run(), max(1, repeats // 3))
        rows.append(("Earth4All, 1 run", "PySD", f"{t_pysd:.3f} s",
                     f"numba is {t_pysd / t_nb:.0f}x faster"))
    except Exception as err:  # PySD's own failure is a row, not a crash
        rows.append(("Earth4All, 1 run", "PySD", "failed", f"{type(err).__name__}: {err}"[:80]))
    rng = np.random.default_rng(1)
    names = [n for n, p in model.params.items() if np.ndim(p.value) == 0 and p.value][:5]
    params = {n: model.params[n].value * rng.uniform(0.9, 1.1, n_runs) for n in names}
    # saved yearly: every step of 1 000 runs would be 31 GiB (simulate refuses it)
    yearly = dict(params=params, saveper=1.0)
    gysim.simulate(model, backend="numba", **yearly)  # first touch of this size
    rounds = {1: [], 2: []}
    for _ in range(3):  # interleaved rounds: the machine's load falls on both
        for n_threads in (1, 2):
            threads(n_threads)
            rounds[n_threads].append(median(
                lambda: gysim.simulate(model, backend="numba", **yearly), 1))
    t1, t2 = statistics.median(rounds[1]), statistics.median(rounds[2])
    threads(1)
    tn = median(lambda: gysim.simulate(model, backend="numpy", **yearly), 1)
    label = f"Earth4All, {n_runs} runs saved yearly"
    rows.append((label, "gysim numba, 1 thread", f"{t1:.2f} s",
                 f"median of {len(rounds[1])} rounds, interleaved with 2 threads"))
    rows.append((label, "gysim numba, 2 threads", f"{t2:.2f} s", f"{t1 / t2:.2f}x the 1-thread"))
    rows.append((label, "gysim numpy", f"{tn:.2f} s", f"{tn / t2:.1f}x slower than numba (2)"))


def bench_guiyang_compile(rows):
    """The Guiyang model's numba kernel compiled cold (an empty cache directory): wall and CPU."""
    sys.path.insert(0, str(HERE.parent))
    from models import guiyang
    folder = tempfile.mkdtemp(prefix="gysim-guiyang-cache-")
    old = os.environ.get("GYSIM_CACHE_DIR")
    os.environ["GYSIM_CACHE_DIR"] = folder
    try:
        compiled = guiyang.build().compile()
        c0, t0 = time.process_time(), time.perf_counter()
        kernel, reason = compiled.kernel()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        if old is None:
            os.environ.pop("GYSIM_CACHE_DIR", None)
        else:
            os.environ["GYSIM_CACHE_DIR"] = old
        shutil.rmtree(folder, ignore_errors=True)
    what = f"{compiled.n_state_rows} state rows, {len(compiled.order)} equations"
    rows.append(("Guiyang model, compile (cold cache)", what,
                 f"{wall:.1f} s wall" if kernel is not None else f"failed: {reason}",
                 f"{cpu:.1f} s CPU; load {os.getloadavg()[0]:.1f}"))


def bench_ensemble(rows, n, repeats):
    """bench_ensemble.py's model, n runs: its backend comparison (interleaved rounds)."""
    import bench_ensemble as be
    result = be.backend_comparison(n, repeats)
    print("\n".join(be.backend_table(result, n)), flush=True)
    sec = result["seconds"]
    hand = sec["hand-written numpy"]
    label = f"bench_ensemble model, {n} runs"
    for k, v in sec.items():
        note = f"{v / hand:.2f}x hand-written numpy's time"
        if k == "gysim numba, 1 thread":
            note += f"; compile {result['compile_seconds']:.1f} s"
        if k.endswith(f"{result['threads']} threads"):
            note += f"; {sec['gysim numba, 1 thread'] / v:.2f}x the 1-thread speed"
        rows.append((label, k, f"{v:.3f} s", note))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs and repeats")
    parser.add_argument("--e4a-runs", type=int, default=None)
    parser.add_argument("--only", choices=("ensemble", "e4a", "guiyang"), default=None)
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else 5
    e4a_runs = args.e4a_runs or (100 if args.quick else 1000)
    folder = Path(tempfile.mkdtemp(prefix="gysim-bench-compiled-"))
    rows: list[tuple] = []
    try:
        if args.only in (None, "ensemble"):
            bench_ensemble(rows, 1000 if args.quick else 10_000, repeats)
        if args.only in (None, "guiyang"):
            bench_guiyang_compile(rows)
        if args.only in (None, "e4a"):
            bench_e4a(rows, folder, e4a_runs, repeats)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    lines = [f"# numba backend ({time.strftime('%Y-%m-%d %H:%M')}, load {os.getloadavg()[0]:.1f},"
             f" {os.cpu_count()} cores)", "", "| case | what | time | note |", "|---|---|---|---|"]
    lines += [f"| {' | '.join(r)} |" for r in rows]
    text = "\n".join(lines)
    print(text)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(text + "\n")


if __name__ == "__main__":
    main()
