"""The Dask engine reads CSV exports as the pandas engine does."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from distributed import Client
from estate_files import normalized, read_quiet

from flowkit.engine.dask.read import read_dask, read_dask_quarantine

pytestmark = [pytest.mark.dask, pytest.mark.slow]
CSV = Path(__file__).parent / "data" / "csv"


def test_read_dask_of_csv_exports_equals_pandas(dask_client: Client) -> None:
    files = [str(p) for p in sorted(CSV.glob("*.csv"))]
    expected = read_quiet(files)
    ddf = read_dask(files, partition_bytes=300, client=dask_client)  # several partitions
    assert ddf.npartitions >= 3
    got = dask_client.compute(ddf).result()
    assert len(got) == len(expected) == 10
    pd.testing.assert_frame_equal(normalized(got), normalized(expected), check_categorical=False)
    assert list(got.columns) == list(expected.columns)
    assert len(read_dask_quarantine(files, client=dask_client)) == 3


def test_read_dask_of_nothing_warns_as_pandas_does(tmp_path: Path) -> None:
    import flowkit as fk

    with pytest.warns(fk.NoEvidenceWarning, match="nothing read: no flow-log files"):
        ddf = read_dask(tmp_path)
    assert len(ddf.compute()) == 0
