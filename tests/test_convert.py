"""Tests for flowkit.convert: text/gzip/CloudWatch inputs to a Hive-partitioned Parquet folder."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from estate_files import HEADER, normalized, read_quiet, write_estate

import flowkit as fk
from flowkit.conversion import (
    MANIFEST,
    QUARANTINE,
    arrow_schema,
    convert,
    partition_window,
    read_converted_quarantine,
)


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Files every 25 minutes over 3 hours; a bad line and a bad number in one file."""
    return write_estate(tmp_path_factory.mktemp("estate"), seed=7, step=5, per_file=(50, 150),
                        bad_at=10, bad_number=True, events=20)  # fmt: skip


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
    assert main(["convert", src, str(tmp_path / "out"), "--no-progress"]) == 0
    out, err = capsys.readouterr()
    assert "converted 8 input(s)" in out
    assert err.startswith("flowkit convert: warning: ")  # one line each
    assert "quarantined" in err
    assert main(["convert", src, str(tmp_path / "out"), "--no-progress"]) == 0
    assert "skipped 8 already converted: 0 records" in capsys.readouterr().out
    bad = tmp_path / "bad.log"
    bad.write_text("2 not a record\n")
    assert main(["convert", str(bad), str(tmp_path / "o2"), "--errors", "raise"]) == 2
    assert "expected 14 fields" in capsys.readouterr().err
