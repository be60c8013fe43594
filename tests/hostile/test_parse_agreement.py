"""Issue 16 item 5 and issue 17 item 1: one rule for every odd line, whichever path reads it.

Each odd line is put at every position of a text read in blocks of a few lines, so it is the
first, a middle and the last line of a block and of the file; the fast path (the Collector) must
give the same frame, the same quarantined lines and the same counts as the careful path alone,
and the outcome must be the documented one.
"""

from __future__ import annotations

import pandas as pd
import pytest
from parse_cases import (
    ACCEPT,
    HEADER,
    NODATA,
    REJECT,
    reconciles,
    via_careful,
    via_collector,
)

import flowkit as fk

#: name -> (line, outcome); an outcome is "record", "blank", "header" or a reason prefix.
ODD: dict[str, tuple[bytes, str]] = {
    "start -5 (1969 on one path)": (
        ACCEPT.replace("1418530010", "-5").encode(),
        "field 'start' is not an integer: '-5'",
    ),
    "start -0": (ACCEPT.replace("1418530010", "-0").encode(), "field 'start' is not an integer"),
    "hex port": (
        ACCEPT.replace("20641", "0x10").encode(),
        "field 'srcport' is not a valid UInt16 number: '0x10'",
    ),
    "NBSP inside a field": (
        ACCEPT.replace("eni-1235b8ca", "eni-1235\u00a0b8ca").encode(),
        "character U+00A0",
    ),
    "0x1c inside a field": (
        ACCEPT.replace("eni-1235b8ca", "eni-1235\x1cb8ca").encode(),
        "character U+001C",
    ),
    "zero-width space inside a field": (
        ACCEPT.replace("eni-1235b8ca", "eni-1235\u200bb8ca").encode(),
        "character U+200B",
    ),
    "right-to-left override": (
        ACCEPT.replace("ACCEPT", "\u202eACCEPT").encode(),
        "character U+202E",
    ),
    "bare CR between fields": (ACCEPT.replace(" ACCEPT ", "\rACCEPT ").encode(), "record"),
    "bare CR joining two records": (
        (ACCEPT + "\r" + REJECT).encode(),
        "expected 14 fields, found 28",
    ),
    "CRLF ending": ((ACCEPT + "\r").encode(), "record"),
    "tab between fields": (ACCEPT.replace(" 22 ", "\t22 ").encode(), "record"),
    "tab at the end": ((ACCEPT + "\t").encode(), "record"),
    "doubled space": (ACCEPT.replace(" 22 ", "  22 ").encode(), "record"),
    "leading space": ((" " + ACCEPT).encode(), "record"),
    "vertical tab": (ACCEPT.replace(" eni-", "\x0beni-").encode(), "record"),
    "blank": (b"", "blank"),
    "spaces only": (b"   ", "blank"),
    "repeated header": (HEADER.encode(), "header"),
    "word line": (b"bogus line", "expected 14 fields, found 2"),
    "short": (b"2 123456789010 eni-1", "expected 14 fields, found 3"),
    "long": ((ACCEPT + " x").encode(), "expected 14 fields, found 15"),
    "port out of range": (
        ACCEPT.replace("20641", "70000").encode(),
        "field 'srcport' is not a valid UInt16 number: '70000'",
    ),
    "packets not a number": (
        ACCEPT.replace(" 20 ", " twenty ").encode(),
        "field 'packets' is not a valid UInt64 number: 'twenty'",
    ),
    "start beyond int64": (
        ACCEPT.replace("1418530010", "9223372036854775808").encode(),
        "field 'start' is not an integer",
    ),
    "NUL bytes": (b"\x00\x01garbage\x00", "binary data (NUL bytes)"),
    "not UTF-8": (b"\xff\xfe\xfd not utf-8", "binary data (not UTF-8 text)"),
    "not UTF-8 in a field": (
        ACCEPT.replace("ACCEPT", "ACC\xffEPT").encode("latin-1"),
        "binary data",
    ),
    "non-ASCII letter": (ACCEPT.replace("ACCEPT", "ACC\u00c9PT").encode(), "record"),
    "invalid address": (
        ACCEPT.replace("192.0.2.139", "999.0.2.139").encode(),
        "field 'srcaddr' is not an IP address: '999.0.2.139'",
    ),
    "IPv4-mapped IPv6": (ACCEPT.replace("192.0.2.139", "::ffff:192.0.2.139").encode(), "record"),
    "year-2039 seconds": (ACCEPT.replace("1418530010", "2200000000").encode(), "record"),
    "milliseconds": (ACCEPT.replace("1418530010", "1418530010000").encode(), "record"),
}

