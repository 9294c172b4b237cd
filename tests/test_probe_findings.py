"""Hostile-input probe (issue 13): reproductions of defects found (xfail strict) and
attacks that are correctly refused (regression tests).

Each xfail names what happens today and what should happen; when a fix lands the
test starts passing and strict xfail turns it red, so the marker must be removed.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import gysim
from gysim.errors import DataError, GysimError, ModelDefinitionError, ParameterError
from gysim.labels import split_element

CTL = ("FINAL TIME = 2\n\t~\tMonth\n\t~\t|\n\nINITIAL TIME = 0\n\t~\tMonth\n\t~\t|\n\n"
       "SAVEPER = 1\n\t~\tMonth\n\t~\t|\n\nTIME STEP = 1\n\t~\tMonth\n\t~\t|\n\n")


def _mdl(tmp_path, body, name="m.mdl"):
    path = tmp_path / name
    path.write_text("{UTF-8}\n" + body + CTL, encoding="utf-8")
    return path


def _batch_model():
    m = gysim.Model("b", start=0, stop=3)
    m.param("k", 1.0, bounds=(0, 2))
    m.stock("s", initial=1.0)
    m.flow("f", "k*s", into="s")
    return m


# ---------------------------------------------------------------- defects the probe found, fixed

# found by the probe: labels._ELEMENT only accepts ASCII variable names,  but element names may be any Python identifier (e.g. 资本)
def test_element_name_of_non_ascii_variable():
    assert split_element("资本[工业]") == ("资本", ("工业",))


# found by the probe: a subscripted variable with a non-ASCII name cannot be  a sensitivity output (nor calibration data column, nor target)
def test_non_ascii_subscripted_variable_as_output():
    m = gysim.Model("u", start=0, stop=2)
    m.dimension("部门", ["农业", "工业"])
    m.param("rate", 0.1, bounds=(0.05, 0.2))
    m.stock("资本", initial={"农业": 1.0, "工业": 2.0}, dims=("部门",))
    m.flow("inv", "资本 * rate", into="资本", dims=("部门",))
    ind = gysim.sensitivity(m, ["rate"], ["资本[工业]"], analysis="sobol", n=8, seed=1,
                            progress=False, method="euler", dt=1)
    assert ind.sizes["output"] == 1


# found by the probe: Vensim MODULO(-7, 3) is read as numpy mod (2); PySD,  which documents Vensim's semantics (x - QUANTUM(x, m)), gives -1
def test_vensim_modulo_of_negative_matches_pysd(tmp_path):
    path = _mdl(tmp_path, "y = MODULO(-7, 3) + 0 * Time\n\t~\tdmnl\n\t~\t|\n\n")
    ds = gysim.simulate(gysim.read_vensim(path))
    assert float(np.ravel(ds["y"].values)[0]) == -1.0


# found by the probe: a parameter value too large for a float raises a raw  OverflowError instead of a ParameterError
def test_huge_int_param_value_is_a_parameter_error():
    with pytest.raises(ParameterError):
        gysim.simulate(_batch_model(), params={"k": 10**400})


# found by the probe: seed=nan reaches numpy and raises a raw ValueError
def test_sensitivity_nan_seed_is_refused_by_gysim():
    with pytest.raises(GysimError):
        gysim.sensitivity(_batch_model(), ["k"], ["s"], analysis="sobol", n=8,
                          seed=float("nan"), progress=False)


def _undone_store(tmp_path):
    import zarr
    store = tmp_path / "r.zarr"
    samples = pd.DataFrame({"k": np.linspace(0.1, 1.9, 6)})
    gysim.run_batch(_batch_model(), samples, chunk_size=3, store=store, progress=False,
                    method="euler", dt=0.5)
    zarr.open_group(str(store), mode="r+")["_done"][1] = False
    return store, samples


# found by the probe: a lock file holding a pid too large for os.kill raises  OverflowError (CLI: traceback, exit 3) instead of taking it over or a DataError
def test_lock_with_huge_pid(tmp_path):
    store, samples = _undone_store(tmp_path)
    (tmp_path / ".r.zarr.lock").write_text("99999999999999999999")  # no such process: taken over
    ens = gysim.run_batch(_batch_model(), samples, chunk_size=3, store=store, progress=False,
                          method="euler", dt=0.5)
    assert np.isfinite(ens.s.values).all() and ens.sizes["run"] == 6


# found by the probe: a directory in place of the lock file raises a raw  IsADirectoryError instead of a DataError
def test_lock_path_is_a_directory(tmp_path):
    store, samples = _undone_store(tmp_path)
    (tmp_path / ".r.zarr.lock").mkdir()
    with pytest.raises(DataError):
        gysim.run_batch(_batch_model(), samples, chunk_size=3, store=store, progress=False,
                        method="euler", dt=0.5)


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "gysim", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


# found by the probe: an exception (or SyntaxError) in the user's own model  file is reported as a gysim internal error with a traceback and exit 3
def test_cli_user_model_file_that_raises(tmp_path):
    (tmp_path / "boom.py").write_text("def build():\n    raise RuntimeError('boom')\n")
    res = _cli("run", "boom.py", cwd=tmp_path)
    assert res.returncode == 2 and res.stderr.strip().startswith("gysim: error:")
    assert len(res.stderr.strip().splitlines()) == 1


# found by the probe: --set NAME=... twice silently keeps the last value
def test_cli_set_twice_is_refused(tmp_path):
    _mdl(tmp_path, "k = 3\n\t~\tdmnl\n\t~\t|\n\ny = k * 2\n\t~\tdmnl\n\t~\t|\n\n", "ok.mdl")
    res = _cli("run", "ok.mdl", "--set", "k=1", "--set", "k=2", cwd=tmp_path)
    assert res.returncode == 2


# ---------------------------------------------------------------- attacks correctly refused

def test_fullwidth_params_key_is_refused_with_the_stored_name():
    with pytest.raises(ParameterError, match="stores it as 'k'"):
        gysim.simulate(_batch_model(), params={"ｋ": 0.5})


def test_vensim_names_differing_in_case_and_spaces_are_one(tmp_path):
    path = _mdl(tmp_path, "Birth Rate = 3\n\t~\tdmnl\n\t~\t|\n\n"
                          "y = birth   rate * 2 + BIRTH_RATE + 0 * Time\n\t~\tdmnl\n\t~\t|\n\n")
    assert float(np.ravel(gysim.simulate(gysim.read_vensim(path))["y"].values)[-1]) == 9.0


def test_vensim_nfc_and_nfd_names_stay_two_elements(tmp_path):
    path = _mdl(tmp_path, "cafe\u0301 = 3\n\t~\tdmnl\n\t~\t|\n\ncaf\u00e9 = 4\n\t~\tdmnl\n\t~\t|\n\n"
                          "y = caf\u00e9 * 2 + cafe\u0301 + 0 * Time\n\t~\tdmnl\n\t~\t|\n\n")
    assert float(np.ravel(gysim.simulate(gysim.read_vensim(path))["y"].values)[-1]) == 11.0


def test_vensim_power_binds_tighter_than_unary_minus(tmp_path):
    path = _mdl(tmp_path, "a = 2\n\t~\tdmnl\n\t~\t|\n\ny = -a^2 + 0 * Time\n\t~\tdmnl\n\t~\t|\n\n")
    assert float(np.ravel(gysim.simulate(gysim.read_vensim(path))["y"].values)[-1]) == -4.0


def test_python_comparison_chain_is_a_chain():
    m = gysim.Model("e", start=0, stop=1)
    m.param("a", 2.0)
    m.aux("y", "3 > a > 1")
    m.aux("z", "1 < 3 < a")
    ds = gysim.simulate(m, method="euler", dt=1, check_units=False)
    assert float(ds.y[0]) == 1.0 and float(ds.z[0]) == 0.0


def test_xmile_doctype_is_refused(tmp_path):
    path = tmp_path / "x.xmile"
    path.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                    '<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">'
                    '<sim_specs><start>0</start><stop>1</stop><dt>1</dt></sim_specs><model>'
                    '<variables><aux name="y"><eqn>2</eqn><doc>&e;</doc></aux></variables>'
                    '</model></xmile>')
    with pytest.raises(ModelDefinitionError, match="DOCTYPE"):
        gysim.read_xmile(path)


def test_tiny_saveper_is_refused_before_allocating():
    with pytest.raises(gysim.SimulationError, match="GiB"):
        gysim.simulate(_batch_model(), saveper=1e-9)


@pytest.mark.parametrize("method", ["euler", "rk4", "RK45", "RK23", "DOP853", "LSODA", "BDF",
                                    "Radau"])
def test_mask_keeps_the_good_runs_of_a_singular_model(method):
    m = gysim.Model("bad", start=0, stop=3)
    m.param("k", 1.0)
    m.stock("s", initial=1.0)
    m.flow("f", "s / (k - time)", into="s")
    kw = {"dt": 0.25} if method in ("euler", "rk4") else {}
    ds = gysim.simulate(m, params={"k": [2.0, 10.0]}, on_error="mask", method=method,
                        check_units=False, **kw)
    assert ds.failed.values.tolist() == [True, False]
    assert np.isnan(ds.s.values[-1, 0]) and np.isfinite(ds.s.values[-1, 1])


def test_store_of_another_study_is_refused(tmp_path):
    store, samples = tmp_path / "r.zarr", pd.DataFrame({"k": [0.5, 1.5]})
    gysim.run_batch(_batch_model(), samples, store=store, progress=False, method="euler", dt=0.5)
    with pytest.raises(DataError, match="different study"):
        gysim.run_batch(_batch_model().with_params(k=1.2), samples, store=store,
                        progress=False, method="euler", dt=0.5)


def test_live_lock_holder_is_respected(tmp_path):
    store, samples = _undone_store(tmp_path)
    (tmp_path / ".r.zarr.lock").write_text(str(os.getppid()))
    with pytest.raises(DataError, match="in use by process"):
        gysim.run_batch(_batch_model(), samples, chunk_size=3, store=store, progress=False,
                        method="euler", dt=0.5)
