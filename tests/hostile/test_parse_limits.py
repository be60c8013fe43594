"""Issue 16 item 7 (parse part): a line is capped at 1 MiB; past that it is quarantined and the
read streams on, so a gzip bomb of one endless line neither exhausts memory nor stops the load."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib
from pathlib import Path

import pytest
from parse_cases import ACCEPT, HEADER, REJECT, quarantined, quiet_read, via_careful, via_collector

import flowkit.parse

MAX_LINE_BYTES = 1 << 20


def _zeros_gzip(path: Path, size: int, before: bytes = b"", after: bytes = b"") -> Path:
    """Write a gzip file of ``before``, ``size`` NUL bytes (one line) and ``after``."""
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [z.compress(before)]
    block = bytes(16 << 20)
    for _ in range(size // len(block)):
        parts.append(z.compress(block))
    parts.append(z.compress(bytes(size % len(block)) + after))
    parts.append(z.flush())
    path.write_bytes(b"".join(parts))
    return path


def test_the_cap_is_one_mebibyte() -> None:
    assert getattr(flowkit.parse, "MAX_LINE_BYTES", None) == MAX_LINE_BYTES


def test_a_gzip_of_zeros_is_one_quarantined_line_in_bounded_memory(tmp_path: Path) -> None:
    size = 256 << 20  # one 256 MiB line (the bomb is 2 GB: the same code path)
    path = _zeros_gzip(
        tmp_path / "bomb.log.gz", size, (HEADER + "\n" + ACCEPT + "\n").encode(),
        ("\n" + REJECT + "\n").encode(),
    )  # fmt: skip
    assert path.stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        df = quiet_read(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < size // 2  # the line is never held whole
    assert df["action"].tolist() == ["ACCEPT", "REJECT"]
    q = quarantined(df)
    assert [ln for ln, _ in q] == [3]
    assert q[0][1].startswith(f"line of {size:,} bytes is longer than the 1 MiB limit")
    c = df.attrs["flowkit"]["files"][str(path)]
    assert (c["lines_read"], c["records"], c["quarantined"]) == (4, 2, 1)


def test_an_endless_last_line_is_quarantined(tmp_path: Path) -> None:
    path = _zeros_gzip(tmp_path / "tail.log.gz", 3 << 20, (HEADER + "\n" + ACCEPT + "\n").encode())
    df = quiet_read(path)
    assert len(df) == 1
    assert [ln for ln, _ in quarantined(df)] == [3]


@pytest.mark.parametrize("where", ["gzip", "text"])
def test_a_long_line_between_records_is_quarantined_alike(tmp_path: Path, where: str) -> None:
    long_line = "x" * ((1 << 20) + 1)
    text = "\n".join([HEADER, ACCEPT, long_line, REJECT, "y" * (1 << 20)]) + "\n"
    path = tmp_path / "a.log"
    path.write_text(text)
    if where == "gzip":
        path = tmp_path / "a.log.gz"
        path.write_bytes(gzip.compress(text.encode(), 1))
    df = quiet_read(path)
    assert df["action"].tolist() == ["ACCEPT", "REJECT"]
    q = quarantined(df)
    assert [ln for ln, _ in q] == [3, 5]
    assert q[0][1].startswith("line of 1,048,577 bytes is longer than the 1 MiB limit")
    assert q[1][1].startswith("expected 14 fields, found 1")  # exactly 1 MiB: not too long
    raw = __import__("flowkit").quarantine(df)["raw"].tolist()
    assert raw[0] == "x" * 500


def test_the_cap_is_the_same_on_both_paths() -> None:
    data = (
        HEADER + "\n" + ACCEPT + "\n" + "z" * (MAX_LINE_BYTES + 5) + "\n" + REJECT + "\n"
    ).encode()
    fast = via_collector(data, block_bytes=1 << 16)
    slow = via_careful(data)
    assert fast.bad == slow.bad
    assert fast.counts == slow.counts
    assert fast.bad[0][2].startswith("line of 1,048,581 bytes")
