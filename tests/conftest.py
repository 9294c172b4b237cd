"""Fixtures shared by the test modules."""

from __future__ import annotations

import signal
import warnings

import pytest


@pytest.fixture(scope="session")
def dask_client():
    """A small in-process Dask LocalCluster (2 workers), started by the tests themselves."""
    distributed = pytest.importorskip("distributed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                           dashboard_address=":0")
        client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture
def deadline():
    """Fail (instead of hanging) a test that takes more than 60 s."""
    def expire(*_):
        raise TimeoutError("the call did not return within 60 s")
    old = signal.signal(signal.SIGALRM, expire)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)
