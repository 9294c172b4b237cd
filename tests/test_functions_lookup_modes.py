"""Vensim's LOOKUP EXTRAPOLATE, FORWARD, BACKWARD, AREA and INVERT, by their definitions.

The lookup ``t`` has the points (0, 0), (1, 1), (2, 4): slopes 1 then 3, areas
0.5 then (1 + 4) / 2 = 2.5 under its two segments. Every expected value below
is worked out by hand from Vensim's function reference (see
:mod:`gysim.io.lookup_modes`); the inputs are one ensemble (a run per input),
on both backends.
"""

from __future__ import annotations

import numpy as np
import pytest

import gysim
from gysim.errors import ModelDefinitionError
from gysim.io.lookup_modes import cumulative, monotone_inverse
from tests.test_vensim import eq, write_mdl

T = "t(\n\t(0,0),(1,1),(2,4))\n\t~\t\n\t~\t|\n"
LOOK = "look(\n\t(0,1),(1,1),(2,2))\n\t~\t\n\t~\t|\n"  # the reference's LOOKUP AREA example
DOWN = "down(\n\t(0,4),(1,1),(2,0))\n\t~\t\n\t~\t|\n"
#: the inputs: outside both ends, on the points, inside segments
XS = np.array([-1.0, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0])


def _run(tmp_path, body, xs, backend="numpy"):
    model = gysim.read_vensim(write_mdl(tmp_path, body + eq("x", "0"), stop=1))
    result = gysim.simulate(model, params={"x": xs}, backend=backend)
    return {name: result[name].isel(time=0) for name in result.data_vars}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    body = (T + LOOK + DOWN
            + eq("extrapolated", "LOOKUP EXTRAPOLATE(t, x)")
            + eq("forward", "LOOKUP FORWARD(t, x)")
            + eq("backward", "LOOKUP BACKWARD(t, x)")
            + eq("area from 0", "LOOKUP AREA(t, 0, x)")
            + eq("area to 0", "LOOKUP AREA(t, x, 0)")
            + eq("inverted", "LOOKUP INVERT(t, x)")
            + eq("inverted down", "LOOKUP INVERT(down, x)")
            + eq("inline", "LOOKUP EXTRAPOLATE(WITH LOOKUP(x, ((0,0),(1,1),(2,4))), x)"))
    path = tmp_path_factory.mktemp("modes")
    return {b: _run(path, body, XS, b) for b in ("numpy", "numba")}


def test_extrapolate_continues_the_end_slopes(runs):
    # inside: the lookup; below 0 along slope 1, above 2 along slope 3: 4 + 3 * (3 - 2)
    np.testing.assert_allclose(runs["numpy"]["extrapolated"],
                               [-1.0, 0.0, 0.5, 1.0, 2.5, 4.0, 7.0], rtol=0, atol=1e-15)


def test_backward_takes_the_last_point_at_or_before(runs):
    # held at y(0) below the range, at y(2) = 4 above it; on a point, that point
    np.testing.assert_array_equal(runs["numpy"]["backward"], [0, 0, 0, 1, 1, 4, 4])


def test_forward_takes_the_first_point_at_or_after(runs):
    np.testing.assert_array_equal(runs["numpy"]["forward"], [0, 0, 1, 1, 4, 4, 4])


def test_area_integrates_the_lookup_holding_its_ends(runs):
    # from 0: -1 -> y(0) * -1 = 0; 0.5 -> 0.5 * 0.5 / 2; 1 -> 0.5;
    # 1.5 -> 0.5 + 0.5 * (1 + 2.5) / 2; 2 -> 0.5 + 2.5; 3 -> 3 + 4 * 1 (held at 4)
    want = np.array([0.0, 0.0, 0.125, 0.5, 1.375, 3.0, 7.0])
    np.testing.assert_allclose(runs["numpy"]["area_from_0"], want, rtol=1e-15, atol=0)
    np.testing.assert_allclose(runs["numpy"]["area_to_0"], -want, rtol=1e-15, atol=0)


def test_area_matches_the_reference_example(tmp_path):
    body = LOOK + "".join(eq(f"a{i}", f"LOOKUP AREA(look, {lo}, {hi})") for i, (lo, hi) in
                          enumerate([(0, 1), (2, 4), (0.5, 2.5), (-1, 0), (1, 1)]))
    got = _run(tmp_path, body, np.array([0.0]))
    # the reference: 1, 4, 3; below the range y(0) = 1 held: 1; an empty interval: 0
    assert [got[f"a{i}"][0] for i in range(5)] == [1.0, 4.0, 3.0, 1.0, 0.0]


