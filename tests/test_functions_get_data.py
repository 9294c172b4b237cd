"""Vensim data variables (GET DIRECT DATA / GET XLS DATA with the data keywords) and the
time functions GET TIME VALUE and TIME BASE, each from its definition, with values
worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

import gysim
from gysim.io.names import VENSIM_NA
from tests.test_vensim import eq, write_mdl

NA = VENSIM_NA

# Times across row 1 from B1; series 'a' (row 2) has a blank at time 3.
ROWS = "time,1,3,5,7\na,10,,30,50\nb,2,4,8,16\n"


def deq(name, call, keyword=""):
    """A data equation ``name :KEYWORD: := call``."""
    key = f":{keyword}:" if keyword else ""
    return f"{name} {key}:= {call}\n\t~\t\n\t~\t|\n"


def run(tmp_path, body, **kw):
    m = gysim.read_vensim(write_mdl(tmp_path, body, **kw))
    return m, gysim.simulate(m, saveper=m.saveper)


def at(ds, name, times, **sel):
    da = ds[name].sel(**sel) if sel else ds[name]
    return da.sel(time=times).values


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "d.csv").write_text(ROWS)
    return tmp_path


GET_A = "GET DIRECT DATA('d.csv', ',', '1', 'B2')"


def test_interpolate_between_points_skips_blanks_and_holds_the_ends(folder):
    body = deq("y", GET_A) + deq("yi", GET_A, "INTERPOLATE") + eq("twice", "2 * y")
    _, ds = run(folder, body, stop=9, dt=0.5)
    # points (1, 10) (5, 30) (7, 50): the blank at time 3 is no point
    expect = [10, 10, 15, 20, 25, 30, 40, 50, 50, 50]
    t = np.arange(10.0)
    np.testing.assert_allclose(at(ds, "y", t), expect, rtol=1e-12)
    np.testing.assert_allclose(at(ds, "yi", t), expect, rtol=1e-12)
    np.testing.assert_allclose(at(ds, "twice", t), 2 * np.array(expect), rtol=1e-12)
    np.testing.assert_allclose(at(ds, "y", [2.5, 6.5]), [17.5, 45.0], rtol=1e-12)


def test_hold_backward_and_look_forward(folder):
    body = deq("back", GET_A, "HOLD BACKWARD") + deq("ahead", GET_A, "LOOK FORWARD")
    _, ds = run(folder, body, stop=9, dt=0.5)
    t = [0, 1, 1.5, 3, 4.5, 5, 5.5, 6.5, 7, 8, 9]
    np.testing.assert_array_equal(at(ds, "back", t), [10, 10, 10, 10, 10, 30, 30, 30, 50, 50, 50])
    np.testing.assert_array_equal(at(ds, "ahead", t), [10, 10, 30, 30, 30, 30, 50, 50, 50, 50, 50])


def test_raw_is_na_away_from_data_points(folder):
    _, ds = run(folder, deq("y", GET_A, "RAW"), stop=9, dt=0.5)
    t = [0, 1, 1.5, 3, 5, 6, 7, 7.5, 9]
    np.testing.assert_array_equal(at(ds, "y", t), [NA, 10, NA, NA, 30, NA, 50, NA, NA])


def test_raw_with_one_point_and_a_time_step_not_exact_in_binary(tmp_path):
    (tmp_path / "one.csv").write_text("0.3,4\n")
    _, ds = run(tmp_path, deq("y", "GET DIRECT DATA('one.csv', ',', 'A', 'B1')", "RAW")
                + deq("z", "GET DIRECT DATA('one.csv', ',', 'A', 'B1')"), stop=0.5, dt=0.1)
    # time 0.3 is reached as 3 * 0.1 (or 0.1 + 0.1 + 0.1), not exactly 0.3
    np.testing.assert_array_equal(ds["y"].values, [NA, NA, NA, 4, NA, NA])
    np.testing.assert_array_equal(ds["z"].values, [4] * 6)


def test_subscripted_data_one_row_per_element_native_and_element_by_element(folder):
    from pysd.translators.vensim.vensim_file import VensimFile

    from gysim.io.build import build_model
    body = ("d: a, b ~ ~|\n" + deq("z[d]", GET_A) + deq("h[d]", GET_A, "HOLD BACKWARD")
            + eq("s[d]", "INTEG(z[d], 0)"))
    path = write_mdl(folder, body, stop=9, dt=1)
    m = gysim.read_vensim(path)
    assert m.source.fallback == "" and m.auxes["z"].dims == ("d",)
    vfile = VensimFile(path)
    vfile.parse()
    flat = build_model(vfile.get_abstract_model(), path, "Vensim", native=False)
    ds, fds = gysim.simulate(m), gysim.simulate(flat)
    za = [10, 10, 15, 20, 25, 30, 40, 50, 50, 50]
    zb = [2, 2, 3, 4, 6, 8, 12, 16, 16, 16]   # points (1,2) (3,4) (5,8) (7,16)
    hb = [2, 2, 2, 4, 4, 8, 8, 16, 16, 16]
    np.testing.assert_allclose(ds.z.sel(d="a").values, za, rtol=1e-12)
    np.testing.assert_allclose(ds.z.sel(d="b").values, zb, rtol=1e-12)
    np.testing.assert_array_equal(ds.h.sel(d="b").values, hb)
    np.testing.assert_allclose(fds.z_a.values, za, rtol=1e-12)
    np.testing.assert_allclose(fds.z_b.values, zb, rtol=1e-12)
    np.testing.assert_array_equal(fds.h_b.values, hb)
    # the stock sums the data by Euler steps of 1
    np.testing.assert_allclose(ds.s.sel(d="b").values, np.concatenate([[0], np.cumsum(zb)[:-1]]))


def test_times_down_a_column_one_column_per_element(tmp_path):
    (tmp_path / "down.csv").write_text("t,v,w\n0,1,\n10,3,5\n20,,9\n")
    body = "d: a, b ~ ~|\n" + deq("w[d]", "GET DIRECT DATA('down.csv', ',', 'A', 'B2')")
    _, ds = run(tmp_path, body, stop=20, dt=5)
    # a: (0, 1) (10, 3); b: (10, 5) (20, 9)
    np.testing.assert_allclose(ds.w.sel(d="a").values, [1, 2, 3, 3, 3], rtol=1e-12)
    np.testing.assert_allclose(ds.w.sel(d="b").values, [5, 5, 5, 7, 9], rtol=1e-12)


def test_data_in_parts_with_a_label_and_a_range_and_mixed_with_constants(tmp_path):
    (tmp_path / "e.csv").write_text("time,0,10\nx,1,2\nx,3,4\nx,5,6\nx,7,8\n")
    body = ("d: a, b, c ~ ~|\nr: r1, r2 ~ ~|\n"
            + deq("q[a, r]", "GET DIRECT DATA('e.csv', ',', '1', 'B2')")
            + deq("q[b, r]", "GET DIRECT DATA('e.csv', ',', '1', 'B4')", "HOLD BACKWARD")
            + eq("q[c, r]", "100"))
    _, ds = run(tmp_path, body, stop=10, dt=5)
    q = ds.q.sel(time=5.0)
    assert q.dims == ("d", "r")
    np.testing.assert_allclose(q.values, [[1.5, 3.5], [5, 7], [100, 100]], rtol=1e-12)
    np.testing.assert_allclose(ds.q.sel(time=10.0).values, [[2, 4], [6, 8], [100, 100]])


def test_get_xls_data_from_an_xlsx_file(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Series"
    for r, (t, v) in enumerate([(0, 4.0), (4, None), (8, -4.0)], start=3):
        sheet[f"B{r}"] = t
        if v is not None:
            sheet[f"C{r}"] = v
    book.save(tmp_path / "book.xlsx")
    body = (deq("y", "GET XLS DATA('book.xlsx', 'Series', 'B', 'C3')")
            + deq("y2", "GET DIRECT DATA('book.xlsx', 'Series', 'B', 'C3')", "LOOK FORWARD"))
    _, ds = run(tmp_path, body, stop=10, dt=2)
    np.testing.assert_allclose(ds.y.values, [4, 2, 0, -2, -4, -4], rtol=1e-12)
    np.testing.assert_array_equal(ds.y2.values, [4, -4, -4, -4, -4, -4])


def test_backends_agree_with_a_run_axis(folder):
    pytest.importorskip("numba")
    body = (deq("y", GET_A, "RAW") + deq("b", GET_A, "HOLD BACKWARD")
            + deq("f", GET_A, "LOOK FORWARD") + eq("k", "2")
            + eq("s", "INTEG(k * (b + f) + IF THEN ELSE(y = :NA:, 0, y), 0)"))
    m = gysim.read_vensim(write_mdl(folder, body, stop=9, dt=0.5))
    runs = {"k": np.array([1.0, 2.0, 3.0])}
    a = gysim.simulate(m, params=runs, backend="numpy")
    b = gysim.simulate(m, params=runs, backend="numba")
    np.testing.assert_allclose(a.s.values, b.s.values, rtol=1e-12, atol=0)
    # run 2 (k = 2) at time 9: the integral of 2 (b + f) plus the raw points 10+30+50 (dt 0.5)
    assert a.s.values[-1, 1] == pytest.approx(
        0.5 * sum(2 * (bv + fv) for bv, fv in zip(
            [10] * 10 + [30] * 4 + [50] * 4, [10] * 3 + [30] * 8 + [50] * 7)) + 0.5 * 90)


@pytest.mark.parametrize("call, keyword, message", [
    ("GET DIRECT DATA('nothere.csv', ',', '1', 'B2')", "", "'y'.*nothere.csv.*does not exist"),
    ("GET DIRECT DATA('d.csv', ',', '1', 'B9')", "", "'y'.*d.csv.*outside the sheet"),
    ("GET DIRECT DATA('d.csv', ',', '1', 'B1C')", "", "'y'.*'B1C' is not a cell"),
    ("GET DIRECT DATA('d.csv', ',', '1', 'A2')", "", "'y'.*d.csv.*(time).*holds 'time', not a number"),
    ("GET DIRECT DATA('d.csv', ',', '1+', 'B2')", "", "neither a row number"),
])
def test_bad_references_are_refused_naming_the_file_and_element(folder, call, keyword,
                                                                 message):
    with pytest.raises(gysim.ModelDefinitionError, match=message):
        gysim.read_vensim(write_mdl(folder, deq("y", call, keyword)))


def test_data_equations_gysim_does_not_read_are_refused(folder):
    with pytest.raises(gysim.ModelDefinitionError, match="defined by an equation.*'x'"):
        gysim.read_vensim(write_mdl(folder, deq("y", GET_A) + deq("x", "y * 2")))
    body = "d: a, b ~ ~|\ne: p, q ~ ~|\n" + deq("y[d, e]", GET_A)
    with pytest.raises(gysim.ModelDefinitionError, match="over 2 subscript ranges.*'y'"):
        gysim.read_vensim(write_mdl(folder, body))


def test_get_time_value_and_time_base(tmp_path):
    body = (eq("now", "GET TIME VALUE(0, 0, 0)") + eq("later", "GET TIME VALUE(0, 1.5, 0)")
            + eq("year", "TIME BASE(1970, 0.25)"))
    _, ds = run(tmp_path, body, stop=4, dt=1)
    np.testing.assert_array_equal(ds.now.values, [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(ds.later.values, [1.5, 2.5, 3.5, 4.5, 5.5])
    np.testing.assert_array_equal(ds.year.values, [1970, 1970.25, 1970.5, 1970.75, 1971])


@pytest.mark.parametrize("args, message", [
    ("1, 0, 0", "relative to the initial time"), ("2, 0, 0", "computer's clock"),
    ("0, 0, 3", "calendar measure 3"), ("0, 0", "with 2 arguments"),
])
def test_get_time_value_cases_not_read_are_refused_by_name(tmp_path, args, message):
    with pytest.raises(gysim.ModelDefinitionError, match=f"GET TIME VALUE.*{message}.*'y'"):
        gysim.read_vensim(write_mdl(tmp_path, eq("y", f"GET TIME VALUE({args})")))


def test_a_tagged_file_is_the_one_the_model_settings_name(folder):
    (folder / "other.csv").write_text("time,0,10\nv,1,3\n")
    path = write_mdl(folder, deq("y", "GET DIRECT DATA('?src', ',', '1', 'B2')")
                     + deq("z", "GET DIRECT DATA('?d.csv', ',', '1', 'B3')"), stop=10, dt=5)
    path.write_text(path.read_text() + "\\\\\\---/// Sketch information\n*View 1\n///---\\\\\\\n"
                    ":L<%^E!@\n30:?src=other.csv\n")
    ds = gysim.simulate(gysim.read_vensim(path))
    np.testing.assert_allclose(ds.y.values, [1, 2, 3], rtol=1e-12)  # the tag's file
    np.testing.assert_allclose(ds.z.values, [2, 8, 16], rtol=1e-12)  # no setting: d.csv, row b


def test_get_data_first_and_last_time(tmp_path):
    # a: blank at time 20 (the last time); b: blank at time 0 (the first)
    (tmp_path / "down.csv").write_text("t,v,w\n0,1,\n10,3,5\n20,,9\n")
    body = ("d: a, b ~ ~|\n" + deq("w[d]", "GET DIRECT DATA('down.csv', ',', 'A', 'B2')")
            + deq("v", "GET DIRECT DATA('down.csv', ',', 'A', 'C2')")
            + eq("first v", "GET DATA FIRST TIME(v)") + eq("last v", "GET DATA LAST TIME(v)")
            + eq("span[d]", "GET DATA LAST TIME(w[d]) - GET DATA FIRST TIME(w[d])"))
    m, ds = run(tmp_path, body, stop=20, dt=5)
    assert m.params["first_v"].value == 10 and m.params["last_v"].value == 20
    # w[a]: times 0 and 10; w[b]: 10 and 20 (read element by element)
    assert [float(ds.span_a[0]), float(ds.span_b[0])] == [10, 10]
    with pytest.raises(gysim.ModelDefinitionError, match="other than a data variable.*'x'"):
        gysim.read_vensim(write_mdl(tmp_path, eq("k", "1") + eq("x", "GET DATA FIRST TIME(k)")))


def test_data_over_a_subrange_takes_the_rows_in_the_subrange_order(folder):
    body = ("d: a, b, c ~ ~|\nsub: c, b ~ ~|\n" + deq("z[sub]", GET_A, "HOLD BACKWARD")
            + eq("z[a]", "-1"))
    m, ds = run(folder, body, stop=9, dt=1)
    assert m.auxes["z"].dims == ("d",)
    t = [0, 3, 5, 8]
    # c is sub's first element: row 2 (points 1, 5, 7); b its second: row 3
    np.testing.assert_array_equal(at(ds, "z", t, d="c"), [10, 10, 30, 50])
    np.testing.assert_array_equal(at(ds, "z", t, d="b"), [2, 4, 8, 16])
    np.testing.assert_array_equal(at(ds, "z", t, d="a"), [-1, -1, -1, -1])
