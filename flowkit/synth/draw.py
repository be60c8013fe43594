"""Draw the planted incidents from a seed: who, where, which port and when.

The canonical incidents (:data:`flowkit.synth.DEFAULT_INCIDENTS`) have fixed actors, targets,
ports and times, so a trainee who did the exercise once knows every answer.
:func:`draw_incidents` returns the same twelve stories with those drawn from a seed:

* actors: public internet addresses, all distinct
  (:func:`~flowkit.synth.actors.draw_public_addresses`);
* targets: ENIs of the role each story needs, by role from the estate: a public host for the
  scan, internet-facing ENIs for the sweep, the host that takes SSH from the internet for the
  brute force, one application server as the victim of the whole chain (INC-03 pivots to it,
  INC-04/05/06 start from it), internal hosts for lateral movement, a public database;
* ports: the sweep's admin port, the scanned ports, the beacon's port, period and jitter, the
  exposed database port, FTP and/or telnet, the lateral-movement ports;
* times: the chain in order (guessing, login, pivot, beacon, lateral movement, the upload in
  the small hours), the other incidents placed apart from it and from each other;
* sizes: the upload, and the two cost incidents (either may be the bigger bill).

The threat-intel indicator is on a threat list drawn with it
(:func:`~flowkit.synth.actors.draw_threat_list`), which :func:`generate_drawn` writes as
``threat_list.csv`` beside ``ground_truth.json`` and into the truth (``threat_list``).
``.csv``, not ``.txt``: :func:`flowkit.read` of the estate folder reads ``.txt`` as flow logs.

Examples
--------
>>> incidents = draw_incidents(11, days=1)
>>> [i.id for i in incidents][:3], len(incidents)
(['INC-01', 'INC-02', 'INC-03'], 12)
>>> brute, beacon = incidents[2], incidents[3]
>>> brute.pivot_to == beacon.actor == incidents[4].actor == incidents[5].actor
True
>>> draw_incidents(11, days=1) == incidents
True
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import numpy as np

from flowkit.synth.actors import draw_public_addresses, draw_threat_list, threat_list_text
from flowkit.synth.compromise import Exfiltration, LateralMovement, ThreatIntel
from flowkit.synth.estate import Estate, default_estate
from flowkit.synth.flows import concat, sessions
from flowkit.synth.hygiene import (
    CrossAzChatter,
    ExposedDatabase,
    InsecureProtocol,
    LoggingGap,
    S3ThroughNat,
)
from flowkit.synth.incidents import Beaconing, PortScan, PortSweep, SshBruteForce
from flowkit.synth.planting import Context, M, Planted, truth
from flowkit.synth.profiles import OPEN_PORTS, Rates

if TYPE_CHECKING:
    from flowkit.synth.generation import Incident, Summary

__all__ = ["MIN_DAYS", "CleartextLogins", "draw_incidents", "generate_drawn"]

#: Shortest period a drawn scenario fits in, from midnight UTC (from another start: 1.5 days):
#: the compromise chain alone takes up to 7 hours of a night.
MIN_DAYS = 1.0
#: Ports a sweep looks for (RDP, SMB, SSH, VNC, WinRM): the story says which.
SWEEP_PORTS = (3389, 445, 22, 5900, 5985)
#: Ports an exposed database listens on (all in the exposure rule of ``data/policy.yaml``).
DB_PORTS = (5432, 3306, 1433, 27017, 6379)
#: Remote-administration ports lateral movement tries (all in the detection's default list).
LATERAL_PORTS = (22, 445, 3389, 5985)
BEACON_PORTS = (443, 8443, 8080, 80)
BEACON_PERIODS = (60, 90, 120, 180, 240, 300, 420, 600, 900)
DB_ROLES = ("analytics-db", "postgres", "postgres-replica", "mysql", "redis")
#: Internal (client role, server role, port) the policy allows: candidates for cross-AZ chatter.
CHATTER = (("etl", "postgres", 5432), ("app", "postgres", 5432), ("app", "mysql", 3306),
           ("batch", "mysql", 3306))  # fmt: skip
T = TypeVar("T")


@dataclass(frozen=True)
class CleartextLogins(InsecureProtocol):
    """:class:`~flowkit.synth.hygiene.InsecureProtocol` with FTP (21), telnet (23) or both."""

    ports: tuple[int, ...] = (21, 23)

    def plant(self, ctx: Context, tag: int) -> Planted:
        """Plant one session per port (FTP at ``ftp_at``, telnet at ``telnet_at``)."""
        plan = {21: (self.ftp_at, self.ftp_duration, 1500, 2500),
                23: (self.telnet_at, self.telnet_duration, 800, 6000)}  # fmt: skip
        conv = concat([
            sessions(ctx.rng, minute=[ctx.minute(plan[p][0])], minutes=[ctx.minute(plan[p][1])],
                     cli=ctx.addr(self.client), srv=ctx.addr(self.server), sport=p,
                     rq_bpm=plan[p][2], rs_bpm=plan[p][3], horizon=ctx.horizon, tag=tag)
            for p in self.ports
        ])  # fmt: skip
        names = " and ".join(f"{'FTP' if p == 21 else 'telnet'} (port {p})" for p in self.ports)
        story = f"""An outside address ({self.client}) logged in to {self.server} over {names}.
            {"Both protocols send" if len(self.ports) > 1 else "It sends"} passwords in clear
            text; the host is otherwise idle."""
        return Planted(conv, truth(
            ctx, conv, id=self.id, kind="insecure_protocol", category="compliance",
            actor=self.client, targets=[self.server], ports=list(self.ports), story=story,
            evidence={"sessions": len(self.ports)}, params=self,
        ))  # fmt: skip


class _Dice:
    """The draws: integers, one of, some of (in their order), and free slots of the period."""

    def __init__(self, rng: np.random.Generator, horizon: int) -> None:
        self.rng, self.horizon = rng, horizon
        self.busy: list[tuple[int, int]] = []

    def num(self, lo: int, hi: int) -> int:
        return int(self.rng.integers(lo, hi + 1))

    def one(self, xs: tuple[T, ...] | list[T]) -> T:
        return xs[self.num(0, len(xs) - 1)]

    def some(self, xs: tuple[T, ...] | list[T], k: int) -> tuple[T, ...]:
        keep = set(self.rng.choice(len(xs), size=k, replace=False).tolist())
        return tuple(x for i, x in enumerate(xs) if i in keep)

    def slot(self, minutes: int, margin: int = 20) -> timedelta:
        """A start minute for ``minutes`` that keeps ``margin`` from every slot taken: a random
        one, else the first free one after a random minute."""
        first = self.num(15, self.horizon - minutes - 15)
        tries = [self.num(15, self.horizon - minutes - 15) for _ in range(50)]
        for at in [*tries, *range(first, self.horizon - minutes - 15), *range(15, first)]:
            if all(at + minutes + margin <= a or at - margin >= b for a, b in self.busy):
                self.busy.append((at, at + minutes))
                return at * M
        raise ValueError(f"no room for a {minutes}-minute incident in {self.horizon} minutes")


def _chain(d: _Dice, clock: int) -> dict[str, int]:
    """Minutes of the compromise chain: guessing, login, pivot, beacon, lateral, upload.

    The guessing starts just after midnight, or late in the evening when a night follows, so
    the pivot falls outside working hours and the upload in the small hours, as the stories say.
    """
    windows = []
    for k in range(math.ceil(d.horizon / 1440) + 1):
        night = k * 1440 - clock
        windows += [(night + 5, night + 60, night), (night - 120, night - 45, night)]
    windows = [w for w in windows if w[0] >= 0 and w[1] + 480 <= d.horizon]
    if not windows:
        raise ValueError("no night in the period for the compromise chain: start at midnight "
                         "or generate 1.5 days or more")  # fmt: skip
    lo, hi, night = d.one(windows)
    t = {"brute": d.num(lo, hi), "brute_minutes": d.num(20, 55), "session": d.num(25, 45),
         "pivot_after": d.num(5, 15), "pivot_minutes": d.num(10, 25)}  # fmt: skip
    pivot = t["brute"] + t["brute_minutes"] + t["pivot_after"]
    t["beacon"] = pivot + t["pivot_minutes"] + d.num(5, 30)
    # 28+ minutes: at most 4 of up to 9 hosts per port in any 10 minutes (else a port sweep)
    t["lateral"], t["lateral_minutes"] = t["beacon"] + d.num(20, 60), d.num(28, 40)
    t["exfil"] = max(t["lateral"] + t["lateral_minutes"] + d.num(10, 45), night + d.num(30, 150))
    t["exfil_minutes"] = d.num(20, 90)
    d.busy.append((t["brute"], t["exfil"] + t["exfil_minutes"]))
    return t


def _compromise(d: _Dice, est: Estate, a: list[str], t: dict[str, int]) -> tuple[Any, ...]:
    """INC-03 to INC-06: one victim application server from the login to the upload."""
    public = _public(est)
    victim = d.one(est.names("app"))
    ssh = [n for n in public if 22 in OPEN_PORTS.get(est.eni(n).role, ())]
    brute = SshBruteForce(
        actor=a[0], target=d.one(ssh), at=t["brute"] * M, duration=t["brute_minutes"] * M,
        attempts_per_minute=round(float(d.rng.uniform(6, 20)), 1), session=t["session"] * M,
        pivot_to=victim, pivot_after=t["pivot_after"] * M, pivot_duration=t["pivot_minutes"] * M,
    )  # fmt: skip
    periods = [p for p in BEACON_PERIODS if (d.horizon - t["beacon"]) >= p]  # 60+ beacons
    beacon = Beaconing(actor=victim, c2=a[1], port=d.one(BEACON_PORTS), at=t["beacon"] * M,
                       period=timedelta(seconds=d.one(periods)),
                       jitter=round(float(d.rng.uniform(0.05, 0.2)), 2))  # fmt: skip
    # at most the sample's 70 MB a minute: an upload, not a flood (find_dos)
    most = min(4e9, 7e7 * t["exfil_minutes"])
    exfil = Exfiltration(actor=victim, destination=a[2], port=d.one((443, 8443)),
                         at=t["exfil"] * M, duration=t["exfil_minutes"] * M,
                         total_bytes=round(float(d.rng.uniform(0.6e9, most)), -8),
                         connections=d.num(1, 4))  # fmt: skip
    inside = [e.name for e in est.enis if e.role not in ("nat", "alb")
              and e.name not in public and e.name != victim]  # fmt: skip
    targets, ports = d.some(inside, d.num(5, 9)), d.some(LATERAL_PORTS, d.num(2, 3))
    windows = [(h, p) for h in targets for p in ports
               if est.eni(h).role == "windows-admin" and p != 22]  # fmt: skip
    accepted = tuple(w for w in windows if d.rng.random() < 0.6)
    linux = [(h, 22) for h in targets if 22 in ports and est.eni(h).role in ("web", "app", "etl")]
    if linux and d.rng.random() < 0.7:
        accepted = (d.one(linux), *accepted)
    lateral = LateralMovement(actor=victim, targets=targets, ports=ports, accepted=accepted,
                              at=t["lateral"] * M, duration=t["lateral_minutes"] * M,
                              tries=d.num(1, 3))  # fmt: skip
    return brute, beacon, exfil, lateral


def _public(est: Estate) -> list[str]:
    """Internet-facing ENIs (a public address, or a load balancer), NAT gateways aside."""
    return [e.name for e in est.enis if (e.public_ip or e.role == "alb") and e.role != "nat"]


def _outside(d: _Dice, est: Estate, a: list[str], victim: str) -> tuple[Any, ...]:
    """INC-01, 02, 07, 08, 09: scan, sweep, threat-list hit, cleartext logins, exposed DB."""
    public = _public(est)
    role = {e.name: e.role for e in est.enis}
    scan_minutes = d.num(2, 8)
    shape, first, spread = d.num(0, 2), d.num(1, 64000), d.rng.choice(65535, d.num(60, 400), False)
    ports = (tuple(range(1, 1025)), tuple(range(first, first + d.num(100, 1000))),
             tuple(sorted(int(p) + 1 for p in spread)))  # fmt: skip
    scan = PortScan(actor=a[3], target=d.one([n for n in public if role[n] not in DB_ROLES]),
                    at=d.slot(scan_minutes), duration=scan_minutes * M,
                    ports=ports[shape])  # fmt: skip
    port, sweep_minutes = d.one(SWEEP_PORTS), d.num(2, 6)
    swept = [n for n in public if port not in OPEN_PORTS.get(role[n], ())]
    sweep = PortSweep(actor=a[4], targets=d.some(swept, d.num(5, len(swept))), port=port,
                      at=d.slot(sweep_minutes), duration=sweep_minutes * M,
                      tries=d.num(1, 3))  # fmt: skip
    intel_minutes = d.num(3, 15)
    hosts = [n for n in est.names("web") + est.names("app") if n != victim]
    intel = ThreatIntel(actor=d.one(hosts), indicator=a[5], at=d.slot(intel_minutes),
                        duration=intel_minutes * M, connections=d.num(2, 8))  # fmt: skip
    cleartext, ftp, telnet = d.one([(21,), (23,), (21, 23)]), d.num(4, 12), d.num(3, 10)
    insecure = CleartextLogins(
        client=a[6], server=d.one([n for n in public if role[n] == "legacy-ftp"]), ports=cleartext,
        ftp_at=d.slot(ftp) if 21 in cleartext else 0 * M, ftp_duration=ftp * M,
        telnet_at=d.slot(telnet) if 23 in cleartext else 0 * M, telnet_duration=telnet * M,
    )  # fmt: skip
    probers = tuple(a[8 : 8 + d.num(1, 3)])
    db = ExposedDatabase(
        server=d.one([n for n in public if role[n] in DB_ROLES]), port=d.one(DB_PORTS),
        client=a[7], first_at=d.num(20, 360) * M, every=d.num(2, 4) * 60 * M,
        session=d.num(2, 6) * M, session_bytes_per_min=round(float(d.rng.uniform(2e6, 6e6)), -5),
        probers=probers, probe_at=tuple(d.slot(1) for _ in probers),
    )  # fmt: skip
    return scan, sweep, intel, insecure, db


def _upkeep(
    d: _Dice, est: Estate, clock: int, avoid: set[str], gap_at: timedelta, gap_minutes: int
) -> tuple[Any, ...]:
    """INC-10, 11, 12: a logging gap, S3 through the NAT gateway, cross-AZ chatter.

    The two bills are sized so that either may be the bigger one (a coin flip).
    """
    subnet = next(s.name for s in est.subnets if s.tier == "private" and not s.s3_endpoint)
    role = {e.name: e.role for e in est.enis}
    az = {e.name: est.subnet(e.subnet).az_id for e in est.enis}
    pairs = [(c, s, p) for c in role for s in role for cr, sr, p in CHATTER
             if role[c] == cr and role[s] == sr and az[c] != az[s] and c not in avoid]  # fmt: skip
    client, server, port = d.one(pairs)
    quiet = [n for n in est.names("web") + est.names("app")
             if n not in avoid | {client} and est.eni(n).subnet != subnet]  # fmt: skip
    gap = LoggingGap(eni=d.one(quiet), at=gap_at, duration=gap_minutes * M)
    bulk_at = (d.num(30, 270) - clock) % 1440
    nights = max(1, len(range(bulk_at, d.horizon, 1440)))
    cross_wins = bool(d.rng.random() < 0.5)
    bpm = float(d.rng.uniform(20e6, 50e6) if cross_wins else d.rng.uniform(5e6, 15e6))
    ratio = float(d.rng.uniform(0.2, 0.6) if cross_wins else d.rng.uniform(1.8, 3.0))
    bulk = ratio * bpm * d.horizon * 0.02 / (0.055 * nights)  # cross-AZ vs NAT + cross-AZ $/GB
    s3 = S3ThroughNat(
        subnet=subnet, rate_per_minute=round(float(d.rng.uniform(0.08, 0.25)), 2),
        bulk_actor=next(n for n in est.names("etl") + est.names("batch")
                        if est.eni(n).subnet == subnet),
        bulk_at=bulk_at * M, bulk_duration=d.num(30, 90) * M, bulk_bytes=round(bulk, -8),
    )  # fmt: skip
    chatter = CrossAzChatter(client=client, server=server, port=port, at=d.num(0, 60) * M,
                             session=d.num(30, 90) * M,
                             bytes_per_minute=round(bpm, -6))  # fmt: skip
    return gap, s3, chatter


def draw_incidents(
    seed: int, estate: Estate | None = None, days: float = 2.0, *, start_minute: int = 0
) -> tuple[Incident, ...]:
    """Return the twelve incidents of the sample with actors, targets, ports and times drawn.

    Parameters
    ----------
    seed : int
        Random seed: the same seed, estate, length and start give equal incidents.
    estate : Estate, optional
        The estate whose ENIs are drawn as targets, by role; default
        :func:`~flowkit.synth.estate.default_estate`.
    days : float
        Length of the period the incidents must fit in (at least :data:`MIN_DAYS`).
    start_minute : int
        UTC minute of the day the period starts at (0: midnight), so that the compromise
        happens at night whatever the start.

    Returns
    -------
    tuple of Incident
        ``INC-01`` to ``INC-12`` in the order of :data:`~flowkit.synth.DEFAULT_INCIDENTS`,
        for :class:`~flowkit.synth.SynthConfig`.

    Raises
    ------
    ValueError
        If ``days`` is shorter than :data:`MIN_DAYS`, or the period holds no whole night for
        the compromise chain (one day that does not start at midnight).

    Examples
    --------
    >>> scan = draw_incidents(3, days=1)[0]
    >>> scan.id, scan.actor != "185.142.236.35", len(scan.ports) >= 60
    ('INC-01', True, True)
    """
    if days < MIN_DAYS:
        raise ValueError(f"a drawn scenario needs at least {MIN_DAYS:g} days, not {days:g}")
    est = estate or default_estate()
    d = _Dice(np.random.default_rng([seed, 0x0D1CE]), round(days * 1440))
    a = draw_public_addresses(d.rng, 11)
    brute, beacon, exfil, lateral = _compromise(d, est, a, _chain(d, start_minute % 1440))
    gap_minutes = d.num(90, 210)
    gap_at = d.slot(gap_minutes)  # the longest first, while the period is free
    scan, sweep, intel, insecure, db = _outside(d, est, a, beacon.actor)
    avoid = {beacon.actor, intel.actor}
    gap, s3, chatter = _upkeep(d, est, start_minute % 1440, avoid, gap_at, gap_minutes)
    return (scan, sweep, brute, beacon, exfil, lateral, intel, insecure, db, gap, s3, chatter)


def generate_drawn(
    out_dir: str | Path,
    *,
    seed: int = 7,
    days: float = 2.0,
    scale: Literal["small", "medium", "large"] | float = "small",
    start: str | datetime = "2026-11-02T00:00:00+00:00",
    parquet: bool = False,
    hive: bool = False,
    overwrite: bool = False,
) -> Summary:
    """Generate a training estate whose incidents are drawn from ``seed``.

    :func:`flowkit.synth.generate` (same parameters and files) with :func:`draw_incidents`;
    also writes ``threat_list.csv`` (:func:`~flowkit.synth.actors.draw_threat_list`) and adds
    ``drawn`` (seed, method, threat-list file) and ``threat_list`` to ``ground_truth.json``.
    The drawn values of each incident are in its ``parameters``.

    Returns
    -------
    Summary
        What :func:`flowkit.synth.generate` wrote.

    Raises
    ------
    FileExistsError, ValueError
        As :func:`flowkit.synth.generate`; ``ValueError`` also when ``days`` < :data:`MIN_DAYS`.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> out = pathlib.Path(tmp.name)
    >>> _ = generate_drawn(out, seed=11, days=1, scale=0.05)
    >>> truth = json.loads((out / "ground_truth.json").read_text())
    >>> truth["drawn"]["seed"], len(truth["incidents"]), (out / "threat_list.csv").exists()
    (11, 12, True)
    >>> tmp.cleanup()
    """
    from flowkit.synth.generation import SynthConfig, generate

    t = datetime.fromisoformat(start) if isinstance(start, str) else start
    t = t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
    estate = default_estate()
    incidents = draw_incidents(seed, estate, days, start_minute=t.hour * 60 + t.minute)
    # scanners leave the database's ports (the drawn one and the canonical 5432) to the incident
    db_ports = tuple(sorted({5432, *(i.port for i in incidents if isinstance(i, ExposedDatabase))}))
    config = SynthConfig(estate=estate, incidents=incidents, rates=Rates(exposed_db_ports=db_ports))
    summary = generate(out_dir, seed=seed, days=days, scale=scale, start=t, parquet=parquet,
                       hive=hive, config=config, overwrite=overwrite)  # fmt: skip
    entries = draw_threat_list(incidents, seed)
    out = Path(out_dir)
    (out / "threat_list.csv").write_text(threat_list_text(entries), encoding="utf-8")
    doc = json.loads((out / "ground_truth.json").read_text(encoding="utf-8"))
    doc["drawn"] = {"seed": seed, "by": "flowkit.synth.draw.draw_incidents",
                    "threat_list_file": "threat_list.csv"}  # fmt: skip
    doc["threat_list"] = [{"network": net, "label": label} for net, label in entries]
    (out / "ground_truth.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return summary
