"""VECTOR SELECT: every numerical action and error action, from Vensim's reference.

Selection weights 2, 0, 1 on the values 3, 1, 2 select the first and the third
element; each action's answer is worked out by hand in the table below.
"""

from __future__ import annotations

import numpy as np
import pytest

import gysim
from tests.test_vensim import write_mdl

SUBSCRIPTS = """d: d1, d2, d3 ~~|
v[d] = 3, 1, 2 ~~|
sel[d] = 2, 0, 1 ~~|
none[d] = 0, 0, 0 ~~|
one[d] = 0, 1, 0 ~~|
k = 1 ~~|
"""

#: action -> value with the selection (2, 0, 1) of (3, 1, 2)
EXPECTED = {
    0: 2 * 3 + 1 * 2,          # weighted sum
    1: (2 * 3) * (1 * 2),      # product of selection * expression
    2: min(2 * 3, 1 * 2),      # weighted minimum
    3: max(2 * 3, 1 * 2),      # weighted maximum
    4: (2 * 3 + 1 * 2) / 2,    # average of selection * expression
    5: 3 ** 2 * 2 ** 1,        # product of expression ^ selection
    6: 3 + 2,                  # sum of the selected values
    7: 3 * 2,                  # their product
    8: 2,                      # their minimum
    9: 3,                      # their maximum
    10: (3 + 2) / 2,           # their average
}


def _run(tmp_path, *equations, **params):
    body = SUBSCRIPTS + "".join(f"{e} ~~|\n" for e in equations)
    m = gysim.read_vensim(write_mdl(tmp_path, body, stop=1))
    assert m.source.fallback == ""  # read with native dimensions
    return gysim.simulate(m, params=params or None)


def _value(ds, name):
    return float(np.ravel(ds[name].values)[0])


def test_every_action(tmp_path):
    ds = _run(tmp_path, *(f"a{n} = k * VECTOR SELECT(sel[d!], v[d!], -1, {n}, 0)"
                          for n in EXPECTED))
    for n, expected in EXPECTED.items():
        assert _value(ds, f"a{n}") == pytest.approx(expected, rel=1e-12), n


def test_nothing_selected_gives_the_missing_value(tmp_path):
    ds = _run(tmp_path, *(f"m{n} = k * VECTOR SELECT(none[d!], v[d!], -7, {n}, 0)"
                          for n in EXPECTED))
    for n in EXPECTED:
        assert _value(ds, f"m{n}") == -7, n


def test_error_actions_pass_when_their_condition_holds(tmp_path):
    ds = _run(tmp_path, "e1 = k * VECTOR SELECT(one[d!], v[d!], -1, 0, 1)",
              "e2 = k * VECTOR SELECT(one[d!], v[d!], -1, 0, 2)",
              "e3 = k * VECTOR SELECT(one[d!], v[d!], -1, 0, 3)",
              "e2m = k * VECTOR SELECT(none[d!], v[d!], -1, 0, 2)")
    assert [_value(ds, n) for n in ("e1", "e2", "e3", "e2m")] == [1, 1, 1, -1]


@pytest.mark.parametrize("selection, error_action", [("none", 1), ("sel", 2), ("none", 3),
                                                     ("sel", 3)])
def test_error_actions_stop_the_run(tmp_path, selection, error_action):
    with pytest.raises(gysim.SimulationError, match="bad"):
        _run(tmp_path, f"bad = k * VECTOR SELECT({selection}[d!], v[d!], -1, 0, {error_action})")


def test_unknown_actions_are_refused_when_read(tmp_path):
    for action, error_action in ((11, 0), (0, 4)):
        with pytest.raises(gysim.ModelDefinitionError, match="actions 0-10 and error actions"):
            _run(tmp_path, f"x = VECTOR SELECT(sel[d!], v[d!], -1, {action}, {error_action})")
