"""ALLOCATE BY PRIORITY, ALLOCATE AVAILABLE and INVERT MATRIX, from their definitions.

The known answers are worked out by hand from Vensim's description of the
allocation (each requester takes ``request * S((P - priority) / width)`` at
the market priority ``P`` where the allocations add up to the supply, ``S``
the profile's falling curve), or from the algebra of a 2 by 2 inverse.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import gysim
from gysim.allocation import allocate_available, allocate_by_priority
from gysim.vector_functions import invert_matrix, invert_matrix_element
from tests.test_vensim import write_mdl

# ---------------------------------------------------------------- ALLOCATE BY PRIORITY
REQ, PRIO = np.array([3.0, 6.0, 2.5, 2.0]), np.array([10.0, 9.0, 7.0, 2.0])


def test_by_priority_hand_computed():
    # width 3: at P in (8.5, 10.5) the first two take 3 (11.5 - P) / 3 and 6 (10.5 - P) / 3;
    # 32.5 - 3 P = 5 at P = 55/6, giving 7/3 and 8/3; the others nothing yet
    np.testing.assert_allclose(allocate_by_priority(REQ, PRIO, 3.0, 5.0),
                               [7 / 3, 8 / 3, 0, 0], rtol=1e-12, atol=1e-12)
    # supply 10: the first two filled (9); the third 2.5 (8.5 - P) / 3 = 1 at P = 7.3
    np.testing.assert_allclose(allocate_by_priority(REQ, PRIO, 3.0, 10.0), [3, 6, 1, 0],
                               rtol=1e-12, atol=1e-12)


def test_by_priority_supply_beyond_requests_and_zero_supply():
    np.testing.assert_array_equal(allocate_by_priority(REQ, PRIO, 3.0, 13.5), REQ)
    np.testing.assert_array_equal(allocate_by_priority(REQ, PRIO, 3.0, 1e9), REQ)  # no overfill
    np.testing.assert_array_equal(allocate_by_priority(REQ, PRIO, 3.0, 0.0), np.zeros(4))
    np.testing.assert_array_equal(allocate_by_priority(REQ, PRIO, 3.0, -2.0), np.zeros(4))


def test_by_priority_ties_share_in_proportion_to_requests():
    np.testing.assert_allclose(allocate_by_priority(np.array([2.0, 4.0]), np.array([1.0, 1.0]),
                                                    0.5, 3.0), [1, 2], rtol=1e-12)


def test_by_priority_a_gap_beyond_the_width_waits_for_the_higher():
    req, prio = np.array([5.0, 5.0]), np.array([10.0, 5.0])
    np.testing.assert_allclose(allocate_by_priority(req, prio, 2.0, 4.0), [4, 0], atol=1e-12)
    np.testing.assert_allclose(allocate_by_priority(req, prio, 2.0, 7.0), [5, 2], rtol=1e-12)
    # a zero request takes nothing, whatever its priority
    np.testing.assert_allclose(allocate_by_priority(np.array([0.0, 5.0]), prio, 2.0, 3.0),
                               [0, 3], rtol=1e-12, atol=1e-12)


def test_by_priority_is_vectorised_over_runs():
    supplies = np.array([0.0, 5.0, 10.0, 20.0])
    req = np.repeat(REQ[:, None], 4, axis=1)
    out = allocate_by_priority(req, PRIO[:, None], 3.0, supplies)
    assert out.shape == (4, 4)
    for r, s in enumerate(supplies):
        np.testing.assert_allclose(out[:, r], allocate_by_priority(REQ, PRIO, 3.0, s),
                                   rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out.sum(axis=0), np.minimum(supplies, REQ.sum()), rtol=1e-12)


def test_by_priority_missing_values_stay_in_their_run():
    req = np.array([[3.0, 3.0], [6.0, np.nan]])
    out = allocate_by_priority(req, np.array([[10.0], [9.0]]), 3.0, np.array([5.0, 5.0]))
    np.testing.assert_allclose(out[:, 0], [7 / 3, 8 / 3], rtol=1e-12)
    assert np.isnan(out[:, 1]).all()


def test_by_priority_bad_arguments():
    with pytest.raises(gysim.ModelDefinitionError, match="requests .* non-negative"):
        allocate_by_priority(np.array([-1.0, 2.0]), PRIO[:2], 1.0, 1.0)
    with pytest.raises(gysim.ModelDefinitionError, match="width .* positive"):
        allocate_by_priority(REQ, PRIO, 0.0, 1.0)


# ---------------------------------------------------------------- ALLOCATE AVAILABLE
def test_available_profiles_by_symmetry():
    # two requests of 10 at priorities +-c around 0, supply 10: by symmetry P = 0
    r = np.array([10.0, 10.0])
    phi1 = 0.5 * (1 + math.erf(1 / math.sqrt(2)))  # standard normal CDF at 1
    cases = {  # ptype: (centres, width, expected allocation of the first)
        1: ((0.5, -0.5), 2.0, 10 * 0.75),             # clip(1/2 - z): z = -1/4
        2: ((0.5, -0.5), 2.0, 10 * (1 - 2 * 0.25 ** 2)),  # triangular of base 2
        3: ((1.0, -1.0), 1.0, 10 * phi1),             # normal of sd 1
        4: ((1.0, -1.0), 1.0, 10 * (1 - 0.5 * math.exp(-1))),  # Laplace of scale 1
    }
    for ptype, (centres, width, first) in cases.items():
        out = allocate_available(r, ptype, np.array(centres), width, 10.0)
        # the normal curve is Vensim's approximation of the CDF (A&S 7.1.25, error < 1.3e-5)
        atol = 10 * 1.3e-5 if ptype == 3 else 1e-10
        np.testing.assert_allclose(out, [first, 10 - first], rtol=0, atol=atol,
                                   err_msg=str(ptype))
        assert out.sum() == pytest.approx(10.0, rel=1e-12)


SUITE = Path(__file__).resolve().parents[2] / "shared" / "sd-test-models-subscripts" / "tests"


@pytest.mark.skipif(not (SUITE / "allocate_available").is_dir(),
                    reason="sd-test-models-subscripts not available")
def test_available_mixed_profiles_match_vensim_output():
    # Vensim DSS 9.2.4's output for requests 500, 300, 750, 200 with profiles
    # (ptype, priority, width) (1, 3, 3), (2, 5, 2), (3, 2, 1), (4, 6, 2), supply 20 t
    import pandas as pd
    table = pd.read_csv(SUITE / "allocate_available" / "output.tab", sep="\t", index_col=0)
    columns = [f"allocation mixed[Boston,A,{s}]" for s in ("small", "medium", "large", "huge")]
    for t in (8.0, 24.0, 40.0):
        out = allocate_available(np.array([500.0, 300.0, 750.0, 200.0]), np.array([1, 2, 3, 4]),
                                 np.array([3.0, 5.0, 2.0, 6.0]), np.array([3.0, 2.0, 1.0, 2.0]),
                                 20 * t)
        # Vensim clears the market to about 4e-6 of the supply: agreement to 3e-5
        np.testing.assert_allclose(out, table.loc[t, columns].to_numpy(float), rtol=3e-5,
                                   atol=1e-5)


def test_available_vensim_example_rectangular():
    # Boston/Dayton/Fresno of Vensim's example (priorities 5, 7, 3; widths 2, 4, 4),
    # supply 500: Fresno takes nothing above P = 5; 250 (6 - P) + 75 (9 - P) = 500
    p = 1675 / 325
    out = allocate_available(np.array([500.0, 300.0, 750.0]), 1, np.array([5.0, 7.0, 3.0]),
                             np.array([2.0, 4.0, 4.0]), 500.0)
    np.testing.assert_allclose(out, [250 * (6 - p), 75 * (9 - p), 0], rtol=1e-10, atol=1e-9)


def test_available_normal_tails_give_everyone_something():
    out = allocate_available(np.array([10.0, 10.0]), 3, np.array([5.0, 0.0]), 1.0, 5.0)
    assert out[1] > 0 and out.sum() == pytest.approx(5.0, rel=1e-12)


def test_available_refuses_unsupported_profiles():
    r, p = np.array([1.0, 1.0]), np.array([1.0, 2.0])
    for ptype, words in ((0, "fixed quantity"), (5, "constant elasticity"),
                         (11, "integer allocations"), (7, "ptype 7 is not a profile")):
        with pytest.raises(gysim.ModelDefinitionError, match=words):
            allocate_available(r, ptype, p, 1.0, 1.0)


# ---------------------------------------------------------------- INVERT MATRIX
def test_invert_matrix_hand_computed_and_per_run():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])  # inverse: [[-2, 1], [3/2, -1/2]]
    np.testing.assert_allclose(invert_matrix(a), [[-2, 1], [1.5, -0.5]], rtol=1e-12)
    # entries as arrays over two runs; run 1 is the diagonal matrix diag(2, 4)
    entries = [np.array([1.0, 2.0]), np.array([2.0, 0.0]), np.array([3.0, 0.0]),
               np.array([4.0, 4.0])]
    np.testing.assert_allclose(invert_matrix_element(0, 0, 2, *entries), [-2, 0.5])
    np.testing.assert_allclose(invert_matrix_element(1, 1, 2, *entries), [-0.5, 0.25])
    rng = np.random.default_rng(0)
    b = rng.normal(size=(5, 3, 3)) + 3 * np.eye(3)
    np.testing.assert_allclose(invert_matrix(b) @ b, np.broadcast_to(np.eye(3), b.shape),
                               atol=1e-12)


def test_invert_matrix_singular_and_missing():
    entries = [np.array([1.0, 1.0]), np.array([2.0, 2.0]), np.array([3.0, 2.0]),
               np.array([4.0, 4.0])]  # run 1: rows (1, 2) and (2, 4)
    with pytest.raises(gysim.SimulationError, match=r"singular .*run\(s\) \[1\]"):
        invert_matrix_element(0, 0, 2, *entries)
    out = invert_matrix(np.array([[np.nan, 0.0], [0.0, 1.0]]))
    assert np.isnan(out).all()
    with pytest.raises(gysim.SimulationError, match="square"):
        invert_matrix(np.ones((2, 3)))


# ---------------------------------------------------------------- read from Vensim
MODEL = """
branch: Boston, Dayton, Fresno ~~|
pprofile: ptype, ppriority, pwidth, pextra ~~|
demand[branch] = 500, 300, 750 ~ Widget/Month ~|
priority[Boston, pprofile] = 1, 5, 2, 0 ~~|
priority[Dayton, pprofile] = 1, 7, 4, 0 ~~|
priority[Fresno, pprofile] = 1, 3, 4, 0 ~~|
supply available = RAMP(100, 0, 20) ~~|
shipments[branch] = ALLOCATE AVAILABLE(demand[branch], priority[branch, ptype],\\
 supply available) ~~|
