"""Fit statistics and calibration, checked against hand-computed numbers and known parameters."""

from __future__ import annotations

import importlib
import json
import os

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import gysim
from gysim.calibrate import CalibrationResult, calibrate, load_calibration
from gysim.errors import CalibrationError, DataError, ModelDefinitionError, ParameterError
from gysim.fit_report import fit_report, fit_statistics
from tests.helpers import logistic_model

# The module whose `simulate` the calibration runs go through (by path: `gysim.calibrate` is the function).
least_squares_module = importlib.import_module("gysim.calibrate.least_squares")

TRUE = {"r": 0.55, "K": 800.0}
TIGHT = {"rtol": 1e-10, "atol": 1e-10}


# --- fit statistics ----------------------------------------------------------------


def test_perfect_fit_has_no_error():
    a = [3.0, 5.0, 4.0, 8.0]
    stats = fit_statistics(a, a)
    assert stats["n"] == 4
    assert stats["MAPE"] == 0.0 and stats["RMSE"] == 0.0 and stats["U"] == 0.0
    assert stats["R2"] == pytest.approx(1.0)
    # No error to split.
    assert all(np.isnan(stats[k]) for k in ("UM", "US", "UC"))


def test_pure_bias_is_all_um():
    a = np.array([3.0, 5.0, 4.0, 8.0])
    stats = fit_statistics(a, a + 2.0)
    assert stats["RMSE"] == pytest.approx(2.0)
    assert stats["UM"] == pytest.approx(1.0)
    assert stats["US"] == pytest.approx(0.0, abs=1e-15)
    assert stats["UC"] == pytest.approx(0.0, abs=1e-15)
    assert stats["R2"] == pytest.approx(1.0)  # Sterman's R2: a bias does not lower it
    assert stats["MAPE"] == pytest.approx(100 * np.mean(2.0 / a))


def test_flat_simulation_by_hand():
    # a = 1, 2, 3 against s = 2, 2, 2: errors 1, 0, -1.
    stats = fit_statistics([1.0, 2.0, 3.0], [2.0, 2.0, 2.0])
    assert stats["RMSE"] == pytest.approx(np.sqrt(2 / 3))
    assert stats["MAPE"] == pytest.approx(100 * (1 + 0 + 1 / 3) / 3)  # 44.44...
    assert stats["U"] == pytest.approx(np.sqrt(2 / 3) / (2 + np.sqrt(14 / 3)))
    # Equal means; all the error is the missing variation (S_s = 0, S_a^2 = 2/3).
    assert (stats["UM"], stats["US"], stats["UC"]) == pytest.approx((0.0, 1.0, 0.0))
    assert np.isnan(stats["R2"])  # a constant series has no correlation


def test_reversed_series_is_all_uc():
    # Same mean and spread, correlation -1: MSE = 2 (1 - r) S_s S_a = 4 * 2/3.
    stats = fit_statistics([1.0, 2.0, 3.0], [3.0, 2.0, 1.0])
    assert stats["RMSE"] ** 2 == pytest.approx(8 / 3)
    assert (stats["UM"], stats["US"], stats["UC"]) == pytest.approx((0.0, 0.0, 1.0))
    assert stats["R2"] == pytest.approx(1.0)


def test_general_example_against_independent_formulas():
    a = np.array([10.0, 12.0, 15.0, 14.0, 18.0, 21.0])
    s = np.array([10.5, 11.0, 14.0, 15.5, 19.0, 20.0])
    err = s - a
    mse = np.mean(err**2)
    r = np.corrcoef(s, a)[0, 1]
    sd_s, sd_a = np.sqrt(np.mean((s - s.mean()) ** 2)), np.sqrt(np.mean((a - a.mean()) ** 2))
    um = (s.mean() - a.mean()) ** 2 / mse
    us = (sd_s - sd_a) ** 2 / mse
    uc = 2 * (1 - r) * sd_s * sd_a / mse
    stats = fit_statistics(a, s)
    assert um + us + uc == pytest.approx(1.0)  # Theil's identity holds for these numbers
    assert stats["RMSE"] == pytest.approx(np.sqrt(mse))
    assert stats["MAPE"] == pytest.approx(100 * np.mean(np.abs(err / a)))
    assert stats["R2"] == pytest.approx(r**2)
    assert stats["U"] == pytest.approx(np.sqrt(mse) / (np.sqrt(np.mean(s**2)) + np.sqrt(np.mean(a**2))))
    assert (stats["UM"], stats["US"], stats["UC"]) == pytest.approx((um, us, uc))


