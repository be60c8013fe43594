"""Addresses as numbers: vectorised parsing and sorted-interval lookups on unique addresses.

Every address lookup in :mod:`flowkit.enrich` (scope, AWS service, VPC membership, threat lists)
works the same way: the address columns are dictionary-encoded into one shared set of unique
addresses (:class:`AddressSpace`), each unique address is parsed once, looked up once with a
binary search in a table of disjoint intervals (:class:`IntervalTable`), and the answer is spread
back to the rows through the integer codes.  No ``ipaddress`` call is made per row.

Examples
--------
>>> import pandas as pd
>>> table = IntervalTable.from_networks([("10.0.0.0/8", 0), ("10.1.0.0/16", 1)], ["big", "small"])
>>> table.labels_of(pd.Series(["10.1.2.3", "10.2.0.1", "8.8.8.8", None])).tolist()
['small', 'big', None, None]
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "AddressSpace", "IntervalTable", "ParsedAddresses", "compact", "network_bounds",
    "parse_addresses",
]  # fmt: skip

_V4_RE = r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$"
_V4_TOP = 2**32 - 1
_V6_TOP = 2**128 - 1
# CIDRs in the forms ipaddress reads one way only (no leading zeros, no netmask, no scope):
# parsed by the socket module, 40x faster; any other text goes to ipaddress (and its errors).
_PLAIN_V4 = re.compile(r"(?:(?:0|[1-9]\d{0,2})\.){3}(?:0|[1-9]\d{0,2})/(?:\d|[12]\d|3[0-2])")
_PLAIN_V6 = re.compile(r"[0-9a-fA-F:]{2,39}/(?:\d|[1-9]\d|1[01]\d|12[0-8])")


def network_bounds(cidr: str) -> tuple[int, int, int]:
    """IP version, first and last address of a network (host bits ignored).

    The same answers as ``ipaddress.ip_network(cidr, strict=False)``, and its ``ValueError``
    for text that is not a network.

    >>> network_bounds("10.0.0.5/8")
    (4, 167772160, 184549375)
    >>> network_bounds("2600:1f00::/24")[0]
    6
    """
    text = cidr.strip()
    if _PLAIN_V4.fullmatch(text):
        addr, _, prefix = text.partition("/")
        try:
            value = int.from_bytes(socket.inet_pton(socket.AF_INET, addr), "big")
        except OSError:  # an octet over 255
            pass
        else:
            host = _V4_TOP >> int(prefix)
            return 4, value & ~host & _V4_TOP, value | host
    elif _PLAIN_V6.fullmatch(text):
        addr, _, prefix = text.partition("/")
        try:
            value = int.from_bytes(socket.inet_pton(socket.AF_INET6, addr), "big")
        except OSError:
            pass
        else:
            host = _V6_TOP >> int(prefix)
            return 6, value & ~host & _V6_TOP, value | host
    net = ipaddress.ip_network(text, strict=False)
    return net.version, int(net.network_address), int(net.broadcast_address)


@dataclass(frozen=True)
class ParsedAddresses:
    """Parsed addresses: IPv4 as ``uint32``, IPv6 as 16 big-endian bytes (``S16``)."""

    is_v4: np.ndarray
    v4: np.ndarray
    is_v6: np.ndarray
    v6: np.ndarray


def parse_addresses(values: Sequence[object] | np.ndarray | pd.Index) -> ParsedAddresses:
    """Parse address strings; IPv4 is vectorised, IPv6 is parsed once per value given.

    Call it on unique addresses.  Values that are not addresses (``None``, ``'-'``) are
    neither IPv4 nor IPv6.

    Examples
    --------
    >>> p = parse_addresses(["10.0.0.1", "2001:db8::1", "-", None])
    >>> p.is_v4.tolist(), p.is_v6.tolist(), int(p.v4[0])
    ([True, False, False, False], [False, True, False, False], 167772161)
    """
    arr = pa.array(np.asarray(values, dtype=object), type=pa.string(), from_pandas=True)
    n = len(arr)
    is_v4 = pc.fill_null(pc.match_substring_regex(arr, _V4_RE), False).to_numpy(
        zero_copy_only=False
    )
    v4 = np.zeros(n, dtype=np.uint32)
    if is_v4.any():
        octets = pc.list_flatten(pc.split_pattern(arr.filter(pa.array(is_v4)), "."))
        parts = octets.cast(pa.uint32()).to_numpy().reshape(-1, 4)
        ok = (parts <= 255).all(axis=1)
        nums = (parts[:, 0] << 24) | (parts[:, 1] << 16) | (parts[:, 2] << 8) | parts[:, 3]
        idx = np.flatnonzero(is_v4)
        v4[idx] = np.where(ok, nums, 0).astype(np.uint32)
        is_v4[idx[~ok]] = False
    has_colon = pc.fill_null(pc.match_substring(arr, ":"), False).to_numpy(zero_copy_only=False)
    is_v6 = np.zeros(n, dtype=bool)
    v6 = np.zeros(n, dtype="S16")
    for i in np.flatnonzero(has_colon):
        try:
            v6[i] = ipaddress.IPv6Address(str(arr[i].as_py()).split("%")[0]).packed
            is_v6[i] = True
        except ValueError:
            continue  # not an address: left as neither IPv4 nor IPv6
    return ParsedAddresses(is_v4=is_v4, v4=v4, is_v6=is_v6, v6=v6)


def _segments(items: list[tuple[int, int, int, int]], top: int) -> tuple[list[int], list[int]]:
    """Disjoint segments of nested-or-disjoint ranges; the most specific range wins.

    ``items`` are ``(start, end_inclusive, rank, value)``; for identical ranges the lowest rank
    wins.  Returns segment starts (the first is 0) and their values (-1 = no range).
    """
    items = sorted(items, key=lambda t: (t[0], -t[1], t[2]))
    bounds, vals = [0], [-1]
    stack: list[tuple[int, int]] = []

    def emit(pos: int, val: int) -> None:
        if pos > top:
            return
        if bounds[-1] == pos:
            vals[-1] = val
        else:
            bounds.append(pos)
            vals.append(val)

    prev: tuple[int, int] | None = None
    for start, end, _rank, val in items:
        if prev == (start, end):
            continue
        prev = (start, end)
        while stack and stack[-1][0] < start:
            e, _ = stack.pop()
            emit(e + 1, stack[-1][1] if stack else -1)
        stack.append((end, val))
        emit(start, val)
    while stack:
        e, _ = stack.pop()
        emit(e + 1, stack[-1][1] if stack else -1)
    keep = [0] + [i for i in range(1, len(vals)) if vals[i] != vals[i - 1]]
    return [bounds[i] for i in keep], [vals[i] for i in keep]


@dataclass(frozen=True)
class IntervalTable:
    """Longest-prefix-match table over IPv4 and IPv6 networks, as sorted disjoint intervals.

    Build it with :meth:`from_networks`; look up parsed addresses with :meth:`lookup` (value
    indices, -1 where no network matches) or strings with :meth:`labels_of`.
    """

    v4_bounds: np.ndarray
    v4_values: np.ndarray
    v6_bounds: np.ndarray
    v6_values: np.ndarray
    labels: tuple[object, ...]

    @classmethod
    def from_networks(
        cls,
        networks: Iterable[tuple[str, int] | tuple[str, int, int]],
        labels: Sequence[object],
    ) -> IntervalTable:
        """Build a table from ``(cidr, label_index)`` or ``(cidr, label_index, rank)`` rows.

        The longest prefix wins; among identical prefixes the lowest rank wins.  Host bits set
        in a CIDR are ignored (``10.0.0.5/8`` is ``10.0.0.0/8``).

        Raises
        ------
        ValueError
            If a CIDR is not a valid IPv4 or IPv6 network.
        """
        items4: list[tuple[int, int, int, int]] = []
        items6: list[tuple[int, int, int, int]] = []
        for row in networks:
            cidr, value = row[0], row[1]
            rank = row[2] if len(row) > 2 else 0  # type: ignore[misc]
            version, first, last = network_bounds(str(cidr))
            item = (first, last, int(rank), int(value))
            (items4 if version == 4 else items6).append(item)
        b4, v4 = _segments(items4, _V4_TOP)
        b6, v6 = _segments(items6, _V6_TOP)
        return cls(
            v4_bounds=np.asarray(b4, dtype=np.uint64),
            v4_values=np.asarray(v4, dtype=np.int32),
            v6_bounds=np.asarray([b.to_bytes(16, "big") for b in b6], dtype="S16"),
            v6_values=np.asarray(v6, dtype=np.int32),
            labels=tuple(labels),
        )

    def lookup(self, parsed: ParsedAddresses) -> np.ndarray:
        """Return the value index of each parsed address (-1 where none matches)."""
        out = np.full(len(parsed.is_v4), -1, dtype=np.int32)
        if parsed.is_v4.any():
            idx = np.searchsorted(self.v4_bounds, parsed.v4.astype(np.uint64), side="right") - 1
            out = np.where(parsed.is_v4, self.v4_values[idx], out)
        if parsed.is_v6.any():
            idx = np.searchsorted(self.v6_bounds, parsed.v6, side="right") - 1
            out = np.where(parsed.is_v6, self.v6_values[idx], out)
        return out

    def labels_of(self, values: Sequence[object] | pd.Series) -> pd.Series:
        """Label of each address string (``None`` where no network matches); for small inputs."""
        series = pd.Series(values, dtype=object)
        space = AddressSpace.of([series])
        hit = self.lookup(space.parsed)
        labels = np.asarray([*self.labels, None], dtype=object)
        return pd.Series(labels[hit[space.codes[0]]], index=series.index, dtype=object)


@dataclass(frozen=True)
class AddressSpace:
    """Address columns dictionary-encoded into one shared set of unique addresses.

    ``codes[i]`` holds, for column ``i``, the position of each row's address in ``uniques``
    (-1 for missing).  Per-address answers (arrays over ``uniques``) reach the rows with
    :meth:`take`; because every column shares ``uniques``, codes compare across columns.
    """

    uniques: pd.Index
    codes: tuple[np.ndarray, ...]
    parsed: ParsedAddresses

    @classmethod
    def of(cls, columns: Sequence[pd.Series | None]) -> AddressSpace:
        """Encode the given columns (``None`` entries give all-missing codes of length 0)."""
        parts: list[np.ndarray] = []
        raw: list[tuple[np.ndarray, np.ndarray] | None] = []
        for col in columns:
            if col is None:
                raw.append(None)
                continue
            if isinstance(col.dtype, pd.CategoricalDtype):
                codes = np.asarray(col.cat.codes)  # small codes index the mapping as they are
                cats = np.asarray(col.cat.categories, dtype=object)
            else:
                codes, cats_idx = pd.factorize(col, use_na_sentinel=True)
                cats = np.asarray(cats_idx, dtype=object)
            raw.append((codes, cats))
            parts.append(cats)
        allcats = np.concatenate(parts) if parts else np.empty(0, dtype=object)
        uniques = pd.Index(pd.unique(allcats), dtype=object)
        out: list[np.ndarray] = []
        for item in raw:
            if item is None:
                out.append(np.empty(0, dtype=np.int32))
                continue
            codes, cats = item
            mapping = np.append(uniques.get_indexer(cats), -1).astype(np.int32)
            out.append(mapping[codes])
        return cls(uniques=uniques, codes=tuple(out), parsed=parse_addresses(uniques))

    def take(self, per_address: np.ndarray, column: int, missing: object) -> np.ndarray:
        """Spread a per-address array to the rows of one column (``missing`` where NA)."""
        ext = np.append(per_address, np.asarray([missing], dtype=per_address.dtype))
        return ext[self.codes[column]]

    def categorical(self, codes: np.ndarray) -> pd.Categorical:
        """A categorical of addresses from codes into :attr:`uniques` (-1 = NA), with only the
        addresses used as categories (:func:`compact`: small codes, small categories)."""
        return compact(np.asarray(self.uniques, dtype=object), np.asarray(codes), self.text)

    @cached_property
    def text(self) -> pd.Index:
        """:attr:`uniques` typed ``str`` (the categories' type), made once per space."""
        return pd.Index(np.asarray(self.uniques, dtype=object), dtype="str")


def compact(names: np.ndarray, codes: np.ndarray, text: pd.Index | None = None) -> pd.Categorical:
    """A categorical of ``names[codes]`` (text; -1: missing) whose categories are only the
    names used, in the order of ``names`` (sorted names: sorted categories), typed ``str`` (as
    the loaded columns' and as pandas unites partitions').  Compact to hold, to pickle and to
    compare: the same values always give the same categories.  ``text``: ``names`` already
    typed ``str`` (taken from, not converted again).

    >>> compact(np.array(["a", "b", "c"], dtype=object), np.array([2, -1, 2, 0])).tolist()
    ['c', nan, 'c', 'a']
    """
    codes = np.asarray(codes)
    seen = np.zeros(len(names) + 1, dtype=bool)  # the last one: -1, missing
    seen[codes] = True  # one pass, no counting
    used = np.flatnonzero(seen[:-1])
    small = np.int8 if len(used) < 128 else np.int16 if len(used) < 32768 else np.int32
    position = np.full(len(names) + 1, -1, dtype=small)
    position[used] = np.arange(len(used), dtype=small)
    # typed str as Arrow dictionaries load, and as pandas unites partitions
    categories = text[used] if text is not None else pd.Index(names[used], dtype="str")
    return pd.Categorical.from_codes(position[codes], dtype=_known_unique(categories),
                                     validate=False)  # fmt: skip


def _known_unique(categories: pd.Index) -> pd.CategoricalDtype:
    """The dtype of ``categories`` known to be unique (a subset of unique names): built without
    hashing them again (pandas' fast path when it has one; it checks nothing else)."""
    fast = getattr(pd.CategoricalDtype, "_from_fastpath", None)
    return pd.CategoricalDtype(categories) if fast is None else fast(categories, False)
