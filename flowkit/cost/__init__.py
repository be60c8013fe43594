"""Data-transfer cost: classify every byte once, price it, and list what would save money.

``classify_transfer`` (:mod:`flowkit.cost.classify`) labels records with their dimension,
``estimate_cost`` (:mod:`flowkit.cost.estimate`) and ``recommend_savings``
(:mod:`flowkit.cost.savings`) price them with a versioned price table
(:mod:`flowkit.cost.prices`, ``flowkit/resources/prices.yaml``).
"""

from flowkit.cost.classify import DIMENSIONS, LABELS, classify_transfer
from flowkit.cost.estimate import estimate_cost
from flowkit.cost.prices import Price, PriceTable, load_prices, tiered_cost
from flowkit.cost.savings import recommend_savings
from flowkit.cost.whatif import bill_after_savings, bill_at_prices, doable_savings

__all__ = [
    "DIMENSIONS",
    "LABELS",
    "Price",
    "PriceTable",
    "bill_after_savings",
    "bill_at_prices",
    "classify_transfer",
    "doable_savings",
    "estimate_cost",
    "load_prices",
    "recommend_savings",
    "tiered_cost",
]
