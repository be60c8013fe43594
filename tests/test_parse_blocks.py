"""Blocks parsed in worker threads give what the careful path gives, line for line.

The Collector cuts text into blocks (small here, so a file spans many and several are in flight
at once), parses them in threads and applies the results in order.  A header line that changes
the format mid-file makes the blocks already read in the old format be read again; pieces of
many small files share a block.  Whatever the cut, the frame, the quarantined lines and the
per-file counts equal those of the careful path reading each file alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from flowkit.parse import Collector, assemble, parse_careful
from flowkit.schema import DEFAULT_FIELDS

HEADER = " ".join(DEFAULT_FIELDS)
CUSTOM = "srcaddr dstaddr bytes packets action"


def _records(n: int, seed: int, custom: bool = False) -> list[str]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        a, b = f"10.0.{i % 7}.{i % 250}", f"192.0.2.{rng.integers(0, 255)}"
        if custom:
            out.append(f"{a} {b} {rng.integers(0, 9999)} {rng.integers(0, 99)} ACCEPT")
        else:
            out.append(
                f"2 123456789010 eni-{i % 5:017x} {a} {b} {rng.integers(0, 65535)} 443 6 "
                f"{rng.integers(1, 99)} {rng.integers(40, 9999)} {1_700_000_000 + i} "
                f"{1_700_000_060 + i} {rng.choice(['ACCEPT', 'REJECT'])} OK"
            )
    return out


def _careful(files: dict[str, bytes]) -> tuple[pd.DataFrame, list[tuple[str, int, str]], dict]:
    parts, bad, counts = [], [], {}
    for name, data in files.items():
        r = parse_careful(data, None, at_file_start=True, record_type="vpc")
        parts.extend(r.parts)
        bad.extend((name, ln, reason) for ln, _, reason in r.bad)
        counts[name] = r.counts.as_dict()
    return assemble(parts), sorted(bad), counts


def _collected(files: dict[str, bytes], block_bytes: int) -> tuple[pd.DataFrame, list, dict]:
    collector = Collector(block_bytes=block_bytes)
    for name, data in files.items():
        step = max(1, len(data) // 3)  # each file in three chunks of whole lines
        pos, first = 0, True
        while pos < len(data):
            cut = data.rfind(b"\n", pos, pos + step) + 1 or len(data)
            if cut <= pos:
                cut = data.find(b"\n", pos) + 1 or len(data)
            collector.add_text(name, data[pos:cut], first=first)
            pos, first = cut, False
    collector.flush()
    bad = sorted((f, ln, reason) for f, ln, _, reason in collector.bad)
    counts = {name: c.as_dict() for name, c in collector.counts.items()}
    return assemble(collector.parts), bad, counts


def _text(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("block_bytes", [1 << 10, 8 << 10, 1 << 20])
def test_a_format_change_mid_file_is_read_in_the_new_format(block_bytes: int) -> None:
    files = {"a.log": _text(HEADER, *_records(300, 1), CUSTOM, *_records(300, 2, custom=True),
                            HEADER, *_records(100, 3))}  # fmt: skip
    fast, bad, counts = _collected(files, block_bytes)
    slow, slow_bad, slow_counts = _careful(files)
    pd.testing.assert_frame_equal(fast, slow)
    assert (bad, counts) == (slow_bad, slow_counts)
    assert counts["a.log"]["records"] == 700
    assert fast["bytes"].notna().all()


@pytest.mark.parametrize("block_bytes", [1 << 10, 16 << 10])
def test_a_bad_header_mid_file_refuses_every_block_after_it(block_bytes: int) -> None:
    bad_header = HEADER.replace("srcaddr", "dstaddr")
    files = {"a.log": _text(HEADER, *_records(200, 4), bad_header, *_records(500, 5), HEADER,
                            *_records(50, 6))}  # fmt: skip
    fast, bad, counts = _collected(files, block_bytes)
    slow, slow_bad, slow_counts = _careful(files)
    pd.testing.assert_frame_equal(fast, slow)
    assert (bad, counts) == (slow_bad, slow_counts)
    assert counts["a.log"]["records"] == 250
    assert counts["a.log"]["quarantined"] == 501


def test_small_files_in_one_block_keep_their_own_lines_and_formats() -> None:
    files = {}
    for i in range(40):
        lines = [HEADER, *_records(20, 10 + i)]
        if i % 7 == 3:
            lines[5] = "bogus line"
        if i % 11 == 4:
            lines[9] = lines[9].replace(" 443 ", " 0x1bb ")
        if i == 20:
            lines[12:12] = [CUSTOM, *_records(5, 99, custom=True), HEADER]
        if i == 30:
            lines[0] = HEADER.replace("bytes", "packets")  # a bad first header
        files[f"f{i:02d}.log"] = _text(*lines)
    fast, bad, counts = _collected(files, 1 << 20)
    slow, slow_bad, slow_counts = _careful(files)
    pd.testing.assert_frame_equal(fast, slow)
    assert (bad, counts) == (slow_bad, slow_counts)
    assert counts["f30.log"]["records"] == 0
    assert counts["f20.log"]["records"] == 25


def test_rows_keep_the_order_of_the_files_and_lines() -> None:
    files = {f"f{i}.log": _text(HEADER, *_records(50, i)) for i in range(30)}
    fast, _, _ = _collected(files, 4 << 10)
    expected = [1_700_000_000 + j for _ in range(30) for j in range(50)]
    assert fast["start"].astype("int64").tolist() == expected


@pytest.mark.parametrize("seed", range(6))
def test_bad_lines_after_several_inner_batches_are_found_exactly(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flowkit.parse.fast as fast

    monkeypatch.setattr(fast, "INNER_BLOCK", 2 << 10)  # pyarrow batches of about 16 lines
    rng = np.random.default_rng(seed)
    lines = [HEADER, *_records(400, seed)]
    odd = ["bogus line", "2 123456789010 eni-1", "", " x", "\t"]
    for at in sorted(rng.choice(np.arange(2, len(lines)), 12, replace=False)):
        kind = rng.integers(0, 4)
        if kind == 0:  # a value that does not convert
            lines[at] = lines[at].replace(" 443 ", " 4x3 ")
        elif kind == 1:  # a wrong field count (the invalid-row handler)
            lines[at] = str(rng.choice(odd))
        elif kind == 2:  # two wrong counts and a bad value next to each other
            lines[at] = "bogus"
            if at + 2 < len(lines):
                lines[at + 1] = lines[at + 1].replace(" 6 ", " 600 ")
        else:  # a record the careful path reads (a tab between fields)
            lines[at] = lines[at].replace(" 443 ", "\t443 ")
    files = {"a.log": _text(*lines)}
    fast_frame, bad, counts = _collected(files, 1 << 20)
    slow, slow_bad, slow_counts = _careful(files)
    pd.testing.assert_frame_equal(fast_frame, slow)
    assert (bad, counts) == (slow_bad, slow_counts)
