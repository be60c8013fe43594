"""Beaconing: an internal host checking in with one outside address on a clock.

Implants call their command server every N seconds to hours, with a random jitter so that the
rhythm is not exact, each time exchanging little data, day and night.  Real ones are messier
than the textbook: a *check-in* is often a small burst (a DNS-less HTTP pair, a connection and
its retry 20 s later), and beats are skipped (the server was down, the laptop asleep).  So the
connections of a client to one address are merged into check-ins (starts within
``checkin_seconds`` of the previous connection), and the intervals between check-ins are
matched against a period *and its multiples* (up to ``max_missed_beats`` skipped beats).
People and ordinary applications connect at irregular, bursty times whose intervals spread
widely; a beacon's intervals cluster on the period.

Ordinary software beacons too (update agents, push channels, vendor telemetry).  Two facts
about such traffic lower a finding to ``low`` (still listed: a lead, not an alarm):

* *keepalive*: most "connections" reuse the previous one's client port: one long-lived
  connection whose idle keepalives the flow log shows as separate flows (a push channel);
* *fleet* (prevalence): the same schedule (port and period) is kept by ``fleet_channels`` or
  more channels, several of your hosts calling one address or one host calling several
  addresses of one service: an agent deployed on a fleet or a vendor's address pool, not an
  implant, which calls its one or two servers.

Known vendors can be left out altogether with an allow-list
(:class:`~flowkit.detect.allow.AllowList`, empty by default).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowkit.detect.allow import AllowList
from flowkit.detect.common import Records, as_view, epoch_text, finding_rows, human_bytes, rows
from flowkit.detect.frame import empty_findings, evidence
from flowkit.detect.view import View

__all__ = ["find_beaconing", "outward", "periodicity", "steps"]

#: Whole-second timestamps: two starts may differ by this much from their true spacing.
_FLOOR_S = 2.0


def outward(view: View, include_aws_services: bool, allow: AllowList | None) -> pd.DataFrame:
    """Connections from an internal client to an outside server, minus AWS service addresses
    (unless ``include_aws_services``) and allow-listed servers, sorted by client, server and
    start.  Filtered once per view and arguments (beaconing and fast C2 both read it); each
    caller gets its own (shallow, copy-on-write) copy."""
    key = ("outward", include_aws_services, allow)
    return view.shared(key, lambda: _outward(view, include_aws_services, allow)).copy(deep=False)


def _outward(view: View, include_aws_services: bool, allow: AllowList | None) -> pd.DataFrame:
    conn = view.conn()
    cli, srv = conn["cli"].to_numpy(), conn["srv"].to_numpy()
    keep = view.internal[cli] & ~view.internal[srv]
    if not include_aws_services:
        keep &= ~view.aws[srv]
    if allow is not None:
        keep &= ~allow.allowed(view)[srv]
    c = conn[keep]
    return c.sort_values(["cli", "srv", "t"], kind="mergesort").reset_index(drop=True)


def steps(c: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """For connections sorted by client, server and start (as :func:`outward` gives them):
    the seconds since the previous connection of the same channel (``inf`` for a channel's
    first) and whether it reuses the previous one's client port (a keepalive of one long-lived
    connection, not a new call)."""
    cli, srv, t = c["cli"].to_numpy(), c["srv"].to_numpy(), c["t"].to_numpy()
    same = np.r_[False, (cli[1:] == cli[:-1]) & (srv[1:] == srv[:-1])]
    gap = np.where(same, t - np.r_[t[:1], t[:-1]], np.inf)
    cport = c["cport"].to_numpy()
    return gap, same & (cport == np.r_[-1, cport[:-1]])


def periodicity(events: pd.DataFrame, *, max_jitter: float, max_missed_beats: int) -> pd.DataFrame:
    """Period and regularity of each group's event times (``g``, ``t``; sorted by both).

    Two candidate periods per group, the median interval and the median of the intervals at or
    below it (the period when many beats were skipped); for each, an interval is *regular*
    when it is within ``max_jitter`` of the period (and at least 2 s, the timestamps' rounding)
    of a multiple ``k`` of it, ``1 <= k <= max_missed_beats + 1``.  The candidate with more
    regular intervals wins.  Returns per ``g``: ``events``, ``period``, ``regularity`` (share
    of regular intervals), ``on_beat`` (share regular with ``k == 1``), ``q1``/``q3`` of the
    intervals.
    """
    columns = ["g", "events", "period", "regularity", "on_beat", "q1", "q3"]
    if events.empty:
        return pd.DataFrame(columns=columns)
    g = events["g"].to_numpy()
    t = events["t"].to_numpy().astype(float)
    same = np.r_[False, g[1:] == g[:-1]]
    d = pd.DataFrame({"g": g[same], "d": (t - np.r_[t[0], t[:-1]])[same]})
    if d.empty:
        return pd.DataFrame(columns=columns)
    grp = d.groupby("g", sort=True)["d"]
    out = grp.agg(q1=lambda s: s.quantile(0.25), med="median", q3=lambda s: s.quantile(0.75))
    low = d[d["d"] <= d["g"].map(out["med"])].groupby("g")["d"].median()
    out["low"] = low.reindex(out.index).fillna(out["med"])
    best = None
    for cand in ("med", "low"):
        period = np.maximum(d["g"].map(out[cand]).to_numpy(), 1e-9)
        k = np.maximum(1.0, np.round(d["d"].to_numpy() / period))
        tol = np.maximum(max_jitter * period, _FLOOR_S)
        reg = (k <= max_missed_beats + 1) & (np.abs(d["d"].to_numpy() - k * period) <= tol)
        sc = pd.DataFrame({"g": d["g"], "reg": reg, "beat": reg & (k == 1)}).groupby("g").mean()
        sc = sc.assign(period=out[cand])
        if best is None:
            best = sc
        else:
            better = (sc["reg"] > best["reg"]) | (
                (sc["reg"] == best["reg"]) & (sc["beat"] > best["beat"])
            )
            best = best.where(~better, sc)
    assert best is not None
    res = best.rename(columns={"reg": "regularity", "beat": "on_beat"})
    res["events"] = grp.size() + 1
    res[["q1", "q3"]] = out[["q1", "q3"]]
    return res.reset_index()


def find_beaconing(
    df: Records,
    *,
    min_checkins: int = 12,
    min_hours: float = 2.0,
    min_interval_seconds: int = 10,
    max_interval_seconds: int = 86_400,
    checkin_seconds: int = 120,
    max_jitter: float = 0.25,
    max_missed_beats: int = 2,
    min_regularity: float = 0.75,
    min_on_beat: float = 0.4,
    max_bytes_per_checkin: int = 100_000,
    fleet_channels: int = 3,
    include_aws_services: bool = False,
    allow: AllowList | None = None,
) -> pd.DataFrame:
    """Find beaconing: check-ins from an internal host to one outside address on a clock.

    Rule: the connections of each (internal client, outside server) are merged into check-ins
    (a start within ``checkin_seconds``, 2 minutes, of the previous one joins its check-in);
    the check-ins' intervals are matched against a period and its multiples (see
    :func:`periodicity`: ``max_jitter`` 25 %, up to ``max_missed_beats`` 2 skipped beats in a
    row).  The unmerged connections are scored too, for periods shorter than a check-in burst.
    A finding when, on either series, there are ``min_checkins`` (12) events over at least
    ``min_hours`` (2 h), the period is between ``min_interval_seconds`` and
    ``max_interval_seconds`` (10 s to a day), ``min_regularity`` (75 %) of the intervals are
    regular and ``min_on_beat`` (40 %) are one period long (beats happen more often than they
    are skipped), and the median check-in carries at most ``max_bytes_per_checkin`` (100 kB)
    both ways.  Why these: a Poisson caller passes this test about 2 times in 1,000 with 12
    events and practically never with 24 (simulated); a beacon with 25 % uniform jitter and a
    third of its beats skipped passes 7 times in 10 with 12 check-ins, nearly always with more.
    AWS service addresses (S3, DynamoDB, ...; not EC2) are skipped unless
    ``include_aws_services``: SDKs poll them on timers; allow-listed addresses are skipped.
    Severity: ``low`` for a keepalive (most connections reuse the previous client port: one
    long-lived connection) or a fleet schedule (``fleet_channels``, 3, or more channels with
    this port and period, within the jitter: see the module docstring); else ``high`` when at
    least 90 % of the intervals are regular over at least 48 check-ins, else ``medium``.

    Parameters
    ----------
    df : DataFrame or View
        Flow records.
    min_checkins : int
        Fewest check-ins (or connections) of a beacon.
    min_hours : float
        Shortest time from first to last check-in.
    min_interval_seconds, max_interval_seconds : int
        Range of the period.
    checkin_seconds : int
        Connections starting within this many seconds of the previous one are one check-in.
    max_jitter : float
        Relative tolerance around the period and its multiples.
    max_missed_beats : int
        Most beats skipped in a row that an interval may span.
    min_regularity, min_on_beat : float
        Shares of intervals that must be regular, and regular and one period long.
    max_bytes_per_checkin : int
        Largest median check-in (both ways).
    fleet_channels : int
        Channels sharing a schedule that make it a fleet agent's (``low``).
    include_aws_services : bool
        Also consider AWS service addresses.
    allow : AllowList, optional
        Addresses, networks, AWS services or labels never reported.

    Returns
    -------
    DataFrame
        Findings, ``finding == "beaconing"``; ``evidence`` holds the period, the regularity,
        the intervals' quartiles and why the severity is what it is.

    Examples
    --------
    >>> import flowkit as fk
    >>> t0 = 1700000000
    >>> lines = [f"2 1 eni-a 10.0.1.5 80.66.88.207 {40000 + i} 443 6 4 900 {t0 + 300 * i} "
    ...          f"{t0 + 300 * i + 2} ACCEPT OK" for i in range(30)]
    >>> out = find_beaconing(fk.parse_lines(lines))
    >>> out[["severity", "actor", "target", "dstport", "flows"]].values.tolist()
    [['medium', '10.0.1.5', '80.66.88.207', 443, 30]]
    >>> out.loc[0, "evidence"]["period_s"]
    300.0
    """
    view = as_view(df)
    c = outward(view, include_aws_services, allow)
    if c.empty:
        return empty_findings()
    keys = ["cli", "srv"]
    c = c.assign(g=c.groupby(keys, sort=False).ngroup().to_numpy(),
                 size=c["rq_b"] + c["rs_b"], pk=c["rq_p"] + c["rs_p"])  # fmt: skip
    counts = np.bincount(c["g"].to_numpy())
    c = c[counts[c["g"].to_numpy()] >= min_checkins]
    if c.empty:
        return empty_findings()
    gap, reuse = steps(c)
    checkin = np.cumsum(gap > checkin_seconds)
    merged = c.assign(ci=checkin).groupby("ci", sort=True).agg(
        g=("g", "first"), t=("t", "first"), size=("size", "sum"))  # fmt: skip
    scores = []
    for name, ev in (("check-ins", merged), ("connections", c)):
        ev = ev[np.bincount(ev["g"].to_numpy(), minlength=len(counts))[ev["g"].to_numpy()]
                >= min_checkins]  # fmt: skip
        p = periodicity(ev, max_jitter=max_jitter, max_missed_beats=max_missed_beats)
        size = ev.groupby("g")["size"].median().rename("med_size")
        scores.append(p.merge(size, left_on="g", right_index=True).assign(series=name))
    s = pd.concat(scores, ignore_index=True)
    s = s[(s["events"] >= min_checkins)
          & s["period"].between(min_interval_seconds, max_interval_seconds)
          & (s["regularity"] >= min_regularity) & (s["on_beat"] >= min_on_beat)
          & (s["med_size"] <= max_bytes_per_checkin)]  # fmt: skip
    s = s.sort_values(["g", "regularity", "series"], ascending=[True, False, True])
    s = s.drop_duplicates("g")
    kept = c["g"].isin(s["g"]).to_numpy()  # aggregate the surviving channels only
    info = c.assign(reuse=reuse)[kept].groupby("g", sort=True).agg(
        cli=("cli", "first"), srv=("srv", "first"), first=("t", "min"), last=("t_end", "max"),
        flows=("t", "size"), packets=("pk", "sum"), nbytes=("size", "sum"),
        reuse=("reuse", "mean"), port=("sport", lambda x: x.mode().iloc[0]),
        proto=("proto", "first"),
    )  # fmt: skip
    s = s.merge(info, left_on="g", right_index=True)
    s = s[(s["last"] - s["first"]) / 3600.0 >= min_hours].reset_index(drop=True)
    if s.empty:
        return empty_findings()
    s["fleet"] = _sharing(s, max_jitter)
    keepalive = (s["reuse"] >= 0.5).to_numpy()
    fleet = (s["fleet"] >= fleet_channels).to_numpy()
    loud = ((s["regularity"] >= 0.9) & (s["events"] >= 48)).to_numpy()
    sev = np.where(keepalive | fleet, "low", np.where(loud, "high", "medium"))
    actors, targets = view.addresses[s["cli"]], view.addresses[s["srv"]]
    summaries, evs = [], []
    for row, a, t_, ka, fl in zip(rows(s), actors, targets, keepalive, fleet, strict=True):
        why = (" Most are keepalives of one long-lived connection." if ka else "") + (
            f" {row.fleet} channels keep this schedule: a fleet agent or vendor." if fl else ""
        )
        summaries.append(
            f"{a} checked in with {t_}:{row.port} {row.events} times from "
            f"{epoch_text(row.first)} to "
            f"{epoch_text(row.last)}, about every {row.period:.0f} s ({row.regularity:.0%} of "
            f"intervals on the clock), {human_bytes(row.med_size)} each.{why}"
        )
        evs.append(evidence(
            series=row.series, checkins=row.events, connections=row.flows,
            period_s=float(row.period), regularity=float(row.regularity),
            on_beat=float(row.on_beat), interval_q1_s=float(row.q1), interval_q3_s=float(row.q3),
            hours=float((row.last - row.first) / 3600), median_bytes=float(row.med_size),
            keepalive_share=float(row.reuse), channels_on_schedule=int(row.fleet),
            min_regularity=min_regularity,
        ))  # fmt: skip
    return finding_rows(
        "beaconing", severity=sev, actor=actors, target=targets, dstport=s["port"],
        first_seen=s["first"], last_seen=s["last"], flows=s["flows"], packets=s["packets"],
        nbytes=s["nbytes"], summary=summaries, evidence=evs,
    )  # fmt: skip


def _sharing(s: pd.DataFrame, max_jitter: float) -> np.ndarray:
    """For each beacon, how many beacons (itself included) have its port, protocol and a
    period within ``max_jitter`` of its own."""
    out = np.zeros(len(s), dtype=np.int64)
    for _, grp in s.groupby(["port", "proto"], sort=False):
        p = grp["period"].to_numpy()
        lo = np.searchsorted(np.sort(p), p * (1 - max_jitter), side="left")
        hi = np.searchsorted(np.sort(p), p * (1 + max_jitter), side="right")
        out[grp.index.to_numpy()] = hi - lo
    return out
