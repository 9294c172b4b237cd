"""gysim against PySD: the same models, Euler at the same dt, agreement to 1e-9.

Each model exists twice: as a Vensim file in ``tests/data`` (run by PySD) and
as a gysim model written with the Python DSL below. Both use Euler at the
model's TIME STEP and save at its SAVEPER. Every stock, flow and auxiliary of
the gysim result is compared with PySD's column of the same element, named
explicitly in ``*_NAMES`` (gysim name -> original Vensim name).

PySD translates a ``.mdl`` into a ``.py`` beside it, so each test copies the
file into ``tmp_path`` first: nothing is ever written into ``tests/data``.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

import gysim

with warnings.catch_warnings():
    # PySD's own dependencies warn at import time (chardet, pandas).
    warnings.simplefilter("ignore")
    pysd = pytest.importorskip("pysd")

DATA = Path(__file__).parent / "data"
RTOL, ATOL = 1e-9, 1e-12


# --- the population model ------------------------------------------------------------

POPULATION_NAMES = {
    "population": "Population",
    "births": "births",
    "deaths": "deaths",
    "natural_growth_rate": "natural growth rate",
}
POPULATION_PARAMS = {"birth_rate": "birth rate", "death_rate": "death rate"}


def population_model() -> gysim.Model:
    m = gysim.Model("population", start=2000, stop=2010, dt=0.25, time_units="year")
    m.param("birth_rate", 0.013, doc="Crude birth rate.")
    m.param("death_rate", 0.006, doc="Crude death rate.")
    m.stock("population", 331.8, doc="Resident population, million people.")
    m.flow("births", "population * birth_rate", into="population")
    m.flow("deaths", "population * death_rate", out_of="population")
    m.aux("natural_growth_rate", "birth_rate - death_rate")
    return m


# --- a model with a lookup, SMOOTH, SMOOTH3, DELAY1, DELAY3, STEP and RAMP --------------

SUPPLY_NAMES = {
    "inventory": "Inventory",
    "capacity": "Capacity",
    "cumulative_shipments": "Cumulative Shipments",
    "customer_demand": "customer demand",
    "perceived_demand": "perceived demand",
    "expected_demand": "expected demand",
    "desired_inventory": "desired inventory",
    "inventory_ratio": "inventory ratio",
    "shipments": "shipments",
    "desired_production": "desired production",
    "production_starts": "production starts",
    "production": "production",
    "capacity_retirements": "capacity retirements",
    "capacity_orders": "capacity orders",
    "capacity_additions": "capacity additions",
    "utilization": "utilization",
}
SUPPLY_PARAMS = {
    "initial_inventory": "initial inventory",
    "base_demand": "base demand",
    "demand_step_height": "demand step height",
    "demand_step_time": "demand step time",
    "demand_ramp_slope": "demand ramp slope",
    "demand_ramp_start": "demand ramp start",
    "demand_ramp_end": "demand ramp end",
    "perception_time": "perception time",
    "forecast_time": "forecast time",
    "inventory_coverage": "inventory coverage",
    "inventory_adjustment_time": "inventory adjustment time",
    "maximum_utilization": "maximum utilization",
    "production_time": "production time",
    "capacity_lifetime": "capacity lifetime",
    "capacity_adjustment_time": "capacity adjustment time",
    "construction_delay": "construction delay",
}


def supply_model() -> gysim.Model:
    m = gysim.Model("lookup_smooth_delay", start=2000, stop=2010, dt=0.125,
                    time_units="year")
    for name, value in [
        ("initial_inventory", 200), ("base_demand", 100), ("demand_step_height", 20),
        ("demand_step_time", 2003), ("demand_ramp_slope", 5), ("demand_ramp_start", 2005),
        ("demand_ramp_end", 2008), ("perception_time", 1.5), ("forecast_time", 2),
        ("inventory_coverage", 2), ("inventory_adjustment_time", 1.25),
        ("maximum_utilization", 0.95), ("production_time", 1), ("capacity_lifetime", 15),
        ("capacity_adjustment_time", 3), ("construction_delay", 2),
    ]:
        m.param(name, value)
    m.lookup("availability_f", x=[0, 0.25, 0.5, 1, 1.5, 2],
             y=[0, 0.45, 0.75, 0.95, 1, 1])

    m.stock("inventory", "initial_inventory")
    m.stock("capacity", 120)
    m.stock("cumulative_shipments", 0)

    m.aux("customer_demand",
          "base_demand + step(demand_step_height, demand_step_time)"
          " + ramp(demand_ramp_slope, demand_ramp_start, demand_ramp_end)")
    m.aux("perceived_demand", "smooth(customer_demand, perception_time)")
    m.aux("expected_demand", "smooth3(customer_demand, forecast_time)")
    m.aux("desired_inventory", "perceived_demand * inventory_coverage")
    m.aux("inventory_ratio", "inventory / desired_inventory")
    # shipments leave inventory and accumulate in cumulative_shipments
    m.flow("shipments", "customer_demand * availability_f(inventory_ratio)",
           out_of="inventory", into="cumulative_shipments")
    m.aux("desired_production",
          "max(0, expected_demand + (desired_inventory - inventory)"
          " / inventory_adjustment_time)")
    m.aux("production_starts", "min(maximum_utilization * capacity, desired_production)")
    m.flow("production", "delay3(production_starts, production_time)", into="inventory")
    m.flow("capacity_retirements", "capacity / capacity_lifetime", out_of="capacity")
    m.aux("capacity_orders",
          "max(0, capacity_retirements + (expected_demand / maximum_utilization - capacity)"
          " / capacity_adjustment_time)")
    m.flow("capacity_additions", "delay1(capacity_orders, construction_delay)",
           into="capacity")
    m.aux("utilization", "production / capacity")
    return m


# --- helpers -----------------------------------------------------------------------------


@pytest.fixture
def pysd_model_file(tmp_path):
    """Copy a model from tests/data into tmp_path and translate it there once."""

    def translate(mdl_name: str) -> Path:
        target = tmp_path / mdl_name
        shutil.copy(DATA / mdl_name, target)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pysd.read_vensim(str(target))
        return target.with_suffix(".py")

    return translate


def run_pysd(py_file: Path, params: dict | None = None):
    # A fresh load for every run: PySD keeps parameters set by run(params=...).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = pysd.load(str(py_file))
        return model.run(params=params or {})


def assert_same(ds, df, names, run=None):
    """Every stock, flow and aux of ``ds`` equals PySD's column of that element."""
    assert set(names) == set(ds.data_vars), "name map must cover every gysim variable"
    np.testing.assert_allclose(ds["time"].values, df.index.to_numpy(dtype=float),
                               rtol=0, atol=1e-9)
    for gysim_name, vensim_name in names.items():
        actual = ds[gysim_name] if run is None else ds[gysim_name].isel(run=run)
        np.testing.assert_allclose(
            actual.values, df[vensim_name].to_numpy(dtype=float), rtol=RTOL, atol=ATOL,
            err_msg=f"gysim {gysim_name!r} vs PySD {vensim_name!r}",
        )


