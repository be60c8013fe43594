"""Units for people: one definition of kB, MB, GB, GiB and bit/s, used by plots, tables and cost.

**Decimal units for volumes:** 1 kB = 10^3 bytes, 1 MB = 10^6, 1 GB = 10^9, 1 TB = 10^12, and
1 Mbit/s = 10^6 bits per second (as network bandwidth is quoted).  Every volume flowkit shows in
a plot, a table or a finding's summary goes through this module, so a "GB" means the same
number of bytes wherever it appears.

**GiB for the bill:** AWS meters data transfer in "GB" of 2^30 bytes (1 GiB = 1,073,741,824
bytes, about 7.4 % more than a GB) and states its per-GB prices and volume bands (first
10 TB = 10,240 GB, ...) in that unit.  The cost estimate therefore bills and shows volumes in
GiB (:data:`BYTES_PER_GIB`, :func:`gibibytes`, :func:`human_gib`) and rates in USD per GiB;
flowkit never calls 2^30 bytes "GB".

Examples
--------
>>> human_bytes(2_843_977_288), human_bytes(999), human_bytes(275_400)
('2.8 GB', '999 B', '275.4 kB')
>>> human_bits_per_s(16_470_000), thousands(223301), usd(1234.5)
('16.5 Mbit/s', '223,301', '$1,234.50')
>>> gigabytes(3 * BYTES_PER_GB), gibibytes(3 * BYTES_PER_GIB), human_gib(2007.449)
(3.0, 3.0, '2,007.45 GiB')
"""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "BYTES_PER_GB",
    "BYTES_PER_GIB",
    "BYTES_PER_KB",
    "BYTES_PER_MB",
    "BYTES_PER_TB",
    "UNIT_NOTE",
    "gibibytes",
    "gigabytes",
    "human_bits_per_s",
    "human_bytes",
    "human_count",
    "human_gib",
    "thousands",
    "unit_name",
    "usd",
]

BYTES_PER_KB = 10**3
BYTES_PER_MB = 10**6
#: One gigabyte, as flowkit counts volumes everywhere (plots, tables, summaries).
BYTES_PER_GB = 10**9
BYTES_PER_TB = 10**12
#: One gibibyte: AWS's metering unit for data transfer (the "GB" of its bills, per-GB prices and
#: volume bands).  Cost estimates bill and show volumes in GiB and rates in USD per GiB.
BYTES_PER_GIB = 2**30
#: The sentence to print under a table or plot that shows these units.
UNIT_NOTE = (
    "kB, MB, GB, TB are 10^3, 10^6, 10^9, 10^12 bytes; Mbit/s is 10^6 bits per second; "
    "GiB is 2^30 bytes, AWS's billing unit for data transfer (cost volumes, USD per GiB)"
)

_BYTE_STEPS = (("TB", BYTES_PER_TB), ("GB", BYTES_PER_GB), ("MB", BYTES_PER_MB),
               ("kB", BYTES_PER_KB))  # fmt: skip
_BIT_STEPS = (("Tbit/s", 1e12), ("Gbit/s", 1e9), ("Mbit/s", 1e6), ("kbit/s", 1e3))


def _missing(value: Any) -> bool:
    try:
        return value is None or bool(math.isnan(float(value)))
    except (TypeError, ValueError):
        return True


def _scaled(value: float, steps: tuple[tuple[str, float], ...], base: str, digits: int) -> str:
    for unit, size in steps:
        if abs(value) >= size:
            return f"{value / size:.{digits}f} {unit}"
    if float(value).is_integer():
        return f"{int(value)} {base}"
    return f"{value:.{digits}f} {base}"


def human_bytes(n: Any, digits: int = 1) -> str:
    """A byte count as a short string in decimal units (``2.8 GB``); ``-`` when missing.

    Examples
    --------
    >>> human_bytes(1_900_000), human_bytes(0), human_bytes(None), human_bytes(12.5e12)
    ('1.9 MB', '0 B', '-', '12.5 TB')
    """
    if _missing(n):
        return "-"
    return _scaled(float(n), _BYTE_STEPS, "B", digits)


