"""The text parser (flowkit.parse.text): fast path, careful path, and their accounting."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from flowkit.parse.fast import fast_parse
from flowkit.parse.lines import RAW_LIMIT, header_verdict
from flowkit.parse.text import (
    FileCounts,
    ParsedPart,
    arrow_type,
    parse_careful,
)
from flowkit.schema import DEFAULT_FIELDS

HEADER = " ".join(DEFAULT_FIELDS)
ACCEPT = "2 123456789010 eni-1235b8ca123456789 192.0.2.139 192.0.2.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"  # noqa: E501
REJECT = "2 123456789010 eni-1235b8ca123456789 192.0.2.69 192.0.2.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK"  # noqa: E501
NODATA = "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA"


def body(*lines: str) -> bytes:
    return "".join(line + "\n" for line in lines).encode()


def parse_clean(data: bytes, fields: tuple[str, ...], expected_rows: int) -> pa.Table | None:
    """The fast path's table when it trusted every line (and found ``expected_rows``)."""
    r = fast_parse(data, 0, len(data), fields)
    if r is None or len(r.suspect) or r.table.num_rows != expected_rows:
        return None
    return r.table


def rows_of(result_parts: list[ParsedPart], column: str) -> list[Any]:
    out: list[Any] = []
    for part in result_parts:
        out.extend(part.table[column].to_pylist())
    return out


def reconciled(c: FileCounts) -> bool:
    return c.records + c.quarantined + c.header_lines + c.blank_lines == c.lines_read


# -- arrow types ------------------------------------------------------------------------------


def test_arrow_types_follow_the_field_table() -> None:
    assert arrow_type("srcport") == pa.uint16()
    assert arrow_type("protocol") == pa.uint8()
    assert arrow_type("bytes") == pa.uint64()
    assert arrow_type("start") == pa.int64()  # epochs, turned into timestamps at assembly
    assert arrow_type("account_id") == pa.dictionary(pa.int32(), pa.string())
    assert arrow_type("brand_new_field") == pa.string()


# -- header lines -----------------------------------------------------------------------------


def test_header_verdict() -> None:
    def verdict(line: str) -> tuple[str, tuple[str, ...] | str] | None:
        return header_verdict(line.split(), (), first_line=False)

    assert verdict(HEADER) == ("header", DEFAULT_FIELDS)
    assert verdict("srcaddr dstaddr future-field") == (
        "header",
        ("srcaddr", "dstaddr", "future-field"),
    )
    assert verdict(ACCEPT) is None
    assert verdict("version version") == ("bad", "field repeated in log format: version")
    assert verdict("") is None


# -- fast path --------------------------------------------------------------------------------


def test_parse_clean_types_every_column() -> None:
    table = parse_clean(body(ACCEPT, NODATA), DEFAULT_FIELDS, 2)
    assert table is not None
    assert table.num_rows == 2
    assert table.schema.field("srcport").type == pa.uint16()
    assert table.schema.field("packets").type == pa.uint64()
    assert table.schema.field("start").type == pa.int64()
    assert pa.types.is_dictionary(table.schema.field("interface_id").type)
    assert table["srcport"].to_pylist() == [20641, None]
    assert table["action"].to_pylist() == ["ACCEPT", None]
    assert table["account_id"].to_pylist() == ["123456789010", "123456789010"]
    assert table["start"].to_pylist() == [1418530010, 1431280876]


def test_parse_clean_custom_order_and_unknown_field() -> None:
    fields = ("bytes", "packets", "future-field")
    table = parse_clean(body("4249 20 abc", "- 7 -"), fields, 2)
    assert table is not None
    assert table.column_names == ["bytes", "packets", "future_field"]
    assert table["bytes"].to_pylist() == [4249, None]
    assert table["packets"].to_pylist() == [20, 7]
    assert table["future_field"].to_pylist() == ["abc", None]
    assert table.schema.field("future_field").type == pa.string()


@pytest.mark.parametrize(
    "line",
    [
        ACCEPT.replace(" 22 ", "  22 "),  # doubled space: an extra empty column
        ACCEPT.replace(" ACCEPT ", " \tACCEPT "),  # a tab would stick to a text value
        ACCEPT.replace(" eni-", " \x0beni-"),
        ACCEPT.replace(" 20 ", " twenty "),
        ACCEPT.replace("20641", "70000"),  # port out of range
        ACCEPT + " extra",
        ACCEPT.rsplit(" ", 1)[0],
    ],
)
def test_fast_path_leaves_anything_odd_to_the_careful_path(line: str) -> None:
    data = body(ACCEPT, line, REJECT)
    r = fast_parse(data, 0, len(data), DEFAULT_FIELDS)
    assert r is not None
    assert r.suspect.tolist() == [1]  # that line only, not its block
    assert r.row_lines.tolist() == [0, 2]
    assert r.table["action"].to_pylist() == ["ACCEPT", "REJECT"]


