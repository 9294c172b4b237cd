"""Chinese names: Model.set_names_zh, ``long_name_zh`` in results, the Guiyang table."""

from __future__ import annotations

import re

import pytest

import gysim
from gysim.errors import ModelDefinitionError
from gysim_models import names_zh

GUIYANG_MODELS = ("guiyang", "population", "labor", "economy", "energy", "water")
HAN = re.compile(r"[\u4e00-\u9fff]")


def small_model() -> gysim.Model:
    m = gysim.Model("pop", start=2000, stop=2002, time_units="year")
    m.param("birth_rate", 0.013, units="1/year", bounds=(0.0, 0.05), doc="births per person")
    m.stock("population", 100.0, units="1e4 person", doc="population")
    m.flow("births", "birth_rate * population", into="population", units="1e4 person/year")
    return m


def test_results_carry_the_chinese_names_of_outputs_params_and_initials():
    m = small_model()
    m.set_names_zh({"population": "总人口", "birth_rate": "人口出生率"})
    ds = gysim.simulate(m, method="euler", dt=1, params={"population": 120.0})
    assert ds.population.attrs["long_name_zh"] == "总人口"
    assert ds.population.attrs["long_name"] == "population"  # the English name stays
    assert ds.birth_rate.attrs["long_name_zh"] == "人口出生率"
    assert ds.population_initial.attrs["long_name_zh"] == "总人口初始值"
    assert "long_name_zh" not in ds.births.attrs  # no name given: no attr


def test_names_are_labels_they_survive_derivation_and_leave_the_hash_alone():
    m = small_model()
    before = m.hash()
    m.set_names_zh({"births": "出生人口"})
    assert m.hash() == before
    assert m.copy()["births"].long_name_zh == "出生人口"
    assert m.with_params({"birth_rate": 0.02})["births"].long_name_zh == "出生人口"
    changed = m.with_params({"birth_rate": 0.02})
    assert changed["birth_rate"].value == 0.02 and changed["birth_rate"].long_name_zh == ""


def test_set_names_zh_refuses_bad_input():
    m = small_model()
    with pytest.raises(ModelDefinitionError, match="'birth_rat' is not an element.*'birth_rate'"):
        m.set_names_zh({"birth_rat": "出生率"})
    with pytest.raises(ModelDefinitionError, match="Chinese name of 'births' must be a non-empty"):
        m.set_names_zh({"births": "  "})
    with pytest.raises(ModelDefinitionError, match="must be a mapping"):
        m.set_names_zh([("births", "出生人口")])
    assert m["births"].long_name_zh == ""  # nothing half-applied
    m.set_names_zh({"nothing_here": "无", "births": "出生人口"}, strict=False)
    assert m["births"].long_name_zh == "出生人口"


@pytest.mark.parametrize("name", GUIYANG_MODELS)
def test_every_guiyang_element_has_a_chinese_name(name):
    model = gysim.load_model(name)
    missing = [n for n, e in model.elements.items() if not HAN.search(e.long_name_zh)]
    assert not missing, f"add the Chinese names of {missing} to models/names_zh.py"


def test_the_table_names_only_elements_of_the_models_and_no_two_alike():
    known = set()
    for name in GUIYANG_MODELS:
        known |= set(gysim.load_model(name).elements)
    assert sorted(set(names_zh.NAMES) - known) == []
    full = gysim.load_model("guiyang")
    seen = {}
    for n, e in full.elements.items():
        assert e.long_name_zh not in seen, f"{n} and {seen[e.long_name_zh]} share a Chinese name"
        seen[e.long_name_zh] = n


