"""The plan scenario's levers: least effort, each 2010 target met with probability >= 0.8.

Run ``python -m gysim_models.plan_levers`` (options: ``--help``) after
``calibration/posterior.py`` has written ``calibration/posterior_draws.nc``.
It searches the nine plan levers of the Guiyang model (the ``<lever>_plan``
parameters, within their bounds) with :func:`gysim.optimize` under the
``plan`` scenario, so that each of the plan's 2010 targets holds in at least
a share ``--probability`` of ``--samples`` posterior draws of the fitted
parameters, checks the answer on other draws of the posterior, prints the
levers beside the hand-solved ones (``calibration/solve_plan_levers.py``),
and writes them to ``models/plan_levers.json``, which the ``plan`` scenario
of ``gysim.load_model("guiyang")`` reads (see ``_plan.stored_levers``).

The cost
--------
The plan states no unit costs for its levers, so the cost is *effort*: how
far each lever moves from its 2001-2005 value, as a share of the lever's
range, summed with equal weights (:func:`effort_cost`). Replace the weights
with real unit costs when they are known.

How many draws: the order-statistic margin
------------------------------------------
"At least ``r = ceil(p K)`` of K draws meet the target" is what the search
can check. When the levers move a target's indicator monotonically, the
search stops where the ``r``-th largest margin of the K draws is 0, and the
true probability of meeting the target there is the coverage of that order
statistic, distributed as Beta(r, K - r + 1) whatever the model
(:func:`coverage_quantile`): mean ``r / (K + 1)``, spread about
``sqrt(p (1 - p) / K)``. With K = 40 the probability at a binding target is
0.78 on average and below 0.70 one time in ten; with K = 200 (the default)
0.80 and 0.76, and the posterior itself holds about 800 independent draws
(its effective sample size), so many more search draws would mostly repeat
it. The answer is then checked on held-out draws (every ``--thin``-th step
of every walker, none of them in the search), whose shares carry their own
Monte Carlo error.

Stages
------
1. *Screen* with the first ``--screen-samples`` of the search draws (full
   search): targets that no candidate meets with the required probability
   are *unreachable* and left out; when the rest cannot all be met together,
   the one missed by the widest margin (relative to its goal) is left out
   as *conflicting* and the search repeated (at most ``--max-dropped``
   times).
2. *Final* search with all ``--samples`` draws, started from a small cloud
   around the screen's answer (``--final-generations``); a target it still
   cannot meet is left out as conflicting, as above.
3. *Check*: baseline, the levers found and the hand-solved levers on the
   held-out draws, at the finer step ``CHECK_METHOD``.

Everything is drawn from ``--seed``: the same draws file and seed give the
same levers. The Guiyang economics are being revised; re-run after a refit.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

import gysim
from gysim.atomic import write_text_atomic

from . import _plan as plan
from .guiyang import hand_set_levers, uncertain_parameters

ROOT = Path(__file__).resolve().parent.parent
DRAWS_FILE = ROOT / "calibration" / "posterior_draws.nc"

#: The search's fixed step. make demo's ensemble uses dt = 0.0625 (adaptive steps are slow
#: here, see demo.py); over 2000 samples the targets' shares at dt = 0.25 differ from those at
#: 0.0625 by at most 0.0035, at a fifth of the time. The answer is checked at 0.0625.
METHOD = {"method": "rk4", "dt": 0.25}
CHECK_METHOD = {"method": "rk4", "dt": 0.0625}
#: Relative half-width of the cloud around the screen's answer that starts the final search.
WARM_SPREAD = 0.05


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


def effort(values: dict[str, float], model: gysim.Model,
           levers: dict[str, tuple[float, float]]) -> float:
    """:func:`effort_cost` evaluated at lever `values`."""
    return float(sum(abs(values[n] - float(model.params[n[:-len("_plan")]].value)) / (hi - lo)
                     for n, (lo, hi) in levers.items()))


def coverage_quantile(k: int, r: int, q: float) -> float:
    """The `q`-quantile of the probability of a target whose `r`-th largest margin of `k` is 0.

    For a continuous indicator, the share of the whole distribution at or
    above the `r`-th largest of `k` independent draws is Beta(r, k - r + 1)
    distributed (the coverage of an order statistic; Wilks 1941).

    Examples
    --------
    >>> round(coverage_quantile(1, 1, 0.1), 12)   # one draw: the coverage is uniform
    0.1
    >>> round(coverage_quantile(200, 160, 0.1), 3)
    0.759
    """
    from scipy.stats import beta

    if not (isinstance(k, (int, np.integer)) and isinstance(r, (int, np.integer)) and 1 <= r <= k):
        raise gysim.ParameterError(f"`r` must be an integer in 1..k (k = {k!r}), got {r!r}")
    if not 0 < q < 1:
        raise gysim.ParameterError(f"`q` must be in (0, 1), got {q!r}")
    return float(beta.ppf(q, r, k - r + 1))


def draws_digest(draws: xr.Dataset) -> str:
    """SHA-256 of the draws' values (names, shapes and float64 bytes, names sorted).

    The same draws give the same digest whatever file format stored them.

    Examples
    --------
    >>> import xarray as xr, numpy as np
    >>> a = xr.Dataset({"x": (("chain", "draw"), np.zeros((2, 3)))})
    >>> draws_digest(a) == draws_digest(a.copy(deep=True)), draws_digest(a) == draws_digest(a + 1)
    (True, False)
    """
    digest = hashlib.sha256()
    for name in sorted(map(str, draws.data_vars)):
        values = np.ascontiguousarray(draws[name].values, dtype="<f8")
        digest.update(f"{name}{values.shape}".encode())
        digest.update(values.tobytes())
    return digest.hexdigest()


def split_draws(draws: xr.Dataset, n_search: int, thin: int, rng: np.random.Generator
                ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Search draws and held-out draws of a posterior with dims (chain, draw).

    Held out: every `thin`-th draw of every chain (``draw % thin == thin - 1``),
    with their ``chain`` and ``draw`` indices (for the Monte Carlo error of
    correlated draws). Search: `n_search` of the other draws, at random.

    Returns ``(search, held_out, coords)``.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> d = xr.Dataset({"k": (("chain", "draw"), np.arange(20.0).reshape(2, 10))})
    >>> s, h, c = split_draws(d, 3, 5, np.random.default_rng(0))
    >>> h["k"].tolist(), c["draw"].tolist(), len(set(s["k"]) & set(h["k"]))
    ([4.0, 9.0, 14.0, 19.0], [4, 9, 4, 9], 0)
    """
    if tuple(draws.dims) != ("chain", "draw") and set(draws.dims) != {"chain", "draw"}:
        raise gysim.DataError(f"the posterior's draws must have dims (chain, draw), got "
                              f"{tuple(draws.dims)}")
    draws = draws.transpose("chain", "draw")
    n_chain, n_draw = draws.sizes["chain"], draws.sizes["draw"]
    if not 1 <= thin <= n_draw:
        raise gysim.ParameterError(f"`thin` must be in 1..{n_draw}, got {thin!r}")
    held = np.zeros((n_chain, n_draw), dtype=bool)
    held[:, thin - 1::thin] = True
    pool = np.flatnonzero(~held.reshape(-1))
    if not 1 <= n_search <= len(pool):
        raise gysim.ParameterError(f"`n_search` must be in 1..{len(pool)} (draws not held out), "
                                   f"got {n_search!r}")
    keep = np.sort(rng.choice(pool, size=n_search, replace=False))
    flat = {str(n): np.asarray(draws[n].values, dtype=float).reshape(-1) for n in draws.data_vars}
    chain, draw = np.nonzero(held)
    search = {n: v[keep] for n, v in flat.items()}
    held_out = {n: v[held.reshape(-1)] for n, v in flat.items()}
    return search, held_out, {"chain": chain, "draw": draw}


