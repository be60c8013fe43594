"""Flow-log text to typed Arrow tables: the careful path, and the types both paths give.

Pure: bytes in, tables and counts out; no file or network access.

The **careful path** (:func:`parse_careful`) reads one line at a time in Python for the
splitting (the rules of :mod:`flowkit.parse.lines`: runs of ASCII whitespace, CRLF, blank lines,
header lines, refused characters, the line cap), then validates every number and address
vectorised.  Every line ends up as a record, a quarantined line, a header or a blank line, and
the counts say so.  It is the reference: the fast path (:mod:`flowkit.parse.fast`) hands it every
line it is not sure of, so both give the same result for every line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flowkit.parse.lines import (
    ADDRESS_COLUMNS,
    MAX_LINE_BYTES,
    UNKNOWN_FORMAT,
    bad_character,
    check_addresses,
    cut,
    header_verdict,
    too_long,
)
from flowkit.schema import DEFAULT_FIELDS, column_name, dtype_of, is_tgw_format

__all__ = [
    "COUNT_COLUMNS",
    "CarefulResult",
    "FileCounts",
    "FormatState",
    "ParsedPart",
    "arrow_type",
    "parse_careful",
    "rows_to_part",
]

_INT_TYPES = {
    "UInt8": pa.uint8(),
    "UInt16": pa.uint16(),
    "UInt32": pa.uint32(),
    "UInt64": pa.uint64(),
}
_INT_MAX = {"UInt8": 2**8 - 1, "UInt16": 2**16 - 1, "UInt32": 2**32 - 1, "UInt64": 2**64 - 1}
_DICT = pa.dictionary(pa.int32(), pa.string())


@lru_cache(maxsize=4096)  # called per column of every block and Parquet file
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


#: The per-file counts of a load (``df.attrs["flowkit"]["files"]``), in display order.
COUNT_COLUMNS = tuple(FileCounts.__dataclass_fields__)


@dataclass
class ParsedPart:
    """Typed records of one format from one or more inputs."""

    fields: tuple[str, ...]
    table: pa.Table
    extra: dict[str, pa.Array] = field(default_factory=dict)


@dataclass(frozen=True)
class FormatState:
    """The format in force in a text, and why its records cannot load (None: they can)."""

    fields: tuple[str, ...]
    refusal: str | None = None


@dataclass
class CarefulResult:
    """What the careful path made of one text."""

    parts: list[ParsedPart]
    counts: FileCounts
    bad: list[tuple[int, str, str]]  # (line, raw, reason)
    fields: tuple[str, ...]  # the format in force at the end of the text
    refusal: str | None = None  # why records after the text cannot load, if they cannot
    record_lines: list[int] = field(default_factory=list)  # line of each record, in order
    stopped_after: int | None = None  # index of the line that changed the format, if stopped

    @property
    def state(self) -> FormatState:
        """The format state at the end of the text."""
        return FormatState(self.fields, self.refusal)


def _other_kind(fields: tuple[str, ...], record_type: str | None) -> str | None:
    if record_type is None or is_tgw_format(fields) == (record_type == "tgw"):
        return None
    kind = "Transit Gateway" if record_type == "vpc" else "VPC"
    return f"{kind} record after a header line; not of this load"


def parse_careful(
    data: bytes,
    fields: tuple[str, ...] | None,
    *,
    first_line: int = 1,
    line_numbers: np.ndarray | None = None,
    extra: dict[str, list[Any]] | None = None,
    header_expected: bool = True,
    record_type: str | None = None,
    refusal: str | None = None,
    at_file_start: bool = False,
    stop_at_switch: bool = False,
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
    refusal : str, optional
        Why records cannot load at the start of ``data`` (the format is unknown); each record
        line is quarantined with it until a usable header line.
    at_file_start : bool
        Whether the first line of ``data`` is the first line of a file (where a line of field
        names is a header even if few of them are known).
    stop_at_switch : bool
        Stop after the first header line that changes the format state
        (:attr:`CarefulResult.stopped_after` is its index).
    """
    current = tuple(fields) if fields else DEFAULT_FIELDS
    counts = FileCounts()
    bad: list[tuple[int, str, str]] = []
    parts: list[ParsedPart] = []
    record_lines: list[int] = []
    rows: list[list[str]] = []
    row_text: list[str] = []
    row_lines: list[int] = []
    row_index: list[int] = []
    stopped: int | None = None

    def quarantine(ln: int, raw: bytes | str, reason: str) -> None:
        counts.quarantined += 1
        bad.append((ln, cut(raw), reason))

    def flush() -> None:
        if rows:
            part, part_bad, kept = rows_to_part(
                current, rows, row_text, row_lines, row_index, extra
            )
            bad.extend(part_bad)
            counts.records += part.table.num_rows
            counts.quarantined += len(part_bad)
            record_lines.extend(kept)
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
        if len(raw) > MAX_LINE_BYTES:
            quarantine(ln, raw, too_long(len(raw)))
            continue
        raw = raw.removesuffix(b"\r")
        if b"\x00" in raw:
            quarantine(ln, raw, "binary data (NUL bytes), not flow-log text")
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            quarantine(ln, raw, "binary data (not UTF-8 text), not flow-log text")
            continue
        refused = bad_character(text)
        if refused is not None:
            quarantine(ln, text, refused)
            continue
        tokens = text.split()
        if not tokens:
            counts.blank_lines += 1
            continue
        verdict = (
            header_verdict(tokens, current, first_line=at_file_start and i == 0)
            if header_expected
            else None
        )
        if verdict is not None:
            before = (current, refusal)
            flush()
            if verdict[0] == "header":
                counts.header_lines += 1
                current = verdict[1]  # type: ignore[assignment]
                refusal = _other_kind(current, record_type)
            else:
                quarantine(ln, text, f"bad header line: {verdict[1]}")
                refusal = UNKNOWN_FORMAT
            if stop_at_switch and (current, refusal) != before:
                stopped = i
                break
            continue
        if refusal is not None:
            quarantine(ln, text, refusal)
            continue
        if len(tokens) != len(current):
            quarantine(ln, text, f"expected {len(current)} fields, found {len(tokens)}")
            continue
        rows.append(tokens)
        row_text.append(text)
        row_lines.append(ln)
        row_index.append(i)
    flush()
    return CarefulResult(parts, counts, bad, current, refusal, record_lines, stopped)


