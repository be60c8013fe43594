"""Direction, local and remote ends, and the service side of each record.

VPC records are one-directional and per ENI, in AWS field order (``srcaddr srcport`` then
``dstaddr dstport``).  This module answers, for each record: which end is the capturing ENI
(*local*), who is the real peer (*remote*: the packet-level address when NAT, a transit gateway
or a load balancer hides it), whether the traffic crosses the VPC edge (*direction*), and which
end offers the service (*server*), whatever way the record points.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from flowkit.enrich.addresses import AddressSpace, IntervalTable
from flowkit.enrich.aws import effective_space
from flowkit.enrich.facts import DirectionFacts, _vote_facts, own_addresses, peer_counts
from flowkit.enrich.inventory import Inventory
from flowkit.enrich.names import service_table
from flowkit.enrich.scope import SCOPES, scope_codes

__all__ = [
    "DIRECTIONS",
    "ROLES",
    "SERVER_PORTS",
    "add_direction",
    "add_service_side",
    "direction_facts",
    "port_rank",
]

DIRECTIONS: tuple[str, ...] = ("inbound", "outbound", "internal", "external")
ROLES: tuple[str, ...] = ("client", "server")
#: Registered ports that are almost always a server's (ranked with the well-known ports).
SERVER_PORTS: tuple[int, ...] = (
    1080, 1194, 1433, 1521, 1883, 2049, 2181, 2375, 2376, 2379, 2380, 3000, 3128, 3306, 3389,
    4222, 4443, 5000, 5044, 5432, 5439, 5601, 5671, 5672, 5900, 5984, 5985, 5986, 6379, 6443,
    7000, 7001, 7199, 7474, 8000, 8008, 8080, 8081, 8086, 8088, 8443, 8500, 8888, 9000, 9042,
    9090, 9092, 9093, 9200, 9300, 9418, 10250, 11211, 15672, 27017, 50051,
)  # fmt: skip
_INSIDE = ("private", "shared", "loopback", "link-local", "unique-local")


@lru_cache(maxsize=1)
def _port_ranks() -> np.ndarray:
    rank = np.zeros(65536, dtype=np.int8)  # 0: ephemeral (32768 and up)
    rank[1:32768] = 1  # registered range, not assigned
    assigned = service_table()["port"].to_numpy()
    rank[assigned[assigned < 32768]] = 2
    rank[1:1024] = 3
    rank[list(SERVER_PORTS)] = 3
    rank[0] = -1
    return rank


def port_rank(port: int) -> int:
    """How much a port looks like a service port: 3 well-known or common server port,
    2 IANA-registered, 1 other port below 32768, 0 ephemeral (32768 and up), -1 port 0.

    >>> port_rank(443), port_rank(5432), port_rank(2000), port_rank(20004), port_rank(50000)
    (3, 3, 2, 1, 0)
    """
    return int(_port_ranks()[port])


def _ports(df: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    if column not in df.columns:
        return np.zeros(len(df), dtype=np.int32), np.ones(len(df), dtype=bool)
    col = df[column].astype("UInt16")
    return col.to_numpy(dtype=np.int32, na_value=0), col.isna().to_numpy()


def src_is_client(
    df: pd.DataFrame,
    src: np.ndarray | None = None,
    dst: np.ndarray | None = None,
    ports: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
    *,
    names: pd.Index | None = None,
    facts: DirectionFacts | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per record: whether the source is the client, and whether that is known.

    TCP flags decide first (SYN without ACK: the source is the client; SYN-ACK: the source is
    the server); then ports: the port that ranks higher (:func:`port_rank`) is the service, and
    on a tie the lower port.  Equal ports (NTP 123 to 123, ICMP's 0 and 0) are decided by
    fan-in when address codes ``src``/``dst`` are given: on a port, the side with more distinct
    peers is the server (an NTP server answers many hosts); for port 0 (ICMP) the side with more
    peers is the client (a prober or monitor).  Equal counts stay unknown.
    """
    if ports is None:
        ports = (*_ports(df, "srcport"), *_ports(df, "dstport"))
    sport, s_na, dport, d_na = ports
    ranks = _port_ranks()
    rs, rd = ranks[sport], ranks[dport]
    client = (rd > rs) | ((rd == rs) & (dport < sport))
    known = ((rs != rd) | (sport != dport)) & ~(s_na | d_na)
    if "tcp_flags" in df.columns and "protocol" in df.columns:
        flags = df["tcp_flags"].to_numpy(dtype=np.int64, na_value=0)
        tcp = df["protocol"].to_numpy(dtype=np.int64, na_value=0) == 6
        synack = tcp & (flags & 18 == 18)
        syn = tcp & (flags & 2 == 2) & ~synack
        client = np.where(syn, True, np.where(synack, False, client))
        known |= syn | synack
    if src is not None and dst is not None:
        amb = _ambiguous(src, dst, s_na, d_na, known)
        if amb.any():
            if facts is None:
                peers = peer_counts(_edges(df, src, dst, sport, amb))
            else:
                peers = _peers_as_codes(facts, names)
            fan_client, fan_known = _fan(df, src, dst, sport, amb, peers)
            client = np.where(fan_known, fan_client, client)
            known |= fan_known
    return client, known


