"""Numbers that models/README.md states about a run of the Guiyang model match the run (issue 13)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import gysim

README = Path(__file__).resolve().parents[1] / "models" / "README.md"


@pytest.fixture(scope="module")
def plan_targets():
    from gysim_models.guiyang import targets
    ds = gysim.simulate(gysim.load_model("guiyang"), scenario="plan")
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
