"""Blocks of text parsed in worker threads, their results applied in the order they came.

Pure (threads, no I/O).  A :class:`BlockQueue` holds blocks (lists of
:class:`~flowkit.parse.blocks.TextPiece`) and actions (things to do once the text before them is
applied, such as quarantining an over-long line).  A single block is parsed in the calling thread
when it is applied; from the second block on, blocks are parsed in a pool of :func:`workers`
threads, at most ``2 * workers() + 1`` ahead of the one applied last.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from flowkit.parse.blocks import PieceResult, TextPiece, parse_block

__all__ = ["BlockQueue", "workers"]


def workers() -> int:
    """Cores this process may run on (``taskset`` and cgroups CPU sets count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


@dataclass
class _Item:
    """A block of text, or an action to do in its turn."""

    pieces: list[TextPiece] | None = None
    future: Future[list[PieceResult]] | None = None
    action: Callable[[], None] | None = None


class BlockQueue:
    """Parse blocks in worker threads; hand their results to ``apply`` in order."""

    def __init__(self, apply: Callable[[list[PieceResult]], None]) -> None:
        self._apply = apply
        self._items: deque[_Item] = deque()
        self._pool: ThreadPoolExecutor | None = None

    def submit(self, pieces: list[TextPiece]) -> None:
        """Queue a block; apply the oldest results when too many are ahead."""
        self._items.append(_Item(pieces=pieces))
        waiting = [it for it in self._items if it.pieces is not None and it.future is None]
        if self._pool is None and len(waiting) > 1:  # more than one block: use the workers
            self._pool = ThreadPoolExecutor(workers(), thread_name_prefix="flowkit-parse")
        if self._pool is not None:
            for it in waiting:
                it.future = self._pool.submit(parse_block, it.pieces)  # type: ignore[arg-type]
        while len(self._items) > 2 * workers() + 1:
            self._next()

    def in_turn(self, action: Callable[[], None]) -> None:
        """Do ``action`` once everything queued before it is applied."""
        if self._items:
            self._items.append(_Item(action=action))
        else:
            action()

    def drain(self) -> None:
        """Apply everything queued; let the worker threads go."""
        while self._items:
            self._next()
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None

    def _next(self) -> None:
        item = self._items.popleft()
        if item.action is not None:
            item.action()
        elif item.future is not None:
            self._apply(item.future.result())
        elif item.pieces is not None:
            self._apply(parse_block(item.pieces))
