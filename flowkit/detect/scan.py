"""Reconnaissance at every speed: vertical port scans and horizontal port sweeps.

Both count *first contacts* (:mod:`flowkit.detect.contacts`): the first connection a client sent
to one service, which *failed* (rejected, unanswered or refused by a reset) or was answered.  A
web tail or a response fragment is no first contact, so it never counts.  Counting happens in
several sliding windows, from minutes (a fast scanner finishes 1,000 ports in seconds) to a day
(a slow one sends a probe every hour or two to stay under per-minute alarms); breadth over the
longest window decides that there is a scan, and the speed (the shortest window) and the
breadth decide how severe it is.

The statistical reference is the threshold random walk (TRW) of Jung, Paxson, Berger and
Balakrishnan (2004), the method of SiLK's ``rwscan``: a benign client's first contacts succeed
with probability 0.8, a scanner's with 0.2; each failure multiplies the likelihood ratio by 4,
each success divides it by 4, and the client is a scanner when the ratio reaches 99 (false
alarm and miss rates of 1 %): four more failures than successes.  ``rwscan`` walks on-line and
stops at the first crossing; with a batch of flow logs the whole episode is known, so the
verdict here is the walk's *end*: a client that crossed the threshold early but then had most of
its first contacts answered (a peer-to-peer client, whose peers answer about half the time) is
not a scanner.  The step at which the walk first crossed is kept as evidence.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from flowkit.detect.common import Records, as_view, epoch_text, finding_rows, rows
from flowkit.detect.contacts import contacts, sliding_peak, trw_threshold, trw_walk
from flowkit.detect.frame import SEVERITIES, empty_findings, evidence
from flowkit.detect.view import View

__all__ = ["SCAN_WINDOWS", "find_port_scan", "find_port_sweep"]

#: Counting windows, in minutes: ten minutes, an hour, a day.
SCAN_WINDOWS: tuple[int, ...] = (10, 60, 1440)


def _first_contacts(view: View) -> pd.DataFrame:
    """First contacts the clients sent, AWS service addresses left out (one service answers
    from many addresses, and SDK retries against them are not reconnaissance)."""
    c = contacts(view)
    return c[c["first"].to_numpy() & ~view.aws[c["srv"].to_numpy()]]


def _peaks(first: pd.DataFrame, keys: list[str], windows: Sequence[int], need: int) -> pd.DataFrame:
    """Per group reaching ``need`` first contacts within the longest window: the most first
    contacts within each window (``peak_<minutes>``)."""
    minutes = sorted({max(1, int(w)) for w in windows}, reverse=True)
    out = sliding_peak(first, keys, minutes[0] * 60, min_count=need)
    out = out[out["peak"] >= need].rename(
        columns={"peak": f"peak_{minutes[0]}", "peak_start": f"start_{minutes[0]}"}
    )
    if out.empty or len(minutes) == 1:
        return out
    first = first.merge(out[keys], on=keys)
    for m in minutes[1:]:
        p = sliding_peak(first, keys, m * 60).rename(
            columns={"peak": f"peak_{m}", "peak_start": f"start_{m}"}
        )
        out = out.merge(p, on=keys)
    return out


def _levels(inside: np.ndarray, strong: np.ndarray) -> np.ndarray:
    """Severity: an internal actor one level above an external one; ``strong`` (fast or
    broad) one level above the rest."""
    ladder = np.asarray(SEVERITIES, dtype=object)
    return ladder[inside.astype(int) + strong.astype(int)]


def find_port_scan(
    df: Records,
    *,
    windows_minutes: Sequence[int] = SCAN_WINDOWS,
    min_ports: int = 10,
    fast_ports: int = 20,
    broad_ports: int = 100,
) -> pd.DataFrame:
    """Find vertical port scans, fast or slow: one actor probing many ports of one host.

    Rule: for each (client, server), the distinct ports of the client's first contacts are
    counted in sliding windows of ``windows_minutes`` (10 minutes, 1 hour, 1 day); a scan when
    a window holds ``min_ports`` (10) of them *and* the threshold random walk over all the
    pair's first contacts ends at the scanner threshold (four more failures than answers; see
    the module docstring).  Why 10 within a day: the internet's background noise probes 1 to 3
    ports of a host per source, a service probe campaign a handful of well-known ones; no client
    application makes first contacts to 10 different ports of one host in a day and mostly gets
    no answer.  Severity from speed and breadth: *strong* when ``fast_ports`` (20) ports were
    contacted within the shortest window (what the old 10-minute rule caught) or
    ``broad_ports`` (100) distinct ports failed in all;
    an external actor is ``medium`` when strong, else ``low`` (a slow narrow scan of an exposed
    host is the internet's weather); an internal actor, a compromised instance doing
    reconnaissance, is one level higher (``high`` when strong, else ``medium``).  AWS service
    addresses are never targets.

    Parameters
    ----------
    df : DataFrame or View
        Flow records (see :func:`flowkit.detect.view.build_view`).
    windows_minutes : sequence of int
        Sliding counting windows, in minutes; the longest bounds how slow a scan can be.
    min_ports : int
        Distinct ports first contacted within one window that make a scan.
    fast_ports : int
        Ports first contacted within the shortest window that make a scan fast.
    broad_ports : int
        Distinct failed ports in all that make a scan broad.

    Returns
    -------
    DataFrame
        Findings (:data:`flowkit.detect.frame.FINDING_COLUMNS`), ``finding == "port_scan"``;
        ``evidence`` holds the peak per window, the walk's end and when it decided.

    Examples
    --------
    >>> import flowkit as fk
    >>> lines = [f"2 1 eni-a 198.18.0.7 10.0.1.5 40000 {p} 6 1 44 1700000000 1700000030 REJECT OK"
    ...          for p in range(1, 31)]
    >>> out = find_port_scan(fk.parse_lines(lines))
    >>> out[["finding", "severity", "actor", "target", "flows"]].values.tolist()
    [['port_scan', 'medium', '198.18.0.7', '10.0.1.5', 30]]
    >>> slow = [f"2 1 eni-a 198.18.0.7 10.0.1.5 40000 {p} 6 1 44 {1700000000 + 5000 * p} "
    ...         f"{1700000001 + 5000 * p} REJECT OK" for p in range(1, 13)]
    >>> find_port_scan(fk.parse_lines(slow))[["severity", "flows"]].values.tolist()
    [['low', 12]]
    """
    view = as_view(df)
    fc = _first_contacts(view)
    failed = fc[fc["failed"].to_numpy()]
    keys = ["cli", "srv"]
    peaks = _peaks(fc, keys, windows_minutes, min_ports)
    short, long_ = (min(max(1, int(w)) for w in windows_minutes),
                    max(max(1, int(w)) for w in windows_minutes))  # fmt: skip
    if peaks.empty:
        return empty_findings()
    walk = trw_walk(fc.merge(peaks[keys], on=keys), keys)
    g = peaks.merge(walk[walk["llr"] >= trw_threshold()], on=keys)
    if g.empty:
        return empty_findings()
    sel = failed.merge(g[keys], on=keys)
    sel = sel.assign(pk=sel["rq_p"] + sel["rs_p"], by=sel["rq_b"] + sel["rs_b"])
    agg = sel.groupby(keys, sort=True).agg(
        first=("t", "min"), last=("t_end", "max"), flows=("t", "size"), ports=("sport", "nunique"),
        packets=("pk", "sum"), nbytes=("by", "sum"), rejected=("rejected", "sum"),
    ).reset_index()  # fmt: skip
    g = agg.merge(g, on=keys)
    ok = fc[fc["answered"].to_numpy()].merge(g[keys], on=keys)
    answered = ok.groupby(keys)["sport"].agg(lambda s: sorted(set(s)))
    strong = (g[f"peak_{short}"] >= fast_ports) | (g["ports"] >= broad_ports)
    sev = _levels(view.internal[g["cli"].to_numpy()], strong.to_numpy())
    actors, targets = view.addresses[g["cli"]], view.addresses[g["srv"]]
    windows = sorted({max(1, int(w)) for w in windows_minutes})
    summaries, evs = [], []
    for row, a, t, fast in zip(rows(g), actors, targets, strong, strict=True):
        open_ports = [int(p) for p in answered.get((row.cli, row.srv), [])][:50]
        per = {w: int(getattr(row, f"peak_{w}")) for w in windows}
        summaries.append(
            f"{a} probed {row.ports} ports of {t} from {epoch_text(row.first)} to "
            f"{epoch_text(row.last)} (up "
            f"to {per[short]} within {short} minutes, {per[long_]} within {long_}); "
            f"{len(open_ports)} answered; a {'fast or broad' if fast else 'slow'} scan."
        )
        evs.append(evidence(distinct_ports=row.ports,
                            peak_ports={str(w): n for w, n in per.items()},
                            min_ports=min_ports, rejected=row.rejected,
                            trw_llr=float(row.llr), trw_decided_after=row.decided_after,
                            answered_ports=open_ports, strong=bool(fast)))  # fmt: skip
    return finding_rows(
        "port_scan", severity=sev, actor=actors, target=targets,
        dstport=np.full(len(g), np.nan), first_seen=g["first"], last_seen=g["last"],
        flows=g["flows"], packets=g["packets"], nbytes=g["nbytes"], summary=summaries,
        evidence=evs,
    )  # fmt: skip


def find_port_sweep(
    df: Records,
    *,
    windows_minutes: Sequence[int] = SCAN_WINDOWS,
    min_hosts: int = 5,
    broad_hosts: int = 25,
) -> pd.DataFrame:
    """Find horizontal port sweeps, fast or slow: one actor probing a port on many hosts.

    Rule: for each (client, port, protocol), the distinct hosts the client first contacted on
    that port are counted in sliding windows of ``windows_minutes``; the port is *swept* when a
    window holds ``min_hosts`` (5) of them and the threshold random walk over the client's
    first contacts on that port ends at the scanner threshold (see the module docstring: a
    peer-to-peer client, half of whose peers answer, is not a sweeper).  The swept ports of one
    actor make one finding (grouped per actor, not per port: host discovery sends ICMP and TCP
    80/443 to every address).  Why 5: a sweep of a small VPC's public interfaces touches a
    handful of hosts, while a legitimate client fails against five different hosts on the same
    port rarely, and then gets answers elsewhere, which the walk counts.  Severity from speed
    and breadth: *strong* when ``min_hosts`` were contacted within the shortest window or a
    port failed on ``broad_hosts`` (25) hosts in all; external actor ``medium`` when strong,
    else ``low``; internal actor one level higher (GuardDuty rates an instance sweeping
    High).  ``target`` is ``many``, the hosts are in ``evidence["targets"]``; ``dstport`` is
    the port when one was swept.

    Parameters
    ----------
    df : DataFrame or View
        Flow records.
    windows_minutes : sequence of int
        Sliding counting windows, in minutes.
    min_hosts : int
        Distinct hosts first contacted on one port within one window that make a sweep.
    broad_hosts : int
        Distinct failed hosts on one port in all that make a sweep broad.

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
    >>> out[["severity", "actor", "target", "dstport"]].to_dict("records")
    [{'severity': 'medium', 'actor': '198.18.0.7', 'target': 'many', 'dstport': 3389}]
    >>> out.loc[0, "evidence"]["distinct_hosts"]
    7
    """
    view = as_view(df)
    fc = _first_contacts(view)
    failed = fc[fc["failed"].to_numpy()]
    keys = ["cli", "sport", "proto"]
    peaks = _peaks(fc, keys, windows_minutes, min_hosts)
    windows = sorted({max(1, int(w)) for w in windows_minutes})
    short, long_ = windows[0], windows[-1]
    if peaks.empty:
        return empty_findings()
    walk = trw_walk(fc.merge(peaks[keys], on=keys), keys)
    swept = peaks.merge(walk[walk["llr"] >= trw_threshold()], on=keys)
    if swept.empty:
        return empty_findings()
    sel = failed.merge(swept[keys], on=keys)
    hosts = sel.groupby(keys)["srv"].nunique().rename("hosts").reset_index()
    swept = swept.merge(hosts, on=keys)
    swept["strong"] = (swept[f"peak_{short}"] >= min_hosts) | (swept["hosts"] >= broad_hosts)
    sel = sel.assign(pk=sel["rq_p"] + sel["rs_p"], by=sel["rq_b"] + sel["rs_b"])
    g = sel.groupby("cli", sort=True).agg(
        first=("t", "min"), last=("t_end", "max"), flows=("t", "size"), hosts=("srv", "nunique"),
        packets=("pk", "sum"), nbytes=("by", "sum"), rejected=("rejected", "sum"),
    ).reset_index()  # fmt: skip
    per_actor = swept.groupby("cli", sort=True).agg(
        strong=("strong", "any"), nports=("sport", "size"), port=("sport", "min"),
        peak_short=(f"peak_{short}", "max"), peak_long=(f"peak_{long_}", "max"),
    ).reset_index()  # fmt: skip
    g = g.merge(per_actor, on="cli")
    targets = sel.groupby("cli")["srv"].agg(lambda s: sorted(set(s)))
    ports = swept.sort_values(["cli", "hosts", "sport"], ascending=[True, False, True])
    actors = view.addresses[g["cli"]]
    sev = _levels(view.internal[g["cli"].to_numpy()], g["strong"].to_numpy())
    summaries, evs = [], []
    for row, a in zip(rows(g), actors, strict=True):
        names = sorted(str(view.addresses[h]) for h in targets[row.cli])
        mine = ports[ports["cli"] == row.cli]
        listed = [f"{p}/{_proto(q)}" for p, q in zip(mine["sport"], mine["proto"], strict=True)]
        summaries.append(
            f"{a} probed {row.hosts} hosts on {', '.join(listed[:8])} from "
            f"{epoch_text(row.first)} to "
            f"{epoch_text(row.last)} (up to {row.peak_short} hosts on one port within {short} "
            f"minutes, {row.peak_long} within {long_}); {row.rejected} rejected."
        )
        evs.append(evidence(distinct_hosts=row.hosts, ports=listed, min_hosts=min_hosts,
                            peak_hosts={str(short): row.peak_short, str(long_): row.peak_long},
                            rejected=row.rejected, strong=bool(row.strong),
                            targets=names[:100]))  # fmt: skip
    return finding_rows(
        "port_sweep", severity=sev, actor=actors, target=["many"] * len(g),
        dstport=np.where(g["nports"] == 1, g["port"], np.nan), first_seen=g["first"],
        last_seen=g["last"], flows=g["flows"], packets=g["packets"], nbytes=g["nbytes"],
        summary=summaries, evidence=evs,
    )  # fmt: skip


def _proto(number: int) -> str:
    return {1: "icmp", 6: "tcp", 17: "udp"}.get(int(number), str(int(number)))
