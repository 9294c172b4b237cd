"""Building and checking models: the errors users get, and inspection."""

import numpy as np
import pytest

import gysim
from gysim.examples import population_model


def test_inspection():
    m = population_model()
    assert m.params["birth_rate"].bounds == (0.008, 0.02)
    assert m.params["birth_rate"].doc == "crude birth rate"
    assert m.flows["births"].into == "population" and m.flows["deaths"].out_of == "population"
    assert m.auxes["natural_growth_rate"].equation == "birth_rate - death_rate"
    assert list(m.stocks) == ["population"]
    assert "births" in m and m["births"].kind == "flow"
    with pytest.raises(TypeError):
        m.params["new"] = 1  # read-only view


def test_repr_html_lists_elements():
    text = population_model()._repr_html_()
    for fragment in ("population", "births", "birth_rate - death_rate", "1e4 person",
                     "crude birth rate", "[0.008, 0.02]"):
        assert fragment in text
    assert "<script" not in text


def test_html_escapes_docs():
    m = gysim.Model("m")
    m.param("a", 1.0, doc="<script>alert(1)</script>")
    assert "<script>" not in m._repr_html_()


def test_with_params_returns_new_model():
    m = population_model()
    m2 = m.with_params({"birth_rate": 0.015}, death_rate=0.005)
    assert (m2.params["birth_rate"].value, m2.params["death_rate"].value) == (0.015, 0.005)
    assert m.params["birth_rate"].value == 0.013
    assert m2.hash() != m.hash()


def test_flow_between_two_stocks_conserves_total():
    m = gysim.Model("m", start=0, stop=10)
    m.stock("rural", 100.0)
    m.stock("urban", 50.0)
    m.flow("migration", "0.05 * rural", out_of="rural", into="urban")
    ds = gysim.simulate(m)
    np.testing.assert_allclose(ds.rural + ds.urban, 150.0, rtol=1e-12)


@pytest.mark.parametrize("build, error, fragment", [
    (lambda m: m.aux("y", "x + 1"), gysim.ModelDefinitionError, "'x', which is not defined"),
    (lambda m: m.aux("y", "birth_rat * 2"), gysim.ModelDefinitionError, "did you mean 'birth_rate'"),
    (lambda m: m.aux("y", "unknown_fn(1)"), gysim.ModelDefinitionError, "unknown function 'unknown_fn'"),
    (lambda m: m.aux("y", "exp(1, 2)"), gysim.ModelDefinitionError, "`exp` takes 1 arguments, got 2"),
    (lambda m: m.aux("y", "birth_rate(2)"), gysim.ModelDefinitionError, "is a param, not a function"),
    (lambda m: m.flow("f", "1", into="nowhere"), gysim.ModelDefinitionError,
     "into='nowhere', which is not a stock"),
    (lambda m: m.flow("f", "1", out_of="birth_rate"), gysim.ModelDefinitionError, "which is a param"),
    (lambda m: (m.aux("a", "b + 1"), m.aux("b", "c * 2"), m.aux("c", "a")),
     gysim.ModelDefinitionError, "algebraic loop in the model's equations: a -> b -> c -> a"),
    (lambda m: m.aux("y", "y + 1"), gysim.ModelDefinitionError, "refers to itself"),
    (lambda m: (m.lookup("tab", [0, 1], [0, 1]), m.aux("y", "tab + 1")),
     gysim.ModelDefinitionError, "lookup 'tab' as a value"),
    (lambda m: (m.lookup("tab", [0, 1], [0, 1]), m.aux("y", "tab(1, 2)")),
     gysim.ModelDefinitionError, "takes one argument"),
    (lambda m: (m.stock("s", "a0"), m.aux("a0", "s * 2")), gysim.ModelDefinitionError,
     "algebraic loop in the initial values"),
    (lambda m: m.stock("s", "smooth(births, 2)"), gysim.ModelDefinitionError, "keeps state"),
    (lambda m: m.aux("y", "smooth_n(births, 2, 0, birth_rate)"), gysim.ModelDefinitionError,
     "must be a constant"),
])
def test_compile_errors(build, error, fragment):
    m = population_model()
    build(m)
    with pytest.raises(error, match=fragment.replace("(", r"\(").replace("'", "'")):
        gysim.simulate(m)


