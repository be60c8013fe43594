"""The ``df.flows`` accessor: one-line delegations to the plain functions of :mod:`flowkit`.

Registered when :mod:`flowkit` is imported.  Every method returns a new frame; the functions are
primary and documented; the methods only save typing in notebooks.  On a frame with a ``flows``
column (findings, throughput tables) ``df.flows`` is that column, as any column would be.

Examples
--------
>>> import flowkit as fk
>>> df = fk.parse_lines(["2 1 eni-1 10.0.1.5 52.216.8.1 50000 443 6 10 840 1700000000 "
...                      "1700000060 ACCEPT OK"])
>>> df.flows.enrich()["dst_aws_service"].tolist()
['S3']
>>> len(df.flows.conversations())
1
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from flowkit import enrich as _enrich
from flowkit.enrich.dedupe_copies import Vantage
from flowkit.schema import FIELDS_BY_COLUMN

__all__ = ["FlowsAccessor"]

PathLike = str | os.PathLike[str]


@pd.api.extensions.register_dataframe_accessor("flows")
class FlowsAccessor:
    """``df.flows``: flowkit functions as methods of a flow-record frame."""

    def __new__(cls, df: pd.DataFrame) -> Any:
        """The accessor; on a frame with a ``flows`` column (findings, throughput tables), that
        column, as attribute access gives any other column (pandas would shadow it)."""
        if "flows" in df.columns:
            return df["flows"]
        return super().__new__(cls)

    def __init__(self, df: pd.DataFrame) -> None:
        if not any(c in FIELDS_BY_COLUMN for c in df.columns):
            raise AttributeError("df.flows needs a frame of flow-log records (no flow-log column)")
        self._df = df

    def enrich(
        self,
        *,
        inventory: _enrich.Inventory | PathLike | pd.DataFrame | Mapping[str, Any] | None = None,
        vpc_cidrs: Iterable[str] | None = None,
        threat_list: _enrich.ThreatList
        | PathLike
        | Iterable[PathLike]
        | Mapping[str, str]
        | None = None,
        ip_ranges: _enrich.IpRanges | PathLike | None = None,
        geo_db: PathLike | Iterable[PathLike] | None = None,
    ) -> pd.DataFrame:
        """:func:`flowkit.enrich.enrich`."""
        return _enrich.enrich(
            self._df,
            inventory=inventory,
            vpc_cidrs=vpc_cidrs,
            threat_list=threat_list,
            ip_ranges=ip_ranges,
            geo_db=geo_db,
        )

    def add_scope(self) -> pd.DataFrame:
        """:func:`flowkit.enrich.add_scope`."""
        return _enrich.add_scope(self._df)

    def add_aws_service(self, ranges: _enrich.IpRanges | None = None) -> pd.DataFrame:
        """:func:`flowkit.enrich.add_aws_service`."""
        return _enrich.add_aws_service(self._df, ranges)

    def add_tcp_flags_label(self) -> pd.DataFrame:
        """:func:`flowkit.enrich.add_tcp_flags_label`."""
        return _enrich.add_tcp_flags_label(self._df)

    def add_service(self) -> pd.DataFrame:
        """:func:`flowkit.enrich.add_service`."""
        return _enrich.add_service(self._df)

    def add_direction(
        self, *, vpc_cidrs: Iterable[str] | None = None, inventory: _enrich.Inventory | None = None
    ) -> pd.DataFrame:
        """:func:`flowkit.enrich.add_direction`."""
        return _enrich.add_direction(self._df, vpc_cidrs=vpc_cidrs, inventory=inventory)

    def add_service_side(
        self, *, vpc_cidrs: Iterable[str] | None = None, inventory: _enrich.Inventory | None = None
    ) -> pd.DataFrame:
        """:func:`flowkit.enrich.add_service_side`."""
        return _enrich.add_service_side(self._df, vpc_cidrs=vpc_cidrs, inventory=inventory)

    def add_inventory(self, inventory: _enrich.Inventory) -> pd.DataFrame:
        """:func:`flowkit.enrich.add_inventory`."""
        return _enrich.add_inventory(self._df, inventory)

    def add_threat(self, threats: _enrich.ThreatList) -> pd.DataFrame:
        """:func:`flowkit.enrich.add_threat`."""
        return _enrich.add_threat(self._df, threats)

    def add_geo(self, geo_db: PathLike | Iterable[PathLike]) -> pd.DataFrame:
        """:func:`flowkit.enrich.add_geo`."""
        return _enrich.add_geo(self._df, geo_db)

    def conversations(self, *, gap: int = 120) -> pd.DataFrame:
        """:func:`flowkit.conversations`."""
        return _enrich.conversations(self._df, gap=gap)

    def dedupe(
        self,
        *,
        vantage: Vantage = "auto",
        vpc_cidrs: Iterable[str] | None = None,
        inventory: _enrich.Inventory | None = None,
    ) -> pd.DataFrame:
        """:func:`flowkit.dedupe`."""
        return _enrich.dedupe(self._df, vantage=vantage, vpc_cidrs=vpc_cidrs, inventory=inventory)
