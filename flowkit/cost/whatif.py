"""What-if figures for the cost notebook and its dashboard: the bill at other prices, and after
carrying out some of the recommended savings.  Monthly USD, from :func:`flowkit.estimate_cost`
and :func:`flowkit.recommend_savings` tables.

Examples
--------
>>> import pandas as pd
>>> cost = pd.DataFrame({"dimension": ["inter_az", "nat_gateway"], "monthly_cost": [40.0, 14.5]})
>>> savings = pd.DataFrame({"target": ["a <-> b", "S3 through a NAT gateway", "1.2.3.4"],
...                         "monthly_savings": [32.0, 18.0, float("nan")]})
>>> bill_after_savings(cost, savings, ["a <-> b"])
22.5
>>> doable_savings(savings)
['a <-> b', 'S3 through a NAT gateway']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from flowkit.cost.estimate import estimate_cost
from flowkit.cost.prices import PriceTable

__all__ = ["bill_after_savings", "bill_at_prices", "doable_savings"]


def bill_at_prices(classified: pd.DataFrame, prices: PriceTable,
                   rates: Mapping[str, float]) -> float:  # fmt: skip
    """The projected monthly bill (USD) with flat ``rates`` (USD per unit of ``prices``: per GiB of
    2^30 bytes, AWS's billing unit, for the bundled table; and per side) for some dimensions
    (inter-AZ: the price each side pays).

    ``classified`` is :func:`flowkit.classify_transfer`'s frame; the other dimensions keep
    the table's prices (and volume bands).

    Examples
    --------
    >>> import flowkit as fk
    >>> df = fk.parse_lines([
    ...     "version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start "
    ...     "end action log-status az-id flow-direction traffic-path",
    ...     "5 eni-a 10.0.0.5 10.0.1.6 50000 5432 6 5 1000000000 1700000000 1700000060 ACCEPT "
    ...     "OK use1-az1 egress 1",
    ...     "5 eni-b 10.0.0.5 10.0.1.6 50000 5432 6 5 1000000000 1700000000 1700000060 ACCEPT "
    ...     "OK use1-az2 ingress -"])
    >>> c = fk.classify_transfer(df)
    >>> round(bill_at_prices(c, fk.load_prices(), {"inter_az": 0.005}) /
    ...       bill_at_prices(c, fk.load_prices(), {}), 3)
    0.5
    """
    table = prices
    for dimension, rate in rates.items():
        table = table.with_price(dimension, float(rate))
    return float(estimate_cost(classified, table)["monthly_cost"].sum())


def doable_savings(savings: pd.DataFrame) -> list[str]:
    """The targets of recommendations with an estimated saving (not the review-only ones)."""
    return [str(t) for t in savings.dropna(subset=["monthly_savings"])["target"]]


def bill_after_savings(cost: pd.DataFrame, savings: pd.DataFrame, chosen: Iterable[str]) -> float:
    """The projected monthly bill (USD) after carrying out the ``chosen`` recommendations
    (by ``target``), from the :func:`flowkit.estimate_cost` table and the savings list."""
    picked = savings[savings["target"].isin(list(chosen))]
    saved = float(picked["monthly_savings"].fillna(0.0).sum())
    return float(cost["monthly_cost"].sum()) - saved
