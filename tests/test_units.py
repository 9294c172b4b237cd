"""Tests of gysim.units: the registry, the dimensional check of equations, conversion."""

from __future__ import annotations

import pandas as pd
import pytest
import xarray as xr

import gysim
from gysim.examples import population_model
from gysim.units import check_units, convert, parse_units, to_model_units, unit_problems

#: Known unit inconsistencies of the Guiyang models, reported to the lead (issue 7).
KNOWN_MODEL_PROBLEMS = {"gdp_real_growth"}


# ------------------------------------------------------------------ the registry
@pytest.mark.parametrize("value, source, target, expected", [
    (1.0, "亿元", "万元", 1e4),
    (1.0, "1e8 yuan", "元", 1e8),
    (350.66, "万人", "person", 3_506_600.0),
    (2.0, "万吨", "tonne", 20_000.0),
    (3.0, "‰", "fraction", 0.003),
    (6.0, "percent", "‰", 60.0),
    (1.0, "万tce", "kgce", 1e7),
    (1.2, "tce/1e4 yuan", "tce/万元", 1.2),
    (5.0, "m3/1e4 yuan", "立方米/元", 5e-4),
    (1.0, "1e4 m3/day", "1e8 m3/year", 365.25e-4),
    (2.0, "1e8 yuan/(1e4 tce/year)", "yuan/(tce/year)", 2e4),
    (4.0, "jobs", "job", 4.0),
    (1.0, "亿元/年", "万元/year", 1e4),
])
def test_plan_units_convert(value, source, target, expected):
    assert convert(value, source, target) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("source, target, dims", [
    ("1e8 yuan", "USD", "[currency_usd]"),      # needs an explicit exchange rate
    ("tce", "GJ", "[mass] * [length] ** 2"),     # coal equivalent is not an energy
    ("job", "person", "[person]"),              # a job is not a person
    ("1e8 yuan_2000", "1e8 yuan", "[currency_cny]"),  # real is not nominal money
    ("万人", "万元", "[currency_cny]"),
])
def test_different_dimensions_refuse_to_convert(source, target, dims):
    with pytest.raises(gysim.UnitsError, match="different dimensions") as info:
        convert(1.0, source, target)
    assert repr(source) in str(info.value) and dims in str(info.value)


def test_every_unit_string_of_the_guiyang_model_parses():
    model = gysim.load_model("guiyang")
    strings = {e.units for e in model.elements.values()} - {""}
    assert len(strings) >= 20
    for text in strings:
        assert parse_units(text).magnitude > 0
    # the scaled units keep their scale
    assert parse_units("1e8 yuan/year").magnitude == 1e8
    assert parse_units("tce/1e4 yuan").magnitude == 1e-4
    assert str(parse_units("fraction/year").dimensionality) == "1 / [time]"


def test_writing_rules():
    # a number binds to the word after it, in a denominator too
    assert parse_units("m3/1e4 yuan").to("m3/yuan").magnitude == pytest.approx(1e-4)
    # in free text (models read from other tools) words separated by spaces are one unit,
    # and unknown words are units of their own; elsewhere they are refused
    q = parse_units("output per composite input/year", new_words=True)
    assert str(q.dimensionality) == "[output_per_composite_input] / [time]"
    assert (parse_units("gadgets", new_words=True).dimensionality
            == parse_units("gadget", new_words=True).dimensionality)
    with pytest.raises(gysim.UnitsError, match="'gadgets' is not a unit gysim knows"):
        parse_units("gadgets")
    # Vensim's capitalised time units are the registry's
    assert convert(12.0, "Months", "Year") == pytest.approx(1.0)
    assert convert(1.0, "Persons", "person") == 1.0


