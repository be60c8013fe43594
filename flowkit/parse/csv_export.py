"""CSV exports of flow logs: Athena query results, CloudWatch Logs Insights, Sentinel's AWSVPCFlow.

Pure: bytes in, parsed parts and counts out; no file or network access.  The collector sends a
text input here when its first line is a flow-log CSV header (:func:`csv_layout`), so CSV loads
from every place text does (files, gzip, globs, S3), chunk by chunk.

* **Header names** are matched against the one field table (:mod:`flowkit.schema`) ignoring
  case and separators: ``account_id`` (Athena), ``accountId`` (Logs Insights), ``AccountId``
  (Sentinel) and ``account-id`` are all ``account-id``.  Also: Logs Insights' ``startTime`` and
  ``endTime``; Sentinel's ``TrafficType`` (its ``Type`` column is the table name) and
  ``TimeGenerated`` (the start, when there is no ``Start`` column).  Names starting with ``_``
  or ``@`` are the exporting system's.  Other columns (partition columns such as ``date``,
  ``TenantId``, ``@ptr``) are not loaded; they are listed in
  ``df.attrs["flowkit"]["csv_ignored_columns"]``.
* **A flow-log CSV header** names at least two fields, one of them an address, or has a
  ``@message`` (or ``message``) column.  A field named twice is a file problem, never guessed.
* **``@message``**: when there is one, it holds the raw record, parsed as CloudWatch Logs
  events are (``fields=``, default the 14 default fields); ``@logStream`` becomes
  ``log_stream``; the other columns are not loaded.
* **Values**: quoted or not; empty and ``-`` are missing; ``start``/``end`` as epoch seconds (or
  milliseconds) or ISO 8601 (``2024-06-09T08:00:00Z``, ``2024-06-09 08:00:00.000``; naive means
  UTC; fractions are dropped).  Numbers are validated and typed exactly as in text.
* **Lines**: one record per line.  A line with a wrong number of columns, a quote not closed on
  its line, or a bad value is quarantined with its line number; a repeated header line (two
  exports appended) is a header line; blank lines count as blank.

Examples
--------
>>> layout = csv_layout(b'"version","account_id","srcaddr","dstaddr","date"')
>>> layout.fields, layout.ignored
(('version', 'account-id', 'srcaddr', 'dstaddr'), ('date',))
>>> reader = CsvReader(layout, message_fields=None)
>>> result = reader.parse(b'"version","account_id","srcaddr","dstaddr","date"\\n'
...                       b'"2","000123456789","192.0.2.1","198.51.100.2","2024-06-09"\\n')
>>> result.parts[0].table.column("account_id").to_pylist(), result.counts.header_lines
(['000123456789'], 1)
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from flowkit.parse.lines import cut as _cut
from flowkit.parse.text import (
    CarefulResult,
    FileCounts,
    ParsedPart,
    arrow_type,
    parse_careful,
    rows_to_part,
)
from flowkit.schema import DEFAULT_FIELDS, FIELDS, TIME_DTYPE, column_name, dtype_of

__all__ = ["CsvLayout", "CsvReader", "csv_layout", "field_of_header"]


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.strip().lower())


_KEYS: dict[str, str] = {_key(f.name): f.name for f in FIELDS}
#: Names that are not the field's own (Logs Insights, Sentinel/Log Analytics).
ALIASES: dict[str, str] = {"starttime": "start", "endtime": "end", "traffictype": "type"}
_MESSAGE = {"message"}
_LOG_STREAM = {"logstream"}
_ADDRESSES = {"srcaddr", "dstaddr", "pkt-srcaddr", "pkt-dstaddr"}
_DIGITS = re.compile(r"^[0-9]+$")


def field_of_header(name: str) -> str | None:
    """Return the AWS field a CSV column name stands for, or None.

    Names starting with ``_`` or ``@`` are the exporting system's own (Log Analytics'
    ``_ResourceId``, Logs Insights' ``@timestamp``), never flow-log fields.

    >>> field_of_header("srcAddr"), field_of_header("log_status"), field_of_header("@ptr")
    ('srcaddr', 'log-status', None)
    >>> field_of_header("_ResourceId"), field_of_header("resource_id")
    (None, 'resource-id')
    """
    if name.strip().startswith(("_", "@")):
        return None
    key = _key(name)
    return ALIASES.get(key) or _KEYS.get(key)


@dataclass(frozen=True)
class CsvLayout:
    """What the header line of a CSV export says.

    Attributes
    ----------
    header : tuple of str
        The column names as written (quotes removed).
    fields : tuple of str
        The AWS fields loaded, in column order.
    columns : tuple of int
        The column of each loaded field.
    message, log_stream : int or None
        The ``@message`` and ``@logStream`` columns.
    ignored : tuple of str
        Columns not loaded.
    problem : str or None
        Why the file cannot be read (a field named twice); a file problem.
    line : str
        The header line itself (a repeated one later in the file is a header line too).
    """

    header: tuple[str, ...]
    fields: tuple[str, ...]
    columns: tuple[int, ...]
    message: int | None = None
    log_stream: int | None = None
    ignored: tuple[str, ...] = ()
    problem: str | None = None
    line: str = ""


def _split(line: str) -> list[str]:
    if '"' not in line:
        return line.split(",")
    return next(csv.reader([line], strict=True))


def csv_layout(head: bytes) -> CsvLayout | None:
    """Return the layout of a flow-log CSV export from its first bytes, or None if it is not one.

    Only the first line is read; a UTF-8 byte-order mark and ``\\r`` are ignored.
    """
    first = head.split(b"\n", 1)[0].removeprefix(b"\xef\xbb\xbf").rstrip(b"\r")
    if b"," not in first:
        return None
    try:
        header = tuple(c.strip() for c in _split(first.decode("utf-8")))
    except (UnicodeDecodeError, csv.Error):
        return None
    keys = [_key(c) for c in header]
    message = next((i for i, k in enumerate(keys) if k in _MESSAGE), None)
    stream = next((i for i, k in enumerate(keys) if k in _LOG_STREAM), None)
    names = [field_of_header(c) for c in header]
    if "traffictype" in keys:  # Sentinel: ``Type`` is the table's name, ``TrafficType`` the field
        names = [None if k == "type" else n for k, n in zip(keys, names, strict=True)]
    if "start" not in names and "timegenerated" in keys:  # Sentinel: TimeGenerated is the start
        names[keys.index("timegenerated")] = "start"
    if message is None:
        found = {n for n in names if n}
        if len(found) < 2 or not found & _ADDRESSES:
            return None
    else:
        names = [None] * len(header)
    used = [i for i, n in enumerate(names) if n]
    fields = tuple(str(names[i]) for i in used)
    ignored = tuple(c for i, c in enumerate(header) if not names[i] and i not in (message, stream))
    problem = None
    twice = sorted({f for f in fields if fields.count(f) > 1})
    if twice:
        cols = ", ".join(header[i] for i in used if names[i] in twice)
        problem = f"CSV header names field {', '.join(twice)} more than once ({cols})"
    return CsvLayout(header, fields, tuple(used), message, stream, ignored, problem,
                     first.decode("utf-8"))  # fmt: skip


@dataclass
class CsvReader:
    """Parses the chunks of one CSV export in order (each chunk ends at a newline)."""

    layout: CsvLayout
    message_fields: tuple[str, ...] | None
    next_line: int = 1

    @property
    def fields(self) -> tuple[str, ...]:
        """The format of the records: the mapped fields, or the messages' format."""
        if self.layout.message is not None:
            return self.message_fields or DEFAULT_FIELDS
        return self.layout.fields

    def parse(self, data: bytes, *, truncated: bool = False) -> CarefulResult:
        """Parse the next chunk; ``truncated`` marks a last chunk cut short (gzip stream cut).

        Clean chunks of column exports take pyarrow's CSV reader; anything it does not accept
        exactly (a bad number, a blank line, ISO times, a repeated header, padding) is parsed
        line by line.
        """
        fast = None if truncated else self._fast(data)
        if fast is not None:
            return fast
        counts = FileCounts()
        bad: list[tuple[int, str, str]] = []
        rows: list[list[str]] = []
        texts: list[str] = []
        lines_of: list[int] = []
        streams: list[Any] = []
        lines = data.split(b"\n")
        tail = None
        if lines and lines[-1] == b"":
            lines.pop()
        elif truncated:
            tail = lines.pop()
        for i, raw in enumerate(lines):
            ln = self.next_line + i
            counts.lines_read += 1
            kind, text, values = self._line(ln, raw)
            if kind == "blank":
                counts.blank_lines += 1
            elif kind == "header":
                counts.header_lines += 1
            elif values is None:  # ``kind`` is the reason
                counts.quarantined += 1
                bad.append((ln, _cut(text), kind))
            else:
                rows.append(values)
                texts.append(text)
                lines_of.append(ln)
                if self.layout.log_stream is not None:
                    streams.append(values[self.layout.log_stream].strip() or None)
        self.next_line += len(lines)
        if tail is not None:
            counts.lines_read += 1
            counts.quarantined += 1
            bad.append(
                (self.next_line, _cut(tail), "incomplete last line: the gzip stream was cut")
            )
            self.next_line += 1
        extra = {"log_stream": streams} if streams and any(streams) else None
        if self.layout.message is not None:
            result = self._messages(rows, lines_of, extra)
            counts.lines_read -= len(rows)  # counted again, one per message, by parse_careful
        else:
            result = self._columns(rows, texts, lines_of, extra)
        counts.add(result.counts)
        return CarefulResult(result.parts, counts, sorted([*bad, *result.bad]), self.fields)

    def _fast(self, data: bytes) -> CarefulResult | None:
        layout = self.layout
        types = {f"c{c}": arrow_type(column_name(f)) for c, f in zip(layout.columns, layout.fields,
                                                                     strict=True)}  # fmt: skip
        if (
            layout.message is not None
            or layout.log_stream is not None
            or not any(pa.types.is_integer(t) for t in types.values())
        ):
            return None  # a repeated header line would pass as a record of strings only
        header = 1 if self.next_line == 1 else 0
        body = data[data.find(b"\n") + 1 :] if header else data
        if not body or (header and b"\n" not in data):
            return None
        if body.startswith((b"\n", b"\r\n")) or b"\n\n" in body or b"\n\r\n" in body:
            return None  # pyarrow reads a blank line as a row of missing values
        rows = body.count(b"\n") + (0 if body.endswith(b"\n") else 1)
        try:
            table = pacsv.read_csv(
                pa.py_buffer(body),
                read_options=pacsv.ReadOptions(
                    column_names=[f"c{i}" for i in range(len(layout.header))], block_size=4 << 20
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=",",
                    quote_char='"',
                    escape_char=False,
                    newlines_in_values=False,
                    ignore_empty_lines=False,
                ),
                convert_options=pacsv.ConvertOptions(
                    include_columns=list(types),
                    column_types=types,
                    null_values=["", "-"],
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=True,
                    true_values=[],
                    false_values=[],
                ),
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
        if table.num_rows != rows or not _exact(table):
            return None
        table = table.rename_columns([column_name(f) for f in layout.fields])
        self.next_line += rows + header
        counts = FileCounts(lines_read=rows + header, records=rows, header_lines=header)
        return CarefulResult([ParsedPart(layout.fields, table)], counts, [], layout.fields)

    def _line(self, ln: int, raw: bytes) -> tuple[str, str, list[str] | None]:
        """What one line is: ``("record", text, values)``, ``("blank" | "header", text,
        None)``, or ``(reason, text, None)`` for a line to quarantine."""
        raw = (raw.removeprefix(b"\xef\xbb\xbf") if ln == 1 else raw).rstrip(b"\r")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return "binary data (not UTF-8 text), not CSV text", _cut(raw), None
        if "\x00" in text:
            return "binary data (NUL bytes), not CSV text", text, None
        if not text.strip():
            return "blank", text, None
        if ln == 1 or text == self.layout.line:
            return "header", text, None
        try:
            values = _split(text)
        except csv.Error:
            return "a quote is not closed on its line", text, None
        if len(values) != len(self.layout.header):
            return (
                f"expected {len(self.layout.header)} CSV columns, found {len(values)}",
                text,
                None,
            )
        return "record", text, values

    def _messages(
        self, rows: list[list[str]], lines_of: list[int], extra: dict[str, list[Any]] | None
    ) -> CarefulResult:
        col = self.layout.message
        assert col is not None
        messages = [r[col].strip().replace("\r", " ") for r in rows]
        if not messages:
            return CarefulResult([], FileCounts(), [], self.fields)
        return parse_careful("\n".join(messages).encode("utf-8"), self.fields,
                             line_numbers=np.asarray(lines_of), extra=extra,
                             header_expected=False)  # fmt: skip

    def _columns(
        self,
        rows: list[list[str]],
        texts: list[str],
        lines_of: list[int],
        extra: dict[str, list[Any]] | None,
    ) -> CarefulResult:
        fields = self.layout.fields
        counts = FileCounts()
        if not rows:
            return CarefulResult([], counts, [], fields)
        tokens = [[(r[c].strip() or "-") for c in self.layout.columns] for r in rows]
        bad: list[tuple[int, str, str]] = []
        invalid = np.zeros(len(tokens), dtype=bool)
        for j, name in enumerate(fields):
            if dtype_of(column_name(name)) == TIME_DTYPE:
                for k, why in _times_to_epochs(tokens, j, name):
                    if not invalid[k]:
                        bad.append((lines_of[k], _cut(texts[k]), why))
                    invalid[k] = True
        keep = np.flatnonzero(~invalid)
        kept = [tokens[k] for k in keep]
        counts.quarantined += int(invalid.sum())
        if not kept:
            return CarefulResult([], counts, bad, fields)
        part, part_bad, _ = rows_to_part(
            fields, kept, [texts[k] for k in keep], [lines_of[k] for k in keep],
            list(range(len(kept))),
            {key: [v[k] for k in keep] for key, v in extra.items()} if extra else None,
        )  # fmt: skip
        counts.records += part.table.num_rows
        counts.quarantined += len(part_bad)
        parts = [part] if part.table.num_rows else []
        return CarefulResult(parts, counts, sorted([*bad, *part_bad]), fields)


def _times_to_epochs(tokens: list[list[str]], j: int, name: str) -> list[tuple[int, str]]:
    """Turn ISO 8601 times in column ``j`` into epoch seconds, in place; return bad rows."""
    odd = [k for k, row in enumerate(tokens) if row[j] != "-" and not _DIGITS.match(row[j])]
    if not odd:
        return []
    values = pd.Series([tokens[k][j] for k in odd], dtype="str")
    parsed = pd.to_datetime(values, format="ISO8601", utc=True, errors="coerce")
    seconds = (parsed - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
    bad: list[tuple[int, str]] = []
    for k, value in zip(odd, seconds.tolist(), strict=True):
        if pd.isna(value):
            bad.append((k, f"field '{name}' is not an epoch time or ISO 8601: {tokens[k][j]!r}"))
        else:
            tokens[k][j] = str(int(value))
    return bad


def _exact(table: pa.Table) -> bool:
    """Whether the fast path read what the careful path would: no padded strings (the careful
    path strips them) and no negative times (it rejects them)."""
    for col in table.columns:
        for chunk in col.chunks:
            if pa.types.is_dictionary(chunk.type):
                chunk = chunk.dictionary
            if pa.types.is_string(chunk.type):
                if pc.any(pc.match_substring_regex(chunk, r"^\s|\s$")).as_py():
                    return False
            elif pa.types.is_signed_integer(chunk.type) and pc.any(pc.less(chunk, 0)).as_py():
                return False
    return True
