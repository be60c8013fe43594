"""Fixtures shared by test modules: one Dask LocalCluster for the Dask tests, and the Dask
frames they compare with the pandas engine (the sample in several partitions, and the split
estate of :mod:`dask_split` with one file per partition)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from dask_split import write_split
from estate_files import read_quiet

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


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


@pytest.fixture(scope="session")
def sample_dask(dask_client: object) -> object:
    """The committed sample read with the Dask engine, in at least 6 partitions."""
    from flowkit.engine.dask.read import read_dask

    ddf = read_dask(SAMPLE, partition_bytes=4_000_000)
    assert ddf.npartitions >= 6
    return ddf


@pytest.fixture(scope="session")
def split_frames(
    tmp_path_factory: pytest.TempPathFactory, dask_client: object
) -> tuple[pd.DataFrame, object, list[pd.DataFrame]]:
    """The split estate (:mod:`dask_split`): the pandas frame, the Dask frame (one file per
    partition) and the partitions as pandas frames."""
    from flowkit.engine.dask.read import read_dask

    root = write_split(tmp_path_factory.mktemp("split"))
    ddf = read_dask(root, partition_bytes=1)
    assert ddf.npartitions == 3
    return read_quiet(root), ddf, [ddf.get_partition(i).compute() for i in range(3)]
