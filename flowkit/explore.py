"""Selections for exploring: a finding's drill-down, an entity's tables in a time window.

The interactive widgets (:mod:`flowkit.widgets`) and the notebooks call these pure functions;
the widgets only collect input.  Each returns prepared tables for :mod:`flowkit.plots` or for
display (:func:`flowkit.display.readable`).

Examples
--------
>>> import flowkit as fk
>>> df = fk.parse_lines([
...     "2 1 eni-a 10.0.1.5 80.66.88.207 40000 443 6 6 900 1700000000 1700000002 ACCEPT OK",
...     "2 1 eni-a 10.0.1.5 80.66.88.207 40001 443 6 6 900 1700007200 1700007202 ACCEPT OK"])
>>> window = ("2023-11-14T22:00Z", "2023-11-14T23:00Z")
>>> tables = entity_tables(df, "10.0.1.5", window)
>>> tables.addresses, len(tables.events), tables.peers["connections"].tolist()
(['10.0.1.5'], 1, [1])
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from flowkit.detect import timeline as tl
from flowkit.detect.view import build_view
from flowkit.times import utc

__all__ = [
    "DrillDown",
    "EntityTables",
    "drill_down",
    "entity_tables",
    "evidence",
    "in_window",
    "period",
    "top_destinations",
]

#: A time window: start (inclusive) and end (exclusive), UTC.
Window = tuple[pd.Timestamp, pd.Timestamp]


def period(df: pd.DataFrame, column: str = "start") -> Window:
    """The span of a table's times, ``(first, last)`` in UTC.

    >>> t = pd.DataFrame({"start": pd.to_datetime([60, 0], unit="s", utc=True)})
    >>> [str(x) for x in period(t)]
    ['1970-01-01 00:00:00+00:00', '1970-01-01 00:01:00+00:00']
    """
    return utc(df[column].min()), utc(df[column].max())


def in_window(table: pd.DataFrame, window: tuple[Any, Any] | None,
              column: str = "start") -> pd.DataFrame:  # fmt: skip
    """Rows whose ``column`` falls in ``[start, end)`` (all rows when ``window`` is None).

    >>> t = pd.DataFrame({"start": pd.to_datetime([0, 60, 120], unit="s", utc=True)})
    >>> len(in_window(t, ("1970-01-01T00:01Z", "1970-01-01T00:02Z")))
    1
    """
    if window is None:
        return table
    start, end = utc(window[0]), utc(window[1])
    times = table[column]
    return table[((times >= start) & (times < end)).to_numpy()]


@dataclass(frozen=True)
class DrillDown:
    """What to draw for a finding: ``kind`` names the plot (see :func:`drill_down`)."""

    kind: str
    table: pd.DataFrame | pd.Series
    title: str
    window: Window | None = None


def drill_down(records: Any, finding: pd.Series, *, pad: str = "1h") -> DrillDown:
    """The table that shows a finding best.

    * ``port_scan``, ``rejected_burst`` on one target: ports probed over time
      (``kind="port_time"``, :func:`flowkit.detect.timeline.port_time`);
    * ``beaconing``: the seconds between its connections (``"intervals"``);
    * ``exfiltration``: the bytes the actor sent to each peer (``"bytes_sent"``);
    * anything else: the actor's activity around the finding, ``pad`` either side
      (``"activity"``).

    ``records`` is the flow-record frame or the detections' view of it
    (:func:`flowkit.detect.build_view`, faster when drilling repeatedly).

    Examples
    --------
    >>> import flowkit as fk
    >>> df = fk.parse_lines([f"2 1 eni-a 198.18.0.7 10.0.1.5 40000 {p} 6 1 44 1700000000 "
    ...                      "1700000030 REJECT OK" for p in range(1, 31)])
    >>> d = drill_down(df, fk.hunt(df).iloc[0])
    >>> d.kind, d.title, d.table.shape
    ('port_time', 'port_scan: 198.18.0.7 -> 10.0.1.5', (30, 1))
    """
    kind, actor, target = str(finding["finding"]), str(finding["actor"]), str(finding["target"])
    title = f"{kind}: {actor} -> {target}"
    if kind in ("port_scan", "rejected_burst") and target != "many":
        return DrillDown("port_time", tl.port_time(records, actor, target), title)
    if kind == "beaconing" and pd.notna(finding["dstport"]):
        gaps = tl.beacon_intervals(records, actor, target, port=int(finding["dstport"]))
        return DrillDown("intervals", gaps, f"{title}:{int(finding['dstport'])}")
    if kind == "exfiltration":
        sent = tl.peers(records, [actor]).set_index("peer")["bytes_sent"]
        return DrillDown("bytes_sent", sent, f"bytes sent by {actor}")
    window = (utc(finding["first_seen"]) - pd.Timedelta(pad),
              utc(finding["last_seen"]) + pd.Timedelta(pad))  # fmt: skip
    act = in_window(tl.activity(records, [actor], bin_minutes=10), window, column="time")
    return DrillDown("activity", act, title, window)


def evidence(events: pd.DataFrame, findings: pd.DataFrame, addresses: Iterable[str],
             extra: Iterable[Any] = ()) -> pd.DataFrame:  # fmt: skip
    """The connections of ``events`` (a :func:`~flowkit.detect.timeline.timeline`) with a peer
    named in a finding about ``addresses`` (as actor or target), or in ``extra``.

    >>> ev = pd.DataFrame({"peer": ["1.2.3.4", "5.6.7.8"], "port": [443, 53]})
    >>> f = pd.DataFrame({"actor": ["10.0.1.5"], "target": ["1.2.3.4"]})
    >>> evidence(ev, f, ["10.0.1.5"])["peer"].tolist()
    ['1.2.3.4']
    """
    mine = set(addresses)
    about = findings[findings["actor"].isin(mine) | findings["target"].isin(mine)]
    involved = (set(about["actor"]) | set(about["target"]) | {x for x in extra if x}) - mine
    return events[events["peer"].isin(involved)]


@dataclass(frozen=True)
class EntityTables:
    """An entity's tables in a window (see :func:`entity_tables`)."""

    entity: str
    addresses: list[str]
    window: Window | None
    events: pd.DataFrame
    activity: pd.DataFrame
    peers: pd.DataFrame
    evidence: pd.DataFrame


