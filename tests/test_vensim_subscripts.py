"""Vensim subscripts through the reader (gysim.io): each construct on a small model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import gysim
from gysim.errors import ModelDefinitionError

SUITE = Path(__file__).resolve().parents[2] / "shared" / "sd-test-models-subscripts"

CONTROL = """
INITIAL TIME = 0
\t~\tMonth
\t~\t|
FINAL TIME = 4
\t~\tMonth
\t~\t|
TIME STEP = 1
\t~\tMonth
\t~\t|
SAVEPER = TIME STEP
\t~\tMonth
\t~\t|
"""


def eq(text):
    return f"{text}\n\t~\t\n\t~\t|\n"


def run(tmp_path, *lines):
    path = tmp_path / "m.mdl"
    path.write_text("{UTF-8}\n" + "".join(eq(x) for x in lines) + CONTROL, encoding="utf-8")
    model = gysim.read_vensim(path)
    return model, gysim.simulate(model, saveper=model.saveper)


def value(model, ds, original):
    """Values of the file's ``original`` (``'x[a,b]'`` for one element) over time."""
    by_name = {v: k for k, v in model.vensim_names.items()}
    if original in by_name:
        ident, labels = by_name[original], []
    else:  # natively dimensioned: select the element
        base, _, inner = original[:-1].partition("[")
        ident, labels = by_name[base], [model.vensim_labels[x] for x in inner.split(",")]
    where = {}
    for lab in labels:  # a family's second use is an alias dimension (same order)
        dim = next(d for d, labs in model.dimensions.items() if lab in labs)
        if dim in where:
            fam = dim
            dim = next(d for d, labs in model.dimensions.items() if d not in where and d != fam
                       and len(labs) == len(model.dimensions[fam]) and (
                           d in ds[ident].dims if ident in ds else d in model.params[ident].dims))
            lab = model.dimensions[dim][model.dimensions[fam].index(lab)]
        where[dim] = lab
    if ident in ds.data_vars:
        return ds[ident].sel(where).values
    param = model.params[ident]
    array = np.asarray(param.value, dtype=float)
    if array.ndim:
        array = array[tuple(model.dimensions[d].index(where[d]) for d in param.dims)]
    return np.full(ds.time.size, float(array))


def test_ranges_arrays_and_stocks(tmp_path):
    model, ds = run(tmp_path, "dim: a, b, c", "rate[dim] = 0.1, 0.2, 0.3",
                    "stock[dim] = INTEG(rate[dim] * stock[dim], 10)")
    for label, r in zip("abc", (0.1, 0.2, 0.3)):
        np.testing.assert_allclose(value(model, ds, f"stock[{label}]"),
                                   10 * (1 + r) ** np.arange(5))
    # whole ranges only: read with native dimensions
    assert model.dimensions == {"dim": ("a", "b", "c")} and model.vensim_fallback == ""
    assert ds["stock"].dims == ("time", "dim")


def test_two_dims_table_and_element_by_element(tmp_path):
    model, ds = run(tmp_path, "row: r1, r2", "col: c1, c2, c3",
                    "m[row, col] = 1, 2, 3; 4, 5, 6;",
                    "x[row, c1] = Time", "x[row, c2] = 2 * Time", "x[r1, c3] = 7", "x[r2, c3] = 8",
                    "y[row, col] = m[row, col] + x[row, col]")
    assert value(model, ds, "m[r2,c1]")[0] == 4
    np.testing.assert_allclose(value(model, ds, "y[r2,c2]"), 5 + 2 * ds.time.values)
    np.testing.assert_allclose(value(model, ds, "y[r1,c3]"), 3 + 7)


def test_subrange_mapping_and_except(tmp_path):
    model, ds = run(tmp_path, "age: young, mid, old", "older: mid, old",
                    "younger: young, mid -> older",
                    "pop[age] = 10, 20, 30",
                    "shifted[older] = pop[younger]",
                    "e[age] :EXCEPT: [old] = 1", "e[old] = 5",
                    "part[older] = pop[older] * 2")
    assert value(model, ds, "shifted[mid]")[0] == 10
    assert value(model, ds, "shifted[old]")[0] == 20
    assert [value(model, ds, f"e[{a}]")[0] for a in ("young", "mid", "old")] == [1, 1, 5]
    assert value(model, ds, "part[old]")[0] == 60
    assert "part[young]" not in model.vensim_names.values()