@dataclass
class Search:
    """A staged search's answer: the last result and what was left out, and why."""

    result: gysim.OptimizeResult
    unreachable: list[str] = field(default_factory=list)
    conflicting: list[str] = field(default_factory=list)
    best_shares: dict[str, float] = field(default_factory=dict)
    n_runs: int = 0


def staged_search(model, levers, targets, samples, *, init=None, find_unreachable=True,
                  max_dropped=3, **options) -> Search:
    """Optimise; leave out unreachable targets, then conflicting ones one at a time."""
    def run(kept, start):
        extra = {"solver_options": {"init": start}} if start is not None else {}
        return gysim.optimize(model, levers, kept, uncertain=samples, scenario="plan",
                              **options, **extra)

    res = run(targets, init)
    found = Search(res, best_shares=dict(res.best_shares), n_runs=res.n_runs)
    kept = list(targets)
    if find_unreachable and res.unreachable:
        found.unreachable = list(res.unreachable)
        kept = [t for t in kept if t.name not in found.unreachable]
        res = run(kept, init)
        found.n_runs += res.n_runs
    for _ in range(max_dropped):
        missed = res.table[~res.table["met"]]
        if missed.empty:
            break
        # each target can be met alone, but not all together: leave out the one missed by
        # the widest margin at the best found, and search again from near there
        worst = str(missed["margin"].idxmin())
        found.conflicting.append(worst)
        kept = [t for t in kept if t.name != worst]
        start = warm_start(res.levers, levers, options["population"],
                           np.random.default_rng(options.get("seed")))
        res = run(kept, start)
        found.n_runs += res.n_runs
    found.result = res
    return found


