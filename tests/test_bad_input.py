"""Bad input across the API and the CLI: each gets the documented GysimError and a message naming it.

Cases already covered by tests/test_model.py (compile, build and simulate
option errors), tests/test_calibrate.py and tests/test_expr.py are not
repeated here. Cases marked ``xfail(strict=True)`` document a wrong answer
the engine still gives (the reason says which, and what is needed).
"""

from __future__ import annotations

import contextlib
import io
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import gysim
from gysim.atomic import atomic_write, savefig_atomic, to_netcdf_atomic, write_text_atomic
from gysim.errors import DataError, ModelDefinitionError, ParameterError, UnitsError
from gysim.examples import population_model
from gysim.io.safe_xml import check_xml
from gysim.units import check_units, convert, parse_units, to_model_units

DATA = Path(__file__).parent / "data"
SECRET = "TOP-SECRET-7f3a9c"


def with_(*adds):
    m = population_model()
    for add in adds:
        add(m)
    return m


# ------------------------------------------------------------------ XML model files
HEAD = ('<xmile xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0" version="1.0">'
        '<header/><sim_specs time_units="Months"><start>0</start><stop>2</stop><dt>1</dt>'
        '</sim_specs><model><variables>'
        '<aux name="a"><doc>&{entity};</doc><eqn>1</eqn></aux>'
        '<aux name="TIME STEP"><eqn>1</eqn></aux><aux name="INITIAL TIME"><eqn>0</eqn></aux>'
        '<aux name="FINAL TIME"><eqn>2</eqn></aux></variables></model></xmile>')


def billion_laughs(tmp_path: Path) -> Path:
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    path = tmp_path / "laughs.xmile"
    path.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE xmile [{entities}]>\n'
                    + HEAD.format(entity="lol9"))
    return path


def xxe(tmp_path: Path) -> Path:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    path = tmp_path / "xxe.xmile"
    path.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE xmile [<!ENTITY xxe SYSTEM '
                    f'"file://{secret}">]>\n' + HEAD.format(entity="xxe"))
    return path


def truncated_xmile(tmp_path: Path) -> Path:
    path = tmp_path / "cut.xmile"
    path.write_text(HEAD.format(entity="amp")[:300])
    return path


def test_check_xml_refuses_billion_laughs_without_expanding(tmp_path):
    path = billion_laughs(tmp_path)
    started = time.process_time()
    with pytest.raises(ModelDefinitionError, match="laughs.xmile: XML with a document type "
                                                   r"declaration \(<!DOCTYPE xmile>\) is refused"):
        check_xml(path, name=path.name)
    assert time.process_time() - started < 1.0


def test_check_xml_refuses_external_entity_without_reading_it(tmp_path):
    path = xxe(tmp_path)
    with pytest.raises(ModelDefinitionError) as info:
        check_xml(path)
    assert str(path) in str(info.value) and "document type declaration" in str(info.value)
    assert SECRET not in str(info.value)


@pytest.mark.parametrize("text, fragment", [
    (b'<x><!ENTITY a "b"></x>', "not well-formed"),             # a declaration outside a DTD
    (b"<xmile><model></xmile>", "not well-formed XML: mismatched tag"),
    (b"", "is empty"),
    (b"\xff\xfe\x00garbage", "not well-formed"),
    (b'<?xml version="1.0" encoding="no-such-codec"?><x/>', "cannot be read as XML"),
])
def test_check_xml_refuses_malformed_files(text, fragment):
    with pytest.raises(ModelDefinitionError, match="xmile.bin") as info:
        check_xml(text, name="xmile.bin")
    assert fragment in str(info.value)


def test_check_xml_accepts_the_conformance_files():
    suite = Path(__file__).resolve().parents[2] / "shared" / "sd-test-models"
    files = sorted(suite.rglob("*.xmile"))
    if not files:
        pytest.skip("the SD test suite is not available")
    for path in files:
        check_xml(path)


def test_read_xmile_refuses_external_entity(tmp_path):
    with pytest.raises(ModelDefinitionError, match="document type declaration"):
        gysim.read_xmile(xxe(tmp_path))


