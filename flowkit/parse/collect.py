"""Turn many inputs (text chunks, JSON containers, Parquet tables) into parsed parts and counts.

Pure: the sources hand bytes to a :class:`Collector`; it does the accounting.  Bodies of files
that share a format are parsed together on the fast path, so 5,000 small S3 files cost about
what one large file does; a batch the fast path refuses is parsed again file by file on the
careful path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pyarrow as pa

from flowkit.parse.containers import Unwrapped, strip_export_prefixes, strip_export_timestamps
from flowkit.parse.csv_export import CsvReader, csv_layout
from flowkit.parse.parquet import fit_table
from flowkit.parse.text import (
    FileCounts,
    ParsedPart,
    _cut,
    header_of,
    parse_careful,
    parse_clean,
)
from flowkit.schema import DEFAULT_FIELDS, is_tgw_format

__all__ = ["Collector", "RecordType"]

RecordType = Literal["vpc", "tgw"]
BATCH_BYTES = 24 << 20


@dataclass
class _Piece:
    name: str
    body: bytes | memoryview


def _count_lines(body: bytes | memoryview) -> int:
    """Number of lines in a body (a last line without a newline counts)."""
    arr = np.frombuffer(body, dtype=np.uint8)
    n = int(np.count_nonzero(arr == 10))
    return n + (1 if len(arr) and arr[-1] != 10 else 0)


@dataclass
class _FileState:
    fields: tuple[str, ...]
    next_line: int = 1
    export: bool = False
    skipped: bool = False


@dataclass
class Collector:
    """Accumulates parsed records, per-file counts and quarantined lines of one load."""

    fields: tuple[str, ...] | None = None
    record_type: RecordType = "vpc"
    parts: list[ParsedPart] = field(default_factory=list)
    counts: dict[str, FileCounts] = field(default_factory=dict)
    bad: list[tuple[str, int, str, str]] = field(default_factory=list)
    formats: dict[tuple[str, ...], int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    csv_ignored: dict[str, list[str]] = field(default_factory=dict)
    _state: dict[str, _FileState] = field(default_factory=dict)
    _csv: dict[str, CsvReader | None] = field(default_factory=dict)
    _batch: list[_Piece] = field(default_factory=list)
    _batch_fields: tuple[str, ...] | None = None
    _batch_bytes: int = 0

    # -- file-level events ---------------------------------------------------------------
    def file_error(self, name: str, reason: str) -> None:
        """Record a problem with a whole file (one quarantine row, line 0)."""
        self.counts.setdefault(name, FileCounts()).file_errors += 1
        self.bad.append((name, 0, "", reason))

    def _wrong_kind(self, name: str, fields: tuple[str, ...]) -> bool:
        tgw = is_tgw_format(fields)
        if tgw == (self.record_type == "tgw"):
            return False
        other = "Transit Gateway" if tgw else "VPC"
        use = "fk.read_tgw" if tgw else "fk.read"
        self.skipped[name] = f"{other} flow log; load it with {use}"
        return True

    # -- text -----------------------------------------------------------------------------
    def add_text(
        self, name: str, data: bytes | memoryview, *, first: bool, truncated: bool = False
    ) -> None:
        """Add a chunk of a text file; chunks of one file arrive in order and end at a newline.

        ``truncated`` marks the last chunk of a file whose compressed stream was cut: its last
        line, if it does not end in a newline, is quarantined as incomplete.
        """
        if self._add_csv(name, data, first=first, truncated=truncated):
            return
        counts = self.counts.setdefault(name, FileCounts())
        body = memoryview(data)
        if first:
            state = self._start_file(name, bytes(body[:4096]))
        else:
            state = self._state[name]
            if state.skipped:
                return
        if state.export:
            body = memoryview(strip_export_prefixes(bytes(body)))
        tail = b""
        if truncated and len(body) and body[-1] != 10:
            raw = bytes(body)
            cut = raw.rfind(b"\n") + 1
            body, tail = memoryview(raw)[:cut], raw[cut:]
        if first:
            head = bytes(body[:65536])
            line_end = head.find(b"\n")
            if line_end < 0 and len(body) > len(head):
                line_end = len(head)  # a first line this long is no header
            first_line = head if line_end < 0 else head[:line_end]
            header = header_of(first_line.rstrip(b"\r"))
            fields = state.fields
            if header is not None:
                counts.lines_read += 1
                counts.header_lines += 1
                fields = state.fields = header
                state.next_line = 2
                body = body[len(body) :] if line_end < 0 else body[line_end + 1 :]
            if self._wrong_kind(name, fields):
                state.skipped = True
                del self.counts[name]
                return
            self.formats[fields] = self.formats.get(fields, 0) + 1
        if len(body):
            piece = _Piece(name, body)
            if state.export:
                self._careful(piece, state.fields)
            else:
                self._queue(piece, state.fields)
        if tail:
            self.flush()  # line numbers of this file are final only once its pieces are parsed
            counts.lines_read += 1
            counts.quarantined += 1
            self.bad.append(
                (name, state.next_line, _cut(tail), "incomplete last line: the gzip stream was cut")
            )
            state.next_line += 1

    def _add_csv(
        self, name: str, data: bytes | memoryview, *, first: bool, truncated: bool
    ) -> bool:
        """Parse a chunk of a CSV export (:mod:`flowkit.parse.csv_export`); False if not one."""
        if first:
            layout = csv_layout(bytes(memoryview(data)[:65536]))
            if layout is None:
                return False
            reader = CsvReader(layout, message_fields=self.fields)
            self._csv[name] = None
            if layout.problem is not None:
                self.file_error(name, layout.problem)
                return True
            if self._wrong_kind(name, reader.fields):
                return True
            self.flush()  # keep the records in file order
            self._csv[name] = reader
            self.formats[reader.fields] = self.formats.get(reader.fields, 0) + 1
            if layout.ignored:
                self.csv_ignored[name] = list(layout.ignored)
        elif name not in self._csv:
            return False
        current = self._csv[name]
        if current is None:
            return True
        result = current.parse(bytes(data), truncated=truncated)
        self.counts.setdefault(name, FileCounts()).add(result.counts)
        self.parts.extend(result.parts)
        self.bad.extend((name, ln, raw, reason) for ln, raw, reason in result.bad)
        return True

    def _start_file(self, name: str, head: bytes) -> _FileState:
        state = _FileState(fields=self.fields or DEFAULT_FIELDS)
        state.export = strip_export_timestamps(head) is not None
        self._state[name] = state
        return state

    # -- batching -------------------------------------------------------------------------
    def _queue(self, piece: _Piece, fields: tuple[str, ...]) -> None:
        size = len(piece.body)
        if self._batch and (fields != self._batch_fields or self._batch_bytes + size > BATCH_BYTES):
            self.flush()
        self._batch.append(piece)
        self._batch_fields = fields
        self._batch_bytes += size
        if self._batch_bytes >= BATCH_BYTES:
            self.flush()

    def flush(self) -> None:
        """Parse what is queued."""
        if not self._batch:
            return
        fields = self._batch_fields or DEFAULT_FIELDS
        batch, self._batch, self._batch_bytes = self._batch, [], 0
        if len(batch) == 1:
            table = parse_clean(batch[0].body, fields, None)
            lines = [table.num_rows] if table is not None else []
        else:
            lines = [_count_lines(p.body) for p in batch]
            table = parse_clean(b"".join(p.body for p in batch), fields, sum(lines))
        if table is not None:
            self.parts.append(ParsedPart(fields, table))
            for p, n in zip(batch, lines, strict=True):
                c = self.counts[p.name]
                c.lines_read += n
                c.records += n
                state = self._state.get(p.name)
                if state is not None:
                    state.next_line += n
            return
        for p in batch:
            self._careful(p, fields)

    def _careful(self, piece: _Piece, fields: tuple[str, ...]) -> None:
        state = self._state.get(piece.name)
        first_line = state.next_line if state is not None else 1
        result = parse_careful(
            bytes(piece.body), fields, first_line=first_line, record_type=self.record_type
        )
        self.counts[piece.name].add(result.counts)
        self.parts.extend(result.parts)
        for ln, raw, reason in result.bad:
            self.bad.append((piece.name, ln, raw, reason))
        if state is not None:
            state.fields = result.fields
            state.next_line += result.counts.lines_read

    # -- containers and tables ------------------------------------------------------------
    def add_container(self, name: str, unwrapped: Unwrapped) -> None:
        """Add the record lines of a CloudWatch Logs or Firehose container."""
        counts = self.counts.setdefault(name, FileCounts())
        fields = self.fields or DEFAULT_FIELDS
        if self._wrong_kind(name, fields):
            del self.counts[name]
            return
        self.formats[fields] = self.formats.get(fields, 0) + 1
        counts.lines_read += unwrapped.control_events + len(unwrapped.problems)
        counts.header_lines += unwrapped.control_events
        counts.quarantined += len(unwrapped.problems)
        for pos, raw, reason in unwrapped.problems:
            self.bad.append((name, pos, raw, reason))
        if not unwrapped.messages:
            return
        data = "\n".join(unwrapped.messages).encode("utf-8")
        extra: dict[str, list[object]] = {}
        if any(s is not None for s in unwrapped.log_stream):
            extra["log_stream"] = list(unwrapped.log_stream)
        if any(t is not None for t in unwrapped.ingestion_time):
            extra["ingestion_time"] = list(unwrapped.ingestion_time)
        result = parse_careful(
            data,
            fields,
            line_numbers=np.asarray(unwrapped.positions),
            extra=extra or None,
            header_expected=False,
        )
        counts.add(result.counts)
        self.parts.extend(result.parts)
        for ln, raw, reason in result.bad:
            self.bad.append((name, ln, raw, reason))

    def add_table(self, name: str, fields: tuple[str, ...], table: pa.Table) -> None:
        """Add a typed table (a Parquet file); each row counts as one line read.

        A value that does not fit its column (a port of 70000, a negative byte count) sends its
        row to the quarantine, numbered by its 1-based row in the file; a column that cannot be
        read at all makes the file a file error (see :mod:`flowkit.parse.parquet`).
        """
        if self._wrong_kind(name, fields):
            return
        fitted = fit_table(table)
        if fitted.table is None:
            self.file_error(name, f"cannot read Parquet: {fitted.error}")
            return
        counts = self.counts.setdefault(name, FileCounts())
        self.formats[fields] = self.formats.get(fields, 0) + 1
        counts.lines_read += table.num_rows
        table, bad = fitted.table, fitted.bad
        counts.records += table.num_rows
        counts.quarantined += len(bad)
        for row, raw, reason in bad:
            self.bad.append((name, row, raw, reason))
        if table.num_rows:
            self.parts.append(ParsedPart(fields, table))
