"""Facts of a whole frame that per-record enrichment depends on, as small mergeable values.

Some answers about one record need the other records: which address is an ENI's own (the one
in most of its records), and which side of an equal-port exchange (NTP 123 to 123, ICMP) has
more distinct peers.  :class:`DirectionFacts` holds the raw counts behind those answers, keyed
by text (ENI ids, addresses), never the decisions, so the facts of two frames merge exactly:
``merge_direction_facts([facts_of(a), facts_of(b)]) == facts_of(concat([a, b]))``.  The
decisions are taken from the counts by the same functions whatever frame they came from
(:func:`own_addresses`, :func:`peer_counts`).  :class:`flowkit.enrich.dedupe.DedupeFacts`
does the same for :func:`flowkit.dedupe` (which ENIs forward others' traffic, which addresses
and services the workload ENIs logged), so top talkers and conversations are exact on Dask too.
Votes and ends are held as compact categoricals (:func:`tally_votes`), and once merged they are
*settled* (:meth:`DirectionFacts.settle`): cut to what the decisions read, small enough to
travel with every partition.

A Dask frame is enriched in two passes with them (:mod:`flowkit.engine_dask`): the facts of
every partition, merged; then every partition enriched with the merged, settled facts, so
each record gets the enrichment it gets in the pandas engine's one frame.

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

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from flowkit.enrich.addresses import AddressSpace

__all__ = [
    "DirectionFacts",
    "compact",
    "merge_direction_facts",
    "own_addresses",
    "peer_counts",
    "tally_votes",
    "united_codes",
]

_ROUNDS = 8  # rounds of elimination when several addresses tie for an ENI


def _coded(column: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Names (object) and codes (-1: missing) of a column, categorical or not."""
    col = column if isinstance(column, pd.Series) else pd.Series(column, dtype=object)
    if not isinstance(col.dtype, pd.CategoricalDtype):
        col = col.astype(object).astype("category")
    return np.asarray(col.cat.categories, dtype=object), np.asarray(col.cat.codes, np.int64)