def test_fast_path_leaves_a_block_of_bad_lines_to_the_careful_path() -> None:
    data = body(*(["bogus"] * 100))
    assert fast_parse(data, 0, len(data), DEFAULT_FIELDS) is None


# -- careful path -----------------------------------------------------------------------------


def test_careful_header_and_records() -> None:
    r = parse_careful(body(HEADER, ACCEPT, NODATA), None)
    assert r.counts.as_dict() == {
        "lines_read": 3,
        "records": 2,
        "quarantined": 0,
        "header_lines": 1,
        "blank_lines": 0,
        "file_errors": 0,
    }
    assert r.bad == []
    assert rows_of(r.parts, "log_status") == ["OK", "NODATA"]
    assert rows_of(r.parts, "bytes") == [4249, None]


def test_careful_splits_on_runs_of_whitespace_and_crlf() -> None:
    data = (
        HEADER
        + "\r\n"
        + ACCEPT.replace(" ", "  ")
        + "\r\n"
        + "\t"
        + REJECT.replace(" ", " \t")
        + " \r\n"
    ).encode()
    r = parse_careful(data, None)
    assert r.counts.records == 2
    assert r.counts.quarantined == 0
    assert rows_of(r.parts, "log_status") == ["OK", "OK"]  # no stray '\r'
    assert rows_of(r.parts, "dstport") == [22, 3389]


def test_careful_counts_blank_lines() -> None:
    r = parse_careful(body("", ACCEPT, "   ", "\t", REJECT, ""), None)
    assert (r.counts.records, r.counts.blank_lines, r.counts.lines_read) == (2, 4, 6)
    assert reconciled(r.counts)


def test_careful_repeated_header_mid_file() -> None:
    r = parse_careful(body(HEADER, ACCEPT, HEADER, REJECT), None)
    assert r.counts.header_lines == 2
    assert r.counts.records == 2
    assert rows_of(r.parts, "action") == ["ACCEPT", "REJECT"]


def test_careful_header_that_changes_format_mid_text() -> None:
    r = parse_careful(
        body(HEADER, ACCEPT, "srcaddr dstaddr bytes packets", "198.51.100.7 203.0.113.9 1200 3"),
        None,
    )
    assert r.counts.records == 2
    assert [p.fields for p in r.parts] == [
        DEFAULT_FIELDS,
        ("srcaddr", "dstaddr", "bytes", "packets"),
    ]
    assert r.parts[1].table["bytes"].to_pylist() == [1200]
    assert r.parts[1].table["packets"].to_pylist() == [3]
    assert r.fields == ("srcaddr", "dstaddr", "bytes", "packets")


def test_careful_without_header_uses_the_given_format() -> None:
    r = parse_careful(body("4249 20", "- 3"), ("bytes", "packets"))
    assert rows_of(r.parts, "bytes") == [4249, None]
    assert rows_of(r.parts, "packets") == [20, 3]


def test_careful_defaults_to_the_14_default_fields() -> None:
    r = parse_careful(body(ACCEPT), None)
    assert r.parts[0].fields == DEFAULT_FIELDS


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("2 123456789010 eni-1", "expected 14 fields, found 3"),
        (ACCEPT + " extra", "expected 14 fields, found 15"),
        (
            ACCEPT.replace(" 20 ", " twenty "),
            "field 'packets' is not a valid UInt64 number: 'twenty'",
        ),
        (
            ACCEPT.replace(" 4249 ", " -4249 "),
            "field 'bytes' is not a valid UInt64 number: '-4249'",
        ),
        (ACCEPT.replace(" 4249 ", " 42.5 "), "field 'bytes' is not a valid UInt64 number: '42.5'"),
        (
            ACCEPT.replace("20641", "+20641"),
            "field 'srcport' is not a valid UInt16 number: '+20641'",
        ),
        (ACCEPT.replace("20641", "65536"), "field 'srcport' is not a valid UInt16 number: '65536'"),
        (
            ACCEPT.replace(" 22 6 ", " 22 256 "),
            "field 'protocol' is not a valid UInt8 number: '256'",
        ),
        (
            ACCEPT.replace("2 123", "300 123", 1),
            "field 'version' is not a valid UInt8 number: '300'",
        ),
        (
            ACCEPT.replace("1418530010", "1418530010.5"),
            "field 'start' is not an integer: '1418530010.5'",
        ),
        (
            ACCEPT.replace(" 4249 ", " 123456789012345678901 "),
            "field 'bytes' is not a valid UInt64",
        ),
        (
            ACCEPT.replace(" 4249 ", " 18446744073709551616 "),  # 2**64
            "field 'bytes' is not a valid UInt64",
        ),
        (
            ACCEPT.replace("1418530010", "9223372036854775808"),  # 2**63: not an int64 epoch
            "field 'start' is not an integer",
        ),
    ],
)
def test_careful_quarantines_bad_lines_with_a_reason(line: str, reason: str) -> None:
    r = parse_careful(body(HEADER, ACCEPT, line, REJECT), None)
    assert r.counts.records == 2
    assert r.counts.quarantined == 1
    assert reconciled(r.counts)
    assert len(r.bad) == 1
    ln, raw, why = r.bad[0]
    assert ln == 3
    assert raw == line
    assert why.startswith(reason)
    assert rows_of(r.parts, "action") == ["ACCEPT", "REJECT"]


