"""Rejected bursts: a sudden rise of REJECTs against one internal host."""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowkit.detect.common import Records, as_view, finding_rows, rows, utc
from flowkit.detect.frame import empty_findings, evidence

__all__ = ["find_rejected_burst"]


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
            f"{utc(g.loc[i, 'first'])} (up to {row.peak} in {bin_minutes} minutes against a "
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
