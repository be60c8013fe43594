"""Volume: outbound floods (DoS); exfiltration lives in :mod:`flowkit.detect.exfil`.

A flood is bytes and packets *leaving* an internal host for an outside address, whoever opened
the connection: the client's requests or the server's responses.  Counters come from the
de-duplicated view, so a connection logged on the instance and on the NAT gateway counts once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowkit.detect.common import Records, as_view, epoch_text, finding_rows, rows
from flowkit.detect.exfil import find_exfiltration
from flowkit.detect.frame import empty_findings, evidence
from flowkit.detect.view import View

__all__ = ["find_dos", "find_exfiltration"]


def _outbound(view: View, include_aws_services: bool) -> pd.DataFrame:
    r = view.rec
    req = r["req"].to_numpy()
    src = np.where(req, r["cli"].to_numpy(), r["srv"].to_numpy())
    dst = np.where(req, r["srv"].to_numpy(), r["cli"].to_numpy())
    keep = view.internal[src] & ~view.internal[dst]
    if not include_aws_services:
        keep &= ~view.aws[dst]
    port = np.where(req, r["sport"].to_numpy(), r["cport"].to_numpy())
    return pd.DataFrame(
        {"src": src, "dst": dst, "port": port, "proto": r["proto"].to_numpy(),
         "t": r["t"].to_numpy(), "t_end": r["t_end"].to_numpy(), "pkts": r["pkts"].to_numpy(),
         "bytes": r["bytes"].to_numpy()}
    )[keep]  # fmt: skip


def find_dos(
    df: Records,
    *,
    min_packets_per_minute: int = 300_000,
    min_bytes_per_minute: int = 3_000_000_000,
    min_minutes: int = 2,
    include_aws_services: bool = False,
) -> pd.DataFrame:
    """Find outbound floods: an internal host sending a flood to one outside address.

    Model: packets and bytes per minute from one internal host to one outside address and
    protocol; a *flood minute* reaches ``min_packets_per_minute`` (300,000: 5,000 packets a
    second) or ``min_bytes_per_minute`` (3 GB: 400 Mbit/s); a finding when there are at least
    ``min_minutes`` (2) flood minutes.  Why: GuardDuty's DenialOfService findings look for
    "large volume of outbound" traffic to one target; an ordinary upload, even a large one,
    uses big packets and stays far below 5,000 packets a second to one address, and a single
    busy minute is a burst, two are a flood.  Severity ``high``.

    Parameters
    ----------
    df : DataFrame or View
        Flow records.
    min_packets_per_minute, min_bytes_per_minute : int
        Either makes a flood minute.
    min_minutes : int
        Flood minutes needed for a finding.
    include_aws_services : bool
        Also consider AWS service addresses as targets.

    Returns
    -------
    DataFrame
        Findings, ``finding == "dos"``.

    Examples
    --------
    >>> import flowkit as fk
    >>> t0 = 1700000000
    >>> lines = [f"2 1 eni-a 10.0.1.5 93.184.216.34 40000 53 17 400000 24000000 {t0 + 60 * i} "
    ...          f"{t0 + 60 * i + 59} ACCEPT OK" for i in range(3)]
    >>> out = find_dos(fk.parse_lines(lines))
    >>> out[["actor", "target", "dstport", "packets"]].values.tolist()
    [['10.0.1.5', '93.184.216.34', 53, 1200000]]
    """
    view = as_view(df)
    out = _outbound(view, include_aws_services)
    if out.empty:
        return empty_findings()
    out = out.assign(minute=out["t"] // 60)
    cells = out.groupby(["src", "dst", "proto", "minute"], sort=False).agg(
        packets=("pkts", "sum"), nbytes=("bytes", "sum"), flows=("t", "size"),
        first=("t", "min"), last=("t_end", "max"), port=("port", "max"),
    ).reset_index()  # fmt: skip
    hot = cells[
        (cells["packets"] >= min_packets_per_minute) | (cells["nbytes"] >= min_bytes_per_minute)
    ]
    g = hot.groupby(["src", "dst", "proto"], sort=True).agg(
        first=("first", "min"), last=("last", "max"), flows=("flows", "sum"),
        packets=("packets", "sum"), nbytes=("nbytes", "sum"), minutes=("minute", "nunique"),
        peak_pkts=("packets", "max"), port=("port", "max"), ports=("port", "nunique"),
    ).reset_index()  # fmt: skip
    g = g[g["minutes"] >= min_minutes].reset_index(drop=True)
    if g.empty:
        return empty_findings()
    actors, targets = view.addresses[g["src"]], view.addresses[g["dst"]]
    summaries, evs = [], []
    for row, a, t in zip(rows(g), actors, targets, strict=True):
        summaries.append(
            f"{a} flooded {t} (protocol {row.proto}) for {row.minutes} minutes from "
            f"{epoch_text(row.first)}: up to {row.peak_pkts / 60:,.0f} packets a second."
        )
        evs.append(evidence(
            flood_minutes=row.minutes, peak_packets_per_minute=row.peak_pkts,
            protocol=row.proto, min_packets_per_minute=min_packets_per_minute,
            min_bytes_per_minute=min_bytes_per_minute,
        ))  # fmt: skip
    return finding_rows(
        "dos", severity=["high"] * len(g), actor=actors, target=targets,
        dstport=np.where(g["ports"] == 1, g["port"], np.nan), first_seen=g["first"],
        last_seen=g["last"], flows=g["flows"], packets=g["packets"], nbytes=g["nbytes"],
        summary=summaries, evidence=evs,
    )  # fmt: skip
