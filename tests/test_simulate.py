"""simulate(): options, Dataset layout, builtins, stateful functions, failures."""

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import gysim
from gysim.examples import population_model


def decay_model():
    m = gysim.Model("decay", start=0, stop=4, time_units="day")
    m.stock("x", 2.0, units="kg", doc="amount left")
    m.param("k", 0.5, units="1/day", bounds=(0, 5), doc="decay rate")
    m.flow("loss", "k * x", out_of="x", units="kg/day")
    return m


def test_dataset_layout_and_provenance():
    m = population_model()
    ds = gysim.simulate(m, method="euler", dt=0.25)
    assert list(ds.time.values) == list(range(2000, 2011))
    assert set(ds.data_vars) == {"population", "births", "deaths", "natural_growth_rate"}
    assert ds.population.attrs["units"] == "1e4 person"
    assert ds.population.attrs["long_name"] == "registered population"
    assert ds.births.attrs["kind"] == "flow"
    assert ds.attrs["model"] == "population"
    assert ds.attrs["method"] == "euler" and ds.attrs["dt"] == 0.25
    assert json.loads(ds.attrs["parameters"]) == {"birth_rate": 0.013, "death_rate": 0.006}
    assert ds.attrs["model_hash"] == m.hash()


def test_netcdf_round_trip(tmp_path):
    ds = gysim.simulate(population_model(), params={"birth_rate": [0.01, 0.015]})
    ds.to_netcdf(tmp_path / "out.nc")
    back = xr.open_dataset(tmp_path / "out.nc")
    xr.testing.assert_identical(ds, back.load())


def test_euler_matches_hand_computation():
    ds = gysim.simulate(decay_model(), method="euler", dt=0.5, saveper=1)
    expected = 2.0 * (1 - 0.5 * 0.5) ** (2 * np.arange(5))
    np.testing.assert_allclose(ds.x.values, expected, rtol=1e-14)
    np.testing.assert_allclose(ds.loss.values, 0.5 * expected, rtol=1e-14)


def test_running_never_changes_the_model():
    m = decay_model()
    before = m.hash()
    gysim.simulate(m, params={"k": 1.0, "x": 3.0})
    assert m.hash() == before and m.params["k"].value == 0.5
    m2 = m.with_params(k=1.0, x=3.0)
    assert m2.params["k"].value == 1.0 and m2.stocks["x"].equation == "3"
    np.testing.assert_allclose(gysim.simulate(m2).x, gysim.simulate(m, params={"k": 1.0, "x": 3.0}).x)


def test_stock_initial_override_reaches_dependent_initials():
    m = gysim.Model("m", start=0, stop=1)
    m.stock("a", 1.0)
    m.stock("b", "2 * a")
    ds = gysim.simulate(m, params={"a": [1.0, 5.0]})
    assert ds.b.isel(time=0).values.tolist() == [2.0, 10.0]


def test_ensemble_coordinates_and_dataframe():
    m = population_model()
    samples = pd.DataFrame({"birth_rate": [0.01, 0.012, 0.018], "death_rate": [0.005, 0.006, 0.007]})
    ds = gysim.simulate(m, params=samples)
    assert ds.population.dims == ("time", "run")
    np.testing.assert_array_equal(ds.birth_rate.values, samples.birth_rate.values)
    assert ds.birth_rate.dims == ("run",)


def test_chunked_ensemble_equals_unchunked():
    m = population_model()
    br = np.linspace(0.008, 0.02, 50)
    whole = gysim.simulate(m, params={"birth_rate": br}, method="rk4", dt=0.25)
    parts = gysim.simulate(m, params={"birth_rate": br}, method="rk4", dt=0.25, chunk_size=7)
    np.testing.assert_array_equal(whole.population.values, parts.population.values)
    assert parts.attrs["solver_chunks"] == 8


def test_scenarios():
    m = decay_model()
    m.scenario("fast", {"k": 2.0}, doc="fast decay")
    ds = gysim.simulate(m, scenario="fast")
    np.testing.assert_allclose(ds.x.values[-1], 2 * np.exp(-8), rtol=1e-4)
    both = gysim.simulate(m, scenario="fast", params={"k": 1.0})
    np.testing.assert_allclose(both.x.values[-1], 2 * np.exp(-4), rtol=1e-4)
    assert ds.attrs["scenario"] == "fast"


