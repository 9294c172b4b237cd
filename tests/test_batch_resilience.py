"""A study survives a Dask worker process killed part-way (issue 7).

A LocalCluster of two worker processes (with nannies, which restart a dead
worker) runs a batch streamed to a zarr store; a thread kills one worker
process with ``os._exit`` once the first chunks are written. The scheduler
reschedules the lost chunks, and the finished store must equal the
in-process result exactly.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import warnings

import numpy as np
import pytest
import xarray as xr

import gysim
from gysim.batch import run_batch
from tests.helpers import logistic_model

distributed = pytest.importorskip("distributed")


def slow_model() -> gysim.Model:
    return logistic_model(0.3, 100.0, stop=40)


def _kill_one_worker_when_started(pids: dict, store: str, stop: threading.Event) -> list:
    """SIGKILL one worker process as soon as the store holds a finished chunk."""
    while not stop.is_set():
        try:
            done = xr.open_zarr(store, consolidated=False)["_done"].values
        except Exception:
            done = np.zeros(1, bool)
        if done.any():
            pid = sorted(pids.values())[0]
            os.kill(pid, signal.SIGKILL)
            return [pid, int(done.sum()), done.size]
        time.sleep(0.02)
    return []


def test_study_finishes_correctly_when_a_worker_is_killed(tmp_path):
    model = slow_model()
    rng = np.random.default_rng(7)
    samples = {"r": rng.uniform(0.05, 1.0, 4000), "k": rng.uniform(50.0, 200.0, 4000)}
    options = {"method": "euler", "dt": 0.01, "saveper": 1.0}
    expected = run_batch(model, samples, chunk_size=200, progress=False, **options)

    store = str(tmp_path / "study.zarr")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=":0", silence_logs=50)
        client = distributed.Client(cluster)
    stop = threading.Event()
    try:
        pids = client.run(os.getpid)
        box: list = []
        killer = threading.Thread(
            target=lambda: box.extend(_kill_one_worker_when_started(pids, store, stop)))
        killer.start()
        result = run_batch(model, samples, chunk_size=200, progress=False, client=client,
                           store=store, **options)
        stop.set()
        killer.join()
        assert box, "no worker was killed: the study finished before the first chunk was seen"
        assert box[0] not in client.run(os.getpid).values(), "the killed worker is still there"
        assert box[1] < box[2], "the worker was killed only after every chunk was written"
        result = result.load()
    finally:
        stop.set()
        client.close()
        cluster.close()
    np.testing.assert_array_equal(result["x"].values, expected["x"].values)
    np.testing.assert_array_equal(result["growth"].values, expected["growth"].values)
    assert xr.open_zarr(store, consolidated=False)["_done"].values.all()
