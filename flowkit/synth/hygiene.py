"""Planted compliance, evidence and cost incidents (same shape as :mod:`flowkit.synth.incidents`).

Examples
--------
>>> from datetime import timedelta
>>> import numpy as np
>>> from flowkit.synth.estate import default_estate
>>> from flowkit.synth.hygiene import LoggingGap
>>> from flowkit.synth.planting import Context
>>> ctx = Context(np.random.default_rng(0), default_estate(), t0=1_793_577_600, horizon=600)
>>> gap = LoggingGap(at=timedelta(hours=2), duration=timedelta(hours=1)).plant(ctx, tag=9)
>>> gap.gap[1:], gap.truth["eni_names"]
((120, 180), ['web-2'])
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from flowkit.synth.flows import concat, make, sessions
from flowkit.synth.planting import DAY, Context, H, M, Planted, short_conns, truth

__all__ = ["CrossAzChatter", "ExposedDatabase", "InsecureProtocol", "LoggingGap", "S3ThroughNat"]


@dataclass(frozen=True)
class InsecureProtocol:
    """Cleartext protocols in use: an FTP session and a telnet session to a legacy host."""

    id: str = "INC-08"
    client: str = "212.47.230.15"
    server: str = "ftp-legacy-1"
    ftp_at: timedelta = 10 * H + 5 * M
    ftp_duration: timedelta = 9 * M
    telnet_at: timedelta = DAY + 9 * H + 30 * M
    telnet_duration: timedelta = 6 * M

    def plant(self, ctx: Context, tag: int) -> Planted:
        """Plant one FTP control session (port 21) and one telnet session (port 23)."""
        c, s = ctx.addr(self.client), ctx.addr(self.server)
        conv = concat(
            [
                sessions(
                    ctx.rng,
                    minute=[ctx.minute(self.ftp_at)],
                    minutes=[ctx.minute(self.ftp_duration)],
                    cli=c,
                    srv=s,
                    sport=21,
                    rq_bpm=1500,
                    rs_bpm=2500,
                    horizon=ctx.horizon,
                    tag=tag,
                ),
                sessions(
                    ctx.rng,
                    minute=[ctx.minute(self.telnet_at)],
                    minutes=[ctx.minute(self.telnet_duration)],
                    cli=c,
                    srv=s,
                    sport=23,
                    rq_bpm=800,
                    rs_bpm=6000,
                    horizon=ctx.horizon,
                    tag=tag,
                ),
            ]
        )
        story = f"""A partner address ({self.client}) logged in to {self.server} over FTP
            (port 21) on the first day and over telnet (port 23) on the second. Both protocols
            send passwords in clear text; the host is otherwise idle."""
        return Planted(
            conv,
            truth(
                ctx,
                conv,
                id=self.id,
                kind="insecure_protocol",
                category="compliance",
                actor=self.client,
                targets=[self.server],
                ports=[21, 23],
                story=story,
                evidence={"sessions": 2},
                params=self,
            ),
        )


@dataclass(frozen=True)
class ExposedDatabase:
    """A database port reachable from the internet: regular outside use and a few probes."""

    id: str = "INC-09"
    server: str = "analytics-db-1"
    port: int = 5432
    client: str = "82.165.4.77"
    first_at: timedelta = 8 * H
    every: timedelta = 3 * H
    session: timedelta = 4 * M
    session_bytes_per_min: float = 4.0e6
    probers: tuple[str, ...] = ("196.251.80.12", "58.218.199.55")
    probe_at: tuple[timedelta, ...] = (5 * H + 33 * M, DAY + 16 * H + 2 * M)

    def plant(self, ctx: Context, tag: int) -> Planted:
        """Plant query sessions from ``client`` every ``every`` and one accepted probe each."""
        s = ctx.addr(self.server)
        m = np.arange(ctx.minute(self.first_at), ctx.horizon, max(1, ctx.minute(self.every)))
        parts = [
            sessions(
                ctx.rng,
                minute=m,
                minutes=ctx.minute(self.session),
                cli=ctx.addr(self.client),
                srv=s,
                sport=self.port,
                rq_bpm=3000,
                rs_bpm=self.session_bytes_per_min,
                horizon=ctx.horizon,
                tag=tag,
            )
        ]
        for who, at in zip(self.probers, self.probe_at, strict=True):
            parts.append(
                short_conns(
                    ctx,
                    np.array([ctx.minute(at)]),
                    ctx.addr(who),
                    s,
                    self.port,
                    rq=(300, 500),
                    rs=(400, 700),
                    tag=tag,
                )
            )
        conv = concat(parts)
        story = f"""{self.server} listens on port {self.port} and its security group lets the
            whole internet in. An outside address ({self.client}) connects every few hours and
            pulls megabytes of query results, and {len(self.probers)} other addresses found the
            port and were let in too."""
        actors = sorted({*self.probers, self.client})
        return Planted(
            conv,
            truth(
                ctx,
                conv,
                id=self.id,
                kind="exposed_database",
                category="compliance",
                actor=self.client,
                targets=[self.server],
                ports=[self.port],
                story=story,
                evidence={"internet_sources": actors},
                params=self,
            ),
        )


@dataclass(frozen=True)
class LoggingGap:
    """An ENI whose flow log delivered nothing (no records, not even NODATA) for a while."""

    id: str = "INC-10"
    eni: str = "web-2"
    at: timedelta = DAY + 10 * H + 20 * M
    duration: timedelta = 2 * H + 45 * M

    def plant(self, ctx: Context, tag: int) -> Planted:
        """Plant nothing: the gap is cut out of the records afterwards."""
        lo = ctx.minute(self.at)
        hi = min(ctx.horizon, lo + ctx.minute(self.duration))
        e = ctx.estate.eni(self.eni)
        story = f"""For {ctx.minute(self.duration)} minutes the flow log delivered no record at
            all for {self.eni}: no traffic and no NODATA either, although its peers kept logging
            traffic to it. Absence of records is not absence of traffic."""
        rec = {
            "id": self.id,
            "kind": "logging_gap",
            "category": "evidence",
            "actor": None,
            "actor_name": None,
            "targets": [e.ip],
            "target_names": [self.eni],
            "ports": [],
            "first": ctx.iso(ctx.t0 + lo * 60),
            "last": ctx.iso(ctx.t0 + hi * 60),
            "enis": [e.eni_id],
            "eni_names": [self.eni],
            "records": 0,
            "story": " ".join(story.split()),
            "evidence": {"minutes": hi - lo},
            "parameters": {
                "eni": self.eni,
                "at": self.at.total_seconds(),
                "duration": self.duration.total_seconds(),
            },
        }
        return Planted(make(0, {}), rec, gap=(ctx.estate.index(self.eni), lo, hi))


@dataclass(frozen=True)
class S3ThroughNat:
    """A subnet without the S3 gateway endpoint route: its S3 traffic pays for the NAT gateway."""

    id: str = "INC-11"
    subnet: str = "private-c"
    rate_per_minute: float = 0.15
    bulk_actor: str = "etl-1"
    bulk_at: timedelta = 1 * H + 30 * M
    bulk_duration: timedelta = 60 * M
    bulk_bytes: float = 10.0e9
    bucket_address: str = "52.216.8.20"

    def plant(self, ctx: Context, tag: int) -> Planted:
        """Plant the subnet's ordinary S3 calls and a nightly bulk upload, all through the NAT."""
        hosts = [e.name for e in ctx.estate.enis if e.subnet == self.subnet]
        ips = np.array([ctx.addr(h) for h in hosts])
        m = np.repeat(np.arange(ctx.horizon), ctx.rng.poisson(self.rate_per_minute, ctx.horizon))
        s3 = ctx.addr(self.bucket_address)
        nights = np.arange(ctx.minute(self.bulk_at), ctx.horizon, 1440)
        d = max(1, ctx.minute(self.bulk_duration))
        conv = concat(
            [
                sessions(
                    ctx.rng,
                    minute=m,
                    minutes=1,
                    cli=ips[ctx.rng.integers(0, len(ips), len(m))],
                    srv=s3,
                    sport=443,
                    rq_bpm=6000,
                    rs_bpm=80000,
                    horizon=ctx.horizon,
                    nat=True,
                    tag=tag,
                ),
                sessions(
                    ctx.rng,
                    minute=nights,
                    minutes=d,
                    cli=ctx.addr(self.bulk_actor),
                    srv=s3,
                    sport=443,
                    rq_bpm=self.bulk_bytes / d,
                    rs_bpm=50000,
                    horizon=ctx.horizon,
                    nat=True,
                    tag=tag,
                ),
            ]
        )
        story = f"""The route table of {self.subnet} was never associated with the S3 gateway
            endpoint, so every S3 request from its hosts ({", ".join(hosts)}) goes through the
            NAT gateway in another AZ and pays NAT processing and cross-AZ charges; the nightly
            upload from {self.bulk_actor} makes it expensive. Other subnets reach S3 through the
            free gateway endpoint."""
        gb = float((conv["rq_b"].sum() + conv["rs_b"].sum()) / 1e9)
        return Planted(
            conv,
            truth(
                ctx,
                conv,
                id=self.id,
                kind="s3_through_nat",
                category="cost",
                actor=self.bulk_actor,
                targets=[self.bucket_address],
                ports=[443],
                story=story,
                evidence={"gigabytes": round(gb, 2), "hosts": hosts},
                params=self,
            ),
        )


