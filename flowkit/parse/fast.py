"""The fast path: pyarrow's CSV reader with the exact schema, around the lines it cannot trust.

Pure: bytes in, a typed table and the indices of the lines it left out.  :func:`fast_parse`
reads a block of whole lines serially (so pyarrow reports the row of a conversion error) and
never refuses a whole block for one bad line: every line it is not sure the careful path would
read the same way is *suspect*, left out of the table and listed, and the caller hands those
lines to :func:`flowkit.parse.text.parse_careful`.  A line is suspect when

* it holds a bare CR (pyarrow would end a row there), or a field starting ``0x`` (pyarrow reads
  hexadecimal integers);
* pyarrow finds a wrong field count or a value that does not convert (the error names the row;
  the rows after the last whole batch before it are read again, at most :data:`INNER_BLOCK`);
* a text value is empty (a blank line, a doubled space) or holds a character of
  :data:`~flowkit.parse.lines.SUSPECT_VALUE` (tabs, control, format and separator characters);
* an address is not valid or is IPv4-mapped, a time is above 2**63 - 1, or the line is longer
  than the cap.

So a bad line costs its own line, not its block.  A block with many suspect lines (over
:data:`MAX_SUSPECT_SHARE`) is left to the careful path whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from flowkit.parse.lines import ADDRESS_COLUMNS, MAX_LINE_BYTES, SUSPECT_VALUE, check_addresses
from flowkit.parse.text import arrow_type
from flowkit.schema import column_name

__all__ = ["FastResult", "LineIndex", "fast_parse"]

#: Bytes pyarrow reads at a time inside a block (a conversion error re-reads at most this).
INNER_BLOCK = 4 << 20
#: The same once a line of the block failed: more bad lines may follow, and each failure
#: re-reads its batch up to the bad line, so smaller batches keep scattered bad lines linear.
RETRY_BLOCK = 64 << 10
#: Share of suspect lines above which a block goes to the careful path whole.
MAX_SUSPECT_SHARE = 0.02
_MIN_SUSPECT_LIMIT = 64
_ROW = re.compile(r"Row #(\d+)")
_INT64_MAX = pa.scalar(2**63 - 1, pa.uint64())
_SPACES = (32, 10, 9, 11, 12, 13)  # a field starts after one of these


class _Refused(Exception):
    """The block is left to the careful path."""


class LineIndex:
    """Where the lines of ``buf[start:end]`` are (the newline positions, found on demand)."""

    def __init__(self, buf: bytes, start: int, end: int) -> None:
        self.buf, self.start, self.end = buf, start, end
        self._newlines: np.ndarray | None = None
        self._count: int | None = None

    @property
    def count(self) -> int:
        """Number of lines (a last line without a newline counts)."""
        if self._count is None:
            last = 1 if self.end > self.start and self.buf[self.end - 1] != 10 else 0
            self._count = len(self.newlines) + last
        return self._count

    @count.setter
    def count(self, value: int) -> None:
        self._count = value

    @property
    def newlines(self) -> np.ndarray:
        """Absolute positions of the ``\\n`` of every line."""
        if self._newlines is None:
            arr = np.frombuffer(self.buf, np.uint8, self.end - self.start, self.start)
            self._newlines = np.flatnonzero(arr == 10) + self.start
        return self._newlines

    def line_start(self, i: int) -> int:
        """Absolute offset of line ``i`` (``end`` for ``i == count``)."""
        if i <= 0:
            return self.start
        if i >= self.count:
            return self.end
        return int(self.newlines[i - 1]) + 1

    def line_of(self, positions: np.ndarray) -> np.ndarray:
        """Index of the line holding each absolute byte position."""
        return np.searchsorted(self.newlines, positions, side="left")

    def line(self, i: int) -> bytes:
        """The bytes of line ``i`` without its ``\\n``."""
        return self.buf[self.line_start(i) : min(self.line_start(i + 1), self.end)].removesuffix(
            b"\n"
        )


@dataclass
class FastResult:
    """The rows the fast path typed, and the lines it left to the careful path."""

    table: pa.Table  # one row per line not suspect, in line order
    row_lines: np.ndarray  # 0-based line index of each row
    suspect: np.ndarray  # sorted 0-based indices of the suspect lines
    index: LineIndex


@lru_cache(maxsize=64)
def _plan(fields: tuple[str, ...]) -> tuple[list[str], dict[str, pa.DataType]] | None:
    """Column names and the types pyarrow reads them as; None if the format is all text."""
    names = [column_name(f) for f in fields]
    types = {}
    for n in names:
        t = arrow_type(n)
        types[n] = pa.uint64() if t == pa.int64() else t  # times: no sign, checked below
    if not any(pa.types.is_integer(t) for t in types.values()):
        return None  # a repeated header or a blank line would read as a record
    return names, types


def _pre_scan(index: LineIndex) -> set[int]:
    """Lines with a bare CR or a field starting ``0x``."""
    buf, start, end = index.buf, index.start, index.end
    positions: list[int] = []
    if buf.find(b"\r", start, end) >= 0:
        arr = np.frombuffer(buf, np.uint8, end - start, start)
        cr = np.flatnonzero(arr == 13)
        nxt = np.append(arr, 0)[cr + 1]
        positions.extend((cr[nxt != 10] + start).tolist())
    for x in (b"x", b"X"):
        p = buf.find(x, start, end)
        while p >= 0:
            if p - start >= 1 and buf[p - 1] == 48 and (p - start == 1 or buf[p - 2] in _SPACES):
                positions.append(p)
            p = buf.find(x, p + 1, end)
    return set(index.line_of(np.asarray(positions)).tolist()) if positions else set()


def _read(view: memoryview, names: list[str], types: dict[str, pa.DataType],
          block_size: int = INNER_BLOCK) -> tuple[list[pa.RecordBatch], int | None]:  # fmt: skip
    """Read lines serially: the batches read, and the 1-based row that failed, if one did.

    No invalid-row handler: with one, pyarrow reads about 15 % slower; a wrong field count
    fails like a bad value, naming its row.
    """
    batches: list[pa.RecordBatch] = []
    try:
        reader = pacsv.open_csv(
            pa.py_buffer(view),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=False,
                                           block_size=block_size),
            parse_options=pacsv.ParseOptions(delimiter=" ", quote_char=False, escape_char=False,
                                             ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types=types, null_values=["-"],
                                                 strings_can_be_null=True,
                                                 quoted_strings_can_be_null=False,
                                                 true_values=[], false_values=[]),
        )  # fmt: skip
        for batch in reader:
            batches.append(batch)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        m = _ROW.search(str(exc))
        if m is None:
            raise _Refused from exc
        return batches, int(m.group(1))
    return batches, None


def _read_lines(index: LineIndex, names: list[str], types: dict[str, pa.DataType],
                suspect: set[int], limit: int) -> list[pa.RecordBatch]:  # fmt: skip
    """Read every line that is not suspect, adding the lines pyarrow refuses to ``suspect``."""
    out: list[pa.RecordBatch] = []
    todo: list[tuple[int, int]] = []  # [first, last) line ranges, in order
    first = 0
    for s in sorted(suspect):
        if s > first:
            todo.append((first, s))
        first = s + 1
    todo.append((first, -1))  # -1: to the end of the block
    whole = memoryview(index.buf)
    block = INNER_BLOCK
    while todo:
        a, b = todo.pop(0)
        if b < 0 and (a > 0 or len(todo) or len(suspect)):
            b = index.count
        if a >= b >= 0:
            continue
        view = whole[index.line_start(a) : index.end if b < 0 else index.line_start(b)]
        batches, failed = _read(view, names, types, block)
        out.extend(batches)
        if failed is not None:
            block = RETRY_BLOCK
            b = index.count if b < 0 else b
            suspect.add(a + failed - 1)
            kept = a + sum(x.num_rows for x in batches)  # the rows before the failing batch
            todo[:0] = [r for r in ((kept, a + failed - 1), (a + failed, b)) if r[0] < r[1]]
        if len(suspect) > limit:
            raise _Refused
    return out


def _value_flags(table: pa.Table) -> tuple[pa.Table, np.ndarray, int]:
    """Rows with a suspect text value, address or time; the table with mapped addresses read;
    and an upper bound of the length of a line."""
    n = table.num_rows
    flags = np.zeros(n, dtype=bool)
    longest = len(table.column_names)  # separators
    for i, name in enumerate(table.column_names):
        col = table.column(i)
        if pa.types.is_dictionary(col.type) or pa.types.is_string(col.type):
            chunks, off, changed = [], 0, False
            widest = 0
            for chunk in col.chunks:
                values = chunk.dictionary if pa.types.is_dictionary(chunk.type) else chunk
                if name in ADDRESS_COLUMNS:  # a valid address holds no odd character
                    kept, ok = check_addresses(values)
                    bad_np = ~ok
                    if kept is not values:
                        changed = True
                        chunk = pa.DictionaryArray.from_arrays(chunk.indices, kept)
                else:
                    bad = pc.match_substring_regex(values, SUSPECT_VALUE)
                    bad_np = pc.fill_null(bad, False).to_numpy(zero_copy_only=False)
                if len(values):
                    widest = max(widest, pc.max(pc.binary_length(values)).as_py() or 0)
                if bad_np.any():
                    if pa.types.is_dictionary(chunk.type):
                        idx = pc.fill_null(chunk.indices, -1).to_numpy(zero_copy_only=False)
                        row_bad = np.append(bad_np, False)[idx]
                    else:
                        row_bad = bad_np
                    flags[off : off + len(chunk)] |= row_bad
                chunks.append(chunk)
                off += len(chunk)
            longest += widest
            if changed:
                table = table.set_column(i, name, pa.chunked_array(chunks, col.type))
        elif col.type == pa.uint64() and arrow_type(name) == pa.int64():  # a time
            over = pc.fill_null(pc.greater(col, _INT64_MAX), False)
            if pc.any(over).as_py():
                flags |= over.to_numpy(zero_copy_only=False)
            longest += 20
        else:
            longest += 20
    return table, flags, longest


def _too_long(index: LineIndex, lines: np.ndarray) -> np.ndarray:
    """Which of the given lines are longer than the cap (without their ``\\n``)."""
    nl = index.newlines
    if not len(nl):
        return np.full(len(lines), index.end - index.start > MAX_LINE_BYTES)
    starts = np.where(lines > 0, nl[np.maximum(lines - 1, 0)] + 1, index.start)
    ends = np.where(lines < len(nl), nl[np.minimum(lines, len(nl) - 1)], index.end)
    return (ends - starts) > MAX_LINE_BYTES  # type: ignore[no-any-return]


def _compact(table: pa.Table) -> pa.Table:
    """Drop the dictionary values only rows that were taken out used."""
    for i, name in enumerate(table.column_names):
        col = table.column(i)
        if pa.types.is_dictionary(col.type):
            table = table.set_column(i, name, pc.dictionary_encode(pc.cast(col, pa.string())))
    return table


def fast_parse(buf: bytes, start: int, end: int, fields: tuple[str, ...]) -> FastResult | None:
    """Type the lines of ``buf[start:end]`` (whole lines) in format ``fields``.

    Returns None when the whole block is better left to the careful path: a format of text
    fields only, or more suspect lines than :data:`MAX_SUSPECT_SHARE` of the block.
    """
    plan = _plan(fields)
    if plan is None:
        return None
    names, types = plan
    index = LineIndex(buf, start, end)
    if end <= start:
        index.count = 0
    limit = max(_MIN_SUSPECT_LIMIT, int((end - start) * MAX_SUSPECT_SHARE / 100))
    try:
        suspect = _pre_scan(index) if end > start else set()
        batches = _read_lines(index, names, types, suspect, limit) if end > start else []
    except _Refused:
        return None
    schema = pa.schema([(n, types[n]) for n in names])
    table = pa.Table.from_batches(batches, schema=schema)
    if not suspect and index._newlines is None and index._count is None:
        index.count = table.num_rows  # one row per line: pyarrow read them all
    bad_lines = np.fromiter(sorted(suspect), dtype=np.int64, count=len(suspect))
    row_lines = np.arange(index.count, dtype=np.int64)
    if len(bad_lines):
        row_lines = np.setdiff1d(row_lines, bad_lines, assume_unique=True)
    if table.num_rows != len(row_lines):  # pragma: no cover - one row per line, always
        return None
    table, flags, longest = _value_flags(table)
    if longest > MAX_LINE_BYTES:
        flags |= _too_long(index, row_lines)
    if flags.any():
        bad_lines = np.union1d(bad_lines, row_lines[flags])
        row_lines = row_lines[~flags]
        table = _compact(table.filter(pa.array(~flags)))
        if len(bad_lines) > limit:
            return None
    for i, name in enumerate(table.column_names):
        if arrow_type(name) == pa.int64():  # checked to be at most 2**63 - 1: the same bits
            col = table.column(i)
            as_int = [pa.Array.from_buffers(pa.int64(), len(c), c.buffers(), c.null_count, c.offset)
                      for c in col.chunks]  # fmt: skip
            table = table.set_column(i, name, pa.chunked_array(as_int, pa.int64()))
    return FastResult(table, row_lines, bad_lines, index)