def test_missing_observations_are_skipped():
    stats = fit_statistics([1.0, np.nan, 3.0], [2.0, 99.0, 4.0])
    assert stats["n"] == 2 and stats["RMSE"] == pytest.approx(1.0)
    # A simulated NaN where the observation is missing is fine too.
    assert fit_statistics([1.0, np.nan], [1.0, np.nan])["n"] == 1


def test_mape_undefined_with_a_zero_observation():
    assert np.isnan(fit_statistics([0.0, 1.0], [0.5, 1.0])["MAPE"])


@pytest.mark.parametrize(
    "observed, simulated, match",
    [([1.0, 2.0], [1.0], "equal length"), ([np.nan, np.nan], [1.0, 2.0], "no observation"),
     ([1.0, 2.0], [1.0, np.nan], "finite")],
)
def test_fit_statistics_errors(observed, simulated, match):
    with pytest.raises(DataError, match=match):
        fit_statistics(observed, simulated)


def test_fit_report_table_and_dataset():
    idx = [2000, 2001, 2002]
    obs = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [4.0, np.nan, 6.0]}, index=idx)
    sim = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [5.0, 0.0, 7.0]}, index=idx)
    table = fit_report(obs, sim)
    assert list(table.columns) == ["n", "MAPE", "RMSE", "R2", "U", "UM", "US", "UC"]
    assert table.loc["x", "RMSE"] == 0.0 and table.loc["y", "n"] == 2
    assert table.loc["y", "UM"] == pytest.approx(1.0)
    ds = xr.Dataset({c: ("time", sim[c].to_numpy()) for c in sim}, coords={"time": [2000.0, 2001.0, 2002.0]})
    pd.testing.assert_frame_equal(fit_report(obs, ds), table)
    with pytest.raises(DataError, match="saveper"):
        fit_report(obs.set_axis([2000, 2000.5, 2002]), ds)
    with pytest.raises(DataError, match="no variable 'z'"):
        fit_report(obs.rename(columns={"x": "z"}), ds)


# --- calibration --------------------------------------------------------------------


def logistic(r=0.3, K=500.0):
    return logistic_model(r, K, 10.0, stock="pop", capacity="K", r_bounds=(0.01, 2.0),
                          k_bounds=(100.0, 2000.0), units="person", share=True, stop=20)


@pytest.fixture(scope="module")
def synthetic():
    """Noise-free data generated at the true parameters."""
    ds = gysim.simulate(logistic(**TRUE), **TIGHT)
    return ds[["pop", "growth"]].reset_coords(drop=True).to_dataframe()


@pytest.fixture(scope="module")
def fitted(synthetic):
    return calibrate(logistic(), synthetic, ["r", "K"], n_starts=4, seed=3, **TIGHT)


def test_recovers_known_parameters(fitted):
    for name, value in TRUE.items():
        assert fitted.params[name] == pytest.approx(value, rel=1e-4)
    assert fitted.cost < 1e-12
    assert fitted.n_obs == 2 * 21
    assert fitted.unidentified == [] and fitted.warnings == []
    assert fitted.report.loc["pop", "MAPE"] < 1e-6
    assert fitted.model.params["r"].value == fitted.params["r"]
    assert fitted.model.params["K"].value == fitted.params["K"]
    assert set(fitted.report.index) == {"pop", "growth"}


def test_recovers_known_parameters_with_euler():
    truth = gysim.simulate(logistic(**TRUE), method="euler", dt=0.25)
    data = truth[["pop"]].reset_coords(drop=True).to_dataframe()
    result = calibrate(logistic(), data, ["r", "K"], n_starts=3, method="euler", dt=0.25)
    for name, value in TRUE.items():
        assert result.params[name] == pytest.approx(value, rel=1e-4)
    assert result.provenance["method"] == "euler"


