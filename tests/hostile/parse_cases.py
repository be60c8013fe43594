"""Shared pieces of the parse-level hostile tests (H17's modules; not a conftest).

Two ways to load the same text: through the :class:`~flowkit.parse.Collector` (the fast path,
with blocks made small so a line can sit at every position of a block) and through the careful
path alone (:func:`~flowkit.parse.parse_careful`).  Both give a frame, the quarantined lines and
the counts, so a test can ask that they are identical.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

import flowkit as fk
from flowkit.parse import Collector, assemble, parse_careful
from flowkit.schema import DEFAULT_FIELDS

HEADER = " ".join(DEFAULT_FIELDS)
ACCEPT = "2 123456789010 eni-1235b8ca123456789 192.0.2.139 192.0.2.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"  # noqa: E501
REJECT = "2 123456789010 eni-1235b8ca123456789 192.0.2.69 192.0.2.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK"  # noqa: E501
NODATA = "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA"


@dataclass
class Loaded:
    """What one path made of a text: the frame, the quarantined lines and the counts."""

    frame: pd.DataFrame
    bad: list[tuple[int, str, str]]
    counts: dict[str, int]


def via_collector(data: bytes, *, block_bytes: int = 1 << 20, name: str = "x.log") -> Loaded:
    """Load text through the Collector (fast path), in blocks of about ``block_bytes``."""
    collector = Collector(block_bytes=block_bytes)
    collector.add_text(name, data, first=True)
    collector.flush()
    bad = sorted((ln, raw, reason) for _, ln, raw, reason in collector.bad)
    return Loaded(assemble(collector.parts), bad, collector.counts[name].as_dict())


def via_careful(data: bytes) -> Loaded:
    """Load text through the careful path alone."""
    r = parse_careful(data, None, at_file_start=True)
    return Loaded(assemble(r.parts), sorted(r.bad), r.counts.as_dict())


def reconciles(counts: dict[str, int]) -> bool:
    """Whether every line read is a record, a quarantined line, a header or a blank line."""
    total = counts["records"] + counts["quarantined"] + counts["header_lines"]
    return total + counts["blank_lines"] == counts["lines_read"]


def quiet_read(source: Any, **kwargs: Any) -> pd.DataFrame:
    """``fk.read`` without warnings, checking that every file's counts reconcile."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = fk.read(source, progress=False, **kwargs)
    for name, c in df.attrs["flowkit"]["files"].items():
        assert reconciles(c), name
    assert fk.summarize_files(df)["reconciled"].all()
    return df


def quarantined(df: pd.DataFrame) -> list[tuple[int, str]]:
    """(line, reason) of every quarantined line of a frame."""
    q = fk.quarantine(df)
    return list(zip(q["line"].tolist(), q["reason"].tolist(), strict=True))


def write_lines(path: Path, *lines: str | bytes) -> Path:
    """Write lines (str or bytes) with a newline after each."""
    path.write_bytes(
        b"".join((ln if isinstance(ln, bytes) else ln.encode()) + b"\n" for ln in lines)
    )
    return path
