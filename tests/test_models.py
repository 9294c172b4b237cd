"""The Guiyang models: each sector alone and coupled, conservation, scenarios, fit to 2000-2005."""

import importlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gysim

SECTORS = ["population", "labor", "economy", "energy", "water"]
DATA = Path(__file__).resolve().parent.parent / "calibration" / "data" / "guiyang_annual_2000_2005.csv"
CAL_YEARS = list(range(2000, 2006))

#: Reporting variables each sector must provide (standalone and in the coupled model).
REPORTING = {
    "population": ["population", "urbanization_rate", "natural_growth_rate"],
    "labor": ["rural_labor_transferred", "urban_jobs_created", "registered_unemployment_rate",
              "rural_nonfarm_share"],
    "economy": ["gdp", "gdp_real", "gdp_real_growth", "va_primary", "va_secondary", "va_tertiary",
                "gdp_per_capita", "fixed_asset_investment"],
    "energy": ["energy_intensity", "energy_use"],
    "water": ["industrial_water_intensity", "water_use", "sewage_treatment_rate"],
}
SOURCE_KINDS = ("data:", "plan:", "assumption:")


@pytest.fixture(scope="module")
def guiyang():
    return gysim.load_model("guiyang")


@pytest.fixture(scope="module")
def runs(guiyang):
    return {sc: gysim.simulate(guiyang, scenario=sc) for sc in ("baseline", "plan")}


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(DATA).set_index("year")


def _common():
    return importlib.import_module("gysim_models._common")  # models/, installed by pip install -e


@pytest.mark.parametrize("name", SECTORS + ["guiyang"])
def test_model_runs_with_finite_documented_output(name):
    m = gysim.load_model(name)
    assert m.name == name and (m.start, m.stop, m.time_units) == (2000, 2010, "year")
    assert set(m.scenarios) == {"baseline", "plan"}
    ds = gysim.simulate(m, stop=2020)
    assert list(ds.time.values) == list(range(2000, 2021))
    for var in ds.data_vars:
        assert np.all(np.isfinite(ds[var].values)), var
    wanted = sum(REPORTING.values(), []) if name == "guiyang" else REPORTING[name]
    for var in wanted:
        assert var in ds.data_vars, var
        assert ds[var].attrs["units"], var


@pytest.mark.parametrize("name", SECTORS + ["guiyang"])
def test_every_parameter_has_units_bounds_doc_and_source(name):
    m = gysim.load_model(name)
    for p in m.params.values():
        assert p.units and p.doc and p.bounds is not None, p.name
        assert p.source.startswith(SOURCE_KINDS), (p.name, p.source)
        values = np.asarray(p.value, dtype=float)  # a nested tuple for a parameter over sector
        assert np.all((p.bounds[0] <= values) & (values <= p.bounds[1])), p.name
    for e in list(m.stocks.values()) + list(m.flows.values()) + list(m.auxes.values()):
        assert e.units and e.doc, e.name


def test_coupled_model_has_no_stand_ins(guiyang):
    assert not [n for n in guiyang.params if n.endswith("_standin")]
    standalone = gysim.load_model("economy")
    assert "nonfarm_labor_growth_standin" in standalone.params


def test_coupled_reporting_variables_have_expected_units(runs):
    ds = runs["baseline"]
    expected = {"gdp": "1e8 yuan/year", "gdp_real": "1e8 yuan/year", "population": "1e4 person",
                "urbanization_rate": "fraction", "gdp_real_growth": "fraction/year",
                "energy_intensity": "tce/1e4 yuan", "industrial_water_intensity": "m3/1e4 yuan",
                "sewage_treatment_rate": "fraction", "rural_labor_transferred": "1e4 person"}
    for var, units in expected.items():
        assert ds[var].attrs["units"] == units, var


def _euler_balance(m, stocks, dt=0.25):
    """Largest |stock change - sum of dt * net flow at step starts| over `stocks`, and the scale."""
    ds = gysim.simulate(m, method="euler", dt=dt, saveper=dt, scenario="plan")
    worst, scale = 0.0, 0.0
    for s in stocks:
        net = sum(ds[f.name].values for f in m.flows.values() if f.into == s) \
            - sum(ds[f.name].values for f in m.flows.values() if f.out_of == s)
        change = ds[s].values[-1] - ds[s].values[0]
        worst = max(worst, abs(change - dt * np.sum(net[:-1])))
        scale = max(scale, abs(ds[s].values).max())
    return worst, scale, ds


