"""Who counts each byte: the sides of every record and one vantage point per packet flow.

Flow records are one-way and per ENI, so the same bytes are logged on every ENI they cross: the
sender's (egress), the receiver's (ingress) and any middlebox between them (the four legs of a
NAT gateway, a Transit Gateway attachment ENI, an interface endpoint).  :func:`flow_sides`
groups records into *packet flows* (packet-level source and destination address, ports,
protocol: ``pkt_*addr`` when present, so the instance's copy and the NAT's copy of the same
packets meet) and picks one ENI per flow whose records count the bytes:

1. a middlebox ENI (NAT gateway, interface endpoint, Transit Gateway attachment), where the
   charge is made;
2. else the sender's ENI (its egress record);
3. else the receiver's ENI (an ingress record: the sender is not logged, e.g. the internet).

Ties go to the smaller interface id.  The records of the flow's other ENIs are *copies*.

Examples
--------
>>> import flowkit as fk
>>> df = fk.parse_lines([
...     "2 1 eni-a 10.0.0.5 10.0.1.6 50000 5432 6 5 500 1700000000 1700000060 ACCEPT OK",
...     "2 1 eni-b 10.0.0.5 10.0.1.6 50000 5432 6 5 500 1700000000 1700000060 ACCEPT OK"])
>>> flow_sides(df).copy.tolist()  # the sender eni-a counts, the receiver's copy does not
[False, True]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from flowkit.enrich.addresses import AddressSpace
from flowkit.enrich.aws import effective_space
from flowkit.enrich.facts import tally_votes
from flowkit.enrich.scope import SCOPES, scope_codes

__all__ = [
    "INTERNAL_SCOPES",
    "MIDDLEBOX_TYPES",
    "NA",
    "Sides",
    "VantageFacts",
    "bare",
    "flow_key",
    "flow_sides",
    "merge_vantage_facts",
    "present",
    "text",
    "vantage_facts",
]

#: ENI types that forward other ENIs' traffic and are charged per GB, by flowkit type name.
MIDDLEBOX_TYPES: dict[str, str] = {
    "nat_gateway": "nat_gateway", "natGateway": "nat_gateway", "vpc_endpoint": "vpc_endpoint",
    "gateway_load_balancer_endpoint": "vpc_endpoint", "transit_gateway": "transit_gateway",
}  # fmt: skip
#: Address scopes that never leave the network (everything else is the internet).
INTERNAL_SCOPES: tuple[str, ...] = (
    "private", "shared", "loopback", "link-local", "multicast", "unique-local",
)  # fmt: skip


@dataclass(frozen=True)
class Sides:
    """Per-record arrays (one entry per row of the frame) describing who sent what to whom.

    Address arrays are codes into ``space.uniques`` (-1: none).
    """

    space: AddressSpace
    has_addr: np.ndarray  # bool: the record has both addresses
    egress: np.ndarray  # bool: the bytes leave the capturing ENI
    local: np.ndarray  # the capturing ENI's own address
    src: np.ndarray  # packet-level source
    dst: np.ndarray  # packet-level destination
    hop_peer: np.ndarray  # the other end of this hop (srcaddr for ingress, dstaddr for egress)
    src_internal: np.ndarray
    dst_internal: np.ndarray
    kind: np.ndarray  # object: 'nat_gateway', 'vpc_endpoint', 'transit_gateway' or ''
    local_az: np.ndarray  # object, None when unknown
    peer_az: np.ndarray  # object, None when unknown: AZ of the hop peer
    flow: np.ndarray  # int64 packet-flow id (-1 without addresses)
    copy: np.ndarray  # bool: another ENI's record counts these bytes


#: An object-array ``None``, for numpy calls that need an array argument.
NA = np.array(None, dtype=object)


@dataclass(frozen=True, eq=False)
class VantageFacts:
    """Frame-wide facts behind :func:`flow_sides`, mergeable exactly (:func:`merge_vantage_facts`).

    ``votes`` (``eni``, ``addr``, ``n``): how often each ENI's records show each candidate own
    address (empty when the frame has ``local_addr``); ``boxes``: ENIs seen translating
    addresses for public hosts (NAT gateways, when no type column says); ``az`` (``addr``,
    ``az``): the AZ the data shows last for each of our addresses.
    """

    votes: pd.DataFrame
    boxes: tuple[str, ...]
    az: pd.DataFrame

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, VantageFacts):
            return NotImplemented
        return (self.boxes == other.boxes and self.votes.equals(other.votes)
                and self.az.equals(other.az))  # fmt: skip

    __hash__ = None  # type: ignore[assignment]


def merge_vantage_facts(parts: Sequence[VantageFacts]) -> VantageFacts:
    """The facts of consecutive frames together, in order: votes summed, boxes united, the
    last AZ of each address kept (exact)."""
    az = [p.az for p in parts]
    merged_az = pd.concat(az, ignore_index=True) if az else pd.DataFrame(
        {"addr": pd.Series([], dtype=object), "az": pd.Series([], dtype=object)}
    )  # fmt: skip
    merged_az = merged_az.drop_duplicates("addr", keep="last").sort_values("addr")
    return VantageFacts(
        votes=tally_votes([p.votes for p in parts]),
        boxes=tuple(sorted({b for p in parts for b in p.boxes})),
        az=merged_az.reset_index(drop=True),
    )


def bare(df: pd.DataFrame) -> pd.DataFrame:
    """A shallow copy without ``attrs``: pandas deep-copies ``attrs`` (the provenance, with
    its quarantine table) on every column access, which dominates the cost of many reads."""
    out = df.copy(deep=False)
    out.attrs = {}
    return out


def _text(df: pd.DataFrame, column: str) -> np.ndarray | None:
    """Column as an object array with None for missing and '-' values, or None if absent."""
    if column not in df.columns:
        return None
    col = df[column]
    col = col if isinstance(col.dtype, pd.CategoricalDtype) else col.astype("category")
    cats = np.asarray(col.cat.categories, dtype=object)
    cats = np.append(np.where(cats == "-", NA, cats), NA)
    return cats[np.asarray(col.cat.codes, dtype=np.int64)]


def present(values: np.ndarray) -> np.ndarray:
    """Elementwise "is not None" of an object array (fast; ``pd.notna`` scans strings)."""
    return np.asarray(np.not_equal(values, NA), dtype=bool)


def text(df: pd.DataFrame, column: str) -> np.ndarray:
    """Like ``_text`` but all None when the column is absent."""
    values = _text(df, column)
    return values if values is not None else np.full(len(df), None, dtype=object)


def _coalesce(*arrays: np.ndarray | None, n: int) -> np.ndarray:
    out = np.full(n, None, dtype=object)
    for arr in reversed([a for a in arrays if a is not None]):
        out = np.where(present(arr), arr, out)
    return out


def _uint(df: pd.DataFrame, column: str) -> np.ndarray:
    if column not in df.columns:
        return np.zeros(len(df), dtype=np.int64)
    return df[column].to_numpy(dtype="float64", na_value=-1).astype(np.int64)


def _interfaces(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """ENI codes in the order of the ids' text (-1: none), and the ids."""
    if "interface_id" not in df.columns:
        return np.zeros(len(df), dtype=np.int64), np.asarray([None], dtype=object)
    codes, ids = pd.factorize(df["interface_id"].astype(object), sort=True)
    return np.asarray(codes, dtype=np.int64), np.asarray(ids, dtype=object)


