"""Vensim macros, expanded at reading time (gysim/io/macros.py).

Expected values are computed by hand from the macro definitions (Euler steps of
one time unit).
"""

import numpy as np
import pytest

import gysim
from gysim.errors import ModelDefinitionError

CONTROL = ("INITIAL TIME = 0 ~ ~|\nFINAL TIME = 3 ~ ~|\nTIME STEP = 1 ~ ~|\n"
           "SAVEPER = TIME STEP ~ ~|\n")

DOUBLE = ":MACRO: DOUBLE(input)\nDOUBLE = 2 * input ~ ~|\n:END OF MACRO:\n"
# a stock per call: starts at `start`, grows by `rate` per time unit
ACCUM = (":MACRO: ACCUM(rate, start)\nACCUM = INTEG(inflow, start) ~ ~|\n"
         "inflow = rate ~ ~|\n:END OF MACRO:\n")


def write(tmp_path, *lines, name="m.mdl"):
    path = tmp_path / name
    path.write_text("{UTF-8}\n" + "".join(lines) + CONTROL, encoding="utf-8")
    return path


def run(path, **kw):
    model = gysim.read_vensim(path)
    return model, gysim.simulate(model, saveper=1.0, **kw)


def test_a_pure_macro_called_twice_with_different_arguments(tmp_path):
    path = write(tmp_path, DOUBLE, "x = 5 ~ ~|\ny = DOUBLE(3) + DOUBLE(x) ~ ~|\n"
                 "z = DOUBLE(-x) ~ ~|\n")
    _, ds = run(path)
    np.testing.assert_array_equal(ds["y"].values, [16.0] * 4)  # 2*3 + 2*5
    np.testing.assert_array_equal(ds["z"].values, [-10.0] * 4)


def test_each_call_is_a_readable_copy_of_the_macro(tmp_path):
    path = write(tmp_path, DOUBLE, "y = DOUBLE(3) + DOUBLE(4) ~ ~|\n")
    model, ds = run(path)
    names = model.source.names
    # the copies are named after the calling element, the macro and the call's number
    assert names["y_double_1_double"] == "y DOUBLE 1 DOUBLE"
    assert names["y_double_2_input"] == "y DOUBLE 2 input"
    assert float(ds["y_double_1_double"][0]) == 6.0
    assert float(ds["y_double_2_double"][0]) == 8.0


def test_a_macro_with_a_stock_gives_one_independent_stock_per_call(tmp_path):
    path = write(tmp_path, ACCUM, "a = ACCUM(1, 10) ~ ~|\nb = ACCUM(-2, 0) ~ ~|\n")
    model, ds = run(path)
    assert sorted(model.stocks) == ["a_accum_1_accum", "b_accum_1_accum"]
    np.testing.assert_array_equal(ds["a"].values, [10.0, 11.0, 12.0, 13.0])
    np.testing.assert_array_equal(ds["b"].values, [0.0, -2.0, -4.0, -6.0])


def test_two_calls_with_stocks_in_one_equation_do_not_share_their_stock(tmp_path):
    path = write(tmp_path, ACCUM, "c = ACCUM(1, 0) - ACCUM(3, 0) ~ ~|\n")
    _, ds = run(path)
    np.testing.assert_array_equal(ds["c"].values, [0.0, -2.0, -4.0, -6.0])  # t - 3t


def test_a_macro_argument_that_varies_with_time(tmp_path):
    path = write(tmp_path, ACCUM, "r = Time ~ ~|\ns = ACCUM(r, 0) ~ ~|\n")
    _, ds = run(path)
    # s(t+1) = s(t) + t: 0, 0, 1, 3
    np.testing.assert_array_equal(ds["s"].values, [0.0, 0.0, 1.0, 3.0])


def test_nested_calls_and_a_macro_calling_another(tmp_path):
    quad = ":MACRO: QUAD(v)\nQUAD = DOUBLE(DOUBLE(v)) + tab(v) ~ ~|\ntab((0,0),(10,100)) ~ ~|\n" \
           ":END OF MACRO:\n"
    path = write(tmp_path, DOUBLE, quad, "q = DOUBLE(DOUBLE(3)) ~ ~|\nn = QUAD(0.5) ~ ~|\n")
    _, ds = run(path)
    assert float(ds["q"][0]) == 12.0
    assert float(ds["n"][0]) == 2.0 + 5.0  # 4 * 0.5 + the macro's own lookup at 0.5


