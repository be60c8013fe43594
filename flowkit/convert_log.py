"""The bookkeeping of :func:`flowkit.convert`: the manifest and the quarantine beside the Parquet
files, written so that a run killed at any point resumes without losing or repeating anything.

A batch of inputs is committed in this order:

1. its Parquet files are written to ``.staging`` and moved into place (named ``part-<batch>``);
2. its quarantine rows are appended to ``_quarantine.csv`` (column ``batch``), in one write;
3. its manifest lines are appended to ``_manifest.jsonl`` (``batch``, ``batch_inputs``), in one
   write: the commit.

:func:`recover` runs before a conversion: a torn last line, a batch with fewer manifest lines
than ``batch_inputs``, and the Parquet files and quarantine rows of a batch that never committed
are removed, so the batch is converted again, once.  Readers of the quarantine
(:func:`read_quarantine`) take only committed rows, so it stays readable right after a kill.
Text cells are neutralised against spreadsheet formulas (:mod:`flowkit.csvcells`) and restored
on reading.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from flowkit.csvcells import neutralise_cell, restore_cell
from flowkit.load_provenance import QUARANTINE_COLUMNS, quarantine_frame
from flowkit.sources.layout import MANIFEST

__all__ = [
    "QUARANTINE",
    "Committed",
    "append_manifest",
    "append_quarantine",
    "append_text",
    "read_quarantine",
    "recover",
]

QUARANTINE = "_quarantine.csv"
_COLUMNS = (*QUARANTINE_COLUMNS, "batch")
_TEXT = ("file", "raw", "reason")
_PART = re.compile(r"^part-([0-9a-f]{16})\.parquet$")


def append_text(path: Path, text: str) -> None:
    """Append text to a file in one ``write`` (the unit a kill cannot split in practice; a torn
    tail is still recovered by :func:`recover`)."""
    data = text.encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _replace_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


@dataclass
class Committed:
    """What the manifest of an output folder says is done."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    batches: set[str] = field(default_factory=set)

    @property
    def inputs(self) -> set[tuple[str, int]]:
        """``(resolved path, size)`` of every committed input."""
        return {(os.path.realpath(e["path"]), int(e["size"])) for e in self.entries}

    @property
    def parts(self) -> set[str]:
        """Parquet files of committed batches, relative to the output folder."""
        return {p for e in self.entries for p in e.get("parts") or []}


def _read_manifest(dst: Path) -> tuple[Committed, bool]:
    """The committed entries, and whether the file holds anything else (torn or uncommitted)."""
    path = dst / MANIFEST
    if not path.exists():
        return Committed(), False
    entries: list[dict[str, Any]] = []
    dirty = False
    for line in path.read_text("utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
            if isinstance(entry, dict) and "path" in entry and "size" in entry:
                entries.append(entry)
                continue
        except json.JSONDecodeError:
            pass
        dirty = dirty or bool(line.strip())
    lines = Counter(e["batch"] for e in entries if "batch" in e)
    declared = {e["batch"]: int(e.get("batch_inputs", 1)) for e in entries if "batch" in e}
    complete = {b for b, n in lines.items() if declared[b] == n}
    kept = [e for e in entries if "batch" not in e or e["batch"] in complete]
    text_ends_clean = path.read_bytes().endswith(b"\n") or path.stat().st_size == 0
    dirty = dirty or len(kept) != len(entries) or not text_ends_clean
    return Committed(kept, complete), dirty


def _read_rows(dst: Path) -> tuple[list[dict[str, str]], bool]:
    """Rows of ``_quarantine.csv`` (cells as written), and whether its last row is torn."""
    path = dst / QUARANTINE
    if not path.exists():
        return [], False
    data = path.read_bytes()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8", errors="replace"))))
    if not rows:
        return [], bool(data)
    header, body = rows[0], rows[1:]
    if not set(QUARANTINE_COLUMNS) <= set(header):  # a torn header: nothing is readable
        return [], True
    if not data.endswith(b"\n"):  # the last row was cut by a kill
        body = body[:-1]
    out = [dict(zip(header, r, strict=True)) for r in body if len(r) == len(header)]
    if "batch" not in header:  # written before batches and neutralising: read as if written now
        out = [{**r, **{c: neutralise_cell(r[c]) for c in _TEXT}, "batch": ""} for r in out]
    return out, len(out) != len(rows) - 1 or "batch" not in header


def _committed_rows(rows: list[dict[str, str]], batches: set[str]) -> list[dict[str, str]]:
    """Rows of committed batches (and rows written before batches were recorded)."""
    return [r for r in rows if not r.get("batch") or r["batch"] in batches]


def _csv_text(rows: list[dict[str, str]], header: bool) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(_COLUMNS), extrasaction="ignore")
    if header:
        writer.writeheader()
    writer.writerows({**r, "batch": r.get("batch", "")} for r in rows)
    return buf.getvalue()


def recover(dst: Path) -> Committed:
    """Undo what a killed run left half-done in an output folder; return what is committed."""
    committed, dirty = _read_manifest(dst)
    if dirty:
        text = "".join(json.dumps(e) + "\n" for e in committed.entries)
        _replace_text(dst / MANIFEST, text)
    keep = committed.parts
    for part in dst.rglob("part-*.parquet"):
        rel = part.relative_to(dst).as_posix()
        if rel.startswith(".") or rel in keep or not _PART.match(part.name):
            continue
        part.unlink()
    rows, torn = _read_rows(dst)
    good = _committed_rows(rows, committed.batches)
    if torn or len(good) != len(rows):
        _replace_text(dst / QUARANTINE, _csv_text(good, header=True))
    return committed


def append_quarantine(dst: Path, table: pd.DataFrame, batch: str) -> None:
    """Append a batch's quarantine rows (neutralised against spreadsheet formulas)."""
    if not len(table):
        return
    rows = [
        {"file": neutralise_cell(str(f)), "line": str(int(n)), "raw": neutralise_cell(str(r)),
         "reason": neutralise_cell(str(why)), "batch": batch}
        for f, n, r, why in zip(table["file"], table["line"], table["raw"], table["reason"],
                                strict=True)
    ]  # fmt: skip
    path = dst / QUARANTINE
    append_text(path, _csv_text(rows, header=not path.exists() or path.stat().st_size == 0))


def append_manifest(dst: Path, entries: list[dict[str, Any]], batch: str) -> None:
    """Append a batch's manifest lines in one write: the batch's commit."""
    lines = [json.dumps({**e, "batch": batch, "batch_inputs": len(entries)}) for e in entries]
    append_text(dst / MANIFEST, "".join(line + "\n" for line in lines))


def read_quarantine(dst: Path) -> pd.DataFrame:
    """The committed quarantine rows of an output folder, with their cells restored."""
    rows, _ = _read_rows(dst)
    committed, _ = _read_manifest(dst)
    good = _committed_rows(rows, committed.batches)
    return quarantine_frame(
        (restore_cell(r["file"]), int(r["line"]), restore_cell(r["raw"]), restore_cell(r["reason"]))
        for r in good
    )
