"""The detections in one table: what each looks for, its default thresholds, its severity rule.

:func:`rules_table` (``fk.detection_rules()``) is the short form of the detections'
docstrings, which give each rule in full with the reasons for its thresholds; the thresholds
come from :class:`~flowkit.detect.config.HuntConfig` (or the one given), so the table always
shows what a hunt with that config runs.

>>> t = rules_table()
>>> list(t.columns)
['detection', 'looks_for', 'thresholds', 'severity']
>>> t.loc[t["detection"] == "port_scan", "thresholds"].item()[:44]
'windows_minutes=10/60/1440, min_ports=10, fa'
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from flowkit.detect.config import DETECTIONS, HuntConfig

__all__ = ["RULES", "rules_table"]

#: Per detection: (what it looks for, how severe a finding is).
RULES: dict[str, tuple[str, str]] = {
    "port_scan": (
        "one actor's first contacts to many ports of one host, in sliding windows from 10 "
        "minutes to a day, most of them rejected, unanswered or refused (threshold random walk "
        "over the pair's first contacts)",
        "fast (many ports in the shortest window) or broad: medium, else low; internal actor "
        "one level higher",
    ),
    "port_sweep": (
        "one actor's first contacts to one port on many hosts, per actor (all swept ports in "
        "one finding), walk as for port_scan",
        "fast or broad: medium, else low; internal actor one level higher",
    ),
    "ssh_brute_force": (
        "many short connections to TCP 22 from one actor to one host; a later long session "
        "means success",
        "success or internal actor to outside: high; internal to internal: medium; outside "
        "actor: low",
    ),
    "rdp_brute_force": ("the same on TCP 3389, with RDP-sized attempts", "as ssh_brute_force"),
    "brute_force": (
        "many short answered connections of nearly the same size from one actor to one service "
        "on any other port, within a minute",
        "as ssh_brute_force on login ports (FTP, mail, SMB, databases...); elsewhere low, "
        "medium when a session followed",
    ),
    "beaconing": (
        "an internal host's check-ins (bursts of connections) to one outside address on a "
        "clock, periods 10 s to a day, skipped beats allowed",
        "keepalive of one connection or a schedule shared by several channels (fleet, vendor): "
        "low; very regular over 48+ check-ins: high; else medium",
    ),
    "fast_c2": (
        "a sustained burst of evenly spaced, small new connections (seconds apart) from an "
        "internal host to an outside address few of your hosts contact",
        "an hour or more: high, else medium",
    ),
    "exfiltration": (
        "an hour of one-way upload (out/in ratio) to one outside address, far above the host's "
        "baseline: bulk, or smaller to an address new to the host",
        "bulk (100 MB in an hour): high, else medium",
    ),
    "lateral_movement": (
        "one internal host reaching several internal hosts on admin ports (SSH, RDP, SMB, "
        "WinRM) within an hour",
        "with rejected attempts: high, else medium",
    ),
    "threat_intel": (
        "any traffic with an address on a threat list",
        "your host called it: high; it got an answer: medium; all rejected: low",
    ),
    "unusual_port": (
        "a host's first use of a remote port it never used in the baseline day",
        "over 1 MB out: medium, else low",
    ),
    "dos": ("an internal host flooding one outside address (packets or bytes per minute)", "high"),
    "unusual_protocol": (
        "IP protocols other than TCP, UDP, ICMP sent to outside addresses",
        "many packets: high, else medium",
    ),
    "rejected_burst": (
        "a sudden step of REJECTs against one internal host, far above its own baseline",
        "one actor: medium; many sources: low",
    ),
    "repeated_probe": (
        "one source trying one closed service (rejected, unanswered, refused) again and again "
        "within a day",
        "100+ tries from outside or against an internal host: medium, else low",
    ),
}


def _format(value: Any) -> str:
    if isinstance(value, tuple):
        return "/".join(str(v) for v in value) if len(value) <= 6 else f"{len(value)} ports"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int) and not isinstance(value, bool) and value >= 10_000:
        return f"{value:_}"
    return str(value)


def rules_table(config: HuntConfig | None = None) -> pd.DataFrame:
    """One row per detection: ``detection`` (the finding name), ``looks_for``,
    ``thresholds`` (``key=value`` of ``config``, the defaults when None) and ``severity``.
    """
    cfg = config or HuntConfig()
    rows = []
    for name in DETECTIONS:
        looks, severity = RULES[name]
        values = cfg.thresholds(name)
        text = ", ".join(f"{k}={_format(v)}" for k, v in values.items()) or "(the list decides)"
        rows.append({"detection": name, "looks_for": looks, "thresholds": text,
                     "severity": severity})  # fmt: skip
    return pd.DataFrame(rows)
