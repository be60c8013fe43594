"""Tables for drilling into a finding: an entity's activity, timeline, peers, scan grid, beats.

Pure ``df -> table`` functions over the detections' view (de-duplicated, client/server
oriented), made for :mod:`flowkit.plots` and the forensic notebook.  An *indicator* is an
address, or an ENI id, instance id or ENI name (``eni_name`` from the inventory) resolved to
the addresses that ENI used.

Examples
--------
>>> import flowkit as fk
>>> df = fk.parse_lines([
...     "2 1 eni-a 10.0.1.5 80.66.88.207 40000 443 6 6 900 1700000000 1700000002 ACCEPT OK",
...     "2 1 eni-a 80.66.88.207 10.0.1.5 443 40000 6 6 1500 1700000000 1700000002 ACCEPT OK",
...     "2 1 eni-a 10.0.1.5 80.66.88.207 40001 443 6 6 900 1700000300 1700000302 ACCEPT OK"])
>>> timeline(df, "eni-a")[["client", "server", "port", "bytes_out", "bytes_in"]].values.tolist()
[['10.0.1.5', '80.66.88.207', 443, 900, 1500], ['10.0.1.5', '80.66.88.207', 443, 900, 0]]
>>> beacon_intervals(df, "10.0.1.5", "80.66.88.207").tolist()
[300.0]
"""

from __future__ import annotations

import ipaddress

import numpy as np
import pandas as pd

from flowkit.detect.common import Records, as_view
from flowkit.detect.view import View

__all__ = ["activity", "beacon_intervals", "peers", "port_time", "resolve", "timeline"]

_ENTITY_COLUMNS = ("interface_id", "instance_id", "eni_name", "eni_instance_id")


def resolve(df: pd.DataFrame, indicator: str) -> list[str]:
    """Addresses an indicator stands for: itself if an address, else its ENI's addresses.

    >>> import flowkit as fk
    >>> df = fk.parse_lines([f"2 1 eni-a 10.0.1.5 8.8.8.{i} 40000 53 17 1 60 1700000000 "
    ...                      "1700000001 ACCEPT OK" for i in (4, 8)])
    >>> resolve(df, "eni-a"), resolve(df, "8.8.8.8")
    (['10.0.1.5'], ['8.8.8.8'])
    """
    try:
        return [str(ipaddress.ip_address(indicator.strip()))]
    except ValueError:
        pass
    mask = np.zeros(len(df), dtype=bool)
    for col in _ENTITY_COLUMNS:
        if col in df.columns:
            mask |= (df[col].astype(object) == indicator).to_numpy()
    if not mask.any():
        return []
    rows = df.loc[mask]
    both = np.concatenate([rows["srcaddr"].to_numpy(dtype=object),
                           rows["dstaddr"].to_numpy(dtype=object)])  # fmt: skip
    counts = pd.Series(both).value_counts()
    # The ENI's own address appears in (nearly) every record; a peer in some.
    return sorted(str(a) for a in counts[counts >= 0.9 * counts.max()].index)


def _codes(view: View, addresses: list[str]) -> np.ndarray:
    return np.asarray([c for c in (view.code(a) for a in addresses) if c >= 0], dtype=np.int64)


def timeline(df: Records, indicator: str | list[str]) -> pd.DataFrame:
    """Every connection of an indicator, in time order.

    Parameters
    ----------
    df : DataFrame or View
        Flow records (an indicator other than an address needs the records frame).
    indicator : str or list of str
        Address, ENI id, instance id or ENI name; or a list of addresses.

    Returns
    -------
    DataFrame
        ``start``, ``end`` (UTC), ``client``, ``server``, ``port`` (server port), ``protocol``,
        ``direction`` (``out`` when the indicator opened the connection, else ``in``),
        ``peer``, ``packets_out``/``bytes_out`` (client to server), ``packets_in``/
        ``bytes_in``, ``rejected``.
    """
    addresses = indicator if isinstance(indicator, list) else (
        resolve(df, indicator) if isinstance(df, pd.DataFrame) else [indicator])  # fmt: skip
    view = as_view(df)
    mine = _codes(view, addresses)
    c = view.conn()
    out_mask = np.isin(c["cli"].to_numpy(), mine)
    in_mask = np.isin(c["srv"].to_numpy(), mine)
    c = c[out_mask | in_mask]
    outbound = np.isin(c["cli"].to_numpy(), mine)
    res = pd.DataFrame(
        {
            "start": pd.to_datetime(c["t"].to_numpy(), unit="s", utc=True),
            "end": pd.to_datetime(c["t_end"].to_numpy(), unit="s", utc=True),
            "client": view.name(c["cli"]).to_numpy(),
            "server": view.name(c["srv"]).to_numpy(),
            "port": c["sport"].to_numpy(),
            "protocol": c["proto"].to_numpy(),
            "direction": np.where(outbound, "out", "in"),
            "peer": np.where(outbound, view.name(c["srv"]), view.name(c["cli"])),
            "packets_out": c["rq_p"].to_numpy(),
            "bytes_out": c["rq_b"].to_numpy(),
            "packets_in": c["rs_p"].to_numpy(),
            "bytes_in": c["rs_b"].to_numpy(),
            "rejected": c["rejected"].to_numpy(),
        }
    )
    res["start"] = res["start"].astype("datetime64[s, UTC]")
    res["end"] = res["end"].astype("datetime64[s, UTC]")
    return res.sort_values(["start", "client", "server", "port"], kind="mergesort").reset_index(
        drop=True
    )


