"""The main job behind ``make demo``: the Guiyang model's scenarios against the plan.

Runs the calibrated Guiyang model under the ``baseline`` and ``plan``
scenarios to 2010, writes ``results/guiyang_<scenario>.nc``, draws the key
trajectories against the 2000-2005 data and the 2010 targets
(``results/guiyang_scenarios.png``), prints the target table, and runs an
ensemble over the assumption-based parameters to show how often each target
is met when those assumptions vary within their ranges.

Run it as ``python -m gysim_models.demo --out results`` (``make demo``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from gysim import check_targets, load_model, simulate
from gysim.atomic import savefig_atomic, to_netcdf_atomic
from gysim.tables import write_table

from . import _plan as plan
from .guiyang import KEY_VARIABLES, uncertain_parameters

ENSEMBLE_METHOD = {"method": "rk4", "dt": 0.0625}


def main(argv: list[str] | None = None) -> int:
    """Run the demo; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m gysim_models.demo", description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="results", help="folder for the results (default: results)")
    parser.add_argument("--runs", type=int, default=10_000, help="ensemble size (default: 10000)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    import matplotlib
    matplotlib.use("Agg")
    from gysim.plot import trajectories

    model = load_model("guiyang")  # through the entry point, as users load it
    targets = plan.targets(model)
    results = {}
    for scenario in ("baseline", "plan"):
        ds = simulate(model, scenario=scenario)
        path = out / f"guiyang_{scenario}.nc"
        to_netcdf_atomic(ds, path)
        results[scenario] = ds
        print(f"wrote {path}")

    fig = trajectories(results, [v for v in KEY_VARIABLES if v in model.elements],
                       data=plan.observations(), targets=targets,
                       title="Guiyang: baseline vs the 11th plan's levers (dots: 2000-2005 data)")
    figure = out / "guiyang_scenarios.png"
    savefig_atomic(fig, figure, dpi=110)
    print(f"wrote {figure}")

    tables = {s: check_targets(ds, targets) for s, ds in results.items()}

    names = uncertain_parameters(model)
    rng = np.random.default_rng(2006)
    samples = {n: rng.uniform(*model.params[n].bounds, size=args.runs) for n in names}
    tic = time.perf_counter()
    # A fixed step for the ensemble: with 40 parameters varied, some runs have
    # adjustment times of weeks, and an adaptive method must then step at their
    # pace for all runs (RK45 takes ~20x longer here for shares within 0.002).
    ensemble = simulate(model, scenario="plan", params=samples, **ENSEMBLE_METHOD)
    elapsed = time.perf_counter() - tic
    table = targets_table(tables, check_targets(ensemble, targets), args.runs)

    with pd.option_context("display.width", 160, "display.max_columns", 20,
                           "display.float_format", "{:.3g}".format):
        print("\nThe 11th plan's targets (2010 unless the name says otherwise):")
        print(table.to_string())
    print(f"\nensemble: {args.runs} runs of the plan scenario varying {len(names)} assumption-based "
          f"parameters uniformly within their bounds ({ENSEMBLE_METHOD['method']}, dt = "
          f"{ENSEMBLE_METHOD['dt']}), in {elapsed:.2f} s "
          f"({args.runs / elapsed:,.0f} runs/s)")
    write_table(table, out / "guiyang_targets.csv")
    print(f"wrote {out / 'guiyang_targets.csv'}")
    return 0


def targets_table(tables: dict[str, pd.DataFrame], shares: pd.DataFrame, runs: int) -> pd.DataFrame:
    """The scenarios side by side against the targets, one header per column.

    `tables` maps each scenario to its :func:`gysim.check_targets` table, and
    `shares` is the ensemble's (``share_met``). The index keeps
    check_targets' name ``target`` (the target's name); the goal is
    ``target_value``, each scenario's model value is headed by the scenario
    and its verdict ``met (<scenario>)``.
    """
    first = next(iter(tables.values()))
    table = first[["kind", "target_value", "units"]].copy()
    for scenario, checked in tables.items():
        table[scenario] = checked["model_value"]
        table[f"met ({scenario})"] = checked["met"]
    table[f"share met, {runs} runs"] = shares["share_met"]
    return table


if __name__ == "__main__":
    raise SystemExit(main())
