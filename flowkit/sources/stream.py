"""Decompress and cut a file's bytes into events of whole lines, in bounded memory.

* :func:`gunzip_chunks` decompresses (multi-member) gzip a bounded chunk at a time (with Intel
  ISA-L when ``isal`` is installed); NUL padding between members is skipped, and bytes after
  the last member that are not gzip are handed on as *trailing text* (they are not part of the
  compressed log: their lines are counted and quarantined, never dropped or trusted).
* :func:`text_events` cuts chunks into events of whole lines without copying them; a line that
  straddles two chunks is its own small event, and a line longer than
  :data:`~flowkit.parse.lines.MAX_LINE_BYTES` is never held whole: it becomes one ``long``
  event (its first bytes and its length) and the read streams on.  So a gzip bomb of one
  endless line costs time, not memory.
"""

from __future__ import annotations

import itertools
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any, BinaryIO, TypeVar

from flowkit.parse.containers import is_json, unwrap_base64_lines, unwrap_json
from flowkit.parse.lines import MAX_LINE_BYTES, RAW_LIMIT

_ISAL_ERRORS: tuple[type[BaseException], ...] = ()
try:  # optional: Intel ISA-L gzip, about 2x faster than zlib
    from isal import isal_zlib as _zlib

    _ISAL_ERRORS = (_zlib.error,)  # type: ignore[assignment]  # isal stubs type it as an instance
except ImportError:  # pragma: no cover - exercised where isal is absent
    _zlib = zlib  # type: ignore[misc]
_GZIP_ERRORS: tuple[type[BaseException], ...] = (zlib.error, OSError, *_ISAL_ERRORS)

__all__ = [
    "CHUNK",
    "TRAILING",
    "TRAILING_REASON",
    "Event",
    "gunzip_chunks",
    "in_order",
    "text_events",
]

#: Most bytes of decompressed text handed on at a time.
CHUNK = 16 << 20
#: Status of a chunk of bytes found after the last gzip member.
TRAILING = "trailing"
#: Quarantine reason of each line of trailing text.
TRAILING_REASON = "text after the end of the gzip data: not part of the compressed log"
_GZIP = b"\x1f\x8b"
_HEAD = RAW_LIMIT * 4  # bytes of a long line kept for the quarantine table
T = TypeVar("T")
R = TypeVar("R")


@dataclass
class Event:
    """One thing a file gives the Collector (see :func:`flowkit.sources.local.feed_events`)."""

    kind: str  # text, long, refused, container, table, error, done
    name: str
    payload: Any = None
    first: bool = False
    truncated: bool = False


def gunzip_chunks(
    raw: bytes | BinaryIO, read_size: int = 2 << 20
) -> Iterator[tuple[bytes, str | None]]:
    """Decompress (possibly multi-member) gzip in chunks.

    Yields ``(text, None)``, then possibly ``(bytes, TRAILING)`` for bytes after the last
    member, and at most one ``(b"", error)`` last.  ``raw`` is the compressed bytes or an open
    binary file, read ``read_size`` at a time so a large file is never held whole in memory.
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
                data = data.lstrip(b"\x00")  # padding between or after members
                if not data:
                    continue
                if len(data) < 2:
                    data += next(blocks, b"")
                if data[:2] != _GZIP:
                    yield data, TRAILING
                    for rest in blocks:
                        yield rest, TRAILING
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


class _Cutter:
    """Cut chunks into (buf, start, end) runs of whole lines and (head, length) long lines."""

    def __init__(self) -> None:
        self.carry = b""
        self.long_head: bytes | None = None
        self.long_length = 0

    def _rest(self, chunk: bytes, start: int) -> None:
        if len(chunk) - start > MAX_LINE_BYTES:
            self.long_head, self.long_length = chunk[start : start + _HEAD], len(chunk) - start
        else:
            self.carry = chunk[start:]

    def feed(self, chunk: bytes) -> Iterator[tuple[str, Any]]:
        start = 0
        if self.long_head is not None or self.carry:
            nl = chunk.find(b"\n")
            if nl < 0:
                if self.long_head is not None:
                    self.long_length += len(chunk)
                elif len(self.carry) + len(chunk) > MAX_LINE_BYTES:
                    self.long_head = (self.carry + chunk[:_HEAD])[:_HEAD]
                    self.long_length, self.carry = len(self.carry) + len(chunk), b""
                else:
                    self.carry += chunk
                return
            if self.long_head is not None:
                yield "long", (self.long_head, self.long_length + nl)
                self.long_head = None
            elif len(self.carry) + nl > MAX_LINE_BYTES:
                yield "long", ((self.carry + chunk[:_HEAD])[:_HEAD], len(self.carry) + nl)
            else:
                line = self.carry + chunk[: nl + 1]
                yield "text", (line, 0, len(line))
            self.carry, start = b"", nl + 1
        cut = chunk.rfind(b"\n", start) + 1
        if cut > start:
            yield "text", (chunk, start, cut)
            start = cut
        self._rest(chunk, start)

    def finish(self) -> Iterator[tuple[str, Any]]:
        if self.long_head is not None:
            yield "long", (self.long_head, self.long_length)
        elif self.carry:
            yield "text", (self.carry, 0, len(self.carry))
        self.carry, self.long_head = b"", None


class _Stream:
    """A file's decompressed chunks: its text first, then its trailing bytes and its error."""

    def __init__(self, chunks: Iterator[tuple[bytes, str | None]]) -> None:
        self._chunks = chunks
        self.trailing: Iterator[bytes] = iter(())
        self.error: str | None = None

    def text(self) -> Iterator[bytes]:
        """The non-empty text chunks; stops at trailing bytes or an error (kept aside)."""
        for chunk, status in self._chunks:
            if status == TRAILING:
                self.trailing = itertools.chain([chunk], (c for c, _ in self._chunks))
                return
            if status:
                self.error = status
                return
            if chunk:
                yield chunk


