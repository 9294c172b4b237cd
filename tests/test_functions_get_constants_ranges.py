"""GET DIRECT/XLS CONSTANTS over one and two subscript ranges (and transposed with a
``*`` cell), and subscript ranges read from a file (GET DIRECT/XLS SUBSCRIPT), each from
Vensim's definition: the last range runs to the right, the range before it down, ``*``
swaps the two; a subscript range's elements are the cells from the first to the last,
across then down, empty cells skipped, each with the prefix before it."""

from __future__ import annotations

import numpy as np
import pytest

import gysim
from gysim.io.build import build_model
from tests.test_vensim import eq, write_mdl

# A block with a header row and column: B2:D4 holds 1..9 row by row.
BLOCK = "x,a,b,c\nn1,1,2,3\nn2,4,5,6\nn3,7,8,9\n"


def ranges(**defs):
    return "".join(f"{name}: {labels} ~~|\n" for name, labels in defs.items())


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "b.csv").write_text(BLOCK)
    return tmp_path


def read(folder, body, **kw):
    m = gysim.read_vensim(write_mdl(folder, body, stop=1, **kw))
    return m, gysim.simulate(m)


@pytest.mark.parametrize("native", [True, False])
def test_two_ranges_rows_down_the_second_last_and_columns_across_the_last(folder, native):
    body = (ranges(r="r1, r2, r3", s="s1, s2")
            + eq("c[r, s]", "GET DIRECT CONSTANTS('b.csv', ',', 'B2')")
            + eq("tt[r, s]", "GET DIRECT CONSTANTS('b.csv', ',', 'B2*')")
            + eq("v[s]", "GET DIRECT CONSTANTS('b.csv', ',', 'C3')")
            + eq("w[s]", "GET DIRECT CONSTANTS('b.csv', ',', 'C3*')")
            + eq("k", "GET DIRECT CONSTANTS('b.csv', ',', 'D4*')"))
    path = write_mdl(folder, body, stop=1)
    m = gysim.read_vensim(path) if native else build_model(
        _abstract(path), path, "Vensim", native=False)
    ds = gysim.simulate(m)
    # c[ri, sj] = cell (row 2 + i, column B + j); tt[ri, sj] = cell (row 2 + j, column B + i)
    expect_c = {("r1", "s1"): 1, ("r1", "s2"): 2, ("r2", "s1"): 4, ("r2", "s2"): 5,
                ("r3", "s1"): 7, ("r3", "s2"): 8}
    expect_t = {("r1", "s1"): 1, ("r1", "s2"): 4, ("r2", "s1"): 2, ("r2", "s2"): 5,
                ("r3", "s1"): 3, ("r3", "s2"): 6}
    for (r, s), value in expect_c.items():
        assert _value(ds, "c", native, r=r, s=s) == value
    for (r, s), value in expect_t.items():
        assert _value(ds, "tt", native, r=r, s=s) == value
    # one range: across from C3 (5, 6); transposed: down from C3 (5, 8)
    assert [_value(ds, "v", native, s=s) for s in ("s1", "s2")] == [5, 6]
    assert [_value(ds, "w", native, s=s) for s in ("s1", "s2")] == [5, 8]
    assert float(ds["k"].values.reshape(-1)[0]) == 9  # one cell: the '*' changes nothing


def _abstract(path):
    from pysd.translators.vensim.vensim_file import VensimFile
    vfile = VensimFile(path)
    vfile.parse()
    return vfile.get_abstract_model()


def _value(ds, name, native, **labels):
    if native:
        return float(ds[name].sel(**labels).values.reshape(-1)[0])
    suffix = "_".join(labels[k] for k in sorted(labels, key=lambda k: "rs".index(k)))
    return float(ds[f"{name}_{suffix}"].values.reshape(-1)[0])


def test_a_label_on_the_left_takes_one_row_and_parts_over_a_subrange(folder):
    # rows: u1 from row 2, u2 from row 3 (a single element holds its place: one row)
    body = (ranges(u="u1, u2", s="s1, s2, s3", sub="s2, s3")
            + eq("c[u1, s]", "GET DIRECT CONSTANTS('b.csv', ',', 'B2')")
            + eq("c[u2, s]", "GET DIRECT CONSTANTS('b.csv', ',', 'B4')")
            + eq("p[s1]", "-1")
            + eq("p[sub]", "GET DIRECT CONSTANTS('b.csv', ',', 'C3*')"))
    _, ds = read(folder, body)
    np.testing.assert_array_equal(ds.c.transpose("u", "s").values, [[1, 2, 3], [7, 8, 9]])
    np.testing.assert_array_equal(ds.p.sel(s=["s1", "s2", "s3"]).values, [-1, 5, 8])


