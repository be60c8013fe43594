"""Background traffic of the estate: what normal looks like.

Each profile is one function returning a conversation table (see :mod:`flowkit.synth.flows`):
web clients on the load balancer, the web -> app -> data tiers, database replication, DNS and
NTP, monitoring scrapes and pings, S3/DynamoDB through the gateway endpoint, partner APIs through
the NAT gateway, admin and VPN sessions, the nightly batch, and internet scanners that the
security groups drop.  Rates are per minute at the daily peak (:class:`Rates`), scaled by
``scale`` and shaped by a diurnal curve.

Examples
--------
>>> import numpy as np
>>> from flowkit.synth.estate import default_estate
>>> from flowkit.synth.traffic import Rates, background
>>> conv = background(np.random.default_rng(1), default_estate(), 60, 1.0, Rates())
>>> int(conv["minute"].max()) < 60
True
"""

from __future__ import annotations

import numpy as np

from flowkit.synth.estate import Estate, ip_int
from flowkit.synth.flows import Table, concat, make, probes, sessions, take
from flowkit.synth.profiles import (
    CLIENT_PREFIXES,
    OFFICE,
    OPEN_PORTS,
    SCAN_PORTS,
    SCANNER_PREFIXES,
    UPSTREAM_DNS,
    UPSTREAM_NTP,
    Rates,
    diurnal,
    ips,
    ips_of,
    pick,
    services,
    short,
    tiers,
    times,
)

__all__ = ["OPEN_PORTS", "Rates", "background", "diurnal"]


def _infra(
    rng: np.random.Generator, e: Estate, day: np.ndarray, r: Rates, s: float, offset: int
) -> Table:
    h = len(day)
    hosts = [n.name for n in e.enis if n.role not in ("nat", "alb", "dns-ntp")]
    host_ips, infra = ips(e, hosts), e.ip("infra-1")
    parts = [
        # streaming replication: the replica holds one connection to the primary
        sessions(
            rng,
            minute=[-30],  # opened before the period starts, still open after it ends
            minutes=[h + 60],
            cli=e.ip("db-pg-2"),
            srv=e.ip("db-pg-1"),
            sport=5432,
            rq_bpm=40_000,
            rs_bpm=r.replication_bytes_per_min,
            horizon=h,
        ),
    ]
    m = times(rng, r.dns * s, 0.5 + 0.5 * day)
    parts.append(
        short(
            rng,
            m,
            host_ips[rng.integers(0, len(host_ips), len(m))],
            infra,
            53,
            70,
            160,
            h,
            proto=17,
        )
    )
    m = times(rng, r.dns_upstream * s, 0.5 + 0.5 * day)
    ups = ips_of(UPSTREAM_DNS)
    parts.append(
        short(rng, m, infra, ups[rng.integers(0, 2, len(m))], 53, 80, 200, h, proto=17, nat=True)
    )
    every = r.ntp_every_min
    for i, ip in enumerate(host_ips):
        m = np.arange((i * 7) % every, h, every)
        parts.append(
            sessions(
                rng,
                minute=m,
                minutes=1,
                cli=ip,
                srv=infra,
                sport=123,
                cport=123,
                rq_bpm=90,
                rs_bpm=90,
                horizon=h,
                proto=17,
            )
        )
    m = times(rng, 1 / 64, np.ones(h))  # chrony's upstream polls drift: no fixed period
    parts.append(
        sessions(
            rng,
            minute=m,
            minutes=1,
            cli=infra,
            srv=ips_of(UPSTREAM_NTP)[m % 2],
            sport=123,
            cport=123,
            rq_bpm=90,
            rs_bpm=90,
            horizon=h,
            proto=17,
            nat=True,
        )
    )
    every = r.monitoring_every_min
    targets = [n for n in hosts if n != "mon-1" and not e.eni(n).public_ip]
    for i, name in enumerate(targets):
        m = np.arange(i % every, h, every)
        parts.append(
            sessions(
                rng,
                minute=m,
                minutes=1,
                cli=e.ip("mon-1"),
                srv=e.ip(name),
                sport=9100,
                rq_bpm=400,
                rs_bpm=14000,
                horizon=h,
            )
        )
    pinged = ips(e, ["db-pg-1", "db-my-1", "cache-1", "infra-1"])
    m = np.repeat(np.arange(5, h, every), len(pinged))
    tgt = np.tile(pinged, len(np.arange(5, h, every)))
    parts.append(
        make(
            len(m),
            {
                "minute": m,
                "off": rng.integers(0, 55, len(m)),
                "cli": e.ip("mon-1"),
                "srv": tgt,
                "proto": 1,
                "rq_p": 1,
                "rq_b": 84,
                "rs_p": 1,
                "rs_b": 84,
            },
        )
    )
    return concat(parts)


