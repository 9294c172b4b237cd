"""Runs that go bad (issue 12): every solver names the time and the run, never hangs,
never leaks scipy's errors; on_error="mask" keeps the other runs, unchanged."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import gysim
from gysim.batch import run_batch
from gysim.sensitivity import analyze, sensitivity
from gysim.sampling import sample

ADAPTIVE = ["RK45", "RK23", "DOP853", "LSODA", "BDF", "Radau"]
EVERY = ["euler", "rk4"] + ADAPTIVE


@pytest.fixture(autouse=True)
def _every_test_has_a_deadline(deadline):
    """Every test here fails instead of hanging (the `deadline` fixture of conftest.py)."""


def options(method: str) -> dict:
    return {"method": method, "dt": 0.001} if method in ("euler", "rk4") else {"method": method}


def nan_at_start() -> gysim.Model:
    """Issue 12: x = INTEG(SQRT(k)*x, 1) with k = -0.5: the derivative is NaN at once."""
    m = gysim.Model("m", start=0, stop=1)
    m.stock("x", 1.0)
    m.param("k", -0.5)
    m.flow("f", "sqrt(k) * x", into="x")
    return m


def blow_up() -> gysim.Model:
    """x' = k x**2, x(0) = 1: x = 1 / (1 - k t), which blows up at t = 1/k."""
    m = gysim.Model("m", start=0, stop=1, saveper=0.125)
    m.stock("x", 1.0)
    m.param("k", 2.0, bounds=(0, 10))
    m.flow("f", "k * x ** 2", into="x")
    return m


@pytest.mark.parametrize("method", EVERY)
def test_a_nan_derivative_at_the_start_is_reported_not_hung(method):
    # fixed steps: the first saved time at which x is not finite (it is at time 0)
    when = "0" if method in ADAPTIVE else "1"
    with pytest.raises(gysim.SimulationError, match=rf"non-finite .* at time {when} in x "
                       r"\(first bad run: 0\)"):
        gysim.simulate(nan_at_start(), **options(method))


@pytest.mark.parametrize("method", ADAPTIVE)
def test_a_finite_time_blow_up_names_its_time_and_run(method):
    """Issue 12: LSODA hung; RK45/BDF/Radau said "failed at time 0" and named no run."""
    with pytest.raises(gysim.SimulationError) as err:
        gysim.simulate(blow_up(), **options(method))
    msg = str(err.value)
    assert msg.startswith(method)
    t = float(msg.split("at time ")[1].split()[0].rstrip(":"))
    assert 0.45 < t < 0.51, msg
    assert "run 0" in msg
    assert "Traceback" not in msg and "\n" not in msg


@pytest.mark.parametrize("method", EVERY)
def test_a_blow_up_in_an_ensemble_names_the_first_bad_run(method):
    """BDF and Radau raised scipy's "Factor is exactly singular" for an ensemble."""
    k = np.array([0.0, 0.5, 2.0, 4.0, 0.25])  # runs 3 and 2 blow up, at 0.25 and 0.5
    with pytest.raises(gysim.SimulationError) as err:
        gysim.simulate(blow_up(), params={"k": k}, **options(method))
    msg = str(err.value)
    assert re.search(r"run:? 3\b", msg), msg
    assert not isinstance(err.value, (MemoryError,)) and isinstance(err.value, gysim.GysimError)


@pytest.mark.parametrize("method", EVERY)
def test_mask_keeps_the_good_runs_and_marks_the_bad(method):
    k = np.array([0.0, 0.5, 2.0, 4.0, 0.25])
    ds = gysim.simulate(blow_up(), params={"k": k}, on_error="mask", **options(method))
    assert ds.attrs["failed_runs"] == "[2, 3]" and ds.attrs["n_failed"] == 2
    assert ds.failed.dims == ("run",) and ds.failed.values.tolist() == [False, False, True,
                                                                         True, False]
    assert "run" in ds.attrs["first_failure"]
    good = gysim.simulate(blow_up(), params={"k": k[[0, 1, 4]]}, **options(method))
    # the good runs' numbers do not depend on the bad runs: identical to a call without them
    np.testing.assert_array_equal(ds.x.isel(run=[0, 1, 4]).values, good.x.values)
    np.testing.assert_array_equal(ds.f.isel(run=[0, 1, 4]).values, good.f.values)
    times = ds.time.values
    for run, t_blow in ((2, 0.5), (3, 0.25)):
        x = ds.x.isel(run=run).values
        before = times < t_blow - 0.1
        after = times >= t_blow + 0.1  # Euler and RK4 overflow a few steps after the pole
        assert np.isfinite(x[before]).all() and np.isnan(x[after]).all()
        assert np.isnan(ds.f.isel(run=run).values[after]).all()
        rtol = 0.05 if method == "euler" else 1e-3
        np.testing.assert_allclose(x[before], 1 / (1 - k[run] * times[before]), rtol=rtol)