def test_invert_increasing_and_decreasing(runs):
    # t takes y in [0, 4]: 1.5 -> 1 + (1.5 - 1) / 3; outside, the end points' x
    np.testing.assert_allclose(runs["numpy"]["inverted"],
                               [0.0, 0.0, 0.5, 1.0, 1 + 0.5 / 3, 1 + 1 / 3, 1 + 2 / 3],
                               rtol=1e-15, atol=0)
    # down: (0, 4), (1, 1), (2, 0): y 0.5 -> x 1.5; y 1.5 -> 1 - 0.5 / 3; y 3 -> 1 - 2 / 3;
    # y at or below 0 -> x = 2
    np.testing.assert_allclose(runs["numpy"]["inverted_down"],
                               [2.0, 2.0, 1.5, 1.0, 5 / 6, 2 / 3, 1 / 3], rtol=1e-15, atol=0)


def test_inline_lookup(runs):
    np.testing.assert_allclose(runs["numpy"]["inline"], runs["numpy"]["extrapolated"],
                               rtol=0, atol=0)


def test_backends_agree(runs):
    for name, values in runs["numpy"].items():
        np.testing.assert_allclose(runs["numba"][name], values, rtol=1e-12, atol=1e-12,
                                   err_msg=name)


def test_next_to_a_point(tmp_path):
    # Just below x = 1.913, the index lookup (0.816, 0), (1.913, 1), ... rounds to
    # exactly 1: the comparisons with the points must still put x before the point.
    table = "r(\n\t(0.816,10),(1.913,20),(1.916,30),(8.024,40))\n\t~\t\n\t~\t|\n"
    below, above = np.nextafter(1.913, 0.0), np.nextafter(1.913, 2.0)
    assert np.interp(below, [0.816, 1.913, 1.916, 8.024], [0, 1, 2, 3]) == 1.0
    for backend in ("numpy", "numba"):
        got = _run(tmp_path, table + eq("f", "LOOKUP FORWARD(r, x)")
                   + eq("b", "LOOKUP BACKWARD(r, x)"), np.array([below, 1.913, above]), backend)
        np.testing.assert_array_equal(got["f"], [20, 20, 30])
        np.testing.assert_array_equal(got["b"], [10, 20, 20])


def test_subscripted_lookups(tmp_path):
    body = ("dim: a1, a2\n\t~\t\n\t~\t|\n"
            "tab[a1](\n\t(0,0),(1,1))\n\t~\t\n\t~\t|\n"
            "tab[a2](\n\t(0,0),(1,2))\n\t~\t\n\t~\t|\n"
            + eq("e[dim]", "LOOKUP EXTRAPOLATE(tab[dim], x + 2)")
            + eq("area[dim]", "LOOKUP AREA(tab[dim], 0, x + 2)")
            + eq("g", "LOOKUP FORWARD(tab[a2], x + 0.5)")
            + T + eq("v[dim]", "0.5, 1.5") + eq("h[dim]", "LOOKUP BACKWARD(t, v[dim] + x)"))
    for backend in ("numpy", "numba"):
        got = _run(tmp_path, body, np.array([0.0, -1.0]), backend)
        assert got["e"].dims == ("dim", "run")  # read as arrays, a table per element
        # x + 2 = 2: slopes 1 and 2 continued past 1; at 1, the points
        np.testing.assert_allclose(got["e"].sel(dim="a1"), [2.0, 1.0])
        np.testing.assert_allclose(got["e"].sel(dim="a2"), [4.0, 2.0])
        # to 2: 0.5 + 1 * 1 and 1 + 2 * 1; to 1: the triangles 0.5 and 1
        np.testing.assert_allclose(got["area"].sel(dim="a1"), [1.5, 0.5])
        np.testing.assert_allclose(got["area"].sel(dim="a2"), [3.0, 1.0])
        np.testing.assert_allclose(got["g"], [2.0, 0.0])  # forward of 0.5, of -0.5
        # one lookup, an array input: backward of 0.5 and 1.5, then of -0.5 and 0.5
        np.testing.assert_array_equal(got["h"].transpose("dim", "run"), [[0, 0], [1, 0]])


def test_helpers():
    assert cumulative((0.0, 1.0, 2.0), (0.0, 1.0, 4.0)) == (0.0, 0.5, 3.0)
    assert cumulative((-2.0, 0.0), (-1.0, -1.0)) == (0.0, -2.0)  # negative values
    assert monotone_inverse((0.0, 1.0), (3.0, 1.0)) == ((1.0, 3.0), (1.0, 0.0))
    assert monotone_inverse((0.0, 1.0, 2.0), (1.0, 1.0, 2.0)) is None  # a flat part


