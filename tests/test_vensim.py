"""Tests of the Vensim/XMILE readers (gysim.io) and the conformance runner."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import gysim
from gysim.io.names import safe_identifier

SUITE = Path(__file__).parents[2] / "shared" / "sd-test-models"

CONTROL = """
INITIAL TIME = 0
\t~\tMonth
\t~\t|
FINAL TIME = {stop}
\t~\tMonth
\t~\t|
TIME STEP = {dt}
\t~\tMonth
\t~\t|
SAVEPER = {saveper}
\t~\tMonth
\t~\t|
"""


def write_mdl(tmp_path, body, *, stop=10, dt=1, saveper="TIME STEP", name="m.mdl"):
    text = "{UTF-8}\n" + body.strip() + "\n" + CONTROL.format(stop=stop, dt=dt, saveper=saveper)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def eq(name, equation, units=""):
    return f"{name} = {equation}\n\t~\t{units}\n\t~\t|\n"


def test_integ_constants_and_control(tmp_path):
    path = write_mdl(tmp_path, eq("Stock A", "INTEG(Flow A, 5)")
                     + eq("Flow A", "Growth Rate * Stock A") + eq("Growth Rate", "0.1"),
                     dt=0.25, saveper=1)
    m = gysim.read_vensim(path)
    assert (m.start, m.stop, m.dt, m.method, m.saveper) == (0.0, 10.0, 0.25, "euler", 1.0)
    assert m.params["growth_rate"].value == 0.1
    assert m.vensim_names["stock_a"] == "Stock A"
    assert m.stocks["stock_a"].doc == "Stock A"
    ds = gysim.simulate(m, saveper=m.saveper)
    # Euler at dt = 0.25: x(10) = 5 * (1 + 0.025) ** 40
    assert float(ds.stock_a.sel(time=10)) == pytest.approx(5 * 1.025 ** 40, rel=1e-12)
    assert ds.stock_a.attrs["long_name"] == "Stock A"


def test_logic_builtins_and_time(tmp_path):
    path = write_mdl(tmp_path,
                     eq("a", "IF THEN ELSE(Time > 3 :AND: :NOT: (Time >= 6), 1, 0)")
                     + eq("b", "MAX(ABS(-2), SQRT(9)) + MODULO(7, 3) + INTEGER(2.7)")
                     + eq("c", "XIDZ(1, 0, 42) + ZIDZ(1, 0) + STEP(10, 5) + RAMP(1, 2, 4)")
                     + eq("d", "FINAL TIME - TIME STEP"))
    ds = gysim.simulate(gysim.read_vensim(path), saveper=1)
    assert ds.a.values.tolist() == [0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
    assert float(ds.b[0]) == 3 + 1 + 2
    ramp = np.clip(ds.time.values - 2, 0, 2)
    step = np.where(ds.time.values >= 5, 10, 0)
    np.testing.assert_allclose(ds.c.values, 42 + step + ramp)
    assert float(ds.d[0]) == 9


def test_lookups_named_and_inline(tmp_path):
    body = ("tab(\n\t[(0,0)-(10,10)],(0,0),(5,10),(10,0))\n\t~\t\n\t~\t|\n"
            + eq("y", "tab(Time)")
            + eq("z", "WITH LOOKUP(Time, ((0,1),(10,3)))"))
    m = gysim.read_vensim(write_mdl(tmp_path, body))
    assert m.lookups["tab"].y == (0.0, 10.0, 0.0)
    ds = gysim.simulate(m, saveper=1)
    np.testing.assert_allclose(ds.y.values, np.interp(ds.time, [0, 5, 10], [0, 10, 0]))
    np.testing.assert_allclose(ds.z.values, 1 + 0.2 * ds.time.values)


def test_smooth_and_delay_match_euler_by_hand(tmp_path):
    body = (eq("inp", "STEP(1, 1)") + eq("s", "SMOOTH(inp, 2)") + eq("d", "DELAY1I(inp, 2, 0)")
            + eq("f", "DELAY FIXED(inp, 3, 0)") + eq("i", "INITIAL(Time + 7)"))
    ds = gysim.simulate(gysim.read_vensim(write_mdl(tmp_path, body, stop=6)), saveper=1)
    s, d, expect_s, expect_d = 0.0, 0.0, [], []
    for t in range(7):
        expect_s.append(s)
        expect_d.append(d / 2)
        x = 1.0 if t >= 1 else 0.0
        s += (x - s) / 2
        d += x - d / 2
    np.testing.assert_allclose(ds.s.values, expect_s)
    np.testing.assert_allclose(ds.d.values, expect_d)
    np.testing.assert_allclose(ds.f.values, [0, 0, 0, 0, 1, 1, 1])
    assert ds.i.values.tolist() == [7.0] * 7


def test_active_initial(tmp_path):
    body = (eq("Stock A", "INTEG(1, Value A)") + eq("Value A", "ACTIVE INITIAL(Time, 45)"))
    ds = gysim.simulate(gysim.read_vensim(write_mdl(tmp_path, body)), saveper=1)
    assert float(ds.stock_a[0]) == 45
    assert float(ds.value_a[3]) == 3


def test_special_names_become_identifiers(tmp_path):
    body = (eq('"Rate*with ^ chars"', "2") + eq("import", '"Rate*with ^ chars" * 3')
            + eq("Import", "4"))
    with pytest.raises(gysim.ModelDefinitionError):  # Vensim names are case-insensitive
        gysim.read_vensim(write_mdl(tmp_path, body))
    m = gysim.read_vensim(write_mdl(tmp_path, body.rsplit("Import", 1)[0], name="n.mdl"))
    assert m.vensim_names["import_"] == "import"
    ds = gysim.simulate(m, saveper=1)
    assert float(ds.import_[0]) == 6
    assert safe_identifier("2 Fast", set()) == "v_2_fast"
    assert safe_identifier("time", set()) == "time_"


def test_unsupported_construct_names_it(tmp_path):
    body = eq("x", "ALLOCATE AVAILABLE(Time, 1, 2)")
    with pytest.raises(gysim.ModelDefinitionError, match=r"ALLOCATE AVAILABLE.*'x'"):
        gysim.read_vensim(write_mdl(tmp_path, body))
    body = eq("y", "GET TIME VALUE(2, 0, 0)")  # named as the file spells it
    with pytest.raises(gysim.ModelDefinitionError, match=r"GET TIME VALUE.*'y'"):
        gysim.read_vensim(write_mdl(tmp_path, body, name="r.mdl"))


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(gysim.ModelDefinitionError, match="`path`"):
        gysim.read_vensim(tmp_path / "absent.mdl")


def test_read_models_run_as_ensembles(tmp_path):
    path = write_mdl(tmp_path, eq("Stock A", "INTEG(k * Stock A, 1)") + eq("k", "0.1"))
    m = gysim.read_vensim(path)
    ds = gysim.simulate(m, params={"k": np.array([0.0, 0.1])}, saveper=1)
    assert ds.stock_a.shape == (11, 2)
    assert float(ds.stock_a.sel(time=10, run=1)) == pytest.approx(1.1 ** 10)
    rk = gysim.simulate(m, method="RK45", saveper=1)
    assert float(rk.stock_a.sel(time=10)) == pytest.approx(math.e, rel=1e-4)


XMILE = """<?xml version="1.0" encoding="utf-8"?>
<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">
<header><name>t</name><vendor>me</vendor><product version="1">x</product></header>
<sim_specs method="Euler" time_units="Months"><start>0</start><stop>4</stop><dt>1</dt></sim_specs>
<model><variables>
<stock name="Tank"><eqn>10</eqn><outflow>Drain</outflow><non_negative/></stock>
<flow name="Drain"><eqn>4</eqn></flow>
<aux name="Smoothed"><eqn>SMTH1(Tank, 2)</eqn></aux>
</variables></model></xmile>
"""


def test_xmile_non_negative_stock_and_smth1(tmp_path):
    path = tmp_path / "t.xmile"
    path.write_text(XMILE, encoding="utf-8")
    m = gysim.read_xmile(path)
    ds = gysim.simulate(m, saveper=m.saveper)
    assert ds.tank.values.tolist() == [10, 6, 2, 0, 0]
    expect, s = [], 10.0
    for tank in [10, 6, 2, 0, 0]:
        expect.append(s)
        s += (tank - s) / 2
    np.testing.assert_allclose(ds.smoothed.values, expect)
    assert m.source.language == "XMILE" and m.source.path == path
    assert m.xmile_names == m.source.names and m.source.names["tank"] == "Tank"


def test_readers_describe_the_source(tmp_path):
    from gysim.io import SourceInfo
    path = write_mdl(tmp_path, eq("Stock A", "INTEG(1, 5)", units="widget"))
    m = gysim.read_vensim(path)
    assert isinstance(m.source, SourceInfo)
    assert (m.source.path, m.source.language, m.source.fallback) == (path, "Vensim", "")
    assert m.source.names["stock_a"] == "Stock A" and m.source.ranges == {}
    # the older attributes read the source's fields
    assert m.vensim_names is m.source.names and m.vensim_fallback == ""
    assert (m.vensim_dims, m.vensim_labels, m.vensim_subscripts) == ({}, {}, {})
    # free-text units of other tools are checked on request, not on every run
    assert m.check_units_on_run is False
    assert m.copy().source is m.source
    assert gysim.Model("python").source is None


def test_delay_n_with_a_changing_delay_time_follows_vensim(tmp_path):
    # Vensim's DELAY N is a chain of stages draining at content / (delay time /
    # order); its output "depends only on the values delay time had in previous
    # Time Steps": the last stage drains with the previous step's delay time, the
    # others with the current one. More cases in test_functions_delays.py
    body = (eq("inp", "STEP(1, 2)") + eq("dtime", "4 + STEP(2, 5) - STEP(3, 9)")
            + eq("out", "DELAY N(inp, dtime, 0.5, 3)"))
    m = gysim.read_vensim(write_mdl(tmp_path, body, stop=15))
    ds = gysim.simulate(m, saveper=1)
    n, init = 3, 0.5
    stages, expected, before = [init * 4.0] * n, [], 4.0  # n * each stage's content
    for t in range(16):
        x = 1.0 if t >= 2 else 0.0
        tau = 4.0 + (2.0 if t >= 5 else 0.0) - (3.0 if t >= 9 else 0.0)
        outs = [s / tau for s in stages[:-1]] + [stages[-1] / before]
        expected.append(outs[-1])
        stages[:] = [s + n * (i - o) for s, i, o in zip(stages, [x] + outs[:-1], outs)]
        before = tau
    np.testing.assert_allclose(ds.out.values, expected, rtol=1e-12)
    # the jump of the delay time at t = 5 reaches the output at t = 6 only: the
    # same run with the jump one step later agrees up to t = 5
    later = gysim.read_vensim(write_mdl(tmp_path, body.replace("STEP(2, 5)", "STEP(2, 6)"),
                                        stop=15, name="later.mdl"))
    later = gysim.simulate(later, saveper=1).out.values
    np.testing.assert_array_equal(ds.out.values[:6], later[:6])
    assert ds.out.values[6] != pytest.approx(later[6], rel=1e-3)
    # with a constant delay time it is the ordinary chain, fine for every method
    const = gysim.read_vensim(write_mdl(tmp_path, eq("inp", "STEP(1, 2)")
                                        + eq("out", "DELAY N(inp, 4, 0, 3)"), name="c.mdl"))
    rk = gysim.simulate(const, method="RK45", saveper=1)
    assert float(rk.out.sel(time=10)) == pytest.approx(
        1 - math.exp(-6) * (1 + 6 + 18), rel=1e-3)  # Erlang-3 step response, mean 4


def test_na_is_vensims_number(tmp_path):
    body = (eq("x", "IF THEN ELSE(Time > 5, :NA:, Time)")
            + eq("missing", "IF THEN ELSE(x = :NA:, 1, 0)"))
    ds = gysim.simulate(gysim.read_vensim(write_mdl(tmp_path, body)), saveper=1)
    assert ds.x.values.tolist() == [0, 1, 2, 3, 4, 5] + [-2.0 ** 109] * 5
    assert ds.missing.values.tolist() == [0] * 6 + [1] * 5


#: Model files of the SD test-model suite gysim passes (measured: see the report).
#: Failing: active_initial.xmile (the file lost the ACTIVE INITIAL value) and
#: dynamic_final_time.mdl (FINAL TIME changing during the run). test_delays.mdl
#: (Vensim DSS 7.1a) passes since DELAY N drains its last stage with the previous
#: step's delay time (Dec 2 2026; Earth4All's 'Deaths Mp/y' then agrees to 3e-6).
EXPECTED_PASSING = 73


@pytest.mark.skipif(not SUITE.is_dir(), reason="the SD test-model suite is not available")
def test_conformance_suite():
    from gysim.conformance import run_suite
    results = run_suite(SUITE, pysd=False)
    assert len(results) >= 70
    passed = [r for r in results if r.passed]
    failed = {r.file: r.reason for r in results if not r.passed}
    assert len(passed) >= EXPECTED_PASSING, failed
