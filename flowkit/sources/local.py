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
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, BinaryIO, TypeVar

import pyarrow as pa
import pyarrow.parquet as pq

from flowkit.parse.collect import Collector
from flowkit.parse.inorder import workers
from flowkit.parse.parquet import repeated_columns
from flowkit.parse.text import arrow_type
from flowkit.schema import field_name
from flowkit.sources.stream import Event, gunzip_chunks, in_order, text_events

__all__ = ["feed_bytes", "feed_files", "open_regular"]

T = TypeVar("T")

#: Files up to this size (compressed) are read ahead, several at a time, in worker threads.
SMALL_FILE = 8 << 20
#: Most bytes of text of one file decompressed ahead of its turn.
AHEAD_BYTES = 32 << 20
#: Events cross from the reading thread to the parsing one in batches of at most this many
#: events or (about) this many bytes of text.
HANDOVER_EVENTS = 64
HANDOVER_BYTES = 8 << 20
#: Bytes of a plain text file read at a time.
PLAIN_READ = 8 << 20
_GZIP = b"\x1f\x8b"
_PARQUET = b"PAR1"


def _parquet_event(name: str, path: str | None, data: bytes | None) -> Event:
    try:

        def source() -> Any:
            return path if path is not None else pa.BufferReader(data)

        # Category columns stored as strings are read as dictionaries straight from the
        # dictionary pages, so their strings are neither materialised nor hashed again; other
        # types are fitted to the field table after reading (flowkit.parse.parquet).
        schema = pq.read_schema(source())
        if (repeated := repeated_columns(schema.names)) is not None:
            return Event("error", name, f"cannot read Parquet: {repeated}")
        dictionary = [
            f.name for f in schema
            if pa.types.is_dictionary(arrow_type(f.name))
            and (pa.types.is_string(f.type) or pa.types.is_large_string(f.type))
        ]  # fmt: skip
        table = pq.read_table(source(), read_dictionary=dictionary or None)
    except (pa.ArrowException, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return Event("error", name, f"cannot read Parquet: {first}")
    fields = tuple(field_name(c) for c in table.column_names)
    return Event("table", name, (fields, table))


def events_of_bytes(name: str, raw: bytes) -> Iterator[Event]:
    """Turn the raw (possibly compressed) bytes of one object into collector events."""
    if raw[:4] == _PARQUET:
        yield _parquet_event(name, None, raw)
        return
    if raw[:2] == _GZIP:
        yield from text_events(name, gunzip_chunks(raw))
        return
    yield from text_events(name, iter([(raw, None)]))


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


def _events_of_file(path: str) -> Iterator[Event]:
    try:
        with open_regular(path) as fh:
            magic = fh.read(4)
            if magic == _PARQUET:
                yield _parquet_event(path, path, None)
                return
            if magic[:2] == _GZIP:
                fh.seek(0)
                yield from text_events(path, gunzip_chunks(fh))
                return
            blocks = itertools.chain([magic], iter(lambda: fh.read(PLAIN_READ), b""))
            yield from text_events(path, ((block, None) for block in _whole_lines(blocks)))
    except OSError as exc:
        text = str(exc) if exc.strerror is None else f"cannot open file: {exc.strerror}"
        yield Event("error", path, text)


def _prefetch(events: Iterator[T], depth: int = 3) -> Iterator[T]:
    """Run a producer in a background thread (decompression releases the GIL)."""
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


def _text_bytes(ev: Event) -> int:
    """The bytes of text an event carries (0 for other kinds)."""
    if ev.kind != "text":
        return 0
    _, start, end = ev.payload
    return int(end - start)


def _whole_lines(blocks: Iterator[bytes]) -> Iterator[bytes]:
    """Join the first small read of a plain file to the next, so a JSON container or the
    first line is seen whole; later blocks pass as they are."""
    head: bytes | None = next(blocks, b"")
    for block in blocks:
        if head is not None:
            block, head = head + block, None
        yield block
    if head:
        yield head


def feed_events(collector: Collector, events: Iterable[Event]) -> None:
    """Hand events to a collector."""
    for ev in events:
        if ev.kind == "text":
            buf, start, end = ev.payload
            collector.add_text(ev.name, buf, first=ev.first, truncated=ev.truncated, start=start,
                               end=end)  # fmt: skip
        elif ev.kind == "long":
            head, length = ev.payload
            collector.add_long_line(ev.name, head, length, first=ev.first)
        elif ev.kind == "refused":
            data, reason = ev.payload
            collector.add_refused_text(ev.name, data, reason)
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


def _ahead(path: str) -> tuple[list[Event], Iterator[Event]]:
    """The first events of a file, read ahead in a worker thread, and the rest to read in turn.

    A small file is read whole unless it decompresses to more than :data:`AHEAD_BYTES` (a
    gzip bomb stays bounded); a large file is read in its turn only.
    """
    events = _events_of_file(path)
    try:
        if os.stat(path).st_size > SMALL_FILE:
            return [], events
    except OSError:
        return [], events  # read in turn: that says what is wrong with it
    ahead: list[Event] = []
    size = 0
    for ev in events:
        ahead.append(ev)
        if ev.kind == "text":
            _, start, end = ev.payload
            size += end - start
            if size > AHEAD_BYTES:
                break
    return ahead, events


def feed_files(
    collector: Collector,
    paths: list[str],
    *,
    on_file: Callable[[str], None] | None = None,
) -> None:
    """Read local files into a collector, decompressing ahead in background threads.

    Small files are read and decompressed in parallel, as many at a time as the process has
    cores; a large file is streamed in its turn.  Events reach the collector in file order.
    """

    def produce() -> Iterator[list[Event]]:
        n = workers()
        batch: list[Event] = []
        size = 0
        with ThreadPoolExecutor(n, thread_name_prefix="flowkit-read") as pool:
            for p, (ahead, rest) in in_order(pool, _ahead, paths, depth=4 * n):
                batch.extend(ahead)
                size += sum(_text_bytes(ev) for ev in ahead)
                for ev in rest:  # a large file streams: what is batched goes first
                    if batch:
                        yield batch
                    yield [ev]
                    batch, size = [], 0
                batch.append(Event("done", p))
                if len(batch) >= HANDOVER_EVENTS or size >= HANDOVER_BYTES:
                    yield batch
                    batch, size = [], 0
        if batch:
            yield batch

    # events cross to this thread in batches: one hand-over per event cost more than a small
    # file's parse (the two threads took turns waiting on the queue)
    for batch in _prefetch(produce()):
        for ev in batch:
            if ev.kind == "done":
                if on_file is not None:
                    on_file(ev.name)
                continue
            feed_events(collector, [ev])
