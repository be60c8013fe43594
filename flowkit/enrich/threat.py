"""Threat intelligence: match record addresses against IP/CIDR lists with labels."""

from __future__ import annotations

import csv
import ipaddress
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from flowkit.enrich.addresses import AddressSpace, IntervalTable
from flowkit.errors import FileFormatError
from flowkit.sources.text_files import read_text

__all__ = ["ThreatList", "add_threat", "example_threat_list", "load_threat_list", "threat_columns"]

PathLike = str | os.PathLike[str]
_ADDRESS_COLUMNS = ("srcaddr", "dstaddr", "pkt_srcaddr", "pkt_dstaddr")
_NETWORK_HEADERS = ("network", "cidr", "ip", "address", "addr", "indicator")


@dataclass(frozen=True)
class ThreatList:
    """Networks with labels, as a longest-prefix-match table."""

    table: IntervalTable
    size: int


def _is_network(text: str) -> bool:
    try:
        ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return False
    return True


def _parse_text(text: str, default_label: str, file: str) -> list[tuple[str, str]]:
    """``(network, label)`` entries of a list's text; a bad entry raises with its line."""
    numbered = [(i, ln.split("#", 1)[0].strip()) for i, ln in enumerate(text.splitlines(), 1)]
    numbered = [(i, ln) for i, ln in numbered if ln]
    if not numbered:
        return []
    first = [c.strip().lower() for c in next(csv.reader([numbered[0][1]]))]
    rows: list[tuple[int, str, str]] = []
    if "," in numbered[0][1] and any(h in first for h in _NETWORK_HEADERS):
        col = next(i for i, h in enumerate(first) if h in _NETWORK_HEADERS)
        lab = next((first.index(h) for h in ("label", "name", "tag", "type") if h in first), None)
        for (i, _), r in zip(numbered[1:], csv.reader(ln for _, ln in numbered[1:]), strict=True):
            label = r[lab] if lab is not None and lab < len(r) and r[lab] else default_label
            rows.append((i, r[col] if len(r) > col else "", label))
    else:
        for i, ln in numbered:
            parts = [p.strip() for p in ln.replace("\t", ",").split(",")]
            rows.append((i, parts[0], parts[1] if len(parts) > 1 and parts[1] else default_label))
    for i, net, _ in rows:
        if not _is_network(net):
            raise FileFormatError(file, i, f"{net.strip()!r} is not an address or CIDR")
    return [(net.strip(), label) for _, net, label in rows]


def _table(entries: list[tuple[str, str]]) -> ThreatList:
    labels = list(dict.fromkeys(lab for _, lab in entries))
    rows = [(net, labels.index(lab), i) for i, (net, lab) in enumerate(entries)]
    return ThreatList(IntervalTable.from_networks(rows, labels), len(entries))


def load_threat_list(
    sources: PathLike | Iterable[PathLike] | Mapping[str, str], *, label: str = "threat"
) -> ThreatList:
    """Load one or more threat lists, or addresses and CIDRs given directly.

    Parameters
    ----------
    sources : path, address, list of them, or dict
        Each item is an address or CIDR (``"203.0.113.7"``, ``"198.51.100.0/24"``), or a file:
        plain text (one address or CIDR per line, an optional second comma- or tab-separated
        column as label, ``#`` comments), or CSV with a header (a ``network``/``cidr``/``ip``
        column and an optional ``label`` column).  A dict maps ``{network: label}``.  This is
        what ``threat_list`` means everywhere (``fk.read``, ``fk.hunt``, ``flowkit hunt``).
    label : str
        Label for entries that have none.

    Raises
    ------
    FileFormatError
        If an entry is not an address or CIDR (with the file and the line), or a file is not
        UTF-8 text.
    SourceError
        If a named file does not exist.

    Notes
    -----
    The most specific network wins when lists overlap; among identical networks, the first
    loaded.

    Examples
    --------
    >>> tl = load_threat_list({"203.0.113.0/24": "scanner", "203.0.113.7": "c2"})
    >>> tl.table.labels_of(["203.0.113.7", "203.0.113.9", "10.0.0.1"]).tolist()
    ['c2', 'scanner', None]
    >>> load_threat_list(["198.51.100.0/24"]).table.labels_of(["198.51.100.9"]).tolist()
    ['threat']
    """
    entries: list[tuple[str, str]] = []
    if isinstance(sources, Mapping):
        for i, (net, lab) in enumerate(sources.items(), 1):
            if not _is_network(str(net)):
                raise FileFormatError(
                    "<dict>", i, f"{str(net).strip()!r} is not an address or CIDR"
                )
            entries.append((str(net).strip(), str(lab)))
        return _table(entries)
    items = [sources] if isinstance(sources, str | os.PathLike) else list(sources)
    for item in (i for i in items if os.fspath(i).strip()):
        text = os.fspath(item)
        if isinstance(item, str) and _is_network(text) and not os.path.exists(text):
            entries.append((text.strip(), label))
        else:
            entries += _parse_text(read_text(text), label, text)
    return _table(entries)


def example_threat_list() -> ThreatList:
    """The bundled example list (documentation addresses only: it flags nothing real).

    >>> example_threat_list().table.labels_of(["203.0.113.66"]).tolist()
    ['example-scanner']
    """
    text = resources.files("flowkit.resources").joinpath("threat_example.csv").read_text("utf-8")
    return _table(_parse_text(text, "threat", "flowkit/resources/threat_example.csv"))


def threat_columns(space: AddressSpace, ncols: int, threats: ThreatList, n: int) -> dict[str, Any]:
    hit = threats.table.lookup(space.parsed)
    codes = np.full(n, -1, dtype=np.int32)
    for i in range(ncols):
        if len(space.codes[i]) == n:
            row_hit = space.take(hit, i, -1)
            codes = np.where(codes >= 0, codes, row_hit)
    cats = pd.Index(threats.table.labels, dtype=object)
    return {
        "threat_match": codes >= 0,
        "threat_label": pd.Categorical.from_codes(codes, categories=cats, validate=False),
    }


def add_threat(df: pd.DataFrame, threats: ThreatList) -> pd.DataFrame:
    """Add ``threat_match`` (bool) and ``threat_label`` (the label of the first matching address
    among ``srcaddr``, ``dstaddr``, ``pkt_srcaddr``, ``pkt_dstaddr``).

    Returns a new frame; the input is not changed.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"srcaddr": ["10.0.0.5", "203.0.113.66"],
    ...                    "dstaddr": ["198.51.100.200", "10.0.0.5"]})
    >>> out = add_threat(df, example_threat_list())
    >>> out["threat_match"].tolist(), out["threat_label"].tolist()
    ([True, True], ['example-c2', 'example-scanner'])
    """
    out = df.copy(deep=False)
    cols = [df[c] if c in df.columns else None for c in _ADDRESS_COLUMNS]
    space = AddressSpace.of(cols)
    for name, values in threat_columns(space, len(cols), threats, len(df)).items():
        out[name] = values
    return out