def test_noisy_data_within_three_standard_errors(synthetic):
    rng = np.random.default_rng(20060101)
    noisy = synthetic * (1 + 0.03 * rng.standard_normal(synthetic.shape))
    result = calibrate(logistic(), noisy, ["r", "K"], n_starts=4, seed=1, **TIGHT)
    for name, value in TRUE.items():
        se = result.stderr[name]
        assert 0 < se < 0.2 * value
        assert abs(result.params[name] - value) < 3 * se
    corr = result.correlation
    assert corr.loc["r", "r"] == 1.0 and -1 <= corr.loc["r", "K"] <= 1
    assert corr.loc["r", "K"] == corr.loc["K", "r"]


def test_standard_errors_match_linear_regression():
    # x(t) = x0 + b t is linear in (x0, b): the calibration's covariance must be
    # ordinary least squares' s^2 (X^T X)^-1 (weights 1: data in one unit).
    m = gysim.Model("line", start=0, stop=9)
    m.stock("x", 1.0)
    m.param("b", 1.0, bounds=(-5, 5))
    m.flow("inc", "b", into="x")
    t = np.arange(10.0)
    y = 2.0 + 0.7 * t + np.array([0.3, -0.2, 0.1, 0.0, -0.4, 0.25, 0.1, -0.1, 0.2, -0.3])
    data = pd.DataFrame({"inc": np.full(10, np.nan), "x": y}, index=t)
    data.loc[0.0, "inc"] = 0.7  # one observation of the flow, weight 0: left out
    result = calibrate(m, data, ["x", "b"], bounds={"x": (-10, 10)}, weights={"x": 1.0, "inc": 0.0},
                       method="euler", dt=1.0)
    X = np.column_stack([np.ones_like(t), t])
    coef, ssr, *_ = np.linalg.lstsq(X, y, rcond=None)
    cov = ssr[0] / (10 - 2) * np.linalg.inv(X.T @ X)
    assert result.n_obs == 10
    assert [result.params["x"], result.params["b"]] == pytest.approx(coef, rel=1e-6)
    assert [result.stderr["x"], result.stderr["b"]] == pytest.approx(np.sqrt(np.diag(cov)), rel=1e-4)
    assert result.correlation.loc["x", "b"] == pytest.approx(cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1]), rel=1e-4)


def test_missing_data_allowed(synthetic):
    holey = synthetic.copy()
    holey.iloc[::3, 0] = np.nan
    holey.iloc[1::2, 1] = np.nan
    result = calibrate(logistic(), holey, ["r", "K"], n_starts=2, **TIGHT)
    assert result.n_obs == int(holey.notna().sum().sum())
    for name, value in TRUE.items():
        assert result.params[name] == pytest.approx(value, rel=1e-4)


def test_dataset_data(synthetic):
    ds = xr.Dataset({c: ("time", synthetic[c].to_numpy()) for c in synthetic},
                    coords={"time": synthetic.index.to_numpy()})
    result = calibrate(logistic(), ds, ["r"], n_starts=1, **TIGHT)
    assert result.params["r"] != TRUE["r"]  # K is held at 500: r absorbs what it can
    assert list(result.observed.columns) == ["pop", "growth"]


def test_multistart_reproducible_with_seed(synthetic):
    data = synthetic[["pop"]]
    a = calibrate(logistic(), data, ["r", "K"], n_starts=3, seed=7, **TIGHT)
    b = calibrate(logistic(), data, ["r", "K"], n_starts=3, seed=7, **TIGHT)
    c = calibrate(logistic(), data, ["r", "K"], n_starts=3, seed=8, **TIGHT)
    pd.testing.assert_frame_equal(a.starts, b.starts)
    assert a.params == b.params
    assert list(a.starts["origin"]) == ["model", "lhs", "lhs"]
    # The model's own values start both; an ensemble shares its adaptive steps, so
    # the companions of a run move its cost at the solver's tolerance only.
    assert a.starts["initial_cost"].iloc[0] == pytest.approx(c.starts["initial_cost"].iloc[0], rel=1e-8)
    assert not np.allclose(a.starts["initial_cost"].iloc[1:], c.starts["initial_cost"].iloc[1:])


