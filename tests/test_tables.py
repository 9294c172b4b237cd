"""Report tables (gysim.tables): wide tables of runs and ensembles, CSV/Excel, parameter tables."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest

import gysim
from gysim.errors import DataError


def sector_model(time_units: str = "year", saveper: float = 1.0) -> gysim.Model:
    m = gysim.Model("va", start=2005, stop=2008, time_units=time_units, saveper=saveper)
    m.dimension("sector", ["primary", "secondary", "tertiary"])
    m.param("growth", 0.1, units=f"1/{time_units}", bounds=(0.0, 0.3), doc="growth rate",
            source="assumption")
    m.param("start_va", {"primary": 10.0, "secondary": 20.0, "tertiary": 30.0}, dims="sector",
            units="1e8 yuan", doc="value added in 2005", source="yearbook 2006")
    m.stock("value_added", "start_va", dims="sector", units="1e8 yuan", doc="value added")
    m.flow("gain", "growth * value_added", into="value_added", dims="sector",
           units=f"1e8 yuan/{time_units}", doc="growth of value added")
    m.aux("total", "sum(value_added, sector)", units="1e8 yuan", doc="total value added")
    return m


@pytest.fixture(scope="module")
def run():
    return gysim.simulate(sector_model(), method="euler", dt=1)


@pytest.fixture(scope="module")
def ensemble():
    return gysim.simulate(sector_model(), method="euler", dt=1,
                          params={"growth": np.linspace(0.0, 0.2, 11)})


def test_a_subscripted_run_has_a_row_per_element_and_integer_years(run):
    table = gysim.to_table(run)
    assert table.index.name == "variable"
    assert table.columns.tolist() == ["name", "units", 2005, 2006, 2007, 2008]
    assert all(type(c) is int for c in table.columns[2:])
    # one row per element of a subscripted variable, one row for a scalar one (never spread over sector)
    assert table.index.tolist() == [
        "value_added[primary]", "value_added[secondary]", "value_added[tertiary]",
        "gain[primary]", "gain[secondary]", "gain[tertiary]", "total"]
    assert table.loc["value_added[secondary]", "name"] == "value added [secondary]"
    assert table.loc["total", "name"] == "total value added"
    assert table.loc["value_added[primary]", "units"] == "1e8 yuan"
    assert table.loc["gain[tertiary]", "units"] == "1e8 yuan/year"
    np.testing.assert_allclose(table.loc["value_added[secondary]", [2005, 2008]], [20.0, 20 * 1.1 ** 3])
    np.testing.assert_allclose(table.loc["total", 2006], 66.0)
    np.testing.assert_allclose(table.loc["value_added[tertiary]", 2005:2008],
                               run.value_added.sel(sector="tertiary").values)


def test_variables_and_years_choose_rows_and_columns(run):
    table = gysim.to_table(run, ["total", "value_added[primary]"], years=[2008, 2006])
    assert table.index.tolist() == ["total", "value_added[primary]"]
    assert table.columns.tolist() == ["name", "units", 2008, 2006]
    assert table.loc["value_added[primary]", 2006] == pytest.approx(11.0)


def test_only_whole_years_by_default_and_other_time_units_as_given():
    half = gysim.simulate(sector_model(saveper=0.5), method="euler", dt=0.5)
    assert gysim.to_table(half, "total").columns.tolist()[2:] == [2005, 2006, 2007, 2008]
    assert gysim.to_table(half, "total", years=[2005.5]).columns.tolist()[2:] == [2005.5]
    months = gysim.simulate(sector_model(time_units="month", saveper=1.5), method="euler", dt=0.5)
    columns = gysim.to_table(months, "total").columns.tolist()[2:]
    assert columns == [2005.0, 2006.5, 2008.0] and all(type(c) is float for c in columns)


def test_parameters_as_rows_with_a_value_column(run):
    table = gysim.to_table(run, ["total"], params=True)
    assert table.columns.tolist() == ["name", "units", "value", 2005, 2006, 2007, 2008]
    assert table.index.tolist() == ["total", "growth", "start_va[primary]", "start_va[secondary]",
                                    "start_va[tertiary]"]
    assert table.loc["growth", "value"] == 0.1 and np.isnan(table.loc["growth", 2005])
    assert table.loc["start_va[tertiary]", "value"] == 30.0
    assert table.loc["start_va[tertiary]", "units"] == "1e8 yuan"
    assert np.isnan(table.loc["total", "value"])


def test_an_ensemble_gives_quantiles_or_mean_per_cell(ensemble):
    table = gysim.to_table(ensemble, "value_added[secondary]")
    assert table.index.names == ["variable", "statistic"]
    assert table.index.get_level_values("statistic").tolist() == ["5%", "50%", "95%"]
    runs = ensemble.value_added.sel(sector="secondary", time=2008).values
    for stat, q in [("5%", 0.05), ("50%", 0.5), ("95%", 0.95)]:
        assert table.loc[("value_added[secondary]", stat), 2008] == pytest.approx(np.quantile(runs, q))
    custom = gysim.to_table(ensemble, ["total"], quantiles=["mean", 0.25], params=True)
    assert custom.loc[("total", "mean"), 2008] == pytest.approx(ensemble.total.sel(time=2008).mean())
    assert custom.loc[("growth", "25%"), "value"] == pytest.approx(0.05)
    # a parameter that is not varied has the same value in every statistic
    assert custom.loc[("start_va[primary]", "25%"), "value"] == 10.0


def test_an_ensemble_statistic_leaves_out_failed_runs(ensemble):
    masked = ensemble.copy()
    masked["total"] = masked.total.where(masked.run != 0)
    table = gysim.to_table(masked, "total", quantiles=["mean"])
    assert table.loc[("total", "mean"), 2008] == pytest.approx(ensemble.total.sel(time=2008)[1:].mean())


def test_one_run_of_an_ensemble(ensemble):
    table = gysim.to_table(ensemble, ["value_added"], run=10, params=True)
    assert table.index.name == "variable"
    assert table.loc["value_added[primary]", 2008] == pytest.approx(10 * 1.2 ** 3)
    assert table.loc["growth", "value"] == pytest.approx(0.2)


def test_lang_zh_takes_chinese_names_and_falls_back_to_english(run):
    ds = run.copy()
    ds["value_added"].attrs["long_name_zh"] = "增加值"
    zh = gysim.to_table(ds, ["value_added[primary]", "total"], lang="zh")
    assert zh["name"].tolist() == ["增加值 [primary]", "total value added"]
    en = gysim.to_table(ds, ["value_added[primary]"], lang="en")
    assert en["name"].tolist() == ["value added [primary]"]


def test_mistakes_are_named(run, ensemble):
    with pytest.raises(DataError, match="`variables`: 'growth' is not a variable.*params=True"):
        gysim.to_table(run, ["growth"])
    with pytest.raises(DataError, match="did you mean 'total'"):
        gysim.to_table(run, ["totl"])
    with pytest.raises(DataError, match="'primry'"):
        gysim.to_table(run, ["value_added[primry]"])
    with pytest.raises(DataError, match="`years`: 2009 is not an output time"):
        gysim.to_table(run, years=[2009])
    with pytest.raises(DataError, match="`lang` must be one of"):
        gysim.to_table(run, lang="fr")
    with pytest.raises(DataError, match="`run` chooses a run of an ensemble"):
        gysim.to_table(run, run=0)
    with pytest.raises(DataError, match="`quantiles` summarise an ensemble"):
        gysim.to_table(run, quantiles=[0.5])
    with pytest.raises(DataError, match="`run`: 99 is not a run"):
        gysim.to_table(ensemble, run=99)
    with pytest.raises(DataError, match="not both"):
        gysim.to_table(ensemble, run=1, quantiles=[0.5])
    with pytest.raises(DataError, match=r"probabilities in \[0, 1\] or 'mean', got 5"):
        gysim.to_table(ensemble, quantiles=[5])


def test_csv_round_trip_keeps_chinese_names_and_numbers(run, tmp_path):
    ds = run.copy()
    ds["total"].attrs["long_name_zh"] = "地区生产总值"
    table = gysim.to_table(ds, lang="zh", params=True)
    path = gysim.write_table(table, tmp_path / "table.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    assert "地区生产总值".encode("utf-8") in raw
    back = pd.read_csv(path, index_col=0)
    back.columns = [c if i < 3 else int(c) for i, c in enumerate(back.columns)]
    back["units"] = back["units"].fillna("")
    pd.testing.assert_frame_equal(back, table, check_exact=False, rtol=1e-12)
    with open(path, encoding="utf-8-sig", newline="") as f:
        assert next(csv.reader(f))[:3] == ["variable", "name", "units"]


def test_excel_round_trip(ensemble, tmp_path):
    pytest.importorskip("openpyxl")
    import openpyxl
    table = gysim.to_table(ensemble, params=True)
    path = gysim.write_table(table, tmp_path / "table.xlsx", sheet_name="增加值")
    back = pd.read_excel(path, sheet_name="增加值", index_col=[0, 1])
    assert back.columns.tolist() == table.columns.tolist()  # integer years come back as integers
    back["units"] = back["units"].fillna("")
    pd.testing.assert_frame_equal(back, table, check_exact=False, rtol=1e-12)
    sheet = openpyxl.load_workbook(path)["增加值"]
    assert sheet.freeze_panes == "C2"


def test_write_table_refuses_what_it_cannot_write(run, tmp_path):
    table = gysim.to_table(run)
    with pytest.raises(DataError, match=r"must end in \.csv or \.xlsx"):
        gysim.write_table(table, tmp_path / "table.txt")
    with pytest.raises(DataError, match="1 to 31 characters"):
        gysim.write_table(table, tmp_path / "table.xlsx", sheet_name="x" * 32)
    with pytest.raises(DataError, match="does not exist"):
        gysim.write_table(table, tmp_path / "missing" / "table.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_parameter_table_of_a_subscripted_model():
    m = sector_model()
    table = m.parameter_table()
    assert table.index.name == "parameter"
    assert table.columns.tolist() == ["name", "value", "units", "lower", "upper", "doc", "name_zh",
                                      "source"]
    assert table.index.tolist() == ["growth", "start_va[primary]", "start_va[secondary]",
                                    "start_va[tertiary]"]
    assert table.loc["growth", ["lower", "upper"]].tolist() == [0.0, 0.3]
    assert np.isnan(table.loc["start_va[primary]", "lower"])
    assert table.loc["start_va[secondary]", "value"] == 20.0
    assert table.loc["start_va[secondary]", "source"] == "yearbook 2006"
    assert (table["name_zh"] == "").all()
    with pytest.raises(DataError, match="`lang` must be 'en' or 'zh'"):
        m.parameter_table(lang="de")


def test_parameter_table_takes_a_chinese_name_where_the_element_has_one():
    m = sector_model()
    m.set_names_zh({"growth": "增长率"})
    zh = m.parameter_table(lang="zh")
    assert zh.loc["growth", ["name", "name_zh"]].tolist() == ["增长率", "增长率"]
    assert zh.loc["start_va[primary]", "name"] == "value added in 2005"  # fallback: the doc
    assert zh.loc["start_va[primary]", "name_zh"] == ""
    assert m.parameter_table().loc["growth", "name"] == "growth rate"


def test_plan_units_scale_values_and_translate_units():
    m = gysim.Model("shares", start=2005, stop=2007, time_units="year")
    m.param("g", 0.05, units="1/year", doc="natural growth")
    m.stock("pop", 300.0, units="1e4 person", doc="population")
    m.flow("increase", "g * pop", into="pop", units="1e4 person/year")
    m.param("quarter", 0.25, units="fraction")
    m.aux("share", "quarter", units="fraction", doc="a share")
    m.set_names_zh({"pop": "总人口", "share": "比重", "g": "人口自然增长率"})
    ds = gysim.simulate(m, method="euler", dt=1)
    zh = gysim.to_table(ds, ["pop", "share"], lang="zh", params=True, scales={"g": "per_mille"})
    # by hand: 300 * 1.05 = 315 (万人); 0.25 -> 25 %; 0.05 per year -> 50 per mille
    assert zh.loc["pop", ["name", "units", 2006]].tolist() == ["总人口", "万人", pytest.approx(315.0)]
    assert zh.loc["share", ["name", "units", 2005]].tolist() == ["比重", "%", pytest.approx(25.0)]
    assert zh.loc["g", ["name", "units", "value"]].tolist() == ["人口自然增长率", "‰", pytest.approx(50.0)]
    en = gysim.to_table(ds, ["share"], units="plan")
    assert en.loc["share", ["name", "units", 2007]].tolist() == ["a share", "%", pytest.approx(25.0)]
    model = gysim.to_table(ds, ["share"], lang="zh", units="model")
    assert model.loc["share", ["name", "units", 2007]].tolist() == ["比重", "fraction", pytest.approx(0.25)]
    with pytest.raises(DataError, match="`units` must be 'model' or 'plan'"):
        gysim.to_table(ds, units="display")
    with pytest.raises(DataError, match="`scale` 'per_mille' rescales plain numbers"):
        gysim.to_table(ds, ["pop"], units="plan", scales={"pop": "per_mille"})


def test_the_guiyang_parameter_table_lists_every_parameter_with_bounds_and_sources():
    model = gysim.load_model("guiyang")
    table = model.parameter_table()
    expected = []
    for name, p in model.params.items():
        if p.dims:
            expected += [f"{name}[{label}]" for label in model.dimensions[p.dims[0]]]
        else:
            expected.append(name)
    assert table.index.tolist() == expected
    for name, p in model.params.items():
        row = table.loc[name] if not p.dims else table.loc[f"{name}[{model.dimensions[p.dims[0]][0]}]"]
        assert row["units"] == p.units and row["source"] == p.source and row["doc"] == p.doc
        if p.bounds is not None:
            assert (row["lower"], row["upper"]) == p.bounds
        if not p.dims:
            assert row["value"] == p.value
    assert table["source"].str.len().gt(0).all()  # every Guiyang parameter says where it comes from
    assert table["lower"].notna().sum() >= len(model.params) - 3


def test_an_envelope_gives_its_quantiles(ensemble):
    env = gysim.envelope(ensemble, quantiles=(0.1, 0.9))
    table = gysim.to_table(env, "total")
    assert table.index.tolist() == [("total", "10%"), ("total", "90%")]
    runs = ensemble.total.sel(time=2007).values
    assert table.loc[("total", "90%"), 2007] == pytest.approx(np.quantile(runs, 0.9))
    with pytest.raises(DataError, match="holds quantiles already"):
        gysim.to_table(env, quantiles=[0.5])