def test_read_xmile_refuses_billion_laughs(tmp_path):
    with pytest.raises(ModelDefinitionError, match="document type declaration"):
        gysim.read_xmile(billion_laughs(tmp_path))


def test_read_xmile_refuses_a_truncated_file(tmp_path):
    with pytest.raises(ModelDefinitionError, match="cut.xmile is not well-formed XML"):
        gysim.read_xmile(truncated_xmile(tmp_path))


# ------------------------------------------------------------------ the API
def _mdl(tmp_path, name, content):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


API_CASES = [
    # malformed and unsafe equations, through the model builder (the message names the element)
    ("attribute access", lambda t: with_(lambda m: m.aux("y", "population.__class__")),
     ModelDefinitionError, "aux 'y'"),
    ("dunder import", lambda t: with_(lambda m: m.flow("f", "__import__('os').getpid()", into="population")),
     ModelDefinitionError, "flow 'f': only plain function names may be called"),
    ("lambda in initial value", lambda t: with_(lambda m: m.stock("s", "(lambda: 1)()")),
     ModelDefinitionError, "initial value of stock 's'"),
    ("comprehension", lambda t: with_(lambda m: m.aux("y", "[b for b in births]")),
     ModelDefinitionError, "aux 'y'"),
    ("dangling operator", lambda t: with_(lambda m: m.aux("y", "births +")),
     ModelDefinitionError, "aux 'y' is not a valid expression"),
    ("empty equation", lambda t: with_(lambda m: m.aux("y", "   ")),
     ModelDefinitionError, "equation of aux 'y' is empty"),
    ("string literal", lambda t: with_(lambda m: m.aux("y", "'births'")),
     ModelDefinitionError, "only numbers are allowed"),
    ("keyword argument", lambda t: with_(lambda m: m.aux("y", "max(births, key=deaths)")),
     ModelDefinitionError, "`max` must be called with positional arguments only"),
    ("overflowing literal", lambda t: with_(lambda m: m.aux("y", "births * 1e999")),
     ModelDefinitionError, "not finite"),
    ("equation of wrong type", lambda t: with_(lambda m: m.aux("y", None)),
     ModelDefinitionError, "aux 'y': must be text or a number, got NoneType"),
    ("null byte", lambda t: with_(lambda m: m.aux("y", "births\x00")),
     ModelDefinitionError, "aux 'y'"),
    # unknown or duplicate names, loops, missing stocks
    ("duplicate across kinds", lambda t: with_(lambda m: m.stock("births", 1.0)),
     ModelDefinitionError, "'births' is already defined (as a flow)"),
    ("duplicate scenario", lambda t: with_(lambda m: m.scenario("s", {}), lambda m: m.scenario("s", {})),
     ModelDefinitionError, "scenario 's' is already defined"),
    ("unknown name in initial value", lambda t: gysim.simulate(with_(lambda m: m.stock("s", "nothing * 2"))),
     ModelDefinitionError, "initial value of stock 's' uses 'nothing'"),
    ("loop through flows", lambda t: gysim.simulate(with_(
        lambda m: m.flow("f1", "f2", into="population"), lambda m: m.flow("f2", "f1", into="population"))),
     ModelDefinitionError, "algebraic loop in the model's equations: f1 -> f2 -> f1"),
    ("flow out of a missing stock", lambda t: gysim.simulate(with_(lambda m: m.flow("f", "1", out_of="gone"))),
     ModelDefinitionError, "flow 'f' has out_of='gone', which is not a stock"),
    # time settings
    ("stop before start", lambda t: gysim.Model("m", start=2010, stop=2000),
     ModelDefinitionError, "`stop` must be after `start`, got start=2010, stop=2000"),
    ("zero dt", lambda t: gysim.Model("m", dt=0), ModelDefinitionError, "`dt` must be positive, got 0.0"),
    ("NaN dt", lambda t: gysim.Model("m", dt=float("nan")), ParameterError, "`dt` must be finite"),
    ("negative dt in with_time", lambda t: population_model().with_time(dt=-1),
     ModelDefinitionError, "`dt` must be positive, got -1"),
    ("stop before start in with_time", lambda t: population_model().with_time(stop=1990),
     ModelDefinitionError, "`stop` must be after `start`"),
    ("negative saveper", lambda t: gysim.Model("m", saveper=-1),
     ModelDefinitionError, "`saveper` must be positive, got -1"),
    ("NaN stop in simulate", lambda t: gysim.simulate(population_model(), stop=float("nan")),
     ParameterError, "`stop` must be finite"),
    ("negative rtol", lambda t: gysim.simulate(population_model(), rtol=-1),
     ModelDefinitionError, "`rtol` must be positive"),
    ("zero max_step", lambda t: gysim.simulate(population_model(), max_step=0),
     ModelDefinitionError, "`max_step` must be positive"),
    # NaN or out-of-bounds parameters
    ("infinite parameter", lambda t: with_(lambda m: m.param("x", float("inf"))),
     ParameterError, "value of parameter 'x' must be finite, got inf"),
    ("NaN via with_params", lambda t: population_model().with_params(birth_rate=float("nan")),
     ParameterError, "value of 'birth_rate' must be finite, got nan"),
    ("NaN stock initial value", lambda t: population_model().with_params(population=float("nan")),
     ParameterError, "value of 'population' must be finite"),
    ("NaN bound", lambda t: with_(lambda m: m.param("x", 0.5, bounds=(0, float("nan")))),
     ParameterError, "upper bound of parameter 'x' must be finite"),
    ("bool parameter", lambda t: with_(lambda m: m.param("x", True)),
     ParameterError, "value of parameter 'x' must be a number, got True"),
    ("NaN in a DataFrame of runs", lambda t: gysim.simulate(
        population_model(), params=pd.DataFrame({"birth_rate": [0.01, np.nan]})),
     ParameterError, "values of 'birth_rate' must be finite; run 1 has nan"),
    ("text parameter value", lambda t: gysim.simulate(population_model(), params={"birth_rate": "abc"}),
     ParameterError, "value of 'birth_rate' must be a number, got 'abc'"),
    # arrays of mismatched length, tables
    ("parameter and initial-value arrays of different lengths", lambda t: gysim.simulate(
        population_model(), params={"birth_rate": np.array([0.01, 0.012]),
                                    "population": np.array([300.0, 310.0, 320.0])}),
     ParameterError, "'birth_rate' has 2 values but 'population' has 3"),
    ("lookup with a repeated x", lambda t: with_(lambda m: m.lookup("t", [0, 1, 1], [0, 1, 2])),
     DataError, "lookup 't': x must be strictly increasing, but 1 is followed by 1"),
    ("lookup with NaN y", lambda t: with_(lambda m: m.lookup("t", [0, 1], [0, float("nan")])),
     DataError, "lookup 't' has missing or non-finite values at x = [1.0]"),
    ("empty lookup", lambda t: with_(lambda m: m.lookup("t", [], [])), DataError, "lookup 't' has no points"),
    ("2-D lookup", lambda t: with_(lambda m: m.lookup("t", [[0, 1]], [[0, 1]])),
     DataError, "lookup 't': x and y must be 1-D"),
    ("text in a lookup", lambda t: with_(lambda m: m.lookup("t", ["a", "b"], [0, 1])),
     DataError, "lookup 't': x and y must be sequences of numbers"),
    # data with missing years
    ("empty data input", lambda t: with_(lambda m: m.data("d", {})), DataError, "data input 'd' has no points"),
    ("repeated year in a data series", lambda t: with_(
        lambda m: m.data("d", pd.Series([1.0, 2.0], index=[2000, 2000]))),
     DataError, "data input 'd': time must be strictly increasing, but 2000 is followed by 2000"),
    ("calibration data all NaN", lambda t: gysim.calibrate(
        population_model(), pd.DataFrame({"population": [np.nan, np.nan]}, index=[2000, 2001]),
        ["birth_rate"], n_starts=1),
     DataError, "data column(s) 'population' have no observation"),
    ("calibration data at a time not in the run", lambda t: gysim.calibrate(
        population_model(), pd.DataFrame({"population": [331.8, 335.0]}, index=[2000, 2001.5]),
        ["birth_rate"], n_starts=1),
     DataError, "no output at time(s) 2001.5"),
    ("calibration data indexed by text", lambda t: gysim.calibrate(
        population_model(), pd.DataFrame({"population": [331.8]}, index=["2000"]), ["birth_rate"]),
     DataError, "must be indexed by numeric times"),
    ("calibration Dataset without time", lambda t: gysim.calibrate(
        population_model(), xr.Dataset({"population": ("year", [331.8])}), ["birth_rate"]),
     DataError, "must have a 'time' coordinate"),
    # data in the wrong units
    ("data in money for a head count", lambda t: to_model_units(
        population_model(), pd.DataFrame({"population": [1.0]}, index=[2000]), {"population": "万元"}),
     UnitsError, "data column 'population' in '万元' cannot be converted to '1e4 person'"),
    ("data per year for a stock", lambda t: to_model_units(
        population_model(), pd.DataFrame({"population": [1.0]}, index=[2000]),
        {"population": "person/year"}),
     UnitsError, "[person] / [time]"),
    ("yuan to dollars without a rate", lambda t: convert(1.0, "亿元", "USD"),
     UnitsError, "'亿元' cannot be converted to 'USD'"),
    ("unparseable units", lambda t: parse_units("yuan//year"), UnitsError, "'yuan//year' cannot be parsed"),
    ("inconsistent equation", lambda t: check_units(with_(
        lambda m: m.aux("y", "population + births", units="1e4 person"))),
     UnitsError, "aux 'y' = `population + births`"),
    # model files
    ("empty .mdl", lambda t: gysim.read_vensim(_mdl(t, "empty.mdl", "")),
     ModelDefinitionError, "empty.mdl"),
    ("truncated .mdl", lambda t: gysim.read_vensim(
        _mdl(t, "cut.mdl", (DATA / "population.mdl").read_text()[:350])),
     ModelDefinitionError, "cut.mdl"),
    ("binary .mdl", lambda t: gysim.read_vensim(_mdl(t, "bin.mdl", bytes(range(256)) * 8)),
     ModelDefinitionError, "bin.mdl"),
    ("not a .mdl", lambda t: gysim.read_vensim(_mdl(t, "model.txt", "x = 1 ~~|")),
     ModelDefinitionError, "model.txt"),
    ("a folder for a model file", lambda t: gysim.read_vensim(t),
     ModelDefinitionError, "`path` must be an existing .mdl file"),
    ("empty XMILE", lambda t: gysim.read_xmile(_mdl(t, "empty.xmile", "")),
     ModelDefinitionError, "empty.xmile"),
    ("missing calibration file", lambda t: gysim.load_calibration(t / "none.json"),
     DataError, "cannot read calibration file"),
    # unwritable output paths
    ("netCDF into a missing folder", lambda t: to_netcdf_atomic(xr.Dataset(), t / "no" / "run.nc"),
     DataError, "the folder '{t}/no' does not exist"),
    ("text over a folder", lambda t: write_text_atomic(t, "x"), DataError, "it is an existing folder"),
    ("figure under a file", lambda t: savefig_atomic(None, _mdl(t, "f.txt", "x") / "fig.png"),
     DataError, "the folder '{t}/f.txt' is not a folder"),
    ("writer failing with OSError", lambda t: atomic_write(
        t / "x.bin", lambda p: (_ for _ in ()).throw(PermissionError(13, "Permission denied"))),
     DataError, "cannot write '{t}/x.bin': Permission denied"),
    # model names
    ("misspelt model name", lambda t: gysim.load_model("guiyan"),
     ModelDefinitionError, "no model named 'guiyan'; did you mean 'guiyang'?"),
    ("path as a model name", lambda t: gysim.load_model("../etc/passwd"),
     ModelDefinitionError, "no model named '../etc/passwd'"),
    ("simulate a name instead of a model", lambda t: gysim.simulate("population"),
     ModelDefinitionError, "`model` must be a gysim.Model, got str"),
]