POPULATION_STOCKS = ["urban_population", "rural_population"]
LABOR_STOCKS = ["farm_labor", "rural_nonfarm_labor", "urban_employed", "urban_unemployed"]


@pytest.mark.parametrize("name", ["population", "labor", "guiyang"])
def test_people_stocks_balance_their_flows(name):
    m = gysim.load_model(name)
    stocks = [s for s in POPULATION_STOCKS + LABOR_STOCKS if s in m.stocks]
    worst, scale, _ = _euler_balance(m, stocks)
    assert worst <= 1e-10 * scale


def test_total_population_and_labour_change_only_through_boundary_flows(guiyang):
    dt = 0.25
    ds = gysim.simulate(guiyang, method="euler", dt=dt, saveper=dt, scenario="plan")
    pop = ds.urban_population + ds.rural_population
    inflow = ds.births_urban + ds.births_rural - ds.deaths_urban - ds.deaths_rural + ds.net_in_migration
    assert abs(float(pop[-1] - pop[0]) - dt * float(inflow[:-1].sum())) < 1e-9 * float(pop.max())
    np.testing.assert_allclose(ds.population, pop, rtol=1e-12)
    labour = ds.farm_labor + ds.rural_nonfarm_labor + ds.urban_employed + ds.urban_unemployed
    boundary = ds.rural_labor_entry + ds.urban_labor_entry - ds.register_exit
    assert abs(float(labour[-1] - labour[0]) - dt * float(boundary[:-1].sum())) < 1e-9 * float(labour.max())


def test_plan_accounting_stocks_start_in_2005(runs):
    ds = runs["plan"]
    for var in ["rural_labor_transferred", "urban_jobs_created", "fixed_asset_investment_cumulative"]:
        total = float(ds[var].sel(time=2010))
        assert total > 0, var
        # zero up to 2005 (the adaptive solver's dense output may leak a hair across the switch)
        assert np.all(np.abs(ds[var].sel(time=CAL_YEARS).values) <= 1e-6 * total), var


def test_plan_differs_from_baseline_in_the_expected_directions(runs):
    b, p = runs["baseline"], runs["plan"]

    def at(ds, var, year=2010):
        return float(ds[var].sel(time=year))

    def growth(ds, var):
        return (at(ds, var) / at(ds, var, 2005)) ** 0.2 - 1

    # identical through 2005
    for var in ["gdp", "population", "energy_intensity", "sewage_treatment_rate"]:
        np.testing.assert_allclose(b[var].sel(time=CAL_YEARS), p[var].sel(time=CAL_YEARS), rtol=1e-9)
    assert growth(p, "fixed_asset_investment") < growth(b, "fixed_asset_investment")
    assert at(p, "fixed_asset_investment_cumulative") < at(b, "fixed_asset_investment_cumulative")
    assert at(p, "gdp_real") < at(b, "gdp_real")  # less investment, less capital
    assert at(p, "energy_intensity") / at(p, "energy_intensity", 2005) \
        < at(b, "energy_intensity") / at(b, "energy_intensity", 2005)
    assert at(p, "industrial_water_intensity") < at(b, "industrial_water_intensity")
    assert at(p, "secondary_share") > at(b, "secondary_share")  # the plan's priority for industry
    assert at(p, "sewage_treatment_rate") > at(b, "sewage_treatment_rate")
    assert at(p, "natural_growth_rate") < at(b, "natural_growth_rate")
    assert at(p, "urbanization_rate") > at(b, "urbanization_rate")
    assert at(p, "rural_labor_transferred") > at(b, "rural_labor_transferred")
    assert at(p, "rural_nonfarm_share") > at(b, "rural_nonfarm_share")
    assert at(p, "urban_jobs_created") > at(b, "urban_jobs_created")


def test_plan_implementation_interpolates_between_scenarios(guiyang, runs):
    half = gysim.simulate(guiyang, params={"plan_implementation": 0.5})
    lo, hi = sorted([float(runs[s].energy_intensity.sel(time=2010)) for s in ("baseline", "plan")])
    assert lo < float(half.energy_intensity.sel(time=2010)) < hi


def _mape(model_values, observed):
    return 100 * float(np.mean(np.abs(np.asarray(model_values) / np.asarray(observed) - 1)))


#: MAPE (%) of the previous fit (fixed services trend, one capital stock; calibration/fit_report.md
#: before issue 13's structural change): the new model must fit 2000-2005 at least as well.
PREVIOUS_MAPE = {"gdp": 1.0, "population": 0.223, "va_primary": 2.228, "va_secondary": 1.792,
                 "va_tertiary": 3.392}