def test_get_xls_constants_two_ranges_from_xlsx(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "In"
    for i, row in enumerate([[0.5, -2.0], [0.0, 1e-3]]):
        for j, value in enumerate(row):
            sheet.cell(row=5 + i, column=3 + j, value=value)  # C5:D6
    book.save(tmp_path / "k.xlsx")
    body = (ranges(r="r1, r2", s="s1, s2")
            + eq("c[r, s]", "GET XLS CONSTANTS('k.xlsx', 'In', 'C5')")
            + eq("y[r, s]", "c[r, s] * 2"))
    _, ds = read(tmp_path, body)
    y = ds.y.isel(time=0).transpose("r", "s").values
    np.testing.assert_array_equal(y, [[1.0, -4.0], [0.0, 2e-3]])


@pytest.mark.parametrize("lhs, cell, message", [
    ("c[r, s]", "C3", r"run outside the sheet \(4 rows, 4 columns\)"),
    ("c[r, s]", "A2", r"the cell A2 holds 'n1', not a number"),
    ("c[r, s]", "B2:C3", "not a cell such as 'B2'"),
    ("c[r, s, q]", "B2", "GET CONSTANTS over 3 subscript ranges"),
])
def test_blocks_that_cannot_be_read_are_refused_naming_element_and_file(folder, lhs, cell,
                                                                        message):
    body = (ranges(r="r1, r2, r3", s="s1, s2", q="q1, q2")
            + eq(lhs, f"GET DIRECT CONSTANTS('b.csv', ',', '{cell}')"))
    with pytest.raises(gysim.ModelDefinitionError, match=message) as info:
        gysim.read_vensim(write_mdl(folder, body))
    assert "'c'" in str(info.value) and "b.csv" in str(info.value)


def test_an_empty_cell_in_the_block_is_refused(folder):
    (folder / "gap.csv").write_text("1,2\n3,\n")
    body = ranges(r="r1, r2", s="s1, s2") + eq("c[r, s]", "GET DIRECT CONSTANTS('gap.csv', "
                                               "',', 'A1')")
    with pytest.raises(gysim.ModelDefinitionError, match=r"'c'.*gap\.csv.*cell B2 is empty"):
        gysim.read_vensim(write_mdl(folder, body))


def test_subscript_ranges_read_from_a_file(folder):
    # row 1 from B1 to D1: a, b, c; column A rows 2..4: n1, n2, n3; with prefixes
    (folder / "labels.csv").write_text("x,1,,3\nn1\nn2\n\nn3\n")
    body = (ranges(d="GET DIRECT SUBSCRIPT('b.csv', ',', 'A2', 'A4', '')",
                   e="GET DIRECT SUBSCRIPT('labels.csv', ',', 'B1', 'D1', 'p')",
                   f="GET DIRECT SUBSCRIPT('labels.csv', ',', 'A2', 'A5', 'row ')")
            + eq("c[d, e]", "GET DIRECT CONSTANTS('b.csv', ',', 'B2')")
            + eq("n[f]", "1"))
    m, ds = read(folder, body)
    assert list(ds.d.values) == ["n1", "n2", "n3"]
    assert list(ds.e.values) == ["p1", "p3"]  # C1 is empty: skipped; 1.0 reads as '1'
    assert list(ds.f.values) == ["row_n1", "row_n2", "row_n3"]  # A4 empty: skipped
    # (labels as gysim spells them: "row n1" -> "row_n1")
    np.testing.assert_array_equal(ds.c.transpose("d", "e").values, [[1, 2], [4, 5], [7, 8]])


@pytest.mark.parametrize("args, message", [
    ("'b.csv', ',', 'A2', '', ''", "an empty 'lastcell' is not supported"),
    ("'b.csv', ',', 'A4', 'A2', ''", "above or left of the first"),
    ("'b.csv', ',', 'E1', 'E4', ''", "no elements in the cells E1 to E4"),
    ("'none.csv', ',', 'A2', 'A4', ''", "does not exist"),
    ("'b.csv', ',', 'A2', 'B2', 'x'", "an element is repeated"),
])
def test_get_direct_subscript_refusals_name_the_range_and_file(folder, args, message):
    (folder / "b.csv").write_text(BLOCK.replace("n1,1", "n1,n1"))
    body = ranges(d=f"GET DIRECT SUBSCRIPT({args})") + eq("c[d]", "1")
    with pytest.raises(gysim.ModelDefinitionError, match=message) as info:
        gysim.read_vensim(write_mdl(folder, body))
    assert "'d'" in str(info.value)


MIXED = """Dim: A, B ~~|
Type: ext data, ext const, const ~~|
Variable[ext data,Dim]:INTERPOLATE::=
\tGET DIRECT DATA('?input.xlsx', 'Sheet1' , '4' , 'C5' ) ~~|
Variable[ext const,Dim]=
\tGET DIRECT CONSTANTS('?input.xlsx', 'Sheet1' , 'C8*' ) ~~|
Variable[const,Dim]= 2, 4 ~~|
Variable 10[Type,Dim]= Variable[Type,Dim]*10 ~~|
"""


def test_the_public_case_get_mixed_definitions_with_its_layout_rebuilt(tmp_path):
    """The test-suite case's equations; its workbook rebuilt to give the case's published
    output (times 0, 3, 5, 7, 10 in row 4; series A and B in rows 5 and 6; 10 and 11 in
    C8 and C9, read down by 'C8*')."""
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    for j, (t, a, b) in enumerate(zip([0, 3, 5, 7, 10], [20, 21, 22, 23, 24],
                                      [49, 27, 1, 72, 11])):
        sheet.cell(row=4, column=3 + j, value=t)
        sheet.cell(row=5, column=3 + j, value=a)
        sheet.cell(row=6, column=3 + j, value=b)
    sheet["C8"], sheet["C9"] = 10, 11
    book.save(tmp_path / "input.xlsx")
    path = write_mdl(tmp_path, MIXED, stop=10)
    path.write_text(path.read_text() + "\n\\\\\\---/// Sketch\n///---\\\\\\\n:L<%^E!@\n"
                    "30:?input.xlsx=input.xlsx\n")
    ds = gysim.simulate(gysim.read_vensim(path))
    v = ds["variable_10"]
    # Vensim's output of the case (single precision, 6 digits)
    np.testing.assert_allclose(v.sel(type="ext_data", dim="a").values,
                               [200, 203.333, 206.667, 210, 215, 220, 225, 230, 233.333,
                                236.667, 240], rtol=2e-6)
    np.testing.assert_allclose(v.sel(type="ext_data", dim="b").values,
                               [490, 416.667, 343.333, 270, 140, 10, 365, 720, 516.667,
                                313.333, 110], rtol=2e-6)
    assert list(v.sel(type="ext_const").isel(time=0).values) == [100, 110]
    assert list(v.sel(type="const").isel(time=0).values) == [20, 40]


THREE_D = """Three Dimensional Variable[One Dimensional Subscript,Second Dimension Subscript,\
Third Dimension Subscript]= Three Dimensional Constant[One Dimensional Subscript,\
Second Dimension Subscript,Third Dimension Subscript] ~~|
Third Dimension Subscript: GET DIRECT SUBSCRIPT('?input.xls','Sheet1','C3','D3','Depth') ~~|
Second Dimension Subscript: Column1, Column2 ~~|
One Dimensional Subscript: GET DIRECT SUBSCRIPT('?input.xls','Sheet1','B4','B6','Entry') ~~|
Three Dimensional Constant[One Dimensional Subscript,Column1,Third Dimension Subscript]=
\tGET DIRECT CONSTANTS('?input.xls','Sheet1','C4') ~~|
Three Dimensional Constant[One Dimensional Subscript,Column2,Third Dimension Subscript]=
\tGET DIRECT CONSTANTS('?input.xls','Sheet1','E4') ~~|
"""


def test_the_public_case_get_subscript_3d_arrays_with_its_layout_rebuilt(tmp_path):
    """The test-suite case's equations (three ranges, each equation over two of them and
    an element of the third); its .xls is rebuilt as a text file the tag names: depths in
    C3:D3, entries in B4:B6, Column1's block in C4:D6 and Column2's in E4:F6."""
    rows = [",,,,,", ",,,,,", ",,1,2,,",
            ",e1,11,12,21,22", ",e2,13,14,23,24", ",e3,15,16,25,26"]
    (tmp_path / "input.csv").write_text("\n".join(rows) + "\n")
    path = write_mdl(tmp_path, THREE_D.replace("'Sheet1'", "','"), stop=1)
    path.write_text(path.read_text() + "\n\\\\\\---/// Sketch\n///---\\\\\\\n:L<%^E!@\n"
                    "30:?input.xls=input.csv\n")
    m = gysim.read_vensim(path)
    ds = gysim.simulate(m)
    v = ds["three_dimensional_variable"].isel(time=0)
    assert list(ds["third_dimension_subscript"].values) == ["depth1", "depth2"]  # "Depth1", "Depth2" in gysim's spelling
    assert list(ds["one_dimensional_subscript"].values) == ["entrye1", "entrye2", "entrye3"]
    got = v.transpose("one_dimensional_subscript", "second_dimension_subscript",
                      "third_dimension_subscript").values
    np.testing.assert_array_equal(got[:, 0, :], [[11, 12], [13, 14], [15, 16]])
    np.testing.assert_array_equal(got[:, 1, :], [[21, 22], [23, 24], [25, 26]])


def test_a_read_block_in_a_stock_model_backends_agree_with_a_run_axis(folder):
    pytest.importorskip("numba")
    body = (ranges(r="r1, r2, r3", s="s1, s2")
            + eq("c[r, s]", "GET DIRECT CONSTANTS('b.csv', ',', 'B2*')")
            + eq("k", "1")
            + eq("st[r, s]", "INTEG(k * c[r, s], 0)"))
    m = gysim.read_vensim(write_mdl(folder, body, stop=4))
    runs = {"k": np.array([1.0, -0.5])}
    a = gysim.simulate(m, params=runs, backend="numpy")
    b = gysim.simulate(m, params=runs, backend="numba")
    np.testing.assert_allclose(a.st.values, b.st.values, rtol=1e-12, atol=0)
    # c[r3, s2] = cell (row 2 + 1, column B + 2) = D3 = 6; at time 4: 4 * k * 6
    got = a.st.sel(r="r3", s="s2").isel(time=-1).values
    np.testing.assert_allclose(got, [24.0, -12.0], rtol=1e-12)


def test_gysim_check_lists_blocks_it_cannot_read_and_get_data_at_time(folder):
    from gysim.io.check import check_model
    body = (ranges(r="r1, r2, r3")
            + eq("c[r, r]", "GET DIRECT CONSTANTS('b.csv', ',', 'D2')")
            + eq("ok[r]", "GET DIRECT CONSTANTS('b.csv', ',', 'B2*')")
            + eq("g", "GET DATA AT TIME(ok[r1], 1)"))
    report = check_model(write_mdl(folder, body))
    elements = sorted(f.element for f in report.findings)
    assert elements == ["c", "g"]
    text = str(report)
    assert "run outside the sheet" in text and "GET DATA AT TIME" in text


def test_get_data_at_time_is_refused_by_name(folder):
    (folder / "d.csv").write_text("time,1,3\na,10,30\n")
    body = ("y := GET DIRECT DATA('d.csv', ',', '1', 'B2') ~~|\n"
            + eq("g", "GET DATA AT TIME(y, 2)"))
    with pytest.raises(gysim.ModelDefinitionError, match="GET DATA AT TIME.*'g'"):
        gysim.read_vensim(write_mdl(folder, body))


def test_inside_an_expression_one_cell_reads_and_a_subscripted_element_is_refused(folder):
    body = ranges(r="r1, r2") + eq("k", "2 * GET DIRECT CONSTANTS('b.csv', ',', 'C3')")
    _, ds = read(folder, body)
    assert float(ds.k.values.reshape(-1)[0]) == 10  # 2 * C3 (= 5)
    body += eq("s[r]", "INTEG(1, GET DIRECT CONSTANTS('b.csv', ',', 'B2'))")
    with pytest.raises(gysim.ModelDefinitionError,
                       match=r"GET CONSTANTS inside an expression of a subscripted element "
                             r"in element 's\[r1\]'"):
        gysim.read_vensim(write_mdl(folder, body, name="n.mdl"))


def test_a_range_from_another_function_is_refused_by_name(folder):
    body = ranges(d="GET VDF SUBSCRIPT('b.csv', ',', 'A2', 'A4', '')") + eq("c[d]", "1")
    with pytest.raises(gysim.ModelDefinitionError,
                       match=r"range 'd' is defined by GET VDF SUBSCRIPT\(\.\.\.\)"):
        gysim.read_vensim(write_mdl(folder, body))


def test_an_empty_tab_is_a_comma_for_csv_files_and_a_tab_for_others(folder):
    (folder / "t.txt").write_text("1\t2\n3\t4\n")
    body = (ranges(s="s1, s2")
            + eq("c[s]", "GET DIRECT CONSTANTS('b.csv', '', 'B2')")
            + eq("tx[s]", "GET DIRECT CONSTANTS('t.txt', '', 'A2')"))
    _, ds = read(folder, body)
    np.testing.assert_array_equal(ds.c.sel(s=["s1", "s2"]).values, [1, 2])
    np.testing.assert_array_equal(ds["tx"].sel(s=["s1", "s2"]).values, [3, 4])
