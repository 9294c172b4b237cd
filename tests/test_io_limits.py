"""The readers' documented limits, each at and just past it, with the message a user gets.

| limit | value | where |
|---|---|---|
| MAX_MDL_BYTES | 4 MiB (``read_vensim(max_bytes=)``) | gysim.io.mdl_scan |
| MAX_NESTING | 100 parentheses in one equation | gysim.io.mdl_scan |
| MAX_LOOKUP_POINTS | 10 000 points of one lookup | gysim.io.mdl_scan |
| MAX_SUBSCRIPT_LABELS | 10 000 labels of one range | gysim.io.mdl_scan |
| MAX_ELEMENTS | 100 000 elements read element by element | gysim.io.mdl_scan |
| MAX_BYTES | 64 MiB of XML | gysim.io.safe_xml |
| MAX_DEPTH | 256 levels of XML elements | gysim.io.safe_xml |

Limits whose files would take PySD long to parse at the real value (lookup
points, labels) are tested at a lowered value (monkeypatched): the check is
the same code.
"""

from __future__ import annotations

import warnings

import pytest

import gysim
from gysim.io import mdl_scan, safe_xml

CONTROL = ("INITIAL TIME = 0 ~ ~|\nFINAL TIME = 2 ~ ~|\nTIME STEP = 1 ~ ~|\n"
           "SAVEPER = TIME STEP ~ ~|\n")


def mdl(tmp_path, body, name="m.mdl"):
    path = tmp_path / name
    path.write_text("{UTF-8}\n" + body + CONTROL, encoding="utf-8")
    return path


def xmile(variables: str) -> str:
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">'
            '<header><name>m</name></header><sim_specs><start>0</start><stop>2</stop>'
            f'<dt>1</dt></sim_specs><model><variables>{variables}</variables></model></xmile>')


def test_mdl_size_at_and_past_the_limit(tmp_path):
    path = mdl(tmp_path, "k = 1 ~ ~ a comment " + "x" * 1000 + "|\n")
    size = path.stat().st_size
    assert gysim.read_vensim(path, max_bytes=size).params["k"].value == 1.0
    with pytest.raises(gysim.ModelDefinitionError,
                       match=rf"m.mdl is {size} bytes long; .mdl files larger than {size - 1} "
                             rf"bytes \(MAX_MDL_BYTES\) are refused: .*max_bytes={size}"):
        gysim.read_vensim(path, max_bytes=size - 1)
    # the default: a 4 MiB + 1 file (sparse: nothing is written or parsed) is refused at once
    big = tmp_path / "big.mdl"
    with big.open("wb") as f:
        f.truncate(mdl_scan.MAX_MDL_BYTES + 1)
    with pytest.raises(gysim.ModelDefinitionError, match=r"big.mdl is 4194305 bytes long"):
        gysim.read_vensim(big)
    with pytest.raises(gysim.ModelDefinitionError, match="`max_bytes` must be a positive"):
        gysim.read_vensim(path, max_bytes=0)


def nested(depth: int) -> str:
    return "(" * depth + "k" + ")" * depth


def test_nesting_at_and_past_the_limit(tmp_path):
    limit = mdl_scan.MAX_NESTING
    path = mdl(tmp_path, f"k = 2 ~ ~|\ny = {nested(limit)} + 1 ~ ~|\n")
    ds = gysim.simulate(gysim.read_vensim(path))
    assert ds.y.values.tolist() == [3.0, 3.0, 3.0]
    path = mdl(tmp_path, f"k = 2 ~ ~|\ny = {nested(limit + 1)} + 1 ~ ~|\n")
    with pytest.raises(gysim.ModelDefinitionError,
                       match=rf"m.mdl: the equation of 'y' nests {limit + 1} levels of "
                             rf"parentheses; gysim reads at most {limit} \(MAX_NESTING\)"):
        gysim.read_vensim(path)


def test_sixty_nested_parentheses_and_calls_are_read(tmp_path):
    """Issue 12: 60 levels gave PySD's 'maximum recursion depth exceeded'."""
    calls = "MAX(" * 60 + "k" + ", 1)" * 60
    path = mdl(tmp_path, f"k = 2 ~ ~|\ny = {nested(60)} ~ ~|\nz = {calls} ~ ~|\n")
    ds = gysim.simulate(gysim.read_vensim(path))
    assert ds.y.values.tolist() == ds.z.values.tolist() == [2.0, 2.0, 2.0]


