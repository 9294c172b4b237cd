"""Unit words: an unknown word is an error where the element is defined, never a silent new unit.

Issue 13: ``units="per year"`` became a unit ``per_year`` (failing only when
run), ``"10k person"`` became ``10 boltzmann_constant * person``, ``"万
persons"`` a unit ``万_person``, and ``time_units="yeer"`` was accepted.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

import gysim
from gysim.units import convert, define, parse_units

DATA = Path(__file__).parent / "data"


def model(**kw) -> gysim.Model:
    return gysim.Model("m", start=2000, stop=2005, **kw)


#: Each element-defining method, called with the given units.
DEFINE = {
    "stock": lambda m, u: m.stock("x", 1.0, units=u),
    "flow": lambda m, u: (m.stock("s", 1.0), m.flow("x", 1.0, into="s", units=u)),
    "aux": lambda m, u: m.aux("x", 1.0, units=u),
    "parameter": lambda m, u: m.param("x", 1.0, units=u),
    "lookup": lambda m, u: m.lookup("x", [0, 1], [0, 1], units=u),
    "data input": lambda m, u: m.data("x", {2000: 1.0, 2001: 2.0}, units=u),
}


# ------------------------------------------------------------------ the reproductions
@pytest.mark.parametrize("kind", DEFINE)
def test_per_year_is_refused_where_the_element_is_defined(kind):
    m = model()
    with pytest.raises(gysim.UnitsError) as info:
        DEFINE[kind](m, "per year")
    text = str(info.value)
    assert f"`units` of {kind} 'x'" in text
    assert "'per year' is not a unit gysim knows" in text
    assert "did you mean '1/year'" in text
    assert "x" not in m  # nothing half-defined


def test_ten_k_person_is_not_the_boltzmann_constant():
    with pytest.raises(gysim.UnitsError, match=r"'10k' is not a number in units.*"
                                               r"write '1e4 person' or '万人'"):
        model().param("p", 1.0, units="10k person")
    with pytest.raises(gysim.UnitsError, match="'k' is pint's boltzmann_constant, a physical "
                                               "constant.*'1e3 person'"):
        model().param("p", 1.0, units="10 k person")
    with pytest.raises(gysim.UnitsError, match="'2.5bn' is not a number.*'2.5e9 yuan'"):
        parse_units("2.5bn yuan")
    # the written-out forms are what the message says they are
    assert convert(1.0, "1e4 person", "person") == 1e4
    assert convert(1.0, "万人", "person") == 1e4


def test_wan_persons_suggests_the_prefixed_unit():
    with pytest.raises(gysim.UnitsError) as info:
        model().stock("population", 331.8, units="万 persons")
    text = str(info.value)
    assert "'万 persons' is not a unit gysim knows" in text
    assert "did you mean '万persons'" in text
    assert convert(1.0, "万persons", "person") == 1e4  # the suggestion is right


def test_time_units_must_be_a_known_time():
    with pytest.raises(gysim.UnitsError, match=r"`time_units` of model 'm': .*'yeer' is not a "
                                               r"unit gysim knows; did you mean 'year'\?") as info:
        model(time_units="yeer")
    assert "define" not in str(info.value)  # a time cannot be a counted unit of one's own
    with pytest.raises(gysim.UnitsError, match=r"`time_units` of model 'm' must be a time .*"
                                               r"got '1e4 person' \(\[person\]\)"):
        model(time_units="1e4 person")
    for ok in ("year", "month", "day", "Year", "Months", "年", ""):
        assert model(time_units=ok).time_units == ok


@pytest.mark.parametrize("written, suggested", [
    ("yaun/year", "yuan"),
    ("1e4 persn", "person"),
    ("tce/1e4 yaun", "yuan"),
    ("fractoin", "fraction"),
    ("tce per 1e4 yuan", "tce/1e4 yuan"),
])
def test_misspelt_words_get_close_known_units(written, suggested):
    with pytest.raises(gysim.UnitsError, match=f"did you mean '{suggested}'"):
        model().aux("a", 1.0, units=written)


@pytest.mark.parametrize("units", [
    "1e8 yuan/year", "亿元", "万人", "万元/年", "tce/1e4 yuan", "1e8 yuan/(1e4 tce/year)", "‰",
    "percent/year", "m3/person/day", "Dmnl", "fraction", "yuan/USD", "kgce", "jobs",
    "1e8 yuan_2005/year",  # constant-price money is its own unit
    "Persons", "Year",     # Vensim's capitals of time, person and money units
])
def test_known_units_define_fine(units):
    m = model()
    m.aux("a", 1.0, units=units)
    assert m["a"].units == units


# ------------------------------------------------------------------ declaring counted units
def test_a_declared_counted_unit_is_known_and_only_matches_itself():
    with pytest.raises(gysim.UnitsError, match=r"gysim.units.define\('sprocket_t13'\)"):
        model().stock("inventory", 100.0, units="sprocket_t13s")
    define("sprocket_t13")
    define("sprocket_t13")  # declaring again does nothing
    m = model()
    m.stock("inventory", 100.0, units="sprocket_t13s")
    m.param("rate", 0.1, units="1/year")
    m.flow("shipments", "rate * inventory", out_of="inventory", units="sprocket_t13/year")
    m.check_units()
    ds = gysim.simulate(m)
    assert float(ds.inventory.sel(time=2005)) == pytest.approx(100 * math.exp(-0.5), rel=1e-4)
    # sprocket_t13s are not persons
    m.aux("wrong", "inventory", units="person")
    with pytest.raises(gysim.UnitsError, match=r"\[sprocket_t13\].*\[person\]"):
        m.check_units()


@pytest.mark.parametrize("name, fragment", [
    ("day", "'day' is already a unit"),
    ("2x", "must be one word"),
    ("a b", "must be one word"),
    ("_x", "must be one word"),
    (3, "must be one word"),
])
def test_define_refuses_bad_names(name, fragment):
    with pytest.raises(gysim.UnitsError, match=fragment):
        define(name)


def test_free_text_units_when_the_model_says_so():
    # a model built in Python may keep free-text units, as models read from files do
    m = gysim.Model("free", start=0, stop=2, check_units_on_run=False, time_units="Tage")
    m.stock("stuff", 1.0, units="output per composite input")
    m.flow("more", 1.0, into="stuff", units="output per composite input/Tage")
    assert float(gysim.simulate(m).stuff.sel(time=2)) == pytest.approx(3.0)


# ------------------------------------------------------------------ other tools' models
def test_vensim_models_with_free_word_units_still_read_and_run():
    m = gysim.read_vensim(DATA / "lookup_smooth_delay.mdl")
    units = {e.units for e in m.elements.values()}
    assert any("widgets" in u for u in units)
    gysim.simulate(m)
    gysim.simulate(m, check_units=True)  # the free words are units of their own there
    assert gysim.units.unit_problems(m) == []

    # data for such a model may be in its free words too
    data = pd.DataFrame({"inventory": [2.0]}, index=[0.0])
    converted = gysim.units.to_model_units(m, data, {"inventory": "1e3 widgets"})
    assert converted["inventory"].tolist() == [2000.0]


def test_free_words_read_from_a_file_stay_unknown_to_models_built_in_python(tmp_path):
    path = tmp_path / "m.mdl"
    path.write_text("{UTF-8}\nStock A = INTEG(Flow A, 5)\n\t~\tGrommets t13\n\t~\t|\n"
                    "Flow A = 1\n\t~\tGrommets t13/Month\n\t~\t|\n"
                    "INITIAL TIME = 0\n\t~\tMonth\n\t~\t|\nFINAL TIME = 2\n\t~\tMonth\n\t~\t|\n"
                    "TIME STEP = 1\n\t~\tMonth\n\t~\t|\nSAVEPER = TIME STEP\n\t~\tMonth\n\t~\t|\n",
                    encoding="utf-8")
    m = gysim.read_vensim(path)
    assert gysim.simulate(m, check_units=True).stock_a.values.tolist() == [5, 6, 7]
    with pytest.raises(gysim.UnitsError, match="'Grommets t13' is not a unit gysim knows"):
        model().stock("x", 1.0, units="Grommets t13")
    # until the model declares the word
    define("Grommets_t13")
    model().stock("x", 1.0, units="Grommets t13/year")


def test_xmile_models_with_free_word_units_still_read_and_run(tmp_path):
    path = tmp_path / "t.xmile"
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">'
        '<header><name>t</name><vendor>me</vendor><product version="1">x</product></header>'
        '<sim_specs method="Euler" time_units="Fortnights"><start>0</start><stop>4</stop>'
        '<dt>1</dt></sim_specs><model><variables>'
        '<stock name="Tank"><eqn>10</eqn><outflow>Drain</outflow><units>Barrels of beer'
        '</units></stock><flow name="Drain"><eqn>2</eqn><units>Barrels of beer/Fortnights'
        '</units></flow></variables></model></xmile>', encoding="utf-8")
    m = gysim.read_xmile(path)
    assert m["tank"].units == "Barrels of beer"
    assert gysim.simulate(m).tank.values.tolist() == [10, 8, 6, 4, 2]


# ------------------------------------------------------------------ the project's models
def test_every_guiyang_model_builds_with_known_units():
    for name in gysim.available_models():
        m = gysim.load_model(name)
        for element in m.elements.values():
            if element.units:
                parse_units(element.units)  # known words only
    m = gysim.load_model("guiyang")
    assert m["tfp"].units == "1e8 yuan/year/composite_input"
    assert m.time_units == "year"


def test_a_models_own_units_travel_with_it_to_another_process(tmp_path):
    # found by the sensitivity benchmark: a Dask worker process unpickled the Guiyang model
    # without `composite_input` (declared by a bare gysim.units.define) and refused its units
    import pickle
    import subprocess
    import sys

    m = gysim.Model("m", start=0, stop=2)
    m.define_unit("gadget_travel")
    m.stock("stockpile", 1.0, units="gadget_travels")
    m.param("rate", 0.5, units="gadget_travel/year")
    m.flow("make", "rate", into="stockpile", units="gadget_travel/year")
    (tmp_path / "m.pkl").write_bytes(pickle.dumps(m))
    code = ("import pickle, sys, gysim; m = pickle.load(open(sys.argv[1], 'rb')); "
            "print(float(gysim.simulate(m, method='euler', dt=1).stockpile[-1]))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "m.pkl")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert float(out.stdout) == 2.0
    assert "gadget_travel" in m.description()["defined_units"]
