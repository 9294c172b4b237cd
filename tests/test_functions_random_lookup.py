"""Vensim's RANDOM LOOKUP (gysim random_lookup), by its distribution.

The lookup is the shape of a density (linear between its points, zero
outside). A lookup through (0, 0), (1, 1), (3, 0) is the triangular
distribution on [0, 3] with its peak at 1: mean (0 + 1 + 3) / 3 = 4/3, CDF
x**2 / 3 on [0, 1] and 1 - (3 - x)**2 / 6 on [1, 3]. The draws are checked
against that CDF (Kolmogorov-Smirnov at a fixed seed), after the shift,
stretch and truncation of Vensim's reference.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import gysim
from gysim import distributions as dist
from gysim.errors import ModelDefinitionError
from tests.test_vensim import eq, write_mdl

RUNS = 400
TRIANGLE = "3, 0, 1, 3, 0, 1, 0"  # n, x1..x3, y1..y3


def _cdf(v):
    """The triangular distribution on [0, 3] with its peak at 1, by hand."""
    v = np.clip(v, 0.0, 3.0)
    return np.where(v <= 1.0, v ** 2 / 3.0, 1.0 - (3.0 - v) ** 2 / 6.0)


@pytest.fixture(scope="module")
def draws():
    m = gysim.Model("m", stop=20, dt=1, method="euler")
    m.param("k", 1.0)
    m.aux("tri", f"random_lookup(-100, 100, 0, 1, {TRIANGLE}, 0)")
    m.aux("cut", f"random_lookup(0.5, 2, 0, 1, {TRIANGLE}, 0)")      # truncated
    m.aux("moved", f"random_lookup(0, 100, 10, 2, {TRIANGLE}, 0)")   # 10 + 2 y
    return gysim.simulate(m, params={"k": np.ones(RUNS)}, seed=5)


def test_triangular_lookup_gives_the_triangular_distribution(draws):
    x = draws.tri.values.ravel()
    assert x.min() >= 0 and x.max() <= 3
    assert abs(x.mean() - 4 / 3) < 0.02  # sd of the mean: sqrt(7/18 / 8400) = 0.0068
    assert stats.kstest(x, _cdf).pvalue > 1e-3
    # scipy's triangular as a second, independent statement of the same law
    assert stats.kstest(x, stats.triang(1 / 3, loc=0, scale=3).cdf).pvalue > 1e-3


def test_truncation_and_shift_stretch(draws):
    x = draws.cut.values.ravel()
    assert x.min() >= 0.5 and x.max() <= 2
    lo, hi = _cdf(0.5), _cdf(2.0)
    assert stats.kstest(x, lambda v: (_cdf(v) - lo) / (hi - lo)).pvalue > 1e-3
    moved = draws.moved.values.ravel()
    assert moved.min() >= 10 and moved.max() <= 16
    assert abs(moved.mean() - (10 + 2 * 4 / 3)) < 0.04
    assert stats.kstest(moved, lambda v: _cdf((v - 10) / 2)).pvalue > 1e-3


def test_inverse_cdf_by_hand():
    u = np.array([1 / 12, 1 / 3, 5 / 6])
    # x**2 / 3 = 1/12 at x = 0.5; 1/3 at the peak 1; 1 - (3 - x)**2 / 6 = 5/6 at x = 2
    np.testing.assert_allclose(dist.lookup(u, -9.0, 9.0, 0.0, 1.0, 3, 0, 1, 3, 0, 1, 0),
                               [0.5, 1.0, 2.0], rtol=1e-12)
    # a flat lookup is uniform
    np.testing.assert_allclose(dist.lookup(np.array([0.25]), -9, 9, 0, 1, 2, 2, 6, 5, 5), [3.0])
    # (0, 1), (1, 1), (2, 0), (3, 0): areas 1, 1/2, 0; the median (area 3/4) is at 0.75,
    # and the last segment, of no area, is never drawn
    np.testing.assert_allclose(dist.lookup(np.array([0.5, 1 - 1e-15]), -9, 9, 0, 1, 4,
                                           0, 1, 2, 3, 1, 1, 0, 0), [0.75, 2.0], atol=1e-6)
    # points that are not a density give NaN (the run then stops with an error)
    assert np.isnan(dist.lookup(np.array([0.5]), 0, 1, 0, 1, 2, 0, 1, -1, 1)).all()
    assert np.isnan(dist.lookup(np.array([0.5]), 0, 1, 0, 1, 2, 1, 0, 1, 1)).all()


def test_bad_lookup_in_a_model_is_an_error():
    m = gysim.Model("m", stop=2, dt=1, method="euler")
    m.aux("r", "random_lookup(0, 1, 0, 1, 2, 0, 1, -1, 1, 0)")
    with pytest.raises(gysim.SimulationError, match="'r' is not finite"):
        gysim.simulate(m)


def test_vensim_random_lookup_reads_and_reproduces_per_run(tmp_path):
    body = ("shape(\n\t(0,0),(1,1),(3,0))\n\t~\t\n\t~\t|\n"
            + eq("d", "RANDOM LOOKUP(shape, 0, 100, 0, 1, 0)") + eq("k", "1"))
    m = gysim.read_vensim(write_mdl(tmp_path, body, stop=300))
    a = gysim.simulate(m, params={"k": np.ones(4)}, seed=3)
    b = gysim.simulate(m, params={"k": np.ones(2)}, seed=3)
    np.testing.assert_array_equal(a.d.values[:, :2], b.d.values)  # run r draws the same
    assert not np.array_equal(a.d.values[:, 0], a.d.values[:, 1])  # runs draw apart
    assert stats.kstest(a.d.values.ravel(), _cdf).pvalue > 1e-3
    assert gysim.check_model(write_mdl(tmp_path, body, name="c.mdl")).ok


@pytest.mark.parametrize("call, why", [
    ("RANDOM LOOKUP(shape, 0, 1, 0)", "with 4 arguments"),
    ("RANDOM LOOKUP(k, 0, 1, 0, 1, 0)", "'k', which is not a lookup"),
    ("RANDOM LOOKUP(flat, 0, 1, 0, 1, 0)", "not a density"),
])
def test_vensim_random_lookup_refusals(tmp_path, call, why):
    body = ("shape(\n\t(0,0),(1,1),(3,0))\n\t~\t\n\t~\t|\n"
            "flat(\n\t(0,0),(1,0))\n\t~\t\n\t~\t|\n" + eq("d", call) + eq("k", "1"))
    with pytest.raises(ModelDefinitionError, match=why):
        gysim.read_vensim(write_mdl(tmp_path, body))
