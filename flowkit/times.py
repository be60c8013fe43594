"""Times in UTC: the one parser of user-given times, the one query window and the one time
filter of records.

Every function of flowkit that takes a time (``start``/``end`` of a read, a coverage window, a
widget's bounds) turns it into a UTC timestamp with :func:`utc` (naive times are UTC), a query
window with :func:`time_window` (checked once for every source and engine), and every load that
is given a window keeps records with :func:`filter_time`.

Examples
--------
>>> utc("2026-11-02 10:00"), utc("2026-11-02T12:00+02:00")
(Timestamp('2026-11-02 10:00:00+0000', tz='UTC'), Timestamp('2026-11-02 10:00:00+0000', tz='UTC'))
>>> utc_or_none(None) is None
True
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from flowkit.load_provenance import Provenance

__all__ = ["TimeLike", "filter_time", "time_window", "utc", "utc_or_none", "utc_seconds"]

TimeLike = str | datetime | pd.Timestamp | np.datetime64 | None


def utc(value: Any, name: str = "time") -> pd.Timestamp:
    """Return ``value`` as a UTC timestamp (a naive time is taken as UTC).

    Raises
    ------
    ValueError
        If ``value`` is missing or not a time (the message names ``name`` and the value).

    Examples
    --------
    >>> utc("NaT", "start")
    Traceback (most recent call last):
    ...
    ValueError: start is not a time: 'NaT'
    """
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"{name} is not a time: {value!r} ({exc})") from None
    if ts is pd.NaT:
        raise ValueError(f"{name} is not a time: {value!r}")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def utc_or_none(value: Any, name: str = "time") -> pd.Timestamp | None:
    """:func:`utc` of ``value``, or ``None`` when ``value`` is ``None`` (no bound)."""
    return None if value is None else utc(value, name)


def time_window(start: Any, end: Any) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """Read a query window ``[start, end)`` as UTC times; either end may be open (None).

    Raises
    ------
    ValueError
        If a value is not a time, or ``end`` is not after ``start`` (a reversed or empty window
        reads nothing, which must not pass for "nothing found").

    Examples
    --------
    >>> time_window("2023-11-15", None)[0].isoformat()
    '2023-11-15T00:00:00+00:00'
    >>> time_window("2023-11-15", "2023-11-14")
    Traceback (most recent call last):
    ...
    ValueError: end (2023-11-14 00:00:00+00:00) must be after start (2023-11-15 00:00:00+00:00)
    """
    lo, hi = utc_or_none(start, "start"), utc_or_none(end, "end")
    if lo is not None and hi is not None and hi <= lo:
        raise ValueError(f"end ({hi}) must be after start ({lo})")
    return lo, hi


def utc_seconds(seconds: np.ndarray) -> pd.Series:
    """Epoch seconds as a ``datetime64[s, UTC]`` series.

    >>> utc_seconds(np.array([1700000000])).tolist()
    [Timestamp('2023-11-14 22:13:20+0000', tz='UTC')]
    """
    return pd.Series(np.asarray(seconds).astype("datetime64[s]")).dt.tz_localize("UTC")


def filter_time(
    df: pd.DataFrame, start: pd.Timestamp | None, end: pd.Timestamp | None
) -> pd.DataFrame:
    """Keep the records whose capture window meets ``[start, end)``; records without times stay.

    A record is dropped when it ended before ``start`` or started at or after ``end``.  The
    window and the number of records dropped are recorded in ``attrs["flowkit"]["time_filter"]``.
    Returns ``df`` itself when there is no bound or no time columns.

    Examples
    --------
    >>> df = pd.DataFrame({"start": pd.to_datetime([0, 100], unit="s", utc=True),
    ...                    "end": pd.to_datetime([50, 150], unit="s", utc=True)})
    >>> out = filter_time(df, utc(60 * 10**9), None)
    >>> len(out), out.attrs["flowkit"]["time_filter"]["records_outside"]
    (1, 1)
    """
    if (start is None and end is None) or "start" not in df.columns or "end" not in df.columns:
        return df
    keep = np.ones(len(df), dtype=bool)
    if start is not None:
        keep &= ~(df["end"] < start).to_numpy(dtype=bool, na_value=False)
    if end is not None:
        keep &= ~(df["start"] >= end).to_numpy(dtype=bool, na_value=False)
    out = df[keep].reset_index(drop=True)
    prov = Provenance(out.attrs.get("flowkit", {}))
    prov["time_filter"] = {
        "start": None if start is None else start.isoformat(),
        "end": None if end is None else end.isoformat(),
        "records_outside": int((~keep).sum()),
    }
    out.attrs["flowkit"] = prov
    return out