def test_aggregations_and_elmcount(tmp_path):
    model, ds = run(tmp_path, "d: a, b, c", "e: x, y", "v[d] = 1, 2, 4",
                    "w[d, e] = 1, 2; 3, 4; 5, 6;",
                    "s = SUM(v[d!])", "p = PROD(v[d!])", "lo = VMIN(v[d!])", "hi = VMAX(v[d!])",
                    "n = ELMCOUNT(d)", "row[e] = SUM(w[d!, e])", "tot = SUM(w[d!, e!])")
    got = {k: value(model, ds, k)[0] for k in ("s", "p", "lo", "hi", "n", "row[y]", "tot")}
    assert got == {"s": 7, "p": 8, "lo": 1, "hi": 4, "n": 3, "row[y]": 12, "tot": 21}


def test_subscripted_lookup_smooth_and_delay(tmp_path):
    model, ds = run(tmp_path, "d: a, b",
                    "tab[a]( (0,0),(10,10) )", "tab[b]( (0,0),(10,-20) )",
                    "y[d] = tab[d](Time)",
                    "inp[d] = STEP(1, 1) * 10",
                    "sm[d] = SMOOTH(inp[d], 2)", "dl[d] = DELAY1(inp[d], 2)")
    np.testing.assert_allclose(value(model, ds, "y[b]"), -2 * ds.time.values)
    # Euler dt=1: smooth s(k+1) = s + (10 - s)/2 from t=1 on; DELAY1 the same here
    expected = [0, 0, 5, 7.5, 8.75]
    np.testing.assert_allclose(value(model, ds, "sm[a]"), expected)
    np.testing.assert_allclose(value(model, ds, "dl[b]"), expected)


def test_range_and_label_values_and_positional(tmp_path):
    model, ds = run(tmp_path, "d: a, b, c", "d2: c, b, a", "d3: p, q, r", "pos[d] = d",
                    "same[d, d2] = IF THEN ELSE(d = d2, 1, 0)", "other[d3] = pos[d]")
    assert [value(model, ds, f"pos[{x}]")[0] for x in "abc"] == [1, 2, 3]
    assert value(model, ds, "same[b,b]")[0] == 1 and value(model, ds, "same[a,c]")[0] == 0
    # d3 shares no element with d: equal-size ranges correspond by position
    assert [value(model, ds, f"other[{x}]")[0] for x in "pqr"] == [1, 2, 3]


def test_vector_select(tmp_path):
    model, ds = run(tmp_path, "d: a, b, c", "sel[d] = 1, 0, 1", "v[d] = 2, 3, 5",
                    "none[d] = 0",
                    "total = VECTOR SELECT(sel[d!], v[d!], -1, 0, 0)",
                    "biggest = VECTOR SELECT(sel[d!], v[d!], -1, 3, 0)",
                    "missing = VECTOR SELECT(none[d!], v[d!], -1, 0, 0)")
    assert [value(model, ds, k)[0] for k in ("total", "biggest", "missing")] == [7, 5, -1]


def test_stack_subscripts_gives_dimensions(tmp_path):
    from gysim.io import stack_subscripts
    model, ds = run(tmp_path, "row: r1, r2", "col: c1, c2", "k[row, col] = 1, 2; 3, 4;",
                    "s[row, col] = INTEG(k[row, col], 0)", "sub: r2", "only[sub] = Time")
    out = stack_subscripts(ds, model)
    assert out["s"].dims == ("time", "row", "col")
    np.testing.assert_allclose(out["s"].sel(row="r2", col="c1").values, 3 * ds.time.values)
    # defined over a subrange: natively one variable over the family 'row', the
    # elements no definition covers are 0
    assert out["only"].dims == ("time", "row") and model.source.fallback == ""
    np.testing.assert_array_equal(out["only"].sel(row="r2").values, ds.time.values)
    np.testing.assert_array_equal(out["only"].sel(row="r1").values, 0.0)


