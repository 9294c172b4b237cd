"""The compiler's stages (gysim.engine): each stage's product, and the pipeline's output."""

from __future__ import annotations

import traceback

import numpy as np
import pytest

import gysim
from gysim.engine import CompiledModel, Program
from gysim.engine.checks import check_model
from gysim.engine.codegen import ModelFunctions, NumpyBackend
from gysim.engine.dims import Dimensions
from gysim.engine.hoisting import Hoisting
from gysim.engine.lowering import Lowering, breakpoints
from gysim.engine.ordering import order_program, toposort
from gysim.expr import Name


def _decay():
    m = gysim.Model("decay", start=0, stop=4)
    m.stock("x", 1.0)
    m.param("k", 0.5)
    m.param("t0", 2.0)
    m.aux("rate", "k * (1 - 0.5 * step(1, t0))")
    m.flow("out", "rate * smooth(x, 1 + k)", out_of="x")
    return m


def _stages(model):
    program = Program.of(model)
    lowering = Lowering(program)
    dims = Dimensions(program, lowering.varies)
    check_model(model, dims.label_dim)
    lowering.run(dims)
    order_program(program)
    program.breakpoints = breakpoints(program, dims)
    Hoisting(program).run()
    return program, dims


def test_program_of_a_model_sorts_elements_by_kind():
    program = Program.of(_decay())
    assert program.param_names == ["k", "t0"]
    assert program.stock_names == ["x"]
    assert program.output_names == ["rate", "out"]


def test_lowering_adds_hidden_stocks_and_lays_out_the_state():
    program, _ = _stages(_decay())
    assert program.state_names == ["x", "_smooth_out_2"]
    assert program.state_rows == {"x": (0, 1), "_smooth_out_2": (1, 2)}
    # the non-trivial delay time got its own hidden aux, computed once per run
    assert "_tau_out_1" in program.equations


def test_ordering_puts_each_value_after_what_it_needs():
    program, _ = _stages(_decay())
    order = program.order
    assert order.index("rate") < order.index("out")
    with pytest.raises(gysim.ModelDefinitionError, match="a -> b -> a"):
        toposort({"a": {"b"}, "b": {"a"}}, "x")


def test_hoisting_moves_parameter_only_values_out_of_the_step():
    program, _ = _stages(_decay())
    assert "_tau_out_1" in program.static_names  # 1 + k
    # rate = k * (1 - 0.5 * step(..)) keeps `step` in the step function
    assert "rate" not in program.static_names


def test_breakpoints_are_numbers_and_scalar_parameters():
    program, _ = _stages(_decay())
    assert program.breakpoints == [Name("t0")]


def test_dimensions_stage_infers_and_checks():
    m = gysim.Model("m")
    m.dimension("sector", ["a", "b", "c"])
    m.param("k", [1.0, 2.0, 3.0], dims="sector")
    m.aux("total", "sum(k, sector)")
    m.aux("wide", "k * 2", dims="sector")
    program = Program.of(m)
    dims = Dimensions(program, varies=lambda tree: False)
    dims.check()
    assert dims.dims_of("wide") == ("sector",) and dims.dims_of("total") == ()
    assert dims.full_shape(("sector",)) == (3,)
    m.aux("bad", "k + 1")  # over sector, declared without dims
    with pytest.raises(gysim.ModelDefinitionError, match="add sector to its `dims`"):
        Dimensions(Program.of(m), varies=lambda tree: False).check()


class _CountingBackend(NumpyBackend):
    """A backend plugged in through the interface: the numpy one, counting its calls."""

    calls = 0

    def generate(self, program, dims):
        type(self).calls += 1
        return super().generate(program, dims)


def test_a_backend_plugs_into_the_pipeline():
    m = _decay()
    compiled = CompiledModel(m, backend=_CountingBackend())
    assert _CountingBackend.calls == 1
    reference = m.compile()
    P = (np.array([0.5, 0.7]), np.array([2.0, 2.0]))
    Y = np.array([[1.0, 2.0], [0.5, 0.25]])
    got, want = np.zeros_like(Y), np.zeros_like(Y)
    compiled.rhs(1.5, 0.25, Y, P, compiled.prepare(P), [], got, [])
    reference.rhs(1.5, 0.25, Y, P, reference.prepare(P), [], want, [])
    np.testing.assert_array_equal(got, want)
    # t = 1.5 is before t0 = 2: rate = k, and x drains at k times the smoothed x
    np.testing.assert_allclose(got[0], -P[0] * Y[1])
    assert isinstance(NumpyBackend().generate(*_stages(m)), ModelFunctions)
    assert compiled.source.count("def ") == 5


def test_generated_code_shows_in_tracebacks():
    compiled = _decay().compile()
    with pytest.raises(IndexError) as info:
        compiled.prepare(())  # no parameters: the generated line P[0] fails
    text = "".join(traceback.format_exception(info.value))
    assert "<gysim model 'decay'" in text
    assert "v_k = P[0]" in text


def test_compiled_model_keeps_the_model_unchanged():
    m = _decay()
    before = m.hash()
    m.compile()
    assert m.hash() == before and "_smooth_out_2" not in m
    assert m.compile() is m.compile()  # compiled once


def test_ones_of_dims_whose_names_join_alike_are_distinct():
    # dims ('a_b', 'c') and ('a', 'b_c') once shared the broadcasting constant _ONES_a_b_c_1
    m = gysim.Model("m", start=0, stop=1)
    m.dimension("a_b", ["l1", "l2"])
    m.dimension("c", ["m1", "m2", "m3"])
    m.dimension("a", ["n1"])
    m.dimension("b_c", ["o1", "o2", "o3", "o4"])
    m.param("k", 2.0)
    m.aux("u", "k", dims=("a_b", "c"))
    m.aux("v", "k + 1", dims=("a", "b_c"))
    ds = gysim.simulate(m, method="euler", dt=1)
    assert ds.u.shape == (2, 2, 3) and (ds.u == 2.0).all()
    assert ds.v.shape == (2, 1, 4) and (ds.v == 3.0).all()


def test_generated_code_of_long_chains_is_flat():
    m = gysim.Model("m", start=0, stop=1)
    m.stock("x", 1.0)
    m.param("k", 0.5)
    m.aux("y", " + ".join(["x"] * 5) + " - k * x * x / 2")
    line = next(s for s in m.compile().source.splitlines() if s.strip().startswith("v_y ="))
    assert line.strip() == "v_y = (v_x + v_x + v_x + v_x + v_x - (v_k * v_x * v_x / 2.0))"
    ds = gysim.simulate(m, method="euler", dt=1)
    assert float(ds.y[0]) == 5 - 0.25