def text_events(name: str, chunks: Iterator[tuple[bytes, str | None]]) -> Iterator[Event]:
    """Turn decompressed chunks into events: containers whole, text as runs of whole lines."""
    stream = _Stream(chunks)
    text = stream.text()
    first_chunk = next(text, b"")  # the first chunk tells text from containers
    if not first_chunk and stream.error is None:
        head = next(stream.trailing, None)
        if head is None:
            yield Event("error", name, "empty file: no header and no records")
            return
        stream.trailing = itertools.chain([head], stream.trailing)
    first_line = first_chunk[:4096].split(b"\n")[0]
    if first_chunk and (is_json(first_chunk) or unwrap_base64_lines(first_line) is not None):
        yield from _container_events(name, b"".join(itertools.chain([first_chunk], text)))
    else:
        first = True
        cutter = _Cutter()
        for chunk in itertools.chain([first_chunk], text):
            for kind, payload in cutter.feed(chunk):
                yield Event(kind, name, payload, first=first)
                first = False
        for kind, payload in cutter.finish():
            yield Event(kind, name, payload, first=first, truncated=stream.error is not None)
    yield from _refused(name, stream.trailing)
    if stream.error:
        yield Event("error", name, stream.error)


def _refused(name: str, chunks: Iterator[bytes]) -> Iterator[Event]:
    """Events of trailing text: its lines, each to be quarantined."""
    cutter = _Cutter()
    for chunk in itertools.chain(chunks, [b""]):
        runs = cutter.feed(chunk) if chunk else cutter.finish()
        for kind, payload in runs:
            if kind == "long":
                yield Event("long", name, payload)
            else:
                buf, start, end = payload
                yield Event("refused", name, (buf[start:end], TRAILING_REASON))


def _container_events(name: str, body: bytes) -> Iterator[Event]:
    if is_json(body):
        yield Event("container", name, unwrap_json(body))
        return
    unwrapped = unwrap_base64_lines(body)
    if unwrapped is None:  # pragma: no cover - guarded by the caller
        yield Event("error", name, "not a recognised container")
        return
    yield Event("container", name, unwrapped)


def in_order(
    pool: Executor, fn: Callable[[T], R], items: Iterable[T], depth: int
) -> Iterator[tuple[T, R]]:
    """Run ``fn`` over items in a pool, yielding ``(item, result)`` in order, ``depth`` ahead."""
    pending: deque[tuple[T, Future[R]]] = deque()
    it = iter(items)
    try:
        for item in it:
            pending.append((item, pool.submit(fn, item)))
            if len(pending) >= depth:
                break
        while pending:
            item, fut = pending.popleft()
            nxt = next(it, None)
            if nxt is not None:
                pending.append((nxt, pool.submit(fn, nxt)))
            yield item, fut.result()
    finally:
        for _, fut in pending:
            fut.cancel()
