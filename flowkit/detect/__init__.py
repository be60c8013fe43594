"""Security detections with their evidence: ``fk.hunt`` and one ``find_<name>`` per family.

Every detection is a pure function ``find_<name>(df, *, <thresholds>) -> findings`` whose
docstring explains its model, its default thresholds and why.  They read flow records (raw or
enriched) through one de-duplicated, client/server-oriented view
(:mod:`flowkit.detect.view`), and return frames with the columns
:data:`~flowkit.detect.frame.FINDING_COLUMNS`, in that order, sorted deterministically.
:func:`hunt` runs them all with the thresholds of a :class:`HuntConfig`.

Modules: :mod:`~flowkit.detect.scan` (port_scan, port_sweep, on first contacts from
:mod:`~flowkit.detect.contacts`), :mod:`~flowkit.detect.brute` (ssh/rdp_brute_force,
brute_force), :mod:`~flowkit.detect.beacon` (beaconing), :mod:`~flowkit.detect.fastc2`
(fast_c2), :mod:`~flowkit.detect.exfil` (exfiltration), :mod:`~flowkit.detect.volume` (dos),
:mod:`~flowkit.detect.lateral`, :mod:`~flowkit.detect.intel` (threat_intel),
:mod:`~flowkit.detect.novelty` (unusual_port, unusual_protocol), :mod:`~flowkit.detect.rejects`
(rejected_burst, repeated_probe); :mod:`~flowkit.detect.allow` (the allow-list),
:mod:`~flowkit.detect.config` (:class:`HuntConfig`), :mod:`~flowkit.detect.rules` (the table of
rules, :func:`rules_table`).
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from flowkit.detect.allow import AllowList
from flowkit.detect.beacon import find_beaconing
from flowkit.detect.brute import find_brute_force, find_rdp_brute_force, find_ssh_brute_force
from flowkit.detect.common import Records, as_view
from flowkit.detect.config import DETECTIONS, HuntConfig, HuntConfigError
from flowkit.detect.fastc2 import find_fast_c2
from flowkit.detect.frame import (
    FINDING_COLUMNS,
    FINDINGS,
    SEVERITIES,
    empty_findings,
    findings_frame,
    sort_findings,
)
from flowkit.detect.intel import ThreatSource, find_threat_intel
from flowkit.detect.lateral import find_lateral_movement
from flowkit.detect.novelty import find_unusual_port, find_unusual_protocol
from flowkit.detect.rejects import find_rejected_burst, find_repeated_probe
from flowkit.detect.rules import rules_table
from flowkit.detect.scan import find_port_scan, find_port_sweep
from flowkit.detect.view import VIEW_NEEDS, View, build_view
from flowkit.detect.volume import find_dos, find_exfiltration
from flowkit.engine.protocol import is_dask_frame
from flowkit.errors import require_columns

if TYPE_CHECKING:
    import dask.dataframe as dd

__all__ = [
    "DETECTIONS",
    "FINDINGS",
    "FINDING_COLUMNS",
    "SEVERITIES",
    "AllowList",
    "HuntConfig",
    "HuntConfigError",
    "View",
    "build_view",
    "empty_findings",
    "find_beaconing",
    "find_brute_force",
    "find_dos",
    "find_exfiltration",
    "find_fast_c2",
    "find_lateral_movement",
    "find_port_scan",
    "find_port_sweep",
    "find_rdp_brute_force",
    "find_rejected_burst",
    "find_repeated_probe",
    "find_ssh_brute_force",
    "find_threat_intel",
    "find_unusual_port",
    "find_unusual_protocol",
    "findings_frame",
    "hunt",
    "rules_table",
]


#: Detections that honour the allow-list.
_TAKES_ALLOW = frozenset(
    n for n, f in DETECTIONS.items() if "allow" in inspect.signature(f).parameters
)


def _config(config: HuntConfig | Mapping[str, Any] | str | os.PathLike[str] | None) -> HuntConfig:
    if config is None:
        return HuntConfig()
    if isinstance(config, HuntConfig):
        return config
    if isinstance(config, Mapping):
        return HuntConfig.from_dict(config)
    return HuntConfig.from_yaml(config)


def hunt(
    df: Records | dd.DataFrame,
    config: HuntConfig | Mapping[str, Any] | str | os.PathLike[str] | None = None,
    *,
    threat_list: ThreatSource | None = None,
) -> pd.DataFrame:
    """Run every detection on flow records and return all findings, most severe first.

    Dask-capable, as is every ``find_*`` detection: a Dask DataFrame
    (``fk.read(..., engine="dask")``) gives the same findings; the detections' view is built
    from per-partition parts (:func:`flowkit.detect.view_parts.view_part`), then the detections run
    unchanged on it in this process (its size is about 50 bytes per record).

    Parameters
    ----------
    df : DataFrame, dask.dataframe.DataFrame or View
        Flow records from :func:`flowkit.read` (raw or enriched).
    config : HuntConfig, dict or path, optional
        Thresholds (see :class:`HuntConfig`; a dict or YAML file gives only what differs from
        the defaults, ``allow`` lists destinations the C2 and exfiltration detections never
        report, and ``skip`` lists detections not to run).  Default: every detection with its
        documented defaults (:func:`rules_table` lists them).
    threat_list : path or iterable of str, optional
        A threat list file or addresses/CIDRs, added to the bundled example list.

    Returns
    -------
    DataFrame
        Findings with :data:`~flowkit.detect.frame.FINDING_COLUMNS`, sorted by severity
        (high first), ``first_seen``, ``finding``, ``actor``, ``target``, ``dstport``.

    Examples
    --------
    >>> import flowkit as fk
    >>> lines = [f"2 1 eni-a 198.18.0.7 10.0.1.5 40000 {p} 6 1 44 1700000000 1700000030 REJECT OK"
    ...          for p in range(1, 151)]
    >>> found = fk.hunt(fk.parse_lines(lines))
    >>> found[["finding", "severity", "actor"]].values.tolist()
    [['port_scan', 'medium', '198.18.0.7'], ['rejected_burst', 'medium', '198.18.0.7']]
    >>> fk.hunt(fk.parse_lines(lines), {"skip": ["rejected_burst"]})["finding"].tolist()
    ['port_scan']
    """
    cfg = _config(config)
    if not isinstance(df, View):
        require_columns(df, VIEW_NEEDS, "fk.hunt")
    view = build_view(df) if is_dask_frame(df) else as_view(df)
    parts = []
    for name, func in DETECTIONS.items():
        if name in cfg.skip:
            continue
        kwargs = cfg.thresholds(name)
        if name == "threat_intel":
            kwargs["threat_list"] = threat_list
        if name in _TAKES_ALLOW and cfg.allow:
            kwargs["allow"] = cfg.allow
        found = func(view, **kwargs)
        if len(found):
            parts.append(found)
    if not parts:
        return empty_findings()
    return sort_findings(pd.concat(parts, ignore_index=True))
