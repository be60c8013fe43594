"""Rejected bursts (a sudden rise of REJECTs against one internal host) and repeated probes
(one source trying one closed service again and again)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowkit.detect.common import Records, as_view, epoch_text, finding_rows, rows
from flowkit.detect.contacts import contacts, group_codes, sliding_peak
from flowkit.detect.frame import empty_findings, evidence

__all__ = ["find_rejected_burst", "find_repeated_probe"]


def find_rejected_burst(
    df: Records,
    *,
    bin_minutes: int = 5,
    min_rejects: int = 100,
    min_ratio: float = 10.0,
    actor_share: float = 0.5,
) -> pd.DataFrame:
    """Find bursts of rejected connections against one internal host.

    Model: rejected requests to each internal server per ``bin_minutes`` bin (5 minutes); the
    host's baseline is its median per bin over the whole period, empty bins included and bins
    of ``min_rejects`` or more left out (for most hosts, zero or a handful: the internet's
    background noise).  A burst bin has at least
    ``min_rejects`` (100) rejects and ``min_ratio`` (10) times the baseline; consecutive burst
    bins make one finding.  ``actor`` is the source of at least ``actor_share`` of the rejects,
    else ``many``.  Why: a scan, a sweep against a subnet or a misconfigured client retrying
    shows as a step in rejects that is invisible per record; 100 in 5 minutes is beyond any
    retrying client.  Severity ``medium`` when one actor did it, ``low`` for many sources.

    Parameters
    ----------
    df : DataFrame or View
        Flow records.
    bin_minutes : int
        Bin length.
    min_rejects : int
        Rejects in a bin that can make a burst.
    min_ratio : float
        How many times the host's baseline a burst bin must be.
    actor_share : float
        Share of the rejects one source needs to be named the actor.

    Returns
    -------
    DataFrame
        Findings, ``finding == "rejected_burst"``.

    Examples
    --------
    >>> import flowkit as fk
    >>> lines = [f"2 1 eni-a 198.18.0.7 10.0.1.5 40000 {p} 6 1 44 1700000000 1700000030 REJECT OK"
    ...          for p in range(1, 151)]
    >>> find_rejected_burst(fk.parse_lines(lines))[["actor", "target", "flows"]].to_dict("records")
    [{'actor': '198.18.0.7', 'target': '10.0.1.5', 'flows': 150}]
    """
    view = as_view(df)
    r = view.rec
    rej = r[~r["accept"].to_numpy() & r["req"].to_numpy() & view.internal[r["srv"].to_numpy()]]
    if rej.empty:
        return empty_findings()
    w = max(1, int(bin_minutes)) * 60
    nbins = max(1, (view.t_max - view.t_min) // w + 1)
    rej = rej.assign(b=(rej["t"] - view.t_min) // w)
    cells = rej.groupby(["srv", "b"], sort=True).agg(
        n=("t", "size"), first=("t", "min"), last=("t_end", "max"), packets=("pkts", "sum"),
        nbytes=("bytes", "sum"),
    ).reset_index()  # fmt: skip

    def median_with_zeros(s: pd.Series) -> float:
        normal = s.to_numpy(dtype=float)
        normal = normal[normal < min_rejects]
        hot_bins = len(s) - len(normal)
        zeros = np.zeros(max(0, nbins - hot_bins - len(normal)))
        values = np.concatenate([zeros, normal])
        return float(np.median(values)) if len(values) else 0.0

    base = cells.groupby("srv")["n"].agg(median_with_zeros).rename("baseline")
    cells = cells.merge(base, left_on="srv", right_index=True)
    hot = cells[
        (cells["n"] >= min_rejects) & (cells["n"] >= min_ratio * np.maximum(cells["baseline"], 1))
    ]
    if hot.empty:
        return empty_findings()
    hot = hot.sort_values(["srv", "b"])
    run = ((hot["srv"] != hot["srv"].shift()) | (hot["b"] != hot["b"].shift() + 1)).cumsum()
    hot = hot.assign(run=run.to_numpy())
    g = hot.groupby("run", sort=True).agg(
        srv=("srv", "first"), b0=("b", "min"), b1=("b", "max"), first=("first", "min"),
        last=("last", "max"), flows=("n", "sum"), packets=("packets", "sum"),
        nbytes=("nbytes", "sum"), peak=("n", "max"), baseline=("baseline", "first"),
    ).reset_index(drop=True)  # fmt: skip
    actors, sev, summaries, evs, ports = [], [], [], [], []
    for i, row in enumerate(rows(g)):
        part = rej[(rej["srv"] == row.srv) & rej["b"].between(row.b0, row.b1)]
        top = part["cli"].value_counts()
        share = float(top.iloc[0]) / len(part)
        who = str(view.addresses[top.index[0]]) if share >= actor_share else "many"
        if who != "many":
            own = part[part["cli"] == top.index[0]]
            g.loc[i, ["first", "last", "flows", "packets", "nbytes"]] = [
                own["t"].min(), own["t_end"].max(), len(own), own["pkts"].sum(),
                own["bytes"].sum()]  # fmt: skip
        actors.append(who)
        sev.append("medium" if who != "many" else "low")
        one_port = (part["sport"] == part["sport"].iloc[0]).all()
        ports.append(float(part["sport"].iloc[0]) if one_port else np.nan)
        t = view.addresses[row.srv]
        summaries.append(
            f"{t} saw {g.loc[i, 'flows']} rejected connections from "
            f"{epoch_text(g.loc[i, 'first'])} (up to {row.peak} in {bin_minutes} minutes against a "
            f"usual {row.baseline:g}); "
            + (f"{share:.0%} came from {who}." if who != "many" else
               f"{part['cli'].nunique()} sources.")
        )  # fmt: skip
        evs.append(evidence(rejects=int(g.loc[i, "flows"]), peak_rejects_per_bin=row.peak,
                            baseline_per_bin=float(row.baseline), bin_minutes=bin_minutes,
                            sources=int(part["cli"].nunique()), top_share=share))  # fmt: skip
    return finding_rows(
        "rejected_burst", severity=sev, actor=actors, target=view.addresses[g["srv"]],
        dstport=ports, first_seen=g["first"], last_seen=g["last"], flows=g["flows"],
        packets=g["packets"], nbytes=g["nbytes"], summary=summaries, evidence=evs,
    )  # fmt: skip


def find_repeated_probe(
    df: Records,
    *,
    window_hours: float = 24.0,
    min_probes: int = 10,
    medium_probes: int = 100,
    min_failed_share: float = 0.9,
) -> pd.DataFrame:
    """Find repeated probes: one source trying one closed service again and again.

    Rule: for each (client, server, port, protocol; not ICMP, which has no service and whose
    error reports about a host's own traffic look like unanswered messages to it), the
    connections the client sent that
    failed (:mod:`flowkit.detect.contacts`: rejected, unanswered or refused) are counted in a
    sliding ``window_hours`` (24 h) window; a finding when a window holds ``min_probes`` (10)
    and at least ``min_failed_share`` (90 %) of all the client's connections to that service
    failed (the service is closed to this client: a server that answers most tries is in use,
    a retry after a failure is normal).  Why 10 a day: the internet's background probes a
    service of a host once or twice per source; a bot that comes back to the same closed telnet
    or SSH port ten times is working through a list.  Severity ``low``, ``medium`` by volume:
    ``medium_probes`` (100) failed within the window, when the actor is outside (hammering one
    of your services) or the target inside (a host of yours hammering a blocked internal
    service); an internal host retrying a dead outside service stays ``low`` (a client whose
    server is gone; command-and-control to a dead server is found by
    :func:`~flowkit.detect.beacon.find_beaconing` and
    :func:`~flowkit.detect.fastc2.find_fast_c2`).

    Parameters
    ----------
    df : DataFrame or View
        Flow records.
    window_hours : float
        Sliding counting window.
    min_probes : int
        Failed connections within one window that make a finding.
    medium_probes : int
        Failed connections within one window that make it ``medium``.
    min_failed_share : float
        Share of the client's connections to the service that must have failed.

    Returns
    -------
    DataFrame
        Findings, ``finding == "repeated_probe"``.

    Examples
    --------
    >>> import flowkit as fk
    >>> lines = [f"2 1 eni-a 45.140.140.75 10.0.1.5 {40000 + i} 23 6 2 88 {1700000000 + 60 * i} "
    ...          f"{1700000003 + 60 * i} REJECT OK" for i in range(12)]
    >>> find_repeated_probe(fk.parse_lines(lines))[["severity", "actor", "dstport", "flows"]
    ...     ].to_dict("records")
    [{'severity': 'low', 'actor': '45.140.140.75', 'dstport': 23, 'flows': 12}]
    """
    view = as_view(df)
    c = contacts(view)
    c = c[c["sent"].to_numpy() & ~np.isin(c["proto"].to_numpy(), _NO_SERVICE)]
    keys = ["cli", "srv", "sport", "proto"]
    # Tries of a connection: scanners that keep one source port make one long "connection" of
    # hundreds of SYNs, so a connection counts once per capture window it knocked in, or once
    # per three request packets (a SYN and two retransmissions) if that is more.
    n = np.maximum(c["records"].to_numpy(), c["rq_p"].to_numpy() // 3)
    fail = c["failed"].to_numpy()
    c = c.assign(tries=np.where(fail, n, 0), all_tries=n)
    code = group_codes(c, keys)
    _, inverse = np.unique(code, return_inverse=True)
    enough = np.bincount(inverse, weights=c["tries"].to_numpy())[inverse] >= min_probes
    c = c[enough]  # services tried fewer times in all cannot reach the threshold
    totals = c.groupby(keys, sort=False)[["tries", "all_tries"]].sum()
    share = (totals["tries"] / totals["all_tries"]).rename("share").reset_index()
    failed = c[c["failed"].to_numpy()]
    expanded = failed.loc[failed.index.repeat(failed["tries"].to_numpy())]
    peaks = sliding_peak(expanded, keys, max(1, int(window_hours * 3600)))
    hits = peaks[peaks["peak"] >= min_probes].merge(share, on=keys)
    hits = hits[hits["share"] >= min_failed_share]
    if hits.empty:
        return empty_findings()
    sel = failed.merge(hits[keys], on=keys)
    sel = sel.assign(pk=sel["rq_p"] + sel["rs_p"], by=sel["rq_b"] + sel["rs_b"])
    g = sel.groupby(keys, sort=True).agg(
        first=("t", "min"), last=("t_end", "max"), flows=("tries", "sum"), packets=("pk", "sum"),
        nbytes=("by", "sum"), rejected=("rejected", "sum"),
    ).reset_index().merge(hits, on=keys)  # fmt: skip
    inside_actor = view.internal[g["cli"].to_numpy()]
    inside_target = view.internal[g["srv"].to_numpy()]
    loud = (g["peak"] >= medium_probes).to_numpy() & (~inside_actor | inside_target)
    sev = np.where(loud, "medium", "low")
    actors, targets = view.addresses[g["cli"]], view.addresses[g["srv"]]
    summaries, evs = [], []
    for row, a, t in zip(rows(g), actors, targets, strict=True):
        summaries.append(
            f"{a} tried {t}:{row.sport} ({_PROTO.get(row.proto, row.proto)}) {row.flows} times "
            f"from {epoch_text(row.first)} to {epoch_text(row.last)} (up to {row.peak} within "
            f"{window_hours:g} hours), {row.share:.0%} of its tries failed; {row.rejected} "
            "rejected."
        )
        evs.append(evidence(failed=row.flows, peak_in_window=row.peak, window_hours=window_hours,
                            failed_share=float(row.share), rejected=row.rejected,
                            min_probes=min_probes, medium_probes=medium_probes))  # fmt: skip
    return finding_rows(
        "repeated_probe", severity=sev, actor=actors, target=targets, dstport=g["sport"],
        first_seen=g["first"], last_seen=g["last"], flows=g["flows"], packets=g["packets"],
        nbytes=g["nbytes"], summary=summaries, evidence=evs,
    )  # fmt: skip


_PROTO = {1: "ICMP", 6: "TCP", 17: "UDP"}
#: ICMP and ICMPv6 have no service to knock on: repeated messages are pings or error reports
#: (unreachable, time exceeded) about the host's own traffic.
_NO_SERVICE = (1, 58)