def test_reproduces_2000_2005(runs, data):
    ds = runs["baseline"].sel(time=CAL_YEARS)
    assert _mape(ds.gdp, data.gdp_nominal) < PREVIOUS_MAPE["gdp"]
    assert _mape(ds.population, data.registered_population) < PREVIOUS_MAPE["population"]
    for sector in ["va_primary", "va_secondary", "va_tertiary"]:
        assert _mape(ds[sector], data[sector]) < PREVIOUS_MAPE[sector], sector
    real = ds.gdp_real.values
    growth = 100 * (real[1:] / real[:-1] - 1)
    assert np.max(np.abs(growth - data.gdp_real_growth.values[1:])) < 1.5  # percentage points


def test_fitted_parameters_apply_only_to_names_the_model_has(tmp_path, monkeypatch):
    common = _common()
    path = tmp_path / "fitted_parameters.json"
    path.write_text(json.dumps({"parameters": {"tfp_growth": {"value": 0.05}, "birth_rate": 0.012,
                                               "not_a_parameter": 1.0}}))
    assert common.fitted_values(path) == {"tfp_growth": 0.05, "birth_rate": 0.012,
                                          "not_a_parameter": 1.0}
    path.write_text(json.dumps({"tfp_growth": 0.05, "note": "text is ignored"}))
    assert common.fitted_values(path) == {"tfp_growth": 0.05}
    assert common.fitted_values(tmp_path / "missing.json") == {}

    monkeypatch.setattr(common, "FITTED_FILE", path)
    economy = importlib.import_module("gysim_models.economy")
    population = importlib.import_module("gysim_models.population")
    assert economy.build().params["tfp_growth"].value == 0.05
    assert "tfp_growth" not in population.build().params  # ignored, no error


def test_plan_targets_measure_model_variables(guiyang, runs):
    plan = importlib.import_module("gysim_models._plan")
    targets = plan.targets(guiyang)
    assert len(targets) == len(plan.MAPPING) + len(plan.STRUCTURE)  # the model covers them all
    table = gysim.check_targets(runs["plan"], targets)
    assert np.all(np.isfinite(table["model_value"].astype(float)))


def test_value_added_is_one_variable_over_sector_and_va_series_are_its_elements(runs, guiyang):
    assert guiyang.dimensions["sector"] == ("primary", "secondary", "tertiary")
    ds = runs["plan"]
    assert ds.value_added.dims[:2] == ("time", "sector")
    assert list(ds.sector.values) == ["primary", "secondary", "tertiary"]
    for sector in ["primary", "secondary", "tertiary"]:
        np.testing.assert_array_equal(ds[f"va_{sector}"], ds.value_added.sel(sector=sector))
    for sector in ["secondary", "tertiary"]:
        np.testing.assert_array_equal(ds[f"va_{sector}_real"], ds.value_added_real.sel(sector=sector))
    np.testing.assert_allclose(ds.value_added_real.sel(sector="primary"), ds.va_primary_real,
                               rtol=1e-14)
    # the sectors add up to GDP, at current and at 2000 prices
    np.testing.assert_allclose(ds.value_added.sum("sector"), ds.gdp, rtol=1e-12)
    np.testing.assert_allclose(ds.value_added_real.sum("sector"), ds.gdp_real, rtol=1e-12)
    # 2000: the published structure (24.18 : 134.69 : 105.95 of 264.81)
    np.testing.assert_allclose(ds.value_added.sel(time=2000), [24.1762, 134.6883, 105.9468],
                               rtol=2e-4)


