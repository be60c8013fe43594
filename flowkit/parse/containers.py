"""Unwrap the containers CloudWatch Logs and Firehose put flow-log records in.

Pure: decompressed bytes in, record lines out.  Recognised containers:

* ``aws logs get-log-events`` / ``filter-log-events`` JSON output (``{"events": [...]}``, one or
  several pages, or a bare list of events);
* CloudWatch Logs subscription-filter payloads (``{"messageType": "DATA_MESSAGE", "logEvents":
  [...]}``), raw, gzip-compressed, or base64 text, one payload per line; ``CONTROL_MESSAGE``
  payloads carry no records and are skipped (counted as header lines);
* Firehose objects: concatenated ``{"message": "..."}`` objects with no newlines;
* CloudWatch export files (``CreateExportTask``), whose lines start with the event timestamp.

Line numbers of JSON containers are event positions (1-based, over the whole file).  A JSON
value that does not parse is one quarantined event, and reading resumes at the next object (after
a ``}`` followed by ``{``, or at a new line), so the records after it still load; nesting deeper
than the parser's stack is quarantined the same way, never a ``RecursionError``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Unwrapped",
    "is_json",
    "strip_export_prefixes",
    "strip_export_timestamps",
    "unwrap_base64_lines",
    "unwrap_json",
]

_EXPORT_TS = re.compile(rb"(?m)^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z[ \t]+")
_B64_LINE = re.compile(rb"^[A-Za-z0-9+/]{16,}={0,2}$")
#: Where the next JSON object may start after a broken one: after a closing brace (Firehose
#: objects follow each other with nothing between) or at the start of a line.
_NEXT_OBJECT = re.compile(r"\}(?=\s*\{)|\n(?=\s*[\{\[])")
#: Lists nested deeper than this in a container are not searched for events.
MAX_NESTING = 32


@dataclass
class Unwrapped:
    """Record lines taken out of a container, with what the container said about them."""

    kind: str
    messages: list[str] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    log_stream: list[str | None] = field(default_factory=list)
    ingestion_time: list[int | None] = field(default_factory=list)
    control_events: int = 0
    problems: list[tuple[int, str, str]] = field(default_factory=list)
    events_seen: int = 0

    def add(self, message: Any, stream: Any, ingestion: Any) -> None:
        """Add one event."""
        self.events_seen += 1
        self.messages.append(str(message).strip().replace("\n", " "))
        self.positions.append(self.events_seen)
        self.log_stream.append(str(stream) if stream is not None else None)
        self.ingestion_time.append(int(ingestion) if isinstance(ingestion, int | float) else None)

    def fail(self, raw: str, reason: str) -> None:
        """Record an event or object that holds no usable record."""
        self.events_seen += 1
        self.problems.append((self.events_seen, raw[:500], reason))


#: Byte-order marks of the text encodings a saved JSON dump comes in (Windows PowerShell 5
#: writes ``aws logs ... > out.json`` as UTF-16 LE with a BOM).
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def _decode(data: bytes) -> str:
    """Decode JSON text by its byte-order mark (UTF-8 without one)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    return data.decode("utf-8", errors="replace")


def is_json(data: bytes) -> bool:
    """Tell whether decompressed bytes are a JSON container (start with ``{`` or ``[``).

    >>> is_json(b' {"events": []}'), is_json("[]".encode("utf-16")), is_json(b"2 1 eni-1")
    (True, True, False)
    """
    head = _decode(bytes(data[:64])).lstrip()
    return head[:1] in ("{", "[")


def strip_export_timestamps(data: bytes) -> bytes | None:
    """Remove the leading timestamps of a CloudWatch export file; None if it is not one.

    >>> strip_export_timestamps(b"2025-07-21T04:15:27.000Z 2 123 eni-1\\n")
    b'2 123 eni-1\\n'
    """
    first = data[:200].lstrip(b"\r\n")
    if not _EXPORT_TS.match(first):
        return None
    return _EXPORT_TS.sub(b"", data)


