"""Every threshold of every detection, as one dataclass loadable from YAML or a dict, validated.

:class:`HuntConfig` holds the thresholds of each detection (the dataclasses of
:mod:`flowkit.detect.thresholds`, whose defaults are the detections' own), the allow-list
(:class:`~flowkit.detect.allow.AllowList`) and the detections to skip.  A dict or YAML file gives
only what differs from the defaults::

    port_scan: {min_ports: 20}
    beaconing:
      fleet_channels: 5
    allow:
      networks: [203.0.113.0/24]
    skip: [unusual_port]          # or one name: skip: unusual_port

Everything is checked before anything runs, and a mistake raises :class:`HuntConfigError`
naming the key, the file and line (from YAML) and the reason: an unknown detection or threshold
(with the closest known name), a ``null`` (a detection is never silently switched off: list it
under ``skip``), a value of the wrong type (``min_ports: ten``), a negative number, a network
that does not parse.

Examples
--------
>>> cfg = HuntConfig.from_dict({"port_scan": {"min_ports": 50}, "skip": "unusual_port"})
>>> cfg.port_scan.min_ports, cfg.port_sweep.min_hosts, sorted(cfg.skip)
(50, 5, ['unusual_port'])
>>> cfg.to_dict()["port_scan"]["windows_minutes"]
[10, 60, 1440]
>>> try:
...     HuntConfig.from_dict({"port_scan": {"min_port": 5}})
... except HuntConfigError as exc:
...     print(exc)
hunt config: port_scan.min_port: unknown threshold (did you mean 'min_ports'?)
"""

from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from flowkit.detect.allow import AllowList
from flowkit.detect.thresholds import (
    DETECTIONS,
    Beaconing,
    BruteForce,
    Dos,
    Exfiltration,
    FastC2,
    LateralMovement,
    PortScan,
    PortSweep,
    RdpBruteForce,
    RejectedBurst,
    RepeatedProbe,
    SshBruteForce,
    ThreatIntel,
    UnusualPort,
    UnusualProtocol,
)
from flowkit.errors import FileFormatError
from flowkit.sources.text_files import read_text
from flowkit.sources.yaml_files import compose_yaml, construct_yaml

__all__ = ["DETECTIONS", "HuntConfig", "HuntConfigError"]

_SECTIONS = ("skip", "allow")
_ALLOW_KEYS = tuple(f.name for f in dataclasses.fields(AllowList))


class HuntConfigError(FileFormatError):
    """A hunt config is malformed: ``key`` (dotted path; "" for the whole file), ``file`` and
    ``line`` (1-based; 0 when the config did not come from a file) and ``reason`` say where and
    why.  A :class:`~flowkit.errors.FileFormatError`, as every malformed file the kit reads."""

    def __init__(self, key: str, reason: str, *, file: str = "", line: int = 0) -> None:
        super().__init__(file or "hunt config", line, f"{key}: {reason}" if key else reason)
        self.key, self.reason, self.file = key, reason, file


@dataclass(frozen=True)
class HuntConfig:
    """Thresholds of every detection (one attribute per finding name), the allow-list and
    which detections to skip.

    Build it with defaults (``HuntConfig()``), from a dict or YAML file (:meth:`from_dict`,
    :meth:`from_yaml`: only the values that differ need to be given), or change one value with
    :meth:`with_value`.  Mistakes raise :class:`HuntConfigError` (see the module docstring).
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
    allow: AllowList = field(default_factory=AllowList)
    skip: frozenset[str] = frozenset()

    def thresholds(self, name: str) -> dict[str, Any]:
        """Keyword arguments of detection ``name`` (the allow-list apart).

        >>> HuntConfig().thresholds("port_sweep")["min_hosts"]
        5
        """
        return dataclasses.asdict(getattr(self, name))

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (YAML-ready) of every threshold, the allow-list and the skipped
        detections."""
        out: dict[str, Any] = {}
        for name in DETECTIONS:
            values = self.thresholds(name)
            out[name] = {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}
        out["allow"] = {k: list(v) for k, v in dataclasses.asdict(self.allow).items()}
        out["skip"] = sorted(self.skip)
        return out

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        *,
        file: str = "",
        lines: Mapping[tuple[str, ...], int] | None = None,
    ) -> HuntConfig:
        """Build from ``{detection: {threshold: value}, "allow": {...}, "skip": [...]}``.

        ``file`` and ``lines`` (the line of each key path, as :meth:`from_yaml` finds them)
        only make the errors point at the source.

        Raises
        ------
        HuntConfigError
            On an unknown or ``null`` detection, threshold or skipped name, a value of the
            wrong type, or a negative number.
        """
        check = _Checker(file, lines or {})
        if not isinstance(data, Mapping):
            raise check.error((), "a hunt config is a mapping of detections")
        for key in data:
            if key not in DETECTIONS and key not in _SECTIONS:
                raise check.error(
                    (str(key),), "unknown detection" + _hint(key, [*DETECTIONS, *_SECTIONS])
                )
        skip = check.skip(data.get("skip"))
        allow = check.allow(data.get("allow"))
        if "allow" in data and file:
            allow = AllowList.from_dict(dataclasses.asdict(allow), base=Path(file).parent)
        base = cls()
        parts: dict[str, Any] = {}
        for name, values in data.items():
            if name in _SECTIONS:
                continue
            parts[name] = check.section(name, values, getattr(base, name))
        return dataclasses.replace(base, skip=skip, allow=allow, **parts)

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str]) -> HuntConfig:
        """Load a YAML file shaped like :meth:`to_dict` (partial files are fine).

        The kit's one safe YAML reader (:mod:`flowkit.sources.yaml_files`: no aliases, no
        tags, at most 64 levels, UTF-8) reads it.

        Raises
        ------
        HuntConfigError
            For every mistake, with the file, the line and the reason.
        """
        file = str(path)
        try:
            root = compose_yaml(read_text(file), file)
        except FileFormatError as exc:
            raise HuntConfigError("", exc.reason, file=file, line=exc.line) from None
        if root is None:
            return cls()
        data = construct_yaml(root)
        if data is None:
            return cls()
        return cls.from_dict(data, file=file, lines=_lines(root))

    def with_value(self, detection: str, threshold: str, value: Any) -> HuntConfig:
        """A copy with one threshold changed.

        >>> HuntConfig().with_value("port_scan", "min_ports", 99).port_scan.min_ports
        99
        """
        data = self.to_dict()
        data[detection] = {**data.get(detection, {}), threshold: value}
        return HuntConfig.from_dict(data)


