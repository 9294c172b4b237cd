"""Vensim's subscript constructs read with native dimensions: known answers computed by hand.

Each case is a small model written from Vensim's documentation of the
construct (subranges, mappings ``->`` with and without map-to lists,
:EXCEPT:, element-by-element equations, one family used twice such as
``m[dim, dim1]`` and ``SUM(m[dim, dim!] * v[dim!])``, subscripted lookups
``tab[d](x)``); none may fall back to the element-by-element reading.
"""

from __future__ import annotations

import numpy as np
import pytest

import gysim
from gysim.errors import ModelDefinitionError

CONTROL = ("INITIAL TIME = 0", "FINAL TIME = 2", "TIME STEP = 1", "SAVEPER = TIME STEP")


def read(tmp_path, *lines):
    """The model of an .mdl file holding ``lines`` (one equation each), read natively."""
    path = tmp_path / "m.mdl"
    path.write_text("{UTF-8}\n" + "".join(f"{x}\n\t~\t\n\t~\t|\n" for x in lines + CONTROL),
                    encoding="utf-8")
    model = gysim.read_vensim(path)
    assert model.source.fallback == "", model.source.fallback
    return model


def values(model, name, t=0):
    """The file's variable ``name`` at time index ``t``: an array over its subscripts."""
    ident = {v: k for k, v in model.source.names.items()}[name]
    ds = gysim.simulate(model, saveper=model.saveper)
    if ident in ds.data_vars:
        return ds[ident].isel(time=t).values
    return np.asarray(model.params[ident].value, dtype=float)


# ------------------------------------------------------------------ subranges and parts
def test_subrange_definitions_and_sums(tmp_path):
    m = read(tmp_path, "d: a, b, c", "sub: b, c", "x[a] = 1", "x[sub] = 10 + Time",
             "y[d] = 2 * x[d]", "s = SUM(x[sub!])", "p = PROD(x[sub!])", "lo = VMIN(x[d!])",
             "z[sub] = x[sub] + 1")
    assert values(m, "y", 1).tolist() == [2, 22, 22]
    assert values(m, "s", 2) == 24 and values(m, "p", 0) == 100 and values(m, "lo") == 1
    # defined over the subrange only: the family's other element is 0
    assert values(m, "z", 0).tolist() == [0, 11, 11]
    assert m.dimensions == {"d": ("a", "b", "c")}


def test_except_and_element_by_element(tmp_path):
    m = read(tmp_path, "d: a, b, c", "e: p, q", "x[d] :EXCEPT: [b] = 1", "x[b] = 7",
             "k[d, e] :EXCEPT: [a, p], [c, q] = 2", "k[a, p] = 5", "k[c, q] = Time",
             "s[a] = INTEG(1, 0)", "s[b] = INTEG(x[b], 3)", "s[c] = INTEG(-1, 10)")
    assert values(m, "x").tolist() == [1, 7, 1]
    assert values(m, "k", 2).tolist() == [[5, 2], [2, 2], [2, 2]]
    # Euler, dt = 1: s(t) = s(0) + rate * t
    assert values(m, "s", 2).tolist() == [2, 17, 8]


def test_constant_arrays_follow_the_written_order(tmp_path):
    # `rev` lists d's elements backwards: its values follow its own order
    m = read(tmp_path, "d: a, b, c", "rev: c, b, a", "x[rev] = 1, 2, 3", "y[d] = x[d]")
    assert values(m, "y").tolist() == [3, 2, 1]


# ------------------------------------------------------------------ mappings
def test_mapping_by_position(tmp_path):
    # Vensim: `worker: w1, w2 -> product` lets worker appear on the right of an
    # equation over product: product's k-th element takes worker's k-th
    m = read(tmp_path, "product: clay, wood", "worker: w1, w2 -> product",
             "quality[worker] = 3, 4", "q[product] = quality[worker] * 10")
    assert values(m, "q").tolist() == [30, 40]


def test_mapping_with_map_to_lists(tmp_path):
    # `rh: r1, r2 -> (lo: l2, l1), (big: s1, s2)`: r1 -> l2 and r2 -> l1; r1 -> every
    # element of the subrange s1 (b1, b3), r2 -> those of s2 (b2, b4)
    m = read(tmp_path, "lo: l1, l2", "big: b1, b2, b3, b4", "s1: b1, b3", "s2: b2, b4",
             "rh: r1, r2 -> (lo: l2, l1), (big: s1, s2)", "x[rh] = 5, 7",
             "y[lo] = x[rh]", "z[big] = x[rh] + Time")
    assert values(m, "y").tolist() == [7, 5]
    assert values(m, "z", 1).tolist() == [6, 8, 6, 8]


