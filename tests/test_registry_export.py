"""Writing a registered model as a Vensim file (gysim.registry.write_registered).

Moved here from tests/test_export.py with the function (it was
``gysim.io.export.write_registered``; gysim.io may not import the registry).
"""

from __future__ import annotations

import pytest

import gysim
from gysim.registry import write_registered


def test_write_registered(tmp_path):
    path = write_registered("guiyang", tmp_path / "out", scenario="plan", dt=0.25)
    assert path == tmp_path / "out" / "guiyang.mdl"
    text = path.read_text(encoding="utf-8")
    assert "plan_implementation =\n\t1\n" in text and "TIME STEP =\n\t0.25\n" in text
    with pytest.raises(gysim.ModelDefinitionError, match="`scenario`"):
        write_registered("guiyang", tmp_path, scenario="nope")