@pytest.mark.parametrize("text, fragment", [
    ("", "non-empty"),
    ("@", "cannot be parsed"),
    ("[0,1]", "has no meaning in units"),
    ("1/(yuan", "cannot be parsed"),
    ("0 yuan", "positive finite scale"),
    ("-1e8 yuan", "positive finite scale"),
    ("__class__", "is not a unit name"),
    ("yuan/", "cannot be parsed"),
    ("x" * 300, "the limit is"),
])
def test_bad_units_strings(text, fragment):
    with pytest.raises(gysim.UnitsError, match=fragment):
        parse_units(text)


def test_convert_keeps_the_container():
    assert isinstance(convert(1, "万人", "人"), float)
    assert convert([1.0, 2.0], "percent", "fraction").tolist() == [0.01, 0.02]
    s = convert(pd.Series([1.0, 2.0], index=[2000, 2001]), "亿元", "万元")
    assert s.index.tolist() == [2000, 2001] and s.tolist() == [1e4, 2e4]
    da = convert(xr.DataArray([1.0]), "tce", "kgce")
    assert float(da[0]) == pytest.approx(1000.0)


# ------------------------------------------------------------------ the check
def test_population_example_is_consistent():
    check_units(population_model())
    assert unit_problems(population_model()) == []


def test_guiyang_models_have_only_the_known_problems():
    for name in gysim.available_models():
        problems = unit_problems(gysim.load_model(name))
        named = {p.split("'")[1] for p in problems}
        assert named <= KNOWN_MODEL_PROBLEMS, (name, problems)


def base() -> gysim.Model:
    m = gysim.Model("u", start=2000, stop=2005, time_units="year")
    m.stock("gdp", 264.8, units="1e8 yuan/year")
    m.stock("capital", 600.0, units="1e8 yuan")
    m.stock("population", 331.8, units="1e4 person")
    m.param("g", 0.1, units="1/year")
    m.param("tau", 2.0, units="year")
    m.param("share", 0.3, units="fraction")
    m.param("pct", 5.0, units="percent/year")
    m.param("water_per_head", 0.2, units="m3/person/day")
    m.flow("gdp_growth", "g * gdp", into="gdp", units="1e8 yuan/year/year")
    m.flow("investment", "share * gdp", into="capital", units="1e8 yuan/year")
    return m


def problems_after(*adds) -> list[str]:
    m = base()
    for add in adds:
        add(m)
    return unit_problems(m)


def test_base_model_is_consistent():
    assert unit_problems(base()) == []


@pytest.mark.parametrize("add", [
    lambda m: m.aux("a", "gdp + gdp_growth * tau", units="1e8 yuan/year"),
    lambda m: m.aux("a", "gdp / population * 10000", units="yuan/person/year"),  # conversion factor
    lambda m: m.aux("a", "capital * step(1, 2003)", units="1e8 yuan"),
    lambda m: m.aux("a", "1 - share", units="fraction"),
    lambda m: m.aux("a", "exp(g * (time - 2000))", units="dimensionless"),
    lambda m: m.aux("a", "max(gdp, 0) if time > 2002 else min(gdp, gdp_growth * tau)",
                    units="1e8 yuan/year"),
    lambda m: m.aux("a", "if_then_else(time > 2003, gdp, 0)", units="1e8 yuan/year"),
    lambda m: m.aux("a", "smooth(gdp, tau)", units="1e8 yuan/year"),
    lambda m: m.aux("a", "delay_fixed(gdp, tau, gdp)", units="1e8 yuan/year"),
    lambda m: m.aux("a", "ramp(g, 2001, 2004)", units="dimensionless"),
    lambda m: m.aux("a", "sqrt(capital * capital)", units="1e8 yuan"),
    lambda m: m.aux("a", "capital ** 2 / capital", units="1e8 yuan"),
    lambda m: m.aux("a", "pct / 100", units="1/year"),
    lambda m: m.aux("a", "xidz(capital, gdp, tau)", units="year"),
    lambda m: m.aux("a", "pulse(2002, tau) * gdp", units="1e8 yuan/year"),
    lambda m: (m.lookup("effect", [0, 1], [1, 0.5], units="fraction"),
               m.aux("a", "effect(share) * capital", units="1e8 yuan")),
    lambda m: m.aux("a", "capital ** share * population ** (1 - share)", units=""),
    lambda m: m.aux("a", "water_per_head * 365 * population / 10000", units="1e8 m3/year"),
    lambda m: m.aux("a", "gdp * (time >= 2003 and time < 2004)", units="1e8 yuan/year"),
])
def test_consistent_equations_pass(add):
    assert problems_after(add) == []


