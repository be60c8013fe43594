"""Tests for flowkit.summary: per-file count tables and log-status coverage per interface."""

from __future__ import annotations

import gzip
import warnings
from pathlib import Path

import pandas as pd
import pytest

import flowkit as fk
from flowkit.errors import MissingFieldsError
from flowkit.summary import COUNT_COLUMNS, status_by_interface, summarize_files

HEADER = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    "start end action log-status"
)
OK_LINE = (
    "2 123456789010 eni-0a1 192.0.2.1 198.51.100.2 49152 443 6 10 840 1700000000 1700000060 "
    "ACCEPT OK"
)
NODATA = "2 123456789010 eni-0b2 - - - - - - - 1700000000 1700000600 - NODATA"
SKIPDATA = "2 123456789010 eni-0a1 - - - - - - - 1700000000 1700000600 - SKIPDATA"


def _read(source: object) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return fk.read(source)  # type: ignore[arg-type]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    day = tmp_path / "AWSLogs" / "123456789010" / "vpcflowlogs" / "us-east-1" / "2023" / "11" / "14"
    day.mkdir(parents=True)
    (day / "b.log.gz").write_bytes(gzip.compress(f"{HEADER}\n{OK_LINE}\n{NODATA}\n".encode()))
    (day / "a.log").write_text(f"{HEADER}\n{OK_LINE}\n\nbogus line here\n{SKIPDATA}\n")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "c.log.gz").write_bytes(gzip.compress(b"version account-id")[:12])
    return tmp_path


def test_summarize_files_counts_per_file_relative_and_sorted(folder: Path) -> None:
    table = summarize_files(_read(folder))
    assert list(table.columns) == ["file", *COUNT_COLUMNS, "reconciled"]
    day = "AWSLogs/123456789010/vpcflowlogs/us-east-1/2023/11/14"
    assert table["file"].tolist() == [f"{day}/a.log", f"{day}/b.log.gz", "other/c.log.gz"]
    a, b, c = table.to_dict("records")
    assert (
        a["lines_read"],
        a["records"],
        a["quarantined"],
        a["header_lines"],
        a["blank_lines"],
    ) == (
        5,
        2,
        1,
        1,
        1,
    )
    assert (b["lines_read"], b["records"], b["quarantined"]) == (3, 2, 0)
    assert c["file_errors"] == 1
    assert c["records"] == 0
    assert table["reconciled"].all()
    assert table.dtypes["records"] == "int64"


def test_summarize_files_flags_counts_that_do_not_reconcile() -> None:
    df = pd.DataFrame({"x": [1]})
    df.attrs["flowkit"] = {
        "files": {
            "/data/x/one.log": dict.fromkeys(COUNT_COLUMNS, 0) | {"lines_read": 3, "records": 2},
            "/data/y/two.log": dict.fromkeys(COUNT_COLUMNS, 0) | {"lines_read": 1, "records": 1},
        }
    }
    table = summarize_files(df)
    assert table["file"].tolist() == ["x/one.log", "y/two.log"]
    assert table["reconciled"].tolist() == [False, True]


def test_summarize_files_does_not_change_input_and_handles_plain_frames(folder: Path) -> None:
    df = _read(folder)
    before = df.copy()
    summarize_files(df)
    pd.testing.assert_frame_equal(df, before)
    empty = summarize_files(pd.DataFrame({"a": [1]}))
    assert empty.empty
    assert list(empty.columns) == ["file", *COUNT_COLUMNS, "reconciled"]


def test_status_by_interface_counts_every_status(folder: Path) -> None:
    table = status_by_interface(_read(folder))
    expected = pd.DataFrame(
        {
            "interface_id": ["eni-0a1", "eni-0b2"],
            "OK": [2, 0],
            "NODATA": [0, 1],
            "SKIPDATA": [1, 0],
            "total": [3, 1],
        }
    ).astype({c: "int64" for c in ("OK", "NODATA", "SKIPDATA", "total")})
    pd.testing.assert_frame_equal(table, expected, check_dtype=False)
    assert table["total"].sum() == 4


def test_status_by_interface_keeps_unknown_statuses_and_missing_interfaces() -> None:
    df = pd.DataFrame(
        {
            "interface_id": pd.Series(["eni-1", None, "eni-1"], dtype="category"),
            "log_status": pd.Series(["OK", "OK", "PARTIAL"], dtype="category"),
        }
    )
    table = status_by_interface(df)
    assert list(table.columns) == ["interface_id", "OK", "NODATA", "SKIPDATA", "PARTIAL", "total"]
    assert table.set_index("interface_id")["total"].to_dict() == {"(none)": 1, "eni-1": 2}


def test_status_by_interface_needs_its_columns() -> None:
    with pytest.raises(MissingFieldsError, match="log_status"):
        status_by_interface(pd.DataFrame({"interface_id": ["eni-1"]}))


def test_loaded_frames_survive_filter_and_groupby(folder: Path) -> None:
    # The notebooks filter and group loaded frames; pandas compares attrs when it concatenates,
    # which failed when the provenance (holding the quarantine frame) was deep-copied.
    df = _read(folder)
    mine = df[df["interface_id"] == "eni-0a1"]
    per_peer = mine.groupby("dstaddr", observed=True)["bytes"].sum()
    assert per_peer.to_dict() == {"198.51.100.2": 1680}
    pd.testing.assert_frame_equal(fk.quarantine(mine), fk.quarantine(df))
