"""The data-transfer price table: a versioned YAML file, tiers and the arithmetic on them.

The default table is ``flowkit/resources/prices.yaml``, installed with the package (AWS list
prices, us-east-1, mid-2026).  Replace it with your own file (negotiated rates, another Region)
through :func:`load_prices`; ``flowkit cost --prices FILE`` does the same from the shell.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from flowkit.sources.yaml_files import load_yaml
from flowkit.units import BYTES_PER_GB

__all__ = ["DEFAULT_PRICES", "Price", "PriceTable", "load_prices", "tiered_cost"]

PathLike = str | os.PathLike[str]

#: Where the default price table lives (package data: it ships in the wheel).
DEFAULT_PRICES: Path = Path(__file__).resolve().parents[1] / "resources" / "prices.yaml"


def tiered_cost(gb: float, tiers: tuple[tuple[float, float], ...]) -> float:
    """Return the cost of ``gb`` gigabytes in volume bands.

    ``tiers`` are ``(up_to_gb, price)`` pairs with cumulative upper bounds (``inf`` for the
    last band).

    Examples
    --------
    >>> bands = ((100.0, 0.0), (10240.0, 0.09), (51200.0, 0.085), (math.inf, 0.07))
    >>> tiered_cost(50, bands), round(tiered_cost(1000, bands), 6)
    (0.0, 81.0)
    >>> round(tiered_cost(20000, bands), 6)  # 10140 * 0.09 + 9760 * 0.085
    1742.2
    """
    total, lower = 0.0, 0.0
    for upper, price in tiers:
        if gb <= lower:
            break
        total += (min(gb, upper) - lower) * price
        lower = upper
    return total


@dataclass(frozen=True)
class Price:
    """One row of the price table."""

    dimension: str
    unit: str
    price: float
    tiers: tuple[tuple[float, float], ...]
    sides: int
    region: str
    source: str
    date: str

    def cost(self, gb: float) -> float:
        """USD for ``gb`` gigabytes in a month (bands applied, times ``sides``)."""
        base = tiered_cost(gb, self.tiers) if self.tiers else gb * self.price
        return base * self.sides


@dataclass(frozen=True)
class PriceTable:
    """A loaded price table: its rows plus the table's identity and units.

    Examples
    --------
    >>> prices = load_prices()
    >>> prices.version, prices.region, prices["nat_gateway"].price
    ('2026.06', 'us-east-1', 0.045)
    >>> prices.with_price("nat_gateway", 0.03)["nat_gateway"].price
    0.03
    """

    version: str
    region: str
    currency: str
    bytes_per_gb: float
    hours_per_month: float
    prices: tuple[Price, ...]
    source: str

    def __getitem__(self, dimension: str) -> Price:
        for p in self.prices:
            if p.dimension == dimension:
                return p
        raise KeyError(f"no price for {dimension!r}; the table has "
                       f"{', '.join(p.dimension for p in self.prices)}")  # fmt: skip

    def __contains__(self, dimension: object) -> bool:
        return any(p.dimension == dimension for p in self.prices)

    def with_price(self, dimension: str, price: float) -> PriceTable:
        """Return a copy with a flat ``price`` per unit for ``dimension`` (its bands dropped)."""
        rows = tuple(
            replace(p, price=float(price), tiers=()) if p.dimension == dimension else p
            for p in self.prices
        )
        if rows == self.prices and dimension not in self:
            raise KeyError(f"no price for {dimension!r}")
        return replace(self, prices=rows)

    def table(self) -> pd.DataFrame:
        """Return the rows as a frame (one per dimension) for display.

        ``tiers`` reads as monthly bands in GB (10^9 bytes) and USD per GB.

        Examples
        --------
        >>> load_prices().table().set_index("dimension").loc["internet_egress", "tiers"]
        'first 100 GB: $0/GB; to 10,000 GB: $0.09/GB; to 50,000 GB: $0.085/GB; to 150,000 GB: $0.07/GB; above: $0.05/GB'
        """  # noqa: E501
        return pd.DataFrame(
            [{"dimension": p.dimension, "unit": p.unit, "price": p.price,
              "tiers": _bands(p.tiers), "sides": p.sides,
              "region": p.region, "source": p.source, "date": p.date} for p in self.prices]
        )  # fmt: skip


def _bands(tiers: tuple[tuple[float, float], ...]) -> str:
    """Volume bands in words: ``first 100 GB: $0/GB; to 10,000 GB: $0.09/GB; above: ...``."""
    parts = []
    for i, (upper, price) in enumerate(tiers):
        where = "above" if math.isinf(upper) else f"{'first' if i == 0 else 'to'} {upper:,.0f} GB"
        parts.append(f"{where}: ${price:g}/GB")
    return "; ".join(parts)


def _tiers(raw: Any, dimension: str) -> tuple[tuple[float, float], ...]:
    if not raw:
        return ()
    out = []
    for band in raw:
        if not isinstance(band, list | tuple) or len(band) != 2:
            raise ValueError(f"{dimension}: a tier is [up_to_gb, price], not {band!r}")
        upper = math.inf if band[0] is None else float(band[0])
        out.append((upper, float(band[1])))
    if out[-1][0] != math.inf:
        out.append((math.inf, out[-1][1]))
    uppers = [u for u, _ in out]
    if uppers != sorted(uppers):
        raise ValueError(f"{dimension}: tier bounds must increase")
    return tuple(out)


def load_prices(path: PathLike | None = None) -> PriceTable:
    """Load a price table from YAML (default: the bundled ``flowkit/resources/prices.yaml``).

    Parameters
    ----------
    path : path, optional
        A YAML file shaped like ``flowkit/resources/prices.yaml``: ``version``, ``region``,
        ``currency``, ``bytes_per_gb``, ``hours_per_month`` and a ``prices`` list of
        ``dimension``, ``unit``, ``price``, optional ``tiers`` (``[up_to_gb, price]``, monthly
        volume), ``sides``, ``region``, ``source``, ``date``.

    Raises
    ------
    ValueError
        When an entry lacks ``dimension`` or ``price``, or its tiers are malformed.

    Examples
    --------
    >>> prices = load_prices()
    >>> prices["inter_az"].sides, prices["internet_egress"].tiers[0]
    (2, (100.0, 0.0))
    """
    file = Path(path) if path is not None else DEFAULT_PRICES
    if not file.exists():
        raise FileNotFoundError(f"no price table at {file}; pass one with load_prices(path)")
    doc = load_yaml(file)
    if not isinstance(doc, dict) or not isinstance(doc.get("prices"), list):
        raise ValueError(f"{file}: a price table needs a 'prices' list")
    rows = []
    for i, entry in enumerate(doc["prices"]):
        if not isinstance(entry, dict) or "dimension" not in entry or "price" not in entry:
            raise ValueError(f"{file}: entry {i} needs 'dimension' and 'price'")
        dim = str(entry["dimension"])
        rows.append(
            Price(dimension=dim, unit=str(entry.get("unit", "GB")), price=float(entry["price"]),
                  tiers=_tiers(entry.get("tiers"), dim), sides=int(entry.get("sides", 1)),
                  region=str(entry.get("region", doc.get("region", ""))),
                  source=str(entry.get("source", "")), date=str(entry.get("date", "")))
        )  # fmt: skip
    return PriceTable(
        version=str(doc.get("version", "")), region=str(doc.get("region", "")),
        currency=str(doc.get("currency", "USD")),
        bytes_per_gb=float(doc.get("bytes_per_gb", BYTES_PER_GB)),
        hours_per_month=float(doc.get("hours_per_month", 730)), prices=tuple(rows),
        source=str(file),
    )  # fmt: skip
