"""Calibrating with your own data: reading a table and a mapping, fitting, applying the fit."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gysim
from gysim.cli import main
from gysim.errors import DataError

TRUE = {"g": 0.12, "b": 0.011}

MODEL_FILE = '''
import gysim


def build(g=0.05, b=0.02):
    m = gysim.Model("city", start=2001, stop=2005, time_units="year")
    m.stock("gdp", 264.8, units="1e8 yuan")
    m.param("g", g, units="1/year", bounds=(0.0, 0.3))
    m.flow("increase", "g * gdp", into="gdp", units="1e8 yuan/year")
    m.stock("population", 331.8, units="1e4 person")
    m.param("b", b, units="1/year", bounds=(0.0, 0.05))
    m.flow("births", "b * population", into="population", units="1e4 person/year")
    return m
'''

MAP_TEXT = """# yearbook column: model variable (units of the column)
gdp_nominal: gdp (万元)
总人口: population   # 万人, the model's own units
"""


@pytest.fixture()
def files(tmp_path):
    """A model file, a yearbook CSV in 万元 made from known parameters, and a mapping file."""
    model_path = tmp_path / "city.py"
    model_path.write_text(MODEL_FILE, encoding="utf-8")
    truth = gysim.simulate(gysim.load_model(model_path, **TRUE), method="rk4", dt=0.125)
    years = truth.time.values
    table = pd.DataFrame({
        "年份": years.astype(int),
        "gdp_nominal": truth.gdp.values * 1e4,  # 亿元 -> 万元
        "总人口": truth.population.values,
        "remarks": ["estimate"] * len(years),
    })
    csv = tmp_path / "yearbook.csv"
    table.to_csv(csv, index=False, encoding="utf-8-sig")  # as Excel writes "CSV UTF-8"
    mapping = tmp_path / "map.yaml"
    mapping.write_text(MAP_TEXT, encoding="utf-8")
    return model_path, csv, mapping, truth


def test_read_observations_maps_names_and_keeps_units(files):
    _, csv, mapping, truth = files
    frame = gysim.read_observations(csv, mapping)
    assert list(frame.columns) == ["gdp", "population"]
    assert frame.index.name == "time" and frame.index.tolist() == truth.time.values.tolist()
    np.testing.assert_allclose(frame.gdp.values, truth.gdp.values * 1e4)
    assert frame.attrs["units"] == {"gdp": "万元"}
    assert frame.attrs["unmapped"] == ["remarks"]
    # `units` overrides the mapping's, keyed by the file's column or by the variable
    assert gysim.read_observations(csv, mapping, units={"总人口": "万人"}).attrs["units"] == \
        {"gdp": "万元", "population": "万人"}


def test_json_mapping_and_excel_read_the_same(files, tmp_path):
    _, csv, mapping, _ = files
    pytest.importorskip("openpyxl")
    as_json = tmp_path / "map.json"
    as_json.write_text(json.dumps({"gdp_nominal": {"variable": "gdp", "units": "万元"},
                                   "总人口": "population"}, ensure_ascii=False), encoding="utf-8")
    xlsx = tmp_path / "yearbook.xlsx"
    with pd.ExcelWriter(xlsx) as writer:
        pd.DataFrame({"x": [1]}).to_excel(writer, sheet_name="notes", index=False)
        pd.read_csv(csv, encoding="utf-8-sig").to_excel(writer, sheet_name="data", index=False)
    expected = gysim.read_observations(csv, mapping)
    pd.testing.assert_frame_equal(gysim.read_observations(csv, as_json), expected)
    from_excel = gysim.read_observations(xlsx, as_json, sheet="data")
    pd.testing.assert_frame_equal(from_excel, expected)
    assert from_excel.attrs["units"] == {"gdp": "万元"}


def test_round_trip_recovers_the_parameters_and_load_model_applies_them(files, tmp_path):
    model_path, csv, mapping, truth = files
    data = gysim.read_observations(csv, mapping)
    model = gysim.load_model(model_path)
    result = gysim.calibrate(model, data, ["g", "b"], n_starts=2, method="rk4", dt=0.125)
    assert result.params["g"] == pytest.approx(TRUE["g"], rel=1e-6)
    assert result.params["b"] == pytest.approx(TRUE["b"], rel=1e-6)
    # the 万元 column was compared in the model's 亿元
    np.testing.assert_allclose(result.observed["gdp"].values, truth.gdp.values, rtol=1e-12)
    out = tmp_path / "calibration.json"
    result.to_json(out)
    fitted = gysim.load_model(model_path, calibration=out)
    assert fitted.params["g"].value == pytest.approx(TRUE["g"], rel=1e-6)
    assert fitted.params["b"].value == pytest.approx(TRUE["b"], rel=1e-6)
    assert gysim.load_model(model_path).params["g"].value == 0.05  # the build is unchanged


def test_cli_end_to_end(files, tmp_path, capsys):
    model_path, csv, mapping, _ = files
    out = tmp_path / "calibration.json"
    argv = ["calibrate", str(model_path), "--data", str(csv), "--map", str(mapping),
            "--params", "g,b", "--starts", "2", "--out", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out}" in printed
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["model"] == "city"
    # default integration (the model's adaptive solver): the fit matches to its tolerance
    assert doc["parameters"]["g"]["value"] == pytest.approx(TRUE["g"], rel=1e-3)
    fitted = gysim.load_model(model_path, calibration=out)
    assert fitted.params["b"].value == pytest.approx(TRUE["b"], rel=1e-3)
    # -o is the same option
    assert main(argv[:-2] + ["-o", str(tmp_path / "again.json")]) == 0
    assert (tmp_path / "again.json").is_file()


def test_cli_usage_errors(files, capsys):
    model_path, csv, mapping, _ = files
    assert main(["calibrate", str(model_path), "--data", str(csv), "--map", str(mapping)]) == 2
    assert "--data: name the parameters to fit with --params A,B" in capsys.readouterr().err
    assert main(["calibrate", "population", "--params", "g"]) == 2
    assert "--params applies with --data" in capsys.readouterr().err


# ---------------------------------------------------------------------------- bad files
def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text, message", [
    ("year,gdp\n2001,1\n2001,2\n", "repeats the time(s) 2001"),
    ("period,gdp\n2001,1\n", "has no time column: name one 'year'"),
    ("year,gdp\n2001,abc\n", "column 'gdp' holds text that is not a number: 'abc' at time 2001"),
    ("year,gdp\nlast,1\n", "the time column 'year' must hold numbers (years); found 'last'"),
])
def test_bad_data_files(tmp_path, text, message):
    with pytest.raises(DataError) as err:
        gysim.read_observations(write(tmp_path / "d.csv", text))
    assert message in str(err.value)


def test_missing_markers_are_missing(tmp_path):
    frame = gysim.read_observations(write(tmp_path / "d.csv", "year,gdp\n2001,…\n2002,5\n"))
    assert np.isnan(frame.gdp.iloc[0]) and frame.gdp.iloc[1] == 5


@pytest.mark.parametrize("text, message", [
    ("gdp_nominal gdp\n", "line 1: expected 'column: variable'"),
    ("gdp_nominal: gdp\ngdp_nominal: gdp2\n", "line 2: the column 'gdp_nominal' is mapped twice"),
    ("# nothing\n", "maps no column"),
    ("gdp_nominal: gdp[\n", "line 1: the entry of 'gdp_nominal'"),
])
def test_bad_mapping_files(tmp_path, text, message):
    with pytest.raises(DataError) as err:
        gysim.read_mapping(write(tmp_path / "m.yaml", text))
    assert message in str(err.value)


def test_mapping_naming_a_missing_column(files):
    _, csv, _, _ = files
    with pytest.raises(DataError, match="`mapping` names the column 'gdp_nominl', which .* does "
                                        "not have; did you mean 'gdp_nominal'"):
        gysim.read_observations(csv, {"gdp_nominl": "gdp"})


def test_unmapped_data_column_is_named_by_calibrate(files):
    model_path, csv, _, _ = files
    data = gysim.read_observations(csv, {"gdp_nominal": "gpd"})
    with pytest.raises(DataError, match="data column 'gpd' is not a variable of model 'city'; "
                                        "did you mean 'gdp'"):
        gysim.calibrate(gysim.load_model(model_path), data, ["g"], n_starts=1)


@pytest.mark.parametrize("doc, message", [
    ({"model": "town", "parameters": {"g": {"value": 0.1}}},
     "was fitted to model 'town', not to 'city'"),
    ({"model": "city", "parameters": {"gg": {"value": 0.1}}},
     "'gg' is not a parameter or stock of model 'city'; did you mean 'g'"),
    ({"model": "city", "parameters": {"g": {"value": 0.5}}},
     "the value 0.5 of 'g' lies outside its bounds (0, 0.3) in model 'city'"),
    ({"model": "city", "parameters": {"g": {"stderr": 0.5}}},
     "the entry of 'g' must hold a number 'value'"),
    ({"model": "city", "parameters": {}}, "holds no fitted value"),
    ({"g": 0.1}, "is not a calibration result"),
])
def test_bad_calibration_files(files, tmp_path, doc, message):
    model_path = files[0]
    path = write(tmp_path / "fit.json", json.dumps(doc))
    with pytest.raises(DataError) as err:
        gysim.load_model(model_path, calibration=path)
    assert message in str(err.value)


def test_unreadable_calibration_file(files, tmp_path):
    with pytest.raises(DataError, match="cannot read the calibration file"):
        gysim.load_model(files[0], calibration=write(tmp_path / "fit.json", "{not json"))


# ---------------------------------------------------------------------------- derived outputs
def gdp_per_head(ds):
    """GDP per head, 万元 per person (亿元 / 万人 = 1e4 元 per person)"""
    return ds.gdp / ds.population


def test_a_data_column_observes_a_function_of_the_run(files):
    """Only the ratio is observed: g - b is identified, and fitting g with b known recovers g."""
    model_path, _, _, truth = files
    ratio = truth.gdp.values / truth.population.values  # 万元 per person
    data = pd.DataFrame({"gdp_per_head": ratio * 1e4}, index=truth.time.values)  # 元 per person
    model = gysim.load_model(model_path, b=TRUE["b"])
    per_head = gysim.Derived("gdp_per_head", gdp_per_head, units="1e4 yuan/person")
    result = gysim.calibrate(model, data, ["g"], outputs=[per_head], n_starts=1, method="rk4",
                             dt=0.125, data_units={"gdp_per_head": "yuan/person"})
    assert result.params["g"] == pytest.approx(TRUE["g"], rel=1e-6)
    np.testing.assert_allclose(result.observed["gdp_per_head"].values, ratio, rtol=1e-12)


def test_calibrate_outputs_errors_name_the_argument(files):
    model_path = files[0]
    model = gysim.load_model(model_path)
    data = pd.DataFrame({"gdp_per_head": [1.0, 2.0]}, index=[2001, 2002])
    target = gysim.Target("g5", 1, "at least", variable="gdp", years=(2005,))
    with pytest.raises(DataError, match="`outputs`: the target 'g5' measures one number per "
                                        "run; calibration compares time series"):
        gysim.calibrate(model, data, ["g"], outputs=[target])
    with pytest.raises(DataError, match="`outputs`: 'gdp' is a variable of the model"):
        gysim.calibrate(model, data, ["g"], outputs=["gdp"])
    with pytest.raises(DataError, match=r"data column 'gdp_per_head' is not a variable of model "
                                        r"'city'.*\(a column may also observe a function of "
                                        r"the run given in `outputs`\)"):
        gysim.calibrate(model, data, ["g"])

    def at_end(ds):
        return ds.gdp.isel(time=-1)
    with pytest.raises(DataError, match="`outputs`: 'gdp_per_head' gives one number per run"):
        gysim.calibrate(model, data, ["g"], outputs={"gdp_per_head": at_end}, n_starts=1)
