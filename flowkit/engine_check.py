"""Which engine a frame belongs to, without importing Dask.

The analytics that run on Dask (see :mod:`flowkit.engine_dask_analytics`) take either a pandas
or a Dask DataFrame; they ask :func:`is_dask_frame` which one they got.  Functions that cannot
give the pandas engine's exact result on a Dask frame raise :func:`not_on_dask`'s error.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import dask.dataframe as dd
    from typing_extensions import TypeIs

__all__ = ["is_dask_frame", "not_on_dask"]


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
