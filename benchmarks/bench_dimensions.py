"""Subscripted ensemble throughput: gysim against PySD and a hand-written numpy loop.

A regional economy over two dimensions, ``region`` (10 elements) and
``sector`` (3 elements), written three ways side by side:

(a) the gysim Python DSL with dimensions (:func:`build_gysim`): 10 stocks
    over (region, sector) and 2 over region, i.e. 320 state values per run;
(b) a hand-written vectorized numpy Euler loop over arrays of shape
    (10, 3, n_runs) (:func:`run_numpy`): the practical floor for a pure-numpy
    engine;
(c) the same model as a Vensim file with subscripts (:func:`mdl_text`,
    written to a scratch directory), run by PySD one run at a time.

All three integrate with Euler at the same ``dt`` and save the same points. The
script first checks that they agree numerically (and exits non-zero if they do
not), then measures single-run latency, ensemble throughput for 1, 100, 1 000
and 10 000 runs and the peak memory of the 10 000-run ensemble, prints a
Markdown table and writes it to ``benchmarks/results/bench_dimensions.md``.
A PySD run of this model takes seconds, so PySD is timed on a few runs and
extrapolated; those rows say so.

Every parameter element varies across runs uniformly within +-20 % of its
default, from a fixed seed (region- and sector-level parameters are varied
per element: arrays of shape (n_runs, n_elements)).

Usage::

    python benchmarks/bench_dimensions.py            # the full benchmark (a few minutes)
    python benchmarks/bench_dimensions.py --quick    # smaller sizes, for a smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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
RESULTS = HERE / "results" / "bench_dimensions.md"
sys.path.insert(0, str(HERE))
from bench_ensemble import (_load_average, _peak_rss_mb, median_seconds,  # noqa: E402
                            result_tables)

START, STOP, DT, SAVEPER = 2000.0, 2030.0, 0.125, 5.0  # saved every 5 years: 7 points
SEED = 20060101
SPREAD = 0.2
AGREEMENT_RTOL, AGREEMENT_ATOL = 1e-9, 1e-12

REGIONS = [f"r{i}" for i in range(10)]
SECTORS = ["primary", "secondary", "tertiary"]
NR, NS = len(REGIONS), len(SECTORS)

# name -> (default value, dims); defaults vary smoothly with the element index
_r = np.arange(NR)
PARAMS = {
    "savings_rate": (0.25 + 0.02 * _r, ("region",)),
    "initial_population": (2.0 + 0.3 * _r, ("region",)),
    "depreciation_rate": (np.array([0.04, 0.07, 0.05]), ("sector",)),
    "capital_share": (np.array([0.3, 0.45, 0.35]), ("sector",)),
    "sector_share": (np.array([0.3, 0.3, 0.4]), ("sector",)),
    "efficiency_rate": (np.array([0.01, 0.03, 0.02]), ("sector",)),
    "water_saving_rate": (np.array([0.02, 0.015, 0.01]), ("sector",)),
    "emission_factor": (np.array([0.002, 0.006, 0.001]), ("sector",)),
    "initial_capital": (np.outer(100 + 20 * _r, [0.5, 2.0, 1.5]), ("region", "sector")),
    "tfp": (np.outer(1.0 + 0.05 * _r, [8.0, 12.0, 10.0]), ("region", "sector")),
    "birth_rate": (0.013, ()),
    "death_rate": (0.006, ()),
    "pollution_mortality": (0.05, ()),
    "participation_rate": (0.55, ()),
    "labour_adjustment_time": (2.0, ()),
    "construction_time": (1.5, ()),
    "perception_time": (3.0, ()),
    "learning_rate": (0.02, ()),
    "pollution_lifetime": (8.0, ()),
    "reference_pollution": (10.0, ()),
}
DAMAGE_X = [0.0, 1.0, 2.0, 3.0, 4.0, 6.0]
DAMAGE_Y = [1.0, 0.98, 0.93, 0.85, 0.75, 0.6]

STOCKS_RS = ["capital", "construction", "labour", "energy_intensity", "water_intensity",
             "perceived_output", "knowledge", "cumulative_energy", "cumulative_water",
             "cumulative_investment"]
STOCKS_R = ["population", "pollution"]
# every variable compared and saved by both implementations
VARIABLES = STOCKS_RS + STOCKS_R + ["output", "investment", "energy_use", "emissions",
                                    "regional_output", "total_output"]


# --- (a) gysim ----------------------------------------------------------------


def build_gysim():
    import gysim

    m = gysim.Model("bench_regions", start=START, stop=STOP, dt=DT, time_units="year",
                    doc="Benchmark: a 10-region, 3-sector economy.")
    m.dimension("region", REGIONS)
    m.dimension("sector", SECTORS)
    for name, (value, dims) in PARAMS.items():
        m.param(name, value, dims=dims)
    m.lookup("damage_f", DAMAGE_X, DAMAGE_Y)
    rs = ("region", "sector")

    m.stock("capital", "initial_capital", dims=rs)
    m.stock("construction", "0.1 * initial_capital", dims=rs)
    m.stock("labour", "participation_rate * initial_population * sector_share", dims=rs)
    m.stock("energy_intensity", 1.5, dims=rs)
    m.stock("water_intensity", 2.0, dims=rs)
    m.stock("perceived_output", 100.0, dims=rs)
    m.stock("knowledge", 1.0, dims=rs)
    m.stock("cumulative_energy", 0.0, dims=rs)
    m.stock("cumulative_water", 0.0, dims=rs)
    m.stock("cumulative_investment", 0.0, dims=rs)
    m.stock("population", "initial_population", dims=("region",))
    m.stock("pollution", 8.0, dims=("region",))

    m.aux("pollution_ratio", "pollution / reference_pollution", dims=("region",))
    m.aux("output", "tfp * knowledge ** 0.3 * capital ** capital_share"
                    " * labour ** (1 - capital_share) * damage_f(pollution_ratio)", dims=rs)
    m.aux("energy_use", "energy_intensity * output", dims=rs)
    m.aux("regional_output", "sum(output, sector)", dims=("region",))
    m.aux("total_output", "sum(regional_output, region)")

    m.flow("investment", "savings_rate * output", into="construction", dims=rs)
    m.flow("completion", "construction / construction_time", out_of="construction",
           into="capital", dims=rs)
    m.flow("depreciation", "depreciation_rate * capital", out_of="capital", dims=rs)
    m.flow("hiring", "(participation_rate * population * sector_share - labour)"
                     " / labour_adjustment_time", into="labour", dims=rs)
    m.flow("efficiency_gain", "efficiency_rate * energy_intensity", out_of="energy_intensity",
           dims=rs)
    m.flow("water_saving", "water_saving_rate * water_intensity", out_of="water_intensity",
           dims=rs)
    m.flow("perception", "(output - perceived_output) / perception_time",
           into="perceived_output", dims=rs)
    m.flow("learning", "learning_rate * perceived_output / (perceived_output + 100)",
           into="knowledge", dims=rs)
    m.flow("energy_flow", "energy_use", into="cumulative_energy", dims=rs)
    m.flow("water_flow", "water_intensity * output", into="cumulative_water", dims=rs)
    m.flow("investment_flow", "investment", into="cumulative_investment", dims=rs)
    m.flow("births", "birth_rate * population", into="population", dims=("region",))
    m.flow("deaths", "death_rate * population * (1 + pollution_mortality * pollution_ratio)",
           out_of="population", dims=("region",))
    m.flow("emissions", "sum(energy_use * emission_factor, sector)", into="pollution",
           dims=("region",))
    m.flow("absorption", "pollution / pollution_lifetime", out_of="pollution",
           dims=("region",))
    return m


def run_gysim(model, params):
    import gysim

    return gysim.simulate(model, params=params, method="euler", dt=DT, saveper=SAVEPER,
                          variables=VARIABLES)


def gysim_arrays(ds):
    """name -> array (time, region, sector, run) with size-1 axes where a dim is absent."""
    out = {}
    for name in VARIABLES:
        da = ds[name]
        if "run" not in da.dims:
            da = da.expand_dims(run=1, axis=-1)
        for d, axis in (("region", 1), ("sector", 2)):
            if d not in da.dims:
                da = da.expand_dims({d: 1}, axis=axis)
        out[name] = da.transpose("time", "region", "sector", "run").values
    return out


# --- (b) hand-written numpy ---------------------------------------------------


def _shaped(value, dims, n):
    """A parameter as an array broadcastable to (region, sector, n)."""
    arr = np.asarray(value, dtype=float)
    if arr.ndim == len(dims):  # the same for every run
        arr = arr[..., None]
    else:  # (n, *sizes) -> (*sizes, n)
        arr = np.moveaxis(arr, 0, -1)
    if dims == ("region",):
        return arr[:, None, :]
    if dims == ("sector",):
        return arr[None, :, :]
    if dims == ():
        return arr[None, None, ...] if arr.ndim else arr
    return arr


def run_numpy(params, n):
    """Euler over arrays of shape (10, 3, n): the same model, no engine at all."""
    p = {k: _shaped(params.get(k, v), dims, n) for k, (v, dims) in PARAMS.items()}
    n_steps = int(round((STOP - START) / DT))
    save_every = int(round(SAVEPER / DT))
    n_save = n_steps // save_every + 1
    shape = (NR, NS, n)
    out = {name: np.empty((n_save, NR, NS, n)) for name in STOCKS_RS + ["output", "investment",
                                                                         "energy_use"]}
    out.update({name: np.empty((n_save, NR, 1, n)) for name in STOCKS_R + ["emissions",
                                                                            "regional_output"]})
    out["total_output"] = np.empty((n_save, 1, 1, n))

    capital = np.broadcast_to(p["initial_capital"], shape).copy()
    construction = np.broadcast_to(0.1 * p["initial_capital"], shape).copy()
    labour = np.broadcast_to(p["participation_rate"] * p["initial_population"]
                             * p["sector_share"], shape).copy()
    energy_intensity = np.full(shape, 1.5)
    water_intensity = np.full(shape, 2.0)
    perceived_output = np.full(shape, 100.0)
    knowledge = np.full(shape, 1.0)
    cumulative_energy = np.zeros(shape)
    cumulative_water = np.zeros(shape)
    cumulative_investment = np.zeros(shape)
    population = np.broadcast_to(p["initial_population"], (NR, 1, n)).copy()
    pollution = np.full((NR, 1, n), 8.0)
    labour_exponent = 1 - p["capital_share"]
    for k in range(n_steps + 1):
        pollution_ratio = pollution / p["reference_pollution"]
        output = (p["tfp"] * knowledge ** 0.3 * capital ** p["capital_share"]
                  * labour ** labour_exponent * np.interp(pollution_ratio, DAMAGE_X, DAMAGE_Y))
        energy_use = energy_intensity * output
        investment = p["savings_rate"] * output
        completion = construction / p["construction_time"]
        depreciation = p["depreciation_rate"] * capital
        hiring = (p["participation_rate"] * population * p["sector_share"] - labour) \
            / p["labour_adjustment_time"]
        efficiency_gain = p["efficiency_rate"] * energy_intensity
        water_saving = p["water_saving_rate"] * water_intensity
        perception = (output - perceived_output) / p["perception_time"]
        learning = p["learning_rate"] * perceived_output / (perceived_output + 100)
        water_flow = water_intensity * output
        births = p["birth_rate"] * population
        deaths = p["death_rate"] * population * (1 + p["pollution_mortality"] * pollution_ratio)
        emissions = (energy_use * p["emission_factor"]).sum(axis=1, keepdims=True)
        absorption = pollution / p["pollution_lifetime"]
        if k % save_every == 0:
            j = k // save_every
            regional_output = output.sum(axis=1, keepdims=True)
            for name, value in (
                ("capital", capital), ("construction", construction), ("labour", labour),
                ("energy_intensity", energy_intensity), ("water_intensity", water_intensity),
                ("perceived_output", perceived_output), ("knowledge", knowledge),
                ("cumulative_energy", cumulative_energy),
                ("cumulative_water", cumulative_water),
                ("cumulative_investment", cumulative_investment),
                ("population", population), ("pollution", pollution), ("output", output),
                ("investment", investment), ("energy_use", energy_use),
                ("emissions", emissions), ("regional_output", regional_output),
                ("total_output", regional_output.sum(axis=0, keepdims=True)),
            ):
                out[name][j] = value
        if k == n_steps:
            break
        capital = capital + DT * (completion - depreciation)
        construction = construction + DT * (investment - completion)
        labour = labour + DT * hiring
        energy_intensity = energy_intensity - DT * efficiency_gain
        water_intensity = water_intensity - DT * water_saving
        perceived_output = perceived_output + DT * perception
        knowledge = knowledge + DT * learning
        cumulative_energy = cumulative_energy + DT * energy_use
        cumulative_water = cumulative_water + DT * water_flow
        cumulative_investment = cumulative_investment + DT * investment
        population = population + DT * (births - deaths)
        pollution = pollution + DT * (emissions - absorption)
    return out


# --- (c) PySD -------------------------------------------------------------------

# Two-dimensional variables are subscripted [sector,region] in the .mdl: PySD 3.14
# stacks the stocks' states with np.array(..., dtype=object), which fails with
# numpy 2 when a (region, sector) stock meets a (region,) one (same first axis).
RS, R, S = "[sector,region]", "[region]", "[sector]"
# the same model in Vensim syntax (name -> equation); stocks as INTEG
MDL_EQUATIONS = {
    f"capital{RS}": f"INTEG(completion{RS} - depreciation{RS}, initial_capital{RS})",
    f"construction{RS}": f"INTEG(investment{RS} - completion{RS}, 0.1 * initial_capital{RS})",
    f"labour{RS}": f"INTEG(hiring{RS}, participation_rate * initial_population{R}"
                   f" * sector_share{S})",
    f"energy_intensity{RS}": f"INTEG(-efficiency_gain{RS}, 1.5)",
    f"water_intensity{RS}": f"INTEG(-water_saving{RS}, 2)",
    f"perceived_output{RS}": f"INTEG(perception{RS}, 100)",
    f"knowledge{RS}": f"INTEG(learning{RS}, 1)",
    f"cumulative_energy{RS}": f"INTEG(energy_flow{RS}, 0)",
    f"cumulative_water{RS}": f"INTEG(water_flow{RS}, 0)",
    f"cumulative_investment{RS}": f"INTEG(investment_flow{RS}, 0)",
    f"population{R}": f"INTEG(births{R} - deaths{R}, initial_population{R})",
    f"pollution{R}": f"INTEG(emissions{R} - absorption{R}, 8)",
    f"pollution_ratio{R}": f"pollution{R} / reference_pollution",
    f"output{RS}": f"tfp{RS} * knowledge{RS} ^ 0.3 * capital{RS} ^ capital_share{S}"
                   f" * labour{RS} ^ (1 - capital_share{S}) * damage_f(pollution_ratio{R})",
    f"energy_use{RS}": f"energy_intensity{RS} * output{RS}",
    f"regional_output{R}": "SUM(output[sector!,region])",
    "total_output": "SUM(regional_output[region!])",
    f"investment{RS}": f"savings_rate{R} * output{RS}",
    f"completion{RS}": f"construction{RS} / construction_time",
    f"depreciation{RS}": f"depreciation_rate{S} * capital{RS}",
    f"hiring{RS}": f"(participation_rate * population{R} * sector_share{S} - labour{RS})"
                   " / labour_adjustment_time",
    f"efficiency_gain{RS}": f"efficiency_rate{S} * energy_intensity{RS}",
    f"water_saving{RS}": f"water_saving_rate{S} * water_intensity{RS}",
    f"perception{RS}": f"(output{RS} - perceived_output{RS}) / perception_time",
    f"learning{RS}": f"learning_rate * perceived_output{RS} / (perceived_output{RS} + 100)",
    f"energy_flow{RS}": f"energy_use{RS}",
    f"water_flow{RS}": f"water_intensity{RS} * output{RS}",
    f"investment_flow{RS}": f"investment{RS}",
    f"births{R}": f"birth_rate * population{R}",
    f"deaths{R}": f"death_rate * population{R} * (1 + pollution_mortality * pollution_ratio{R})",
    f"emissions{R}": "SUM(energy_use[sector!,region] * emission_factor[sector!])",
    f"absorption{R}": f"pollution{R} / pollution_lifetime",
}


def mdl_text() -> str:
    """The benchmark model as a Vensim file with subscripts."""
    def block(lhs, rhs):
        return f"{lhs}=\n\t{rhs}\n\t~\t\n\t~\t\t|\n\n"

    parts = ["{UTF-8}\n", f"region:\n\t{', '.join(REGIONS)}\n\t~\t\n\t~\t\t|\n\n",
             f"sector:\n\t{', '.join(SECTORS)}\n\t~\t\n\t~\t\t|\n\n"]
    for name, (value, dims) in PARAMS.items():
        arr = np.asarray(value, dtype=float)
        if not dims:
            parts.append(block(name, repr(float(arr))))
        elif arr.ndim == 1:
            parts.append(block(f"{name}[{','.join(dims)}]", ", ".join(map(repr, arr.tolist()))))
        else:  # (region, sector) -> [sector,region]
            parts.append(block(f"{name}[sector,region]",
                               "; ".join(", ".join(map(repr, r)) for r in arr.T.tolist()) + ";"))
    points = ",".join(f"({x:g},{y:g})" for x, y in zip(DAMAGE_X, DAMAGE_Y))
    parts.append(f"damage_f(\n\t[(0,0)-(6,1)],{points})\n\t~\t\n\t~\t\t|\n\n")
    for lhs, rhs in MDL_EQUATIONS.items():
        parts.append(block(lhs, rhs))
    parts.append("********************************************************\n\t.Control\n"
                 "********************************************************~\n"
                 "\t\tSimulation Control Parameters\n\t|\n\n")
    for name, value in (("FINAL TIME", STOP), ("INITIAL TIME", START), ("SAVEPER", SAVEPER),
                        ("TIME STEP", DT)):
        parts.append(f"{name}  = {value:g}\n\t~\tyear\n\t~\t\t|\n\n")
    parts.append("\\\\\\---/// Sketch information - do not modify anything except names\n"
                 "V300  Do not put anything below this section - it will be ignored\n")
    return "".join(parts)


def load_pysd(workdir: Path):
    import pysd

    target = workdir / "bench_dimensions.mdl"
    target.write_text(mdl_text(), encoding="utf-8")
    return pysd.read_vensim(str(target))


def _pysd_value(name, value):
    import xarray as xr

    dims = PARAMS[name][1]
    arr = np.asarray(value, dtype=float)
    if not dims:
        return float(arr)
    if len(dims) == 2:
        arr, dims = arr.T, ("sector", "region")
    coords = {d: REGIONS if d == "region" else SECTORS for d in dims}
    return xr.DataArray(arr, coords=coords, dims=list(dims))


def run_pysd(model, params):
    """One PySD run; every parameter is set on every run (PySD keeps them)."""
    return model.run(params={k: _pysd_value(k, v) for k, v in params.items()},
                     return_columns=VARIABLES)


def pysd_arrays(frames):
    """name -> array (time, region, sector, run) from a list of PySD DataFrames."""
    out = {}
    for name in VARIABLES:
        runs = []
        for df in frames:
            if name in df.columns:
                runs.append(df[name].to_numpy(dtype=float)[:, None, None])
                continue
            regions = REGIONS
            sectors = SECTORS if f"{name}[{SECTORS[0]},{REGIONS[0]}]" in df.columns else None
            if sectors:
                cols = [[df[f"{name}[{s},{r}]"].to_numpy(dtype=float) for s in sectors]
                        for r in regions]
                runs.append(np.moveaxis(np.array(cols), -1, 0))
            else:
                cols = [df[f"{name}[{r}]"].to_numpy(dtype=float) for r in regions]
                runs.append(np.moveaxis(np.array(cols), -1, 0)[:, :, None])
        out[name] = np.stack(runs, axis=-1)
    return out


# --- inputs, checks, timing ---------------------------------------------------------


def sample_params(n, seed=SEED):
    """Every parameter element uniform within +-20 % of its default; fixed seed."""
    rng = np.random.default_rng(seed)
    out = {}
    for k, (v, dims) in PARAMS.items():
        v = np.asarray(v, dtype=float)
        out[k] = v * rng.uniform(1 - SPREAD, 1 + SPREAD, (n,) + v.shape)
    return out


def row(samples, i):
    """Run i of a sample: scalars and per-element arrays (the same for every run)."""
    return {k: v[i] if v.ndim > 1 else float(v[i]) for k, v in samples.items()}


def as_runs(values):
    """A single run's parameters as a 1-run ensemble (arrays of shape (1, ...))."""
    return {k: np.asarray(v)[None, ...] for k, v in values.items()}


