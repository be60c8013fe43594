"""Cheap enrichments every load gets: protocol names and capture-window durations."""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

__all__ = ["add_basic", "add_duration", "add_protocol_name", "protocol_names"]


@lru_cache(maxsize=1)
def protocol_names() -> tuple[str, ...]:
    """Return the IANA keyword of every protocol number 0-255 (a bundled table).

    >>> protocol_names()[6], protocol_names()[17], protocol_names()[58]
    ('TCP', 'UDP', 'IPv6-ICMP')
    """
    text = resources.files("flowkit.resources").joinpath("protocols.csv").read_text("utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    names = {int(r["number"]): r["keyword"] for r in rows}
    if sorted(names) != list(range(256)):  # pragma: no cover - guards the bundled table
        raise RuntimeError("protocols.csv must name every protocol number 0-255")
    return tuple(names[i] for i in range(256))


def add_protocol_name(df: pd.DataFrame) -> pd.DataFrame:
    """Add ``protocol_name``: the IANA keyword of ``protocol`` (NA where protocol is missing).

    Returns a new frame; the input is not changed.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"protocol": pd.array([6, 17, None, 1], dtype="UInt8")})
    >>> add_protocol_name(df)["protocol_name"].tolist()
    ['TCP', 'UDP', nan, 'ICMP']
    """
    out = df.copy(deep=False)
    if "protocol" not in df.columns:
        return out
    out["protocol_name"] = protocol_name_column(df)
    return out


def protocol_name_column(df: pd.DataFrame) -> pd.Categorical:
    """The ``protocol_name`` column of :func:`add_protocol_name` (``df`` has ``protocol``)."""
    proto = df["protocol"].astype("UInt8")
    mask = proto.isna().to_numpy()
    numbers = proto.to_numpy(dtype=np.int32, na_value=0)
    present = np.flatnonzero(np.bincount(numbers[~mask], minlength=256))  # O(n), no sort
    names = np.asarray(protocol_names(), dtype=object)[present]
    cats, inverse = np.unique(names, return_inverse=True)
    lookup = np.full(256, -1, dtype=np.int16)
    lookup[present] = inverse
    codes = lookup[numbers]
    codes[mask] = -1
    return pd.Categorical.from_codes(codes, categories=pd.Index(cats, dtype=object))


def add_duration(df: pd.DataFrame) -> pd.DataFrame:
    """Add ``duration``: seconds from ``start`` to ``end`` (nullable Int32).

    This is the length of the record's **capture window** (the aggregation interval the
    record was counted in, at most about 60 s on Nitro and 600 s otherwise), not the length of a
    connection: a long connection is split over many records, and a short one is rounded up to
    the window.  Returns a new frame; the input is not changed.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"start": pd.to_datetime([0, 60], unit="s", utc=True),
    ...                    "end": pd.to_datetime([59, 60], unit="s", utc=True)})
    >>> add_duration(df)["duration"].tolist()
    [59, 0]
    """
    out = df.copy(deep=False)
    if "start" not in df.columns or "end" not in df.columns:
        return out
    out["duration"] = duration_column(df)
    return out


def duration_column(df: pd.DataFrame) -> pd.arrays.IntegerArray:
    """The ``duration`` column of :func:`add_duration` (``df`` has ``start`` and ``end``)."""
    start = df["start"].to_numpy(dtype="datetime64[s]")
    end = df["end"].to_numpy(dtype="datetime64[s]")
    mask = np.isnat(start) | np.isnat(end)
    values = np.empty(len(start), dtype=np.int32)  # the difference written as int32 at once
    np.subtract(end.view(np.int64), start.view(np.int64), out=values, casting="unsafe")
    values[mask] = 0
    return pd.arrays.IntegerArray(values, mask)


def basic_columns(df: pd.DataFrame) -> dict[str, pd.api.extensions.ExtensionArray]:
    """The columns :func:`add_basic` adds, by name (those ``df`` has the fields for)."""
    out: dict[str, pd.api.extensions.ExtensionArray] = {}
    if "protocol" in df.columns:
        out["protocol_name"] = protocol_name_column(df)
    if "start" in df.columns and "end" in df.columns:
        out["duration"] = duration_column(df)
    return out


def add_basic(df: pd.DataFrame) -> pd.DataFrame:
    """Add the cheap enrichments: ``protocol_name`` and ``duration``.

    Returns a new frame; the input is not changed.
    """
    return add_duration(add_protocol_name(df))
