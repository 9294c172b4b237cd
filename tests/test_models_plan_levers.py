"""The plan scenario's levers: models/plan_levers.py (the search) and models/plan_levers.json (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import gysim
from gysim.registry import models_module

ROOT = Path(__file__).resolve().parents[1]
DRAWS = ROOT / "calibration" / "posterior_draws.nc"


@pytest.fixture(scope="module")
def pl():
    return models_module("plan_levers")


@pytest.fixture(scope="module")
def record():
    return json.loads(models_module("_plan").LEVERS_FILE.read_text(encoding="utf-8"))


# -- the order-statistic margin -------------------------------------------------------------

@pytest.mark.parametrize("k", [1, 5, 40, 200])
@pytest.mark.parametrize("q", [0.1, 0.5, 0.9])
def test_coverage_of_the_largest_and_smallest_order_statistic(pl, k, q):
    # r = k (every draw meets): coverage ~ Beta(k, 1), CDF x^k, so the q-quantile is q^(1/k);
    # r = 1 (one draw meets): Beta(1, k), CDF 1 - (1 - x)^k, quantile 1 - (1 - q)^(1/k)
    assert pl.coverage_quantile(k, k, q) == pytest.approx(q ** (1 / k), rel=1e-9)
    assert pl.coverage_quantile(k, 1, q) == pytest.approx(1 - (1 - q) ** (1 / k), rel=1e-9)


def test_coverage_matches_a_simulation_of_the_order_statistic(pl):
    # uniform margins: the 160th largest of 200 draws leaves a share 1 - U_(41) above it
    rng = np.random.default_rng(5)
    u = np.sort(rng.uniform(size=(20000, 200)), axis=1)
    coverage = 1 - u[:, 200 - 160]
    assert np.quantile(coverage, 0.1) == pytest.approx(pl.coverage_quantile(200, 160, 0.1),
                                                       abs=0.003)
    assert coverage.mean() == pytest.approx(160 / 201, abs=0.001)


@pytest.mark.parametrize("k, r, q", [(10, 0, 0.5), (10, 11, 0.5), (10, 5, 0.0), (10, 5, 1.0),
                                     (10, 2.5, 0.5)])
def test_coverage_refuses_bad_arguments(pl, k, r, q):
    with pytest.raises(gysim.ParameterError, match="`r`|`q`"):
        pl.coverage_quantile(k, r, q)


# -- draws: digest and split ----------------------------------------------------------------

def _draws(chains=4, draws=30):
    values = np.arange(chains * draws, dtype=float).reshape(chains, draws)
    return xr.Dataset({"a": (("chain", "draw"), values), "b": (("chain", "draw"), -values)})


def test_draws_digest_follows_the_values_not_their_order_or_container(pl, tmp_path):
    d = _draws()
    swapped = xr.Dataset({"b": d["b"], "a": d["a"]})
    assert pl.draws_digest(d) == pl.draws_digest(swapped)
    d.to_netcdf(tmp_path / "d.nc")
    with xr.open_dataset(tmp_path / "d.nc") as read:
        assert pl.draws_digest(read.load()) == pl.draws_digest(d)
    changed = d.copy(deep=True)
    changed["a"][0, 0] = 0.5
    assert pl.draws_digest(changed) != pl.draws_digest(d)


def test_split_draws_holds_out_a_thinned_grid_and_searches_the_rest(pl):
    d = _draws(4, 30)
    search, held, coords = pl.split_draws(d, 50, 10, np.random.default_rng(1))
    # held out: draws 9, 19, 29 of each of the 4 chains, in (chain, draw) order
    assert coords["draw"].tolist() == [9, 19, 29] * 4
    assert coords["chain"].tolist() == [0] * 3 + [1] * 3 + [2] * 3 + [3] * 3
    np.testing.assert_array_equal(held["a"], 30 * coords["chain"] + coords["draw"])
    np.testing.assert_array_equal(held["b"], -held["a"])
    # search: 50 distinct draws, none held out, the variables kept together
    assert len(set(search["a"])) == 50 and not set(search["a"]) & set(held["a"])
    np.testing.assert_array_equal(search["b"], -search["a"])
    # the same seed, the same split
    again, _, _ = pl.split_draws(d, 50, 10, np.random.default_rng(1))
    np.testing.assert_array_equal(again["a"], search["a"])


def test_split_draws_refuses_what_it_cannot_do(pl):
    d = _draws(2, 10)
    with pytest.raises(gysim.ParameterError, match="`n_search` must be in 1..16"):
        pl.split_draws(d, 17, 5, np.random.default_rng(0))  # 2 x 10 draws, 4 held out
    with pytest.raises(gysim.ParameterError, match="`thin`"):
        pl.split_draws(d, 5, 0, np.random.default_rng(0))
    with pytest.raises(gysim.DataError, match=r"dims \(chain, draw\)"):
        pl.split_draws(d.stack(sample=("chain", "draw")).reset_index("sample"), 5, 5,
                       np.random.default_rng(0))


def test_warm_start_is_a_cloud_around_the_point_within_the_bounds(pl):
    levers = {"x_plan": (0.0, 1.0), "y_plan": (-2.0, 2.0)}
    pop = pl.warm_start({"x_plan": 0.99, "y_plan": 0.0}, levers, 5, np.random.default_rng(0))
    assert pop.shape == (10, 2)
    assert pop[0].tolist() == [0.99, 0.0]
    assert (pop[:, 0] <= 1.0).all() and (pop[:, 0] >= 0.99 - 0.05).all()
    assert (np.abs(pop[:, 1]) <= 0.05 * 4).all()


def test_effort_is_the_cost_expression_evaluated(pl):
    model = gysim.load_model("guiyang")
    levers = pl.plan_levers(model)
    values = {n: (lo + hi) / 2 for n, (lo, hi) in levers.items()}
    # by hand: the sum of |mid - base| / range
    expected = sum(abs(values[n] - model.params[n[:-5]].value) / (hi - lo)
                   for n, (lo, hi) in levers.items())
    assert pl.effort(values, model, levers) == pytest.approx(expected, rel=1e-12)
    cost = pl.effort_cost(model, levers)
    assert cost.count("abs(") == len(levers) == 9


# -- the stored levers and the plan scenario ------------------------------------------------

def test_the_plan_scenario_uses_the_stored_levers_and_the_hand_solved_stay_available(record):
    guiyang = models_module("guiyang")
    plan = models_module("_plan")
    model = gysim.load_model("guiyang")
    stored = plan.stored_levers()
    assert stored == record["levers"]
    assert sorted(stored) == sorted(models_module("plan_levers").plan_levers(model))
    for name, value in stored.items():
        assert model.params[name].value == value, name
    # the hand-solved levers: the sector modules' defaults, kept by the uncalibrated model
    hand = guiyang.hand_set_levers()
    uncalibrated = gysim.load_model("guiyang", calibrated=False)
    assert hand == {n: uncalibrated.params[n].value for n in stored}
    assert hand["birth_rate_plan"] == models_module("population").build().params[
        "birth_rate_plan"].value
    assert any(hand[n] != stored[n] for n in stored)
    # the plan scenario runs the stored levers: the same as setting them by hand
    by_hand = gysim.simulate(uncalibrated.with_params(
        {**{n: model.params[n].value for n in model.params if n not in stored}, **stored}),
        scenario="plan", method="rk4", dt=0.25)
    run = gysim.simulate(model, scenario="plan", method="rk4", dt=0.25)
    np.testing.assert_allclose(run.gdp, by_hand.gdp, rtol=1e-12)


def test_the_stored_record_says_how_it_was_made(record):
    s = record["settings"]
    assert s["probability"] == 0.8 and s["samples"] >= 200 and isinstance(s["seed"], int)
    assert record["uncertainty"]["kind"] == "posterior"
    assert len(record["uncertainty"]["sha256_of_values"]) == 64
    assert record["uncertainty"]["draws_per_chain"] == 1500  # calibration/posterior.py's DRAWS
    assert record["created"].endswith("Z")
    assert set(record["targets"]) == {t.name for t in models_module("_plan").targets()}
    kept = {n: r for n, r in record["targets"].items() if not (r["unreachable"] or r["conflicting"])}
    # "feasible" says whether every kept target holds in >= 80 % of the search draws
    assert record["feasible"] == all(r["share_search"] >= 0.8 - 1e-12 for r in kept.values())
    for name, row in record["targets"].items():
        assert 0 <= row["P_found"] <= 1 and 0 <= row["P_baseline"] <= 1, name
        assert row["best_screen"] >= 0 and not (row["unreachable"] and row["conflicting"]), name
    assert record["effort"]["found"] > 0


def test_stored_levers_reads_checks_and_warns(tmp_path):
    plan = models_module("_plan")
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"levers": {"birth_rate_plan": 0.0118}, "seed": 1}))
    assert plan.stored_levers(good) == {"birth_rate_plan": 0.0118}
    with pytest.warns(UserWarning, match="keeps the hand-solved levers"):
        assert plan.stored_levers(tmp_path / "missing.json") == {}
    for content, match in [("{", "not valid JSON"), ('{"levers": {}}', 'object "levers"'),
                           ('{"levers": {"birth_rate": 0.01}}', "not a plan lever"),
                           ('{"levers": {"birth_rate_plan": "x"}}', "finite number"),
                           ('{"levers": {"birth_rate_plan": true}}', "finite number")]:
        bad = tmp_path / "bad.json"
        bad.write_text(content)
        with pytest.raises(gysim.DataError, match=match):
            plan.stored_levers(bad)


@pytest.mark.skipif(not DRAWS.is_file(), reason="calibration/posterior.py has not written the draws")
def test_the_stored_probabilities_are_reproduced_from_the_posterior(pl, record):
    """With the same draws, the held-out check gives the recorded probabilities (not re-searched)."""
    with xr.open_dataset(DRAWS) as opened:
        draws = opened.load()
    if pl.draws_digest(draws) != record["uncertainty"]["sha256_of_values"]:
        pytest.skip("calibration/posterior_draws.nc is not the posterior the levers were found on")
    s = record["settings"]
    rng = np.random.default_rng(s["seed"])
    _, held, coords = pl.split_draws(draws, s["samples"], s["thin"], rng)
    assert len(coords["chain"]) == draws.sizes["chain"] * (draws.sizes["draw"] // s["thin"])
    model = gysim.load_model("guiyang")
    targets = [t for t in models_module("_plan").targets(model)
               if t.name in ("energy_per_gdp_2010_vs_2005", "gdp_2010")]
    ds = gysim.simulate(model, scenario="plan", params=held, **pl.CHECK_METHOD)
    table = gysim.check_targets(ds, targets)
    for t in targets:
        assert float(table.loc[t.name, "share_met"]) == pytest.approx(
            record["targets"][t.name]["P_found"], abs=1e-12), t.name