def warm_start(center: dict[str, float], levers: dict[str, tuple[float, float]], popsize: int,
               rng: np.random.Generator) -> np.ndarray:
    """A DE population: `center` and points uniform within +-WARM_SPREAD of each range around it."""
    lo = np.array([b[0] for b in levers.values()])
    hi = np.array([b[1] for b in levers.values()])
    x = np.array([center[n] for n in levers])
    n = popsize * len(levers)
    cloud = x + (rng.uniform(-1, 1, (n, len(levers))) * WARM_SPREAD * (hi - lo))
    cloud[0] = x
    return np.clip(cloud, lo, hi)


def check(model, targets, held_out, coords, levers_found, hand) -> pd.DataFrame:
    """Probability of each target on the held-out draws: baseline, levers found, hand-solved."""
    runs = {"baseline": gysim.simulate(model, scenario="baseline", params=held_out,
                                       on_error="mask", **CHECK_METHOD)}
    for key, values in (("found", levers_found), ("hand", hand)):
        runs[key] = gysim.simulate(model.with_params(values), scenario="plan", params=held_out,
                                   on_error="mask", **CHECK_METHOD)
    columns = {}
    for key, ds in runs.items():
        if coords:
            ds = ds.assign_coords({k: ("run", v) for k, v in coords.items()})
        table = gysim.check_targets(ds, targets)
        columns[f"P_{key}"] = table["share_met"]
        columns[f"mcse_{key}"] = table["mcse"]
    return pd.DataFrame(columns)


