"""The findings frame: its columns, their order and types, and the deterministic sort.

Every detection returns a frame with exactly :data:`FINDING_COLUMNS`, built by
:func:`findings_frame`.  Findings sort by severity (high first), then ``first_seen``,
``finding``, ``actor``, ``target`` and ``dstport``, so two runs on the same records give the
same frame, row for row.

Examples
--------
>>> import pandas as pd
>>> rows = pd.DataFrame({"finding": ["port_scan"], "severity": ["medium"],
...     "actor": ["198.18.7.1"], "target": ["10.0.1.5"], "dstport": [pd.NA],
...     "first_seen": [1700000000], "last_seen": [1700000600], "flows": [40], "packets": [40],
...     "bytes": [1600], "summary": ["198.18.7.1 probed 40 ports on 10.0.1.5."],
...     "evidence": [{"ports": 40}]})
>>> out = findings_frame(rows)
>>> list(out.columns) == list(FINDING_COLUMNS)
True
>>> out.loc[0, "attack"], out.loc[0, "guardduty"], str(out.loc[0, "first_seen"])
('T1046', 'Recon:EC2/Portscan', '2023-11-14 22:13:20+00:00')
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "FINDINGS",
    "FINDING_COLUMNS",
    "SEVERITIES",
    "empty_findings",
    "findings_frame",
]

#: Columns of every findings frame, in this order.
FINDING_COLUMNS: tuple[str, ...] = (
    "finding", "severity", "actor", "target", "dstport", "first_seen", "last_seen", "flows",
    "packets", "bytes", "summary", "evidence", "attack", "guardduty",
)  # fmt: skip

#: Severities, least to most severe.
SEVERITIES: tuple[str, ...] = ("low", "medium", "high")


#: Every finding name with its MITRE ATT&CK technique and the equivalent GuardDuty finding type
#: (``None`` when GuardDuty has no flow-log equivalent).
FINDINGS: dict[str, tuple[str, str | None]] = {
    "port_scan": ("T1046", "Recon:EC2/Portscan"),
    "port_sweep": ("T1046", "Impact:EC2/PortSweep"),
    "ssh_brute_force": ("T1110", "UnauthorizedAccess:EC2/SSHBruteForce"),
    "rdp_brute_force": ("T1110", "UnauthorizedAccess:EC2/RDPBruteForce"),
    "beaconing": ("T1071", "Backdoor:EC2/C&CActivity.B"),
    "exfiltration": ("T1048", "Behavior:EC2/TrafficVolumeUnusual"),
    "lateral_movement": ("T1021", None),
    "threat_intel": ("T1071", "UnauthorizedAccess:EC2/MaliciousIPCaller.Custom"),
    "unusual_port": ("T1571", "Behavior:EC2/NetworkPortUnusual"),
    "dos": ("T1498", "Backdoor:EC2/DenialOfService.Tcp"),
    "unusual_protocol": ("T1095", "Backdoor:EC2/DenialOfService.UnusualProtocol"),
    "rejected_burst": ("T1595", "Recon:EC2/PortProbeUnprotectedPort"),
    "repeated_probe": ("T1595", "Recon:EC2/PortProbeUnprotectedPort"),
    "fast_c2": ("T1071", "Backdoor:EC2/C&CActivity.B"),
    "brute_force": ("T1110", None),
}

_TIME: Any = "datetime64[s, UTC]"


def _times(values: pd.Series) -> pd.Series:
    """Times given as epoch seconds or timestamps, as UTC seconds."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        out = pd.to_datetime(values, utc=True)
    else:
        out = pd.to_datetime(values.astype("int64"), unit="s", utc=True)
    return out.astype(_TIME)


def empty_findings() -> pd.DataFrame:
    """Return a findings frame with no rows and the right columns and dtypes.

    >>> empty_findings().shape
    (0, 14)
    """
    return _empty().copy()


@lru_cache(maxsize=1)
def _empty() -> pd.DataFrame:
    return findings_frame(pd.DataFrame({c: [] for c in FINDING_COLUMNS[:12]}))


