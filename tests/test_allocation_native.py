"""ALLOCATE AVAILABLE and ALLOCATE BY PRIORITY along a dimension, from their definition.

Each requester ``i`` takes ``request_i * S((P - priority_i) / width_i)`` at the
market priority ``P`` where the takes add up to the supply (``S`` the
profile's falling curve: rectangular ``clip(1/2 - z, 0, 1)``); a supply of at
least the total request fills every request, none beyond it. The expected
values are worked out by hand from that; the engine computes them along one
dimension for every other dimension and run at once, and the reader writes
Vensim's calls as one such call (no element-by-element fallback).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import gysim
from gysim.allocation import allocate_available_along, allocate_by_priority_along
from tests.test_vensim import write_mdl

SUITE = Path(__file__).resolve().parents[2] / "shared" / "sd-test-models-subscripts"


def model(supply, request=(4.0, 8.0), priority=(6.0, 4.0), width=4.0, ptype=1.0):
    """Two requesters along ``branch``, in two regions; the supply per region."""
    m = gysim.Model("alloc", start=0, stop=1, dt=1, method="euler")
    m.dimension("region", ["north", "south"])
    m.dimension("branch", ["x", "y"])
    m.param("request", np.array(request), dims="branch")
    m.param("priority", np.array(priority), dims="branch")
    m.param("width", width)
    m.param("ptype", ptype)
    m.param("supply", np.array(supply, dtype=float), dims="region")
    m.aux("ship", "allocate_available(request, ptype, priority, width, supply, branch)",
          dims=("region", "branch"))
    return m


def shipped(m, **kwargs):
    ds = gysim.simulate(m, **kwargs)
    return ds, ds["ship"].isel(time=0).transpose(..., "region", "branch").values


# ---------------------------------------------------------------- the engine's builtin
def test_rectangular_closed_form():
    # x (priority 6) is full for P <= 4, empty from 8: takes 8 - P on (4, 8); y (priority 4)
    # takes 12 - 2 P on (2, 6). Supply 6: 20 - 3 P = 6 at P = 14/3: x 10/3, y 8/3.
    # Supply 3: 20 - 3 P = 3 at P = 17/3, still in (4, 6): x 7/3, y 2/3
    _, out = shipped(model([6.0, 3.0]))
    np.testing.assert_allclose(out, [[10 / 3, 8 / 3], [7 / 3, 2 / 3]], rtol=1e-12)


def test_supply_beyond_the_requests_fills_each_and_no_more():
    _, out = shipped(model([12.0, 1e6]))
    np.testing.assert_array_equal(out, [[4.0, 8.0], [4.0, 8.0]])


def test_zero_or_negative_supply_gives_nothing():
    _, out = shipped(model([0.0, -5.0]))
    np.testing.assert_array_equal(out, np.zeros((2, 2)))


@pytest.mark.parametrize("ptype", [1.0, 2.0, 3.0, 4.0])
def test_equal_priorities_and_widths_split_equally(ptype):
    # the same curve for both: equal requests take equal halves, whatever the shape
    _, out = shipped(model([5.0, 7.0], request=(10.0, 10.0), priority=(3.0, 3.0), ptype=ptype))
    np.testing.assert_allclose(out, [[2.5, 2.5], [3.5, 3.5]], rtol=1e-12)
    # unequal requests on one curve: in proportion to the requests (1 : 3)
    _, out = shipped(model([4.0, 8.0], request=(2.0, 6.0), priority=(3.0, 3.0), ptype=ptype))
    np.testing.assert_allclose(out, [[1.0, 3.0], [2.0, 6.0]], rtol=1e-12)


def test_ensemble_runs_are_allocations_of_their_own():
    m = model([6.0, 6.0])
    ds, _ = shipped(m, params={"supply": np.array([0.0, 3.0, 6.0, 20.0])})
    out = ds["ship"].isel(time=0).sel(region="north").transpose("run", "branch").values
    np.testing.assert_allclose(out, [[0, 0], [7 / 3, 2 / 3], [10 / 3, 8 / 3], [4, 8]],
                               rtol=1e-12, atol=1e-12)


def test_along_a_middle_axis_with_a_run_axis_and_missing_values():
    # requesters on axis -2 (then runs); run 1 has a missing request: NaN for that run only
    request = np.array([[4.0, 4.0], [8.0, np.nan]])
    out = allocate_available_along(request, 1.0, np.array([[6.0], [4.0]]), 4.0,
                                   np.array([6.0, 6.0]), axis=-2)
    np.testing.assert_allclose(out[:, 0], [10 / 3, 8 / 3], rtol=1e-12)
    assert np.isnan(out[:, 1]).all()
    # ALLOCATE BY PRIORITY: a gap beyond the width waits for the higher priority
    out = allocate_by_priority_along(np.array([5.0, 5.0]), np.array([10.0, 5.0]), 2.0,
                                     np.array(4.0), axis=-1)
    np.testing.assert_allclose(out, [4.0, 0.0], atol=1e-12)


def test_numba_refuses_by_name_and_auto_runs_numpy():
    m = model([6.0, 3.0])
    m.stock("shipped", 0.0, dims=("region", "branch"))
    m.aux("supply_now", "supply + 0 * time", dims="region")  # read during the run
    m.aux("ship2", "allocate_available(request, ptype, priority, width, supply_now, branch)",
          dims=("region", "branch"))
    m.flow("f", "ship2", into="shipped", dims=("region", "branch"))
    with pytest.raises(gysim.ModelDefinitionError, match=r"allocate_available\(\)"):
        gysim.simulate(m, backend="numba")
    ds = gysim.simulate(m, backend="auto")
    assert ds.attrs["backend"] == "numpy"
    np.testing.assert_allclose(ds["shipped"].isel(time=-1).transpose("region", "branch"),
                               [[10 / 3, 8 / 3], [7 / 3, 2 / 3]], rtol=1e-12)


def test_bad_calls_are_refused():
    m = model([6.0, 3.0])
    m.aux("bad", "allocate_available(request, ptype, priority, width, supply, 3)",
          dims=("region", "branch"))
    with pytest.raises(gysim.ModelDefinitionError, match="dimension it allocates along"):
        m.compile()
    m = model([6.0, 3.0])
    m.aux("bad", "allocate_by_priority(request, priority, width, request, branch)",
          dims="branch")
    with pytest.raises(gysim.ModelDefinitionError, match="supply .* varies along 'branch'"):
        m.compile()
    # values known only when the model runs: refused then, naming the element
    with pytest.raises(gysim.ModelDefinitionError, match="'ship': .*constant elasticity"):
        shipped(model([6.0, 3.0], ptype=5.0))
    with pytest.raises(gysim.ModelDefinitionError, match="'ship': .*integer allocations"):
        shipped(model([6.0, 3.0], ptype=11.0))
    with pytest.raises(gysim.ModelDefinitionError, match="'ship': .*non-negative, got -1"):
        shipped(model([6.0, 3.0], request=(-1.0, 2.0)))
    with pytest.raises(gysim.ModelDefinitionError, match="'ship': .*width .* positive"):
        shipped(model([6.0, 3.0], width=0.0))


# ---------------------------------------------------------------- read from Vensim
HEAD = ("b: x, y, z ~~|\nsub: x, y ~~|\nr: north, south ~~|\n"
        "p: ptype, ppriority, pwidth, pextra ~~|\n")


def read(tmp_path, body):
    return gysim.read_vensim(write_mdl(tmp_path, HEAD + body, stop=1))


def at0(ds, name, *dims):
    return ds[name].isel(time=0).transpose(*dims).values


def test_vensim_profile_per_element_and_supply_over_another_range(tmp_path):
    # x: priority 6, y: priority 4, z: priority 1, full width 4 (rectangular); north 6, south 3
    m = read(tmp_path, "d[b] = 4, 8, 5 ~~|\npp[x, p] = 1, 6, 4, 0 ~~|\npp[y, p] = 1, 4, 4, 0 ~~|\n"
                       "pp[z, p] = 1, -10, 4, 0 ~~|\nav[r] = 6, 3 ~~|\n"
                       "s[r, b] = ALLOCATE AVAILABLE(d[b], pp[b, ptype], av[r]) ~~|\n")
    assert m.source.fallback == ""
    np.testing.assert_allclose(at0(gysim.simulate(m), "s", "r", "b"),
                               [[10 / 3, 8 / 3, 0], [7 / 3, 2 / 3, 0]], rtol=1e-12, atol=1e-12)


def test_vensim_subrange_and_expression_request(tmp_path):
    # the requesters are x and y only (z, outside the subrange, requests nothing and is 0)
    m = read(tmp_path, "d[b] = 2, 4, 1000 ~~|\npp[b, p] = 1, 6, 4, 0; 1, 4, 4, 0; 1, 99, 4, 0 ~~|\n"
                       "s[sub] = ALLOCATE AVAILABLE(d[sub] * 2, pp[sub, ptype], 6) ~~|\n")
    assert m.source.fallback == ""
    np.testing.assert_allclose(at0(gysim.simulate(m), "s", "b"), [10 / 3, 8 / 3, 0],
                               rtol=1e-12, atol=1e-12)


def test_vensim_allocate_by_priority_natively(tmp_path):
    # width 3: on (8.5, 10.5) x and y take 3 (11.5 - P) / 3 and 6 (10.5 - P) / 3; 32.5 - 3 P
    # = 5 at P = 55/6: 7/3 and 8/3, z (priority 7) nothing yet
    m = read(tmp_path, "d[b] = 3, 6, 2.5 ~~|\nprio[b] = 10, 9, 7 ~~|\n"
                       "s[b] = ALLOCATE BY PRIORITY(d[b], prio[b], ELMCOUNT(b), 3, 5) ~~|\n")
    assert m.source.fallback == ""
    np.testing.assert_allclose(at0(gysim.simulate(m), "s", "b"), [7 / 3, 8 / 3, 0],
                               rtol=1e-12, atol=1e-12)


def test_vensim_unsupported_profile_is_refused_and_checked(tmp_path):
    body = ("d[b] = 3, 6, 2.5 ~~|\npp[b, p] = 5, 6, 4, 0.5; 1, 4, 4, 0; 1, 2, 4, 0 ~~|\n"
            "s[b] = ALLOCATE AVAILABLE(d[b], pp[b, ptype], 6) ~~|\n")
    with pytest.raises(gysim.ModelDefinitionError, match=r"'s'.*constant elasticity \(ptype 5\)"):
        read(tmp_path, body)
    report = gysim.check_model(write_mdl(tmp_path, HEAD + body, stop=1, name="c.mdl"))
    assert [(f.construct, f.element) for f in report.findings] == [("ALLOCATE AVAILABLE", "s")]
    assert "constant elasticity" in report.findings[0].message


@pytest.mark.skipif(not (SUITE / "tests" / "allocate_available").is_dir(),
                    reason="sd-test-models-subscripts not available")
def test_suite_file_reads_natively_and_clears_the_supply():
    m = gysim.read_vensim(SUITE / "tests" / "allocate_available" / "test_allocate_available.mdl")
    assert m.source.fallback == ""
    ds = gysim.simulate(m)
    # requesters along size, for each branch and product; available = 20 * Time; the
    # file's demand per product (A-D) over the four sizes adds up to these:
    demand = np.array([1750.0, 1820.0, 1840.0, 1850.0])
    total = ds["allocation_mixed"].sum("size").transpose("time", "branch", "product").values
    want = np.minimum(20 * ds.time.values[:, None, None], demand[None, None, :])
    np.testing.assert_allclose(total, np.broadcast_to(want, total.shape), rtol=1e-9, atol=1e-9)


@pytest.mark.skipif(not (SUITE / "tests" / "allocate_available").is_dir(),
                    reason="sd-test-models-subscripts not available")
def test_suite_file_native_agrees_with_the_element_by_element_reading():
    from pysd.translators.vensim.vensim_file import VensimFile

    from gysim.io.build import build_model
    from gysim.io.subscripts import stack_subscripts
    path = SUITE / "tests" / "allocate_available" / "test_allocate_available.mdl"
    native = gysim.read_vensim(path)
    vfile = VensimFile(path)
    vfile.parse()
    flat = build_model(vfile.get_abstract_model(), path, "Vensim", native=False)
    a = gysim.simulate(native)
    b = stack_subscripts(gysim.simulate(flat), flat)
    names = [n for n in a.data_vars if n.startswith("allocation")]
    assert len(names) == 14  # the file's 14 ALLOCATE AVAILABLE
    for name in names:
        x = a[name]
        y = b[name].transpose(*x.dims)
        np.testing.assert_allclose(x.values, y.values, rtol=1e-12, atol=1e-12, err_msg=name)


def test_vensim_profile_over_another_range_is_refused(tmp_path):
    body = ("d[b] = 3, 6, 2.5 ~~|\npp[r, p] = 1, 6, 4, 0; 1, 4, 4, 0 ~~|\n"
            "s[r, b] = ALLOCATE AVAILABLE(d[b], pp[r, ptype], 6) ~~|\n")
    with pytest.raises(gysim.ModelDefinitionError, match="second last subscript"):
        read(tmp_path, body)


def test_units_the_supply_shares_those_of_the_requests():
    m = gysim.Model("u", start=0, stop=1, dt=1, method="euler")
    m.dimension("branch", ["x", "y"])
    m.param("request", np.array([4.0, 8.0]), dims="branch", units="kg/month")
    m.param("priority", np.array([6.0, 4.0]), dims="branch")
    m.param("supply", 6.0, units="kg/month")
    m.param("stock_kg", 6.0, units="kg")
    m.aux("ship", "allocate_by_priority(request, priority, 4, supply, branch)", dims="branch",
          units="kg/month")
    # rectangular, full width 4 (ALLOCATE BY PRIORITY's curve): as above, 10/3 and 8/3
    np.testing.assert_allclose(gysim.simulate(m, check_units=True)["ship"].isel(time=0),
                               [10 / 3, 8 / 3], rtol=1e-12)
    m.aux("bad", "allocate_available(request, 1, priority, 4, stock_kg, branch)",
          dims="branch", units="kg/month")
    with pytest.raises(gysim.UnitsError, match="request and supply"):
        gysim.simulate(m, check_units=True)


def test_vensim_profile_per_element_checked_for_the_requesters_only(tmp_path):
    head = "d[b] = 2, 4, 1 ~~|\npp[x, p] = 1, 6, 4, 0 ~~|\n"
    call = "s[sub] = ALLOCATE AVAILABLE(d[sub] * 2, pp[sub, ptype], 6) ~~|\n"
    with pytest.raises(gysim.ModelDefinitionError, match=r"'s'.*ptype 14 = 10 \+ shape"):
        read(tmp_path, head + "pp[y, p] = 14, 4, 4, 0 ~~|\npp[z, p] = 1, 1, 1, 0 ~~|\n" + call)
    # z (fixed quantity, ptype 0) is not a requester of s[sub]: the file reads and runs
    m = read(tmp_path, head + "pp[y, p] = 1, 4, 4, 0 ~~|\npp[z, p] = 0, 1, 1, 0 ~~|\n" + call)
    assert m.source.fallback == ""
    np.testing.assert_allclose(at0(gysim.simulate(m), "s", "b"), [10 / 3, 8 / 3, 0],
                               rtol=1e-12, atol=1e-12)
