"""Derived outputs (gysim.outputs) in sensitivity studies and batches: known answers and errors."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import gysim
from gysim.batch import run_batch
from gysim.errors import DataError
from gysim.outputs import Derived, needed_variables, resolve_outputs, with_outputs
from gysim.sensitivity import sensitivity
from gysim.targets import Target

FIXED = dict(progress=False, method="euler", dt=1)


def linear_model() -> gysim.Model:
    """y_i = x_i: a linear model whose outputs a function of the run makes nonlinear."""
    m = gysim.Model("identity", start=0, stop=1)
    for x in ("x1", "x2", "x3"):
        m.param(x, 0.0, bounds=(-math.pi, math.pi))
        m.aux("y" + x[1], x)
    return m


def ishigami(ds: xr.Dataset) -> xr.DataArray:
    """Ishigami's function of the three outputs at the end."""
    end = ds.sel(time=1)
    return np.sin(end.y1) + 7 * np.sin(end.y2) ** 2 + 0.1 * end.y3 ** 4 * np.sin(end.y1)


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> tuple[list[float], list[float]]:
    """Analytic first-order and total Sobol' indices of Ishigami's function (Ishigami and
    Homma 1990; Sobol' and Levitan 1999), from its partial variances."""
    pi4, pi8 = math.pi ** 4, math.pi ** 8
    v1 = 0.5 * (1 + b * pi4 / 5) ** 2
    v2 = a ** 2 / 8
    v13 = b ** 2 * pi8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return [v1 / v, v2 / v, 0.0], [(v1 + v13) / v, v2 / v, v13 / v]


def test_a_function_of_a_linear_model_has_the_indices_of_the_function():
    si = sensitivity(linear_model(), ["x1", "x2", "x3"], [ishigami], n=2048, seed=3, **FIXED)
    s1, st = ishigami_indices()
    at = si.sel(output="ishigami", time=1)
    # measured: largest error 0.007 over seeds 1-3 at n=2048
    np.testing.assert_allclose(at.S1.values, s1, atol=0.02)
    np.testing.assert_allclose(at.ST.values, st, atol=0.02)
    # one number per run: analysed once, at the last saved time
    assert si.time.values.tolist() == [1.0]
    assert si.attrs["scalar_outputs"] == "ishigami"


def test_a_time_series_function_is_analysed_at_every_time():
    m = gysim.Model("lin", start=0, stop=2)
    m.param("a", 1.0, bounds=(0, 1))
    m.param("b", 1.0, bounds=(0, 1))
    m.stock("s", 0.0)
    m.flow("inflow", "a + 3 * b", into="s")

    def doubled(ds):
        return 2 * ds.s + 5
    si = sensitivity(m, ["a", "b"], {"twice_s": doubled}, n=1024, **FIXED)
    # s(t) = t (a + 3 b): S1 = (1/10, 9/10) at t = 1, 2 (Var a : Var 3b = 1 : 9); t = 0 constant
    assert si.output.values.tolist() == ["twice_s"]
    np.testing.assert_allclose(si.S1.sel(output="twice_s", time=[1, 2]).values,
                               [[0.1, 0.1], [0.9, 0.9]], atol=0.04)
    assert np.isnan(si.S1.sel(output="twice_s", time=0)).all()
    assert "scalar_outputs" not in si.attrs


def test_a_target_output_is_the_targets_measured_quantity():
    m = gysim.Model("lin", start=2005, stop=2010)
    m.param("a", 1.0, bounds=(0, 1))
    m.param("b", 1.0, bounds=(0, 1))
    m.stock("s", 10.0)
    m.flow("inflow", "a + 3 * b", into="s")
    change = Target("s_change", 10, "at least", variable="s", form="change", years=(2005, 2010),
                    units="units")
    si, ens = sensitivity(m, ["a", "b"], ["s", change], n=512, return_ensemble=True, **FIXED)
    # the ensemble carries the target's value per run, equal to the target's own evaluation
    np.testing.assert_array_equal(ens.s_change.values, change.model_value(ens))
    # and by hand: s(2010) - s(2005) = 5 (a + 3 b)
    np.testing.assert_allclose(ens.s_change.values, 5 * (ens.a.values + 3 * ens.b.values))
    assert ens.s_change.attrs["units"] == "units"
    assert ens.s_change.attrs["long_name"] == "change of s 2005-2010"
    assert si.output.values.tolist() == ["s", "s_change"]
    np.testing.assert_allclose(si.S1.sel(output="s_change", time=2010).values, [0.1, 0.9],
                               atol=0.05)
    # the same indices as the variable s at 2010 (the change is s(2010) minus a constant)
    np.testing.assert_allclose(si.S1.sel(output="s_change", time=2010).values,
                               si.S1.sel(output="s", time=2010).values, atol=1e-12)


def test_a_target_saves_only_its_variable_and_a_function_saves_all():
    t = Target("g", 1, "at least", variable="y2", form="value", years=(1,))
    assert needed_variables(resolve_outputs(["y1", t])) == ["y1", "y2"]
    _, ens = sensitivity(linear_model(), ["x1"], ["y1", t], n=8, return_ensemble=True, **FIXED)
    assert set(ens.data_vars) == {"y1", "y2", "g"}
    _, ens = sensitivity(linear_model(), ["x1"], [ishigami], n=8, return_ensemble=True, **FIXED)
    assert {"y1", "y2", "y3", "ishigami"} <= set(ens.data_vars)


