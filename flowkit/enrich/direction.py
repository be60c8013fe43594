"""Direction, local and remote ends, and the service side of each record, as columns.

:func:`add_direction` adds where the traffic goes relative to your network and the local and
remote ends; :func:`add_service_side` adds which end offers the service, whatever way the record
points.  Both read the sides of each record (:mod:`flowkit.enrich.sides`); the frame-wide facts
they learn (:func:`direction_facts`) merge exactly over the parts of a larger frame.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from flowkit.enrich.facts import DirectionFacts
from flowkit.enrich.inventory import Inventory
from flowkit.enrich.names import service_categorical
from flowkit.enrich.orientation import ORIENT_RULES
from flowkit.enrich.sides import DIRECTIONS, ROLES, Sides, learn_facts, sides

__all__ = [
    "DIRECTIONS",
    "ROLES",
    "add_direction",
    "add_service",
    "add_service_side",
    "direction_columns",
    "direction_facts",
    "service_columns",
]


def direction_facts(
    df: pd.DataFrame,
    *,
    vpc_cidrs: Iterable[str] | None = None,
    inventory: Inventory | None = None,
) -> DirectionFacts:
    """The frame-wide facts that :func:`add_direction` and :func:`add_service_side` learn from
    ``df`` (see :mod:`flowkit.enrich.facts`); facts of several frames merge exactly.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"interface_id": ["eni-1", "eni-1"],
    ...     "srcaddr": ["10.0.1.5", "10.0.2.7"], "dstaddr": ["10.0.2.7", "10.0.1.5"]})
    >>> facts = direction_facts(df)
    >>> facts.wanted, facts.votes["n"].tolist()
    (('eni-1',), [2, 2])
    """
    return learn_facts(df, vpc_cidrs=vpc_cidrs, inventory=inventory, every_eni=True)


def _uint16(values: np.ndarray, mask: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(values.astype(np.uint16), mask)


def direction_columns(s: Sides) -> dict[str, Any]:
    local_src, lknown = s.local_src, s.lknown
    flip = local_src ^ s.translated
    return {
        "direction": pd.Categorical.from_codes(
            s.direction, categories=pd.Index(DIRECTIONS, dtype=object), validate=False
        ),
        "local_addr": s.space.categorical(s.local),
        "remote_addr": s.space.categorical(s.remote),
        "local_port": _uint16(
            np.where(local_src, s.sport, s.dport), ~lknown | np.where(local_src, s.s_na, s.d_na)
        ),
        "remote_port": _uint16(
            np.where(flip, s.dport, s.sport), ~lknown | np.where(flip, s.d_na, s.s_na)
        ),
    }


def service_port_values(s: Sides) -> np.ndarray:
    """The port of each record's server end (its client's destination port), known or not."""
    return np.where(s.client, s.dport, s.sport)


def service_columns(s: Sides, port: np.ndarray | None = None) -> dict[str, Any]:
    """``port``: :func:`service_port_values` of ``s`` when already made."""
    client, cknown = s.client, s.cknown
    role = np.where(cknown & s.lknown, (s.local_src != client).view(np.int8), np.int8(-1))
    none = np.asarray(-1, dtype=s.eff_src.dtype)
    port = service_port_values(s) if port is None else port
    return {
        "service_port": _uint16(port, ~cknown | ((s.sport | s.dport) == 0)),
        "local_role": pd.Categorical.from_codes(
            role, categories=pd.Index(ROLES, dtype=object), validate=False
        ),
        "client_addr": s.space.categorical(
            np.where(cknown, np.where(client, s.eff_src, s.eff_dst), none)
        ),
        "server_addr": s.space.categorical(
            np.where(cknown, np.where(client, s.eff_dst, s.eff_src), none)
        ),
        "orient_rule": pd.Categorical.from_codes(
            s.rule, categories=pd.Index(ORIENT_RULES, dtype=object), validate=False
        ),
    }


def add_direction(
    df: pd.DataFrame,
    *,
    vpc_cidrs: Iterable[str] | None = None,
    inventory: Inventory | None = None,
    facts: DirectionFacts | None = None,
) -> pd.DataFrame:
    """Add ``direction``, ``local_addr``, ``remote_addr``, ``local_port``, ``remote_port``.

    ``direction`` compares the packet-level addresses with your network: ``inbound`` (from
    outside into it), ``outbound``, ``internal`` (both inside) or ``external`` (neither, e.g. a
    NAT gateway's public side seen from a VPC without the given CIDRs).  Your network is
    ``vpc_cidrs`` when given, else every non-public address (private, shared, unique-local...);
    the inventory's ENI addresses are always inside.

    ``local_addr`` is the capturing ENI's own address, from ``flow-direction`` when present
    (egress: the source), else from the inventory, else the one side inside your network, else
    the address the ENI appears with most.  ``remote_addr`` is the real peer: the packet-level
    address of the other end (``pkt_*``), or, on an ENI that forwards for others (a NAT
    gateway's), the packet-level address on its own side: so a NAT gateway's records show the
    internet host.  ``facts`` (:func:`direction_facts` of a larger frame this one is part of,
    e.g. merged over Dask partitions) replace what is otherwise learned from ``df``.  Returns a
    new frame; the input is not changed.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"interface_id": ["eni-1", "eni-1"],
    ...     "srcaddr": ["10.0.1.5", "52.216.8.1"], "dstaddr": ["52.216.8.1", "10.0.1.5"],
    ...     "srcport": pd.array([49152, 443], dtype="UInt16"),
    ...     "dstport": pd.array([443, 49152], dtype="UInt16")})
    >>> out = add_direction(df)
    >>> out[["direction", "local_addr"]].to_dict("list")
    {'direction': ['outbound', 'inbound'], 'local_addr': ['10.0.1.5', '10.0.1.5']}
    >>> out[["remote_addr", "remote_port"]].to_dict("list")
    {'remote_addr': ['52.216.8.1', '52.216.8.1'], 'remote_port': [443, 443]}
    """
    out = df.copy(deep=False)
    for name, values in direction_columns(sides(df, vpc_cidrs, inventory, facts)).items():
        out[name] = values
    return out


def add_service_side(
    df: pd.DataFrame,
    *,
    vpc_cidrs: Iterable[str] | None = None,
    inventory: Inventory | None = None,
    facts: DirectionFacts | None = None,
) -> pd.DataFrame:
    """Add ``service_port``, ``local_role`` (client | server), ``client_addr``, ``server_addr``
    and ``orient_rule``.

    The client is found by the one orientation model (:mod:`flowkit.enrich.orientation`):
    ``tcp-flags`` (the side sending SYN is the client), then a REJECT (its source opened the
    connection, unless a network ACL rejected a response), then ICMP message types, then the
    ports (a well-known or common server port beats an IANA-registered one, which beats any
    other below 32768, which beats an ephemeral one; on a tie the lower port is the service),
    then, for what the record alone does not tell (ICMP, equal ports), the evidence of the
    whole frame (one-sided conversations, the first speaker, the network edge, fan-in).
    ``orient_rule`` names the rule that decided (NA: none did; then the other columns are NA
    too).  Addresses are packet-level.  ``facts`` as for :func:`add_direction`.  Returns a new
    frame; the input is not changed.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"interface_id": ["eni-1", "eni-1"],
    ...     "srcaddr": ["10.0.1.5", "198.51.100.7"], "dstaddr": ["198.51.100.7", "10.0.1.5"],
    ...     "srcport": pd.array([443, 52000], dtype="UInt16"),
    ...     "dstport": pd.array([52000, 443], dtype="UInt16")})
    >>> out = add_service_side(df)
    >>> out[["service_port", "local_role"]].to_dict("list")
    {'service_port': [443, 443], 'local_role': ['server', 'server']}
    >>> out["client_addr"].tolist()
    ['198.51.100.7', '198.51.100.7']
    """
    out = df.copy(deep=False)
    for name, values in service_columns(sides(df, vpc_cidrs, inventory, facts)).items():
        out[name] = values
    return out


def _ports(df: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    col = df[column].astype("UInt16") if column in df.columns else None
    if col is None:
        return np.zeros(len(df), dtype=np.int64), np.ones(len(df), dtype=bool)
    return col.to_numpy(dtype=np.int64, na_value=0), col.isna().to_numpy()


def add_service(df: pd.DataFrame) -> pd.DataFrame:
    """Add ``service``: the IANA name of ``service_port`` for TCP and UDP records.

    ``service_port`` comes from :func:`add_service_side` (added here if
    missing).  NA for other protocols, unknown service ports and ports IANA has not assigned.
    Returns a new frame; the input is not changed.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"protocol": pd.array([6, 17, 6, 1], dtype="UInt8"),
    ...                    "service_port": pd.array([443, 53, 50000, None], dtype="UInt16")})
    >>> add_service(df)["service"].tolist()
    ['https', 'domain', nan, nan]
    """
    if "service_port" not in df.columns:
        df = add_service_side(df)
    out = df.copy(deep=False)
    port, missing = _ports(df, "service_port")
    out["service"] = service_categorical(df, port, missing)
    return out
