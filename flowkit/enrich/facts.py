"""Facts of a whole frame that per-record enrichment depends on, as small mergeable values.

Some answers about one record need the other records: which address is an ENI's own (the one
in most of its records), and which side of an equal-port exchange (NTP 123 to 123, ICMP) has
more distinct peers.  :class:`DirectionFacts` holds the raw counts behind those answers, keyed
by text (ENI ids, addresses), never the decisions, so the facts of two frames merge exactly:
``merge_direction_facts([facts_of(a), facts_of(b)]) == facts_of(concat([a, b]))``.  The
decisions are taken from the counts by the same functions whatever frame they came from
(:func:`own_addresses`, :func:`flowkit.enrich.talks.talk_decisions`).
:class:`flowkit.enrich.dedupe_copies.DedupeFacts` does the same for :func:`flowkit.dedupe`
(which ENIs forward others' traffic, which addresses and services the workload ENIs logged),
so top talkers and conversations are exact on Dask too.
Votes and ends are held as compact categoricals (:func:`tally_votes`), and once merged they are
*settled* (:meth:`DirectionFacts.settle`): cut to what the decisions read, small enough to
travel with every partition.

A Dask frame is enriched in two passes with them (:mod:`flowkit.engine.dask.read`): the facts of
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
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from flowkit.enrich.addresses import AddressSpace, compact
from flowkit.enrich.talks import merge_talks, no_talks

__all__ = [
    "DirectionFacts",
    "compact",
    "frame_facts",
    "merge_direction_facts",
    "own_addresses",
    "tally_votes",
    "united_codes",
    "vote_facts",
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
    """Frame-wide counts behind the enrichment's sides and orientation
    (:func:`flowkit.enrich.add_direction`, ``add_service_side``, ``orient_rule``).

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
        packet-level addresses that exchanged records the record alone does not orient (ICMP
        with ``0 0`` ports, equal ports), in both orientations, sorted (the fan-in rule).
    talks : DataFrame
        The conversations of those records per ENI (:func:`flowkit.enrich.talks.talks`:
        first start and accepted/rejected per side), for the frame-wide orientation rules.
    boxes : tuple of str
        ENIs seen translating addresses (:func:`flowkit.enrich.middlebox.translating`), sorted.
    nat_boxes : tuple of str
        Those of ``boxes`` that translate for an address outside your network (NAT-like).
    settled : bool
        The votes were cut to what the decisions read (:meth:`settle`): such facts decide as
        the whole ones but cannot be merged any more.
    """

    votes: pd.DataFrame
    wanted: tuple[str, ...]
    edges: pd.DataFrame
    talks: pd.DataFrame = field(default_factory=no_talks)
    boxes: tuple[str, ...] = ()
    nat_boxes: tuple[str, ...] = ()
    settled: bool = False

    @classmethod
    def of(
        cls,
        votes: pd.DataFrame,
        wanted: Sequence[str],
        edges: pd.DataFrame,
        talks: pd.DataFrame | None = None,
        boxes: Sequence[str] = (),
        nat_boxes: Sequence[str] = (),
    ) -> DirectionFacts:
        """Facts in canonical form: summed per pair, sorted, deduplicated."""
        e = _edges_frame(edges["cls"], edges["addr"], edges["peer"]).drop_duplicates()
        e = e.sort_values(["cls", "addr", "peer"], ignore_index=True)
        return cls(
            votes=tally_votes([votes]), wanted=tuple(sorted(set(wanted))), edges=e,
            talks=merge_talks([] if talks is None else [talks]),
            boxes=tuple(sorted(set(boxes))), nat_boxes=tuple(sorted(set(nat_boxes))),
        )  # fmt: skip

    def settle(self) -> DirectionFacts:
        """The facts cut to what :func:`own_addresses`, the fan-in counts and the orientation
        read: the votes of the wanted ENIs for their most-voted addresses (usually one per
        wanted ENI, where the whole votes can hold one row per ENI and peer) and the fan-in
        edges of the addresses of the conversations.  They decide every record as these facts
        do, and are what the Dask engine sends with every partition (and a read keeps in
        ``attrs``); they cannot be merged (:func:`merge_direction_facts` raises a
        ``ValueError``).

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
        if self.settled:
            return self
        votes = self.votes[self.votes["eni"].isin(self.wanted)]
        best = votes.groupby("eni", observed=True)["n"].transform("max")
        top = tally_votes([votes[votes["n"] == best]])
        talked = pd.unique(np.concatenate([self.talks["lo"].to_numpy(object),
                                           self.talks["hi"].to_numpy(object)]))  # fmt: skip
        edges = self.edges[self.edges["addr"].isin(talked)].reset_index(drop=True)
        return replace(self, votes=top, edges=edges, settled=True)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DirectionFacts):
            return NotImplemented
        return (
            self.wanted == other.wanted
            and self.settled == other.settled
            and self.boxes == other.boxes
            and self.nat_boxes == other.nat_boxes
            and self.votes.equals(other.votes)
            and self.edges.equals(other.edges)
            and self.talks.equals(other.talks)
        )

    __hash__ = None  # type: ignore[assignment]


