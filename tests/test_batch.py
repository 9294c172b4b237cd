"""run_batch(): chunking, the streaming zarr store, resuming after an interruption, Dask,
envelopes."""

import json

import numpy as np
import pytest
import xarray as xr

import gysim
import gysim.batch as batch
from gysim.batch import envelope, run_batch
from gysim.sampling import sample
from tests.helpers import logistic_model, logistic_solution


def growth_model():
    return logistic_model(0.1, 10.0, r_bounds=(0, 0.5), k_bounds=(5, 20), units="kg",
                          name="growth", stop=5, dt=0.5, method="euler")


@pytest.fixture(scope="module")
def samples():
    return sample(growth_model(), ["r", "k"], "latin", 103, seed=5)


def test_in_memory_batch_matches_simulate(samples):
    m = growth_model()
    ens = run_batch(m, samples, chunk_size=10, progress=False)
    whole = gysim.simulate(m, params=samples)
    assert ens.sizes == {"time": 6, "run": 103}
    assert list(ens.run.values) == list(range(103))
    np.testing.assert_array_equal(ens.x.values, whole.x.values)
    np.testing.assert_array_equal(ens.r.values, samples.r.values)
    assert ens.x.attrs["units"] == "kg" and ens.r.attrs["units"] == "1/year"
    assert ens.attrs["n_runs"] == 103 and ens.attrs["model_hash"] == m.hash()


def test_store_equals_in_memory(tmp_path, samples):
    m = growth_model()
    mem = run_batch(m, samples, chunk_size=10, progress=False, method="rk4", dt=0.125)
    ens = run_batch(m, samples, chunk_size=10, progress=False, method="rk4", dt=0.125,
                    store=tmp_path / "s.zarr")
    assert ens.x.chunks is not None  # lazy, from the store
    np.testing.assert_array_equal(ens.x.values, mem.x.values)
    np.testing.assert_allclose(ens.x.sel(time=5), logistic_solution(5, samples.r, samples.k), rtol=1e-5)
    assert bool(xr.open_zarr(tmp_path / "s.zarr", consolidated=False)["_done"].all())


def test_interrupted_study_resumes_to_an_identical_store(tmp_path, samples, monkeypatch):
    m = growth_model()
    kw = dict(chunk_size=10, progress=False, variables=["x", "growth"])
    run_batch(m, samples, store=tmp_path / "whole.zarr", **kw)

    real = batch._run_chunk
    calls = []

    def interrupted_after_4(model, params, lo, options):
        if len(calls) == 4:
            raise KeyboardInterrupt
        calls.append(lo)
        return real(model, params, lo, options)

    monkeypatch.setattr(batch, "_run_chunk", interrupted_after_4)
    with pytest.raises(KeyboardInterrupt):
        run_batch(m, samples, store=tmp_path / "part.zarr", **kw)
    done = xr.open_zarr(tmp_path / "part.zarr", consolidated=False)["_done"].values
    assert done.tolist() == [True] * 4 + [False] * 7

    resumed = []

    def counting(model, params, lo, options):
        resumed.append(lo)
        return real(model, params, lo, options)

    monkeypatch.setattr(batch, "_run_chunk", counting)
    ens = run_batch(m, samples, store=tmp_path / "part.zarr", **kw)
    assert resumed == list(range(40, 103, 10))  # finished chunks are not recomputed
    whole = xr.open_zarr(tmp_path / "whole.zarr", consolidated=False).load()
    part = xr.open_zarr(tmp_path / "part.zarr", consolidated=False).load()
    xr.testing.assert_identical(whole, part)
    xr.testing.assert_identical(ens.load(), whole.drop_vars("_done"))


def test_store_of_another_study_is_refused(tmp_path, samples):
    m = growth_model()
    path = tmp_path / "s.zarr"
    run_batch(m, samples, chunk_size=50, progress=False, store=path)
    with pytest.raises(gysim.DataError, match="holds a different study"):
        run_batch(m, samples, chunk_size=20, progress=False, store=path)
    with pytest.raises(gysim.DataError, match="holds a different study"):
        run_batch(m.with_params(k=12.0), samples[["r"]], chunk_size=50, progress=False,
                  store=path)
    (tmp_path / "junk").mkdir()
    with pytest.raises(gysim.DataError, match="not a readable zarr store"):
        run_batch(m, samples, progress=False, store=tmp_path / "junk")


def test_bad_samples_are_refused():
    m = growth_model()
    with pytest.raises(gysim.ParameterError, match="same length"):
        run_batch(m, {"r": [0.1, 0.2], "k": [10.0]}, progress=False)
    with pytest.raises(gysim.ParameterError, match="`chunk_size` must be a positive integer"):
        run_batch(m, {"r": [0.1, 0.2]}, chunk_size=0, progress=False)
    with pytest.raises(gysim.ParameterError,
                       match=r"1 of 2 values are outside the bounds \(0, 0.5\) of parameter 'r', "
                             r"e.g. run 1: 0.9"):
        run_batch(m, {"r": [0.1, 0.9]}, progress=False)
    with pytest.raises(gysim.ParameterError, match="'rr' is not a parameter.*did you mean 'r'"):
        run_batch(m, {"rr": [0.1]}, progress=False)


