"""Events cross from the reading thread to the parsing one in batches: file order, every record
and one progress tick per file, whatever mix of small (read ahead) and large (streamed) files."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

import flowkit as fk
from flowkit.parse import Collector
from flowkit.sources import local

HEADER = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"  # noqa: E501


def _write(folder: Path, n_files: int) -> list[str]:
    """Files of 20, 60 and 100 records in turn."""
    paths = []
    for f in range(n_files):
        lines = [f"2 1 eni-{f} 10.0.{f}.{i % 250} 10.1.0.1 {1024 + i} 443 6 1 40 "
                 f"{1700000000 + i} {1700000060 + i} ACCEPT OK\n"
                 for i in range(20 + 40 * (f % 3))]  # fmt: skip
        path = folder / f"{f:04d}.log.gz"
        path.write_bytes(gzip.compress((HEADER + "".join(lines)).encode()))
        paths.append(str(path))
    return paths


@pytest.mark.parametrize(
    ("events", "small_file"),
    [(64, None), (2, None), (1, None), (3, "median"), (64, "bytes")],  # median: half streamed
    ids=["default", "two-per-batch", "one-per-batch", "mixed-large", "by-bytes"],
)
def test_files_reach_the_parse_in_order_whole_and_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, events: int, small_file: str | None
) -> None:
    paths = _write(tmp_path, 40)
    if small_file == "median":  # the mix the case is about: files read ahead and streamed
        sizes = sorted(Path(p).stat().st_size for p in paths)
        monkeypatch.setattr(local, "SMALL_FILE", sizes[len(sizes) // 2])
        assert sizes[0] <= local.SMALL_FILE < sizes[-1]
    if small_file == "bytes":  # every file's text fills a batch
        monkeypatch.setattr(local, "HANDOVER_BYTES", 1)
    monkeypatch.setattr(local, "HANDOVER_EVENTS", events)
    ticks: list[str] = []
    collector = Collector()
    local.feed_files(collector, paths, on_file=ticks.append)
    assert ticks == paths
    whole = fk.read(tmp_path, progress=False, enrich=False)
    expected = pd.concat([fk.read(p, progress=False, enrich=False) for p in paths],
                         ignore_index=True)  # fmt: skip
    assert len(whole) == sum(20 + 40 * (f % 3) for f in range(40))
    assert (
        whole["interface_id"].astype(str).tolist() == expected["interface_id"].astype(str).tolist()
    )
    assert whole["srcport"].tolist() == expected["srcport"].tolist()
