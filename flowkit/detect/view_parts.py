"""The detections' view in parts: one frame's (or Dask partition's) records, then the view.

:func:`flowkit.detect.view.build_view` is ``view_finish([view_part(df)])``; on a Dask frame it
is ``view_finish`` of every partition's ``view_part`` (:func:`flowkit.engine.run`).
A part holds its records as the view's integer columns with its own address codes, each
record already oriented (the enrichment's client, or the one orientation model's with the
frame-wide facts); what needs the whole frame is done when the parts meet in
:func:`view_finish`: the address codes (all addresses, sorted), the interfaces that translate
addresses (their untranslated legs are dropped), and the collapse of copies of one flow seen
on several ENIs.  Collapsing is associative (min, max, logical and on the same key), so a part
may collapse its own copies first.

Examples
--------
>>> import flowkit as fk
>>> lines = ["2 1 eni-a 10.0.1.5 10.0.2.9 40000 22 6 5 400 1700000000 1700000030 ACCEPT OK",
...          "2 1 eni-b 10.0.1.5 10.0.2.9 40000 22 6 5 400 1700000000 1700000030 ACCEPT OK"]
>>> parts = [view_part(fk.parse_lines([line])) for line in lines]
>>> v = view_finish(parts)  # the two ENIs' copies of one record are one flow
>>> len(v.rec), v.name(v.rec["cli"]).tolist()
(1, ['10.0.1.5'])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from flowkit.detect.view_table import (
    NOT_SERVICE,
    View,
    int_column,
    pair_key,
    port_key,
    seconds_column,
)
from flowkit.enrich.addresses import AddressSpace
from flowkit.enrich.aws import ip_ranges
from flowkit.enrich.conversation_pairs import mix_keys
from flowkit.enrich.facts import DirectionFacts
from flowkit.enrich.middlebox import translated, translating
from flowkit.enrich.scope import inside
from flowkit.enrich.sides import orientation_of

__all__ = ["ViewPart", "view_finish", "view_part"]


def _dedupe(
    cols: dict[str, np.ndarray], n_addr: int, apart: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Collapse copies of one record seen on several ENIs (same minute): max counters, any
    REJECT wins.  Rows of different ``apart`` values (small non-negative ints) stay apart.

    The rows come back in a canonical order: by minute, then by a hash of the flow's values
    (the same rows in any input order give the same output)."""
    if not len(cols["t"]):
        return cols
    k1 = pair_key(cols["cli"], cols["srv"], n_addr)
    minute = cols["t"] // 60
    minute = minute - minute.min()
    if apart is not None:
        minute = minute + apart.astype(np.int64) * (int(minute.max()) + 1)
    k2 = (port_key(cols["cport"], cols["sport"], cols["proto"]) << 1) | cols["req"]
    order = _minute_then_hash(minute, mix_keys(k1, k2))
    k1, k2, minute = k1[order], k2[order], minute[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (k1[1:] != k1[:-1]) | (k2[1:] != k2[:-1]) | (minute[1:] != minute[:-1])
    starts = np.flatnonzero(new)
    if len(starts) == len(order):
        return {name: values[order] for name, values in cols.items()}
    out: dict[str, np.ndarray] = {}
    first = order[starts]
    for name, values in cols.items():
        if name == "t":
            out[name] = np.minimum.reduceat(values[order], starts)
        elif name in ("t_end", "pkts", "bytes", "flags"):
            out[name] = np.maximum.reduceat(values[order], starts)
        elif name == "accept":
            out[name] = np.logical_and.reduceat(values[order], starts)
        else:
            out[name] = values[first]
    return out


def _minute_then_hash(minute: np.ndarray, hashed: np.ndarray) -> np.ndarray:
    """The order by minute (non-negative), then hash: one sort of one 64-bit key (the minute in
    the high bits, the hash's high bits below it); a hash collision only keeps two copies of
    a flow apart, which the exact comparison after sorting tolerates."""
    bits = max(int(minute.max()).bit_length(), 1) if len(minute) else 1
    if bits > 40:  # a very long span: two keys
        return np.lexsort((hashed, minute))
    key = (minute.astype(np.uint64) << np.uint64(64 - bits)) | (hashed >> np.uint64(bits))
    return np.argsort(key)


@dataclass(frozen=True)
class ViewPart:
    """One frame's (or Dask partition's) records as the view's integer columns.

    ``rows`` has the view's columns, with ``cli``/``srv`` codes into ``addresses`` (this
    part's addresses, sorted), plus ``eni`` (the row's position in ``enis``; -1 when it is
    kept whatever the other parts hold).
    ``boxes`` are the interfaces ("" for none) seen translating addresses here.
    """

    rows: pd.DataFrame
    addresses: np.ndarray
    enis: np.ndarray
    boxes: np.ndarray


def _interface_codes(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Codes of ``interface_id`` into its sorted distinct values ("" for none)."""
    cat = df["interface_id"].astype("category")
    names = np.append(np.asarray(cat.cat.categories, dtype=object).astype(str), "")
    codes = np.asarray(cat.cat.codes, dtype=np.int64)  # -1 (none): the last name, ""
    present = np.zeros(len(names), dtype=bool)
    present[codes] = True
    present[-1] = bool((codes < 0).any())
    kept = np.flatnonzero(present)
    order = np.argsort(names[kept], kind="stable")
    remap = np.full(len(names), -1, dtype=np.int64)
    remap[kept[order]] = np.arange(len(kept))
    return remap[codes], names[kept][order]


_COLUMNS = ("t", "t_end", "cli", "srv", "cport", "sport", "proto", "req", "pkts", "bytes",
            "accept", "flags")  # fmt: skip


def view_part(
    df: pd.DataFrame, *, collapse: bool = True, facts: DirectionFacts | None = None
) -> ViewPart:
    """The :class:`ViewPart` of one frame; parts of several frames (Dask partitions) combine
    exactly in :func:`view_finish`.

    The client of each record is the enrichment's (``client_addr``, ``orient_rule``) when the
    frame has it, else the one orientation model's with ``facts`` (those of the whole frame
    this one is part of; default the frame's own): :func:`flowkit.enrich.sides.orientation_of`.
    A record no rule orients takes the lower address (as text) as client, so both directions
    of its conversation meet.  With ``collapse``, records are de-duplicated among themselves
    already (by ENI where a NAT's untranslated leg might still have to be dropped): less to
    send, the same view.
    """
    n = len(df)
    space, si, di, client, rule = orientation_of(df, facts)
    src, dst = space.codes[si].astype(np.int64), space.codes[di].astype(np.int64)
    use = (src >= 0) & (dst >= 0)
    used = np.zeros(len(space.uniques) + 1, dtype=bool)
    used[src[use]] = True
    used[dst[use]] = True
    uniques = np.asarray(space.uniques, dtype=object)[used[:-1]]
    order = np.argsort(uniques) if len(uniques) else np.zeros(0, dtype=np.int64)
    remap = np.full(len(space.uniques) + 1, -1, dtype=np.int64)
    remap[np.flatnonzero(used[:-1])[order]] = np.arange(len(order))
    src, dst = remap[src], remap[dst]
    if "log_status" in df.columns:
        status = df["log_status"]
        use &= (status == "OK").to_numpy(dtype=bool, na_value=True) | status.isna().to_numpy()
    eni = np.full(n, -1, dtype=np.int64)
    enis = boxes = np.empty(0, dtype=object)
    if "interface_id" in df.columns:
        codes, enis = _interface_codes(df)
        box = translating(space, codes, len(enis)) > 0  # the one middlebox rule
        boxes = enis[box]
        moved = translated(space, n)
        use &= ~(np.append(box, False)[codes] & ~moved)
        eni = np.where(moved, -1, codes)
    cl = np.where(rule >= 0, client, src <= dst)[use]
    sp = int_column(df, "srcport", 0)
    dp = int_column(df, "dstport", 0)
    reject = (
        (df["action"] == "REJECT").to_numpy(dtype=bool, na_value=False)
        if "action" in df.columns
        else np.zeros(n, dtype=bool)
    )
    s_u, d_u, sp_u, dp_u = src[use], dst[use], sp[use], dp[use]
    cols = {
        "t": seconds_column(df, "start")[use],
        "t_end": seconds_column(df, "end")[use],
        "cli": np.where(cl, s_u, d_u).astype(np.int32),
        "srv": np.where(cl, d_u, s_u).astype(np.int32),
        "cport": np.where(cl, sp_u, dp_u).astype(np.int32),
        "sport": np.where(cl, dp_u, sp_u).astype(np.int32),
        "proto": int_column(df, "protocol", -1)[use].astype(np.int16),
        "req": cl,
        "pkts": int_column(df, "packets", 0)[use],
        "bytes": int_column(df, "bytes", 0)[use],
        "accept": ~reject[use],
        "flags": int_column(df, "tcp_flags", -1)[use].astype(np.int16),
        "eni": eni[use],
    }
    if collapse:
        cols = _dedupe(cols, len(order), cols["eni"] + 1)
    return ViewPart(rows=pd.DataFrame(cols), addresses=uniques[order], enis=enis, boxes=boxes)


def view_finish(parts: list[ViewPart]) -> View:
    """The :class:`View` from the :func:`view_part` of one or more frames: addresses and
    interfaces united, copies collapsed, rows in a canonical order (minute, then a hash of
    the flow's values).

    Several parts are copied into one table part by part and the list is emptied as they are,
    so the parts and their union are never held whole at once (a Dask frame's view is large).
    """
    if not parts:
        raise ValueError("view_finish needs at least one part")
    empty = np.empty(0, dtype=object)
    addresses = np.unique(np.concatenate([empty, *(p.addresses for p in parts)]))
    boxes = np.unique(np.concatenate([empty, *(p.boxes for p in parts)]))
    if len(parts) == 1:  # one frame's part: its own codes, nothing to copy
        kept = _off_box(parts[0], boxes)
        rows = parts[0].rows if kept.all() else parts[0].rows[kept]
        cols = {c: rows[c].to_numpy() for c in _COLUMNS}
    else:
        cols = _united_rows(parts, addresses, boxes)
    out = pd.DataFrame(_dedupe(cols, len(addresses)), copy=False)
    space = AddressSpace.of([pd.Series(addresses, dtype=object)])
    internal = inside(space)
    ranges = ip_ranges()
    hit = ranges.table.lookup(space.parsed)
    labels: list[Any] = list(ranges.table.labels)
    services = np.asarray([p[0] for p in labels] + [None], dtype=object)
    aws = np.isin(services[hit], [s for s in ranges.services if s not in NOT_SERVICE])
    return View(rec=out, addresses=np.asarray(addresses, dtype=object), internal=internal, aws=aws)


def _off_box(part: ViewPart, boxes: np.ndarray) -> np.ndarray:
    """Per row of the part: not a NAT's untranslated leg (the part's ENI is not in ``boxes``,
    the interfaces seen translating addresses in any part)."""
    return ~np.append(np.isin(part.enis, boxes), False)[part.rows["eni"].to_numpy()]


def _united_rows(
    parts: list[ViewPart], addresses: np.ndarray, boxes: np.ndarray
) -> dict[str, np.ndarray]:
    """The rows of every part in one set of columns, addresses recoded to ``addresses``, a
    NAT's untranslated legs dropped (:func:`_off_box`); ``parts`` is emptied as each is
    copied."""
    names = _COLUMNS
    keep = [_off_box(p, boxes) for p in parts]
    total = int(sum(k.sum() for k in keep))
    cols = {c: np.empty(total, dtype=parts[0].rows[c].to_numpy().dtype) for c in names}
    at = 0
    for k in keep:
        p = parts.pop(0)
        rows = p.rows[k] if not k.all() else p.rows
        n = len(rows)
        remap = np.append(np.searchsorted(addresses, p.addresses), -1).astype(np.int32)
        for c in names:
            values = rows[c].to_numpy()
            cols[c][at : at + n] = remap[values] if c in ("cli", "srv") else values
        at += n
    return cols