def test_unsupported_constructs_name_the_element(tmp_path):
    path = tmp_path / "bad.mdl"
    path.write_text("{UTF-8}\n" + eq("d: a, b") + eq("v[d] = 1, 2")
                    + eq("x[d] = VECTOR SELECT(v[d!], v[d!], 1, 11, 0)") + CONTROL)
    with pytest.raises(ModelDefinitionError,
                       match=r"VECTOR SELECT in element 'x\[a\]'.*action 11"):
        gysim.read_vensim(path)
    path.write_text("{UTF-8}\n" + eq("d: a, b") + eq("v[a] = 1")
                    + eq("x[d] = v[d]") + CONTROL)
    with pytest.raises(ModelDefinitionError, match=r"v\[b\], an element the file does not "
                                                   r"define.*'x\[b\]'"):
        gysim.read_vensim(path)


@pytest.mark.skipif(not SUITE.is_dir(), reason="sd-test-models-subscripts not available")
def test_subscript_conformance_suite():
    from gysim.conformance import run_suite
    results = run_suite(SUITE, pysd=False)
    mdl = [r for r in results if r.file.endswith(".mdl")]
    xmile = [r for r in results if not r.file.endswith(".mdl")]
    failed = sorted(r.case for r in mdl if not r.passed)
    assert len(mdl) == 44
    # allocate_available misses the suite's 1e-5: Vensim's own allocations fall short of
    # the supply by up to 4e-6 relative, gysim's clear it exactly
    assert sum(r.passed for r in mdl) >= 43, failed
    fallback = {r.case: r.fallback for r in results if r.fallback}
    assert fallback == {}, fallback  # every file of the suite reads natively
    assert sum(r.invalid for r in xmile) == 8
    assert all(r.passed for r in xmile if not r.invalid)


NATIVE = ["region: north, south, east", "good: food, fuel",
          "demand[region, good] = 3, 1; 4, 2; 5, 0.5;",
          "growth[good] = 0.1, -0.05", "scale = ELMCOUNT(region)",
          "stock[region, good] = INTEG(growth[good] * stock[region, good] + demand[region, good]"
          " / scale, demand[region, good])",
          "share[region, good] = stock[region, good] / SUM(stock[region!, good])",
          "total = SUM(stock[region!, good!])", "food north = stock[north, food]",
          "lowest[good] = VMIN(stock[region!, good])", "spread = VMAX(demand[region!, fuel])",
          "smoothed[region, good] = SMOOTH(stock[region, good], 2)",
          "delayed[region, good] = DELAY1(demand[region, good] * Time, 3)"]


def read_both(tmp_path, *lines):
    """The file read natively (read_vensim) and element by element, both run."""
    from pysd.translators.vensim.vensim_file import VensimFile

    from gysim.io.build import build_model
    path = tmp_path / "m.mdl"
    path.write_text("{UTF-8}\n" + "".join(eq(x) for x in lines) + CONTROL, encoding="utf-8")
    native = gysim.read_vensim(path)
    vfile = VensimFile(path)
    vfile.parse()
    flat = build_model(vfile.get_abstract_model(), path, "Vensim", native=False)
    return (native, gysim.simulate(native, saveper=native.saveper),
            flat, gysim.simulate(flat, saveper=flat.saveper))


