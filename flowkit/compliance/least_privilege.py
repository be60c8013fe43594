""":func:`security_group_usage`: which security-group rules let traffic in, which never did.

Reads the JSON of ``aws ec2 describe-security-groups``; one row per rule *source* (each CIDR,
IPv6 CIDR or referenced group of an ``IpPermissions`` entry), per ENI that carries the group.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from flowkit.enrich.inventory import Inventory, load_inventory
from flowkit.errors import require_columns

__all__ = ["SG_RULE_COLUMNS", "USAGE_COLUMNS", "load_security_groups", "security_group_usage"]

PathLike = str | os.PathLike[str]

#: Columns of :func:`load_security_groups`.
SG_RULE_COLUMNS: tuple[str, ...] = (
    "group_id", "group_name", "direction", "protocol", "from_port", "to_port", "source",
    "description",
)  # fmt: skip
#: Columns of :func:`security_group_usage`.
USAGE_COLUMNS: tuple[str, ...] = (
    "interface_id", "eni_name", *SG_RULE_COLUMNS, "used", "connections", "records", "bytes",
    "first_seen", "last_seen",
)  # fmt: skip
_PROTOCOLS = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58, "-1": -1}


def load_security_groups(source: PathLike | Mapping[str, Any]) -> pd.DataFrame:
    """One row per rule source of ``describe-security-groups`` output (file or parsed dict).

    ``protocol`` is an IANA number (-1: all); ``from_port``/``to_port`` are -1 for all ports;
    ``source`` is a CIDR (IPv4 or IPv6), a group id (``sg-...``) or a prefix list (``pl-...``).

    Examples
    --------
    >>> sgs = load_security_groups({"SecurityGroups": [{"GroupId": "sg-1", "GroupName": "db",
    ...     "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
    ...         "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
    ...         "UserIdGroupPairs": [{"GroupId": "sg-2"}]}]}]})
    >>> sgs[["direction", "protocol", "from_port", "source"]].values.tolist()
    [['ingress', 6, 5432, '0.0.0.0/0'], ['ingress', 6, 5432, '::/0'], ['ingress', 6, 5432, 'sg-2']]
    """
    if isinstance(source, Mapping):
        doc: Any = source
    else:
        with open(os.fspath(source), encoding="utf-8") as fh:
            doc = json.load(fh)
    groups = doc.get("SecurityGroups", []) if isinstance(doc, Mapping) else doc
    rows: list[tuple[Any, ...]] = []
    for g in groups:  # a JSON document, not records
        for direction, key in (("ingress", "IpPermissions"), ("egress", "IpPermissionsEgress")):
            for p in g.get(key) or []:
                proto_text = str(p.get("IpProtocol", "-1")).lower()
                proto = _PROTOCOLS.get(proto_text, int(proto_text) if proto_text.isdigit() else -1)
                lo, hi = int(p.get("FromPort", -1)), int(p.get("ToPort", -1))
                if proto in (-1, 1, 58):
                    lo, hi = -1, -1
                sources = [(r.get("CidrIp"), r.get("Description")) for r in p.get("IpRanges") or []]
                sources += [(r.get("CidrIpv6"), r.get("Description"))
                            for r in p.get("Ipv6Ranges") or []]  # fmt: skip
                sources += [(r.get("GroupId"), r.get("Description"))
                            for r in p.get("UserIdGroupPairs") or []]  # fmt: skip
                sources += [(r.get("PrefixListId"), r.get("Description"))
                            for r in p.get("PrefixListIds") or []]  # fmt: skip
                for src, desc in sources:
                    rows.append((g.get("GroupId"), g.get("GroupName"), direction, proto, lo, hi,
                                 src, desc or ""))  # fmt: skip
    return pd.DataFrame(rows, columns=list(SG_RULE_COLUMNS))


def _connections(df: pd.DataFrame) -> pd.DataFrame:
    """ACCEPTed connections per ENI: the ENI as server (ingress) or as client (egress)."""
    keep = (df["action"].astype(object) == "ACCEPT").to_numpy() & df[
        "remote_addr"
    ].notna().to_numpy()
    keep &= df["local_role"].notna().to_numpy()
    sub = df[keep]
    frame = pd.DataFrame({
        "interface_id": sub["interface_id"].astype(str).to_numpy(),
        "direction": np.where(sub["local_role"].astype(object) == "server", "ingress", "egress"),
        "remote": sub["remote_addr"].astype(str).to_numpy(),
        "protocol": sub["protocol"].astype("int64").to_numpy(),
        "port": sub["service_port"].astype("Int64").fillna(-1).astype("int64").to_numpy(),
        "bytes": sub["bytes"].astype("float64").fillna(0).to_numpy(),
        "start": sub["start"].to_numpy(), "end": sub["end"].to_numpy(),
    })  # fmt: skip
    keys = ["interface_id", "direction", "remote", "protocol", "port"]
    out = frame.groupby(keys, sort=True).agg(
        records=("bytes", "size"),
        bytes=("bytes", "sum"),
        first_seen=("start", "min"),
        last_seen=("end", "max"),
    )
    return out.reset_index()


def _source_match(remote: pd.Series, source: pd.Series, addr_groups: pd.Series) -> np.ndarray:
    """Whether each remote address is inside the rule's source (CIDR or group)."""
    out = np.zeros(len(remote), dtype=bool)
    is_sg = source.str.startswith("sg-").to_numpy()
    if is_sg.any():
        groups = addr_groups.reindex(remote[is_sg]).fillna("").astype(str).to_numpy()
        wanted = source[is_sg].to_numpy()
        out[is_sg] = [w in g.split(";") for w, g in zip(wanted, groups, strict=True)]
    pairs = pd.DataFrame({"r": remote, "s": source})[
        ~is_sg & ~source.str.startswith("pl-").to_numpy()
    ]
    for cidr, part in pairs.groupby("s"):  # one pass per distinct CIDR
        net = ipaddress.ip_network(str(cidr), strict=False)
        uniq = part["r"].unique()
        inside = {a: _in(a, net) for a in uniq}
        out[part.index.to_numpy()] = part["r"].map(inside).to_numpy(dtype=bool)
    return out