def test_runs_are_ensembles(synthetic, monkeypatch):
    """Start costs are one run of n_starts; each Jacobian one run of n_params + 1."""
    sizes = []
    real = least_squares_module.simulate

    def counting(model, **kwargs):
        ds = real(model, **kwargs)
        sizes.append(ds.sizes.get("run", 1))
        return ds

    monkeypatch.setattr(least_squares_module, "simulate", counting)
    calibrate(logistic(), synthetic, ["r", "K"], n_starts=5, **TIGHT)
    assert sizes[0] == 5
    assert set(sizes[1:]) == {1, 3}


def test_unidentifiable_parameters_are_flagged():
    m = gysim.Model("product", start=0, stop=10)
    m.stock("x", 1.0)
    m.param("a", 0.5, bounds=(0.1, 2))
    m.param("b", 0.5, bounds=(0.1, 2))
    m.param("c", 1.0, bounds=(0.5, 2))
    m.aux("unused", "c")
    m.flow("g", "a * b * x", into="x")
    data = gysim.simulate(m.with_params(a=0.6, b=0.5), **TIGHT)[["x"]].reset_coords(drop=True).to_dataframe()
    result = calibrate(m, data, ["a", "b", "c"], n_starts=2, **TIGHT)
    assert result.unidentified == ["a", "b", "c"]
    assert all(np.isinf(result.stderr[n]) for n in "abc")
    assert np.isnan(result.correlation.loc["a", "b"])
    assert any("not identifiable" in w for w in result.warnings)
    assert result.params["a"] * result.params["b"] == pytest.approx(0.3, rel=1e-5)


def test_identified_and_unidentified_together(synthetic):
    m = logistic()
    m.param("c", 1.0, bounds=(0.5, 2))
    result = calibrate(m, synthetic, ["r", "K", "c"], n_starts=1, **TIGHT)
    assert result.unidentified == ["c"]
    assert np.isfinite(result.stderr["r"]) and np.isinf(result.stderr["c"])


def test_weights_and_dropped_times(synthetic):
    data = pd.concat([synthetic, pd.DataFrame({"pop": [1.0]}, index=[25.0])])
    result = calibrate(logistic(), data, ["r", "K"], n_starts=1, weights={"growth": 0.0}, **TIGHT)
    assert result.n_obs == 21
    assert result.weights["growth"] == 0.0
    assert result.weights["pop"] == pytest.approx(1 / synthetic["pop"].abs().mean())
    assert any("25" in w and "horizon" in w for w in result.warnings)
    assert result.params["K"] == pytest.approx(TRUE["K"], rel=1e-4)


def test_bounds_narrow_the_search(synthetic):
    result = calibrate(logistic(), synthetic, ["r", "K"], bounds={"K": (100, 600)}, n_starts=2, **TIGHT)
    assert result.bounds["K"] == (100.0, 600.0)
    assert result.params["K"] == pytest.approx(600.0, rel=1e-6)
    assert any("K ended at its upper bound" in w for w in result.warnings)


def test_stock_initial_value_is_calibrated():
    data = gysim.simulate(logistic(**TRUE).with_params(pop=20.0), **TIGHT)[["pop"]].reset_coords(drop=True).to_dataframe()
    result = calibrate(logistic(**TRUE), data, ["pop"], bounds={"pop": (1, 100)}, n_starts=2, **TIGHT)
    assert result.params["pop"] == pytest.approx(20.0, rel=1e-4)
    assert result.starts["pop"].iloc[0] == pytest.approx(20.0, rel=1e-4)  # the start from the model's 10
    assert result.starts["initial_cost"].iloc[0] > 0
    assert float(gysim.simulate(result.model).pop[0]) == result.params["pop"]


