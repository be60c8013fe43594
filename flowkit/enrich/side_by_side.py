"""Independent parts of the enrichment run side by side, on the cores the parse used.

The enrichment runs after the parse, on one core, while the parse used every core.  Its parts
that do not need each other's answers (the record-local columns and the own-address votes,
then the direction and the service columns) run in worker threads beside the calling one:
numpy and pandas free the GIL in their array loops.  The answers are the same as one after the
other: each part is a pure function of its inputs, and the calling thread takes their results
in a fixed order.  Small frames, or one core, run everything in the calling thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from flowkit.parse.inorder import workers

__all__ = ["SIDE_BY_SIDE_ROWS", "later", "side_by_side"]

#: Frames with fewer records than this are enriched in the calling thread only (the threads'
#: start and hand-over would cost more than they save).
SIDE_BY_SIDE_ROWS = 200_000

P = ParamSpec("P")
T = TypeVar("T")


@contextmanager
def side_by_side(n_rows: int) -> Iterator[Executor | None]:
    """Two worker threads for a frame of ``n_rows`` records, or None (run in this thread).

    >>> with side_by_side(10) as pool:
    ...     pool is None
    True
    """
    if n_rows < SIDE_BY_SIDE_ROWS or workers() < 2:
        yield None
        return
    with ThreadPoolExecutor(2, thread_name_prefix="flowkit-enrich") as pool:
        yield pool


def later(
    pool: Executor | None, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs
) -> Future[T]:
    """``fn(*args)`` in ``pool``, or now in this thread without one; its result (or its
    exception) is the future's.

    >>> later(None, sum, [1, 2]).result()
    3
    """
    if pool is not None:
        return pool.submit(fn, *args, **kwargs)
    done: Future[T] = Future()
    try:
        done.set_result(fn(*args, **kwargs))
    except Exception as exc:  # handed to the caller by result()
        done.set_exception(exc)
    return done
