"""Fixtures shared by the test modules."""

from __future__ import annotations

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
