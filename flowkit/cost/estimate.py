"""Dollars on flow records: cost per dimension and resource, and savings recommendations.

Volumes are billed and shown in GiB (2^30 bytes, :data:`flowkit.units.BYTES_PER_GIB`), AWS's
metering unit for data transfer: columns ``gib`` and ``monthly_gib``, and ``rate`` in USD per
GiB.  (Elsewhere flowkit shows volumes in decimal GB of 10^9 bytes.)
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from flowkit.cost.classify import (
    COST_NEEDS,
    DIMENSIONS,
    classify_transfer,
)
from flowkit.cost.prices import PriceTable, load_prices
from flowkit.cost.vantage import VantageFacts, bare, flow_key, merge_vantage_facts, vantage_facts
from flowkit.engine.protocol import fold, grouped, is_dask_frame, run
from flowkit.enrich.facts import DirectionFacts
from flowkit.errors import require_columns
from flowkit.perf.frames import settled_direction_facts
from flowkit.units import BYTES_PER_GIB

if TYPE_CHECKING:
    import dask.dataframe as dd

__all__ = [
    "CLASSIFIED",
    "COST_READS",
    "PERIOD_NEEDS",
    "classified_records",
    "cost_finish",
    "cost_part",
    "cost_reads",
    "dimension_charges",
    "dimension_rates",
    "estimate_cost",
    "period_days",
]

#: The fields :func:`period_days` reads (without them the period is taken as one day).
PERIOD_NEEDS = ("start", "end")

_COST_COLUMNS = ["dimension", "gib", "rate", "cost", "monthly_gib", "monthly_cost"]


def period_days(df: pd.DataFrame) -> float:
    """Days covered by the records: last ``end`` minus first ``start`` (at least one minute).

    >>> import flowkit as fk
    >>> df = fk.parse_lines(["2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1700000000 1700086400 "
    ...                      "ACCEPT OK"])
    >>> period_days(df)
    1.0
    """
    return _days([_extent(df)])


Extent = tuple[pd.Timestamp | None, pd.Timestamp | None]


def _extent(df: pd.DataFrame) -> Extent:
    """First ``start`` and last ``end`` of the records (None when unknown)."""
    if df.empty or not set(PERIOD_NEEDS) <= set(df.columns):
        return None, None
    lo, hi = df["start"].min(), df["end"].max()
    return (None if pd.isna(lo) else lo), (None if pd.isna(hi) else hi)


def _days(extents: list[Extent]) -> float:
    """:func:`period_days` of frames from their extents."""
    los = [lo for lo, _ in extents if lo is not None]
    his = [hi for _, hi in extents if hi is not None]
    if not los or not his:
        return 1.0
    return max((max(his) - min(los)).total_seconds(), 60.0) / 86400.0


#: The columns of classified records (:func:`flowkit.classify_transfer`) that the cost reads.
CLASSIFIED = ("transfer", "transfer_bytes")


def cost_reads(df: pd.DataFrame | dd.DataFrame) -> tuple[str, ...]:
    """What the cost reads of ``df``: its classification when classified, else the records."""
    return CLASSIFIED if set(CLASSIFIED) <= set(df.columns) else COST_NEEDS


def classified_records(df: pd.DataFrame) -> pd.DataFrame:
    """The records classified, without ``attrs`` (see :func:`flowkit.cost.vantage.bare`)."""
    return bare(df) if set(CLASSIFIED) <= set(df.columns) else bare(classify_transfer(df))


def dimension_charges(c: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Long table of counted bytes: ``by`` columns, dimension, bytes (inter-AZ extras added)."""
    counted = ~c["transfer"].isin(["copy", "no_bytes"]).to_numpy()
    keys = {col: c[col].astype(object).to_numpy()[counted] for col in by}
    main = pd.DataFrame(
        {
            **keys,
            "dimension": c["transfer"].astype(object).to_numpy()[counted],
            "bytes": c["transfer_bytes"].to_numpy("float64", na_value=0)[counted],
        }
    )
    cross = c["cross_az_bytes"].to_numpy("float64", na_value=0)
    extra_rows = cross > 0
    extra = pd.DataFrame({**{col: c[col].astype(object).to_numpy()[extra_rows] for col in by},
                          "dimension": "inter_az", "bytes": cross[extra_rows]})  # fmt: skip
    return pd.concat([main, extra], ignore_index=True)