@pytest.mark.parametrize("call, why", [
    ("LOOKUP INVERT(hump, 0.5)", "LOOKUP INVERT of a lookup whose values do not strictly"),
    ("LOOKUP INVERT(flat, 0.5)", "LOOKUP INVERT of a lookup whose values do not strictly"),
    ("LOOKUP AREA(t, 1)", "LOOKUP AREA with 2 arguments"),
    ("LOOKUP FORWARD(t, 1, 2)", "LOOKUP FORWARD with 3 arguments"),
    ("LOOKUP EXTRAPOLATE(k, 1)", "LOOKUP EXTRAPOLATE of 'k', which is not a lookup"),
    ("LOOKUP BACKWARD(3, 1)", "LOOKUP BACKWARD whose first argument is not a lookup"),
    ("LOOKUP FORWARD(t, RANDOM UNIFORM(0, 1, 0))", "LOOKUP FORWARD of an input that calls"),
    ("LOOKUP AREA(t, 0, SMOOTH(k, 1))", "LOOKUP AREA of an input that calls"),
])
def test_refusals(tmp_path, call, why):
    body = (T + "hump(\n\t(0,0),(1,1),(2,0))\n\t~\t\n\t~\t|\n"
            "flat(\n\t(0,1),(1,1))\n\t~\t\n\t~\t|\n" + eq("d", call) + eq("k", "1"))
    with pytest.raises(ModelDefinitionError, match=why):
        gysim.read_vensim(write_mdl(tmp_path, body))


def test_random_tables_against_the_definitions(tmp_path):
    """Tables of 6 points with 3-decimal x; inputs on every point, next to it on both
    sides, between points and outside: the step functions by a direct scan of the
    points, both backends."""
    rng = np.random.default_rng(7)
    for trial in range(4):
        x = np.unique(np.round(rng.uniform(-5, 5, 6), 3))
        y = np.round(rng.uniform(-3, 3, x.size), 2)
        table = "r(\n\t" + ",".join(f"({a},{b})" for a, b in zip(x, y)) + ")\n\t~\t\n\t~\t|\n"
        inputs = np.concatenate([x, np.nextafter(x, -np.inf), np.nextafter(x, np.inf),
                                 (x[1:] + x[:-1]) / 2, [x[0] - 1, x[-1] + 1]])
        last_at_or_before = [max((i for i in range(x.size) if x[i] <= v), default=0)
                             for v in inputs]
        first_at_or_after = [min((i for i in range(x.size) if x[i] >= v), default=x.size - 1)
                             for v in inputs]
        body = table + eq("f", "LOOKUP FORWARD(r, x)") + eq("b", "LOOKUP BACKWARD(r, x)")
        for backend in ("numpy", "numba"):
            got = _run(tmp_path, body, inputs, backend)
            np.testing.assert_array_equal(got["b"], y[last_at_or_before], err_msg=backend)
            np.testing.assert_array_equal(got["f"], y[first_at_or_after], err_msg=backend)


def test_random_areas_against_trapezoids(tmp_path):
    """The area from -1 to each input, by trapezoids between the table's points and the
    two bounds (exact for a function linear between them and held outside)."""
    rng = np.random.default_rng(11)
    x = np.unique(np.round(rng.uniform(-5, 5, 7), 3))
    y = np.round(rng.uniform(-3, 3, x.size), 2)
    table = "r(\n\t" + ",".join(f"({a},{b})" for a, b in zip(x, y)) + ")\n\t~\t\n\t~\t|\n"
    inputs = np.concatenate([x, (x[1:] + x[:-1]) / 2, [-7.5, -1.0, 6.25]])

    def trapezoids(lo, hi):
        sign = 1.0 if hi >= lo else -1.0
        lo, hi = min(lo, hi), max(lo, hi)
        knots = np.unique(np.concatenate([[lo, hi], x[(x > lo) & (x < hi)]]))
        values = np.interp(knots, x, y)
        return sign * float(np.sum(np.diff(knots) * (values[1:] + values[:-1]) / 2))

    want = [trapezoids(-1.0, v) for v in inputs]
    for backend in ("numpy", "numba"):
        got = _run(tmp_path, table + eq("a", "LOOKUP AREA(r, -1, x)"), inputs, backend)
        np.testing.assert_allclose(got["a"], want, rtol=1e-12, atol=1e-12, err_msg=backend)
