"""Resource limits (gysim.engine.limits): memory, fixed steps, solver work.

Each limit is tested with the reproduction of issue 12, at the limit and
just past it, and with the message a user gets (a SimulationError, which the
CLI prints as one line).
"""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

import gysim
from gysim.engine import limits
from gysim.engine.limits import n_values, working_bytes_per_run
from gysim.sampling import sample
from gysim.sensitivity import sensitivity


@pytest.fixture
def sixteen_gib(monkeypatch):
    """A machine with 16 GiB available, whatever this one has."""
    monkeypatch.setattr(limits, "available_memory", lambda: 16 * 2**30)
    monkeypatch.setattr(limits, "MAX_BYTES", None)


def decay(stop: float = 10) -> gysim.Model:
    m = gysim.Model("decay", start=0, stop=stop)
    m.stock("x", 1.0)
    m.param("k", 0.5, bounds=(0, 10))
    m.flow("loss", "k * x", out_of="x")
    return m


# ------------------------------------------------------------------ memory
def test_a_run_to_stop_1e12_is_refused_with_its_size(sixteen_gib, deadline):
    """Issue 12: simulate(m, stop=1e12) raised numpy's _ArrayMemoryError (7.28 TiB)."""
    with pytest.raises(gysim.SimulationError) as err:
        gysim.simulate(decay(), stop=1e12)
    msg = str(err.value)
    assert "TiB" in msg and "1e+12 saved times" in msg and "saveper" in msg
    assert "max_bytes" in msg and "12.8 GiB" in msg  # 0.8 of the 16 GiB available
    assert "\n" not in msg


def test_an_ensemble_needing_112_gb_is_refused_before_allocating(sixteen_gib, deadline):
    """Issue 12: an ensemble needing 112 GB raised a raw MemoryError from np.empty."""
    n = 1_400_000
    with pytest.raises(gysim.SimulationError, match=r"the results \(.*GiB: 1001 saved times x "
                       r"2 values x 1400000 runs x 8 bytes\)") as err:
        gysim.simulate(decay(stop=1000), params={"k": np.full(n, 0.5)}, method="euler", dt=1)
    for hint in ("`saveper`", "`variables=`", "run_batch", "store=", "`chunk_size=`"):
        assert hint in str(err.value)


def test_memory_limit_at_and_just_past_it():
    m = decay()
    n, n_save = 50, 11
    compiled = m.compile()
    needed = (n_save * n_values(compiled, ["x", "loss"]) * n * 8
              + n * working_bytes_per_run(compiled, "euler", n_save, True))
    params = {"k": np.linspace(0.1, 1, n)}
    ds = gysim.simulate(m, params=params, method="euler", dt=1, max_bytes=needed)
    np.testing.assert_allclose(ds.x[-1], (1 - params["k"]) ** 10)
    with pytest.raises(gysim.SimulationError, match="max_bytes="):
        gysim.simulate(m, params=params, method="euler", dt=1, max_bytes=needed - 1)


def test_module_level_memory_limit(monkeypatch):
    monkeypatch.setattr(limits, "MAX_BYTES", 500)
    with pytest.raises(gysim.SimulationError, match="gysim.engine.limits.MAX_BYTES=500"):
        gysim.simulate(decay())
    assert float(gysim.simulate(decay(), max_bytes=1e6).x[0]) == 1.0  # the call's own wins


def test_available_memory_is_read():
    free = limits.available_memory()
    assert free is None or free > 2**20
    limit, source = limits.memory_limit()
    assert limit > 0 and ("available" in source or "FALLBACK" in source or "MAX_BYTES" in source)


def test_the_default_chunk_keeps_its_working_memory_bounded(monkeypatch):
    """Many saved times: the default chunk shrinks to CHUNK_BYTES of working memory."""
    module = sys.modules["gysim.simulate"]
    m = decay(stop=100)
    per_run = working_bytes_per_run(m.compile(), "RK45", 101, False)
    monkeypatch.setattr(module, "CHUNK_BYTES", 2 * per_run)
    k = np.linspace(0.1, 1, 5)
    ds = gysim.simulate(m, params={"k": k})
    assert ds.attrs["solver_chunks"] == 3
    np.testing.assert_allclose(ds.x.sel(time=100), np.exp(-100 * k), rtol=1e-4, atol=1e-9)