def dimension_rates(total_bytes: pd.Series, prices: PriceTable, factor: float) -> pd.Series:
    """Effective USD per GiB of each dimension: its monthly bill over its monthly volume.

    The bands and prices apply to the volume in the table's unit (``bytes_per_gb`` bytes: a
    GiB for AWS's table); the rate is then stated per GiB whatever that unit is.
    """
    per_gib = BYTES_PER_GIB / prices.bytes_per_gb  # table units in one GiB
    rates = {}
    for dim, nbytes in total_bytes.items():
        if dim not in prices:
            rates[dim] = np.nan
            continue
        monthly = float(nbytes) / prices.bytes_per_gb * factor
        price = prices[str(dim)]
        per_unit = price.cost(monthly) / monthly if monthly > 0 else price.cost(1.0)
        rates[dim] = per_unit * per_gib
    return pd.Series(rates, dtype="float64")


def estimate_cost(
    df: pd.DataFrame | dd.DataFrame,
    prices: PriceTable | None = None,
    *,
    by: str | Sequence[str] | None = None,
    days: float | None = None,
) -> pd.DataFrame:
    """Estimate the data-transfer bill of the records, per dimension and optionally per resource.

    Parameters
    ----------
    df : DataFrame
        Flow records, classified (:func:`classify_transfer`) or not (then classified here).
    prices : PriceTable, optional
        Default :func:`load_prices` (``flowkit/resources/prices.yaml``).
    by : str or list of str, optional
        Columns to break the cost down by, e.g. ``"interface_id"``, ``"eni_name"``,
        ``"eni_instance_id"``, ``"eni_subnet_id"``, ``"far_service"``.
    days : float, optional
        Length of the period the records cover; default :func:`period_days`.

    Returns
    -------
    DataFrame
        ``by`` columns, ``dimension``, ``gib`` (volume in the period, in GiB of 2^30 bytes:
        AWS's billing unit), ``rate`` (effective USD per GiB, bands and both sides of inter-AZ
        included), ``cost`` (USD in the period), ``monthly_gib`` and ``monthly_cost``
        (projected to a 730-hour month), sorted by
        ``monthly_cost``; free dimensions are listed with cost 0.  ``attrs["flowkit"]["cost"]``
        holds the period, the month factor and the price-table version.

    Notes
    -----
    Volume bands (internet egress: first 100 GiB free, then $0.09 per GiB up to 10 TiB =
    10,240 GiB, ...; AWS writes "GB" for these 2^30-byte units) apply to the
    projected *monthly* volume of each dimension over all resources, as AWS aggregates them per
    account; the period's cost is the monthly cost pro rata, and a breakdown by resource
    shares a dimension's cost in proportion to bytes (its effective rate).  Hourly charges
    (NAT gateway hours, endpoint AZ-hours, TGW attachment hours, public IPv4) are not in flow
    logs and are not included.

    Dask-capable: the facts of the whole frame (:func:`flowkit.cost.vantage.vantage_facts`)
    are computed per partition and merged, the records are shuffled so that each packet flow's
    records meet in one partition, each partition is classified with the merged facts and
    reduced to counted bytes per dimension (exact sums), then priced here.

    Examples
    --------
    >>> import flowkit as fk
    >>> gib = 2**30  # flowkit.units.BYTES_PER_GIB: AWS's metered "GB"
    >>> df = fk.parse_lines([
    ...     "version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start "
    ...     "end action log-status az-id flow-direction traffic-path",
    ...     f"5 eni-a 10.0.0.5 10.0.1.6 50000 5432 6 5 {10 * gib} 1700000000 1700000060 ACCEPT "
    ...     "OK use1-az1 egress 1",
    ...     f"5 eni-b 10.0.0.5 10.0.1.6 50000 5432 6 5 {10 * gib} 1700000000 1700000060 ACCEPT "
    ...     "OK use1-az2 ingress -"])
    >>> est = estimate_cost(df, days=730 / 24)  # the records stand for a whole month
    >>> est[["dimension", "gib", "rate", "cost"]].to_dict("records")
    [{'dimension': 'inter_az', 'gib': 10.0, 'rate': 0.02, 'cost': 0.2}]
    """
    by_cols = [by] if isinstance(by, str) else list(by or [])
    require_columns(df, cost_reads(df), "fk.estimate_cost")
    if is_dask_frame(df):
        return _estimate_cost_of_partitions(df, prices, by_cols, days)
    return cost_finish([cost_part(classified_records(df), by_cols)], prices, by_cols, days)


