"""Tests for the Dask engine: the same frames as the pandas engine, on a 2-process LocalCluster."""

from __future__ import annotations

import gzip
import json
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from distributed import Client, LocalCluster

import flowkit as fk
from flowkit.convert import convert
from flowkit.engine_dask import plan_partitions, read_dask, read_dask_quarantine

pytestmark = [pytest.mark.dask, pytest.mark.slow]

HEADER = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    "start end action log-status"
)
V5_HEADER = HEADER + " vpc-id flow-direction traffic-path"
T0 = datetime(2024, 6, 8, 0, 0, tzinfo=UTC)


def _records(
    rng: np.random.Generator, n: int, window: datetime, account: str, v5: bool
) -> list[str]:
    end = int(window.timestamp()) + rng.integers(0, 300, n)
    start = end - rng.integers(0, 61, n)
    src = rng.integers(1, 40, n)
    dst = rng.integers(1, 40, n)
    dport = rng.choice([22, 80, 443, 3389, 53], n)
    proto = rng.choice([6, 17, 1], n)
    packets = rng.integers(1, 100, n)
    size = packets * rng.integers(40, 1500, n)
    action = rng.choice(["ACCEPT", "REJECT"], n, p=[0.8, 0.2])
    lines = []
    for i in range(n):
        line = (
            f"{5 if v5 else 2} {account} eni-{src[i] % 7:04x} 10.0.0.{src[i]} 198.51.100.{dst[i]} "
            f"{40000 + i % 2000} {dport[i]} {proto[i]} {packets[i]} {size[i]} {start[i]} {end[i]} "
            f"{action[i]} OK"
        )
        if v5:
            line += (
                f" vpc-0a{src[i] % 3} {'egress' if i % 2 else 'ingress'} {'1' if i % 2 else '-'}"
            )
        lines.append(line)
    return lines


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two accounts over three hours (gzip and text, default and v5 formats, NODATA records,
    bad lines), a CloudWatch JSON dump and an empty file."""
    root = tmp_path_factory.mktemp("estate")
    rng = np.random.default_rng(11)
    for account, region, v5 in (("111122223333", "us-east-1", False),
                                ("444455556666", "eu-west-1", True)):  # fmt: skip
        for k in range(0, 36, 3):
            window = T0 + timedelta(minutes=5 * k)
            folder = root / "AWSLogs" / account / "vpcflowlogs" / region / f"{window:%Y/%m/%d}"
            folder.mkdir(parents=True, exist_ok=True)
            lines = _records(rng, int(rng.integers(200, 400)), window, account, v5)
            t = int(window.timestamp())
            lines.insert(3, f"2 {account} eni-00ff - - - - - - - {t} {t + 60} - NODATA"
                         + (" - - -" if v5 else ""))  # fmt: skip
            if k == 9:
                lines.insert(5, "this is not a flow record")
            stem = f"{account}_vpcflowlogs_{region}_fl-0abc_{window:%Y%m%dT%H%MZ}_{k:08x}.log"
            body = "\n".join([V5_HEADER if v5 else HEADER, *lines]) + "\n"
            if k % 2:
                (folder / stem).write_text(body)
            else:
                (folder / f"{stem}.gz").write_bytes(gzip.compress(body.encode()))
    events = [
        {"message": line, "ingestionTime": 1717804800123 + i, "logStreamName": f"eni-{i % 2}"}
        for i, line in enumerate(_records(rng, 30, T0 + timedelta(hours=1), "111122223333", False))
    ]
    (root / "cloudwatch").mkdir()
    (root / "cloudwatch" / "events.log").write_text(json.dumps({"events": events}))
    (root / "cloudwatch" / "empty.log").write_text("")
    return root


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
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


@pytest.fixture(scope="module")
def expected(estate: Path) -> pd.DataFrame:
    """The pandas engine's frame of the estate."""
    return read_quiet(estate)


def read_quiet(source: object, **options: object) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return fk.read(source, **options)  # type: ignore[arg-type,call-overload,no-any-return]


def normalized(df: pd.DataFrame) -> pd.DataFrame:
    """Sorted categories, rows sorted by every column, a fresh index (order-free comparison)."""
    out = df.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            used = out[col].cat.remove_unused_categories()  # a time filter keeps unused ones
            out[col] = used.cat.set_categories(sorted(used.cat.categories))
    out = out.sort_values(list(out.columns), kind="stable", na_position="first")
    out = out.reset_index(drop=True)
    out.attrs = {}
    return out


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