def human_bits_per_s(rate: Any, digits: int = 1) -> str:
    """A rate in bits per second as a short string (``57.7 Mbit/s``); ``-`` when missing.

    Examples
    --------
    >>> human_bits_per_s(57_672_220), human_bits_per_s(950), human_bits_per_s(5e10)
    ('57.7 Mbit/s', '950 bit/s', '50.0 Gbit/s')
    """
    if _missing(rate):
        return "-"
    return _scaled(float(rate), _BIT_STEPS, "bit/s", digits)


def human_count(n: Any, digits: int = 1) -> str:
    """A count in thousands or millions for an axis (``12.3 k``, ``4.5 M``).

    Examples
    --------
    >>> human_count(999), human_count(12_345), human_count(4_500_000)
    ('999', '12.3 k', '4.5 M')
    """
    if _missing(n):
        return "-"
    return _scaled(float(n), (("G", 1e9), ("M", 1e6), ("k", 1e3)), "", digits).strip()


def thousands(n: Any) -> str:
    """An integer with thousands separators (``223,301``); floats keep two decimals.

    Examples
    --------
    >>> thousands(1152), thousands(3.14159), thousands(None)
    ('1,152', '3.14', '-')
    """
    if _missing(n):
        return "-"
    value = float(n)
    return f"{int(value):,}" if value.is_integer() else f"{value:,.2f}"


def usd(amount: Any, digits: int = 2) -> str:
    """An amount in US dollars (``$1,234.50``); ``-`` when missing.

    Examples
    --------
    >>> usd(54.527), usd(0.0045, digits=4), usd(float("nan"))
    ('$54.53', '$0.0045', '-')
    """
    if _missing(amount):
        return "-"
    value = float(amount)
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.{digits}f}"


def gigabytes(n_bytes: Any) -> float:
    """Bytes in GB (10^9 bytes), the unit of every volume and price per GB in flowkit.

    Examples
    --------
    >>> gigabytes(2_500_000_000)
    2.5
    """
    return float(n_bytes) / BYTES_PER_GB


def gibibytes(n_bytes: Any) -> float:
    """Bytes in GiB (2^30 bytes): AWS's metering unit for data transfer, used by cost estimates.

    Examples
    --------
    >>> gibibytes(10 * 2**30), round(gibibytes(10**9), 4)
    (10.0, 0.9313)
    """
    return float(n_bytes) / BYTES_PER_GIB


def human_gib(gib: Any, digits: int = 2) -> str:
    """A volume already in GiB, with separators and its unit (``2,007.45 GiB``); ``-`` missing.

    Examples
    --------
    >>> human_gib(2007.449), human_gib(0.5), human_gib(None)
    ('2,007.45 GiB', '0.50 GiB', '-')
    """
    if _missing(gib):
        return "-"
    return f"{float(gib):,.{digits}f} GiB"


def unit_name(n_bytes: float) -> str:
    """The name of a unit of ``n_bytes`` bytes: ``GiB`` for 2^30, ``GB`` for 10^9, and so on.

    A price table states how many bytes its "GB" holds (``bytes_per_gb``); this names it for
    people, so that 2^30 bytes is never shown as "GB".

    Examples
    --------
    >>> unit_name(2**30), unit_name(10**9), unit_name(10**6), unit_name(5e8)
    ('GiB', 'GB', 'MB', '500,000,000 bytes')
    """
    named = {BYTES_PER_GIB: "GiB", 2**20: "MiB", 2**40: "TiB", BYTES_PER_KB: "kB",
             BYTES_PER_MB: "MB", BYTES_PER_GB: "GB", BYTES_PER_TB: "TB"}  # fmt: skip
    value = float(n_bytes)
    if value.is_integer() and int(value) in named:
        return named[int(value)]
    return f"{value:,.0f} bytes"
