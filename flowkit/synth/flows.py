"""Conversations and their flow-log records, as columns of numpy arrays.

A *conversation table* holds one row per connection per capture minute: client, server, ports,
protocol, request and response packets/bytes/tcp-flags, the server's verdict, and whether it
went through the NAT gateway.  :func:`expand` turns it into VPC Flow Logs records with the real
semantics: unidirectional records, one set per ENI that sees the traffic (both ENIs of east-west
traffic; four legs on the NAT gateway ENI with ``pkt-*`` addresses), tcp-flags of request and
response, REJECT on the server's ENI only, and the ``flow-direction``/``traffic-path`` of each.

Examples
--------
>>> import numpy as np
>>> from flowkit.synth.estate import default_estate
>>> from flowkit.synth.flows import expand, sessions
>>> estate = default_estate()
>>> rng = np.random.default_rng(0)
>>> conv = sessions(rng, minute=[0], minutes=[1], cli=[estate.ip("app-1")],
...                 srv=[estate.ip("db-pg-1")], sport=5432, rq_bpm=2000, rs_bpm=9000, horizon=10)
>>> rec = expand(estate, conv, t0=0)
>>> len(rec["eni"]), sorted(rec["flags"].tolist())
(4, [3, 3, 19, 19])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from flowkit.synth.estate import AWS_SERVICE_RANGES, Estate, ips_in

__all__ = ["CONV_COLUMNS", "REC_COLUMNS", "concat", "expand", "make", "probes", "sessions"]

Table = dict[str, np.ndarray]
ArrayLike = Sequence[Any] | np.ndarray | int | float

#: Columns of a conversation table and their defaults.
CONV_COLUMNS: dict[str, int] = {
    "minute": 0,
    "off": 0,
    "span": 0,
    "cli": 0,
    "srv": 0,
    "cport": 0,
    "sport": 0,
    "proto": 6,
    "rq_p": 1,
    "rq_b": 0,
    "rs_p": 0,
    "rs_b": 0,
    "rq_f": 0,
    "rs_f": 0,
    "accept": 1,
    "reply": 1,
    "nat": 0,
    "natport": 0,
    "tag": -1,
}
#: Columns of a record table (``action``: 1 ACCEPT, 0 REJECT, -1 none; ``status``: 0 OK,
#: 1 NODATA, 2 SKIPDATA; ``direction``: 0 ingress, 1 egress; ``path`` 0 means ``-``).
REC_COLUMNS = (
    "eni",
    "src",
    "dst",
    "srcport",
    "dstport",
    "proto",
    "pkts",
    "bytes",
    "start",
    "end",
    "action",
    "status",
    "flags",
    "psrc",
    "pdst",
    "direction",
    "path",
    "tag",
)


def make(n: int, cols: dict[str, ArrayLike]) -> Table:
    """Build a conversation table of ``n`` rows; scalars broadcast, missing columns default.

    >>> t = make(2, {"cli": 1, "srv": [5, 6]})
    >>> t["srv"].tolist(), t["proto"].tolist()
    ([5, 6], [6, 6])
    """
    out: Table = {}
    for name, default in CONV_COLUMNS.items():
        value = cols.get(name, default)
        arr = np.broadcast_to(np.asarray(value, dtype=np.int64), (n,)).copy()
        out[name] = arr
    unknown = set(cols) - set(CONV_COLUMNS)
    if unknown:
        raise KeyError(f"unknown conversation columns: {sorted(unknown)}")
    return out


def concat(parts: Sequence[Table], columns: Sequence[str] | None = None) -> Table:
    """Concatenate tables with the same columns (empty list: an empty conversation table).

    >>> len(concat([make(2, {}), make(3, {})])["cli"]), len(concat([])["cli"])
    (5, 0)
    """
    names = list(columns) if columns is not None else list(CONV_COLUMNS)
    if not parts:
        return {c: np.zeros(0, dtype=np.int64) for c in names}
    return {c: np.concatenate([p[c] for p in parts]) for c in names}


def take(table: Table, mask: np.ndarray) -> Table:
    """Return the rows of a table where ``mask`` holds.

    >>> take(make(3, {"srv": [1, 2, 3]}), np.array([True, False, True]))["srv"].tolist()
    [1, 3]
    """
    return {k: v[mask] for k, v in table.items()}


def packets_for(rng: np.random.Generator, nbytes: np.ndarray, size: float = 900.0) -> np.ndarray:
    """Packets that carry ``nbytes``: at least one, about ``size`` bytes each.

    >>> p = packets_for(np.random.default_rng(0), np.array([10, 90_000]), size=900.0)
    >>> int(p[0]), 60 <= int(p[1]) <= 170
    (1, True)
    """
    per = rng.uniform(0.6 * size, 1.4 * size, len(nbytes))
    return np.maximum(1, np.ceil(nbytes / per)).astype(np.int64)


def sessions(
    rng: np.random.Generator,
    *,
    minute: ArrayLike,
    minutes: ArrayLike,
    cli: ArrayLike,
    srv: ArrayLike,
    sport: ArrayLike,
    rq_bpm: ArrayLike,
    rs_bpm: ArrayLike,
    horizon: int,
    proto: int = 6,
    cport: ArrayLike | None = None,
    nat: bool | ArrayLike = False,
    flags: tuple[int, int] | None = None,
    tag: int = -1,
) -> Table:
    """Expand connections lasting whole minutes into one conversation row per minute.

    ``rq_bpm``/``rs_bpm`` are request/response bytes per full minute (jittered).  TCP flags
    follow AWS: a connection inside one window is 3 (SYN|FIN) / 19 (SYN-ACK|FIN); a longer one
    is 2 / 18 in its first window, 0 / 0 in between and 1 / 1 in its last.  ``flags`` overrides
    the request/response flags of every row.  Rows at or after ``horizon`` are dropped.

    >>> t = sessions(np.random.default_rng(0), minute=[0], minutes=[3], cli=1, srv=2, sport=22,
    ...              rq_bpm=6000, rs_bpm=20000, horizon=60)
    >>> t["minute"].tolist(), t["rq_f"].tolist(), t["rs_f"].tolist()
    ([0, 1, 2], [2, 0, 1], [18, 0, 1])
    """
    minute_a = np.atleast_1d(np.asarray(minute, dtype=np.int64))
    n = len(minute_a)

    def col(v: ArrayLike) -> np.ndarray:
        return np.broadcast_to(np.asarray(v, dtype=np.int64), (n,))

    dur = np.maximum(1, col(minutes))
    idx = np.repeat(np.arange(n), dur)
    k = np.arange(len(idx)) - np.repeat(np.cumsum(dur) - dur, dur)
    first, last = k == 0, k == dur[idx] - 1
    rows = len(idx)
    off = np.where(first, rng.integers(0, 50, rows), 0)
    span = np.where(last, rng.integers(0, 60, rows) * (59 - off) // 60, 59 - off)
    # a connection inside one window carries its whole size; longer ones a share per minute
    frac = np.where(first & last, 1.0, (span + 1) / 60.0)
    rq_b = np.maximum(40, col(rq_bpm)[idx] * frac * rng.uniform(0.7, 1.3, rows)).astype(np.int64)
    rs_b = np.maximum(40, col(rs_bpm)[idx] * frac * rng.uniform(0.7, 1.3, rows)).astype(np.int64)
    rq_p, rs_p = packets_for(rng, rq_b, 600.0), packets_for(rng, rs_b, 1200.0)
    if proto == 6 and flags is None:
        rq_f = np.select([first & last, first, last], [3, 2, 1], 0)
        rs_f = np.select([first & last, first, last], [19, 18, 1], 0)
    elif flags is not None:
        rq_f, rs_f = np.full(rows, flags[0]), np.full(rows, flags[1])
    else:
        rq_f = rs_f = np.zeros(rows, dtype=np.int64)
    cports = col(cport)[idx] if cport is not None else rng.integers(32768, 61000, n)[idx]
    table = make(
        rows,
        {
            "minute": minute_a[idx] + k,
            "off": off,
            "span": span,
            "cli": col(cli)[idx],
            "srv": col(srv)[idx],
            "cport": cports,
            "sport": col(sport)[idx],
            "proto": proto,
            "rq_p": rq_p,
            "rq_b": rq_b,
            "rs_p": rs_p,
            "rs_b": rs_b,
            "rq_f": rq_f,
            "rs_f": rs_f,
            "nat": col(nat)[idx],
            "natport": rng.integers(1024, 65535, n)[idx],
            "tag": tag,
        },
    )
    return take(table, (table["minute"] >= 0) & (table["minute"] < horizon))


def probes(
    rng: np.random.Generator,
    *,
    minute: ArrayLike,
    cli: ArrayLike,
    srv: ArrayLike,
    sport: ArrayLike,
    horizon: int,
    proto: int = 6,
    tries: int = 1,
    tag: int = -1,
) -> Table:
    """Connection attempts the server's security group drops: SYNs with no response.

    >>> t = probes(np.random.default_rng(0), minute=[4, 5], cli=1, srv=2, sport=[23, 25],
    ...            horizon=60, tries=2)
    >>> t["accept"].tolist(), t["reply"].tolist(), t["rq_p"].tolist(), t["rq_f"].tolist()
    ([0, 0], [0, 0], [2, 2], [2, 2])
    """
    minute_a = np.atleast_1d(np.asarray(minute, dtype=np.int64))
    n = len(minute_a)
    pk = np.full(n, tries, dtype=np.int64)
    size = 44 if proto == 6 else 60
    table = make(
        n,
        {
            "minute": minute_a,
            "off": rng.integers(0, 58, n),
            "span": rng.integers(0, 2, n),
            "cli": cli,
            "srv": srv,
            "cport": rng.integers(32768, 61000, n),
            "sport": sport,
            "proto": proto,
            "rq_p": pk,
            "rq_b": pk * size,
            "rq_f": 2 if proto == 6 else 0,
            "accept": 0,
            "reply": 0,
            "tag": tag,
        },
    )
    return take(table, (table["minute"] >= 0) & (table["minute"] < horizon))


def _records(n: int, cols: dict[str, Any]) -> Table:
    out: Table = {}
    for name in REC_COLUMNS:
        out[name] = np.broadcast_to(np.asarray(cols.get(name, 0), dtype=np.int64), (n,)).copy()
    return out


def expand(estate: Estate, conv: Table, t0: int) -> Table:
    """Turn a conversation table into flow-log records on every ENI that sees each flow.

    ``t0`` is the epoch second of minute 0.  NAT-routed rows must have an internal client and
    an external server.
    """
    tbl = estate.table()
    ips = tbl["ip"]
    order = np.argsort(ips)

    def lookup(addr: np.ndarray) -> np.ndarray:
        pos = np.clip(np.searchsorted(ips[order], addr), 0, len(ips) - 1)
        hit = ips[order][pos] == addr
        return np.where(hit, order[pos], -1)

    c = conv
    ce, se = lookup(c["cli"]), lookup(c["srv"])
    start = t0 + c["minute"] * 60 + c["off"]
    end = start + c["span"]
    nat = c["nat"].astype(bool) & (ce >= 0) & (se < 0)
    reply = c["reply"].astype(bool)
    ok = c["accept"].astype(bool)
    aws_svc = _is_aws_service(c["srv"])
    base: dict[str, Any] = {
        "proto": c["proto"],
        "start": start,
        "end": end,
        "status": 0,
        "tag": c["tag"],
    }
    req = {**base, "pkts": c["rq_p"], "bytes": c["rq_b"], "flags": c["rq_f"]}
    rsp = {**base, "pkts": c["rs_p"], "bytes": c["rs_b"], "flags": c["rs_f"]}
    fwd = {
        "src": c["cli"],
        "dst": c["srv"],
        "srcport": c["cport"],
        "dstport": c["sport"],
        "psrc": c["cli"],
        "pdst": c["srv"],
    }
    back = {
        "src": c["srv"],
        "dst": c["cli"],
        "srcport": c["sport"],
        "dstport": c["cport"],
        "psrc": c["srv"],
        "pdst": c["cli"],
    }
    n = len(start)
    out_path = np.where(nat | (se >= 0), 1, np.where(aws_svc, 7, 8))
    parts = [
        # client ENI: its request leaves (egress), the response arrives (ingress)
        (ce >= 0, {**req, **fwd, "eni": ce, "action": 1, "direction": 1, "path": out_path}),
        ((ce >= 0) & reply, {**rsp, **back, "eni": ce, "action": 1, "direction": 0}),
        # server ENI: the request arrives (its security group decides), the response leaves
        (se >= 0, {**req, **fwd, "eni": se, "action": ok, "direction": 0}),
        (
            (se >= 0) & reply & ok,
            {
                **rsp,
                **back,
                "eni": se,
                "action": 1,
                "direction": 1,
                "path": np.where(ce >= 0, 1, 8),
            },
        ),
    ]
    if nat.any():
        ne = estate.index(estate.nat)
        nip = ips[ne]
        legs = [
            (
                {
                    **req,
                    "src": c["cli"],
                    "dst": nip,
                    "srcport": c["cport"],
                    "dstport": c["sport"],
                    "psrc": c["cli"],
                    "pdst": c["srv"],
                    "direction": 0,
                },
                nat,
            ),
            (
                {
                    **req,
                    "src": nip,
                    "dst": c["srv"],
                    "srcport": c["natport"],
                    "dstport": c["sport"],
                    "psrc": nip,
                    "pdst": c["srv"],
                    "direction": 1,
                    "path": 8,
                },
                nat,
            ),
            (
                {
                    **rsp,
                    "src": c["srv"],
                    "dst": nip,
                    "srcport": c["sport"],
                    "dstport": c["natport"],
                    "psrc": c["srv"],
                    "pdst": nip,
                    "direction": 0,
                },
                nat & reply,
            ),
            (
                {
                    **rsp,
                    "src": nip,
                    "dst": c["cli"],
                    "srcport": c["sport"],
                    "dstport": c["cport"],
                    "psrc": c["srv"],
                    "pdst": c["cli"],
                    "direction": 1,
                    "path": 1,
                },
                nat & reply,
            ),
        ]
        parts += [(mask, {**leg, "eni": ne, "action": 1}) for leg, mask in legs]
    built = []
    for mask, cols in parts:
        mask = np.broadcast_to(np.asarray(mask, dtype=bool), (n,))
        full = _records(n, cols)
        built.append({k: v[mask] for k, v in full.items()})
    return concat(built, REC_COLUMNS)


def _is_aws_service(addr: np.ndarray) -> np.ndarray:
    hit = np.zeros(len(addr), dtype=bool)
    for cidr, _ in AWS_SERVICE_RANGES:
        hit |= ips_in(addr, cidr)
    return hit


def status_records(eni: np.ndarray, start: np.ndarray, status: int) -> Table:
    """NODATA (``status`` 1) or SKIPDATA (2) records: one capture window each, no flow fields.

    >>> r = status_records(np.array([3]), np.array([1_793_577_600]), 1)
    >>> r["eni"].tolist(), (r["end"] - r["start"]).tolist(), r["action"].tolist()
    ([3], [58], [-1])
    """
    n = len(eni)
    return _records(
        n,
        {"eni": eni, "start": start, "end": start + 58, "status": status, "action": -1, "tag": -1},
    )