def _people(
    rng: np.random.Generator, e: Estate, day: np.ndarray, r: Rates, s: float, offset: int
) -> Table:
    """Admins on the bastion, remote staff on the VPN, the nightly batch and ETL loads."""
    h = len(day)
    hour = ((offset + np.arange(h)) // 60) % 24
    work = ((hour >= 13) & (hour < 22)).astype(float)
    linux = [n.name for n in e.enis if n.role in ("web", "app", "batch", "etl", "dns-ntp")]
    parts = []
    m = times(rng, 6 / 540, work)  # about six admin logins a working day
    parts.append(
        sessions(
            rng,
            minute=m,
            minutes=rng.integers(5, 50, len(m)),
            cli=ips_of(OFFICE)[rng.integers(0, 3, len(m))],
            srv=e.ip("bastion-1"),
            sport=22,
            rq_bpm=9000,
            rs_bpm=30000,
            horizon=h,
        )
    )
    m = times(rng, 10 / 540, work)
    parts.append(
        sessions(
            rng,
            minute=m,
            minutes=rng.integers(2, 30, len(m)),
            cli=e.ip("bastion-1"),
            srv=ips(e, linux)[rng.integers(0, len(linux), len(m))],
            sport=22,
            rq_bpm=6000,
            rs_bpm=20000,
            horizon=h,
        )
    )
    vpn_users = pick(rng, CLIENT_PREFIXES, 5)
    m = times(rng, 5 / 540, work)
    parts.append(
        sessions(
            rng,
            minute=m,
            minutes=rng.integers(30, 240, len(m)),
            cli=vpn_users[rng.integers(0, 5, len(m))],
            srv=e.ip("vpn-1"),
            sport=1194,
            cport=1194,
            rq_bpm=40000,
            rs_bpm=150000,
            horizon=h,
            proto=17,
        )
    )
    m = times(rng, 2 / 540, work)
    parts.append(
        sessions(
            rng,
            minute=m,
            minutes=rng.integers(10, 60, len(m)),
            cli=e.ip("vpn-1"),
            srv=e.ip("win-admin-1"),
            sport=3389,
            rq_bpm=30000,
            rs_bpm=250000,
            horizon=h,
        )
    )
    nights = np.arange((60 - offset) % 1440, h, 1440)
    parts.append(
        sessions(
            rng,
            minute=nights,
            minutes=90,
            cli=e.ip("batch-1"),
            srv=e.ip("db-my-1"),
            sport=3306,
            rq_bpm=20000,
            rs_bpm=3e6 * s,
            horizon=h,
        )
    )
    s3 = ip_int("52.217.41.7")
    parts.append(
        sessions(
            rng,
            minute=nights + 95,
            minutes=20,
            cli=e.ip("batch-1"),
            srv=s3,
            sport=443,
            rq_bpm=8e6 * s,
            rs_bpm=60000,
            horizon=h,
        )
    )
    hourly = np.arange((17 - offset) % 60, h, 60)
    parts.append(
        sessions(
            rng,
            minute=hourly,
            minutes=4,
            cli=e.ip("etl-1"),
            srv=e.ip("analytics-db-1"),
            sport=5432,
            rq_bpm=2e6 * s,
            rs_bpm=30000,
            horizon=h,
        )
    )
    return concat(parts)


def _scanners(
    rng: np.random.Generator, e: Estate, day: np.ndarray, r: Rates, s: float, offset: int
) -> Table:
    """Internet noise: each scanner probes 1-3 ports on one public ENI, then leaves."""
    h = len(day)
    public = [n.name for n in e.enis if n.public_ip or n.role == "alb"]
    m = times(rng, r.scanners * s, np.ones(h))
    n = len(m)
    who = pick(rng, SCANNER_PREFIXES, n)
    target = rng.integers(0, len(public), n)
    k = rng.integers(1, 4, n)
    rows = np.repeat(np.arange(n), k)
    ports = np.array(SCAN_PORTS)[rng.integers(0, len(SCAN_PORTS), len(rows))]
    roles = np.array([e.eni(x).role for x in public], dtype=object)[target[rows]]
    open_ = np.zeros(len(rows), dtype=bool)
    for role, op in OPEN_PORTS.items():
        open_ |= (roles == role) & np.isin(ports, op)
    # the exposed database's ports are left to that incident (its own probes and sessions)
    drop = (roles == "analytics-db") & np.isin(ports, r.exposed_db_ports)
    keep = ~drop
    srv = np.array([e.ip(x) for x in public], dtype=np.int64)[target[rows]]
    uniq = np.unique(np.stack([rows, ports]), axis=1, return_index=True)[1]
    keep &= np.isin(np.arange(len(rows)), uniq)
    mins = m[rows] + (np.arange(len(rows)) % 2) * (rng.random(len(rows)) < 0.3)
    closed = probes(
        rng,
        minute=mins[keep & ~open_],
        cli=who[rows][keep & ~open_],
        srv=srv[keep & ~open_],
        sport=ports[keep & ~open_],
        horizon=h,
        tries=1,
    )
    hit = keep & open_
    knocked = sessions(
        rng,
        minute=mins[hit],
        minutes=1,
        cli=who[rows][hit],
        srv=srv[hit],
        sport=ports[hit],
        rq_bpm=120,
        rs_bpm=60,
        horizon=h,
        flags=(6, 18),
    )
    return concat([closed, knocked])


def background(
    rng: np.random.Generator,
    estate: Estate,
    minutes: int,
    scale: float,
    rates: Rates,
    offset: int = 0,
) -> Table:
    """Return the background conversations of ``minutes`` minutes.

    ``offset`` is the minute of the (UTC) day minute 0 falls on, so the daily shape and the
    nightly jobs stay on the clock whatever the start time.
    """
    day = diurnal(minutes, offset / 60.0)
    profiles = (tiers, _infra, services, _people, _scanners)
    parts = [f(rng, estate, day, rates, scale, offset) for f in profiles]
    out = concat(parts)
    return take(out, out["minute"] < minutes)
