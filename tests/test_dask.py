"""Tests for the Dask engine: the same frames as the pandas engine, on a 2-process LocalCluster."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from distributed import Client
from estate_files import normalized, read_quiet, write_estate

import flowkit as fk
from flowkit.conversion import convert
from flowkit.engine.dask.read import plan_partitions, read_dask, read_dask_quarantine

pytestmark = [pytest.mark.dask, pytest.mark.slow]


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two accounts over three hours (gzip and text, default and v5 formats, NODATA records,
    bad lines), a CloudWatch JSON dump and an empty file."""
    return write_estate(tmp_path_factory.mktemp("estate"), seed=11, step=3, per_file=(200, 400),
                        bad_at=9, bad_number=False, events=30)  # fmt: skip


@pytest.fixture(scope="module")
def client(dask_client: Client) -> Client:
    """The session's 2-process ``LocalCluster`` (``tests/conftest.py``)."""
    return dask_client


@pytest.fixture(scope="module")
def expected(estate: Path) -> pd.DataFrame:
    """The pandas engine's frame of the estate."""
    return read_quiet(estate)


def kinds(dtypes: pd.Series) -> dict[str, object]:
    """dtypes, with a categorical's categories reduced to their dtype (they differ by partition)."""
    return {
        c: ("category", str(d.categories.dtype)) if isinstance(d, pd.CategoricalDtype) else d
        for c, d in dtypes.items()
    }


SMALL = 150_000  # bytes of text per partition: several partitions on the test estate


def test_read_dask_equals_pandas(estate: Path, client: Client, expected: pd.DataFrame) -> None:
    ddf = read_dask(estate, partition_bytes=SMALL, client=client)
    assert ddf.npartitions >= 4
    assert kinds(ddf.dtypes) == kinds(expected.dtypes)
    got = client.compute(ddf).result()
    assert len(got) == len(expected) > 5000
    assert got.dtypes.to_dict() == expected.dtypes.to_dict()
    assert {"vpc_id", "log_stream", "ingestion_time", "protocol_name"} <= set(got.columns)
    pd.testing.assert_frame_equal(normalized(got), normalized(expected))


def test_partitions_have_pandas_dtypes(
    estate: Path, client: Client, expected: pd.DataFrame
) -> None:
    ddf = read_dask(estate, partition_bytes=SMALL)
    first = ddf.get_partition(0).compute()
    last = ddf.get_partition(ddf.npartitions - 1).compute()
    assert kinds(first.dtypes) == kinds(expected.dtypes)
    assert kinds(last.dtypes) == kinds(expected.dtypes)
    assert first["vpc_id"].isna().all() or last["vpc_id"].isna().all()


def test_fk_read_engine_dask(estate: Path, client: Client, expected: pd.DataFrame) -> None:
    ddf = fk.read(estate, engine="dask", client=client)
    assert int(ddf["bytes"].sum().compute()) == int(expected["bytes"].sum())
    with pytest.raises(ValueError, match="engine"):
        fk.read(estate, engine="spark")  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="engine='dask' reads local files"):
        fk.read("s3://bucket/AWSLogs/", engine="dask")


def test_groupby_on_dask_equals_pandas(
    estate: Path, client: Client, expected: pd.DataFrame
) -> None:
    pdf = expected
    ddf = read_dask(estate, partition_bytes=SMALL)
    got = ddf.groupby("dstport")["bytes"].sum().compute().sort_index()
    by_port = pdf.groupby("dstport")["bytes"].sum().sort_index()
    pd.testing.assert_series_equal(got, by_port, check_dtype=False)
    rejected = ddf[ddf["action"] == "REJECT"].groupby("srcaddr", observed=True).size()
    expected_rej = pdf[pdf["action"] == "REJECT"].groupby("srcaddr", observed=True).size()
    got_rej = rejected.compute()
    got_rej.index = got_rej.index.astype(str)
    expected_rej.index = expected_rej.index.astype(str)
    pd.testing.assert_series_equal(got_rej.sort_index(), expected_rej.sort_index())


def test_read_dask_time_window_prunes_and_filters(estate: Path, client: Client) -> None:
    start, end = "2024-06-08T01:00:00", "2024-06-08T02:00:00"
    expected = read_quiet(estate, start=start, end=end)
    full = read_dask(estate, partition_bytes=SMALL)
    ddf = read_dask(estate, start=start, end=end, partition_bytes=SMALL)
    assert ddf.npartitions < full.npartitions
    got = ddf.compute()
    assert 0 < len(got) < len(full)
    pd.testing.assert_frame_equal(normalized(got), normalized(expected))


def test_read_dask_quarantine_equals_pandas(
    estate: Path, client: Client, expected: pd.DataFrame
) -> None:
    table = fk.quarantine(expected).sort_values(["file", "line"], ignore_index=True)
    got = read_dask_quarantine(estate, partition_bytes=SMALL, client=client)
    assert len(table) == 3  # two bad lines, one empty file
    pd.testing.assert_frame_equal(got, table)


def test_read_dask_errors_raise_on_compute(estate: Path, client: Client) -> None:
    ddf = read_dask(estate, errors="raise", partition_bytes=SMALL)
    with pytest.raises(fk.ParseError):
        ddf.compute()


def test_parquet_round_trip_on_dask(
    estate: Path, client: Client, expected: pd.DataFrame, tmp_path: Path
) -> None:
    out = tmp_path / "parquet"
    with pytest.warns(UserWarning, match="quarantined"):
        convert(estate, out, progress=False, batch_bytes=40_000)
    ddf = read_dask(out, partition_bytes=400_000, client=client)
    assert ddf.npartitions > 1
    got = ddf.compute()
    assert got.dtypes.to_dict() == expected.dtypes.to_dict()
    pd.testing.assert_frame_equal(normalized(got), normalized(expected))
    start, end = "2024-06-08T02:00:00", "2024-06-08T02:30:00"
    window = read_dask(out, start=start, end=end, partition_bytes=1)
    assert window.npartitions < len(list(out.rglob("part-*.parquet")))
    pd.testing.assert_frame_equal(
        normalized(window.compute()), normalized(read_quiet(estate, start=start, end=end))
    )


def test_plan_partitions_keeps_order_and_rejects_bad_size(tmp_path: Path) -> None:
    paths = []
    for i, size in enumerate([10, 10, 30, 5]):
        p = tmp_path / f"{i}.log"
        p.write_bytes(b"x" * size)
        paths.append(str(p))
    assert plan_partitions(paths, 25) == [tuple(paths[:2]), (paths[2],), (paths[3],)]
    with pytest.raises(ValueError, match="partition_bytes"):
        plan_partitions(paths, 0)


def test_read_dask_empty_folder_has_meta(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    ddf = read_dask(tmp_path / "empty")
    assert len(ddf.compute()) == 0
    assert list(ddf.columns)[:3] == ["version", "account_id", "interface_id"]