def test_variables_selection_and_stop():
    ds = gysim.simulate(population_model(), variables=["population"], stop=2020)
    assert list(ds.data_vars) == ["population"] and float(ds.time[-1]) == 2020


def test_lookup_and_data_inputs():
    m = gysim.Model("m", start=0, stop=4)
    m.lookup("effect", x=[0, 1, 2], y=[0.0, 10.0, 20.0])
    m.data("series", {0: 1.0, 2: 3.0}, units="u")
    m.aux("looked", "effect(time)")
    m.aux("from_data", "series * 1")
    ds = gysim.simulate(m, method="euler", dt=1)
    assert ds.looked.values.tolist() == [0, 10, 20, 20, 20]  # clamped after x = 2
    assert ds.series.values.tolist() == [1, 2, 3, 3, 3]
    assert ds.from_data.values.tolist() == [1, 2, 3, 3, 3]


@pytest.mark.parametrize("equation, expected", [
    ("step(5, 2)", [0, 0, 5, 5, 5]),
    ("ramp(2, 1, 3)", [0, 0, 2, 4, 4]),
    ("pulse(2, 1)", [0, 0, 1, 0, 0]),
    ("if_then_else(time > 1, 1, -1)", [-1, -1, 1, 1, 1]),
    ("1 if time >= 3 else 0", [0, 0, 0, 1, 1]),
    ("xidz(1, time, 7)", [7, 1, 0.5, 1 / 3, 0.25]),
    ("zidz(1, time)", [0, 1, 0.5, 1 / 3, 0.25]),
    ("min(time, 2) + max(time, 3)", [3, 4, 5, 5, 6]),
    ("integer(time / 3) + modulo(time, 3)", [0, 1, 2, 1, 2]),
    ("(time > 1) and (time < 4)", [0, 0, 1, 1, 0]),
    ("not (time > 1) or time == 4", [1, 1, 0, 0, 1]),
    ("log(8, 2) + ln(1) + sqrt(4) + abs(-1) + exp(0)", [7, 7, 7, 7, 7]),
])
def test_builtins(equation, expected):
    m = gysim.Model("m", start=0, stop=4)
    m.aux("y", equation)
    ds = gysim.simulate(m, method="euler", dt=1)
    np.testing.assert_allclose(ds.y.values, expected, rtol=1e-12)


def stateful_model(func):
    m = gysim.Model("m", start=0, stop=20)
    m.param("tau", 4.0, bounds=(0.1, 100))
    m.aux("input", "step(1, 2)")
    m.aux("out", f"{func}(input, tau)")
    return m


@pytest.mark.parametrize("func, analytic", [
    ("smooth", lambda s: 1 - np.exp(-s / 4)),
    ("delay1", lambda s: 1 - np.exp(-s / 4)),
    ("smooth3", lambda s: 1 - np.exp(-3 * s / 4) * (1 + 3 * s / 4 + (3 * s / 4) ** 2 / 2)),
    ("delay3", lambda s: 1 - np.exp(-3 * s / 4) * (1 + 3 * s / 4 + (3 * s / 4) ** 2 / 2)),
])
def test_smooth_and_delay_step_response(func, analytic):
    ds = gysim.simulate(stateful_model(func), method="RK45", rtol=1e-9, atol=1e-12, max_step=0.5)
    s = np.clip(ds.time.values - 2, 0, None)
    np.testing.assert_allclose(ds.out.values, analytic(s), atol=2e-4)


def test_smooth_initial_and_initial_function():
    m = gysim.Model("m", start=0, stop=3)
    m.stock("x", 1.0)
    m.flow("g", "x", into="x")
    m.aux("s", "smooth(x, 1, 5)")
    m.aux("x0", "initial(x)")
    ds = gysim.simulate(m, method="euler", dt=1)
    assert ds.s.values[0] == 5 and ds.x0.values.tolist() == [1, 1, 1, 1]


