"""Tests for flowkit.convert: text/gzip/CloudWatch inputs to a Hive-partitioned Parquet folder."""

from __future__ import annotations

import gzip
import json
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import flowkit as fk
from flowkit.convert import (
    MANIFEST,
    QUARANTINE,
    arrow_schema,
    convert,
    partition_window,
    read_converted_quarantine,
)

HEADER = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    "start end action log-status"
)
V5_HEADER = HEADER + " vpc-id flow-direction traffic-path"
T0 = datetime(2024, 6, 8, 0, 0, tzinfo=UTC)


def _records(
    rng: np.random.Generator, n: int, window: datetime, account: str, v5: bool
) -> list[str]:
    """``n`` default-format records ending in the 5-minute window at ``window``."""
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


def write_estate(root: Path, seed: int = 7) -> Path:
    """A small estate: two accounts and regions over three hours, gzip and plain text, a v5
    format, NODATA records, bad lines, a CloudWatch JSON dump and an empty file."""
    rng = np.random.default_rng(seed)
    for account, region, v5 in (("111122223333", "us-east-1", False),
                                ("444455556666", "eu-west-1", True)):  # fmt: skip
        for k in range(0, 36, 5):  # every 25 minutes over 3 hours
            window = T0 + timedelta(minutes=5 * k)
            folder = (
                root / "AWSLogs" / account / "vpcflowlogs" / region / window.strftime("%Y/%m/%d")
            )
            folder.mkdir(parents=True, exist_ok=True)
            lines = _records(rng, int(rng.integers(50, 150)), window, account, v5)
            t = int(window.timestamp())
            nodata = f"2 {account} eni-00ff - - - - - - - {t} {t + 60} - NODATA"
            if v5:
                nodata += " - - -"
            lines.insert(3, nodata)
            if k == 10:
                lines.insert(5, "this is not a flow record")
                tokens = lines[8].split()
                tokens[7] = "x6"  # protocol is not a number
                lines.insert(9, " ".join(tokens))
            stem = f"{account}_vpcflowlogs_{region}_fl-0abc_{window:%Y%m%dT%H%MZ}_{k:08x}.log"
            body = "\n".join([V5_HEADER if v5 else HEADER, *lines]) + "\n"
            if k % 2:
                (folder / stem).write_text(body)
            else:
                (folder / f"{stem}.gz").write_bytes(gzip.compress(body.encode()))
    cw = root / "cloudwatch"
    cw.mkdir()
    events = [
        {"message": line, "ingestionTime": 1717804800123 + i, "logStreamName": f"eni-{i % 2}"}
        for i, line in enumerate(_records(rng, 20, T0 + timedelta(hours=1), "111122223333", False))
    ]
    (cw / "events.log").write_text(json.dumps({"events": events}))
    (cw / "empty.log").write_text("")
    return root


def read_quiet(source: object, **options: object) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return fk.read(source, **options)  # type: ignore[arg-type,call-overload,no-any-return]


def normalized(df: pd.DataFrame) -> pd.DataFrame:
    """Sorted categories, rows sorted by every column, a fresh index (order-free comparison)."""
    out = df.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].cat.set_categories(sorted(out[col].cat.categories))
    out = out.sort_values(list(out.columns), kind="stable", na_position="first")
    out = out.reset_index(drop=True)
    out.attrs = {}
    return out


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_estate(tmp_path_factory.mktemp("estate"))