def _ambiguous(
    src: np.ndarray, dst: np.ndarray, s_na: np.ndarray, d_na: np.ndarray, known: np.ndarray
) -> np.ndarray:
    return ~known & ~(s_na | d_na) & (src >= 0) & (dst >= 0)


def _edges(
    df: pd.DataFrame, src: np.ndarray, dst: np.ndarray, port: np.ndarray, amb: np.ndarray
) -> pd.DataFrame:
    """Both orientations of the ambiguous records' address pairs, per protocol and port."""
    proto = df["protocol"].to_numpy(dtype=np.int64, na_value=0) if "protocol" in df else port * 0
    cls = proto[amb] * 65536 + port[amb]
    a, b = src[amb].astype(np.int64), dst[amb].astype(np.int64)
    return pd.DataFrame({"cls": np.r_[cls, cls], "addr": np.r_[a, b], "peer": np.r_[b, a]})


def _peers_as_codes(facts: DirectionFacts, names: pd.Index | None) -> pd.Series:
    """:func:`peer_counts` of the facts, keyed by this frame's address codes."""
    if names is None:
        raise ValueError("names (the addresses the codes index) are needed with facts")
    peers = peer_counts(facts.edges)
    codes = names.get_indexer(pd.Index(peers.index.get_level_values("addr"), dtype=object))
    keep = codes >= 0
    index = pd.MultiIndex.from_arrays(
        [peers.index.get_level_values("cls")[keep], codes[keep].astype(np.int64)],
        names=["cls", "addr"],
    )
    return pd.Series(peers.to_numpy()[keep], index=index, name="n")


def _fan(
    df: pd.DataFrame,
    src: np.ndarray,
    dst: np.ndarray,
    port: np.ndarray,
    amb: np.ndarray,
    peers: pd.Series,
) -> tuple[np.ndarray, np.ndarray]:
    """Decide equal-port records by the number of distinct peers of each side (see above)."""
    proto = df["protocol"].to_numpy(dtype=np.int64, na_value=0) if "protocol" in df else port * 0
    cls = proto[amb] * 65536 + port[amb]
    a, b = src[amb].astype(np.int64), dst[amb].astype(np.int64)
    rows = pd.DataFrame({"cls": cls, "addr": a}).join(peers, on=["cls", "addr"])["n"]
    n_src = rows.to_numpy(dtype=np.int64)
    rows = pd.DataFrame({"cls": cls, "addr": b}).join(peers, on=["cls", "addr"])["n"]
    n_dst = rows.to_numpy(dtype=np.int64)
    icmp_like = port[amb] == 0
    fan_client = np.where(icmp_like, n_src > n_dst, n_src < n_dst)
    client = np.zeros(len(src), dtype=bool)
    known = np.zeros(len(src), dtype=bool)
    client[amb], known[amb] = fan_client, n_src != n_dst
    return client, known


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
    space, eff_src_i, eff_dst_i = effective_space(df)
    inside = _in_vpc(space, vpc_cidrs, inventory)
    _, known, eni_cat = _local_known(df, space, inside, inventory)
    src, dst = space.codes[0], space.codes[1]
    todo = ~known & (src >= 0) & (dst >= 0)
    votes = pd.DataFrame(columns=["eni", "addr", "n"])
    wanted: list[str] = []
    if eni_cat is not None:
        votes, wanted = _vote_facts(space, eni_cat, todo, every_eni=True)
    eff_src, eff_dst = space.codes[eff_src_i], space.codes[eff_dst_i]
    sport, s_na = _ports(df, "srcport")
    dport, d_na = _ports(df, "dstport")
    _, cknown = src_is_client(df, ports=(sport, s_na, dport, d_na))
    amb = _ambiguous(eff_src, eff_dst, s_na, d_na, cknown)
    edges = _edges(df, eff_src, eff_dst, sport, amb)
    uniques = np.asarray(space.uniques, dtype=object)
    edges = edges.assign(addr=uniques[edges["addr"].to_numpy()],
                         peer=uniques[edges["peer"].to_numpy()])  # fmt: skip
    return DirectionFacts.of(votes, wanted, edges)


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


