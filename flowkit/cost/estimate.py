"""Dollars on flow records: cost per dimension and resource, and savings recommendations.

Volumes are billed and shown in GiB (2^30 bytes, :data:`flowkit.units.BYTES_PER_GIB`), AWS's
metering unit for data transfer: columns ``gib`` and ``monthly_gib``, and ``rate`` in USD per
GiB.  (Elsewhere flowkit shows volumes in decimal GB of 10^9 bytes.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from flowkit.cost.classify import (
    COST_NEEDS,
    COST_WHY,
    DIMENSIONS,
    FREE_SERVICES,
    classify_transfer,
)
from flowkit.cost.prices import PriceTable, load_prices
from flowkit.cost.vantage import bare
from flowkit.engine_check import is_dask_frame, not_on_dask
from flowkit.errors import require_columns
from flowkit.units import BYTES_PER_GIB

if TYPE_CHECKING:
    import dask.dataframe as dd

__all__ = [
    "CLASSIFIED",
    "cost_finish",
    "cost_part",
    "estimate_cost",
    "period_days",
    "recommend_savings",
]

_COST_COLUMNS = ["dimension", "gib", "rate", "cost", "monthly_gib", "monthly_cost"]
_REC_COLUMNS = ["rank", "kind", "target", "action", "gib", "monthly_gib", "monthly_cost",
                "monthly_savings", "detail"]  # fmt: skip


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
    if df.empty or "start" not in df.columns or "end" not in df.columns:
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


def _reads(df: pd.DataFrame | dd.DataFrame) -> tuple[str, ...]:
    """What the cost reads of ``df``: its classification when classified, else the records."""
    return CLASSIFIED if set(CLASSIFIED) <= set(df.columns) else COST_NEEDS


def _classified(df: pd.DataFrame) -> pd.DataFrame:
    """The records classified, without ``attrs`` (see :func:`flowkit.cost.vantage.bare`)."""
    return bare(df) if set(CLASSIFIED) <= set(df.columns) else bare(classify_transfer(df))


def _charges(c: pd.DataFrame, by: list[str]) -> pd.DataFrame:
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


def _rates(total_bytes: pd.Series, prices: PriceTable, factor: float) -> pd.Series:
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
    require_columns(df, _reads(df), "fk.estimate_cost")
    if is_dask_frame(df):
        from flowkit.engine_dask_analytics import estimate_cost_dask

        return estimate_cost_dask(df, prices, by_cols, days)
    return cost_finish([cost_part(_classified(df), by_cols)], prices, by_cols, days)


def cost_part(c: pd.DataFrame, by_cols: list[str]) -> tuple[pd.DataFrame, Extent]:
    """The additive part of :func:`estimate_cost` of classified records ``c``: counted bytes
    per ``by_cols`` and dimension (exact integer sums), and the records' time extent."""
    require_columns(c, by_cols, "fk.estimate_cost (the columns to break the cost down by)")
    charges = _charges(c, by_cols)
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
    rates = _rates(grouped.groupby("dimension")["bytes"].sum(), prices, factor)
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


def _names(c: pd.DataFrame) -> dict[str, str]:
    """Address -> ENI name (or interface id) for our own addresses seen in the data."""
    name_col = "eni_name" if "eni_name" in c.columns else "interface_id"
    if name_col not in c.columns:
        return {}
    pairs = c[["local_end", name_col]].dropna().drop_duplicates("local_end")
    return dict(zip(pairs["local_end"].astype(str), pairs[name_col].astype(str), strict=True))


def _label(values: pd.Series, names: dict[str, str]) -> pd.Series:
    """``name (address)`` for our addresses, the address otherwise (one lookup per value)."""
    cat = values.astype(object).fillna("?").astype(str).astype("category")
    labels = [f"{names[a]} ({a})" if a in names else a for a in cat.cat.categories]
    return pd.Series(np.asarray(labels, dtype=object)[cat.cat.codes.to_numpy()], index=values.index)


def _via_nat_to_free(c: pd.DataFrame) -> np.ndarray:
    """Counted records of S3/DynamoDB traffic that went through a NAT gateway."""
    nat = c["middlebox"].astype(object).eq("nat_gateway") | c["transfer"].eq("nat_gateway")
    free = c["far_service"].astype(object).isin(FREE_SERVICES)
    counted = ~c["transfer"].isin(["copy", "no_bytes"])
    return (nat & free & counted).to_numpy()


def _endpoint_rows(
    c: pd.DataFrame, cost: pd.Series, names: dict[str, str]
) -> list[dict[str, object]]:
    """S3/DynamoDB traffic through a NAT gateway: a gateway endpoint makes all of it free."""
    mask = _via_nat_to_free(c)
    rows: list[dict[str, object]] = []
    sub = c[mask]
    for service, part in sub.groupby(sub["far_service"].astype(object), sort=True):
        processed = part[part["transfer"].eq("nat_gateway")]
        from_inside = processed["far_end"].astype(object) != processed["hop_peer"].astype(object)
        entering = processed[from_inside]
        clients = entering["hop_peer"].astype(object).value_counts().head(3).index
        who = ", ".join(_label(pd.Series(list(clients), dtype=object), names))
        saving = float(cost[part.index].sum())
        rows.append({
            "kind": "gateway_endpoint", "target": f"{service} through a NAT gateway",
            "action": f"add a {service} gateway endpoint to the route tables of the clients' "
                      "subnets (free; removes NAT processing and its cross-AZ hops)",
            "bytes": float(processed["transfer_bytes"].to_numpy("float64", na_value=0).sum()),
            "monthly_cost": saving, "monthly_savings": saving,
            "detail": f"clients: {who}" if who else "",
        })  # fmt: skip
    return rows