def _in(address: str, net: Any) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return ip.version == net.version and ip in net


def security_group_usage(
    df: pd.DataFrame,
    security_groups: pd.DataFrame | PathLike | Mapping[str, Any],
    inventory: Inventory | PathLike | Mapping[str, Any],
) -> pd.DataFrame:
    """Per ENI, each rule of its security groups: used in the period, or never (remove it?).

    A rule is used when an ACCEPTed connection matches it: for ``ingress`` the ENI is the server
    and the client is in the rule's source; for ``egress`` the ENI is the client.  Protocol and
    the service port must fall in the rule.  Rules whose source is a group match addresses of
    ENIs carrying that group (from the inventory).

    Parameters
    ----------
    df : DataFrame
        Records from :func:`flowkit.read` (``interface_id``, ``local_role``, ``remote_addr``,
        ``protocol``, ``service_port``, ``action``, ``bytes``, ``start``, ``end``).
    security_groups : DataFrame, path or dict
        ``describe-security-groups`` output or :func:`load_security_groups` rows.
    inventory : Inventory, path or dict
        Which ENI carries which groups (``describe-network-interfaces``).

    Returns
    -------
    DataFrame
        :data:`USAGE_COLUMNS`; unused rules first, then by ENI name.

    Examples
    --------
    >>> import flowkit as fk
    >>> inv = {"NetworkInterfaces": [{"NetworkInterfaceId": "eni-1",
    ...     "PrivateIpAddress": "10.0.2.30", "Groups": [{"GroupId": "sg-db"}],
    ...     "TagSet": [{"Key": "Name", "Value": "db-1"}]}]}
    >>> sgs = {"SecurityGroups": [{"GroupId": "sg-db", "GroupName": "db", "IpPermissions": [
    ...     {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
    ...      "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
    ...     {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
    ...      "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}]}]}
    >>> df = fk.parse_lines(["2 1 eni-1 82.165.4.77 10.0.2.30 40000 5432 6 10 840 "
    ...                      "1700000000 1700000060 ACCEPT OK"])
    >>> security_group_usage(df, sgs, inv)[["eni_name", "from_port", "source", "used"]]
      eni_name  from_port       source   used
    0     db-1         22  10.0.0.0/16  False
    1     db-1       5432    0.0.0.0/0   True
    """
    require_columns(
        df,
        ("interface_id", "local_role", "remote_addr", "protocol", "service_port", "action"),
        "fk.security_group_usage",
    )
    rules = (
        security_groups.copy()
        if isinstance(security_groups, pd.DataFrame)
        else load_security_groups(security_groups)
    )
    inv = inventory if isinstance(inventory, Inventory) else load_inventory(inventory)
    enis = inv.table[["interface_id", "name", "security_groups", "addresses"]].copy()
    enis["group_id"] = enis["security_groups"].fillna("").astype(str).str.split(";")
    per_eni = enis.explode("group_id")
    per_eni = per_eni[per_eni["group_id"].str.len() > 0]
    eni_rules = per_eni[["interface_id", "name", "group_id"]].merge(rules, on="group_id")
    eni_rules = eni_rules.rename(columns={"name": "eni_name"}).reset_index(drop=True)
    eni_rules["rule_id"] = np.arange(len(eni_rules))
    addr = enis.assign(address=enis["addresses"].fillna("").astype(str).str.split(";"))
    addr = addr.explode("address")
    addr_groups = addr.drop_duplicates("address").set_index("address")["security_groups"]
    conns = _connections(df)
    pairs = conns.merge(eni_rules[["rule_id", "interface_id", "direction", "protocol", "from_port",
                                   "to_port", "source"]], on=["interface_id", "direction"],
                        suffixes=("", "_rule"))  # fmt: skip
    ok = (pairs["protocol_rule"] == -1) | (pairs["protocol_rule"] == pairs["protocol"])
    ok &= (pairs["from_port"] == -1) | (
        (pairs["port"] >= pairs["from_port"]) & (pairs["port"] <= pairs["to_port"])
    )
    pairs = pairs[ok.to_numpy()].reset_index(drop=True)
    pairs = pairs[_source_match(pairs["remote"], pairs["source"], addr_groups)]
    used = pairs.groupby("rule_id").agg(
        connections=("remote", "size"), records=("records", "sum"), bytes=("bytes", "sum"),
        first_seen=("first_seen", "min"), last_seen=("last_seen", "max"),
    )  # fmt: skip
    out = eni_rules.merge(used, left_on="rule_id", right_index=True, how="left")
    out["used"] = out["connections"].notna()
    for col in ("connections", "records", "bytes"):
        out[col] = out[col].fillna(0).astype("int64")
    for col in ("first_seen", "last_seen"):
        out[col] = pd.to_datetime(out[col], utc=True)
    out = out.sort_values(["used", "eni_name", "group_id", "direction", "from_port", "source"])
    return out[list(USAGE_COLUMNS)].reset_index(drop=True)
