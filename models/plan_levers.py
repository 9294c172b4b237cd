"""Least-effort plan levers that meet the 2010 targets with probability >= 0.8.

Run ``python -m gysim_models.plan_levers`` (options: ``--help``). It searches
the nine plan levers of the Guiyang model (the ``<lever>_plan`` parameters,
within their bounds) with :func:`gysim.optimize` under the ``plan``
scenario, so that each of the plan's 2010 targets holds in at least a share
``--probability`` of the runs over ``--samples`` samples of the model's
uncertain parameters (the provider hook ``uncertain_parameters``, drawn
uniformly within their bounds, as ``make demo`` does; to be replaced by the
calibration's posterior), and prints the levers found beside the plan's own
values (the hand-set ``plan`` scenario), the targets that bind and those no
lever setting tried could reach.

The cost
--------
The plan states no unit costs for its levers, so the cost is *effort*: how
far each lever moves from its 2001-2005 value, as a share of the lever's
range, summed with equal weights (``COST`` below, built by
:func:`effort_cost`). Replace the weights with real unit costs when they
are known.

Stages
------
A first search with every target finds which targets no candidate meets
with the required probability (``res.unreachable``); they are reported and
left out of a second search. When the remaining targets can each be met but
not all together, the one missed by the widest margin (relative to its
goal) is left out and the search repeated (at most ``--max-dropped``
times); those are reported as conflicting. Everything is drawn from ``--seed``: the same
seed gives the same samples and the same answer.

The Guiyang economics are being revised; this script is meant to be re-run
after such changes.
"""

from __future__ import annotations

import argparse
from pathlib import Path
import time

import numpy as np
import pandas as pd

import gysim

from . import _plan as plan
from .guiyang import uncertain_parameters

#: The search's fixed step. make demo's ensemble uses dt = 0.0625 (adaptive steps are slow
#: here, see demo.py); over 2000 samples the targets' shares at dt = 0.25 differ from those at
#: 0.0625 by at most 0.0035, at a fifth of the time. The answer is checked at 0.0625.
METHOD = {"method": "rk4", "dt": 0.25}
CHECK_METHOD = {"method": "rk4", "dt": 0.0625}


def plan_levers(model: gysim.Model) -> dict[str, tuple[float, float]]:
    """The plan's levers (``<lever>_plan`` parameters) and their bounds."""
    return {name: p.bounds for name, p in model.params.items()
            if name.endswith("_plan") and p.bounds is not None}


def effort_cost(model: gysim.Model, levers: dict[str, tuple[float, float]]) -> str:
    """The cost expression: sum of |lever - its 2001-2005 value| / (lever's range)."""
    terms = []
    for name, (lo, hi) in levers.items():
        base = float(model.params[name[:-len("_plan")]].value)
        terms.append(f"abs({name} - {base!r}) / {hi - lo!r}")
    return " + ".join(terms)