GOOD = [ACCEPT, REJECT, NODATA, ACCEPT.replace("192.0.2.139", "2001:db8::1")]
LINES = 12
BLOCK = 4 * (len(ACCEPT) + 1)  # about four lines per block


def _text(odd: bytes, at: int) -> bytes:
    lines = [GOOD[i % len(GOOD)].encode() for i in range(LINES)]
    lines[at] = odd
    return HEADER.encode() + b"\n" + b"\n".join(lines) + b"\n"


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


@pytest.mark.parametrize("case", sorted(ODD))
def test_both_paths_agree_with_the_odd_line_at_every_position(case: str) -> None:
    odd, outcome = ODD[case]
    for at in range(LINES):
        data = _text(odd, at)
        fast = via_collector(data, block_bytes=BLOCK)
        slow = via_careful(data)
        _same(fast.frame, slow.frame)
        assert fast.bad == slow.bad, at
        assert fast.counts == slow.counts, at
        assert reconciles(fast.counts)
        c = fast.counts
        assert c["lines_read"] == LINES + 1
        if outcome == "record":
            assert (c["records"], c["quarantined"]) == (LINES, 0), at
        elif outcome == "blank":
            assert (c["records"], c["blank_lines"]) == (LINES - 1, 1), at
        elif outcome == "header":
            assert (c["records"], c["header_lines"]) == (LINES - 1, 2), at
        else:
            assert c["records"] == LINES - 1, at
            assert [(ln, reason.startswith(outcome)) for ln, _, reason in fast.bad] == [
                (at + 2, True)
            ], (at, fast.bad)


def test_start_minus_5_is_quarantined_on_both_paths() -> None:
    line = ACCEPT.replace("1418530010", "-5")
    df = _parse([ACCEPT, line])  # fast path batch
    assert len(df) == 1
    assert fk.quarantine(df)["reason"].tolist() == ["field 'start' is not an integer: '-5'"]
    df = _parse([ACCEPT, line, "bogus"])  # a bad line elsewhere changes nothing
    assert len(df) == 1
    assert (df["start"].dt.year > 1970).all()


def test_bare_cr_in_a_two_line_file_is_two_lines(tmp_path) -> None:
    path = tmp_path / "cr.log"
    path.write_bytes(f"{HEADER}\n{ACCEPT}\r{REJECT}\n{NODATA}\n".encode())
    from parse_cases import quiet_read

    df = quiet_read(path)
    c = df.attrs["flowkit"]["files"][str(path)]
    assert c["lines_read"] == 3  # the header and two lines: a CR does not end a line
    assert (c["records"], c["quarantined"], c["header_lines"]) == (1, 1, 1)
    assert df["log_status"].tolist() == ["NODATA"]


def test_an_nbsp_is_not_a_separator_on_either_path() -> None:
    line = ACCEPT.replace(" ACCEPT ", "\u00a0ACCEPT ")
    for lines in ([ACCEPT, line], [ACCEPT, line, "bogus"]):
        df = _parse(lines)
        reasons = fk.quarantine(df)["reason"].tolist()
        assert any(r.startswith("character U+00A0") for r in reasons), reasons
        assert len(df) == 1


def test_mapped_and_2039_values_are_read_alike_on_both_paths() -> None:
    line = ACCEPT.replace("192.0.2.139", "::ffff:192.0.2.139").replace("1418530010", "2200000000")
    for lines in ([ACCEPT, line], [ACCEPT, line, "bogus"]):
        df = _parse(lines)
        assert df["srcaddr"].tolist() == ["192.0.2.139", "192.0.2.139"]
        assert df["start"].iloc[1] == pd.Timestamp(2200000000, unit="s", tz="UTC")


def _parse(lines: list[str]) -> pd.DataFrame:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fk.parse_lines([HEADER, *lines], enrich=False)