def _uint16(values: np.ndarray, mask: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(values.astype(np.uint16), mask)


def _direction_columns(s: dict[str, Any]) -> dict[str, Any]:
    space: AddressSpace = s["space"]
    local_src, lknown = s["local_src"], s["lknown"]
    sport, dport, s_na, d_na = s["sport"], s["dport"], s["s_na"], s["d_na"]
    return {
        "direction": pd.Categorical.from_codes(
            s["direction"], categories=pd.Index(DIRECTIONS, dtype=object), validate=False
        ),
        "local_addr": space.categorical(s["local"]),
        "remote_addr": space.categorical(s["remote"]),
        "local_port": _uint16(
            np.where(local_src, sport, dport), ~lknown | np.where(local_src, s_na, d_na)
        ),
        "remote_port": _uint16(
            np.where(local_src ^ s["translated"], dport, sport),
            ~lknown | np.where(local_src ^ s["translated"], d_na, s_na),
        ),
    }


def _service_columns(s: dict[str, Any]) -> dict[str, Any]:
    space: AddressSpace = s["space"]
    client, cknown = np.asarray(s["client"]), np.asarray(s["cknown"])
    local_src, lknown = np.asarray(s["local_src"]), np.asarray(s["lknown"])
    sport, dport = np.asarray(s["sport"]), np.asarray(s["dport"])
    eff_src, eff_dst = np.asarray(s["eff_src"]), np.asarray(s["eff_dst"])
    local_is_client = np.where(local_src, client, ~client)
    role = np.where(cknown & lknown, np.where(local_is_client, 0, 1), -1).astype(np.int8)
    return {
        "service_port": _uint16(np.where(client, dport, sport), ~cknown | ((sport | dport) == 0)),
        "local_role": pd.Categorical.from_codes(
            role, categories=pd.Index(ROLES, dtype=object), validate=False
        ),
        "client_addr": space.categorical(np.where(cknown, np.where(client, eff_src, eff_dst), -1)),
        "server_addr": space.categorical(np.where(cknown, np.where(client, eff_dst, eff_src), -1)),
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
    for name, values in _direction_columns(_sides(df, vpc_cidrs, inventory, facts)).items():
        out[name] = values
    return out


def add_service_side(
    df: pd.DataFrame,
    *,
    vpc_cidrs: Iterable[str] | None = None,
    inventory: Inventory | None = None,
    facts: DirectionFacts | None = None,
) -> pd.DataFrame:
    """Add ``service_port``, ``local_role`` (client | server), ``client_addr``, ``server_addr``.

    The server is found from ``tcp-flags`` when the record has them (the side sending SYN is
    the client, the side sending SYN-ACK the server), else from the ports: a well-known or
    common server port beats an IANA-registered one, which beats any other below 32768, which
    beats an ephemeral one; on a tie the lower port is the service.  Records whose ports say
    nothing (ICMP, equal ports) get NA; :func:`flowkit.conversations` also uses the reverse
    record and the time order.  Addresses are packet-level.  ``facts`` as for
    :func:`add_direction`.  Returns a new frame; the input is not changed.

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
    for name, values in _service_columns(_sides(df, vpc_cidrs, inventory, facts)).items():
        out[name] = values
    return out
