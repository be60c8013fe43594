"""Lateral movement: an internal host trying remote-administration ports on its neighbours."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from flowkit.detect.common import Records, as_view, epoch_text, finding_rows, rows, window_max
from flowkit.detect.frame import empty_findings, evidence

__all__ = ["ADMIN_PORTS", "find_lateral_movement"]

#: SSH, RDP, SMB, WinRM (HTTP and HTTPS).
ADMIN_PORTS: tuple[int, ...] = (22, 3389, 445, 5985, 5986)


def find_lateral_movement(
    df: Records,
    *,
    ports: Sequence[int] = ADMIN_PORTS,
    window_minutes: int = 60,
    min_hosts: int = 4,
    min_rejected_high: int = 3,
) -> pd.DataFrame:
    """Find lateral movement: one internal host reaching several internal hosts on admin ports.

    Model: TCP connections from an internal client to internal servers on ``ports`` (SSH 22,
    RDP 3389, SMB 445, WinRM 5985/5986); a finding when one client reaches ``min_hosts``
    distinct hosts within ``window_minutes``.  Defaults: 4 hosts within an hour: an
    administrator works on one or two machines at a time, a compromised host walking its
    subnet tries many in minutes.  Severity ``high`` when at least ``min_rejected_high`` of
    those connections were rejected (trying doors that are locked is what separates an
    intruder from an administrator with a jump host, whose sessions are allowed), else
    ``medium``.  ``target`` is ``many``; the hosts are in ``evidence["targets"]``.

    Parameters
    ----------
    df : DataFrame or View
        Flow records.
    ports : sequence of int
        Administration ports.
    window_minutes : int
        Length of the counting window.
    min_hosts : int
        Distinct internal hosts within one window that make a finding.
    min_rejected_high : int
        Rejected connections that make the finding ``high``.

    Returns
    -------
    DataFrame
        Findings, ``finding == "lateral_movement"``.

    Examples
    --------
    >>> import flowkit as fk
    >>> lines = [f"2 1 eni-{h} 10.0.1.5 10.0.2.{h} 40000 445 6 2 88 1700000000 1700000030 REJECT OK"
    ...          for h in range(1, 6)]
    >>> out = find_lateral_movement(fk.parse_lines(lines))
    >>> out[["severity", "actor", "target"]].to_dict("records")
    [{'severity': 'high', 'actor': '10.0.1.5', 'target': 'many'}]
    """
    view = as_view(df)
    conn = view.conn()
    cli, srv = conn["cli"].to_numpy(), conn["srv"].to_numpy()
    keep = view.internal[cli] & view.internal[srv] & (cli != srv)
    keep &= conn["sport"].isin(list(ports)).to_numpy() & (conn["proto"].to_numpy() == 6)
    c = conn[keep]
    peaks = window_max(c, ["cli"], "srv", max(1, window_minutes) * 60, distinct=True)
    hits = peaks[peaks["peak"] >= min_hosts]
    if hits.empty:
        return empty_findings()
    c = c.merge(hits, on="cli")
    w = window_minutes * 60
    c = c[(c["t"] >= c["peak_start"]) & (c["t"] < c["peak_start"] + w)]
    c = c.assign(pk=c["rq_p"] + c["rs_p"], by=c["rq_b"] + c["rs_b"])
    g = c.groupby("cli", sort=True).agg(
        first=("t", "min"), last=("t_end", "max"), flows=("t", "size"), hosts=("srv", "nunique"),
        packets=("pk", "sum"), nbytes=("by", "sum"), rejected=("rejected", "sum"),
        nports=("sport", "nunique"), port=("sport", "max"),
    ).reset_index()  # fmt: skip
    hosts = c.groupby("cli")["srv"].agg(lambda s: sorted(set(s)))
    used = c.groupby("cli")["sport"].agg(lambda s: sorted(set(s)))
    ok = c[~c["rejected"]].groupby("cli")["srv"].agg(lambda s: sorted(set(s)))
    actors = view.addresses[g["cli"]]
    sev = np.where(g["rejected"] >= min_rejected_high, "high", "medium")
    summaries, evs = [], []
    for row, a in zip(rows(g), actors, strict=True):
        names = sorted(str(view.addresses[h]) for h in hosts[row.cli])
        reached = sorted(str(view.addresses[h]) for h in ok.get(row.cli, []))
        port_list = [int(p) for p in used[row.cli]]
        summaries.append(
            f"{a} tried admin ports {', '.join(map(str, port_list))} on {row.hosts} internal "
            f"hosts from {epoch_text(row.first)} within {window_minutes} minutes; {row.rejected} "
            f"connections rejected, {len(reached)} hosts reached."
        )
        evs.append(evidence(
            distinct_hosts=row.hosts, window_minutes=window_minutes, min_hosts=min_hosts,
            rejected=row.rejected, ports=port_list, targets=names, reached=reached,
        ))  # fmt: skip
    return finding_rows(
        "lateral_movement", severity=sev, actor=actors, target=["many"] * len(g),
        dstport=np.where(g["nports"] == 1, g["port"], np.nan), first_seen=g["first"],
        last_seen=g["last"], flows=g["flows"], packets=g["packets"], nbytes=g["nbytes"],
        summary=summaries, evidence=evs,
    )  # fmt: skip
