"""The sides of each record: the local and remote ends, the direction, client and server.

VPC records are one-directional and per ENI, in AWS field order (``srcaddr srcport`` then
``dstaddr dstport``).  :func:`sides` finds, per record, which end is the capturing ENI
(*local*), who is the real peer (*remote*: the packet-level address when NAT, a transit gateway
or a load balancer hides it), whether the traffic crosses the VPC edge (*direction*), and which
end is the client (:mod:`flowkit.enrich.orientation`, the one orientation model); the columns
that :mod:`flowkit.enrich.direction` and :func:`flowkit.dedupe` derive are read from it.

The facts of the whole frame these answers need (each ENI's own address by vote, the
conversations and fan-in of the records the record alone does not orient, the ENIs seen
translating addresses) are learned by :func:`learn_facts`, or given (those of a larger frame
this one is part of: a Dask frame's partitions).
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from flowkit.enrich.addresses import AddressSpace
from flowkit.enrich.aws import effective_space
from flowkit.enrich.facts import (
    DirectionFacts,
    frame_facts,
    merge_direction_facts,
    own_addresses,
    vote_facts,
)
from flowkit.enrich.inventory import Inventory
from flowkit.enrich.middlebox import translating
from flowkit.enrich.orientation import Evidence, evidence, record_rules
from flowkit.enrich.scope import inside as inside_of
from flowkit.enrich.side_by_side import later
from flowkit.enrich.talks import orient, talk_decisions, talks

__all__ = [
    "DIRECTIONS",
    "ROLES",
    "SIDE_COLUMNS",
    "Sides",
    "learn_facts",
    "orientation_of",
    "sides",
    "sides_of",
]

#: ``direction`` categories: from outside into your network, out of it, within it, neither.
DIRECTIONS: tuple[str, ...] = ("inbound", "outbound", "internal", "external")
#: ``local_role`` categories.
ROLES: tuple[str, ...] = ("client", "server")


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
        fd = df["flow_direction"].astype("category")
        names = np.asarray(fd.cat.categories, dtype=object)
        codes = np.asarray(fd.cat.codes, dtype=np.int64)
        egress = np.append(names == "egress", False)[codes]
        ingress = np.append(names == "ingress", False)[codes]
        local_src, known = egress, egress | ingress
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


def _own_votes(
    space: AddressSpace, eni_cat: pd.Series | None, known: np.ndarray, every_eni: bool
) -> tuple[pd.DataFrame, list[str]]:
    src, dst = space.codes[0], space.codes[1]
    todo = ~known & (src >= 0) & (dst >= 0)
    if eni_cat is None:
        return pd.DataFrame(columns=["eni", "addr", "n"]), []
    return vote_facts(space, eni_cat, todo, every_eni=every_eni, top_only=not every_eni)


def _edges(ev: Evidence, rows: np.ndarray, with_codes: bool = False) -> pd.DataFrame:
    """Both orientations of the ``rows``' distinct address pairs (text), per protocol and
    port; ``with_codes`` keeps their positions in ``ev.names`` (``addr_at``, ``peer_at``)."""
    cls = ev.proto[rows].astype(np.int64) * 65536 + ev.sport[rows]
    a, b = ev.src[rows].astype(np.int64), ev.dst[rows].astype(np.int64)
    codes = pd.DataFrame({"cls": np.r_[cls, cls], "addr": np.r_[a, b], "peer": np.r_[b, a]})
    codes = codes.drop_duplicates()
    names = np.asarray(ev.names, dtype=object)
    addr, peer = codes["addr"].to_numpy(), codes["peer"].to_numpy()
    out = codes.assign(addr=names[addr], peer=names[peer])
    return out.assign(addr_at=addr, peer_at=peer) if with_codes else out


def learn_facts(
    df: pd.DataFrame,
    *,
    vpc_cidrs: Iterable[str] | None = None,
    inventory: Inventory | None = None,
    every_eni: bool = True,
    space: AddressSpace | None = None,
) -> DirectionFacts:
    """The frame-wide facts of ``df`` (see :class:`flowkit.enrich.facts.DirectionFacts`).

    With ``every_eni`` every ENI's votes are kept (facts to merge with other frames'); else
    only the ENIs whose local end needs them.  ``space``: ``df``'s
    :func:`flowkit.enrich.aws.effective_space` when already made.
    """
    if space is None:
        space, _, _ = effective_space(df)
    inside = inside_of(space, vpc_cidrs, inventory)
    local_src, known, eni_cat = _local_known(df, space, inside, inventory)
    ev = evidence(df, space, 4, 5)
    _, rule = record_rules(ev)
    return _learn(space, inside, local_src, known, eni_cat, ev, rule, every_eni)


def _learn(
    space: AddressSpace,
    inside: np.ndarray,
    local_src: np.ndarray,
    known: np.ndarray,
    eni_cat: pd.Series | None,
    ev: Evidence,
    rule: np.ndarray,
    every_eni: bool,
    coded: bool = False,
    voted: Future[tuple[pd.DataFrame, list[str]]] | None = None,
) -> DirectionFacts:
    """:func:`learn_facts` from what :func:`sides` computed already; ``coded`` keeps the
    positions of the addresses in this frame in the conversations and edges, for deciding
    this frame (:func:`_plain` removes them before the facts leave it); ``voted``: the
    :func:`_own_votes` being counted beside this (taken last)."""
    if voted is None:
        voted = later(None, _own_votes, space, eni_cat, known, every_eni)
    undecided = (rule < 0) & (ev.src >= 0) & (ev.dst >= 0)
    local = np.where(known, local_src, -1).astype(np.int8)  # what the frame need not tell
    rows = np.flatnonzero(undecided)
    boxes = translating(space, ev.eni, len(ev.enis), inside)
    enis = np.asarray(ev.enis, dtype=object)
    box_names = [str(x) for x in enis[boxes > 0]]
    nat_names = [str(x) for x in enis[boxes == 2]]
    if not every_eni:  # settled at once: what the decisions read, in no canonical order
        edges = _edges(ev, rows, coded)
        talked = talks(ev, undecided, local, canonical=False, with_codes=coded)
        votes, wanted = voted.result()
        return DirectionFacts(
            votes=votes, wanted=tuple(sorted(set(wanted))), edges=edges, talks=talked,
            boxes=tuple(box_names), nat_boxes=tuple(nat_names), settled=True,
        )  # fmt: skip
    edges, talked = _edges(ev, rows), talks(ev, undecided)
    votes, wanted = voted.result()
    return DirectionFacts.of(votes, wanted, edges, talked, boxes=box_names, nat_boxes=nat_names)


def _local_is_src(
    space: AddressSpace,
    known_ends: tuple[np.ndarray, np.ndarray, pd.Series | None],
    facts: DirectionFacts,
) -> tuple[np.ndarray, np.ndarray]:
    """Per record: whether the source is the capturing ENI's end, and whether that is known.

    Left undecided by :func:`_local_known` (``known_ends``): the ENI's own address
    (:func:`own_addresses` of the votes in ``facts``) is the local end."""
    local_src, known, eni_cat = known_ends
    src, dst = space.codes[0], space.codes[1]
    rows = np.flatnonzero(~known & (src >= 0) & (dst >= 0))  # only these are decided here
    if eni_cat is not None and len(rows):
        own = own_addresses(facts)
        own_of_eni = own.reindex(pd.Index(eni_cat.cat.categories, dtype=object)).to_numpy()
        own_code = space.uniques.get_indexer(pd.Index(own_of_eni, dtype=object))
        own_code = np.append(np.where(own_code >= 0, own_code, -2), -2).astype(src.dtype)
        mine = own_code[np.asarray(eni_cat.cat.codes)[rows]]  # -2: no own address (no code)
        s_mine, d_mine = src[rows] == mine, dst[rows] == mine
        use = s_mine | d_mine
        local_src, known = local_src.copy(), known.copy()
        local_src[rows[use]] = s_mine[use]
        known[rows[use]] = True
    return local_src, known


def _plain(facts: DirectionFacts) -> DirectionFacts:
    """Facts without the positions of a frame's addresses (what may travel with it)."""
    return replace(
        facts,
        talks=facts.talks.drop(columns=["lo_at", "hi_at"], errors="ignore"),
        edges=facts.edges.drop(columns=["addr_at", "peer_at"], errors="ignore"),
    )