def test_built_in_functions_inside_a_macro(tmp_path):
    macro = (":MACRO: CLIPPED(v, low)\nCLIPPED = MAX(v, low) + MIN(ABS(v), 1) ~ ~|\n"
             ":END OF MACRO:\n")
    path = write(tmp_path, macro, "y = CLIPPED(-4, 0) ~ ~|\nz = CLIPPED(0.5, -1) ~ ~|\n")
    _, ds = run(path)
    assert float(ds["y"][0]) == 0.0 + 1.0
    assert float(ds["z"][0]) == 0.5 + 0.5


def test_model_variables_marked_with_a_dollar_and_time_inside_a_macro(tmp_path):
    macro = ":MACRO: SCALED(v)\nSCALED = v * factor$ + Time * TIME STEP ~ ~|\n:END OF MACRO:\n"
    path = write(tmp_path, macro, "factor = 3 ~ ~|\ny = SCALED(2) ~ ~|\n")
    _, ds = run(path)
    np.testing.assert_array_equal(ds["y"].values, [6.0, 7.0, 8.0, 9.0])


def test_a_macro_called_with_subscripted_arguments(tmp_path):
    path = write(tmp_path, ACCUM, DOUBLE, "r: r1, r2 ~ ~|\nrate[r] = 1, -1 ~ ~|\n"
                 "s[r] = ACCUM(rate[r], 5) ~ ~|\nd[r1] = DOUBLE(rate[r1]) ~ ~|\n"
                 "d[r2] = DOUBLE(7) ~ ~|\n")
    _, ds = run(path)
    np.testing.assert_array_equal(ds["s"].sel(r="r1").values, [5.0, 6.0, 7.0, 8.0])
    np.testing.assert_array_equal(ds["s"].sel(r="r2").values, [5.0, 4.0, 3.0, 2.0])
    np.testing.assert_array_equal(ds["d"].isel(time=0).values, [2.0, 14.0])


def test_a_macro_with_a_delay_inside_on_both_backends(tmp_path):
    macro = ":MACRO: LAGGED(v)\nLAGGED = SMOOTH(v, 2) ~ ~|\n:END OF MACRO:\n"
    path = write(tmp_path, macro, "x = STEP(4, 1) ~ ~|\ny = LAGGED(x) ~ ~|\n")
    model = gysim.read_vensim(path)
    results = [gysim.simulate(model, saveper=1.0, backend=b)["y"].values
               for b in ("numpy", "numba")]
    # smooth of a step of 4 at t=1 with time 2: 0, 0, 2, 3
    np.testing.assert_allclose(results[0], [0.0, 0.0, 2.0, 3.0], atol=1e-12)
    np.testing.assert_allclose(results[0], results[1], atol=1e-12)


def test_a_recursive_macro_is_refused_by_name(tmp_path):
    path = write(tmp_path, ":MACRO: SELF(v)\nSELF = SELF(v) ~ ~|\n:END OF MACRO:\n"
                 "y = SELF(1) ~ ~|\n")
    with pytest.raises(ModelDefinitionError, match=r"m.mdl: the macro 'SELF' calls itself"):
        gysim.read_vensim(path)


def test_a_macro_reading_a_model_variable_without_a_dollar_is_refused(tmp_path):
    path = write(tmp_path, ":MACRO: M(v)\nM = v * pop ~ ~|\n:END OF MACRO:\n",
                 "pop = 3 ~ ~|\ny = M(1) ~ ~|\n")
    with pytest.raises(ModelDefinitionError,
                       match=r"the macro 'M' refers to 'pop', which is neither one of its "
                             r"inputs nor one of its variables"):
        gysim.read_vensim(path)


def test_a_call_with_the_wrong_number_of_inputs_is_refused(tmp_path):
    path = write(tmp_path, ACCUM, "y = ACCUM(1) ~ ~|\n")
    with pytest.raises(ModelDefinitionError,
                       match=r"the macro 'ACCUM' takes 2 inputs, the call gives 1 \(in 'y'\)"):
        gysim.read_vensim(path)


def test_subscripts_inside_a_macro_are_refused(tmp_path):
    path = write(tmp_path, ":MACRO: M(v)\nM = v ~ ~|\nk[r] = 1 ~ ~|\n:END OF MACRO:\n",
                 "r: r1, r2 ~ ~|\ny = M(1) ~ ~|\n")
    with pytest.raises(ModelDefinitionError,
                       match=r"the macro 'M' has subscripts inside its definition"):
        gysim.read_vensim(path)


def test_a_macro_with_additional_outputs_is_read_when_calls_do_not_name_them(tmp_path):
    macro = (":MACRO: TRIPLE(v : half)\nTRIPLE = 3 * v ~ ~|\nhalf = v / 2 ~ ~|\n"
             ":END OF MACRO:\n")
    _, ds = run(write(tmp_path, macro, "y = TRIPLE(4) ~ ~|\n"))
    assert float(ds["y"][0]) == 12.0
    assert float(ds["y_triple_1_half"][0]) == 2.0


