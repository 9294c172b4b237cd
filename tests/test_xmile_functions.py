"""XMILE 1.0 functions and operators, from the standard's definitions: PULSE (one DT
wide, magnitude / DT high, optionally repeated), the builtin DT and the MOD
operator in any letter case."""

from __future__ import annotations

import numpy as np

import gysim
from gysim.io.xmile_operators import lower_mod_operator

_MODEL = """<xmile xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0" version="1.0">
 <header><vendor>test</vendor><product version="1">test</product></header>
 <sim_specs><start>0</start><stop>4</stop><dt>0.5</dt></sim_specs>
 <model><variables>{variables}</variables></model>
</xmile>"""


def _run(tmp_path, variables):
    path = tmp_path / "m.xmile"
    path.write_text(_MODEL.format(variables=variables))
    return gysim.simulate(gysim.read_xmile(path))


def test_pulse_is_one_dt_wide_and_magnitude_over_dt_high(tmp_path):
    ds = _run(tmp_path, """
      <aux name="once"><eqn>PULSE(3, 1)</eqn></aux>
      <aux name="every"><eqn>PULSE(2, 1, 1.5)</eqn></aux>
      <aux name="zero interval"><eqn>PULSE(2, 1, 0)</eqn></aux>
      <stock name="s"><eqn>0</eqn><inflow>once</inflow></stock>""")
    # dt = 0.5: height 3 / 0.5 = 6 during [1, 1.5) only
    np.testing.assert_allclose(ds.once.values, [0, 0, 6, 0, 0, 0, 0, 0, 0])
    # the stock gains the magnitude, 3, in one step
    np.testing.assert_allclose(ds.s.values, [0, 0, 0, 3, 3, 3, 3, 3, 3])
    # height 4 at t = 1, 2.5, 4 (every 1.5 from 1)
    np.testing.assert_allclose(ds.every.values, [0, 0, 4, 0, 0, 4, 0, 0, 4])
    # an interval of 0: a single pulse
    np.testing.assert_allclose(ds.zero_interval.values, [0, 0, 4, 0, 0, 0, 0, 0, 0])


def test_dt_is_the_time_step(tmp_path):
    ds = _run(tmp_path, '<aux name="x"><eqn>DT * 4</eqn></aux>')
    np.testing.assert_allclose(ds.x.values, 2.0)


def test_mod_operator_in_any_case(tmp_path):
    ds = _run(tmp_path, """
      <aux name="a"><eqn>TIME MOD 1.5</eqn></aux>
      <aux name="b"><eqn>(Time + 1) mod 2</eqn></aux>
      <aux name="c"><eqn>IF TIME Mod 2 &lt; 1 THEN 1 ELSE 0</eqn></aux>""")
    t = np.arange(9) * 0.5
    np.testing.assert_allclose(ds.a.values, [0, .5, 1, 0, .5, 1, 0, .5, 1])
    np.testing.assert_allclose(ds.b.values, (t + 1) % 2)
    np.testing.assert_allclose(ds.c.values, [1, 1, 0, 0, 1, 1, 0, 0, 1])


def test_mod_rewrite_leaves_names_alone():
    text = b'<eqn>Mod * 2 + a_MOD_b</eqn><eqn init="x">(x) MOD y</eqn><doc>p MOD q</doc>'
    assert lower_mod_operator(text) == (
        b'<eqn>Mod * 2 + a_MOD_b</eqn><eqn init="x">(x) mod y</eqn><doc>p MOD q</doc>')


_GF = """<xmile xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0" version="1.0">
 <header><vendor>test</vendor><product version="1">test</product></header>
 <sim_specs><start>-1</start><stop>5</stop><dt>0.5</dt></sim_specs>
 <model><variables>{variables}</variables></model>
</xmile>"""
_POINTS = "<xpts>1,2,3</xpts><ypts>10,20,40</ypts>"


def _run_gf(tmp_path, variables):
    path = tmp_path / "gf.xmile"
    path.write_text(_GF.format(variables=variables))
    return gysim.simulate(gysim.read_xmile(path))


