"""Volume: exfiltration (far above the host's own baseline) and outbound floods (DoS).

Both look at bytes *leaving* an internal host for an outside address, whoever opened the
connection: the client's requests or the server's responses.  Counters come from the
de-duplicated view, so a connection logged on the instance and on the NAT gateway counts once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowkit.detect.common import Records, as_view, finding_rows, human_bytes, rows, utc
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


def _times(value: float, base: float) -> str:
    ratio = value / max(base, 1.0)
    return "over 1,000 times" if ratio > 1000 else f"{ratio:.0f} times"


def find_exfiltration(
    df: Records,
    *,
    min_bytes_per_hour: int = 100_000_000,
    min_ratio: float = 20.0,
    baseline_quantile: float = 0.95,
    include_aws_services: bool = False,
) -> pd.DataFrame:
    """Find exfiltration: an hour of outbound bytes to one outside address far above normal.

    Model: bytes sent by each internal host to each outside address, per clock hour (a
    *cell*).  The host's baseline is the ``baseline_quantile`` (95th percentile) of its cells
    that stay under ``min_bytes_per_hour``: what it normally sends anywhere in an hour.  A
    finding for each (host, address) with cells of at least ``min_bytes_per_hour`` (100 MB)
    and ``min_ratio`` (20) times the baseline.  Why: ordinary outbound traffic of application
    servers is API calls of kilobytes; 100 MB in an hour to one address is a bulk transfer,
    and 20 times the host's own 95th percentile means it is not the host's habit (a backup
    server that uploads every night has a high baseline and is left alone).  AWS service
    addresses are skipped unless ``include_aws_services``.  Severity ``high`` (GuardDuty rates
    TrafficVolumeUnusual Medium, but a bulk upload to a new address is where a breach ends).

    Parameters
    ----------
    df : DataFrame or View
        Flow records.
    min_bytes_per_hour : int
        Smallest hourly volume to one address that can be a finding.
    min_ratio : float
        How many times the host's baseline the volume must be.
    baseline_quantile : float
        Quantile of the host's ordinary hourly cells used as its baseline.
    include_aws_services : bool
        Also consider AWS service addresses as destinations.

    Returns
    -------
    DataFrame
        Findings, ``finding == "exfiltration"``; ``evidence`` holds the bytes sent, the
        baseline and whether the address was contacted before.

    Examples
    --------
    >>> import flowkit as fk
    >>> t0 = 1700000000
    >>> lines = [f"2 1 eni-a 10.0.1.5 8.8.{i}.1 40000 443 6 10 2000 {t0 + 60 * i} {t0 + 60 * i + 9}"
    ...          " ACCEPT OK" for i in range(50)]
    >>> lines += [f"2 1 eni-a 10.0.1.5 104.244.76.13 41000 443 6 900000 900000000 {t0 + 60 * i}"
    ...           f" {t0 + 60 * i + 59} ACCEPT OK" for i in (0, 1)]
    >>> out = find_exfiltration(fk.parse_lines(lines))
    >>> out[["actor", "target", "bytes"]].to_dict("records")
    [{'actor': '10.0.1.5', 'target': '104.244.76.13', 'bytes': 1800000000}]
    """
    view = as_view(df)
    out = _outbound(view, include_aws_services)
    if out.empty:
        return empty_findings()
    out = out.assign(hour=out["t"] // 3600)
    cells = out.groupby(["src", "dst", "hour"], sort=False).agg(
        nbytes=("bytes", "sum"), packets=("pkts", "sum"), flows=("t", "size"),
        first=("t", "min"), last=("t_end", "max"),
    ).reset_index()  # fmt: skip
    normal = cells[cells["nbytes"] < min_bytes_per_hour]
    base = normal.groupby("src")["nbytes"].quantile(baseline_quantile).rename("baseline")
    cells = cells.merge(base, left_on="src", right_index=True, how="left")
    cells["baseline"] = cells["baseline"].fillna(0.0)
    hot = cells[
        (cells["nbytes"] >= min_bytes_per_hour)
        & (cells["nbytes"] >= min_ratio * np.maximum(cells["baseline"], 1.0))
    ]
    if hot.empty:
        return empty_findings()
    g = hot.groupby(["src", "dst"], sort=True).agg(
        first=("first", "min"), last=("last", "max"), flows=("flows", "sum"),
        packets=("packets", "sum"), nbytes=("nbytes", "sum"), hours=("hour", "nunique"),
        peak=("nbytes", "max"), baseline=("baseline", "first"),
    ).reset_index()  # fmt: skip
    earlier = out.merge(g[["src", "dst", "first"]], on=["src", "dst"])
    seen_before = set(
        map(tuple, earlier.loc[earlier["t"] < earlier["first"] - 3600, ["src", "dst"]].to_numpy())
    )
    ports = out.merge(g[["src", "dst"]], on=["src", "dst"]).groupby(["src", "dst"])["port"]
    top_port = ports.agg(lambda s: s.mode().iloc[0])
    actors, targets = view.addresses[g["src"]], view.addresses[g["dst"]]
    summaries, evs = [], []
    for row, a, t in zip(rows(g), actors, targets, strict=True):
        new = (row.src, row.dst) not in seen_before
        summaries.append(
            f"{a} sent {human_bytes(row.nbytes)} to {t} from {utc(row.first)} "
            f"({human_bytes(row.peak)} in its busiest hour, {_times(row.peak, row.baseline)} "
            f"its usual hourly {human_bytes(row.baseline)})"
            + ("; it had not contacted this address before." if new else ".")
        )
        evs.append(evidence(
            bytes_out=row.nbytes, peak_bytes_per_hour=row.peak, hours=row.hours,
            baseline_bytes_per_hour=float(row.baseline), min_ratio=min_ratio,
            min_bytes_per_hour=min_bytes_per_hour, new_destination=new,
        ))  # fmt: skip
    return finding_rows(
        "exfiltration", severity=["high"] * len(g), actor=actors, target=targets,
        dstport=[float(top_port[(s, d)]) for s, d in zip(g["src"], g["dst"], strict=True)],
        first_seen=g["first"], last_seen=g["last"], flows=g["flows"], packets=g["packets"],
        nbytes=g["nbytes"], summary=summaries, evidence=evs,
    )  # fmt: skip


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
            f"{utc(row.first)}: up to {row.peak_pkts / 60:,.0f} packets a second."
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