def test_a_sample_of_2_to_the_34_is_refused(sixteen_gib, deadline):
    """Issue 12: sensitivity(..., n=2**34) raised a raw MemoryError from SALib."""
    m = decay()
    with pytest.raises(gysim.SimulationError, match=r"a 'sobol' sample of n=17179869184 for 1 "
                       r"parameters \(51539607552 runs.*a smaller `n`"):
        sample(m, ["k"], "sobol", n=2**34)
    with pytest.raises(gysim.SimulationError, match="sample of n=17179869184"):
        sensitivity(m, ["k"], ["x"], n=2**34, progress=False)


def test_sample_memory_at_and_just_past_the_limit():
    m = decay()
    needed = 3 * 8 * 16 * 3  # SAMPLE_COPIES x 8 bytes x runs (n=16, D=1: 48 runs) x D
    assert len(sample(m, ["k"], "sobol", n=16, max_bytes=needed)) == 48
    with pytest.raises(gysim.SimulationError, match="max_bytes"):
        sample(m, ["k"], "sobol", n=16, max_bytes=needed - 1)


def test_a_study_held_in_memory_is_refused_and_a_store_suggested():
    m = decay(stop=1000)
    with pytest.raises(gysim.SimulationError, match=r"study's 48 runs .*`store=`"):
        sensitivity(m, ["k"], ["x"], n=16, progress=False, method="euler", dt=1,
                    max_bytes=200_000)


# ------------------------------------------------------------------ fixed steps
def test_a_step_of_1e_12_is_refused_at_once(deadline):
    """Issue 12: dt=1e-12 (1e13 Euler steps) ran until killed."""
    with pytest.raises(gysim.SimulationError) as err:
        gysim.simulate(decay(), method="euler", dt=1e-12)
    msg = str(err.value)
    assert "1e+13 steps per run" in msg and "`max_steps`=1e+07" in msg
    assert "MAX_STEPS" in msg and "max_steps=" in msg


def test_step_limit_at_and_just_past_it():
    ds = gysim.simulate(decay(), method="euler", dt=0.1, max_steps=100)
    np.testing.assert_allclose(float(ds.x[-1]), 0.95 ** 100)
    with pytest.raises(gysim.SimulationError, match="100 steps per run"):
        gysim.simulate(decay(), method="euler", dt=0.1, max_steps=99)
    assert gysim.simulate(decay(), method="rk4", dt=0.1, max_steps=None).sizes["time"] == 11


@pytest.mark.parametrize("bad", [0, -1, "many", True])
def test_limit_options_are_checked(bad):
    with pytest.raises(gysim.ModelDefinitionError, match="`max_steps` must be a positive"):
        gysim.simulate(decay(), method="euler", dt=1, max_steps=bad)


# ------------------------------------------------------------------ adaptive work
@pytest.mark.parametrize("method", ["RK45", "RK23", "DOP853", "LSODA", "BDF", "Radau"])
def test_derivative_evaluations_at_and_past_the_limit(method):
    m = decay()
    free = gysim.simulate(m, method=method)
    used = free.attrs["solver_nfev"]
    again = gysim.simulate(m, method=method, max_rhs_evals=used)
    np.testing.assert_array_equal(again.x, free.x)
    with pytest.raises(gysim.SimulationError, match=rf"{method} stopped at time .* after "
                       rf"{used - 1} derivative evaluations, the limit `max_rhs_evals`="
                       rf"{used - 1}.*MAX_RHS_EVALS"):
        gysim.simulate(m, method=method, max_rhs_evals=used - 1)


def test_wall_time_limit():
    with pytest.raises(gysim.SimulationError, match="`max_seconds`"):
        gysim.simulate(decay(stop=1e4), saveper=100, max_seconds=1e-9)


def test_the_limits_are_documented():
    for name in ("MAX_STEPS", "MAX_RHS_EVALS", "MEMORY_FRACTION", "FALLBACK_MEMORY",
                 "MAX_BYTES"):
        assert name in limits.__doc__ or name in open(limits.__file__).read()
    assert limits.MAX_STEPS == 10_000_000 and limits.MAX_RHS_EVALS == 1_000_000
    assert math.isclose(limits.MEMORY_FRACTION, 0.8)


def test_a_fixed_delay_longer_than_the_run_needs_no_buffer_beyond_the_run():
    # was a raw MemoryError (7.28 TiB) from the delay's ring buffer
    m = gysim.Model("m", start=0, stop=5)
    m.stock("x", 1.0)
    m.flow("f", "1", into="x")
    m.aux("late", "delay_fixed(x, 1e12, -1)")
    m.aux("soon", "delay_fixed(x, 2, -1)")
    ds = gysim.simulate(m, method="euler", dt=1)
    assert ds.late.values.tolist() == [-1.0] * 6
    assert ds.soon.values.tolist() == [-1.0, -1.0, 1.0, 2.0, 3.0, 4.0]
