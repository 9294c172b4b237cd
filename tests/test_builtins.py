"""The builtin table: every row complete and consistent, and each kind's known answers."""

from __future__ import annotations

import re

import numpy as np
import pytest

import gysim
from gysim.builtins import AGGREGATIONS, BUILTINS, RESERVED_NAMES, RUNTIME, aggregated_dim
from gysim.expr import BinOp, Const, Name, parse


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_every_row_is_complete(name):
    spec = BUILTINS[name]
    assert spec.name == name and name in RESERVED_NAMES
    assert spec.kind in ("pure", "time", "stateful")
    assert 0 <= spec.min_args <= spec.max_args
    assert spec.signature.startswith(name + "(") and spec.doc
    if spec.kind == "stateful":
        assert spec.lower is not None and spec.numpy is None
    elif spec.numpy is None:  # written by the compiler: only aggregations over a dimension
        assert spec.reduction is not None
    else:
        code = spec.numpy([f"a{i}" for i in range(spec.max_args)])
        # every helper the code calls is in the runtime namespace
        for helper in re.findall(r"\b(_\w+)\(", code):
            assert helper in RUNTIME, (name, helper)
    for i in spec.constant_args:
        assert i < spec.min_args


def test_aggregations_come_from_the_table():
    assert AGGREGATIONS == {"min": "np.min", "max": "np.max", "sum": "np.sum",
                            "mean": "np.mean", "prod": "np.prod"}
    dims = {"sector": ("a", "b")}
    assert aggregated_dim(parse("sum(x, sector)"), dims) == "sector"
    assert aggregated_dim(parse("min(x, y)"), dims) is None
    assert aggregated_dim(parse("min(x, sector, y)"), dims) is None


@pytest.mark.parametrize("equation, expected", [
    ("min(3, 1, 2)", 1.0), ("max(3, 1, 2)", 3.0), ("abs(-2)", 2.0), ("log(8, 2)", 3.0),
    ("log10(1000)", 3.0), ("integer(-2.7)", -2.0), ("modulo(7, 3)", 1.0),
    ("modulo(-7, 3)", -1.0), ("modulo(7.5, 2)", 1.5),
    ("if_then_else(1 > 0, 4, 5)", 4.0), ("xidz(1, 0, 9)", 9.0), ("zidz(1, 0)", 0.0),
    ("xidz(6, 3, 9)", 2.0), ("sqrt(16)", 4.0),
])
def test_pure_builtins_known_answers(equation, expected):
    m = gysim.Model("m", start=0, stop=1)
    m.param("k", 1.0)
    m.aux("y", f"k * ({equation})")
    ds = gysim.simulate(m, method="euler", dt=1)
    np.testing.assert_allclose(ds.y.values, expected, rtol=1e-12)


def test_time_builtins_report_their_breakpoints():
    step = BUILTINS["step"].breaks((Const(2.0), Const(3.0)))
    assert step == [Const(3.0)]
    pulse = BUILTINS["pulse"].breaks((Name("t0"), Const(1.0)))
    assert pulse == [Name("t0"), BinOp("+", Name("t0"), Const(1.0))]
    assert BUILTINS["exp"].breaks is None


class _Context:
    """A LoweringContext that records what a builtin's lowering asks for."""

    def __init__(self):
        self.states, self.delays, self.n = [], [], 0

    def hidden(self, prefix, owner):
        self.n += 1
        return f"_{prefix}_{owner}_{self.n}"

    def as_name(self, tree, prefix, owner):
        return tree

    def add_state(self, name, initial, derivative):
        self.states.append((name, initial, derivative))

    def fixed_delay(self, input, delay_time, initial, owner, *, prefix="delay_fixed", why=None):
        self.delays.append((input, delay_time, initial))
        return Name(self.hidden(prefix, owner))

    def varies(self, tree):
        return False


@pytest.mark.parametrize("name, args, n_states, n_delays", [
    ("smooth", (Name("x"), Const(2.0)), 1, 0),
    ("smooth3", (Name("x"), Const(2.0)), 3, 0),
    ("smooth_n", (Name("x"), Const(2.0), Const(0.0), Const(5.0)), 5, 0),
    ("delay1", (Name("x"), Const(2.0)), 1, 0),
    ("delay3", (Name("x"), Const(2.0), Const(1.0)), 3, 0),
    ("delay_n", (Name("x"), Const(2.0), Const(1.0), Const(4.0)), 4, 0),
    ("delay_fixed", (Name("x"), Const(2.0), Const(1.0)), 0, 1),
    ("initial", (Name("x"),), 1, 0),
])
def test_stateful_rows_lower_into_hidden_stocks(name, args, n_states, n_delays):
    ctx = _Context()
    out = BUILTINS[name].lower(ctx, args, "owner")
    assert len(ctx.states) == n_states and len(ctx.delays) == n_delays
    assert out is not None


