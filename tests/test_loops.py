"""Feedback loops and their dominance: known answers (issue 17)."""

from __future__ import annotations

import numpy as np
import pytest

import gysim
from gysim.errors import DataError, ModelDefinitionError, ParameterError
from gysim.loops import find_loops


def logistic(r=0.5, capacity=1000.0, p0=10.0, stop=30.0, dt=0.125):
    m = gysim.Model("logistic", stop=stop, dt=dt)
    m.stock("population", p0)
    m.param("r", r)
    m.param("capacity", capacity)
    m.flow("births", "r * population", into="population")
    m.flow("deaths", "r * population ** 2 / capacity", out_of="population")
    return m


def oscillator():
    m = gysim.Model("oscillator", stop=10, dt=0.01)
    m.stock("position", 1.0)
    m.stock("velocity", 0.0)
    m.param("k", 4.0)
    m.flow("move", "velocity", into="position")
    m.flow("accelerate", "-k * position", into="velocity")
    return m


def test_logistic_loops_and_polarities():
    loops = logistic().loops()
    assert [(lp.id, lp.polarity, lp.variables) for lp in loops] == [
        ("R1", "+", ("population", "births")), ("B1", "-", ("population", "deaths"))]
    assert loops[0].name == "population → births → population"
    assert loops[0].stocks == ("population",)
    assert [(lk.source, lk.target, lk.polarity) for lk in loops[1].links] == [
        ("population", "deaths", "+"), ("deaths", "population", "-")]
    table = loops.table()
    assert list(table.index) == ["R1", "B1"] and list(table["polarity"]) == ["+", "-"]


def test_two_stock_oscillator_has_one_balancing_loop_through_both_stocks():
    (loop,) = oscillator().loops()
    assert loop.polarity == "-" and loop.id == "B1"
    assert loop.variables == ("position", "accelerate", "velocity", "move")
    assert loop.stocks == ("position", "velocity")


def test_sign_that_changes_over_a_run_is_unknown():
    # d inflow / dx = -sin(x): negative while 0 < x < pi, positive beyond
    m = gysim.Model("m", stop=6, dt=0.01)
    m.stock("x", 0.5)
    m.flow("inflow", "1.5 + cos(x)", into="x")
    assert m.loops()[0].polarity == "-"          # at the start
    ds = gysim.simulate(m, method="euler", saveper=0.01)
    assert float(ds["x"][-1]) > np.pi
    assert m.loops(run=ds)[0].polarity == "?"    # x passes pi during the run
    assert m.loops(run=ds.sel(time=slice(0, 1)))[0].polarity == "-"


def test_no_loops_and_the_limit():
    m = gysim.Model("m")
    m.stock("x", 1.0)
    m.flow("inflow", 1.0, into="x")
    assert len(m.loops()) == 0
    with pytest.raises(ModelDefinitionError, match="more than 1 feedback loops"):
        logistic().loops(limit=1)
    with pytest.raises(ParameterError, match="`limit`"):
        logistic().loops(limit=0)


def test_loops_through_a_smooth_name_the_visible_variables_only():
    m = gysim.Model("m", stop=5)
    m.stock("x", 1.0)
    m.aux("perceived", "smooth(x, 2)")
    m.flow("outflow", "0.1 * perceived", out_of="x")
    (loop,) = m.loops()
    assert loop.variables == ("x", "perceived", "outflow") and loop.polarity == "-"
    assert len(loop.path) > len(loop.variables)  # the smooth's hidden stock is on the path


def test_sectors_name_the_loop_sector():
    loops = oscillator().loops(sectors={"position": "mechanics", "move": "mechanics",
                                        "velocity": "dynamics", "accelerate": "dynamics"})
    assert loops[0].sector == "mechanics & dynamics"


def test_dominance_switches_where_logistic_population_crosses_half_capacity():
    m = logistic()
    ds = gysim.simulate(m, method="euler", saveper=m.dt)
    dom = gysim.loop_dominance(m, ds)
    assert list(dom["loop_id"].values) == ["R1", "B1"]
    dominant = dom["dominant"].values
    switch = int(np.argmax(dominant == "B1"))
    assert set(dominant[1:switch]) == {"R1"} and set(dominant[switch:]) == {"B1"}
    pop = ds["population"].values
    # with changes between saved points, the switch is where the mean of the
    # pair crosses K/2: Δdeaths/Δbirths = (P_k + P_k-1) / K
    assert (pop[switch] + pop[switch - 1]) / 2 >= 500 > (pop[switch - 1] + pop[switch - 2]) / 2
    # and the relative scores: births' loop + deaths' loop in absolute value = 1
    rel = dom["relative_score"].values[:, 1:]
    np.testing.assert_allclose(np.abs(rel).sum(axis=0), 1.0)
    # analytic: R score = Δb/Δnet, B score = -Δd/Δnet with b = rP, d = rP²/K
    k = 10
    db = 0.5 * (pop[k] - pop[k - 1])
    dd = 0.5 * (pop[k] ** 2 - pop[k - 1] ** 2) / 1000
    np.testing.assert_allclose(dom["score"].values[:, k], [db / (db - dd), -dd / (db - dd)])


def test_dominance_over_an_ensemble():
    m = logistic(stop=20)
    ds = gysim.simulate(m, method="euler", saveper=m.dt, params={"r": np.array([0.3, 0.6])})
    dom = gysim.loop_dominance(m, ds)
    assert dom["score"].dims == ("loop", "time", "run")
    assert dom["dominance_share"].dims == ("loop", "time")
    # the faster-growing run reaches K/2 earlier: at some time the runs disagree
    share_b = dom["dominance_share"].sel(loop="population → deaths → population").values[1:]
    assert np.any(share_b == 0.5) and share_b[0] == 0 and share_b[-1] == 1
    for run in range(2):
        one = gysim.simulate(m, method="euler", saveper=m.dt,
                             params={"r": float(ds["r"][run])})
        np.testing.assert_allclose(dom["score"].isel(run=run).values[:, 1:],
                                   gysim.loop_dominance(m, one)["score"].values[:, 1:])


def test_dominance_errors():
    m = logistic()
    ds = gysim.simulate(m, method="euler")
    with pytest.raises(DataError, match="two saved times"):
        gysim.loop_dominance(m, ds.isel(time=[0]))
    with pytest.raises(DataError, match="stock"):
        gysim.loop_dominance(m, ds.drop_vars("population"))
    smooth = gysim.Model("m", stop=5)
    smooth.stock("x", 1.0)
    smooth.aux("perceived", "smooth(x, 2)")
    smooth.flow("outflow", "0.1 * perceived", out_of="x")
    with pytest.raises(ModelDefinitionError, match="every state"):
        gysim.loop_dominance(smooth, gysim.simulate(smooth))


def test_dominance_plot(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    m = logistic()
    dom = gysim.loop_dominance(m, gysim.simulate(m, method="euler", saveper=m.dt))
    ax = gysim.plot_loop_dominance(dom)
    assert len(ax.get_legend().get_texts()) == 2
    ax.figure.savefig(tmp_path / "dominance.png")
    assert (tmp_path / "dominance.png").stat().st_size > 1000


def test_find_loops_on_guiyang_lists_its_main_loops():
    model = gysim.load_model("guiyang")
    loops = find_loops(model)
    names = [lp.name for lp in loops]
    assert len(loops) >= 3
    assert all(lp.polarity in "+-?" for lp in loops)
    # output -> investment -> capital -> output: the growth engine is reinforcing
    growth = [lp for lp in loops if "fixed_asset_investment" in lp.variables]
    assert growth, names
