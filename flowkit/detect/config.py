"""Every threshold of every detection, as one dataclass loadable from YAML or a dict.

Each detection has a frozen dataclass of its keyword parameters whose defaults are read from
the detection's own signature, so the defaults live in one place (the function) and are
documented there.  :class:`HuntConfig` holds one of each plus the list of detections to run.

Examples
--------
>>> cfg = HuntConfig.from_dict({"port_scan": {"min_ports": 50}, "skip": ["unusual_port"]})
>>> cfg.port_scan.min_ports, cfg.port_sweep.min_hosts, "unusual_port" in cfg.skip
(50, 5, True)
>>> cfg.to_dict()["port_scan"]["window_minutes"]
10
"""

from __future__ import annotations

import dataclasses
import inspect
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from flowkit.detect.beacon import find_beaconing
from flowkit.detect.fastc2 import find_fast_c2
from flowkit.detect.brute import find_brute_force, find_rdp_brute_force, find_ssh_brute_force
from flowkit.detect.intel import find_threat_intel
from flowkit.detect.lateral import find_lateral_movement
from flowkit.detect.novelty import find_unusual_port, find_unusual_protocol
from flowkit.detect.rejects import find_rejected_burst, find_repeated_probe
from flowkit.detect.scan import find_port_scan, find_port_sweep
from flowkit.detect.volume import find_dos, find_exfiltration

__all__ = ["DETECTIONS", "HuntConfig"]

#: Every detection by finding name, in the order :func:`flowkit.hunt` runs them.
DETECTIONS: dict[str, Callable[..., Any]] = {
    "port_scan": find_port_scan,
    "port_sweep": find_port_sweep,
    "ssh_brute_force": find_ssh_brute_force,
    "rdp_brute_force": find_rdp_brute_force,
    "brute_force": find_brute_force,
    "beaconing": find_beaconing,
    "fast_c2": find_fast_c2,
    "exfiltration": find_exfiltration,
    "lateral_movement": find_lateral_movement,
    "threat_intel": find_threat_intel,
    "unusual_port": find_unusual_port,
    "dos": find_dos,
    "unusual_protocol": find_unusual_protocol,
    "rejected_burst": find_rejected_burst,
    "repeated_probe": find_repeated_probe,
}


def _d(func: Callable[..., Any], name: str) -> Any:
    """Default of a keyword parameter of ``func`` (the one source of every default)."""
    return inspect.signature(func).parameters[name].default


@dataclass(frozen=True)
class PortScan:
    """Thresholds of :func:`~flowkit.detect.scan.find_port_scan`."""

    windows_minutes: tuple[int, ...] = _d(find_port_scan, "windows_minutes")
    min_ports: int = _d(find_port_scan, "min_ports")
    fast_ports: int = _d(find_port_scan, "fast_ports")
    broad_ports: int = _d(find_port_scan, "broad_ports")


@dataclass(frozen=True)
class PortSweep:
    """Thresholds of :func:`~flowkit.detect.scan.find_port_sweep`."""

    windows_minutes: tuple[int, ...] = _d(find_port_sweep, "windows_minutes")
    min_hosts: int = _d(find_port_sweep, "min_hosts")
    broad_hosts: int = _d(find_port_sweep, "broad_hosts")


@dataclass(frozen=True)
class SshBruteForce:
    """Thresholds of :func:`~flowkit.detect.brute.find_ssh_brute_force`."""

    window_minutes: int = _d(find_ssh_brute_force, "window_minutes")
    min_attempts: int = _d(find_ssh_brute_force, "min_attempts")
    max_attempt_seconds: int = _d(find_ssh_brute_force, "max_attempt_seconds")
    max_attempt_bytes: int = _d(find_ssh_brute_force, "max_attempt_bytes")
    success_seconds: int = _d(find_ssh_brute_force, "success_seconds")
    success_bytes: int = _d(find_ssh_brute_force, "success_bytes")


@dataclass(frozen=True)
class RdpBruteForce:
    """Thresholds of :func:`~flowkit.detect.brute.find_rdp_brute_force`."""

    window_minutes: int = _d(find_rdp_brute_force, "window_minutes")
    min_attempts: int = _d(find_rdp_brute_force, "min_attempts")
    max_attempt_seconds: int = _d(find_rdp_brute_force, "max_attempt_seconds")
    max_attempt_bytes: int = _d(find_rdp_brute_force, "max_attempt_bytes")
    success_seconds: int = _d(find_rdp_brute_force, "success_seconds")
    success_bytes: int = _d(find_rdp_brute_force, "success_bytes")