def disagreement(label, got, want):
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
    defaults = {k: np.asarray(v, dtype=float) for k, (v, _) in PARAMS.items()}
    g = gysim_arrays(run_gysim(gmodel, None))
    problems = disagreement("gysim vs numpy (defaults)", g, run_numpy(as_runs(defaults), 1))
    problems += disagreement("gysim vs PySD (defaults)", g, pysd_arrays([run_pysd(pmodel,
                                                                                  defaults)]))
    samples = sample_params(100)
    ens = gysim_arrays(run_gysim(gmodel, samples))
    problems += disagreement("gysim vs numpy (100-run ensemble)", ens, run_numpy(samples, 100))
    picks = [0, 99]
    problems += disagreement("gysim ensemble vs PySD runs",
                             {k: v[..., picks] for k, v in ens.items()},
                             pysd_arrays([run_pysd(pmodel, row(samples, i)) for i in picks]))
    return problems


def measure_memory(impl, n):
    cmd = [sys.executable, str(Path(__file__).resolve()), "--memory", impl, "--runs", str(n)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:] or ["failed"]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _memory_child(impl, n):
    samples = sample_params(n)
    if impl == "gysim":
        model = build_gysim()
        run_gysim(model, None)                            # compile and warm up
        go = lambda: run_gysim(model, samples)            # noqa: E731
    else:
        run_numpy(as_runs(row(samples, 0)), 1)
        go = lambda: run_numpy(samples, n)                # noqa: E731
    rss_before = _peak_rss_mb()
    tracemalloc.start()
    result = go()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = _peak_rss_mb()
    del result
    print(json.dumps({"tracemalloc_peak_mb": peak / 2**20,
                      "maxrss_increase_mb": rss_after - rss_before}))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="smaller ensembles and fewer repeats (a smoke test)")
    parser.add_argument("--pysd-subset", type=int, default=5,
                        help="PySD runs actually timed (the larger rows are extrapolated)")
    parser.add_argument("--memory", choices=["gysim", "numpy"], help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=10_000, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, default=RESULTS,
                        help="where to write the Markdown table")
    args = parser.parse_args(argv)
    if args.memory:
        _memory_child(args.memory, args.runs)
        return 0

    warnings.simplefilter("ignore")
    import gysim
    import pysd

    sizes = [1, 100, 1000] if args.quick else [1, 100, 1000, 10_000]
    repeats = 3 if args.quick else 5
    t_begin = time.perf_counter()
    load_begin = _load_average()

    subset = max(1, min(args.pysd_subset, 2 if args.quick else args.pysd_subset))
    gmodel = build_gysim()
    n_state = gmodel.compile().n_state_rows
    with tempfile.TemporaryDirectory() as tmp:
        pmodel = load_pysd(Path(tmp))
        print("checking that gysim, PySD and numpy agree ...", flush=True)
        problems = check_agreement(gmodel, pmodel)
        if problems:
            print("DISAGREEMENT (rtol=1e-9): no timings reported.", file=sys.stderr)
            for p in problems:
                print("  " + p, file=sys.stderr)
            return 1
        print(f"  all {len(VARIABLES)} variables agree to rtol={AGREEMENT_RTOL:g} "
              "(defaults, a 100-run ensemble, 2 PySD runs)", flush=True)

        samples = sample_params(max(sizes))
        one = row(samples, 0)
        run_gysim(gmodel, None)
        lat_gysim = median_seconds(lambda: run_gysim(gmodel, None), repeats * 3)
        lat_numpy = median_seconds(lambda: run_numpy(as_runs(one), 1), repeats * 3)
        t0 = time.perf_counter()
        for i in range(subset):
            run_pysd(pmodel, row(samples, i))
        t_pysd_one = (time.perf_counter() - t0) / subset
        lat_pysd = median_seconds(lambda: pmodel.run(return_columns=VARIABLES), 1)
        print(f"latency: gysim {lat_gysim * 1e3:.2f} ms, PySD {lat_pysd * 1e3:.0f} ms, "
              f"numpy {lat_numpy * 1e3:.2f} ms", flush=True)

    rows = []
    for n in sizes:
        part = {k: v[:n] for k, v in samples.items()}
        reps = repeats if n <= 1000 else 3
        t_g = median_seconds(lambda: run_gysim(gmodel, part), reps)
        t_n = median_seconds(lambda: run_numpy(part, n), reps)
        t_p = t_pysd_one * n
        note = (f"mean of {subset} timed runs" if n == 1 else
                f"extrapolated from {subset} runs")
        rows.append((n, t_g, t_p, t_n, note))
        print(f"  {n:>6} runs: gysim {n / t_g:,.0f} runs/s, PySD {n / t_p:,.2f} runs/s "
              f"({note}), numpy {n / t_n:,.0f} runs/s (gysim time / numpy time "
              f"{t_g / t_n:.2f})", flush=True)

    n_mem = max(sizes)
    memory = {impl: measure_memory(impl, n_mem) for impl in ("gysim", "numpy")}
    elapsed = time.perf_counter() - t_begin
    load_end = _load_average()

    n_steps = int(round((STOP - START) / DT))
    lines = [
        "# Subscripted ensemble benchmark: gysim vs PySD vs hand-written numpy",
        "",
        f"Model `bench_dimensions.py:build_gysim` (dimensions region = {NR}, sector = {NS}; "
        f"{len(STOCKS_RS)} stocks over (region, sector) and {len(STOCKS_R)} over region: "
        f"{n_state} state values per run; {len(PARAMS)} parameters, 1 lookup, "
        f"{len(VARIABLES)} saved variables); Euler, dt={DT:g}, {START:g}-{STOP:g} "
        f"({n_steps} steps), saved every {SAVEPER:g} year. Every parameter element uniform "
        f"within +-{SPREAD:.0%} of its default, seed {SEED}. All three implementations agree to "
        f"rtol={AGREEMENT_RTOL:g} on every variable (checked before timing).",
        "",
        f"Machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs; Python {platform.python_version()}, numpy {np.__version__}, "
        f"gysim {gysim.__version__}, PySD {pysd.__version__}. "
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; total "
        f"{elapsed:.0f} s; 1-minute load average {load_begin} at the start, {load_end} at "
        "the end (wall-clock timings are only comparable on an otherwise idle machine).",
        "",
        "## 1. Single-run latency (warm, median)",
        "",
        "| implementation | latency (ms) | relative to gysim |",
        "|---|---:|---:|",
        f"| gysim `simulate` | {lat_gysim * 1e3:.2f} | 1 |",
        f"| PySD `model.run()` | {lat_pysd * 1e3:.0f} | {lat_pysd / lat_gysim:.0f}x |",
        f"| hand-written numpy | {lat_numpy * 1e3:.2f} | {lat_numpy / lat_gysim:.2f}x |",
        "",
        "## 2. Ensemble throughput (runs per second)",
        "",
        "gysim: one `simulate` call with array parameters (per-element arrays of shape"
        " (n_runs, n_elements) for subscripted parameters). PySD: `model.run(params=...)`"
        " per run, subscripted parameters as `xarray.DataArray`. numpy: the hand-written"
        " loop over arrays of shape (10, 3, n_runs).",
        "",
    ]
    lines += result_tables(rows, memory, n_mem)
    table = "\n".join(lines) + "\n"
    print()
    print(table)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(table, encoding="utf-8")
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
