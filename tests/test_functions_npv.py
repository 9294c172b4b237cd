"""Vensim's NPV(stream, discount rate, initial value, factor), from its reference.

Vensim's reference writes NPV as ``(accum + stream * TIME STEP * df) *
factor``, ``accum = INTEG(stream * df, init)``, ``df = INTEG(-df * rate /
(1 + rate * TIME STEP), 1)``. With Euler steps of dt the discount factor is
``df_k = (1 + rate dt) ** -k``, so NPV at step k is
``(init + dt * sum(stream_j * df_j for j <= k)) * factor``: the expected
values below are that sum, worked out by hand.
"""

from __future__ import annotations

import numpy as np
import pytest

import gysim
from tests.test_vensim import eq, write_mdl


def _model(stream="100", rate=0.1, init=0.0, factor="1", dt=1.0, stop=3):
    m = gysim.Model("m", stop=stop, dt=dt, method="euler")
    m.param("rate", rate)
    m.aux("cash", stream)
    m.aux("v", f"npv(cash, rate, {init}, {factor})")
    return m


def test_constant_stream_by_hand():
    ds = gysim.simulate(_model())
    # 100, 100 + 100/1.1, + 100/1.21, + 100/1.331
    expected = np.cumsum([100, 100 / 1.1, 100 / 1.21, 100 / 1.331])
    np.testing.assert_allclose(ds.v.values, expected, rtol=1e-12)


def test_time_step_initial_value_and_factor():
    # dt 0.5: df_k = 1.05 ** -k, each step's stream counts dt = 0.5 times
    ds = gysim.simulate(_model(stream="time", init=7.0, factor="2", dt=0.5, stop=1),
                        saveper=0.5)
    t = np.array([0.0, 0.5, 1.0])
    expected = 2 * (7 + 0.5 * np.cumsum(t / 1.05 ** np.arange(3)))
    np.testing.assert_allclose(ds.v.values, expected, rtol=1e-12)


def test_zero_and_negative_rates():
    flat = gysim.simulate(_model(rate=0.0))  # no discounting: a plain running sum
    np.testing.assert_allclose(flat.v.values, [100, 200, 300, 400], rtol=1e-12)
    up = gysim.simulate(_model(rate=-0.5))  # df_k = 0.5 ** -k = 2 ** k
    np.testing.assert_allclose(up.v.values, [100, 300, 700, 1500], rtol=1e-12)


def test_ensemble_rates_per_run_and_backends_agree():
    rates = np.array([0.0, 0.1, 1.0])
    ds = gysim.simulate(_model(stop=2), params={"rate": rates}, backend="numpy")
    expected = [[100 * sum((1 + r) ** -j for j in range(k + 1)) for r in rates]
                for k in range(3)]
    np.testing.assert_allclose(ds.v.values, expected, rtol=1e-12)
    pytest.importorskip("numba")
    nb = gysim.simulate(_model(stop=2), params={"rate": rates}, backend="numba")
    np.testing.assert_allclose(nb.v.values, ds.v.values, rtol=1e-12, atol=1e-12)


def test_adaptive_methods_take_the_continuous_limit():
    # TIME STEP 0: accum' = 100 exp(-0.1 t), so NPV(t) = 1000 (1 - exp(-0.1 t))
    ds = gysim.simulate(_model(), method="RK45", rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ds.v.values, 1000 * (1 - np.exp(-0.1 * np.arange(4))),
                               rtol=1e-7, atol=1e-9)


def test_read_from_vensim(tmp_path):
    body = eq("cash", "100") + eq("rate", "0.1") + eq("v", "NPV(cash, rate, 0, 1)")
    m = gysim.read_vensim(write_mdl(tmp_path, body, stop=3))
    np.testing.assert_allclose(gysim.simulate(m).v.values,
                               np.cumsum([100, 100 / 1.1, 100 / 1.21, 100 / 1.331]), rtol=1e-12)
