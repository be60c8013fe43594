"""Data-transfer cost: classify every byte once, price it, and list what would save money.

``classify_transfer`` (:mod:`flowkit.cost.classify`) labels records with their dimension,
``estimate_cost`` and ``recommend_savings`` (:mod:`flowkit.cost.estimate`) price them with a
versioned price table (:mod:`flowkit.cost.prices`, ``flowkit/resources/prices.yaml``).
"""

from flowkit.cost.classify import DIMENSIONS, LABELS, classify_transfer
from flowkit.cost.estimate import estimate_cost, recommend_savings
from flowkit.cost.prices import Price, PriceTable, load_prices, tiered_cost

__all__ = [
    "DIMENSIONS",
    "LABELS",
    "Price",
    "PriceTable",
    "classify_transfer",
    "estimate_cost",
    "load_prices",
    "recommend_savings",
    "tiered_cost",
]