@pytest.mark.parametrize("call, fragment", [
    (lambda m: m.param("birth_rate", 0.01), "already defined \\(as a param\\)"),
    (lambda m: m.param("x", float("nan")), "must be finite"),
    (lambda m: m.param("x", 5, bounds=(0, 1)), "outside its bounds"),
    (lambda m: m.param("x", 0.5, bounds=(1, 0)), "low <= high"),
    (lambda m: m.param("x", "0.5"), "must be a number"),
    (lambda m: m.aux("time", "1"), "reserved"),
    (lambda m: m.aux("exp", "1"), "reserved"),
    (lambda m: m.aux("2x", "1"), "Python identifier"),
    (lambda m: m.aux("class", "1"), "Python identifier"),
    (lambda m: m.aux("_x", "1"), "underscore"),
    (lambda m: m.flow("f", "1"), "must name a stock"),
    (lambda m: m.flow("f", "1", into="population", out_of="population"), "must not flow into"),
    (lambda m: m.lookup("t", [0, 2, 1], [0, 1, 2]), "strictly increasing"),
    (lambda m: m.lookup("t", [0, 1], [0]), "same length"),
    (lambda m: m.data("d", {2000: 1.0, 2001: float("nan")}), "missing or non-finite"),
    (lambda m: m.data("d", [1, 2]), "mapping of time to value"),
    (lambda m: m.scenario("s", {"births": 1.0}), "is a flow"),
    (lambda m: m.scenario("s", {"birth_rate": 0.5}), "outside its bounds"),
    (lambda m: m.with_params(birth_rat=0.01), "did you mean 'birth_rate'"),
])
def test_build_errors(call, fragment):
    with pytest.raises(gysim.GysimError, match=fragment):
        call(population_model())


@pytest.mark.parametrize("kwargs, fragment", [
    ({"method": "euler"}, "needs a time step"),
    ({"method": "rk5"}, "`method` must be one of"),
    ({"method": "euler", "dt": -1}, "`dt` must be positive"),
    ({"method": "euler", "dt": 0}, "`dt` must be positive"),
    ({"method": "euler", "dt": 0.3}, "whole multiple of `dt`"),
    ({"stop": 1990}, "`stop` must be after"),
    ({"saveper": 0}, "`saveper` must be positive"),
    ({"params": {"birth_rate": [0.01, 0.012], "death_rate": [0.005]}}, "same length"),
    ({"params": {"birth_rate": [0.01, float("nan")]}}, "must be finite; run 1"),
    ({"params": {"birth_rate": [0.01, 0.5]}}, "outside its bounds"),
    ({"params": {"births": 1.0}}, "is a flow"),
    ({"params": {"nope": 1.0}}, "not an element"),
    ({"params": {"birth_rate": [[0.01]]}}, "1-D array"),
    ({"params": {"birth_rate": []}}, "empty"),
    ({"params": [1, 2]}, "must be a mapping"),
    ({"scenario": "nope"}, "has no scenario"),
    ({"variables": ["birth_rate"]}, "is a param"),
    ({"variables": ["popul"]}, "did you mean 'population'"),
    ({"chunk_size": 0}, "`chunk_size` must be a positive integer"),
])
def test_simulate_option_errors(kwargs, fragment):
    with pytest.raises(gysim.GysimError, match=fragment):
        gysim.simulate(population_model(), **kwargs)


def test_error_hierarchy():
    assert issubclass(gysim.ModelDefinitionError, ValueError)
    assert issubclass(gysim.ParameterError, gysim.ModelDefinitionError)
    assert issubclass(gysim.SimulationError, RuntimeError)
    for cls in (gysim.ModelDefinitionError, gysim.UnitsError, gysim.SimulationError,
                gysim.CalibrationError, gysim.DataError):
        assert issubclass(cls, gysim.GysimError)


def test_load_model_unknown_name():
    with pytest.raises(gysim.ModelDefinitionError, match="no model named 'nope'"):
        gysim.load_model("nope")


def test_with_bounds_returns_a_model_with_other_bounds():
    m = population_model()
    wider = m.with_bounds({"birth_rate": (0.0, 0.5)})
    assert wider.params["birth_rate"].bounds == (0.0, 0.5)
    assert m.params["birth_rate"].bounds != (0.0, 0.5)
    with pytest.raises(gysim.ParameterError, match="outside its bounds"):
        m.with_bounds({"birth_rate": (0.5, 0.6)})  # the value would fall outside
    with pytest.raises(gysim.ParameterError, match="only parameters have bounds"):
        m.with_bounds({"population": (0, 1)})