def test_whole_ranges_read_with_native_dimensions(tmp_path):
    from gysim.io import stack_subscripts
    native, ds, flat, flat_ds = read_both(tmp_path, *NATIVE)
    assert native.source.fallback == "" and not native.source.subscripts
    assert flat.source.fallback == "native=False" and flat.source.subscripts
    assert native.dimensions == {"region": ("north", "south", "east"), "good": ("food", "fuel")}
    assert ds["stock"].dims == ("time", "region", "good")
    assert ds["lowest"].dims == ("time", "good") and ds["total"].dims == ("time",)
    assert native.params["demand"].dims == ("region", "good")
    assert native.vensim_names["food_north"] == "food north"
    # hand-computed first Euler step: stock = demand + (growth * demand + demand / 3)
    np.testing.assert_allclose(ds["stock"].sel(region="south", good="fuel").values[1],
                               2 + (-0.05 * 2 + 2 / 3))
    np.testing.assert_allclose(ds["share"].sum("region").values, 1.0)
    # the same numbers as the element-by-element reading, stacked into dims
    stacked = stack_subscripts(flat_ds, flat)
    assert flat.dimensions == {} and "stock_south_fuel" in flat_ds
    for name in ("stock", "share", "lowest", "smoothed", "delayed", "total", "food_north",
                 "spread"):
        want = stacked[name]
        np.testing.assert_allclose(ds[name].transpose(*want.dims).values, want.values,
                                   rtol=1e-12, err_msg=name)
    # stack_subscripts leaves native results as they are
    again = stack_subscripts(ds, native)
    assert set(again.data_vars) == set(ds.data_vars)
    np.testing.assert_array_equal(again["stock"].values, ds["stock"].values)


@pytest.mark.parametrize("lines, dims, expected", [
    # hand-computed; x is an array over the family d (labels a, b[, c])
    (["d: a, b", "x[a] = 1", "x[b] = 2", "y[d] = x[d] * Time"], ("d",),
     {"y": lambda t: [t, 2 * t]}),
    (["d: a, b, c", "sub: a, b", "x[d] = 1, 2, 3", "y = SUM(x[sub!])"], (),
     {"y": lambda t: 3.0}),
    (["d: a, b", "x[d] :EXCEPT: [a] = 1", "x[a] = 3", "y[d] = x[d]"], ("d",),
     {"y": lambda t: [3.0, 1.0]}),
    (["d: a, b, c", "sub: b, c", "x[a] = Time", "x[sub] = 10 + Time", "y[d] = x[d]"], ("d",),
     {"y": lambda t: [t, 10 + t, 10 + t]}),
    (["d: a, b", "s[a] = INTEG(1, 0)", "s[b] = INTEG(2, 5)"], ("d",),
     {"s": lambda t: [t, 5 + 2 * t]}),
    (["d: a, b, c", "sub: b, c", "x[d] = 5, 2, 3", "lo = VMIN(x[sub!])", "hi = VMAX(x[sub!])",
      "p = PROD(x[sub!])", "all = VMAX(x[d!])"], (),
     {"lo": lambda t: 2.0, "hi": lambda t: 3.0, "p": lambda t: 6.0, "all": lambda t: 5.0}),
    # a mapping: e's elements take d's by position
    (["d: a, b", "e: p, q -> d", "x[d] = 1, 2", "y[e] = x[d] * 10 + Time"], ("e",),
     {"y": lambda t: [10 + t, 20 + t]}),
    # a range as a value: each element's position in its family, from 1
    (["d: a, b, c", "sub: b, c", "y[sub] = sub + Time", "w[d] = d * 10"], ("d",),
     {"y": lambda t: [0.0, 2 + t, 3 + t], "w": lambda t: [10.0, 20.0, 30.0]}),
])
def test_subranges_except_and_parts_read_natively(tmp_path, lines, dims, expected):
    model, ds = run(tmp_path, *lines)
    assert model.source.fallback == "" and not model.source.subscripts
    for name, want in expected.items():
        for i, t in enumerate(ds.time.values):
            np.testing.assert_allclose(value(model, ds, name)[i], want(float(t)), err_msg=name)
        assert (ds[name].dims[1:] if name in ds else model.params[name].dims) == dims


@pytest.mark.parametrize("lines, expected", [
    # a family used twice (its second use an alias dimension) and a subscripted lookup
    (["d: a, b", "x[d, d] = 1", "y = x[a, b]"], {"y": 1.0}),
    (["d: a, b", "t[d]( (0,0),(1,1) )", "y[d] = t[d](0.5)", "z = y[b]"], {"z": 0.5}),
])
def test_constructs_that_fell_back_read_natively(tmp_path, lines, expected):
    model, ds = run(tmp_path, *lines)
    assert model.source.fallback == "" and not model.source.subscripts
    for name, want in expected.items():
        assert value(model, ds, name)[0] == want