# --- tests -----------------------------------------------------------------------------


def test_mdl_files_run_in_pysd(pysd_model_file):
    for mdl, names in [("population.mdl", POPULATION_NAMES),
                       ("lookup_smooth_delay.mdl", SUPPLY_NAMES)]:
        df = run_pysd(pysd_model_file(mdl))
        assert set(names.values()) <= set(df.columns)
        assert np.all(np.isfinite(df[list(names.values())].to_numpy(dtype=float)))


def test_population_matches_pysd(pysd_model_file):
    df = run_pysd(pysd_model_file("population.mdl"))
    ds = gysim.simulate(population_model(), method="euler", dt=0.25, saveper=1.0)
    assert_same(ds, df, POPULATION_NAMES)
    # the Vensim file and the DSL model describe the same parameters
    for gysim_name, vensim_name in POPULATION_PARAMS.items():
        assert population_model().params[gysim_name].value == df[vensim_name].iloc[0]


def test_supply_model_matches_pysd(pysd_model_file):
    df = run_pysd(pysd_model_file("lookup_smooth_delay.mdl"))
    ds = gysim.simulate(supply_model(), method="euler", dt=0.125, saveper=0.5)
    assert_same(ds, df, SUPPLY_NAMES)
    for gysim_name, vensim_name in SUPPLY_PARAMS.items():
        assert supply_model().params[gysim_name].value == df[vensim_name].iloc[0]
    # the run exercises both sides of the capacity limit and of the lookup's range
    starts, desired = df["production starts"], df["desired production"]
    assert (starts < desired - 1e-6).any() and (np.abs(starts - desired) < 1e-9).any()


def test_population_ensemble_matches_pysd_runs(pysd_model_file):
    py_file = pysd_model_file("population.mdl")
    birth = np.array([0.010, 0.013, 0.02])
    death = np.array([0.008, 0.006, 0.004])
    ds = gysim.simulate(population_model(), params={"birth_rate": birth, "death_rate": death},
                        method="euler", dt=0.25, saveper=1.0)
    for i in range(len(birth)):
        df = run_pysd(py_file, {"birth rate": birth[i], "death rate": death[i]})
        assert_same(ds, df, POPULATION_NAMES, run=i)


def test_supply_ensemble_matches_pysd_runs(pysd_model_file):
    # Varying the delay and smoothing times checks that delays and smooths
    # take their (array-valued) times from the run's own parameters.
    py_file = pysd_model_file("lookup_smooth_delay.mdl")
    varied = {
        "perception_time": np.array([0.75, 1.5, 3.0]),
        "forecast_time": np.array([1.0, 2.0, 4.0]),
        "production_time": np.array([0.5, 1.0, 2.0]),
        "construction_delay": np.array([3.0, 2.0, 1.0]),
        "initial_inventory": np.array([150.0, 200.0, 260.0]),
        "demand_step_height": np.array([-10.0, 20.0, 40.0]),
    }
    ds = gysim.simulate(supply_model(), params=varied, method="euler", dt=0.125,
                        saveper=0.5)
    for i in range(3):
        df = run_pysd(py_file, {SUPPLY_PARAMS[k]: v[i] for k, v in varied.items()})
        assert_same(ds, df, SUPPLY_NAMES, run=i)


def test_with_params_matches_pysd(pysd_model_file):
    df = run_pysd(pysd_model_file("population.mdl"), {"birth rate": 0.02})
    model = population_model().with_params(birth_rate=0.02)
    ds = gysim.simulate(model, method="euler", dt=0.25, saveper=1.0)
    assert_same(ds, df, POPULATION_NAMES)
