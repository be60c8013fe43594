"""Drawn internet actors: public addresses no one else uses, and the threat list naming some.

:func:`draw_public_addresses` gives the actors of :mod:`flowkit.synth.draw`;
:func:`draw_threat_list` the threat list of a drawn scenario (its threat-intel indicators,
decoys and the documentation test ranges), :func:`threat_list_text` its file.

Examples
--------
>>> import numpy as np
>>> a, b = draw_public_addresses(np.random.default_rng(7), 2)
>>> a != b, addresses_of([]) == set()
(True, True)
"""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Iterable
from dataclasses import fields
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from flowkit.enrich.addresses import IntervalTable
from flowkit.enrich.aws import load_ip_ranges
from flowkit.synth.compromise import Exfiltration, ThreatIntel
from flowkit.synth.estate import AWS_SERVICE_RANGES, THREAT_LIST, default_estate
from flowkit.synth.hygiene import ExposedDatabase, InsecureProtocol, S3ThroughNat
from flowkit.synth.incidents import Beaconing, PortScan, PortSweep, SshBruteForce
from flowkit.synth.profiles import (
    CLIENT_PREFIXES,
    OFFICE,
    PARTNER_APIS,
    SCANNER_PREFIXES,
    UPSTREAM_DNS,
    UPSTREAM_NTP,
)

__all__ = ["addresses_of", "draw_public_addresses", "draw_threat_list", "threat_list_text"]

#: Labels of drawn threat-list entries.
LABELS = ("malware-c2", "credential-stuffing", "phishing-kit", "ransomware-infrastructure",
          "botnet-controller", "cryptominer-pool", "bulletproof-hosting")  # fmt: skip
#: First octets of big clouds (AWS, Google, Azure) and of networks that never talk to anyone
#: (US DoD, Apple, ...): an actor from there would not look like an ordinary internet address.
_NOT_ACTORS = (3, 6, 7, 11, 13, 15, 16, 17, 18, 19, 20, 21, 22, 26, 28, 29, 30, 33, 34, 35,
               40, 44, 48, 52, 53, 54, 55, 56, 57, 214, 215)  # fmt: skip


@lru_cache(maxsize=1)
def _blocked() -> tuple[IntervalTable, IntervalTable]:
    """The bundled AWS ip-ranges snapshot; the estate's background pools and canonical actors."""
    with resources.as_file(resources.files("flowkit.resources") / "ip-ranges.json.gz") as p:
        aws = load_ip_ranges(p).table
    nets = [f"{p}.0.0/16" for p in (*CLIENT_PREFIXES, *SCANNER_PREFIXES)] + ["162.159.0.0/16"]
    fixed = [*OFFICE, *PARTNER_APIS, *UPSTREAM_DNS, *UPSTREAM_NTP]
    fixed += [e.public_ip for e in default_estate().enis if e.public_ip]
    nets += [f"{a}/24" for a in fixed] + [c for c, _ in THREAT_LIST]  # a listed /24 stays clean
    nets += [c for c, _ in AWS_SERVICE_RANGES] + [f"{o}.0.0.0/8" for o in _NOT_ACTORS]
    canonical = (PortScan(), PortSweep(), SshBruteForce(), Beaconing(), Exfiltration(),
                 ThreatIntel(), InsecureProtocol(), ExposedDatabase(), S3ThroughNat())  # fmt: skip
    nets += sorted(addresses_of(canonical))
    return aws, IntervalTable.from_networks([(c, 0) for c in nets], ["taken"])


