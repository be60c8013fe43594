"""Middleboxes: the ENIs that forward other hosts' traffic, so they log copies of it.

One rule decides it for every part of flowkit (the detections' view, :func:`flowkit.dedupe`,
compliance, handshake health and the cost vantage):

1. **Declared**: the record's ``eni_type`` (from an inventory) or ``interface_type`` names a
   middlebox type (:data:`MIDDLEBOX_TYPES`: NAT gateway, transit gateway, load balancer, VPC
   endpoint).
2. **Seen translating**: without a type column, an ENI one of whose records carries a
   packet-level address (``pkt-srcaddr``/``pkt-dstaddr``) different from the record's
   address (``srcaddr``/``dstaddr``) forwards others' traffic.  It is *NAT-like* when one of
   those packet-level addresses is outside your network (a NAT gateway translating for an
   internet host), else it forwards inside your network (a transit gateway attachment).

On a translating ENI, the *untranslated legs* (records whose packet-level addresses are the
record's own: a NAT gateway's leg to the internet, from its own address) carry the same
connection as its translated legs, which show the real instance: :func:`untranslated_legs`.

Examples
--------
>>> import pandas as pd
>>> from flowkit.enrich.aws import effective_space
>>> df = pd.DataFrame({"interface_id": ["eni-nat", "eni-nat", "eni-app"],
...     "srcaddr": ["10.0.1.5", "10.0.0.220", "10.0.1.5"],
...     "dstaddr": ["10.0.0.220", "203.0.113.5", "203.0.113.5"],
...     "pkt_srcaddr": ["10.0.1.5", "10.0.0.220", "10.0.1.5"],
...     "pkt_dstaddr": ["203.0.113.5", "203.0.113.5", "203.0.113.5"]})
>>> space, _, _ = effective_space(df)
>>> eni = df["interface_id"].astype("category")
>>> box = translating(space, eni.cat.codes.to_numpy(), len(eni.cat.categories))
>>> dict(zip(eni.cat.categories, box.tolist()))
{'eni-app': 0, 'eni-nat': 2}
>>> untranslated_legs(space, eni.cat.codes.to_numpy(), box > 0).tolist()
[False, True, False]
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from flowkit.enrich.addresses import AddressSpace
from flowkit.enrich.inventory import Inventory
from flowkit.enrich.scope import inside as inside_of

__all__ = [
    "MIDDLEBOX_KINDS",
    "MIDDLEBOX_TYPES",
    "declared_kinds",
    "is_typed",
    "middlebox_records",
    "nat_boxes",
    "translated",
    "translating",
    "untranslated_legs",
]

#: Middlebox kinds, by flowkit name.
MIDDLEBOX_KINDS: tuple[str, ...] = (
    "nat_gateway", "transit_gateway", "load_balancer", "vpc_endpoint",
)  # fmt: skip
#: ENI types (``eni_type`` of an inventory, AWS ``interface-type`` values and the
#: ``describe-network-interfaces`` ``InterfaceType``) that forward other hosts' traffic, with
#: their kind (:data:`MIDDLEBOX_KINDS`).
MIDDLEBOX_TYPES: dict[str, str] = {
    "nat_gateway": "nat_gateway", "natGateway": "nat_gateway",
    "transit_gateway": "transit_gateway",
    "load_balancer": "load_balancer", "network_load_balancer": "load_balancer",
    "gateway_load_balancer": "load_balancer",
    "vpc_endpoint": "vpc_endpoint", "gateway_load_balancer_endpoint": "vpc_endpoint",
}  # fmt: skip
#: Columns that declare an ENI's type, in the order they are read.
TYPE_COLUMNS: tuple[str, ...] = ("eni_type", "interface_type")


def is_typed(df: pd.DataFrame) -> bool:
    """Whether ``df`` declares its ENIs' types (an ``eni_type`` or ``interface_type`` column)."""
    return any(c in df.columns for c in TYPE_COLUMNS)


def _declared(df: pd.DataFrame, inventory: Inventory | None) -> tuple[np.ndarray, np.ndarray]:
    """The declared kind of each distinct type (``""`` workload, ``None`` unknown, the last
    entry for records without one) and every record's code into them."""
    for col in TYPE_COLUMNS:
        if col in df.columns:
            cat = df[col].astype("category")
            names = np.asarray(cat.cat.categories, dtype=object)
            break
    else:
        if inventory is None or "interface_id" not in df.columns:
            return np.asarray([None], dtype=object), np.full(len(df), -1, dtype=np.int64)
        cat = df["interface_id"].astype("category")
        types = inventory.table.drop_duplicates("interface_id").set_index("interface_id")["type"]
        names = types.reindex(pd.Index(cat.cat.categories, dtype=object)).to_numpy(object)
    kinds = [None if pd.isna(t) or t in ("", "-") else MIDDLEBOX_TYPES.get(str(t), "")
             for t in names]  # fmt: skip
    return np.asarray([*kinds, None], dtype=object), np.asarray(cat.cat.codes, dtype=np.int64)


