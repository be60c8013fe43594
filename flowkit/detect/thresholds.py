"""The thresholds of every detection: one frozen dataclass per detection, and the registry.

Each dataclass lists the keyword parameters of its detection, with the defaults read from the
detection's own signature (:func:`_d`), so the defaults live in one place, the function, and
are documented there.  :class:`~flowkit.detect.config.HuntConfig` holds one of each.

>>> PortScan().min_ports == _d(find_port_scan, "min_ports")
True
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flowkit.detect.beacon import find_beaconing
from flowkit.detect.brute import find_brute_force, find_rdp_brute_force, find_ssh_brute_force
from flowkit.detect.fastc2 import find_fast_c2
from flowkit.detect.intel import find_threat_intel
from flowkit.detect.lateral import find_lateral_movement
from flowkit.detect.novelty import find_unusual_port, find_unusual_protocol
from flowkit.detect.rejects import find_rejected_burst, find_repeated_probe
from flowkit.detect.scan import find_port_scan, find_port_sweep
from flowkit.detect.volume import find_dos, find_exfiltration

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

    window_minutes: int = _d(find_brute_force, "window_minutes")
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