def _hint(name: object, known: list[str]) -> str:
    close = difflib.get_close_matches(str(name), known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(known)})"


def _lines(node: yaml.Node, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], int]:
    """The 1-based line of every key path (and sequence item) of a composed YAML document."""
    out = {path: int(node.start_mark.line) + 1}
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key = (*path, str(k.value))
            out.update(_lines(v, key))
            out[key] = int(k.start_mark.line) + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out.update(_lines(item, (*path, str(i))))
    return out


@dataclass(frozen=True)
class _Checker:
    """Type checks with the source position of each key."""

    file: str
    lines: Mapping[tuple[str, ...], int]

    def error(self, path: tuple[str, ...], reason: str) -> HuntConfigError:
        line = next((self.lines[path[:n]] for n in range(len(path), -1, -1)
                     if path[:n] in self.lines), 0)  # fmt: skip
        return HuntConfigError(".".join(path), reason, file=self.file, line=line)

    def names(self, path: tuple[str, ...], value: Any) -> tuple[str, ...]:
        """A list of strings; one string is a list of one (never split into characters)."""
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise self.error(path, f"expected a list of names, got {value!r}")
        return tuple(value)

    def skip(self, value: Any) -> frozenset[str]:
        names = self.names(("skip",), value)
        for i, name in enumerate(names):
            if name not in DETECTIONS:
                raise self.error(("skip", str(i)), f"unknown detection {name!r} to skip"
                                 + _hint(name, list(DETECTIONS)))  # fmt: skip
        return frozenset(names)

    def allow(self, value: Any) -> AllowList:
        if value is None:
            return AllowList()
        if not isinstance(value, Mapping):
            raise self.error(("allow",), f"expected a mapping of {', '.join(_ALLOW_KEYS)}")
        out: dict[str, tuple[str, ...]] = {}
        for key, items in value.items():
            if key not in _ALLOW_KEYS:
                raise self.error(("allow", str(key)), "unknown key" + _hint(key, [*_ALLOW_KEYS]))
            out[key] = self.names(("allow", key), items)
        for i, net in enumerate(out.get("networks", ())):
            try:
                ipaddress.ip_network(net.strip(), strict=False)
            except ValueError:
                raise self.error(("allow", "networks", str(i)),
                                 f"{net!r} is not an address or CIDR") from None  # fmt: skip
        return AllowList(**out)

    def section(self, name: str, values: Any, current: Any) -> Any:
        path = (name,)
        if values is None:
            raise self.error(path, "is null: give thresholds ({} for the defaults) or list the "
                             "detection under skip to switch it off")  # fmt: skip
        if not isinstance(values, Mapping):
            raise self.error(path, f"expected a mapping of thresholds, got {values!r}")
        known = {f.name: getattr(current, f.name) for f in dataclasses.fields(current)}
        fixed = {}
        for key, value in values.items():
            if key not in known:
                raise self.error((*path, str(key)), "unknown threshold" + _hint(key, [*known]))
            fixed[key] = self.value((*path, key), value, known[key])
        return dataclasses.replace(current, **fixed)

    def value(self, path: tuple[str, ...], value: Any, default: Any) -> Any:
        """``value`` checked against the type of the ``default``."""
        if value is None:
            raise self.error(path, "is null: give a value (remove the key for the default)")
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise self.error(path, f"expected true or false, got {value!r}")
            return value
        if isinstance(default, tuple):
            items = value if isinstance(value, list | tuple) else None
            if items is None or not all(_is_int(v) and v >= 0 for v in items):
                raise self.error(path, f"expected a list of non-negative integers, got {value!r}")
            return tuple(int(v) for v in items)
        if isinstance(default, int):
            if not _is_int(value):
                raise self.error(path, f"expected an integer, got {value!r}")
        elif isinstance(default, float):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self.error(path, f"expected a number, got {value!r}")
            value = float(value)
        if value < 0:
            raise self.error(path, f"must not be negative, got {value!r}")
        return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