prio[branch] = 5, 7, 3 ~~|
by priority[branch] = ALLOCATE BY PRIORITY(demand[branch], prio[branch], ELMCOUNT(branch), 2,\\
 supply available) ~~|
d: d1, d2 ~~|
e: e1, e2 ~~|
m[d1, e1] = 1 ~~|
m[d1, e2] = 2 ~~|
m[d2, e1] = 3 ~~|
m[d2, e2] = k ~~|
k = 4 ~~|
inv[d, e] = INVERT MATRIX(m[d, e], 2) ~~|
"""


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    return write_mdl(tmp_path_factory.mktemp("alloc"), MODEL, stop=20, saveper=5)


def test_vensim_file_reads_and_allocates(model_path):
    ds = gysim.simulate(gysim.read_vensim(model_path))
    ship = np.stack([ds[f"shipments_{b}"].values for b in ("boston", "dayton", "fresno")])
    by = np.stack([ds[f"by_priority_{b}"].values for b in ("boston", "dayton", "fresno")])
    supply = ds.supply_available.values  # 0, 500, 1000, 1500, 2000
    p = 1675 / 325
    np.testing.assert_allclose(ship[:, 1], [250 * (6 - p), 75 * (9 - p), 0], rtol=1e-9)
    # by priority, width 2: Dayton (7) first, filled at P = 6; then Boston: 250 (6 - P) = 200
    np.testing.assert_allclose(by[:, 1], [200, 300, 0], rtol=1e-9, atol=1e-9)
    for alloc in (ship, by):
        np.testing.assert_allclose(alloc.sum(axis=0), np.minimum(supply, 1550), rtol=1e-9)
        np.testing.assert_allclose(alloc[:, -1], [500, 300, 750])  # 2000 > 1550: all filled
    np.testing.assert_allclose([ds[f"inv_{i}_{j}"].values[0] for i in ("d1", "d2")
                                for j in ("e1", "e2")], [-2, 1, 1.5, -0.5], rtol=1e-12)
    assert gysim.check_model(model_path).ok


def test_vensim_singular_matrix_is_a_clear_error(model_path):
    m = gysim.read_vensim(model_path)
    with pytest.raises(gysim.SimulationError, match="singular"):
        gysim.simulate(m, params={"k": 6.0})


def test_vensim_matrix_needs_two_ranges(tmp_path):
    body = "d: d1, d2 ~~|\nm[d, d] = 1 ~~|\ninv[d, d] = INVERT MATRIX(m[d, d], 2) ~~|\n"
    report = gysim.check_model(write_mdl(tmp_path, body))
    assert [f.element for f in report.findings] == ["inv"]
    assert report.findings[0].construct == "INVERT MATRIX"
    assert "copy of the range" in report.findings[0].message
