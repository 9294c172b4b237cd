"""Writing models as Vensim/XMILE files (gysim.io.export) and reading them back.

Each model is written with ``write_vensim`` and read back by gysim's own
reader and by PySD; both runs must give the trajectories of the original,
run with Euler at the same step. Names are mapped back through the reader's
``vensim_names`` (original name -> gysim identifier).
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pytest

import gysim
from gysim.examples import population_model
from gysim.io._abstract import reference_key
from gysim.io.export import (DEFAULT_DT, vensim_text, write_registered, write_vensim,
                             write_xmile, xmile_text)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    pysd = pytest.importorskip("pysd")

GUIYANG_REPORTED = [
    "gdp", "gdp_real", "gdp_real_growth", "va_primary", "va_secondary", "va_tertiary",
    "gdp_per_capita", "population", "urbanization_rate", "natural_growth_rate",
    "rural_labor_transferred", "fixed_asset_investment", "energy_intensity", "energy_use",
    "industrial_water_intensity", "water_use", "sewage_treatment_rate",
]


def _supply_model() -> gysim.Model:
    """The lookup/smooth/delay model of test_pysd_parity.py (loaded from that file)."""
    path = Path(__file__).parent / "test_pysd_parity.py"
    spec = importlib.util.spec_from_file_location("_parity_models", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.supply_model()


def _back_names(back: gysim.Model) -> dict[str, str]:
    """Written name (as the original model calls it) -> identifier in the model read back."""
    out = {}
    for ident, original in back.vensim_names.items():
        out[reference_key(original.strip('"'))] = ident
    return out


def _assert_close(expected, actual, rtol, what):
    expected, actual = np.asarray(expected, float), np.asarray(actual, float)
    assert expected.shape == actual.shape, what
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=0, err_msg=what)


def _round_trip_gysim(model, path, dt, saveper, required=()):
    original = gysim.simulate(model, method="euler", dt=dt, saveper=saveper)
    back = gysim.read_vensim(write_vensim(model, path, dt=dt, saveper=saveper))
    assert (back.start, back.stop, back.dt, back.saveper) == (model.start, model.stop, dt,
                                                              saveper)
    names = _back_names(back)
    result = gysim.simulate(back, saveper=back.saveper)  # the file's Euler at TIME STEP
    np.testing.assert_array_equal(result.time.values, original.time.values)
    assert set(required) <= set(original.data_vars)
    for name in original.data_vars:
        _assert_close(original[name].values, result[names[name]].values, 1e-9,
                      f"gysim read-back of '{name}'")
    return original


def _round_trip_pysd(original, path, rtol=1e-6):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = pysd.read_vensim(str(path)).run()
    np.testing.assert_allclose(df.index.to_numpy(float), original.time.values, atol=1e-9)
    columns = {reference_key(str(c).strip('"')): c for c in df.columns}
    for name in original.data_vars:
        _assert_close(original[name].values, df[columns[name]].to_numpy(float), rtol,
                      f"PySD run of '{name}'")


def test_guiyang_round_trip_gysim_and_pysd(tmp_path):
    model = gysim.load_model("guiyang")
    path = tmp_path / "guiyang.mdl"
    original = _round_trip_gysim(model, path, DEFAULT_DT, 1.0, GUIYANG_REPORTED)
    # the comparison is not trivial: the trajectories move
    assert float(original.gdp[-1]) > 2 * float(original.gdp[0])
    _round_trip_pysd(original, path)


def test_guiyang_plan_scenario_round_trip(tmp_path):
    model = gysim.load_model("guiyang")
    plan = model.with_params(dict(model.scenarios["plan"].overrides))
    original = _round_trip_gysim(plan, tmp_path / "plan.mdl", 0.25, 1.0, GUIYANG_REPORTED)
    base = gysim.simulate(model, method="euler", dt=0.25, saveper=1.0)
    assert not np.allclose(base.rural_labor_transferred, original.rural_labor_transferred)


def test_population_round_trip(tmp_path):
    path = tmp_path / "population.mdl"
    original = _round_trip_gysim(population_model(), path, 0.25, 1.0)
    _round_trip_pysd(original, path)
    text = path.read_text(encoding="utf-8")
    assert "population =\n\tINTEG(births - deaths, 331.8)\n\t~\t1e4 person\n" in text
    assert "birth_rate =\n\t0.013\n\t~\t1/year [0.008,0.02]\n\t~\tcrude birth rate" in text


def test_lookup_smooth_delay_round_trip(tmp_path):
    path = tmp_path / "supply.mdl"
    original = _round_trip_gysim(_supply_model(), path, 0.125, 0.5)
    _round_trip_pysd(original, path)


def _builtin_model() -> gysim.Model:
    m = gysim.Model("b", start=0, stop=12, dt=0.25, saveper=0.5)
    m.param("power", 2.0)  # a Vensim function name: written quoted
    m.param("tau", 1.5)
    m.lookup("shape", [0, 5, 10], [1, 3, 2])
    m.data("series", {0: 1.0, 6: 4.0, 12: 0.0})
    m.stock("s", "power * 3")
    m.flow("inflow", "shape(time) + series - s / tau", into="s")
    m.aux("logic", "1 if (time > 2 and not time >= 8) or time == 10 else 0")
    m.aux("ne", "if_then_else(time != 3, 1, -1)")
    m.aux("math", "min(time, 5, 8 - time / 2) + max(abs(-time), 1) + exp(-time)"
                  " + log(time + 1) + log(time + 2, 3) + log10(time + 1) + sqrt(time)"
                  " + integer(time / 3) + modulo(time, 4) + time % 3 + sin(time) + cos(time)"
                  " + tan(time / 10) + arctan(time) + arcsin(time / 20) + arccos(time / 20)")
    m.aux("div", "xidz(time - 2, time - 2, 42) + zidz(1, time - 4)")
    m.aux("tfun", "step(2, 3) + ramp(1, 2, 6) + ramp(0.5, 7) + pulse(4) + pulse(5, 2)"
                  " + pulse_train(1, 0.5, 2, 9)")
    m.aux("sm", "smooth(series, tau) + smooth(series, tau, 0) + smooth3(series, 2)"
                " + smooth3(series, 2, 1) + smooth_n(series, 2, 1, 4)")
    m.aux("dl", "delay1(series, tau) + delay1(series, tau, 0) + delay3(series, 2)"
                " + delay3(series, 2, 1) + delay_n(series, 2, 1, 4) + delay_fixed(series, 2, 0.5)")
    m.aux("ini", "initial(s) - power ** 2 ** 0.5 - (-power) ** 2 + -(power ** 2)")
    return m


def test_every_builtin_round_trips(tmp_path):
    model = _builtin_model()
    text = vensim_text(model)
    for snippet in ["IF THEN ELSE(((Time > 2) :AND: (:NOT: (Time >= 8))) :OR: (Time = 10), 1, 0)",
                    "Time <> 3", "MIN(Time, MIN(5, 8 - Time / 2))", "LOG(Time + 1, 10)",
                    "RAMP(0.5, 7, FINAL TIME)", "PULSE(4, TIME STEP)", "SMOOTH3I(series, 2, 1)",
                    "DELAY N(series, 2, 1, 4)", "DELAY FIXED(series, 2, 0.5)",
                    '"power" ^ (2 ^ 0.5)', "WITH LOOKUP(Time, ([(0,0)-(12,4)],(0,1),(6,4),(12,0)))",
                    "shape(\n\t[(0,1)-(10,3)],(0,1),(5,3),(10,2))", "MODULO(Time, 3)"]:
        assert snippet in text, snippet
    path = tmp_path / "b.mdl"
    original = _round_trip_gysim(model, path, 0.25, 0.5)
    assert original.logic.values.tolist()[4:24:2] == [0, 1, 1, 1, 1, 1, 0, 0, 1, 0]  # t = 2..11
    _round_trip_pysd(original, path, rtol=1e-9)


def test_xmile_round_trip(tmp_path):
    for model, dt in [(gysim.load_model("guiyang"), 0.25), (population_model(), 0.5)]:
        original = gysim.simulate(model, method="euler", dt=dt, saveper=1.0)
        back = gysim.read_xmile(write_xmile(model, tmp_path / f"{model.name}.xmile", dt=dt))
        result = gysim.simulate(back, saveper=1.0)
        for name in original.data_vars:
            _assert_close(original[name].values, result[name].values, 1e-9, name)
    m = gysim.Model("p", start=0, stop=1)
    m.aux("x", "pulse(0.5)")
    with pytest.raises(gysim.ModelDefinitionError, match=r"'x'.*pulse"):
        xmile_text(m)


def test_unwritable_models_are_refused(tmp_path):
    m = gysim.Model("m", start=0, stop=1)
    m.param("final_time", 3.0)
    with pytest.raises(gysim.ModelDefinitionError, match="'final_time'.*control variable"):
        write_vensim(m, tmp_path / "m.mdl")
    assert not (tmp_path / "m.mdl").exists()
    with pytest.raises(gysim.ModelDefinitionError, match="`dt`"):
        vensim_text(population_model(), dt=0)
    with pytest.raises(gysim.ModelDefinitionError, match="`saveper`.*multiple"):
        vensim_text(population_model(), dt=0.25, saveper=0.3)
    with pytest.raises(gysim.ModelDefinitionError, match="`model`"):
        vensim_text("population")


def test_write_registered(tmp_path):
    path = write_registered("guiyang", tmp_path / "out", scenario="plan", dt=0.25)
    assert path == tmp_path / "out" / "guiyang.mdl"
    text = path.read_text(encoding="utf-8")
    assert "plan_implementation =\n\t1\n" in text and "TIME STEP =\n\t0.25\n" in text
    with pytest.raises(gysim.ModelDefinitionError, match="`scenario`"):
        write_registered("guiyang", tmp_path, scenario="nope")
