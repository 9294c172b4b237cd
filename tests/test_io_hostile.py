"""Hostile model files and hostile text in exported models (issue 12).

Reading: elements PySD's translator loses are named, never silently dropped;
files in other encodings are decoded as they declare or refused naming the
encoding. Writing: every export of a model whose docs and units hold text that
other tools read as structure reads back, with gysim and with PySD.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import gysim
from gysim.io.writing import clean, units_text

CONTROL = ("INITIAL TIME = 0 ~ ~|\nFINAL TIME = 2 ~ ~|\nTIME STEP = 1 ~ ~|\n"
           "SAVEPER = TIME STEP ~ ~|\n")

try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pysd
except ImportError:  # pragma: no cover - PySD is a dependency of the readers
    pysd = None


def xmile(variables: str, encoding: str = "utf-8") -> str:
    return (f'<?xml version="1.0" encoding="{encoding}"?>\n'
            '<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">'
            '<header><name>m</name></header><sim_specs><start>0</start><stop>2</stop>'
            f'<dt>1</dt></sim_specs><model><variables>{variables}</variables></model></xmile>')


# ---------------------------------------------------------------- elements PySD loses
def test_quoted_units_field_loses_no_element_silently(tmp_path):
    """Issue 12: `k = 1 ~ "); import os # ~ ''' \"\"\" doc \"\"\" ''' |` read without k."""
    path = tmp_path / "m.mdl"
    path.write_text("{UTF-8}\nk = 1 ~ \"); import os # ~ ''' \"\"\" doc \"\"\" ''' |\n"
                    "y = k * 2 ~ ~|\n" + CONTROL)
    # before: "element 'y' refers to 'k', which the file does not define"
    with pytest.raises(gysim.ModelDefinitionError,
                       match=r"m.mdl: the file defines 'k' but PySD's Vensim translator lost "
                             r"it .*units field holding a quote"):
        gysim.read_vensim(path)


def test_a_crafted_file_that_lost_twelve_of_thirteen_elements(tmp_path):
    """Issue 12: a quote in the first units field and one in the last swallow all between."""
    quote = '"'
    body = "".join(f"a{i} = {i} ~ {quote if i in (0, 12) else ''} ~ doc {i} |\n"
                   for i in range(13))
    path = tmp_path / "m.mdl"
    path.write_text("{UTF-8}\n" + body + "y = a0 + a5 ~ ~|\n" + CONTROL)
    with pytest.raises(gysim.ModelDefinitionError) as err:
        gysim.read_vensim(path)
    message = str(err.value)
    assert message.startswith("m.mdl: the file defines 'a")
    assert "PySD's Vensim translator lost them" in message and "'a5'" in message


def test_macro_keyword_in_a_comment_is_an_error_with_its_reason(tmp_path):
    path = tmp_path / "m.mdl"
    path.write_text("{UTF-8}\nk = 1 ~ ~ see :MACRO: below |\ny = k ~ ~|\n" + CONTROL)
    with pytest.raises(gysim.ModelDefinitionError,
                       match=r"m.mdl: PySD's Vensim translator could not parse the file: .*"
                             r":MACRO: below"):
        gysim.read_vensim(path)


def test_macro_calls_naming_additional_outputs_are_refused_before_parsing(tmp_path):
    # PySD's grammar cannot read "DOUBLE(1 : twice)": the scan names the call instead
    path = tmp_path / "m.mdl"
    path.write_text("{UTF-8}\n:MACRO: DOUBLE(input : twice)\nDOUBLE = 2 * input ~ ~|\n"
                    "twice = DOUBLE ~ ~|\n:END OF MACRO:\nk = DOUBLE(1 : twice) ~ ~|\n" + CONTROL)
    with pytest.raises(gysim.ModelDefinitionError,
                       match=r"m.mdl: the call of macro 'DOUBLE' in 'k' names additional "
                             r"outputs"):
        gysim.read_vensim(path)


def test_the_scan_understands_every_kind_of_definition(tmp_path):
    """No false alarms: quoted names with ~ and |, subscripts, :EXCEPT:, lookups, ranges."""
    from gysim.io.mdl_scan import scan
    text = ('{UTF-8}\nd: a, b, c -> e ~ ~|\ne: p, q, r ~ ~|\nsub <-> d ~ ~|\n'
            '"odd ~ | name" = 1 ~ "~" ~|\nx[d] :EXCEPT: [a] = 1 ~ kg [0,?] ~ doc|\nx[a] = 2 ~~|\n'
            "t(\n\t[(0,0)-(1,1)],(0,0),(1,1)) ~ ~|\nw = WITH LOOKUP(Time, ([(0,0)-(1,1)],(0,0),"
            "(1,1))) ~ ~|\nv == 3 ~ ~|\ncheck :THE CONDITION: x[a] > 0 ~ ~|\n"
            "********************\n\t.Control\n********************~\n\t\tSimulation Control|\n"
            "long \\\n\tname = 1 ~ ~|\n\\\\\\---/// Sketch\nnot = a definition ~ ~|\n")
    found = [(d.name, d.kind) for d in scan(text, "m.mdl")]
    assert found == [("d", "range"), ("e", "range"), ("sub", "range"),
                     ('"odd ~ | name"', "equation"), ("x", "equation"), ("t", "lookup"),
                     ("w", "equation"), ("v", "equation"), ("long name", "equation")]


# ---------------------------------------------------------------- encodings
def test_utf16_xmile_is_read(tmp_path):
    """Issue 12: "'NoneType' object has no attribute 'nsmap'"."""
    path = tmp_path / "m.xmile"
    path.write_bytes(xmile('<aux name="café"><eqn>3</eqn></aux><aux name="y"><eqn>café * 2'
                           "</eqn></aux>", "utf-16").encode("utf-16"))
    m = gysim.read_xmile(path)
    assert gysim.simulate(m).y.values.tolist() == [6.0, 6.0, 6.0]
    assert "café" in m.source.names.values()


def test_iso_8859_1_xmile_is_read(tmp_path):
    """Issue 12: a grammar error on 'k\\ufffd * x'."""
    path = tmp_path / "m.xmile"
    path.write_bytes(xmile('<aux name="ké"><eqn>3</eqn></aux><aux name="y"><eqn>ké * 2</eqn>'
                           "</aux>", "ISO-8859-1").encode("latin-1"))
    assert gysim.simulate(gysim.read_xmile(path)).y.values.tolist() == [6.0, 6.0, 6.0]


def test_xmile_in_an_encoding_that_contradicts_its_bytes_is_refused(tmp_path):
    path = tmp_path / "m.xmile"
    path.write_bytes(xmile('<aux name="k"><eqn>3</eqn></aux>', "nonesuch").encode())
    with pytest.raises(gysim.ModelDefinitionError, match=r"m.xmile cannot be read as XML"):
        gysim.read_xmile(path)


def cp1252_model(header: str = "", letter: str = "é", encoding: str = "cp1252") -> bytes:
    return (header + f"caf{letter} = 3 ~ ~ a comment: na{letter}ve|\ny = caf{letter} * 2 ~ ~|\n"
            + CONTROL).encode(encoding)


def test_mdl_without_declared_encoding_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "m.mdl"
    path.write_bytes(cp1252_model())
    with pytest.raises(gysim.ModelDefinitionError,
                       match=r"m.mdl is not UTF-8 \(byte 0xe9 at line 1\) and does not declare "
                             r"its encoding.*encoding='cp1252'"):
        gysim.read_vensim(path)
    with pytest.raises(gysim.ModelDefinitionError, match="`encoding` must be the name"):
        gysim.read_vensim(path, encoding=1252)
    m = gysim.read_vensim(path, encoding="cp1252")
    assert gysim.simulate(m).y.values.tolist() == [6.0, 6.0, 6.0]
    assert m.source.names["caf"] == "café"


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1", "GBK"])
def test_mdl_declaring_its_encoding_is_transcoded(tmp_path, encoding):
    path = tmp_path / "m.mdl"
    letter = "中" if encoding == "GBK" else "é"
    path.write_bytes(cp1252_model("{%s}\n" % encoding, letter, encoding))
    m = gysim.read_vensim(path)
    assert gysim.simulate(m).y.values.tolist() == [6.0, 6.0, 6.0]
    assert f"caf{letter}" in m.source.names.values()


def test_mdl_whose_bytes_contradict_its_declaration_is_refused(tmp_path):
    path = tmp_path / "m.mdl"
    path.write_bytes(cp1252_model("{UTF-8}\n"))
    with pytest.raises(gysim.ModelDefinitionError,
                       match=r"m.mdl is not valid UTF-8 \(declared\): byte 0xe9 at line 2"):
        gysim.read_vensim(path)
    path.write_bytes(cp1252_model("{no such code}\n"))
    with pytest.raises(gysim.ModelDefinitionError, match=r"the encoding 'no such code' "
                                                         r"\(declared\) is not one Python knows"):
        gysim.read_vensim(path)


def test_mdl_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "m.mdl"
    path.write_bytes(b"\xef\xbb\xbf{UTF-8}\nk = 1 ~ ~|\n" + CONTROL.encode())
    assert gysim.read_vensim(path).params["k"].value == 1.0


# ---------------------------------------------------------------- hostile text in exports
HOSTILE = {
    "tilde": "a ~ b ~",
    "pipe": "a | b |",
    "sketch": "\\\\\\---/// V300 ///---\\\\\\",
    "macro": ":MACRO: M(x) :END OF MACRO:",
    "brace": "{UTF-8} { }",
    "quote": 'a "quoted" word and a lone "',
    "triple": "''' \"\"\" doc \"\"\" '''",
    "nul": "a\x00b",
    "controls": "".join(map(chr, range(32))) + "\x7f\x85\u2028",
    "long": "long text " * 10_000,
    "astral": "\U0001F600 \U0001D518 \u4e2d\u6587 \ufeff",
    "brackets": "kg [0,1] ] [",
    "backslash": "ends with \\",
}


def hostile_model(field: str, text: str) -> gysim.Model:
    m = gysim.Model("m", start=0, stop=2, dt=1, check_units_on_run=False)
    kw = {field: text}
    m.param("k", 0.5, **kw)
    m.stock("x", 1.0, **kw)
    m.flow("f", "k * x", into="x", **kw)
    m.aux("y", "x + k", **kw)
    m.lookup("tbl", [0, 1, 2], [0, 1, 4], **kw)
    m.aux("z", "tbl(time)", **kw)
    return m


EXPECTED = {"x": [1.0, 1.5, 2.25], "y": [1.5, 2.0, 2.75], "z": [0.0, 1.0, 4.0]}


@pytest.mark.parametrize("suffix", ["mdl", "xmile"])
@pytest.mark.parametrize("field", ["doc", "units"])
@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_docs_and_units_export_and_read_back(tmp_path, suffix, field, name):
    text = HOSTILE[name]
    model = hostile_model(field, text)
    path = tmp_path / f"m.{suffix}"
    (model.to_vensim if suffix == "mdl" else model.to_xmile)(path)
    back = (gysim.read_vensim if suffix == "mdl" else gysim.read_xmile)(path)
    ds = gysim.simulate(back)
    for var, values in EXPECTED.items():
        np.testing.assert_allclose(ds[var].values, values, rtol=1e-12, err_msg=var)
    element = back.params["k"]
    if field == "doc":
        assert clean(text) in element.doc
    else:
        assert element.units == (units_text(text) if suffix == "mdl" else clean(text))
    if pysd is None:  # pragma: no cover
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reader = pysd.read_vensim if suffix == "mdl" else pysd.read_xmile
        df = reader(str(path)).run()
    for var, values in EXPECTED.items():
        np.testing.assert_allclose(df[var].to_numpy(float), values, rtol=1e-12,
                                   err_msg=f"PySD: {var}")


def test_hostile_time_units_and_model_name_export(tmp_path):
    m = gysim.Model("m", start=0, stop=2, dt=1, time_units='day" ~ | [x]',
                    check_units_on_run=False)
    m.param("k", 1.0)
    for path in (m.to_vensim(tmp_path / "m.mdl"), m.to_xmile(tmp_path / "m.xmile")):
        reader = gysim.read_vensim if path.suffix == ".mdl" else gysim.read_xmile
        assert reader(path).params["k"].value == 1.0
