"""Tests of gysim.engine.results: every parameter of the model is part of the Dataset."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

import gysim
from gysim.examples import population_model


def sectors() -> gysim.Model:
    m = gysim.Model("sectors", start=0, stop=2, dt=0.5)
    m.dimension("sector", ["agri", "industry", "services"])
    m.param("rate", {"agri": 0.1, "industry": -0.05, "services": 0.2}, dims="sector",
            units="1/year", doc="growth rate", bounds=(-1, 1))
    m.param("scale", 2.0, units="1", bounds=(0, 10))
    m.stock("k", {"agri": 1.0, "industry": 2.0, "services": 3.0}, dims="sector", units="t")
    m.flow("growth", "scale * rate * k", into="k", dims="sector", units="t/year")
    m.aux("total", "sum(k, sector)", units="t")
    m.scenario("fast", {"scale": 3.0, "rate": {"agri": 0.2, "industry": 0.1, "services": 0.3}})
    return m


def test_single_run_parameter_is_a_scalar_coordinate_with_units():
    m = population_model()
    ds = gysim.simulate(m)
    assert float(ds.birth_rate) == m.params["birth_rate"].value
    assert ds.birth_rate.dims == ()
    assert ds.birth_rate.attrs == {"units": m.params["birth_rate"].units,
                                   "long_name": m.params["birth_rate"].doc, "kind": "param"}
    assert set(m.params) <= set(ds.coords)
    assert not set(m.params) & set(ds.data_vars)  # inputs never pose as outputs
    assert json.loads(ds.attrs["parameters"]) == {n: p.value for n, p in m.params.items()}


def test_ensemble_varied_parameter_over_run_and_fixed_one_scalar():
    values = np.linspace(0.01, 0.02, 5)
    ds = gysim.simulate(population_model(), params={"birth_rate": values})
    assert ds.birth_rate.dims == ("run",)
    np.testing.assert_array_equal(ds.birth_rate.values, values)
    assert ds.death_rate.dims == () and float(ds.death_rate) == 0.006
    assert ds.birth_rate.attrs["kind"] == "param"
    # the run a value belongs to travels with the output selected from it
    assert float(ds.population.isel(run=3).birth_rate) == values[3]


def test_subscripted_parameter_over_its_dim():
    m = sectors()
    ds = gysim.simulate(m, method="euler", variables=["total"])
    assert ds.rate.dims == ("sector",)
    assert ds.rate.sel(sector="industry").item() == -0.05
    assert ds.rate.attrs["units"] == "1/year" and ds.rate.attrs["long_name"] == "growth rate"
    assert list(ds.sector.values) == ["agri", "industry", "services"]  # even if no output uses it
    ens = gysim.simulate(m, method="euler", params={"rate": np.full((4, 3), 0.1),
                                                    "scale": np.arange(4.0)})
    assert ens.rate.dims == ("sector", "run") and ens.scale.dims == ("run",)
    one_per_run = gysim.simulate(m, method="euler", params={"rate": np.array([0.1, 0.2])})
    np.testing.assert_array_equal(one_per_run.rate.sel(sector="agri").values, [0.1, 0.2])
    np.testing.assert_array_equal(one_per_run.rate.sel(run=1).values, [0.2] * 3)


def test_scenario_overrides_and_stock_initials_are_visible():
    m = sectors()
    ds = gysim.simulate(m, method="euler", scenario="fast", params={"k": 5.0})
    assert float(ds.scale) == 3.0
    assert ds.rate.values.tolist() == [0.2, 0.1, 0.3]
    assert ds.k_initial.dims == ("sector",) and ds.k_initial.values.tolist() == [5.0] * 3
    assert ds.k_initial.attrs["kind"] == "initial" and ds.k_initial.attrs["units"] == "t"
    np.testing.assert_allclose(ds.k.isel(time=0), 5.0)
    assert "k_initial" not in gysim.simulate(m, method="euler").coords  # only what was set
    ens = gysim.simulate(m, method="euler", params={"k": np.array([1.0, 2.0])})
    assert ens.k_initial.dims == ("sector", "run")


@pytest.mark.parametrize("engine, needs", [("netcdf4", ["netCDF4"]),
                                           ("h5netcdf", ["h5netcdf", "h5py"])])
def test_netcdf_round_trip(tmp_path, engine, needs):
    for module in needs:
        pytest.importorskip(module)
    m = sectors()
    if True:
        ds = gysim.simulate(m, method="euler", params={"scale": np.array([1.0, 2.0])},
                            variables=["total"])
        path = tmp_path / f"run_{engine}.nc"
        ds.to_netcdf(path, engine=engine)
        with xr.open_dataset(path, engine=engine) as back:
            back.load()
        for name in ("rate", "scale"):
            assert name in back.coords, (engine, name)
            assert back[name].dims == ds[name].dims
            assert back[name].attrs == ds[name].attrs
            np.testing.assert_array_equal(back[name].values, ds[name].values)
        assert back.sector.values.tolist() == ds.sector.values.tolist()
        assert json.loads(back.attrs["parameters"]) == json.loads(ds.attrs["parameters"])
        np.testing.assert_array_equal(back.total.values, ds.total.values)


def test_zarr_round_trip_and_concat_of_runs(tmp_path):
    pytest.importorskip("zarr")
    runs = [gysim.simulate(population_model(), params={"birth_rate": b}) for b in (0.01, 0.02)]
    both = xr.concat(runs, dim="run", coords="different", compat="equals", join="outer")
    ens = gysim.simulate(population_model(), params={"birth_rate": np.array([0.01, 0.02])})
    np.testing.assert_array_equal(both.birth_rate.values, ens.birth_rate.values)
    assert both.death_rate.dims == ()  # the same in every run: stays scalar
    path = tmp_path / "runs.zarr"
    ens.to_zarr(path, consolidated=False)
    back = xr.open_zarr(path, consolidated=False).load()
    np.testing.assert_array_equal(back.birth_rate.values, ens.birth_rate.values)
    assert float(back.death_rate) == 0.006


def test_to_dataframe_of_outputs_only():
    ds = gysim.simulate(population_model())
    frame = ds[["population"]].reset_coords(drop=True).to_dataframe()
    assert list(frame.columns) == ["population"]
    assert set(ds.to_dataframe().columns) == set(ds.data_vars) | set(population_model().params)


def test_parameter_named_like_a_reserved_coordinate():
    m = gysim.Model("m", start=0, stop=1)
    m.param("run", 2.0)
    m.aux("y", "run * 3")
    ens = gysim.simulate(m, params={"run": np.array([1.0, 2.0])})
    assert ens.run_.dims == ("run",) and ens.run_.values.tolist() == [1.0, 2.0]
    assert ens.y.sel(time=1).values.tolist() == [3.0, 6.0]