def test_careful_reports_the_first_bad_field_only_once() -> None:
    line = ACCEPT.replace("20641", "x").replace(" 22 ", " y ")
    r = parse_careful(body(line), None)
    assert [b[2] for b in r.bad] == ["field 'srcport' is not a valid UInt16 number: 'x'"]


def test_careful_limits_of_each_integer_type_are_accepted() -> None:
    line = "255 123456789010 eni-1 192.0.2.1 192.0.2.2 65535 0 255 18446744073709551615 0 0 2147483647 ACCEPT OK"  # noqa: E501
    r = parse_careful(body(line), None)
    assert r.bad == []
    t = r.parts[0].table
    assert t["version"].to_pylist() == [255]
    assert t["srcport"].to_pylist() == [65535]
    assert t["protocol"].to_pylist() == [255]
    assert t["packets"].to_pylist() == [2**64 - 1]
    fast = parse_clean(body(line), DEFAULT_FIELDS, 1)
    assert fast is not None
    assert fast["packets"].to_pylist() == [2**64 - 1]  # both paths take the largest UInt64


def test_careful_quarantines_binary_garbage() -> None:
    data = (
        body(HEADER, ACCEPT)
        + b"\x00\x01\x02\x03garbage\n"
        + b"\xff\xfe\xfd not utf-8\n"
        + body(REJECT)
    )
    r = parse_careful(data, None)
    assert r.counts.records == 2
    assert r.counts.quarantined == 2
    assert reconciled(r.counts)
    assert [(b[0], b[2]) for b in r.bad] == [
        (3, "binary data (NUL bytes), not flow-log text"),
        (4, "binary data (not UTF-8 text), not flow-log text"),
    ]
    assert r.bad[0][1] == "\x00\x01\x02\x03garbage"


def test_careful_cuts_raw_text_at_500_characters() -> None:
    long_line = "x" * 2000 + " y"
    r = parse_careful(body(long_line), None)
    assert RAW_LIMIT == 500
    assert r.bad[0][1] == "x" * 500


def test_careful_line_numbers_start_at_first_line() -> None:
    r = parse_careful(body(ACCEPT, "bogus line"), None, first_line=101)
    assert [b[0] for b in r.bad] == [102]


def test_careful_explicit_line_numbers_and_extra_columns() -> None:
    r = parse_careful(
        body(ACCEPT, "bogus!", NODATA),
        None,
        line_numbers=np.array([5, 6, 9]),
        extra={"log_stream": ["eni-a", "eni-b", "eni-c"]},
        header_expected=False,
    )
    assert [b[0] for b in r.bad] == [6]
    assert r.parts[0].extra["log_stream"].to_pylist() == ["eni-a", "eni-c"]


def test_careful_without_headers_quarantines_a_header_line() -> None:
    r = parse_careful(body(HEADER, ACCEPT), None, header_expected=False)
    assert r.counts.header_lines == 0
    assert r.counts.quarantined == 1
    assert r.counts.records == 1


def test_careful_bad_header_line_is_quarantined_and_so_are_the_records_after_it() -> None:
    r = parse_careful(body(ACCEPT, "version srcaddr srcaddr", ACCEPT), None)
    assert r.counts.records == 1
    assert r.counts.quarantined == 2
    assert r.bad[0][2].startswith("bad header line: field repeated")
    assert r.bad[1][2] == "format unknown: the last header line before it gives no usable format"


def test_careful_empty_input() -> None:
    r = parse_careful(b"", None)
    assert r.counts.as_dict()["lines_read"] == 0
    assert r.parts == []


def test_fast_and_careful_paths_agree() -> None:
    lines = [ACCEPT, REJECT, NODATA, ACCEPT.replace("192.0.2.139", "2001:db8::1")]
    fast = parse_clean(body(*lines), DEFAULT_FIELDS, len(lines))
    careful = parse_careful(body(*lines), DEFAULT_FIELDS)
    assert fast is not None
    assert len(careful.parts) == 1
    slow = careful.parts[0].table
    assert slow.column_names == fast.column_names
    for col in fast.column_names:
        assert slow[col].type == fast[col].type, col
        assert slow[col].to_pylist() == fast[col].to_pylist(), col


def test_file_counts_add_and_as_dict() -> None:
    a = FileCounts(lines_read=3, records=2, header_lines=1)
    a.add(FileCounts(lines_read=2, quarantined=1, blank_lines=1, file_errors=1))
    assert a.as_dict() == {
        "lines_read": 5,
        "records": 2,
        "quarantined": 1,
        "header_lines": 1,
        "blank_lines": 1,
        "file_errors": 1,
    }
