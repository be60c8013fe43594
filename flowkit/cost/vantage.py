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
from flowkit.enrich.facts import DirectionFacts, frame_facts
from flowkit.enrich.middlebox import declared_kinds, nat_boxes
from flowkit.enrich.scope import inside
from flowkit.enrich.sides import learn_facts, sides_of

__all__ = [
    "CHARGED_KINDS",
    "NA",
    "Sides",
    "VantageFacts",
    "bare",
    "column_int64",
    "flow_key",
    "flow_sides",
    "merge_vantage_facts",
    "present",
    "text",
    "vantage_facts",
]

#: Middlebox kinds (:data:`flowkit.enrich.middlebox.MIDDLEBOX_KINDS`) charged per GB: their
#: ENIs' records count the bytes (a load balancer's do not: its targets' records do).
CHARGED_KINDS: tuple[str, ...] = ("nat_gateway", "vpc_endpoint", "transit_gateway")


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

    ``direction``: the (settled) direction facts each record's local end was found with (the
    one own-address vote of :mod:`flowkit.enrich.sides`; ``None`` when the frame has
    ``local_addr``); ``boxes``: ENIs seen translating addresses for hosts outside the network
    (NAT gateways, where no type is declared: :func:`flowkit.enrich.middlebox.nat_boxes`);
    ``az`` (``addr``, ``az``): the AZ the data shows last for each of our addresses.
    """

    direction: DirectionFacts | None
    boxes: tuple[str, ...]
    az: pd.DataFrame

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, VantageFacts):
            return NotImplemented
        same = (self.direction is None) == (other.direction is None)
        if self.direction is not None and other.direction is not None:
            same = self.direction == other.direction
        return same and self.boxes == other.boxes and self.az.equals(other.az)

    __hash__ = None  # type: ignore[assignment]


def merge_vantage_facts(parts: Sequence[VantageFacts]) -> VantageFacts:
    """The facts of consecutive frames together, in order: boxes united, the last AZ of each
    address kept (exact); every part must have been found with the same direction facts."""
    az = [p.az for p in parts]
    merged_az = pd.concat(az, ignore_index=True) if az else pd.DataFrame(
        {"addr": pd.Series([], dtype=object), "az": pd.Series([], dtype=object)}
    )  # fmt: skip
    merged_az = merged_az.drop_duplicates("addr", keep="last").sort_values("addr")
    direction = parts[0].direction if parts else None
    if any(p.direction is not direction and p.direction != direction for p in parts):
        raise ValueError(
            "the parts were found with different direction facts; pass the merged "
            "direction facts of all of them to vantage_facts(direction=...)"
        )
    return VantageFacts(
        direction=direction,
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


def column_int64(df: pd.DataFrame, column: str) -> np.ndarray:
    if column not in df.columns:
        return np.zeros(len(df), dtype=np.int64)
    return df[column].to_numpy(dtype="float64", na_value=-1).astype(np.int64)


def _interfaces(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """ENI codes in the order of the ids' text (-1: none), and the ids."""
    if "interface_id" not in df.columns:
        return np.zeros(len(df), dtype=np.int64), np.asarray([None], dtype=object)
    codes, ids = pd.factorize(df["interface_id"].astype(object), sort=True)
    return np.asarray(codes, dtype=np.int64), np.asarray(ids, dtype=object)


def _local_address(
    df: pd.DataFrame, space: AddressSpace, direction: DirectionFacts | None
) -> np.ndarray:
    """Code of the capturing ENI's own address: the enrichment's ``local_addr``, else the one
    model's local end (:func:`flowkit.enrich.sides.sides_of`: ``flow-direction``, the network
    edge, each ENI's own address by vote, with ``direction``)."""
    local = sides_of(df, facts=direction)  # the same effective space as ``space``
    if not local.space.uniques.equals(space.uniques):  # pragma: no cover - a guard
        raise ValueError("local ends found on another address space")
    return np.asarray(local.local, dtype=np.int64)


def _kinds(df: pd.DataFrame, eni: np.ndarray, ids: np.ndarray,
           boxes: tuple[str, ...]) -> np.ndarray:  # fmt: skip
    """Charged middlebox kind of the capturing ENI ('' for a workload): the declared type where
    one is known, else ``nat_gateway`` for the ENIs seen translating for the internet (the one
    middlebox rule, :mod:`flowkit.enrich.middlebox`)."""
    declared = declared_kinds(df)
    kind = np.where(np.isin(declared, CHARGED_KINDS), declared, "").astype(object)
    unknown = np.asarray(pd.isna(declared), dtype=bool)
    if not boxes or not unknown.any():
        return kind
    flagged = np.flatnonzero(pd.Index(ids, dtype=object).isin(boxes))
    on_box = np.isin(eni, flagged) & (eni >= 0) & unknown
    return np.where(on_box, "nat_gateway", kind).astype(object)


def _flow_ids(src: np.ndarray, dst: np.ndarray, df: pd.DataFrame, ok: np.ndarray) -> np.ndarray:
    ports = (column_int64(df, "srcport") + 1) * 2**20 + (column_int64(df, "dstport") + 1) * 2**3
    keys = pd.DataFrame(
        {"a": src * 2**31 + dst, "b": ports * 2**9 + column_int64(df, "protocol") + 1}
    )
    ids = keys.groupby(["a", "b"], sort=False).ngroup().to_numpy(dtype=np.int64)
    return np.where(ok, ids, -1)


