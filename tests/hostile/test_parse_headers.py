"""Issue 16 item 4: a header that does not give a usable format never lets records load in a
guessed one; its records are quarantined with the reason "format unknown"."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from parse_cases import ACCEPT, HEADER, REJECT, quarantined, quiet_read, write_lines

#: the file declares dstaddr first, and repeats it: loading it in the default format would put
#: the destination in srcaddr
REPEATED = HEADER.replace("srcaddr dstaddr", "dstaddr dstaddr")
UNKNOWN = " ".join(f"field-{i}" for i in range(14))  # 14 names, none of them known


@pytest.mark.parametrize("header", [REPEATED, UNKNOWN], ids=["repeated", "only-unknown"])
@pytest.mark.parametrize("gz", [False, True], ids=["text", "gzip"])
def test_records_after_a_bad_first_header_are_quarantined(
    tmp_path: Path, header: str, gz: bool
) -> None:
    path = write_lines(tmp_path / "a.log", header, ACCEPT, REJECT, "", ACCEPT)
    if gz:
        path = tmp_path / "a.log.gz"
        path.write_bytes(gzip.compress((tmp_path / "a.log").read_bytes()))
        (tmp_path / "a.log").unlink()
    df = quiet_read(path)
    assert len(df) == 0
    q = quarantined(df)
    assert q[0][0] == 1
    assert q[0][1].startswith("bad header line")
    assert [ln for ln, _ in q[1:]] == [2, 3, 5]
    assert all(reason.startswith("format unknown") for _, reason in q[1:])
    c = df.attrs["flowkit"]["files"][str(path)]
    assert c == {"lines_read": 5, "records": 0, "quarantined": 4, "header_lines": 0,
                 "blank_lines": 1, "file_errors": 0}  # fmt: skip


def test_a_bad_header_mid_file_stops_loading_until_a_good_one(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "a.log", HEADER, ACCEPT, REPEATED, ACCEPT, REJECT, HEADER, REJECT)
    df = quiet_read(path)
    assert df["action"].tolist() == ["ACCEPT", "REJECT"]  # lines 2 and 7
    q = quarantined(df)
    assert [ln for ln, _ in q] == [3, 4, 5]
    assert q[0][1].startswith("bad header line: field repeated")
    assert all(reason.startswith("format unknown") for _, reason in q[1:])


def test_a_bad_header_in_a_big_file_quarantines_every_record_after_it(tmp_path: Path) -> None:
    n = 30_000  # several blocks of the fast path after the bad header
    body = "\n".join([HEADER, ACCEPT, REPEATED] + [ACCEPT] * n) + "\n"
    path = tmp_path / "big.log.gz"
    path.write_bytes(gzip.compress(body.encode(), 1))
    df = quiet_read(path)
    assert len(df) == 1
    c = df.attrs["flowkit"]["files"][str(path)]
    assert (c["records"], c["quarantined"], c["header_lines"]) == (1, n + 1, 1)


def test_a_record_of_an_all_id_format_is_not_a_bad_header(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "ids.log", "vpc-0a1b subnet-0c2d", "vpc-0a1b subnet-0c2e")
    df = quiet_read(path, fields=["vpc-id", "subnet-id"])
    assert df["subnet_id"].tolist() == ["subnet-0c2d", "subnet-0c2e"]


def test_a_word_line_mid_file_is_one_bad_line_not_a_header(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "a.log", HEADER, ACCEPT, "bogus line", REJECT)
    df = quiet_read(path)
    assert df["action"].tolist() == ["ACCEPT", "REJECT"]
    assert quarantined(df) == [(3, "expected 14 fields, found 2")]
