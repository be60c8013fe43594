"""The allow-list: destinations the command-and-control and exfiltration detections never report.

Every estate talks to vendors on a clock (antivirus updates, push channels, telemetry) and
uploads to known services (backups, object storage).  Rather than raise thresholds for all,
name them.  An :class:`AllowList` is shipped empty; in a hunt config it is the ``allow``
section::

    allow:
      networks: [198.51.100.7, 203.0.113.0/24]   # addresses or CIDRs
      aws_services: [CLOUDFRONT, S3]             # service names of ip-ranges.json
      lists: [vendors.csv]                       # network lists (threat-list format, labels)
      labels: [eset, microsoft]                  # only these labels of ``lists`` (all if empty)

A destination is allowed when it is in ``networks``, is an address of one of ``aws_services``
(per the ip-ranges snapshot in use), or is in one of ``lists`` (with one of ``labels``, when
given).  Relative ``lists`` paths are read from the config file's folder.  The allow-list
applies to :func:`~flowkit.detect.beacon.find_beaconing`,
:func:`~flowkit.detect.fastc2.find_fast_c2` and
:func:`~flowkit.detect.volume.find_exfiltration`: the detections whose false positives are
known vendors.  Scans, probes and brute force are behaviour against you and are never
allowed away.

Examples
--------
>>> import flowkit as fk
>>> from flowkit.detect.common import as_view
>>> v = as_view(fk.parse_lines(["2 1 eni-a 10.0.1.5 203.0.113.9 40000 443 6 4 900 "
...                             "1700000000 1700000002 ACCEPT OK"]))
>>> AllowList(networks=("203.0.113.0/24",)).mask(v).tolist()
[False, True]
>>> AllowList().mask(v).tolist()
[False, False]
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from flowkit.detect.view import View
from flowkit.enrich.addresses import parse_addresses
from flowkit.enrich.aws import ip_ranges
from flowkit.enrich.threat import load_threat_list

__all__ = ["AllowList"]


@dataclass(frozen=True)
class AllowList:
    """Destinations never reported by the C2 and exfiltration detections (empty by default)."""

    networks: tuple[str, ...] = ()
    aws_services: tuple[str, ...] = ()
    lists: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.networks or self.aws_services or self.lists)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, base: str | os.PathLike[str] | None = None
                  ) -> AllowList:  # fmt: skip
        """Build from the ``allow`` section of a hunt config (values already type-checked).

        >>> AllowList.from_dict({"networks": ["203.0.113.7"]}).networks
        ('203.0.113.7',)
        """
        out = cls(**{k: tuple(str(x) for x in v) for k, v in data.items()})
        if base is not None:
            folder = Path(base)
            out = replace(out, lists=tuple(str(folder / p) if not Path(p).is_absolute() else p
                                           for p in out.lists))  # fmt: skip
        return out

    def allowed(self, view: View) -> np.ndarray:
        """:meth:`mask`, computed once per view (the detections of a hunt share it; read-only).

        >>> import flowkit as fk
        >>> from flowkit.detect.common import as_view
        >>> v = as_view(fk.parse_lines(["2 1 eni-a 10.0.1.5 203.0.113.7 40000 443 6 5 400 "
        ...                             "1700000000 1700000030 ACCEPT OK"]))
        >>> allow = AllowList(networks=("203.0.113.0/24",))
        >>> allow.allowed(v).tolist(), allow.allowed(v) is allow.allowed(v)
        ([False, True], True)
        """

        def build() -> np.ndarray:
            out = self.mask(view)
            out.flags.writeable = False
            return out

        return view.shared(("allowed", self), build)

    def mask(self, view: View) -> np.ndarray:
        """Per address code of ``view``: allowed."""
        n = len(view.addresses)
        out = np.zeros(n, dtype=bool)
        if not self or n == 0:
            return out
        parsed = parse_addresses(view.addresses)
        if self.networks:
            table = load_threat_list(dict.fromkeys(self.networks, "allow")).table
            out |= table.lookup(parsed) >= 0
        if self.aws_services:
            ranges = ip_ranges()
            labels: list[Any] = list(ranges.table.labels)
            services = np.asarray([p[0] for p in labels] + [None], dtype=object)
            out |= np.isin(services[ranges.table.lookup(parsed)], list(self.aws_services))
        if self.lists:
            table = load_threat_list(list(self.lists), label="allow").table
            found = table.lookup(parsed)
            names = np.asarray([str(x) for x in table.labels] + [""], dtype=object)[found]
            hit = found >= 0
            if self.labels:
                hit &= np.isin(names, list(self.labels))
            out |= hit
        return out