def declared_kinds(df: pd.DataFrame, inventory: Inventory | None = None) -> np.ndarray:
    """Per record: the middlebox kind its ENI's declared type names (``eni_type``, else
    ``interface_type``, else the type of its ``interface_id`` in ``inventory``), ``""`` for a
    declared workload, ``None`` where no type is known; an object array, mapped once per
    distinct value.

    >>> declared_kinds(pd.DataFrame({"eni_type": ["natGateway", "instance", None]})).tolist()
    ['nat_gateway', '', None]
    """
    kinds, codes = _declared(df, inventory)
    return kinds[codes]


def middlebox_records(
    df: pd.DataFrame,
    boxes: Iterable[str],
    *,
    inventory: Inventory | None = None,
    kinds: Iterable[str] | None = None,
) -> np.ndarray:
    """Per record: its ENI is a middlebox (of one of ``kinds``, default any): its declared kind
    (:func:`declared_kinds`) where a type is known, else whether the ENI is one of ``boxes``
    (the ENIs seen translating, :func:`translating`).

    >>> df = pd.DataFrame({"interface_id": ["eni-nat", "eni-app", "eni-x"],
    ...                    "eni_type": ["nat_gateway", "instance", None]})
    >>> middlebox_records(df, ["eni-x"]).tolist()
    [True, False, True]
    """
    declared, codes = _declared(df, inventory)
    wanted = set(MIDDLEBOX_KINDS if kinds is None else kinds)
    typed = np.asarray([k in wanted for k in declared], dtype=bool)[codes]
    unknown = np.asarray([k is None for k in declared], dtype=bool)[codes]
    if "interface_id" not in df.columns:
        return typed & ~unknown
    eni = df["interface_id"].astype("category")
    box = pd.Index(eni.cat.categories, dtype=object).isin(list(boxes))
    on_box = np.append(box, False)[np.asarray(eni.cat.codes, dtype=np.int64)]
    return np.where(unknown, on_box, typed)


def translated(space: AddressSpace, n: int) -> np.ndarray:
    """Per record: a packet-level address differs from the record's (``space`` as made by
    :func:`flowkit.enrich.aws.effective_space`, codes 0-3: src, dst, pkt_src, pkt_dst)."""
    c0, c1, c2, c3 = (space.codes[i] for i in range(4))
    if len(c2) != n or len(c3) != n:
        return np.zeros(n, dtype=bool)
    return np.asarray(((c2 >= 0) & (c2 != c0)) | ((c3 >= 0) & (c3 != c1)), dtype=bool)


def translating(
    space: AddressSpace, eni: np.ndarray, n_enis: int, inside: np.ndarray | None = None
) -> np.ndarray:
    """Per ENI code (``0..n_enis-1``): 0 it does not translate, 1 it translates inside your
    network only, 2 it translates for an address outside it (NAT-like).

    ``eni`` holds each record's ENI code (-1: none); ``inside`` is per unique address of
    ``space`` (default: :func:`flowkit.enrich.scope.inside` without VPC CIDRs).
    """
    n = len(eni)
    moved = translated(space, n) & (eni >= 0)
    out = np.zeros(max(n_enis, 0), dtype=np.int8)
    if not moved.any():
        return out
    inner = inside_of(space) if inside is None else inside
    inner = np.append(inner, True)  # code -1 (no address): never outside
    c0, c1, c2, c3 = (np.asarray(space.codes[i]) for i in range(4))
    rows = np.flatnonzero(moved)
    outside = ((c2[rows] != c0[rows]) & ~inner[c2[rows]]) | (
        (c3[rows] != c1[rows]) & ~inner[c3[rows]]
    )
    out[eni[rows]] = 1
    out[eni[rows[outside]]] = 2
    return out


def untranslated_legs(space: AddressSpace, eni: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Per record: it is an untranslated leg of a translating ENI (``boxes``: per ENI code)
    (its translated legs carry the same connection with the real addresses)."""
    n = len(eni)
    on_box = np.append(np.asarray(boxes, dtype=bool), False)[np.where(eni >= 0, eni, -1)]
    return on_box & ~translated(space, n)


def nat_boxes(df: pd.DataFrame, space: AddressSpace) -> list[str]:
    """The ENIs of ``df`` seen translating for an address outside the network (NAT-like:
    :func:`translating` 2); ``space`` as made by :func:`flowkit.enrich.aws.effective_space`."""
    if "interface_id" not in df.columns:
        return []
    eni = df["interface_id"].astype("category")
    kinds = translating(space, np.asarray(eni.cat.codes, np.int64), len(eni.cat.categories))
    return [str(x) for x in np.asarray(eni.cat.categories, dtype=object)[kinds == 2]]