def flow_key(df: pd.DataFrame) -> pd.Series:
    """A hash of each record's packet flow (packet-level addresses, ports, protocol): all the
    records :func:`flow_sides` compares with each other have the same key."""
    space, si, di = effective_space(bare(df))
    uniques = np.asarray([*space.uniques, None], dtype=object)
    frame = pd.DataFrame({"s": uniques[space.codes[si]], "d": uniques[space.codes[di]],
                          "p": column_int64(df, "srcport"), "q": column_int64(df, "dstport"),
                          "r": column_int64(df, "protocol")}, index=df.index)  # fmt: skip
    return pd.util.hash_pandas_object(frame, index=False)


def _internal_of(space: AddressSpace) -> np.ndarray:
    """Per address code (and -1): inside the network (the one definition, without CIDRs)."""
    return np.append(inside(space), False)  # code -1: no address


def _az_pairs(df: pd.DataFrame, space: AddressSpace, local: np.ndarray) -> pd.DataFrame:
    """(our address, its AZ) as the records show them, the last one of each address."""
    local_az = _coalesce(_text(df, "eni_az_id"), _text(df, "az_id"), n=len(df))
    mine = (local >= 0) & present(local_az)
    uniques = np.asarray(space.uniques, dtype=object)
    pairs = pd.DataFrame({"addr": uniques[local[mine]], "az": local_az[mine]}, dtype=object)
    return pairs.drop_duplicates("addr", keep="last").sort_values("addr").reset_index(drop=True)


def vantage_facts(df: pd.DataFrame, *, direction: DirectionFacts | None = None) -> VantageFacts:
    """The frame-wide facts :func:`flow_sides` learns from ``df``.

    ``direction``: the merged, settled direction facts of the whole frame ``df`` is part of
    (needed when the records have no ``local_addr``: the other facts depend on each ENI's own
    address); default the frame's own (:func:`flowkit.enrich.facts.frame_facts`), else learned
    from ``df``.

    Examples
    --------
    >>> import flowkit as fk
    >>> from flowkit.enrich import direction_facts, merge_direction_facts
    >>> df = fk.parse_lines([
    ...     "2 1 eni-a 10.0.0.5 10.0.1.6 50000 5432 6 5 500 1700000000 1700000060 ACCEPT OK",
    ...     "2 1 eni-b 10.0.0.5 10.0.1.6 50000 5432 6 5 500 1700000000 1700000060 ACCEPT OK"],
    ...     enrich=False)  # no local_addr: each ENI's own address is voted for
    >>> whole = merge_direction_facts([direction_facts(df[:1]), direction_facts(df[1:])])
    >>> parts = [vantage_facts(p, direction=whole.settle()) for p in (df[:1], df[1:])]
    >>> merge_vantage_facts(parts) == vantage_facts(df)
    True
    """
    own = frame_facts(df)
    df = bare(df)
    space, _, _ = effective_space(df)
    if "local_addr" in df.columns:
        direction = None
    elif direction is None:
        direction = own or learn_facts(df, space=space).settle()  # canonical: mergeable
    local = _local_address(df, space, direction)
    return VantageFacts(direction=direction, boxes=tuple(nat_boxes(df, space)),
                        az=_az_pairs(df, space, local))  # fmt: skip


def _egress(space: AddressSpace, local: np.ndarray, direction: np.ndarray | None) -> np.ndarray:
    egress = (np.asarray(space.codes[0], dtype=np.int64) == local) & (local >= 0)
    if direction is not None:
        egress = np.where(present(direction), direction == "egress", egress).astype(bool)
    return egress


def flow_sides(df: pd.DataFrame, facts: VantageFacts | None = None) -> Sides:
    """Describe every record: direction, packet-level ends, hop peer, AZs, middlebox, copies.

    Uses, when present: ``flow_direction`` (else ``local_addr``, else the one model's local
    end decides the direction), ``eni_type`` or ``interface_type`` (else an ENI translating
    addresses for hosts outside the network is taken for a NAT gateway: the one middlebox
    rule), ``eni_az_id`` or ``az_id``
    (the local AZ), ``next_hop_az_id``, ``remote_az_id`` or the AZ the data shows for the hop
    peer's address (the peer's AZ).  ``facts``: the merged :func:`vantage_facts` of a larger
    frame ``df`` is part of, used instead of those of ``df`` (every record of a packet flow
    must still be in ``df``: the copies are found by comparing them).  The input is not
    changed.
    """
    n = len(df)
    if facts is None:
        facts = vantage_facts(df)
    df = bare(df)
    space, _, _ = effective_space(df)
    codes = list(space.codes)
    raw_src, raw_dst, eff_src, eff_dst = (
        np.asarray(codes[i], dtype=np.int64) for i in (0, 1, 4, 5)
    )
    has_addr = (raw_src >= 0) & (raw_dst >= 0)
    eni, ids = _interfaces(df)
    internal_of = _internal_of(space)
    direction = _text(df, "flow_direction")
    local = _local_address(df, space, facts.direction)
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
