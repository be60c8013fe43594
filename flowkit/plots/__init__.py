"""Plots of prepared tables (matplotlib).  They draw; they compute nothing.

Every function takes a table made by an analysis function (named in its docstring), draws it
on ``ax`` (a new figure when ``None``) and returns the axes.  End a notebook cell that plots
with ``;``.  What all of them share (:mod:`flowkit.plots.axes`): text that comes from data is
escaped once (:func:`~flowkit.plots.axes.label`: a ``$`` in a Name tag never becomes
mathtext), axes carry human units from :mod:`flowkit.units` (kB/MB/GB = 10^3/10^6/10^9 bytes,
bit/s, USD; never a ``1e9`` offset), legends sit outside the data, and an axis turns
logarithmic when one value dwarfs the rest.

Modules: :mod:`~flowkit.plots.security` (drill-down of findings), :mod:`~flowkit.plots.traffic`
(performance and coverage), :mod:`~flowkit.plots.cost`.  Contributors: add a function to the
module of its area and to ``__all__`` here in the same edit.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import pandas as pd
>>> ax = plot_top(pd.Series({"10.0.1.5": 300, "10.0.2.9": 120}), title="bytes")
>>> [t.get_text() for t in ax.get_yticklabels()]
['10.0.2.9', '10.0.1.5']
"""

from __future__ import annotations

from flowkit.plots.cost import plot_cost_by_dimension, plot_savings
from flowkit.plots.security import (
    plot_activity,
    plot_drill_down,
    plot_intervals,
    plot_port_heatmap,
    plot_top,
)
from flowkit.plots.traffic import (
    plot_coverage,
    plot_handshake_health,
    plot_hour_of_week,
    plot_packet_sizes,
    plot_reject_rate,
    plot_throughput,
)

__all__ = [
    "plot_activity",
    "plot_cost_by_dimension",
    "plot_coverage",
    "plot_drill_down",
    "plot_handshake_health",
    "plot_hour_of_week",
    "plot_intervals",
    "plot_packet_sizes",
    "plot_port_heatmap",
    "plot_reject_rate",
    "plot_savings",
    "plot_throughput",
    "plot_top",
]
