"""Solve the plan scenario's levers so that the coupled model meets the targets they serve.

Usage (from the repository root)::

    .venv/bin/python calibration/solve_plan_levers.py

Each lever of the plan scenario (``<lever>_plan``, see models/README.md) is
set to the value with which the calibrated Guiyang model, under the ``plan``
scenario, reaches in 2010 the target of the plan sentence it serves. The
levers interact (investment changes output, output changes jobs and
migration...), so the script solves them one at a time with
:func:`gysim.solve_for` and sweeps over all of them until none moves by more
than 1e-6 of its value. It prints each value rounded to four significant
digits in the direction that meets the target; those are the values written
into models/ (the sector modules' defaults of the ``*_plan`` parameters,
``gysim_models.guiyang.hand_set_levers()``).

The ``plan`` scenario of the coupled model no longer uses them: its levers
come from ``python -m gysim_models.plan_levers`` (least effort, each target
met with probability >= 0.8 under the posterior). These hand-solved levers
stay for comparison: the plan as the calibrated point estimate reads it.
"""

from __future__ import annotations

import math
import sys

import gysim
from gysim_models import _plan as plan  # models/, installed by `pip install -e .`
from gysim_models.guiyang import hand_set_levers

#: lever -> (target name, goal, +1 if a larger indicator meets the target, else -1).
LEVERS = {
    "investment_rate_trend_plan": ("fixed_asset_investment_growth_2006_2010", 16.0, 0),
    "secondary_investment_priority_plan": ("sector_structure_2010_secondary", 51.7, 0),
    "energy_saving_investment_share_plan": ("energy_per_gdp_2010_vs_2005", -20.0, -1),
    "water_efficiency_rate_plan": ("industrial_water_per_value_added_2010", 40.0, -1),
    "sewage_capacity_construction_plan": ("urban_sewage_treatment_rate_2010", 70.0, +1),
    "settlement_rate_plan": ("urbanization_rate_2010", 68.0, 0),
    "transfer_rate_plan": ("rural_non_farm_labor_share_2010", 40.0, 0),
    "employment_elasticity_plan": ("urban_jobs_created_cumulative_2006_2010", 20.0, +1),
    "birth_rate_plan": ("natural_growth_rate_2006_2010", 5.8, -1),
}
SWEEPS = 6


def round_toward(value: float, lever_sign: float) -> float:
    """`value` to four significant digits, rounded away from zero if `lever_sign` > 0,
    toward zero if < 0, to the nearest if 0."""
    digits = 3 - int(math.floor(math.log10(abs(value))))
    scale = 10.0 ** digits
    if lever_sign == 0:
        return round(value, digits)
    step = math.ceil if lever_sign * value > 0 else math.floor
    return step(value * scale) / scale


def solve(model: gysim.Model | None = None) -> dict[str, float]:
    """The plan levers, solved jointly (unrounded)."""
    model = gysim.load_model("guiyang") if model is None else model
    targets = {t.name: t for t in plan.targets(model)}
    start = hand_set_levers()
    values = {lever: start[lever] for lever in LEVERS}
    for _ in range(SWEEPS):
        moved = 0.0
        for lever, (name, goal, _meets) in LEVERS.items():
            current = model.with_params(values)
            res = gysim.solve_for(current, lever, targets[name], goal=goal, scenario="plan")
            moved = max(moved, abs(res.value - values[lever]) / max(abs(values[lever]), 1e-12))
            values[lever] = res.value
        if moved < 1e-6:
            break
    return values


def main() -> int:
    model = gysim.load_model("guiyang")
    values = solve(model)
    targets = {t.name: t for t in plan.targets(model)}
    rounded = {}
    for lever, (name, goal, meets) in LEVERS.items():
        # which way does the lever move the indicator? (one-sided difference)
        base = gysim.simulate(model.with_params(values), scenario="plan")
        bumped = gysim.simulate(model.with_params({**values, lever: values[lever] * 1.001}),
                                scenario="plan")
        slope = float(targets[name].model_value(bumped)) - float(targets[name].model_value(base))
        rounded[lever] = round_toward(values[lever], meets * math.copysign(1, slope))
    ds = gysim.simulate(model.with_params(rounded), scenario="plan")
    checked = gysim.check_targets(ds, list(targets.values()))
    for lever, (name, goal, _meets) in LEVERS.items():
        print(f"{lever:38s} {values[lever]:.6g} -> {rounded[lever]:<10g} {name}: "
              f"{float(checked.loc[name, 'model_value']):.4g} (goal {goal:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
