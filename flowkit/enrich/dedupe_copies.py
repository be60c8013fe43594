"""Counting each byte once: :func:`dedupe` and its mergeable facts.

Every ENI that sees a connection logs it: the peer's ENI, a NAT gateway's, a load balancer's.
:func:`dedupe` drops the copies that other ENIs logged of the same bytes; :func:`dedupe_facts`
finds what it learns from a frame as facts that merge exactly (:func:`merge_dedupe_facts`), so
the parts of a larger frame keep exactly the records the whole frame keeps.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from flowkit.enrich.facts import (
    DirectionFacts,
    compact,
    frame_facts,
    merge_direction_facts,
    united_codes,
)
from flowkit.enrich.inventory import Inventory, add_inventory
from flowkit.enrich.middlebox import is_typed, middlebox_records, translating
from flowkit.enrich.sides import SIDE_COLUMNS, Sides, learn_facts, sides_of
from flowkit.errors import require_columns

__all__ = [
    "DedupeFacts",
    "dedupe",
    "dedupe_facts",
    "merge_dedupe_facts",
]


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
        distinct ends of the records with both addresses, sorted; ``eni``, ``addr`` and
        ``remote`` are compact categoricals.
    settled : bool
        The ends were cut to what :func:`flowkit.dedupe` reads (:meth:`settle`).
    """

    direction: DirectionFacts
    translating: tuple[str, ...]
    ends: pd.DataFrame
    settled: bool = False

    @classmethod
    def of(
        cls, direction: DirectionFacts, translating: Iterable[str], ends: pd.DataFrame
    ) -> DedupeFacts:
        """Facts in canonical form: sorted, deduplicated."""
        return cls(direction, tuple(sorted(set(translating))), _canonical_ends([ends]))

    def settle(self) -> DedupeFacts:
        """The facts cut to what :func:`flowkit.dedupe` reads: each ENI's local addresses
        (which addresses a workload logged) and the ends whose peer and service a middlebox
        also logged (the only ones a middlebox record is compared with), for either way of
        telling middleboxes (declared types, or the translating ENIs).  They drop exactly the
        records these facts drop, and cannot be merged any more.

        Examples
        --------
        >>> import flowkit as fk
        >>> from flowkit.enrich import dedupe_facts
        >>> df = fk.parse_lines([
        ...     "2 1 eni-a 10.0.0.5 10.0.0.6 50000 5432 6 5 500 1700000000 1700000060 ACCEPT OK",
        ...     "2 1 eni-b 10.0.0.5 10.0.0.6 50000 5432 6 5 500 1700000000 1700000060 ACCEPT OK",
        ...     "2 1 eni-a 10.0.0.5 10.0.0.9 50001 443 6 1 60 1700000000 1700000060 ACCEPT OK"])
        >>> facts = dedupe_facts(df)
        >>> len(facts.ends), len(facts.settle().ends)
        (3, 2)
        >>> fk.dedupe(df, facts=facts.settle()).index.equals(fk.dedupe(df).index)
        True
        """
        ends = self.ends
        eni_text = ends["eni"].astype(object)
        middle = (
            ends["declared"].to_numpy(dtype=bool)
            | (eni_text.isin(self.translating) & (eni_text != "")).to_numpy()
        )
        pairs = ends["remote"].cat.codes.to_numpy(np.int64) * 2**24 + ends["key"].to_numpy()
        shared = np.isin(pairs, pairs[middle]) & ends["remote"].notna().to_numpy()
        local = ends[["eni", "declared", "addr"]].drop_duplicates()
        local = local.assign(
            remote=pd.Categorical.from_codes(
                np.full(len(local), -1), categories=ends["remote"].cat.categories
            ),
            key=0,
        )
        cut = _canonical_ends([pd.concat([local, ends[shared]], ignore_index=True)])
        return DedupeFacts(self.direction, self.translating, cut, settled=True)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DedupeFacts):
            return NotImplemented
        return (
            self.direction == other.direction
            and self.translating == other.translating
            and self.settled == other.settled
            and self.ends.equals(other.ends)
        )

    __hash__ = None  # type: ignore[assignment]


_ENDS = ("eni", "declared", "addr", "remote", "key")


