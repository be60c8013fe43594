"""Fixtures shared by test modules: one Dask LocalCluster for the Dask analytics tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def dask_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A 2-process ``LocalCluster`` client, shared by the modules that ask for it."""
    from distributed import Client, LocalCluster

    scratch = tmp_path_factory.mktemp("dask-scratch")
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            local_directory=str(scratch),
        ) as cluster,  # fmt: skip
        Client(cluster) as c,
    ):
        yield c
