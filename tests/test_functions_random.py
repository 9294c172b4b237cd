"""RANDOM functions: tested by their distributions (fixed seeds), not bit for bit.

Each distribution is checked against an independent statement of it (scipy's
distributions, or the mean and variance worked out by hand) with a
Kolmogorov-Smirnov or chi-square test at a fixed seed; the streams by their
reproducibility (run by run, whatever the ensemble and chunking).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import gysim
from gysim.random_draws import run_keys
from tests.test_vensim import eq, write_mdl

DATA = Path(__file__).parent / "data"
RUNS = 200


@pytest.fixture(scope="module")
def vensim_draws():
    """The Vensim test file run as an ensemble of 200 runs (201 steps each)."""
    m = gysim.read_vensim(DATA / "random_vensim.mdl")
    return gysim.simulate(m, params={"k": np.ones(RUNS)}, seed=7)


def _sample(ds, name, burn=0):
    return ds[name].values[burn:].ravel()


def test_random_uniform_is_uniform_between_min_and_max(vensim_draws):
    x = _sample(vensim_draws, "u")
    assert x.size == 201 * RUNS and x.min() >= 2 and x.max() <= 5
    assert stats.kstest(x, stats.uniform(2, 3).cdf).pvalue > 1e-3
    assert abs(x.mean() - 3.5) < 0.02 and abs(x.var() - 0.75) < 0.02  # (5 - 2)^2 / 12


def test_random_normal_is_truncated_to_its_bounds(vensim_draws):
    x = _sample(vensim_draws, "n")
    a, b = (-1 - 0.5) / 1.5, (2 - 0.5) / 1.5
    assert x.min() >= -1 and x.max() <= 2
    assert stats.kstest(x, stats.truncnorm(a, b, loc=0.5, scale=1.5).cdf).pvalue > 1e-3


def test_random_exponential_is_shifted_stretched_and_truncated(vensim_draws):
    x = _sample(vensim_draws, "e")

    def cdf(v):  # 0.5 + 2 * Exp(1), conditioned on [1, 10]
        F = lambda y: 1 - np.exp(-(y - 0.5) / 2)  # noqa: E731
        return (F(np.clip(v, 1, 10)) - F(1)) / (F(10) - F(1))
    assert x.min() >= 1 and x.max() <= 10
    assert stats.kstest(x, cdf).pvalue > 1e-3


def test_random_poisson_counts_are_shifted_and_stretched(vensim_draws):
    x = _sample(vensim_draws, "p")
    k = (x - 10) / 2
    assert np.all(k == np.round(k)) and k.min() >= 0
    assert abs(k.mean() - 3) < 0.05 and abs(k.var() - 3) < 0.1
    counts = np.bincount(k.astype(int), minlength=12)[:12]
    expected = stats.poisson(3).pmf(np.arange(12)) * k.size
    assert stats.chisquare(counts[:10], expected[:10] * counts[:10].sum()
                           / expected[:10].sum()).pvalue > 1e-3


def test_random_triangular_has_its_peak_where_asked(vensim_draws):
    x = _sample(vensim_draws, "tri")
    assert x.min() >= 1 and x.max() <= 6
    assert stats.kstest(x, stats.triang(c=(2 - 1) / 5, loc=1, scale=5).cdf).pvalue > 1e-3
    assert abs(x.mean() - (1 + 2 + 6) / 3) < 0.02


def test_random_0_1(vensim_draws):
    x = _sample(vensim_draws, "z")
    assert stats.kstest(x, "uniform").pvalue > 1e-3


def test_pink_noise_has_its_mean_sd_and_correlation_time(vensim_draws):
    # Anderson's pink noise: a first-order smooth of scaled white noise; stationary
    # sd = the sd asked whatever dt, lag-1 autocorrelation 1 - dt / tau
    x = vensim_draws.pink.values  # (time, run), dt = 0.25, tau = 2, mean 10, sd 2
    assert abs(x.mean() - 10) < 0.1
    assert abs(x.std() - 2) < 0.1
    lag1 = np.corrcoef(x[:-1].ravel(), x[1:].ravel())[0, 1]
    assert lag1 == pytest.approx(1 - 0.25 / 2, abs=0.02)
    lag8 = np.corrcoef(x[:-8].ravel(), x[8:].ravel())[0, 1]
    assert lag8 == pytest.approx((1 - 0.25 / 2) ** 8, abs=0.03)


def test_draws_are_held_over_the_step_and_integrate_as_euler_says(vensim_draws):
    # total = INTEG(u, 0): Euler adds u * dt of each step
    u, total = vensim_draws.u.values, vensim_draws.total.values
    np.testing.assert_allclose(total[1:], np.cumsum(u[:-1], axis=0) * 0.25, rtol=1e-12)
    # successive steps differ (a new draw per step), runs differ
    assert np.all(np.diff(u[:, 0]) != 0) and np.all(u[0, 1:] != u[0, 0])


def test_runs_are_reproducible_run_by_run():
    m = gysim.read_vensim(DATA / "random_vensim.mdl")
    a = gysim.simulate(m, params={"k": np.ones(6)}, seed=11, variables=["u", "pink"])
    b = gysim.simulate(m, params={"k": np.ones(6)}, seed=11, chunk_size=4,
                       variables=["u", "pink"])
    c = gysim.simulate(m, params={"k": np.ones(3)}, seed=11, variables=["u", "pink"])
    d = gysim.simulate(m, params={"k": np.ones(3)}, seed=12, variables=["u", "pink"])
    np.testing.assert_array_equal(a.u.values, b.u.values)
    np.testing.assert_array_equal(a.pink.values, b.pink.values)
    np.testing.assert_array_equal(a.u.values[:, :3], c.u.values)
    assert not np.any(c.u.values == d.u.values)
    # the default seed is 0, the same on every call (as Vensim's runs)
    np.testing.assert_array_equal(gysim.simulate(m, variables=["u"]).u.values,
                                  gysim.simulate(m, variables=["u"], seed=0).u.values)
    # run keys: distinct per run and seed, the same however they are asked for
    keys = run_keys(11, 0, 1000)
    assert len(set(keys.tolist())) == 1000 and not set(keys.tolist()) & set(
        run_keys(12, 0, 1000).tolist())
    np.testing.assert_array_equal(np.concatenate([run_keys(11, 0, 400), run_keys(11, 400, 1000)]),
                                  keys)


def _streams_model(stream):
    m = gysim.Model("m", stop=20, dt=1, method="euler")
    m.dimension("region", ["a", "b", "c"])
    m.aux("x", "random_uniform(0, 1, 0)", dims=("region",))
    m.aux("y", "random_uniform(0, 1, 0) + 0 * random_uniform(0, 1, 0)")
    m.aux("w", f"random_uniform(0, 1, {stream})")
    return m


def test_calls_and_elements_have_their_own_streams():
    ds = gysim.simulate(_streams_model(0))
    x = ds.x.values
    assert x.shape == (21, 3) and len({tuple(x[:, i]) for i in range(3)}) == 3
    assert not np.array_equal(ds.y.values, ds.w.values)
    # a different stream argument, a different stream
    assert not np.any(gysim.simulate(_streams_model(5)).w.values == ds.w.values)


def test_edge_cases_of_the_bounds():
    m = gysim.Model("m", stop=5, dt=1, method="euler")
    m.aux("same", "random_normal(3, 3, 0, 1, 0)")
    m.aux("far", "random_normal(10, 11, 0, 1, 0)")  # 10 sd above the mean: still in range
    m.aux("neg", "random_uniform(-4, -2, 0)")
    m.aux("poisson_zero", "random_poisson(0, 100, 0, 0, 1, 0)")  # a mean of 0: always 0
    ds = gysim.simulate(m)
    assert np.all(ds.same.values == 3)
    assert np.all((ds.far.values >= 10) & (ds.far.values <= 11))
    assert np.all((ds.neg.values >= -4) & (ds.neg.values <= -2))
    assert np.all(ds.poisson_zero.values == 0)
    # a missing argument gives a missing draw, reported as a non-finite value
    m.aux("none", "random_uniform(not_available(), 1, 0)")
    with pytest.raises(gysim.SimulationError, match="none"):
        gysim.simulate(m)


def test_xmile_statistical_functions():
    m = gysim.read_xmile(DATA / "random_xmile.xmile")
    ds = gysim.simulate(m, params={}, stop=400)
    n, r, e = ds.n.values, ds.r.values, ds.e.values
    assert stats.kstest(n, stats.norm(10, 2).cdf).pvalue > 1e-3
    assert r.min() >= 1 and r.max() <= 3 and stats.kstest(r, stats.uniform(1, 2).cdf).pvalue > 1e-3
    assert stats.kstest(e, stats.expon(scale=4).cdf).pvalue > 1e-3
    s2 = math.log(1 + 1 / 4)  # LOGNORMAL(2, 1): mean 2, sd 1 of the variable itself
    assert stats.kstest(ds.l.values, stats.lognorm(math.sqrt(s2),
                                                   scale=math.exp(math.log(2) - s2 / 2)).cdf
                        ).pvalue > 1e-3
    assert stats.kstest(ds.tr.values, stats.triang(c=0.25, loc=0, scale=4).cdf).pvalue > 1e-3
    assert abs(ds.p.values.mean() - 3) < 0.4


def test_adaptive_methods_and_bad_seeds_are_refused():
    m = gysim.Model("m", stop=5, dt=1)
    m.stock("s", 0.0)
    m.flow("f", "random_uniform(0, 1, 0)", into="s")
    with pytest.raises(gysim.ModelDefinitionError, match="random functions .*'?f'?.*fixed-step"):
        gysim.simulate(m, method="RK45")
    for bad in (-1, 1.5, "x"):
        with pytest.raises(gysim.ModelDefinitionError, match="`seed`"):
            gysim.simulate(m, method="euler", seed=bad)


def test_units_of_random_functions():
    m = gysim.Model("m", stop=2, dt=1, method="euler")
    m.param("lo", 1.0, units="kg")
    m.param("hi", 2.0, units="kg")
    m.aux("u", "random_uniform(lo, hi, 0)", units="kg")
    m.aux("n", "random_normal(lo, hi, lo, hi - lo, 0)", units="kg")
    gysim.check_units(m)
    m.aux("bad", "random_uniform(lo, 3 * time, 0)", units="kg")
    with pytest.raises(gysim.UnitsError, match="random_uniform"):
        gysim.check_units(m)


def test_unknown_function_is_named_as_the_file_spells_it(tmp_path):
    body = eq("x", "GET TIME VALUE(2, 0, 0)")  # the wall clock: never reproducible
    with pytest.raises(gysim.ModelDefinitionError, match="GET TIME VALUE"):
        gysim.read_vensim(write_mdl(tmp_path, body))


def test_vensim_round_trip_keeps_the_functions(tmp_path):
    m = gysim.Model("m", stop=5, dt=1, method="euler")
    m.aux("u", "random_uniform(2, 5, 0)")
    m.aux("n", "random_normal(-1, 2, 0.5, 1.5, 3)")
    m.aux("p", "random_poisson(0, 1000, 3, 10, 2, 0)")
    m.aux("z", "random_0_1()")
    m.aux("pink", "random_pink_noise(10, 2, 2, 0)")
    text = m.to_vensim(tmp_path / "back.mdl").read_text()
    for name in ("RANDOM UNIFORM(2, 5, 0)", "RANDOM NORMAL(", "RANDOM POISSON(", "RANDOM 0 1()",
                 "RANDOM PINK NOISE("):
        assert name in text
    again = gysim.simulate(gysim.read_vensim(tmp_path / "back.mdl"))
    ds = gysim.simulate(m)
    for name in ("u", "n", "p", "z", "pink"):
        np.testing.assert_array_equal(again[name].values, ds[name].values)


def test_subscripted_draws_are_one_per_element():
    ds = gysim.simulate(gysim.read_vensim(DATA / "random_subscripted.mdl"))
    for name in ("x", "p"):
        values = ds[name].values
        assert values.shape == (4, 3)
        assert len({tuple(values[:, i]) for i in range(3)}) == 3  # elements differ


def test_pink_noise_units_need_a_time():
    m = gysim.Model("m", stop=2, dt=1, method="euler")
    m.param("level", 1.0, units="kg")
    m.param("tau", 2.0, units="year")
    m.aux("p", "random_pink_noise(level, level / 2, tau, 0)", units="kg")
    gysim.check_units(m)
    m.aux("bad", "random_pink_noise(level, level, level, 0)", units="kg")
    with pytest.raises(gysim.UnitsError, match="correlation time"):
        gysim.check_units(m)
