"""Vensim's RANDOM BETA, BINOMIAL, GAMMA, NEGATIVE BINOMIAL and WEIBULL, by their distributions.

Each draw is checked against an independent statement of its distribution
(scipy's, after the documented shift, stretch and truncation), with a
Kolmogorov-Smirnov test (continuous) or a chi-square test and the moments
worked out by hand (discrete), at fixed seeds; read from a Vensim file in the
file's spelling; reproducible run by run.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats, special

import gysim
from gysim import distributions as dist
from tests.test_vensim import eq, write_mdl

RUNS = 400


def _ensemble(**auxes):
    m = gysim.Model("m", stop=20, dt=1, method="euler")
    m.param("k", 1.0)
    for name, equation in auxes.items():
        m.aux(name, equation)
    return gysim.simulate(m, params={"k": np.ones(RUNS)}, seed=5)


@pytest.fixture(scope="module")
def draws():
    return _ensemble(
        b="random_beta(0, 10, 2, 5, 1, 4, 0)",           # 1 + 4 * Beta(2, 5) in [0, 10]
        bt="random_beta(2, 4, 2, 5, 1, 4, 0)",           # ... truncated to [2, 4]
        g="random_gamma(0, 1000, 3, 0, 2, 0)",           # 2 * Gamma(3)
        gt="random_gamma(3, 9, 3, 0, 2, 0)",
        w="random_weibull(0, 1000, 2, 0, 1, 0)",         # Weibull(2) of mean 1
        bi="random_binomial(0, 1000, 0.3, 10, 5, 2, 0)",  # 5 + 2 * Bin(10, 0.3)
        bit="random_binomial(9, 13, 0.3, 10, 5, 2, 0)",   # truncated: Bin in {2, 3, 4}
        nb="random_negative_binomial(0, 1e6, 0.4, 3, 0, 1, 0)",  # trials to 3 successes
    )


def _x(ds, name):
    return ds[name].values.ravel()


def test_beta_is_shifted_stretched_and_truncated(draws):
    x = _x(draws, "b")
    assert x.min() >= 1 and x.max() <= 5
    assert stats.kstest(x, stats.beta(2, 5, loc=1, scale=4).cdf).pvalue > 1e-3
    assert abs(x.mean() - (1 + 4 * 2 / 7)) < 0.02  # mean of Beta(a, b) = a / (a + b)
    xt = _x(draws, "bt")
    base = stats.beta(2, 5, loc=1, scale=4)
    assert xt.min() >= 2 and xt.max() <= 4
    assert stats.kstest(xt, lambda v: (base.cdf(v) - base.cdf(2)) / (base.cdf(4) - base.cdf(2))
                        ).pvalue > 1e-3


def test_gamma_has_its_order_as_shape(draws):
    x = _x(draws, "g")
    assert stats.kstest(x, stats.gamma(3, scale=2).cdf).pvalue > 1e-3
    assert abs(x.mean() - 6) < 0.1 and abs(x.var() - 12) < 0.6  # k * s and k * s^2
    xt, base = _x(draws, "gt"), stats.gamma(3, scale=2)
    assert xt.min() >= 3 and xt.max() <= 9
    assert stats.kstest(xt, lambda v: (base.cdf(v) - base.cdf(3)) / (base.cdf(9) - base.cdf(3))
                        ).pvalue > 1e-3


def test_gamma_of_order_one_is_the_exponential_and_below_one_is_taken_as_one():
    u = np.linspace(0.01, 0.99, 7)
    expected = -np.log1p(-u)  # exponential of mean 1
    np.testing.assert_allclose(dist.gamma(u, 0, 1e9, 1.0, 0.0, 1.0), expected, rtol=1e-10)
    np.testing.assert_allclose(dist.gamma(u, 0, 1e9, 0.3, 0.0, 1.0), expected, rtol=1e-10)


def test_weibull_has_mean_one(draws):
    x = _x(draws, "w")
    scale = 1 / math.gamma(1.5)  # shape 2: mean = scale * Gamma(1 + 1/2)
    assert stats.kstest(x, stats.weibull_min(2, scale=scale).cdf).pvalue > 1e-3
    assert abs(x.mean() - 1) < 0.02
    # the inverse CDF by hand: x = scale * (-ln(1 - u))^(1 / shape)
    assert dist.weibull(np.array([0.5]), 0, 10, 2.0, 0.0, 1.0)[0] == pytest.approx(
        scale * math.sqrt(math.log(2)))


def test_binomial_counts(draws):
    k = (_x(draws, "bi") - 5) / 2
    assert np.all(k == np.round(k)) and k.min() >= 0 and k.max() <= 10
    assert abs(k.mean() - 3) < 0.05 and abs(k.var() - 2.1) < 0.1  # n p and n p (1 - p)
    counts = np.bincount(k.astype(int), minlength=11)
    pmf = stats.binom(10, 0.3).pmf(np.arange(11))
    keep = pmf * k.size > 5
    assert stats.chisquare(counts[keep], pmf[keep] / pmf[keep].sum() * counts[keep].sum()
                           ).pvalue > 1e-3
    kt = (_x(draws, "bit") - 5) / 2  # 9 <= 5 + 2k <= 13: k in {2, 3, 4}
    assert set(np.unique(kt)) == {2.0, 3.0, 4.0}
    pmf_t = stats.binom(10, 0.3).pmf([2, 3, 4])
    counts_t = np.array([(kt == v).sum() for v in (2, 3, 4)])
    assert stats.chisquare(counts_t, pmf_t / pmf_t.sum() * kt.size).pvalue > 1e-3


def test_negative_binomial_counts_trials_to_the_nth_success(draws):
    k = _x(draws, "nb")
    assert np.all(k == np.round(k)) and k.min() >= 3
    # trials to the 3rd success of p = 0.4: mean n / p, variance n (1 - p) / p^2
    assert abs(k.mean() - 7.5) < 0.15 and abs(k.var() - 11.25) < 0.8
    assert np.mean(k == 3) == pytest.approx(0.4 ** 3, abs=0.01)


def test_degenerate_arguments():
    u = np.array([0.1, 0.9])
    # p = 1: every trial succeeds; p = 0: none
    np.testing.assert_array_equal(dist.binomial(u, 0, 100, 1.0, 4, 0, 1), [4, 4])
    np.testing.assert_array_equal(dist.binomial(u, 0, 100, 0.0, 4, 0, 1), [0, 0])
    np.testing.assert_array_equal(dist.negative_binomial(u, 0, 100, 1.0, 4, 0, 1), [4, 4])
    # min = max: that value; a negative stretch mirrors the distribution
    np.testing.assert_array_equal(dist.beta(u, 0.5, 0.5, 2, 2, 0, 1), [0.5, 0.5])
    np.testing.assert_allclose(dist.beta(u, -1, 0, 2, 5, 0, -1),
                               -special.betaincinv(2, 5, u), rtol=1e-10)
    # a missing argument gives a missing value
    assert np.isnan(dist.gamma(u, 0, 10, np.nan, 0, 1)).all()


def test_vensim_spellings_are_read_and_runs_reproduce(tmp_path):
    body = (eq("b", "RANDOM BETA(0, 1, 2, 2, 0, 1, 0)")
            + eq("bi", "RANDOM BINOMIAL(0, 10, 0.5, 10, 0, 1, 0)")
            + eq("g", "RANDOM GAMMA(0, 100, 2, 0, 1, 0)")
            + eq("nb", "RANDOM NEGATIVE BINOMIAL(0, 100, 0.5, 2, 0, 1, 0)")
            + eq("w", "RANDOM WEIBULL(0, 100, 1.5, 0, 1, 0)") + eq("k", "1"))
    m = gysim.read_vensim(write_mdl(tmp_path, body, stop=50))
    a = gysim.simulate(m, params={"k": np.ones(4)}, seed=3)
    b = gysim.simulate(m, params={"k": np.ones(2)}, seed=3)
    for name in ("b", "bi", "g", "nb", "w"):
        np.testing.assert_array_equal(a[name].values[:, :2], b[name].values)
        assert np.unique(a[name].values).size > 5  # a new draw per step and run
    assert gysim.check_model(write_mdl(tmp_path, body, name="c.mdl")).ok
    # written back to Vensim in its spelling, the same draws
    dsl = gysim.Model("m", stop=5, dt=1, method="euler")
    dsl.aux("nb", "random_negative_binomial(0, 100, 0.5, 2, 0, 1, 0)")
    dsl.aux("w", "random_weibull(0, 100, 1.5, 0, 1, 0)")
    text = dsl.to_vensim(tmp_path / "back.mdl").read_text()
    assert "RANDOM NEGATIVE BINOMIAL(" in text and "RANDOM WEIBULL(" in text
    again = gysim.simulate(gysim.read_vensim(tmp_path / "back.mdl"))
    ds = gysim.simulate(dsl)
    for name in ("nb", "w"):
        np.testing.assert_array_equal(again[name].values, ds[name].values)
