"""Numbers that models/README.md states about a run of the Guiyang model match the run (issue 13)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import gysim

README = Path(__file__).resolve().parents[1] / "models" / "README.md"
FITTED = Path(__file__).resolve().parents[1] / "calibration" / "fitted_parameters.json"


LEVERS = Path(__file__).resolve().parents[1] / "models" / "plan_levers.json"


@pytest.fixture(scope="module")
def plan_targets():
    """The plan with the hand-solved levers: the run the README's landing points describe."""
    from gysim_models.guiyang import hand_set_levers, targets
    model = gysim.load_model("guiyang").with_params(hand_set_levers())
    ds = gysim.simulate(model, scenario="plan")
    return gysim.check_targets(ds, targets())


@pytest.mark.parametrize("words, target", [
    ("sewage treatment at", "urban_sewage_treatment_rate_2010"),
    ("energy intensity at", "energy_per_gdp_2010_vs_2005"),
])
def test_the_plan_runs_landing_points_in_the_readme_are_the_models(plan_targets, words, target):
    text = " ".join(README.read_text(encoding="utf-8").split())
    found = re.search(re.escape(words) + r" (-?\d+(?:\.\d+)?) %", text)
    assert found, f"models/README.md no longer says '{words} ... %'"
    model_value = float(plan_targets.loc[target, "model_value"])
    assert float(found.group(1)) == round(model_value, 1)


def _table_rows(first_cell_pattern: str) -> list[list[str]]:
    """Rows of the README's Markdown tables whose first cell matches the pattern."""
    rows = []
    for line in README.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and re.fullmatch(first_cell_pattern, cells[0]):
            rows.append(cells)
    return rows


def test_the_lever_table_gives_the_models_plan_values():
    """Column `plan`: the stored optimised levers (4 significant digits); `hand-solved`: the
    sector modules' defaults, exactly."""
    from gysim_models.guiyang import hand_set_levers
    model = gysim.load_model("guiyang")
    hand = hand_set_levers()
    rows = _table_rows(r"`[a-z_]+`.*")
    levers = {re.match(r"`([a-z_]+)`", r[0]).group(1): r for r in rows
              if f"{re.match(r'`([a-z_]+)`', r[0]).group(1)}_plan" in model.params
              and len(r) == 5}
    assert len(levers) == 9
    for name, row in levers.items():
        plan_value = float(re.match(r"-?\d+(?:\.\d+)?", row[2]).group(0))
        assert plan_value == float(f"{model.params[f'{name}_plan'].value:.4g}"), name
        hand_value = float(re.match(r"-?\d+(?:\.\d+)?", row[3]).group(0))
        assert hand_value == hand[f"{name}_plan"], name
        # the 2001-2005 column, to the digits it gives (fitted values are rounded)
        stated = re.match(r"[+-]?\d+(?:\.(\d+))?", row[1])
        digits = len(stated.group(1) or "")
        assert float(stated.group(0)) == round(model.params[name].value, digits), name


def test_the_fit_table_is_the_stored_fit():
    stored = json.loads(FITTED.read_text(encoding="utf-8"))["fit"]
    names = {"nominal GDP": "gdp", "primary value added": "va_primary",
             "secondary value added": "va_secondary", "tertiary value added": "va_tertiary",
             "registered population": "population", "real GDP (2000 prices)": "gdp_real",
             "fixed-asset investment 2001-2005": "fixed_asset_investment"}
    rows = {r[0]: r for r in _table_rows("|".join(re.escape(n) for n in names))}
    assert set(rows) == set(names)
    for label, series in names.items():
        stated = float(rows[label][1].rstrip(" %"))
        assert stated == round(stored[series]["MAPE"], 2), label


def test_the_2010_structure_table_is_the_models():
    from gysim_models.guiyang import targets
    model = gysim.load_model("guiyang")
    from gysim_models.guiyang import hand_set_levers
    rows = {r[0]: r for r in _table_rows(r"baseline|plan|plan \(hand-solved\)|plan's target")}
    for label, scenario, m in (("baseline", "baseline", model), ("plan", "plan", model),
                               ("plan (hand-solved)", "plan", model.with_params(hand_set_levers()))):
        ds = gysim.simulate(m, scenario=scenario).sel(time=2010)
        row = rows[label]
        for i, sector in enumerate(("primary", "secondary", "tertiary"), start=1):
            share = 100 * float(ds[f"va_{sector}"] / ds.gdp)
            assert float(row[i].rstrip(" %")) == round(share, 1), (label, sector)
        assert float(row[4]) == round(float(ds.va_industry))
        assert float(row[5]) == round(float(ds.gdp))
    # the target row is the plan's (models/_plan.py and the targets file)
    wanted = {t.name: t.value for t in targets(model)}
    target_row = rows["plan's target"]
    for i, sector in enumerate(("primary", "secondary", "tertiary"), start=1):
        assert float(target_row[i].rstrip(" %")) == wanted[f"sector_structure_2010_{sector}"]
    assert float(target_row[4]) == wanted["industrial_value_added_2010"]


def test_the_probability_table_is_the_stored_search():
    """Every target's probabilities and status in models/README.md are those plan_levers wrote."""
    record = json.loads(LEVERS.read_text(encoding="utf-8"))["targets"]
    rows = {r[0].strip("`"): r for r in _table_rows(r"`[a-z0-9_]+`")
            if len(r) == 7 and r[0].strip("`") in record}
    assert set(rows) == set(record)
    for name, row in rows.items():
        stored = record[name]
        for column, key in ((3, "P_baseline"), (4, "P_hand"), (5, "P_found")):
            assert float(row[column]) == round(stored[key], 2), (name, key)
        status = ("unreachable" if stored["unreachable"] else "conflicting" if stored["conflicting"]
                  else "missed" if stored["share_search"] < 0.8 else "binding" if stored["binding"]
                  else "met")
        assert row[6].startswith(status), name