def _candidates(
    df: pd.DataFrame, space: AddressSpace, eni: np.ndarray, direction: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Own address where ``flow_direction`` tells it (egress: srcaddr), whether it does, and
    the (ENI code, address code) candidate pairs of every record (both ends when it does not)."""
    src, dst = np.asarray(space.codes[0], np.int64), np.asarray(space.codes[1], np.int64)
    known = present(direction) if direction is not None else np.zeros(len(df), dtype=bool)
    own = np.where(known, np.where(direction == "egress", src, dst), -1)
    cand = np.concatenate([np.where(known, own, src), np.where(known, own, dst)])
    pairs = pd.DataFrame({"eni": np.concatenate([eni, eni]), "addr": cand})
    return own, known, pairs[(pairs["addr"] >= 0) & (pairs["eni"] >= 0)]


def _votes(df: pd.DataFrame, space: AddressSpace, eni: np.ndarray, ids: np.ndarray,
           direction: np.ndarray | None) -> pd.DataFrame:  # fmt: skip
    """Candidate own addresses of each ENI and how many records show them (text)."""
    _, _, pairs = _candidates(df, space, eni, direction)
    counts = pairs.value_counts().reset_index(name="n")
    uniques = np.asarray(space.uniques, dtype=object)
    return tally_votes([pd.DataFrame({"eni": ids[counts["eni"].to_numpy()],
                                     "addr": uniques[counts["addr"].to_numpy()],
                                     "n": counts["n"].to_numpy()})])  # fmt: skip


def _local_address(
    df: pd.DataFrame,
    space: AddressSpace,
    eni: np.ndarray,
    ids: np.ndarray,
    direction: np.ndarray | None,
    votes: pd.DataFrame | None,
) -> np.ndarray:
    """Code of the capturing ENI's own address: ``local_addr`` if enriched; else srcaddr of
    egress and dstaddr of ingress records; else the ENI's most frequent such address (in
    ``votes``, default this frame's; ties: the smallest address text)."""
    local = _text(df, "local_addr")
    if local is not None:
        return np.asarray(space.uniques.get_indexer(pd.Index(local, dtype=object)), dtype=np.int64)
    own, known, _ = _candidates(df, space, eni, direction)
    votes = votes if votes is not None else _votes(df, space, eni, ids, direction)
    if votes.empty:
        return own
    top = votes.sort_values(["eni", "n", "addr"], ascending=[True, False, True])
    top = top.drop_duplicates("eni")
    eni_pos = pd.Index(ids, dtype=object).get_indexer(pd.Index(top["eni"], dtype=object))
    by_eni = np.full(len(ids) + 1, -1, dtype=np.int64)
    by_eni[eni_pos[eni_pos >= 0]] = space.uniques.get_indexer(
        pd.Index(top["addr"].to_numpy()[eni_pos >= 0], dtype=object)
    )
    return np.where(known, own, np.where(eni >= 0, by_eni[np.maximum(eni, 0)], -1))


def _boxes(df: pd.DataFrame, space: AddressSpace, eni: np.ndarray, ids: np.ndarray,
           egress: np.ndarray, internal: np.ndarray) -> tuple[str, ...]:  # fmt: skip
    """ENIs that receive packets addressed to a public host (dstaddr is their own address,
    pkt_dstaddr the host): they translate addresses for others (NAT gateways)."""
    if "eni_type" in df.columns or "interface_type" in df.columns or "pkt_dstaddr" not in df:
        return ()
    pkt_dst, dst = space.codes[3], space.codes[1]
    nat_like = ~egress & (pkt_dst >= 0) & (pkt_dst != dst) & ~internal[np.maximum(pkt_dst, 0)]
    return tuple(sorted(str(x) for x in ids[np.unique(eni[nat_like & (eni >= 0)])]))


def _kinds(df: pd.DataFrame, eni: np.ndarray, ids: np.ndarray,
           boxes: tuple[str, ...]) -> np.ndarray:  # fmt: skip
    """Middlebox type of the capturing ENI ('' for a workload ENI)."""
    declared = _coalesce(_text(df, "eni_type"), _text(df, "interface_type"), n=len(df))
    kind = pd.Series(declared, dtype=object).map(MIDDLEBOX_TYPES).fillna("").to_numpy(dtype=object)
    if not boxes:
        return kind
    flagged = np.flatnonzero(pd.Index(ids, dtype=object).isin(boxes))
    return np.where(np.isin(eni, flagged) & (eni >= 0), "nat_gateway", kind).astype(object)


def _flow_ids(src: np.ndarray, dst: np.ndarray, df: pd.DataFrame, ok: np.ndarray) -> np.ndarray:
    ports = (_uint(df, "srcport") + 1) * 2**20 + (_uint(df, "dstport") + 1) * 2**3
    keys = pd.DataFrame({"a": src * 2**31 + dst, "b": ports * 2**9 + _uint(df, "protocol") + 1})
    ids = keys.groupby(["a", "b"], sort=False).ngroup().to_numpy(dtype=np.int64)
    return np.where(ok, ids, -1)


def flow_key(df: pd.DataFrame) -> pd.Series:
    """A hash of each record's packet flow (packet-level addresses, ports, protocol): all the
    records :func:`flow_sides` compares with each other have the same key."""
    space, si, di = effective_space(bare(df))
    uniques = np.asarray([*space.uniques, None], dtype=object)
    frame = pd.DataFrame({"s": uniques[space.codes[si]], "d": uniques[space.codes[di]],
                          "p": _uint(df, "srcport"), "q": _uint(df, "dstport"),
                          "r": _uint(df, "protocol")}, index=df.index)  # fmt: skip
    return pd.util.hash_pandas_object(frame, index=False)


def _internal_of(space: AddressSpace) -> np.ndarray:
    per_scope = scope_codes(space)
    internal_of = np.isin(np.asarray(SCOPES, dtype=object)[np.maximum(per_scope, 0)],
                          INTERNAL_SCOPES) & (per_scope >= 0)  # fmt: skip
    return np.append(internal_of, False)  # code -1: no address


def _az_pairs(df: pd.DataFrame, space: AddressSpace, local: np.ndarray) -> pd.DataFrame:
    """(our address, its AZ) as the records show them, the last one of each address."""
    local_az = _coalesce(_text(df, "eni_az_id"), _text(df, "az_id"), n=len(df))
    mine = (local >= 0) & present(local_az)
    uniques = np.asarray(space.uniques, dtype=object)
    pairs = pd.DataFrame({"addr": uniques[local[mine]], "az": local_az[mine]}, dtype=object)
    return pairs.drop_duplicates("addr", keep="last").sort_values("addr").reset_index(drop=True)


def vantage_facts(df: pd.DataFrame, *, votes: pd.DataFrame | None = None) -> VantageFacts:
    """The frame-wide facts :func:`flow_sides` learns from ``df``.

    ``votes``: the merged :attr:`VantageFacts.votes` of the whole frame ``df`` is part of
    (needed first when the records have no ``local_addr``: the other facts depend on each
    ENI's own address); default those of ``df``.

    Examples
    --------
    >>> import flowkit as fk
    >>> df = fk.parse_lines([
    ...     "2 1 eni-a 10.0.0.5 10.0.1.6 50000 5432 6 5 500 1700000000 1700000060 ACCEPT OK",
    ...     "2 1 eni-b 10.0.0.5 10.0.1.6 50000 5432 6 5 500 1700000000 1700000060 ACCEPT OK"],
    ...     enrich=False)  # no local_addr: each ENI's own address is voted for
    >>> merged = merge_vantage_facts([vantage_facts(df[:1]), vantage_facts(df[1:])])
    >>> merged == vantage_facts(df), len(merged.votes)
    (True, 4)
    """
    df = bare(df)
    space, _, _ = effective_space(df)
    eni, ids = _interfaces(df)
    direction = _text(df, "flow_direction")
    own_votes = (
        _votes(df, space, eni, ids, direction)
        if "local_addr" not in df.columns
        else tally_votes([])
    )
    local = _local_address(
        df, space, eni, ids, direction, votes if votes is not None else own_votes
    )
    egress = _egress(space, local, direction)
    boxes = _boxes(df, space, eni, ids, egress, _internal_of(space))
    return VantageFacts(votes=own_votes, boxes=boxes, az=_az_pairs(df, space, local))


def _egress(space: AddressSpace, local: np.ndarray, direction: np.ndarray | None) -> np.ndarray:
    egress = (np.asarray(space.codes[0], dtype=np.int64) == local) & (local >= 0)
    if direction is not None:
        egress = np.where(present(direction), direction == "egress", egress).astype(bool)
    return egress


def flow_sides(df: pd.DataFrame, facts: VantageFacts | None = None) -> Sides:
    """Describe every record: direction, packet-level ends, hop peer, AZs, middlebox, copies.

    Uses, when present: ``flow_direction`` (else ``local_addr``, else the ENI's most frequent
    address decides the direction), ``eni_type`` or ``interface_type`` (else an ENI receiving
    packets addressed to public hosts is taken for a NAT gateway), ``eni_az_id`` or ``az_id``
    (the local AZ), ``next_hop_az_id``, ``remote_az_id`` or the AZ the data shows for the hop
    peer's address (the peer's AZ).  ``facts``: the merged :func:`vantage_facts` of a larger
    frame ``df`` is part of, used instead of those of ``df`` (every record of a packet flow
    must still be in ``df``: the copies are found by comparing them).  The input is not
    changed.
    """
    n = len(df)
    df = bare(df)
    if facts is None:
        facts = vantage_facts(df)
    space, _, _ = effective_space(df)
    codes = list(space.codes)
    raw_src, raw_dst, eff_src, eff_dst = (
        np.asarray(codes[i], dtype=np.int64) for i in (0, 1, 4, 5)
    )
    has_addr = (raw_src >= 0) & (raw_dst >= 0)
    eni, ids = _interfaces(df)
    internal_of = _internal_of(space)
    direction = _text(df, "flow_direction")
    local = _local_address(df, space, eni, ids, direction, facts.votes)
    egress = _egress(space, local, direction)
    kind = _kinds(df, eni, ids, facts.boxes)
    hop_peer = np.where(egress, raw_dst, raw_src)
    local_az = _coalesce(_text(df, "eni_az_id"), _text(df, "az_id"), n=n)
    # AZ of each of our addresses, as the data shows it (the ENI's own address and its AZ)
    az_of = np.full(len(space.uniques) + 1, None, dtype=object)
    at = space.uniques.get_indexer(pd.Index(facts.az["addr"], dtype=object))
    az_of[at[at >= 0]] = facts.az["az"].to_numpy(dtype=object)[at >= 0]
    next_hop = _text(df, "next_hop_az_id")
    peer_az = _coalesce(next_hop, _text(df, "remote_az_id"), az_of[hop_peer], n=n)
    flow = _flow_ids(eff_src, eff_dst, df, has_addr)
    priority = np.where(kind != "", 0, np.where(egress, 1, 2))
    score = priority * (int(eni.max(initial=0)) + 2) + eni + 1
    best = pd.Series(score).groupby(flow).transform("min").to_numpy()
    copy = has_addr & (flow >= 0) & (score != best)
    return Sides(
        space=space, has_addr=has_addr, egress=egress, local=local, src=eff_src, dst=eff_dst,
        hop_peer=hop_peer, src_internal=internal_of[eff_src], dst_internal=internal_of[eff_dst],
        kind=kind, local_az=local_az, peer_az=peer_az, flow=flow, copy=copy,
    )  # fmt: skip
