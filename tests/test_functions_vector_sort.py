"""VECTOR SORT ORDER, VECTOR RANK, VECTOR REORDER, VECTOR ELM MAP and VECTOR LOOKUP.

Every expected value is worked out by hand from Vensim's reference: the sort
order holds zero-based offsets of the elements in sorted order, ranks count
from 1, equal values keep their order (a stable sort), direction > 0 is
ascending and anything else descending, the vector is the argument's last
subscript, ELM MAP counts its offset over the whole array in row order, and
VECTOR LOOKUP spreads the vector's values evenly from xmin to xmax. Each file
is read natively and element by element; both readings must agree with the
hand values.
"""

from __future__ import annotations

import numpy as np
import pytest

import gysim
from gysim import vector_sort as vs
from gysim.io.check import check_model
from tests.test_vensim import write_mdl

HEAD = """d: a1, a2, a3 ~~|
t: t1, t2, t3, t4 ~~|
r: r1, r2 ~~|
x[d] = 3, 1, 2 ~~|
ties[t] = 2, 1, 2, 1 ~~|
m[r, d] = 3, 1, 2; 5, 6, 4 ~~|
k = 1 ~~|
"""


def _path(tmp_path, *equations):
    return write_mdl(tmp_path, HEAD + "".join(f"{e} ~~|\n" for e in equations), stop=1)


def _readings(tmp_path, *equations):
    """The file read natively and element by element (both models)."""
    from pysd.translators.vensim.vensim_file import VensimFile

    from gysim.io.build import build_model
    path = _path(tmp_path, *equations)
    native = gysim.read_vensim(path)
    assert native.source.fallback == ""  # read with native dimensions
    vfile = VensimFile(path)
    vfile.parse()
    flat = build_model(vfile.get_abstract_model(), path, "Vensim", native=False)
    return native, flat


def _values(ds, name, labels=None):
    """A variable at time 0: natively one array (rows r, columns d), element by element
    one number per label."""
    if name in ds:
        value = ds[name].isel(time=0)
        value = value.transpose(*(dim for dim in ("run", "r", "d", "t", "company", "scompany")
                                  if dim in value.dims))
        return np.asarray(value.values, dtype=float).tolist()
    return [float(ds[f"{name}_{lab}"].isel(time=0)) for lab in labels]


def _check(tmp_path, expected: dict, *equations, labels=None):
    native, flat = _readings(tmp_path, *equations)
    for model in (native, flat):
        ds = gysim.simulate(model, backend="numpy")
        for name, want in expected.items():
            assert _values(ds, name, labels) == pytest.approx(want, abs=1e-12), (name, model)


def test_sort_order_and_rank_in_both_directions(tmp_path):
    # 3, 1, 2: ascending 1 (offset 1), 2 (offset 2), 3 (offset 0); descending the reverse
    _check(tmp_path, {"up": [1, 2, 0], "down": [0, 2, 1], "zero": [0, 2, 1],
                      "rup": [3, 1, 2], "rdown": [1, 3, 2]},
           "up[d] = VECTOR SORT ORDER(x[d], 1)", "down[d] = VECTOR SORT ORDER(x[d], -1)",
           "zero[d] = VECTOR SORT ORDER(x[d], 0)", "rup[d] = VECTOR RANK(x[d], 1)",
           "rdown[d] = VECTOR RANK(x[d], 0)", labels=["a1", "a2", "a3"])


def test_ties_keep_their_order(tmp_path):
    # 2, 1, 2, 1 ascending: 1 (t2), 1 (t4), 2 (t1), 2 (t3); descending: t1, t3, t2, t4
    _check(tmp_path, {"up": [1, 3, 0, 2], "rup": [3, 1, 4, 2],
                      "down": [0, 2, 1, 3], "rdown": [1, 3, 2, 4]},
           "up[t] = VECTOR SORT ORDER(ties[t], 2)", "rup[t] = VECTOR RANK(ties[t], 2)",
           "down[t] = VECTOR SORT ORDER(ties[t], -1)", "rdown[t] = VECTOR RANK(ties[t], -1)",
           labels=["t1", "t2", "t3", "t4"])


def test_two_dimensional_variables_sort_along_their_last_subscript(tmp_path):
    # row r1: 3, 1, 2; row r2: 5, 6, 4 (ascending: 4 at offset 2, 5 at 0, 6 at 1)
    native, flat = _readings(tmp_path, "mo[r, d] = VECTOR SORT ORDER(m[r, d], 1)",
                             "mr[r, d] = VECTOR RANK(m[r, d], 1)",
                             "back[r, d] = VECTOR REORDER(m[r, d], mo[r, d])")
    ds = gysim.simulate(native)
    assert _values(ds, "mo") == [[1, 2, 0], [2, 0, 1]]
    assert _values(ds, "mr") == [[3, 1, 2], [2, 3, 1]]
    assert _values(ds, "back") == [[1, 2, 3], [4, 5, 6]]
    flat_ds = gysim.simulate(flat)
    assert float(flat_ds["mo_r2_a1"].isel(time=0)) == 2
    assert float(flat_ds["mr_r2_a2"].isel(time=0)) == 3
    assert float(flat_ds["back_r2_a3"].isel(time=0)) == 6