def test_range_to_range_mapping_in_two_dimensions(tmp_path):
    # dc maps onto db by position: link[a, dbk] = level[a, dck]
    m = read(tmp_path, "da: a1, a2", "db: b1, b2, b3 -> dc", "dc: c1, c2, c3 -> db",
             "level[da, dc] = 1, 2, 3; 4, 5, 6;", "link[da, db] = level[da, dc] * 2",
             "back[da, dc] = link[da, db]")
    assert values(m, "link").tolist() == [[2, 4, 6], [8, 10, 12]]
    assert values(m, "back").tolist() == [[2, 4, 6], [8, 10, 12]]


def test_mapping_onto_a_subrange_and_copies(tmp_path):
    # the mapping rh -> lo also serves a definition over a subrange of lo; `cp <-> d`
    # is a copy of d: the same elements
    m = read(tmp_path, "lo: l1, l2, l3", "part: l2, l3", "rh: r1, r2, r3 -> lo",
             "x[rh] = 5, 7, 9", "y[part] = x[rh]", "d: a, b", "cp <-> d", "v[d] = 1, 2",
             "w[cp] = v[d] * 3")
    assert values(m, "y").tolist() == [0, 7, 9]
    assert values(m, "w").tolist() == [3, 6]


def test_equal_size_ranges_correspond_by_position(tmp_path):
    m = read(tmp_path, "d: a, b, c", "g: p, q, r", "x[d] = 1, 2, 3", "y[g] = x[d] + g")
    # y[p] = x[a] + (position of p in g) ...
    assert values(m, "y").tolist() == [2, 4, 6]


def test_a_mapping_that_does_not_fit_is_refused(tmp_path):
    path = tmp_path / "bad.mdl"
    path.write_text("{UTF-8}\nd: a, b, c ~~|\ne: p, q -> d ~~|\nx[d] = 1 ~~|\n"
                    "INITIAL TIME = 0 ~~|\nFINAL TIME = 1 ~~|\nTIME STEP = 1 ~~|\n")
    with pytest.raises(ModelDefinitionError, match=r"mapping of 'e' onto 'd' needs as many"):
        gysim.read_vensim(path)


# ------------------------------------------------------------------ one family twice
MATRIX = ("dim: a, b, c", "dim1 <-> dim", "mat[dim, dim1] = 1, 2, 3; 4, 5, 6; 7, 8, 9;",
          "v[dim] = 1, 2, 3")


def test_family_used_twice_transpose_and_diagonal(tmp_path):
    m = read(tmp_path, *MATRIX, "tr[dim, dim1] = mat[dim1, dim] + Time",
             "diag[dim] = mat[dim, dim]", "row[dim] = mat[dim, b]", "col[dim1] = mat[b, dim1]")
    assert values(m, "tr", 0).tolist() == [[1, 4, 7], [2, 5, 8], [3, 6, 9]]
    assert values(m, "diag").tolist() == [1, 5, 9]
    assert values(m, "row").tolist() == [2, 5, 8]
    assert values(m, "col").tolist() == [4, 5, 6]
    assert m.dimensions["dim1"] == ("a_2", "b_2", "c_2")  # the second use: an alias


def test_matrix_products_over_one_family(tmp_path):
    m = read(tmp_path, *MATRIX, "mv[dim] = SUM(mat[dim, dim!] * v[dim!])",
             "vm[dim1] = SUM(v[dim!] * mat[dim!, dim1])",
             "mm[dim, dim1] = SUM(mat[dim, dim!] * mat[dim!, dim1])",
             "colsum[dim1] = SUM(mat[dim!, dim1])", "total = SUM(mat[dim!, dim1!])",
             "s[dim, dim1] = INTEG(mat[dim, dim1], 0)")
    assert values(m, "mv").tolist() == [14, 32, 50]
    assert values(m, "vm").tolist() == [30, 36, 42]
    assert values(m, "mm").tolist() == [[30, 36, 42], [66, 81, 96], [102, 126, 150]]
    assert values(m, "colsum").tolist() == [12, 15, 18]
    assert values(m, "total") == 45
    assert values(m, "s", 2).tolist() == [[2, 4, 6], [8, 10, 12], [14, 16, 18]]


