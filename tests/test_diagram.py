"""Stock-and-flow diagrams and the Vensim sketch written from the same layout (issue 17)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

import gysim  # noqa: E402
from gysim.diagram_layout import layout  # noqa: E402
from gysim.errors import DataError, ParameterError  # noqa: E402


def logistic():
    m = gysim.Model("logistic", stop=20, dt=0.25)
    m.stock("population", 10.0)
    m.param("r", 0.5)
    m.param("capacity", 1000.0)
    m.flow("births", "r * population", into="population")
    m.flow("deaths", "r * population ** 2 / capacity", out_of="population")
    return m


def chain():
    m = gysim.Model("chain", stop=10, dt=0.5)
    m.stock("raw", 100.0)
    m.stock("finished", 0.0)
    m.param("rate", 0.2)
    m.param("initial_orders", 5.0)
    m.stock("orders", "initial_orders")
    m.flow("processing", "rate * raw", out_of="raw", into="finished")
    m.flow("shipping", "min(finished, orders)", out_of="finished")
    m.flow("ordering", "0.1 * finished", into="orders")
    return m


def test_diagram_names_every_element_and_marks_the_loops(tmp_path):
    m = logistic()
    d = m.diagram()
    assert set(d.labels) == set(m.elements)
    assert d.loop_ids == ["R1", "B1"]
    texts = {t.get_text() for t in d.figure.axes[0].texts}
    assert {"population", "births", "deaths", "r", "capacity", "R1", "B1", "+"} <= texts
    png = d.save(tmp_path / "logistic.png")
    svg = d.save(tmp_path / "logistic.svg")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    assert "<svg" in svg.read_text() and "<svg" in d._repr_svg_()


def test_layout_reads_links_left_to_right_and_keeps_pipes():
    lay = layout(chain())
    assert lay.pipes == [("raw", "processing", "finished"), ("finished", "shipping", None),
                         (None, "ordering", "orders")]
    # a value sits right of what it is computed from (links leaving stocks set aside)
    assert lay.x["rate"] < lay.x["processing"] < lay.x["finished"] < lay.x["shipping"]
    assert ("initial_orders", "orders") in lay.initial_links
    assert ("finished", "shipping") in lay.links and ("orders", "shipping") in lay.links


def test_only_a_part_with_shadow_variables_and_groups():
    m = chain()
    d = m.diagram(only=["orders", "ordering", "initial_orders"])
    assert d.layout.shadows == {"finished"}
    assert d.labels["finished"] == "<finished>"
    assert "raw" not in d.labels
    grouped = m.diagram(group_by={"raw": "plant", "processing": "plant", "rate": "plant"})
    assert set(grouped.layout.groups) == {"plant", "other"}
    x0, y0, x1, y1 = grouped.layout.groups["plant"]
    assert x0 <= grouped.layout.x["raw"] <= x1 and y0 <= grouped.layout.y["raw"] <= y1


def test_highlight_and_errors():
    m = logistic()
    d = m.diagram(highlight="B1")
    bold = {t.get_text() for t in d.figure.axes[0].texts if t.get_fontweight() == "bold"}
    assert {"population", "deaths"} <= bold and "births" not in bold
    with pytest.raises(ParameterError, match="neither a loop id"):
        m.diagram(highlight="R9")
    with pytest.raises(ParameterError, match="`lang`"):
        m.diagram(lang="fr")
    with pytest.raises(ParameterError, match=r"\.svg, \.png or \.pdf"):
        m.diagram().save("x.jpg")
    with pytest.raises(ParameterError, match="`only`"):
        m.diagram(only=["nope"])
    with pytest.raises(DataError, match="no elements"):
        gysim.Model("empty").diagram()


def test_vensim_file_carries_the_sketch_of_the_same_layout(tmp_path):
    m = chain()
    path = m.to_vensim(tmp_path / "chain.mdl")
    text = path.read_text()
    view = text[text.index("*View 1"):text.index("///---\\\\\\")].splitlines()[2:]
    variables = {line.split(",")[2]: line.split(",") for line in view if line.startswith("10,")}
    assert set(variables) == set(m.elements)
    assert [variables[s][7] for s in ("raw", "finished", "orders")] == ["3", "3", "3"]
    assert variables["processing"][7] == "40"   # a flow's name, after its valve
    valves = [line for line in view if line.startswith("11,")]
    clouds = [line for line in view if line.startswith("12,")]
    assert len(valves) == 3 and len(clouds) == 2  # shipping drains to and ordering fills from one
    lay = layout(m)
    x0 = min(lay.x.values())
    assert int(variables["raw"][3]) - int(variables["rate"][3]) == round(lay.x["raw"] - lay.x["rate"])
    assert int(variables["raw"][3]) == round(lay.x["raw"] - x0 + 120)
    # both readers take the file with its sketch
    back = gysim.read_vensim(path)
    assert set(back.stocks) == {"raw", "finished", "orders"}
    import pysd
    pysd.read_vensim(str(path))


def test_diagram_of_a_model_read_from_vensim(tmp_path):
    back = gysim.read_vensim(logistic().to_vensim(tmp_path / "logistic.mdl"))
    d = back.diagram()
    assert {"population", "births", "deaths"} <= set(d.labels)
    assert d.loop_ids == ["R1", "B1"]


def test_chinese_labels_render_with_the_packaged_font(tmp_path):
    import warnings

    m = logistic()
    m.set_names_zh({"population": "人口", "births": "出生人口", "deaths": "死亡人口"})
    d = m.diagram(lang="zh", title="人口增长")
    assert d.labels["population"] == "人口" and d.labels["r"] == "r"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph would warn
        d.save(tmp_path / "zh.png")