def test_reference_example_with_a_mapped_range(tmp_path):
    """Vensim's example: so[scompany] = VECTOR SORT ORDER(revenue[company], 1), the
    minimum, maximum and median by ELM MAP, the sorted revenues by REORDER."""
    body = """company : (company1-company5) -> scompany ~~|
scompany : (sort1-sort5) -> company ~~|
revenue[company] = 50, 20, 40, 10, 30 ~~|
so[scompany] = VECTOR SORT ORDER(revenue[company], 1) ~~|
minrev = VECTOR ELM MAP(revenue[company1], so[sort1]) ~~|
maxrev = VECTOR ELM MAP(revenue[company1], so[sort5]) ~~|
medrev = VECTOR ELM MAP(revenue[company1], so[sort3]) ~~|
sorted rev[scompany] = VECTOR REORDER(revenue[company], so[scompany]) ~~|
"""
    model = gysim.read_vensim(write_mdl(tmp_path, body, stop=1))
    ds = gysim.simulate(model)
    # 10 is at offset 3, 20 at 1, 30 at 4, 40 at 2, 50 at 0
    assert _values(ds, "so") == [3, 1, 4, 2, 0]
    assert _values(ds, "sorted_rev") == [10, 20, 30, 40, 50]
    assert [_values(ds, n) for n in ("minrev", "maxrev", "medrev")] == [10, 50, 30]


def test_elm_map_offsets(tmp_path):
    # x = 3, 1, 2; m = 3, 1, 2; 5, 6, 4 in row order (offset 4 from m[r1, a1] is m[r2, a2])
    _check(tmp_path, {"same": [3, 1, 2], "next": 2.0, "matrix": 6.0, "prev": [0, 3, 1]},
           "same[d] = VECTOR ELM MAP(x[a1], d - 1)", "next = VECTOR ELM MAP(x[a2], 1)",
           "matrix = VECTOR ELM MAP(m[r1, a1], 4)",
           "prev[d] = IF THEN ELSE(d = 1, 0, VECTOR ELM MAP(x[d], -1))",
           labels=["a1", "a2", "a3"])


@pytest.mark.parametrize("offset", ["1", "-3", "0.5", "k * 7"])
def test_elm_map_outside_the_vector_stops_the_run(tmp_path, offset):
    native, flat = _readings(tmp_path, f"out = VECTOR ELM MAP(x[a3], {offset})")
    for model in (native, flat):
        with pytest.raises(gysim.SimulationError, match="out"):
            gysim.simulate(model)


def test_reorder_gathers_and_refuses_offsets_outside(tmp_path):
    _check(tmp_path, {"g": [2, 2, 3]}, "s[d] = 2, 2, 0", "g[d] = VECTOR REORDER(x[d], s[d])",
           labels=["a1", "a2", "a3"])
    native, flat = _readings(tmp_path, "s[d] = 0, 3, 1", "g[d] = VECTOR REORDER(x[d], s[d])")
    for model in (native, flat):
        with pytest.raises(gysim.SimulationError, match="'g"):
            gysim.simulate(model)


def test_vector_lookup_interpolates_and_extrapolates(tmp_path):
    # y = 0, 10, 30 at x = 0, 1, 2 (xmin 0, xmax 2); then at x = 10, 15, 20 (xmin 10, xmax 20)
    _check(tmp_path, {"i1": 5.0, "i2": 20.0, "lo": 0.0, "hi": 30.0, "elo": -10.0, "ehi": 50.0,
                      "shifted": 5.0, "inside3": 20.0},
           "y[d] = 0, 10, 30",
           "i1 = VECTOR LOOKUP(y[a1], 0.5, 0, 2, 0)", "i2 = VECTOR LOOKUP(y[a1], 1.5, 0, 2, 0)",
           "lo = VECTOR LOOKUP(y[a1], -1, 0, 2, 0)", "hi = VECTOR LOOKUP(y[a1], 3, 0, 2, 0)",
           "elo = VECTOR LOOKUP(y[a1], -1, 0, 2, 3)", "ehi = VECTOR LOOKUP(y[a1], 3, 0, 2, 3)",
           "shifted = VECTOR LOOKUP(y[a1], 12.5, 10, 20, 0)",
           "inside3 = VECTOR LOOKUP(y[a1], 1.5, 0, 2, 3)")


