"""Flow-log text to typed Arrow tables: a fast path and a careful path.

Pure: bytes in, tables and counts out; no file or network access.

* **Fast path** (:func:`parse_clean`): pyarrow's CSV reader with the exact schema from
  :mod:`flowkit.schema`, over the bodies of many files at once.  It trusts nothing: any
  conversion error, a wrong field count, or a row count that differs from the number of lines
  sends the text to the careful path.
* **Careful path** (:func:`parse_careful`): one line at a time in Python for the splitting
  (runs of whitespace, CRLF, blank lines, repeated headers, binary garbage), then vectorised
  validation of every number.  Every line ends up as a record, a quarantined line, a header or a
  blank line, and the counts say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from flowkit.schema import (
    DEFAULT_FIELDS,
    column_name,
    dtype_of,
    is_tgw_format,
    looks_like_header,
    parse_format,
)

__all__ = [
    "FileCounts",
    "ParsedPart",
    "arrow_type",
    "header_of",
    "parse_careful",
    "parse_clean",
]

RAW_LIMIT = 500
_INT_TYPES = {
    "UInt8": pa.uint8(),
    "UInt16": pa.uint16(),
    "UInt32": pa.uint32(),
    "UInt64": pa.uint64(),
}
_INT_MAX = {"UInt8": 2**8 - 1, "UInt16": 2**16 - 1, "UInt32": 2**32 - 1, "UInt64": 2**64 - 1}
_DICT = pa.dictionary(pa.int32(), pa.string())
_OTHER_WHITESPACE = r"[\t\v\f\r]"


def arrow_type(column: str) -> pa.DataType:
    """Arrow type a column is parsed into (times stay int64 epochs until assembly)."""
    dtype = dtype_of(column)
    if dtype in _INT_TYPES:
        return _INT_TYPES[dtype]
    if dtype.startswith("datetime64"):
        return pa.int64()
    if dtype == "category":
        return _DICT
    return pa.string()


@dataclass
class FileCounts:
    """How the lines of one input were accounted for.

    ``records + quarantined + header_lines + blank_lines == lines_read`` always holds;
    ``file_errors`` counts problems with the file as a whole (cannot be opened, not gzip, empty,
    truncated), each of which is also one quarantine row with line 0.
    """

    lines_read: int = 0
    records: int = 0
    quarantined: int = 0
    header_lines: int = 0
    blank_lines: int = 0
    file_errors: int = 0

    def add(self, other: FileCounts) -> None:
        """Add another count into this one."""
        for key in self.__dataclass_fields__:
            setattr(self, key, getattr(self, key) + getattr(other, key))

    def as_dict(self) -> dict[str, int]:
        """Return the counts as a plain dict."""
        return {key: int(getattr(self, key)) for key in self.__dataclass_fields__}


@dataclass
class ParsedPart:
    """Typed records of one format from one or more inputs."""

    fields: tuple[str, ...]
    table: pa.Table
    extra: dict[str, pa.Array] = field(default_factory=dict)


@dataclass
class CarefulResult:
    """What the careful path made of one text."""

    parts: list[ParsedPart]
    counts: FileCounts
    bad: list[tuple[int, str, str]]  # (line, raw, reason)
    fields: tuple[str, ...]  # the format in force at the end of the text


@lru_cache(maxsize=512)
def header_of(first_line: bytes) -> tuple[str, ...] | None:
    """Return the field names if a line is a header line, else None.

    >>> header_of(b"version srcaddr dstaddr")
    ('version', 'srcaddr', 'dstaddr')
    >>> header_of(b"2 123456789010 eni-1") is None
    True
    >>> header_of(b"\\xef\\xbb\\xbfversion srcaddr")  # a UTF-8 byte-order mark is ignored
    ('version', 'srcaddr')
    """
    try:
        tokens = first_line.removeprefix(b"\xef\xbb\xbf").decode("ascii").split()
    except UnicodeDecodeError:
        return None
    if not looks_like_header(tokens):
        return None
    try:
        return parse_format(tokens)
    except ValueError:
        return None


def parse_clean(
    body: bytes | memoryview, fields: tuple[str, ...], expected_rows: int | None
) -> pa.Table | None:
    """Parse clean record lines with pyarrow's CSV reader; None if anything is off.

    ``body`` holds record lines only (no header).  The result has one column per field, named
    by column name, typed by :func:`arrow_type`.  ``expected_rows``, when given, must match.

    pyarrow reads a blank line as a row of empty strings: a string column holding ``""``
    (a value whitespace splitting can never produce) sends the text to the careful path, which
    counts blank lines; a repeated header line fails on the first number column.  A format
    without both string and number columns always takes the careful path.
    """
    names = [column_name(f) for f in fields]
    types = {n: arrow_type(n) for n in names}
    text_columns = [n for n, t in types.items() if t == pa.string() or t == _DICT]
    if not text_columns or len(text_columns) == len(names):
        return None  # no text column to spot blank lines, or no number to spot repeated headers
    try:
        table = pacsv.read_csv(
            pa.py_buffer(body),
            read_options=pacsv.ReadOptions(column_names=names, block_size=4 << 20),
            parse_options=pacsv.ParseOptions(
                delimiter=" ", quote_char=False, escape_char=False, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                null_values=["-"],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
                true_values=[],
                false_values=[],
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if expected_rows is not None and table.num_rows != expected_rows:
        return None
    col = table[text_columns[0]]
    for chunk in col.chunks:
        values = chunk.dictionary if pa.types.is_dictionary(chunk.type) else chunk
        if pc.any(pc.equal(values, "")).as_py():
            return None
    for name in text_columns:  # a tab (or other whitespace) separates fields too
        for chunk in table[name].chunks:
            values = chunk.dictionary if pa.types.is_dictionary(chunk.type) else chunk
            if pc.any(pc.match_substring_regex(values, _OTHER_WHITESPACE)).as_py():
                return None
    return table


def _cut(raw: bytes | str) -> str:
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    return text[:RAW_LIMIT]


def parse_careful(
    data: bytes,
    fields: tuple[str, ...] | None,
    *,
    first_line: int = 1,
    line_numbers: np.ndarray | None = None,
    extra: dict[str, list[Any]] | None = None,
    header_expected: bool = True,
    record_type: str | None = None,
) -> CarefulResult:
    """Parse text one line at a time, quarantining what is not a record.

    Parameters
    ----------
    data : bytes
        Text, lines separated by ``\\n`` (``\\r\\n`` is accepted).
    fields : tuple of str or None
        The format of lines before any header line; None means the default format.
    first_line : int
        Line number of the first line of ``data`` (for chunks of a large file).
    line_numbers : numpy.ndarray, optional
        Explicit number of each line (the event positions of a JSON container).
    extra : dict, optional
        Per-line values of extra columns (``log_stream``, ``ingestion_time``), kept for records.
    header_expected : bool
        Whether a header line may appear (text files); False for JSON events.
    record_type : {"vpc", "tgw"}, optional
        The kind of records being loaded: after a header line that switches to the other kind
        (``cat vpc.log tgw.log``), its records are quarantined, not mixed in.
    """
    current = tuple(fields) if fields else DEFAULT_FIELDS
    foreign = False
    counts = FileCounts()
    bad: list[tuple[int, str, str]] = []
    parts: list[ParsedPart] = []
    rows: list[list[str]] = []
    row_text: list[str] = []
    row_lines: list[int] = []
    row_index: list[int] = []

    def flush() -> None:
        if rows:
            part, part_bad = _rows_to_part(current, rows, row_text, row_lines, row_index, extra)
            for ln, raw, reason in part_bad:
                bad.append((ln, raw, reason))
            counts.records += part.table.num_rows
            counts.quarantined += len(part_bad)
            if part.table.num_rows:
                parts.append(part)
            rows.clear()
            row_text.clear()
            row_lines.clear()
            row_index.clear()

    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for i, raw in enumerate(lines):
        ln = int(line_numbers[i]) if line_numbers is not None else first_line + i
        counts.lines_read += 1
        if b"\x00" in raw:
            counts.quarantined += 1
            bad.append((ln, _cut(raw), "binary data (NUL bytes), not flow-log text"))
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            counts.quarantined += 1
            bad.append((ln, _cut(raw), "binary data (not UTF-8 text), not flow-log text"))
            continue
        tokens = text.split()
        if not tokens:
            counts.blank_lines += 1
            continue
        if header_expected and looks_like_header(tokens):
            try:
                new = parse_format(tokens)
            except ValueError as exc:
                counts.quarantined += 1
                bad.append((ln, _cut(text), f"bad header line: {exc}"))
                continue
            counts.header_lines += 1
            if new != current:
                flush()
                current = new
                foreign = record_type is not None and is_tgw_format(new) != (record_type == "tgw")
            continue
        if foreign:
            counts.quarantined += 1
            kind = "Transit Gateway" if record_type == "vpc" else "VPC"
            bad.append((ln, _cut(text), f"{kind} record after a header line; not of this load"))
            continue
        if len(tokens) != len(current):
            counts.quarantined += 1
            bad.append((ln, _cut(text), f"expected {len(current)} fields, found {len(tokens)}"))
            continue
        rows.append(tokens)
        row_text.append(text)
        row_lines.append(ln)
        row_index.append(i)
    flush()
    return CarefulResult(parts, counts, bad, current)


def _rows_to_part(
    fields: tuple[str, ...],
    rows: list[list[str]],
    row_text: list[str],
    row_lines: list[int],
    row_index: list[int],
    extra: dict[str, list[Any]] | None,
) -> tuple[ParsedPart, list[tuple[int, str, str]]]:
    """Type the split rows of one format; rows with an invalid number are returned as bad."""
    n = len(rows)
    columns = list(zip(*rows, strict=True))
    invalid = np.zeros(n, dtype=bool)
    reasons: dict[int, str] = {}
    arrays: dict[str, pa.Array] = {}
    for name, values in zip(fields, columns, strict=True):
        col = column_name(name)
        target = arrow_type(col)
        strings = pa.array(values, pa.string())
        is_null = pc.equal(strings, "-")
        if pa.types.is_integer(target):
            dtype = dtype_of(col)
            digits = pc.match_substring_regex(strings, r"^[0-9]{1,20}$")
            # 20 digits fit in uint64 up to 2**64 - 1 (same length: compare as text)
            too_long = pc.and_(
                pc.equal(pc.utf8_length(strings), 20), pc.greater(strings, str(2**64 - 1))
            )
            digits = pc.and_(digits, pc.invert(too_long))
            ok = pc.or_(is_null, digits)
            numbers = pc.cast(
                pc.if_else(digits, strings, pa.scalar(None, pa.string())), pa.uint64()
            )
            limit = _INT_MAX.get(dtype, 2**63 - 1)
            if limit < 2**64 - 1:
                over = pc.fill_null(pc.greater(numbers, pa.scalar(limit, pa.uint64())), False)
                ok = pc.and_(ok, pc.invert(over))
            ok_np = ok.to_numpy(zero_copy_only=False)
            kind = "an integer" if dtype.startswith("datetime") else f"a valid {dtype} number"
            for j in np.flatnonzero(~ok_np & ~invalid):
                reasons[int(j)] = f"field '{name}' is not {kind}: {values[j]!r}"
            invalid |= ~ok_np
            numbers = pc.if_else(ok, numbers, pa.scalar(None, pa.uint64()))
            arrays[col] = pc.cast(numbers, target, safe=False)
        else:
            arrays[col] = pc.if_else(is_null, pa.scalar(None, pa.string()), strings)
    keep = ~invalid
    table = pa.table(arrays).filter(pa.array(keep))
    for col in table.column_names:
        if arrow_type(col) == _DICT:
            table = table.set_column(
                table.column_names.index(col), col, pc.dictionary_encode(table[col])
            )
    extra_arrays: dict[str, pa.Array] = {}
    if extra:
        idx = np.asarray(row_index)[keep]
        for key, per_line in extra.items():
            extra_arrays[key] = pa.array([per_line[int(k)] for k in idx])
    bad = [(row_lines[j], _cut(row_text[j]), reasons[j]) for j in sorted(reasons)]
    return ParsedPart(fields, table, extra_arrays), bad