def _frame_rules(
    ev: Evidence, facts: DirectionFacts, inside: np.ndarray, client: np.ndarray, rule: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The frame-wide rules of the orientation model (from ``facts``) on the records the
    record rules (``client``, ``rule``) left undecided."""
    if not len(facts.talks) or not (rule < 0).any():
        return client, rule
    decided = talk_decisions(facts.talks, facts.edges, ev.names, inside)
    return orient(ev, decided, (client, rule))


_DIRECTION_OF_PAIR = np.asarray([3, 0, -1, 1, 2, -1, -1, -1, -1], dtype=np.int8)


@dataclass(frozen=True)
class Sides:
    """Per-record arrays of :func:`sides` (address arrays are codes into ``space.uniques``)."""

    space: AddressSpace
    facts: DirectionFacts
    direction: np.ndarray  # int8 into DIRECTIONS, -1 unknown
    local: np.ndarray
    remote: np.ndarray
    local_src: np.ndarray
    lknown: np.ndarray
    translated: np.ndarray  # the local end's packet-level address is not the ENI's
    sport: np.ndarray
    dport: np.ndarray
    s_na: np.ndarray
    d_na: np.ndarray
    client: np.ndarray  # the (packet-level) source is the client
    rule: np.ndarray  # int8 into ORIENT_RULES, -1 unknown
    eff_src: np.ndarray
    eff_dst: np.ndarray

    @property
    def cknown(self) -> np.ndarray:
        """Whether the client is known."""
        return np.asarray(self.rule >= 0)


def sides(
    df: pd.DataFrame,
    vpc_cidrs: Iterable[str] | None,
    inventory: Inventory | None,
    facts: DirectionFacts | None = None,
    *,
    space_of: tuple[AddressSpace, int, int] | None = None,
    pool: Executor | None = None,
) -> Sides:
    """The :class:`Sides` of every record of ``df``; ``facts`` of a larger frame it is part of
    replace those :func:`learn_facts` would learn from ``df``.  ``space_of``: ``df``'s
    :func:`flowkit.enrich.aws.effective_space` when already made; ``pool``: threads to count
    the own-address votes in beside the rest (:mod:`flowkit.enrich.side_by_side`)."""
    space, eff_src_i, eff_dst_i = effective_space(df) if space_of is None else space_of
    src, dst, psrc, pdst = space.codes[:4]
    eff_src, eff_dst = space.codes[eff_src_i], space.codes[eff_dst_i]
    inside = inside_of(space, vpc_cidrs, inventory)
    known_ends = _local_known(df, space, inside, inventory)
    voted = None
    if facts is None:  # the votes need only the known ends: counted beside the record rules
        voted = later(pool, _own_votes, space, known_ends[2], known_ends[1], False)
    ev = evidence(df, space, eff_src_i, eff_dst_i)
    client, rule = record_rules(ev)
    coded = None
    if facts is None:
        coded = _learn(space, inside, *known_ends, ev, rule, False, coded=True, voted=voted)
        facts = _plain(coded)
    # per address 0 outside, 1 inside, 2 none (the last entry: code -1); per pair of them:
    # 0 neither (external 3), 1 dst (inbound 0), 2 none, 3 src (outbound 1), 4 both (internal 2)
    where = np.append(inside.astype(np.int8), np.int8(2))
    pair = where[eff_src] * np.int8(3)
    pair += where[eff_dst]
    direction = _DIRECTION_OF_PAIR[pair]
    local_src, lknown = _local_is_src(space, known_ends, facts)
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
    client, rule = _frame_rules(ev, coded or facts, inside, client, rule)
    return Sides(
        space=space, facts=facts, direction=direction, local=local, remote=remote,
        local_src=local_src, lknown=lknown, translated=translated, sport=ev.sport,
        dport=ev.dport, s_na=ev.s_na, d_na=ev.d_na, client=client, rule=rule,
        eff_src=np.asarray(eff_src), eff_dst=np.asarray(eff_dst),
    )  # fmt: skip


def _codes_in(space: AddressSpace, column: pd.Series) -> np.ndarray:
    """Codes into ``space.uniques`` of an address column (-1: missing), mapped per distinct."""
    cat = column if isinstance(column.dtype, pd.CategoricalDtype) else column.astype("category")
    at = space.uniques.get_indexer(pd.Index(np.asarray(cat.cat.categories, dtype=object)))
    return np.append(at, -1)[np.asarray(cat.cat.codes, dtype=np.int64)]


def orientation_of(
    df: pd.DataFrame, facts: DirectionFacts | None = None
) -> tuple[AddressSpace, int, int, np.ndarray, np.ndarray]:
    """Who is the client of every record: the enrichment's answer when ``df`` has it
    (``client_addr`` and ``orient_rule``), else the one model's, with ``facts`` (default: the
    frame's own, :func:`flowkit.enrich.facts.frame_facts`, else learned from ``df``).

    Returns the address space (:func:`flowkit.enrich.aws.effective_space`), the indices of the
    packet-level source and destination codes in it, whether each record's source is the
    client, and the rule that decided (index into ``ORIENT_RULES``, -1: unknown).
    """
    space, si, di = effective_space(df)
    src = np.asarray(space.codes[si])
    if "orient_rule" in df.columns and "client_addr" in df.columns:
        rule_col = df["orient_rule"].astype("category")
        rule = np.asarray(rule_col.cat.codes, dtype=np.int8)
        client = _codes_in(space, df["client_addr"]) == src
        return space, si, di, client, rule
    if facts is None:
        facts = frame_facts(df)
    if facts is None:
        facts = learn_facts(df, every_eni=False, space=space)
    ev = evidence(df, space, si, di)
    client, rule = _frame_rules(ev, facts, inside_of(space), *record_rules(ev))
    return space, si, di, client, rule


#: The enrichment columns :func:`sides_of` reads instead of recomputing the sides.
SIDE_COLUMNS: tuple[str, ...] = (
    "direction", "local_addr", "remote_addr", "client_addr", "orient_rule",
)  # fmt: skip


def sides_of(
    df: pd.DataFrame,
    vpc_cidrs: Iterable[str] | None = None,
    inventory: Inventory | None = None,
    facts: DirectionFacts | None = None,
) -> Sides:
    """:func:`sides`, read from the enrichment columns (:data:`SIDE_COLUMNS`) when ``df`` has
    them and neither ``vpc_cidrs`` nor ``inventory`` asks for other answers; else computed
    (with ``facts``, default the frame's own, :func:`flowkit.enrich.facts.frame_facts`)."""

    if facts is None:
        facts = frame_facts(df)
    if vpc_cidrs is not None or inventory is not None or not set(SIDE_COLUMNS) <= set(df):
        return sides(df, vpc_cidrs, inventory, facts)
    space, si, di, client, rule = orientation_of(df)
    src, _, psrc, pdst = (np.asarray(c) for c in space.codes[:4])
    local = _codes_in(space, df["local_addr"])
    lknown = local >= 0
    local_src = lknown & (local == src)
    local_pkt = np.where(local_src, psrc, pdst)
    direction = df["direction"].astype(pd.CategoricalDtype(list(DIRECTIONS)))
    ev = evidence(df, space, si, di)
    return Sides(
        space=space, facts=facts if facts is not None else merge_direction_facts([]),
        direction=np.asarray(direction.cat.codes, dtype=np.int8), local=local,
        remote=_codes_in(space, df["remote_addr"]), local_src=local_src, lknown=lknown,
        translated=(local_pkt >= 0) & (local_pkt != local), sport=ev.sport, dport=ev.dport,
        s_na=ev.s_na, d_na=ev.d_na, client=client, rule=rule, eff_src=np.asarray(space.codes[si]),
        eff_dst=np.asarray(space.codes[di]),
    )  # fmt: skip