def markdown(frame: pd.DataFrame, fmt: str = ".3g") -> str:
    """A DataFrame as a Markdown table (index first)."""
    def cell(v):
        if isinstance(v, (bool, np.bool_)):
            return "yes" if v else ""
        if isinstance(v, (float, np.floating)):
            return format(float(v), fmt)
        return str(v)
    head = [frame.index.name or ""] + [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for idx, row in frame.iterrows():
        lines.append("| " + " | ".join([f"`{idx}`"] + [cell(v) for v in row]) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the search; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m gysim_models.plan_levers",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--posterior", metavar="DRAWS.nc", type=Path, default=DRAWS_FILE,
                        help="the posterior's draws, dims (chain, draw) (default: "
                             "calibration/posterior_draws.nc, written by calibration/posterior.py)")
    parser.add_argument("--prior", action="store_true",
                        help="instead of the posterior: the uncertain assumption parameters "
                             "uniform over their bounds (as make demo's ensemble)")
    parser.add_argument("--probability", type=float, default=0.8)
    parser.add_argument("--samples", type=int, default=200,
                        help="draws the final search runs every candidate on (default 200)")
    parser.add_argument("--screen-samples", type=int, default=40,
                        help="draws of the screening search (the first of the search draws; "
                             "default 40)")
    parser.add_argument("--generations", type=int, default=120,
                        help="generations of each screening search (default 120)")
    parser.add_argument("--final-generations", type=int, default=30,
                        help="generations of the final search (default 30)")
    parser.add_argument("--popsize", type=int, default=5,
                        help="differential evolution's population per lever (default 5)")
    parser.add_argument("--thin", type=int, default=20,
                        help="held-out check: every THIN-th draw of every walker (default 20)")
    parser.add_argument("--seed", type=int, default=2006)
    parser.add_argument("--max-dropped", type=int, default=3,
                        help="most targets left out, one at a time, when the reachable ones "
                             "cannot all be met together (default 3)")
    parser.add_argument("--out", type=Path, default=plan.LEVERS_FILE,
                        help="where to write the levers (default models/plan_levers.json, "
                             "which the plan scenario reads)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if not 0 < args.screen_samples <= args.samples:
        parser.error("--screen-samples must be in 1..--samples")

    tic, cpu = time.perf_counter(), time.process_time()
    model = gysim.load_model("guiyang")
    targets = plan.targets(model)
    levers = plan_levers(model)
    solved = hand_set_levers()
    hand = {n: solved[n] for n in levers}
    cost = effort_cost(model, levers)
    rng = np.random.default_rng(args.seed)
    if args.prior:
        names = uncertain_parameters(model)
        samples = {n: rng.uniform(*model.params[n].bounds, size=args.samples) for n in names}
        held_out = {n: rng.uniform(*model.params[n].bounds, size=2000) for n in names}
        coords = {}
        source = {"kind": "prior", "parameters": names,
                  "note": "uniform over the bounds; held out: 2000 other samples"}
        print(f"uncertainty: {len(names)} assumption parameters uniform over their bounds (a "
              f"prior, not the posterior)")
    else:
        if not args.posterior.is_file():
            parser.error(f"{args.posterior} does not exist: run calibration/posterior.py first "
                         f"(or give --posterior DRAWS.nc, or --prior)")
        with xr.open_dataset(args.posterior) as opened:
            draws = opened.load()
        samples, held_out, coords = split_draws(draws, args.samples, args.thin, rng)
        try:
            shown = str(args.posterior.resolve().relative_to(ROOT))
        except ValueError:
            shown = str(args.posterior)
        source = {"kind": "posterior", "file": shown, "sha256_of_values": draws_digest(draws),
                  "chains": int(draws.sizes["chain"]), "draws_per_chain": int(draws.sizes["draw"]),
                  "parameters": sorted(map(str, draws.data_vars)),
                  "held_out": f"every {args.thin}th draw of every chain "
                              f"({len(coords['chain'])} draws), none in the search"}
        print(f"uncertainty: the posterior of {', '.join(samples)} ({shown}, "
              f"{draws.sizes['chain']} chains x {draws.sizes['draw']} draws); search on "
              f"{args.samples} draws, check on {len(coords['chain'])} held-out draws")
    common = dict(minimize=cost, probability=args.probability, seed=args.seed,
                  population=args.popsize, **METHOD)

    screen_samples = {n: v[:args.screen_samples] for n, v in samples.items()}
    screen = staged_search(model, levers, targets, screen_samples, max_dropped=args.max_dropped,
                           generations=args.generations, **common)
    kept = [t for t in targets if t.name not in screen.unreachable + screen.conflicting]
    start = warm_start(screen.result.levers, levers, args.popsize, rng)
    final = staged_search(model, levers, kept, samples, init=start, find_unreachable=False,
                          max_dropped=max(0, args.max_dropped - len(screen.conflicting)),
                          generations=args.final_generations, **common)
    res = final.result
    conflicting = screen.conflicting + final.conflicting
    found = dict(res.levers)
    checked = check(model, targets, held_out, coords, found, hand)
    seconds, cpu_seconds = time.perf_counter() - tic, time.process_time() - cpu
    n_runs = screen.n_runs + final.n_runs

    search_share = gysim.check_targets(
        gysim.simulate(res.model, scenario="plan", params=samples, on_error="mask", **METHOD),
        targets)["share_met"]
    table = pd.DataFrame({
        "kind": [t.kind for t in targets], "goal": [t.value for t in targets],
        "P_baseline": checked["P_baseline"], "P_hand": checked["P_hand"],
        "P_found": checked["P_found"], "mcse_found": checked["mcse_found"],
        "share_search": search_share,
        "best_screen": [screen.best_shares[t.name] for t in targets],
        "binding": [t.name in res.binding for t in targets],
        "unreachable": [t.name in screen.unreachable for t in targets],
        "conflicting": [t.name in conflicting for t in targets]},
        index=pd.Index([t.name for t in targets], name="target"))
    side = pd.DataFrame({"found": pd.Series(found), "hand-solved": pd.Series(hand),
                         "2001-2005": [float(model.params[n[:-5]].value) for n in levers],
                         "lower": [b[0] for b in levers.values()],
                         "upper": [b[1] for b in levers.values()]})
    side.index.name = "lever"
    r = math.ceil(args.probability * args.samples - 1e-9)
    feasible = bool(res.table["met"].all())

    print(f"\nLeast-effort plan levers meeting the 2010 targets with probability >= "
          f"{args.probability:g} (seed {args.seed})\n")
    print(markdown(side, ".4g"))
    print(f"\neffort: found {res.objective:.4g}; hand-solved {effort(hand, model, levers):.4g}")
    print(f"\nTargets: P_* = share of the held-out draws meeting each (rk4, dt = "
          f"{CHECK_METHOD['dt']}; mcse: its Monte Carlo standard error); share_search = share of "
          f"the {args.samples} search draws at the levers found; best_screen = highest share any "
          f"candidate reached in the screen ({args.screen_samples} draws)\n")
    print(markdown(table))
    print(f"\norder-statistic margin: a target binding at {r} of {args.samples} draws has "
          f"probability {r / (args.samples + 1):.3f} on average, below "
          f"{coverage_quantile(args.samples, r, 0.1):.3f} one time in ten")
    print(f"binding: {', '.join(res.binding) or 'none'}")
    print(f"unreachable: {', '.join(screen.unreachable) or 'none'}")
    print(f"conflicting (left out): {', '.join(conflicting) or 'none'}")
    print(f"\n{'every kept target met' if feasible else 'NOT every kept target met'}; "
          f"optimiser: {res.message}")
    print(f"{n_runs:,} runs; {seconds:.1f} s wall, {cpu_seconds:.1f} s CPU in all")

    if not args.no_write:
        record = {
            "levers": found,
            "about": "the plan scenario's levers (models/plan_levers.py; models/README.md)",
            "created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "gysim_version": gysim.__version__,
            "command": "python -m gysim_models.plan_levers " + " ".join(argv or []),
            "settings": {"probability": args.probability, "samples": args.samples,
                         "screen_samples": args.screen_samples, "generations": args.generations,
                         "final_generations": args.final_generations, "popsize": args.popsize,
                         "seed": args.seed, "max_dropped": args.max_dropped, "thin": args.thin,
                         "method": METHOD, "check_method": CHECK_METHOD,
                         "cost": "effort: sum of |lever - 2001-2005 value| / range"},
            "uncertainty": source,
            "effort": {"found": float(res.objective), "hand_solved": effort(hand, model, levers)},
            "feasible": feasible,
            "targets": {name: {k: (bool(v) if isinstance(v, (bool, np.bool_)) else
                                   float(v) if isinstance(v, (float, np.floating, int)) else v)
                               for k, v in row.items()} for name, row in table.iterrows()},
            "runs": n_runs, "seconds": round(seconds, 1), "cpu_seconds": round(cpu_seconds, 1),
        }
        write_text_atomic(args.out, json.dumps(record, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