@pytest.mark.parametrize("label, call, error, fragment", API_CASES, ids=[c[0] for c in API_CASES])
def test_bad_input_gets_a_named_error(tmp_path, label, call, error, fragment):
    with pytest.raises(error) as info:
        call(tmp_path)
    assert fragment.format(t=tmp_path) in str(info.value)


def test_there_are_at_least_forty_distinct_cases():
    labels = [c[0] for c in API_CASES]
    assert len(set(labels)) == len(labels) >= 40


def test_unknown_build_option():
    with pytest.raises(ModelDefinitionError, match="nonsense"):
        gysim.load_model("guiyang", nonsense=1)


def test_calibrate_unknown_option():
    data = pd.DataFrame({"population": [331.8, 335.0]}, index=[2000, 2001])
    with pytest.raises(ParameterError, match="bogus_option"):
        gysim.calibrate(population_model(), data, ["birth_rate"], n_starts=1, bogus_option=1)


def test_calibrate_refuses_data_in_the_wrong_units():
    data = pd.DataFrame({"population": [331.8, 335.0]}, index=[2000, 2001])
    with pytest.raises(UnitsError, match="data column 'population' in '万元'"):
        gysim.calibrate(population_model(), data, ["birth_rate"], n_starts=1,
                        data_units={"population": "万元"})