@dataclass(frozen=True)
class CrossAzChatter:
    """Two hosts in different AZs that exchange a lot of data all day."""

    id: str = "INC-12"
    client: str = "etl-1"
    server: str = "db-pg-1"
    port: int = 5432
    at: timedelta = timedelta(0)
    session: timedelta = 60 * M
    bytes_per_minute: float = 40.0e6

    def plant(self, ctx: Context, tag: int) -> Planted:
        """Plant back-to-back sessions pulling ``bytes_per_minute`` from server to client."""
        d = max(1, ctx.minute(self.session))
        m = np.arange(ctx.minute(self.at), ctx.horizon, d)
        conv = sessions(
            ctx.rng,
            minute=m,
            minutes=d,
            cli=ctx.addr(self.client),
            srv=ctx.addr(self.server),
            sport=self.port,
            rq_bpm=200000,
            rs_bpm=self.bytes_per_minute,
            horizon=ctx.horizon,
            tag=tag,
        )
        a, b = (
            ctx.estate.subnet(ctx.estate.eni(x).subnet).az_id for x in (self.client, self.server)
        )
        story = f"""{self.client} ({a}) reads from {self.server} ({b}) on port {self.port} around
            the clock, tens of megabytes a minute. Every byte crosses an Availability Zone
            boundary and is charged in both directions."""
        gb = float((conv["rq_b"].sum() + conv["rs_b"].sum()) / 1e9)
        return Planted(
            conv,
            truth(
                ctx,
                conv,
                id=self.id,
                kind="cross_az_chatter",
                category="cost",
                actor=self.client,
                targets=[self.server],
                ports=[self.port],
                story=story,
                evidence={"gigabytes": round(gb, 2), "az_ids": [a, b]},
                params=self,
            ),
        )
