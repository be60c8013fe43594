"""Reconnaissance: vertical port scans and horizontal port sweeps.

Both count *probes*, connections that carry no conversation: rejected by a security group or
network ACL, unanswered, or (TCP) at most a few packets each way, the SYN / SYN-ACK / RST of a
half-open scan.  Ordinary clients talk to one or two ports of a server and exchange data, so
they never accumulate many distinct probed ports or hosts.  Counting *distinct* ports and hosts
makes the counts immune to a connection being logged on several ENIs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowkit.detect.common import Records, as_view, finding_rows, probe_mask, rows, utc, window_max
from flowkit.detect.frame import empty_findings, evidence

__all__ = ["find_port_scan", "find_port_sweep"]


def _probes(df: Records, max_probe_packets: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Probe connections, leaving out those to AWS service addresses (S3, DynamoDB...: one
    service answers from many addresses, and SDK retries against them are not reconnaissance)."""
    view = as_view(df)
    conn = view.conn()
    keep = probe_mask(conn, max_probe_packets) & ~view.aws[conn["srv"].to_numpy()]
    return conn[keep], view.internal, view.addresses


def find_port_scan(
    df: Records,
    *,
    window_minutes: int = 10,
    min_ports: int = 20,
    max_probe_packets: int = 3,
) -> pd.DataFrame:
    """Find vertical port scans: one actor probing many ports of one host.

    Model: probes (:func:`~flowkit.detect.common.probe_mask`: rejected, unanswered, or a bare
    handshake of at most ``max_probe_packets`` packets and 400 bytes each way; AWS service
    addresses excluded) from one client to one server, counted as distinct server ports in any
    ``window_minutes`` window; a finding when the count reaches ``min_ports``.  Defaults: a
    10-minute window (GuardDuty's Portscan speaks of "a short period of time"; fast scanners
    finish 1,000 ports in seconds, slow ones still show 20 ports within 10 minutes) and 20 ports
    (no client application opens 20 distinct ports on one host without exchanging data; the
    background noise of the internet is 1 to 3 ports per scanner).  Severity: ``high`` when the
    actor is one of your own (internal) addresses, a compromised instance doing
    reconnaissance; ``medium`` for an external scanner.

    Parameters
    ----------
    df : DataFrame or View
        Flow records (see :func:`flowkit.detect.view.build_view`).
    window_minutes : int
        Length of the counting window.
    min_ports : int
        Distinct probed ports within one window that make a scan.
    max_probe_packets : int
        A TCP connection with at most this many packets each way counts as a probe.

    Returns
    -------
    DataFrame
        Findings (:data:`flowkit.detect.frame.FINDING_COLUMNS`), ``finding == "port_scan"``.

    Examples
    --------
    >>> import flowkit as fk
    >>> lines = [f"2 1 eni-a 198.18.0.7 10.0.1.5 40000 {p} 6 1 44 1700000000 1700000030 REJECT OK"
    ...          for p in range(1, 31)]
    >>> out = find_port_scan(fk.parse_lines(lines))
    >>> out[["finding", "severity", "actor", "target", "flows"]].values.tolist()
    [['port_scan', 'medium', '198.18.0.7', '10.0.1.5', 30]]
    >>> out.loc[0, "evidence"]["distinct_ports"]
    30
    """
    probes, internal, addresses = _probes(df, max_probe_packets)
    w = max(1, int(window_minutes)) * 60
    peaks = window_max(probes, ["cli", "srv"], "sport", w, distinct=True)
    hits = peaks[peaks["peak"] >= min_ports]
    if hits.empty:
        return empty_findings()
    sel = probes.merge(hits[["cli", "srv"]], on=["cli", "srv"])
    sel = sel.assign(answered=(sel["rs_p"] > 0) & ~sel["rejected"], pk=sel["rq_p"] + sel["rs_p"],
                     by=sel["rq_b"] + sel["rs_b"])  # fmt: skip
    g = sel.groupby(["cli", "srv"], sort=True).agg(
        first=("t", "min"), last=("t_end", "max"), flows=("t", "size"), ports=("sport", "nunique"),
        packets=("pk", "sum"), nbytes=("by", "sum"), rejected=("rejected", "sum"),
    ).reset_index()  # fmt: skip
    g = g.merge(hits, on=["cli", "srv"])
    answered = sel[sel["answered"]].groupby(["cli", "srv"])["sport"].agg(lambda s: sorted(set(s)))
    actors, targets = addresses[g["cli"]], addresses[g["srv"]]
    sev = np.where(internal[g["cli"].to_numpy()], "high", "medium")
    summaries, evs = [], []
    for row, a, t in zip(rows(g), actors, targets, strict=True):
        open_ports = [int(p) for p in answered.get((row.cli, row.srv), [])][:50]
        summaries.append(
            f"{a} probed {row.ports} ports of {t} (up to {row.peak} within {window_minutes} "
            f"minutes from {utc(row.peak_start)}); {len(open_ports)} answered."
        )
        evs.append(evidence(distinct_ports=row.ports, peak_ports_in_window=row.peak,
                            window_minutes=window_minutes, min_ports=min_ports,
                            rejected=row.rejected, answered_ports=open_ports))  # fmt: skip
    return finding_rows(
        "port_scan", severity=sev, actor=actors, target=targets,
        dstport=np.full(len(g), np.nan), first_seen=g["first"], last_seen=g["last"],
        flows=g["flows"], packets=g["packets"], nbytes=g["nbytes"], summary=summaries,
        evidence=evs,
    )  # fmt: skip