@pytest.fixture(scope="module")
def converted(estate: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("converted") / "parquet"
    with pytest.warns(UserWarning, match="quarantined"):
        convert(estate, out, progress=False, batch_bytes=20_000)
    return out


def test_convert_round_trip_preserves_dtypes_and_values(estate: Path, converted: Path) -> None:
    original = read_quiet(estate, enrich=False)
    back = read_quiet(converted, enrich=False)
    assert len(original) > 1000
    assert list(back.columns) == list(original.columns)
    assert back.dtypes.to_dict() == original.dtypes.to_dict()
    pd.testing.assert_frame_equal(normalized(back), normalized(original))


def test_convert_round_trip_keeps_cloudwatch_ingestion_time(estate: Path, converted: Path) -> None:
    back = read_quiet(converted, enrich=False)
    times = back["ingestion_time"].dropna().sort_values()
    assert back["ingestion_time"].dtype == "datetime64[ms, UTC]"
    assert times.iloc[0] == pd.Timestamp(1717804800123, unit="ms", tz="UTC")
    assert len(times) == 20
    assert sorted(back["log_stream"].dropna().unique()) == ["eni-0", "eni-1"]


def test_convert_writes_field_table_types_with_zstd(converted: Path) -> None:
    part = next(converted.rglob("part-*.parquet"))
    schema = pq.read_schema(part)
    assert schema.field("account_id").type == pa.dictionary(pa.int32(), pa.string())
    assert schema.field("dstport").type == pa.uint16()
    assert schema.field("bytes").type == pa.uint64()
    assert schema.field("start").type == pa.timestamp("ms", tz="UTC")  # Parquet has no seconds
    starts = pq.read_table(part, columns=["start"])["start"].cast(pa.int64()).to_numpy()
    assert (starts % 1000 == 0).all()
    meta = pq.ParquetFile(part).metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"


def test_convert_partitions_by_account_region_date_hour(converted: Path) -> None:
    parts = sorted(converted.rglob("part-*.parquet"))
    folders = {p.parent.relative_to(converted).as_posix() for p in parts}
    assert "account=111122223333/region=us-east-1/date=2024-06-08/hour=00" in folders
    assert "account=444455556666/region=eu-west-1/date=2024-06-08/hour=02" in folders
    for part in parts:
        window = partition_window(part.as_posix())
        assert window is not None
        ends = pq.read_table(part, columns=["end"])["end"].to_pandas()
        assert ends.min() >= pd.Timestamp(window[0])
        assert ends.max() < pd.Timestamp(window[1])


def test_convert_single_account_has_no_account_levels(estate: Path, tmp_path: Path) -> None:
    src = estate / "AWSLogs" / "111122223333"
    out = tmp_path / "one"
    with pytest.warns(UserWarning, match="quarantined"):
        summary = convert(src, out, progress=False)
    folders = {p.parent.relative_to(out).parts[0] for p in out.rglob("part-*.parquet")}
    assert folders == {"date=2024-06-08"}
    assert summary.records == len(read_quiet(src))


def test_convert_writes_quarantine_beside(estate: Path, converted: Path) -> None:
    expected = fk.quarantine(read_quiet(estate)).sort_values(["file", "line"], ignore_index=True)
    got = read_converted_quarantine(converted).sort_values(["file", "line"], ignore_index=True)
    assert len(expected) == 5  # per account a bad line and a bad number; an empty file
    assert expected["reason"].str.contains("protocol").sum() == 2
    pd.testing.assert_frame_equal(got, expected)
    assert (converted / QUARANTINE).exists()


def test_convert_resumes_by_manifest(estate: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    files = sorted((estate / "AWSLogs" / "111122223333").rglob("*.log*"))[:4]
    for f in files[:3]:
        (src / f.name).write_bytes(f.read_bytes())
    out = tmp_path / "out"
    with pytest.warns(UserWarning, match="2 line"):
        first = convert(src, out, progress=False, batch_bytes=1)
    assert (first.inputs_converted, first.inputs_skipped) == (3, 0)
    assert first.parts_written >= 3
    parts_before = sorted(out.rglob("part-*.parquet"))
    again = convert(src, out, progress=False)
    assert (again.inputs_converted, again.inputs_skipped, again.records) == (0, 3, 0)
    assert sorted(out.rglob("part-*.parquet")) == parts_before
    (src / files[3].name).write_bytes(files[3].read_bytes())
    (out / ".staging" / "junk").mkdir(parents=True)  # left by an interrupted run
    third = convert(src, out, progress=False)
    assert (third.inputs_converted, third.inputs_skipped) == (1, 3)
    assert not (out / ".staging").exists()
    manifest = [json.loads(x) for x in (out / MANIFEST).read_text().splitlines()]
    assert len(manifest) == 4
    assert sum(e["records"] for e in manifest) == first.records + third.records
    pd.testing.assert_frame_equal(normalized(read_quiet(out)), normalized(read_quiet(src)))


def test_convert_raise_stops_on_bad_lines(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.log").write_text(f"{HEADER}\nnot a record\n")
    with pytest.raises(fk.ParseError) as info:
        convert(tmp_path / "in", tmp_path / "out", errors="raise", progress=False)
    assert info.value.failure_cases["line"].tolist() == [2]


def test_convert_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="errors"):
        convert(tmp_path, tmp_path / "o", errors="skip")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="batch_bytes"):
        convert(tmp_path, tmp_path / "o", batch_bytes=0)


def test_partition_window_ignores_other_folders() -> None:
    assert partition_window("AWSLogs/1/vpcflowlogs/us-east-1/2024/06/08/x.log.gz") is None
    assert partition_window("o/date=__HIVE_DEFAULT_PARTITION__/hour=x/p.parquet") is None


def test_arrow_schema_of_unknown_and_extra_columns() -> None:
    schema = arrow_schema(["some_new_field", "log_stream", "ingestion_time", "end"])
    assert schema.types == [
        pa.string(),
        pa.dictionary(pa.int32(), pa.string()),
        pa.int64(),
        pa.timestamp("s", tz="UTC"),
    ]


def test_cli_convert_verb(estate: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from flowkit.cli import main

    src = str(estate / "AWSLogs" / "444455556666")
    with pytest.warns(UserWarning, match="quarantined"):
        assert main(["convert", src, str(tmp_path / "out"), "--no-progress"]) == 0
    assert "converted 8 input(s)" in capsys.readouterr().out
    assert main(["convert", src, str(tmp_path / "out"), "--no-progress"]) == 0
    assert "skipped 8 already converted: 0 records" in capsys.readouterr().out
    bad = tmp_path / "bad.log"
    bad.write_text("not a record\n")
    assert main(["convert", str(bad), str(tmp_path / "o2"), "--errors", "raise"]) == 2
    assert "expected 14 fields" in capsys.readouterr().err
