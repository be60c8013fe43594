"""A network policy as code: segments, allowed flows, forbidden ports, internet exposure.

The policy is a YAML file (see ``data/policy.yaml``) read with flowkit's safe loader
(:mod:`flowkit.sources.yaml_files`: plain data, no aliases, bounded nesting, UTF-8) that keeps
the line of every node, so each mistake is reported as ``file:line: reason`` in a
:class:`PolicyError`.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from flowkit.errors import FileFormatError
from flowkit.sources.text_files import read_text
from flowkit.sources.yaml_files import compose_yaml

__all__ = ["BUILTIN_SEGMENTS", "PROTOCOLS", "Policy", "PolicyError", "Rule", "load_policy"]

PathLike = str | os.PathLike[str]

#: Protocol names a rule may use, with their IANA numbers.
PROTOCOLS: dict[str, int] = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58}
#: Segments every policy knows: ``internet`` (outside ``vpc_cidrs``), ``vpc`` (inside), ``any``.
BUILTIN_SEGMENTS: tuple[str, ...] = ("internet", "vpc", "any")
_PREFIXES = ("role:", "service:", "name:", "eni-")
_PORT = re.compile(r"^[0-9]{1,5}(?:-[0-9]{1,5})?$", re.ASCII)
_SECTIONS = {"policy", "version", "description", "default", "vpc_cidrs", "groups", "rules",
             "forbidden", "exposure"}  # fmt: skip
_RULE_KEYS = {
    "rules": ({"name", "from", "to", "protocol", "ports", "description"}, {"name", "from", "to"}),
    "forbidden": ({"name", "from", "to", "protocol", "ports", "description"}, {"name", "ports"}),
    "exposure": (
        {"name", "to", "protocol", "ports", "exempt", "trusted", "description"},
        {"name", "ports"},
    ),
}


class PolicyError(FileFormatError):
    """A policy file is malformed: ``file``, ``line`` (1-based) and ``reason`` say where and why.

    Examples
    --------
    >>> str(PolicyError("p.yaml", 3, "unknown key 'prots'"))
    "p.yaml:3: unknown key 'prots'"
    """


@dataclass(frozen=True)
class Rule:
    """One rule: ``kind`` is ``allow`` (a flow the policy permits, client -> server),
    ``forbidden`` (a port that must never be used) or ``exposure`` (no inbound from the internet
    to these ports, except to ``exempt`` servers or from ``trusted`` sources).  Empty ``ports``
    means every port; ``protocol`` None means every protocol."""

    kind: str
    name: str
    src: tuple[str, ...] = ("any",)
    dst: tuple[str, ...] = ("any",)
    protocol: str | None = None
    ports: tuple[int, ...] = ()
    exempt: tuple[str, ...] = ()
    trusted: tuple[str, ...] = ()
    line: int = 0


@dataclass(frozen=True)
class Policy:
    """A loaded policy.  ``groups`` maps a segment name to its members (CIDRs, ``role:``,
    ``service:``, ``name:`` or ENI ids); ``text`` is the file as written (for the report)."""

    name: str
    version: str
    default: str
    vpc_cidrs: tuple[str, ...]
    groups: dict[str, tuple[str, ...]]
    rules: tuple[Rule, ...]
    forbidden: tuple[Rule, ...]
    exposure: tuple[Rule, ...]
    source: str = "<string>"
    text: str = field(default="", repr=False)


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _scalar(node: yaml.Node, file: str, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode):
        raise PolicyError(file, _line(node), f"{what} must be a single value")
    return str(node.value)


def _strings(node: yaml.Node, file: str, what: str) -> tuple[str, ...]:
    if isinstance(node, yaml.SequenceNode):
        return tuple(_scalar(n, file, what) for n in node.value)
    return (_scalar(node, file, what),)


def _ports(node: yaml.Node, file: str) -> tuple[int, ...]:
    out: list[int] = []
    for n in node.value if isinstance(node, yaml.SequenceNode) else [node]:
        text = _scalar(n, file, "a port")
        if not _PORT.match(text):  # int() would take '2_2', '+22' and full-width digits
            raise PolicyError(file, _line(n), f"port {text!r} is not a number or range")
        lo, _, hi = text.partition("-")
        a, b = int(lo), int(hi or lo)
        if not (0 <= a <= b <= 65535):
            raise PolicyError(file, _line(n), f"port {text!r} is outside 0-65535")
        out.extend(range(a, b + 1))
    return tuple(out)


def _check_ref(ref: str, groups: dict[str, tuple[str, ...]], file: str, line: int) -> None:
    if ref in groups or ref in BUILTIN_SEGMENTS or ref.startswith(_PREFIXES):
        return
    try:
        ipaddress.ip_network(ref, strict=False)
    except ValueError:
        raise PolicyError(file, line, f"unknown segment {ref!r} (not a group, builtin, "
                          "role:, service:, name:, ENI id or CIDR)") from None  # fmt: skip


def _mapping(node: yaml.Node, file: str, what: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        raise PolicyError(file, _line(node), f"{what} must be a mapping")
    out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for k, v in node.value:
        key = _scalar(k, file, "a key")
        if key in out:
            raise PolicyError(file, _line(k), f"duplicate key {key!r}")
        out[key] = (k, v)
    return out


def _rule(kind: str, section: str, node: yaml.Node, groups: dict[str, tuple[str, ...]],
          file: str) -> Rule:  # fmt: skip
    items = _mapping(node, file, f"a {section} entry")
    allowed, required = _RULE_KEYS[section]
    for key, (k, _) in items.items():
        if key not in allowed:
            raise PolicyError(file, _line(k), f"unknown key {key!r} in {section} (expected one "
                              f"of {', '.join(sorted(allowed))})")  # fmt: skip
    for key in sorted(required - set(items)):
        raise PolicyError(file, _line(node), f"{section} entry needs {key!r}")
    values: dict[str, Any] = {"kind": kind, "line": _line(node)}
    name_node = items["name"][1]
    values["name"] = _scalar(name_node, file, "name").strip()
    if not values["name"] or name_node.tag == "tag:yaml.org,2002:null":
        raise PolicyError(file, _line(items["name"][1]), f"{section} entry has an empty name")
    for key, attr in (("from", "src"), ("to", "dst"), ("exempt", "exempt"), ("trusted", "trusted")):
        if key in items:
            refs = _strings(items[key][1], file, key)
            for ref in refs:
                _check_ref(ref, groups, file, _line(items[key][1]))
            values[attr] = refs
    if kind == "exposure":
        values["src"] = ("internet",)
        values.setdefault("dst", ("vpc",))
    if "protocol" in items:
        proto = _scalar(items["protocol"][1], file, "protocol").lower()
        if proto not in PROTOCOLS:
            raise PolicyError(file, _line(items["protocol"][1]), f"unknown protocol {proto!r} "
                              f"(expected one of {', '.join(PROTOCOLS)})")  # fmt: skip
        values["protocol"] = proto
    elif kind == "allow":
        raise PolicyError(file, _line(node), "rules entry needs 'protocol'")
    if "ports" in items:
        values["ports"] = _ports(items["ports"][1], file)
    elif kind == "allow" and values.get("protocol") in ("tcp", "udp"):
        raise PolicyError(file, _line(node), "tcp/udp rules entry needs 'ports'")
    return Rule(**values)


def load_policy(source: PathLike | str, *, text: str | None = None) -> Policy:
    """Load a policy from a YAML file (or from ``text``, with ``source`` naming it in errors).

    Parameters
    ----------
    source : path or str
        The policy file; with ``text`` given, only its name for error messages.
    text : str, optional
        The YAML itself.

    Returns
    -------
    Policy

    Raises
    ------
    PolicyError
        For every mistake, with the file, the line and the reason.

    Examples
    --------
    >>> p = load_policy("p.yaml", text='''
    ... vpc_cidrs: [10.0.0.0/16]
    ... groups: {office: [71.190.44.12]}
    ... rules:
    ...   - {name: office-ssh, from: office, to: role:bastion, protocol: tcp, ports: [22]}
    ... forbidden:
    ...   - {name: telnet, protocol: tcp, ports: [23]}
    ... exposure:
    ...   - {name: admin-ports, protocol: tcp, ports: [22, 3389], exempt: [role:bastion]}
    ... ''')
    >>> p.rules[0].src, p.rules[0].ports, p.exposure[0].src, p.exposure[0].dst
    (('office',), (22,), ('internet',), ('vpc',))
    >>> load_policy("p.yaml", text="rules:\\n  - {name: x, from: office, to: vpc, protocol: tcp}")
    Traceback (most recent call last):
    ...
    flowkit.compliance.policy.PolicyError: p.yaml:2: unknown segment 'office' (not a group, builtin, role:, service:, name:, ENI id or CIDR)
    """  # noqa: E501
    file = os.fspath(source)
    try:
        if text is None:
            text = read_text(file)
        root = compose_yaml(text, file)
    except FileFormatError as exc:
        raise PolicyError(exc.file, exc.line, exc.reason) from None
    if root is None:
        raise PolicyError(file, 1, "the policy is empty")
    top = _mapping(root, file, "the policy")
    for key, (k, _) in top.items():
        if key not in _SECTIONS:
            raise PolicyError(file, _line(k), f"unknown section {key!r} (expected one of "
                              f"{', '.join(sorted(_SECTIONS))})")  # fmt: skip
    groups: dict[str, tuple[str, ...]] = {}
    if "groups" in top:
        for name, (k, v) in _mapping(top["groups"][1], file, "groups").items():
            if name in BUILTIN_SEGMENTS:
                raise PolicyError(file, _line(k), f"group {name!r} is builtin; remove it")
            groups[name] = _strings(v, file, "a group member")
        for name, members in groups.items():
            for m in members:
                if m in groups:
                    raise PolicyError(file, _line(top["groups"][1]), f"group {name!r} names "
                                      f"group {m!r}: list its members instead")  # fmt: skip
                _check_ref(m, {}, file, _line(_mapping(top["groups"][1], file, "groups")[name][1]))
    cidrs: tuple[str, ...] = ()
    if "vpc_cidrs" in top:
        node = top["vpc_cidrs"][1]
        cidrs = _strings(node, file, "a CIDR")
        for c in cidrs:
            try:
                ipaddress.ip_network(c, strict=False)
            except ValueError:
                raise PolicyError(file, _line(node), f"{c!r} is not a CIDR") from None
    default = _scalar(top["default"][1], file, "default") if "default" in top else "deny"
    if default not in ("deny", "allow"):
        raise PolicyError(file, _line(top["default"][1]), "default must be 'deny' or 'allow'")
    sections: dict[str, tuple[Rule, ...]] = {}
    for section, kind in (("rules", "allow"), ("forbidden", "forbidden"), ("exposure", "exposure")):
        if section not in top:
            sections[section] = ()
            continue
        node = top[section][1]
        if not isinstance(node, yaml.SequenceNode):
            raise PolicyError(file, _line(node), f"{section} must be a list")
        sections[section] = tuple(_rule(kind, section, n, groups, file) for n in node.value)
        seen: set[str] = set()
        for r in sections[section]:
            if r.name in seen:
                raise PolicyError(file, r.line, f"duplicate rule name {r.name!r} in {section}")
            seen.add(r.name)
    return Policy(
        name=_scalar(top["policy"][1], file, "policy") if "policy" in top else Path(file).stem,
        version=_scalar(top["version"][1], file, "version") if "version" in top else "",
        default=default, vpc_cidrs=cidrs, groups=groups, rules=sections["rules"],
        forbidden=sections["forbidden"], exposure=sections["exposure"], source=file, text=text,
    )  # fmt: skip
