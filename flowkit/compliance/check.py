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
from flowkit.enrich.inventory import Inventory, load_inventory

__all__ = ["KINDS", "VIOLATION_COLUMNS", "check_policy", "segment_members"]

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
    """Per address: ``role``, ``name``, ``eni``, ``service`` (what the policy's refs test)."""
    parts: list[pd.DataFrame] = []
    if inventory is not None:
        t = inventory.table.copy()
        t["address"] = t["addresses"].fillna("").astype(str).str.split(";")
        t = t.explode("address")
        parts.append(pd.DataFrame({"address": t["address"], "role": t["role"],
                                   "name": t["name"], "eni": t["interface_id"]}))  # fmt: skip
    else:
        for addr, role, name in (("remote_addr", "remote_role", "remote_name"),):
            if {addr, role}.issubset(df.columns):
                parts.append(pd.DataFrame({"address": df[addr].astype(object),
                    "role": df[role].astype(object),
                    "name": df[name].astype(object) if name in df.columns else None}))  # fmt: skip
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
    if cidrs:
        return _in_networks(addresses, [ipaddress.ip_network(c, strict=False) for c in cidrs])
    return np.array([ip is not None and not ip.is_global for ip in _ips(addresses)], dtype=bool)


def _keys(df: pd.DataFrame) -> pd.DataFrame:
    """One row per (client, server, protocol, port, action) with records, bytes, first, last."""
    needed = ["client_addr", "server_addr", "protocol", "action"]
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise KeyError(f"check_policy needs the enriched columns {missing} (use fk.read)")
    ok = df["client_addr"].notna().to_numpy() & df["server_addr"].notna().to_numpy()
    if "log_status" in df.columns:
        ok &= (df["log_status"].astype(object) == "OK").to_numpy()
    if "eni_type" in df.columns:  # a NAT gateway forwards flows its clients' ENIs log already
        ok &= (df["eni_type"].astype(object) != "nat_gateway").to_numpy()
    sub = df[ok]
    port = sub["service_port"] if "service_port" in sub.columns else sub["dstport"]
    frame = pd.DataFrame({
        "client": sub["client_addr"].astype(str).to_numpy(),
        "server": sub["server_addr"].astype(str).to_numpy(),
        "protocol": sub["protocol"].astype("int64").to_numpy(),
        "port": port.astype("Int64").fillna(-1).astype("int64").to_numpy(),
        "action": sub["action"].astype(str).to_numpy(),
        "bytes": sub["bytes"].astype("float64").fillna(0).to_numpy(),
        "first_seen": sub["start"].to_numpy(), "last_seen": sub["end"].to_numpy(),
    })  # fmt: skip
    keys = frame.groupby(_KEY, sort=True).agg(
        records=("bytes", "size"), bytes=("bytes", "sum"),
        first_seen=("first_seen", "min"), last_seen=("last_seen", "max"),
    )  # fmt: skip
    keys = keys.reset_index()
    keys["bytes"] = keys["bytes"].astype("int64")
    for col in ("first_seen", "last_seen"):
        keys[col] = pd.to_datetime(keys[col], utc=True)
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
    gateway ENIs (``eni_type``) are skipped: the ENIs behind them log the same flows.

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
    pol = policy if isinstance(policy, Policy) else load_policy(policy)
    inv = None
    if inventory is not None:
        inv = inventory if isinstance(inventory, Inventory) else load_inventory(inventory)
    keys = _keys(df)
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
