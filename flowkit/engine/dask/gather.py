"""Per-partition work on Dask's current scheduler, gathered as small results.

The Dask engine's passes each reduce every partition to a small value (a partial result, the
facts of its records) and combine the values in this process.  :func:`each` returns them in
partition order; :func:`fold` merges them as they arrive, a few at a time, so neither the
workers nor this process hold every partition's value at once.  Arguments shared by every task
(the merged facts of a first pass) travel once per worker, as one key of the graph, not once
per task.

Examples
--------
>>> import dask, pandas as pd
>>> import dask.dataframe as dd
>>> ddf = dd.from_pandas(pd.DataFrame({"x": range(10)}), npartitions=3)
>>> with dask.config.set(scheduler="sync"):
...     each(ddf, lambda df, k: int(df["x"].sum()) * k, 2)
[12, 30, 48]
>>> with dask.config.set(scheduler="sync"):
...     fold(ddf, lambda df: int(df["x"].sum()), sum, batch=2)
45
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import dask.dataframe as dd

__all__ = ["current_client", "each", "fold", "gathered", "shuffled"]

T = TypeVar("T")

#: How many arrived values :func:`fold` holds before merging them into the running result.
FOLD_BATCH = 8


def current_client() -> Any:
    """The ``dask.distributed`` client that ``dask.compute`` would use now, or None."""
    if "distributed" not in sys.modules:
        return None
    import dask
    from distributed import default_client

    if dask.config.get("scheduler", None) not in (None, "dask.distributed", "distributed"):
        return None
    try:
        return default_client()
    except ValueError:  # no client
        return None


def _tasks(parts: dd.DataFrame | Sequence[Any], func: Callable[..., Any], args: Any) -> list[Any]:
    import dask

    shared = [dask.delayed(a) for a in args]  # one graph key each, whatever its size
    delayed_parts = parts.to_delayed() if hasattr(parts, "to_delayed") else list(parts)
    return [dask.delayed(func)(part, *shared) for part in delayed_parts]


def gathered(tasks: list[Any], client: Any = None) -> Iterator[tuple[int, Any]]:
    """``(position, value)`` of every task as it is ready; on a cluster each value is
    released on its worker once fetched."""
    import dask

    client = client if client is not None else current_client()
    if client is None or not hasattr(client, "compute"):
        yield from enumerate(dask.compute(*tasks, scheduler=client))
        return
    from distributed import as_completed

    futures = client.compute(tasks)
    where = {future.key: i for i, future in enumerate(futures)}
    for future in as_completed(futures):
        value = future.result()
        future.release()
        yield where[future.key], value


def each(parts: dd.DataFrame | Sequence[Any], func: Callable[..., T], *args: Any) -> list[T]:
    """``func(partition, *args)`` for every partition (or delayed value), in order."""
    tasks = _tasks(parts, func, args)
    results: list[Any] = [None] * len(tasks)
    for i, value in gathered(tasks):
        results[i] = value
    return results


def fold(
    parts: dd.DataFrame | Sequence[Any],
    func: Callable[..., T],
    merge: Callable[[list[T]], T],
    *args: Any,
    client: Any = None,
    batch: int = FOLD_BATCH,
) -> T:
    """``merge`` of ``func(partition, *args)`` of every partition, merged as they arrive:
    at most ``batch`` values wait beside the running result (``merge`` must be exact in any
    grouping and order, as the facts' merges are)."""
    held: list[T] = []
    for _, value in gathered(_tasks(parts, func, args), client):
        held.append(value)
        if len(held) > batch:
            held = [merge(held)]
    return merge(held)


#: The column :func:`shuffled` adds for the shuffle and drops after it.
SHUFFLE_KEY = "_flowkit_key"


def shuffled(ddf: dd.DataFrame, key: Callable[[pd.DataFrame], Any]) -> dd.DataFrame:
    """``ddf`` shuffled so that records with equal ``key(partition)`` share a partition."""
    keyed = ddf.map_partitions(_with_key, key, meta=_with_key(ddf._meta, key))
    moved = keyed.shuffle(on=SHUFFLE_KEY)
    return moved.map_partitions(_without_key, meta=ddf._meta)


def _with_key(df: pd.DataFrame, key: Callable[[pd.DataFrame], Any]) -> pd.DataFrame:
    return df.assign(**{SHUFFLE_KEY: np.asarray(key(df))})


def _without_key(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=SHUFFLE_KEY)
