"""Who opened the connection: the one orientation model of flowkit.

A VPC flow record is one direction of a connection on one ENI, in AWS field order (``srcaddr
srcport`` then ``dstaddr dstport``): it does not say which end is the *client* (the initiator).
Every part of flowkit (the enrichment columns ``client_addr``/``server_addr``/``local_role``/
``service_port``, :func:`flowkit.conversations`, :func:`flowkit.dedupe`, the detections'
view, compliance, handshake health and cost) reads the answer of this module, decided by the
first of these rules that tells, and recorded per record in ``orient_rule``:

1. ``flags``: TCP ``tcp-flags``: the side sending SYN (without ACK) is the client, the side
   sending SYN-ACK the server.
2. ``reject``: a REJECTed record's source opened the connection.  The record is on the
   target's ENI (``flow-direction`` ingress, or the destination is the ENI's own address: a
   security group or network ACL refused a request arriving) or on the initiator's (egress: an
   outbound rule refused it): the source initiated either way, *before the ports are read* (a
   scan from source port 443, or to an ephemeral port, is not a response).  The one exception
   is a stateless **network ACL rejecting a response**: a security group never rejects the
   reply of a connection it let through, a network ACL does.  Such a REJECT is told apart by
   its ports (the source port is a well-known or registered service port and the destination
   port an ephemeral one, 32768 and up) or, when the ports say nothing (ICMP ``0 0``, equal
   ports), by the accepted record of the other direction on the same ENI (the request the
   REJECT answers: the AWS ping example, a ping accepted inbound and its reply rejected
   outbound).  The client is then the REJECT's destination.
3. ``icmp``: ICMP and ICMPv6 records whose ports carry the message type: an echo (timestamp,
   information, address-mask) request's source is the client, a reply's destination.  AWS
   (and flowkit's sample generator) put ``0 0`` in the ports of ICMP records, so this rule only
   tells for logs converted from sources that keep the type (type in ``srcport`` and code in
   ``dstport``, or NetFlow's ``type * 256 + code`` in ``dstport``); ``0 0`` says nothing (it
   would read as an echo reply).
4. ``ports``: the port that ranks higher (:func:`port_rank`: well-known and common server
   ports, then IANA-registered, then other ports below 32768, then ephemeral ones) is the
   service; on a tie the lower port.  Equal ports (NTP 123 to 123) and ICMP say nothing.

What the record alone cannot tell (ICMP with ``0 0`` ports, equal ports) is decided by
evidence of the whole frame, per *conversation* (ENI, protocol, the unordered pair of
packet-level address and port ends):

5. ``reject`` again: a conversation on an ENI with REJECTs in one direction only is decided
   as in rule 2: the REJECTs' source, or their destination when they left the ENI (egress) as
   the answer to what the ENI accepted the other way (a response rejected).  A REJECT arriving
   at the ENI (ingress, or its end not known) is a request even when the other direction was
   accepted: other ICMP messages between the same hosts (port unreachables, their own pings)
   share the conversation.
6. ``one_sided``: an ENI logged only one direction of the conversation: its source is the
   client (a reply is never logged without the request on the ENI that sends it).
7. ``first_speaker``: the side whose first record (over every ENI) starts earlier (an echo
   reply starts after its request: AWS's ping example).
8. ``edge``: ICMP across your network's edge (one end inside, one outside) with no time order:
   the outside end pinged in (scanners and health checks ping in far more than hosts ping out,
   and an outbound ping normally leaves a time order).
9. ``fan_in``: the number of distinct peers of each end on that protocol and port: the side
   with more peers is the server (an NTP server answers many hosts), except for ICMP, where it
   is the client (a monitor pings many hosts).

``flow-direction`` is not a rule of its own: an ingress record is a request arriving at a
server as often as a reply arriving at a client (the AWS ping example logs the request
ingress and the reply egress; an outbound ping the reverse), so it tells which end is the
ENI's (the local end, :mod:`flowkit.enrich.sides`), not which end opened the connection.
Records still undecided (equal evidence on both sides) have no client (``orient_rule`` NA).

This module holds the model's rules and the record rules 1-4 (:func:`record_rules`);
:mod:`flowkit.enrich.talks` the frame-wide rules 5-9 and :func:`flowkit.enrich.talks.orient`,
every rule in order.  The frame-wide evidence is held as mergeable facts
(:class:`flowkit.enrich.facts.DirectionFacts`: the conversations table of
:func:`flowkit.enrich.talks.talks` and the fan-in edges), so the parts of a Dask frame are
oriented exactly as the whole frame.

Examples
--------
>>> import flowkit as fk
>>> df = fk.parse_lines([
...     "2 1 eni-1 203.0.113.66 10.0.1.10 443 8080 6 1 44 1700000000 1700000001 REJECT OK",
...     "2 1 eni-1 10.0.1.10 52.216.8.1 50000 443 6 5 400 1700000000 1700000060 ACCEPT OK",
...     "2 1 eni-1 198.51.100.7 10.0.1.10 0 0 1 4 336 1700000000 1700000115 ACCEPT OK",
...     "2 1 eni-1 10.0.1.10 198.51.100.7 0 0 1 4 336 1700000067 1700000115 ACCEPT OK"])
>>> df[["client_addr", "orient_rule"]].astype(str).values.tolist()
[['203.0.113.66', 'reject'], ['10.0.1.10', 'ports'], ['198.51.100.7', 'first_speaker'], \
['198.51.100.7', 'first_speaker']]
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from flowkit.enrich.addresses import AddressSpace
from flowkit.enrich.names import service_table

__all__ = [
    "NO_TIME",
    "ORIENT_RULES",
    "SERVER_PORTS",
    "Evidence",
    "evidence",
    "port_rank",
    "port_ranks",
    "record_rules",
]

#: The rules of the model, strongest first (see the module notes): ``orient_rule`` categories.
ORIENT_RULES: tuple[str, ...] = (
    "flags", "reject", "icmp", "ports", "one_sided", "first_speaker", "edge", "fan_in",
)  # fmt: skip
FLAGS, REJECT, ICMP, PORTS, ONE_SIDED, FIRST_SPEAKER, EDGE, FAN_IN = range(len(ORIENT_RULES))

#: Registered ports that are almost always a server's (ranked with the well-known ports).
SERVER_PORTS: tuple[int, ...] = (
    1080, 1194, 1433, 1521, 1883, 2049, 2181, 2375, 2376, 2379, 2380, 3000, 3128, 3306, 3389,
    4222, 4443, 5000, 5044, 5432, 5439, 5601, 5671, 5672, 5900, 5984, 5985, 5986, 6379, 6443,
    7000, 7001, 7199, 7474, 8000, 8008, 8080, 8081, 8086, 8088, 8443, 8500, 8888, 9000, 9042,
    9090, 9092, 9093, 9200, 9300, 9418, 10250, 11211, 15672, 27017, 50051,
)  # fmt: skip
#: ICMP (1) and ICMPv6 (58) message types that ask (the sender is the client) and answer.
ICMP_REQUESTS: dict[int, tuple[int, ...]] = {1: (8, 13, 15, 17), 58: (128,)}
ICMP_REPLIES: dict[int, tuple[int, ...]] = {1: (0, 14, 16, 18), 58: (129,)}
#: ``Evidence.start`` of a record without a start (later than any).
NO_TIME = np.iinfo(np.int64).max


@lru_cache(maxsize=1)
def port_ranks() -> np.ndarray:
    """:func:`port_rank` of every port 0-65535, as an array."""
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
    return int(port_ranks()[port])


@dataclass(frozen=True)
class Evidence:
    """What each record says about its orientation, as arrays (one entry per record).

    ``src``/``dst`` are codes of the packet-level addresses into ``names`` (-1: none);
    ``sport``/``dport`` are 0 where missing (``s_na``/``d_na``); ``proto`` and ``flags`` -1
    where missing; ``start`` epoch seconds (:data:`NO_TIME` where missing); ``eni`` codes into
    ``enis`` (-1: none).  Codes keep their small integer types (and ``start`` may be a view of
    the frame's column): read them, and widen a subset before arithmetic.
    """

    names: pd.Index
    src: np.ndarray
    dst: np.ndarray
    sport: np.ndarray
    dport: np.ndarray
    s_na: np.ndarray
    d_na: np.ndarray
    proto: np.ndarray
    flags: np.ndarray
    reject: np.ndarray
    start: np.ndarray
    eni: np.ndarray
    enis: pd.Index


def _ints(df: pd.DataFrame, column: str, missing: int) -> tuple[np.ndarray, np.ndarray]:
    """A numeric column as int32 (``missing`` where NA) and its NA mask."""
    if column not in df.columns:
        return np.full(len(df), missing, dtype=np.int32), np.ones(len(df), dtype=bool)
    col = df[column]
    if isinstance(col.dtype, pd.CategoricalDtype) or col.dtype == object:
        col = pd.to_numeric(col.astype(object), errors="coerce")
    if col.dtype.kind == "f":
        values = col.to_numpy(dtype="float64", na_value=missing).astype(np.int32)
    else:
        values = col.to_numpy(dtype=np.int32, na_value=missing)
    return np.asarray(values), col.isna().to_numpy()


def _starts(df: pd.DataFrame) -> np.ndarray:
    if "start" not in df.columns:
        return np.full(len(df), NO_TIME, dtype=np.int64)
    col = df["start"]
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        values = col.to_numpy(dtype="datetime64[s]")
        missing = np.isnat(values)
        if not missing.any():  # the usual case: the column's own buffer, read only
            return values.view(np.int64)
        out = values.view(np.int64).copy()
        out[missing] = NO_TIME
        return out
    seconds, na = _ints(df, "start", 0)
    return np.where(na, NO_TIME, seconds.astype(np.int64))


def _rejects(df: pd.DataFrame) -> np.ndarray:
    if "action" not in df.columns:
        return np.zeros(len(df), dtype=bool)
    act = df["action"]
    if isinstance(act.dtype, pd.CategoricalDtype):
        cats = np.asarray(act.cat.categories, dtype=object) == "REJECT"
        return np.append(cats, False)[np.asarray(act.cat.codes, dtype=np.int64)]
    return (act == "REJECT").to_numpy(dtype=bool, na_value=False)


def evidence(df: pd.DataFrame, space: AddressSpace, src: int, dst: int) -> Evidence:
    """The :class:`Evidence` of ``df``'s records; ``src``/``dst`` index the packet-level
    address codes in ``space`` (:func:`flowkit.enrich.aws.effective_space`)."""
    sport, s_na = _ints(df, "srcport", 0)
    dport, d_na = _ints(df, "dstport", 0)
    proto, _ = _ints(df, "protocol", -1)
    flags, _ = _ints(df, "tcp_flags", -1)
    if "interface_id" in df.columns:
        cat = df["interface_id"].astype("category")
        eni = np.asarray(cat.cat.codes)
        enis = pd.Index(cat.cat.categories, dtype=object)
    else:
        eni, enis = np.full(len(df), -1, dtype=np.int64), pd.Index([], dtype=object)
    return Evidence(
        names=space.uniques, src=np.asarray(space.codes[src]),
        dst=np.asarray(space.codes[dst]), sport=sport, dport=dport, s_na=s_na,
        d_na=d_na, proto=proto, flags=flags, reject=_rejects(df), start=_starts(df), eni=eni,
        enis=enis,
    )  # fmt: skip


def _icmp_types(ev: Evidence, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ICMP ``rows`` with non-zero ports: the message is a request (the source is the
    client) / a reply (the destination is)."""
    sport, dport, proto = ev.sport[rows], ev.dport[rows], ev.proto[rows]
    kind = np.where(sport != 0, sport, dport >> 8)  # type in srcport, or NetFlow's in dstport
    request = np.zeros(len(rows), dtype=bool)
    reply = np.zeros(len(rows), dtype=bool)
    for number, types in ICMP_REQUESTS.items():
        request |= (proto == number) & np.isin(kind, types)
    for number, types in ICMP_REPLIES.items():
        reply |= (proto == number) & np.isin(kind, types) & (sport != 0)
    return request, reply


# Record rules 1, 2 and 4 depend on a few small features of a record: they are computed once
# for every combination of them (:func:`_rule_table`) and looked up by the combination.
_PROTO_CLASS = np.zeros(257, dtype=np.int32)  # index protocol (-1, the last: missing): 0 other
_PROTO_CLASS[6], _PROTO_CLASS[1], _PROTO_CLASS[58] = 1, 2, 2  # 1 tcp, 2 icmp
_FLAG_CLASS = np.zeros(257, dtype=np.int32)  # index flags (-1: missing): 0 none, 1 SYN, 2 SYN-ACK
_FLAG_CLASS[:256][(np.arange(256) & 18) == 2] = 1
_FLAG_CLASS[:256][(np.arange(256) & 18) == 18] = 2
_SIZES = (3, 3, 2, 2, 5, 5, 3)  # proto class, flag class, reject, ports missing, rs, rd, cmp


def _byte_at(values: np.ndarray) -> np.ndarray:
    """Index into a 257-entry table of a byte-sized field (0-255; missing, -1, is index 256)."""
    if len(values) and (values.min() < -1 or values.max() > 255):  # not from a UInt8 column
        return np.clip(values, -1, 255)
    return values  # -1 indexes the last entry


@lru_cache(maxsize=1)
def _rank_at() -> np.ndarray:
    """:func:`port_ranks` + 1 (0-4), as the rule table's index wants it."""
    return (port_ranks() + 1).astype(np.int32)


@lru_cache(maxsize=1)
def _rule_table() -> tuple[np.ndarray, np.ndarray]:
    """``client`` and ``rule`` of rules 1, 2 and 4 for every feature combination."""
    pc, fc, rej, na, rs, rd, cmp = np.indices(_SIZES).reshape(len(_SIZES), -1)
    rs, rd = rs - 1, rd - 1  # ranks -1..3
    no_ports = (na == 1) | (pc == 2)
    ports_known = ~no_ports & ((rs != rd) | (cmp != 0))
    client = (rd > rs) | ((rd == rs) & (cmp == 1))  # cmp 1: dport < sport, 2: dport > sport
    rule = np.where(ports_known, PORTS, -1)
    response = ~no_ports & (rs >= 2) & (rd == 0)
    rejected = (rej == 1) & ports_known
    client = np.where(rejected, ~response, client)
    rule = np.where(rejected, REJECT, rule)
    tcp = pc == 1
    client = np.where(tcp & (fc == 1), True, np.where(tcp & (fc == 2), False, client))
    rule = np.where(tcp & (fc > 0), FLAGS, rule)
    return client.astype(bool), rule.astype(np.int8)


def record_rules(ev: Evidence) -> tuple[np.ndarray, np.ndarray]:
    """Rules 1-4 (flags, reject, icmp, ports): per record, whether the source is the client and
    the rule that decided it (index into :data:`ORIENT_RULES`; -1: the record alone does not
    tell).  A REJECT whose ports say nothing is left to the frame-wide rules (rule 5)."""
    rank = _rank_at()
    missing = ev.s_na | ev.d_na
    pc = _PROTO_CLASS[_byte_at(ev.proto)]
    idx = pc * 3  # in place from here: one array, no temporaries
    idx += _FLAG_CLASS[_byte_at(ev.flags)]
    idx *= 2
    idx += ev.reject
    idx *= 2
    idx += missing
    idx *= 5
    idx += rank[ev.sport]
    idx *= 5
    idx += rank[ev.dport]
    idx *= 3
    idx += ev.dport < ev.sport
    idx += (ev.dport > ev.sport).view(np.int8) * np.int8(2)
    table_client, table_rule = _rule_table()
    client, rule = table_client[idx], table_rule[idx]
    typed = np.flatnonzero((pc == 2) & ~missing & ((ev.sport | ev.dport) != 0))
    if len(typed):  # rule 3: ICMP types in the ports (rule 2 for a REJECTed one)
        request, reply = _icmp_types(ev, typed)
        told = request | reply
        at = typed[told]
        rejected = ev.reject[at]
        client[at] = np.where(rejected, ~reply[told], request[told])
        rule[at] = np.where(rejected, REJECT, ICMP)
    return client, rule
