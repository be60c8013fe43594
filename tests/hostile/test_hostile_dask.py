"""A multi-partition Dask frame computes to the pandas engine's sorted categories (issue 16
item 13), on the threaded scheduler and on a LocalCluster."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hostile import T0, write_log

import flowkit as fk
from flowkit.engine.dask.read import read_dask


def unlike(got: pd.DataFrame | pd.Series, expected: pd.DataFrame) -> list[str]:
    """Categorical columns whose categories are not the pandas engine's (in its order)."""
    frame = got.to_frame() if isinstance(got, pd.Series) else got
    return [str(c) for c in frame.select_dtypes("category").columns
            if frame[c].cat.categories.tolist() != expected[c].cat.categories.tolist()]  # fmt: skip


def _files(root: Path) -> Path:
    for i, (eni, addr) in enumerate([("eni-c", "10.0.0.9"), ("eni-a", "10.0.0.1"),
                                      ("eni-b", "10.0.0.5")]):  # fmt: skip
        write_log(root / f"{i}.log", [f"2 12345678901{i} {eni} {addr} 198.51.100.{9 - i} "
                                      f"4000{i} 443 6 1 40 {T0} {T0 + 60} ACCEPT OK"])  # fmt: skip
    return root


@pytest.mark.parametrize("enrich", [True, False])
def test_computed_categories_are_sorted_like_pandas(tmp_path: Path, enrich: bool) -> None:
    root = _files(tmp_path)
    ddf = read_dask(root, partition_bytes=1, enrich=enrich)
    assert ddf.npartitions == 3
    whole = ddf.compute(scheduler="threads")
    expected = fk.read(root, enrich=enrich)
    assert unlike(whole, expected) == []
    assert unlike(ddf[ddf["bytes"] > 0].compute(scheduler="threads"), expected) == []
    assert unlike(ddf["interface_id"].compute(scheduler="threads"), expected) == []
    assert whole["interface_id"].cat.categories.tolist() == ["eni-a", "eni-b", "eni-c"]


@pytest.mark.dask
def test_computed_categories_are_sorted_on_a_cluster(tmp_path: Path, dask_client: Any) -> None:
    root = _files(tmp_path)
    ddf = read_dask(root, partition_bytes=1, client=dask_client)
    assert unlike(dask_client.compute(ddf).result(), fk.read(root)) == []
