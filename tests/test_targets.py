"""Target checks: at least / about / at most at, just inside and just outside their boundaries."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import gysim
from gysim.errors import DataError
from gysim.targets import Target, check_targets, load_targets, parse_kind

PLAN_TARGETS = Path(__file__).resolve().parents[1].parent / "shared" / "plan" / "targets_11th_fyp.csv"
EPS = 1e-6  # well above the 1e-9 floating-point slack of the comparisons


def one_run(values, var="x"):
    return xr.Dataset({var: ("time", np.asarray(values, dtype=float))},
                      coords={"time": np.arange(2005.0, 2005.0 + len(values))})


def at_2005(value, kind, target=100.0, **kw):
    t = Target("t", target, kind, variable="x", years=(2005,), **kw)
    return bool(check_targets(one_run([value]), [t]).loc["t", "met"])


@pytest.mark.parametrize(
    "kind, value, met",
    [("at_least", 100.0, True), ("at_least", 100.0 + EPS, True), ("at_least", 100.0 - EPS, False),
     ("at_most", 100.0, True), ("at_most", 100.0 - EPS, True), ("at_most", 100.0 + EPS, False),
     # about: within 5 % of 100, i.e. [95, 105]
     ("about", 100.0, True), ("about", 105.0, True), ("about", 95.0, True),
     ("about", 105.0 - EPS, True), ("about", 95.0 + EPS, True),
     ("about", 105.0 + EPS, False), ("about", 95.0 - EPS, False)],
)
def test_kinds_at_their_boundaries(kind, value, met):
    assert at_2005(value, kind) is met


def test_about_tolerance_and_negative_targets():
    assert at_2005(109.0, "about", tolerance=0.1) and not at_2005(111.0, "about", tolerance=0.1)
    # For a negative target the band is relative to |target|: -20 +- 1.
    assert at_2005(-19.0, "about", target=-20.0) and at_2005(-21.0, "about", target=-20.0)
    assert not at_2005(-18.9, "about", target=-20.0)
    assert at_2005(-25.0, "at_most", target=-20.0) and not at_2005(-15.0, "at_most", target=-20.0)


def test_boundary_reached_by_arithmetic_counts_as_met():
    # 100 * (1.13 - 1) is 12.999999999999989 in floating point.
    ds = one_run([100.0, 113.0])
    t = Target("g", 13.0, "at least", variable="x", form="percent_change", years=(2005, 2006))
    assert check_targets(ds, [t]).loc["g", "met"]


def test_forms_by_hand():
    ds = one_run([100.0, 110.0, 121.0, 133.1, 146.41, 161.051])  # +10 % a year, 2005-2010
    targets = [
        Target("value", 161.051, "about", variable="x", years=(2010,)),
        Target("change", 61.051, "about", variable="x", form="change", years=(2005, 2010)),
        Target("pct", 61.051, "about", variable="x", form="percent_change", years=(2005, 2010)),
        Target("growth", 10.0, "about", variable="x", form="growth", years=(2005, 2010)),
        Target("cum", 110 + 121 + 133.1 + 146.41 + 161.051, "about", variable="x", form="cumulative",
               years=(2006, 2010)),
        Target("func", 2 * 121.0, "about", func=lambda d: d.x.sel(time=2007) * 2),
        Target("scaled", 16105.1, "about", variable="x", years=(2010,), scale=100),
    ]
    table = check_targets(ds, targets)
    assert list(table.columns) == ["kind", "target_value", "model_value", "met", "gap", "units"]
    assert table.index.name == "target"
    np.testing.assert_allclose(table["model_value"], table["target_value"], rtol=1e-12)
    np.testing.assert_allclose(table["gap"], 0.0, atol=1e-9)
    assert table["met"].dtype == bool and table["met"].all()


def test_gap_sign():
    t = Target("t", 100.0, "at_least", variable="x", years=(2005,))
    assert check_targets(one_run([90.0]), [t]).loc["t", "gap"] == pytest.approx(-10.0)


def test_ensemble_share_and_median():
    values = np.array([[90.0, 96.0, 100.0, 104.0, 110.0]])  # one time, five runs
    ds = xr.Dataset({"x": (("time", "run"), values)}, coords={"time": [2005.0], "run": np.arange(5)})
    targets = [Target("least", 100, "at_least", variable="x", years=(2005,)),
               Target("most", 100, "at_most", variable="x", years=(2005,)),
               Target("about", 100, "about", variable="x", years=(2005,))]
    table = check_targets(ds, targets)
    assert list(table.columns) == ["kind", "target_value", "model_value", "share_met", "mcse", "mcse_method",
                                   "gap", "units"]
    assert table["share_met"].tolist() == pytest.approx([0.6, 0.6, 0.6])
    assert table["model_value"].tolist() == [100.0, 100.0, 100.0]
    assert table.loc["least", "gap"] == 0.0


def test_ensemble_from_the_engine():
    m = gysim.Model("growth", start=2005, stop=2010)
    m.stock("gdp", 500.0, units="1e8 yuan")
    m.param("g", 0.1, bounds=(0, 0.3))
    m.flow("increase", "g * gdp", into="gdp")
    rates = np.array([0.10, 0.13, 0.15, 0.16])
    ds = gysim.simulate(m, params={"g": rates}, rtol=1e-10, atol=1e-8)
    # gdp(2010) = 500 exp(5 g) >= 1000 iff g >= ln(2) / 5 = 0.1386
    table = check_targets(ds, [Target("gdp_2010", 1000, "at least (突破)", variable="gdp", years=(2010,))])
    assert table.loc["gdp_2010", "share_met"] == 0.5
    assert table.loc["gdp_2010", "model_value"] == pytest.approx(np.median(500 * np.exp(5 * rates)), rel=1e-7)
    one = check_targets(ds.isel(run=3), [Target("gdp_2010", 1000, "at_least", variable="gdp", years=(2010,))])
    assert one.loc["gdp_2010", "met"]


def test_nan_run_never_meets():
    ds = xr.Dataset({"x": (("time", "run"), [[np.nan, 200.0]])}, coords={"time": [2005.0]})
    table = check_targets(ds, [Target("t", 100, "at_least", variable="x", years=(2005,))])
    assert table.loc["t", "share_met"] == 0.5 and table.loc["t", "model_value"] == 200.0


@pytest.mark.parametrize(
    "text, value, kind",
    [("at least (突破)", 1, "at_least"), ("at least (以上)", 1, "at_least"), ("about (左右)", 1, "about"),
     ("at most (以内)", 1, "at_most"), ("at most (以下)", 1, "at_most"), ("at most (降至)", 1, "at_most"),
     ("over (大于)", 1, "at_least"), ("over (突破)", 1, "at_least"),
     ("at least double the 2001-2005 total of 1220 (翻一番以上)", 1, "at_least"),
     ("target", 28, "at_least"), ("target (力争)", 5e4, "at_least"), ("target (保有量)", 23.8, "at_least"),
     ("target", -20, "at_most"), ("at_least", 1, "at_least"), ("at most", 1, "at_most"), ("ABOUT", 1, "about")],
)
def test_parse_kind(text, value, kind):
    assert parse_kind(text, value) == kind


def test_parse_kind_errors():
    with pytest.raises(DataError, match="cannot read the target kind"):
        parse_kind("roughly")
    with pytest.raises(DataError, match="needs a finite target value"):
        parse_kind("target")


@pytest.mark.skipif(not PLAN_TARGETS.exists(), reason="../shared/plan is not present")
def test_every_kind_in_the_plan_reads():
    with open(PLAN_TARGETS, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        try:
            value = float(row["target"])
        except ValueError:
            continue  # "4.4:51.7:43.9": not a single number
        assert parse_kind(row["kind"], value) in ("at_least", "about", "at_most"), row["indicator"]


@pytest.mark.skipif(not PLAN_TARGETS.exists(), reason="../shared/plan is not present")
def test_load_plan_targets():
    mapping = {
        "urbanization_rate_2010": ("value", "urbanization_rate", (2010,), 100),
        "energy_per_gdp_2010_vs_2005": ("percent_change", "energy_intensity", (2005, 2010)),
        "gdp_2010": {"form": "value", "variable": "gdp", "years": 2010},
        "sector_structure_2010": {"variable": "va_tertiary", "years": 2010, "value": 43.9, "kind": "about"},
    }
    urban, energy, gdp, structure = load_targets(PLAN_TARGETS, mapping)
    assert (urban.kind, urban.value, urban.scale, urban.units) == ("about", 68.0, 100.0, "percent")
    assert "68%" in urban.source
    assert (energy.kind, energy.value, energy.form) == ("at_most", -20.0, "percent_change")
    assert (gdp.kind, gdp.years) == ("at_least", (2010.0,))
    assert (structure.value, structure.kind) == (43.9, "about")
    ds = xr.Dataset({"urbanization_rate": ("time", [0.6, 0.67]), "energy_intensity": ("time", [2.0, 1.5]),
                     "gdp": ("time", [500.0, 990.0]), "va_tertiary": ("time", [40.0, 44.0])},
                    coords={"time": [2005.0, 2010.0]})
    table = check_targets(ds, [urban, energy, gdp, structure])
    assert table["met"].tolist() == [True, True, False, True]
    assert table.loc["energy_per_gdp_2010_vs_2005", "model_value"] == pytest.approx(-25.0)


def test_load_targets_errors(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("indicator,target,unit,kind\nshare_2010,4:5,percent,target\npop_2010,380,万人,about (左右)\n",
                    encoding="utf-8")
    with pytest.raises(DataError, match="did you mean 'pop_2010'"):
        load_targets(path, {"pop_2011": ("value", "population", 2010)})
    with pytest.raises(DataError, match="not a number"):
        load_targets(path, {"share_2010": ("value", "share", 2010)})
    with pytest.raises(DataError, match="unknown key"):
        load_targets(path, {"pop_2010": {"variable": "population", "year": 2010}})
    with pytest.raises(DataError, match="needs 2 year"):
        load_targets(path, {"pop_2010": ("growth", "population", 2010)})
    [t] = load_targets(path, {"pop_2010": ("value", "population", 2010)}, tolerance=0.01)
    assert t.tolerance == 0.01 and t.units == "万人"
    (tmp_path / "bad.csv").write_text("name,value\n", encoding="utf-8")
    with pytest.raises(DataError, match="lacks the column"):
        load_targets(tmp_path / "bad.csv", {})


def test_target_and_check_errors():
    with pytest.raises(DataError, match="exactly one of"):
        Target("t", 1, "at_least")
    with pytest.raises(DataError, match="`form`"):
        Target("t", 1, "at_least", variable="x", form="mean", years=(2005,))
    with pytest.raises(DataError, match="increasing"):
        Target("t", 1, "at_least", variable="x", form="growth", years=(2010, 2005))
    with pytest.raises(DataError, match="about' target of 0"):
        Target("t", 0, "about", variable="x", years=(2005,))
    with pytest.raises(DataError, match="must be a number"):
        Target("t", "4.4:51.7", "target", variable="x", years=(2005,))
    ds = one_run([1.0, 2.0])
    with pytest.raises(DataError, match="did you mean 'x'"):
        check_targets(ds, [Target("t", 1, "at_least", variable="x_", years=(2005,))])
    with pytest.raises(DataError, match="no output at time"):
        check_targets(ds, [Target("t", 1, "at_least", variable="x", years=(2010,))])
    with pytest.raises(DataError, match="unique"):
        t = Target("t", 1, "at_least", variable="x", years=(2005,))
        check_targets(ds, [t, t])


def test_target_tables_have_unique_headers_also_in_the_demo_csv(tmp_path):
    """Issue 13: the demo's guiyang_targets.csv had the index `target` and a column `target`."""
    import pandas as pd
    from gysim.tables import write_table
    from gysim_models import demo
    from gysim_models.demo import targets_table

    targets = [Target("gdp_2010", 1000, "at least (突破)", variable="x", years=(2006,), units="1e8 yuan"),
               Target("growth", 13, "about", variable="x", form="growth", years=(2005, 2006))]
    one = {s: check_targets(one_run([900.0, v]), targets) for s, v in (("baseline", 990.0), ("plan", 1017.0))}
    ens = xr.Dataset({"x": (("time", "run"), [[900.0, 900.0], [990.0, 1017.0]])},
                     coords={"time": [2005.0, 2006.0], "run": [0, 1]})
    shares = check_targets(ens, targets)
    for table in [*one.values(), shares]:
        headers = [table.index.name, *table.columns]
        assert len(set(headers)) == len(headers), headers
    table = targets_table(one, shares, 2)
    headers = [table.index.name, *table.columns]
    assert headers == ["target", "kind", "target_value", "units", "baseline", "met (baseline)", "plan",
                       "met (plan)", demo.share_column(2)]
    back = pd.read_csv(write_table(table, tmp_path / "targets.csv"))
    assert back.columns.tolist() == headers  # pandas renames a repeated header ('target.1'): none here
    assert back.set_index("target").loc["gdp_2010", ["met (baseline)", "met (plan)", demo.share_column(2)]].tolist() \
        == [False, True, 0.5]