@pytest.mark.parametrize("add, fragments", [
    (lambda m: m.aux("a", "gdp + capital", units="1e8 yuan/year"),
     ["aux 'a'", "sum `gdp + capital`", "[currency_cny] / [time]", "([currency_cny])"]),
    (lambda m: m.aux("a", "gdp / population", units="yuan/person/year"),
     ["aux 'a'", "equation and declared units differ", "a factor 10000 apart"]),
    (lambda m: m.aux("a", "exp(g)", units="dimensionless"),
     ["argument of `exp(g)`", "must be dimensionless", "1 / [time]"]),
    (lambda m: m.aux("a", "exp(pct * (time - 2000))", units="dimensionless"),
     ["must be a plain number", "scale 0.01"]),
    (lambda m: m.aux("a", "gdp if time > 2003 else capital", units="1e8 yuan/year"),
     ["the branches of", "`capital` is in 1e+08 yuan ([currency_cny])"]),
    (lambda m: m.aux("a", "step(gdp, share + 2000)", units="1e8 yuan/year"),
     ["start of `step(gdp, share + 2000)`", "time (year)"]),
    (lambda m: m.aux("a", "smooth(gdp, share)", units="1e8 yuan/year"),
     ["delay time of `smooth(gdp, share)`", "dimensionless"]),
    (lambda m: m.aux("a", "smooth(gdp, tau, capital)", units="1e8 yuan/year"),
     ["input and initial value"]),
    (lambda m: m.aux("a", "max(gdp, population)", units="1e8 yuan/year"),
     ["arguments of `max(gdp, population)`", "[person]"]),
    (lambda m: m.aux("a", "gdp > population", units="dimensionless"), ["comparison"]),
    (lambda m: m.aux("a", "capital ** 2", units="1e8 yuan"),
     ["equation and declared", "[currency_cny] ** 2"]),
    (lambda m: m.flow("spending", "capital / tau", out_of="capital", units="1e4 yuan/year"),
     ["flow 'spending' out of stock 'capital'", "a factor 0.0001 apart"]),
    (lambda m: m.flow("births", "g * population", into="population", units="1e4 person"),
     ["flow 'births' into stock 'population'", "[person]", "[person] / [time]"]),
    (lambda m: m.stock("k2", "gdp", units="1e8 yuan"),
     ["initial value of stock 'k2'", "equation and declared units differ"]),
    (lambda m: (m.param("deflator", 1.1, units="yuan/yuan_2000"),
                m.aux("real_gdp", "gdp / deflator", units="1e8 yuan/year")),
     ["aux 'real_gdp'", "1e+08 yuan_2000 / year ([yuan_2000] / [time])"]),
])
def test_inconsistent_equations_are_named(add, fragments):
    problems = problems_after(add)
    assert problems, "no problem found"
    text = "\n".join(problems)
    for fragment in fragments:
        assert fragment in text, (fragment, text)


def test_real_and_nominal_money_convert_through_a_price_index():
    m = base()
    m.param("deflator", 1.1, units="yuan/yuan_2000")
    m.aux("real_gdp", "gdp / deflator", units="1e8 yuan_2000/year")
    assert unit_problems(m) == []


