"""Dimensions (subscripts): declaration, broadcasting, selection, aggregation, results."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import gysim
from gysim.errors import ModelDefinitionError, ParameterError
from gysim.expr import Subscript, parse, to_text

SECTORS = ["primary", "secondary", "tertiary"]
DISTRICTS = ["north", "south"]
RATES = [0.02, 0.05, -0.03]
CAPITAL0 = {"primary": 40.0, "secondary": 380.0, "tertiary": 300.0}


def sector_model(**time) -> gysim.Model:
    m = gysim.Model("sectors", start=0, stop=10, **time)
    m.dimension("sector", SECTORS)
    m.param("growth_rate", dict(zip(SECTORS, RATES)), dims=("sector",))
    m.stock("capital", CAPITAL0, dims=("sector",))
    m.flow("investment", "growth_rate * capital", into="capital", dims=("sector",))
    m.aux("total_capital", "sum(capital, sector)")
    return m


def scalar_model(rate: float, initial: float) -> gysim.Model:
    m = gysim.Model("one", start=0, stop=10)
    m.param("growth_rate", rate)
    m.stock("capital", initial)
    m.flow("investment", "growth_rate * capital", into="capital")
    return m


# ---------------------------------------------------------------- parsing
def test_subscript_parses_and_prints():
    tree = parse("capital[secondary] + x[a, b]")
    subs = [n for n in (tree.left, tree.right)]
    assert subs[0] == Subscript(gysim.expr.Name("capital"), ("secondary",))
    assert subs[1].labels == ("a", "b")
    assert to_text(tree) == "capital[secondary] + x[a, b]"


@pytest.mark.parametrize("text, fragment", [
    ("x['a']", "must be element labels"),
    ("x[1]", "must be element labels"),
    ("x[a:b]", "must be element labels"),
    ("f(y)[a]", "only a plain name may be subscripted"),
    ("x.a[b]", "only a plain name may be subscripted"),
    ("x[_a]", "must not start with an underscore"),
])
def test_subscript_refuses_anything_else(text, fragment):
    with pytest.raises(ModelDefinitionError, match=fragment.replace("[", r"\[")):
        parse(text)


# ---------------------------------------------------------------- analytic checks
@pytest.mark.parametrize("method", ["euler", "rk4"])
def test_independent_stocks_equal_scalar_models_fixed_step(method):
    ds = gysim.simulate(sector_model(), method=method, dt=0.25)
    assert ds.capital.dims == ("time", "sector")
    assert list(ds.sector.values) == SECTORS
    for label, rate in zip(SECTORS, RATES):
        one = gysim.simulate(scalar_model(rate, CAPITAL0[label]), method=method, dt=0.25)
        np.testing.assert_array_equal(ds.capital.sel(sector=label).values, one.capital.values)
        np.testing.assert_array_equal(ds.investment.sel(sector=label).values,
                                      one.investment.values)


def test_independent_stocks_rk45_match_exponentials():
    ds = gysim.simulate(sector_model(), rtol=1e-9, atol=1e-9)
    t = ds.time.values[:, None]
    exact = np.array(list(CAPITAL0.values())) * np.exp(np.array(RATES) * t)
    np.testing.assert_allclose(ds.capital.values, exact, rtol=1e-7)
    np.testing.assert_allclose(ds.total_capital.values, exact.sum(axis=1), rtol=1e-7)


def test_sum_equals_sum_of_separate_runs():
    ds = gysim.simulate(sector_model(), method="euler", dt=0.5)
    separate = sum(gysim.simulate(scalar_model(r, CAPITAL0[s]), method="euler",
                                  dt=0.5).capital.values for s, r in zip(SECTORS, RATES))
    np.testing.assert_allclose(ds.total_capital.values, separate, rtol=1e-14)
    assert ds.total_capital.dims == ("time",)


def test_broadcast_by_dimension_name_matches_explicit_loop():
    m = gysim.Model("grid", start=0, stop=4)
    m.dimension("sector", SECTORS)
    m.dimension("district", DISTRICTS)
    # dims given in the "wrong" order: the array follows the order written
    m.param("share", [[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]], dims=("district", "sector"))
    m.param("rate", dict(zip(SECTORS, RATES)), dims="sector")
    m.param("size", {"north": 10.0, "south": 4.0}, dims=("district",))
    m.stock("jobs", "share * size", dims=("sector", "district"))
    m.flow("hiring", "rate * jobs + 0.1 * size", into="jobs", dims=("sector", "district"))
    m.aux("jobs_by_district", "sum(jobs, sector)", dims=("district",))
    m.aux("jobs_by_sector", "sum(jobs, district)", dims=("sector",))
    ds = gysim.simulate(m, method="euler", dt=0.5)
    assert ds.jobs.dims == ("time", "sector", "district")
    share = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]).T
    size = np.array([10.0, 4.0])
    expected = np.empty((5, 3, 2))
    for i, rate in enumerate(RATES):
        for j in range(2):
            x = share[i, j] * size[j]
            for k in range(9):
                if k % 2 == 0:
                    expected[k // 2, i, j] = x
                x += 0.5 * (rate * x + 0.1 * size[j])
    np.testing.assert_allclose(ds.jobs.values, expected, rtol=1e-13)
    np.testing.assert_allclose(ds.jobs_by_district.values, expected.sum(axis=1), rtol=1e-13)
    np.testing.assert_allclose(ds.jobs_by_sector.values, expected.sum(axis=2), rtol=1e-13)
    # the same under an adaptive method (outputs have a time axis inside)
    ds45 = gysim.simulate(m, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ds45.jobs_by_sector.values, ds45.jobs.sum("district").values,
                               rtol=1e-12)


def test_selection_and_aggregations():
    m = sector_model()
    m.dimension("district", DISTRICTS)
    m.param("weight", {"north": 2.0, "south": 3.0}, dims="district")
    m.aux("second", "capital[secondary]")
    m.aux("cell", "capital[tertiary] * weight[south]")
    m.aux("avg", "mean(capital, sector)")
    m.aux("product", "prod(capital, sector)")
    m.aux("smallest", "min(capital, sector)")
    m.aux("largest", "max(capital, sector)")
    m.aux("clipped", "min(capital, 100)", dims=("sector",))
    m.aux("two_d", "capital * weight", dims=("sector", "district"))
    m.aux("pick", "two_d[primary, north] + sum(two_d[south], sector)")
    for method in ("euler", "RK45"):
        ds = gysim.simulate(m, method=method, dt=0.5)
        cap = ds.capital.values
        np.testing.assert_allclose(ds.second.values, cap[:, 1])
        np.testing.assert_allclose(ds.cell.values, cap[:, 2] * 3.0)
        np.testing.assert_allclose(ds.avg.values, cap.mean(axis=1))
        np.testing.assert_allclose(ds.product.values, cap.prod(axis=1))
        np.testing.assert_allclose(ds.smallest.values, cap.min(axis=1))
        np.testing.assert_allclose(ds.largest.values, cap.max(axis=1))
        np.testing.assert_allclose(ds.clipped.values, np.minimum(cap, 100))
        np.testing.assert_allclose(ds.pick.values, cap[:, 0] * 2 + cap.sum(axis=1) * 3)


def test_scalar_equation_broadcasts_to_declared_dims():
    m = gysim.Model("b", start=0, stop=2)
    m.dimension("sector", SECTORS)
    m.param("k", 0.5)
    m.aux("same", "k * 2", dims=("sector",))
    m.aux("total", "sum(same, sector)")
    m.stock("s", "k", dims=("sector",))
    m.flow("f", "1", into="s", dims=("sector",))
    m.aux("s_total", "sum(s, sector)")
    ds = gysim.simulate(m, method="euler", dt=1)
    np.testing.assert_allclose(ds.same.values, 1.0)
    np.testing.assert_allclose(ds.total.values, 3.0)
    np.testing.assert_allclose(ds.s_total.values, 3 * (0.5 + ds.time.values))


def test_smooth_over_a_dimension_matches_scalar_smooths():
    m = sector_model()
    m.aux("smoothed", "smooth(capital, 3)", dims=("sector",))
    m.aux("delayed", "delay3(investment, 2)", dims=("sector",))
    ds = gysim.simulate(m, method="rk4", dt=0.25)
    for label, rate in zip(SECTORS, RATES):
        one = scalar_model(rate, CAPITAL0[label])
        one.aux("smoothed", "smooth(capital, 3)")
        one.aux("delayed", "delay3(investment, 2)")
        ref = gysim.simulate(one, method="rk4", dt=0.25)
        np.testing.assert_allclose(ds.smoothed.sel(sector=label).values, ref.smoothed.values,
                                   rtol=1e-13)
        np.testing.assert_allclose(ds.delayed.sel(sector=label).values, ref.delayed.values,
                                   rtol=1e-13)


# ---------------------------------------------------------------- ensembles and results
def test_ensemble_over_a_subscripted_parameter():
    m = sector_model()
    runs = np.array([0.0, 0.01, 0.04])
    ds = gysim.simulate(m, params={"growth_rate": runs}, method="euler", dt=0.5)
    assert ds.capital.dims == ("time", "sector", "run")
    for r, rate in enumerate(runs):  # a 1-D array of runs broadcasts over the dims
        one = gysim.simulate(m.with_params(growth_rate=rate), method="euler", dt=0.5)
        np.testing.assert_array_equal(ds.capital.isel(run=r).values, one.capital.values)
    per_element = np.array([RATES, [0.0, 0.0, 0.1]])
    ds2 = gysim.simulate(m, params={"growth_rate": per_element}, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ds2.capital.sel(time=10).values,
                               np.array(list(CAPITAL0.values()))[:, None]
                               * np.exp(10 * per_element.T), rtol=1e-7)
    assert ds2.growth_rate.dims == ("sector", "run")


def test_stock_initial_overrides_broadcast():
    m = sector_model()
    ds = gysim.simulate(m, params={"capital": np.array([1.0, 2.0])}, method="euler", dt=1)
    np.testing.assert_allclose(ds.capital.sel(time=0).values, [[1, 2]] * 3)
    ds = gysim.simulate(m.with_params(capital=5.0), method="euler", dt=1)
    np.testing.assert_allclose(ds.total_capital.sel(time=0), 15.0)


def test_chunked_ensemble_equals_one_chunk():
    m = sector_model()
    rates = np.linspace(-0.02, 0.05, 7)
    a = gysim.simulate(m, params={"growth_rate": rates}, method="rk4", dt=0.5)
    b = gysim.simulate(m, params={"growth_rate": rates}, method="rk4", dt=0.5, chunk_size=3)
    xr.testing.assert_equal(a.capital, b.capital)


def test_netcdf_round_trip(tmp_path):
    m = sector_model()
    m.dimension("district", DISTRICTS)
    m.param("w", [1.0, 2.0], dims="district")
    m.aux("grid", "capital * w", dims=("sector", "district"))
    ds = gysim.simulate(m, params={"growth_rate": np.array([0.01, 0.02])})
    path = tmp_path / "dims.nc"
    ds.to_netcdf(path)
    back = xr.load_dataset(path)
    xr.testing.assert_allclose(back.grid, ds.grid)
    assert list(back.sector.values) == SECTORS
    assert back.grid.dims == ("time", "sector", "district", "run")


def test_models_without_dimensions_generate_the_same_code():
    m = scalar_model(0.1, 1.0)
    assert "reshape" not in m.compile().source and "_ONES" not in m.compile().source
    assert "dimensions" not in m.description()


# ---------------------------------------------------------------- errors
def expect(fragment: str, build) -> None:
    with pytest.raises(ModelDefinitionError) as info:
        build()
    assert fragment in str(info.value), str(info.value)


def test_declaration_errors():
    m = gysim.Model("e")
    m.dimension("sector", SECTORS)
    expect("labels must be unique across the model's dimensions",
           lambda: m.dimension("kind", ["primary", "other"]))
    expect("already used as an element label of dimension 'sector'",
           lambda: m.param("secondary", 1.0))
    expect("already used as a dimension", lambda: m.aux("sector", 1.0))
    expect("appears twice", lambda: m.dimension("d", ["a", "a"]))
    expect("needs at least one element label", lambda: m.dimension("d", []))
    expect("'sectors' is not a dimension of model 'e'; did you mean 'sector'?",
           lambda: m.param("p", 1.0, dims=("sectors",)))
    expect("no value for tertiary", lambda: m.param("p", {"primary": 1, "secondary": 2},
                                                     dims="sector"))
    expect("'quaternary' is not an element of dimension 'sector'",
           lambda: m.param("p", {"quaternary": 1}, dims="sector"))
    expect("must have shape (3,), got (2,)", lambda: m.stock("s", [1, 2], dims="sector"))
    m.param("ok", [1, 2, 3], dims="sector", bounds=(0, 5))
    with pytest.raises(ParameterError, match="outside its bounds"):
        m.param("bad", [1, 2, 9], dims="sector", bounds=(0, 5))


def error_model() -> gysim.Model:
    m = gysim.Model("e", start=0, stop=2)
    m.dimension("sector", SECTORS)
    m.dimension("district", DISTRICTS)
    m.param("rate", 0.1, dims=("sector",))
    m.param("size", 1.0, dims=("district",))
    m.param("k", 1.0)
    m.stock("capital", 1.0, dims=("sector",))
    return m


@pytest.mark.parametrize("add, fragment", [
    (lambda m: m.aux("a", "rate * size", dims=("sector",)),
     "aux 'a': `rate * size` has dims (sector, district), but 'a' is declared with dims "
     "(sector); add district"),
    (lambda m: m.aux("a", "rate * 2"),
     "`rate * 2` has dims (sector), but 'a' is declared without dims"),
    (lambda m: m.flow("f", "size * k", into="capital", dims=("district",)),
     "flow 'f' has dims (district), but the stock it flows into, 'capital', has dims (sector)"),
    (lambda m: m.aux("a", "sum(rate, district)"),
     "`sum(rate, district)` aggregates over dimension 'district', but `rate` has dims (sector)"),
    (lambda m: m.aux("a", "max(k, sector)"),
     "aggregates over dimension 'sector', but `k` has no dimensions"),
    (lambda m: m.aux("a", "capital[quaternary]"),
     "'quaternary' in `capital[quaternary]` is not an element label of any dimension"),
    (lambda m: m.aux("a", "capital[north]"),
     "'north' in `capital[north]` is an element of dimension 'district', but 'capital' has "
     "dims (sector)"),
    (lambda m: m.aux("a", "capital[primary, secondary]"),
     "selects two elements of dimension 'sector'"),
    (lambda m: m.aux("a", "k[primary]"), "'k' has no dimensions"),
    (lambda m: m.aux("a", "secondary * 2"),
     "uses 'secondary', an element label of dimension 'sector'"),
    (lambda m: m.aux("a", "sector * 2"), "dimension 'sector' may only be the second argument"),
    (lambda m: m.aux("a", "sum(capital, k)"), "the second argument of `sum` must be a dimension"),
    (lambda m: m.aux("a", "delay_fixed(capital, capital, 0)", dims=("sector",)),
     "the delay time of `delay_fixed(capital, capital, 0)` varies over dimensions (sector)"),
    (lambda m: m.stock("s", "size", dims=("sector",)),
     "initial value of stock 's': `size` has dims (district)"),
])
def test_dimension_errors_name_both_sides(add, fragment):
    m = error_model()
    add(m)
    expect(fragment, m.compile)


def test_run_array_shape_errors():
    m = sector_model()
    with pytest.raises(ParameterError, match=r"shape \(runs, 3\)"):
        gysim.simulate(m, params={"growth_rate": np.ones((2, 4))})


def stateful_model() -> gysim.Model:
    m = gysim.Model("stateful", start=0, stop=6)
    m.dimension("sector", ["a", "b", "c"])
    m.param("tau", [1.0, 2.0, 4.0], dims="sector")
    m.param("r", [0.1, 0.0, -0.1], dims="sector")
    m.stock("x", [1.0, 2.0, 3.0], dims="sector")
    m.stock("y", "2 * x + sum(x, sector)", dims="sector")
    m.flow("gx", "r * x", into="x", dims="sector")
    m.flow("gy", "step(r, 2) * y", into="y", dims="sector")
    m.aux("sm0", "smooth(x, 2, 0)", dims="sector")
    m.aux("init_x", "initial(x)", dims="sector")
    m.aux("d1", "delay1(5, tau)", dims="sector")
    m.aux("cond", "x if x > 1.5 else -x", dims="sector")
    m.aux("t_dep", "time * x", dims="sector")
    return m


def test_initials_smooths_and_time_functions_over_dims():
    ds = gysim.simulate(stateful_model(), method="rk4", dt=0.125)
    np.testing.assert_allclose(ds.y.isel(time=0).values, [8.0, 10.0, 12.0])
    np.testing.assert_allclose(ds.init_x.values, np.broadcast_to([1.0, 2.0, 3.0], (7, 3)))
    np.testing.assert_allclose(ds.d1.values, 5.0, rtol=1e-12)  # constant input, any tau
    np.testing.assert_allclose(ds.cond.isel(time=0).values, [-1.0, 2.0, 3.0])
    np.testing.assert_allclose(ds.t_dep.values, ds.time.values[:, None] * ds.x.values)
    # x grows exactly exponentially (rk4, small step); smooth(x, 2, 0) of an exponential
    # x0 e^{rt} starting at 0 is x0 (e^{rt} - e^{-t/2}) / (1 + 2r)
    t = ds.time.values[:, None]
    r = np.array([0.1, 0.0, -0.1])
    x0 = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(ds.x.values, x0 * np.exp(r * t), rtol=1e-8)
    np.testing.assert_allclose(ds.sm0.values, x0 * (np.exp(r * t) - np.exp(-t / 2)) / (1 + 2 * r),
                               rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("method", ["LSODA", "BDF", "Radau", "RK23"])
def test_adaptive_methods_with_dims_and_runs(method):
    m = stateful_model()
    rates = np.array([0.05, 0.2])
    ds = gysim.simulate(m, method=method, params={"r": rates}, rtol=1e-8, atol=1e-10)
    assert ds.x.dims == ("time", "sector", "run")
    t = ds.time.values[:, None, None]
    np.testing.assert_allclose(ds.x.values, np.array([1.0, 2.0, 3.0])[:, None]
                               * np.exp(rates * t), rtol=1e-5)


def test_nonfinite_values_name_the_variable():
    m = gysim.Model("bad", start=0, stop=3)
    m.dimension("sector", ["a", "b"])
    m.param("k", [1.0, 0.0], dims="sector")
    m.stock("s", 1.0, dims="sector")
    m.flow("f", "1 / k", into="s", dims="sector")
    with pytest.raises(gysim.errors.SimulationError, match="non-finite value at time 1 in s"):
        gysim.simulate(m, method="euler", dt=1)


def test_per_element_values_in_with_params_scenarios_and_params():
    m = sector_model()
    m.param("bounded", 0.5, dims="sector", bounds=(0, 1))
    new = m.with_params(growth_rate={"primary": 0.0, "secondary": 0.0, "tertiary": 0.1},
                        capital=[1.0, 2.0, 3.0])
    assert new.params["growth_rate"].value == (0.0, 0.0, 0.1)
    ds = gysim.simulate(new, method="euler", dt=1)
    np.testing.assert_allclose(ds.capital.sel(time=1).values, [1.0, 2.0, 3.3])
    m.scenario("stagnation", {"growth_rate": [0.0, 0.0, 0.0]})
    ds = gysim.simulate(m, scenario="stagnation", params={"capital": {"primary": 1,
                                                                      "secondary": 2,
                                                                      "tertiary": 4}})
    assert ds.total_capital.dims == ("time",)
    np.testing.assert_allclose(ds.total_capital.values, 7.0)
    with pytest.raises(ParameterError, match="outside its bounds"):
        m.with_params(bounded=[0.5, 2.0, 0.5])
    with pytest.raises(ModelDefinitionError, match="no value for secondary"):
        m.with_params(growth_rate={"primary": 0.0, "tertiary": 0.1})


def test_scalar_stock_from_an_aggregate_and_model_identity():
    m = sector_model()
    m.stock("tracked", "sum(capital, sector)")
    m.flow("tracking", "total_capital - tracked", into="tracked")
    ds = gysim.simulate(m, method="euler", dt=0.5)
    assert float(ds.tracked[0]) == float(ds.total_capital[0]) == 720.0
    np.testing.assert_allclose(ds.tracking.values, ds.total_capital.values - ds.tracked.values)
    assert ds.tracked.dims == ("time",)
    copy = m.copy()
    assert copy.dimensions == m.dimensions and copy.hash() == m.hash()
    other = sector_model()
    other.dimension("district", DISTRICTS)
    assert other.hash() != sector_model().hash()
    assert m.description()["elements"]["capital"]["dims"] == ["sector"]
    assert m.stocks["capital"].equation == "(40.0, 380.0, 300.0)"
