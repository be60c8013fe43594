"""Local files: find them, open them, decompress them, and feed a :class:`Collector`.

Content decides how a file is read, not its name: gzip by its magic bytes (several members
allowed), Parquet by ``PAR1``, JSON containers by a leading ``{`` or ``[``, base64 subscription
payloads by their shape, and everything else as flow-log text.
"""

from __future__ import annotations

import glob
import itertools
import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from flowkit.errors import SourceError
from flowkit.parse.collect import Collector
from flowkit.parse.inorder import workers
from flowkit.parse.text import arrow_type
from flowkit.schema import field_name
from flowkit.sources.layout import key_window, other_service, overlaps, partial_window
from flowkit.sources.stream import Event, gunzip_chunks, in_order, text_events

__all__ = ["DATA_SUFFIXES", "discover", "feed_bytes", "feed_files"]

#: File endings taken when walking a folder; name other files explicitly or with a glob.
DATA_SUFFIXES = (".log", ".gz", ".txt", ".parquet")
#: Files up to this size (compressed) are read whole, several at a time, in worker threads.
SMALL_FILE = 8 << 20
#: Most bytes of text of one file decompressed ahead of its turn.
AHEAD_BYTES = 32 << 20
#: Bytes of a plain text file read at a time.
PLAIN_READ = 8 << 20
_GZIP = b"\x1f\x8b"
_PARQUET = b"PAR1"


def _walk(root: Path, start: datetime | None, end: datetime | None) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        rel = Path(dirpath).relative_to(root).parts
        kept = []
        for d in sorted(dirnames):
            if d.startswith("."):
                continue
            parts = [*root.parts, *rel, d]
            if other_service(parts):
                continue
            if overlaps(partial_window(parts), start, end):
                kept.append(d)
        dirnames[:] = kept
        for f in sorted(filenames):
            if not f.startswith(".") and f.endswith(DATA_SUFFIXES):
                yield Path(dirpath) / f


def discover(
    source: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[str]:
    """List the files of a source: a file, a folder (walked recursively), a glob, or a list.

    Folders yield files ending in :data:`DATA_SUFFIXES`, skipping date folders and files whose
    key time is outside ``start``/``end``; explicit files are always read.

    Raises
    ------
    SourceError
        If a path does not exist or a glob matches nothing.
    """
    items = [source] if isinstance(source, str | os.PathLike) else list(source)
    found: list[str] = []
    for item in items:
        text = os.fspath(item)
        path = Path(text)
        if path.is_dir():
            found.extend(
                str(p) for p in _walk(path, start, end) if overlaps(key_window(str(p)), start, end)
            )
        elif path.exists():
            found.append(text)
        elif glob.has_magic(text):
            matches = sorted(glob.glob(text, recursive=True))
            if not matches:
                raise SourceError(f"no file matches {text!r}")
            found.extend(
                m for m in matches if os.path.isfile(m) and overlaps(key_window(m), start, end)
            )
        else:
            raise SourceError(f"no such file or folder: {text!r}")
    return list(dict.fromkeys(found))


def _parquet_event(name: str, path: str | None, data: bytes | None) -> Event:
    try:

        def source() -> Any:
            return path if path is not None else pa.BufferReader(data)

        # Category columns are read as dictionaries straight from the dictionary pages, so
        # their strings are neither materialised nor hashed again.
        names = pq.read_schema(source()).names
        dictionary = [c for c in names if pa.types.is_dictionary(arrow_type(c))]
        table = pq.read_table(source(), read_dictionary=dictionary or None)
    except (pa.ArrowException, OSError) as exc:
        return Event("error", name, f"cannot read Parquet: {exc}")
    fields = tuple(field_name(c) for c in table.column_names)
    for i, col in enumerate(table.column_names):
        arr = table[col]
        if col in ("start", "end") and pa.types.is_timestamp(arr.type):
            arr = arr.cast(pa.timestamp("s", tz="UTC")).cast(pa.int64())
            table = table.set_column(i, col, arr)
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


def _events_of_file(path: str) -> Iterator[Event]:
    try:
        with open(path, "rb") as fh:
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
        yield Event("error", path, f"cannot open file: {exc.strerror or exc}")


def _prefetch(events: Iterator[Event], depth: int = 3) -> Iterator[Event]:
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

    def produce() -> Iterator[Event]:
        n = workers()
        with ThreadPoolExecutor(n, thread_name_prefix="flowkit-read") as pool:
            for p, (ahead, rest) in in_order(pool, _ahead, paths, depth=4 * n):
                yield from ahead
                yield from rest
                yield Event("done", p)

    for ev in _prefetch(produce()):
        if ev.kind == "done":
            if on_file is not None:
                on_file(ev.name)
            continue
        feed_events(collector, [ev])
