"""Bayesian calibration (gysim.sample_posterior): known-answer posteriors, sigma, priors, predictions, errors.

The known answers: for x' = r x, x(0) = 1, observed with lognormal errors of
known sigma, log y_t = r t + sigma e_t is a linear regression through the
origin, so under a flat prior the posterior of r is normal with mean
sum(t log y) / sum(t^2) and sd sigma / sqrt(sum(t^2)); under a normal prior
N(m0, s0^2) it is the precision-weighted combination of the two.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import scipy.stats
import xarray as xr

import gysim
from gysim.errors import CalibrationError, DataError, ParameterError
from gysim.targets import Target, check_targets, share_mcse

OPTIONS = {"method": "rk4", "dt": 0.25}
SIGMA = 0.05
T = np.arange(11.0)


def growth_model(stop=10.0):
    m = gysim.Model("growth", start=0, stop=stop)
    m.stock("x", 1.0)
    m.param("r", 0.1, bounds=(-1.0, 1.0))
    m.flow("inc", "r * x", into="x")
    return m


def growth_data(seed=7, r=0.2, sigma=SIGMA, t=T):
    e = np.random.default_rng(seed).standard_normal(len(t))
    return pd.DataFrame({"x": np.exp(r * t + sigma * e)}, index=t)


def regression(data):
    """Exact posterior of r under a flat prior: (mean, sd)."""
    t, ly = data.index.to_numpy(float), np.log(data["x"].to_numpy())
    return float(t @ ly / (t @ t)), SIGMA / float(np.sqrt(t @ t))


@pytest.fixture(scope="module")
def flat():
    data = growth_data()
    post = gysim.sample_posterior(growth_model(), data, ["r"], sigma=SIGMA, walkers=8, draws=400,
                                  tune=200, seed=11, **OPTIONS)
    return data, post


def test_flat_prior_posterior_is_the_regression_posterior(flat):
    data, post = flat
    mean, sd = regression(data)
    r = post.posterior["r"]
    assert r.dims == ("chain", "draw") and r.shape == (8, 400)
    assert abs(float(r.mean()) - mean) < 0.15 * sd
    assert abs(float(r.std()) / sd - 1) < 0.15
    summary = post.summary(round_to="none")
    assert summary.loc["r", "r_hat"] < 1.05
    assert {"ess_bulk", "ess_tail", "mcse_mean", "prior_sd", "contraction"} <= set(summary.columns)
    # contraction: prior var (2^2 / 12) against the posterior's
    assert post.contraction()["r"] == pytest.approx(1 - float(r.var(ddof=1)) / (4 / 12), rel=1e-9)


def test_inference_data_groups(flat):
    data, post = flat
    assert {"posterior", "sample_stats", "observed_data"} <= set(post.idata.groups())
    np.testing.assert_array_equal(post.idata.observed_data["x"].values, data["x"].to_numpy())
    assert post.idata.sample_stats["lp"].shape == (8, 400)
    assert post.acceptance.shape == (8,) and 0.2 < post.acceptance.mean() < 0.95
    assert "sigma" not in post.posterior          # sigma was fixed


def test_normal_prior_gives_the_conjugate_posterior():
    data = growth_data(seed=3)
    mean, sd = regression(data)
    m0, s0 = mean + 2 * sd, sd                     # a prior as strong as the data, 2 sd away
    precision = 1 / s0**2 + 1 / sd**2
    exact_mean, exact_sd = (m0 / s0**2 + mean / sd**2) / precision, precision**-0.5
    post = gysim.sample_posterior(growth_model(), data, ["r"], priors={"r": scipy.stats.norm(m0, s0)},
                                  sigma=SIGMA, walkers=8, draws=400, tune=200, seed=5, **OPTIONS)
    r = post.posterior["r"]
    assert abs(float(r.mean()) - exact_mean) < 0.15 * exact_sd
    assert abs(float(r.std()) / exact_sd - 1) < 0.15
    assert post.priors[0].given and post.summary(round_to="none").loc["r", "r_hat"] < 1.05


def test_sigma_is_estimated():
    t = np.arange(0.0, 41.0) / 4                   # 41 observations over 10 years
    true_sigma = 0.1
    data = growth_data(seed=21, sigma=true_sigma, t=t)
    post = gysim.sample_posterior(growth_model(), data, ["r"], walkers=8, draws=300, tune=200,
                                  seed=2, saveper=0.25, **OPTIONS)
    assert post.posterior["sigma"].dims == ("chain", "draw", "series")
    sigma = post.posterior["sigma"].sel(series="x")
    # the data's own estimate: RMS residual of the regression through the origin
    ly = np.log(data["x"].to_numpy())
    r_hat = t @ ly / (t @ t)
    rms = float(np.sqrt(np.mean((ly - r_hat * t) ** 2)))
    assert float(sigma.median()) == pytest.approx(rms, rel=0.1)
    assert float(sigma.median()) == pytest.approx(true_sigma, rel=0.25)
    # contraction of log sigma: prior variance 2^2 (default log-normal prior, log-sd 2)
    log_sigma = np.log(sigma.values.reshape(-1))
    assert post.contraction()["sigma[x]"] == pytest.approx(1 - log_sigma.var(ddof=1) / 4, rel=1e-3)
    assert "sigma[x]" in post.draws().columns and "sigma[x]" in post.identification().index


def test_sigma_by_series_fixes_some_and_estimates_others():
    m = growth_model()
    m.aux("y", "2 * x")
    data = growth_data().assign(y=lambda d: 2 * d["x"] * np.exp(0.01 * np.sin(d.index)))
    post = gysim.sample_posterior(m, data, ["r"], sigma={"x": SIGMA},
                                  priors={"sigma": scipy.stats.halfnorm(scale=0.1)},
                                  walkers=8, draws=20, tune=10, seed=1, **OPTIONS)
    assert post.sigma == {"x": SIGMA} and post.free_sigma == ["y"]
    assert list(post.posterior["sigma"]["series"].values) == ["y"]


def test_same_seed_same_draws():
    data = growth_data()
    a, b = (gysim.sample_posterior(growth_model(), data, ["r"], sigma=SIGMA, walkers=4, draws=15,
                                   tune=5, seed=9, **OPTIONS) for _ in range(2))
    np.testing.assert_array_equal(a.posterior["r"].values, b.posterior["r"].values)


def test_predict_shapes_and_noise(flat):
    _, post = flat
    every = post.predict(stop=12)
    assert every.sizes["run"] == 8 * 400 and float(every["time"][-1]) == 12
    assert set(np.unique(every["chain"].values)) == set(range(8))
    some = post.predict(50, seed=4)
    assert some.sizes["run"] == 50 and some.x.dims == ("time", "run")
    # runs are the draws they say they are
    k = 7
    r = post.posterior["r"].values[int(some["chain"][k]), int(some["draw"][k])]
    assert float(some["r"][k]) == r
    np.testing.assert_allclose(some.x.isel(run=k).values, np.exp(r * some["time"].values), rtol=1e-4)
    clean = post.predict(400, seed=8)
    noisy = post.predict(400, seed=8, noise=True)
    log_ratio = np.log(noisy.x.values / clean.x.values)
    assert log_ratio.std() == pytest.approx(SIGMA, rel=0.1) and abs(log_ratio.mean()) < 0.01
    np.testing.assert_array_equal(noisy.inc.values, clean.inc.values)   # unobserved: untouched
    assert noisy.attrs["posterior_predictive"] == "with observation noise"


def test_target_probability_and_its_mcse(flat):
    data, post = flat
    mean, sd = regression(data)
    # x(10) >= exp(10 * r0) iff r >= r0: a probability of Phi((mean - r0) / sd) under the posterior
    r0 = mean - 0.5 * sd
    target = Target("x_10", float(np.exp(10 * r0)), "at_least", variable="x", years=(10,))
    every = check_targets(post.predict(), [target]).loc["x_10"]
    assert every["mcse_method"] == "mcmc"
    assert every["share_met"] == pytest.approx(scipy.stats.norm.cdf(0.5), abs=4 * every["mcse"] + 0.02)
    some = check_targets(post.predict(200, seed=1), [target]).loc["x_10"]
    p = some["share_met"]
    assert some["mcse_method"] == "binomial" and some["mcse"] == pytest.approx(np.sqrt(p * (1 - p) / 200))
    one = gysim.simulate(growth_model(), **OPTIONS)
    table = check_targets(one, [target], posterior=post, n=300, seed=2)
    assert table.loc["x_10", "probability under the posterior"] == pytest.approx(every["share_met"], abs=0.1)
    assert table.loc["x_10", "probability mcse"] > 0


def test_mcse_of_correlated_draws_is_larger():
    rng = np.random.default_rng(0)
    chains, draws, block = 4, 1000, 20
    # each chain repeats an independent coin (p = 0.3) for `block` draws: ESS ~ n / block
    met = np.repeat(rng.random((chains, draws // block)) < 0.3, block, axis=1)
    ds = xr.Dataset(coords={"chain": ("run", np.repeat(np.arange(chains), draws)),
                            "draw": ("run", np.tile(np.arange(draws), chains))})
    mcmc, how = share_mcse(met.reshape(-1), ds)
    binomial, how_b = share_mcse(met.reshape(-1))
    assert (how, how_b) == ("mcmc", "binomial")
    assert 0.5 * np.sqrt(block) < mcmc / binomial < 2 * np.sqrt(block)
    iid = rng.random(chains * draws) < 0.3
    assert share_mcse(iid, ds)[0] == pytest.approx(share_mcse(iid)[0], rel=0.25)
    assert share_mcse(np.ones(10, bool)) == (0.0, "binomial")


def test_hindcast_covers_the_truth_at_its_nominal_rates():
    regions = [f"r{i}" for i in range(12)]
    m = gysim.Model("regions", start=0, stop=11)
    m.dimension("region", regions)
    m.stock("x", 1.0, dims=("region",))
    m.param("r", 0.1, bounds=(-1.0, 1.0))
    m.flow("inc", "r * x", into="x", dims=("region",))
    t = np.arange(12.0)
    e = np.random.default_rng(5).standard_normal((12, len(regions)))
    data = pd.DataFrame(np.exp(0.15 * t[:, None] + 0.1 * e), index=t,
                        columns=[f"x[{r}]" for r in regions])
    post = gysim.sample_posterior(m, data, ["r"], sigma=0.1, walkers=8, draws=150, tune=100,
                                  seed=3, **OPTIONS)
    h = gysim.hindcast(post, data, start=8, seed=1)
    assert float(h.posterior.observed.index[-1]) == 7          # refitted on t < 8
    assert h.table.loc["all", "n_held_out"] == 4 * 12 and h.table.loc["all", "n_fit"] == 8 * 12
    assert abs(h.table.loc["all", "coverage_90"] - 0.9) <= 0.12
    assert abs(h.table.loc["all", "coverage_50"] - 0.5) <= 0.2
    assert h.table["U2"].drop("all").median() < 1               # the true model beats the trend
    again = gysim.hindcast(h.posterior, data, start=8, seed=1)   # fitted before start: reused
    assert again.posterior is h.posterior
    import matplotlib
    matplotlib.use("Agg")
    fig = h.plot(["x[r0]", "x[r1]"])
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 2


def test_errors(flat):
    data, post = flat
    m = growth_model()
    with pytest.raises(ParameterError, match="not a parameter or stock"):
        gysim.sample_posterior(m, data, ["q"], sigma=SIGMA)
    with pytest.raises(ParameterError, match="`error` must be one of"):
        gysim.sample_posterior(m, data, ["r"], error="poisson")
    with pytest.raises(DataError, match="lognormal errors need observations > 0"):
        gysim.sample_posterior(m, data.assign(x=data["x"] - 2), ["r"], sigma=SIGMA)
    with pytest.raises(ParameterError, match=r"`walkers` must be an integer >= 2 \* ndim"):
        gysim.sample_posterior(m, data, ["r"], walkers=1)
    with pytest.raises(ParameterError, match="`sigma` of 'every series' must be a finite number > 0"):
        gysim.sample_posterior(m, data, ["r"], sigma=-1)
    with pytest.raises(DataError, match="`sigma` given for 'y'"):
        gysim.sample_posterior(m, data, ["r"], sigma={"y": 0.1})
    with pytest.raises(ParameterError, match="frozen scipy.stats"):
        gysim.sample_posterior(m, data, ["r"], sigma=SIGMA, priors={"r": 0.2})
    with pytest.raises(ParameterError, match="no probability within its bounds"):
        gysim.sample_posterior(m, data, ["r"], sigma=SIGMA, priors={"r": scipy.stats.uniform(5, 1)})
    with pytest.raises(ParameterError, match="`priors` given for 'k'"):
        gysim.sample_posterior(m, data, ["r"], sigma=SIGMA, priors={"k": scipy.stats.norm()})
    with pytest.raises(ParameterError, match="positive values only"):
        gysim.sample_posterior(m, data, ["r"], priors={"sigma": scipy.stats.norm()}, walkers=4, draws=2)
    with pytest.raises(ParameterError, match="`init` must be one of"):
        gysim.sample_posterior(m, data, ["r"], sigma=SIGMA, init="map")
    with pytest.raises(ParameterError, match="`draws` must be an integer >= 1"):
        gysim.sample_posterior(m, data, ["r"], sigma=SIGMA, draws=0)
    with pytest.raises(ParameterError, match="sets `scenario`"):
        gysim.sample_posterior(m, data, ["r"], sigma=SIGMA, scenario="plan")
    with pytest.raises(ParameterError, match="unknown option"):
        gysim.sample_posterior(m, data, ["r"], sigma=SIGMA, n_starts=3)
    with pytest.raises(CalibrationError, match="no start with a finite posterior density"):
        # every run fails: x' = r x^3 from x = 1 blows up at t = 1 / (2 r) <= 1
        bad = gysim.Model("bad", start=0, stop=10)
        bad.stock("x", 1.0)
        bad.param("r", 0.7, bounds=(0.5, 1.0))
        bad.flow("inc", "r * x * x * x", into="x")         # blows up before t = 10
        gysim.sample_posterior(bad, data, ["r"], sigma=SIGMA, walkers=4, draws=2, **OPTIONS)
    with pytest.raises(ParameterError, match="more than the"):
        post.predict(10**7)
    with pytest.raises(ParameterError, match="positive integer"):
        post.predict(0)
    with pytest.raises(DataError, match="no data within"):
        gysim.hindcast(post, data, start=10.5, stop=11)
    with pytest.raises(ParameterError, match="must be before"):
        gysim.hindcast(post, data, start=8, stop=5)
    with pytest.raises(ParameterError, match="`levels`"):
        gysim.hindcast(post, data, start=8, levels=(90,))


def test_the_guiyang_script_runs_a_tiny_version(tmp_path):
    """calibration/posterior.py: six parameters and seven sigmas, the targets under baseline."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "calibration" / "posterior.py"
    spec = importlib.util.spec_from_file_location("guiyang_posterior_test", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    post = script.sample(walkers=28, draws=4, tune=1, seed=1)
    assert post.names == script.fitted_parameters() and len(post.names) == 6
    assert len(post.free_sigma) == 7 and post.posterior["tfp_growth"].shape == (28, 4)
    probabilities, n_runs = script.target_probabilities(post)
    assert n_runs == 28 * 4 and probabilities["share_met"].between(0, 1).all()
    text = script.report(post, 1.0, probabilities, n_runs, cpu=0.5, load=1.0)
    assert "| gdp_2010 |" in text and "sigma[gdp]" in text and "largest r-hat" in text
    # the start from the least-squares fit: its values, and stderr_i stderr_j corr_ij
    values, cov = script.fit_start()
    fit = json.loads(script.FIT_FILE.read_text(encoding="utf-8"))["parameters"]
    assert list(values) == post.names and list(cov.index) == list(cov.columns) == post.names
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), [fit[n]["stderr"] for n in post.names])
    np.testing.assert_allclose(cov.to_numpy(), cov.to_numpy().T)
    from_fit = script.sample(walkers=28, draws=2, tune=0, seed=1, start="fit")
    assert from_fit.settings["init_cov"] is cov or from_fit.settings["init_cov"].equals(cov)


