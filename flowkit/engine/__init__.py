"""The engines: one analysis written once as parts and a finish (:mod:`flowkit.engine.protocol`)
runs on a pandas frame or on a Dask frame (:mod:`flowkit.engine.dask`).

Layout::

    engine/
      protocol.py     run(df, part, finish), fold, grouped, is_dask_frame, not_on_dask (no Dask)
      dask/
        __init__.py   imports Dask; installs the categories-sorting concatenation (concat.py)
        concat.py     Dask's concatenation of flowkit partitions keeps sorted categories
        gather.py     per-partition work on Dask's current scheduler, gathered as small results
        read.py       fk.read(..., engine="dask"): read_dask, read_dask_quarantine

Importing :mod:`flowkit.engine` imports no Dask; :mod:`flowkit.engine.dask` is imported when a
Dask frame is read or analysed.
"""

from flowkit.engine.protocol import fold, grouped, is_dask_frame, not_on_dask, run

__all__ = ["fold", "grouped", "is_dask_frame", "not_on_dask", "run"]
