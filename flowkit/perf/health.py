"""Health: packet sizes, REJECT rate and TCP handshakes."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd

from flowkit.cost.vantage import bare
from flowkit.enrich.conversation_pairs import connection_ids
from flowkit.enrich.dedupe_copies import dedupe
from flowkit.enrich.facts import frame_facts
from flowkit.enrich.names import service_name
from flowkit.enrich.sides import orientation_of
from flowkit.errors import require_columns
from flowkit.perf.frames import traffic_records

__all__ = ["PACKET_SIZE_BINS", "handshake_health", "packet_sizes", "reject_rate"]

#: Default bytes-per-packet bins: tiny (ACKs), small, ..., full 1500-byte MTU, jumbo frames.
PACKET_SIZE_BINS: tuple[int, ...] = (0, 64, 128, 256, 512, 1024, 1500, 9001)


def packet_sizes(
    df: pd.DataFrame, *, bins: Sequence[int] = PACKET_SIZE_BINS, by: str | None = None
) -> pd.DataFrame:
    """Distribution of the mean packet size (bytes / packets) of each record, packet-weighted.

    Returns ``size`` (a bin label like ``"64-127"``), ``records``, ``packets``, ``bytes`` and
    ``packet_share`` (of the group's packets), by ``by`` when given.  Many tiny packets mean
    chatty request/ACK traffic; a peak at 1500 bulk transfers.

    Examples
    --------
    >>> import flowkit as fk
    >>> df = fk.parse_lines([
    ...     "2 1 eni-a 10.0.0.5 10.0.1.6 50000 443 6 10 400 1700000000 1700000060 ACCEPT OK",
    ...     "2 1 eni-a 10.0.1.6 10.0.0.5 443 50000 6 30 43500 1700000000 1700000060 ACCEPT OK"])
    >>> sizes = packet_sizes(df).query("records > 0")
    >>> sizes[["size", "packets", "packet_share"]].to_numpy().tolist()
    [['0-63', 10, 0.25], ['1024-1499', 30, 0.75]]
    """
    require_columns(df, ("bytes", "packets"), "fk.packet_sizes")
    d = traffic_records(df)
    d = d[d["packets"].fillna(0).gt(0).to_numpy()]
    edges = list(bins)
    labels = [f"{lo}-{hi - 1}" for lo, hi in itertools.pairwise(edges)]
    mean = d["bytes"].astype("float64") / d["packets"].astype("float64")
    keys = [by] if by is not None else []
    frame = pd.DataFrame({
        **{k: d[k].astype(object) for k in keys},
        "size": pd.cut(mean, edges, right=False, labels=labels),
        "packets": d["packets"].astype("int64"), "bytes": d["bytes"].astype("int64"),
    })  # fmt: skip
    out = frame.groupby([*keys, "size"], observed=False).agg(
        records=("packets", "size"), packets=("packets", "sum"), bytes=("bytes", "sum")
    ).reset_index()  # fmt: skip
    total = out.groupby(keys)["packets"].transform("sum") if keys else out["packets"].sum()
    out["packet_share"] = (out["packets"] / total).fillna(0.0).round(4)
    out["size"] = out["size"].astype(str)
    return out


def reject_rate(
    df: pd.DataFrame, *, by: str | None = "interface_id", freq: str = "1h"
) -> pd.DataFrame:
    """Share of records REJECTed per time bin (per ``by``).

    Returns ``time``, ``by``, ``records``, ``rejected``, ``reject_rate``.  A REJECT is a
    security-group or NACL denial, or packets after the connection closed; NODATA/SKIPDATA
    records are left out.

    Examples
    --------
    >>> import flowkit as fk
    >>> df = fk.parse_lines([
    ...     "2 1 eni-a 198.51.100.9 10.0.0.5 40000 22 6 1 40 1700000000 1700000060 REJECT OK",
    ...     "2 1 eni-a 198.51.100.9 10.0.0.5 40001 443 6 1 40 1700000000 1700000060 ACCEPT OK"])
    >>> reject_rate(df)[["interface_id", "records", "rejected", "reject_rate"]].to_dict("records")
    [{'interface_id': 'eni-a', 'records': 2, 'rejected': 1, 'reject_rate': 0.5}]
    """
    require_columns(df, [*([by] if by is not None else []), "start", "action"], "fk.reject_rate")
    d = bare(df)
    d = d[d["action"].isin(["ACCEPT", "REJECT"]).to_numpy()]
    keys = [by] if by is not None else []
    frame = pd.DataFrame({
        "time": d["start"].dt.floor(freq), **{k: d[k].astype(object) for k in keys},
        "rejected": d["action"].astype(object).eq("REJECT").astype("int64"),
    })  # fmt: skip
    out = frame.groupby(["time", *keys]).agg(
        records=("rejected", "size"), rejected=("rejected", "sum")
    ).reset_index()  # fmt: skip
    out["reject_rate"] = out["rejected"] / out["records"]
    return out


def handshake_health(df: pd.DataFrame) -> pd.DataFrame:
    """TCP handshake health per service port, from ``tcp-flags``.

    A connection attempt is a client record with SYN (flags 2, or 3 with FIN) and no ACK; it
    is answered when a record of the same connection carries SYN-ACK (18, or 19).  A
    *connection* is the client, client port, server, service port (packet-level addresses) seen
    within two idle minutes of each other
    (:func:`flowkit.enrich.conversation_pairs.connection_ids`): it counts once however many ENIs
    logged it, and a client port reused an hour later is a new attempt.  A middlebox's copies
    of connections a workload ENI logged (a NAT gateway's legs; :func:`flowkit.dedupe`) are
    left out; what reached the middlebox itself (a scan of a NAT's address) is not.  RST is
    counted over all TCP records of the service (the one orientation model
    gives their service port).

    Returns
    -------
    DataFrame
        ``service_port``, ``service`` (IANA name), ``attempts``, ``answered``, ``unanswered``,
        ``unanswered_rate``, ``tcp_records``, ``rst_records``, ``rst_rate``; sorted by
        ``unanswered`` then ``attempts``.

    Examples
    --------
    >>> import flowkit as fk
    >>> fmt = "${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} "
    >>> fmt += "${bytes} ${start} ${end} ${action} ${log-status} ${tcp-flags}"
    >>> df = fk.parse_lines([
    ...     "eni-a 10.0.0.5 10.0.1.6 50000 443 6 3 180 1700000000 1700000060 ACCEPT OK 3",
    ...     "eni-b 10.0.1.6 10.0.0.5 443 50000 6 3 180 1700000000 1700000060 ACCEPT OK 19",
    ...     "eni-a 10.0.0.5 10.0.1.7 50001 443 6 1 60 1700000000 1700000060 ACCEPT OK 2"],
    ...     fields=fmt)
    >>> handshake_health(df)[["service", "attempts", "answered", "unanswered"]].to_dict("records")
    [{'service': 'https', 'attempts': 2, 'answered': 1, 'unanswered': 1}]
    """
    require_columns(
        df,
        ("srcaddr", "dstaddr", "srcport", "dstport", "protocol", "tcp_flags", "start", "end"),
        "fk.handshake_health",
    )
    cols = ["service_port", "service", "attempts", "answered", "unanswered", "unanswered_rate",
            "tcp_records", "rst_records", "rst_rate"]  # fmt: skip
    facts = frame_facts(df)
    d = traffic_records(df)
    d = d[d["protocol"].eq(6).fillna(False).to_numpy() & d["tcp_flags"].notna().to_numpy()]
    space, si, di, client, rule = orientation_of(d, facts)
    keep = d.index.isin(dedupe(d).index)  # a middlebox's copies of what a workload logged
    src, dst = np.asarray(space.codes[si], np.int64), np.asarray(space.codes[di], np.int64)
    sport = d["srcport"].to_numpy("int64", na_value=-1)
    dport = d["dstport"].to_numpy("int64", na_value=-1)
    flags = d["tcp_flags"].to_numpy("int64")
    known = rule >= 0
    service = np.where(known, np.where(client, dport, sport), -1)
    rst = pd.DataFrame({"port": service, "rst": (flags & 4) > 0}).groupby("port")["rst"]
    counts = rst.agg(["size", "sum"]).rename(columns={"size": "tcp_records", "sum": "rst_records"})
    rows = np.flatnonzero(keep & known)
    cl = client[rows]
    cli, srv = np.where(cl, src[rows], dst[rows]), np.where(cl, dst[rows], src[rows])
    cport = np.where(cl, sport[rows], dport[rows])
    port = service[rows]
    t = d["start"].to_numpy(dtype="datetime64[s]").view(np.int64)[rows]
    t_end = d["end"].to_numpy(dtype="datetime64[s]").view(np.int64)[rows]
    width = max(len(space.uniques), 1)
    conn = connection_ids(cli * width + srv, (cport << 17) | port, t, t_end)
    n_conn = int(conn.max(initial=-1)) + 1
    syn = (flags[rows] & 18) == 2
    synack = (flags[rows] & 18) == 18
    opened = np.bincount(conn, weights=syn, minlength=n_conn) > 0
    answered = np.bincount(conn, weights=synack, minlength=n_conn) > 0
    conn_port = np.zeros(n_conn, dtype=np.int64)
    conn_port[conn] = port
    attempts = pd.DataFrame({"port": conn_port[opened], "answered": answered[opened]})
    out = attempts.groupby("port").agg(attempts=("answered", "size"), answered=("answered", "sum"))
    out = out.join(counts, how="outer")
    out = out.fillna(0).astype("int64").reset_index().rename(columns={"port": "service_port"})
    out = out[out["service_port"] >= 0]
    out["unanswered"] = out["attempts"] - out["answered"]
    out["unanswered_rate"] = (
        out["unanswered"] / out["attempts"].where(out["attempts"] > 0)
    ).fillna(0.0)
    out["rst_rate"] = (
        out["rst_records"] / out["tcp_records"].where(out["tcp_records"] > 0)
    ).fillna(0.0)
    out["service"] = [service_name(int(p), 6) for p in out["service_port"]]
    out = out.sort_values(
        ["unanswered", "attempts", "service_port"], ascending=[False, False, True]
    )
    return out[cols].reset_index(drop=True)