def test_energy_intensity_is_a_stock_over_sector(runs, guiyang):
    assert guiyang.stocks["energy_intensity_tech"].dims == ("sector",)
    assert "energy_intensity_secondary_tech" not in guiyang.stocks
    ds = runs["plan"]
    tech = ds.energy_intensity_tech
    assert tech.dims[:2] == ("time", "sector")
    # secondary output is secondary_intensity_ratio (4) times as intensive as the others
    ratio = guiyang.params["secondary_intensity_ratio"].value
    np.testing.assert_allclose(tech.sel(sector="secondary"), ratio * tech.sel(sector="primary"),
                               rtol=1e-9)
    np.testing.assert_allclose(tech.sel(sector="tertiary"), tech.sel(sector="primary"), rtol=1e-9)
    # use = sum over sectors of intensity x (1 - saved fraction) x real value added; 3.0 in 2000
    kept = 1 - ds.energy_saving_fraction
    np.testing.assert_allclose(ds.energy_use, kept * (tech * ds.value_added_real).sum("sector"),
                               rtol=1e-12)
    np.testing.assert_allclose(ds.energy_use_by_sector.sum("sector"), ds.energy_use, rtol=1e-12)
    assert float(ds.energy_intensity.sel(time=2000)) == pytest.approx(3.0, rel=1e-9)
    # 2000: primary 1.188 tce per 1e4 yuan = 3.0 / (0.509 * 4 + 0.491)
    assert float(tech.sel(time=2000, sector="primary")) == pytest.approx(1.18774, rel=1e-4)
    # the same weighting as the former secondary-share formula, times the kept fraction
    share = ds.secondary_share
    np.testing.assert_allclose(ds.energy_intensity, kept * (share * tech.sel(sector="secondary")
                               + (1 - share) * tech.sel(sector="primary")), rtol=1e-9)


def test_energy_saving_capital_saves_with_diminishing_returns(runs, guiyang):
    b, p = runs["baseline"], runs["plan"]
    # no energy-saving programme in the baseline: nothing saved, ever
    assert float(np.abs(b.energy_saving_capital).max()) == 0.0
    assert float(np.abs(b.energy_saving_fraction).max()) == 0.0
    # scale = cost x E(2000) / K(2000) = 0.25 x (3.0 x GDP) / (2.5 x GDP) = 0.3 (by hand)
    np.testing.assert_allclose(p.energy_saving_capital_scale, 0.3, rtol=1e-12)
    # saved fraction = 1 - exp(-K_saving / (0.3 K)), zero until the plan starts
    expected = 1 - np.exp(-p.energy_saving_capital / (0.3 * p.productive_capital))
    np.testing.assert_allclose(p.energy_saving_fraction, expected, rtol=1e-12, atol=1e-15)
    assert float(np.abs(p.energy_saving_fraction.sel(time=CAL_YEARS)).max()) < 1e-9
    assert 0 < float(p.energy_saving_fraction.sel(time=2010)) < 1
    # the first yuan saves 1 / energy_saving_cost: d(saved)/dK_saving at 0 = E_potential / (0.3 K),
    # = 1 / 0.25 (1e4 tce/year per 1e8 yuan) at the 2000 intensity and capital
    first = p.energy_use_potential / (0.3 * p.productive_capital)
    assert float(first.sel(time=2000)) == pytest.approx(1 / 0.25, rel=1e-12)


def test_energy_saving_investment_crowds_out_productive_capital(guiyang, runs):
    p = runs["plan"]
    share = guiyang.params["energy_saving_investment_share_plan"].value
    later = p.sel(time=slice(2006, 2010))
    np.testing.assert_allclose(later.energy_saving_investment, share * later.fixed_asset_investment,
                               rtol=1e-12)
    # productive capital gets only what is not diverted (efficiency x the rest, deflated)
    efficiency = guiyang.params["investment_efficiency"].value
    np.testing.assert_allclose(
        p.capital_formation.sum("sector"),
        efficiency * (p.fixed_asset_investment - p.energy_saving_investment) / p.price_level,
        rtol=1e-12)
    # so a plan without the energy-saving share has more capital and more output in 2010
    without = gysim.simulate(guiyang, scenario="plan",
                             params={"energy_saving_investment_share_plan": 0.0})
    for var in ["productive_capital", "gdp_real"]:
        assert float(without[var].sel(time=2010)) > float(p[var].sel(time=2010)), var
    assert float(without.energy_saving_fraction.sel(time=2010)) == 0.0


def test_raising_investment_growth_raises_energy_use(guiyang):
    """The reviewer's case: investment growing 20 %/yr instead of 16 %/yr under the plan
    (the hand-solved levers, with which investment grows 16 %/yr)."""
    hand = importlib.import_module("gysim_models.guiyang").hand_set_levers()

    def run(**params):
        return gysim.simulate(guiyang.with_params(hand), scenario="plan",
                              params=params).sel(time=2010)
    faster = {"investment_rate_trend_plan": 0.0762}  # 20 %/yr (tests/test_goal_seek.py)
    base, fast = run(), run(**faster)
    assert float(fast.energy_use) > float(base.energy_use)
    assert float(fast.gdp_real) > float(base.gdp_real)
    # investment demands secondary output: the secondary share rises with it
    assert float(fast.secondary_share) > float(base.secondary_share)
    # without energy-saving investment only structure acts, and intensity rises with investment
    none = {"energy_saving_investment_share_plan": 0.0}
    assert float(run(**none, **faster).energy_intensity) > float(run(**none).energy_intensity)


