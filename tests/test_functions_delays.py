"""Delays and smooths with a delay time that changes during the run, from their definitions.

Vensim defines DELAY1, DELAY3 and DELAY N as chains of stocks whose every
outflow is ``stage content / (delay time / order)``, and SMOOTH/SMOOTH3/SMOOTH N
as chains of first-order smooths with stage time ``delay time / order``.
DELAY1 and DELAY3 use the delay time of the current step; DELAY N's output
"depends only on the values delay time had in previous Time Steps" (Vensim's
reference): its last stage drains with the delay time of the previous step. The
expected values below are either worked out by hand or stepped with plain Euler
over those definitions.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import gysim
from tests.test_vensim import eq, write_mdl


def _chain_delay(x, tau, init, n, dt, steps, last_previous=False):
    """Euler over the stage contents L_k; output = L_n / (tau / n) with the current tau,
    or (``last_previous``, DELAY N) with the tau of the previous step (tau(0) at t = 0)."""
    stages = [init * tau(0.0) / n] * n
    out = []
    for k in range(steps + 1):
        t = k * dt
        outs = [s / (tau(t) / n) for s in stages]
        if last_previous:
            outs[-1] = stages[-1] / (tau(max(t - dt, 0.0)) / n)
        out.append(outs[-1])
        inflows = [x(t)] + outs[:-1]
        stages = [s + dt * (i - o) for s, i, o in zip(stages, inflows, outs)]
    return out


def _chain_smooth(x, tau, init, n, dt, steps):
    stages = [init] * n
    out = []
    for k in range(steps + 1):
        t = k * dt
        out.append(stages[-1])
        ups = [x(t)] + stages[:-1]
        stages = [s + dt * (u - s) / (tau(t) / n) for s, u in zip(stages, ups)]
    return out


def _step(t, dt, height, start):
    return height if t + 0.5 * dt > start else 0.0


def test_delay_n_drains_its_last_stage_with_the_previous_delay_time(tmp_path):
    body = (eq("x", "1 + STEP(1, 1)") + eq("y", "DELAY N(x, 2 + RAMP(1, 0, 4), 1, 2)")
            + eq("w", "DELAY3(x, 2 + RAMP(1, 0, 4))"))
    m = gysim.read_vensim(write_mdl(tmp_path, body, stop=6, dt=0.5))
    ds = gysim.simulate(m)
    y = ds.y.values
    # by hand: both stages hold 1 (= 1 * 2 / 2); the stage time is 1, 1.25, 1.5, 1.75 at
    # t = 0, 0.5, 1, 1.5 and x steps to 2 at t = 1 (Vensim's STEP at start - dt/2).
    # Stage 1 drains with the current stage time, stage 2 (the output) with the last one.
    # t=0:   y = 1 / 1 = 1;        L1 = 1 + 0.5 (1 - 1/1) = 1,  L2 = 1 + 0.5 (1 - 1) = 1
    # t=0.5: y = 1 / 1 = 1;        L1 = 1 + 0.5 (1 - 1/1.25) = 1.1,  L2 = 1 + 0.5 (0.8 - 1) = 0.9
    # t=1:   y = 0.9 / 1.25 = 0.72; L2 = 0.9 + 0.5 (1.1/1.5 - 0.72) = 0.90667
    # t=1.5: y = 0.90667 / 1.5 = 0.60444
    np.testing.assert_allclose(y[:4], [1.0, 1.0, 0.72, (0.9 + 0.5 * (1.1 / 1.5 - 0.72)) / 1.5],
                               rtol=1e-12)
    expect = _chain_delay(lambda t: 1 + _step(t, 0.5, 1, 1), lambda t: 2 + min(t, 4.0),
                          1.0, 2, 0.5, 12, last_previous=True)
    np.testing.assert_allclose(y, expect, rtol=1e-12)
    # DELAY3 drains every stage with the current time: (2/3) / (2.5/3) = 0.8 at t = 0.5
    assert ds.w.values[1] == pytest.approx(0.8, rel=1e-12)


def test_delay_n_with_a_changing_delay_time_conserves_what_enters(tmp_path):
    # content 1 * 2 at the start, plus 0.5 * (1 + 1) entering before x drops to 0 at
    # t = 1: 3 leave in all (what is left at t = 80 is below 1e-9)
    body = (eq("x", "1 - STEP(1, 1)") + eq("y", "DELAY N(x, 2 + RAMP(1, 0, 4), 1, 3)"))
    m = gysim.read_vensim(write_mdl(tmp_path, body, stop=80, dt=0.5))
    y = gysim.simulate(m, saveper=0.5).y.values
    assert 0.5 * y[:-1].sum() == pytest.approx(3.0, rel=1e-9)


def test_delay_n_with_a_changing_delay_time_needs_a_fixed_step(tmp_path):
    body = (eq("x", "1") + eq("y", "DELAY N(x, 2 + RAMP(1, 0, 4), 1, 3)")
            + eq("w", "DELAY N(x, 2, 1, 3)"))
    m = gysim.read_vensim(write_mdl(tmp_path, body, stop=4, dt=0.5))
    with pytest.raises(gysim.ModelDefinitionError, match="delay_n of 'y'.*fixed-step"):
        gysim.simulate(m, method="RK45")
    m = gysim.read_vensim(write_mdl(tmp_path, eq("x", "1") + eq("w", "DELAY N(x, 2, 1, 3)"),
                                    stop=4, dt=0.5))
    np.testing.assert_allclose(gysim.simulate(m, method="RK45").w.values, 1.0)


@pytest.mark.parametrize("call, order, init", [
    ("DELAY1(x, tau)", 1, 2.0), ("DELAY3(x, tau)", 3, 2.0), ("DELAY1I(x, tau, 4)", 1, 4.0),
    ("DELAY3I(x, tau, 4)", 3, 4.0), ("DELAY N(x, tau, 4, 5)", 5, 4.0)])
def test_material_delays_follow_their_chain_when_the_time_changes(tmp_path, call, order, init):
    body = (eq("x", "2 + STEP(3, 2) - RAMP(0.5, 4, 8)") + eq("tau", "3 + STEP(4, 3) - STEP(5, 6)")
            + eq("y", call))
    m = gysim.read_vensim(write_mdl(tmp_path, body, stop=12, dt=0.25))
    y = gysim.simulate(m).y.values
    expect = _chain_delay(
        lambda t: 2 + _step(t, 0.25, 3, 2) - (0.5 * (min(t, 8) - 4) if t >= 4 else 0.0),
        lambda t: 3 + _step(t, 0.25, 4, 3) - _step(t, 0.25, 5, 6), init, order, 0.25, 48,
        last_previous=call.startswith("DELAY N"))
    np.testing.assert_allclose(y, expect, rtol=1e-12)


@pytest.mark.parametrize("call, order, init", [
    ("SMOOTH(x, tau)", 1, 2.0), ("SMOOTH3(x, tau)", 3, 2.0), ("SMOOTHI(x, tau, 4)", 1, 4.0),
    ("SMOOTH3I(x, tau, 4)", 3, 4.0), ("SMOOTH N(x, tau, 4, 4)", 4, 4.0)])
def test_smooths_follow_their_chain_when_the_time_changes(tmp_path, call, order, init):
    body = (eq("x", "2 + STEP(3, 2)") + eq("tau", "3 + STEP(4, 3) - STEP(5, 6)") + eq("y", call))
    m = gysim.read_vensim(write_mdl(tmp_path, body, stop=12, dt=0.25))
    y = gysim.simulate(m).y.values
    expect = _chain_smooth(lambda t: 2 + _step(t, 0.25, 3, 2),
                           lambda t: 3 + _step(t, 0.25, 4, 3) - _step(t, 0.25, 5, 6),
                           init, order, 0.25, 48)
    np.testing.assert_allclose(y, expect, rtol=1e-12)


def test_a_changing_delay_time_works_with_adaptive_methods(tmp_path):
    # DELAY3's chain needs no fixed step: RK45 agrees with fine Euler
    body = (eq("x", "1 + STEP(1, 1)") + eq("y", "DELAY3(x, 2 + RAMP(1, 0, 4))"))
    m = gysim.read_vensim(write_mdl(tmp_path, body, stop=8, dt=0.5))
    rk = gysim.simulate(m, method="RK45", saveper=1, rtol=1e-9, atol=1e-9)
    fine = _chain_delay(lambda t: 1 + (1.0 if t >= 1 else 0.0), lambda t: 2 + min(t, 4.0),
                        1.0, 3, 1e-4, 80000)
    np.testing.assert_allclose(rk.y.values, fine[::10000], rtol=2e-3)


def test_delay_n_order_may_be_an_expression_of_constants(tmp_path):
    body = (eq("order", "2") + eq("x", "1 + STEP(1, 1)")
            + eq("y", "DELAY N(x, 2, x, INTEGER(order + 0.7))")
            + eq("z", "SMOOTH N(x, 2, x, MAX(order, 1) * 2 - 1)")
            + eq("w", "DELAY N(x, 2, x, 2)") + eq("v", "SMOOTH N(x, 2, x, 3)"))
    ds = gysim.simulate(gysim.read_vensim(write_mdl(tmp_path, body, dt=0.25)))
    np.testing.assert_array_equal(ds.y.values, ds.w.values)
    np.testing.assert_array_equal(ds.z.values, ds.v.values)


def test_delay_n_order_is_taken_at_the_initial_time(tmp_path):
    # the order is fixed when the run starts: Time in it is the initial time (2)
    body = (eq("x", "1 + STEP(1, 3)") + eq("y", "DELAY N(x, 2, x, Time - 1)")
            + eq("w", "DELAY1(x, 2)"))
    path = write_mdl(tmp_path, body).read_text().replace("INITIAL TIME = 0", "INITIAL TIME = 2")
    (tmp_path / "m.mdl").write_text(path)
    ds = gysim.simulate(gysim.read_vensim(tmp_path / "m.mdl"))
    np.testing.assert_array_equal(ds.y.values, ds.w.values)


def test_delay_n_order_that_is_not_a_constant_is_refused(tmp_path):
    body = eq("x", "1") + "tbl(\n\t(0, 1), (5, 3))\n\t~\t\n\t~\t|\n" + eq("y", "DELAY N(x, 2, x, tbl(2))")
    with pytest.raises(gysim.ModelDefinitionError, match="order that is not a constant"):
        gysim.read_vensim(write_mdl(tmp_path, body))


def test_python_models_fold_a_constant_order():
    m = gysim.Model("m", stop=4, dt=0.5)
    m.aux("x", "1 + step(1, 1)")
    m.aux("y", "delay_n(x, 2, x, integer(2.9) + max(0, 1))")
    m.aux("w", "delay_n(x, 2, x, 3)")
    ds = gysim.simulate(m)
    np.testing.assert_allclose(ds.y.values, ds.w.values, rtol=1e-14)
    m.param("k", 2.0)
    m.aux("bad", "delay_n(x, 2, x, k + time)")
    with pytest.raises(gysim.ModelDefinitionError, match="order of `delay_n` must be a constant"):
        m.compile()


def test_zero_delay_time_is_a_clear_error(tmp_path):
    m = gysim.read_vensim(write_mdl(tmp_path, eq("x", "1") + eq("y", "DELAY1(x, 0)")))
    with pytest.raises((gysim.SimulationError, gysim.ModelDefinitionError)):
        gysim.simulate(m)


def test_erlang_step_response_of_a_constant_delay_n():
    m = gysim.Model("m", stop=10, dt=1)
    m.aux("x", "step(1, 0)")
    m.aux("y", "delay_n(x, 4, 0, 3)")
    rk = gysim.simulate(m, method="RK45", saveper=1, rtol=1e-8, atol=1e-10)
    assert float(rk.y.sel(time=10)) == pytest.approx(1 - math.exp(-7.5) * (1 + 7.5 + 7.5 ** 2 / 2),
                                                    rel=1e-4)


@pytest.mark.parametrize("order, message", [("0", "positive integer"), ("2.5", "positive integer"),
                                            ("-1", "positive integer"),
                                            ("1e6", "limit is 1000 stages")])
def test_bad_orders_are_refused(order, message):
    m = gysim.Model("m", stop=2, dt=1)
    m.aux("x", "1")
    m.aux("y", f"delay_n(x, 2, x, {order})")
    with pytest.raises(gysim.ModelDefinitionError, match=message):
        m.compile()


def test_delay_with_nan_input_propagates_as_a_failed_run():
    m = gysim.Model("m", stop=4, dt=1, method="euler")
    m.aux("x", "if_then_else(time >= 2, not_available(), 1)")
    m.aux("y", "delay3(x, 1)")
    ds = gysim.simulate(m, on_error="mask")
    assert ds.attrs["n_failed"] == 1 and np.isnan(ds.y.values[-1])


def test_delay_fixed_gives_its_initial_value_until_the_delay_has_passed(tmp_path):
    body = (eq("x", "Time * Time") + eq("y", "DELAY FIXED(x, 3, 7)")
            + eq("z", "DELAY FIXED(x, 1.5, x)"))
    ds = gysim.simulate(gysim.read_vensim(write_mdl(tmp_path, body, stop=6, dt=0.5)))
    t = ds.time.values
    # initial value while time < start + delay, then the input of `delay` ago
    np.testing.assert_array_equal(ds.y.values, np.where(t < 3, 7.0, (t - 3) ** 2))
    # an initial value that is an expression: evaluated at the start (x(0) = 0)
    np.testing.assert_array_equal(ds.z.values, np.where(t < 1.5, 0.0, (t - 1.5) ** 2))


def test_delay_n_order_is_reduced_to_delay_time_over_time_step(tmp_path):
    # Vensim's reference: delay time must be at least order * TIME STEP, else Vensim
    # reduces the order so that it is. dt = 0.5, delay time 1.25: order 3 needs 1.5,
    # so 2 stages (1.25 / 0.5 = 2.5 -> 2) of stage time 0.625 (dt / stage time = 0.8).
    # Input -1 from 6: stage outflows o1, o2 start at 6;
    # t=0.5: o1 = 6 + 0.8 (-1 - 6) = 0.4, o2 = 6 + 0.8 (6 - 6) = 6
    # t=1:   o2 = 6 + 0.8 (0.4 - 6) = 1.52;  t=1.5: o1 = 0.4 + 0.8 (-1 - 0.4) = -0.72,
    #        o2 = 1.52 + 0.8 (-0.72 - 1.52) = -0.272
    body = (eq("x", "-1") + eq("y3", "DELAY N(x, 1.25, 6, 3)")
            + eq("y2", "DELAY N(x, 1.25, 6, 2)")
            # exactly order * TIME STEP: kept (3 stages of one step each: a pipeline)
            + eq("z", "DELAY N(x, 1.5, 6, 3)")
            # below TIME STEP: one stage emptied every step, out = previous input
            + eq("w", "DELAY N(x, 0.25, 6, 4)"))
    with pytest.warns(UserWarning, match="order reduced"):
        m = gysim.read_vensim(write_mdl(tmp_path, body, stop=3, dt=0.5))
    ds = gysim.simulate(m)
    np.testing.assert_allclose(ds.y3.values[:4], [6, 6, 1.52, -0.272], rtol=1e-12)
    np.testing.assert_allclose(ds.y3.values, ds.y2.values, rtol=1e-12)
    np.testing.assert_allclose(ds.z.values[:5], [6, 6, 6, -1, -1], rtol=1e-12)
    # one stage of stage time 0.25 holds 6 * 0.25 = 1.5; t=0.5: 1.5 + 0.5 (-1 - 6) = -2
    # -> out -8; t=1: -2 + 0.5 (-1 + 8) = 1.5 -> out 6: with dt / tau = 2 it oscillates
    np.testing.assert_allclose(ds.w.values[:4], [6, -8, 6, -8], rtol=1e-12)


def test_delay_n_order_is_kept_when_the_delay_time_is_long_enough(tmp_path):
    import warnings
    body = eq("x", "STEP(1, 1)") + eq("y", "DELAY N(x, 2, 0, 4)")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no 'order reduced' warning: 4 * 0.5 <= 2
        m = gysim.read_vensim(write_mdl(tmp_path, body, stop=4, dt=0.5))
    y = gysim.simulate(m).y.values
    expect = _chain_delay(lambda t: _step(t, 0.5, 1, 1), lambda t: 2.0, 0.0, 4, 0.5, 8)
    np.testing.assert_allclose(y, expect, rtol=1e-12, atol=1e-15)