def test_simulate_checks_units():
    m = with_(lambda m: m.aux("y", "population + births", units="1e4 person"))
    with pytest.raises(UnitsError, match="aux 'y'"):
        gysim.simulate(m)


# ------------------------------------------------------------------ the CLI
def cli(argv):
    from gysim.cli import main
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = main(argv)
    return code, err.getvalue()


CLI_CASES = [
    (["run", "no_such_model"], "no model named 'no_such_model'"),
    (["run", "population", "--set", "birth_rate=abc"], "--set birth_rate: 'abc' is not a number"),
    (["run", "population", "--set", "birth_rate"], "--set expects NAME=VALUE"),
    (["run", "population", "--set", "birth_rate=0.5"], "'birth_rate' = 0.5 is outside its bounds"),
    (["run", "population", "-o", "/nonexistent-folder/x.nc"], "'/nonexistent-folder/x.nc'"),
    (["run", "population", "--method", "euler", "--dt", "-1"], "`dt` must be positive"),
    (["run", "population", "--stop", "1990"], "`stop` must be after"),
    (["run", "population", "--vars", "nope"], "'nope' is not a variable"),
    (["plot", "/nonexistent.nc", "-o", "x.png"], "'/nonexistent.nc' does not exist"),
    (["info", "/nonexistent/model.mdl"], "/nonexistent/model.mdl"),
]


