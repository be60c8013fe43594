"""What a load read, kept in ``df.attrs["flowkit"]``.

pandas copies ``attrs`` deeply on every operation.  :class:`Provenance` is a dict whose deep copy
is a shallow one, so a frame built from thousands of files stays cheap to filter; the values it
holds (the per-file counts, the quarantine table) are treated as read-only.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["QUARANTINE_COLUMNS", "Provenance", "provenance", "quarantine"]

QUARANTINE_COLUMNS = ("file", "line", "raw", "reason")


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


def empty_quarantine() -> pd.DataFrame:
    """Return an empty quarantine table with its columns and dtypes."""
    return pd.DataFrame(
        {
            "file": pd.Series([], dtype="string"),
            "line": pd.Series([], dtype="Int64"),
            "raw": pd.Series([], dtype="string"),
            "reason": pd.Series([], dtype="string"),
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
    return table.copy() if isinstance(table, pd.DataFrame) else empty_quarantine()
