"""A FINAL TIME that changes during the run (gysim.engine.final_time, the readers).

Expected stops are worked out by hand from the definition (Vensim): a run
ends at the first time step where Time >= FINAL TIME, its values at that
time are its last, later saved times are NaN.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import gysim
from gysim.errors import ModelDefinitionError, SimulationError

NAN = float("nan")


def _counter(rate=1.0, end="if_then_else(x >= 3, time, 10)", **options) -> gysim.Model:
    """x' = rate from 0 (Euler is exact: x = rate * t); FINAL TIME is the aux ``end``."""
    options = {"start": 0, "stop": 10, "dt": 1, "method": "euler", **options}
    m = gysim.Model("counter", **options)
    m.stock("x", 0.0)
    m.param("rate", rate)
    m.flow("inflow", "rate", into="x")
    m.aux("end", end)
    m.final_time_variable = "end"
    return m


def _same(actual, expected):
    np.testing.assert_array_equal(np.asarray(actual, float), np.asarray(expected, float))


def test_run_ends_at_first_time_reaching_final_time():
    ds = gysim.simulate(_counter())
    # x = t; at t = 3 x >= 3 so FINAL TIME = 3 = Time: the run ends at 3
    assert ds.time.values.tolist() == list(range(11))  # the horizon stays the time axis
    _same(ds.x.values, [0, 1, 2, 3] + [NAN] * 7)
    _same(ds.end.values, [10, 10, 10, 3] + [NAN] * 7)
    assert ds.attrs["backend"] == "numpy"


def test_constant_final_time_below_horizon():
    ds = gysim.simulate(_counter(end="4.5"))  # first step with t >= 4.5 is t = 5
    _same(ds.x.values, [0, 1, 2, 3, 4, 5] + [NAN] * 5)


def test_ensemble_runs_end_apart_on_one_time_axis():
    ds = gysim.simulate(_counter(), params={"rate": np.array([1.0, 2.0, 0.5])})
    # x = rate t >= 3: rate 1 at t = 3, rate 2 at t = 2 (x = 4), rate 0.5 at t = 6
    _same(ds.x.isel(run=0), [0, 1, 2, 3] + [NAN] * 7)
    _same(ds.x.isel(run=1), [0, 2, 4] + [NAN] * 8)
    _same(ds.x.isel(run=2), [0, 0.5, 1, 1.5, 2, 2.5, 3] + [NAN] * 4)


def test_chunks_do_not_change_the_stops():
    m = _counter()
    rates = np.array([1.0, 2.0, 0.5, 0.25])
    whole = gysim.simulate(m, params={"rate": rates})
    chunked = gysim.simulate(m, params={"rate": rates}, chunk_size=1)
    np.testing.assert_array_equal(whole.x.values, chunked.x.values)
    # rate 0.25 reaches 3 at t = 12, after the horizon 10: with FINAL TIME 10 there
    # (x < 3) the run ends at the horizon itself, as Time >= 10
    _same(whole.x.isel(run=3), 0.25 * np.arange(11))


def test_final_time_checked_at_every_step_not_only_saved_times():
    # dt 0.5, saved every 1: FINAL TIME is 0 only at t = 1.5 (a step that is not
    # saved), 10 before and after; the run ends at 1.5, so t = 2 on are NaN
    m = _counter(end="if_then_else(time == 1.5, 0, 10)", dt=0.5)
    ds = gysim.simulate(m, saveper=1)
    _same(ds.x.values, [0, 1] + [NAN] * 9)
    # ended at a saved step: dt 0.5, FINAL TIME 2 -> values up to t = 2
    _same(gysim.simulate(_counter(end="2", dt=0.5), saveper=1).x.values, [0, 1, 2] + [NAN] * 8)


def test_rk4_ends_the_same_way():
    ds = gysim.simulate(_counter(), method="rk4")
    _same(ds.x.values, [0, 1, 2, 3] + [NAN] * 7)


def test_values_after_the_end_are_not_checked():
    # 1 / (3 - time) is infinite at t = 3, after the run ended at t = 2
    m = _counter(end="2")
    m.aux("y", "1 / (3 - time)")
    ds = gysim.simulate(m)
    _same(ds.y.values[:3], [1 / 3, 1 / 2, 1])
    assert np.isnan(ds.y.values[3:]).all()
    masked = gysim.simulate(m, on_error="mask")
    _same(masked.y.values[:3], [1 / 3, 1 / 2, 1])
    # but a non-finite value before the end still is
    m2 = _counter(end="5")
    m2.aux("y", "1 / (3 - time)")
    with pytest.raises(SimulationError, match="'y' is not finite at time 3"):
        gysim.simulate(m2)