def test_envelope_quantiles(samples):
    ens = run_batch(growth_model(), samples, progress=False)
    env = envelope(ens, ["x"], quantiles=(0.1, 0.5, 0.9))
    assert env.x.dims == ("quantile", "time")
    np.testing.assert_allclose(env.x.sel(quantile=0.5), np.median(ens.x.values, axis=1))
    np.testing.assert_allclose(env.x.sel(quantile=0.9),
                               np.quantile(ens.x.values, 0.9, axis=1))
    assert set(envelope(ens).data_vars) == {"x", "growth"}
    with pytest.raises(gysim.DataError, match="did you mean 'x'"):
        envelope(ens, "xx")
    with pytest.raises(gysim.DataError, match="`run` dimension"):
        envelope(gysim.simulate(growth_model()))


def test_envelope_of_a_lazy_store(tmp_path, samples):
    ens = run_batch(growth_model(), samples, chunk_size=10, progress=False,
                    store=tmp_path / "s.zarr")
    env = envelope(ens, "x", quantiles=(0.05, 0.95))
    np.testing.assert_allclose(env.x.sel(quantile=0.05),
                               np.quantile(ens.x.values, 0.05, axis=1))


def test_dask_store_identical_to_in_process(tmp_path, samples, dask_client):
    m = growth_model()
    kw = dict(chunk_size=7, progress=False)
    run_batch(m, samples, store=tmp_path / "local.zarr", **kw)
    ens = run_batch(m, samples, store=tmp_path / "dask.zarr", client=dask_client, **kw)
    local = xr.open_zarr(tmp_path / "local.zarr", consolidated=False).load()
    remote = xr.open_zarr(tmp_path / "dask.zarr", consolidated=False).load()
    xr.testing.assert_identical(local, remote)
    mem = run_batch(m, samples, client=dask_client, **kw)
    ens = ens.load()
    assert len(ens.attrs.pop("batch_fingerprint")) == 64  # only a store has one
    xr.testing.assert_identical(mem, ens)


def test_the_work_shipped_to_dask_workers_pickles(samples):
    """What a processes=True cluster or a remote one receives: the uncompiled model copy, the
    chunk's params and the options."""
    import pickle
    m = growth_model()
    m.compile()
    shipped = pickle.loads(pickle.dumps((m.copy(), {"r": samples.r.values[:5]}, 3,
                                         {"chunk_size": 5})))
    ds = batch._run_chunk(*shipped)
    assert list(ds.run.values) == [3, 4, 5, 6, 7]
    np.testing.assert_array_equal(ds.x.values, gysim.simulate(m, params={"r": samples.r[:5]}).x)


def test_failed_runs_of_a_whole_batch_are_listed_across_chunks(tmp_path):
    m = gysim.Model("m", start=0, stop=2)
    m.stock("x", 1.0)
    m.param("k", 1.0, bounds=(-1, 1))
    m.flow("growth", "sqrt(k) * x", into="x")
    k = np.array([0.5, 0.2, -0.5, 0.1, 0.3, -0.2, 0.4])
    for store in (None, tmp_path / "study.zarr"):
        ens = run_batch(m, {"k": k}, chunk_size=3, store=store, progress=False,
                        method="euler", dt=0.5, on_error="mask")
        assert json.loads(ens.attrs["failed_runs"]) == [2, 5]
        assert ens.attrs["n_failed"] == 2
        assert ens["failed"].values.tolist() == [False, False, True, False, False, True, False]
        good = ens.x.sel(run=0).values
        np.testing.assert_allclose(good, (1 + 0.5 * np.sqrt(0.5)) ** (2 * np.arange(3)))  # dt 0.5


def test_a_batch_held_in_memory_is_refused_before_running_when_too_big():
    m = gysim.Model("m", start=0, stop=1000)
    m.stock("x", 1.0)
    m.param("k", 0.1, bounds=(0, 1))
    m.flow("growth", "k * x", into="x")
    with pytest.raises(gysim.SimulationError, match="study store on disk"):
        run_batch(m, {"k": np.linspace(0, 1, 1000)}, progress=False, method="euler",
                  max_bytes=1e6)


def test_fixed_step_chunks_are_integrated_in_pieces_with_the_same_numbers(samples, monkeypatch):
    """A chunk of 40 runs integrated 3 runs at a time (batch.INTEGRATE_RUNS) gives the runs of
    one integration of all of them, bit for bit; adaptive methods integrate whole chunks."""
    m = growth_model()
    whole = gysim.simulate(m, params={"r": samples.r.values, "k": samples.k.values},
                           method="rk4", dt=0.25)
    calls = []
    real = gysim.simulate

    def counting(model, **options):
        calls.append(options.get("chunk_size"))
        return real(model, **options)

    monkeypatch.setattr(batch, "INTEGRATE_RUNS", 3)
    monkeypatch.setattr(batch, "simulate", counting)
    ens = run_batch(m, samples, chunk_size=40, progress=False, method="rk4", dt=0.25)
    assert calls == [3, 3, 3]
    np.testing.assert_array_equal(ens.x.values, whole.x.values)
    calls.clear()
    run_batch(m, samples.iloc[:10], chunk_size=5, progress=False, method="RK45")
    assert calls == [5, 5]


def test_a_process_compiles_an_equal_model_once():
    """Dask workers get a fresh copy of the model with every batch: equal models (same hash)
    share the first one's compilation; a changed model is its own."""
    m = growth_model()
    first = batch._resident(m.copy())
    first.compile()
    assert batch._resident(m.copy()) is first
    other = m.with_params(r=0.2)
    assert batch._resident(other) is other
