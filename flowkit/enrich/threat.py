"""Threat intelligence: match record addresses against IP/CIDR lists with labels."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from flowkit.enrich.addresses import AddressSpace, IntervalTable

__all__ = ["ThreatList", "add_threat", "example_threat_list", "load_threat_list"]

PathLike = str | os.PathLike[str]
_ADDRESS_COLUMNS = ("srcaddr", "dstaddr", "pkt_srcaddr", "pkt_dstaddr")
_NETWORK_HEADERS = ("network", "cidr", "ip", "address", "addr", "indicator")


@dataclass(frozen=True)
class ThreatList:
    """Networks with labels, as a longest-prefix-match table."""

    table: IntervalTable
    size: int


def _parse_text(text: str, default_label: str) -> list[tuple[str, str]]:
    lines = [ln.split("#", 1)[0].strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln]
    if not lines:
        return []
    first = [c.strip().lower() for c in next(csv.reader([lines[0]]))]
    if "," in lines[0] and any(h in first for h in _NETWORK_HEADERS):
        col = next(i for i, h in enumerate(first) if h in _NETWORK_HEADERS)
        lab = next((first.index(h) for h in ("label", "name", "tag", "type") if h in first), None)
        rows = list(csv.reader(lines[1:]))
        return [(r[col], r[lab] if lab is not None and lab < len(r) and r[lab] else default_label)
                for r in rows if len(r) > col]  # fmt: skip
    out = []
    for ln in lines:
        parts = [p.strip() for p in ln.replace("\t", ",").split(",")]
        out.append((parts[0], parts[1] if len(parts) > 1 and parts[1] else default_label))
    return out


def load_threat_list(
    sources: PathLike | Iterable[PathLike] | Mapping[str, str], *, label: str = "threat"
) -> ThreatList:
    """Load one or more threat lists.

    Parameters
    ----------
    sources : path, list of paths, or dict
        Plain text (one address or CIDR per line, an optional second comma- or tab-separated
        column as label, ``#`` comments), CSV with a header (a ``network``/``cidr``/``ip``
        column and an optional ``label`` column), or a dict ``{network: label}``.
    label : str
        Label for entries that have none.

    Notes
    -----
    The most specific network wins when lists overlap; among identical networks, the first
    loaded.

    Examples
    --------
    >>> tl = load_threat_list({"203.0.113.0/24": "scanner", "203.0.113.7": "c2"})
    >>> tl.table.labels_of(["203.0.113.7", "203.0.113.9", "10.0.0.1"]).tolist()
    ['c2', 'scanner', None]
    """
    entries: list[tuple[str, str]] = []
    if isinstance(sources, Mapping):
        entries = [(str(k), str(v)) for k, v in sources.items()]
    else:
        paths = [sources] if isinstance(sources, str | os.PathLike) else list(sources)
        for path in paths:
            with open(path, encoding="utf-8") as fh:
                entries += _parse_text(fh.read(), label)
    labels = list(dict.fromkeys(lab for _, lab in entries))
    rows = [(net, labels.index(lab), i) for i, (net, lab) in enumerate(entries)]
    return ThreatList(IntervalTable.from_networks(rows, labels), len(entries))


def example_threat_list() -> ThreatList:
    """The bundled example list (documentation addresses only: it flags nothing real).

    >>> example_threat_list().table.labels_of(["203.0.113.66"]).tolist()
    ['example-scanner']
    """
    text = resources.files("flowkit.resources").joinpath("threat_example.csv").read_text("utf-8")
    lines = [ln for ln in text.splitlines() if not ln.startswith("#")]
    entries = _parse_text("\n".join(lines), "threat")
    labels = list(dict.fromkeys(lab for _, lab in entries))
    rows = [(net, labels.index(lab), i) for i, (net, lab) in enumerate(entries)]
    return ThreatList(IntervalTable.from_networks(rows, labels), len(entries))


def _threat_columns(space: AddressSpace, ncols: int, threats: ThreatList, n: int) -> dict[str, Any]:
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
    for name, values in _threat_columns(space, len(cols), threats, len(df)).items():
        out[name] = values
    return out
