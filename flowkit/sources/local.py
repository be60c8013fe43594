"""Local files: find them, open them, decompress them, and feed a :class:`Collector`.

Content decides how a file is read, not its name: gzip by its magic bytes (several members
allowed), Parquet by ``PAR1``, JSON containers by a leading ``{`` or ``[``, base64 subscription
payloads by their shape, and everything else as flow-log text.
"""

from __future__ import annotations

import itertools
import os
import queue
import stat
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

from flowkit.parse.collect import Collector
from flowkit.parse.containers import is_json, unwrap_base64_lines, unwrap_json
from flowkit.parse.parquet import repeated_columns
from flowkit.parse.text import arrow_type
from flowkit.schema import field_name

_ISAL_ERRORS: tuple[type[BaseException], ...] = ()
try:  # optional: Intel ISA-L gzip, about 2x faster than zlib
    from isal import isal_zlib as _zlib

    _ISAL_ERRORS = (_zlib.error,)  # type: ignore[assignment]  # isal stubs type it as an instance
except ImportError:  # pragma: no cover - exercised where isal is absent
    _zlib = zlib  # type: ignore[misc]
_GZIP_ERRORS: tuple[type[BaseException], ...] = (zlib.error, OSError, *_ISAL_ERRORS)

__all__ = ["feed_bytes", "feed_files", "open_regular"]

CHUNK = 32 << 20
_GZIP = b"\x1f\x8b"
_PARQUET = b"PAR1"


@dataclass
class _Event:
    kind: str
    name: str
    payload: Any = None
    first: bool = False
    truncated: bool = False


def _gunzip_chunks(
    raw: bytes | BinaryIO, read_size: int = 8 << 20
) -> Iterator[tuple[bytes, str | None]]:
    """Decompress (possibly multi-member) gzip in chunks; the last item may carry an error.

    ``raw`` is the compressed bytes or an open binary file, read ``read_size`` at a time so a
    large file is never held whole in memory.
    """
    if isinstance(raw, bytes | bytearray | memoryview):
        blocks: Iterator[bytes] = iter([bytes(raw)])
    else:
        fh = raw
        blocks = iter(lambda: fh.read(read_size), b"")
    data = b""
    d = _zlib.decompressobj(31)
    started = False
    try:
        while True:
            if not data:
                data = next(blocks, b"")
                if not data:
                    break
            if not started:
                if not data.strip(b"\x00"):
                    data = b""
                    continue
                if data[:2] != _GZIP and len(data) >= 2:
                    yield b"", "trailing data after the gzip stream"
                    return
                started = True
            out = d.decompress(data, CHUNK)
            data = d.unconsumed_tail
            if out:
                yield out, None
            if d.eof:
                data = d.unused_data + data
                d = _zlib.decompressobj(31)
                started = False
        if started and not d.eof:
            rest = d.flush()
            if rest:
                yield rest, None
            yield b"", "gzip stream truncated: it ends before its end marker"
    except _GZIP_ERRORS as exc:
        yield b"", f"corrupt gzip data: {exc}"


def _text_events(name: str, chunks: Iterator[tuple[bytes, str | None]]) -> Iterator[_Event]:
    """Cut decompressed chunks into text events of whole lines, without copying the chunks.

    A line that straddles two chunks is sent as its own small event, so events keep the order
    of the file.
    """
    error: str | None = None
    first_chunk = b""
    for chunk, err in chunks:  # the first non-empty chunk tells text from containers
        if err:
            error = err
            break
        if chunk:
            first_chunk = chunk
            break
    if not first_chunk and error is None:
        yield _Event("error", name, "empty file: no header and no records")
        return
    first_line = first_chunk[:4096].split(b"\n")[0]
    if is_json(first_chunk) or unwrap_base64_lines(first_line) is not None:
        parts = [first_chunk]
        for chunk, err in chunks:
            if err:
                error = err
                break
            parts.append(chunk)
        yield from _container_event(name, b"".join(parts))
        if error:
            yield _Event("error", name, error)
        return
    first = True
    carry = b""
    rest = chunks if error is None else iter(())
    for chunk, err in itertools.chain([(first_chunk, None)], rest):
        if err:
            error = err
            break
        if not chunk:
            continue
        start = 0
        if carry:
            nl = chunk.find(b"\n")
            if nl < 0:
                carry += chunk
                continue
            yield _Event("text", name, carry + chunk[: nl + 1], first=first)
            first, carry, start = False, b"", nl + 1
        cut = chunk.rfind(b"\n") + 1
        if cut > start:
            yield _Event("text", name, memoryview(chunk)[start:cut], first=first)
            first = False
            carry = chunk[cut:]
        else:
            carry = chunk[start:]
    if carry or first:
        yield _Event("text", name, carry, first=first, truncated=error is not None)
    if error:
        yield _Event("error", name, error)