@dataclass(frozen=True)
class BruteForce:
    """Thresholds of :func:`~flowkit.detect.brute.find_brute_force`."""

    window_minutes: float = _d(find_brute_force, "window_minutes")
    min_attempts: int = _d(find_brute_force, "min_attempts")
    min_similar: float = _d(find_brute_force, "min_similar")
    max_attempt_seconds: int = _d(find_brute_force, "max_attempt_seconds")
    max_attempt_bytes: int = _d(find_brute_force, "max_attempt_bytes")
    success_seconds: int = _d(find_brute_force, "success_seconds")
    success_bytes: int = _d(find_brute_force, "success_bytes")
    login_ports: tuple[int, ...] = _d(find_brute_force, "login_ports")


@dataclass(frozen=True)
class Beaconing:
    """Thresholds of :func:`~flowkit.detect.beacon.find_beaconing`."""

    min_checkins: int = _d(find_beaconing, "min_checkins")
    min_hours: float = _d(find_beaconing, "min_hours")
    min_interval_seconds: int = _d(find_beaconing, "min_interval_seconds")
    max_interval_seconds: int = _d(find_beaconing, "max_interval_seconds")
    checkin_seconds: int = _d(find_beaconing, "checkin_seconds")
    max_jitter: float = _d(find_beaconing, "max_jitter")
    max_missed_beats: int = _d(find_beaconing, "max_missed_beats")
    min_regularity: float = _d(find_beaconing, "min_regularity")
    min_on_beat: float = _d(find_beaconing, "min_on_beat")
    max_bytes_per_checkin: int = _d(find_beaconing, "max_bytes_per_checkin")
    fleet_channels: int = _d(find_beaconing, "fleet_channels")
    include_aws_services: bool = _d(find_beaconing, "include_aws_services")


@dataclass(frozen=True)
class FastC2:
    """Thresholds of :func:`~flowkit.detect.fastc2.find_fast_c2`."""

    max_gap_seconds: int = _d(find_fast_c2, "max_gap_seconds")
    min_connections: int = _d(find_fast_c2, "min_connections")
    min_minutes: float = _d(find_fast_c2, "min_minutes")
    max_jitter: float = _d(find_fast_c2, "max_jitter")
    min_regularity: float = _d(find_fast_c2, "min_regularity")
    max_bytes_per_connection: int = _d(find_fast_c2, "max_bytes_per_connection")
    fleet_hosts: int = _d(find_fast_c2, "fleet_hosts")
    include_aws_services: bool = _d(find_fast_c2, "include_aws_services")


@dataclass(frozen=True)
class Exfiltration:
    """Thresholds of :func:`~flowkit.detect.volume.find_exfiltration`."""

    min_bytes_per_hour: int = _d(find_exfiltration, "min_bytes_per_hour")
    min_new_bytes: int = _d(find_exfiltration, "min_new_bytes")
    min_out_in: float = _d(find_exfiltration, "min_out_in")
    min_ratio: float = _d(find_exfiltration, "min_ratio")
    baseline_quantile: float = _d(find_exfiltration, "baseline_quantile")
    novelty_hours: float = _d(find_exfiltration, "novelty_hours")
    include_aws_services: bool = _d(find_exfiltration, "include_aws_services")


@dataclass(frozen=True)
class LateralMovement:
    """Thresholds of :func:`~flowkit.detect.lateral.find_lateral_movement`."""

    ports: tuple[int, ...] = _d(find_lateral_movement, "ports")
    window_minutes: int = _d(find_lateral_movement, "window_minutes")
    min_hosts: int = _d(find_lateral_movement, "min_hosts")
    min_rejected_high: int = _d(find_lateral_movement, "min_rejected_high")


@dataclass(frozen=True)
class ThreatIntel:
    """:func:`~flowkit.detect.intel.find_threat_intel` has no threshold: the list decides."""


@dataclass(frozen=True)
class UnusualPort:
    """Thresholds of :func:`~flowkit.detect.novelty.find_unusual_port`."""

    baseline_hours: float = _d(find_unusual_port, "baseline_hours")
    min_baseline_connections: int = _d(find_unusual_port, "min_baseline_connections")
    min_connections: int = _d(find_unusual_port, "min_connections")


@dataclass(frozen=True)
class Dos:
    """Thresholds of :func:`~flowkit.detect.volume.find_dos`."""

    min_packets_per_minute: int = _d(find_dos, "min_packets_per_minute")
    min_bytes_per_minute: int = _d(find_dos, "min_bytes_per_minute")
    min_minutes: int = _d(find_dos, "min_minutes")
    include_aws_services: bool = _d(find_dos, "include_aws_services")


@dataclass(frozen=True)
class UnusualProtocol:
    """Thresholds of :func:`~flowkit.detect.novelty.find_unusual_protocol`."""

    allowed_protocols: tuple[int, ...] = _d(find_unusual_protocol, "allowed_protocols")
    min_packets_high: int = _d(find_unusual_protocol, "min_packets_high")