def recommend_savings(
    df: pd.DataFrame,
    prices: PriceTable | None = None,
    *,
    days: float | None = None,
    top: int = 5,
) -> pd.DataFrame:
    """List what would cut the data-transfer bill, with estimated monthly savings.

    Three kinds: ``gateway_endpoint`` (S3 or DynamoDB reached through a NAT gateway: a free
    gateway endpoint saves the NAT processing and the cross-AZ hops of those bytes);
    ``same_az_placement`` (pairs of resources exchanging inter-AZ bytes: placing them in the
    same AZ, or using a NAT per AZ, saves the $0.01 per GiB each way); ``internet_egress`` (the top
    internet destinations, for review: their cost is shown, savings depend on the fix and are
    left empty).

    Parameters
    ----------
    df : DataFrame
        Flow records, classified or not.
    prices : PriceTable, optional
        Default :func:`load_prices`.
    days : float, optional
        Period the records cover; default :func:`period_days`.
    top : int
        Cross-AZ pairs and internet destinations to list (each).

    Returns
    -------
    DataFrame
        ``rank``, ``kind``, ``target``, ``action``, ``gib`` (volume in the period, GiB of 2^30
        bytes), ``monthly_gib``, ``monthly_cost``, ``monthly_savings`` (USD), ``detail``;
        sorted by savings (largest first, unknown last).

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
    >>> recs = recommend_savings(df, days=730 / 24)
    >>> recs.loc[0, "kind"], recs.loc[0, "target"], float(recs.loc[0, "monthly_savings"])
    ('same_az_placement', 'eni-a (10.0.0.5) <-> eni-b (10.0.1.6)', 0.2)
    """
    if is_dask_frame(df):
        raise not_on_dask("fk.recommend_savings", COST_WHY)
    require_columns(df, _reads(df), "fk.recommend_savings")
    prices = prices if prices is not None else load_prices()
    c = _classified(df).reset_index(drop=True)
    span = float(days) if days is not None else period_days(c)
    factor = prices.hours_per_month / (span * 24.0)
    charges = _charges(c.assign(_row=np.arange(len(c))), ["_row"])
    rates = _rates(charges.groupby("dimension")["bytes"].sum(), prices, factor).fillna(0.0)
    charges["usd"] = charges["bytes"] / BYTES_PER_GIB * charges["dimension"].map(rates)
    per_row = charges.groupby("_row")["usd"].sum().reindex(range(len(c)), fill_value=0.0)
    monthly = per_row * factor
    names = _names(c)
    rows = _endpoint_rows(c, monthly, names)
    done = _via_nat_to_free(c)
    cross = c["transfer"].eq("inter_az").to_numpy() | (c["cross_az_bytes"].fillna(0) > 0).to_numpy()
    cross &= ~done
    if cross.any():
        sub = c[cross]
        a = _label(sub["local_end"], names)
        b = _label(sub["hop_peer"], names)
        pair = np.where(a.to_numpy() < b.to_numpy(), a + " <-> " + b, b + " <-> " + a)
        inter = rates.get("inter_az", 0.0) * factor / BYTES_PER_GIB
        xbytes = np.where(sub["transfer"].eq("inter_az"), sub["transfer_bytes"].astype("float64"),
                          sub["cross_az_bytes"].astype("float64"))  # fmt: skip
        grouped = pd.DataFrame({"pair": pair, "bytes": xbytes}).groupby("pair")["bytes"].sum()
        for target, nbytes in grouped.sort_values(ascending=False).head(top).items():
            rows.append({"kind": "same_az_placement", "target": target,
                         "action": "place both in the same AZ (or use a NAT gateway / endpoint "
                                   "in each AZ)",
                         "bytes": float(nbytes), "monthly_cost": float(nbytes) * inter,
                         "monthly_savings": float(nbytes) * inter, "detail": ""})  # fmt: skip
    egress = c["transfer"].eq("internet_egress").to_numpy()
    if egress.any():
        sub = c[egress]
        grouped = sub.groupby(sub["far_end"].astype(object))["transfer_bytes"].sum()
        rate = rates.get("internet_egress", 0.0) * factor / BYTES_PER_GIB
        for target, nbytes in (
            grouped.astype("float64").sort_values(ascending=False).head(top).items()
        ):
            rows.append({"kind": "internet_egress", "target": str(target),
                         "action": "review: expected? cacheable (CloudFront), compressible, or "
                                   "exfiltration?",
                         "bytes": float(nbytes), "monthly_cost": float(nbytes) * rate,
                         "monthly_savings": np.nan, "detail": ""})  # fmt: skip
    out = pd.DataFrame(rows, columns=["kind", "target", "action", "bytes", "monthly_cost",
                                      "monthly_savings", "detail"])  # fmt: skip
    out["gib"] = out["bytes"].astype("float64") / BYTES_PER_GIB
    out["monthly_gib"] = out["gib"] * factor
    out = out.sort_values(["monthly_savings", "monthly_cost", "gib", "target"],
                          ascending=[False, False, False, True], na_position="last")  # fmt: skip
    out["rank"] = np.arange(1, len(out) + 1)
    return out[_REC_COLUMNS].reset_index(drop=True)