def test_vector_lookup_of_a_matrix_row(tmp_path):
    # row r1: 3, 1, 2; row r2: 5, 6, 4 at x = 0, 0.5, 1: x = 0.25 is halfway between the first two
    native, _ = _readings(tmp_path, "row[r] = VECTOR LOOKUP(m[r, a1], 0.25, 0, 1, 0)")
    assert _values(gysim.simulate(native), "row") == [2.0, 5.5]


@pytest.mark.parametrize("mode, name", [(1, "LOOKUP AREA"), (5, "LOOKUP INVERT"),
                                        (9, "LOOKUP SLOPE with extrapolation")])
def test_other_lookup_modes_are_refused_by_name(tmp_path, mode, name):
    with pytest.raises(gysim.ModelDefinitionError, match=f"VECTOR LOOKUP.*{name}"):
        gysim.read_vensim(_path(tmp_path, f"v = VECTOR LOOKUP(x[a1], 1, 0, 1, {mode})"))
    report = check_model(_path(tmp_path, f"v = VECTOR LOOKUP(x[a1], 1, 0, 1, {mode})"))
    assert [f.construct for f in report.findings] == ["VECTOR LOOKUP"]
    assert name in report.findings[0].message


def test_lookup_not_from_the_first_element_is_refused(tmp_path):
    with pytest.raises(gysim.ModelDefinitionError, match="first element"):
        gysim.read_vensim(_path(tmp_path, "v = VECTOR LOOKUP(x[a2], 1, 0, 1, 0)"))


def test_subranges_are_refused(tmp_path):
    path = write_mdl(tmp_path, "d: a1, a2, a3 ~~|\nsub: a1, a2 ~~|\nx[d] = 3, 1, 2 ~~|\n"
                               "y[sub] = VECTOR RANK(x[sub], 1) ~~|\n", stop=1)
    with pytest.raises(gysim.ModelDefinitionError, match="subrange"):
        gysim.read_vensim(path)


def test_check_accepts_the_functions(tmp_path):
    report = check_model(_path(tmp_path, "a[d] = VECTOR SORT ORDER(x[d], 1)",
                               "b[d] = VECTOR RANK(x[d], 1)", "c[d] = VECTOR REORDER(x[d], a[d])",
                               "e = VECTOR ELM MAP(x[a1], 2)",
                               "f = VECTOR LOOKUP(x[a1], 0.5, 0, 1, 0)"))
    assert report.ok, report.findings


def test_each_run_sorts_its_own_vector(tmp_path):
    native, flat = _readings(tmp_path, "o[d] = VECTOR SORT ORDER(x[d], 1)",
                             "rk[d] = VECTOR RANK(x[d], -1)", "e = VECTOR ELM MAP(x[a1], k)",
                             "lk = VECTOR LOOKUP(x[a1], 0.75, 0, 1, 0)")
    runs = np.array([[3.0, 1.0, 2.0], [1.0, 2.0, 3.0], [2.0, 2.0, 1.0]])
    ds = gysim.simulate(native, params={"x": runs, "k": [1.0, 2.0, 0.0]})
    o, rk = _values(ds, "o"), _values(ds, "rk")
    assert o == [[1, 2, 0], [0, 1, 2], [2, 0, 1]]
    assert rk == [[1, 3, 2], [3, 2, 1], [1, 2, 3]]
    assert ds["e"].isel(time=0).values.tolist() == [1.0, 3.0, 2.0]
    # x = 0.75 is halfway between the second and the third point
    assert ds["lk"].isel(time=0).values.tolist() == [1.5, 2.5, 1.5]
    flat_ds = gysim.simulate(flat, params={"x_a1": runs[:, 0], "x_a2": runs[:, 1],
                                           "x_a3": runs[:, 2], "k": [1.0, 2.0, 0.0]})
    assert flat_ds["o_a1"].isel(time=0).values.tolist() == [1, 0, 2]
    assert flat_ds["rk_a1"].isel(time=0).values.tolist() == [1, 3, 1]


