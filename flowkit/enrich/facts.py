"""Facts of a whole frame that per-record enrichment depends on, as small mergeable values.

Some answers about one record need the other records: which address is an ENI's own (the one
in most of its records), and which side of an equal-port exchange (NTP 123 to 123, ICMP) has
more distinct peers.  :class:`DirectionFacts` holds the raw counts behind those answers, keyed
by text (ENI ids, addresses), never the decisions, so the facts of two frames merge exactly:
``merge_direction_facts([facts_of(a), facts_of(b)]) == facts_of(concat([a, b]))``.  The
decisions are taken from the counts by the same functions whatever frame they came from
(:func:`own_addresses`, :func:`peer_counts`).  :class:`DedupeFacts` does the same for
:func:`flowkit.dedupe` (which ENIs forward others' traffic, which addresses and services the
workload ENIs logged), so top talkers and conversations are exact on Dask too.

A Dask frame is enriched in two passes with them (:mod:`flowkit.engine_dask`): the facts of
every partition, merged; then every partition enriched with the merged facts, so each record
gets the enrichment it gets in the pandas engine's one frame.

Examples
--------
>>> import pandas as pd
>>> from flowkit.enrich.direction import direction_facts
>>> rows = {"interface_id": ["eni-1", "eni-1", "eni-1"],
...         "srcaddr": ["10.0.0.5", "10.0.0.9", "10.0.0.5"],
...         "dstaddr": ["10.0.0.9", "10.0.0.5", "10.0.0.7"]}
>>> a, b = pd.DataFrame(rows).iloc[:2], pd.DataFrame(rows).iloc[2:]
>>> merged = merge_direction_facts([direction_facts(a), direction_facts(b)])
>>> merged == direction_facts(pd.DataFrame(rows))
True
>>> own_addresses(merged).to_dict()  # in all three records
{'eni-1': '10.0.0.5'}
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from flowkit.enrich.addresses import AddressSpace

__all__ = [
    "DedupeFacts",
    "DirectionFacts",
    "merge_dedupe_facts",
    "merge_direction_facts",
    "own_addresses",
    "peer_counts",
]

_ROUNDS = 8  # rounds of elimination when several addresses tie for an ENI


def _votes_frame(eni: object, addr: object, n: object) -> pd.DataFrame:
    out = pd.DataFrame({"eni": eni, "addr": addr, "n": n})
    return out.astype({"eni": object, "addr": object, "n": "int64"})


def _edges_frame(cls: object, addr: object, peer: object) -> pd.DataFrame:
    out = pd.DataFrame({"cls": cls, "addr": addr, "peer": peer})
    return out.astype({"cls": "int64", "addr": object, "peer": object})


@dataclass(frozen=True, eq=False)
class DirectionFacts:
    """Frame-wide counts behind :func:`flowkit.enrich.add_direction` and ``add_service_side``.

    Attributes
    ----------
    votes : DataFrame
        ``eni``, ``addr``, ``n``: how many records of each ENI carry each address (records
        with both addresses), one row per pair, sorted.
    wanted : tuple of str
        ENIs with records whose local end neither ``flow-direction``, the inventory nor the
        network edge tells (their own address is learned from ``votes``), sorted.
    edges : DataFrame
        ``cls`` (protocol * 65536 + port), ``addr``, ``peer``: the distinct pairs of
        packet-level addresses that exchanged equal-port records the flags and ports do not
        decide, in both orientations, sorted.
    """

    votes: pd.DataFrame
    wanted: tuple[str, ...]
    edges: pd.DataFrame

    @classmethod
    def of(cls, votes: pd.DataFrame, wanted: Sequence[str], edges: pd.DataFrame) -> DirectionFacts:
        """Facts in canonical form: summed per pair, sorted, deduplicated."""
        v = _votes_frame(votes["eni"], votes["addr"], votes["n"])
        summed = v.groupby(["eni", "addr"], sort=True)["n"].sum().reset_index()
        v = _votes_frame(summed["eni"], summed["addr"], summed["n"])
        e = _edges_frame(edges["cls"], edges["addr"], edges["peer"]).drop_duplicates()
        e = e.sort_values(["cls", "addr", "peer"], ignore_index=True)
        return cls(votes=v, wanted=tuple(sorted(set(wanted))), edges=e)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DirectionFacts):
            return NotImplemented
        return (
            self.wanted == other.wanted
            and self.votes.equals(other.votes)
            and self.edges.equals(other.edges)
        )

    __hash__ = None  # type: ignore[assignment]


def merge_direction_facts(parts: Sequence[DirectionFacts]) -> DirectionFacts:
    """The facts of the frames together: votes summed, wanted ENIs and edges united (exact)."""
    if not parts:
        return DirectionFacts.of(_votes_frame([], [], []), (), _edges_frame([], [], []))
    votes = pd.concat([p.votes for p in parts], ignore_index=True)
    edges = pd.concat([p.edges for p in parts], ignore_index=True)
    return DirectionFacts.of(votes, [w for p in parts for w in p.wanted], edges)


def own_addresses(facts: DirectionFacts) -> pd.Series:
    """Own address of each wanted ENI (index: ENI id), decided from the votes.

    The candidates of an ENI are the addresses in the largest number of its records (its own
    address is in every one).  Ties are broken by elimination (an address that is the only
    candidate of one ENI is not another ENI's), then by the smallest address text.
    """
    pairs = facts.votes[facts.votes["eni"].isin(facts.wanted)]
    best = pairs.groupby("eni")["n"].transform("max")
    cand = pairs[pairs["n"] == best]
    own = pd.Series(dtype=object)
    for _ in range(_ROUNDS):
        free = cand[~cand["eni"].isin(own.index) & ~cand["addr"].isin(own.to_numpy())]
        single = free[free.groupby("eni")["addr"].transform("size") == 1]
        if single.empty:
            break
        own = pd.concat([own, pd.Series(single["addr"].to_numpy(), index=single["eni"])])
    rest = cand[~cand["eni"].isin(own.index)].drop_duplicates("eni")  # sorted: smallest address
    own = pd.concat([own, pd.Series(rest["addr"].to_numpy(), index=rest["eni"])])
    return own.astype(object)


def peer_counts(edges: pd.DataFrame) -> pd.Series:
    """Distinct peers of each ``(cls, addr)`` of an edge table (text addresses or codes)."""
    return edges.drop_duplicates().groupby(["cls", "addr"]).size().rename("n")


def _votes(
    eni: np.ndarray, src: np.ndarray, dst: np.ndarray, rows: np.ndarray, nu: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ENI code, address code and count of every (ENI, address) pair of the ``rows``."""
    e, s, d = eni[rows].astype(np.int64), src[rows], dst[rows]
    flat = np.concatenate([e * nu + s, e * nu + d])
    size = (int(eni.max(initial=-1)) + 1) * nu
    if size <= 2**26:  # small: count with bincount, no sort
        counts = np.bincount(flat, minlength=size)
        present = np.flatnonzero(counts)
        keys, n = present, counts[present]
    else:
        keys, n = np.unique(flat, return_counts=True)
    return keys // nu, keys % nu, n


def _vote_facts(
    space: AddressSpace, eni_cat: pd.Series, todo: np.ndarray, every_eni: bool
) -> tuple[pd.DataFrame, list[str]]:
    """The votes (as text) of the ENIs with ``todo`` records (of every ENI if ``every_eni``)."""
    src, dst = space.codes[0], space.codes[1]
    eni = np.asarray(eni_cat.cat.codes, dtype=np.int64)
    known = eni >= 0  # records without an interface_id cannot vote
    n_eni = len(eni_cat.cat.categories)
    wanted = np.bincount(eni[todo & known], minlength=n_eni) > 0
    voters = np.ones(n_eni, dtype=bool) if every_eni else wanted
    rows = np.flatnonzero(known & voters[np.maximum(eni, 0)] & (src >= 0) & (dst >= 0))
    e, a, n = _votes(eni, src, dst, rows, max(len(space.uniques), 1))
    names = np.asarray(eni_cat.cat.categories, dtype=object)
    uniques = np.asarray(space.uniques, dtype=object)
    votes = pd.DataFrame({"eni": names[e], "addr": uniques[a], "n": n})
    return votes, [str(x) for x in names[wanted]]


@dataclass(frozen=True, eq=False)
class DedupeFacts:
    """Frame-wide facts behind :func:`flowkit.dedupe`, found by
    :func:`flowkit.enrich.dedupe_facts`; facts of several frames merge exactly
    (:func:`merge_dedupe_facts`).

    Attributes
    ----------
    direction : DirectionFacts
        The direction facts of the whole frame
        (:func:`flowkit.enrich.direction.direction_facts`) the ends were found with.
    translating : tuple of str
        ENIs with records whose packet-level local address is not the ENI's (they forward
        others' traffic), sorted.
    ends : DataFrame
        ``eni``, ``declared`` (the record's ``eni_type``/``interface_type`` is a middlebox's),
        ``addr`` (local address), ``remote``, ``key`` (protocol * 65536 + service port): the
        distinct ends of the records with both addresses, sorted.
    """

    direction: DirectionFacts
    translating: tuple[str, ...]
    ends: pd.DataFrame

    @classmethod
    def of(
        cls, direction: DirectionFacts, translating: Iterable[str], ends: pd.DataFrame
    ) -> DedupeFacts:
        """Facts in canonical form: sorted, deduplicated."""
        e = ends.astype({"eni": object, "declared": bool, "addr": object, "remote": object,
                         "key": "int64"})[list(_ENDS)]  # fmt: skip
        e = e.drop_duplicates().sort_values(list(_ENDS), ignore_index=True, na_position="first")
        return cls(direction, tuple(sorted(set(translating))), e)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DedupeFacts):
            return NotImplemented
        return (
            self.direction == other.direction
            and self.translating == other.translating
            and self.ends.equals(other.ends)
        )

    __hash__ = None  # type: ignore[assignment]


_ENDS = ("eni", "declared", "addr", "remote", "key")


def merge_dedupe_facts(parts: Sequence[DedupeFacts]) -> DedupeFacts:
    """The :class:`DedupeFacts` of the frames together (unions; exact).

    Every part must have been found with the same direction facts: those of all the frames
    (:func:`flowkit.enrich.dedupe_facts` with ``direction=``); a ``ValueError`` says when
    they were not.
    """
    direction = parts[0].direction if parts else merge_direction_facts([])
    if any(p.direction is not direction and p.direction != direction for p in parts):
        raise ValueError(
            "the parts were found with different direction facts; pass the merged direction "
            "facts of all of them to dedupe_facts(direction=...)"
        )
    ends = pd.concat([p.ends for p in parts], ignore_index=True) if parts else _no_ends()
    return DedupeFacts.of(direction, [t for p in parts for t in p.translating], ends)


def _no_ends() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in _ENDS})
