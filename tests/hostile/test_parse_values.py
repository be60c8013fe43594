"""Issue 16 item 13 (parse part): text after a gzip member, epoch units, IPv4-mapped IPv6 and
invalid addresses; every line read stays a record, a quarantined line, a header or a blank."""

from __future__ import annotations

import gzip
import warnings
from pathlib import Path

import pandas as pd
import pytest
from parse_cases import ACCEPT, HEADER, NODATA, REJECT, quarantined, quiet_read

import flowkit as fk

TAIL = "text after the end of the gzip data"


def test_records_appended_after_a_gzip_member_are_counted_and_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "a.log.gz"
    path.write_bytes(
        gzip.compress(f"{HEADER}\n{ACCEPT}\n".encode()) + f"{REJECT}\n{NODATA}\n".encode()
    )
    df = quiet_read(path)
    assert df["action"].tolist() == ["ACCEPT"]
    q = fk.quarantine(df)
    assert q["line"].tolist() == [3, 4]
    assert q["raw"].tolist() == [REJECT, NODATA]
    assert q["reason"].str.startswith(TAIL).all()
    c = df.attrs["flowkit"]["files"][str(path)]
    assert c == {"lines_read": 4, "records": 1, "quarantined": 2, "header_lines": 1,
                 "blank_lines": 0, "file_errors": 0}  # fmt: skip


@pytest.mark.parametrize(
    ("tail", "blank", "bad"), [(b"x", 0, 1), (b"\n", 1, 0), (b"\x00" * 7, 0, 0)]
)
def test_one_trailing_byte_is_a_line_not_a_truncated_stream(
    tmp_path: Path, tail: bytes, blank: int, bad: int
) -> None:
    path = tmp_path / "a.log.gz"
    path.write_bytes(gzip.compress(f"{HEADER}\n{ACCEPT}\n".encode()) + tail)
    df = quiet_read(path)
    assert len(df) == 1
    c = df.attrs["flowkit"]["files"][str(path)]
    assert (c["blank_lines"], c["quarantined"], c["file_errors"]) == (blank, bad, 0)
    assert all(reason.startswith(TAIL) for _, reason in quarantined(df))


def test_a_second_gzip_member_after_the_first_is_read(tmp_path: Path) -> None:
    path = tmp_path / "a.log.gz"
    path.write_bytes(
        gzip.compress(f"{HEADER}\n{ACCEPT}\n".encode()) + gzip.compress(f"{REJECT}\n".encode())
    )
    assert quiet_read(path)["action"].tolist() == ["ACCEPT", "REJECT"]


def test_year_2039_seconds_are_seconds_without_a_warning() -> None:
    line = ACCEPT.replace("1418530010", "2200000000").replace("1418530070", "2200000060")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = fk.parse_lines([line], enrich=False)
    assert df["start"].iloc[0] == pd.Timestamp("2039-09-18 23:06:40", tz="UTC")
    assert df.attrs["flowkit"]["times_in_milliseconds"] == 0


def test_millisecond_values_are_read_as_milliseconds_with_a_warning() -> None:
    line = ACCEPT.replace("1418530010", "1418530010123")
    with pytest.warns(UserWarning, match="1 start/end value.* read as milliseconds"):
        df = fk.parse_lines([line, ACCEPT], enrich=False)
    assert df["start"].tolist() == [pd.Timestamp(1418530010, unit="s", tz="UTC")] * 2
    assert df.attrs["flowkit"]["times_in_milliseconds"] == 1


@pytest.mark.parametrize(
    "mapped", ["::ffff:192.0.2.139", "::FFFF:c000:28b", "0:0:0:0:0:ffff:192.0.2.139"]
)
def test_ipv4_mapped_ipv6_is_read_as_ipv4(mapped: str) -> None:
    df = fk.parse_lines([ACCEPT.replace("192.0.2.139", mapped)], enrich=False)
    assert df["srcaddr"].tolist() == ["192.0.2.139"]


@pytest.mark.parametrize(
    "address",
    [
        "999.0.2.139",
        "hello",
        "192.0.2",
        "192.0.2.1/24",
        "2001:db8::gg",
        "01.2.3.4",
        "::ffff:999.1.1.1",
    ],
)
def test_invalid_addresses_are_quarantined(address: str) -> None:
    with pytest.warns(UserWarning, match="quarantined"):
        df = fk.parse_lines([ACCEPT.replace("192.0.2.21", address), REJECT], enrich=False)
    assert df["action"].tolist() == ["REJECT"]
    assert fk.quarantine(df)["reason"].tolist() == [
        f"field 'dstaddr' is not an IP address: {address!r}"
    ]


def test_packet_addresses_are_checked_too() -> None:
    fields = "version srcaddr dstaddr pkt-srcaddr pkt-dstaddr action"
    lines = ["5 10.0.0.1 10.0.0.2 203.0.113.9 - ACCEPT", "5 10.0.0.1 10.0.0.2 not-an-ip - ACCEPT"]
    with pytest.warns(UserWarning, match="quarantined"):
        df = fk.parse_lines([fields, *lines], enrich=False)
    assert len(df) == 1
    assert fk.quarantine(df)["reason"].tolist() == [
        "field 'pkt-srcaddr' is not an IP address: 'not-an-ip'"
    ]
