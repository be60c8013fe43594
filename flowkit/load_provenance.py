"""What a load read, kept in ``df.attrs["flowkit"]``.

pandas copies ``attrs`` deeply on every operation.  :class:`Provenance` is a dict whose deep copy
is a shallow one, so a frame built from thousands of files stays cheap to filter; the values it
holds (the per-file counts, the quarantine table) are treated as read-only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

__all__ = ["QUARANTINE_COLUMNS", "Provenance", "provenance", "quarantine", "quarantine_frame"]

QUARANTINE_COLUMNS = ("file", "line", "raw", "reason")
_QUARANTINE_DTYPES = {"file": "string", "line": "Int64", "raw": "string", "reason": "string"}


class Provenance(dict[str, Any]):
    """The ``df.attrs["flowkit"]`` mapping: ``files``, ``quarantine``, ``formats`` and more."""

    def __deepcopy__(self, memo: dict[int, Any]) -> Provenance:
        return Provenance(self)

    def __eq__(self, other: object) -> bool:
        """Compare safely: pandas compares ``attrs`` in ``concat``, and values may be frames."""
        if self is other:
            return True
        if not isinstance(other, dict) or self.keys() != other.keys():
            return False
        for key, mine in self.items():
            theirs = other[key]
            if mine is theirs:
                continue
            if isinstance(mine, pd.DataFrame) or isinstance(theirs, pd.DataFrame):
                same = isinstance(mine, pd.DataFrame) and isinstance(theirs, pd.DataFrame)
                if not (same and mine.equals(theirs)):
                    return False
            elif bool(mine != theirs):
                return False
        return True

    __hash__ = None  # type: ignore[assignment]


def quarantine_frame(rows: Iterable[tuple[str, int, str, str]] = ()) -> pd.DataFrame:
    """Build the quarantine table from ``(file, line, raw, reason)`` rows (the one place its
    columns and dtypes are decided; no rows gives the empty table).

    >>> table = quarantine_frame([("a.log", 2, "bogus", "expected 14 fields, found 1")])
    >>> table.dtypes.astype(str).tolist(), len(quarantine_frame())
    (['string', 'Int64', 'string', 'string'], 0)
    """
    columns = list(zip(*rows, strict=True)) or [()] * len(QUARANTINE_COLUMNS)
    return pd.DataFrame(
        {
            name: pd.Series(values, dtype=_QUARANTINE_DTYPES[name])
            for name, values in zip(QUARANTINE_COLUMNS, columns, strict=True)
        }
    )


def provenance(df: pd.DataFrame) -> Provenance:
    """Return the provenance of a frame loaded by flowkit (an empty one if it has none).

    A Dask frame's provenance is its meta's (what the read knew before computing: the paths
    not read, the settled facts); the per-file counts and the quarantine come with
    :func:`flowkit.read_dask_quarantine`.
    """
    prov = getattr(df, "_meta", df).attrs.get("flowkit")
    if isinstance(prov, Provenance):
        return prov
    if isinstance(prov, dict):
        return Provenance(prov)
    return Provenance()


def quarantine(df: pd.DataFrame) -> pd.DataFrame:
    """Return the lines a load could not turn into records.

    Columns: ``file``, ``line`` (1-based line number, or the event's position in a JSON
    container; 0 for a problem with the whole file), ``raw`` (the text, cut at 500 characters)
    and ``reason``.

    Examples
    --------
    >>> import flowkit as fk
    >>> df = fk.parse_lines(["2 123456789010 eni-1 192.0.2.1 198.51.100.2 1 2 6 1 40 1 2 ACCEPT OK",
    ...                      "bogus line"])
    >>> fk.quarantine(df)[["line", "reason"]].to_dict("records")
    [{'line': 2, 'reason': 'expected 14 fields, found 2'}]
    """
    table = provenance(df).get("quarantine")
    return table.copy() if isinstance(table, pd.DataFrame) else quarantine_frame()
