""":func:`check_policy`: what flowed against what the policy allows.

Each connection is keyed by client, server, protocol and service port (from the enrichment of
:func:`flowkit.read`), then checked against every rule.  An ACCEPTed flow that breaks a rule is a
``breach``; a REJECTed one is ``blocked`` (the control worked).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from flowkit.compliance.policy import PROTOCOLS, Policy, Rule, load_policy
from flowkit.enrich.addresses import AddressSpace
from flowkit.enrich.conversation_pairs import connection_ids
from flowkit.enrich.facts import frame_facts
from flowkit.enrich.inventory import Inventory, load_inventory
from flowkit.enrich.middlebox import middlebox_records, nat_boxes
from flowkit.enrich.scope import inside
from flowkit.enrich.sides import orientation_of
from flowkit.errors import require_columns
from flowkit.times import utc_seconds

__all__ = ["KINDS", "POLICY_NEEDS", "VIOLATION_COLUMNS", "check_policy", "segment_members"]

PathLike = str | os.PathLike[str]

#: Rule kinds in report order: forbidden ports, internet exposure, flows no rule allows.
KINDS: tuple[str, ...] = ("forbidden", "exposure", "not_allowed")
#: Columns of :func:`check_policy` (summary form).
VIOLATION_COLUMNS: tuple[str, ...] = (
    "kind", "rule", "outcome", "client_segment", "server_segment", "protocol", "port", "clients",
    "servers", "records", "bytes", "first_seen", "last_seen", "examples",
)  # fmt: skip
_NUMBERS = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmpv6"}
_KEY = ["client", "server", "protocol", "port", "action"]


def _address_facts(df: pd.DataFrame, inventory: Inventory | None) -> pd.DataFrame:
    """Per address: ``role``, ``name``, ``eni``, ``service`` (what the policy's refs test).

    Roles, names and ENIs come from ``inventory`` when given, else from the columns an
    inventory added at the read (the local end's ``eni_*``, the remote end's ``remote_*``): the
    same answers either way."""
    parts: list[pd.DataFrame] = []
    if inventory is not None:
        t = inventory.table.copy()
        t["address"] = t["addresses"].fillna("").astype(str).str.split(";")
        t = t.explode("address")
        parts.append(pd.DataFrame({"address": t["address"], "role": t["role"],
                                   "name": t["name"], "eni": t["interface_id"]}))  # fmt: skip
    else:
        ends = (("local_addr", "eni_role", "eni_name", "interface_id"),
                ("remote_addr", "remote_role", "remote_name", None))  # fmt: skip
        for addr, role, name, eni in ends:
            if {addr, role}.issubset(df.columns):
                pairs = pd.DataFrame({
                    "address": df[addr].astype(object), "role": df[role].astype(object),
                    "name": df[name].astype(object) if name in df.columns else None,
                    "eni": df[eni].astype(object) if eni is not None else None,
                }).dropna(subset=["address", "role"])  # fmt: skip
                parts.append(pairs.drop_duplicates())
    for addr, svc in (("srcaddr", "src_aws_service"), ("dstaddr", "dst_aws_service"),
                      ("pkt_srcaddr", "pkt_src_aws_service"),
                      ("pkt_dstaddr", "pkt_dst_aws_service")):  # fmt: skip
        if {addr, svc}.issubset(df.columns):
            pairs = pd.DataFrame({"address": df[addr].astype(object),
                                  "service": df[svc].astype(object)}).dropna()  # fmt: skip
            parts.append(pairs.drop_duplicates())
    if not parts:
        return pd.DataFrame(columns=["role", "name", "eni", "service"])
    facts = pd.concat(parts, ignore_index=True).dropna(subset=["address"])
    facts = facts[facts["address"].astype(str).str.len() > 0]
    cols = [c for c in ("role", "name", "eni", "service") if c in facts.columns]
    return (
        facts.groupby("address")[cols].first().reindex(columns=["role", "name", "eni", "service"])
    )


def segment_members(
    ref: str, addresses: pd.Index, facts: pd.DataFrame, policy: Policy
) -> np.ndarray:
    """Whether each address belongs to segment ``ref`` (a group, builtin, ``role:``...).

    Examples
    --------
    >>> from flowkit.compliance.policy import load_policy
    >>> p = load_policy("p", text="vpc_cidrs: [10.0.0.0/16, 2600:1f18::/40]\\n"
    ...                           "groups: {office: [71.190.44.0/24]}")
    >>> addrs = pd.Index(["10.0.1.5", "71.190.44.12", "2600:1f18::5", "2a00::1"])
    >>> facts = pd.DataFrame({"role": ["web"]}, index=["10.0.1.5"])
    >>> [segment_members(r, addrs, facts, p).tolist() for r in ("internet", "office", "role:web")]
    [[False, True, False, True], [False, True, False, False], [True, False, False, False]]
    """
    if ref in policy.groups:
        out = np.zeros(len(addresses), dtype=bool)
        for member in policy.groups[ref]:
            out |= segment_members(member, addresses, facts, policy)
        return out
    if ref == "any":
        return np.ones(len(addresses), dtype=bool)
    if ref in ("vpc", "internet"):
        inside = _inside(addresses, policy.vpc_cidrs)
        return inside if ref == "vpc" else ~inside
    for prefix, col in (("role:", "role"), ("service:", "service"), ("name:", "name")):
        if ref.startswith(prefix):
            values = facts[col].reindex(addresses).astype(object) if col in facts else None
            if values is None:
                return np.zeros(len(addresses), dtype=bool)
            want = ref[len(prefix) :].lower()
            return values.fillna("").astype(str).str.lower().eq(want).to_numpy()
    if ref.startswith("eni-"):
        eni = facts["eni"].reindex(addresses).astype(object) if "eni" in facts else None
        return np.zeros(len(addresses), bool) if eni is None else eni.eq(ref).to_numpy()
    return _in_networks(addresses, [ipaddress.ip_network(ref, strict=False)])


def _ips(addresses: pd.Index) -> list[Any]:
    out: list[Any] = []
    for a in addresses:  # unique addresses only, not records
        try:
            out.append(ipaddress.ip_address(str(a)))
        except ValueError:
            out.append(None)
    return out


def _in_networks(addresses: pd.Index, nets: list[Any]) -> np.ndarray:
    ips = _ips(addresses)
    return np.array(
        [ip is not None and any(ip.version == n.version and ip in n for n in nets) for ip in ips],
        dtype=bool,
    )


def _inside(addresses: pd.Index, cidrs: tuple[str, ...]) -> np.ndarray:
    """The one definition of your network (:func:`flowkit.enrich.scope.inside`): the policy's
    ``vpc_cidrs``, else the address scopes that are not routed on the internet."""
    space = AddressSpace.of([pd.Series(np.asarray(addresses, dtype=object), dtype=object)])
    per_unique = inside(space, cidrs or None)
    return np.append(per_unique, False)[space.codes[0]]


def _keys(df: pd.DataFrame, inventory: Inventory | None) -> pd.DataFrame:
    """One row per (client, server, protocol, port, outcome) with records, bytes, first, last.

    Every record is oriented by the one model (the enrichment's columns, or computed for a raw
    frame); a NAT gateway's records are left out (the ENIs behind it log the same flows), by
    the one middlebox rule whatever gave the types.  A *connection* (client, client port,
    server, service port, protocol; :func:`flowkit.enrich.conversation_pairs.connection_ids`) is
    ``REJECT`` when any of its records was rejected, wherever (the target's security group
    refused what the client's ENI let out), else ``ACCEPT``.
    """
    space, si, di, client, rule = orientation_of(df)
    src, dst = np.asarray(space.codes[si], np.int64), np.asarray(space.codes[di], np.int64)
    ok = (rule >= 0) & (src >= 0) & (dst >= 0)
    if "log_status" in df.columns:
        status = df["log_status"].astype(object)
        ok &= (status == "OK").to_numpy(dtype=bool) | status.isna().to_numpy()
    facts = frame_facts(df)
    boxes = facts.nat_boxes if facts is not None else nat_boxes(df, space)
    ok &= ~middlebox_records(df, boxes, inventory=inventory, kinds=("nat_gateway",))
    rows = np.flatnonzero(ok)
    cl = client[rows]
    cli, srv = np.where(cl, src[rows], dst[rows]), np.where(cl, dst[rows], src[rows])
    sp = df["srcport"].to_numpy(dtype=np.int64, na_value=0)[rows]
    dp = df["dstport"].to_numpy(dtype=np.int64, na_value=0)[rows]
    cport, port = np.where(cl, sp, dp), np.where(cl, dp, sp)
    port = np.where((sp | dp) == 0, -1, port)  # ICMP: no service port
    proto = df["protocol"].to_numpy(dtype=np.int64, na_value=-1)[rows]
    start = df["start"].to_numpy(dtype="datetime64[s]").view(np.int64)[rows]
    end = df["end"].to_numpy(dtype="datetime64[s]").view(np.int64)[rows]
    width = max(len(space.uniques), 1)
    conn = connection_ids(cli * width + srv, (cport << 24) | ((port + 1) << 7) | (proto & 0x7F),
                          start, end)  # fmt: skip
    rejected = np.zeros(len(rows), dtype=bool)
    if "action" in df.columns:
        rejected = (df["action"].astype(object) == "REJECT").to_numpy(dtype=bool)[rows]
    blocked = np.bincount(conn, weights=rejected, minlength=int(conn.max(initial=-1)) + 1) > 0
    names = np.asarray(space.uniques, dtype=object)
    frame = pd.DataFrame({
        "client": names[cli].astype(str), "server": names[srv].astype(str),
        "protocol": proto, "port": port,
        "action": np.where(blocked[conn], "REJECT", "ACCEPT"),
        "bytes": df["bytes"].to_numpy(dtype="float64", na_value=0)[rows],
        "first_seen": start, "last_seen": end,
    })  # fmt: skip
    keys = frame.groupby(_KEY, sort=True).agg(
        records=("bytes", "size"), bytes=("bytes", "sum"),
        first_seen=("first_seen", "min"), last_seen=("last_seen", "max"),
    )  # fmt: skip
    keys = keys.reset_index()
    keys["bytes"] = keys["bytes"].astype("int64")
    for col in ("first_seen", "last_seen"):
        keys[col] = utc_seconds(keys[col].to_numpy())
    return keys


def _proto_ok(rule: Rule, protocol: np.ndarray) -> np.ndarray:
    if rule.protocol is None:
        return np.ones(len(protocol), dtype=bool)
    if rule.protocol in ("icmp", "icmpv6"):
        return np.isin(protocol, [1, 58])
    return protocol == PROTOCOLS[rule.protocol]


def _match(rule: Rule, keys: pd.DataFrame, member: Any, reverse: bool = False) -> np.ndarray:
    c, s = (keys["s_idx"], keys["c_idx"]) if reverse else (keys["c_idx"], keys["s_idx"])
    hit = _proto_ok(rule, keys["protocol"].to_numpy())
    if rule.ports and rule.protocol not in ("icmp", "icmpv6"):
        hit &= np.isin(keys["port"].to_numpy(), rule.ports)
    hit &= _any_of(rule.src, member)[c.to_numpy()] & _any_of(rule.dst, member)[s.to_numpy()]
    if rule.exempt:
        hit &= ~_any_of(rule.exempt, member)[s.to_numpy()]
    if rule.trusted:
        hit &= ~_any_of(rule.trusted, member)[c.to_numpy()]
    return hit


def _any_of(refs: tuple[str, ...], member: Any) -> np.ndarray:
    out = member(refs[0])
    for ref in refs[1:]:
        out = out | member(ref)
    return np.asarray(out, dtype=bool)


def _labels(addresses: pd.Index, facts: pd.DataFrame, policy: Policy, member: Any) -> np.ndarray:
    """A segment name per address: its role, else the first group it is in, else builtin."""
    label = np.where(member("vpc"), "vpc", "internet").astype(object)
    for name in reversed(list(policy.groups)):
        label = np.where(member(name), name, label)
    role = facts["role"].reindex(addresses).astype(object) if "role" in facts else None
    if role is not None:
        has = role.notna().to_numpy()
        label = np.where(has, "role:" + role.fillna("").astype(str).to_numpy(), label)
    return label


#: Columns :func:`check_policy` needs (``action`` and ``log_status`` are read when present).
POLICY_NEEDS = ("srcaddr", "dstaddr", "srcport", "dstport", "protocol", "bytes", "start", "end")


def check_policy(
    df: pd.DataFrame,
    policy: Policy | PathLike,
    *,
    inventory: Inventory | PathLike | Mapping[str, Any] | None = None,
    detail: bool = False,
) -> pd.DataFrame:
    """Check observed flows against a policy; return the violations.

    Every connection (client, server, protocol, service port, action) is checked against the
    ``forbidden`` rules (a port that must never be used), the ``exposure`` rules (no inbound from
    the ``internet`` to these ports, except to ``exempt`` segments) and, when the policy's
    ``default`` is ``deny``, the allowed ``rules`` (``not_allowed``: no rule permits it; for UDP
    and ICMP either direction counts, as replies look like requests).  A connection reported as
    ``forbidden`` or ``exposure`` is not reported again as ``not_allowed``.  Records of NAT
    gateway ENIs (declared by ``eni_type``/``interface_type`` or the inventory, else seen
    translating for the internet) are skipped: the ENIs behind them log the same flows.
    Client and server are the one orientation model's (:mod:`flowkit.enrich.orientation`: the
    enrichment's columns, or computed for a raw frame); a connection is ``blocked`` when any
    of its records was rejected (the target refused what the client's ENI let out), else
    ``breach``: never both.

    Parameters
    ----------
    df : DataFrame
        Records from :func:`flowkit.read` (needs ``client_addr``, ``server_addr``,
        ``service_port``, ``protocol``, ``action``, ``bytes``, ``start``, ``end``).
    policy : Policy or path
        See :func:`flowkit.compliance.load_policy`.
    inventory : Inventory, path or dict, optional
        Resolves ``role:``, ``name:`` and ENI segments; without it they come from the frame's
        ``remote_role``/``remote_name`` columns.
    detail : bool
        Return one row per connection (``client``, ``server`` ...) instead of the summary.

    Returns
    -------
    DataFrame
        Summary: :data:`VIOLATION_COLUMNS`, one row per rule, outcome (``breach`` when
        ACCEPTed, ``blocked`` when REJECTed), segment pair, protocol and port; breaches first.

    Examples
    --------
    >>> import flowkit as fk
    >>> from flowkit.compliance.policy import load_policy
    >>> p = load_policy("p", text="vpc_cidrs: [10.0.0.0/16]\\n"
    ...     "forbidden: [{name: telnet, protocol: tcp, ports: [23]}]")
    >>> df = fk.parse_lines([
    ...     "2 1 eni-1 212.47.230.15 10.0.1.40 40000 23 6 10 840 1700000000 1700000060 ACCEPT OK",
    ...     "2 1 eni-1 45.9.148.1 10.0.1.40 40001 23 6 1 40 1700000000 1700000060 REJECT OK"],
    ... )
    >>> check_policy(df, p)[["kind", "rule", "outcome", "port", "clients", "bytes"]]
            kind    rule  outcome  port  clients  bytes
    0  forbidden  telnet   breach    23        1    840
    1  forbidden  telnet  blocked    23        1     40
    """
    require_columns(df, POLICY_NEEDS, "fk.check_policy")
    pol = policy if isinstance(policy, Policy) else load_policy(policy)
    inv = None
    if inventory is not None:
        inv = inventory if isinstance(inventory, Inventory) else load_inventory(inventory)
    keys = _keys(df, inv)
    facts = _address_facts(df, inv)
    addresses = pd.Index(pd.unique(np.concatenate([keys["client"], keys["server"]])))
    keys["c_idx"] = addresses.get_indexer(keys["client"])
    keys["s_idx"] = addresses.get_indexer(keys["server"])
    cache: dict[str, np.ndarray] = {}

    def member(ref: str) -> np.ndarray:
        if ref not in cache:
            cache[ref] = segment_members(ref, addresses, facts, pol)
        return cache[ref]

    found: list[pd.DataFrame] = []
    flagged = np.zeros(len(keys), dtype=bool)
    for rule in (*pol.forbidden, *pol.exposure):
        hit = _match(rule, keys, member)
        flagged |= hit
        found.append(keys[hit].assign(kind=rule.kind, rule=rule.name))
    if pol.default == "deny":
        allowed = np.zeros(len(keys), dtype=bool)
        for rule in pol.rules:
            allowed |= _match(rule, keys, member)
            if rule.protocol != "tcp":
                allowed |= _match(rule, keys, member, reverse=True)
        found.append(keys[~allowed & ~flagged].assign(kind="not_allowed", rule="default-deny"))
    out = pd.concat(found, ignore_index=True)
    labels = _labels(addresses, facts, pol, member)
    out["client_segment"] = labels[out["c_idx"].to_numpy()] if len(out) else []
    out["server_segment"] = labels[out["s_idx"].to_numpy()] if len(out) else []
    out["outcome"] = np.where(out["action"] == "ACCEPT", "breach", "blocked")
    out["protocol"] = out["protocol"].map(_NUMBERS).fillna(out["protocol"].astype(str))
    out = out.drop(columns=["c_idx", "s_idx", "action"])
    order = {"kind": {k: i for i, k in enumerate(KINDS)}, "outcome": {"breach": 0, "blocked": 1}}
    out = out.sort_values(["outcome", "kind", "bytes", "client", "server"],
                          key=lambda s: s.map(order[s.name]) if s.name in order else s,
                          ascending=[True, True, False, True, True])  # fmt: skip
    out = out.reset_index(drop=True)
    if detail:
        cols = ["kind", "rule", "outcome", "client_segment", "server_segment", "client", "server",
                "protocol", "port", "records", "bytes", "first_seen", "last_seen"]  # fmt: skip
        return out[cols]
    return _summarize(out)


def _summarize(detail: pd.DataFrame) -> pd.DataFrame:
    group = ["kind", "rule", "outcome", "client_segment", "server_segment", "protocol", "port"]
    if detail.empty:
        return pd.DataFrame(columns=list(VIOLATION_COLUMNS))
    pair = detail["client"] + " -> " + detail["server"]
    g = detail.assign(pair=pair).groupby(group, sort=False)
    out = g.agg(clients=("client", "nunique"), servers=("server", "nunique"),
                records=("records", "sum"), bytes=("bytes", "sum"),
                first_seen=("first_seen", "min"), last_seen=("last_seen", "max"),
                examples=("pair", lambda s: "; ".join(list(dict.fromkeys(s))[:3])))  # fmt: skip
    return out.reset_index()[list(VIOLATION_COLUMNS)]