def test_run_batch_variables_take_targets_and_functions():
    m = linear_model()
    t = Target("y1_end", 0, "at least", variable="y1", years=(1,))

    def spread(ds):
        return ds.y2 - ds.y1
    samples = pd.DataFrame({"x1": [0.0, 1.0, 2.0], "x2": [3.0, 3.0, 0.5]})
    ens = run_batch(m, samples, variables=["y1", t, spread], chunk_size=2, **FIXED)
    assert ens.y1_end.values.tolist() == [0.0, 1.0, 2.0]
    assert ens.spread.sel(time=1).values.tolist() == [3.0, 2.0, -1.5]
    assert ens.spread.dims == ("time", "run")


def test_run_batch_derived_variables_with_a_store(tmp_path):
    m = linear_model()
    samples = pd.DataFrame({"x1": [0.0, 1.0, 2.0]})
    t = Target("y1_end", 0, "at least", variable="y1", years=(1,))
    ens = run_batch(m, samples, variables=[t], store=str(tmp_path / "s.zarr"), chunk_size=2,
                    **FIXED)
    assert ens.y1_end.values.tolist() == [0.0, 1.0, 2.0]
    assert "y1_end" not in xr.open_zarr(tmp_path / "s.zarr", consolidated=False).data_vars


def test_with_outputs_on_one_run_and_plain_arrays():
    ds = xr.Dataset({"x": ("time", [1.0, 3.0])}, coords={"time": [0, 1]})
    out = with_outputs(ds, [Derived("rise", lambda ds: float(ds.x[-1] - ds.x[0]), units="m")])
    assert float(out.rise) == 2.0 and out.rise.attrs["units"] == "m"
    assert "rise" not in ds  # not changed


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize("outputs, message", [
    (["nope"], "`outputs`: 'nope' is not a variable of model 'identity'"),
    ([Target("t", 1, "at least", variable="nope", years=(1,))],
     "`outputs`: 'nope' is not a variable of model 'identity'"),
    (["x1"], "`outputs`: 'x1' is a param"),
    ([lambda ds: ds.y1], "`outputs`: the function <function"),
    ([3.0], "`outputs` must hold variable names ('var' or 'var[label]'), gysim.Target objects "
            "or functions f(ds) -> DataArray; got float 3.0"),
    ([], "`outputs` must name at least one output"),
    (["y1", Derived("y1", lambda ds: ds.y1)], "has the name of a variable"),
    ([ishigami, Derived("ishigami", ishigami)], "two outputs are named 'ishigami'"),
])
def test_bad_outputs_name_the_argument(outputs, message):
    with pytest.raises(DataError) as err:
        sensitivity(linear_model(), ["x1"], outputs, n=8, **FIXED)
    assert message in str(err.value)


def test_a_function_that_fails_or_reduces_the_runs_is_named():
    def broken(ds):
        return ds.no_such_variable

    def averaged(ds):
        return ds.y1.mean("run")
    with pytest.raises(DataError, match=r"`outputs`: the function 'broken' failed on the run: "
                                        r"AttributeError: .*\(the run's variables: y1, y2, y3\)"):
        sensitivity(linear_model(), ["x1"], [broken], n=8, **FIXED)
    with pytest.raises(DataError, match=r"'averaged' returned dims \('time',\); an output of an "
                                        r"ensemble must have a 'run' dim"):
        sensitivity(linear_model(), ["x1"], [averaged], n=8, **FIXED)


def test_run_batch_names_its_own_argument():
    with pytest.raises(DataError, match="`variables`: 'nope' is not a variable"):
        run_batch(linear_model(), {"x1": [0.0]},
                  variables=[Target("t", 1, "at least", variable="nope", years=(1,))], **FIXED)


def test_derived_outputs_of_a_study_streamed_to_a_store(tmp_path):
    store = str(tmp_path / "study.zarr")
    first = sensitivity(linear_model(), ["x1", "x2", "x3"], [ishigami, "y1"], n=64, seed=2,
                        store=store, **FIXED)
    again = sensitivity(linear_model(), ["x1", "x2", "x3"], [ishigami, "y1"], n=64, seed=2,
                        store=store, **FIXED)  # resumed from the store: nothing recomputed
    in_memory = sensitivity(linear_model(), ["x1", "x2", "x3"], [ishigami, "y1"], n=64, seed=2,
                            **FIXED)
    xr.testing.assert_identical(first, again)
    xr.testing.assert_allclose(first.S1, in_memory.S1)


def test_envelope_of_a_target_and_a_function():
    ens = gysim.simulate(linear_model(), params={"x1": np.arange(101.0) / 100}, method="euler",
                         dt=1)
    t = Target("y1_end", 0, "at least", variable="y1", years=(1,))
    env = gysim.envelope(ens, [t], (0.1, 0.5))
    assert env.y1_end.values.tolist() == pytest.approx([0.1, 0.5])
    env = gysim.envelope(ens, {"twice": lambda ds: 2 * ds.y1}, (0.5,))
    assert env.twice.sel(time=1).values.tolist() == pytest.approx([1.0])
