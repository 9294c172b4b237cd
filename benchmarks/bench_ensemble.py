"""Ensemble throughput: gysim against PySD and a hand-written numpy Euler loop.

One model, written three ways side by side:

(a) the gysim Python DSL (:func:`build_gysim`),
(b) the same model as a Vensim file, ``benchmarks/models/bench.mdl``, run by PySD,
(c) a hand-written vectorized numpy Euler loop over arrays of shape (n_runs,)
    (:func:`run_numpy`): the practical floor for a pure-numpy engine.

All three integrate with Euler at the same ``dt`` over the same horizon and
save the same points. The script first checks that they agree numerically
(and exits non-zero if they do not), then measures single-run latency,
ensemble throughput for 1, 100, 1 000 and 10 000 runs and the peak memory of
the 10 000-run ensemble, prints a Markdown table and writes it to
``benchmarks/results/bench_ensemble.md``.

Parameters vary across runs uniformly within +-20 % of their defaults, from a
fixed seed. PySD runs one model at a time, so for the larger ensembles it is
timed on a subset of runs and extrapolated; those rows say so.

Usage::

    python benchmarks/bench_ensemble.py            # the full benchmark (a few minutes)
    python benchmarks/bench_ensemble.py --quick    # smaller sizes, for a smoke test
    python benchmarks/bench_ensemble.py --backends # only the backends side by side (10 000 runs)

Section 4 times the largest ensemble four ways in interleaved rounds:
hand-written numpy, gysim's numpy backend, and gysim's numba backend on one
and on two threads, with each one's time relative to hand-written numpy and
the thread scaling (see :func:`backend_comparison`), beside the machine's own
thread scaling for compiled arithmetic in the same rounds
(:func:`machine_reference`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
MDL = HERE / "models" / "bench.mdl"
RESULTS = HERE / "results" / "bench_ensemble.md"

START, STOP, DT, SAVEPER = 2000.0, 2030.0, 0.125, 1.0
SEED = 20060101
SPREAD = 0.2  # parameters vary within +-20 % of their defaults
AGREEMENT_RTOL, AGREEMENT_ATOL = 1e-9, 1e-12

# gysim name -> (default value, Vensim name)
PARAMS = {
    "birth_rate": (0.013, "birth rate"),
    "death_rate": (0.006, "death rate"),
    "pollution_mortality": (0.05, "pollution mortality"),
    "participation_rate": (0.55, "participation rate"),
    "labour_adjustment_time": (2.0, "labour adjustment time"),
    "savings_rate": (0.35, "savings rate"),
    "depreciation_rate": (0.06, "depreciation rate"),
    "capital_share": (0.4, "capital share"),
    "total_factor_productivity": (20.0, "total factor productivity"),
    "efficiency_improvement_rate": (0.03, "efficiency improvement rate"),
    "emission_factor": (0.004, "emission factor"),
    "pollution_lifetime": (8.0, "pollution lifetime"),
    "reference_pollution": (10.0, "reference pollution"),
    "initial_population": (3.5, "initial population"),
    "initial_labour": (1.8, "initial labour"),
    "initial_capital": (600.0, "initial capital"),
    "initial_energy_intensity": (1.5, "initial energy intensity"),
    "initial_pollution": (8.0, "initial pollution"),
}
DAMAGE_X = [0.0, 1.0, 2.0, 3.0, 4.0, 6.0]
DAMAGE_Y = [1.0, 0.98, 0.93, 0.85, 0.75, 0.6]

# every variable gysim returns -> PySD's column (the original Vensim name)
VARIABLES = {
    "population": "Population",
    "labour": "Labour",
    "capital": "Capital",
    "energy_intensity": "Energy Intensity",
    "pollution": "Pollution",
    "births": "births",
    "deaths": "deaths",
    "labour_change": "labour change",
    "investment": "investment",
    "depreciation": "depreciation",
    "intensity_decline": "intensity decline",
    "emissions": "emissions",
    "absorption": "absorption",
    "output": "output",
    "energy_use": "energy use",
    "pollution_ratio": "pollution ratio",
    "output_per_capita": "output per capita",
}


# --- (a) gysim ----------------------------------------------------------------


def build_gysim():
    import gysim

    m = gysim.Model("bench_economy", start=START, stop=STOP, dt=DT, time_units="year",
                    doc="Benchmark: a small economy with population, labour, capital, "
                        "energy intensity and pollution.")
    for name, (value, _) in PARAMS.items():
        m.param(name, value)
    m.lookup("pollution_damage_f", DAMAGE_X, DAMAGE_Y)

    m.stock("population", "initial_population")
    m.stock("labour", "initial_labour")
    m.stock("capital", "initial_capital")
    m.stock("energy_intensity", "initial_energy_intensity")
    m.stock("pollution", "initial_pollution")

    m.aux("pollution_ratio", "pollution / reference_pollution")
    m.aux("output", "total_factor_productivity * capital ** capital_share"
                    " * labour ** (1 - capital_share) * pollution_damage_f(pollution_ratio)")
    m.aux("energy_use", "output * energy_intensity")
    m.aux("output_per_capita", "output / population")

    m.flow("births", "population * birth_rate", into="population")
    m.flow("deaths", "population * death_rate * (1 + pollution_mortality * pollution_ratio)",
           out_of="population")
    m.flow("labour_change", "(participation_rate * population - labour)"
                            " / labour_adjustment_time", into="labour")
    m.flow("investment", "savings_rate * output", into="capital")
    m.flow("depreciation", "capital * depreciation_rate", out_of="capital")
    m.flow("intensity_decline", "energy_intensity * efficiency_improvement_rate",
           out_of="energy_intensity")
    m.flow("emissions", "energy_use * emission_factor", into="pollution")
    m.flow("absorption", "pollution / pollution_lifetime", out_of="pollution")
    return m


def run_gysim(model, params):
    import gysim

    return gysim.simulate(model, params=params, method="euler", dt=DT, saveper=SAVEPER)


def gysim_arrays(ds):
    """name -> array (time, run) from a gysim Dataset."""
    out = {}
    for name in VARIABLES:
        values = ds[name].values
        out[name] = values[:, None] if values.ndim == 1 else values
    return out


# --- (b) PySD -------------------------------------------------------------------


def load_pysd(workdir: Path):
    """Translate bench.mdl in a scratch directory (PySD writes a .py beside it)."""
    import pysd

    target = workdir / MDL.name
    shutil.copy(MDL, target)
    return pysd.read_vensim(str(target))


def run_pysd(model, params):
    """One PySD run; every varied parameter is set on every run (PySD keeps them)."""
    return model.run(params={PARAMS[k][1]: float(v) for k, v in params.items()})


def pysd_arrays(frames):
    """name -> array (time, run) from a list of PySD DataFrames."""
    return {name: np.column_stack([df[col].to_numpy(dtype=float) for df in frames])
            for name, col in VARIABLES.items()}


# --- (c) hand-written numpy ---------------------------------------------------


def run_numpy(params, n):
    """Euler over arrays of shape (n,): the same model, no engine at all."""
    p = {k: np.broadcast_to(np.asarray(params.get(k, v), dtype=float), (n,))
         for k, (v, _) in PARAMS.items()}
    n_steps = int(round((STOP - START) / DT))
    save_every = int(round(SAVEPER / DT))
    n_save = n_steps // save_every + 1
    out = {name: np.empty((n_save, n)) for name in VARIABLES}

    population = p["initial_population"].copy()
    labour = p["initial_labour"].copy()
    capital = p["initial_capital"].copy()
    intensity = p["initial_energy_intensity"].copy()
    pollution = p["initial_pollution"].copy()
    labour_exponent = 1 - p["capital_share"]
    for k in range(n_steps + 1):
        pollution_ratio = pollution / p["reference_pollution"]
        output = (p["total_factor_productivity"] * capital ** p["capital_share"]
                  * labour ** labour_exponent * np.interp(pollution_ratio, DAMAGE_X, DAMAGE_Y))
        energy_use = output * intensity
        births = population * p["birth_rate"]
        deaths = population * p["death_rate"] * (1 + p["pollution_mortality"] * pollution_ratio)
        labour_change = (p["participation_rate"] * population - labour) \
            / p["labour_adjustment_time"]
        investment = p["savings_rate"] * output
        depreciation = capital * p["depreciation_rate"]
        intensity_decline = intensity * p["efficiency_improvement_rate"]
        emissions = energy_use * p["emission_factor"]
        absorption = pollution / p["pollution_lifetime"]
        if k % save_every == 0:
            j = k // save_every
            for name, value in (
                ("population", population), ("labour", labour), ("capital", capital),
                ("energy_intensity", intensity), ("pollution", pollution),
                ("births", births), ("deaths", deaths), ("labour_change", labour_change),
                ("investment", investment), ("depreciation", depreciation),
                ("intensity_decline", intensity_decline), ("emissions", emissions),
                ("absorption", absorption), ("output", output), ("energy_use", energy_use),
                ("pollution_ratio", pollution_ratio),
                ("output_per_capita", output / population),
            ):
                out[name][j] = value
        if k == n_steps:
            break
        population = population + DT * (births - deaths)
        labour = labour + DT * labour_change
        capital = capital + DT * (investment - depreciation)
        intensity = intensity - DT * intensity_decline
        pollution = pollution + DT * (emissions - absorption)
    return out


# --- inputs, checks, timing ---------------------------------------------------------


def sample_params(n, seed=SEED):
    """Every parameter uniform within +-20 % of its default; fixed seed."""
    rng = np.random.default_rng(seed)
    return {k: v * rng.uniform(1 - SPREAD, 1 + SPREAD, n) for k, (v, _) in PARAMS.items()}


def row(samples, i):
    return {k: float(v[i]) for k, v in samples.items()}


def disagreement(label, got, want):
    """Names (with the worst relative error) where ``got`` and ``want`` differ."""
    problems = []
    for name in VARIABLES:
        a, b = got[name], want[name]
        if a.shape != b.shape:
            problems.append(f"{label}: {name}: shapes {a.shape} and {b.shape}")
            continue
        if not np.allclose(a, b, rtol=AGREEMENT_RTOL, atol=AGREEMENT_ATOL):
            rel = np.max(np.abs(a - b) / np.maximum(np.abs(b), AGREEMENT_ATOL))
            problems.append(f"{label}: {name}: max relative difference {rel:.3g}")
    return problems


def check_agreement(gmodel, pmodel):
    problems = []
    defaults = {k: v for k, (v, _) in PARAMS.items()}
    g = gysim_arrays(run_gysim(gmodel, defaults))
    problems += disagreement("gysim vs PySD (defaults)", g, pysd_arrays([run_pysd(pmodel,
                                                                                  defaults)]))
    problems += disagreement("gysim vs numpy (defaults)", g, run_numpy(defaults, 1))
    samples = sample_params(100)
    ens = gysim_arrays(run_gysim(gmodel, samples))
    problems += disagreement("gysim vs numpy (100-run ensemble)", ens, run_numpy(samples, 100))
    picks = [0, 37, 99]
    problems += disagreement("gysim ensemble vs PySD runs",
                             {k: v[:, picks] for k, v in ens.items()},
                             pysd_arrays([run_pysd(pmodel, row(samples, i)) for i in picks]))
    return problems


def backend_comparison(n, repeats, seed=SEED):
    """The n-run ensemble four ways, timed in interleaved rounds; medians and ratios.

    Hand-written numpy, gysim with ``backend="numpy"``, and gysim with
    ``backend="numba"`` on 1 and on 2 threads (``numba.set_num_threads``);
    and the machine's reference loop on 1 and 2 threads (:func:`machine_reference`).
    Each round times every row once, so a change in the machine's load
    falls on all rows alike; the medians of ``repeats`` rounds are reported.
    The numba kernel is compiled (or loaded from its cache) before timing,
    and its compile time is returned apart. The numba results are checked
    against the numpy backend's first (1e-12 relative).

    Returns
    -------
    dict
        ``seconds`` (row -> median), ``compile_seconds``, ``cached``,
        ``load`` (1-minute load average before and after), ``rounds``.
    """
    import gysim
    import numba

    model = build_gysim()
    params = sample_params(n, seed)
    opts = dict(params=params, method="euler", dt=DT, saveper=SAVEPER)
    t = time.perf_counter()
    kernel, reason = model.compile().kernel()
    compile_s = time.perf_counter() - t
    if kernel is None:
        raise SystemExit(f"numba backend unavailable: {reason}")
    a = gysim.simulate(model, backend="numpy", **opts)
    b = gysim.simulate(model, backend="numba", **opts)
    for name in a.data_vars:
        np.testing.assert_allclose(b[name].values, a[name].values, rtol=1e-12, err_msg=name)
    old = numba.get_num_threads()
    two = min(2, numba.config.NUMBA_NUM_THREADS)

    def numba_on(threads):
        def go():
            numba.set_num_threads(threads)
            try:
                gysim.simulate(model, backend="numba", **opts)
            finally:
                numba.set_num_threads(old)
        return go

    reference = machine_reference()
    rows = {"hand-written numpy": lambda: run_numpy(params, n),
            "gysim numpy": lambda: gysim.simulate(model, backend="numpy", **opts),
            "gysim numba, 1 thread": numba_on(1),
            f"gysim numba, {two} threads": numba_on(two),
            REFERENCE_ONE: lambda: reference(1),
            REFERENCE_TWO.format(two): lambda: reference(two)}
    load_before = _load_average()
    times = {k: [] for k in rows}
    cpu = {k: [] for k in rows}
    for _ in range(repeats):
        for k, fn in rows.items():
            c0, t0 = time.process_time(), time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t0)
            cpu[k].append(time.process_time() - c0)
    return {"seconds": {k: statistics.median(v) for k, v in times.items()},
            "cpu_seconds": {k: statistics.median(v) for k, v in cpu.items()},
            "compile_seconds": compile_s, "cached": kernel.cached,
            "load": (load_before, _load_average()), "rounds": repeats, "threads": two}


REFERENCE_ONE = "machine reference: compiled arithmetic, 1 thread"
REFERENCE_TWO = "machine reference: compiled arithmetic, {} threads"
#: Iterations of the reference loop: about as long as the ensemble's kernel on one thread.
REFERENCE_ITERATIONS = 4_800_000


def machine_reference():
    """What the machine itself gives a second thread: a compiled loop of pure arithmetic.

    The loop (``pow`` and a few multiplications and additions, as a model's
    step has, with no memory traffic) is split evenly between threads that
    release the GIL, as the numba backend splits runs. Its thread scaling is
    the ceiling for any code on this machine at that moment: a virtual
    machine's two cores can share one physical core's arithmetic units
    (measured here: 1.5x to 1.94x for this loop, in runs minutes apart, while a
    loop of dependent square roots, which leaves those units idle, scaled
    1.99x). Returns ``go(threads)``, which runs the loop once (compiled on the
    first call, before the timing).
    """
    import threading

    import numba

    @numba.njit(nogil=True)
    def arithmetic(count, seed):
        total = 0.0
        for i in range(count):
            x = 1.0 + (i % 1000) * 1e-3 + seed
            total += np.power(x, 0.37) * 0.5 + np.power(x, 1.3) * x
        return total

    arithmetic(10, 0.0)

    def go(threads):
        share = REFERENCE_ITERATIONS // threads
        workers = [threading.Thread(target=arithmetic, args=(share, float(i)))
                   for i in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    return go


def backend_table(result, n):
    """Markdown lines of :func:`backend_comparison`'s result: times, ratios, thread scaling."""
    sec = result["seconds"]
    hand = sec["hand-written numpy"]
    one, two = sec["gysim numba, 1 thread"], sec[f"gysim numba, {result['threads']} threads"]
    lines = [f"{n:,} runs, Euler, {int(round((STOP - START) / DT))} steps, medians of "
             f"{result['rounds']} interleaved rounds; 1-minute load average "
             f"{result['load'][0]} before, {result['load'][1]} after. numba kernel: "
             f"{result['compile_seconds']:.2f} s to make "
             f"({'loaded from the disk cache' if result['cached'] else 'compiled'}), "
             f"not in the times.",
             "",
             "| implementation | wall time (s) | wall time / hand-written numpy | CPU time (s, "
             "all threads) | CPU time / hand-written numpy |",
             "|---|---:|---:|---:|---:|"]
    cpu = result["cpu_seconds"]
    for k, v in sec.items():
        if k.startswith("machine reference"):  # not the model: no ratio to hand-written numpy
            lines.append(f"| {k} | {v:.3f} | | {cpu[k]:.3f} | |")
            continue
        lines.append(f"| {k} | {v:.3f} | {v / hand:.2f} | {cpu[k]:.3f} | "
                     f"{cpu[k] / cpu['hand-written numpy']:.2f} |")
    ceiling = sec[REFERENCE_ONE] / sec[REFERENCE_TWO.format(result["threads"])]
    lines += ["", f"Thread scaling (numba, wall time on 1 thread / on {result['threads']} "
                  f"threads): **{one / two:.2f}x**; the machine's own for compiled arithmetic "
                  f"in the same rounds (the reference rows, :func:`machine_reference`): "
                  f"{ceiling:.2f}x. On a busy machine (load average "
                  "above the number of cores) the wall times measure the share of the "
                  "processors this process got, not the code: the CPU times are the code's "
                  "cost."]
    return lines