def strip_export_prefixes(data: bytes) -> bytes:
    """Remove CloudWatch export timestamps wherever a line starts with one.

    >>> strip_export_prefixes(b"2025-07-21T04:15:27.000Z 2 123\\n2 456\\n")
    b'2 123\\n2 456\\n'
    """
    return _EXPORT_TS.sub(b"", data)


def _raw(obj: Any) -> str:
    """An event's JSON text for the quarantine (cut at 500 characters)."""
    try:
        return json.dumps(obj)[:500]
    except (RecursionError, ValueError):
        return "<nested too deeply to show>"


def _take(obj: Any, out: Unwrapped, default_stream: str | None = None, depth: int = 0) -> None:
    if isinstance(obj, list):
        if depth >= MAX_NESTING:
            out.fail(_raw(obj), f"JSON nested too deeply (more than {MAX_NESTING} lists)")
            return
        for item in obj:
            _take(item, out, default_stream, depth + 1)
        return
    if not isinstance(obj, dict):
        out.fail(_raw(obj), "JSON value is not a log event")
        return
    if "messageType" in obj:
        stream = obj.get("logStream", default_stream)
        if obj.get("messageType") == "CONTROL_MESSAGE":
            out.control_events += len(obj.get("logEvents") or [None])
            return
        for event in obj.get("logEvents") or []:
            _event(event, out, stream)
        return
    if "events" in obj and isinstance(obj["events"], list):
        for event in obj["events"]:
            _event(event, out, default_stream)
        return
    _event(obj, out, default_stream)


def _event(event: Any, out: Unwrapped, stream: str | None) -> None:
    if not isinstance(event, dict) or not isinstance(event.get("message"), str):
        out.fail(_raw(event), "JSON object has no 'message' string")
        return
    out.add(event["message"], event.get("logStreamName", stream), event.get("ingestionTime"))


def unwrap_json(data: bytes) -> Unwrapped:
    """Take the record lines out of JSON containers (one or many concatenated objects).

    Examples
    --------
    >>> u = unwrap_json(b'{"message":"2 1 eni-1 - - - - - - - 1 2 - NODATA"}{"message":"x"}')
    >>> u.kind, len(u.messages)
    ('json', 2)
    """
    out = Unwrapped("json")
    text = _decode(data)
    decoder = json.JSONDecoder()
    pos, n = 0, len(text)
    while pos < n:
        while pos < n and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= n:
            break
        try:
            obj, end = decoder.raw_decode(text, pos)
        except (json.JSONDecodeError, RecursionError) as exc:
            # resynchronise at the next object, so the good records after a bad one load
            found = _NEXT_OBJECT.search(text, pos + 1)
            end = found.end() if found else n
            if isinstance(exc, RecursionError):
                reason = f"JSON nested too deeply at character {pos}"
            else:
                reason = f"invalid JSON at character {pos}: {exc.msg}"
            out.fail(text[pos:end].rstrip()[:500], reason)
            pos = end
            continue
        _take(obj, out)
        pos = end
    return out


def unwrap_base64_lines(data: bytes) -> Unwrapped | None:
    """Decode subscription payloads stored as base64 text, one per line; None if not that.

    Each line is base64 of a gzip-compressed subscription payload (as Kinesis delivers them).
    """
    lines = [ln.strip() for ln in data.splitlines() if ln.strip()]
    if not lines or not _B64_LINE.match(lines[0]):
        return None
    try:
        first = base64.b64decode(lines[0], validate=True)
    except (binascii.Error, ValueError):
        return None
    if first[:2] != b"\x1f\x8b":
        return None
    out = Unwrapped("subscription")
    for line in lines:
        try:
            payload = zlib.decompress(base64.b64decode(line, validate=True), wbits=47)
        except (binascii.Error, ValueError, zlib.error) as exc:
            out.fail(line.decode("ascii", errors="replace"), f"bad subscription payload: {exc}")
            continue
        inner = unwrap_json(payload)
        for msg, stream, ing in zip(
            inner.messages, inner.log_stream, inner.ingestion_time, strict=True
        ):
            out.add(msg, stream, ing)
        out.control_events += inner.control_events
        for _, raw, reason in inner.problems:
            out.fail(raw, reason)
    return out