def test_recursion_in_the_translator_is_one_error(tmp_path, monkeypatch):
    """Should PySD still run out of recursion, the message names the deepest equation."""
    from gysim.io import reading
    monkeypatch.setattr(mdl_scan, "MAX_NESTING", 10_000)
    monkeypatch.setattr(reading, "TRANSLATOR_RECURSION_LIMIT", 100)
    path = mdl(tmp_path, f"k = 2 ~ ~|\nDeep One = {nested(300)} ~ ~|\n")
    with pytest.raises(gysim.ModelDefinitionError,
                       match=r"m.mdl: PySD's Vensim translator ran out of recursion depth: an "
                             r"equation nests too deeply \(the deepest is the equation of "
                             r"'Deep One', 300 levels"):
        gysim.read_vensim(path)


def lookup(points: int) -> str:
    pairs = ",".join(f"({i},{2 * i})" for i in range(points))
    return f"tbl(\n[(0,0)-({points},{2 * points})],{pairs})\n ~ ~|\ny = tbl(Time) ~ ~|\n"


def test_lookup_points_at_and_past_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(mdl_scan, "MAX_LOOKUP_POINTS", 50)
    m = gysim.read_vensim(mdl(tmp_path, lookup(50)))
    assert len(m.lookups["tbl"].x) == 50
    with pytest.raises(gysim.ModelDefinitionError,
                       match=r"the lookup of 'tbl' has about 51 points; gysim reads lookups of at "
                             r"most 50 points \(MAX_LOOKUP_POINTS\)"):
        gysim.read_vensim(mdl(tmp_path, lookup(51)))
    # after PySD (XMILE; and any lookup the scan under-counts): the exact number
    gf = ('<gf name="t"><xpts>' + ",".join(map(str, range(51))) + "</xpts><ypts>"
          + ",".join(map(str, range(51))) + "</ypts></gf>")
    path = tmp_path / "m.xmile"
    path.write_text(xmile(gf))
    with pytest.raises(gysim.ModelDefinitionError,
                       match=r"m.xmile: the lookup of 't' has 51 points; .* at most 50 points"):
        gysim.read_xmile(path)


def test_subscript_labels_at_and_past_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(mdl_scan, "MAX_SUBSCRIPT_LABELS", 100)
    m = gysim.read_vensim(mdl(tmp_path, "d: (e1-e100) ~ ~|\nx[d] = 1 ~ ~|\n"))
    assert len(m.dimensions["d"]) == 100
    with pytest.raises(gysim.ModelDefinitionError,
                       match=r"m.mdl: the subscript range 'd' has 101 labels; gysim reads ranges "
                             r"of at most 100 labels \(MAX_SUBSCRIPT_LABELS\)"):
        gysim.read_vensim(mdl(tmp_path, "d: (e1-e50), f, (e51-e100) ~ ~|\nx[d] = 1 ~ ~|\n"))


def test_a_tiny_file_declaring_a_huge_range_is_refused_at_once(tmp_path):
    """Issue 12: 142 bytes declaring d: (e1-e100000) took 153 s."""
    count = mdl_scan.MAX_SUBSCRIPT_LABELS + 1
    path = mdl(tmp_path, f"d: (e1-e{count}) ~ ~|\nx[d] = 1 ~ ~|\n")
    with pytest.raises(gysim.ModelDefinitionError, match=f"'d' has {count} labels"):
        gysim.read_vensim(path)


def test_elements_read_element_by_element_at_and_past_the_limit(tmp_path, monkeypatch):
    body = ("d: a, b, c ~ ~|\ne: c, f, g ~ ~|\nv[d] = 1, 2, 3 ~ ~|\n"  # ranges that overlap
            "x[e] = v[c] * 2 ~ ~|\n")  # without a range holding both: element by element
    monkeypatch.setattr(mdl_scan, "MAX_ELEMENTS", 10)  # 3 + 3 + the 4 control variables
    m = gysim.read_vensim(mdl(tmp_path, body))
    assert m.source.fallback and gysim.simulate(m).x_c.values.tolist() == [6.0] * 3
    monkeypatch.setattr(mdl_scan, "MAX_ELEMENTS", 9)
    with pytest.raises(gysim.ModelDefinitionError,
                       match=r"m.mdl: read element by element, the file's subscripted variables "
                             r"make more than 9 elements \(MAX_ELEMENTS\)"):
        gysim.read_vensim(mdl(tmp_path, body))