def draw_public_addresses(
    rng: np.random.Generator, n: int, *, exclude: tuple[str, ...] = ()
) -> list[str]:
    """Draw ``n`` distinct public IPv4 addresses, plausible as internet actors.

    Every address is global unicast (no private, shared, reserved, documentation, benchmark,
    loopback, link-local or multicast space; last octet 1-254), outside the bundled AWS
    ``ip-ranges.json`` snapshot and the big clouds' /8s, outside the address pools of the
    synthetic estate's background traffic and canonical incidents, and not in ``exclude``.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random state (the addresses depend only on it).
    n : int
        How many addresses.
    exclude : tuple of str
        Addresses that must not be drawn (e.g. those already used).

    Returns
    -------
    list of str
        Dotted addresses, in drawing order.

    Examples
    --------
    >>> import ipaddress
    >>> import numpy as np
    >>> from flowkit.enrich.aws import ip_ranges
    >>> got = draw_public_addresses(np.random.default_rng(1), 5)
    >>> len(set(got)), all(ipaddress.ip_address(a).is_global for a in got)
    (5, True)
    >>> bool(ip_ranges().table.labels_of(got).isna().all())
    True
    """
    aws, taken = _blocked()
    out: list[str] = []
    seen = set(exclude)
    while len(out) < n:
        cand = rng.integers(1 << 24, 224 << 24, 64, dtype=np.int64)
        text = [str(ipaddress.IPv4Address(int(c))) for c in cand if 0 < c % 256 < 255]
        bad = aws.labels_of(text).notna().to_numpy() | taken.labels_of(text).notna().to_numpy()
        for addr, b in zip(text, bad, strict=True):
            if not b and ipaddress.IPv4Address(addr).is_global and addr not in seen:
                seen.add(addr)
                out.append(addr)
    return out[:n]


def addresses_of(incidents: Iterable[Any]) -> set[str]:
    """Every dotted IPv4 address among the parameters of incidents (frozen dataclasses).

    >>> from flowkit.synth.incidents import PortScan
    >>> sorted(addresses_of([PortScan(actor="198.51.100.7")]))
    ['198.51.100.7']
    """
    found: set[str] = set()

    def walk(v: Any) -> None:
        if isinstance(v, str) and v[:1].isdigit():
            with contextlib.suppress(ValueError):
                found.add(str(ipaddress.IPv4Address(v)))
        elif isinstance(v, list | tuple):
            for x in v:
                walk(x)

    for inc in incidents:
        for f in fields(inc):
            walk(getattr(inc, f.name))
    return found


def draw_threat_list(incidents: Iterable[Any], seed: int) -> tuple[tuple[str, str], ...]:
    """Return the threat list of a drawn scenario: its indicators, decoys and test ranges.

    Each threat-intel incident's indicator with a label (and, one time in two, its /24 as
    ``malware-hosting``), three decoy addresses that no incident uses, and the documentation
    ranges of the bundled list.

    Examples
    --------
    >>> from flowkit.synth.compromise import ThreatIntel
    >>> entries = draw_threat_list([ThreatIntel(indicator="81.17.16.5")], 11)
    >>> entries[0][0], len(entries) >= 7, entries[-1]
    ('81.17.16.5', True, ('203.0.113.0/24', 'test-indicator'))
    """
    incidents = tuple(incidents)
    rng = np.random.default_rng([seed, 0x7EA7])
    used = addresses_of(incidents)
    labels = [str(x) for x in rng.permutation(LABELS)]
    entries: list[tuple[str, str]] = []
    for inc in incidents:
        if isinstance(inc, ThreatIntel):
            entries.append((inc.indicator, labels.pop()))
            net = ipaddress.IPv4Network(f"{inc.indicator}/24", strict=False)
            alone = not any(ipaddress.IPv4Address(u) in net for u in used - {inc.indicator})
            if rng.random() < 0.5 and alone:
                entries.append((str(net), "malware-hosting"))
    decoys = draw_public_addresses(rng, 3, exclude=tuple(sorted(used)))
    entries += [(x, labels.pop()) for x in decoys]
    return (*entries, *((c, lab) for c, lab in THREAT_LIST if lab == "test-indicator"))


def threat_list_text(entries: tuple[tuple[str, str], ...]) -> str:
    """Return a threat list file: ``#`` comments, then ``network,label`` CSV.

    >>> threat_list_text((("198.51.100.7", "c2"),)).splitlines()[-1]
    '198.51.100.7,c2'
    """
    head = [
        "# flowkit drawn threat list: fictional indicators for training and tests only.",
        "# CSV: an IPv4 address or CIDR and a label; the longest matching network wins.",
        "# Written by flowkit.synth.draw.generate_drawn(); do not edit by hand.",
        "",
        "network,label",
    ]
    return "\n".join(head + [f"{net},{label}" for net, label in entries]) + "\n"
