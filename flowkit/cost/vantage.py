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

from dataclasses import dataclass

import numpy as np
import pandas as pd

from flowkit.enrich.addresses import AddressSpace
from flowkit.enrich.aws import effective_space
from flowkit.enrich.scope import SCOPES, scope_codes

__all__ = [
    "INTERNAL_SCOPES",
    "MIDDLEBOX_TYPES",
    "NA",
    "Sides",
    "bare",
    "flow_sides",
    "present",
    "text",
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


def _interfaces(df: pd.DataFrame) -> np.ndarray:
    if "interface_id" not in df.columns:
        return np.zeros(len(df), dtype=np.int64)
    return np.asarray(df["interface_id"].astype("category").cat.codes, dtype=np.int64)


def _local_address(df: pd.DataFrame, space: AddressSpace, eni: np.ndarray,
                   direction: np.ndarray | None) -> np.ndarray:  # fmt: skip
    """Code of the capturing ENI's own address: ``local_addr`` if enriched; else srcaddr of
    egress and dstaddr of ingress records; else the ENI's most frequent such address."""
    local = _text(df, "local_addr")
    if local is not None:
        return np.asarray(space.uniques.get_indexer(pd.Index(local, dtype=object)), dtype=np.int64)
    src, dst = np.asarray(space.codes[0], np.int64), np.asarray(space.codes[1], np.int64)
    known = present(direction) if direction is not None else np.zeros(len(df), dtype=bool)
    own = np.where(known, np.where(direction == "egress", src, dst), -1)
    cand = np.concatenate([np.where(known, own, src), np.where(known, own, dst)])
    pairs = pd.DataFrame({"eni": np.concatenate([eni, eni]), "addr": cand})
    pairs = pairs[(pairs["addr"] >= 0) & (pairs["eni"] >= 0)]
    if pairs.empty:
        return own
    counts = pairs.value_counts().reset_index(name="n")
    counts = counts.sort_values(["eni", "n", "addr"], ascending=[True, False, True])
    top = counts.drop_duplicates("eni")
    by_eni = np.full(int(eni.max()) + 1, -1, dtype=np.int64)
    by_eni[top["eni"].to_numpy()] = top["addr"].to_numpy()
    return np.where(known, own, np.where(eni >= 0, by_eni[np.maximum(eni, 0)], -1))


def _kinds(df: pd.DataFrame, space: AddressSpace, eni: np.ndarray, egress: np.ndarray,
           internal: np.ndarray) -> np.ndarray:  # fmt: skip
    """Middlebox type of the capturing ENI ('' for a workload ENI)."""
    declared = _coalesce(_text(df, "eni_type"), _text(df, "interface_type"), n=len(df))
    kind = pd.Series(declared, dtype=object).map(MIDDLEBOX_TYPES).fillna("").to_numpy(dtype=object)
    if "eni_type" in df.columns or "interface_type" in df.columns or "pkt_dstaddr" not in df:
        return kind
    # No type column: an ENI that receives packets addressed to a public host (dstaddr is its
    # own address, pkt_dstaddr the host) translates addresses for others: a NAT gateway.
    pkt_dst, dst = space.codes[3], space.codes[1]
    nat_like = ~egress & (pkt_dst >= 0) & (pkt_dst != dst) & ~internal[np.maximum(pkt_dst, 0)]
    flagged = np.unique(eni[nat_like & (eni >= 0)])
    return np.where(np.isin(eni, flagged) & (eni >= 0), "nat_gateway", kind).astype(object)


def _flow_ids(src: np.ndarray, dst: np.ndarray, df: pd.DataFrame, ok: np.ndarray) -> np.ndarray:
    ports = (_uint(df, "srcport") + 1) * 2**20 + (_uint(df, "dstport") + 1) * 2**3
    keys = pd.DataFrame({"a": src * 2**31 + dst, "b": ports * 2**9 + _uint(df, "protocol") + 1})
    ids = keys.groupby(["a", "b"], sort=False).ngroup().to_numpy(dtype=np.int64)
    return np.where(ok, ids, -1)


def flow_sides(df: pd.DataFrame) -> Sides:
    """Describe every record: direction, packet-level ends, hop peer, AZs, middlebox, copies.

    Uses, when present: ``flow_direction`` (else ``local_addr``, else the ENI's most frequent
    address decides the direction), ``eni_type`` or ``interface_type`` (else an ENI receiving
    packets addressed to public hosts is taken for a NAT gateway), ``eni_az_id`` or ``az_id``
    (the local AZ), ``next_hop_az_id``, ``remote_az_id`` or the AZ the data shows for the hop
    peer's address (the peer's AZ).  The input is not changed.
    """
    n = len(df)
    df = bare(df)
    space, _, _ = effective_space(df)
    codes = list(space.codes)
    raw_src, raw_dst, eff_src, eff_dst = (
        np.asarray(codes[i], dtype=np.int64) for i in (0, 1, 4, 5)
    )
    has_addr = (raw_src >= 0) & (raw_dst >= 0)
    eni = _interfaces(df)
    per_scope = scope_codes(space)
    internal_of = np.isin(np.asarray(SCOPES, dtype=object)[np.maximum(per_scope, 0)],
                          INTERNAL_SCOPES) & (per_scope >= 0)  # fmt: skip
    internal_of = np.append(internal_of, False)  # code -1: no address
    direction = _text(df, "flow_direction")
    local = _local_address(df, space, eni, direction)
    egress = (raw_src == local) & (local >= 0)
    if direction is not None:
        egress = np.where(present(direction), direction == "egress", egress).astype(bool)
    kind = _kinds(df, space, eni, egress, internal_of)
    hop_peer = np.where(egress, raw_dst, raw_src)
    local_az = _coalesce(_text(df, "eni_az_id"), _text(df, "az_id"), n=n)
    # AZ of each of our addresses, as the data shows it (the ENI's own address and its AZ)
    az_of = np.full(len(space.uniques) + 1, None, dtype=object)
    mine = (local >= 0) & present(local_az)
    az_of[local[mine]] = local_az[mine]
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
