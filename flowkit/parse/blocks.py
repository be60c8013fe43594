"""Parse a block of text pieces (whole lines of one or more files): fast, and careful where needed.

Pure and thread-safe: :func:`parse_block` is what the Collector's worker threads run.  The
pieces of a block share one format; the fast path (:func:`flowkit.parse.fast.fast_parse`) types
every line it trusts, the careful path (:func:`flowkit.parse.text.parse_careful`) reads the rest
of each piece, and the records of both are put back in line order.  A header line among the
careful lines that changes the format stops a piece there: the caller reads the rest of it in
the new format (:attr:`PieceResult.rest`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from flowkit.parse.fast import FastResult, fast_parse
from flowkit.parse.text import FileCounts, FormatState, ParsedPart, parse_careful

__all__ = ["PieceResult", "TextPiece", "parse_block"]


@dataclass
class TextPiece:
    """Whole lines of one file, ``buf[start:end]``, to read in format ``state``.

    Line numbers in its results count from 1 at its first line; the Collector adds the lines
    of the file before it.
    """

    name: str
    buf: bytes
    start: int
    end: int
    state: FormatState
    record_type: str | None = None

    @property
    def lines(self) -> int:
        """Number of lines (a last line without a newline counts)."""
        buf, start, end = self.buf, self.start, self.end
        return buf.count(b"\n", start, end) + (1 if end > start and buf[end - 1] != 10 else 0)

    @property
    def size(self) -> int:
        """Bytes of text."""
        return self.end - self.start


@dataclass
class PieceResult:
    """What one piece gave: parts, counts, quarantined lines, the format state after it."""

    piece: TextPiece
    parts: list[ParsedPart]
    counts: FileCounts
    bad: list[tuple[int, str, str]]
    state: FormatState
    rest: TextPiece | None = None  # lines not read: they follow a format change
    source: pa.Table | None = None  # the block's fast table, of which ``rows`` are this piece's
    rows: tuple[int, int] = (0, 0)

    def fast_part(self) -> ParsedPart | None:
        """The piece's rows of the block's fast table as a part (None if it has none)."""
        a, b = self.rows
        if self.source is None or b <= a:
            return None
        return ParsedPart(self.piece.state.fields, self.source.slice(a, b - a))


def _careful(piece: TextPiece) -> PieceResult:
    r = parse_careful(
        piece.buf[piece.start : piece.end], piece.state.fields,
        record_type=piece.record_type, refusal=piece.state.refusal,
    )  # fmt: skip
    return PieceResult(piece, r.parts, r.counts, r.bad, r.state)


def _joined(pieces: list[TextPiece]) -> tuple[bytes, int, int, list[tuple[int, int]]]:
    """One buffer of the pieces' lines (each ending in a newline) and each piece's line range."""
    if len(pieces) == 1:
        p = pieces[0]
        return p.buf, p.start, p.end, []
    chunks, ranges, line = [], [], 0
    for p in pieces:
        chunks.append(p.buf[p.start : p.end])
        if p.end > p.start and p.buf[p.end - 1] != 10:
            chunks.append(b"\n")
        n = p.lines
        ranges.append((line, line + n))
        line += n
    buf = b"".join(chunks)
    return buf, 0, len(buf), ranges


def _interleave(fast: pa.Table, fast_lines: np.ndarray, careful: list[ParsedPart],
                careful_lines: list[int]) -> list[ParsedPart]:  # fmt: skip
    """The fast rows and the careful records of a piece, in line order, as parts."""
    fields = careful[0].fields
    if not fast.num_rows:
        return careful
    table = pa.concat_tables([fast, *(p.table for p in careful)])
    order = np.argsort(np.concatenate([fast_lines, np.asarray(careful_lines)]), kind="stable")
    return [ParsedPart(fields, table.take(pa.array(order)))]


def _split(piece: TextPiece, fast: FastResult, lines: tuple[int, int]) -> PieceResult:
    """The result of one piece (``lines`` of the block): its fast rows and its suspect lines
    read carefully."""
    first, last = lines
    r0, r1 = (int(x) for x in np.searchsorted(fast.row_lines, [first, last]))
    s0, s1 = np.searchsorted(fast.suspect, [first, last])
    suspect = fast.suspect[s0:s1]
    counts = FileCounts(lines_read=r1 - r0, records=r1 - r0)
    if not len(suspect):
        return PieceResult(piece, [], counts, [], piece.state, source=fast.table, rows=(r0, r1))
    data = b"\n".join(fast.index.line(int(i)) for i in suspect) + b"\n"
    r = parse_careful(
        data, piece.state.fields, line_numbers=suspect - first + 1,
        record_type=piece.record_type, refusal=piece.state.refusal, stop_at_switch=True,
    )  # fmt: skip
    rest = None
    if r.stopped_after is not None:  # a header changed the format: read the rest anew
        switch = int(suspect[r.stopped_after])
        r1 = r0 + int(np.searchsorted(fast.row_lines[r0:r1], switch))
        done = switch - first + 1
        if done < last - first:
            index = fast.index
            rest = TextPiece(piece.name, index.buf, index.line_start(switch + 1),
                             index.line_start(last), r.state, piece.record_type)  # fmt: skip
        counts = FileCounts(lines_read=r1 - r0, records=r1 - r0)
    counts.add(r.counts)
    if not r.parts:
        return PieceResult(piece, [], counts, r.bad, r.state, rest, fast.table, (r0, r1))
    table = fast.table.slice(r0, r1 - r0)
    fast_lines = fast.row_lines[r0:r1] - first + 1
    parts = _interleave(table, fast_lines, r.parts, r.record_lines)
    return PieceResult(piece, parts, counts, r.bad, r.state, rest)


def parse_block(pieces: list[TextPiece]) -> list[PieceResult]:
    """Parse pieces of one format (and no refusal) together; one result per piece, in order."""
    state = pieces[0].state
    if state.refusal is None:
        buf, start, end, ranges = _joined(pieces)
        fast = fast_parse(buf, start, end, state.fields)
        if fast is not None:
            ranges = ranges or [(0, fast.index.count)]
            return [_split(p, fast, r) for p, r in zip(pieces, ranges, strict=True)]
    return [_careful(p) for p in pieces]
