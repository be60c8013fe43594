"""Fast command and control: a burst of regular, fast, small connections to a rare address.

Remote-access trojans poll their controller every second or few seconds while an operator is
at work (or retry a dead controller every 20 s), for minutes to an hour or two, opening a new
connection each time.  Beaconing analysis (:mod:`flowkit.detect.beacon`) looks for clocks over
hours; this looks for the sprint: a run of new connections from one internal host to one
outside address with no gap longer than ``max_gap_seconds``, many of them, lasting minutes,
evenly spaced, each small, to an address few of your hosts contact.  Browsers open dozens of
connections to one site in a few seconds and stop; update agents download in a few large
connections; a fleet agent is contacted by many of your hosts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowkit.detect.allow import AllowList
from flowkit.detect.beacon import outward, steps
from flowkit.detect.common import Records, as_view, epoch_text, finding_rows, human_bytes, rows
from flowkit.detect.frame import empty_findings, evidence

__all__ = ["find_fast_c2"]


def find_fast_c2(
    df: Records,
    *,
    max_gap_seconds: int = 60,
    min_connections: int = 20,
    min_minutes: float = 5.0,
    max_jitter: float = 0.5,
    min_regularity: float = 0.6,
    max_bytes_per_connection: int = 100_000,
    fleet_hosts: int = 3,
    include_aws_services: bool = False,
    allow: AllowList | None = None,
) -> pd.DataFrame:
    """Find fast C2: bursts of regular, fast, small connections to a rare outside address.

    Rule: the *new* connections (a new client port: keepalives of one connection do not count)
    of each (internal client, outside server), split into bursts wherever two starts are more
    than ``max_gap_seconds`` (60 s) apart.  A burst is a finding when it has ``min_connections``
    (20) connections over at least ``min_minutes`` (5 minutes), its median interval is at least
    1 s (several connections a second, a resolver's queries or a page load, have no rhythm the
    whole-second timestamps could show), ``min_regularity`` (60 %) of its intervals are within
    ``max_jitter`` (50 %, and at least 1 s, the timestamps' rounding) of the median interval,
    the median connection carries at most ``max_bytes_per_connection``
    (100 kB) both ways, and fewer than ``fleet_hosts`` (3) of your hosts ever contact the
    address.  Regularity is pooled over all the channel's bursts of that size, so that a busy
    irregular channel is not reported for the one burst of hundreds that looks regular by
    chance.  Why these: a page load opens its connections within seconds (shorter than 5
    minutes); Poisson-timed connections put about 35 % of their intervals within 50 % of the
    median, so 60 % of 20 or more happens by chance less than once in 200 bursts; three hosts
    calling one address fast are a deployment, not an implant.  AWS service addresses are
    skipped unless ``include_aws_services``; allow-listed addresses are skipped.  Severity
    ``medium``, ``high`` when the burst lasts an hour or more (an operator session, or a
    controller retried for an hour).  One finding per (client, server): its busiest burst.

    Parameters
    ----------
    df : DataFrame or View
        Flow records.
    max_gap_seconds : int
        Longest pause inside a burst.
    min_connections : int
        Fewest new connections of a burst.
    min_minutes : float
        Shortest burst.
    max_jitter : float
        Relative tolerance around the median interval.
    min_regularity : float
        Share of intervals that must be within the tolerance.
    max_bytes_per_connection : int
        Largest median connection (both ways).
    fleet_hosts : int
        Internal hosts contacting the address that make it common, not rare.
    include_aws_services : bool
        Also consider AWS service addresses.
    allow : AllowList, optional
        Addresses, networks, AWS services or labels never reported.

    Returns
    -------
    DataFrame
        Findings, ``finding == "fast_c2"``.

    Examples
    --------
    >>> import flowkit as fk
    >>> t0 = 1700000000
    >>> lines = [f"2 1 eni-a 10.0.1.5 41.108.179.197 {50000 + i} 1177 6 3 152 {t0 + 23 * i} "
    ...          f"{t0 + 23 * i + 9} ACCEPT OK" for i in range(40)]
    >>> find_fast_c2(fk.parse_lines(lines))[["severity", "actor", "target", "dstport", "flows"]
    ...     ].values.tolist()
    [['medium', '10.0.1.5', '41.108.179.197', 1177, 40]]
    """
    view = as_view(df)
    c = outward(view, include_aws_services, allow)
    if c.empty:
        return empty_findings()
    hosts = c.groupby("srv")["cli"].nunique()
    c = c[(hosts.reindex(c["srv"]).to_numpy() < fleet_hosts)]
    c = c[~steps(c)[1]]
    if c.empty:
        return empty_findings()
    gap = steps(c)[0]
    c = c.assign(burst=np.cumsum(gap > max_gap_seconds), gap=np.where(np.isfinite(gap) &
                 (gap <= max_gap_seconds), gap, np.nan), size=c["rq_b"] + c["rs_b"],
                 pk=c["rq_p"] + c["rs_p"])  # fmt: skip
    burst = c["burst"].to_numpy()
    c = c[np.bincount(burst)[burst] >= min_connections]  # the costly aggregation on bursts only
    if c.empty:
        return empty_findings()
    b = c.groupby("burst", sort=True).agg(
        cli=("cli", "first"), srv=("srv", "first"), first=("t", "min"), last=("t_end", "max"),
        flows=("t", "size"), med=("gap", "median"), med_size=("size", "median"),
        nbytes=("size", "sum"), packets=("pk", "sum"), port=("sport", lambda x: x.mode().iloc[0]),
        ports=("sport", "nunique"),
    )  # fmt: skip
    b = b[(b["flows"] >= min_connections) & ((b["last"] - b["first"]) >= min_minutes * 60)
          & (b["med_size"] <= max_bytes_per_connection) & (b["med"] >= 1)]  # fmt: skip
    if b.empty:
        return empty_findings()
    x = c[c["burst"].isin(b.index) & c["gap"].notna()]
    med = x["burst"].map(b["med"])
    tol = np.maximum(max_jitter * med, 1.0)
    regular = ((x["gap"] - med).abs() <= tol).groupby(x["burst"]).agg(["sum", "size"])
    b = b.join(regular)
    b["regularity"] = b["sum"] / b["size"]
    # Pooled over all of a channel's bursts: a busy irregular channel (a resolver asked every
    # few seconds all day) has hundreds of bursts, one of which is regular by chance.
    pooled = b.groupby(["cli", "srv"])[["sum", "size"]].transform("sum")
    b = b[(pooled["sum"] / pooled["size"]) >= min_regularity]
    if b.empty:
        return empty_findings()
    b = b.sort_values(["cli", "srv", "flows", "first"], ascending=[True, True, False, True])
    b = b.drop_duplicates(["cli", "srv"]).sort_values(["cli", "srv"]).reset_index(drop=True)
    minutes = (b["last"] - b["first"]) / 60.0
    sev = np.where(minutes >= 60, "high", "medium")
    actors, targets = view.addresses[b["cli"]], view.addresses[b["srv"]]
    summaries, evs = [], []
    for row, a, t_, m in zip(rows(b), actors, targets, minutes, strict=True):
        summaries.append(
            f"{a} opened {row.flows} connections to {t_}:{row.port} in {m:.0f} minutes from "
            f"{epoch_text(row.first)}, one about every {row.med:.0f} s "
            f"({row.regularity:.0%} evenly "
            f"spaced), {human_bytes(row.med_size)} each; few of your hosts contact it."
        )
        evs.append(evidence(connections=row.flows, minutes=float(m), median_interval_s=row.med,
                            regularity=float(row.regularity), median_bytes=float(row.med_size),
                            ports=int(row.ports), min_connections=min_connections))  # fmt: skip
    return finding_rows(
        "fast_c2", severity=sev, actor=actors, target=targets, dstport=b["port"],
        first_seen=b["first"], last_seen=b["last"], flows=b["flows"], packets=b["packets"],
        nbytes=b["nbytes"], summary=summaries, evidence=evs,
    )  # fmt: skip
