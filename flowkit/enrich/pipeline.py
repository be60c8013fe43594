""":func:`enrich`: every enrichment in one pass, sharing one address encoding."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from flowkit.enrich.addresses import AddressSpace
from flowkit.enrich.aws import IpRanges, aws_columns, effective_space, load_ip_ranges, record_attrs
from flowkit.enrich.aws import ip_ranges as ranges_in_use
from flowkit.enrich.basic import basic_columns
from flowkit.enrich.direction import direction_columns, service_columns, service_port_values
from flowkit.enrich.facts import DirectionFacts
from flowkit.enrich.geo import add_geo
from flowkit.enrich.inventory import Inventory, add_inventory, load_inventory
from flowkit.enrich.names import service_categorical, tcp_flags_label_column
from flowkit.enrich.scope import ADDRESS_COLUMNS, SCOPES, scope_codes
from flowkit.enrich.side_by_side import later, side_by_side
from flowkit.enrich.sides import sides
from flowkit.enrich.threat import ThreatList, load_threat_list, threat_columns
from flowkit.memory_pages import small_pages

__all__ = ["enrich"]

PathLike = str | os.PathLike[str]


@small_pages()
def enrich(
    df: pd.DataFrame,
    *,
    inventory: Inventory | PathLike | pd.DataFrame | Mapping[str, Any] | None = None,
    vpc_cidrs: Iterable[str] | None = None,
    threat_list: ThreatList | PathLike | Iterable[PathLike] | Mapping[str, str] | None = None,
    ip_ranges: IpRanges | PathLike | None = None,
    geo_db: PathLike | Iterable[PathLike] | None = None,
    facts: DirectionFacts | None = None,
) -> pd.DataFrame:
    """Add every enrichment: the cheap ones always, the others when their input is given.

    Always: ``protocol_name``, ``duration``, ``tcp_flags_label``, ``src_scope``, ``dst_scope``
    (and ``pkt_src_scope``, ``pkt_dst_scope``), ``src_aws_service``, ``dst_aws_service``,
    ``src_aws_region``, ``dst_aws_region``, ``direction``, ``local_addr``, ``remote_addr``,
    ``local_port``, ``remote_port``, ``service_port``, ``local_role``, ``client_addr``,
    ``server_addr``, ``service``.  With ``inventory``: the ``eni_*`` and ``remote_name``,
    ``remote_role``, ``remote_az_id`` columns (and the inventory's addresses count as yours).
    With ``threat_list``: ``threat_match``, ``threat_label``.  With ``geo_db``: country and
    ASN columns (needs ``maxminddb``).

    Parameters
    ----------
    df : DataFrame
        Flow records as loaded by :func:`flowkit.read`.
    inventory : Inventory, path, DataFrame or dict, optional
        ENIs; see :func:`flowkit.enrich.load_inventory`.
    vpc_cidrs : list of str, optional
        Your network's CIDRs; without them every non-public address counts as yours.
    threat_list : ThreatList, path(s) or dict, optional
        See :func:`flowkit.enrich.load_threat_list`.
    ip_ranges : IpRanges or path, optional
        An ``ip-ranges.json``; default the one in use (:func:`flowkit.use_ip_ranges`).
    geo_db : path or list of paths, optional
        MaxMind-format databases; see :func:`flowkit.enrich.add_geo`.
    facts : DirectionFacts, optional
        The frame-wide facts to use instead of learning them from ``df``: the merged
        :func:`flowkit.enrich.direction.direction_facts` of a larger frame ``df`` is part of
        (the Dask engine enriches each partition with those of all of them).

    Returns
    -------
    DataFrame
        A new frame; the input is not changed.  ``attrs["flowkit"]["ip_ranges"]`` holds the
        ``syncToken`` of the ranges used.

    Examples
    --------
    >>> import flowkit as fk
    >>> from flowkit.enrich import enrich
    >>> df = fk.parse_lines(["2 1 eni-1 10.0.1.5 52.216.8.1 50000 443 6 10 840 1700000000 "
    ...                      "1700000060 ACCEPT OK"], enrich=False)
    >>> out = enrich(df, vpc_cidrs=["10.0.0.0/16"])
    >>> out[["dst_scope", "dst_aws_service", "direction", "service", "local_role"]].iloc[0].tolist()
    ['public', 'S3', 'outbound', 'https', 'client']
    """
    inv = None
    if inventory is not None:
        inv = inventory if isinstance(inventory, Inventory) else load_inventory(inventory)
    if isinstance(ip_ranges, IpRanges):
        ranges = ip_ranges
    else:
        ranges = load_ip_ranges(ip_ranges) if ip_ranges is not None else ranges_in_use()
    threats = None
    if threat_list is not None:
        threats = (
            threat_list if isinstance(threat_list, ThreatList) else load_threat_list(threat_list)
        )
    space_of = effective_space(df)
    space_of[0].text  # noqa: B018 - made once, before the threads share it
    with side_by_side(len(df)) as pool:  # the record-local columns beside the sides
        local = later(pool, _record_columns, df, space_of[0], ranges, threats)
        s = sides(df, vpc_cidrs, inv, facts, space_of=space_of, pool=pool)
        facing = later(pool, direction_columns, s)
        port = service_port_values(s)
        serving = service_columns(s, port)
        service = service_categorical(df, port, ~s.cknown)
        new, threat_cols = local.result()
        new.update(facing.result())
    new.update(serving)
    new.update(threat_cols)
    new["service"] = service
    out = _with_columns(df, new)
    if inv is not None:
        out = add_inventory(out, inv)
    if geo_db is not None:
        out = add_geo(out, geo_db)
    record_attrs(out, ranges)
    out.attrs["flowkit"]["facts"] = s.facts  # settled: what the analyses reuse
    return out


def _record_columns(
    df: pd.DataFrame, space: AddressSpace, ranges: IpRanges, threats: ThreatList | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The columns each record decides alone, in the frame's order (``protocol_name`` and
    ``duration`` when missing, ``tcp_flags_label``, the scopes, the AWS services), and the
    threat columns (placed later)."""
    new: dict[str, Any] = {}
    if "protocol_name" not in df.columns or "duration" not in df.columns:
        new.update(basic_columns(df))
    new["tcp_flags_label"] = tcp_flags_label_column(df)
    per_address = scope_codes(space)
    cats = pd.Index(SCOPES, dtype=object)
    for i, (col, name) in enumerate(ADDRESS_COLUMNS.items()):
        if col in df.columns:
            codes = space.take(per_address, i, -1)
            new[name] = pd.Categorical.from_codes(codes, categories=cats, validate=False)
    new.update(aws_columns(df, space, 4, 5, ranges))
    threat_cols = {} if threats is None else threat_columns(space, 4, threats, len(df))
    return new, threat_cols


def _with_columns(df: pd.DataFrame, new: dict[str, Any]) -> pd.DataFrame:
    """``df`` with the ``new`` columns after its own (replacing those it has, in place), its
    attrs kept; the new arrays are not copied (setting them one by one copies each)."""
    if any(name in df.columns for name in new):  # enriching an enriched frame: keep the order
        out = df.copy(deep=False)
        for name, values in new.items():
            out[name] = values
        return out
    out = pd.concat([df, pd.DataFrame(new, index=df.index, copy=False)], axis=1)
    out.attrs = copy.deepcopy(df.attrs)  # as pandas' own copies keep them
    return out