def findings_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """Build a findings frame from detection rows: fixed column order, types and sort.

    Parameters
    ----------
    rows : DataFrame
        One row per finding with the columns ``finding`` to ``evidence`` of
        :data:`FINDING_COLUMNS`; ``first_seen``/``last_seen`` as epoch seconds or timestamps.
        ``attack`` and ``guardduty`` are filled from :data:`FINDINGS` when absent.

    Returns
    -------
    DataFrame
        Columns :data:`FINDING_COLUMNS`; ``severity`` an ordered category, ``dstport``
        ``UInt16`` (NA when the finding covers many ports), times ``datetime64[s, UTC]``,
        counts ``int64``, text as ``object``.  Sorted by severity (high first),
        ``first_seen``, ``finding``, ``actor``, ``target``, ``dstport``; index 0..n-1.

    Raises
    ------
    ValueError
        If a column is missing, a finding name is unknown, or a severity is not low/medium/high.

    Examples
    --------
    >>> import pandas as pd
    >>> list(empty_findings()["severity"].cat.categories), empty_findings()["severity"].cat.ordered
    (['low', 'medium', 'high'], True)
    """
    missing = [c for c in FINDING_COLUMNS[:12] if c not in rows.columns]
    if missing:
        raise ValueError(f"findings rows lack columns: {missing}")
    unknown = sorted(set(rows["finding"].astype(str)) - set(FINDINGS))
    if unknown:
        raise ValueError(f"unknown finding names: {unknown}")
    bad = sorted(set(rows["severity"].astype(str)) - set(SEVERITIES))
    if bad:
        raise ValueError(f"severity must be one of {SEVERITIES}, got {bad}")
    n = len(rows)
    names = rows["finding"].astype(str).to_numpy(dtype=object)
    info = {name: FINDINGS[name] for name in set(names.tolist())}
    attack = rows["attack"] if "attack" in rows.columns else [info[x][0] for x in names]
    guard = rows["guardduty"] if "guardduty" in rows.columns else [info[x][1] for x in names]
    out = pd.DataFrame(
        {
            "finding": names,
            "severity": pd.Categorical(
                rows["severity"].astype(str), categories=list(SEVERITIES), ordered=True
            ),
            "actor": rows["actor"].astype(str).to_numpy(dtype=object),
            "target": rows["target"].astype(str).to_numpy(dtype=object),
            "dstport": rows["dstport"].astype("Float64").astype("UInt16").array,
            "first_seen": _times(rows["first_seen"]).to_numpy(),
            "last_seen": _times(rows["last_seen"]).to_numpy(),
            "flows": rows["flows"].astype("int64").to_numpy(),
            "packets": rows["packets"].astype("int64").to_numpy(),
            "bytes": rows["bytes"].astype("int64").to_numpy(),
            "summary": rows["summary"].astype(str).to_numpy(dtype=object),
            "evidence": np.asarray([*rows["evidence"], None], dtype=object)[:n],
            "attack": np.asarray(list(attack), dtype=object),
            "guardduty": pd.array([pd.NA if g is None else g for g in guard], dtype="string"),
        },
        index=pd.RangeIndex(n),
    )
    out["first_seen"] = out["first_seen"].astype(_TIME)
    out["last_seen"] = out["last_seen"].astype(_TIME)
    return sort_findings(out)


def sort_findings(df: pd.DataFrame) -> pd.DataFrame:
    """Sort findings deterministically (severity high first, then time and names)."""
    key = pd.DataFrame(
        {
            "sev": -df["severity"].cat.codes.to_numpy(),
            "t": df["first_seen"].to_numpy(),
            "f": df["finding"].to_numpy(),
            "a": df["actor"].to_numpy(),
            "g": df["target"].to_numpy(),
            "p": df["dstport"].astype("Float64").fillna(-1).to_numpy(),
        }
    )
    order = key.sort_values(["sev", "t", "f", "a", "g", "p"], kind="mergesort").index
    return df.iloc[order.to_numpy()].reset_index(drop=True)


def evidence(**values: Any) -> dict[str, Any]:
    """Evidence dict with plain Python numbers (JSON-friendly), rounded floats."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, np.integer):
            value = int(value)
        elif isinstance(value, float | np.floating):
            value = round(float(value), 3)
        out[key] = value
    return out