def test_graphical_function_types(tmp_path):
    ds = _run_gf(tmp_path, f"""
      <aux name="cont"><eqn>TIME</eqn><gf>{_POINTS}</gf></aux>
      <aux name="extra"><eqn>TIME</eqn><gf type="extrapolate">{_POINTS}</gf></aux>
      <aux name="disc"><eqn>TIME</eqn><gf type="discrete">{_POINTS}</gf></aux>
      <gf name="named" type="extrapolate">{_POINTS}</gf>
      <aux name="by name"><eqn>named(TIME)</eqn></aux>""")
    t = np.arange(-1, 5.01, 0.5)
    # continuous: interpolated, end values held
    np.testing.assert_allclose(ds.cont.values, np.interp(t, [1, 2, 3], [10, 20, 40]))
    # extrapolate: slope 10 below x = 1, slope 20 above x = 3 (by hand: t=-1 -> -10,
    # t=5 -> 80)
    expect = np.where(t < 1, 10 + (t - 1) * 10,
                      np.where(t > 3, 40 + (t - 3) * 20, np.interp(t, [1, 2, 3], [10, 20, 40])))
    np.testing.assert_allclose(ds.extra.values, expect)
    assert ds.extra.values[0] == -10 and ds.extra.values[-1] == 80
    np.testing.assert_allclose(ds.by_name.values, expect)
    # discrete: the y of the last point at or before x (the first y below it)
    np.testing.assert_allclose(ds.disc.values,
                               [10, 10, 10, 10, 10, 10, 20, 20, 40, 40, 40, 40, 40])


def test_starttime_and_stoptime(tmp_path):
    ds = _run(tmp_path, """
      <aux name="first"><eqn>IF TIME = STARTTIME THEN 1 ELSE 0</eqn></aux>
      <aux name="span"><eqn>STOPTIME - STARTTIME</eqn></aux>""")
    np.testing.assert_allclose(ds.first.values, [1, 0, 0, 0, 0, 0, 0, 0, 0])
    np.testing.assert_allclose(ds.span.values, 4.0)


def test_int_rounds_down(tmp_path):
    # XMILE's INT is the largest integer not above x (Vensim's INTEGER truncates)
    ds = _run(tmp_path, '<aux name="i"><eqn>INT(TIME - 2.25)</eqn></aux>')
    # TIME - 2.25 = -2.25, -1.75, -1.25, -0.75, -0.25, 0.25, 0.75, 1.25, 1.75
    np.testing.assert_allclose(ds.i.values, [-3, -2, -2, -1, -1, 0, 0, 1, 1])


def test_array_functions_over_a_named_dimension_in_a_scalar(tmp_path):
    path = tmp_path / "arr.xmile"
    path.write_text("""<xmile xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0" version="1.0">
 <header><vendor>t</vendor><product version="1">t</product></header>
 <sim_specs><start>0</start><stop>1</stop><dt>1</dt></sim_specs>
 <dimensions><dim name="d"><elem name="a"/><elem name="b"/><elem name="c"/></dim></dimensions>
 <model><variables>
  <aux name="v"><dimensions><dim name="d"/></dimensions><eqn>4, -2, 7</eqn></aux>
  <aux name="lo"><eqn>MIN(v[d])</eqn></aux>
  <aux name="hi"><eqn>MAX(v[d])</eqn></aux>
  <aux name="total"><eqn>SUM(v[d]) + 0 * TIME</eqn></aux>
 </variables></model>
</xmile>""")
    m = gysim.read_xmile(path)
    ds = gysim.simulate(m)
    got = {k: float(np.asarray(ds[k].values if k in ds.data_vars else m.params[k].value).flat[0])
           for k in ("lo", "hi", "total")}
    assert got == {"lo": -2.0, "hi": 7.0, "total": 9.0}


def test_lookup_function_applies_a_graphical_function(tmp_path):
    # XMILE's LOOKUP(gf, x) and gf(x): the graphical function of a variable (whose own
    # value is gf(its equation)) or of a named <gf>, applied to x
    ds = _run_gf(tmp_path, f"""
      <aux name="table var"><eqn>0 + 0</eqn><gf>{_POINTS}</gf></aux>
      <gf name="named">{_POINTS}</gf>
      <aux name="by lookup"><eqn>LOOKUP(table_var, TIME)</eqn></aux>
      <aux name="by call"><eqn>table_var(TIME + 1)</eqn></aux>
      <aux name="named lookup"><eqn>lookup(named, TIME)</eqn></aux>""")
    t = np.arange(-1, 5.01, 0.5)
    table = lambda x: np.interp(x, [1, 2, 3], [10, 20, 40])  # noqa: E731
    np.testing.assert_allclose(ds.table_var.values, 10.0)  # its own value: gf(0)
    np.testing.assert_allclose(ds.by_lookup.values, table(t))
    np.testing.assert_allclose(ds.by_call.values, table(t + 1))
    np.testing.assert_allclose(ds.named_lookup.values, table(t))
