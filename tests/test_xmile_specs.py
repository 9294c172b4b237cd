"""XMILE 1.0 simulation specs: start/stop/dt as child elements or attributes of
``<sim_specs>``, a reciprocal dt, and Stella's ``isee:save_interval`` (SAVEPER)."""

from __future__ import annotations

import numpy as np
import pytest

import gysim
from gysim.errors import ModelDefinitionError
from gysim.io.xmile_specs import normalise_sim_specs

_MODEL = """<xmile xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0"
 version="1.0">
 <header><vendor>test</vendor><product version="1">test</product></header>
 {specs}
 <model><variables>
  <stock name="s"><eqn>1</eqn><inflow>f</inflow></stock>
  <flow name="f"><eqn>2</eqn></flow>
 </variables></model>
</xmile>"""


def _read(tmp_path, specs):
    path = tmp_path / "m.xmile"
    path.write_text(_MODEL.format(specs=specs))
    return gysim.read_xmile(path)


def test_specs_as_attributes_are_read_like_child_elements(tmp_path):
    m = _read(tmp_path, '<sim_specs start="2" stop="4" dt="0.5" method="Euler"/>')
    assert (m.start, m.stop, m.dt) == (2.0, 4.0, 0.5)
    ds = gysim.simulate(m)
    # s = 1 + 2 (t - 2): 1, 2, 3, 4, 5 at t = 2, 2.5, ..., 4
    np.testing.assert_allclose(ds.s.values, [1, 2, 3, 4, 5])


def test_child_element_wins_over_attribute(tmp_path):
    m = _read(tmp_path, '<sim_specs start="5" stop="9" dt="1"><start>0</start></sim_specs>')
    assert (m.start, m.stop, m.dt) == (0.0, 9.0, 1.0)


def test_reciprocal_dt(tmp_path):
    m = _read(tmp_path, '<sim_specs><start>0</start><stop>1</stop>'
                        '<dt reciprocal="true">4</dt></sim_specs>')
    assert m.dt == 0.25
    assert gysim.simulate(m).s.values[-1] == pytest.approx(3.0)  # 1 + 2 * 1


def test_save_interval_is_saveper(tmp_path):
    m = _read(tmp_path, '<sim_specs isee:save_interval="1"><start>0</start><stop>3</stop>'
                        '<dt>0.25</dt></sim_specs>')
    assert m.saveper == 1.0 and m.params["saveper"].value == 1.0
    ds = gysim.simulate(m, saveper=m.saveper)
    np.testing.assert_allclose(ds.time.values, [0, 1, 2, 3])
    np.testing.assert_allclose(ds.s.values, [1, 3, 5, 7])


@pytest.mark.parametrize("save", ["0.3", "0", "-1"])
def test_save_interval_not_a_multiple_of_dt_is_refused(tmp_path, save):
    with pytest.raises(ModelDefinitionError, match="save_interval"):
        _read(tmp_path, f'<sim_specs isee:save_interval="{save}"><start>0</start>'
                        f'<stop>3</stop><dt>0.25</dt></sim_specs>')


def test_specs_already_elements_come_back_unchanged():
    text = _MODEL.format(specs="<sim_specs><start>0</start><stop>1</stop><dt>1</dt>"
                               "</sim_specs>").encode()
    assert normalise_sim_specs(text) == (text, None)


def test_undeclared_vendor_prefix_stays_readable(tmp_path):
    # Stella/xmutil files carry <isee:prefs/> without declaring the prefix; PySD's
    # parser accepts them, so the specs rewrite must not parse the whole document.
    m = _read(tmp_path, '<isee:prefs show_module_prefix="true"/>'
                        '<sim_specs start="0" stop="2" dt="1"/>')
    assert (m.start, m.stop, m.dt) == (0.0, 2.0, 1.0)
    np.testing.assert_allclose(gysim.simulate(m).s.values, [1, 3, 5])