#: Columns that the cost classification reads (the others are not shuffled).
COST_READS = (
    "interface_id", "srcaddr", "dstaddr", "pkt_srcaddr", "pkt_dstaddr", "srcport", "dstport",
    "protocol", "bytes", "start", "end", "action", "log_status", "flow_direction",
    "traffic_path", "az_id", "eni_az_id", "next_hop_az_id", "remote_az_id", "interface_type",
    "eni_type", "src_aws_service", "dst_aws_service", "src_aws_region", "dst_aws_region",
    "pkt_src_aws_service", "pkt_dst_aws_service", "region", "local_addr",
    "transfer", "transfer_bytes", "cross_az_bytes",
)  # fmt: skip


def _estimate_cost_of_partitions(
    ddf: dd.DataFrame, prices: PriceTable | None, by_cols: list[str], days: float | None
) -> pd.DataFrame:
    """:func:`estimate_cost` of a Dask frame.

    The facts of the whole frame (each ENI's own address when ``local_addr`` is absent: the
    read's settled direction facts, else one pass for them; then the NAT-like ENIs and the AZ
    of each address) are computed per partition and merged; the records are shuffled by their
    packet flow (:func:`flowkit.cost.vantage.flow_key`) so that every record of a flow is in one
    partition, where the copies are found as in pandas; each partition is classified with the
    merged facts and reduced to counted bytes per ``by_cols`` and dimension, which add up
    exactly.
    """
    d = ddf[[c for c in ddf.columns if c in COST_READS or c in by_cols]]
    finish = partial(cost_finish, prices=prices, by_cols=by_cols, days=days)
    if set(CLASSIFIED) <= set(d.columns):  # classified already
        return run(d, cost_part, finish, by_cols)
    direction = None
    if "local_addr" not in d.columns:  # the read's settled facts, else one pass for them
        direction = settled_direction_facts(ddf, d)
    facts = fold(d, _vantage_part, merge_vantage_facts, direction)
    return run(grouped(d, flow_key), _classified_cost_part, finish, facts, by_cols)


def _vantage_part(df: pd.DataFrame, direction: DirectionFacts | None) -> VantageFacts:
    return vantage_facts(df, direction=direction)


def _classified_cost_part(
    df: pd.DataFrame, facts: VantageFacts, by_cols: list[str]
) -> tuple[pd.DataFrame, Extent]:
    return cost_part(bare(classify_transfer(df, facts=facts)), by_cols)


def cost_part(c: pd.DataFrame, by_cols: list[str]) -> tuple[pd.DataFrame, Extent]:
    """The additive part of :func:`estimate_cost` of classified records ``c``: counted bytes
    per ``by_cols`` and dimension (exact integer sums), and the records' time extent."""
    require_columns(c, by_cols, "fk.estimate_cost (the columns to break the cost down by)")
    charges = dimension_charges(c, by_cols)
    grouped = charges.groupby([*by_cols, "dimension"], dropna=False, sort=False)["bytes"].sum()
    return grouped.reset_index(), _extent(c)


def cost_finish(
    parts: list[tuple[pd.DataFrame, Extent]],
    prices: PriceTable | None,
    by_cols: list[str],
    days: float | None,
) -> pd.DataFrame:
    """:func:`estimate_cost` from the :func:`cost_part` of one or more frames."""
    prices = prices if prices is not None else load_prices()
    grouped = pd.concat([p for p, _ in parts], ignore_index=True)
    if len(parts) != 1:
        keys = [*by_cols, "dimension"]
        grouped = grouped.groupby(keys, dropna=False, sort=False)["bytes"].sum().reset_index()
    span = float(days) if days is not None else _days([e for _, e in parts])
    factor = prices.hours_per_month / (span * 24.0)
    rates = dimension_rates(grouped.groupby("dimension")["bytes"].sum(), prices, factor)
    out = grouped[[*by_cols, "dimension"]].assign(gib=grouped["bytes"] / BYTES_PER_GIB)
    out["rate"] = out["dimension"].map(rates).astype("float64")
    out["cost"] = out["gib"] * out["rate"]
    out["monthly_gib"] = out["gib"] * factor
    out["monthly_cost"] = out["cost"] * factor
    order = {d: i for i, d in enumerate(DIMENSIONS)}
    out["_order"] = out["dimension"].map(order).fillna(len(order))
    out = out.sort_values(["monthly_cost", "gib", "_order", *by_cols],
                          ascending=[False, False, True] + [True] * len(by_cols))  # fmt: skip
    out = out[[*by_cols, *_COST_COLUMNS]].reset_index(drop=True)
    meta = {"days": span, "month_factor": factor, "prices": prices.version}
    out.attrs["flowkit"] = {"cost": {**meta, "region": prices.region}}
    return out
