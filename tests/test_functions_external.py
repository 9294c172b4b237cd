"""GET DIRECT / GET XLS constants and lookups, lookups with repeated points, XMILE
non-negative flows: each from its definition, with values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

import gysim
from tests.test_vensim import eq, write_mdl


def _lookup(name, points):
    return f"{name}(\n\t{points})\n\t~\t\n\t~\t|\n"


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "params.csv").write_text("name,value\nrate,0.25\nlabel,x\n")
    (tmp_path / "table.csv").write_text("time,1,2,4\ny,10,20,40\n")
    (tmp_path / "down.txt").write_text("x;y\n0;1\n5;3\n10;4\n")
    return tmp_path


def test_get_direct_constants_and_lookups_from_text_files(folder):
    body = (eq("rate", "GET DIRECT CONSTANTS('params.csv', ',', 'B2')")
            + eq("tbl", "GET DIRECT LOOKUPS('table.csv', ',', '1', 'B2')")
            + eq("tbl2", "GET DIRECT LOOKUPS('down.txt', ';', 'A', 'B2')")
            + eq("y", "tbl(Time) + tbl2(Time)") + eq("s", "INTEG(rate, 0)"))
    m = gysim.read_vensim(write_mdl(folder, body, stop=5))
    assert m.params["rate"].value == 0.25
    ds = gysim.simulate(m)
    # tbl: (1, 10) (2, 20) (4, 40), flat outside; tbl2: (0, 1) (5, 3) (10, 4)
    expect = [10 + 1, 10 + 1.4, 20 + 1.8, 30 + 2.2, 40 + 2.6, 40 + 3]
    np.testing.assert_allclose(ds.y.values, expect, rtol=1e-12)
    np.testing.assert_allclose(ds.s.values, 0.25 * np.arange(6), rtol=1e-12)


def test_get_xls_constants_and_lookups_from_xlsx(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Inputs"
    sheet["C3"] = -4.5
    for r, (x, y) in enumerate([(0, 0), (10, 5), (20, 30)], start=5):
        sheet[f"A{r}"], sheet[f"B{r}"] = x, y
    book.save(tmp_path / "book.xlsx")
    body = (eq("k", "GET XLS CONSTANTS('book.xlsx', 'Inputs', 'C3')")
            + eq("tbl", "GET XLS LOOKUPS('book.xlsx', 'Inputs', 'A', 'B5')")
            + eq("y", "k + tbl(Time * 3)"))
    ds = gysim.simulate(gysim.read_vensim(write_mdl(tmp_path, body, stop=10)))
    t = np.arange(11) * 3.0
    np.testing.assert_allclose(ds.y.values, -4.5 + np.interp(t, [0, 10, 20], [0, 5, 30]))
    body = eq("k", "GET XLS CONSTANTS('book.xlsx', 'Missing', 'C3')")
    with pytest.raises(gysim.ModelDefinitionError, match="'k'.*Missing"):
        gysim.read_vensim(write_mdl(tmp_path, body, name="bad.mdl"))


@pytest.mark.parametrize("call, message", [
    ("GET DIRECT CONSTANTS('nothere.csv', ',', 'B2')", "does not exist"),
    ("GET DIRECT CONSTANTS('../params.csv', ',', 'B2')", "not inside the model's folder"),
    ("GET DIRECT CONSTANTS('params.csv', ',', 'B3')", "not a number"),
    ("GET DIRECT CONSTANTS('params.csv', ',', 'Z99')", "outside the sheet"),
    ("GET DIRECT CONSTANTS('params.csv', ',', 'B2:B3')", "not a cell such as 'B2'"),
])
def test_get_direct_errors_name_the_element_and_file(folder, call, message):
    inner = folder / "inner"
    inner.mkdir()
    (inner / "params.csv").write_text((folder / "params.csv").read_text())
    (folder / "params.csv").write_text("secret,1\n")
    with pytest.raises(gysim.ModelDefinitionError, match=message) as info:
        gysim.read_vensim(write_mdl(inner, eq("k", call)))
    assert "'k'" in str(info.value)


def test_a_lookup_with_a_repeated_identical_point_reads(tmp_path):
    body = _lookup("tbl", "(0, 0), (1, 1), (1, 1), (2, 3)") + eq("y", "tbl(Time / 4)")
    ds = gysim.simulate(gysim.read_vensim(write_mdl(tmp_path, body)))
    np.testing.assert_allclose(ds.y.values, np.interp(np.arange(11) / 4, [0, 1, 2], [0, 1, 3]))


def test_a_lookup_with_contradictory_points_is_refused(tmp_path):
    body = _lookup("tbl", "(0, 0), (1, 1), (1, 2), (2, 3)") + eq("y", "tbl(Time)")
    with pytest.raises(gysim.ModelDefinitionError,
                       match=r"m\.mdl: the lookup of 'tbl' has two points at x = 1"):
        gysim.read_vensim(write_mdl(tmp_path, body))


XMILE = """<xmile xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0" version="1.0">
  <header><vendor>t</vendor><product lang="en">t</product></header>
  <sim_specs method="Euler"><start>0</start><stop>6</stop><dt>1</dt></sim_specs>
  <model><variables>
    <stock name="tank"><eqn>10</eqn><outflow>drain</outflow><inflow>fill</inflow></stock>
    <flow name="drain"><eqn>3 - Time</eqn><non_negative/></flow>
    <flow name="fill"><eqn>2 - Time</eqn></flow>
  </variables></model>
</xmile>
"""


def test_xmile_non_negative_flow_is_clipped_at_zero(tmp_path):
    path = tmp_path / "nn.xmile"
    path.write_text(XMILE)
    ds = gysim.simulate(gysim.read_xmile(path))
    t = np.arange(7.0)
    np.testing.assert_allclose(ds.drain.values, np.maximum(3 - t, 0))
    np.testing.assert_allclose(ds.fill.values, 2 - t)  # not flagged: negative allowed
    tank = 10 + np.concatenate([[0], np.cumsum((2 - t) - np.maximum(3 - t, 0))[:-1]])
    np.testing.assert_allclose(ds.tank.values, tank)