def entity_tables(df: pd.DataFrame, entity: str, window: tuple[Any, Any] | None = None,
                  findings: pd.DataFrame | None = None, *,
                  bin_minutes: int = 30) -> EntityTables:  # fmt: skip
    """Everything the forensic timeline shows for one entity, restricted to a window.

    ``entity`` is an address, ENI id, instance id or ENI name
    (:func:`flowkit.detect.timeline.resolve`); the records are cut to ``window`` first, so
    every table (connections, activity bins, peers, evidence) describes that window only.
    ``evidence`` keeps the connections with peers named in ``findings`` about the entity.
    """
    addresses = tl.resolve(df, entity)
    records = in_window(df, window)
    view = build_view(records)  # once, for the three tables
    events = tl.timeline(view, addresses) if addresses else tl.timeline(records.iloc[:0], [])
    act = tl.activity(view, addresses, bin_minutes=bin_minutes)
    found = findings if findings is not None else pd.DataFrame(columns=["actor", "target"])
    win = None if window is None else (utc(window[0]), utc(window[1]))
    return EntityTables(entity, addresses, win, events, act, tl.peers(view, addresses),
                        evidence(events, found, addresses))  # fmt: skip


def top_destinations(df: pd.DataFrame, interface_id: str, n: int = 5) -> pd.DataFrame:
    """The ``n`` destinations an interface's records carried the most bytes to.

    >>> import flowkit as fk
    >>> df = fk.parse_lines(["2 1 eni-a 10.0.1.5 8.8.8.8 40000 53 17 1 60 1700000000 "
    ...                      "1700000001 ACCEPT OK"])
    >>> top_destinations(df, "eni-a").to_dict("records")
    [{'dstaddr': '8.8.8.8', 'bytes': 60}]
    """
    mine = df[(df["interface_id"] == interface_id).to_numpy()]
    sums = mine.groupby("dstaddr", observed=True)["bytes"].sum()
    top = sums.sort_values(ascending=False, kind="mergesort").head(n)
    return top.rename("bytes").reset_index().astype({"dstaddr": object, "bytes": "int64"})
