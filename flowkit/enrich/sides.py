"""The sides of each record: the local and remote ends, the direction, client and server.

VPC records are one-directional and per ENI, in AWS field order (``srcaddr srcport`` then
``dstaddr dstport``).  :func:`_sides` finds, per record, which end is the capturing ENI
(*local*), who is the real peer (*remote*: the packet-level address when NAT, a transit gateway
or a load balancer hides it), whether the traffic crosses the VPC edge (*direction*), and which
end is the client (:func:`flowkit.enrich.roles.src_is_client`); the columns that
:mod:`flowkit.enrich.direction` and :func:`flowkit.dedupe` derive are read from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from flowkit.enrich.addresses import AddressSpace, IntervalTable
from flowkit.enrich.aws import effective_space
from flowkit.enrich.facts import DirectionFacts, _vote_facts, own_addresses
from flowkit.enrich.inventory import Inventory
from flowkit.enrich.roles import _ports, src_is_client
from flowkit.enrich.scope import SCOPES, scope_codes

__all__: list[str] = []

_INSIDE = ("private", "shared", "loopback", "link-local", "unique-local")


def _in_vpc(
    space: AddressSpace, vpc_cidrs: Iterable[str] | None, inventory: Inventory | None
) -> np.ndarray:
    """Per unique address: inside your network (VPC CIDRs if given, else not public)."""
    if vpc_cidrs is not None:
        cidrs = [vpc_cidrs] if isinstance(vpc_cidrs, str) else list(vpc_cidrs)
        table = IntervalTable.from_networks([(c, 0) for c in cidrs], ["vpc"])
        inside = table.lookup(space.parsed) >= 0
    else:
        scopes = scope_codes(space)
        inside = np.isin(scopes, [SCOPES.index(s) for s in _INSIDE])
    if inventory is not None:
        own = space.uniques.get_indexer(
            pd.Index(inventory.address_table()["address"], dtype=object)
        )
        inside[own[own >= 0]] = True
    return inside


def _local_known(
    df: pd.DataFrame, space: AddressSpace, inside: np.ndarray, inventory: Inventory | None
) -> tuple[np.ndarray, np.ndarray, pd.Series | None]:
    """Per record: the local end from ``flow-direction``, the inventory and the network edge;
    also the ENIs as a categorical (None without ``interface_id``)."""
    n = len(df)
    src, dst = space.codes[0], space.codes[1]
    local_src = np.zeros(n, dtype=bool)
    known = np.zeros(n, dtype=bool)
    if "flow_direction" in df.columns:
        fd = df["flow_direction"].astype(object).to_numpy()
        local_src, known = fd == "egress", (fd == "egress") | (fd == "ingress")
    eni_cat = df["interface_id"].astype("category") if "interface_id" in df.columns else None
    nu = max(len(space.uniques), 1)
    if inventory is not None and eni_cat is not None and not known.all():
        eni = np.asarray(eni_cat.cat.codes, dtype=np.int64)
        addrs = inventory.address_table()
        eni_pos = pd.Index(eni_cat.cat.categories, dtype=object).get_indexer(
            pd.Index(addrs["interface_id"], dtype=object)
        )
        addr_pos = space.uniques.get_indexer(pd.Index(addrs["address"], dtype=object))
        ok = (eni_pos >= 0) & (addr_pos >= 0)
        pairs = eni_pos[ok].astype(np.int64) * nu + addr_pos[ok]
        s_own = np.isin(eni * nu + src, pairs) & (src >= 0)
        d_own = np.isin(eni * nu + dst, pairs) & (dst >= 0)
        use = ~known & (s_own ^ d_own)
        local_src, known = np.where(use, s_own, local_src), known | use
    in_s = np.append(inside, False)[src]
    in_d = np.append(inside, False)[dst]
    use = ~known & (in_s ^ in_d)
    local_src, known = np.where(use, in_s, local_src), known | use
    return local_src, known, eni_cat


def _local_is_src(
    df: pd.DataFrame,
    space: AddressSpace,
    inside: np.ndarray,
    inventory: Inventory | None,
    facts: DirectionFacts | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per record: whether the source is the capturing ENI's end, and whether that is known.

    Left undecided by :func:`_local_known`: the ENI's own address (:func:`own_addresses` of the
    ENI's votes, in ``df`` or in ``facts``) is the local end."""
    local_src, known, eni_cat = _local_known(df, space, inside, inventory)
    src, dst = space.codes[0], space.codes[1]
    todo = ~known & (src >= 0) & (dst >= 0)
    if eni_cat is not None and todo.any():
        if facts is None:
            votes, wanted = _vote_facts(space, eni_cat, todo, every_eni=False)
            facts = DirectionFacts.of(votes, wanted, pd.DataFrame(columns=["cls", "addr", "peer"]))
        own = own_addresses(facts)
        own_of_eni = own.reindex(pd.Index(eni_cat.cat.categories, dtype=object)).to_numpy()
        own_code = np.append(space.uniques.get_indexer(pd.Index(own_of_eni, dtype=object)), -1)
        mine = own_code[np.asarray(eni_cat.cat.codes, dtype=np.int64)]
        mine = np.where(mine >= 0, mine, -2)  # -2: no own address (never equal to a code)
        s_mine, d_mine = src == mine, dst == mine
        use = todo & (s_mine | d_mine)
        local_src, known = np.where(use, s_mine, local_src), known | use
    return local_src, known


