"""Look around live: an entity's timeline, peers and evidence; an interface's throughput."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ipywidgets as w
import pandas as pd

from flowkit import plots, units
from flowkit.explore import EntityTables, entity_tables, in_window, period
from flowkit.naming import name_and_address
from flowkit.perf.frames import address_names
from flowkit.widgets.base import Shown, show_plot, show_table
from flowkit.widgets.controls import EntityPicker, TimeWindow

__all__ = ["ThroughputExplorer", "TimelineExplorer"]


class TimelineExplorer(w.VBox):  # type: ignore[misc]
    """Pick an entity and a time window: its activity timeline, peers and evidence redraw.

    Parameters
    ----------
    df : DataFrame
        Flow records (enriched with an inventory for names).
    entity : str
        The starting indicator: an address, ENI id, instance id or ENI name.
    findings : DataFrame, optional
        :func:`flowkit.hunt` findings; the evidence table keeps the connections with peers
        named in findings about the entity.
    start, end : optional
        The starting window (default: the whole period).

    Examples
    --------
    >>> import flowkit as fk
    >>> df = fk.parse_lines([
    ...     "2 1 eni-a 10.0.1.5 8.8.8.8 40000 53 17 1 60 1700000000 1700000001 ACCEPT OK",
    ...     "2 1 eni-b 10.0.2.9 1.1.1.1 40000 53 17 1 60 1700003600 1700003601 ACCEPT OK"])
    >>> ex = TimelineExplorer(df, "10.0.1.5")
    >>> ex.tables.peers["peer"].tolist()
    ['8.8.8.8']
    >>> ex.picker.box.value = "10.0.2.9"
    >>> ex.tables.peers["peer"].tolist()
    ['1.1.1.1']
    """

    def __init__(self, df: pd.DataFrame, entity: str, *, findings: pd.DataFrame | None = None,
                 start: Any = None, end: Any = None, names: Mapping[str, str] | None = None,
                 bin_minutes: int = 30) -> None:  # fmt: skip
        self.df = df
        self.found = findings
        self.names = dict(address_names(df) if names is None else names)
        self.bin_minutes = bin_minutes
        self.picker = EntityPicker(df, value=entity, on_change=self.refresh)
        self.window = TimeWindow(df, start=start, end=end, on_change=self.refresh)
        self.summary = w.HTML()
        self.plot = w.Output()
        self.plot.add_class("flowkit-timeline")
        self.peers_out = w.Output()
        self.evidence_out = w.Output()
        self.shown = {"plot": Shown(), "peers": Shown(), "evidence": Shown()}
        self.tables: EntityTables | None = None
        super().__init__([
            self.picker, self.window, self.summary, self.plot,
            w.HTML("<b>Peers</b>, latest first contact first"), self.peers_out,
            w.HTML("<b>Evidence</b>: connections with peers in the entity's findings"),
            self.evidence_out,
        ])  # fmt: skip
        self.refresh()

    @property
    def image(self) -> bytes:
        """PNG bytes of the activity timeline shown now."""
        return self.shown["plot"].image

    def refresh(self) -> None:
        """Redraw everything for the picked entity and window."""
        entity, window = self.picker.value, self.window.window
        tables = entity_tables(self.df, entity, window, self.found, bin_minutes=self.bin_minutes)
        self.tables = tables
        who = ", ".join(a if self.names.get(a) == entity else name_and_address(a, self.names)
                        for a in tables.addresses)  # fmt: skip
        if not tables.addresses:
            self.summary.value = f"<b>{entity}</b>: no address or interface of that name"
        else:
            self.summary.value = (
                f"<b>{entity}</b>{'' if who == entity else f' is {who}'}: "
                f"{units.thousands(len(tables.events))} connections "
                f"with {units.thousands(len(tables.peers))} peers in the window; "
                f"{units.thousands(len(tables.evidence))} with peers in its findings"
            )
        title = f"activity of {entity}"
        show_plot(self.plot, lambda: plots.plot_activity(tables.activity, title=title,
                  max_rows=20, names=self.names, window=window), self.shown["plot"])  # fmt: skip
        latest = tables.peers.sort_values("first_contact", ascending=False, kind="mergesort")
        show_table(self.peers_out, latest, self.shown["peers"], max_rows=10)
        shown = ["start", "client", "server", "port", "protocol", "bytes_out", "bytes_in",
                 "rejected"]  # fmt: skip
        show_table(self.evidence_out, tables.evidence[shown], self.shown["evidence"], max_rows=12)


class ThroughputExplorer(w.VBox):  # type: ignore[misc]
    """Pick an interface and a window: its throughput per bin, against its bandwidth.

    Parameters
    ----------
    rates : DataFrame
        :func:`flowkit.throughput` split ``by`` a column (e.g. ``eni_name``).
    by : str
        That column.
    limit : float, optional
        The bandwidth, in the unit of ``value`` (bit/s for ``bits_per_s``).
    value : str
        The column to draw.
    choice : str, optional
        The interface to start with (default: the busiest).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"time": pd.to_datetime([0, 3600, 0], unit="s", utc=True),
    ...                   "eni_name": ["a", "a", "b"], "bits_per_s": [8e6, 9e6, 1e3]})
    >>> ex = ThroughputExplorer(t, by="eni_name", limit=5e7)
    >>> ex.pick.value, len(ex.series)
    ('a', 2)
    >>> ex.pick.value = "b"
    >>> ex.series["bits_per_s"].tolist()
    [1000.0]
    """

    def __init__(self, rates: pd.DataFrame, *, by: str = "eni_name", limit: float | None = None,
                 value: str = "bits_per_s", choice: str | None = None,
                 step: str = "1h") -> None:  # fmt: skip
        self.rates, self.by, self.limit, self.value = rates, by, limit, value
        busiest = rates.groupby(by, observed=True)[value].sum().sort_values(ascending=False)
        options = sorted(str(k) for k in busiest.index)
        start = choice if choice in options else (str(busiest.index[0]) if options else None)
        self.pick = w.Dropdown(options=options, value=start, description=by)
        first, last = period(rates, "time")
        self.window = TimeWindow(period=(first, last + pd.Timedelta(step)), step=step,
                                 on_change=self.refresh)  # fmt: skip
        self.pick.observe(lambda _c: self.refresh(), names="value")
        self.pick.add_class("flowkit-pick")
        self.plot = w.Output()
        self.plot.add_class("flowkit-throughput")
        self.shown = Shown()
        self.series = rates.iloc[0:0]
        super().__init__([self.pick, self.window, self.plot])
        self.refresh()

    @property
    def image(self) -> bytes:
        """PNG bytes of the plot shown now."""
        return self.shown.image

    def refresh(self) -> None:
        """Redraw the chosen interface in the chosen window."""
        window = self.window.window
        mine = self.rates[(self.rates[self.by].astype(object) == self.pick.value).to_numpy()]
        self.series = in_window(mine, window, column="time")
        show_plot(self.plot, lambda: plots.plot_throughput(
            self.series, by=self.by, value=self.value, limit=self.limit, window=window),
            self.shown)  # fmt: skip
