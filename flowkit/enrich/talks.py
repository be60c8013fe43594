"""The frame-wide rules of the orientation model (rules 5-9 of :mod:`flowkit.enrich.orientation`).

What a record alone cannot tell (ICMP with ``0 0`` ports, equal ports) is decided per
*conversation* (ENI, protocol, the unordered pair of packet-level address and port ends) from
the records of the whole frame: :func:`talks` gathers them as mergeable facts (text keys:
the facts of several frames merge exactly, :func:`merge_talks`), :func:`talk_decisions`
decides each conversation (``reject``, ``one_sided``, ``first_speaker``, ``edge``,
``fan_in``), :func:`frame_rules` gives the records their conversation's answer, and
:func:`orient` applies every rule of the model in order.

Examples
--------
>>> import flowkit as fk
>>> df = fk.parse_lines([
...     "2 1 eni-1 198.51.100.7 10.0.1.10 0 0 1 4 336 1700000000 1700000115 ACCEPT OK",
...     "2 1 eni-1 10.0.1.10 198.51.100.7 0 0 1 4 336 1700000067 1700000115 ACCEPT OK"])
>>> df["orient_rule"].astype(str).tolist(), df["client_addr"].astype(str).tolist()
(['first_speaker', 'first_speaker'], ['198.51.100.7', '198.51.100.7'])
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowkit.enrich.orientation import (
    EDGE,
    FAN_IN,
    FIRST_SPEAKER,
    NO_TIME,
    ONE_SIDED,
    REJECT,
    Evidence,
    record_rules,
)

__all__ = [
    "TALK_KEYS",
    "TALK_VALUES",
    "frame_rules",
    "merge_talks",
    "no_talks",
    "orient",
    "talk_decisions",
    "talks",
]


def _text_rank(names: pd.Index) -> np.ndarray:
    """Rank of each name in text order, with -1 (no address) mapped to -1."""
    order = np.argsort(np.asarray(names, dtype=object).astype(str), kind="stable")
    rank = np.empty(len(names) + 1, dtype=np.int64)
    rank[order] = np.arange(len(names))
    rank[-1] = -1
    return rank


TALK_KEYS = ("eni", "lo", "hi", "lo_port", "hi_port", "proto")
TALK_VALUES = (
    "first_lo", "first_hi", "accept_lo", "accept_hi", "reject_lo", "reject_hi", "local_lo",
    "local_hi",
)  # fmt: skip


def _ends(ev: Evidence, rows: np.ndarray) -> dict[str, np.ndarray]:
    """The conversation ends of ``rows``: lo/hi address codes (lo first as text), their ports,
    and whether the source is the lo end."""
    rank = _text_rank(ev.names)
    s, d = ev.src[rows].astype(np.int64), ev.dst[rows].astype(np.int64)
    src_lo = rank[s] <= rank[d]
    sp, dp = ev.sport[rows], ev.dport[rows]
    return {
        "lo": np.where(src_lo, s, d), "hi": np.where(src_lo, d, s),
        "lo_port": np.where(src_lo, sp, dp), "hi_port": np.where(src_lo, dp, sp),
        "src_lo": src_lo,
    }  # fmt: skip


def talks(
    ev: Evidence,
    undecided: np.ndarray,
    local_src: np.ndarray | None = None,
    *,
    canonical: bool = True,
    with_codes: bool = False,
) -> pd.DataFrame:
    """The conversations of the ``undecided`` records (both addresses known), per ENI, as
    mergeable facts: the keys (:data:`TALK_KEYS`, addresses and ENIs as text) and, per side,
    the first start, whether a record was accepted or rejected, and whether the side is the
    ENI's own end (``local_src``: per record, 1 the source is, 0 the destination is, -1 not
    known without the frame) (:data:`TALK_VALUES`).  Tables of several frames merge exactly
    (:func:`merge_talks`); ``canonical`` sorts the rows (for comparing and merging; the
    decisions do not need it); ``with_codes`` keeps the ends' positions in ``ev.names``
    (``lo_at``, ``hi_at``: for :func:`talk_decisions` on the same frame, not for facts)."""
    rows = np.flatnonzero(undecided & (ev.src >= 0) & (ev.dst >= 0))
    e = _ends(ev, rows)
    lo_side = e["src_lo"]
    start, rej = ev.start[rows], ev.reject[rows]
    local = np.full(len(rows), -1, np.int8) if local_src is None else local_src[rows]
    codes = pd.DataFrame({
        "eni": ev.eni[rows].astype(np.int64), "lo": e["lo"], "hi": e["hi"],
        "lo_port": e["lo_port"].astype(np.int64), "hi_port": e["hi_port"].astype(np.int64),
        "proto": ev.proto[rows].astype(np.int64),
        "first_lo": np.where(lo_side, start, NO_TIME),
        "first_hi": np.where(lo_side, NO_TIME, start),
        "accept_lo": lo_side & ~rej, "accept_hi": ~lo_side & ~rej,
        "reject_lo": lo_side & rej, "reject_hi": ~lo_side & rej,
        "local_lo": (local >= 0) & ((local == 1) == lo_side),
        "local_hi": (local >= 0) & ((local == 1) != lo_side),
    })  # fmt: skip
    agg = {c: ("min" if c.startswith("first") else "max") for c in TALK_VALUES}
    codes = codes.groupby(list(TALK_KEYS), sort=False).agg(agg).reset_index()
    enis = np.append(np.asarray(ev.enis, dtype=object), "")
    names = np.asarray(ev.names, dtype=object)
    frame = codes.assign(eni=enis[codes["eni"].to_numpy()], lo=names[codes["lo"].to_numpy()],
                         hi=names[codes["hi"].to_numpy()])  # fmt: skip
    if with_codes:
        return frame.assign(lo_at=codes["lo"].to_numpy(), hi_at=codes["hi"].to_numpy())
    return merge_talks([frame]) if canonical else frame


def merge_talks(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The :func:`talks` of several frames together (minimum of the first starts, any of the
    flags), one row per key, sorted: exact whatever the split."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return no_talks()
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    agg = {c: ("min" if c.startswith("first") else "max") for c in TALK_VALUES}
    out = frame.groupby(list(TALK_KEYS), sort=True).agg(agg).reset_index()
    return out.astype({"eni": object, "lo": object, "hi": object})


def no_talks() -> pd.DataFrame:
    cols: dict[str, object] = {k: pd.Series([], dtype=object) for k in TALK_KEYS[:3]}
    cols.update({k: pd.Series([], dtype=np.int64) for k in TALK_KEYS[3:]})
    cols.update({k: pd.Series([], dtype=np.int64 if k.startswith("first") else bool)
                 for k in TALK_VALUES})  # fmt: skip
    return pd.DataFrame(cols)


def talk_decisions(
    table: pd.DataFrame,
    edges: pd.DataFrame,
    names: pd.Index,
    inside: np.ndarray | None = None,
) -> pd.DataFrame:
    """Rules 5-9 on a (merged) :func:`talks` table, for the conversations of a frame whose
    addresses are ``names``: its rows whose ends are both in ``names``, with ``lo_at`` and
    ``hi_at`` (the ends' positions in ``names``), ``lo_client`` and ``rule`` (-1 unknown).

    ``edges`` are the fan-in edges (``cls``, ``addr``, ``peer``, text;
    :class:`flowkit.enrich.facts.DirectionFacts`); ``inside`` says, per name, whether it is
    inside your network (for the ``edge`` rule; without it the rule does not apply).
    """
    if "lo_at" in table.columns:  # made from this frame (talks(..., with_codes=True))
        lo_at, hi_at = table["lo_at"].to_numpy(np.int64), table["hi_at"].to_numpy(np.int64)
    else:
        lo_at = names.get_indexer(pd.Index(table["lo"], dtype=object))
        hi_at = names.get_indexer(pd.Index(table["hi"], dtype=object))
        here = (lo_at >= 0) & (hi_at >= 0)  # other rows cannot meet this frame's records
        table = table[here].assign(lo_at=lo_at[here], hi_at=hi_at[here])
        lo_at, hi_at = lo_at[here], hi_at[here]
    n = len(table)
    lo_client = np.zeros(n, dtype=bool)
    rule = np.full(n, -1, dtype=np.int8)
    if not n:
        return table.assign(lo_client=lo_client, rule=rule)
    rej_lo, rej_hi = table["reject_lo"].to_numpy(bool), table["reject_hi"].to_numpy(bool)
    acc_lo, acc_hi = table["accept_lo"].to_numpy(bool), table["accept_hi"].to_numpy(bool)
    # 5. REJECTs in one direction: their source opened the connection, unless they left the
    # ENI (egress: the REJECT's source is the ENI's own end) as the answer to what it accepted
    # the other way (a network ACL rejecting a response: the AWS ping example)
    local_lo, local_hi = table["local_lo"].to_numpy(bool), table["local_hi"].to_numpy(bool)
    one_rej = rej_lo ^ rej_hi
    lo_client = np.where(one_rej, np.where(rej_lo, ~(local_lo & acc_hi), local_hi & acc_lo),
                         lo_client)  # fmt: skip
    rule[one_rej] = REJECT
    # 6. one direction logged on this ENI
    seen_lo = table["first_lo"].to_numpy() != NO_TIME
    seen_hi = table["first_hi"].to_numpy() != NO_TIME
    one = (rule < 0) & (seen_lo ^ seen_hi)
    lo_client = np.where(one, seen_lo, lo_client)
    rule[one] = ONE_SIDED
    # 7. first speaker over every ENI of the conversation
    width = len(names) + 1
    ends, _ = pd.factorize(lo_at.astype(np.int64) * width + hi_at)
    ports = table["lo_port"].to_numpy(np.int64) * 65536 + table["hi_port"].to_numpy(np.int64)
    proto = table["proto"].to_numpy(np.int64)
    conv, _ = pd.factorize(ends.astype(np.int64) * 2**40 + ports * 256 + (proto & 255))
    first_lo = pd.Series(table["first_lo"].to_numpy()).groupby(conv).transform("min").to_numpy()
    first_hi = pd.Series(table["first_hi"].to_numpy()).groupby(conv).transform("min").to_numpy()
    timed = (rule < 0) & (first_lo != first_hi)
    lo_client = np.where(timed, first_lo < first_hi, lo_client)
    rule[timed] = FIRST_SPEAKER
    icmp = (proto == 1) | (proto == 58)
    # 8. ICMP across the edge: the outside end pinged in
    if inside is not None:
        in_lo, in_hi = inside[lo_at], inside[hi_at]
        edge = (rule < 0) & icmp & (in_lo != in_hi)
        lo_client = np.where(edge, ~in_lo, lo_client)
        rule[edge] = EDGE
    # 9. fan-in on the protocol and port
    if (rule < 0).any():
        cls = proto * 65536 + table["lo_port"].to_numpy(np.int64)
        peers = _peer_counts(edges, names)
        n_lo = _count_of(peers, cls * width + lo_at)
        n_hi = _count_of(peers, cls * width + hi_at)
        fan = (rule < 0) & (n_lo != n_hi)
        lo_client = np.where(fan, np.where(icmp, n_lo > n_hi, n_lo < n_hi), lo_client)
        rule[fan] = FAN_IN
    return table.assign(lo_client=lo_client, rule=rule)


def _peer_counts(edges: pd.DataFrame, names: pd.Index) -> pd.Series:
    """Distinct peers per ``cls * (len(names) + 1) + position of the address in names``
    (``edges`` with ``addr_at``/``peer_at`` columns: made from this frame, no text to map)."""
    if "addr_at" in edges.columns:
        at = edges["addr_at"].to_numpy(np.int64)
        peer = edges["peer_at"].to_numpy(np.int64)
        cls = edges["cls"].to_numpy(np.int64)
    else:
        at = names.get_indexer(pd.Index(edges["addr"], dtype=object))
        keep = at >= 0
        peer = pd.factorize(edges["peer"].to_numpy(object)[keep])[0].astype(np.int64)
        at, cls = at[keep], edges["cls"].to_numpy(np.int64)[keep]
    pairs = pd.DataFrame({"key": cls * (len(names) + 1) + at, "peer": peer}).drop_duplicates()
    return pairs.groupby("key").size()


def _count_of(counts: pd.Series, keys: np.ndarray) -> np.ndarray:
    if counts.empty:
        return np.zeros(len(keys), dtype=np.int64)
    at = counts.index.get_indexer(pd.Index(keys))
    return np.where(at >= 0, counts.to_numpy(np.int64)[np.maximum(at, 0)], 0)


def frame_rules(
    ev: Evidence, rows: np.ndarray, decided: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Rules 5-9 for the records ``rows``, from the decisions of their conversations
    (:func:`talk_decisions` with this frame's names): whether the source is the client, and
    the rule (-1: unknown)."""
    client = np.zeros(len(rows), dtype=bool)
    rule = np.full(len(rows), -1, dtype=np.int8)
    if not len(rows) or decided.empty:
        return client, rule
    e = _ends(ev, rows)
    eni_text = decided["eni"].to_numpy(object)
    at_eni = pd.Index(ev.enis, dtype=object).get_indexer(pd.Index(eni_text, dtype=object))
    at_eni = np.where(eni_text == "", -1, np.where(at_eni < 0, -2, at_eni))  # -2: not here
    at_lo, at_hi = decided["lo_at"].to_numpy(np.int64), decided["hi_at"].to_numpy(np.int64)
    here = at_eni != -2  # the rows this frame can meet
    decided = decided[here]
    width = len(ev.names) + 1
    eni = ev.eni[rows].astype(np.int64)
    k1 = np.r_[(at_eni[here] + 2) * width + at_lo[here], (eni + 2) * width + e["lo"]]
    k1 = k1 * width + np.r_[at_hi[here], e["hi"]]
    ports = np.r_[decided["lo_port"].to_numpy(np.int64) * 65536
                  + decided["hi_port"].to_numpy(np.int64),
                  e["lo_port"].astype(np.int64) * 65536 + e["hi_port"]]  # fmt: skip
    ports = ports * 256 + (np.r_[decided["proto"].to_numpy(np.int64), ev.proto[rows]] & 255)
    group, _ = pd.factorize(k1)
    key = group.astype(np.int64) * 2**40 + ports  # one int64 per (ENI, ends, ports, protocol)
    n_known = int(here.sum())
    at = pd.Index(key[:n_known]).get_indexer(key[n_known:])
    hit = at >= 0
    lo_client = decided["lo_client"].to_numpy(bool)[at[hit]]
    rule[hit] = decided["rule"].to_numpy(np.int8)[at[hit]]
    client[hit] = lo_client == e["src_lo"][hit]
    return client, rule


def orient(
    ev: Evidence,
    decided: pd.DataFrame | None,
    by_record: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Every rule in order: per record, whether the source is the client and the rule that
    decided it (index into :data:`ORIENT_RULES`, -1: unknown).

    ``decided`` is the :func:`talk_decisions` table of the frame (or of a larger frame this one
    is part of); without it, rules 5-9 are not applied.  ``by_record``: the
    :func:`record_rules` of ``ev`` when already computed.
    """
    client, rule = record_rules(ev) if by_record is None else by_record
    if decided is None:
        return client, rule
    rows = np.flatnonzero((rule < 0) & (ev.src >= 0) & (ev.dst >= 0))
    if len(rows):
        c, r = frame_rules(ev, rows, decided)
        client[rows] = np.where(r >= 0, c, client[rows])
        rule[rows] = r
    return client, rule
