"""Savings recommendations on flow records: what to change to pay less, in dollars a month.

:func:`recommend_savings` prices every record as :func:`flowkit.estimate_cost` does
(:mod:`flowkit.cost.estimate`) and ranks the changes that would save the most.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowkit.cost.classify import COST_WHY, FREE_SERVICES
from flowkit.cost.estimate import (
    classified_records,
    cost_reads,
    dimension_charges,
    dimension_rates,
    period_days,
)
from flowkit.cost.prices import PriceTable, load_prices
from flowkit.engine.protocol import is_dask_frame, not_on_dask
from flowkit.errors import require_columns
from flowkit.naming import name_and_address
from flowkit.units import BYTES_PER_GIB

__all__ = ["recommend_savings"]

_REC_COLUMNS = ["rank", "kind", "target", "action", "gib", "monthly_gib", "monthly_cost",
                "monthly_savings", "detail"]  # fmt: skip


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
    labels = [name_and_address(a, names) for a in cat.cat.categories]
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
    require_columns(df, cost_reads(df), "fk.recommend_savings")
    prices = prices if prices is not None else load_prices()
    c = classified_records(df).reset_index(drop=True)
    span = float(days) if days is not None else period_days(c)
    factor = prices.hours_per_month / (span * 24.0)
    charges = dimension_charges(c.assign(_row=np.arange(len(c))), ["_row"])
    rates = dimension_rates(charges.groupby("dimension")["bytes"].sum(), prices, factor).fillna(0.0)
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