def _integers(name: str, strings: pa.Array, is_null: pa.Array) -> tuple[pa.Array, np.ndarray, str]:
    """Typed values of an integer or time column, which are valid, and how to say it."""
    col = column_name(name)
    dtype = dtype_of(col)
    digits = pc.match_substring_regex(strings, r"^[0-9]{1,20}$")
    # 20 digits fit in uint64 up to 2**64 - 1 (same length: compare as text)
    too_long_ = pc.and_(pc.equal(pc.utf8_length(strings), 20), pc.greater(strings, str(2**64 - 1)))
    digits = pc.and_(digits, pc.invert(too_long_))
    ok = pc.or_(is_null, digits)
    numbers = pc.cast(pc.if_else(digits, strings, pa.scalar(None, pa.string())), pa.uint64())
    limit = _INT_MAX.get(dtype, 2**63 - 1)
    if limit < 2**64 - 1:
        over = pc.fill_null(pc.greater(numbers, pa.scalar(limit, pa.uint64())), False)
        ok = pc.and_(ok, pc.invert(over))
    kind = "an integer" if dtype.startswith("datetime") else f"a valid {dtype} number"
    numbers = pc.if_else(ok, numbers, pa.scalar(None, pa.uint64()))
    typed = pc.cast(numbers, arrow_type(col), safe=False)
    return typed, ok.to_numpy(zero_copy_only=False), f"is not {kind}"


def rows_to_part(
    fields: tuple[str, ...],
    rows: list[list[str]],
    row_text: list[str],
    row_lines: list[int],
    row_index: list[int],
    extra: dict[str, list[Any]] | None,
) -> tuple[ParsedPart, list[tuple[int, str, str]], list[int]]:
    """Type the split rows of one format; rows with an invalid value are returned as bad."""
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
            arrays[col], ok_np, problem = _integers(name, strings, is_null)
        else:
            strings = pc.if_else(is_null, pa.scalar(None, pa.string()), strings)
            ok_np = np.ones(n, dtype=bool)
            problem = ""
            if col in ADDRESS_COLUMNS:
                strings, ok_np = check_addresses(strings)
                problem = "is not an IP address"
            arrays[col] = strings
        for j in np.flatnonzero(~ok_np & ~invalid):
            reasons[int(j)] = f"field '{name}' {problem}: {values[j]!r}"
        invalid |= ~ok_np
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
    bad = [(row_lines[j], cut(row_text[j]), reasons[j]) for j in sorted(reasons)]
    kept = [row_lines[j] for j in np.flatnonzero(keep)]
    return ParsedPart(fields, table, extra_arrays), bad, kept
