"""Conversations (SiLK ``rwmatch`` for VPC Flow Logs): requests and replies paired.

A TCP connection is at least two records per capture window on every ENI that sees it (one per
direction), and a long one is split over many windows.  :func:`conversations` pairs requests
with replies and merges the windows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowkit.enrich.basic import protocol_names
from flowkit.enrich.names import service_codes
from flowkit.enrich.orientation import ORIENT_RULES
from flowkit.enrich.sides import orientation_of
from flowkit.errors import require_columns
from flowkit.times import utc_seconds

__all__ = ["connection_ids", "connection_runs", "conversations", "mix_keys"]

_C = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9))


def mix_keys(*keys: np.ndarray) -> np.ndarray:
    """A 64-bit hash of several integer keys: equal keys sort together.  (A collision only
    keeps two copies apart, which an exact comparison after sorting tolerates.)"""
    h = np.zeros(len(keys[0]), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k, c in zip(keys, _C, strict=False):
            h ^= k.astype(np.uint64) * c
            h ^= h >> np.uint64(29)
    return h


def connection_runs(
    k1: np.ndarray, k2: np.ndarray, t: np.ndarray, t_end: np.ndarray, idle_seconds: int = 120
) -> tuple[np.ndarray, np.ndarray]:
    """Records of one *connection*: the same two integer keys (e.g. the address pair and the
    ports with the protocol), seen again at most ``idle_seconds`` after the previous record
    ended; later, it is a new connection (client ports are reused).

    Returns the order that sorts the records by connection, then time, and the positions in
    that order where each connection starts.  The one connection model of flowkit: the
    detections' :meth:`flowkit.detect.view.View.conn`, compliance and handshake health use it.

    Examples
    --------
    >>> k = np.zeros(3, dtype=np.int64)
    >>> order, starts = connection_runs(k, k, np.array([0, 30, 4000]), np.array([20, 50, 4010]))
    >>> order.tolist(), starts.tolist()
    ([0, 1, 2], [0, 2])
    """
    if not len(t):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    # One sort key: the hash of the connection's keys in the high bits, the time in the low bits
    # (a hash collision can only split a connection in two).
    t0 = int(t.min())
    bits = max(1, (int(t.max()) - t0 + 1).bit_length())
    low = np.uint64((1 << bits) - 1)
    key = (mix_keys(k1, k2) & ~low) | (t - t0).astype(np.uint64)
    order = np.argsort(key)
    a, b, ts, te = k1[order], k2[order], t[order], t_end[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1]) | (ts[1:] - te[:-1] > idle_seconds)
    return order, np.flatnonzero(new)


def connection_ids(
    k1: np.ndarray, k2: np.ndarray, t: np.ndarray, t_end: np.ndarray, idle_seconds: int = 120
) -> np.ndarray:
    """The connection of each record (:func:`connection_runs`), as ids 0..n-1 in order.

    >>> k = np.zeros(3, dtype=np.int64)
    >>> connection_ids(k, k, np.array([0, 4000, 30]), np.array([20, 4010, 50])).tolist()
    [0, 1, 0]
    """
    order, starts = connection_runs(k1, k2, t, t_end, idle_seconds)
    new = np.zeros(len(order), dtype=np.int64)
    new[starts] = 1
    ids = np.empty(len(order), dtype=np.int64)
    ids[order] = np.cumsum(new) - 1
    return ids


def _factorize(values: np.ndarray) -> tuple[np.ndarray, int]:
    codes, uniques = pd.factorize(values, sort=False)
    return codes.astype(np.int64), len(uniques)


def _group_ids(parts: list[np.ndarray]) -> np.ndarray:
    """One id per distinct combination of the integer arrays (no overflow, by steps)."""
    gid, _ = _factorize(parts[0])
    for part in parts[1:]:
        codes, n = _factorize(part)
        gid, _ = _factorize(gid * n + codes)
    return gid


def _column(
    df: pd.DataFrame, name: str, rows: np.ndarray | None, dtype: type = np.int64
) -> np.ndarray:
    """A numeric column as a plain array (NA as 0), at ``rows`` if given."""
    if name not in df.columns:
        n = len(df) if rows is None else len(rows)
        return np.zeros(n, dtype=dtype)
    values = df[name].to_numpy(dtype=dtype, na_value=0)
    return values if rows is None else values[rows]


def _codes(cat: pd.Series) -> np.ndarray:
    return np.asarray(cat.cat.codes, dtype=np.int32)


def _protocol_categories() -> tuple[pd.Index, np.ndarray]:
    names = np.asarray(protocol_names(), dtype=object)
    cats, inverse = np.unique(names, return_inverse=True)
    return pd.Index(cats, dtype=object), inverse.astype(np.int32)


def _seconds(df: pd.DataFrame, name: str, rows: np.ndarray | None) -> np.ndarray:
    values = df[name].to_numpy(dtype="datetime64[s]").view(np.int64)
    return values if rows is None else values[rows]


def _at(values: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
    return values if rows is None else values[rows]


def conversations(df: pd.DataFrame, *, gap: int = 120) -> pd.DataFrame:
    """One row per conversation: request and reply records paired, consecutive windows merged.

    Records are grouped by ENI, protocol and the unordered pair of (packet-level address,
    port) ends; records of a group that follow each other with less than ``gap`` seconds
    between one window's end and the next one's start form one conversation.  NODATA and
    SKIPDATA records are left out.

    The initiator (client) of a group is the client of the orientation model
    (:mod:`flowkit.enrich.orientation`: the ``client_addr`` and ``orient_rule`` columns of an
    enriched frame, else computed) in the group's record decided by the strongest rule
    (``tcp-flags`` in any record beat a REJECT, which beats the ports...); when no record is
    decided, the source of the earliest record, an accepted record before a rejected one.

    Parameters
    ----------
    df : DataFrame
        Flow records (any format with addresses, ports, protocol, start and end).
    gap : int
        Largest silence, in seconds, inside one conversation.

    Returns
    -------
    DataFrame
        ``conversation_id``, ``interface_id``, ``protocol``, ``protocol_name``, ``initiator``,
        ``initiator_port``, ``responder``, ``service_port``, ``service``, ``first_seen``,
        ``last_seen``, ``records``, ``request_records``, ``reply_records``, ``packets_out``,
        ``bytes_out`` (initiator to responder), ``packets_in``, ``bytes_in``,
        ``request_action`` (ACCEPT if any request was accepted, else REJECT), ``reply_seen``
        and ``reply_rejected`` (a reply was rejected: the stateless network ACL case).

    Examples
    --------
    >>> import flowkit as fk
    >>> df = fk.parse_lines([
    ...     "2 1 eni-1 198.51.100.7 10.0.0.5 0 0 1 1 84 1700000000 1700000060 ACCEPT OK",
    ...     "2 1 eni-1 10.0.0.5 198.51.100.7 0 0 1 1 84 1700000000 1700000060 REJECT OK",
    ...     "2 1 eni-1 10.0.0.5 52.216.8.1 50000 443 6 10 900 1700000000 1700000060 ACCEPT OK",
    ...     "2 1 eni-1 52.216.8.1 10.0.0.5 443 50000 6 8 4000 1700000000 1700000060 ACCEPT OK",
    ...     "2 1 eni-1 10.0.0.5 52.216.8.1 50000 443 6 2 100 1700000060 1700000120 ACCEPT OK"])
    >>> c = fk.conversations(df)
    >>> c[["initiator", "responder", "service", "records"]].to_dict("records")[1]
    {'initiator': '10.0.0.5', 'responder': '52.216.8.1', 'service': 'https', 'records': 3}
    >>> c[["bytes_out", "bytes_in"]].to_dict("records")[1]
    {'bytes_out': 1000, 'bytes_in': 4000}
    >>> c[["protocol_name", "initiator", "reply_rejected"]].to_dict("records")[0]
    {'protocol_name': 'ICMP', 'initiator': '198.51.100.7', 'reply_rejected': True}
    """
    require_columns(
        df,
        ("srcaddr", "dstaddr", "srcport", "dstport", "protocol", "start", "end"),
        "fk.conversations",
    )
    valid = np.ones(len(df), dtype=bool)
    for col in ("srcaddr", "dstaddr", "srcport", "dstport", "protocol", "start", "end"):
        valid &= df[col].notna().to_numpy() if col in df.columns else False
    rows = None if valid.all() else np.flatnonzero(valid)  # None: every row, no copies
    n = len(df) if rows is None else len(rows)
    space, si, di, client_is_src, rule = orientation_of(df)
    src, dst = _at(space.codes[si], rows), _at(space.codes[di], rows)
    sport = _column(df, "srcport", rows, np.int32)
    dport = _column(df, "dstport", rows, np.int32)
    proto = _column(df, "protocol", rows, np.int32)
    eni_cat = df["interface_id"].astype("category") if "interface_id" in df else None
    eni = np.zeros(n, np.int32) if eni_cat is None else _at(_codes(eni_cat), rows)
    # --- flows: ENI, protocol and the unordered pair of (address, port) ends --------------
    ka = src.astype(np.int64) * 65536 + sport
    ends, n_ends = _factorize(np.r_[ka, dst.astype(np.int64) * 65536 + dport])
    del ka
    ends = ends.astype(np.int32)
    ea, eb = ends[:n], ends[n:]
    del ends
    src_is_lo = ea <= eb
    kind = eni.astype(np.int64) * 256 + proto
    present = np.bincount(kind) > 0 if n else np.zeros(1, bool)
    kind = (np.cumsum(present) - 1)[kind]  # dense (ENI, protocol) ids
    if int(present.sum()) * max(n_ends, 1) ** 2 < 2**62:  # one int64 key per flow
        gid, _ = _factorize((kind * n_ends + np.minimum(ea, eb)) * n_ends + np.maximum(ea, eb))
    else:
        gid = _group_ids([kind, np.minimum(ea, eb), np.maximum(ea, eb)])
    del ea, eb, kind
    # --- who starts: the strongest rule of the orientation model in the group, then time ---
    strength = np.where(_at(rule, rows) >= 0, _at(rule, rows), len(ORIENT_RULES)).astype(np.int64)
    lo_vote = src_is_lo == _at(client_is_src, rows)
    start, end = _seconds(df, "start", rows), _seconds(df, "end", rows)
    rejected = np.zeros(n, dtype=bool)
    if "action" in df.columns:
        act = df["action"].astype("category")
        if "REJECT" in act.cat.categories:
            rejected = _at(_codes(act), rows) == act.cat.categories.get_loc("REJECT")
    t0 = int(start.min()) if n else 0
    order = np.argsort((gid * (2**34) + (start - t0)) * 2 + rejected, kind="stable")
    gs = gid[order]
    first = np.r_[True, gs[1:] != gs[:-1]] if n else np.empty(0, bool)
    heads_of_groups = np.flatnonzero(first)
    best = (strength * 2 + ~lo_vote)[order]
    best = np.minimum.reduceat(best, heads_of_groups) if n else best[:0]
    time_lo_client = src_is_lo[order][first]
    lo_client = np.where(best // 2 < len(ORIENT_RULES), best % 2 == 0, time_lo_client)
    req = (src_is_lo == lo_client[gid])[order]
    del strength, lo_vote, best, time_lo_client, src_is_lo
    # --- merge windows ---------------------------------------------------------------------
    s_start, s_end = start[order], end[order]
    del start, end
    run_end = np.maximum.accumulate(gs * (2**34) + s_end) - gs * (2**34)
    new = first | (s_start > np.r_[0, run_end[:-1]] + gap)
    del run_end, gs, first
    heads = np.flatnonzero(new)
    nrec = len(new)
    del new
    # --- aggregate -------------------------------------------------------------------------
    ncv = len(heads)

    def total(values: np.ndarray) -> np.ndarray:
        if not ncv:
            return np.zeros(0, dtype=np.int64)
        return np.add.reduceat(values.astype(np.int64, copy=False), heads)

    packets = _column(df, "packets", rows, np.int64)[order]
    nbytes = _column(df, "bytes", rows, np.int64)[order]
    rej = rejected[order]
    o = order[heads]
    h_req = req[heads]
    client_addr, server_addr = np.where(h_req, src[o], dst[o]), np.where(h_req, dst[o], src[o])
    client_port = np.where(h_req, sport[o], dport[o])
    server_port = np.where(h_req, dport[o], sport[o])
    p = proto[o]
    tcp, udp, cats = service_codes()
    no_ports = (client_port == 0) & (server_port == 0)
    svc = np.where(p == 6, tcp[server_port], np.where(p == 17, udp[server_port], -1))
    svc = np.where(no_ports, -1, svc).astype(np.int32)
    n_req = total(req)
    n_rep = np.diff(np.r_[heads, nrec]) - n_req
    acc_req, rej_rep = total(req & ~rej), total(~req & rej)
    pnames, pcodes = _protocol_categories()
    action = np.where(acc_req > 0, 0, np.where(n_req > 0, 1, -1)).astype(np.int8)
    out = pd.DataFrame({
        "conversation_id": np.arange(ncv, dtype=np.int64),
        "interface_id": pd.Categorical.from_codes(
            eni[o], categories=eni_cat.cat.categories, validate=False
        ) if eni_cat is not None else pd.Categorical([None] * ncv),
        "protocol": pd.array(p.astype(np.uint8), dtype="UInt8"),
        "protocol_name": pd.Categorical.from_codes(pcodes[p], categories=pnames, validate=False),
        "initiator": space.categorical(client_addr),
        "initiator_port": pd.arrays.IntegerArray(client_port.astype(np.uint16), no_ports.copy()),
        "responder": space.categorical(server_addr),
        "service_port": pd.arrays.IntegerArray(server_port.astype(np.uint16), no_ports.copy()),
        "service": pd.Categorical.from_codes(svc, categories=cats, validate=False),
        "first_seen": utc_seconds(s_start[heads]),
        "last_seen": utc_seconds(np.maximum.reduceat(s_end, heads) if ncv else s_end[:0]),
        "records": n_req + n_rep,
        "request_records": n_req,
        "reply_records": n_rep,
        "packets_out": total(np.where(req, packets, 0)),
        "bytes_out": total(np.where(req, nbytes, 0)),
        "packets_in": total(np.where(req, 0, packets)),
        "bytes_in": total(np.where(req, 0, nbytes)),
        "request_action": pd.Categorical.from_codes(
            action, categories=pd.Index(["ACCEPT", "REJECT"], dtype=object), validate=False
        ),
        "reply_seen": n_rep > 0,
        "reply_rejected": rej_rep > 0,
    })  # fmt: skip
    return out