@pytest.mark.parametrize("method", ["RK45", "BDF", "euler"])
def test_mask_on_a_single_run(method):
    ds = gysim.simulate(blow_up(), on_error="mask", **options(method))
    assert bool(ds.failed) and ds.attrs["failed_runs"] == "[0]"
    assert np.isnan(ds.x.sel(time=0.75).values) and float(ds.x[0]) == 1.0
    ok = gysim.simulate(blow_up(), params={"k": 0.5}, on_error="mask", **options(method))
    assert not bool(ok.failed) and ok.attrs["failed_runs"] == "[]"


def test_mask_with_a_nan_derivative_at_the_start():
    m = gysim.Model("m", start=0, stop=1)
    m.stock("x", 1.0)
    m.param("k", -0.5, bounds=(-1, 1))
    m.flow("f", "sqrt(k) * x", into="x")
    ds = gysim.simulate(m, params={"k": [0.25, -0.5, 1.0]}, on_error="mask")
    assert ds.failed.values.tolist() == [False, True, False]
    assert np.isnan(ds.f.isel(run=1)).all()
    np.testing.assert_allclose(ds.x.isel(run=2, time=-1), np.e, rtol=1e-5)


def test_on_error_is_checked():
    with pytest.raises(gysim.ModelDefinitionError, match="`on_error` must be 'raise' or 'mask'"):
        gysim.simulate(blow_up(), on_error="ignore")


def test_without_on_error_results_have_no_failed_coordinate():
    ds = gysim.simulate(blow_up(), params={"k": [0.5, 0.25]})
    assert "failed" not in ds.variables and "failed_runs" not in ds.attrs


def test_run_batch_passes_on_error_through():
    k = np.array([0.0, 0.5, 2.0, 4.0, 0.25, 0.125, 3.0])
    ens = run_batch(blow_up(), pd.DataFrame({"k": k}), chunk_size=3, progress=False,
                    method="RK45", on_error="mask")
    assert ens.failed.values.tolist() == [False, False, True, True, False, False, True]
    assert np.isfinite(ens.x.isel(run=[0, 1, 4, 5])).all()


def ishigami_that_fails() -> gysim.Model:
    """Ishigami-like output, and a stock that blows up (x' = k x**2) when a > 2.5."""
    m = gysim.Model("m", start=0, stop=1, saveper=0.5)
    m.param("a", 1.0, bounds=(0, 3))
    m.param("b", 1.0, bounds=(0, 1))
    m.stock("x", 1.0)
    m.flow("f", "if_then_else(a > 2.5, 10 * x ** 2, 0) + b", into="x")
    return m


@pytest.mark.parametrize("method", ["sobol", "morris"])
def test_a_study_drops_the_failed_runs_groups_and_says_so(method):
    m = ishigami_that_fails()
    with pytest.raises(gysim.SimulationError, match="run"):
        sensitivity(m, ["a", "b"], ["x"], analysis=method, n=32, progress=False,
                    method="euler", dt=0.01)
    si, ens = sensitivity(m, ["a", "b"], ["x"], analysis=method, n=32, progress=False,
                          method="euler", dt=0.01, on_error="mask", return_ensemble=True)
    failed = ens.failed.values
    group = 4 if method == "sobol" else 3
    dropped = failed.reshape(-1, group).any(axis=1).sum() * group
    assert failed.any() and si.attrs["n_failed_runs"] == int(failed.sum())
    assert si.attrs["n_dropped_runs"] == dropped
    assert si.attrs["n_runs_used"] == len(failed) - dropped
    key = "S1" if method == "sobol" else "mu_star"
    assert np.isfinite(si[key].sel(output="x", time=1)).all()
    # the indices are those of the surviving groups analysed alone
    s = sample(m, ["a", "b"], method, n=32)
    keep = ~np.repeat(failed.reshape(-1, group).any(axis=1), group)
    kept = s[keep].reset_index(drop=True)
    kept.attrs.update(s.attrs)
    alone = analyze(kept, ens.isel(run=keep).drop_vars("failed").assign_coords(
        run=np.arange(keep.sum())), ["x"])
    np.testing.assert_allclose(si[key].values, alone[key].values, equal_nan=True)


def test_fast_refuses_a_study_with_failed_runs():
    with pytest.raises(gysim.DataError, match=r"runs failed .*eFAST needs every run"):
        sensitivity(ishigami_that_fails(), ["a", "b"], ["x"], analysis="fast", n=80,
                    progress=False, method="euler", dt=0.01, on_error="mask")


def test_analysis_refuses_non_finite_outputs_not_marked_failed():
    m = gysim.Model("m", start=0, stop=1)
    m.param("a", 1.0, bounds=(0, 1))
    m.param("b", 1.0, bounds=(0, 1))
    m.aux("y", "a + b")
    s = sample(m, ["a", "b"], "sobol", n=8)
    ens = run_batch(m, s, progress=False, method="euler", dt=1)
    ens["y"][:, 5] = np.nan
    with pytest.raises(gysim.DataError, match=r"output 'y' is not finite in 1 runs not marked "
                       r"failed \(first: run 5\)"):
        analyze(s, ens, ["y"])