def _canonical_ends(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """The ends of the frames united: compact categoricals, deduplicated, sorted."""
    parts = [p for p in parts if len(p)] or [_no_ends()]
    columns: dict[str, object] = {}
    for c in ("eni", "addr", "remote"):
        columns[c] = compact(*united_codes([p[c] for p in parts]))
    columns["declared"] = np.concatenate([p["declared"].to_numpy(dtype=bool) for p in parts])
    columns["key"] = np.concatenate([p["key"].to_numpy(dtype=np.int64) for p in parts])
    e = pd.DataFrame(columns)[list(_ENDS)].drop_duplicates()
    return e.sort_values(list(_ENDS), ignore_index=True, na_position="first")


def merge_dedupe_facts(parts: Sequence[DedupeFacts]) -> DedupeFacts:
    """The :class:`DedupeFacts` of the frames together (unions; exact).

    Every part must have been found with the same direction facts: those of all the frames
    (:func:`flowkit.enrich.dedupe_facts` with ``direction=``); a ``ValueError`` says when
    they were not.
    """
    if any(p.settled for p in parts):
        raise ValueError("settled facts cannot be merged: merge the facts, then settle them")
    direction = parts[0].direction if parts else merge_direction_facts([])
    if any(p.direction is not direction and p.direction != direction for p in parts):
        raise ValueError(
            "the parts were found with different direction facts; pass the merged direction "
            "facts of all of them to dedupe_facts(direction=...)"
        )
    translating = tuple(sorted({t for p in parts for t in p.translating}))
    return DedupeFacts(direction, translating, _canonical_ends([p.ends for p in parts]))


def _no_ends() -> pd.DataFrame:
    return pd.DataFrame({"eni": pd.Series([], dtype=object), "declared": np.array([], bool),
                         "addr": pd.Series([], dtype=object), "remote": pd.Series([], dtype=object),
                         "key": np.array([], np.int64)})  # fmt: skip


Vantage = Literal["auto", "workload", "egress"]


def _declared(df: pd.DataFrame) -> np.ndarray:
    """Per record: whether its ``eni_type`` (or ``interface_type``) is a middlebox's."""
    return middlebox_records(df, ())


def _column(df: pd.DataFrame, name: str) -> np.ndarray:
    """A numeric column as int64 (NA and absent as 0)."""
    if name not in df.columns:
        return np.zeros(len(df), dtype=np.int64)
    return np.asarray(df[name].to_numpy(dtype=np.int64, na_value=0))


def _sv(s: Sides) -> np.ndarray:
    """Service port of each record (0 where the client is unknown)."""
    return np.where(s.cknown, np.where(s.client, s.dport, s.sport), 0).astype(np.int64)


def _eni_codes(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """ENI codes (-1: none) and the ENI names, with "" appended for code -1."""
    if "interface_id" not in df.columns:
        return np.full(len(df), -1, np.int64), np.asarray([""], dtype=object)
    cat = df["interface_id"].astype("category")
    names = np.asarray([*cat.cat.categories, ""], dtype=object)
    return np.asarray(cat.cat.codes, dtype=np.int64), names


def _dedupe_facts_of(df: pd.DataFrame, s: Sides, direction: DirectionFacts) -> DedupeFacts:
    """The :class:`DedupeFacts` of one frame whose sides ``s`` were found with ``direction``."""
    space = s.space
    local, remote = s.local, s.remote
    has_addr = s.lknown & (local >= 0)
    eni, names = _eni_codes(df)
    boxes = translating(space, eni, len(names) - 1)
    translating_enis = [str(x) for x in names[:-1][boxes > 0]]
    key = _column(df, "protocol") * 65536 + _sv(s)
    rows = pd.DataFrame({"eni": eni, "declared": _declared(df), "addr": local, "remote": remote,
                         "key": key})[has_addr].drop_duplicates()  # fmt: skip
    addrs = pd.Index(space.uniques, dtype=object)
    ends = rows.assign(
        eni=names[rows["eni"].to_numpy()],
        addr=pd.Categorical.from_codes(rows["addr"].to_numpy(), addrs, validate=False),
        remote=pd.Categorical.from_codes(rows["remote"].to_numpy(), addrs, validate=False),
    )
    return DedupeFacts.of(direction, translating_enis, ends)


def _direction(
    df: pd.DataFrame,
    vpc_cidrs: Iterable[str] | None,
    inventory: Inventory | None,
    given: DirectionFacts | None,
) -> DirectionFacts:
    """The direction facts to use: given, else the frame's own (when it was enriched with the
    same context), else learned from ``df``."""
    if given is not None:
        return given
    same_context = vpc_cidrs is None and inventory is None
    own = frame_facts(df) if same_context else None
    if own is not None:
        return own
    if same_context and set(SIDE_COLUMNS) <= set(df.columns):  # the columns hold the answers
        return merge_direction_facts([])  # none needed
    return learn_facts(df, vpc_cidrs=vpc_cidrs, inventory=inventory, every_eni=False).settle()


def dedupe_facts(
    df: pd.DataFrame,
    *,
    vpc_cidrs: Iterable[str] | None = None,
    inventory: Inventory | None = None,
    direction: DirectionFacts | None = None,
) -> DedupeFacts:
    """The frame-wide facts :func:`dedupe` learns from ``df``, given the merged
    :func:`flowkit.enrich.direction.direction_facts` of the whole frame (default: of ``df``).

    Examples
    --------
    >>> import flowkit as fk
    >>> df = fk.parse_lines([
    ...     "2 1 eni-a 10.0.0.5 10.0.0.6 50000 5432 6 5 500 1700000000 1700000060 ACCEPT OK",
    ...     "2 1 eni-a 10.0.0.6 10.0.0.5 5432 50000 6 5 900 1700000000 1700000060 ACCEPT OK",
    ...     "2 1 eni-b 10.0.0.5 10.0.0.6 50000 5432 6 5 500 1700000000 1700000060 ACCEPT OK",
    ...     "2 1 eni-b 10.0.0.6 10.0.0.5 5432 50000 6 5 900 1700000000 1700000060 ACCEPT OK",
    ...     "2 1 eni-a 10.0.0.5 10.0.0.9 50001 443 6 1 60 1700000000 1700000060 ACCEPT OK"])
    >>> from flowkit.enrich import direction_facts, merge_direction_facts
    >>> a, b = df[df["interface_id"] == "eni-a"], df[df["interface_id"] == "eni-b"]
    >>> whole = merge_direction_facts([direction_facts(a), direction_facts(b)])
    >>> both = merge_dedupe_facts([dedupe_facts(p, direction=whole) for p in (a, b)])
    >>> [int(fk.dedupe(p, facts=both)["bytes"].sum()) for p in (a, b)]  # each byte once
    [560, 900]
    >>> [int(fk.dedupe(p)["bytes"].sum()) for p in (a, b)]  # alone: 2860 bytes, not 1460
    [1460, 1400]
    """
    if direction is None:
        direction = learn_facts(df, vpc_cidrs=vpc_cidrs, inventory=inventory)
    frame = df if inventory is None or "eni_type" in df else add_inventory(df, inventory)
    return _dedupe_facts_of(frame, sides_of(df, vpc_cidrs, inventory, direction), direction)


def dedupe(
    df: pd.DataFrame,
    *,
    vantage: Vantage = "auto",
    vpc_cidrs: Iterable[str] | None = None,
    inventory: Inventory | None = None,
    facts: DedupeFacts | None = None,
) -> pd.DataFrame:
    """Return the records with each byte counted once.

    Parameters
    ----------
    df : DataFrame
        Flow records, enriched or not.
    vantage : {"auto", "workload", "egress"}
        ``egress``: keep only records that leave their ENI (``flow-direction`` egress, else the
        local end is the source): AWS's own rule, exact for traffic between logged ENIs but it
        drops bytes that arrive from outside and never leave a logged ENI; a middlebox's record
        going out to the real peer of traffic a workload ENI logged (a NAT gateway's leg to
        the internet) is the workload's egress again, and is dropped.  ``workload`` (and
        ``auto``): count at the workloads.  (1) A record on a forwarding ENI (``eni_type`` or
        ``interface_type`` NAT gateway, transit gateway, load balancer or VPC endpoint; without
        either column, an ENI whose records show address translation) is dropped when a
        workload ENI logged traffic with the same real peer (``remote_addr``), protocol and
        service port.  (2) Between two logged ENIs (the remote address is the local address of
        another ENI in ``df``, or of an inventory ENI), keep only the copy logged where the
        bytes leave (the sender's ENI).  Everything else is kept.
    vpc_cidrs, inventory : optional
        As for :func:`flowkit.enrich.add_direction`.
    facts : DedupeFacts, optional
        The facts of a larger frame ``df`` is part of (:func:`dedupe_facts` of every part,
        merged with :func:`merge_dedupe_facts`), used instead of learning them from ``df``: the
        parts then keep exactly the records the whole frame keeps (a Dask frame's partitions).

    Notes
    -----
    Records without addresses (NODATA, SKIPDATA) are kept.  Returns a new frame with the kept
    records and their index; the input is not changed.

    Examples
    --------
    >>> import flowkit as fk
    >>> df = fk.parse_lines([
    ...     "2 1 eni-a 10.0.0.5 10.0.0.6 50000 5432 6 5 500 1700000000 1700000060 ACCEPT OK",
    ...     "2 1 eni-a 10.0.0.6 10.0.0.5 5432 50000 6 5 900 1700000000 1700000060 ACCEPT OK",
    ...     "2 1 eni-b 10.0.0.5 10.0.0.6 50000 5432 6 5 500 1700000000 1700000060 ACCEPT OK",
    ...     "2 1 eni-b 10.0.0.6 10.0.0.5 5432 50000 6 5 900 1700000000 1700000060 ACCEPT OK",
    ...     "2 1 eni-a 10.0.0.5 10.0.0.9 50001 443 6 1 60 1700000000 1700000060 ACCEPT OK"])
    >>> int(df["bytes"].sum()), int(fk.dedupe(df)["bytes"].sum())
    (2860, 1460)
    """
    require_columns(df, ("srcaddr", "dstaddr"), "fk.dedupe")
    if vantage not in ("auto", "workload", "egress"):
        raise ValueError(f"vantage must be 'auto', 'workload' or 'egress', not {vantage!r}")
    direction = _direction(df, vpc_cidrs, inventory, facts.direction if facts else None)
    s = sides_of(df, vpc_cidrs, inventory, direction)
    frame = df if inventory is None or "eni_type" in df else add_inventory(df, inventory)
    if facts is None:
        facts = _dedupe_facts_of(frame, s, direction)
    has_addr = s.lknown & (s.local >= 0)
    middle = _middle_copies(frame, s, facts)
    if vantage == "egress":
        toward_remote = s.eff_dst == s.remote  # the bytes go out to the real peer
        return df[~(has_addr & ~s.local_src) & ~(middle & toward_remote)]
    return df[~(_east_west_copies(frame, s, facts, inventory) | middle)]


def _middle(df: pd.DataFrame, facts: DedupeFacts) -> tuple[np.ndarray, np.ndarray]:
    """Per record and per row of ``facts.ends``: on a middlebox ENI (declared types when the
    frame has them, else the ENIs seen translating)."""
    ends = facts.ends
    if is_typed(df):
        return _declared(df), ends["declared"].to_numpy(dtype=bool)
    boxes = pd.Index(facts.translating, dtype=object)
    if "interface_id" in df.columns:
        eni_text = df["interface_id"].astype(object)
        middle = eni_text.isin(boxes).to_numpy() & eni_text.notna().to_numpy()
    else:
        middle = np.zeros(len(df), dtype=bool)
    return middle, ends["eni"].isin(boxes).to_numpy() & (ends["eni"] != "").to_numpy()


def _middle_copies(df: pd.DataFrame, s: Sides, facts: DedupeFacts) -> np.ndarray:
    """Per record: a middlebox's copy of traffic a workload ENI logged with the same real peer
    (``remote``), protocol and service port."""
    space = s.space
    middle, end_middle = _middle(df, facts)
    workload = facts.ends[~end_middle]
    has_addr = s.lknown & (s.local >= 0)
    key = s.remote.astype(np.int64) * (2**24) + _column(df, "protocol") * 65536 + _sv(s)
    seen_remote = space.uniques.get_indexer(pd.Index(workload["remote"], dtype=object))
    ok = (seen_remote >= 0) & workload["remote"].notna().to_numpy()
    seen = np.unique(seen_remote[ok].astype(np.int64) * (2**24) + workload["key"].to_numpy()[ok])
    return middle & has_addr & np.isin(key, seen)


def _east_west_copies(
    df: pd.DataFrame, s: Sides, facts: DedupeFacts, inventory: Inventory | None
) -> np.ndarray:
    """Per record: the receiver's copy of traffic between two logged ENIs (the sender's egress
    record counts it)."""
    space = s.space
    middle, end_middle = _middle(df, facts)
    workload = facts.ends[~end_middle]
    has_addr = s.lknown & (s.local >= 0)
    logged = np.zeros(len(space.uniques) + 1, dtype=bool)
    own = space.uniques.get_indexer(pd.Index(workload["addr"].dropna().unique(), dtype=object))
    logged[own[own >= 0]] = True
    if inventory is not None:
        own = space.uniques.get_indexer(
            pd.Index(inventory.address_table()["address"], dtype=object)
        )
        logged[own[own >= 0]] = True
    logged[-1] = False
    raw_remote = np.where(s.local_src, space.codes[1], space.codes[0])
    east_west = has_addr & ~middle & logged[raw_remote] & (raw_remote != s.local)
    return east_west & ~s.local_src