def test_a_posterior_is_the_uncertainty_of_an_optimisation(flat):
    """optimize(uncertain=post): the smallest x0 with P(x(10) >= 20) >= 0.9 under the posterior."""
    data, post = flat
    samples = post.samples(200, seed=3)
    assert set(samples) == {"r"} and samples["r"].shape == (200,)
    np.testing.assert_array_equal(post.samples()["r"], post.posterior["r"].values.reshape(-1))
    m2 = gysim.Model("growth0", start=0, stop=10)
    m2.param("x0", 1.0, bounds=(0.5, 5.0))
    m2.param("r", 0.1, bounds=(-1.0, 1.0))
    m2.stock("x", "x0")
    m2.flow("inc", "r * x", into="x")
    target = Target("x_10", 20.0, "at_least", variable="x", years=(10,))
    res = gysim.optimize(m2, {"x0": (0.5, 5.0)}, [target], minimize="x0", uncertain=post,
                         n_samples=200, probability=0.9, seed=4, generations=40, **OPTIONS)
    # x(10) = x0 exp(10 r) >= 20 in 90 % of the 200 draws used: x0 = 20 exp(-10 r), r the
    # 21st smallest of those draws (180 of 200 at or above it)
    used = np.sort(gysim.lever_problem.as_samples(post, 200, 4)["r"])
    expected = 20 * np.exp(-10 * used[200 - 180])
    assert abs(res.levers["x0"] / expected - 1) < 0.01, (res.levers, expected)


