"""What incidents plant into (:class:`Context`), what they return (:class:`Planted`), and the
helpers they share: short connections and the ground-truth record.

Examples
--------
>>> import numpy as np
>>> from flowkit.synth.estate import default_estate
>>> ctx = Context(np.random.default_rng(0), default_estate(), t0=1_793_577_600, horizon=60)
>>> ctx.iso(ctx.t0), ctx.addr("web-1") == ctx.addr("10.0.10.11")
('2026-11-02T00:00:00Z', True)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from flowkit.synth.estate import Estate, ip_int
from flowkit.synth.flows import Table, expand, make, take

__all__ = ["DAY", "Context", "H", "M", "Planted", "short_conns", "truth"]

H, M = timedelta(hours=1), timedelta(minutes=1)
DAY = timedelta(days=1)


@dataclass
class Context:
    """What every incident plants into: random state, estate, epoch of minute 0, length."""

    rng: np.random.Generator
    estate: Estate
    t0: int
    horizon: int

    def minute(self, at: timedelta) -> int:
        """Minute index of an offset from the start."""
        return int(at.total_seconds() // 60)

    def addr(self, who: str) -> int:
        """Integer address of an ENI name or a dotted address."""
        return self.estate.ip(who) if not who[0].isdigit() else ip_int(who)

    def iso(self, epoch: int) -> str:
        """UTC ISO time of an epoch second."""
        return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Planted:
    """What an incident planted: conversations, ground truth, and an optional logging gap."""

    conv: Table
    truth: dict[str, Any]
    gap: tuple[int, int, int] | None = None  # (ENI position, first minute, end minute)


def short_conns(
    ctx: Context,
    minute: np.ndarray,
    cli: Any,
    srv: Any,
    port: Any,
    *,
    rq: tuple[int, int],
    rs: tuple[int, int],
    tag: int,
    proto: int = 6,
    nat: bool = False,
    flags: tuple[int, int] = (3, 19),
) -> Table:
    """Connections that open and close inside one capture window, with sizes drawn uniformly."""
    r, n = ctx.rng, len(minute)
    rq_b, rs_b = r.integers(*rq, n), r.integers(*rs, n)
    off = r.integers(0, 50, n)
    t = make(
        n,
        {
            "minute": minute,
            "off": off,
            "span": r.integers(1, 9, n),
            "cli": cli,
            "srv": srv,
            "cport": r.integers(32768, 61000, n),
            "sport": port,
            "proto": proto,
            "rq_p": np.maximum(2, rq_b // 180),
            "rq_b": rq_b,
            "rs_p": np.maximum(2, rs_b // 200),
            "rs_b": rs_b,
            "rq_f": flags[0] if proto == 6 else 0,
            "rs_f": flags[1] if proto == 6 else 0,
            "nat": int(nat),
            "natport": r.integers(1024, 65535, n),
            "tag": tag,
        },
    )
    return take(t, (t["minute"] >= 0) & (t["minute"] < ctx.horizon))


def truth(
    ctx: Context,
    conv: Table,
    *,
    id: str,
    kind: str,
    category: str,
    actor: str,
    targets: list[str],
    ports: list[int],
    story: str,
    evidence: dict[str, Any],
    params: object,
) -> dict[str, Any]:
    """The ground-truth record of planted conversations (times and ENIs from the records)."""
    rec = expand(ctx.estate, conv, ctx.t0)
    enis = sorted({int(i) for i in rec["eni"]})
    names = {e.ip: e.name for e in ctx.estate.enis}

    def addr(x: str) -> str:
        return ctx.estate.eni(x).ip if not x[0].isdigit() else x

    return {
        "id": id,
        "kind": kind,
        "category": category,
        "actor": addr(actor),
        "actor_name": names.get(addr(actor)),
        "targets": [addr(t) for t in targets],
        "target_names": [names.get(addr(t)) for t in targets],
        "ports": sorted(ports),
        "first": ctx.iso(int(rec["start"].min())) if len(rec["start"]) else None,
        "last": ctx.iso(int(rec["end"].max())) if len(rec["end"]) else None,
        "enis": [ctx.estate.enis[i].eni_id for i in enis],
        "eni_names": [ctx.estate.enis[i].name for i in enis],
        "records": len(rec["eni"]),
        "story": " ".join(story.split()),
        "evidence": evidence,
        "parameters": _jsonable(asdict(params)),  # type: ignore[call-overload]
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