def median_seconds(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure_memory(impl, n):
    """Run in a fresh interpreter: peak memory of one n-run ensemble."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--memory", impl, "--runs", str(n)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:] or ["failed"]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _peak_rss_mb():
    """High-water resident set size of this process, in MB.

    On Linux ``VmHWM`` belongs to the current address space; ``ru_maxrss``
    there survives ``exec`` and so can report the parent's peak instead.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    # ru_maxrss is in KiB on Linux, bytes on macOS
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def _memory_child(impl, n):
    samples = sample_params(n)
    if impl == "gysim":
        model = build_gysim()
        run_gysim(model, row(samples, 0))          # compile and warm up outside the window
        go = lambda: run_gysim(model, samples)      # noqa: E731
    else:
        run_numpy(row(samples, 0), 1)
        go = lambda: run_numpy(samples, n)          # noqa: E731
    rss_before = _peak_rss_mb()
    tracemalloc.start()
    result = go()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = _peak_rss_mb()
    del result
    print(json.dumps({"tracemalloc_peak_mb": peak / 2**20,
                      "maxrss_increase_mb": rss_after - rss_before}))


# --- the report -----------------------------------------------------------------------


def _load_average():
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except (AttributeError, OSError):
        return "n/a"


def fmt(x, digits=3):
    if x is None:
        return "n/a"
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def result_tables(rows, memory, n_mem):
    """Lines of the throughput table (from its header) and of the memory section."""
    lines = [
        "| runs | gysim (runs/s) | PySD (runs/s) | numpy (runs/s) | gysim / PySD speed-up |"
        " gysim time / numpy time | PySD timing |",
        "|---:|---:|---:|---:|---:|---:|---|",
    ]
    for n, t_g, t_p, t_n, note in rows:
        lines.append(f"| {n:,} | {fmt(n / t_g)} | {fmt(n / t_p)} | {fmt(n / t_n)} | "
                     f"{t_p / t_g:,.1f}x | {t_g / t_n:.2f} | {note} |")
    lines += [
        "",
        f"## 3. Peak memory of the {n_mem:,}-run ensemble (fresh interpreter each)",
        "",
        "| implementation | tracemalloc peak (MB) | peak RSS increase (MB) |",
        "|---|---:|---:|",
    ]
    for impl, label in (("gysim", "gysim `simulate`"), ("numpy", "hand-written numpy")):
        mem = memory[impl]
        if "error" in mem:
            lines.append(f"| {label} | failed: {mem['error']} | |")
        else:
            lines.append(f"| {label} | {mem['tracemalloc_peak_mb']:.1f} | "
                         f"{mem['maxrss_increase_mb']:.1f} |")
    lines.append("| PySD | n/a (runs one at a time) | |")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="smaller ensembles and fewer repeats (a smoke test)")
    parser.add_argument("--pysd-subset", type=int, default=200,
                        help="PySD runs actually timed for the 1 000 and 10 000 rows")
    parser.add_argument("--backends", action="store_true",
                        help="only the backends side by side (hand-written numpy, gysim numpy, "
                             "gysim numba on 1 and 2 threads)")
    parser.add_argument("--rounds", type=int, default=7, help="rounds for --backends")
    parser.add_argument("--memory", choices=["gysim", "numpy"], help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=10_000, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, default=RESULTS,
                        help="where to write the Markdown table")
    args = parser.parse_args(argv)
    if args.memory:
        _memory_child(args.memory, args.runs)
        return 0
    if args.backends:
        print("\n".join(backend_table(backend_comparison(args.runs, args.rounds), args.runs)))
        return 0

    warnings.simplefilter("ignore")  # PySD and its dependencies are noisy
    import gysim
    import pysd

    sizes = [1, 100, 1000] if args.quick else [1, 100, 1000, 10_000]
    subset = min(args.pysd_subset, 20 if args.quick else args.pysd_subset)
    repeats = 3 if args.quick else 7
    t_begin = time.perf_counter()
    load_begin = _load_average()

    gmodel = build_gysim()
    with tempfile.TemporaryDirectory() as tmp:
        pmodel = load_pysd(Path(tmp))

        print("checking that gysim, PySD and numpy agree ...", flush=True)
        problems = check_agreement(gmodel, pmodel)
        if problems:
            print("DISAGREEMENT (rtol=1e-9): the implementations do not compute the same "
                  "model; no timings reported.", file=sys.stderr)
            for p in problems:
                print("  " + p, file=sys.stderr)
            return 1
        print(f"  all {len(VARIABLES)} variables agree to rtol={AGREEMENT_RTOL:g} "
              "(defaults, a 100-run ensemble, 3 PySD runs)", flush=True)

        # 1. single-run latency, warm
        defaults = {k: v for k, (v, _) in PARAMS.items()}
        run_gysim(gmodel, None)
        run_pysd(pmodel, defaults)
        lat_gysim = median_seconds(lambda: run_gysim(gmodel, None), repeats * 3)
        lat_pysd = median_seconds(lambda: pmodel.run(), repeats)
        lat_numpy = median_seconds(lambda: run_numpy(defaults, 1), repeats * 3)
        print(f"latency: gysim {lat_gysim * 1e3:.2f} ms, PySD {lat_pysd * 1e3:.1f} ms, "
              f"numpy {lat_numpy * 1e3:.2f} ms", flush=True)

        # 2. ensemble throughput
        samples = sample_params(max(sizes))
        rows = []
        pysd_subset_time = None
        for n in sizes:
            part = {k: v[:n] for k, v in samples.items()}
            one = row(samples, 0)
            reps = repeats if n <= 1000 else 3
            if n == 1:
                t_g = median_seconds(lambda: run_gysim(gmodel, one), reps)
                t_n = median_seconds(lambda: run_numpy(one, 1), reps)
            else:
                t_g = median_seconds(lambda: run_gysim(gmodel, part), reps)
                t_n = median_seconds(lambda: run_numpy(part, n), reps)
            if n == 1:
                t_p = median_seconds(lambda: run_pysd(pmodel, one), repeats)
                note = f"median of {repeats}"
            elif n <= 100:
                t0 = time.perf_counter()
                for i in range(n):
                    run_pysd(pmodel, row(samples, i))
                t_p = time.perf_counter() - t0
                note = f"all {n} runs timed"
            else:
                if pysd_subset_time is None:
                    t0 = time.perf_counter()
                    for i in range(subset):
                        run_pysd(pmodel, row(samples, i))
                    pysd_subset_time = time.perf_counter() - t0
                t_p = pysd_subset_time / subset * n
                note = f"extrapolated from {subset} runs"
            rows.append((n, t_g, t_p, t_n, note))
            print(f"  {n:>6} runs: gysim {n / t_g:,.0f} runs/s, PySD {n / t_p:,.1f} runs/s "
                  f"({note}), numpy {n / t_n:,.0f} runs/s", flush=True)

    # 2b. the backends side by side on the largest ensemble
    print("backends side by side ...", flush=True)
    comparison = backend_table(backend_comparison(max(sizes), 3 if args.quick else 7),
                               max(sizes))
    print("\n".join(comparison), flush=True)

    # 3. peak memory of the largest ensemble, each in a fresh interpreter
    n_mem = max(sizes)
    memory = {impl: measure_memory(impl, n_mem) for impl in ("gysim", "numpy")}
    elapsed = time.perf_counter() - t_begin
    load_end = _load_average()

    n_steps = int(round((STOP - START) / DT))
    lines = [
        "# Ensemble benchmark: gysim vs PySD vs hand-written numpy",
        "",
        f"Model `benchmarks/models/bench.mdl` (5 stocks, {len(PARAMS)} parameters, 1 lookup, "
        f"{len(VARIABLES)} saved variables); Euler, dt={DT:g}, {START:g}-{STOP:g} "
        f"({n_steps} steps), saved every {SAVEPER:g} year. Parameters uniform within "
        f"+-{SPREAD:.0%} of defaults, seed {SEED}. All three implementations agree to "
        f"rtol={AGREEMENT_RTOL:g} on every variable (checked before timing).",
        "",
        f"Machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs; Python {platform.python_version()}, numpy {np.__version__}, "
        f"gysim {gysim.__version__}, PySD {pysd.__version__}. "
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; total {elapsed:.0f} s; "
        f"1-minute load average {load_begin} at the start, {load_end} at the end "
        "(wall-clock timings are only comparable on an otherwise idle machine).",
        "",
        "## 1. Single-run latency (warm, median)",
        "",
        "| implementation | latency (ms) | relative to gysim |",
        "|---|---:|---:|",
        f"| gysim `simulate` | {lat_gysim * 1e3:.2f} | 1 |",
        f"| PySD `model.run()` | {lat_pysd * 1e3:.1f} | {lat_pysd / lat_gysim:.1f}x |",
        f"| hand-written numpy | {lat_numpy * 1e3:.2f} | {lat_numpy / lat_gysim:.2f}x |",
        "",
        "## 2. Ensemble throughput (runs per second)",
        "",
        "gysim: one `simulate` call with array parameters. PySD: a loop of"
        " `model.run(params=...)`. numpy: the hand-written loop over arrays of shape"
        " (n_runs,). Most of PySD's time"
        " on this model goes to its graphical function, evaluated with"
        " `xarray.DataArray.interp` at every step.",
        "",
    ]
    lines += result_tables(rows, memory, n_mem)
    lines += ["", "## 4. Backends side by side: hand-written numpy, gysim numpy, gysim numba "
                  "(1 and 2 threads)", ""] + comparison
    table = "\n".join(lines) + "\n"

    print()
    print(table)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(table, encoding="utf-8")
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