def _container_event(name: str, body: bytes) -> Iterator[_Event]:
    if is_json(body):
        yield _Event("container", name, unwrap_json(body))
        return
    unwrapped = unwrap_base64_lines(body)
    if unwrapped is None:  # pragma: no cover - guarded by the caller
        yield _Event("error", name, "not a recognised container")
        return
    yield _Event("container", name, unwrapped)


def _parquet_event(name: str, path: str | None, data: bytes | None) -> _Event:
    try:

        def source() -> Any:
            return path if path is not None else pa.BufferReader(data)

        # Category columns stored as strings are read as dictionaries straight from the
        # dictionary pages, so their strings are neither materialised nor hashed again; other
        # types are fitted to the field table after reading (flowkit.parse.parquet).
        schema = pq.read_schema(source())
        if (repeated := repeated_columns(schema.names)) is not None:
            return _Event("error", name, f"cannot read Parquet: {repeated}")
        dictionary = [
            f.name for f in schema
            if pa.types.is_dictionary(arrow_type(f.name))
            and (pa.types.is_string(f.type) or pa.types.is_large_string(f.type))
        ]  # fmt: skip
        table = pq.read_table(source(), read_dictionary=dictionary or None)
    except (pa.ArrowException, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return _Event("error", name, f"cannot read Parquet: {first}")
    fields = tuple(field_name(c) for c in table.column_names)
    return _Event("table", name, (fields, table))


def events_of_bytes(name: str, raw: bytes) -> Iterator[_Event]:
    """Turn the raw (possibly compressed) bytes of one object into collector events."""
    if raw[:4] == _PARQUET:
        yield _parquet_event(name, None, raw)
        return
    if raw[:2] == _GZIP:
        yield from _text_events(name, _gunzip_chunks(raw))
        return
    yield from _text_events(name, iter([(raw, None)]))


_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISDIR, "a folder"))  # fmt: skip


def open_regular(path: str) -> BinaryIO:
    """Open a regular file for reading, without blocking on a FIFO or reading a device.

    Raises
    ------
    OSError
        If the file cannot be opened, or is not a regular file (the message says what it is).

    Examples
    --------
    >>> open_regular("/dev/null")
    Traceback (most recent call last):
    ...
    OSError: not a regular file (a character device)
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = next((name for test, name in _KINDS if test(mode)), "not a file")
            raise OSError(f"not a regular file ({kind})")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _events_of_file(path: str) -> Iterator[_Event]:
    try:
        with open_regular(path) as fh:
            magic = fh.read(4)
            if magic == _PARQUET:
                yield _parquet_event(path, path, None)
                return
            if magic[:2] == _GZIP:
                fh.seek(0)
                yield from _text_events(path, _gunzip_chunks(fh))
                return
            raw = magic + fh.read()
    except OSError as exc:
        text = str(exc) if exc.strerror is None else f"cannot open file: {exc.strerror}"
        yield _Event("error", path, text)
        return
    yield from events_of_bytes(path, raw)


def _prefetch(events: Iterator[_Event], depth: int = 3) -> Iterator[_Event]:
    """Run an event producer in a background thread (decompression releases the GIL)."""
    q: queue.Queue[Any] = queue.Queue(depth)
    done = object()
    stop = threading.Event()

    def produce() -> None:
        try:
            for ev in events:
                if stop.is_set():
                    return
                q.put(ev)
        except BaseException as exc:  # handed to the consumer and re-raised there
            q.put(exc)
        q.put(done)

    thread = threading.Thread(target=produce, name="flowkit-read", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is done:
                break
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(0.01)


def feed_events(collector: Collector, events: Iterable[_Event]) -> None:
    """Hand events to a collector."""
    for ev in events:
        if ev.kind == "text":
            collector.add_text(ev.name, ev.payload, first=ev.first, truncated=ev.truncated)
        elif ev.kind == "error":
            collector.file_error(ev.name, ev.payload)
        elif ev.kind == "container":
            collector.add_container(ev.name, ev.payload)
        elif ev.kind == "table":
            fields, table = ev.payload
            collector.add_table(ev.name, fields, table)


def feed_bytes(collector: Collector, name: str, raw: bytes) -> None:
    """Parse the raw bytes of one object (a file or an S3 object) into a collector."""
    feed_events(collector, events_of_bytes(name, raw))


def feed_files(
    collector: Collector,
    paths: list[str],
    *,
    on_file: Callable[[str], None] | None = None,
) -> None:
    """Read local files into a collector, decompressing ahead in a background thread."""

    def produce() -> Iterator[_Event]:
        for p in paths:
            yield from _events_of_file(p)
            yield _Event("done", p)

    for ev in _prefetch(produce()):
        if ev.kind == "done":
            if on_file is not None:
                on_file(ev.name)
            continue
        feed_events(collector, [ev])