def test_run_still_going_at_the_horizon_is_an_error_unless_stop_is_given():
    m = _counter(end="time + 1")  # never reached: the run would go on forever
    with pytest.raises(SimulationError, match="run 0 has not ended at the horizon 10"):
        gysim.simulate(m)
    ds = gysim.simulate(m, stop=6)  # a horizon the caller chose ends the run
    _same(ds.x.values, np.arange(7))
    nan_end = _counter(end="if_then_else(x >= 3, 0 / 0, 20)")  # NaN is never reached
    with pytest.raises(SimulationError, match="has not ended"):
        gysim.simulate(nan_end)


def test_refused_where_not_supported():
    with pytest.raises(ModelDefinitionError, match="needs a fixed-step method"):
        gysim.simulate(_counter(), method="RK45")
    with pytest.raises(ModelDefinitionError, match="backend='numba' cannot run the FINAL TIME"):
        gysim.simulate(_counter(), backend="numba")
    ds = gysim.simulate(_counter(), backend="auto")
    assert ds.attrs["backend"] == "numpy"
    assert "'end' changes during the run" in ds.attrs["backend_reason"]
    stock = _counter()
    stock.final_time_variable = "x"
    with pytest.raises(ModelDefinitionError, match=r"\('x'\) must be an auxiliary.*got a stock"):
        gysim.simulate(stock)
    missing = _counter()
    missing.final_time_variable = "nope"
    with pytest.raises(ModelDefinitionError, match="got no element"):
        gysim.simulate(missing)
    dims = gysim.Model("d", stop=3, dt=1, method="euler")
    dims.dimension("s", ["a", "b"])
    dims.param("k", (1.0, 2.0), dims="s")
    dims.aux("end", "k + time", dims="s")
    dims.final_time_variable = "end"
    with pytest.raises(ModelDefinitionError, match="one number per run"):
        gysim.simulate(dims)


def test_final_time_variable_is_part_of_the_hash():
    plain = _counter()
    plain.final_time_variable = None
    assert plain.hash() != _counter().hash()
    assert "final_time_variable" not in plain.description()["run"]


# ------------------------------------------------------------------ the readers
_MDL = """{{UTF-8}}
current time = Time ~ ~|
max time = 100 ~ ~|
my control var = current time * 2 - 5 ~ ~|
FINAL TIME = {final} ~ Month ~|
INITIAL TIME = {initial} ~ Month ~|
SAVEPER = TIME STEP ~ Month ~|
TIME STEP = {step} ~ Month ~|
"""


def _read(tmp_path: Path, final="IF THEN ELSE(my control var > 50, Time, max time)",
          initial="0", step="1") -> gysim.Model:
    f = tmp_path / "dyn.mdl"
    f.write_text(_MDL.format(final=final, initial=initial, step=step))
    return gysim.read_vensim(f)


def test_vensim_final_time_using_time(tmp_path):
    m = _read(tmp_path)
    # its value at the initial time (my control var = -5: max time) is the horizon
    assert m.final_time_variable == "final_time" and m.stop == 100
    ds = gysim.simulate(m)
    # 2 t - 5 > 50 first at t = 28: FINAL TIME = 28 = Time, the run ends there
    _same(ds.final_time.values[26:30], [100, 100, 28, NAN])
    assert np.isnan(ds.current_time.values[29:]).all()
    assert ds.current_time.values[28] == 28


def test_vensim_constant_final_time_stays_a_parameter(tmp_path):
    m = _read(tmp_path, final="max time / 2")
    assert m.final_time_variable is None and m.stop == 50
    assert "final_time" in m.params


def test_other_control_variables_must_stay_constant(tmp_path):
    with pytest.raises(ModelDefinitionError, match="TIME STEP must be a constant.*uses Time.*"
                                                   "only FINAL TIME may change"):
        _read(tmp_path, step="1 + Time * 0")
    with pytest.raises(ModelDefinitionError, match="INITIAL TIME must be a constant"):
        _read(tmp_path, initial="current time")


def test_final_time_whose_start_value_is_unknown_or_too_early(tmp_path):
    with pytest.raises(ModelDefinitionError, match="would end before it starts"):
        _read(tmp_path, final="Time")
    with pytest.raises(ModelDefinitionError, match="value at the initial time.*must be "
                                                   "computable before the run"):
        _read(tmp_path, final="DELAY1(max time + Time, 2)")


def test_written_to_vensim_as_the_final_time_and_read_back(tmp_path):
    m = _counter()
    path = m.to_vensim(tmp_path / "c.mdl")
    assert "FINAL TIME = end" in path.read_text().replace("\n\t", " ").replace("  ", " ")
    back = gysim.read_vensim(path)
    assert back.final_time_variable == "final_time" and back.stop == 10  # 10 at the start
    _same(gysim.simulate(back).x.values, [0, 1, 2, 3] + [NAN] * 7)
    with pytest.raises(ModelDefinitionError, match="XMILE's <stop> cannot say"):
        m.to_xmile(tmp_path / "c.xmile")