def merge_direction_facts(parts: Sequence[DirectionFacts]) -> DirectionFacts:
    """The facts of the frames together: votes summed, wanted ENIs, edges, conversations and
    boxes united (exact)."""
    if any(p.settled for p in parts):
        raise ValueError("settled facts cannot be merged: merge the facts, then settle them")
    if not parts:
        return DirectionFacts.of(_no_votes(), (), _edges_frame([], [], []))
    edges = pd.concat([p.edges for p in parts], ignore_index=True)
    e = edges.drop_duplicates().sort_values(["cls", "addr", "peer"], ignore_index=True)
    votes = tally_votes([p.votes for p in parts])
    return DirectionFacts(
        votes, tuple(sorted({w for p in parts for w in p.wanted})), e,
        talks=merge_talks([p.talks for p in parts]),
        boxes=tuple(sorted({b for p in parts for b in p.boxes})),
        nat_boxes=tuple(sorted({b for p in parts for b in p.nat_boxes})),
    )  # fmt: skip


def _no_votes() -> pd.DataFrame:
    return pd.DataFrame({"eni": pd.Series([], dtype=object), "addr": pd.Series([], dtype=object),
                         "n": pd.Series([], dtype=np.int64)})  # fmt: skip


def frame_facts(df: object) -> DirectionFacts | None:
    """The settled facts a read or :func:`flowkit.enrich.enrich` left with a frame
    (``attrs["flowkit"]["facts"]``; for a Dask frame, its meta's), or ``None``."""
    meta = getattr(df, "_meta", df)
    attrs = getattr(meta, "attrs", None)
    prov = attrs.get("flowkit") if isinstance(attrs, dict) else None
    facts = prov.get("facts") if isinstance(prov, dict) else None
    return facts if isinstance(facts, DirectionFacts) else None


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