# --- the lean likelihood path and the start around a fit ---------------------------------

def test_array_runs_are_simulate_at_the_data_times():
    """ArrayRuns gives gysim.simulate's numbers (elements of a variable over a dimension too)."""
    from gysim.posterior.runs import ArrayRuns

    m = gysim.Model("regions2", start=0, stop=6)
    m.dimension("region", ["a", "b", "c"])
    m.param("r", 0.1, bounds=(-1.0, 1.0))
    m.param("g", (0.5, 1.0, 2.0), dims=("region",), bounds=(0.0, 5.0))
    m.stock("x", 1.0, dims=("region",))
    m.flow("inc", "r * g * x", into="x", dims=("region",))
    m.aux("total", "sum(x, region)")
    X = np.array([[0.1, 1.0], [0.2, 0.5], [-0.1, 3.0]])
    series, times = ["x[b]", "total", "x[c]"], np.array([1.0, 4.0, 5.0])
    runs = ArrayRuns(m, ["r", "g[b]"], series, times, {"method": "rk4", "dt": 0.5})
    got = runs(X)
    assert got.shape == (3, 3, 3)
    g = np.tile([0.5, 1.0, 2.0], (3, 1))
    g[:, 1] = X[:, 1]
    ds = gysim.simulate(m, params={"r": X[:, 0], "g": g}, method="rk4", dt=0.5)
    np.testing.assert_array_equal(got[:, :, 0], ds.x.sel(region="b", time=times).values.T)
    np.testing.assert_array_equal(got[:, :, 1], ds.total.sel(time=times).values.T)
    np.testing.assert_array_equal(got[:, :, 2], ds.x.sel(region="c", time=times).values.T)
    # the analytic values: x_b(t) = exp(r g_b t) to RK4's accuracy
    np.testing.assert_allclose(got[:, :, 0], np.exp(np.outer(X[:, 0] * X[:, 1], times)), rtol=1e-4)
    with pytest.raises(DataError, match="names 3 elements"):
        ArrayRuns(m, ["r"], ["x"], times, {"method": "rk4", "dt": 0.5})
    with pytest.raises(DataError, match="no output at time"):
        ArrayRuns(m, ["r"], ["total"], np.array([1.25]), {"method": "rk4", "dt": 0.5})