def test_the_plan_indicators_go_by_the_plans_wording():
    """Each name appears as written in the plan's sentence that sets its target."""
    full = gysim.load_model("guiyang")
    quotes = {"gdp": "2010年全市生产总值突破1000亿元",
              "energy_intensity": "万元生产总值综合能耗比“十五”期末下降20%",
              "sewage_treatment_rate": "城市生活污水集中处理率提高到70%以上",
              "urbanization_rate": "城镇化水平提高到68%左右",
              "registered_unemployment_rate": "城镇登记失业率控制在4.5%以内",
              "industrial_water_intensity": "万元工业增加值用水量降至40立方米/万元",
              "natural_growth_rate": "人口自然增长率控制在6‰以内",
              "va_industry": "到2010年工业增加值达到550亿元左右"}
    for name, quote in quotes.items():
        assert full[name].long_name_zh in quote, name


# --- short names (Model.set_short_names, models/names_zh.py SHORT_NAMES) ------------------

#: Outputs the notebooks analyse and series the calibration fits: their figures label
#: them by short name.
FIGURE_OUTPUTS = ("gdp", "gdp_real", "va_primary", "va_secondary", "va_tertiary", "population",
                  "fixed_asset_investment", "gdp_real_growth", "energy_intensity",
                  "urbanization_rate", "urban_jobs_created", "industrial_water_intensity")


def test_short_names_are_labels_in_two_languages():
    m = small_model()
    before = m.hash()
    m.set_short_names({"birth_rate": " Birth rate "})
    m.set_short_names({"birth_rate": "出生率"}, lang="zh")
    assert (m["birth_rate"].short_name, m["birth_rate"].short_name_zh) == ("Birth rate", "出生率")
    assert m.hash() == before
    assert m.copy()["birth_rate"].short_name_zh == "出生率"
    assert m["births"].short_name == "" and m["births"].short_name_zh == ""


def test_set_short_names_refuses_bad_input():
    m = small_model()
    with pytest.raises(ModelDefinitionError, match="set_short_names: 'birth_rat' is not an "
                                                   "element.*'birth_rate'"):
        m.set_short_names({"birth_rat": "Birth rate"})
    with pytest.raises(ModelDefinitionError, match="short Chinese name of 'births' must be"):
        m.set_short_names({"births": ""}, lang="zh")
    with pytest.raises(ModelDefinitionError, match="`lang` must be 'en' or 'zh', got 'fr'"):
        m.set_short_names({"births": "Naissances"}, lang="fr")
    with pytest.raises(ModelDefinitionError, match="must be a mapping"):
        m.set_short_names("births")
    m.set_short_names({"nothing_here": "x", "births": "Births"}, strict=False)
    assert m["births"].short_name == "Births"


@pytest.mark.parametrize("name", GUIYANG_MODELS)
def test_every_guiyang_parameter_has_short_english_and_chinese_names(name):
    model = gysim.load_model(name)
    missing = [n for n, p in model.params.items()
               if not p.short_name or not HAN.search(p.short_name_zh)]
    assert not missing, f"add the short names of {missing} to names_zh.SHORT_NAMES"
    # short: a tick label, not a sentence (the Chinese count double)
    long = [n for n, p in model.params.items()
            if len(p.short_name) > 36 or 2 * len(p.short_name_zh) > 36]
    assert not long, f"shorten the short names of {long}"


def test_the_outputs_of_the_figures_have_short_names():
    full = gysim.load_model("guiyang")
    for name in FIGURE_OUTPUTS:
        assert full[name].short_name and HAN.search(full[name].short_name_zh), name


def test_the_short_name_table_names_only_elements_and_no_two_alike_in_a_model():
    known = set()
    for name in GUIYANG_MODELS:
        known |= set(gysim.load_model(name).elements)
    assert sorted(set(names_zh.SHORT_NAMES) - known) == []
    full = gysim.load_model("guiyang")
    for lang, field in (("en", "short_name"), ("zh", "short_name_zh")):
        seen = {}
        for n, e in full.elements.items():
            text = getattr(e, field)
            if text:
                assert text not in seen, f"{n} and {seen[text]} share the {lang} short name"
                seen[text] = n