def test_invert_matrix_of_constant_matrices(tmp_path):
    # [[4, 7], [2, 6]]^-1 = [[6, -7], [-2, 4]] / (4 * 6 - 7 * 2); 2 I -> I / 2
    m = read(tmp_path, "c: e1, e2", "d: a, b", "d1 <-> d", "m[e1, d, d1] = 4, 7; 2, 6;",
             "m[e2, d, d1] = 2, 0; 0, 2;", "inv[c, d, d1] = INVERT MATRIX(m[c, d, d1], 2)",
             "check[c, d, d1] = SUM(m[c, d, d!] * inv[c, d!, d1])")
    np.testing.assert_allclose(values(m, "inv"), [[[0.6, -0.7], [-0.2, 0.4]],
                                                  [[0.5, 0], [0, 0.5]]], rtol=1e-12)
    np.testing.assert_allclose(values(m, "check"), [np.eye(2)] * 2, atol=1e-12)
    # a singular matrix: the native reading says so (the file is then refused)
    from pysd.translators.vensim.vensim_file import VensimFile

    from gysim.io.build import ModelBuilder
    path = tmp_path / "singular.mdl"
    path.write_text("{UTF-8}\nd: a, b ~~|\nd1 <-> d ~~|\ns[d, d1] = 1, 2; 2, 4; ~~|\n"
                    "inv[d, d1] = INVERT MATRIX(s[d, d1], 2) ~~|\nINITIAL TIME = 0 ~~|\n"
                    "FINAL TIME = 1 ~~|\nTIME STEP = 1 ~~|\n")
    vfile = VensimFile(path)
    vfile.parse()
    with pytest.raises(ModelDefinitionError, match="INVERT MATRIX of a singular matrix"):
        ModelBuilder(vfile.get_abstract_model(), path, "Vensim", native=True).build()
    with pytest.raises(ModelDefinitionError, match="INVERT MATRIX"):
        gysim.read_vensim(path)


# ------------------------------------------------------------------ VECTOR SELECT
def test_vector_select(tmp_path):
    # Vensim: the sum (action 0), product (1), minimum (2) or maximum (3) of the
    # values whose selection is not 0; `missing` when none is
    m = read(tmp_path, *MATRIX, "sub: b, c", "sel[dim] = 1, 0, 1", "none[dim] = 0",
             "total = VECTOR SELECT(sel[dim!], v[dim!], -1, 0, 0)",
             "prod = VECTOR SELECT(sel[dim!], v[dim!], -1, 1, 0)",
             "low = VECTOR SELECT(sel[dim!], v[dim!] * Time, -1, 2, 0)",
             "high = VECTOR SELECT(sel[sub!], v[sub!], -1, 3, 0)",
             "missing = VECTOR SELECT(none[dim!], v[dim!], -1, 0, 0)",
             "rows[dim] = VECTOR SELECT(sel[dim1!], mat[dim, dim1!], 0, 0, 0)")
    assert [values(m, k, 2) for k in ("total", "prod", "low", "high", "missing")] == \
        [4, 3, 2, 3, -1]
    assert values(m, "rows").tolist() == [4, 10, 16]


# ------------------------------------------------------------------ subscripted lookups
def test_subscripted_lookups(tmp_path):
    m = read(tmp_path, "d: a, b, c", "sub: b, c", "e: p, q",
             "tab[a]( (0,0),(10,10) )", "tab[sub]( (0,0),(10,-20) )",
             "w[e] = 1, 4", "y[d] = tab[d](Time)", "z[d, e] = tab[d](w[e])",
             "one = tab[b](5)", "t2[d, e]( (0,1),(10,1) )", "u[e, d] = t2[d, e](Time) * w[e]")
    assert values(m, "y", 2).tolist() == [2, -4, -4]
    assert values(m, "z").tolist() == [[1, 4], [-2, -8], [-2, -8]]
    assert values(m, "one") == -10
    assert values(m, "u").tolist() == [[1, 4]] * 3  # dims in the file's order: (d, e)


def test_lookup_over_an_alias_dimension(tmp_path):
    # the lookup's subscript takes the definition's second use of the family
    m = read(tmp_path, *MATRIX, "ab: a, b", "tab[ab]( (0,0),(1,1) )", "tab[c]( (0,0),(1,3) )",
             "g[dim, dim1] = tab[dim1](0.5) + mat[dim, dim1] * 0")
    assert values(m, "g").tolist() == [[0.5, 0.5, 1.5]] * 3


# ------------------------------------------------------------------ engine: delays
def test_delay_n_with_a_changing_delay_time_over_dimensions():
    # DELAY N(x, 2 + RAMP(1, 0), init, 2), x = k + STEP(1, 1), dt = 0.5; inner stage at
    # the current delay time, the output stage at the previous one (Vensim: the output
    # depends only on past delay times). Stages start at init * T / 2 = init; by hand
    # y(0) = init, y(0.5) = s2(0.5) / (T(0) / 2) = init (s1 still drains at init),
    # y(1) = s2(1) / (T(0.5) / 2) = init * (1 + 0.5 (1 / 1.25 - 1)) / 1.25 = 0.72 init
    m = gysim.Model("m", stop=1, dt=0.5, method="euler")
    m.dimension("d", ["a", "b"])
    m.param("k", [1.0, 2.0], dims="d")
    m.aux("x", "k + step(1, 1)", dims="d")
    m.aux("y", "delay_n(x, 2 + ramp(1, 0), k, 2)", dims="d")
    ds = gysim.simulate(m, saveper=0.5)
    np.testing.assert_allclose(ds["y"].sel(d="a").values, [1, 1, 0.72])
    np.testing.assert_allclose(ds["y"].sel(d="b").values, [2, 2, 1.44])