def _votes(
    eni: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
    rows: np.ndarray | None,
    nu: int,
    top_only: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ENI code, address code and count of every (ENI, address) pair of the ``rows`` (positions
    or a mask), sorted by ENI then address (with ``top_only``, of each ENI's most-voted
    addresses only)."""
    every = rows is None
    e = eni if every else eni[rows]
    s, d = (src, dst) if every else (src[rows], dst[rows])
    n_eni = int(eni.max(initial=-1)) + 1
    if top_only:
        return _top_votes(e, s, d, n_eni, nu)
    base = e.astype(np.int64) * nu
    size = n_eni * nu
    if size <= 2**26:  # small: count with bincount, no sort
        counts = np.bincount(base + s, minlength=size) + np.bincount(base + d, minlength=size)
        keys = np.flatnonzero(counts)
        n = counts[keys]
    else:
        keys, n = np.unique(np.concatenate([base + s, base + d]), return_counts=True)
    return keys // nu, keys % nu, n


def _top_votes(
    e: np.ndarray, s: np.ndarray, d: np.ndarray, n_eni: int, nu: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each ENI's most-voted addresses and their votes, without counting every address.

    An ENI's own address is in every one of its records, hence in its first: only the two
    addresses of the first record are counted.  One of them in every record has the most
    votes (another address is in fewer records, and no record holds it twice), and only the
    other can tie with it.  ENIs with no address in every record (several own addresses) are
    counted in full."""
    n = len(e)
    if not n:
        none = np.zeros(0, dtype=np.int64)
        return none, none, none
    first = np.full(n_eni, -1, dtype=np.int64)
    first[e[::-1]] = np.arange(n - 1, -1, -1, dtype=np.int32 if n < 2**31 else np.int64)
    present = first >= 0
    records = np.bincount(e, minlength=n_eni)
    counted = []
    same = np.flatnonzero(s == d)  # records with both ends equal (few): the address counts once
    for ends in (s, d):
        cand = np.where(present, ends[np.maximum(first, 0)], -1).astype(ends.dtype)
        at = cand[e]
        lacking = s != at
        lacking &= d != at
        missing = np.bincount(e[lacking], minlength=n_eni)  # few: mostly own records
        twice = np.bincount(e[same[s[same] == at[same]]], minlength=n_eni)
        counted.append((cand, present & (missing == 0), records - missing + twice))
    (ca, every_a, va), (cb, every_b, vb) = counted
    every_b &= cb != ca  # the same address twice: count it once
    settled = every_a | every_b
    best = np.maximum(np.where(every_a, va, 0), np.where(every_b, vb, 0))
    win_a = np.flatnonzero(every_a & (va == best))
    win_b = np.flatnonzero(every_b & (vb == best))
    te, ta = np.r_[win_a, win_b], np.r_[ca[win_a], cb[win_b]]
    tn = best[te]
    rest = np.flatnonzero(present & ~settled)
    if len(rest):  # several own addresses: count every address of these ENIs
        rows = np.flatnonzero(np.isin(e, rest))
        re_, ra, rn = _votes(e, s, d, rows, nu)
        starts = np.flatnonzero(np.r_[True, re_[1:] != re_[:-1]]) if len(re_) else re_
        top = rn == np.repeat(np.maximum.reduceat(rn, starts), np.diff(np.r_[starts, len(re_)]))
        te, ta, tn = np.r_[te, re_[top]], np.r_[ta, ra[top]], np.r_[tn, rn[top]]
    order = np.lexsort((ta, te))
    return te[order], ta[order].astype(np.int64), tn[order]


def vote_facts(
    space: AddressSpace,
    eni_cat: pd.Series,
    todo: np.ndarray,
    every_eni: bool,
    *,
    top_only: bool = False,
) -> tuple[pd.DataFrame, list[str]]:
    """The votes of the ENIs with ``todo`` records (of every ENI if ``every_eni``); with
    ``top_only`` only each ENI's most-voted addresses (what :meth:`DirectionFacts.settle`
    keeps: facts that are settled at once, without the whole table)."""
    src, dst = space.codes[0], space.codes[1]
    eni = np.asarray(eni_cat.cat.codes)  # small codes: gathers and compares read less
    known = eni >= 0  # records without an interface_id cannot vote
    n_eni = len(eni_cat.cat.categories)
    wanted = np.bincount(eni[todo & known], minlength=n_eni) > 0
    voters = np.ones(n_eni, dtype=bool) if every_eni else wanted
    voting = known & np.append(voters, False)[eni] & (src >= 0) & (dst >= 0)  # -1: no ENI
    rows = None if voting.all() else voting  # a mask: no 64-bit positions of most rows
    e, a, n = _votes(eni, src, dst, rows, max(len(space.uniques), 1), top_only)
    names = pd.Index(eni_cat.cat.categories, dtype=object)
    votes = pd.DataFrame({
        "eni": pd.Categorical.from_codes(e, categories=names, validate=False),
        "addr": pd.Categorical.from_codes(a, categories=pd.Index(space.uniques, dtype=object),
                                          validate=False),
        "n": n,
    })  # fmt: skip
    return votes, [str(x) for x in names[wanted]]