@pytest.mark.parametrize("argv, fragment", CLI_CASES, ids=[" ".join(c[0]) for c in CLI_CASES])
def test_cli_bad_input_is_one_line_and_exit_2(argv, fragment):
    code, err = cli(argv)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("gysim: error: ")
    assert fragment in err


def test_cli_refuses_xmile_with_external_entity(tmp_path):
    code, err = cli(["info", str(xxe(tmp_path))])
    assert code == 2 and "document type declaration" in err and SECRET not in err


# ------------------------------------------------------------------ observations to draw
@pytest.mark.parametrize("data, words", [
    ("frame", "duplicate"),
    ("text", "column(s) 'x' do not"),
    ("dates", "numeric times"),
    ("list", "must be a pandas DataFrame"),
], ids=["duplicate-columns", "non-numeric", "date-index", "not-a-frame"])
def test_trajectories_refuse_bad_data_by_name(data, words):
    import matplotlib
    matplotlib.use("Agg")
    import pandas as pd
    from gysim.plot import trajectories
    m = gysim.Model("m", start=0, stop=2)
    m.stock("x", 1.0)
    ds = gysim.simulate(m)
    frames = {
        "frame": pd.DataFrame([[1.0, 2.0]], index=[0.0], columns=["x", "x"]),
        "text": pd.DataFrame({"x": ["one"]}, index=[0.0]),
        "dates": pd.DataFrame({"x": [1.0]}, index=pd.to_datetime(["2001-01-01"])),
        "list": [1.0, 2.0],
    }
    expected = "more than one column named 'x'" if words == "duplicate" else words
    with pytest.raises(gysim.DataError, match=re.escape(expected)):
        trajectories(ds, ["x"], data=frames[data])
