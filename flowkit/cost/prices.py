"""The data-transfer price table: a versioned YAML file, tiers and the arithmetic on them.

The default table is ``flowkit/resources/prices.yaml``, installed with the package (AWS list
prices, us-east-1, mid-2026).  Replace it with your own file (negotiated rates, another Region)
through :func:`load_prices`; ``flowkit cost --prices FILE`` does the same from the shell.

Units: a price is USD per "GB" of ``bytes_per_gb`` bytes, and tier bounds count the same unit.
AWS meters data transfer in GB of 2^30 bytes (GiB, :data:`flowkit.units.BYTES_PER_GIB`) and
states its prices and bands (first 10 TB = 10,240 GB, ...) in that unit, so the bundled table
has ``bytes_per_gb: 1073741824`` and its prices and bands are shown as per GiB
(:attr:`PriceTable.unit`).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from flowkit.sources.yaml_files import load_yaml
from flowkit.units import BYTES_PER_GIB, unit_name

__all__ = ["DEFAULT_PRICES", "Price", "PriceTable", "load_prices", "tiered_cost"]

PathLike = str | os.PathLike[str]

#: Where the default price table lives (package data: it ships in the wheel).
DEFAULT_PRICES: Path = Path(__file__).resolve().parents[1] / "resources" / "prices.yaml"


def tiered_cost(volume: float, tiers: tuple[tuple[float, float], ...]) -> float:
    """Return the cost of ``volume`` (in the price table's unit: GiB for AWS's) in volume bands.

    ``tiers`` are ``(up_to, price)`` pairs with cumulative upper bounds in the same unit
    (``inf`` for the last band) and prices in USD per unit.

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
        if volume <= lower:
            break
        total += (min(volume, upper) - lower) * price
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

    def cost(self, volume: float) -> float:
        """USD for ``volume`` units (GiB for AWS's table) in a month (bands applied, times
        ``sides``)."""
        base = tiered_cost(volume, self.tiers) if self.tiers else volume * self.price
        return base * self.sides


@dataclass(frozen=True)
class PriceTable:
    """A loaded price table: its rows plus the table's identity and units.

    ``bytes_per_gb`` is how many bytes a "GB" of the prices and bands holds: 2^30 (a GiB, AWS's
    metering unit) in the bundled table; :attr:`unit` names it for display.

    Examples
    --------
    >>> prices = load_prices()
    >>> prices.version, prices.region, prices["nat_gateway"].price, prices.unit
    ('2026.06', 'us-east-1', 0.045, 'GiB')
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

    @property
    def unit(self) -> str:
        """The name of the unit prices and bands are per (``GiB`` for 2^30 bytes, never "GB")."""
        return unit_name(self.bytes_per_gb)

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

        ``unit`` is what ``price`` is per, with a "GB" entry shown as :attr:`unit` (``GiB`` for
        AWS's 2^30-byte GB); ``tiers`` reads as monthly bands in that unit and USD per unit.

        Examples
        --------
        >>> t = load_prices().table().set_index("dimension")
        >>> t.loc["internet_egress", "unit"], t.loc["internet_egress", "tiers"]
        ('GiB', 'first 100 GiB: $0/GiB; to 10,240 GiB: $0.09/GiB; to 51,200 GiB: $0.085/GiB; to 153,600 GiB: $0.07/GiB; above: $0.05/GiB')
        """  # noqa: E501

        def unit(p: Price) -> str:
            return self.unit if p.unit.upper() == "GB" else p.unit

        return pd.DataFrame(
            [{"dimension": p.dimension, "unit": unit(p), "price": p.price,
              "tiers": _bands(p.tiers, unit(p)), "sides": p.sides,
              "region": p.region, "source": p.source, "date": p.date} for p in self.prices]
        )  # fmt: skip


def _bands(tiers: tuple[tuple[float, float], ...], unit: str) -> str:
    """Volume bands in words: ``first 100 GiB: $0/GiB; to 10,240 GiB: $0.09/GiB; above: ...``."""
    parts = []
    for i, (upper, price) in enumerate(tiers):
        first = "first" if i == 0 else "to"
        where = "above" if math.isinf(upper) else f"{first} {upper:,.0f} {unit}"
        parts.append(f"{where}: ${price:g}/{unit}")
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
        ``currency``, ``bytes_per_gb`` (bytes in the "GB" of the prices and bands; default
        1073741824, AWS's metered GB of 2^30 bytes), ``hours_per_month`` and a ``prices`` list
        of ``dimension``, ``unit``, ``price``, optional ``tiers`` (``[up_to_gb, price]``,
        monthly volume), ``sides``, ``region``, ``source``, ``date``.

    Raises
    ------
    ValueError
        When an entry lacks ``dimension`` or ``price``, its tiers are malformed, or
        ``bytes_per_gb`` is not a positive number.

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
    bytes_per_gb = _bytes_per_gb(doc.get("bytes_per_gb", BYTES_PER_GIB), file)
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
        bytes_per_gb=bytes_per_gb,
        hours_per_month=float(doc.get("hours_per_month", 730)), prices=tuple(rows),
        source=str(file),
    )  # fmt: skip


def _bytes_per_gb(raw: Any, file: Path) -> float:
    """``bytes_per_gb`` of a price file as a positive number, or a clear error."""
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = math.nan
    if not value > 0 or math.isinf(value):
        raise ValueError(f"{file}: bytes_per_gb must be a positive number of bytes (1073741824 "
                         f"for a GiB of 2^30 bytes, AWS's billing unit), not {raw!r}")  # fmt: skip
    return value