def test_delay_fixed_shifts_input():
    m = gysim.Model("m", start=0, stop=6)
    m.aux("input", "time * 10")
    m.aux("late", "delay_fixed(input, 2, -1)")
    ds = gysim.simulate(m, method="euler", dt=0.5)
    assert ds.late.values.tolist() == [-1, -1, 0, 10, 20, 30, 40]
    with pytest.raises(gysim.ModelDefinitionError, match="fixed-step"):
        gysim.simulate(m, method="RK45")


def test_delay_fixed_with_per_run_delay_times():
    m = gysim.Model("m", start=0, stop=4)
    m.param("d", 1.0, bounds=(0, 4))
    m.aux("input", "time")
    m.aux("late", "delay_fixed(input, d, 0)")
    ds = gysim.simulate(m, method="euler", dt=1, params={"d": [1.0, 2.0]})
    assert ds.late.values.T.tolist() == [[0, 0, 1, 2, 3], [0, 0, 0, 1, 2]]


def test_nested_stateful_calls():
    m = gysim.Model("m", start=0, stop=10)
    m.aux("y", "smooth(smooth(step(1, 1), 1), 1) + smooth(1, 2)")
    ds = gysim.simulate(m, method="rk4", dt=0.01)
    s = np.clip(ds.time.values - 1, 0, None)
    np.testing.assert_allclose(ds.y.values, 1 - np.exp(-s) * (1 + s) + 1, atol=1e-3)


def test_divergence_raises_simulation_error():
    m = gysim.Model("m", start=0, stop=10)
    m.stock("x", 1.0)
    m.flow("explode", "x ** 3", into="x")
    with pytest.raises(gysim.SimulationError, match="'x'|x"):
        gysim.simulate(m, method="euler", dt=0.5)
    with pytest.raises(gysim.SimulationError, match="RK45 failed at time"):
        gysim.simulate(m)


def test_non_finite_aux_is_reported():
    m = gysim.Model("m", start=0, stop=2)
    m.aux("bad", "log(time - 1)")
    with pytest.raises(gysim.SimulationError, match="'bad' is not finite at time 0"):
        gysim.simulate(m, method="euler", dt=1)


@pytest.mark.parametrize("method", ["RK45", "RK23", "DOP853", "BDF", "Radau", "LSODA"])
def test_every_run_of_an_ensemble_meets_the_tolerance(method):
    """One fast run among many quiet ones is as accurate as when run alone."""
    m = gysim.Model("m", start=0, stop=10)
    m.stock("x", 1.0)
    m.param("r", 0.1, bounds=(-10, 10))
    m.flow("g", "r * x * sin(r * time)", into="x")
    r = np.r_[np.full(499, 0.01), 3.0]
    exact = np.exp(1 - np.cos(3.0 * 10))
    alone = abs(float(gysim.simulate(m, params={"r": 3.0}, method=method).x[-1]) - exact)
    ens = gysim.simulate(m, params={"r": r}, method=method)
    in_ensemble = abs(float(ens.x[-1, -1]) - exact)
    assert in_ensemble <= 1.5 * alone + 1e-9
    np.testing.assert_allclose(ens.x[-1, :-1], np.exp((1 - np.cos(0.1)) ), rtol=1e-5)


def test_solver_failure_at_the_first_step_is_a_simulation_error():
    m = gysim.Model("broken", start=0, stop=3)
    m.stock("x", 1.0)
    m.flow("f", "x / 0", into="x")
    with pytest.raises(gysim.SimulationError, match="non-finite derivative .* in x"):
        gysim.simulate(m)


def test_adaptive_methods_restart_at_step_times():
    """A step in a flow is integrated exactly: the solver stops at the jump and restarts."""
    m = gysim.Model("m", start=0, stop=10)
    m.param("t_jump", 3.3, bounds=(0, 10))
    m.stock("x", 0.0)
    m.flow("inflow", "step(2, t_jump) + ramp(1, 5, 7) + pulse(8, 0.5)", into="x")
    cm = m.compile()
    assert len(cm.breakpoints) == 5
    ds = gysim.simulate(m, method="RK45", rtol=1e-8, atol=1e-10)
    t = ds.time.values
    exact = (2 * np.clip(t - 3.3, 0, None) + np.where(t < 5, 0, np.where(t < 7, (t - 5) ** 2 / 2,
             2 + 2 * (t - 7))) + np.clip(t - 8, 0, 0.5))
    # the pulse starts 1e-6 early (Vensim's "small", kept for PySD parity)
    np.testing.assert_allclose(ds.x.values, exact, atol=3e-6)
    np.testing.assert_allclose(ds.x.values[:8], exact[:8], atol=1e-7)


