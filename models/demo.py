"""The main job behind ``make demo``: the Guiyang model's scenarios against the plan.

Runs the calibrated Guiyang model under the ``baseline`` and ``plan``
scenarios to 2010, writes ``results/guiyang_<scenario>.nc``, draws the key
trajectories against the 2000-2005 data and the plan's targets, in English
and in Chinese (``results/guiyang_scenarios.png``, ``guiyang_scenarios_zh.png``),
prints the target table, and runs an ensemble over the assumption-based
parameters to show how often each target is met when those assumptions vary
within their ranges.

That share is a probability *under the prior*: each assumption drawn
uniformly over its bounds, not calibrated (not weighted by how well a draw
fits the 2000-2005 data). It says how much the targets hinge on the
assumptions, not how likely the plan is to be met; the printed text, the
table (``results/guiyang_targets.csv``) and the fan chart
(``results/guiyang_prior.png``) say so.

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
from .names_zh import DISPLAY_SCALES

ENSEMBLE_METHOD = {"method": "rk4", "dt": 0.0625}

#: What the ensemble's shares are, in the words every output uses.
PRIOR_NOTE = "under the prior: parameters uniform over their bounds, not calibrated"
PRIOR_NOTE_ZH = "先验分布下：参数在其取值范围内均匀抽取，未经校准"

#: The panels of the scenario figure: the key variables, with real GDP (its growth target).
FIGURE_VARIABLES = KEY_VARIABLES[:1] + ["gdp_real"] + KEY_VARIABLES[1:]

#: The figure titles.
TITLES = {"en": "Guiyang: baseline vs the 11th plan's levers (dots: 2000-2005 data)",
          "zh": "贵阳市“十一五”规划：基准情景与规划情景（圆点：2000—2005年统计数据）"}


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
    import matplotlib.pyplot as plt

    from gysim.plot import fan_chart, trajectories

    model = load_model("guiyang")  # through the entry point, as users load it
    targets = plan.targets(model)
    results = {}
    for scenario in ("baseline", "plan"):
        ds = simulate(model, scenario=scenario)
        path = out / f"guiyang_{scenario}.nc"
        to_netcdf_atomic(ds, path)
        results[scenario] = ds
        print(f"wrote {path}")

    variables = [v for v in FIGURE_VARIABLES if v in model.elements]
    for lang in ("en", "zh"):
        runs = results if lang == "en" else {SCENARIOS_ZH[k]: v for k, v in results.items()}
        fig = trajectories(runs, variables, data=plan.observations(), targets=targets,
                           title=TITLES[lang], lang=lang, scales=DISPLAY_SCALES, ncols=5)
        figure = out / ("guiyang_scenarios.png" if lang == "en" else "guiyang_scenarios_zh.png")
        savefig_atomic(fig, figure, dpi=110)
        plt.close(fig)
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
    shares = check_targets(ensemble, targets)
    table = targets_table(tables, shares, args.runs)

    with pd.option_context("display.width", 160, "display.max_columns", 20,
                           "display.float_format", "{:.3g}".format):
        print("\nThe 11th plan's targets (2010 unless the name says otherwise):")
        print(table.to_string())
    print(f"\nensemble: {args.runs} runs of the plan scenario varying {len(names)} assumption-based "
          f"parameters uniformly within their bounds ({ENSEMBLE_METHOD['method']}, dt = "
          f"{ENSEMBLE_METHOD['dt']}), in {elapsed:.2f} s "
          f"({args.runs / elapsed:,.0f} runs/s)")
    if "gdp_2010" in shares.index:
        share = float(shares.loc["gdp_2010", "share_met"])
        print(f"headline: GDP >= 1000亿 (100 million yuan) in 2010 met in {100 * share:.0f} % of "
              f"runs {PRIOR_NOTE}; a spread of the assumptions, not a forecast")
    write_table(table, out / "guiyang_targets.csv")
    print(f"wrote {out / 'guiyang_targets.csv'}")
    for lang, name in (("en", "guiyang_prior.png"), ("zh", "guiyang_prior_zh.png")):
        fig = prior_fan(ensemble, fan_chart, lang)
        savefig_atomic(fig, out / name, dpi=110)
        plt.close(fig)
        print(f"wrote {out / name}")
    return 0


#: The scenarios' names in Chinese figures.
SCENARIOS_ZH = {"baseline": "基准情景", "plan": "规划情景"}


def prior_fan(ensemble, fan_chart, lang: str = "en"):
    """Fan charts of the ensemble's key outcomes, titled as what they are: the prior's spread."""
    import matplotlib.pyplot as plt

    panels = ["gdp", "energy_intensity", "urbanization_rate"]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 3.8), layout="constrained")
    for ax, name in zip(axes, panels):
        fan_chart(ensemble, name, ax=ax, label="plan" if lang == "en" else SCENARIOS_ZH["plan"],
                  lang=lang, scales=DISPLAY_SCALES)
    fig.suptitle(f"The plan scenario's spread {PRIOR_NOTE}" if lang == "en" else
                 f"规划情景的不确定范围（{PRIOR_NOTE_ZH}）")
    return fig


def share_column(runs: int) -> str:
    """The header of the ensemble's shares: how many runs, and that they sample the prior."""
    return f"share met, {runs} runs {PRIOR_NOTE}"


def targets_table(tables: dict[str, pd.DataFrame], shares: pd.DataFrame, runs: int) -> pd.DataFrame:
    """The scenarios side by side against the targets, one header per column.

    `tables` maps each scenario to its :func:`gysim.check_targets` table, and
    `shares` is the ensemble's (``share_met``, headed by :func:`share_column`). The index keeps
    check_targets' name ``target`` (the target's name); the goal is
    ``target_value``, each scenario's model value is headed by the scenario
    and its verdict ``met (<scenario>)``.
    """
    first = next(iter(tables.values()))
    table = first[["kind", "target_value", "units"]].copy()
    for scenario, checked in tables.items():
        table[scenario] = checked["model_value"]
        table[f"met ({scenario})"] = checked["met"]
    table[share_column(runs)] = shares["share_met"]
    return table


if __name__ == "__main__":
    raise SystemExit(main())
