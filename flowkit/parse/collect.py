"""Turn many inputs (text chunks, JSON containers, Parquet tables) into parsed parts and counts.

Pure: the sources hand bytes to a :class:`Collector`; it does the accounting.  Text is cut into
blocks of about :data:`BLOCK_BYTES` (the bodies of small files that share a format go into one
block, so 5,000 small S3 files cost about what one large file does) and the blocks are parsed
in worker threads, as many as the process may use cores (:func:`workers`), while the sources
decompress the next ones.  Results are applied in the order the text arrived, so line numbers,
counts and the row order of the frame do not depend on which thread finished first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pyarrow as pa

from flowkit.parse.blocks import PieceResult, TextPiece, parse_block
from flowkit.parse.containers import Unwrapped, strip_export_prefixes, strip_export_timestamps
from flowkit.parse.csv_export import CsvReader, csv_layout
from flowkit.parse.inorder import BlockQueue
from flowkit.parse.lines import (
    MAX_LINE_BYTES,
    UNKNOWN_FORMAT,
    cut,
    first_line_verdict,
    too_long,
)
from flowkit.parse.parquet import fit_table
from flowkit.parse.text import (
    FileCounts,
    FormatState,
    ParsedPart,
    parse_careful,
)
from flowkit.schema import DEFAULT_FIELDS, is_tgw_format

__all__ = ["BLOCK_BYTES", "Collector", "RecordType"]

RecordType = Literal["vpc", "tgw"]
#: Bytes of text parsed as one block by one worker thread.
BLOCK_BYTES = 4 << 20
_BOM = b"\xef\xbb\xbf"


@dataclass
class _FileState:
    state: FormatState
    next_line: int = 1
    export: bool = False
    skipped: bool = False
    settled: bool = False  # the first line was looked at for a header


@dataclass
class Collector:
    """Accumulates parsed records, per-file counts and quarantined lines of one load."""

    fields: tuple[str, ...] | None = None
    record_type: RecordType = "vpc"
    block_bytes: int = BLOCK_BYTES
    parts: list[ParsedPart] = field(default_factory=list)
    counts: dict[str, FileCounts] = field(default_factory=dict)
    bad: list[tuple[str, int, str, str]] = field(default_factory=list)
    formats: dict[tuple[str, ...], int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    csv_ignored: dict[str, list[str]] = field(default_factory=dict)
    _state: dict[str, _FileState] = field(default_factory=dict)
    _csv: dict[str, CsvReader | None] = field(default_factory=dict)
    _block: list[TextPiece] = field(default_factory=list)
    _block_size: int = 0
    _blocks: BlockQueue = field(init=False)

    def __post_init__(self) -> None:
        self._blocks = BlockQueue(self._apply)

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
        self,
        name: str,
        data: bytes | memoryview,
        *,
        first: bool,
        truncated: bool = False,
        start: int = 0,
        end: int | None = None,
    ) -> None:
        """Add whole lines of a text file: ``data[start:end]``; chunks of one file arrive in order.

        ``first`` marks the first chunk of a file.  ``truncated`` marks the last chunk of a file
        whose compressed stream was cut: its last line, if it does not end in a newline, is
        quarantined as incomplete.
        """
        buf = data if isinstance(data, bytes) else bytes(data[start:end])
        if not isinstance(data, bytes):
            start, end = 0, len(buf)
        end = len(buf) if end is None else end
        if self._add_csv(name, memoryview(buf)[start:end], first=first, truncated=truncated):
            return
        self.counts.setdefault(name, FileCounts())
        fs = self._start_file(name, buf[start : start + 4096]) if first else self._state[name]
        if fs.skipped:
            return
        if fs.export:
            buf, start, end = strip_export_prefixes(buf[start:end]), 0, 0
            end = len(buf)
        tail = b""
        if truncated and end > start and buf[end - 1] != 10:
            cut_at = max(buf.rfind(b"\n", start, end) + 1, start)
            buf, tail, end = buf, buf[cut_at:end], cut_at
        if not fs.settled:
            start = self._settle(name, fs, buf, start, end)
            if fs.skipped:
                return
        if end > start:
            self._add_piece(fs, TextPiece(name, buf, start, end, fs.state, self.record_type))
        if tail:
            self._in_turn(lambda: self._quarantine_line(name, tail, "incomplete last line: "
                                                        "the gzip stream was cut"))  # fmt: skip

    def add_long_line(self, name: str, head: bytes, length: int, *, first: bool) -> None:
        """Add a line longer than :data:`MAX_LINE_BYTES` (``head``: its first bytes)."""
        if self._csv_lines(name, [head], too_long(length)):
            return
        self.counts.setdefault(name, FileCounts())
        fs = self._start_file(name, b"") if first else self._state[name]
        if fs.skipped:
            return
        if not fs.settled:
            self._settle(name, fs, b"", 0, 0)
            if fs.skipped:
                return
        self._in_turn(lambda: self._quarantine_line(name, head, too_long(length)))

    def add_refused_text(self, name: str, data: bytes, reason: str) -> None:
        """Add lines of a file that are not part of its log (each quarantined with ``reason``)."""
        if self._csv_lines(name, data.split(b"\n")[: -1 if data.endswith(b"\n") else None],
                           reason):  # fmt: skip
            return
        fs = self._state.get(name)
        if fs is None:  # nothing came before the refused text
            fs = self._start_file(name, b"")
            fs.settled = True
        if fs.skipped:
            return
        self.counts.setdefault(name, FileCounts())

        def refuse() -> None:
            for line in data.split(b"\n")[: -1 if data.endswith(b"\n") else None]:
                if line.strip():
                    self._quarantine_line(name, line, reason)
                else:
                    self.counts[name].lines_read += 1
                    self.counts[name].blank_lines += 1
                    self._state[name].next_line += 1

        self._in_turn(refuse)

    def _quarantine_line(self, name: str, raw: bytes, reason: str) -> None:
        counts = self.counts[name]
        counts.lines_read += 1
        counts.quarantined += 1
        fs = self._state[name]
        self.bad.append((name, fs.next_line, cut(raw), reason))
        fs.next_line += 1

    def _csv_lines(self, name: str, lines: list[bytes], reason: str) -> bool:
        """Quarantine ``lines`` of a CSV export with ``reason``, numbered by its reader (blank
        lines counted as blank); False if ``name`` is not a CSV export."""
        if name not in self._csv:
            return False
        reader = self._csv[name]
        if reader is None:  # a file error already stands for the file
            return True
        counts = self.counts.setdefault(name, FileCounts())
        for line in lines:
            counts.lines_read += 1
            if line.strip():
                counts.quarantined += 1
                self.bad.append((name, reader.next_line, cut(line), reason))
            else:
                counts.blank_lines += 1
            reader.next_line += 1
        return True

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
        fs = _FileState(FormatState(self.fields or DEFAULT_FIELDS))
        fs.export = strip_export_timestamps(head) is not None
        self._state[name] = fs
        return fs

    def _settle(self, name: str, fs: _FileState, buf: bytes, start: int, end: int) -> int:
        """Read the file's first line for a header; return where its records start."""
        fs.settled = True
        if buf[start : start + 3] == _BOM:
            start += 3
        nl = buf.find(b"\n", start, min(end, start + MAX_LINE_BYTES + 1))
        line_end = end if nl < 0 else nl
        verdict = None
        if line_end - start <= MAX_LINE_BYTES:
            verdict = first_line_verdict(buf[start:line_end], fs.state.fields)
        if verdict is not None:
            counts = self.counts[name]
            counts.lines_read += 1
            fs.next_line = 2
            if verdict[0] == "header":
                counts.header_lines += 1
                fs.state = FormatState(verdict[1])  # type: ignore[arg-type]
            else:
                counts.quarantined += 1
                raw = buf[start:line_end]
                self.bad.append((name, 1, cut(raw), f"bad header line: {verdict[1]}"))
                fs.state = FormatState(fs.state.fields, UNKNOWN_FORMAT)
            start = end if nl < 0 else nl + 1
        if fs.state.refusal is None:
            if self._wrong_kind(name, fs.state.fields):
                fs.skipped = True
                del self.counts[name]
                return end
            self.formats[fs.state.fields] = self.formats.get(fs.state.fields, 0) + 1
        return start

    # -- blocks and the in-order queue -------------------------------------------------------
    def _add_piece(self, fs: _FileState, piece: TextPiece) -> None:
        if self._block and (piece.state != self._block[0].state
                            or self._block_size + piece.size > self.block_bytes):  # fmt: skip
            self._close_block()
        buf, pos, end = piece.buf, piece.start, piece.end
        while end - pos > self.block_bytes:  # a large piece: blocks of whole lines
            cut_at = buf.rfind(b"\n", pos, pos + self.block_bytes) + 1
            if cut_at <= pos:  # a line longer than a block
                cut_at = buf.find(b"\n", pos + self.block_bytes, end) + 1 or end
            self._enqueue([replace(piece, start=pos, end=cut_at)])
            pos = cut_at
        if end > pos:
            self._block.append(replace(piece, start=pos))
            self._block_size += end - pos
            if self._block_size >= self.block_bytes:
                self._close_block()

    def _close_block(self) -> None:
        if self._block:
            block, self._block, self._block_size = self._block, [], 0
            self._enqueue(block)

    def _enqueue(self, pieces: list[TextPiece]) -> None:
        self._blocks.submit(pieces)

    def _in_turn(self, action: Callable[[], None]) -> None:
        """Do something once the text before it has been applied."""
        self._close_block()
        self._blocks.in_turn(action)

    def _apply(self, results: list[PieceResult]) -> None:
        run: list[PieceResult] = []  # pieces whose fast rows follow each other in one table

        def end_run() -> None:
            if run:
                first = replace(run[0], rows=(run[0].rows[0], run[-1].rows[1]))
                part = first.fast_part()
                if part is not None:
                    self.parts.append(part)
                run.clear()

        for res in results:
            piece = res.piece
            fs = self._state[piece.name]
            if piece.state != fs.state:  # read in a format that an earlier line changed
                end_run()
                self._apply(parse_block([replace(piece, state=fs.state)]))
                continue
            if res.source is not None and res.rows[1] > res.rows[0]:
                if run and (run[-1].source is not res.source or run[-1].rows[1] != res.rows[0]
                            or run[-1].piece.state != piece.state):  # fmt: skip
                    end_run()
                run.append(res)
            elif res.parts:
                end_run()
                self.parts.extend(res.parts)
            offset = fs.next_line - 1
            self.counts[piece.name].add(res.counts)
            self.bad.extend((piece.name, ln + offset, raw, why) for ln, raw, why in res.bad)
            fs.next_line += res.counts.lines_read
            fs.state = res.state
            if res.rest is not None:
                end_run()
                self._apply(parse_block([replace(res.rest, state=fs.state)]))
        end_run()

    def flush(self) -> None:
        """Parse everything queued and apply the results."""
        self._close_block()
        self._blocks.drain()

    # -- containers and tables ------------------------------------------------------------
    def add_container(self, name: str, unwrapped: Unwrapped) -> None:
        """Add the record lines of a CloudWatch Logs or Firehose container."""
        self.flush()  # rows keep the order the files came in
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
        self.flush()  # rows keep the order the files came in
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
