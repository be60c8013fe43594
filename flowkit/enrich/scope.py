"""Address scope: private, shared, loopback, link-local, multicast, unique-local, documentation,
reserved or public, for IPv4 and IPv6 (IANA special-purpose address registries)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import numpy as np
import pandas as pd

from flowkit.enrich.addresses import AddressSpace, IntervalTable
from flowkit.enrich.inventory import Inventory

__all__ = [
    "ADDRESS_COLUMNS",
    "INTERNAL_SCOPES",
    "SCOPES",
    "add_scope",
    "inside",
    "scope_codes",
    "scope_table",
]

#: Scope categories, in this order.
SCOPES: tuple[str, ...] = (
    "private", "shared", "loopback", "link-local", "multicast", "unique-local", "documentation",
    "reserved", "public",
)  # fmt: skip
#: Scopes inside your network when no VPC CIDRs are given: every scope that is not routed on
#: the internet.  Multicast is inside (VPC multicast is delivered by a transit gateway within
#: your network); documentation and reserved addresses are not (they stand for outsiders).
INTERNAL_SCOPES: tuple[str, ...] = (
    "private", "shared", "loopback", "link-local", "multicast", "unique-local",
)  # fmt: skip
#: Address columns that get a ``<column>_scope`` (``srcaddr`` gives ``src_scope``).
ADDRESS_COLUMNS: dict[str, str] = {
    "srcaddr": "src_scope", "dstaddr": "dst_scope",
    "pkt_srcaddr": "pkt_src_scope", "pkt_dstaddr": "pkt_dst_scope",
}  # fmt: skip

_RANGES: tuple[tuple[str, str], ...] = (
    # IPv4 (RFC 6890 and successors); everything else is public.
    ("0.0.0.0/8", "reserved"), ("10.0.0.0/8", "private"), ("100.64.0.0/10", "shared"),
    ("127.0.0.0/8", "loopback"), ("169.254.0.0/16", "link-local"), ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "reserved"), ("192.0.2.0/24", "documentation"),
    ("192.168.0.0/16", "private"), ("198.18.0.0/15", "reserved"),
    ("198.51.100.0/24", "documentation"), ("203.0.113.0/24", "documentation"),
    ("224.0.0.0/4", "multicast"), ("240.0.0.0/4", "reserved"),
    # IPv6: global unicast 2000::/3 is public, the rest of the space is reserved.
    ("::/0", "reserved"), ("2000::/3", "public"), ("::1/128", "loopback"),
    ("100::/64", "reserved"), ("2001:db8::/32", "documentation"), ("3fff::/20", "documentation"),
    ("fc00::/7", "unique-local"), ("fe80::/10", "link-local"), ("ff00::/8", "multicast"),
    ("2001::/23", "reserved"), ("2002::/16", "public"),
)  # fmt: skip


@lru_cache(maxsize=1)
def scope_table() -> IntervalTable:
    """Return the special-purpose address table (public is the default for IPv4).

    >>> scope_table().labels_of(["10.1.2.3", "8.8.8.8", "fd00::1", "2600:1f18::1"]).tolist()
    ['private', 'public', 'unique-local', 'public']
    """
    rows = [("0.0.0.0/0", SCOPES.index("public"))]
    rows += [(cidr, SCOPES.index(scope)) for cidr, scope in _RANGES]
    return IntervalTable.from_networks(rows, SCOPES)


def scope_codes(space: AddressSpace) -> np.ndarray:
    """Scope index (into :data:`SCOPES`) of each unique address of ``space`` (-1: no address)."""
    return scope_table().lookup(space.parsed)


def inside(
    space: AddressSpace,
    vpc_cidrs: Iterable[str] | str | None = None,
    inventory: Inventory | None = None,
) -> np.ndarray:
    """Per unique address of ``space``: whether it is inside your network.

    The one definition of "internal" of flowkit: inside ``vpc_cidrs`` when they are given,
    else in one of the :data:`INTERNAL_SCOPES`; the inventory's ENI addresses are always
    inside.  Enrichment (``direction``), the detections' view, compliance and cost use it.

    Examples
    --------
    >>> space = AddressSpace.of([pd.Series(["10.0.1.5", "224.0.0.251", "8.8.8.8", "172.16.0.1"])])
    >>> inside(space).tolist(), inside(space, ["10.0.0.0/16"]).tolist()
    ([True, True, False, True], [True, False, False, False])
    """
    if vpc_cidrs is not None:
        cidrs = [vpc_cidrs] if isinstance(vpc_cidrs, str) else list(vpc_cidrs)
        table = IntervalTable.from_networks([(c, 0) for c in cidrs], ["vpc"])
        out = table.lookup(space.parsed) >= 0
    else:
        out = np.isin(scope_codes(space), [SCOPES.index(s) for s in INTERNAL_SCOPES])
    if inventory is not None:
        own = space.uniques.get_indexer(
            pd.Index(inventory.address_table()["address"], dtype=object)
        )
        out[own[own >= 0]] = True
    return np.asarray(out, dtype=bool)


def _scope_columns(space: AddressSpace, columns: list[str]) -> dict[str, pd.Categorical]:
    per_address = scope_codes(space)
    cats = pd.Index(SCOPES, dtype=object)
    return {
        ADDRESS_COLUMNS[col]: pd.Categorical.from_codes(
            space.take(per_address, i, -1), categories=cats, validate=False
        )
        for i, col in enumerate(columns)
    }


def add_scope(df: pd.DataFrame) -> pd.DataFrame:
    """Add ``src_scope``, ``dst_scope`` and, when present, ``pkt_src_scope``, ``pkt_dst_scope``.

    Scopes: ``private`` (RFC 1918), ``shared`` (100.64.0.0/10, carrier-grade NAT), ``loopback``,
    ``link-local`` (169.254.0.0/16, fe80::/10), ``multicast``, ``unique-local`` (fc00::/7),
    ``documentation`` (RFC 5737, 2001:db8::/32, 3fff::/20), ``reserved`` (0/8, 240/4, benchmark
    198.18/15, ...) and ``public``.  Each distinct address is classified once.  Returns a new
    frame; the input is not changed.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"srcaddr": ["10.0.1.5", "100.64.0.9", "fe80::1"],
    ...                    "dstaddr": ["52.216.8.1", "203.0.113.7", "ff02::1"]})
    >>> out = add_scope(df)
    >>> out["src_scope"].tolist(), out["dst_scope"].tolist()
    (['private', 'shared', 'link-local'], ['public', 'documentation', 'multicast'])
    """
    out = df.copy(deep=False)
    columns = [c for c in ADDRESS_COLUMNS if c in df.columns]
    space = AddressSpace.of([df[c] for c in columns])
    for name, values in _scope_columns(space, columns).items():
        out[name] = values
    return out