def main(argv: list[str] | None = None) -> int:
    """Run the search; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m gysim_models.plan_levers",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--probability", type=float, default=0.8)
    parser.add_argument("--samples", type=int, default=40,
                        help="samples of the uncertain parameters (default 40)")
    parser.add_argument("--generations", type=int, default=120)
    parser.add_argument("--popsize", type=int, default=5,
                        help="differential evolution's population per lever (default 5)")
    parser.add_argument("--seed", type=int, default=2006)
    parser.add_argument("--posterior", metavar="DRAWS.nc", type=Path, default=None,
                        help="the posterior's draws (calibration/posterior.py writes "
                             "calibration/posterior_draws.nc): the uncertainty is the "
                             "posterior of the fitted parameters, --samples of its draws; "
                             "without it, the uncertain parameters uniform over their bounds")
    parser.add_argument("--max-dropped", type=int, default=3,
                        help="most targets left out, one at a time, when the reachable ones "
                             "cannot all be met together (default 3)")
    args = parser.parse_args(argv)

    tic = time.perf_counter()
    model = gysim.load_model("guiyang")
    targets = plan.targets(model)
    levers = plan_levers(model)
    cost = effort_cost(model, levers)
    rng = np.random.default_rng(args.seed)
    if args.posterior is not None:
        import xarray as xr

        with xr.open_dataset(args.posterior) as draws:
            samples = {n: draws[n].values.reshape(-1) for n in draws.data_vars}
        keep = np.sort(rng.choice(len(next(iter(samples.values()))), size=args.samples,
                                  replace=False))
        samples = {n: v[keep] for n, v in samples.items()}
        print(f"uncertainty: {args.samples} draws of the posterior of "
              f"{', '.join(samples)} ({args.posterior})")
    else:
        samples = {n: rng.uniform(*model.params[n].bounds, size=args.samples)
                   for n in uncertain_parameters(model)}
        print(f"uncertainty: {args.samples} samples of {len(samples)} assumption parameters, "
              f"uniform over their bounds (a prior; --posterior for the calibrated posterior)")
    common = dict(minimize=cost, uncertain=samples, probability=args.probability,
                  scenario="plan", seed=args.seed, generations=args.generations,
                  population=args.popsize, **METHOD)

    first = gysim.optimize(model, levers, targets, **common)
    unreachable = first.unreachable
    kept = [t for t in targets if t.name not in unreachable]
    res = first if not unreachable else gysim.optimize(model, levers, kept, **common)
    n_runs = first.n_runs + (res.n_runs if res is not first else 0)
    conflicting = []
    for _ in range(args.max_dropped):
        if res.table["met"].all():   # feasible (success also asks DE to have converged)
            break
        # each target can be met alone, but not all together: leave out the one missed by
        # the widest margin at the best found, and search again
        missed = res.table[~res.table["met"]]
        if missed.empty:
            break
        worst = str(missed["margin"].idxmin())
        conflicting.append(worst)
        kept = [t for t in kept if t.name != worst]
        res = gysim.optimize(model, levers, kept, **common)
        n_runs += res.n_runs

    hand = pd.Series({name: float(model.scenarios["plan"].overrides.get(name,
                                                                       model.params[name].value))
                      for name in levers})
    side = pd.DataFrame({"found": pd.Series(res.levers), "plan (hand-set)": hand,
                         "lower": [b[0] for b in levers.values()],
                         "upper": [b[1] for b in levers.values()]})
    # both lever settings under the same samples, at the finer step
    found_run = gysim.simulate(res.model, scenario="plan", params=samples, on_error="mask",
                               **CHECK_METHOD)
    plan_run = gysim.simulate(model, scenario="plan", params=samples, on_error="mask",
                              **CHECK_METHOD)
    elapsed = time.perf_counter() - tic
    table = pd.DataFrame({
        "kind": [t.kind for t in targets], "target_value": [t.value for t in targets],
        "share_found": gysim.check_targets(found_run, targets)["share_met"].to_numpy(),
        "share_plan": gysim.check_targets(plan_run, targets)["share_met"].to_numpy(),
        "best_share_tried": [first.best_shares[t.name] for t in targets],
        "binding": [t.name in res.binding for t in targets],
        "unreachable": [t.name in unreachable for t in targets],
        "conflicting": [t.name in conflicting for t in targets]},
        index=pd.Index([t.name for t in targets], name="target"))
    with pd.option_context("display.width", 160, "display.max_columns", 20,
                           "display.float_format", "{:.4g}".format):
        print(f"Least-effort plan levers meeting the 2010 targets with probability >= "
              f"{args.probability:g} over {args.samples} samples of "
              f"{len(samples)} uncertain parameters (seed {args.seed})\n")
        print(side.to_string())
        print(f"\neffort: found {res.objective:.4g}; the hand-set plan "
              f"{_effort(hand, model, levers):.4g}")
        print(f"\nTargets: share of the samples meeting each (rk4, dt = {CHECK_METHOD['dt']}) at "
              f"the levers found and at the plan's; the highest share any candidate reached "
              f"in the first search:")
        print(table.to_string())
        print(f"\nbinding: {', '.join(res.binding) or 'none'}")
        print(f"unreachable with probability >= {args.probability:g} (left out of the second "
              f"search): {', '.join(unreachable) or 'none'}")
        print(f"left out as conflicting with the others (missed by the widest margin when "
              f"the rest could not all be met): {', '.join(conflicting) or 'none'}")
        feasible = bool(res.table["met"].all())
        print(f"\n{'every kept target met' if feasible else 'NOT every kept target met'}; "
              f"optimiser: {res.message}")
        print(f"{n_runs:,} runs; {elapsed:.1f} s in all")
    return 0


def _effort(values: pd.Series, model: gysim.Model, levers: dict) -> float:
    return float(sum(abs(values[n] - float(model.params[n[:-len("_plan")]].value)) / (hi - lo)
                     for n, (lo, hi) in levers.items()))


if __name__ == "__main__":
    raise SystemExit(main())