def find_port_sweep(
    df: Records,
    *,
    window_minutes: int = 10,
    min_hosts: int = 5,
    max_probe_packets: int = 3,
) -> pd.DataFrame:
    """Find horizontal port sweeps: one actor probing one port on many hosts.

    Model: probes (as in :func:`find_port_scan`) from one client to one server port, counted
    as distinct servers in any ``window_minutes`` window; a finding when the count reaches
    ``min_hosts``.  Defaults: 10 minutes and 5 hosts: a sweep of a small VPC's public
    interfaces touches a handful of hosts, while a legitimate client that fails against five
    different hosts on the same port within minutes is rare (monitoring and load balancers get
    answers, so they are not probes).  Severity: ``high`` when the actor is internal
    (GuardDuty rates an instance sweeping the internet High), ``medium`` for an external
    actor.  ``target`` is ``many``; the hosts are
    in ``evidence["targets"]``.

    Parameters
    ----------
    df : DataFrame or View
        Flow records.
    window_minutes : int
        Length of the counting window.
    min_hosts : int
        Distinct probed hosts on one port within one window that make a sweep.
    max_probe_packets : int
        A TCP connection with at most this many packets each way counts as a probe.

    Returns
    -------
    DataFrame
        Findings, ``finding == "port_sweep"``.

    Examples
    --------
    >>> import flowkit as fk
    >>> lines = [f"2 1 eni-{h} 198.18.0.7 10.0.1.{h} 40000 3389 6 1 44 1700000000 1700000030 "
    ...          "REJECT OK" for h in range(1, 8)]
    >>> out = find_port_sweep(fk.parse_lines(lines))
    >>> out[["actor", "target", "dstport"]].to_dict("records")
    [{'actor': '198.18.0.7', 'target': 'many', 'dstport': 3389}]
    >>> out.loc[0, "evidence"]["distinct_hosts"]
    7
    """
    probes, internal, addresses = _probes(df, max_probe_packets)
    w = max(1, int(window_minutes)) * 60
    peaks = window_max(probes, ["cli", "sport"], "srv", w, distinct=True)
    hits = peaks[peaks["peak"] >= min_hosts]
    if hits.empty:
        return empty_findings()
    sel = probes.merge(hits[["cli", "sport"]], on=["cli", "sport"])
    sel = sel.assign(pk=sel["rq_p"] + sel["rs_p"], by=sel["rq_b"] + sel["rs_b"])
    g = sel.groupby(["cli", "sport"], sort=True).agg(
        first=("t", "min"), last=("t_end", "max"), flows=("t", "size"), hosts=("srv", "nunique"),
        packets=("pk", "sum"), nbytes=("by", "sum"), rejected=("rejected", "sum"),
    ).reset_index()  # fmt: skip
    g = g.merge(hits, on=["cli", "sport"])
    hosts = sel.groupby(["cli", "sport"])["srv"].agg(lambda s: sorted(set(s)))
    actors = addresses[g["cli"]]
    sev = np.where(internal[g["cli"].to_numpy()], "high", "medium")
    summaries, evs = [], []
    for row, a in zip(rows(g), actors, strict=True):
        names = sorted(str(addresses[h]) for h in hosts[(row.cli, row.sport)])
        summaries.append(
            f"{a} probed port {row.sport} on {row.hosts} hosts (up to {row.peak} within "
            f"{window_minutes} minutes from {utc(row.peak_start)}); {row.rejected} rejected."
        )
        evs.append(evidence(distinct_hosts=row.hosts, peak_hosts_in_window=row.peak,
                            window_minutes=window_minutes, min_hosts=min_hosts,
                            rejected=row.rejected, targets=names[:100]))  # fmt: skip
    return finding_rows(
        "port_sweep", severity=sev, actor=actors, target=["many"] * len(g),
        dstport=g["sport"].astype(float), first_seen=g["first"], last_seen=g["last"],
        flows=g["flows"], packets=g["packets"], nbytes=g["nbytes"], summary=summaries,
        evidence=evs,
    )  # fmt: skip
