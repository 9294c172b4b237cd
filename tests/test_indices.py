"""gysim.indices against SALib (the reference) on the same samples and bootstrap draws."""

from __future__ import annotations

import numpy as np
import pytest
from SALib.analyze import sobol as salib_sobol
from SALib.sample import sobol as sobol_sample
from SALib.test_functions import Ishigami

from gysim import indices
from gysim.errors import DataError

PROBLEM = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}


def series(second_order, n=128, seed=5):
    """Ishigami at several 'times' (its a, b scaled over time), one row per time."""
    X = sobol_sample.sample(PROBLEM, n, calc_second_order=second_order, seed=seed)
    rows = [Ishigami.evaluate(X, A=7.0 * s, B=0.1 * s) for s in np.linspace(0.2, 1.0, 6)]
    rows.append(X[:, 0] + 2 * X[:, 1])  # additive: no interaction at all
    return X, np.stack(rows)


def assert_as_salib(mine, Y, second_order, seed, num_resamples=100, conf_level=0.95):
    for i, y in enumerate(Y):
        ref = salib_sobol.analyze(PROBLEM, y, calc_second_order=second_order, seed=seed,
                                  num_resamples=num_resamples, conf_level=conf_level)
        for key in mine:
            want, got = np.asarray(ref[key], float), mine[key][..., i]
            np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=key)
            ok = ~np.isnan(want)
            np.testing.assert_allclose(got[ok], want[ok], rtol=1e-12, atol=1e-15,
                                       err_msg=f"{key} of series {i}")


@pytest.mark.parametrize("second_order", [True, False])
def test_sobol_equals_salib_for_every_series(second_order):
    X, Y = series(second_order)
    mine = indices.sobol(Y, 3, second_order=second_order, seed=42)
    assert set(mine) == {"S1", "S1_conf", "ST", "ST_conf"} | (
        {"S2", "S2_conf"} if second_order else set())
    assert mine["S1"].shape == (3, len(Y))
    assert_as_salib(mine, Y, second_order, seed=42)


def test_sobol_other_level_and_resamples_and_blocks(monkeypatch):
    monkeypatch.setattr(indices, "BLOCK_BYTES", 1)  # one series per block
    _, Y = series(True, n=64, seed=9)
    mine = indices.sobol(Y, 3, num_resamples=37, conf_level=0.8, seed=3)
    assert_as_salib(mine, Y, True, seed=3, num_resamples=37, conf_level=0.8)


def test_sobol_known_answers():
    """Ishigami (a=7, b=0.1): S1 = (0.314, 0.442, 0), ST3 = 0.244, S13 = 0.244 (analytic)."""
    X = sobol_sample.sample(PROBLEM, 2**14, calc_second_order=True, seed=1)
    y = Ishigami.evaluate(X)
    si = indices.sobol(y[None, :], 3, seed=1, num_resamples=10)
    np.testing.assert_allclose(si["S1"][:, 0], [0.3139, 0.4424, 0.0], atol=0.02)
    np.testing.assert_allclose(si["ST"][2, 0], 0.2437, atol=0.02)
    np.testing.assert_allclose(si["S2"][0, 2, 0], 0.2437, atol=0.05)
    assert np.isnan(si["S2"][1, 0, 0]) and np.isnan(si["S2"][0, 0, 0])


def test_sobol_a_constant_series_gives_zeros_as_salib():
    y = np.full(8 * 5, 3.0)
    y[0] += 1e-20  # spread below machine epsilon: SALib's "constant" branch
    Y = np.stack([y, y])
    with np.errstate(all="ignore"):
        mine = indices.sobol(Y, 3, second_order=False, seed=2)
    for key in ("S1", "ST", "S1_conf", "ST_conf"):
        np.testing.assert_array_equal(mine[key], 0.0)


@pytest.mark.parametrize("kwargs, message", [
    (dict(Y=np.zeros((2, 9)), D=3), "runs a multiple of 8"),
    (dict(Y=np.zeros((2, 8)), D=0), "`D` must be a positive integer, got 0"),
    (dict(Y=np.zeros((2, 10)), D=3, second_order=False, conf_level=1.0), "`conf_level`"),
    (dict(Y=np.zeros((2, 10)), D=3, second_order=False, num_resamples=1), "`num_resamples`"),
])
def test_sobol_bad_input(kwargs, message):
    kwargs.setdefault("second_order", True)
    Y, D = kwargs.pop("Y"), kwargs.pop("D")
    with pytest.raises(DataError, match=message):
        indices.sobol(Y, D, **kwargs)


def test_bootstrap_draws_are_salibs():
    r = indices.bootstrap_draws(10, 4, seed=7)
    np.testing.assert_array_equal(r, np.random.default_rng(7).integers(10, size=(10, 4)))


def close_to(got, want, key, scale):
    """1e-12 relative, with an absolute floor at 1e-12 of the indices' scale.

    (A confidence interval of effects that are all equal is rounding noise,
    ~1e-16 of the effects, whose sums differ in order.)
    """
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12 * scale, err_msg=key)


def test_morris_equals_salib_for_every_series():
    from SALib.analyze import morris as salib_morris
    from SALib.sample import morris as morris_sample
    X = morris_sample.sample(PROBLEM, 30, num_levels=6, seed=4)
    Y = np.stack([Ishigami.evaluate(X, A=7.0 * s) for s in (0.1, 0.5, 1.0)] + [X[:, 1] * 2])
    mine = indices.morris(X, Y, num_levels=6, num_resamples=50, seed=8)
    for i, y in enumerate(Y):
        ref = salib_morris.analyze(PROBLEM, X, y, num_levels=6, num_resamples=50, seed=8)
        for key in ("mu", "mu_star", "sigma", "mu_star_conf"):
            close_to(mine[key][:, i], np.asarray(ref[key], float), key,
                     scale=max(np.max(ref["mu_star"]), 1e-300))


