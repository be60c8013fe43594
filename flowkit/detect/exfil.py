"""Exfiltration: one-way uploads, large or to a new address, far above the host's habit.

Counts bytes between each internal host and each outside address per clock hour (a *cell*),
both ways, from the de-duplicated view (a connection logged on the instance and on the NAT
gateway counts once).  Three facts separate theft from ordinary traffic:

* **direction**: stolen data flows out and little comes back (TCP acknowledgements are a
  fortieth of the data they acknowledge); a video call or a sync client sends and receives
  alike, so a cell whose out/in ratio is under ``min_out_in`` is never exfiltration;
* **habit**: the host's baseline, the 95th percentile of its hourly cells to any address, is
  what it normally sends; a backup server uploads every night and is left alone;
* **novelty**: an address the host has not talked to in the previous ``novelty_hours`` is a
  new destination, where a smaller upload already matters, if the host itself opened the
  connections (serving a download to an outside client is the service's job; an exposed
  service is the compliance checks' business).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowkit.detect.allow import AllowList
from flowkit.detect.common import Records, as_view, epoch_text, finding_rows, human_bytes, rows
from flowkit.detect.frame import empty_findings, evidence
from flowkit.detect.view import View

__all__ = ["find_exfiltration", "hourly_cells"]


def hourly_cells(view: View, include_aws_services: bool, allow: AllowList | None) -> pd.DataFrame:
    """Bytes between each internal ``host`` and outside ``peer`` per clock ``hour``: ``out``,
    ``inb``, ``out_opened`` (sent on connections the host opened), ``packets`` and
    ``flows`` (records) out, ``first``/``last``."""
    r = view.rec
    cli, srv = r["cli"].to_numpy(), r["srv"].to_numpy()
    inside_cli = view.internal[cli]
    keep = inside_cli != view.internal[srv]
    host = np.where(inside_cli, cli, srv)
    peer = np.where(inside_cli, srv, cli)
    if not include_aws_services:
        keep &= ~view.aws[peer]
    if allow is not None:
        keep &= ~allow.allowed(view)[peer]
    idx = np.flatnonzero(keep)
    inside_cli = inside_cli[idx]
    sent = r["req"].to_numpy()[idx] == inside_cli  # the record goes from the host to the peer
    nbytes = r["bytes"].to_numpy()[idx]
    t = r["t"].to_numpy()[idx]
    x = pd.DataFrame({
        "host": host[idx], "peer": peer[idx], "hour": t // 3600,
        "out": np.where(sent, nbytes, 0), "inb": np.where(sent, 0, nbytes),
        "out_opened": np.where(sent & inside_cli, nbytes, 0),
        "packets": np.where(sent, r["pkts"].to_numpy()[idx], 0), "sent": sent,
        "t": t, "t_end": r["t_end"].to_numpy()[idx],
    })  # fmt: skip
    return x.groupby(["host", "peer", "hour"], sort=True).agg(
        out=("out", "sum"), inb=("inb", "sum"), out_opened=("out_opened", "sum"),
        packets=("packets", "sum"), flows=("sent", "sum"), first=("t", "min"),
        last=("t_end", "max"),
    ).reset_index()  # fmt: skip


def _top_port(view: View, pairs: pd.DataFrame) -> pd.Series:
    """The outside port that carried most bytes out, per (host, peer) of ``pairs``."""
    r = view.rec
    cli, srv = r["cli"].to_numpy(), r["srv"].to_numpy()
    inside_cli = view.internal[cli]
    host = np.where(inside_cli, cli, srv)
    peer = np.where(inside_cli, srv, cli)
    x = pd.DataFrame(
        {
            "host": host,
            "peer": peer,
            "port": np.where(inside_cli, r["sport"].to_numpy(), r["cport"].to_numpy()),
            "out": np.where(r["req"].to_numpy() == inside_cli, r["bytes"].to_numpy(), 0),
        }
    )
    x = x.merge(pairs[["host", "peer"]], on=["host", "peer"])
    top = x.groupby(["host", "peer", "port"])["out"].sum().reset_index()
    top = top.sort_values(["host", "peer", "out", "port"], ascending=[True, True, False, True])
    return top.drop_duplicates(["host", "peer"]).set_index(["host", "peer"])["port"]


def find_exfiltration(
    df: Records,
    *,
    min_bytes_per_hour: int = 100_000_000,
    min_new_bytes: int = 10_000_000,
    min_out_in: float = 10.0,
    min_ratio: float = 20.0,
    baseline_quantile: float = 0.95,
    novelty_hours: float = 24.0,
    include_aws_services: bool = False,
    allow: AllowList | None = None,
) -> pd.DataFrame:
    """Find exfiltration: an hour of one-way upload to one outside address, far above habit.

    Rule: per (internal host, outside address, clock hour) cell (see the module docstring), a
    cell is *hot* when it sent at least ``min_out_in`` (10) times what it received (TCP returns
    about a fortieth of an upload as acknowledgements; a call or a sync is about 1), at least
    ``min_ratio`` (20) times the host's baseline (its ``baseline_quantile``, 95th percentile,
    hourly cell under ``min_bytes_per_hour``), and either at least ``min_bytes_per_hour`` (100
    MB: a bulk transfer; ordinary outbound traffic of servers is API calls of kilobytes) or at
    least ``min_new_bytes`` (10 MB) to a *new* address (no traffic with the host in the
    previous ``novelty_hours``, 24 h) on connections the host opened (an upload it chose to
    make: a staged archive, a C2 upload).  One finding per (host, address).  AWS service
    addresses are skipped unless ``include_aws_services``; allow-listed addresses are skipped.
    Severity ``high`` from ``min_bytes_per_hour`` (GuardDuty rates TrafficVolumeUnusual Medium,
    but a bulk upload is where a breach ends), ``medium`` for a smaller upload to a new address.

    Parameters
    ----------
    df : DataFrame or View
        Flow records.
    min_bytes_per_hour : int
        Hourly volume to one address that is a bulk transfer.
    min_new_bytes : int
        Hourly volume to a new address that is enough.
    min_out_in : float
        How many times the bytes received the bytes sent must be.
    min_ratio : float
        How many times the host's baseline the volume must be.
    baseline_quantile : float
        Quantile of the host's ordinary hourly cells used as its baseline.
    novelty_hours : float
        An address without traffic with the host in this many hours before is new.
    include_aws_services : bool
        Also consider AWS service addresses as destinations.
    allow : AllowList, optional
        Addresses, networks, AWS services or labels never reported.

    Returns
    -------
    DataFrame
        Findings, ``finding == "exfiltration"``; ``evidence`` holds the bytes each way, the
        baseline and whether the address was new.

    Examples
    --------
    >>> import flowkit as fk
    >>> t0 = 1700000000
    >>> lines = [f"2 1 eni-a 10.0.1.5 8.8.{i}.1 40000 443 6 10 2000 {t0 + 60 * i} {t0 + 60 * i + 9}"
    ...          " ACCEPT OK" for i in range(50)]
    >>> lines += [f"2 1 eni-a 10.0.1.5 104.244.76.13 41000 443 6 900000 900000000 {t0 + 60 * i}"
    ...           f" {t0 + 60 * i + 59} ACCEPT OK" for i in (0, 1)]
    >>> lines += [f"2 1 eni-a 10.0.1.5 147.32.83.234 42000 1337 6 9000 30000000 {t0 + 3600} "
    ...           f"{t0 + 3700} ACCEPT OK", f"2 1 eni-a 147.32.83.234 10.0.1.5 1337 42000 6 "
    ...           f"4000 400000 {t0 + 3600} {t0 + 3700} ACCEPT OK"]
    >>> out = find_exfiltration(fk.parse_lines(lines))
    >>> out[["severity", "target", "bytes"]].values.tolist()
    [['high', '104.244.76.13', 1800000000], ['medium', '147.32.83.234', 30000000]]
    """
    view = as_view(df)
    cells = hourly_cells(view, include_aws_services, allow)
    if cells.empty:
        return empty_findings()
    prev = cells.groupby(["host", "peer"], sort=False)["hour"].shift()
    cells["new"] = (prev.isna() | (cells["hour"] - prev > novelty_hours)).to_numpy()
    normal = cells[cells["out"] < min_bytes_per_hour]
    base = normal.groupby("host")["out"].quantile(baseline_quantile).rename("baseline")
    cells = cells.merge(base, left_on="host", right_index=True, how="left")
    cells["baseline"] = cells["baseline"].fillna(0.0)
    out, inb = cells["out"], cells["inb"]
    one_way = out >= min_out_in * np.maximum(inb, 1)
    unusual = out >= min_ratio * np.maximum(cells["baseline"], 1.0)
    bulk = out >= min_bytes_per_hour
    upload = cells["new"] & (out >= min_new_bytes) & (cells["out_opened"] * 2 >= out)
    hot = cells[one_way & unusual & (bulk | upload)]
    if hot.empty:
        return empty_findings()
    g = hot.groupby(["host", "peer"], sort=True).agg(
        first=("first", "min"), last=("last", "max"), flows=("flows", "sum"),
        packets=("packets", "sum"), nbytes=("out", "sum"), inb=("inb", "sum"),
        hours=("hour", "nunique"), peak=("out", "max"), baseline=("baseline", "first"),
        new=("new", "any"),
    ).reset_index()  # fmt: skip
    port = _top_port(view, g)
    g["port"] = [port.get((h, p), np.nan) for h, p in zip(g["host"], g["peer"], strict=True)]
    actors, targets = view.addresses[g["host"]], view.addresses[g["peer"]]
    sev = np.where(g["peak"] >= min_bytes_per_hour, "high", "medium")
    summaries, evs = [], []
    for row, a, t in zip(rows(g), actors, targets, strict=True):
        ratio = row.nbytes / max(row.inb, 1)
        summaries.append(
            f"{a} sent {human_bytes(row.nbytes)} to {t} from {epoch_text(row.first)} and received "
            f"{human_bytes(row.inb)} ({human_bytes(row.peak)} in its busiest hour, "
            f"{_times(row.peak, row.baseline)} its usual hourly {human_bytes(row.baseline)})"
            + ("; it had not talked to this address before." if row.new else ".")
        )
        evs.append(evidence(
            bytes_out=row.nbytes, bytes_in=row.inb, out_in_ratio=float(min(ratio, 1e9)),
            peak_bytes_per_hour=row.peak, hours=row.hours,
            baseline_bytes_per_hour=float(row.baseline), min_ratio=min_ratio,
            min_bytes_per_hour=min_bytes_per_hour, new_destination=bool(row.new),
        ))  # fmt: skip
    return finding_rows(
        "exfiltration", severity=sev, actor=actors, target=targets,
        dstport=g["port"].astype(float), first_seen=g["first"], last_seen=g["last"],
        flows=g["flows"], packets=g["packets"], nbytes=g["nbytes"], summary=summaries,
        evidence=evs,
    )  # fmt: skip


def _times(value: float, base: float) -> str:
    ratio = value / max(base, 1.0)
    return "over 1,000 times" if ratio > 1000 else f"{ratio:.0f} times"