def _sides(
    df: pd.DataFrame,
    vpc_cidrs: Iterable[str] | None,
    inventory: Inventory | None,
    facts: DirectionFacts | None = None,
) -> dict[str, Any]:
    space, eff_src_i, eff_dst_i = effective_space(df)
    src, dst, psrc, pdst = space.codes[:4]
    eff_src, eff_dst = space.codes[eff_src_i], space.codes[eff_dst_i]
    inside = _in_vpc(space, vpc_cidrs, inventory)
    in_s = np.append(inside, False)[eff_src]
    in_d = np.append(inside, False)[eff_dst]
    has = (eff_src >= 0) & (eff_dst >= 0)
    # in_s * 2 + in_d: 0 neither (external 3), 1 dst (inbound 0), 2 src (outbound 1), 3 both (2)
    direction = np.asarray([3, 0, 1, 2], dtype=np.int8)[
        (in_s.view(np.int8) << 1) | in_d.view(np.int8)
    ]
    direction = np.where(has, direction, -1).astype(np.int8)
    local_src, lknown = _local_is_src(df, space, inside, inventory, facts)
    local = np.where(lknown, np.where(local_src, src, dst), -1)
    if "pkt_srcaddr" in df.columns or "pkt_dstaddr" in df.columns:
        remote_raw = np.where(local_src, dst, src)
        remote_pkt = np.where(local_src, pdst, psrc)
        local_pkt = np.where(local_src, psrc, pdst)
        remote = np.where(remote_pkt >= 0, remote_pkt, remote_raw)
        translated = (local_pkt >= 0) & (local_pkt != local)
        remote = np.where(translated, local_pkt, remote)
    else:
        remote, translated = np.where(local_src, dst, src), np.zeros(len(df), dtype=bool)
    remote = np.where(lknown, remote, -1)
    sport, s_na = _ports(df, "srcport")
    dport, d_na = _ports(df, "dstport")
    client, cknown = src_is_client(
        df, eff_src, eff_dst, (sport, s_na, dport, d_na), names=space.uniques, facts=facts
    )
    return {
        "space": space, "direction": direction, "local": local, "remote": remote,
        "local_src": local_src, "lknown": lknown, "sport": sport, "dport": dport,
        "translated": translated,
        "s_na": s_na, "d_na": d_na, "client": client, "cknown": cknown,
        "eff_src": eff_src, "eff_dst": eff_dst,
    }  # fmt: skip