def test_morris_known_answer():
    """A linear function: every effect is its coefficient times the range (2 pi), sigma 0.

    (Unscaled effects divide by the step on the unit grid, not in the inputs' units.)
    """
    from SALib.sample import morris as morris_sample
    X = morris_sample.sample(PROBLEM, 12, num_levels=4, seed=1)
    si = indices.morris(X, (2 * X[:, 0] - 5 * X[:, 2])[None, :], num_levels=4, seed=1)
    width = 2 * np.pi
    np.testing.assert_allclose(si["mu"][:, 0], [2 * width, 0, -5 * width], atol=1e-12)
    np.testing.assert_allclose(si["mu_star"][:, 0], [2 * width, 0, 5 * width], atol=1e-12)
    np.testing.assert_allclose(si["sigma"][:, 0], 0, atol=1e-12)


def test_fast_equals_salib_for_every_series():
    import warnings
    from SALib.analyze import fast as salib_fast
    from SALib.sample import fast_sampler
    X = fast_sampler.sample(PROBLEM, 201, M=4, seed=3)
    Y = np.stack([Ishigami.evaluate(X, A=7.0 * s) for s in (0.1, 0.5, 1.0)])
    mine = indices.fast(Y, 3, M=4, num_resamples=40, seed=5)
    for i, y in enumerate(Y):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = salib_fast.analyze(PROBLEM, y, M=4, num_resamples=40, seed=5)
        for key in ("S1", "ST", "S1_conf", "ST_conf"):
            close_to(mine[key][:, i], np.asarray(ref[key], float), key, scale=1.0)


def test_fast_known_answer():
    """Additive y = x1 + 3 x2 on [0, 1]^2: S1 = (1, 9) / 10 = ST, up to eFAST's bias."""
    from SALib.sample import fast_sampler
    problem = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0, 1], [0, 1]]}
    X = fast_sampler.sample(problem, 1025, M=4, seed=1)
    si = indices.fast((X[:, 0] + 3 * X[:, 1])[None, :], 2, seed=1)
    np.testing.assert_allclose(si["S1"][:, 0], [0.1, 0.9], atol=0.01)
    np.testing.assert_allclose(si["ST"][:, 0], [0.1, 0.9], atol=0.02)


@pytest.mark.parametrize("call, message", [
    (lambda: indices.morris(np.zeros((7, 3)), np.zeros((1, 7))), "trajectories of 4"),
    (lambda: indices.morris(np.zeros((8, 3)), np.zeros((1, 8)), num_levels=1), "`num_levels`"),
    (lambda: indices.fast(np.zeros((1, 10)), 3), "multiple of D=3"),
    (lambda: indices.fast(np.zeros((1, 30)), 3, M=4), "at least 4M \\+ 2 runs"),
])
def test_morris_and_fast_bad_input(call, message):
    with pytest.raises(DataError, match=message):
        call()


def test_sobol_a_resample_of_one_repeated_row_follows_salibs_zero_variance_rule():
    """N = 4 base rows, row 0 with A = B: a resample drawing only row 0 has zero variance,
    where SALib's estimators give 0 (the counts-weighted sums are not used there)."""
    rng = np.random.default_rng(0)
    y = rng.normal(size=12)  # D = 1, first order: A, A_B, B per base row
    y[2] = y[0]
    draws = indices.bootstrap_draws(4, 1000, seed=3)
    assert (draws == 0).all(axis=0).any()  # the case under test is drawn
    mine = indices.sobol(y[None, :], 1, second_order=False, num_resamples=1000, seed=3)
    problem = {"num_vars": 1, "names": ["a"], "bounds": [[0, 1]]}
    ref = salib_sobol.analyze(problem, y.copy(), calc_second_order=False, num_resamples=1000,
                              seed=3)
    for key in ("S1", "ST", "S1_conf", "ST_conf"):
        np.testing.assert_allclose(mine[key][:, 0], ref[key], rtol=1e-12, atol=1e-15,
                                   err_msg=key)


def test_sobol_equals_salib_with_many_parameters_and_rows():
    """D = 6 with S2 and N = 1024: the resample sums of 1024 rows, and 15 pairs."""
    D = 6
    problem = {"num_vars": D, "names": [f"x{i}" for i in range(D)], "bounds": [[0, 1]] * D}
    X = sobol_sample.sample(problem, 1024, calc_second_order=True, seed=2)
    a = np.array([0.0, 0.5, 1.0, 3.0, 9.0, 99.0])
    Y = np.stack([np.prod((np.abs(4 * X - 2) + a * s) / (1 + a * s), axis=1)
                  for s in (0.2, 1.0)])
    mine = indices.sobol(Y, D, seed=11)
    for i, y in enumerate(Y):
        ref = salib_sobol.analyze(problem, y, calc_second_order=True, seed=11)
        for key in mine:
            want, got = np.asarray(ref[key], float), mine[key][..., i]
            ok = ~np.isnan(want)
            np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=key)
            np.testing.assert_allclose(got[ok], want[ok], rtol=1e-12,
                                       atol=1e-12 * np.max(np.abs(want[ok])), err_msg=key)


def test_resample_counts_are_how_often_each_row_is_drawn():
    r = indices.bootstrap_draws(50, 7, seed=4)
    W = indices.resample_counts(r)
    assert W.shape == (50, 7) and (W.sum(axis=0) == 50).all()
    for b in range(7):
        np.testing.assert_array_equal(W[:, b], np.bincount(r[:, b], minlength=50))
    x = np.random.default_rng(1).normal(size=50)
    np.testing.assert_allclose(x @ W / 50, x[r].mean(axis=0), rtol=1e-13)
