"""The parse rules hold on every engine: pandas, Dask and through convert (issue 16).

One file holds a line of each kind the parse rules decide, and a second file a bad header
line; each engine must load the same records and quarantine the same lines for the same
reasons.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

from hostile import Loaded
from parse_cases import ACCEPT, HEADER, NODATA, REJECT

LINES = [
    ACCEPT,
    ACCEPT.replace("1418530010", "-5"),  # not a time
    ACCEPT.replace("eni-1235b8ca", "eni-1235\u00a0b8ca"),  # NBSP inside a field
    ACCEPT.replace(" ACCEPT ", "\rACCEPT "),  # a bare CR between fields: a record
    ACCEPT.replace("192.0.2.21", "999.0.2.21"),  # not an address
    REJECT.replace("192.0.2.69", "::ffff:192.0.2.69"),  # IPv4-mapped: read as IPv4
    ACCEPT.replace("20641", "0x10"),  # hexadecimal: not a port
    "z" * ((1 << 20) + 1),  # over the line cap
    NODATA,
]
REASONS = [
    "field 'start' is not an integer: '-5'",
    "character U+00A0 (NO-BREAK SPACE) in the line: not flow-log text",
    "field 'dstaddr' is not an IP address: '999.0.2.21'",
    "field 'srcport' is not a valid UInt16 number: '0x10'",
    "line of 1,048,577 bytes is longer than the 1 MiB limit",
    "bad header line: field repeated in log format: dstaddr",
    "format unknown: the last header line before it gives no usable format",
    "text after the end of the gzip data: not part of the compressed log",
]


def _write(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = "\n".join([HEADER, *LINES]) + "\n"
    (folder / "a.log.gz").write_bytes(gzip.compress(text.encode()) + b"appended line\n")
    bad_header = HEADER.replace("srcaddr dstaddr", "dstaddr dstaddr")
    (folder / "b.log").write_text("\n".join([bad_header, ACCEPT]) + "\n")
    return folder


def test_the_parse_rules_hold_on_every_engine(
    loaded: Callable[..., Loaded], tmp_path: Path
) -> None:
    got = loaded(_write(tmp_path / "logs"), enrich=False)
    frame = got.frame.sort_values("start", kind="stable").reset_index(drop=True)
    assert len(frame) == 4, got.engine
    addresses = sorted(frame["srcaddr"].dropna().astype(str))
    assert addresses == ["192.0.2.139", "192.0.2.139", "192.0.2.69"], got.engine
    assert sorted(got.reasons()) == sorted(REASONS), got.engine
