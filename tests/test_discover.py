"""gysim.discover: PRIM and CART find planted boxes; inputs from Datasets; errors."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

import gysim
from gysim.discover import choose, prim_peel
from gysim.errors import DataError, ParameterError

matplotlib.use("Agg")

#: The planted box: y is True for 0.3 < b < 0.7 and d > 0.6 (2 of 5 uniform inputs).
TRUTH = {"b": (0.3, 0.7), "d": (0.6, 1.0)}


def planted(n=3000, noise=0.05, seed=3):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.uniform(size=(n, 5)), columns=list("abcde"))
    inside = np.ones(n, dtype=bool)
    for name, (lo, hi) in TRUTH.items():
        inside &= (X[name] > lo) & (X[name] < hi)
    flip = rng.uniform(size=n) < noise       # 5 % of the labels wrong, inside and out
    return X, inside ^ flip, inside


@pytest.mark.parametrize("method", ["prim", "cart"])
def test_planted_box_is_found(method):
    X, y, inside = planted()
    box = gysim.discover(X, y, method)
    assert sorted(box.limits.index) == ["b", "d"]
    for name, (lo, hi) in TRUTH.items():
        assert box.limits.loc[name, "lower"] == pytest.approx(lo, abs=0.03)
        assert box.limits.loc[name, "upper"] == pytest.approx(hi, abs=0.03)
    # the true box holds 16 % of the runs; with 5 % noise its density is about 0.9 and it
    # covers about 0.78 of the cases (the rest are noise outside it)
    assert box.density > 0.85 and box.coverage > 0.7
    assert box.mass == pytest.approx(inside.mean(), abs=0.02)
    # the statistics are those of the box's runs
    sel = box.inside(X)
    assert box.density == pytest.approx(y[sel].mean())
    assert box.coverage == pytest.approx(y[sel].sum() / y.sum())
    assert box.plot().get_ylabel() == "density"


def test_prim_trajectory():
    X, y, _ = planted()
    box = gysim.discover(X, y, "prim", alpha=0.05, mass_min=0.05)
    t = box.trajectory
    assert t.iloc[0].coverage == 1.0 and t.iloc[0].mass == 1.0
    assert np.all(np.diff(t["mass"]) < 0)                       # every peel removes runs
    assert np.all(np.diff(t["coverage"]) <= 1e-12)
    assert t["mass"].iloc[-1] >= 0.05 and t["mass"].iloc[-1] < 0.05 / 0.95 + 0.01
    assert {"b_lower", "b_upper", "n_restricted"} <= set(t.columns)


def test_prim_peels_by_hand():
    # x = 0..9, cases x >= 8; alpha = 0.1 peels one run at the low end each step
    X = pd.DataFrame({"x": np.arange(10.0), "z": np.zeros(10) + np.arange(10) % 2})
    t, boxes = prim_peel(X, np.arange(10) >= 8, alpha=0.1, mass_min=0.2)
    assert [b[0][0] for b in boxes] == [0, 1, 2, 3, 4, 5, 6, 7, 8]
    assert t["density"].round(4).tolist() == [0.2, 0.2222, 0.25, 0.2857, 0.3333, 0.4, 0.5,
                                              0.6667, 1.0]


def test_choose_balances_coverage_and_density():
    t = pd.DataFrame({"coverage": [1.0, 0.8, 0.4], "density": [0.2, 0.9, 1.0]})
    # F1: 0.333, 0.847, 0.571
    assert choose(t, 0.5) == 1 and choose(t, 0.95) == 2 and choose(t, 1.1 - 0.1) == 2
    assert choose(pd.DataFrame({"coverage": [1.0], "density": [0.3]}), 0.8) == 0


def test_ensemble_dataset_as_inputs():
    m = gysim.Model("growth", start=0, stop=10)
    m.stock("x", 1.0)
    m.param("r", 0.05, bounds=(0, 0.2))
    m.param("s", 1.0, bounds=(0, 2))
    m.flow("gain", "r * x", into="x")
    rng = np.random.default_rng(0)
    ds = gysim.simulate(m, params={"r": rng.uniform(0, 0.2, 500), "s": rng.uniform(0, 2, 500)},
                        method="euler", dt=0.5)
    missed = (ds.x.sel(time=10) < 2).values        # doubling missed iff r < ~0.072 (Euler)
    box = gysim.discover(ds, missed)
    assert list(box.limits.index) == ["r"]
    r_star = float(ds.r.values[~missed].min())
    assert box.limits.loc["r", "upper"] == pytest.approx(r_star, abs=0.005)
    assert box.density > 0.95 and box.coverage > 0.95   # up to the peels' granularity


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(method="tree"), ParameterError, "`method`"),
    (dict(threshold=0), ParameterError, "`threshold`"),
    (dict(alpha=0.7), ParameterError, "`alpha`"),
    (dict(mass_min=1.5), ParameterError, "`mass_min`"),
    (dict(method="cart", max_depth=0), ParameterError, "`max_depth`"),
])
def test_option_errors(kwargs, error, match):
    X, y, _ = planted(n=200)
    with pytest.raises(error, match=match):
        gysim.discover(X, y, **kwargs)


def test_input_errors():
    X, y, _ = planted(n=200)
    with pytest.raises(DataError, match="one boolean per run"):
        gysim.discover(X, y[:-1])
    with pytest.raises(DataError, match="no True"):
        gysim.discover(X, np.zeros(200, dtype=bool))
    with pytest.raises(DataError, match="booleans"):
        gysim.discover(X, np.full(200, 0.5))
    with pytest.raises(DataError, match="not numeric: name"):
        gysim.discover(X.assign(name="x"), y)
    with pytest.raises(DataError, match="finite"):
        gysim.discover(X.assign(a=np.nan), y)
    with pytest.raises(DataError, match="DataFrame"):
        gysim.discover(X.to_numpy(), y)
    with pytest.raises(DataError, match="no numeric parameter"):
        m = gysim.Model("one", start=0, stop=1)
        m.stock("x", 1.0)
        gysim.discover(gysim.simulate(m), y)