def test_array_runs_mask_a_failed_run_and_keep_the_others():
    from gysim.posterior.runs import ArrayRuns

    m = gysim.Model("blow", start=0, stop=4)
    m.stock("x", 1.0)
    m.param("r", 0.1, bounds=(0.0, 2.0))
    m.flow("inc", "r * x * x * x", into="x")        # x = (1 - 2 r t)^(-1/2): blows up at 1 / (2 r)
    runs = ArrayRuns(m, ["r"], ["x"], np.arange(5.0), {"method": "rk4", "dt": 0.01})
    got = runs(np.array([[0.05], [1.0]]))[:, :, 0]
    np.testing.assert_allclose(got[0], (1 - 0.1 * np.arange(5.0)) ** -0.5, rtol=1e-6)
    assert np.isnan(got[1, 1:]).all() and got[1, 0] == 1.0


def test_the_dataset_and_array_paths_give_the_same_log_posterior():
    from gysim.posterior.likelihood import LogPosterior
    from gysim.posterior.priors import parameter_priors

    data = growth_data()
    lp = LogPosterior(growth_model(), ["r"], parameter_priors(["r"], np.array([-1.0]), np.array([1.0]), None),
                      data, "lognormal", None, None, OPTIONS)
    theta = np.array([[0.19, np.log(0.05)], [0.21, np.log(0.1)], [1.5, 0.0]])
    lean = lp(theta)
    lp.lean = False
    np.testing.assert_array_equal(lean, lp(theta))
    assert lean[2] == -np.inf                                  # outside the bounds


