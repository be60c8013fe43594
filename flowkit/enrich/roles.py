"""Which end of a record is the client and which the server, whatever way the record points.

TCP flags decide first (the side sending SYN is the client); then the ports, ranked by how
much each looks like a service port (:func:`port_rank`); equal ports (NTP 123 to 123, ICMP)
by fan-in: how many distinct peers each side has.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from flowkit.enrich.facts import DirectionFacts, peer_counts
from flowkit.enrich.names import service_table

__all__ = ["SERVER_PORTS", "port_rank", "src_is_client"]

#: Registered ports that are almost always a server's (ranked with the well-known ports).
SERVER_PORTS: tuple[int, ...] = (
    1080, 1194, 1433, 1521, 1883, 2049, 2181, 2375, 2376, 2379, 2380, 3000, 3128, 3306, 3389,
    4222, 4443, 5000, 5044, 5432, 5439, 5601, 5671, 5672, 5900, 5984, 5985, 5986, 6379, 6443,
    7000, 7001, 7199, 7474, 8000, 8008, 8080, 8081, 8086, 8088, 8443, 8500, 8888, 9000, 9042,
    9090, 9092, 9093, 9200, 9300, 9418, 10250, 11211, 15672, 27017, 50051,
)  # fmt: skip


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
