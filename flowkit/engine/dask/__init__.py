"""The Dask engine: what runs when a frame is read with ``fk.read(..., engine="dask")`` or a
Dask frame is passed to an analysis (through :mod:`flowkit.engine.protocol`).

Importing this package imports Dask and installs, once, the one change flowkit makes to Dask:
:func:`flowkit.engine.dask.concat.install` wraps Dask's pandas concatenation (its
``concat_dispatch``) so that ``compute()`` of a flowkit read gives the pandas engine's sorted
categories.  Every module of the Dask engine is in this package, so whatever uses it (the read,
the gathering of parts, a worker unpickling a partition, which imports
:mod:`flowkit.engine.dask.concat` by the partition's marker) has imported this package first.

Dask and distributed are optional dependencies (``pip install 'flowkit[dask]'``).
"""

from flowkit.engine.dask.concat import install

install()

__all__: list[str] = []