def test_to_json_and_load(fitted, tmp_path):
    path = tmp_path / "fit.json"
    fitted.to_json(path)
    assert os.listdir(tmp_path) == ["fit.json"]  # no temporary file left behind
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["model"] == "logistic"
    assert doc["parameters"]["K"]["units"] == "person"
    assert doc["parameters"]["r"]["lower"] == 0.01
    assert doc["provenance"]["seed"] == 3 and doc["provenance"]["data_columns"] == ["pop", "growth"]
    assert doc["provenance"]["gysim_version"] == gysim.__version__
    assert set(doc["fit"]) == {"pop", "growth"} and "UM" in doc["fit"]["pop"]
    assert load_calibration(path) == fitted.params
    with pytest.raises(DataError, match="not a calibration result"):
        (tmp_path / "bad.json").write_text("{}")
        load_calibration(tmp_path / "bad.json")


def test_reprs(fitted):
    assert isinstance(fitted, CalibrationResult)
    text = repr(fitted)
    assert "logistic" in text and "MAPE" in text
    page = fitted._repr_html_()
    assert "<table" in page and "stderr" in page and "UC" in page


# --- errors ----------------------------------------------------------------------------


def test_unknown_column_suggests(synthetic):
    with pytest.raises(DataError, match="did you mean 'growth'"):
        calibrate(logistic(), synthetic.rename(columns={"growth": "grwth"}), ["r"])
    with pytest.raises(DataError, match="is a param"):
        calibrate(logistic(), synthetic.rename(columns={"growth": "K"}), ["r"])


@pytest.mark.parametrize(
    "data, match",
    [(pd.DataFrame(), "empty"),
     (pd.DataFrame({"pop": [1.0, 2.0]}, index=[30.0, 31.0]), "horizon"),
     (pd.DataFrame({"pop": [1.0, np.nan]}, index=[0.0, 1.0]).assign(growth=np.nan), "no observation"),
     (pd.DataFrame({"pop": [1.0, np.inf]}, index=[0.0, 1.0]), "infinite"),
     (pd.DataFrame({"pop": ["a", "b"]}, index=[0.0, 1.0]), "numbers"),
     (pd.DataFrame({"pop": [1.0, 2.0]}, index=[0.0, 0.5]), "saveper"),
     (pd.DataFrame({"pop": [1.0, 2.0]}, index=[0.0, 0.0]), "repeats")],
)
def test_bad_data(data, match):
    with pytest.raises(DataError, match=match):
        calibrate(logistic(), data, ["r"], n_starts=1)


def test_bad_parameters(synthetic):
    m = logistic()
    m.param("free", 1.0)
    with pytest.raises(ParameterError, match="did you mean 'K'"):
        calibrate(m, synthetic, ["K_"])
    with pytest.raises(ModelDefinitionError, match="no bounds"):
        calibrate(m, synthetic, ["free"])
    with pytest.raises(ParameterError, match="stock 'pop' has no bounds"):
        calibrate(m, synthetic, ["pop"])
    with pytest.raises(ParameterError, match="within its own bounds"):
        calibrate(m, synthetic, ["r"], bounds={"r": (0, 1)})
    with pytest.raises(ParameterError, match="is a flow"):
        calibrate(m, synthetic, ["growth"])
    with pytest.raises(ParameterError, match="more than once"):
        calibrate(m, synthetic, ["r", "r"])
    with pytest.raises(ParameterError, match="at least one"):
        calibrate(m, synthetic, [])
    with pytest.raises(ParameterError, match="`scenario`"):
        calibrate(m, synthetic, ["r"], scenario="plan")
    with pytest.raises(DataError, match="not a data column"):
        calibrate(m, synthetic, ["r"], weights={"share": 1.0})


def test_fails_everywhere():
    m = gysim.Model("broken", start=0, stop=3)
    m.stock("x", 1.0)
    m.param("k", 1.0, bounds=(0.5, 2))
    m.flow("f", "k * x", into="x")
    m.aux("ratio", "x / (k - k)")
    data = pd.DataFrame({"ratio": [1.0, 2.0]}, index=[0.0, 1.0])
    with pytest.raises(CalibrationError, match="failed from every start"):
        calibrate(m, data, ["k"], n_starts=2)