def test_check_units_raises_with_all_problems():
    m = base()
    m.aux("a", "gdp + capital", units="1e8 yuan/year")
    m.aux("b", "exp(tau)", units="dimensionless")
    with pytest.raises(gysim.UnitsError, match="model 'u' has 2 unit inconsistencies") as info:
        check_units(m)
    assert len(info.value.problems) == 2
    assert "aux 'a' = `gdp + capital`" in str(info.value)
    assert "aux 'b' = `exp(tau)`" in str(info.value)


def test_elements_without_units_are_not_checked():
    m = base()
    m.aux("mystery", "gdp * 3")                 # no units: not checked, unknown where used
    m.aux("a", "mystery + gdp", units="1e8 yuan/year")
    m.flow("f", "mystery", into="capital")      # no units: the stock check is skipped
    assert unit_problems(m) == []


def test_time_units_of_the_model():
    m = gysim.Model("months", start=0, stop=12, time_units="month")
    m.stock("water", 10.0, units="m3")
    m.flow("inflow", "1", into="water", units="m3/year")
    [problem] = unit_problems(m)
    assert "flow 'inflow' into stock 'water'" in problem and "factor 0.0833333" in problem


def test_check_units_needs_a_model():
    with pytest.raises(gysim.UnitsError, match="must be a gysim.Model"):
        check_units("guiyang")


# ------------------------------------------------------------------ calibration data
def test_to_model_units_converts_columns():
    data = pd.DataFrame({"population": [3_318_000.0, 3_350_000.0]}, index=[2000, 2001])
    out = to_model_units(population_model(), data, {"population": "person"})
    assert out["population"].tolist() == pytest.approx([331.8, 335.0])
    assert data["population"].iloc[0] == 3_318_000.0  # the input is not changed


def test_to_model_units_reads_dataset_attrs():
    ds = xr.Dataset({"births": ("time", [43134.0, 43000.0])}, coords={"time": [2000, 2001]})
    ds["births"].attrs["units"] = "person/year"
    out = to_model_units(population_model(), ds)
    assert out["births"].values.tolist() == pytest.approx([4.3134, 4.3])
    assert out["births"].attrs["units"] == "1e4 person/year"


@pytest.mark.parametrize("units, fragment", [
    ({"population": "万元"}, "data column 'population' in '万元' cannot be converted to '1e4 person'"),
    ({"births": "person"}, "[person] / [time]"),
    ({"nope": "person"}, "not in the data"),
])
def test_to_model_units_refuses_mismatches(units, fragment):
    data = pd.DataFrame({"population": [331.8], "births": [4.3]}, index=[2000])
    with pytest.raises(gysim.UnitsError) as info:
        to_model_units(population_model(), data, units)
    assert fragment in str(info.value)


def test_to_model_units_needs_declared_units():
    m = gysim.Model("m")
    m.stock("x", 1.0)
    with pytest.raises(gysim.UnitsError, match="model variable 'x' declares no units"):
        to_model_units(m, pd.DataFrame({"x": [1.0]}, index=[0]), {"x": "kg"})


def test_units_of_selections_and_aggregations_over_dimensions():
    import gysim
    m = gysim.Model("m", start=0, stop=1)
    m.dimension("sector", ["primary", "secondary", "tertiary"])
    m.param("capital_by_sector", 10.0, units="1e8 yuan", dims=("sector",))
    m.aux("total_capital", "sum(capital_by_sector, sector)", units="1e8 yuan")
    m.aux("industry_capital", "capital_by_sector[secondary]", units="1e8 yuan")
    m.aux("largest", "max(capital_by_sector, sector)", units="1e8 yuan")
    m.check_units()
    bad = m.copy()
    bad.aux("wrong", "sum(capital_by_sector, sector)", units="1e4 person")
    with pytest.raises(gysim.UnitsError, match="wrong"):
        bad.check_units()
    bad2 = m.copy()
    bad2.aux("wrong_pick", "capital_by_sector[primary]", units="m3")
    with pytest.raises(gysim.UnitsError, match="wrong_pick"):
        bad2.check_units()
