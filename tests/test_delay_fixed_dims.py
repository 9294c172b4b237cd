"""Fixed delays over dimensions: DELAY FIXED and SAMPLE IF TRUE of subscripted values.

Vensim's DELAY FIXED(input, delay time, initial) gives ``initial`` until the
delay time has passed and then the input of ``delay time`` earlier; each
element of a subscripted input is delayed on its own. The values below are
worked by hand at TIME STEP 1: ``x[d] * TIME`` delayed by 2 is ``x[d] * (t - 2)``
from t = 2 on.
"""

from __future__ import annotations

import numpy as np
import pytest

import gysim
from gysim.errors import ModelDefinitionError
from tests.test_vensim import eq, write_mdl

BODY = ("d: a1, a2, a3\n\t~\t\n\t~\t|\n" + eq("x[d]", "1, 2, 3") + eq("tau", "2")
        + eq("y[d]", "DELAY FIXED(x[d] * Time, tau, -1)")
        + eq("z[d]", "SAMPLE IF TRUE(Time > 2, x[d] * Time, x[d])"))


@pytest.fixture()
def model(tmp_path):
    return gysim.read_vensim(write_mdl(tmp_path, BODY, stop=6))


def expected_delay(tau: float) -> np.ndarray:
    """(time, d): -1 before tau, x * (t - tau) from tau on."""
    t = np.arange(7.0)[:, None]
    x = np.array([1.0, 2.0, 3.0])
    return np.where(t >= tau, x * (t - tau), -1.0)


def test_read_natively_and_delayed_element_by_element(model):
    assert model.source.fallback == ""
    ds = gysim.simulate(model)
    assert ds.y.dims[:2] == ("time", "d")
    np.testing.assert_array_equal(ds.y.transpose("time", "d", ...).values.squeeze(),
                                  expected_delay(2))
    # the hold: the initial x until time 3, then x * time
    t = np.arange(7.0)[:, None]
    np.testing.assert_array_equal(ds.z.transpose("time", "d", ...).values.squeeze(),
                                  np.where(t > 2, [1.0, 2.0, 3.0] * t, [1.0, 2.0, 3.0]))


def test_each_run_its_own_delay_time(model):
    taus = np.array([1.0, 2.0, 3.0])
    ds = gysim.simulate(model, params={"tau": taus})
    for run, tau in enumerate(taus):
        np.testing.assert_array_equal(
            ds.y.isel(run=run).transpose("time", "d").values, expected_delay(tau))


def test_rk4_holds_the_same_steps(model):
    ds = gysim.simulate(model, method="rk4")
    np.testing.assert_array_equal(ds.y.transpose("time", "d", ...).values.squeeze(),
                                  expected_delay(2))


def test_numba_refuses_by_name_and_auto_takes_numpy(model):
    with pytest.raises(ModelDefinitionError, match=r"fixed delays \(delay_fixed\) over "
                                                   r"dimensions"):
        gysim.simulate(model, backend="numba")
    assert gysim.simulate(model, backend="auto").attrs["backend"] == "numpy"


def test_a_delay_time_over_dimensions_is_read_element_by_element(tmp_path):
    # one delay time per element: the engine's fixed delays take one per run, so the
    # reader falls back to one scalar delay per element, and says why
    body = ("d: a1, a2\n\t~\t\n\t~\t|\n" + eq("x[d]", "1, 2") + eq("tau[d]", "1, 2")
            + eq("y[d]", "DELAY FIXED(x[d], tau[d], 0)"))
    m = gysim.read_vensim(write_mdl(tmp_path, body, stop=3))
    assert "varies over dimensions (d)" in m.source.fallback
    ds = gysim.simulate(m)
    np.testing.assert_array_equal(ds.y_a1.values, [0, 1, 1, 1])
    np.testing.assert_array_equal(ds.y_a2.values, [0, 0, 2, 2])