def united_codes(columns: Sequence[pd.Series | np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The sorted union of the columns' names and every row's code in it, concatenated.

    Examples
    --------
    >>> names, codes = united_codes([pd.Series(["b", "a"]), pd.Series(["c", None, "b"])])
    >>> names.tolist(), codes.tolist()
    (['a', 'b', 'c'], [1, 0, 2, -1, 1])
    """
    coded = [_coded(c) for c in columns]
    every = np.concatenate([n for n, _ in coded]) if coded else np.array([], dtype=object)
    names, where = np.unique(every.astype(str), return_inverse=True)
    out, offset = [], 0
    for n, codes in coded:
        here = np.append(where[offset : offset + len(n)], -1)  # code -1 stays -1
        offset += len(n)
        out.append(here[codes])
    codes = np.concatenate(out) if out else np.array([], dtype=np.int64)
    return names.astype(object), codes.astype(np.int64)


def compact(names: np.ndarray, codes: np.ndarray) -> pd.Categorical:
    """A categorical of ``names[codes]`` (-1: missing) whose categories are only the names
    used, in the order of ``names`` (sorted names: sorted categories).  Compact to hold, to
    pickle and to compare: the same values always give the same categories."""
    used = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(names)))
    position = np.full(len(names) + 1, -1, dtype=np.int64)
    position[used] = np.arange(len(used))
    categories = pd.Index(names[used], dtype=object)
    return pd.Categorical.from_codes(position[codes], categories=categories)


def tally_votes(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Votes (``eni``, ``addr``, ``n``) of several frames, summed per pair, one row per pair
    sorted by ENI and address; ``eni`` and ``addr`` are compact categoricals (:func:`compact`).

    Examples
    --------
    >>> a = pd.DataFrame({"eni": ["e-2", "e-1"], "addr": ["10.0.0.9", "10.0.0.5"], "n": [1, 2]})
    >>> b = pd.DataFrame({"eni": ["e-1"], "addr": ["10.0.0.5"], "n": [3]})
    >>> tally_votes([a, b]).astype({"eni": str, "addr": str}).values.tolist()
    [['e-1', '10.0.0.5', 5], ['e-2', '10.0.0.9', 1]]
    """
    parts = [p for p in parts if len(p)]
    eni_names, eni = united_codes([p["eni"] for p in parts])
    addr_names, addr = united_codes([p["addr"] for p in parts])
    n = np.concatenate([p["n"].to_numpy(dtype=np.int64) for p in parts]) if parts else eni
    width = max(len(addr_names), 1)
    sums = pd.Series(n, dtype=np.int64).groupby(eni * width + addr, sort=True).sum()
    keys = sums.index.to_numpy(dtype=np.int64)
    return pd.DataFrame({
        "eni": compact(eni_names, keys // width),
        "addr": compact(addr_names, keys % width),
        "n": sums.to_numpy(dtype=np.int64),
    })  # fmt: skip


def _edges_frame(cls: object, addr: object, peer: object) -> pd.DataFrame:
    out = pd.DataFrame({"cls": cls, "addr": addr, "peer": peer})
    return out.astype({"cls": "int64", "addr": object, "peer": object})


@dataclass(frozen=True, eq=False)
class DirectionFacts:
    """Frame-wide counts behind :func:`flowkit.enrich.add_direction` and ``add_service_side``.

    Attributes
    ----------
    votes : DataFrame
        ``eni``, ``addr`` (compact categoricals), ``n``: how many records of each ENI carry
        each address (records with both addresses), one row per pair, sorted.
    wanted : tuple of str
        ENIs with records whose local end neither ``flow-direction``, the inventory nor the
        network edge tells (their own address is learned from ``votes``), sorted.
    edges : DataFrame
        ``cls`` (protocol * 65536 + port), ``addr``, ``peer``: the distinct pairs of
        packet-level addresses that exchanged equal-port records the flags and ports do not
        decide, in both orientations, sorted.
    settled : bool
        The votes were cut to what the decisions read (:meth:`settle`): such facts decide as
        the whole ones but cannot be merged any more.
    """

    votes: pd.DataFrame
    wanted: tuple[str, ...]
    edges: pd.DataFrame
    settled: bool = False

    @classmethod
    def of(cls, votes: pd.DataFrame, wanted: Sequence[str], edges: pd.DataFrame) -> DirectionFacts:
        """Facts in canonical form: summed per pair, sorted, deduplicated."""
        e = _edges_frame(edges["cls"], edges["addr"], edges["peer"]).drop_duplicates()
        e = e.sort_values(["cls", "addr", "peer"], ignore_index=True)
        return cls(votes=tally_votes([votes]), wanted=tuple(sorted(set(wanted))), edges=e)

    def settle(self) -> DirectionFacts:
        """The facts cut to what :func:`own_addresses` and :func:`peer_counts` read: the votes
        of the wanted ENIs for their most-voted addresses (usually one per wanted ENI, where
        the whole votes can hold one row per ENI and peer).  They decide every record as these
        facts do, and are what the Dask engine sends with every partition; they cannot be
        merged (:func:`merge_direction_facts` raises a ``ValueError``).

        Examples
        --------
        >>> from flowkit.enrich.direction import direction_facts
        >>> df = pd.DataFrame({"interface_id": ["eni-1"] * 3,
        ...     "srcaddr": ["10.0.0.5", "10.0.0.9", "10.0.0.5"],
        ...     "dstaddr": ["10.0.0.9", "10.0.0.5", "10.0.0.7"]})
        >>> facts = direction_facts(df)
        >>> len(facts.votes), len(facts.settle().votes)
        (3, 1)
        >>> own_addresses(facts.settle()).equals(own_addresses(facts))
        True
        """
        votes = self.votes[self.votes["eni"].isin(self.wanted)]
        best = votes.groupby("eni", observed=True)["n"].transform("max")
        top = tally_votes([votes[votes["n"] == best]])
        return DirectionFacts(votes=top, wanted=self.wanted, edges=self.edges, settled=True)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DirectionFacts):
            return NotImplemented
        return (
            self.wanted == other.wanted
            and self.settled == other.settled
            and self.votes.equals(other.votes)
            and self.edges.equals(other.edges)
        )

    __hash__ = None  # type: ignore[assignment]


def merge_direction_facts(parts: Sequence[DirectionFacts]) -> DirectionFacts:
    """The facts of the frames together: votes summed, wanted ENIs and edges united (exact)."""
    if any(p.settled for p in parts):
        raise ValueError("settled facts cannot be merged: merge the facts, then settle them")
    if not parts:
        return DirectionFacts.of(_no_votes(), (), _edges_frame([], [], []))
    edges = pd.concat([p.edges for p in parts], ignore_index=True)
    e = edges.drop_duplicates().sort_values(["cls", "addr", "peer"], ignore_index=True)
    votes = tally_votes([p.votes for p in parts])
    return DirectionFacts(votes, tuple(sorted({w for p in parts for w in p.wanted})), e)


def _no_votes() -> pd.DataFrame:
    return pd.DataFrame({"eni": pd.Series([], dtype=object), "addr": pd.Series([], dtype=object),
                         "n": pd.Series([], dtype=np.int64)})  # fmt: skip


def own_addresses(facts: DirectionFacts) -> pd.Series:
    """Own address of each wanted ENI (index: ENI id), decided from the votes.

    The candidates of an ENI are the addresses in the largest number of its records (its own
    address is in every one).  Ties are broken by elimination (an address that is the only
    candidate of one ENI is not another ENI's), then by the smallest address text.
    """
    pairs = facts.votes[facts.votes["eni"].isin(facts.wanted)]
    pairs = pairs.astype({"eni": object, "addr": object})
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
    """The votes of the ENIs with ``todo`` records (of every ENI if ``every_eni``)."""
    src, dst = space.codes[0], space.codes[1]
    eni = np.asarray(eni_cat.cat.codes, dtype=np.int64)
    known = eni >= 0  # records without an interface_id cannot vote
    n_eni = len(eni_cat.cat.categories)
    wanted = np.bincount(eni[todo & known], minlength=n_eni) > 0
    voters = np.ones(n_eni, dtype=bool) if every_eni else wanted
    rows = np.flatnonzero(known & voters[np.maximum(eni, 0)] & (src >= 0) & (dst >= 0))
    e, a, n = _votes(eni, src, dst, rows, max(len(space.uniques), 1))
    names = pd.Index(eni_cat.cat.categories, dtype=object)
    votes = pd.DataFrame({
        "eni": pd.Categorical.from_codes(e, categories=names, validate=False),
        "addr": pd.Categorical.from_codes(a, categories=pd.Index(space.uniques, dtype=object),
                                          validate=False),
        "n": n,
    })  # fmt: skip
    return votes, [str(x) for x in names[wanted]]