def test_xml_size_past_the_limit(tmp_path):
    big = tmp_path / "big.xmile"
    with big.open("wb") as f:
        f.truncate(safe_xml.MAX_BYTES + 1)
    with pytest.raises(gysim.ModelDefinitionError,
                       match=r"big.xmile is 67108865 bytes long; XML model files larger than "
                             r"67108864 bytes \(MAX_BYTES\) are refused"):
        gysim.read_xmile(big)


def deep_block(levels: int) -> str:
    return "<a>" * levels + "</a>" * levels


@pytest.mark.parametrize("first", [False, True])
def test_xml_depth_at_and_past_the_limit(tmp_path, first):
    """Issue 12: lxml (PySD) silently cut a model at depth 256; deeper is refused."""
    report = '<aux name="report"><eqn>2</eqn></aux>'
    path = tmp_path / "m.xmile"
    # xmile > model > variables > a...: the deepest <a> is at MAX_DEPTH
    block = deep_block(safe_xml.MAX_DEPTH - 3)
    path.write_text(xmile(block + report if not first else report + block))
    assert gysim.read_xmile(path).params["report"].value == 2.0
    block = deep_block(safe_xml.MAX_DEPTH - 2)
    path.write_text(xmile(block + report if not first else report + block))
    with pytest.raises(gysim.ModelDefinitionError,
                       match=r"m.xmile: XML elements nest deeper than 256 levels \(MAX_DEPTH\) at "
                             r"line 2; PySD's XMILE translator would silently drop"):
        gysim.read_xmile(path)


def test_issue_reproduction_deep_block_with_260_levels(tmp_path):
    path = tmp_path / "m.xmile"
    path.write_text(xmile(deep_block(260) + '<aux name="report"><eqn>1</eqn></aux>'))
    with pytest.raises(gysim.ModelDefinitionError, match="nest deeper than 256 levels"):
        gysim.read_xmile(path)


def test_every_declared_xmile_variable_must_reach_the_model(tmp_path, monkeypatch):
    """The second line of defence: were lxml to drop a variable, the reader says so."""
    from lxml import etree
    real = etree.parse

    def losing(source, parser=None, **kw):  # an lxml that silently loses 'report'
        tree = real(source, parser, **kw)
        for node in tree.getroot().iter("{*}aux"):
            if node.get("name") == "report":
                node.getparent().remove(node)
        return tree

    monkeypatch.setattr(etree, "parse", losing)
    path = tmp_path / "m.xmile"
    path.write_text(xmile('<aux name="k"><eqn>1</eqn></aux><aux name="report"><eqn>k</eqn>'
                          "</aux>"))
    with pytest.raises(gysim.ModelDefinitionError,
                       match=r"m.xmile: the file defines 'report' but PySD's XMILE translator "
                             r"lost it"):
        gysim.read_xmile(path)


def test_xmile_modules_are_refused(tmp_path):
    path = tmp_path / "m.xmile"
    path.write_text(xmile('<aux name="k"><eqn>1</eqn></aux><module name="sub"/>'))
    with pytest.raises(gysim.ModelDefinitionError, match="XMILE modules are not supported "
                                                         r"\(found module 'sub'\)"):
        gysim.read_xmile(path)


def test_errors_without_a_reason_get_one(tmp_path, monkeypatch):
    """Issue 12: a failed 1e6-point lookup said nothing; every failure names its cause."""
    from pysd.translators.vensim import vensim_file

    def fail(self, *args, **kwargs):
        raise MemoryError()

    monkeypatch.setattr(vensim_file.VensimFile, "parse", fail)
    with pytest.raises(gysim.ModelDefinitionError,
                       match=r"m.mdl: PySD's Vensim translator could not parse the file: "
                             r"MemoryError \(without a message\)$"):
        gysim.read_vensim(mdl(tmp_path, "k = 1 ~ ~|\n"))


def test_no_encoding_warning_from_pysd(tmp_path):
    """PySD's 'No encoding specified' warning no longer precedes anything."""
    path = tmp_path / "m.mdl"
    path.write_text("k = 1 ~ ~|\n" + CONTROL)  # no {UTF-8}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gysim.read_vensim(path).params["k"].value == 1.0
