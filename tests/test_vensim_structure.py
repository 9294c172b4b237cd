"""Structure of published Vensim models: computed control variables, the checker."""

from __future__ import annotations

import pytest

import gysim
from gysim.errors import ModelDefinitionError


def write(tmp_path, *lines, control=("INITIAL TIME = 0", "FINAL TIME = 4", "TIME STEP = 1"),
          name="m.mdl"):
    body = "{UTF-8}\n" + "".join(f"{line}\n\t~\t\n\t~\t\t|\n\n" for line in (*lines, *control))
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def test_control_variables_computed_from_constants(tmp_path):
    path = write(tmp_path, "start year = 1990", "horizon = 2 * 5", "steps per year = 4",
                 control=("INITIAL TIME = start year", "FINAL TIME = start year + horizon",
                          "TIME STEP = 1 / steps per year",
                          "SAVEPER = MAX(TIME STEP, IF THEN ELSE(horizon > 5, 0.5, 1))"))
    model = gysim.read_vensim(path)
    # by hand: 1990, 1990 + 10, 1/4, max(0.25, 0.5)
    assert (model.start, model.stop, model.dt, model.saveper) == (1990, 2000, 0.25, 0.5)


def test_control_variable_using_time_or_a_stock_is_refused(tmp_path):
    path = write(tmp_path, "x = 3", control=("INITIAL TIME = 0",
                                             "FINAL TIME = IF THEN ELSE(Time > 5, Time, 9)",
                                             "TIME STEP = 1"))
    with pytest.raises(ModelDefinitionError, match="FINAL TIME uses Time"):
        gysim.read_vensim(path)
    path = write(tmp_path, "s = INTEG(1, 2)", control=("INITIAL TIME = 0", "FINAL TIME = s",
                                                       "TIME STEP = 1"))
    with pytest.raises(ModelDefinitionError, match="FINAL TIME uses the stock 's'"):
        gysim.read_vensim(path)