def test_a_call_naming_additional_outputs_is_refused(tmp_path):
    macro = (":MACRO: TRIPLE(v : half)\nTRIPLE = 3 * v ~ ~|\nhalf = v / 2 ~ ~|\n"
             ":END OF MACRO:\n")
    path = write(tmp_path, macro, "y = TRIPLE(4 : h) ~ ~|\nh = 0 ~ ~|\n")
    with pytest.raises(ModelDefinitionError,
                       match=r"the call of macro 'TRIPLE' in 'y' names additional outputs"):
        gysim.read_vensim(path)
    report = gysim.check_model(path)
    assert [f.construct for f in report.findings] == ["the file"]
    assert "names additional outputs" in report.findings[0].message


def test_check_no_longer_lists_macros_it_reads(tmp_path):
    path = write(tmp_path, DOUBLE, ACCUM, "y = DOUBLE(3) ~ ~|\ns = ACCUM(y, 0) ~ ~|\n")
    report = gysim.check_model(path)
    assert report.ok and report.findings == []


def test_check_lists_a_macro_it_refuses(tmp_path):
    path = write(tmp_path, ":MACRO: SELF(v)\nSELF = SELF(v) ~ ~|\n:END OF MACRO:\n",
                 "y = SELF(1) ~ ~|\n")
    report = gysim.check_model(path)
    assert [f.construct for f in report.findings] == [":MACRO:"]
    assert "calls itself" in report.findings[0].message


def test_units_naming_an_input_take_the_units_of_the_argument(tmp_path):
    macro = (":MACRO: KEEP(input, k)\nKEEP = INTEG(input * k, 0) ~ input ~|\n"
             ":END OF MACRO:\n")
    path = write(tmp_path, macro, "w = 2 ~ Widget ~|\nkept = KEEP(w, 1) ~ ~|\n"
                 "other = KEEP(3, 1) ~ ~|\n")
    model, ds = run(path)
    assert model.stocks["kept_keep_1_keep"].units == "Widget"
    assert model.stocks["other_keep_1_keep"].units in ("", None)
    np.testing.assert_array_equal(ds["kept"].values, [0.0, 2.0, 4.0, 6.0])


def test_expansion_beyond_the_limit_is_refused(tmp_path, monkeypatch):
    import gysim.io.macros as macros
    monkeypatch.setattr(macros, "MAX_MACRO_COPIES", 3)
    path = write(tmp_path, DOUBLE, "y = DOUBLE(1) + DOUBLE(2) ~ ~|\n")  # 2 variables a call
    with pytest.raises(ModelDefinitionError,
                       match=r"expanding the macros makes more than 3 variables "
                             r"\(MAX_MACRO_COPIES\) \(in 'y'\)"):
        gysim.read_vensim(path)


LOOKUP_MACRO = (":MACRO: LK(v)\nLK = tab(v) + INITIAL(v) ~ ~|\ntab((0,0),(10,100)) ~ ~|\n"
                ":END OF MACRO:\n")
LOOKUP_CALLER = "r: a1, a2 ~ ~|\nx[r] = 1, 2 ~ ~|\ny[r] = LK(x[r] + Time) ~ ~|\n"


def test_a_subscripted_call_of_a_macro_with_a_lookup_and_initial(tmp_path):
    _, ds = run(write(tmp_path, LOOKUP_MACRO, LOOKUP_CALLER))
    # y = 10 (x + t) + x(0)
    np.testing.assert_array_equal(ds["y"].sel(r="a1").values, [11.0, 21.0, 31.0, 41.0])
    np.testing.assert_array_equal(ds["y"].sel(r="a2").values, [22.0, 32.0, 42.0, 52.0])


def test_a_subscripted_call_read_element_by_element(tmp_path):
    from pathlib import Path

    from pysd.translators.vensim.vensim_file import VensimFile

    from gysim.io.build import build_model
    path = write(tmp_path, LOOKUP_MACRO, LOOKUP_CALLER)
    vfile = VensimFile(path)
    vfile.parse()
    model = build_model(vfile.get_abstract_model(), Path(path), "Vensim", native=False)
    ds = gysim.simulate(model, saveper=1.0)
    np.testing.assert_array_equal(ds["y_a1"].values, [11.0, 21.0, 31.0, 41.0])
    np.testing.assert_array_equal(ds["y_a2"].values, [22.0, 32.0, 42.0, 52.0])
