"""Structure of published Vensim models: computed control variables, the checker."""

from __future__ import annotations

import pytest

import gysim
from gysim.errors import ModelDefinitionError


def write(tmp_path, *lines, control=("INITIAL TIME = 0", "FINAL TIME = 4", "TIME STEP = 1"),
          name="m.mdl"):
    body = "{UTF-8}\n" + "".join(f"{line}\n\t~\t\n\t~\t\t|\n\n" for line in (*lines, *control))
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def test_control_variables_computed_from_constants(tmp_path):
    path = write(tmp_path, "start year = 1990", "horizon = 2 * 5", "steps per year = 4",
                 control=("INITIAL TIME = start year", "FINAL TIME = start year + horizon",
                          "TIME STEP = 1 / steps per year",
                          "SAVEPER = MAX(TIME STEP, IF THEN ELSE(horizon > 5, 0.5, 1))"))
    model = gysim.read_vensim(path)
    # by hand: 1990, 1990 + 10, 1/4, max(0.25, 0.5)
    assert (model.start, model.stop, model.dt, model.saveper) == (1990, 2000, 0.25, 0.5)


def test_control_variable_using_time_or_a_stock_is_refused(tmp_path):
    # FINAL TIME may change during the run (tests/test_final_time.py); the others may not
    path = write(tmp_path, "x = 3", control=("INITIAL TIME = 0", "FINAL TIME = 9",
                                             "TIME STEP = IF THEN ELSE(Time > 5, 2, 1)"))
    with pytest.raises(ModelDefinitionError, match="TIME STEP uses Time"):
        gysim.read_vensim(path)
    path = write(tmp_path, "s = INTEG(1, 2)", control=("INITIAL TIME = 0", "FINAL TIME = 9",
                                                       "TIME STEP = 1", "SAVEPER = s"))
    with pytest.raises(ModelDefinitionError, match="SAVEPER uses the stock 's'"):
        gysim.read_vensim(path)
    path = write(tmp_path, "s = INTEG(1, 2)", control=("INITIAL TIME = 0", "FINAL TIME = s + 4",
                                                       "TIME STEP = 1"))
    model = gysim.read_vensim(path)  # FINAL TIME = s + 4 is 6 at the start (s = 2): the horizon
    assert model.final_time_variable == "final_time" and model.stop == 6


CHECKED = """{UTF-8}
ok = 3
\t~\t\n\t~\t\t|

odd = 1 + WEIRD  THING(ok,
\t2)
\t~\t\n\t~\t\t|

inverse = INVERT MATRIX(ok, 1)
\t~\t\n\t~\t\t|

lost = ok * nowhere
\t~\t\n\t~\t\t|

INITIAL TIME = 0
\t~\t\n\t~\t\t|

FINAL TIME = DELAY1(Time, 2) + 9
\t~\t\n\t~\t\t|

TIME STEP = 1
\t~\t\n\t~\t\t|
"""


def test_check_model_lists_every_construct_in_one_pass(tmp_path, monkeypatch):
    from pysd.translators.vensim.vensim_file import VensimFile
    path = tmp_path / "m.mdl"
    path.write_text(CHECKED, encoding="utf-8")
    parses = []
    original = VensimFile.parse
    monkeypatch.setattr(VensimFile, "parse", lambda self, *a, **k: (parses.append(1),
                                                                     original(self, *a, **k))[1])
    report = gysim.check_model(path)
    assert len(parses) == 1
    found = [(f.line, f.construct, f.element) for f in report.findings]
    # lines counted by hand in CHECKED; spelling as in the file (two spaces folded to one)
    assert found == [(6, "WEIRD THING", "odd"), (11, "INVERT MATRIX", "inverse"),
                     (15, "a reference or definition", "lost"),
                     (23, "a control variable", "FINAL TIME")]
    assert "nowhere" in report.findings[2].message
    assert "INVERT_MATRIX" not in str(report) and not report.ok and len(report) == 4


def test_check_model_lists_every_unknown_function_of_one_equation(tmp_path):
    # three unknown functions in one equation, one nested in another's argument,
    # one taking a lookup as argument (which only that function could take)
    path = write(tmp_path, "tab((0, 0), (1, 1))", "x = FOO(BAR(1), 2) + SIN(Time)",
                 "y = ZAP(tab, 1) + 2")
    report = gysim.check_model(path)
    found = sorted((f.construct, f.element) for f in report.findings)
    assert found == [("BAR", "x"), ("FOO", "x"), ("ZAP", "y")]
    with pytest.raises(ModelDefinitionError, match="the function FOO"):
        gysim.read_vensim(path)  # the reader itself still stops at the first


def test_check_model_of_a_readable_file_is_empty(tmp_path):
    path = write(tmp_path, "x = 2", "s = INTEG(x, 1)")
    report = gysim.check_model(path)
    assert report.ok and report.findings == [] and "takes every construct" in str(report)


def test_check_model_refuses_what_is_not_a_model_file(tmp_path):
    with pytest.raises(ModelDefinitionError, match="`path` must be an existing model file"):
        gysim.check_model(tmp_path / "missing.mdl")
    other = tmp_path / "m.txt"
    other.write_text("x")
    with pytest.raises(ModelDefinitionError, match=r"\.mdl or an XMILE"):
        gysim.check_model(other)


def test_check_model_reports_a_file_pysd_cannot_parse(tmp_path):
    path = tmp_path / "bad.mdl"
    path.write_text("{UTF-8}\nx = (1 +\n\t~\t\n\t~\t\t|\n", encoding="utf-8")
    report = gysim.check_model(path)
    assert [(f.line, f.construct) for f in report.findings] == [(None, "the file")]
    assert "could not parse" in report.findings[0].message


def test_cli_check_exit_codes(tmp_path, capsys):
    from gysim.cli import main
    bad = tmp_path / "m.mdl"
    bad.write_text(CHECKED, encoding="utf-8")
    assert main(["check", str(bad)]) == 2
    out = capsys.readouterr().out
    assert "line 11: INVERT MATRIX in 'inverse'" in out and "4 construct(s)" in out
    good = write(tmp_path, "x = 2", name="good.mdl")
    assert main(["check", str(good)]) == 0
    assert main(["check", str(tmp_path / "none.mdl")]) == 2
