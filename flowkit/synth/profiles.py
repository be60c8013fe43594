"""Building blocks of background traffic: address pools, rates, the daily curve, and the
user-facing tiers (load balancer, web, app, data) and AWS-service/partner calls.

:mod:`flowkit.synth.traffic` adds the infrastructure, people and scanner profiles and assembles
them all.

Examples
--------
>>> from flowkit.synth.profiles import diurnal
>>> d = diurnal(1440)
>>> round(float(d[3 * 60]), 2), round(float(d[15 * 60]), 2)
(0.2, 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flowkit.synth.estate import Estate, ip_int
from flowkit.synth.flows import ArrayLike, Table, concat, sessions

__all__ = [
    "CLIENT_PREFIXES",
    "OPEN_PORTS",
    "SCANNER_PREFIXES",
    "Rates",
    "diurnal",
    "ips",
    "ips_of",
    "lognormal",
    "pick",
    "services",
    "short",
    "tiers",
    "times",
]

#: /16 prefixes internet web clients are drawn from (ordinary public space; no AWS ranges).
CLIENT_PREFIXES = (
    "24.5",
    "68.36",
    "71.190",
    "73.92",
    "76.104",
    "81.2",
    "86.120",
    "90.12",
    "98.207",
    "107.77",
    "109.160",
    "122.51",
    "174.62",
    "177.33",
    "187.45",
    "188.166",
    "200.150",
    "212.58",
    "217.146",
    "62.30",
)
#: /16 prefixes background scanners come from.
SCANNER_PREFIXES = (
    "89.248",
    "92.63",
    "162.142",
    "167.94",
    "179.43",
    "193.163",
    "194.180",
    "195.178",
    "205.210",
    "209.141",
    "216.218",
    "61.177",
    "118.25",
    "222.186",
    "39.109",
)
#: Resolvers, NTP servers and partner APIs the estate talks to through the NAT gateway.
UPSTREAM_DNS = ("1.1.1.1", "8.8.8.8")
UPSTREAM_NTP = ("162.159.200.1", "162.159.200.123")
PARTNER_APIS = ("151.101.65.140", "104.18.32.47", "199.232.38.133", "146.75.29.10")
OFFICE = ("71.190.44.12", "71.190.44.13", "86.120.7.201")
S3_POOL = ("52.216", "52.217")  # inside 52.216.0.0/15
DDB_POOL = "52.94.0"  # inside 52.94.0.0/22 (first /24)
OPEN_PORTS = {"alb": (80, 443), "bastion": (22,), "analytics-db": (5432,)}
SCAN_PORTS = (
    21,
    22,
    23,
    25,
    53,
    80,
    110,
    135,
    139,
    443,
    445,
    1433,
    1521,
    2375,
    3306,
    3389,
    5060,
    5432,
    5900,
    6379,
    8080,
    8443,
    9200,
    11211,
    27017,
)


@dataclass(frozen=True)
class Rates:
    """Background volumes: conversations per minute at the daily peak (before ``scale``)."""

    web_clients: float = 6.0
    alb_to_web: float = 4.0
    web_to_app: float = 3.0
    app_to_data: float = 3.0
    dns: float = 1.5
    dns_upstream: float = 0.3
    s3: float = 0.25
    dynamodb: float = 0.25
    partner_api: float = 0.25
    scanners: float = 0.8
    monitoring_every_min: int = 10
    ntp_every_min: int = 16
    replication_bytes_per_min: float = 1.5e6
    clients: int = 4000
    #: Ports of the exposed database that background scanners leave to that incident.
    exposed_db_ports: tuple[int, ...] = (5432,)


def diurnal(minutes: int, start_hour: float = 0.0) -> np.ndarray:
    """Daily load curve per minute: 0.2 at 03:00 UTC, 1.0 at 15:00 UTC.

    >>> d = diurnal(1440)
    >>> round(float(d[3 * 60]), 2), round(float(d[15 * 60]), 2)
    (0.2, 1.0)
    """
    hours = start_hour + np.arange(minutes) / 60.0
    return 0.2 + 0.8 * (0.5 - 0.5 * np.cos(2 * np.pi * (hours - 3.0) / 24.0))


def pick(rng: np.random.Generator, prefixes: tuple[str, ...], n: int) -> np.ndarray:
    """``n`` distinct addresses from /16 prefixes (hosts .1-.254)."""
    bases = np.array([ip_int(p + ".0.0") for p in prefixes], dtype=np.int64)
    space = len(bases) * 65536
    draw = rng.choice(space, size=min(n, space), replace=False)
    addr = bases[draw // 65536] + draw % 65536
    low = addr % 256
    return np.where((low == 0) | (low == 255), addr + 1 - (low == 255) * 2, addr)


def times(rng: np.random.Generator, rate: float, weight: np.ndarray) -> np.ndarray:
    """Minutes of Poisson arrivals at ``rate`` per minute times ``weight``."""
    counts = rng.poisson(rate * weight)
    return np.repeat(np.arange(len(weight)), counts)


def lognormal(rng: np.random.Generator, mean: float, n: int, sigma: float = 0.9) -> np.ndarray:
    return rng.lognormal(np.log(mean) - sigma**2 / 2, sigma, n)


def ips(estate: Estate, names: list[str]) -> np.ndarray:
    return np.array([estate.ip(n) for n in names], dtype=np.int64)


def short(
    rng: np.random.Generator,
    m: np.ndarray,
    cli: ArrayLike,
    srv: ArrayLike,
    port: int,
    rq: float,
    rs: float,
    horizon: int,
    *,
    proto: int = 6,
    long_share: float = 0.0,
    nat: bool = False,
) -> Table:
    """Short request/response conversations (a share of them last 2-6 minutes)."""
    n = len(m)
    minutes = np.where(rng.random(n) < long_share, rng.integers(2, 7, n), 1)
    return sessions(
        rng,
        minute=m,
        minutes=minutes,
        cli=cli,
        srv=srv,
        sport=port,
        rq_bpm=lognormal(rng, rq, n),
        rs_bpm=lognormal(rng, rs, n),
        horizon=horizon,
        proto=proto,
        nat=nat,
    )


def tiers(
    rng: np.random.Generator, e: Estate, day: np.ndarray, r: Rates, s: float, offset: int
) -> Table:
    h = len(day)
    albs, webs, apps = ips(e, e.names("alb")), ips(e, e.names("web")), ips(e, e.names("app"))
    clients = pick(rng, CLIENT_PREFIXES, r.clients)
    weight = 1.0 / np.arange(1, len(clients) + 1) ** 0.6
    parts = []
    m = times(rng, r.web_clients * s, day)
    cli = clients[rng.choice(len(clients), len(m), p=weight / weight.sum())]
    port = np.where(rng.random(len(m)) < 0.9, 443, 80)
    srv = albs[rng.integers(0, len(albs), len(m))]
    for p in (443, 80):
        k = port == p
        parts.append(
            short(
                rng, m[k], cli[k], srv[k], p, 1800, 30000 if p == 443 else 600, h, long_share=0.15
            )
        )
    m = times(rng, r.alb_to_web * s, day)
    parts.append(
        short(
            rng,
            m,
            albs[rng.integers(0, len(albs), len(m))],
            webs[rng.integers(0, len(webs), len(m))],
            80,
            1500,
            28000,
            h,
        )
    )
    m = times(rng, r.web_to_app * s, day)
    parts.append(
        short(
            rng,
            m,
            webs[rng.integers(0, len(webs), len(m))],
            apps[rng.integers(0, len(apps), len(m))],
            8080,
            1200,
            9000,
            h,
        )
    )
    m = times(rng, r.app_to_data * s, day)
    kind = rng.choice(3, len(m), p=[0.5, 0.25, 0.25])
    data = [("db-pg-1", 5432, 900, 6000), ("db-my-1", 3306, 800, 5000), ("cache-1", 6379, 200, 900)]
    for i, (name, dport, rq, rs) in enumerate(data):
        k = kind == i
        parts.append(
            short(
                rng,
                m[k],
                apps[rng.integers(0, len(apps), int(k.sum()))],
                e.ip(name),
                dport,
                rq,
                rs,
                h,
                long_share=0.1,
            )
        )
    return concat(parts)


def ips_of(addresses: tuple[str, ...]) -> np.ndarray:
    return np.array([ip_int(a) for a in addresses], dtype=np.int64)


def services(
    rng: np.random.Generator, e: Estate, day: np.ndarray, r: Rates, s: float, offset: int
) -> Table:
    """S3 and DynamoDB through the gateway endpoint; partner APIs through the NAT gateway."""
    h = len(day)
    callers = [n for n in e.names("app") + e.names("web") if e.subnet(e.eni(n).subnet).s3_endpoint]
    apps = ips(e, e.names("app"))
    s3 = ips_of(tuple(f"{p}.{a}.{b}" for p in S3_POOL for a, b in ((8, 20), (41, 7), (170, 99))))
    ddb = ips_of(tuple(f"{DDB_POOL}.{i}" for i in (12, 36, 101, 200)))
    parts = []
    m = times(rng, r.s3 * s, day)
    parts.append(
        short(
            rng,
            m,
            ips(e, callers)[rng.integers(0, len(callers), len(m))],
            s3[rng.integers(0, len(s3), len(m))],
            443,
            6000,
            60000,
            h,
        )
    )
    m = times(rng, r.dynamodb * s, day)
    parts.append(
        short(
            rng,
            m,
            apps[rng.integers(0, len(apps), len(m))],
            ddb[rng.integers(0, len(ddb), len(m))],
            443,
            1500,
            3000,
            h,
        )
    )
    m = times(rng, r.partner_api * s, day)
    api = ips_of(PARTNER_APIS)
    parts.append(
        short(
            rng,
            m,
            apps[rng.integers(0, len(apps), len(m))],
            api[rng.integers(0, len(api), len(m))],
            443,
            2500,
            8000,
            h,
            nat=True,
        )
    )
    return concat(parts)