def test_stateful_order_must_be_a_positive_integer():
    with pytest.raises(gysim.ModelDefinitionError, match="positive integer, got 2.5"):
        BUILTINS["delay_n"].lower(_Context(), (Name("x"), Const(1.0), Const(0.0), Const(2.5)),
                                  "y")


@pytest.mark.parametrize("equation, units, fragment", [
    ("exp(stock_kg)", "dimensionless", "must be dimensionless"),
    ("step(1, stock_kg)", "dimensionless", "start of"),
    ("smooth(stock_kg, stock_kg)", "kg", "delay time of"),
    ("if_then_else(1 > 0, stock_kg, 1 / year_length)", "kg", "the branches of"),
    ("max(stock_kg, year_length)", "kg", "arguments of"),
])
def test_units_rules_come_from_the_table(equation, units, fragment):
    m = gysim.Model("m")
    m.stock("stock_kg", 1.0, units="kg")
    m.param("year_length", 1.0, units="year")
    m.aux("y", equation, units=units)
    with pytest.raises(gysim.UnitsError, match=fragment):
        gysim.check_units(m)


def test_units_of_a_consistent_call():
    m = gysim.Model("m")
    m.stock("s", 1.0, units="kg")
    m.param("tau", 2.0, units="year")
    m.aux("y", "smooth(s, tau) + xidz(s, tau, s / tau) * tau + ramp(s / tau, 1)", units="kg")
    gysim.check_units(m)  # raises on any inconsistency


# ---------------------------------------------------------------------- quantum: one row added
def test_quantum_known_answers():
    m = gysim.Model("m", start=0, stop=1)
    m.param("k", 1.0)
    for name, a, q in [("pos", 7.9, 2.5), ("neg", -7.9, 2.5), ("zero_q", 3.3, 0.0)]:
        m.aux(name, f"quantum(k * {a}, {q})")
    ds = gysim.simulate(m, method="euler", dt=1)
    # Vensim: Q * INTEGER(A / Q), and A itself where Q is not positive
    assert (float(ds.pos[0]), float(ds.neg[0]), float(ds.zero_q[0])) == (7.5, -7.5, 3.3)


def test_quantum_units_read_and_write(tmp_path):
    m = gysim.Model("m", start=0, stop=4, dt=1)
    m.stock("x", 0.0, units="kg")
    m.param("grain", 0.3, units="kg")
    m.param("rate", 0.7, units="kg/year")
    m.flow("inflow", "rate", into="x", units="kg/year")
    m.aux("measured", "quantum(x, grain)", units="kg")
    gysim.check_units(m)
    m.aux("wrong", "quantum(x, rate)", units="kg")
    with pytest.raises(gysim.UnitsError, match="arguments of `quantum"):
        gysim.check_units(m)
    path = m.to_vensim(tmp_path / "q.mdl")
    assert "QUANTUM(x, grain)" in path.read_text()
    back = gysim.read_vensim(path)
    ds = gysim.simulate(back, method="euler")
    expected = 0.3 * np.trunc(np.arange(5) * 0.7 / 0.3)
    np.testing.assert_allclose(ds.measured.values, expected, rtol=1e-12)
    with pytest.raises(gysim.ModelDefinitionError, match="quantum"):
        gysim.write_xmile(m, tmp_path / "q.xmile")


def test_quantum_matches_pysd(tmp_path):
    pysd = pytest.importorskip("pysd")
    path = tmp_path / "quantum.mdl"
    path.write_text(
        "{UTF-8}\n"
        "x = INTEG(rate, -3) ~ kg ~ |\n"
        "rate = 1.3 ~ kg/Month ~ |\n"
        "grain = 0.4 ~ kg ~ |\n"
        "measured = QUANTUM(x, grain) ~ kg ~ |\n"
        "INITIAL TIME = 0 ~ Month ~ |\nFINAL TIME = 6 ~ Month ~ |\n"
        "TIME STEP = 0.5 ~ Month ~ |\nSAVEPER = TIME STEP ~ Month ~ |\n")
    ours = gysim.simulate(gysim.read_vensim(path), method="euler", saveper=0.5)
    theirs = pysd.read_vensim(str(path)).run(return_columns=["measured"])
    np.testing.assert_allclose(ours.measured.values, theirs["measured"].values, rtol=1e-12)
