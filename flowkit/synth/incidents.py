"""Planted security incidents: each a frozen dataclass holding every parameter it uses.

An incident's :meth:`plant` returns its conversations (tagged) and its ground-truth record.
Times are offsets from the start of the generated period, so a scenario works for any start
date; an incident that falls outside the period is left out.  Compliance, evidence and cost
incidents live in :mod:`flowkit.synth.hygiene`; the
second half of a compromise (exfiltration, lateral movement, threat intel) in
:mod:`flowkit.synth.compromise`.

Examples
--------
>>> from datetime import timedelta
>>> import numpy as np
>>> from flowkit.synth.estate import default_estate
>>> from flowkit.synth.incidents import PortScan
>>> from flowkit.synth.planting import Context
>>> ctx = Context(np.random.default_rng(0), default_estate(), t0=1_793_577_600, horizon=120)
>>> planted = PortScan(at=timedelta(minutes=30), ports=tuple(range(1, 101))).plant(ctx, tag=0)
>>> planted.truth["kind"], planted.truth["evidence"]["distinct_ports"]
('port_scan', 100)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from flowkit.synth.flows import concat, probes, sessions
from flowkit.synth.planting import DAY, Context, H, M, Planted, short_conns, truth
from flowkit.synth.traffic import OPEN_PORTS

__all__ = ["Beaconing", "PortScan", "PortSweep", "SshBruteForce"]


@dataclass(frozen=True)
class PortScan:
    """Vertical scan: one internet address probes many ports of one public host."""

    id: str = "INC-01"
    actor: str = "185.142.236.35"
    target: str = "bastion-1"
    at: timedelta = 7 * H + 14 * M
    duration: timedelta = 4 * M
    ports: tuple[int, ...] = tuple(range(1, 1025))

    def plant(self, ctx: Context, tag: int) -> Planted:
        """Plant the scan: a SYN per port; open ports answer and the scanner resets."""
        n = len(self.ports)
        minute = ctx.minute(self.at) + np.arange(n) * max(1, ctx.minute(self.duration)) // n
        ports = np.asarray(self.ports)[ctx.rng.permutation(n)]
        is_open = np.isin(ports, OPEN_PORTS.get(ctx.estate.eni(self.target).role, ()))
        a, t = ctx.addr(self.actor), ctx.addr(self.target)
        conv = concat(
            [
                probes(
                    ctx.rng,
                    minute=minute[~is_open],
                    cli=a,
                    srv=t,
                    sport=ports[~is_open],
                    horizon=ctx.horizon,
                    tag=tag,
                ),
                short_conns(
                    ctx,
                    minute[is_open],
                    a,
                    t,
                    ports[is_open],
                    rq=(100, 140),
                    rs=(58, 60),
                    tag=tag,
                    flags=(6, 18),
                ),
            ]
        )
        story = f"""At {ctx.iso(ctx.t0 + minute[0] * 60)[11:16]} UTC an internet address
            ({self.actor}) sent one connection attempt to each of {n} TCP ports of
            {self.target} within {ctx.minute(self.duration)} minutes. The security group dropped
            all of them except {", ".join(map(str, sorted(ports[is_open]))) or "none"}, which
            answered; the scanner reset those connections at once. Nothing followed from this
            address."""
        ev = {
            "distinct_ports": len(np.unique(ports)),
            "open_ports": sorted(int(p) for p in ports[is_open]),
        }
        return Planted(
            conv,
            truth(
                ctx,
                conv,
                id=self.id,
                kind="port_scan",
                category="security",
                actor=self.actor,
                targets=[self.target],
                ports=list(self.ports),
                story=story,
                evidence=ev,
                params=self,
            ),
        )


@dataclass(frozen=True)
class PortSweep:
    """Horizontal sweep: one internet address probes one port on every public-facing ENI."""

    id: str = "INC-02"
    actor: str = "92.118.39.82"
    targets: tuple[str, ...] = (
        "alb-a",
        "alb-b",
        "alb-c",
        "bastion-1",
        "vpn-1",
        "ftp-legacy-1",
        "analytics-db-1",
    )
    port: int = 3389
    at: timedelta = 13 * H + 41 * M
    duration: timedelta = 3 * M
    tries: int = 2

    def plant(self, ctx: Context, tag: int) -> Planted:
        """Plant the sweep: ``tries`` SYNs to each target, all dropped."""
        n = len(self.targets)
        minute = ctx.minute(self.at) + np.arange(n) * max(1, ctx.minute(self.duration)) // n
        srv = np.array([ctx.addr(t) for t in self.targets])
        conv = probes(
            ctx.rng,
            minute=minute,
            cli=ctx.addr(self.actor),
            srv=srv,
            sport=self.port,
            horizon=ctx.horizon,
            tries=self.tries,
            tag=tag,
        )
        story = f"""An internet address ({self.actor}) tried TCP port {self.port} on every
            public-facing interface of the VPC ({n} of them), {self.tries} SYNs each, within
            {ctx.minute(self.duration)} minutes. All were rejected. A sweep like this looks for
            one exposed service across many hosts."""
        return Planted(
            conv,
            truth(
                ctx,
                conv,
                id=self.id,
                kind="port_sweep",
                category="security",
                actor=self.actor,
                targets=list(self.targets),
                ports=[self.port],
                story=story,
                evidence={"distinct_targets": n},
                params=self,
            ),
        )


@dataclass(frozen=True)
class SshBruteForce:
    """Password guessing against SSH that eventually gets in, then pivots inside."""

    id: str = "INC-03"
    actor: str = "103.77.192.14"
    target: str = "bastion-1"
    at: timedelta = 22 * H + 35 * M
    duration: timedelta = 50 * M
    attempts_per_minute: float = 12.0
    session: timedelta = 35 * M
    pivot_to: str | None = "app-2"
    pivot_after: timedelta = 11 * M
    pivot_duration: timedelta = 20 * M

    def plant(self, ctx: Context, tag: int) -> Planted:
        """Plant many short SSH connections, one long session, and an SSH hop to the pivot."""
        m0, d = ctx.minute(self.at), max(1, ctx.minute(self.duration))
        counts = ctx.rng.poisson(self.attempts_per_minute, d)
        minute = m0 + np.repeat(np.arange(d), counts)
        a, t = ctx.addr(self.actor), ctx.addr(self.target)
        parts = [short_conns(ctx, minute, a, t, 22, rq=(2100, 3300), rs=(2700, 3900), tag=tag)]
        win = m0 + d
        parts.append(
            sessions(
                ctx.rng,
                minute=[win],
                minutes=[ctx.minute(self.session)],
                cli=a,
                srv=t,
                sport=22,
                rq_bpm=12000,
                rs_bpm=45000,
                horizon=ctx.horizon,
                tag=tag,
            )
        )
        targets = [self.target]
        if self.pivot_to:
            parts.append(
                sessions(
                    ctx.rng,
                    minute=[win + ctx.minute(self.pivot_after)],
                    minutes=[ctx.minute(self.pivot_duration)],
                    cli=t,
                    srv=ctx.addr(self.pivot_to),
                    sport=22,
                    rq_bpm=8000,
                    rs_bpm=30000,
                    horizon=ctx.horizon,
                    tag=tag,
                )
            )
            targets.append(self.pivot_to)
        conv = concat(parts)
        story = f"""From {ctx.iso(ctx.t0 + m0 * 60)[11:16]} UTC an internet address
            ({self.actor}) opened {len(minute)} short SSH connections to {self.target} over
            {d} minutes, each a few kilobytes: password guessing. Then the pattern changed: one
            connection from the same address stayed open for {ctx.minute(self.session)} minutes
            and carried far more data: a login that worked."""
        if self.pivot_to:
            story += f""" During that session {self.target} opened an SSH session to
                {self.pivot_to}, at an hour when no administrator was working."""
        ev = {
            "attempts": len(minute),
            "success_at": ctx.iso(ctx.t0 + win * 60),
            "pivot_to": self.pivot_to,
        }
        return Planted(
            conv,
            truth(
                ctx,
                conv,
                id=self.id,
                kind="ssh_brute_force",
                category="security",
                actor=self.actor,
                targets=targets,
                ports=[22],
                story=story,
                evidence=ev,
                params=self,
            ),
        )


@dataclass(frozen=True)
class Beaconing:
    """A compromised host calls home on a fixed period with jitter."""

    id: str = "INC-04"
    actor: str = "app-2"
    c2: str = "80.66.88.207"
    port: int = 443
    at: timedelta = DAY + 3 * M
    period: timedelta = timedelta(seconds=300)
    jitter: float = 0.15
    until: timedelta | None = None
    request_bytes: tuple[int, int] = (700, 1200)
    response_bytes: tuple[int, int] = (1200, 2100)
    nat: bool = True

    def plant(self, ctx: Context, tag: int) -> Planted:
        """Plant one small HTTPS exchange every ``period`` (+- ``jitter``) until ``until``."""
        stop = ctx.horizon * 60 - 60 if self.until is None else self.until.total_seconds()
        p = self.period.total_seconds()
        n = max(0, int((stop - self.at.total_seconds()) // (p * (1 - self.jitter))) + 1)
        gaps = p * (1 + ctx.rng.uniform(-self.jitter, self.jitter, n))
        t = (self.at.total_seconds() + np.concatenate([[0.0], np.cumsum(gaps)[:-1]])).astype(int)
        t = t[t < stop]
        conv = short_conns(
            ctx,
            t // 60,
            ctx.addr(self.actor),
            ctx.addr(self.c2),
            self.port,
            rq=self.request_bytes,
            rs=self.response_bytes,
            tag=tag,
            nat=self.nat,
        )
        conv["off"], conv["span"] = t % 60, np.minimum(1, 59 - t % 60)
        story = f"""{self.actor} began calling an internet address ({self.c2}) on port
            {self.port} about every {int(p)} seconds, give or take {int(self.jitter * 100)} %,
            each time sending and receiving about a kilobyte, day and night. No other host talks
            to that address. A regular rhythm with no human pattern is how implants check in
            with their command server."""
        ev = {"beacons": len(t), "period_s": p, "jitter": self.jitter}
        return Planted(
            conv,
            truth(
                ctx,
                conv,
                id=self.id,
                kind="beaconing",
                category="security",
                actor=self.actor,
                targets=[self.c2],
                ports=[self.port],
                story=story,
                evidence=ev,
                params=self,
            ),
        )
