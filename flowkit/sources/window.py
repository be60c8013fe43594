"""The query window of a load: UTC times, checked once for every source and engine."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

__all__ = ["TimeLike", "time_window", "utc_time"]

TimeLike = str | datetime | pd.Timestamp | None


def utc_time(value: TimeLike, name: str) -> pd.Timestamp | None:
    """Read a time as UTC (naive times are UTC); None stays None.

    Raises
    ------
    ValueError
        If the value is not a time.

    Examples
    --------
    >>> utc_time("2024-06-09 08:00", "start").isoformat()
    '2024-06-09T08:00:00+00:00'
    >>> utc_time("2024-06-09T10:00+02:00", "end").isoformat()
    '2024-06-09T08:00:00+00:00'
    """
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError) as exc:
        raise ValueError(f"{name} is not a time: {value!r} ({exc})") from None
    if ts is pd.NaT:
        raise ValueError(f"{name} is not a time: {value!r}")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def time_window(start: TimeLike, end: TimeLike) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
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
    lo, hi = utc_time(start, "start"), utc_time(end, "end")
    if lo is not None and hi is not None and hi <= lo:
        raise ValueError(f"end ({hi}) must be after start ({lo})")
    return lo, hi
