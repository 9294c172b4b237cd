"""gysim.explore: sliders driven from Python change the outputs and the targets (issue 17)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import gysim  # noqa: E402
from gysim.errors import ParameterError  # noqa: E402
from gysim.targets import Target  # noqa: E402


def growth():
    m = gysim.Model("growth", stop=10)
    m.stock("capital", 100.0, units="yuan")
    m.param("rate", 0.05, units="1/year", bounds=(0.0, 0.2))
    m.param("depreciation", 0.02, units="1/year", bounds=(0.0, 0.1))
    m.flow("investment", "rate * capital", into="capital", units="yuan/year")
    m.flow("wear", "depreciation * capital", out_of="capital", units="yuan/year")
    return m


def test_sliders_follow_bounds_and_units_and_drive_the_run():
    w = gysim.explore(growth(), ["rate", "depreciation"], ["capital", "investment"])
    s = w.sliders["rate"]
    assert (s.min, s.max, s.value) == (0.0, 0.2, 0.05) and "1/year" in s.description
    first = float(w.last_run["capital"][-1])
    np.testing.assert_allclose(first, 100 * np.exp(0.03 * 10), rtol=1e-3)
    s.value = 0.1
    np.testing.assert_allclose(float(w.last_run["capital"][-1]), 100 * np.exp(0.08 * 10),
                               rtol=1e-3)
    assert w.values() == {"rate": 0.1, "depreciation": 0.02}
    assert len(w.figure.axes) >= 2 and w.seconds > 0


def test_ensemble_gives_fan_charts_and_target_shares():
    rng = np.random.default_rng(1)
    target = Target("capital_2010", 150.0, "at least", variable="capital", years=(10,))
    w = gysim.explore(growth(), ["rate"], ["capital"],
                      ensemble={"depreciation": rng.uniform(0.0, 0.1, 200)}, targets=[target])
    assert w.last_run.sizes["run"] == 200
    share_before = float(w.table.loc["capital_2010", "share_met"])
    w.sliders["rate"].value = 0.12
    share_after = float(w.table.loc["capital_2010", "share_met"])
    # capital(10) = 100 exp((r - d) 10) >= 150  <=>  d <= r - ln(1.5)/10, d ~ U(0, 0.1)
    for r, share in ((0.05, share_before), (0.12, share_after)):
        expected = np.clip((r - np.log(1.5) / 10) / 0.1, 0, 1)
        assert abs(share - expected) < 0.1
    assert share_after > share_before
    assert len(w.figure.axes[0].collections) == 2  # the 90 % and 50 % bands


def test_explore_errors():
    m = growth()
    with pytest.raises(ParameterError, match="`params`"):
        gysim.explore(m, ["capital"], ["capital"])
    with pytest.raises(ParameterError, match="`outputs`"):
        gysim.explore(m, ["rate"], ["nope"])
    with pytest.raises(ParameterError, match="both on a slider"):
        gysim.explore(m, ["rate"], ["capital"], ensemble={"rate": [0.1, 0.2]})
    with pytest.raises(ParameterError, match="differ in length"):
        gysim.explore(m, ["rate"], ["capital"],
                      ensemble={"depreciation": [0.1, 0.2], "capital": [1.0]})


def test_targets_computed_by_functions_save_only_what_they_read():
    m = growth()
    by_function = Target("wear_2010", 0.0, "at_least",
                         func=lambda ds: ds["wear"].sel(time=10).values)
    w = gysim.explore(m, ["rate"], ["capital"], targets=[by_function],
                      ensemble={"depreciation": np.linspace(0.0, 0.1, 5)})
    assert w._variables == ["capital", "wear"]
    assert float(w.table.loc["wear_2010", "share_met"]) == 1.0
    # a function that uses the Dataset otherwise: everything is saved
    opaque = Target("n", 0.0, "at_least", func=lambda ds: ds.capital.sel(time=10).values)
    assert gysim.explore(m, ["rate"], ["capital"], targets=[opaque])._variables is None
