"""gysim.optimize: chance-constrained lever optimisation with known answers, fronts, errors."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import gysim
from gysim.errors import DataError, ModelDefinitionError, ParameterError
from gysim.lever_problem import LeverProblem, as_samples

pytest.importorskip("pymoo")

FAST = {"method": "euler", "dt": 1}


def chance_model():
    m = gysim.Model("chance", start=0, stop=1)
    m.param("L", 1.0, bounds=(0, 10))
    m.param("k", 1.0, bounds=(0, 2))
    m.aux("y", "10 * L * k")
    return m


Y50 = gysim.Target("y", 50, "at_least", variable="y", years=(0,))


def lp_model():
    m = gysim.Model("lp", start=0, stop=1)
    m.param("a", 1.0, bounds=(0, 10))
    m.param("b", 1.0, bounds=(0, 10))
    m.aux("y1", "a + 2 * b")
    m.aux("y2", "a + b")
    m.aux("y3", "a - b")
    return m


LP_TARGETS = [gysim.Target("y1", 10, "at_least", variable="y1", years=(0,)),
              gysim.Target("y2", 7, "at_least", variable="y2", years=(0,))]


def test_chance_constraint_known_answer():
    # P(10 L k >= 50) = P(k >= 5/L) = (1.2 - 5/L) / 0.4 for k ~ U(0.8, 1.2): >= 0.9 iff
    # 5/L <= 0.84, so the least L is 5 / 0.84 = 5.95238...
    exact = 5 / (0.8 + 0.1 * 0.4)
    assert exact == pytest.approx(5.952, abs=5e-4)
    k = np.random.default_rng(42).uniform(0.8, 1.2, 4000)
    res = gysim.optimize(chance_model(), {"L": (1, 10)}, [Y50], minimize="L",
                         uncertain={"k": k}, probability=0.9, seed=3, **FAST)
    assert res.success
    assert res.levers["L"] == pytest.approx(exact, rel=0.02)
    # and, for these samples, the least L at which 3600 of the 4000 meet it: 5 / k_(3600)
    sample_exact = 5 / np.sort(k)[::-1][3599]
    assert res.levers["L"] == pytest.approx(sample_exact, rel=2e-3)
    assert res.levers["L"] >= sample_exact * (1 - 1e-9)
    row = res.table.loc["y"]
    assert row.share_met >= 0.9 and row.share_met < 0.905
    assert res.binding == ["y"] and res.unreachable == []
    assert res.objective == pytest.approx(res.levers["L"])
    # the model with the lever applied
    assert float(res.model.params["L"].value) == pytest.approx(res.levers["L"])
    # one ensemble of population x samples runs per generation (+ set-up and final runs)
    assert res.n_runs % 4000 == 0 and res.n_calls <= len(res.history) + 3


def test_deterministic_linear_programme():
    # min 3a + 4b s.t. a + 2b >= 10, a + b >= 7 (0 <= a, b <= 10): the vertices are
    # (0, 7) -> 28, (4, 3) -> 24, (10, 0) -> 30, so a = 4, b = 3, cost 24.
    targets = LP_TARGETS + [gysim.Target("y3", 9, "at_most", variable="y3", years=(0,))]
    res = gysim.optimize(lp_model(), {"a": None, "b": (0, 10)}, targets,
                         minimize="3 * a + 4 * b", seed=5, tol=1e-7, **FAST)
    assert res.success
    assert res.levers["a"] == pytest.approx(4, abs=0.04)
    assert res.levers["b"] == pytest.approx(3, abs=0.03)
    assert res.objective == pytest.approx(24, rel=1e-3)
    assert sorted(res.binding) == ["y1", "y2"]       # y3 = 1 is far below 9: not binding
    assert res.table.loc["y3", "margin"] == pytest.approx((9 - 1) / 9, abs=0.02)
    assert list(res.table["share_met"]) == [1.0, 1.0, 1.0]
    best = res.history["best_objective"].to_numpy()
    assert np.all(np.diff(best[np.isfinite(best)]) <= 1e-12)   # elitist: never worse


def test_same_seed_same_answer_and_callable_objective():
    kw = dict(minimize=lambda ds: ds.y1.sel(time=0) + ds.y2.sel(time=0), seed=11,
              generations=20, **FAST)
    r1 = gysim.optimize(lp_model(), {"a": None, "b": None}, LP_TARGETS, **kw)
    r2 = gysim.optimize(lp_model(), {"a": None, "b": None}, LP_TARGETS, **kw)
    assert r1.levers == r2.levers
    # cost 2a + 3b under the same constraints: vertices (0,7) 21, (4,3) 17, (10,0) 20
    assert r1.objective == pytest.approx(17, rel=0.02)


def test_expected_cost_and_posterior_protocols():
    k = np.linspace(0.8, 1.2, 9)
    base = dict(minimize="L * k", probability=0.5, seed=1, generations=30, **FAST)
    res = gysim.optimize(chance_model(), {"L": (1, 10)}, [Y50], uncertain={"k": k}, **base)
    # median of the 9 k is 1.0: P >= 0.5 needs 5 of 9 with 10 L k >= 50, so L = 5;
    # the cost is the mean of L * k over the samples, L * 1.0
    assert res.levers["L"] == pytest.approx(5.0, rel=5e-3)
    assert res.objective == pytest.approx(res.levers["L"] * k.mean())

    class Draws:
        def draws(self, n):
            return {"k": k[:n]}

    class Posterior:
        posterior = xr.Dataset({"k": (("chain", "draw"), k.reshape(3, 3))})

    for source in (Draws(), Posterior()):
        other = gysim.optimize(chance_model(), {"L": (1, 10)}, [Y50], uncertain=source,
                               n_samples=9, **base)
        assert other.levers == res.levers
        assert np.array_equal(other.samples["k"], k)


def test_margins_and_shares_by_hand():
    m = chance_model()
    k = np.array([0.9, 1.0, 1.1, 1.2])
    targets = [gysim.Target("most", 55, "at_most", variable="y", years=(0,)),
               gysim.Target("band", 50, "about", variable="y", years=(0,), tolerance=0.1)]
    pb = LeverProblem(m, {"L": (1, 10)}, targets, ["L"], samples={"k": k}, probability=0.5,
                      simulate_options=FAST)
    ev = pb.evaluate(np.array([[5.0]]))      # y = 45, 50, 55, 60
    # at_most 55: met by 45, 50, 55 (3 of 4); margins 10, 5, 0, -5, 2nd largest 5 -> 5/55
    assert ev.shares[0, 0] == 0.75 and ev.margins[0, 0] == pytest.approx(5 / 55)
    # about 50 +- 5: met by 45, 50, 55; margins 0, 5, 0, -5 -> 2nd largest 0
    assert ev.shares[0, 1] == 0.75 and ev.margins[0, 1] == pytest.approx(0, abs=1e-8)
    assert ev.quantiles[0, 0] == pytest.approx(50) and ev.medians[0, 0] == pytest.approx(52.5)


def test_unreachable_target_is_reported():
    impossible = gysim.Target("y_huge", 500, "at_least", variable="y", years=(0,))
    res = gysim.optimize(chance_model(), {"L": (1, 10)}, [Y50, impossible], minimize="L",
                         uncertain={"k": np.linspace(0.8, 1.2, 20)}, probability=0.8,
                         seed=0, generations=15, **FAST)
    assert not res.success
    assert res.unreachable == ["y_huge"]
    assert "y_huge" in res.message
    assert not res.table.loc["y_huge", "met"]


def test_scenario_and_fixed_params_apply_under_the_levers():
    m = chance_model()
    m.scenario("double", {"k": 2.0})
    res = gysim.optimize(m, {"L": (1, 10)}, [Y50], minimize="L", scenario="double", seed=0,
                         generations=30, **FAST)
    assert res.levers["L"] == pytest.approx(2.5, rel=5e-3)     # 10 * L * 2 >= 50
    res = gysim.optimize(m, {"L": (1, 10)}, [Y50], minimize="L", seed=0, generations=30,
                         params={"k": 0.5}, **FAST)
    assert res.levers["L"] == pytest.approx(10.0, rel=5e-3)    # on the bound: 10 * 10 * 0.5


def test_pareto_front_is_known():
    # Schaffer's problem: f1 = x^2, f2 = (x - 2)^2. The front is x in [0, 2],
    # f2 = (sqrt(f1) - 2)^2; with f2 <= 1 (x >= 1) only x in [1, 2] remains.
    m = gysim.Model("schaffer", start=0, stop=1)
    m.param("x", 0.0, bounds=(-5, 5))
    m.aux("f2", "(x - 2) ** 2")
    objectives = {"f1": "x ** 2", "f2": lambda ds: ds.f2.sel(time=0)}
    res = gysim.optimize(m, {"x": (-5, 5)}, minimize=objectives, seed=1, generations=60,
                         population=40, **FAST)
    front = res.front
    assert isinstance(front, xr.Dataset) and front.sizes["point"] >= 20
    x = front.x.values
    assert np.all((x > -0.02) & (x < 2.02))
    # each point is x with its objectives; all of them on the front (x in [0, 2], up to
    # the search's resolution) and spread along it
    np.testing.assert_allclose(front.f1.values, x ** 2, rtol=1e-12)
    np.testing.assert_allclose(front.f2.values, (x - 2) ** 2, rtol=1e-12)
    assert front.f1.min() < 0.01 and front.f1.max() > 3.9
    assert np.all(np.diff(front.f1.values) >= 0)
    assert res.plot().get_xlabel() == "f1"
    cons = gysim.optimize(m, {"x": (-5, 5)}, [gysim.Target("f2", 1, "at_most", variable="f2",
                                                           years=(0,))],
                          minimize=objectives, seed=1, generations=60, population=40, **FAST)
    x = cons.front.x.values
    assert np.all((x > 1 - 1e-9) & (x < 2.02)) and x.min() < 1.01
    assert cons.success and 1 <= cons.levers["x"] <= 2


def test_samples_protocol_errors():
    with pytest.raises(DataError, match="same number of samples"):
        as_samples({"a": [1.0, 2.0], "b": [1.0]})
    with pytest.raises(DataError, match="finite"):
        as_samples({"a": [1.0, np.nan]})
    with pytest.raises(DataError, match="draws"):
        as_samples(42)
    assert as_samples({"a": np.arange(50.0)}, 10, seed=3)["a"].tolist() == \
        as_samples({"a": np.arange(50.0)}, 10, seed=3)["a"].tolist()


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(probability=0.9), ParameterError, "needs `uncertain`"),
    (dict(uncertain={"k": [1.0, 1.1]}), ParameterError, "needs `probability"),
    (dict(uncertain={"k": [1.0, 1.1]}, probability=1.5), ParameterError, r"\(0, 1\]"),
    (dict(uncertain={"L": [1.0, 1.1]}, probability=0.5), ParameterError, "also a lever"),
    (dict(uncertain={"kk": [1.0, 1.1]}, probability=0.5), ParameterError, "'k'"),
    (dict(minimize=None), DataError, "`minimize` must be given"),
    (dict(minimize="L + cost"), DataError, "'cost' is not a parameter"),
    (dict(minimize="L if k > 1 else 0"), DataError, "comparisons"),
    (dict(minimize="floor(L)"), DataError, "can call"),
    (dict(minimize="L +"), DataError, "minimize"),
    (dict(minimize=3), DataError, "a string, a callable"),
    (dict(params={"L": 2.0}), ParameterError, "optimize sets"),
    (dict(on_error="raise"), ParameterError, "`on_error`"),
    (dict(generations=0), ParameterError, "`generations`"),
    (dict(solver_options={"popsize": 3}), ParameterError, "set by optimize"),
    (dict(scenario="nope"), ParameterError, "no scenario"),
])
def test_errors(kwargs, error, match):
    options = dict(minimize="L", **FAST)
    options.update(kwargs)
    with pytest.raises(error, match=match):
        gysim.optimize(chance_model(), {"L": (1, 10)}, [Y50], **options)


@pytest.mark.parametrize("levers, match", [
    ({}, "non-empty mapping"),
    ({"Lx": (1, 2)}, "'L'"),
    ({"L": (1, 20)}, "beyond the parameter's bounds"),
    ({"L": (3, 2)}, "lo < hi"),
    ({"L": "ab"}, r"\(lo, hi\)"),
])
def test_lever_errors(levers, match):
    with pytest.raises(ParameterError, match=match):
        gysim.optimize(chance_model(), levers, [Y50], minimize="L", **FAST)


def test_other_input_errors():
    with pytest.raises(ModelDefinitionError, match="`model`"):
        gysim.optimize("m", {"L": (1, 2)}, [Y50], minimize="L")
    with pytest.raises(DataError, match="Target"):
        gysim.optimize(chance_model(), {"L": (1, 2)}, ["y >= 50"], minimize="L")
    with pytest.raises(DataError, match="differ"):
        gysim.optimize(chance_model(), {"L": (1, 2)}, minimize=["L", "L"])


def test_plan_levers_effort_cost_is_the_normalised_distance():
    plan_levers = pytest.importorskip("gysim_models.plan_levers")
    model = gysim.load_model("guiyang")
    levers = plan_levers.plan_levers(model)
    assert len(levers) == 9 and all(name.endswith("_plan") for name in levers)
    cost = LeverProblem(model, levers, [], [plan_levers.effort_cost(model, levers)]).objectives[0]
    base = np.array([[float(model.params[n[:-5]].value) for n in levers]])
    assert cost(base, None) == pytest.approx(0, abs=1e-12)
    # one lever moved by a quarter of its range, the others at their 2001-2005 values
    moved = base.copy()
    lo, hi = levers["sewage_capacity_construction_plan"]
    j = list(levers).index("sewage_capacity_construction_plan")
    moved[0, j] += 0.25 * (hi - lo)
    assert float(np.ravel(cost(moved, None))[0]) == pytest.approx(0.25)
