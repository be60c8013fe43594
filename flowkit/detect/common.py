"""Helpers shared by the detections: windows, probes, and turning groups into finding rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from flowkit import units
from flowkit.detect.frame import empty_findings, findings_frame
from flowkit.detect.view import View, build_view

__all__ = ["as_view", "epoch_text", "finding_rows", "rows", "window_max"]

#: A records frame, or the view :func:`flowkit.detect.view.build_view` made of one.
Records = pd.DataFrame | View


def as_view(df: Records) -> View:
    """The detections' view of ``df`` (built once; a :class:`View` is returned as is)."""
    return df if isinstance(df, View) else build_view(df)


def window_max(
    frame: pd.DataFrame, keys: Sequence[str], value: str, window_s: int, *, distinct: bool
) -> pd.DataFrame:
    """Largest count (or distinct count) of ``value`` per ``keys`` in any ``window_s`` window.

    Windows are fixed bins at two phases (0 and half a window), so an episode shorter than half
    a window always falls inside one bin.  Returns ``keys`` plus ``peak`` and ``peak_start``
    (epoch second of the window holding the peak).
    """
    parts = []
    for phase in (0, window_s // 2):
        b = (frame["t"].to_numpy() + phase) // window_s
        tmp = frame[list(keys)].assign(_b=b, _v=frame[value].to_numpy())
        g = tmp.groupby([*keys, "_b"], sort=False, observed=True)["_v"]
        cnt = (g.nunique() if distinct else g.size()).rename("peak").reset_index()
        cnt["peak_start"] = cnt["_b"] * window_s - phase
        parts.append(cnt.drop(columns="_b"))
    both = pd.concat(parts, ignore_index=True)
    both = both.sort_values(
        [*keys, "peak", "peak_start"], ascending=[True] * len(keys) + [False, True]
    )
    return both.drop_duplicates(list(keys), keep="first").reset_index(drop=True)


def rows(df: pd.DataFrame) -> list[Any]:
    """Rows of a small frame as named tuples (for building summaries)."""
    return list(df.itertuples(index=False))


Column = Any


def finding_rows(
    finding: str,
    *,
    severity: Column,
    actor: Column,
    target: Column,
    dstport: Column,
    first_seen: Column,
    last_seen: Column,
    flows: Column,
    packets: Column,
    nbytes: Column,
    summary: Column,
    evidence: Column,
) -> pd.DataFrame:
    """Build a findings frame of one detection from aligned columns."""
    if len(summary) == 0:
        return empty_findings()
    rows = pd.DataFrame(
        {
            "finding": finding,
            "severity": np.asarray(severity, dtype=object),
            "actor": np.asarray(actor, dtype=object),
            "target": np.asarray(target, dtype=object),
            "dstport": pd.array(np.asarray(dstport, dtype="float64"), dtype="Float64"),
            "first_seen": np.asarray(first_seen, dtype=np.int64),
            "last_seen": np.asarray(last_seen, dtype=np.int64),
            "flows": np.asarray(flows, dtype=np.int64),
            "packets": np.asarray(packets, dtype=np.int64),
            "bytes": np.asarray(nbytes, dtype=np.int64),
            "summary": list(summary),
            "evidence": list(evidence),
        }
    )
    return findings_frame(rows)


def human_bytes(n: Any) -> str:
    """Bytes as a short human string (``1.2 GB``): :func:`flowkit.units.human_bytes`."""
    return units.human_bytes(n)


def epoch_text(t: Any) -> str:
    """An epoch second as text, ``YYYY-MM-DD HH:MM UTC`` (the time in findings' summaries).

    >>> epoch_text(1700000000)
    '2023-11-14 22:13 UTC'
    """
    return pd.Timestamp(int(t), unit="s", tz="UTC").strftime("%Y-%m-%d %H:%M UTC")
