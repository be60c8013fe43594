"""Planted incidents of a compromised host: exfiltration, lateral movement, threat-list hits.

Examples
--------
>>> from datetime import timedelta
>>> import numpy as np
>>> from flowkit.synth.estate import default_estate
>>> from flowkit.synth.compromise import LateralMovement
>>> from flowkit.synth.planting import Context
>>> ctx = Context(np.random.default_rng(0), default_estate(), t0=1_793_577_600, horizon=120)
>>> lm = LateralMovement(at=timedelta(minutes=5)).plant(ctx, tag=0)
>>> lm.truth["kind"], lm.truth["ports"]
('lateral_movement', [22, 445, 3389])
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from flowkit.synth.flows import concat, probes, sessions
from flowkit.synth.planting import DAY, Context, H, M, Planted, short_conns, truth

__all__ = ["Exfiltration", "LateralMovement", "ThreatIntel"]


@dataclass(frozen=True)
class Exfiltration:
    """A large upload from one host to an internet address it never used before."""

    id: str = "INC-05"
    actor: str = "app-2"
    destination: str = "104.244.76.13"
    port: int = 443
    at: timedelta = DAY + 3 * H + 5 * M
    duration: timedelta = 45 * M
    total_bytes: float = 3.0e9
    connections: int = 4
    nat: bool = True

    def plant(self, ctx: Context, tag: int) -> Planted:
        """Plant ``connections`` parallel uploads lasting ``duration``."""
        d, k = max(1, ctx.minute(self.duration)), self.connections
        conv = sessions(
            ctx.rng,
            minute=np.full(k, ctx.minute(self.at)) + np.arange(k) % 2,
            minutes=d,
            cli=ctx.addr(self.actor),
            srv=ctx.addr(self.destination),
            sport=self.port,
            rq_bpm=self.total_bytes / (k * d),
            rs_bpm=60000,
            horizon=ctx.horizon,
            nat=self.nat,
            tag=tag,
        )
        sent = int(conv["rq_b"].sum())
        story = f"""In the small hours {self.actor} opened {k} connections to an internet
            address ({self.destination}) on port {self.port} and uploaded about
            {sent / 1e9:.1f} GB in {d} minutes, far more than it ever sends anywhere; the replies
            were tiny."""
        return Planted(
            conv,
            truth(
                ctx,
                conv,
                id=self.id,
                kind="exfiltration",
                category="security",
                actor=self.actor,
                targets=[self.destination],
                ports=[self.port],
                story=story,
                evidence={"bytes_out": sent},
                params=self,
            ),
        )


@dataclass(frozen=True)
class LateralMovement:
    """A compromised host tries remote-administration ports on its neighbours."""

    id: str = "INC-06"
    actor: str = "app-2"
    targets: tuple[str, ...] = (
        "web-1",
        "web-2",
        "web-3",
        "app-1",
        "app-3",
        "db-pg-1",
        "infra-1",
        "win-admin-1",
        "etl-1",
    )
    ports: tuple[int, ...] = (22, 3389, 445)
    accepted: tuple[tuple[str, int], ...] = (
        ("app-1", 22),
        ("win-admin-1", 445),
        ("win-admin-1", 3389),
    )
    at: timedelta = DAY + 2 * H + 10 * M
    duration: timedelta = 25 * M
    tries: int = 2

    def plant(self, ctx: Context, tag: int) -> Planted:
        """Plant one attempt per (target, port); accepted pairs get a short exchange."""
        pairs = [(t, p) for t in self.targets for p in self.ports]
        n = len(pairs)
        minute = ctx.minute(self.at) + np.arange(n) * max(1, ctx.minute(self.duration)) // n
        ok = np.array([pair in self.accepted for pair in pairs])
        srv = np.array([ctx.addr(t) for t, _ in pairs])
        port = np.array([p for _, p in pairs])
        a = ctx.addr(self.actor)
        conv = concat(
            [
                probes(
                    ctx.rng,
                    minute=minute[~ok],
                    cli=a,
                    srv=srv[~ok],
                    sport=port[~ok],
                    horizon=ctx.horizon,
                    tries=self.tries,
                    tag=tag,
                ),
                short_conns(
                    ctx,
                    minute[ok],
                    a,
                    srv[ok],
                    port[ok],
                    rq=(3000, 9000),
                    rs=(4000, 20000),
                    tag=tag,
                ),
            ]
        )
        story = f"""{self.actor}, an application server that normally talks only to the data
            tier, AWS services and partner APIs, tried ports {", ".join(map(str, self.ports))} on
            {len(self.targets)} internal hosts within {ctx.minute(self.duration)} minutes. Most
            attempts were rejected by security groups; {int(ok.sum())} got through."""
        ev = {"attempts": n, "accepted": [[t, p] for t, p in pairs if (t, p) in self.accepted]}
        return Planted(
            conv,
            truth(
                ctx,
                conv,
                id=self.id,
                kind="lateral_movement",
                category="security",
                actor=self.actor,
                targets=list(self.targets),
                ports=list(self.ports),
                story=story,
                evidence=ev,
                params=self,
            ),
        )


@dataclass(frozen=True)
class ThreatIntel:
    """A host connects to an address on the bundled threat list."""

    id: str = "INC-07"
    actor: str = "web-3"
    indicator: str = "45.9.148.108"
    port: int = 443
    at: timedelta = 15 * H + 22 * M
    duration: timedelta = 6 * M
    connections: int = 5
    nat: bool = True

    def plant(self, ctx: Context, tag: int) -> Planted:
        """Plant ``connections`` short HTTPS connections spread over ``duration``."""
        k = self.connections
        minute = ctx.minute(self.at) + np.arange(k) * max(1, ctx.minute(self.duration)) // k
        conv = short_conns(
            ctx,
            minute,
            ctx.addr(self.actor),
            ctx.addr(self.indicator),
            self.port,
            rq=(600, 1500),
            rs=(20000, 90000),
            tag=tag,
            nat=self.nat,
        )
        story = f"""{self.actor} made {k} HTTPS connections to {self.indicator} over
            {ctx.minute(self.duration)} minutes and downloaded a few tens of kilobytes each
            time. The address is on the team's threat list."""
        return Planted(
            conv,
            truth(
                ctx,
                conv,
                id=self.id,
                kind="threat_intel",
                category="security",
                actor=self.actor,
                targets=[self.indicator],
                ports=[self.port],
                story=story,
                evidence={"connections": k},
                params=self,
            ),
        )