@dataclass(frozen=True)
class RejectedBurst:
    """Thresholds of :func:`~flowkit.detect.rejects.find_rejected_burst`."""

    bin_minutes: int = _d(find_rejected_burst, "bin_minutes")
    min_rejects: int = _d(find_rejected_burst, "min_rejects")
    min_ratio: float = _d(find_rejected_burst, "min_ratio")
    actor_share: float = _d(find_rejected_burst, "actor_share")


@dataclass(frozen=True)
class RepeatedProbe:
    """Thresholds of :func:`~flowkit.detect.rejects.find_repeated_probe`."""

    window_hours: float = _d(find_repeated_probe, "window_hours")
    min_probes: int = _d(find_repeated_probe, "min_probes")
    medium_probes: int = _d(find_repeated_probe, "medium_probes")
    min_failed_share: float = _d(find_repeated_probe, "min_failed_share")


@dataclass(frozen=True)
class HuntConfig:
    """Thresholds of every detection (one attribute per finding name) and which to skip.

    Build it with defaults (``HuntConfig()``), from a dict or YAML file
    (:meth:`from_dict`, :meth:`from_yaml`: only the values that differ need to be given), or
    change one value with :meth:`with_value`.  Unknown detections or thresholds raise
    ``ValueError``, so a typo in a config file never silently keeps a default.
    """

    port_scan: PortScan = field(default_factory=PortScan)
    port_sweep: PortSweep = field(default_factory=PortSweep)
    ssh_brute_force: SshBruteForce = field(default_factory=SshBruteForce)
    rdp_brute_force: RdpBruteForce = field(default_factory=RdpBruteForce)
    brute_force: BruteForce = field(default_factory=BruteForce)
    beaconing: Beaconing = field(default_factory=Beaconing)
    fast_c2: FastC2 = field(default_factory=FastC2)
    exfiltration: Exfiltration = field(default_factory=Exfiltration)
    lateral_movement: LateralMovement = field(default_factory=LateralMovement)
    threat_intel: ThreatIntel = field(default_factory=ThreatIntel)
    unusual_port: UnusualPort = field(default_factory=UnusualPort)
    dos: Dos = field(default_factory=Dos)
    unusual_protocol: UnusualProtocol = field(default_factory=UnusualProtocol)
    rejected_burst: RejectedBurst = field(default_factory=RejectedBurst)
    repeated_probe: RepeatedProbe = field(default_factory=RepeatedProbe)
    skip: frozenset[str] = frozenset()

    def thresholds(self, name: str) -> dict[str, Any]:
        """Keyword arguments of detection ``name``.

        >>> HuntConfig().thresholds("port_sweep")["min_hosts"]
        5
        """
        return dataclasses.asdict(getattr(self, name))

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (YAML-ready) of every threshold and the skipped detections."""
        out: dict[str, Any] = {}
        for name in DETECTIONS:
            values = self.thresholds(name)
            out[name] = {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}
        out["skip"] = sorted(self.skip)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HuntConfig:
        """Build from ``{detection: {threshold: value}, "skip": [detection, ...]}``.

        Raises
        ------
        ValueError
            On an unknown detection, threshold or skipped name.
        """
        unknown = sorted(set(data) - set(DETECTIONS) - {"skip"})
        if unknown:
            raise ValueError(f"unknown detections in hunt config: {unknown}")
        skip = frozenset(str(s) for s in data.get("skip", ()) or ())
        if skip - set(DETECTIONS):
            raise ValueError(f"unknown detections to skip: {sorted(skip - set(DETECTIONS))}")
        parts: dict[str, Any] = {}
        base = cls()
        for name, values in data.items():
            if name == "skip":
                continue
            current = getattr(base, name)
            names = {f.name for f in dataclasses.fields(current)}
            bad = sorted(set(values or {}) - names)
            if bad:
                raise ValueError(f"unknown thresholds for {name}: {bad} (known: {sorted(names)})")
            fixed = {k: tuple(v) if isinstance(v, list) else v for k, v in (values or {}).items()}
            parts[name] = dataclasses.replace(current, **fixed)
        return dataclasses.replace(base, skip=skip, **parts)

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str]) -> HuntConfig:
        """Load a YAML file shaped like :meth:`to_dict` (partial files are fine)."""
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
        if not isinstance(data, Mapping):
            raise ValueError(f"{path}: a hunt config is a mapping of detections")
        return cls.from_dict(data)

    def with_value(self, detection: str, threshold: str, value: Any) -> HuntConfig:
        """A copy with one threshold changed.

        >>> HuntConfig().with_value("port_scan", "min_ports", 99).port_scan.min_ports
        99
        """
        return HuntConfig.from_dict({**self.to_dict(), detection: {
            **self.to_dict()[detection], threshold: value}})  # fmt: skip
