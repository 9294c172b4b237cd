"""Deliberate what-ifs outside a parameter's bounds: with_params(allow_outside_bounds=True), --set-outside."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

import gysim
from gysim.cli import main
from tests.helpers import sector_model


def decay_model() -> gysim.Model:
    m = gysim.Model("decay", start=0, stop=2)
    m.stock("x", 1.0)
    m.param("k", 0.5, bounds=(0.0, 1.0))
    m.flow("loss", "k * x", out_of="x")
    return m


def test_outside_bounds_is_refused_unless_asked():
    with pytest.raises(gysim.ParameterError, match=r"'k' = 2.0 is outside its bounds \(0, 1\); for a "
                                                   r"deliberate what-if use with_params\(\.\.\., "
                                                   r"allow_outside_bounds=True\)"):
        decay_model().with_params(k=2.0)
    with pytest.raises(gysim.ParameterError, match="must be finite"):
        decay_model().with_params(k=np.nan, allow_outside_bounds=True)


def test_what_if_runs_and_is_recorded():
    base = decay_model()
    what_if = base.with_params(k=2.0, allow_outside_bounds=True)
    assert base.params["k"].value == 0.5 and not base.outside_bounds  # the original is unchanged
    assert what_if.params["k"].value == 2.0 and what_if.params["k"].bounds == (0.0, 1.0)
    ds = gysim.simulate(what_if, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ds.x.values, np.exp(-2.0 * ds.time.values), rtol=1e-8)
    assert json.loads(ds.attrs["outside_bounds"]) == {"k": {"value": 2.0, "bounds": [0.0, 1.0]}}
    assert "outside_bounds" not in gysim.simulate(base).attrs
    # derived models keep the record, and so do their runs
    later = what_if.with_time(stop=3)
    assert dict(later.outside_bounds) == dict(what_if.outside_bounds)
    assert "outside_bounds" in gysim.simulate(later).attrs


def test_a_run_that_overrides_the_what_if_does_not_claim_it():
    what_if = decay_model().with_params(k=2.0, allow_outside_bounds=True)
    assert "outside_bounds" not in gysim.simulate(what_if, params={"k": 0.3}).attrs
    assert "outside_bounds" not in gysim.simulate(what_if, params={"k": [0.3, 0.4]}).attrs
    back = what_if.with_params(k=0.3)  # set again within the bounds: no longer a what-if
    assert not back.outside_bounds and "outside_bounds" not in gysim.simulate(back).attrs


def test_element_of_a_subscripted_parameter_outside_bounds():
    m = sector_model()  # growth_rate over sector, bounds (-0.1, 0.2)
    rates = {"primary": 0.02, "secondary": 0.35, "tertiary": -0.03}
    with pytest.raises(gysim.ParameterError, match=r"'growth_rate' = 0.35 \(one of its elements\) is "
                                                   r"outside its bounds"):
        m.with_params(growth_rate=rates)
    ds = gysim.simulate(m.with_params(growth_rate=rates, allow_outside_bounds=True), rtol=1e-10,
                        atol=1e-12)
    assert json.loads(ds.attrs["outside_bounds"]) == {
        "growth_rate": {"value": [0.02, 0.35, -0.03], "bounds": [-0.1, 0.2]}}
    assert float(ds.capital.sel(sector="secondary", time=5)) == pytest.approx(380 * np.exp(0.35 * 5),
                                                                              rel=1e-8)


def test_cli_set_outside_records_the_what_if(tmp_path, capsys):
    out = tmp_path / "what_if.nc"
    assert main(["run", "population", "--set-outside", "birth_rate=0.03", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "note: birth_rate = 0.03 is outside its bounds (0.008, 0.018)" in err
    model = gysim.load_model("population")
    expected = gysim.simulate(model.with_params(birth_rate=0.03, allow_outside_bounds=True))
    with xr.open_dataset(out) as ds:
        assert json.loads(ds.attrs["outside_bounds"])["birth_rate"] == {"value": 0.03,
                                                                       "bounds": [0.008, 0.018]}
        np.testing.assert_allclose(ds.population.values, expected.population.values)
    assert float(expected.population[-1]) > float(gysim.simulate(model).population[-1])


def test_cli_set_outside_errors(capsys):
    assert main(["run", "population", "--set", "birth_rate=0.03"]) == 2
    assert "for a deliberate what-if use --set-outside birth_rate=0.03" in capsys.readouterr().err
    assert main(["run", "population", "--set-outside", "birth_rat=0.03"]) == 2
    assert "--set-outside: 'birth_rat' is not an element of model 'population'; did you mean " \
           "'birth_rate'" in capsys.readouterr().err
    assert main(["run", "population", "--set", "birth_rate=0.01", "--set-outside",
                 "birth_rate=0.03"]) == 2
    assert "--set-outside birth_rate: --set also sets it" in capsys.readouterr().err
    assert main(["run", "population", "--set-outside", "birth_rate=nan"]) == 2
