"""Vensim's elementary functions, read from a .mdl file, against values worked by hand.

Each value below follows from the function's definition in Vensim's reference
(angles in radians; INTEGER truncates toward zero; MODULO keeps the sign of
the dividend; QUANTUM truncates to a multiple of its quantum; XIDZ/ZIDZ give
their fallback where the divisor is 0; GAME(x) is x outside gaming), not from a
run of gysim. Both backends read the same file.
"""

from __future__ import annotations

import math

import pytest

import gysim
from tests.test_vensim import eq, write_mdl

#: (Vensim expression, value by hand)
CASES = [
    ("ABS(-2.5)", 2.5),
    ("EXP(LN(3))", 3.0),
    ("LN(1)", 0.0),
    ("LOG(1000, 10)", 3.0),
    ("LOG(8, 2)", 3.0),
    ("SQRT(2.25)", 1.5),
    ("POWER(2, 10)", 1024.0),
    ("2 ^ -1", 0.5),
    ("SIN(3.14159265358979 / 6)", 0.5),
    ("COS(3.14159265358979 / 3)", 0.5),
    ("TAN(3.14159265358979 / 4)", 1.0),
    ("ARCSIN(0.5)", math.pi / 6),
    ("ARCCOS(0.5)", math.pi / 3),
    ("ARCTAN(1)", math.pi / 4),
    # sinh(ln 2) = (2 - 1/2) / 2, cosh(ln 2) = (2 + 1/2) / 2, tanh = their ratio
    ("SINH(LN(2))", 0.75),
    ("COSH(LN(2))", 1.25),
    ("TANH(LN(2))", 0.6),
    ("INTEGER(2.7)", 2.0),
    ("INTEGER(-2.7)", -2.0),
    ("MODULO(7, 3)", 1.0),
    ("MODULO(-7, 3)", -1.0),
    ("MODULO(7.5, 2)", 1.5),
    ("QUANTUM(7.9, 2)", 6.0),
    ("QUANTUM(-7.9, 2)", -6.0),
    ("MIN(3, -1)", -1.0),
    ("MAX(3, -1)", 3.0),
    ("XIDZ(1, 0, -4)", -4.0),
    ("XIDZ(6, 3, -4)", 2.0),
    ("ZIDZ(5, 0)", 0.0),
    ("ZIDZ(5, 2)", 2.5),
    ("IF THEN ELSE(2 > 1 :AND: 3 < 1, 1, 0)", 0.0),
    ("IF THEN ELSE(2 > 1 :OR: 3 < 1, 1, 0)", 1.0),
    ("IF THEN ELSE(:NOT: (1 = 1), 1, 0)", 0.0),
    ("IF THEN ELSE(1 <> 1, 1, 0)", 0.0),
    ("GAME(4.5)", 4.5),
]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    body = "".join(eq(f"v{i}", expr) for i, (expr, _) in enumerate(CASES))
    path = write_mdl(tmp_path_factory.mktemp("elementary"), body, stop=1)
    m = gysim.read_vensim(path)
    return {backend: gysim.simulate(m, backend=backend) for backend in ("numpy", "numba")}


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("i", range(len(CASES)), ids=[c[0] for c in CASES])
def test_elementary_function_value(results, backend, i):
    expr, expected = CASES[i]
    got = float(results[backend][f"v{i}"].values.ravel()[0])
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-12), expr


@pytest.mark.parametrize("expr, at", [
    # STEP(height, start): 0 before start, height from start on
    ("STEP(2, 3)", {2: 0.0, 3: 2.0, 5: 2.0}),
    # RAMP(slope, start, end): 0 before start, slope * (t - start) until end, then held
    ("RAMP(2, 1, 3)", {0: 0.0, 1: 0.0, 2: 2.0, 3: 4.0, 5: 4.0}),
    # PULSE(start, width): 1 in [start, start + width)
    ("PULSE(2, 2)", {1: 0.0, 2: 1.0, 3: 1.0, 4: 0.0}),
    # PULSE TRAIN(start, width, interval, end): pulses at 1, 4, 7 (start 10 > end 9)
    ("PULSE TRAIN(1, 1, 3, 9)", {0: 0.0, 1: 1.0, 2: 0.0, 4: 1.0, 7: 1.0, 8: 0.0, 10: 0.0}),
])
def test_time_functions(tmp_path, expr, at):
    m = gysim.read_vensim(write_mdl(tmp_path, eq("y", expr), stop=10))
    ds = gysim.simulate(m)
    for t, value in at.items():
        assert float(ds.y.sel(time=t)) == value, (expr, t)
