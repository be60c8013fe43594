"""The engine protocol: one analysis, written once as parts and a finish, runs on pandas or Dask.

An analysis that can run on a Dask frame is written as

* ``part(df, *args)``: a pandas frame (the whole frame, or one Dask partition) -> a small
  partial result whose combination is exact (sums, counts, minimum, maximum, union);
* ``finish(parts)``: the list of partial results -> the analysis's result;

and calls ``run(df, part, finish, *args)``, which gives ``finish([part(df, *args)])`` on a pandas
frame and ``finish`` of every partition's part on a Dask frame.  Facts of the whole frame that
the parts depend on are found first with ``fold(df, part, merge, *args)`` (``merge`` exact in any
grouping and order), and records that must meet in one partition (the copies of one packet
flow) are brought together with ``grouped(df, key)``.

This module imports no Dask: on a pandas frame nothing of Dask is loaded, and the analysis
modules (detect, compliance, perf, cost, enrich) call only these functions.  The Dask side
is :mod:`flowkit.engine.dask`, imported when a Dask frame is met.  Functions that cannot give
the pandas engine's exact result on a Dask frame raise :func:`not_on_dask`'s error.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"x": [1, 2, 3]})
>>> run(df, lambda d: int(d["x"].sum()), sum)
6
>>> fold(df, lambda d, k: {int(v) * k for v in d["x"]}, lambda parts: set().union(*parts), 10)
{10, 20, 30}
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd

if TYPE_CHECKING:
    import dask.dataframe as dd
    from typing_extensions import TypeIs

__all__ = ["fold", "grouped", "is_dask_frame", "not_on_dask", "run"]

P = TypeVar("P")
R = TypeVar("R")


def is_dask_frame(obj: object) -> TypeIs[dd.DataFrame]:
    """Whether ``obj`` is a ``dask.dataframe.DataFrame`` (False when Dask was never imported).

    >>> import pandas as pd
    >>> is_dask_frame(pd.DataFrame({"a": [1]}))
    False
    """
    if "dask.dataframe" not in sys.modules:  # no Dask frame can exist before the import
        return False
    import dask.dataframe as dd

    return isinstance(obj, dd.DataFrame)


def not_on_dask(name: str, why: str) -> TypeError:
    """The error for a function that does not take Dask frames: it names the alternative.

    >>> str(not_on_dask("fk.example", "it returns one row per record"))[:60]
    'fk.example does not take a Dask DataFrame (it returns one ro'
    """
    return TypeError(
        f"{name} does not take a Dask DataFrame ({why}); compute the frame first "
        f"(ddf.compute(), or fk.read(..., engine='pandas')) and pass the pandas DataFrame"
    )


def run(
    df: pd.DataFrame | dd.DataFrame,
    part: Callable[..., P],
    finish: Callable[[list[P]], R],
    *args: Any,
) -> R:
    """``finish`` of the ``part(partition, *args)`` of every partition, in partition order
    (a pandas frame is one partition).  On Dask, ``part`` runs where Dask's current scheduler
    runs it; ``args`` travel once per worker."""
    if is_dask_frame(df):
        from flowkit.engine.dask.gather import each

        return finish(each(df, part, *args))
    return finish([part(df, *args)])


def fold(
    df: pd.DataFrame | dd.DataFrame,
    part: Callable[..., P],
    merge: Callable[[list[P]], P],
    *args: Any,
) -> P:
    """``merge`` of ``part(partition, *args)`` of every partition; on Dask the values are merged
    as they arrive, a few at a time (``merge`` must be exact in any grouping and order)."""
    if is_dask_frame(df):
        from flowkit.engine.dask.gather import fold as fold_partitions

        return fold_partitions(df, part, merge, *args)
    return merge([part(df, *args)])


def grouped(
    df: pd.DataFrame | dd.DataFrame, key: Callable[[pd.DataFrame], Any]
) -> pd.DataFrame | dd.DataFrame:
    """``df`` with the records of equal ``key(records)`` in one partition (a pandas frame is
    one partition already and is returned as it is; a Dask frame is shuffled on the key, which
    is not kept)."""
    if is_dask_frame(df):
        from flowkit.engine.dask.gather import shuffled

        return shuffled(df, key)
    return df
