"""A load's many short-lived arrays, allocated without numpy's huge-page advice.

On Linux numpy asks the kernel for transparent huge pages (``madvise(MADV_HUGEPAGE)``) for
every large array.  Where the kernel then compacts memory synchronously to find them (the
common ``defrag=madvise`` setting, on a machine whose memory is fragmented), each fresh array
costs system time: on the team's machines, reading 5M records spent 1.0-2.7 s of system time
with the advice and 0.4-1.2 s without it, and the enriched read ran 15-25 % faster in wall time
(``docs/loading.md``, "What the enrichment costs").  A load allocates and frees gigabytes of
temporaries and keeps few, so :func:`small_pages` turns the advice off while it runs and gives
numpy back its setting after (nested and concurrent loads count: the last one out restores it).

Set ``NUMPY_MADVISE_HUGEPAGE`` (numpy's own switch, 0 or 1) to keep numpy's choice: flowkit then
leaves it alone.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["small_pages"]

_LOCK = threading.Lock()
_state = {"depth": 0, "before": True}


def _advice_setter() -> Callable[[bool], bool] | None:
    """numpy's setter (returns the previous value), None where it has none."""
    try:
        from numpy._core import multiarray
    except ImportError:  # pragma: no cover - numpy < 2
        return None
    setter: Callable[[bool], bool] | None = getattr(multiarray, "_set_madvise_hugepage", None)
    return setter


@contextmanager
def small_pages() -> Iterator[None]:
    """Within: numpy allocates without the huge-page advice (unless the user chose with
    ``NUMPY_MADVISE_HUGEPAGE``).  Usable as a decorator.

    >>> import numpy as np
    >>> with small_pages():
    ...     int(np.arange(3).sum())
    3
    """
    setter = _advice_setter()
    if setter is None or "NUMPY_MADVISE_HUGEPAGE" in os.environ:
        yield
        return
    with _LOCK:
        if _state["depth"] == 0:
            _state["before"] = setter(False)
        _state["depth"] += 1
    try:
        yield
    finally:
        with _LOCK:
            _state["depth"] -= 1
            if _state["depth"] == 0:
                setter(bool(_state["before"]))