def test_delay_fixed_of_a_stock_is_not_one_step_short():
    m = gysim.Model("m", start=0, stop=4)
    m.stock("x", 0.0)
    m.flow("f", "1", into="x")
    m.aux("late", "delay_fixed(x, 1, 0)")
    ds = gysim.simulate(m, method="euler", dt=0.5)
    np.testing.assert_allclose(ds.late.values, [0, 0, 1, 2, 3])


def test_chained_fixed_delays_each_shift_by_their_own_time():
    m = gysim.Model("m", start=0, stop=6)
    m.aux("a", "delay_fixed(time, 1, 0)")
    m.aux("b", "delay_fixed(a, 1, 0)")
    m.aux("c", "delay_fixed(b, 0.5, -1)")
    ds = gysim.simulate(m, method="euler", dt=0.5)
    t = ds.time.values
    np.testing.assert_array_equal(ds.a.values, np.where(t >= 1, t - 1, 0))
    np.testing.assert_array_equal(ds.b.values, np.where(t >= 2, t - 2, 0))
    np.testing.assert_array_equal(ds.c.values, [-1, 0, 0, 0.5, 1.5, 2.5, 3.5])


@pytest.mark.parametrize("equation", ["1 / (2 - time)", "1 / 0", "k / (time - 2)"])
def test_division_by_zero_in_a_single_run_is_a_simulation_error(equation):
    m = gysim.Model("m", start=0, stop=4)
    m.param("k", 1.0)
    m.aux("y", equation)
    with pytest.raises(gysim.SimulationError, match="'y' is not finite"):
        gysim.simulate(m, method="euler", dt=1)


def test_division_by_zero_gives_inf_then_zero_like_vensim():
    m = gysim.Model("m", start=0, stop=4)
    m.aux("y", "1 / (1 / (2 - time))")  # 1/inf = 0 at t = 2
    ds = gysim.simulate(m, method="euler", dt=1)
    np.testing.assert_allclose(ds.y.values, [2, 1, 0, -1, -2])


def test_negative_base_of_a_power():
    m = gysim.Model("m", start=0, stop=1)
    m.param("x", 2.0)
    m.aux("a", "(-2) ** x")
    m.aux("b", "-2 ** x")
    m.aux("c", "(-2) ** 2")
    ds = gysim.simulate(m, method="euler", dt=1)
    assert (ds.a.values[0], ds.b.values[0], ds.c.values[0]) == (4.0, -4.0, 4.0)


def test_old_import_paths_still_work():
    from gysim import solvers
    from gysim.engine import solvers as engine_solvers
    assert solvers.solver_for is engine_solvers.solver_for
    assert solvers.scaled_tolerances is engine_solvers.scaled_tolerances
    from gysim.compile import CompiledModel
    from gysim.engine import CompiledModel as engine_compiled
    assert CompiledModel is engine_compiled


def test_a_bad_dt_is_refused_whatever_the_method():
    # found by the probe: `--method RK45 --dt -1` was accepted (adaptive methods ignore dt)
    m = gysim.Model("m", start=0, stop=1)
    m.stock("x", 1.0)
    for dt in (-1.0, 0.0):
        with pytest.raises(gysim.ModelDefinitionError, match="`dt` must be positive"):
            gysim.simulate(m, method="RK45", dt=dt)


def test_options_are_checked_before_a_large_model_is_compiled():
    # found by the probe: 3 dimensions x 1000 labels and no dt: the error came after 137 s
    m = gysim.Model("m", start=0, stop=1)
    for d in "abc":
        m.dimension(d, [f"{d}{i}" for i in range(1000)])
    m.stock("x", 1.0, dims=("a", "b", "c"))
    from unittest import mock
    with mock.patch.object(gysim.Model, "compile", side_effect=AssertionError("compiled")):
        with pytest.raises(gysim.ModelDefinitionError, match="needs a time step"):
            gysim.simulate(m, method="euler")  # refused before compiling
