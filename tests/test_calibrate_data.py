"""gysim.calibrate.data: data tables in the model's units, element columns, weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from gysim.calibrate.data import data_frame, data_in_model_units, series_weights
from gysim.errors import DataError
from tests.helpers import sector_model


def test_default_weight_is_one_over_mean_absolute_observation():
    frame = pd.DataFrame({"a": [2.0, -6.0, np.nan], "b": [0.0, 0.0, 0.0], "c": [1.0, 3.0, 5.0]})
    notes: list[str] = []
    w = series_weights(frame, {"c": 0.0}, notes)
    np.testing.assert_array_equal(w, [0.25, 1.0, 0.0])
    assert notes == ["series 'b' is zero throughout: its weight is 1"]
    with pytest.raises(DataError, match="every weight is 0"):
        series_weights(frame[["c"]], {"c": 0.0}, [])
    with pytest.raises(DataError, match="`weights` given for 'd', which is not a data column"):
        series_weights(frame, {"d": 1.0}, [])


def test_dataset_of_a_subscripted_variable_becomes_element_columns_in_model_units():
    m = sector_model()  # capital in 1e8 yuan
    data = xr.Dataset({"capital": (("time", "sector"), [[1.0e4, 2.0e4, 3.0e4], [4.0e4, 5.0e4, 6.0e4]],
                                   {"units": "1e4 yuan"})},
                      coords={"time": [0.0, 1.0], "sector": ["primary", "secondary", "tertiary"]})
    converted = data_in_model_units(m, data, None)
    assert list(converted.columns) == ["capital[primary]", "capital[secondary]", "capital[tertiary]"]
    np.testing.assert_allclose(converted.to_numpy(), [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    frame = data_frame(m, converted, 5.0, [])
    assert frame.index.name == "time" and frame.index.tolist() == [0.0, 1.0]


def test_element_columns_are_checked_against_the_models_dims():
    m = sector_model()
    ok = pd.DataFrame({"capital[tertiary]": [1.0]}, index=[0])
    assert list(data_frame(m, ok, 5.0, []).columns) == ["capital[tertiary]"]
    with pytest.raises(DataError, match=r"^`data`: 'capital\[tertiry\]': 'tertiry' is not an element "
                                        r".*did you mean 'tertiary'\?$"):
        data_frame(m, ok.rename(columns={"capital[tertiary]": "capital[tertiry]"}), 5.0, [])
    with pytest.raises(DataError, match=r"`data`: 'total_capital\[primary\]' names an element, but "
                                        r"variable 'total_capital' has no dimensions"):
        data_frame(m, ok.rename(columns={"capital[tertiary]": "total_capital[primary]"}), 5.0, [])


# ------------------------------------------------------------------ bad data (issue 12)
def _growth():
    import gysim
    m = gysim.Model("growth", start=2000, stop=2005)
    m.stock("gdp", 264.8)
    m.stock("pop", 1.0)
    m.param("g", 0.05, bounds=(0.0, 0.3))
    m.flow("increase", "g * gdp", into="gdp")
    return m


def test_two_columns_of_the_same_name_are_refused_by_name():
    import gysim
    data = pd.DataFrame([[264.8, 265.0, 1.0], [302.7, 303.0, 1.0]], index=[2000, 2001],
                        columns=["gdp", "gdp", "pop"])
    with pytest.raises(DataError, match="more than one column named 'gdp'"):
        gysim.calibrate(_growth(), data, ["g"])
    with pytest.raises(DataError, match="more than one column named 'gdp'"):
        gysim.calibrate(_growth(), data, ["g"], data_units={"pop": "1"})
    with pytest.raises(DataError, match="more than one column named 'gdp'"):
        data_frame(_growth(), data, 2005, [])


@pytest.mark.parametrize("data, words", [
    (pd.DataFrame({"gdp": [264.8, "n/a"]}, index=[2000, 2001]), "column(s) 'gdp' do not"),
    (pd.DataFrame({"gdp": [264.8, 302.7]}, index=[2000.0, np.nan]), "not finite numbers: nan"),
    (pd.DataFrame({"gdp": [264.8, 302.7]}, index=[2000, 2000]), "repeats the time(s) 2000"),
    (pd.DataFrame({"gdp": [np.nan, np.nan]}, index=[2000, 2001]), "'gdp' have no observation"),
    (pd.DataFrame({"gdp": []}, index=pd.Index([], dtype=float)), "is empty"),
], ids=["non-numeric", "nan-time", "repeated-time", "nan-only", "empty"])
def test_bad_data_gets_a_named_data_error(data, words):
    import gysim
    with pytest.raises(DataError) as info:
        gysim.calibrate(_growth(), data, ["g"])
    assert words in str(info.value)
