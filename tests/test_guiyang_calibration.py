"""The Guiyang calibration: criteria of the issue, reproducibility, plan outcomes."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

import gysim
from gysim.registry import models_module

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def fit_module():
    spec = importlib.util.spec_from_file_location("calibration_fit", ROOT / "calibration" / "fit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def result(fit_module):
    return fit_module.fit()


def test_fit_meets_the_criteria(result):
    mape = result.report["MAPE"]
    assert mape["gdp"] < 3.0
    assert mape["population"] < 1.0
    for sector in ("va_primary", "va_secondary", "va_tertiary"):
        assert mape[sector] < 5.0, sector


def test_refit_reproduces_the_stored_parameters(result, fit_module):
    stored = json.loads(fit_module.FITTED_FILE.read_text(encoding="utf-8"))["parameters"]
    for name in fit_module.FITTED:
        np.testing.assert_allclose(result.params[name], stored[name]["value"], rtol=1e-3,
                                   err_msg=name)


def test_calibrated_model_loads_the_stored_parameters(fit_module):
    stored = json.loads(fit_module.FITTED_FILE.read_text(encoding="utf-8"))["parameters"]
    model = gysim.load_model("guiyang")
    for name in fit_module.FITTED:
        assert model.params[name].value == pytest.approx(stored[name]["value"], rel=1e-12)
    uncalibrated = gysim.load_model("guiyang", calibrated=False)
    assert any(uncalibrated.params[n].value != model.params[n].value for n in fit_module.FITTED)


def test_calibrated_model_reproduces_the_plan_2005_outcomes():
    """The 10th plan's review: GDP over 500亿, 12.8 %/yr real growth, investment 1220亿 over 2001-05."""
    ds = gysim.simulate(gysim.load_model("guiyang"), method="rk4", dt=0.125)
    assert float(ds.gdp.sel(time=2005)) > 500
    growth = (float(ds.gdp_real.sel(time=2005) / ds.gdp_real.sel(time=2000))) ** (1 / 5) - 1
    assert growth == pytest.approx(0.128, abs=0.005)
    investment = float(ds.fixed_asset_investment.sel(time=slice(2001, 2005)).sum())
    assert investment == pytest.approx(1220, rel=0.02)
    path = models_module("_plan").plan_investment_path()
    assert path.sum() == pytest.approx(1220)
    assert path.iloc[-1] / path.iloc[-2] == pytest.approx(1.248)
