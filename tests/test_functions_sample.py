"""SAMPLE IF TRUE and FORECAST, from Vensim's definitions, with values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

import gysim
from tests.test_vensim import eq, write_mdl


def test_sample_if_true_holds_the_last_sampled_value(tmp_path):
    body = (eq("x", "Time * 10") + eq("c", "IF THEN ELSE(MODULO(Time, 3) = 1, 1, 0)")
            + eq("s", "SAMPLE IF TRUE(c, x, -5)"))
    ds = gysim.simulate(gysim.read_vensim(write_mdl(tmp_path, body)))
    # c is true at t = 1, 4, 7, 10: s takes x there and holds it; -5 before the first
    assert ds.s.values.tolist() == [-5, 10, 10, 10, 40, 40, 40, 70, 70, 70, 100]


def test_sample_if_true_true_at_the_start_and_negative_values(tmp_path):
    body = (eq("x", "-2 - Time") + eq("c", "IF THEN ELSE(Time < 2 :OR: Time > 4.9, 1, 0)")
            + eq("s", "SAMPLE IF TRUE(c, x, 99)"))
    ds = gysim.simulate(gysim.read_vensim(write_mdl(tmp_path, body, stop=6, dt=0.5)))
    t = ds.time.values
    expect = [-2 - v if (v < 2 or v > 4.9) else -3.5 for v in t]
    np.testing.assert_array_equal(ds.s.values, expect)


def test_sample_if_true_in_python_models_and_its_method():
    m = gysim.Model("m", stop=4, dt=1, method="euler")
    m.stock("n", 0.0)
    m.flow("inflow", "1", into="n")
    m.aux("held", "sample_if_true(n >= 2, n * 10, 0)")
    assert gysim.simulate(m).held.values.tolist() == [0, 0, 20, 30, 40]
    with pytest.raises(gysim.ModelDefinitionError, match="fixed-step"):
        gysim.simulate(m, method="RK45")


def test_sample_if_true_round_trips_through_vensim(tmp_path):
    m = gysim.Model("m", stop=6, dt=1, method="euler")
    m.aux("held", "sample_if_true(modulo(time, 2) == 0, time, -1)")
    text = m.to_vensim(tmp_path / "s.mdl").read_text()
    assert "SAMPLE IF TRUE(" in text
    back = gysim.simulate(gysim.read_vensim(tmp_path / "s.mdl"))
    assert back.held.values.tolist() == [0, 0, 2, 2, 4, 4, 6]


def test_forecast_extrapolates_along_the_trend(tmp_path):
    body = eq("x", "Time * 10") + eq("f", "FORECAST(x, 2, 3)")
    ds = gysim.simulate(gysim.read_vensim(write_mdl(tmp_path, body, stop=3)))
    # by hand: the average s starts at x = 0 and moves (x - s) / 2 per step:
    # s = 0, 0, 5, 12.5; trend = zidz(x - s, 2 * |s|) = 0, 0, 1.5, 0.7;
    # forecast = x * (1 + 3 * trend) = 0, 10, 110, 93
    np.testing.assert_allclose(ds.f.values, [0, 10, 110, 93], rtol=1e-12)


def test_forecast_of_exponential_growth_approaches_its_future_value(tmp_path):
    # x growing at rate g: the first-order average settles at x / (1 + g T) (also with
    # Euler steps), so the trend (x - s) / (T s) tends to g and forecast / x to 1 + horizon g
    body = (eq("x", "INTEG(x * 0.05, 1)") + eq("f", "FORECAST(x, 4, 10)"))
    ds = gysim.simulate(gysim.read_vensim(write_mdl(tmp_path, body, stop=200, dt=0.0625,
                                                    saveper=1)))
    ratio = float(ds.f.values[-1] / ds.x.values[-1])
    assert ratio == pytest.approx(1 + 10 * 0.05, rel=1e-6)


def test_sample_if_true_over_dimensions_holds_each_element():
    # x[r] = time * k[r] while time > 1, else the previous value (5 at the start)
    m = gysim.Model("m", stop=3, dt=1, method="euler")
    m.dimension("r", ["a", "b"])
    m.param("k", [1.0, 2.0], dims=("r",))
    m.aux("x", "sample_if_true(time > 1 and time < 3, time * k, 5)", dims=("r",))
    ds = gysim.simulate(m)
    np.testing.assert_array_equal(ds.x.transpose("time", "r").values,
                                  [[5, 5], [5, 5], [2, 4], [2, 4]])
    # the condition per element: b samples from time 1, a from time 2
    m.param("start", [2.0, 1.0], dims=("r",))
    m.aux("y", "sample_if_true(time >= start, time * k, 0)", dims=("r",))
    np.testing.assert_array_equal(gysim.simulate(m).y.transpose("time", "r").values,
                                  [[0, 0], [0, 2], [2, 4], [3, 6]])
    # scalar arguments in a subscripted element: one hold, broadcast
    m2 = gysim.Model("m", stop=3, dt=1, method="euler")
    m2.dimension("r", ["a", "b"])
    m2.aux("x", "sample_if_true(time > 1, time * 2, 5)", dims=("r",))
    np.testing.assert_array_equal(gysim.simulate(m2).x.values,
                                  [[5, 5], [5, 5], [4, 4], [6, 6]])