def test_numba_refuses_them_by_name_and_auto_runs_numpy(tmp_path):
    """numba would unroll the sums over the alias dimensions into a kernel too large to
    compile: it refuses each function of a changing vector by name, in both readings, and
    "auto" runs numpy (of constants, they are computed once, before the kernel runs)."""
    pytest.importorskip("numba")
    for equation, builtin in (("o[d] = VECTOR SORT ORDER(xt[d], 1)", "long_vector"),
                              ("e = VECTOR ELM MAP(xt[a1], k)", "long_vector"),
                              ("lk = VECTOR LOOKUP(xt[a1], 0.5, 0, 1, 3)", "long_vector")):
        native, flat = _readings(tmp_path, "xt[d] = x[d] * TIME", equation)
        with pytest.raises(gysim.ModelDefinitionError, match=builtin):
            gysim.simulate(native, backend="numba")
        with pytest.raises(gysim.ModelDefinitionError, match="_element"):
            gysim.simulate(flat, backend="numba")
        for model in (native, flat):
            assert gysim.simulate(model).attrs["backend"] == "numpy"
    native, _ = _readings(tmp_path, "o[d] = VECTOR SORT ORDER(x[d], 1)")
    ds = gysim.simulate(native, backend="numba")  # a constant vector: sorted once
    assert _values(ds, "o") == [1, 2, 0]


def test_helpers_with_nan_and_per_run_directions():
    values = np.array([[3.0, 1.0], [np.nan, 2.0], [2.0, 2.0]])  # (elements, runs)
    assert np.isnan(vs.ranks(values, True)[:, 0]).all()  # a NaN: no order
    assert vs.ranks(values, True)[:, 1].tolist() == [1, 2, 3]  # ties 2, 2 in order
    assert np.isnan(vs.vector_sort_order_element(0, 1.0, 3.0, np.nan, 2.0))
    # one direction per run: ascending in run 0, descending in run 1
    order = vs.sort_order(np.array([[3.0, 3.0], [1.0, 1.0], [2.0, 2.0]]), np.array([True, False]))
    assert order.T.tolist() == [[1, 2, 0], [0, 2, 1]]
    assert vs.vector_pick_element(np.array([0.0, 1.0, 2.0, -1.0]), 5.0, 6.0).tolist()[:2] == [5, 6]
    assert np.isnan(vs.vector_pick_element(np.array([2.0, -1.0, 0.4]), 5.0, 6.0)).all()


def test_a_direction_given_by_a_parameter_is_read_in_each_run(tmp_path):
    # k - 2 is -1 (descending) in the first run and 1 (ascending) in the second
    native, flat = _readings(tmp_path, "rk[d] = VECTOR RANK(x[d], k - 2)",
                             "o[d] = VECTOR SORT ORDER(x[d], k - 2)")
    ds = gysim.simulate(native, params={"k": [1.0, 3.0]})
    assert _values(ds, "rk") == [[1, 3, 2], [3, 1, 2]]
    assert _values(ds, "o") == [[0, 2, 1], [1, 2, 0]]
    flat_ds = gysim.simulate(flat, params={"k": [1.0, 3.0]})
    assert flat_ds["rk_a1"].isel(time=0).values.tolist() == [1, 3]
    assert flat_ds["o_a1"].isel(time=0).values.tolist() == [0, 1]


def test_elm_map_by_row_sorts_each_row(tmp_path):
    """ELM MAP from each row's first element: the start is that row's, offsets run along it
    (row order), so mapping the sort order sorts every row."""
    native, flat = _readings(tmp_path, "so[r, d] = VECTOR SORT ORDER(m[r, d], 1)",
                             "srt[r, d] = VECTOR ELM MAP(m[r, a1], so[r, d])")
    assert _values(gysim.simulate(native), "srt") == [[1, 2, 3], [4, 5, 6]]
    flat_ds = gysim.simulate(flat)
    assert [float(flat_ds[f"srt_r2_{d}"].isel(time=0)) for d in ("a1", "a2", "a3")] == [4, 5, 6]


def test_a_matrix_over_one_range_twice_sorts_its_rows(tmp_path):
    """m[d, e] with e a copy of d: the sorts run along e (the last subscript) row by row."""
    body = ("d: a1, a2, a3 ~~|\ne <-> d ~~|\nm[d, e] = 3, 1, 2; 5, 6, 4; 9, 7, 8 ~~|\n"
            "r[d, e] = VECTOR RANK(m[d, e], 1) ~~|\no[d, e] = VECTOR SORT ORDER(m[d, e], -1) ~~|\n"
            "g[d, e] = VECTOR REORDER(m[d, e], o[d, e]) ~~|\n")
    ds = gysim.simulate(gysim.read_vensim(write_mdl(tmp_path, body, stop=1)))
    rows = lambda name: ds[name].isel(time=0).transpose("d", "e").values.tolist()  # noqa: E731
    assert rows("r") == [[3, 1, 2], [2, 3, 1], [3, 1, 2]]
    assert rows("o") == [[0, 2, 1], [1, 0, 2], [0, 2, 1]]   # descending
    assert rows("g") == [[3, 2, 1], [6, 5, 4], [9, 8, 7]]
