"""gysim.labels: naming, resolving and selecting elements ``var[label]`` of subscripted variables,
checked against values built by hand (a 2-D variable whose every value says where it sits)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from gysim.errors import DataError, ParameterError
from gysim.labels import (complete_elements, element_dims, element_name, element_names,
                          expand_elements, resolve_labels, select_element, split_element,
                          values_at_times)

SECTORS = ("farm", "mill", "shop")
DISTRICTS = ("north", "south")
DIMS = ("sector", "district")
LABELS = {"sector": SECTORS, "district": DISTRICTS}


@pytest.fixture()
def ds():
    """x(time, sector, district) = 100 time + 10 sector index + district index, over 2 runs
    (run r adds 1000 r); g(time) has no subscripts."""
    t = np.array([2000.0, 2001.0, 2002.0])
    i, j = np.arange(3)[:, None], np.arange(2)[None, :]
    x = (100 * (t - 2000))[:, None, None, None] + (10 * i + j)[None, :, :, None] \
        + 1000 * np.arange(2)[None, None, None, :]
    return xr.Dataset({"x": (("time", "sector", "district", "run"), x),
                       "g": (("time", "run"), np.tile(t[:, None], (1, 2)))},
                      coords={"time": t, "sector": list(SECTORS), "district": list(DISTRICTS),
                              "run": [0, 1]})


# ---------------------------------------------------------------- names
@pytest.mark.parametrize("name, parts", [
    ("gdp", ("gdp", ())),
    ("x[mill]", ("x", ("mill",))),
    ("x[ south , mill ]", ("x", ("south", "mill"))),
    (" x [farm]", ("x", ("farm",))),
])
def test_split_element(name, parts):
    assert split_element(name) == parts


@pytest.mark.parametrize("name", ["x[", "x]", "x[]", "x[a,]", "x[a][b]", "1x[a]"])
def test_split_element_refuses_malformed_names(name):
    with pytest.raises(DataError, match="neither a variable name nor an element"):
        split_element(name)


def test_element_name_round_trips():
    assert element_name("x", ("mill", "south")) == "x[mill,south]"
    assert element_name("gdp", ()) == "gdp"
    assert split_element(element_name("x", ("mill", "south"))) == ("x", ("mill", "south"))


def test_element_dims_and_names_over_two_dims(ds):
    assert element_dims(ds.x) == ["sector", "district"]
    assert element_dims(ds.g) == []
    assert element_names(ds.x) == [f"x[{s},{d}]" for s in SECTORS for d in DISTRICTS]
    assert element_names(ds.g) == ["g"]
    assert element_names(ds.x.sel(sector="mill"), "y") == ["y[north]", "y[south]"]


# ---------------------------------------------------------------- resolve_labels
@pytest.mark.parametrize("name, index", [
    ("x[shop,south]", {"sector": 2, "district": 1}),
    ("x[south,shop]", {"sector": 2, "district": 1}),  # any order: labels are unique
    ("x[farm,north]", {"sector": 0, "district": 0}),
    ("x", {}),
])
def test_resolve_labels_gives_positions_in_dim_order(name, index):
    got = resolve_labels(name, DIMS, LABELS, argument="data")
    assert got == index and list(got) == [d for d in DIMS if d in index]


def test_resolve_labels_partial():
    assert resolve_labels("x[south]", DIMS, LABELS, argument="data", partial=True) == {"district": 1}
    with pytest.raises(DataError, match=r"`data`: 'x\[south\]' must name one element of each "
                                        r"dimension of 'x' \(sector, district\), e.g. 'x\[farm,north\]'"):
        resolve_labels("x[south]", DIMS, LABELS, argument="data")


def test_resolve_labels_errors_name_the_argument_and_suggest():
    with pytest.raises(DataError, match=r"^`outputs`: 'x\[mil,south\]': 'mil' is not an element of "
                                        r"the dimension\(s\) sector, district of variable 'x' "
                                        r"\(elements: farm, mill, shop, north, south\); "
                                        r"did you mean 'mill'\?$"):
        resolve_labels("x[mil,south]", DIMS, LABELS, argument="outputs")
    with pytest.raises(DataError, match=r"'x\[farm,mill\]' names two elements \('farm', 'mill'\) "
                                        r"of dimension 'sector'"):
        resolve_labels("x[farm,mill]", DIMS, LABELS, argument="data")
    with pytest.raises(ParameterError, match=r"^`params`: 'k\[farm\]' names an element, but "
                                             r"parameter 'k' has no dimensions; write 'k'$"):
        resolve_labels("k[farm]", (), LABELS, argument="params", kind="parameter",
                       error=ParameterError)
    with pytest.raises(ParameterError, match=r"^`samples`: 'x\[a' is neither"):
        resolve_labels("x[a", DIMS, LABELS, argument="samples", error=ParameterError)


def test_resolve_labels_is_duck_typed_on_a_model():
    import gysim
    m = gysim.Model("m")
    m.dimension("sector", list(SECTORS))
    m.dimension("district", list(DISTRICTS))
    m.param("w", np.zeros((3, 2)), dims=DIMS)
    assert resolve_labels("w[north,shop]", m.params["w"].dims, m.dimensions,
                          argument="params") == {"sector": 2, "district": 0}


# ---------------------------------------------------------------- selecting
def test_select_one_element_of_a_2d_variable(ds):
    da = select_element(ds, "x[shop,south]")
    assert da.name == "x[shop,south]" and da.dims == ("time", "run")
    np.testing.assert_array_equal(da.values, [[21, 1021], [121, 1121], [221, 1221]])
    np.testing.assert_array_equal(select_element(ds, "x[south,shop]").values, da.values)


def test_select_part_of_a_2d_variable(ds):
    da = select_element(ds, "x[north]")
    assert da.dims == ("time", "sector", "run")
    np.testing.assert_array_equal(da.sel(run=0, time=2002).values, [200, 210, 220])
    with pytest.raises(DataError, match=r"`variables`: 'x\[north\]' is over dimension\(s\) sector; "
                                        r"name one element, e.g. 'x\[farm,north\]' \(elements: "
                                        r"x\[farm,north\], x\[mill,north\], x\[shop,north\]\)"):
        select_element(ds, "x[north]", whole=False)


def test_select_errors(ds):
    with pytest.raises(DataError, match=r"^`outputs`: 'xx' is not a variable of the ensemble; "
                                        r"did you mean 'x'\?$"):
        select_element(ds, "xx[farm]", argument="outputs", what="the ensemble")
    with pytest.raises(DataError, match=r"'x\[farm,barn\]': 'barn' is not an element"):
        select_element(ds, "x[farm,barn]")
    with pytest.raises(DataError, match=r"`variables`: 'g\[farm\]' names an element, but variable "
                                        r"'g' has no dimensions; write 'g'"):
        select_element(ds, "g[farm]")
    with pytest.raises(DataError, match="names two elements"):
        select_element(ds, "x[north,south]")


# ---------------------------------------------------------------- expanding
def test_expand_in_the_order_of_the_variables_dims(ds):
    assert expand_elements(ds, "x") == [f"x[{s},{d}]" for s in SECTORS for d in DISTRICTS]
    assert expand_elements(ds, "x[south]") == ["x[farm,south]", "x[mill,south]", "x[shop,south]"]
    assert expand_elements(ds, "x[mill]") == ["x[mill,north]", "x[mill,south]"]
    assert expand_elements(ds, "x[south,mill]") == ["x[south,mill]"]  # one element: as written
    assert expand_elements(ds, "g") == ["g"]
    for name in expand_elements(ds, "x[south]"):  # every expanded name selects one series
        assert select_element(ds, name, whole=False).dims == ("time", "run")


def test_complete_elements(ds):
    part = ds.x.isel(time=0, run=0).sel(district="south")
    assert complete_elements(part, "x", ("south",), ds.x.dims) == \
        ["x[farm,south]", "x[mill,south]", "x[shop,south]"]
    assert complete_elements(part, "x", ("south",)) == \
        ["x[south,farm]", "x[south,mill]", "x[south,shop]"]  # without an order: as selected
    assert complete_elements(ds.g.isel(run=0), "g") == ["g"]


# ---------------------------------------------------------------- times
def test_values_at_times(ds):
    da = select_element(ds, "x[mill,north]")
    np.testing.assert_array_equal(values_at_times(da, np.array([2002.0, 2000.0])),
                                  [[210, 1210], [10, 1010]])
    np.testing.assert_array_equal(values_at_times(da.isel(run=1), np.array([2001.0])), [1110])
    with pytest.raises(DataError, match=r"no output at time\(s\) 2000.5.*`saveper`"):
        values_at_times(da, np.array([2000.5]))


def test_fit_report_keeps_the_old_import_path():
    import importlib
    fit_report = importlib.import_module("gysim.fit_report")  # gysim.fit_report is the function
    labels = importlib.import_module("gysim.labels")
    for name in ("split_element", "element_name", "element_names", "select_element",
                 "expand_elements", "values_at_times"):
        assert getattr(fit_report, name) is getattr(labels, name)
