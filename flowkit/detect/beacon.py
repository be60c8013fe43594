"""Beaconing: an internal host calling one outside address on a clock.

Implants check in with their command server every N seconds, with a random jitter so that the
rhythm is not exact, each time exchanging little data, day and night.  People and ordinary
applications make connections at irregular (roughly Poisson) times, whose intervals spread
widely around their median; a beacon's intervals cluster around it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowkit.detect.common import Records, as_view, finding_rows, human_bytes, rows, utc
from flowkit.detect.frame import empty_findings, evidence

__all__ = ["find_beaconing"]


def find_beaconing(
    df: Records,
    *,
    min_connections: int = 12,
    min_hours: float = 2.0,
    min_interval_seconds: int = 30,
    max_interval_seconds: int = 7200,
    max_jitter: float = 0.25,
    min_regularity: float = 0.7,
    max_bytes_per_connection: int = 100_000,
    include_aws_services: bool = False,
) -> pd.DataFrame:
    """Find beaconing: periodic, small connections from an internal host to one outside address.

    Model: for each (internal client, outside server, port, protocol), the start times of its
    connections, sorted; their intervals; the median interval; and the *regularity*, the share
    of intervals within ``max_jitter`` (25 %) of the median (at least 60 s either side, the
    flow-log capture window blurs start times by up to a minute).  A finding when there are
    ``min_connections`` (12) connections over at least ``min_hours`` (2 h), the median interval
    is between ``min_interval_seconds`` and ``max_interval_seconds`` (30 s to 2 h), regularity
    reaches ``min_regularity`` (0.7) and the median connection carries at most
    ``max_bytes_per_connection`` (100 kB).  Why these: a Poisson caller puts only about 17 % of
    its intervals within 25 % of the median, a beacon with 15 % jitter all of them; 12
    connections over 2 hours is the least that tells a rhythm from chance.  AWS service
    addresses (S3, DynamoDB, ...; not EC2) are skipped unless ``include_aws_services``: SDKs
    poll them on timers.  Severity ``high`` when regularity is at least 0.9 over at least 48
    connections, else ``medium``.

    Parameters
    ----------
    df : DataFrame or View
        Flow records.
    min_connections : int
        Fewest connections of a beacon.
    min_hours : float
        Shortest time from first to last connection.
    min_interval_seconds, max_interval_seconds : int
        Range of the median interval.
    max_jitter : float
        Relative tolerance around the median interval.
    min_regularity : float
        Share of intervals that must be within the tolerance.
    max_bytes_per_connection : int
        Largest median connection size (both ways).
    include_aws_services : bool
        Also consider AWS service addresses.

    Returns
    -------
    DataFrame
        Findings, ``finding == "beaconing"``; ``evidence`` holds the median interval, the
        regularity and the intervals' quartiles.

    Examples
    --------
    >>> import flowkit as fk
    >>> t0 = 1700000000
    >>> lines = [f"2 1 eni-a 10.0.1.5 80.66.88.207 {40000 + i} 443 6 4 900 {t0 + 300 * i} "
    ...          f"{t0 + 300 * i + 2} ACCEPT OK" for i in range(30)]
    >>> out = find_beaconing(fk.parse_lines(lines))
    >>> out[["actor", "target", "dstport", "flows"]].to_dict("records")
    [{'actor': '10.0.1.5', 'target': '80.66.88.207', 'dstport': 443, 'flows': 30}]
    >>> out.loc[0, "evidence"]["median_interval_s"]
    300.0
    """
    view = as_view(df)
    conn = view.conn()
    cli, srv = conn["cli"].to_numpy(), conn["srv"].to_numpy()
    keep = view.internal[cli] & ~view.internal[srv]
    if not include_aws_services:
        keep &= ~view.aws[srv]
    c = conn[keep]
    keys = ["cli", "srv", "sport", "proto"]
    size = c.groupby(keys, sort=False).size()
    c = c.merge(size[size >= min_connections].rename("n").reset_index(), on=keys)
    if c.empty:
        return empty_findings()
    c = c.sort_values([*keys, "t"], kind="mergesort")
    same = (c[keys].shift() == c[keys]).all(axis=1).to_numpy()
    gap = np.where(same, np.diff(c["t"].to_numpy(), prepend=0), np.nan)
    c = c.assign(gap=gap, size=c["rq_b"] + c["rs_b"], pk=c["rq_p"] + c["rs_p"])
    g = c.groupby(keys, sort=True).agg(
        first=("t", "min"), last=("t_end", "max"), flows=("t", "size"), med=("gap", "median"),
        q1=("gap", lambda s: s.quantile(0.25)), q3=("gap", lambda s: s.quantile(0.75)),
        med_size=("size", "median"), nbytes=("size", "sum"), packets=("pk", "sum"),
    ).reset_index()  # fmt: skip
    c = c.merge(g[[*keys, "med"]], on=keys)
    tol = np.maximum(max_jitter * c["med"], 60.0)
    c["regular"] = (c["gap"] - c["med"]).abs() <= tol
    reg = c[c["gap"].notna()].groupby(keys)["regular"].mean().rename("regularity")
    g = g.merge(reg, left_on=keys, right_index=True)
    span_h = (g["last"] - g["first"]) / 3600.0
    ok = (
        (span_h >= min_hours)
        & g["med"].between(min_interval_seconds, max_interval_seconds)
        & (g["regularity"] >= min_regularity)
        & (g["med_size"] <= max_bytes_per_connection)
    )
    g = g[ok.to_numpy()].reset_index(drop=True)
    if g.empty:
        return empty_findings()
    sev = np.where((g["regularity"] >= 0.9) & (g["flows"] >= 48), "high", "medium")
    actors, targets = view.addresses[g["cli"]], view.addresses[g["srv"]]
    summaries, evs = [], []
    for row, a, t in zip(rows(g), actors, targets, strict=True):
        summaries.append(
            f"{a} connected to {t}:{row.sport} {row.flows} times from {utc(row.first)} to "
            f"{utc(row.last)}, about every {row.med:.0f} s ({row.regularity:.0%} of intervals "
            f"regular), {human_bytes(row.med_size)} each."
        )
        evs.append(evidence(
            connections=row.flows, median_interval_s=float(row.med),
            interval_q1_s=float(row.q1), interval_q3_s=float(row.q3),
            regularity=float(row.regularity), hours=float((row.last - row.first) / 3600),
            median_bytes=float(row.med_size), min_regularity=min_regularity,
        ))  # fmt: skip
    return finding_rows(
        "beaconing", severity=sev, actor=actors, target=targets, dstport=g["sport"],
        first_seen=g["first"], last_seen=g["last"], flows=g["flows"], packets=g["packets"],
        nbytes=g["nbytes"], summary=summaries, evidence=evs,
    )  # fmt: skip