def test_log_normal_sigma_prior_in_closed_form_is_scipys():
    from gysim.posterior.priors import SigmaPrior

    for dist in (scipy.stats.lognorm(s=2.0, scale=0.05), scipy.stats.lognorm(s=0.3, scale=4.0)):
        p = SigmaPrior("x", dist)
        assert p._normal is not None
        z = np.array([-12.0, np.log(0.05), 0.0, 3.0])
        np.testing.assert_allclose(p.logpdf_log(z), dist.logpdf(np.exp(z)) + z, rtol=1e-12)
    shifted = SigmaPrior("x", scipy.stats.lognorm(s=1.0, scale=1.0, loc=0.5))   # not log-normal from 0
    assert shifted._normal is None
    assert SigmaPrior("x", scipy.stats.halfnorm(scale=0.1))._normal is None


def test_start_spread_by_a_covariance():
    """init_cov: the walkers' start has (about) the covariance given, around the values given."""
    from gysim.posterior.sampler import _spread

    m = gysim.Model("two", start=0, stop=10)
    m.stock("x", 1.0)
    m.param("r", 0.1, bounds=(-1.0, 1.0))
    m.param("k", 1.0, bounds=(0.0, 2.0))
    m.flow("inc", "r * k * x", into="x")
    cov = pd.DataFrame([[0.01**2, -0.9 * 0.01 * 0.05], [-0.9 * 0.01 * 0.05, 0.05**2]],
                       index=["r", "k"], columns=["r", "k"])
    lower, upper = np.array([-1.0, 0.0]), np.array([1.0, 2.0])
    np.testing.assert_allclose(_spread(cov, ["r", "k"], lower, upper), cov.to_numpy())
    np.testing.assert_allclose(_spread(cov.loc[["k", "r"], ["k", "r"]], ["r", "k"], lower, upper),
                               cov.to_numpy())
    # a mapping of sds; a parameter not named keeps the 1 % ball of its bounds
    np.testing.assert_allclose(_spread({"k": 0.05}, ["r", "k"], lower, upper),
                               np.diag([0.02**2, 0.05**2]))
    data = growth_data(r=0.2)
    post = gysim.sample_posterior(m, data, ["r", "k"], sigma=SIGMA, walkers=400, draws=1, tune=0,
                                  seed=3, init={"r": 0.2, "k": 1.0}, init_cov=cov, **OPTIONS)
    # the kept step moved some walkers, so compare loosely: the start's spread and correlation
    start = np.column_stack([post.posterior[n].values[:, 0] for n in ("r", "k")])
    assert np.corrcoef(start.T)[0, 1] < -0.7
    assert 0.005 < start[:, 0].std() < 0.02
    with pytest.raises(ParameterError, match="not a sampled parameter"):
        gysim.sample_posterior(m, data, ["r"], sigma=SIGMA, init="model", init_cov={"k": 0.1})
    with pytest.raises(ParameterError, match="positive semi-definite"):
        gysim.sample_posterior(m, data, ["r"], sigma=SIGMA, init="model", init_cov={"r": np.nan})
    with pytest.raises(ParameterError, match="not init='prior'"):
        gysim.sample_posterior(m, data, ["r"], sigma=SIGMA, init_cov={"r": 0.1})
    with pytest.raises(ParameterError, match="same names as index and columns"):
        gysim.sample_posterior(m, data, ["r", "k"], sigma=SIGMA, init="model",
                               init_cov=cov.loc[["k", "r"], ["r", "k"]])
