"""Tables for reading: human units, names instead of numbers, severity high to low.

These functions take a table an analysis made and return a *display copy* (strings, ordered for
a reader); they never change their input and compute nothing new.  Units come from
:mod:`flowkit.units` (decimal: 1 GB = 10^9 bytes; cost volumes in GiB of 2^30 bytes, AWS's
billing unit, always written "GiB").

Examples
--------
>>> import pandas as pd
>>> t = pd.DataFrame({"host": ["10.0.12.60"], "bytes_sent": [20_535_435_845],
...                   "peak_bits_per_s": [16_470_000.0], "records": [223301], "dstport": [5432]})
>>> readable(t).iloc[0].tolist()
['10.0.12.60', '20.5 GB', '16.5 Mbit/s', '223,301', '5432']
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from flowkit import units
from flowkit.detect.frame import SEVERITIES
from flowkit.enrich.basic import protocol_names
from flowkit.naming import name_and_address

__all__ = [
    "ICMPV6_TYPES",
    "ICMP_TYPES",
    "named",
    "protocol_label",
    "readable",
    "rule_ports",
    "severity_counts",
    "summaries",
    "with_rule_ports",
]

#: ICMP (protocol 1) type names, RFC 792 and the IANA registry (the common ones).
ICMP_TYPES: dict[int, str] = {
    0: "echo-reply", 3: "destination-unreachable", 4: "source-quench", 5: "redirect",
    8: "echo-request", 9: "router-advertisement", 10: "router-solicitation",
    11: "time-exceeded", 12: "parameter-problem", 13: "timestamp", 14: "timestamp-reply",
}  # fmt: skip
#: ICMPv6 (protocol 58) type names, RFC 4443 and RFC 4861.
ICMPV6_TYPES: dict[int, str] = {
    1: "destination-unreachable", 2: "packet-too-big", 3: "time-exceeded",
    4: "parameter-problem", 128: "echo-request", 129: "echo-reply",
    133: "router-solicitation", 134: "router-advertisement", 135: "neighbor-solicitation",
    136: "neighbor-advertisement", 137: "redirect",
}  # fmt: skip

_HIGH_FIRST = SEVERITIES[::-1]


def _is_int(value: Any) -> bool:
    try:
        return float(value).is_integer()
    except (TypeError, ValueError):
        return False


def protocol_label(protocol: Any) -> str:
    """The IANA name of a protocol number; ``all`` for -1 (a security-group rule's "any").

    Examples
    --------
    >>> [protocol_label(p) for p in (6, 17, 1, -1, "udp", None)]
    ['TCP', 'UDP', 'ICMP', 'all', 'UDP', '-']
    """
    if protocol is None or (not isinstance(protocol, str) and pd.isna(protocol)):
        return "-"
    if _is_int(protocol):
        number = int(float(protocol))
        if number == -1:
            return "all"
        if 0 <= number <= 255:
            return protocol_names()[number]
    return str(protocol).upper()


def rule_ports(protocol: Any, from_port: Any, to_port: Any = None) -> str:
    """What a security-group rule's port fields mean, in words.

    For TCP/UDP the port or range (``all`` for -1 or 0-65535); for ICMP/ICMPv6 ``from_port`` is
    the ICMP type (-1: every type) and ``to_port`` the code.

    Examples
    --------
    >>> rule_ports(6, 22, 22), rule_ports(6, 1024, 65535), rule_ports(-1, -1, -1)
    ('22', '1024-65535', 'all')
    >>> rule_ports(1, -1, -1), rule_ports(1, 8, -1), rule_ports(58, 128, 0)
    ('all ICMP types', 'echo-request (type 8)', 'echo-request (type 128, code 0)')
    """
    name = protocol_label(protocol)
    low = int(float(from_port)) if _is_int(from_port) else None
    high = int(float(to_port)) if _is_int(to_port) else low
    if name in ("ICMP", "IPv6-ICMP"):
        if low is None or low == -1:
            return f"all {'ICMP' if name == 'ICMP' else 'ICMPv6'} types"
        table = ICMP_TYPES if name == "ICMP" else ICMPV6_TYPES
        code = "" if high is None or high == -1 else f", code {high}"
        return f"{table.get(low, 'type')} (type {low}{code})"
    if low is None or low == -1 or (low == 0 and high == 65535):
        return "all"
    return str(low) if high in (None, low) else f"{low}-{high}"


def with_rule_ports(rules: pd.DataFrame) -> pd.DataFrame:
    """Security-group rules with ``protocol`` named and ``from_port``/``to_port`` replaced by
    ``ports`` in words (:func:`rule_ports`): no ``-1`` and no protocol numbers.

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"group_name": ["db-sg", "db-sg"], "protocol": [1, 6],
    ...                   "from_port": [-1, 5432], "to_port": [-1, 5432]})
    >>> with_rule_ports(r).values.tolist()
    [['db-sg', 'ICMP', 'all ICMP types'], ['db-sg', 'TCP', '5432']]
    """
    ports = [rule_ports(p, a, b) for p, a, b in
             zip(rules["protocol"], rules["from_port"], rules["to_port"], strict=True)]  # fmt: skip
    out = rules.drop(columns=["from_port", "to_port"])
    out.insert(list(out.columns).index("protocol") + 1, "ports", ports)
    out["protocol"] = out["protocol"].map(protocol_label).astype(object)
    return out


def _kind(name: str) -> str:
    lowered = name.lower()
    if "bits_per_s" in lowered:
        return "rate"
    if lowered in ("usd", "cost", "savings") or lowered.endswith(("_cost", "_savings", "_usd")):
        return "usd"
    if lowered in ("rate", "price"):
        return "price"
    if lowered == "bytes" or lowered.startswith("bytes_") or lowered.endswith("_bytes"):
        return "bytes"
    if lowered == "gib" or lowered.endswith("_gib"):
        return "gib"
    if lowered == "protocol":
        return "protocol"
    if any(part in lowered for part in ("port", "id", "version", "code", "hour")):
        return "plain"
    return "number"


def _format_column(values: pd.Series, kind: str, per: str = "") -> pd.Series:
    if kind == "rate":
        return values.map(units.human_bits_per_s)
    if kind == "usd":
        return values.map(units.usd)
    if kind == "price":
        return values.map(lambda v: "-" if pd.isna(v) else units.usd(v, digits=3) + per)
    if kind == "bytes":
        return values.map(units.human_bytes)
    if kind == "gib":
        return values.map(units.human_gib)
    if kind == "protocol":
        return values.map(protocol_label)
    if kind == "plain":
        return values.map(lambda v: "-" if pd.isna(v) else str(int(v)) if _is_int(v) else str(v))
    return values.map(units.thousands)


def readable(table: pd.DataFrame) -> pd.DataFrame:
    """A display copy of a table: units for people, names for numbers, separators for counts.

    Columns are recognised by name: ``bytes``, ``bytes_*``, ``*_bytes`` in kB/MB/GB (10^9);
    ``gib``, ``*_gib`` (cost volumes, AWS's billing unit of 2^30 bytes) in GiB;
    ``*bits_per_s*`` in bit/s, Mbit/s; ``cost``, ``*_cost``, ``*_savings`` in USD; ``rate`` and
    ``price`` in USD to a tenth of a cent (``/GiB`` added in a table of GiB volumes);
    ``protocol`` numbers as IANA names; ports, ids, versions and hours as plain integers; every
    other numeric column with thousands separators (floats with two decimals).  Text, times and
    booleans are kept.  Missing values show as ``-``.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"protocol": [6, 1], "monthly_cost": [40.149, 0.0],
    ...                   "gib": [2007.45, 0.5], "rate": [0.02, 0.045], "flows": [1234567, 3]})
    >>> readable(t).values.tolist()
    [['TCP', '$40.15', '2,007.45 GiB', '$0.020/GiB', '1,234,567'], ['ICMP', '$0.00', '0.50 GiB', '$0.045/GiB', '3']]
    """  # noqa: E501
    out = table.copy()
    per = "/GiB" if any(_kind(str(col)) == "gib" for col in out.columns) else ""
    for col in out.columns:
        values = out[col]
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
            continue
        if not pd.api.types.is_numeric_dtype(values):
            if values.isna().any():
                out[col] = values.astype(object).where(values.notna(), "-")
            continue
        kind = _kind(str(col))
        if kind == "number" and pd.api.types.is_float_dtype(values):
            out[col] = values.map(lambda v: "-" if pd.isna(v) else f"{float(v):,.2f}")
            continue
        out[col] = _format_column(values, kind, per).astype(object)
    return out


def named(table: pd.DataFrame, names: Mapping[str, str],
          columns: Sequence[str] = ("actor", "target")) -> pd.DataFrame:  # fmt: skip
    """A copy with addresses in ``columns`` shown as ``name (address)`` where ``names`` (e.g.
    :func:`flowkit.address_names`: inventory names, AWS services) knows one.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"actor": ["10.0.11.21", "203.0.113.9"], "target": ["many", "10.0.0.20"]})
    >>> named(f, {"10.0.11.21": "app-2", "10.0.0.20": "bastion-1"}).values.tolist()
    [['app-2 (10.0.11.21)', 'many'], ['203.0.113.9', 'bastion-1 (10.0.0.20)']]
    """
    out = table.copy()
    for col in columns:
        if col in out.columns:
            out[col] = [v if pd.isna(v) else name_and_address(v, names) for v in out[col]]
    return out


def severity_counts(findings: pd.DataFrame) -> pd.Series:
    """Findings per severity and detection, high first (then by detection name).

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"severity": ["medium", "high", "medium"],
    ...                   "finding": ["port_scan", "beaconing", "port_sweep"]})
    >>> severity_counts(f).to_dict()
    {('high', 'beaconing'): 1, ('medium', 'port_scan'): 1, ('medium', 'port_sweep'): 1}
    """
    keys = findings[["severity", "finding"]].astype(str)
    counts = keys.groupby(["severity", "finding"]).size().rename("findings")
    rank = {s: i for i, s in enumerate(_HIGH_FIRST)}
    order = sorted(counts.index, key=lambda k: (rank.get(k[0], len(rank)), k[1]))
    return counts.reindex(pd.MultiIndex.from_tuples(order, names=["severity", "finding"]))


def summaries(findings: pd.DataFrame, width: int = 96) -> str:
    """Every finding's summary as ``[severity] text``, wrapped at word boundaries.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"severity": ["high"], "summary": ["a " * 30]})
    >>> print(summaries(f, width=30))
    [high] a a a a a a a a a a a a
        a a a a a a a a a a a a a
        a a a a a
    """
    wrap = textwrap.TextWrapper(width=width, subsequent_indent="    ", break_long_words=False,
                                break_on_hyphens=False)  # fmt: skip
    pairs = zip(findings["severity"].astype(str), findings["summary"], strict=True)
    return "\n".join(wrap.fill(f"[{sev}] {text}".strip()) for sev, text in pairs)
