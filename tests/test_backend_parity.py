"""The numba and numpy backends side by side: the same numbers on real models.

Every model of the SD conformance suites (``../shared/sd-test-models*``,
skipped where absent), the Guiyang model and Earth4All (when it reads) is
run with both backends; every saved value must agree to 1e-12 relative
(values near zero: 1e-12 absolute times the variable's scale). A model the
numba backend cannot compile must say why, and still runs (with numpy)
under ``backend="auto"``.

Compiling costs seconds per model, so ``make test`` runs every tenth case of
the suites and skips Earth4All; ``GYSIM_PARITY_ALL=1`` runs them all (``make
bench`` does). The kernels go to the default cache directory (``~/.cache/gysim/numba``,
or ``$GYSIM_CACHE_DIR``): a second run of these tests loads them instead of
compiling them again (each costs a few seconds the first time).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import gysim
from gysim.conformance import _read, find_cases, invalid_input

pytest.importorskip("numba")

SHARED = Path(__file__).resolve().parents[2] / "shared"
CASES = [p for suite in ("sd-test-models", "sd-test-models-subscripts")
         if (SHARED / suite).is_dir() for p in find_cases(SHARED / suite)]
ALL = os.environ.get("GYSIM_PARITY_ALL") == "1"
if not ALL:
    CASES = CASES[::10]
EARTH4ALL = SHARED / "real-models" / "earth4all" / "E4A-global-TLTL.mdl"
RTOL = 1e-12


def assert_same(a, b) -> None:
    assert set(a.data_vars) == set(b.data_vars)
    for name in a.data_vars:
        x, y = a[name].values, b[name].values
        assert np.array_equal(np.isnan(x), np.isnan(y)), name
        ok = ~np.isnan(x)
        scale = max(float(np.max(np.abs(x[ok]), initial=0.0)), 1e-300)
        err = np.abs(x[ok] - y[ok])
        assert np.all(err <= RTOL * np.abs(x[ok]) + RTOL * 1e-3 * scale), \
            (name, float(np.max(err / np.maximum(np.abs(x[ok]), 1e-300))))


@pytest.mark.skipif(not CASES, reason="../shared/sd-test-models not available")
@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_conformance_case(path):
    if invalid_input(path):
        pytest.skip(invalid_input(path))
    try:
        model = _read(path)
        a = gysim.simulate(model, saveper=model.saveper, backend="numpy")
    except Exception as err:  # the reader's or the numpy run's failures are not this test's
        pytest.skip(f"does not run with numpy: {type(err).__name__}")
    kernel, reason = model.compile().kernel()
    if kernel is None:
        assert reason  # says why; auto falls back to numpy
        c = gysim.simulate(model, saveper=model.saveper, backend="auto")
        assert c.attrs["backend"] == "numpy"
        pytest.skip(f"numba backend: {reason}")
    b = gysim.simulate(model, saveper=model.saveper, backend="numba")
    assert b.attrs["backend"] == "numba"
    assert_same(a, b)


@pytest.mark.parametrize("method", ["euler", "rk4", "RK45"])
def test_guiyang(method):
    model = gysim.load_model("guiyang")
    opts = dict(method=method, dt=0.25 if method != "RK45" else None)
    a = gysim.simulate(model, backend="numpy", **opts)
    b = gysim.simulate(model, backend="numba", **opts)
    assert (a.attrs["backend"], b.attrs["backend"]) == ("numpy", "numba")
    assert_same(a, b)


def test_guiyang_ensemble_in_threads():
    """An ensemble split between threads gives each run its own numbers."""
    import numba
    model = gysim.load_model("guiyang")
    name, p = next((n, p) for n, p in model.params.items()
                   if np.ndim(p.value) == 0 and p.value and p.bounds is not None)
    values = np.clip(p.value * np.linspace(0.9, 1.1, 7), *p.bounds)
    params = {name: values}
    a = gysim.simulate(model, method="euler", dt=0.25, params=params, backend="numpy")
    old = numba.get_num_threads()
    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    try:
        b = gysim.simulate(model, method="euler", dt=0.25, params=params, backend="numba")
    finally:
        numba.set_num_threads(old)
    assert_same(a, b)


@pytest.mark.skipif(not EARTH4ALL.is_file(), reason="Earth4All not available")
@pytest.mark.skipif(not ALL, reason="minutes of compiling: GYSIM_PARITY_ALL=1 (make bench)")
def test_earth4all():
    try:
        model = gysim.load_model(EARTH4ALL)
    except gysim.errors.GysimError as err:
        pytest.skip(f"Earth4All does not read yet: {err}")
    a = gysim.simulate(model, backend="numpy")
    b = gysim.simulate(model, backend="numba")
    assert_same(a, b)
