"""Novelty: a first contact on a port outside a host's baseline, and unusual IP protocols."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from flowkit.detect.common import Records, as_view, epoch_text, finding_rows, human_bytes, rows
from flowkit.detect.frame import empty_findings, evidence

__all__ = ["COMMON_PROTOCOLS", "find_unusual_port", "find_unusual_protocol"]

#: ICMP, TCP, UDP, ICMPv6.
COMMON_PROTOCOLS: tuple[int, ...] = (1, 6, 17, 58)


def find_unusual_port(
    df: Records,
    *,
    baseline_hours: float = 24.0,
    min_baseline_connections: int = 50,
    min_connections: int = 1,
) -> pd.DataFrame:
    """Find a host's first contact with a remote port it never used in its baseline window.

    Model: the first ``baseline_hours`` (24 h) of the records are the baseline; for each
    internal host that opened at least ``min_baseline_connections`` (50) accepted outbound
    connections to outside addresses in the baseline (enough history to know its habits), every
    (remote port, protocol) it opens after the baseline and never used in it is a finding, from
    its first contact, if it opened at least ``min_connections`` such connections.  This is
    GuardDuty's NetworkPortUnusual ("no prior history" of the port).  Severity ``low`` (a new
    port is a lead, not a verdict), ``medium`` when more than 1 MB went out on it.

    Parameters
    ----------
    df : DataFrame or View
        Flow records.
    baseline_hours : float
        Length of the baseline window at the start of the records.
    min_baseline_connections : int
        Connections a host needs in the baseline to be judged.
    min_connections : int
        Connections on the new port needed for a finding.

    Returns
    -------
    DataFrame
        Findings, ``finding == "unusual_port"``; ``target`` is the first remote address
        (``many`` when several), ``evidence["remotes"]`` lists them.

    Examples
    --------
    >>> import flowkit as fk
    >>> t0 = 1700000000
    >>> lines = [f"2 1 eni-a 10.0.1.5 93.184.216.34 {40000 + i} 443 6 9 900 {t0 + 600 * i} "
    ...          f"{t0 + 600 * i + 9} ACCEPT OK" for i in range(200)]
    >>> lines.append(f"2 1 eni-a 10.0.1.5 93.184.216.99 50000 4444 6 9 900 {t0 + 100000} "
    ...              f"{t0 + 100009} ACCEPT OK")
    >>> out = find_unusual_port(fk.parse_lines(lines))
    >>> out[["actor", "target", "dstport"]].to_dict("records")
    [{'actor': '10.0.1.5', 'target': '93.184.216.99', 'dstport': 4444}]
    """
    view = as_view(df)
    conn = view.conn()
    cli, srv = conn["cli"].to_numpy(), conn["srv"].to_numpy()
    c = conn[view.internal[cli] & ~view.internal[srv] & ~conn["rejected"].to_numpy()]
    cut = view.t_min + int(baseline_hours * 3600)
    base = c[c["t"] < cut]
    after = c[c["t"] >= cut]
    counts = base.groupby("cli").size()
    judged = counts[counts >= min_baseline_connections].index
    after = after[after["cli"].isin(judged)]
    if after.empty:
        return empty_findings()
    known = base[["cli", "sport", "proto"]].drop_duplicates().assign(_known=True)
    after = after.merge(known, on=["cli", "sport", "proto"], how="left")
    new = after[after["_known"].isna()]
    new = new.assign(pk=new["rq_p"] + new["rs_p"], by=new["rq_b"] + new["rs_b"])
    g = new.groupby(["cli", "sport", "proto"], sort=True).agg(
        first=("t", "min"), last=("t_end", "max"), flows=("t", "size"), packets=("pk", "sum"),
        nbytes=("by", "sum"), out=("rq_b", "sum"), remotes=("srv", "nunique"),
    ).reset_index()  # fmt: skip
    g = g[g["flows"] >= min_connections].reset_index(drop=True)
    if g.empty:
        return empty_findings()
    remotes = new.sort_values("t").groupby(["cli", "sport", "proto"])["srv"].agg(
        lambda s: list(dict.fromkeys(s))
    )  # fmt: skip
    actors = view.addresses[g["cli"]]
    sev = np.where(g["out"] > 1_000_000, "medium", "low")
    targets, summaries, evs = [], [], []
    for row, a in zip(rows(g), actors, strict=True):
        peers = [str(view.addresses[x]) for x in remotes[(row.cli, row.sport, row.proto)]]
        targets.append(peers[0] if len(peers) == 1 else "many")
        summaries.append(
            f"{a} used remote port {row.sport} (protocol {row.proto}) for the first time at "
            f"{epoch_text(row.first)}, with {len(peers)} address(es); it never did in the "
            f"{baseline_hours:g}-hour baseline. {human_bytes(row.out)} went out."
        )
        evs.append(
            evidence(baseline_hours=baseline_hours, first_contact=epoch_text(row.first),
                     connections=row.flows, remotes=peers[:50], bytes_out=row.out)
        )  # fmt: skip
    return finding_rows(
        "unusual_port", severity=sev, actor=actors, target=targets, dstport=g["sport"],
        first_seen=g["first"], last_seen=g["last"], flows=g["flows"], packets=g["packets"],
        nbytes=g["nbytes"], summary=summaries, evidence=evs,
    )  # fmt: skip


def find_unusual_protocol(
    df: Records,
    *,
    allowed_protocols: Sequence[int] = COMMON_PROTOCOLS,
    min_packets_high: int = 10_000,
) -> pd.DataFrame:
    """Find traffic of protocols other than TCP/UDP/ICMP/ICMPv6 sent to outside addresses.

    Model: every accepted or rejected record whose protocol is not in ``allowed_protocols``
    and whose receiver is not an internal address; one finding per (sender, receiver,
    protocol).  GuardDuty's DenialOfService.UnusualProtocol looks for large volumes of, say,
    IGMP to public addresses; any such traffic deserves a look (GRE or ESP to a VPN peer is
    legitimate: add its protocol to ``allowed_protocols``).  Severity ``high`` from
    ``min_packets_high`` packets (10,000), else ``medium``.

    Parameters
    ----------
    df : DataFrame or View
        Flow records.
    allowed_protocols : sequence of int
        IANA protocol numbers that are never reported.
    min_packets_high : int
        Packets that make the finding ``high``.

    Returns
    -------
    DataFrame
        Findings, ``finding == "unusual_protocol"``; ``dstport`` is NA.

    Examples
    --------
    >>> import flowkit as fk
    >>> df = fk.parse_lines(["2 1 eni-a 10.0.1.5 93.184.216.34 0 0 2 50000 2000000 "
    ...                      "1700000000 1700000059 ACCEPT OK"])
    >>> find_unusual_protocol(df)[["severity", "actor", "target"]].to_dict("records")
    [{'severity': 'high', 'actor': '10.0.1.5', 'target': '93.184.216.34'}]
    """
    view = as_view(df)
    r = view.rec
    req = r["req"].to_numpy()
    src = np.where(req, r["cli"].to_numpy(), r["srv"].to_numpy())
    dst = np.where(req, r["srv"].to_numpy(), r["cli"].to_numpy())
    proto = r["proto"].to_numpy()
    keep = ~np.isin(proto, list(allowed_protocols)) & (proto >= 0) & ~view.internal[dst]
    if not keep.any():
        return empty_findings()
    x = pd.DataFrame({"src": src, "dst": dst, "proto": proto, "t": r["t"].to_numpy(),
                      "t_end": r["t_end"].to_numpy(), "pkts": r["pkts"].to_numpy(),
                      "bytes": r["bytes"].to_numpy()})[keep]  # fmt: skip
    g = x.groupby(["src", "dst", "proto"], sort=True).agg(
        first=("t", "min"), last=("t_end", "max"), flows=("t", "size"), packets=("pkts", "sum"),
        nbytes=("bytes", "sum"),
    ).reset_index()  # fmt: skip
    actors, targets = view.addresses[g["src"]], view.addresses[g["dst"]]
    sev = np.where(g["packets"] >= min_packets_high, "high", "medium")
    summaries = [
        f"{a} sent {row.packets} packets ({human_bytes(row.nbytes)}) of IP protocol "
        f"{row.proto} to {t} from {epoch_text(row.first)}."
        for row, a, t in zip(rows(g), actors, targets, strict=True)
    ]
    evs = [evidence(protocol=row.proto, packets=row.packets, min_packets_high=min_packets_high)
           for row in rows(g)]  # fmt: skip
    return finding_rows(
        "unusual_protocol", severity=sev, actor=actors, target=targets,
        dstport=np.full(len(g), np.nan), first_seen=g["first"], last_seen=g["last"],
        flows=g["flows"], packets=g["packets"], nbytes=g["nbytes"], summary=summaries,
        evidence=evs,
    )  # fmt: skip