def test_services_share_follows_capital_and_capital_follows_demand(runs):
    b, p = runs["baseline"], runs["plan"]
    for ds in (b, p):
        np.testing.assert_allclose(ds.services_share, ds.capital.sel(sector="tertiary")
                                   / ds.capital.sum("sector"), rtol=1e-12)
        np.testing.assert_allclose(ds.va_tertiary_real / (ds.va_secondary_real + ds.va_tertiary_real),
                                   ds.services_share, rtol=1e-12)
        assert float(np.abs(ds.capital.sel(sector="primary")).max()) == 0.0
    # elasticity 1 and no priority (baseline): new capital goes as the services share demanded
    # (s r / (s r + 1 - s) with r = [d / (1 - d)] / [s / (1 - s)] is d, by hand)
    np.testing.assert_allclose(b.tertiary_investment_share, b.services_demand_share, rtol=1e-12)
    # a priority w for industry (plan): d / (d + (1 - d) w)
    later = p.sel(time=slice(2006, 2010))
    w = float(later.secondary_investment_priority_in_effect[0])
    d = later.services_demand_share
    np.testing.assert_allclose(later.tertiary_investment_share, d / (d + (1 - d) * w), rtol=1e-12)
    # 2000: demand meets supply
    assert float(b.services_demand_share.sel(time=2000)) == pytest.approx(
        float(b.services_share.sel(time=2000)), rel=1e-12)


def test_services_share_rises_with_income_per_head(guiyang, runs):
    b = runs["baseline"]
    richer = gysim.simulate(guiyang, scenario="baseline", params={"tfp_growth": 0.06})
    assert float(richer.gdp_per_capita_real.sel(time=2010)) > float(b.gdp_per_capita_real.sel(time=2010))
    for var in ["services_demand_share", "services_share"]:
        assert float(richer[var].sel(time=2010)) > float(b[var].sel(time=2010)), var
    # no income effect (slope 0): the services share of spending stays at its 2000 value
    flat = gysim.simulate(guiyang, scenario="baseline", params={"services_income_slope": 0.0})
    spending = flat.services_spending_share
    np.testing.assert_allclose(spending, float(spending.sel(time=2000)), rtol=1e-12)
    assert float(flat.services_share.sel(time=2010)) < float(b.services_share.sel(time=2010))
    # the structure is an outcome: it moves by more than a point of GDP over 2005-2010
    tertiary = 100 * b.va_tertiary / b.gdp
    assert float(tertiary.sel(time=2010) - tertiary.sel(time=2005)) > 1


def test_sector_indicators_are_not_sampled_as_assumptions(guiyang):
    provider = importlib.import_module("gysim_models.guiyang")
    uncertain = provider.uncertain_parameters(guiyang)
    for name in ["is_primary", "is_secondary", "is_tertiary"]:
        assert guiyang.params[name].dims == ("sector",)
        assert name not in uncertain
    # parameters that calibration and sensitivity studies vary stay scalar
    for name in ["tfp_growth", "primary_growth", "services_income_slope", "secondary_intensity_ratio",
                 "capital_share", "energy_saving_investment_share_plan",
                 "secondary_investment_priority_plan"]:
        assert guiyang.params[name].dims == (), name


def test_the_demo_writes_its_results(tmp_path, capsys):
    demo = importlib.import_module("gysim_models.demo")
    assert demo.main(["--out", str(tmp_path), "--runs", "20"]) == 0
    names = ["guiyang_baseline.nc", "guiyang_plan.nc", "guiyang_prior.png", "guiyang_prior_zh.png",
             "guiyang_scenarios.png", "guiyang_scenarios_zh.png", "guiyang_targets.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == names
    table = pd.read_csv(tmp_path / "guiyang_targets.csv", index_col=0)
    assert "gdp_2010" in table.index and demo.share_column(20) in table.columns
    assert "under the prior" in demo.share_column(20)
    assert table[demo.share_column(20)].between(0, 1).all()
    out = capsys.readouterr().out
    assert "ensemble: 20 runs of the plan scenario varying" in out
    assert "of runs under the prior: parameters uniform over their bounds, not calibrated" in out