def peers(df: Records, indicator: str | list[str]) -> pd.DataFrame:
    """One row per peer of an indicator: first contact, last, connections, bytes, ports.

    Sent and received are from the indicator's side.  Sorted by first contact.

    >>> import flowkit as fk
    >>> df = fk.parse_lines(["2 1 eni-a 10.0.1.5 8.8.8.8 40000 53 17 1 60 1700000000 "
    ...                      "1700000001 ACCEPT OK"])
    >>> peers(df, "10.0.1.5")[["peer", "connections", "bytes_sent", "ports"]].values.tolist()
    [['8.8.8.8', 1, 60, '53']]
    """
    t = timeline(df, indicator)
    out = t["direction"] == "out"
    t = t.assign(
        sent=np.where(out, t["bytes_out"], t["bytes_in"]),
        received=np.where(out, t["bytes_in"], t["bytes_out"]),
    )
    g = t.groupby("peer", sort=False).agg(
        first_contact=("start", "min"), last_contact=("end", "max"),
        connections=("start", "size"), bytes_sent=("sent", "sum"),
        bytes_received=("received", "sum"), rejected=("rejected", "sum"),
        ports=("port", lambda s: ",".join(str(p) for p in sorted(set(s))[:10])),
    ).reset_index()  # fmt: skip
    return g.sort_values(["first_contact", "peer"], kind="mergesort").reset_index(drop=True)


def activity(df: Records, indicator: str | list[str], *, bin_minutes: int = 5) -> pd.DataFrame:
    """Connections of an indicator per time bin, peer, port and verdict (for a timeline plot).

    Returns ``time`` (bin start, UTC), ``peer``, ``port``, ``direction``, ``action``
    (``ACCEPT``/``REJECT``), ``flows``, ``bytes`` (both ways).
    """
    t = timeline(df, indicator)
    w = f"{max(1, int(bin_minutes))}min"
    t = t.assign(time=t["start"].dt.floor(w), action=np.where(t["rejected"], "REJECT", "ACCEPT"),
                 total=t["bytes_out"] + t["bytes_in"])  # fmt: skip
    g = t.groupby(["time", "peer", "port", "direction", "action"], sort=True).agg(
        flows=("start", "size"), bytes=("total", "sum")
    )  # fmt: skip
    return g.reset_index()


def port_time(df: Records, actor: str, target: str, *, bin_minutes: int = 1) -> pd.DataFrame:
    """Connections from ``actor`` to ``target``: a grid of server port by time bin (counts).

    Index: ports (ascending); columns: bin starts (UTC); values: connections.
    """
    t = timeline(df, [actor])
    t = t[(t["client"] == actor) & (t["server"] == target)]
    w = f"{max(1, int(bin_minutes))}min"
    grid = t.assign(time=t["start"].dt.floor(w)).pivot_table(
        index="port", columns="time", values="start", aggfunc="size", fill_value=0
    )
    return grid.sort_index()


def beacon_intervals(df: Records, actor: str, target: str, port: int | None = None) -> pd.Series:
    """Seconds between successive connections from ``actor`` to ``target`` (optionally a port)."""
    t = timeline(df, [actor])
    t = t[(t["client"] == actor) & (t["server"] == target)]
    if port is not None:
        t = t[t["port"] == port]
    starts = t["start"].astype("int64").to_numpy()
    return pd.Series(np.diff(np.sort(starts)).astype(float), name="interval_s")
