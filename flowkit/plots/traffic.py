"""Plots of the performance and coverage tables (:mod:`flowkit.perf`, :mod:`flowkit.compliance`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from flowkit import units
from flowkit.plots.axes import label, legend_outside, new_axes, time_limits, unit_axis

__all__ = [
    "plot_coverage",
    "plot_handshake_health",
    "plot_hour_of_week",
    "plot_packet_sizes",
    "plot_reject_rate",
    "plot_throughput",
]

#: The unit of each column :func:`flowkit.throughput` returns.
_VALUE_UNITS = {"bits_per_s": "bits_per_s", "bytes": "bytes", "bytes_per_s": "bytes",
                "packets_per_s": "count", "packets": "count", "flows": "count"}  # fmt: skip
#: A bandwidth line further than this above the data would flatten it: it is named instead.
_LIMIT_HEADROOM = 1.5


def plot_throughput(
    table: pd.DataFrame,
    *,
    by: str | None = "interface_id",
    value: str = "bits_per_s",
    limit: float | None = None,
    top: int = 8,
    window: tuple[Any, Any] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Throughput over time, one line per ``by`` value (the ``top`` busiest).

    Draws :func:`flowkit.perf.throughput`; ``value`` is a column of it (``bits_per_s``,
    ``packets_per_s``, ``flows``...), on an axis in human units (Mbit/s, not ``1e7``) scaled to
    the data shown.  ``limit`` (same unit) draws a bandwidth line when it is near the data;
    far above it, the line would flatten every series, so the legend names it instead.  x is
    the ``window`` when given, else the data's span.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> t = pd.DataFrame({"time": pd.to_datetime([0, 3600, 0], unit="s", utc=True),
    ...                   "interface_id": ["eni-a", "eni-a", "eni-b"], "bits_per_s": [8, 16, 4]})
    >>> ax = plot_throughput(t, limit=20)
    >>> [line.get_label() for line in ax.get_lines()]
    ['eni-a', 'eni-b', 'limit 20 bit/s']
    >>> [line.get_label() for line in plot_throughput(t, limit=5e7).get_lines()][-1]
    'limit 50.0 Mbit/s (off the scale)'
    """
    ax = new_axes(ax, (10, 4))
    unit = _VALUE_UNITS.get(value, "count")
    if by is None:
        ax.plot(table["time"], table[value], label=label(value.replace("_", " ")), marker=".")
    else:
        busiest = table.groupby(by, observed=True)[value].sum().sort_values(ascending=False)
        for key in busiest.index[:top]:
            part = table[table[by] == key].sort_values("time")
            ax.plot(part["time"], part[value], label=label(key), marker=".", linewidth=1)
    peak = float(table[value].max()) if len(table) else 0.0
    if limit is not None:
        text = units.human_bits_per_s(limit) if unit == "bits_per_s" else units.thousands(limit)
        if peak > 0 and limit > _LIMIT_HEADROOM * peak:
            ax.plot([], [], color="tab:red", linestyle="--", label=f"limit {text} (off the scale)")
        else:
            ax.axhline(limit, color="tab:red", linestyle="--", label=f"limit {text}")
    ax.set_ylim(bottom=0)
    unit_axis(ax.yaxis, unit)
    time_limits(ax, table["time"], window, pad="1h")
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel(value.replace("_", " ").replace("bits per s", "bit/s"))
    if not len(table):
        ax.text(0.5, 0.5, "no traffic in this window", transform=ax.transAxes, ha="center",
                va="center", color="gray")  # fmt: skip
    legend_outside(ax)
    return ax


def plot_packet_sizes(sizes: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Bar chart of the packet-size distribution of :func:`flowkit.perf.packet_sizes`.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> ax = plot_packet_sizes(pd.DataFrame({"size": ["0-63", "64-127"], "packet_share": [.4, .6]}))
    >>> len(ax.patches), ax.yaxis.get_major_formatter()(0.4, 0)
    (2, '40 %')
    """
    ax = new_axes(ax, (7, 3.5))
    ax.bar([label(s) for s in sizes["size"]], sizes["packet_share"], color="tab:blue")
    unit_axis(ax.yaxis, "share")
    ax.set_xlabel("mean bytes per packet of a record")
    ax.set_ylabel("share of packets")
    return ax


def plot_reject_rate(rates: pd.DataFrame, *, by: str = "interface_id", top: int = 8,
                     ax: Axes | None = None) -> Axes:  # fmt: skip
    """REJECT rate over time, one line per ``by`` value (the ``top`` with most rejects).

    Draws :func:`flowkit.perf.reject_rate`.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> r = pd.DataFrame({"time": pd.to_datetime([0, 3600], unit="s", utc=True),
    ...                   "interface_id": ["eni-a", "eni-a"], "rejected": [1, 3],
    ...                   "reject_rate": [0.1, 0.3]})
    >>> [line.get_label() for line in plot_reject_rate(r).get_lines()]
    ['eni-a']
    """
    ax = new_axes(ax, (10, 4))
    worst = rates.groupby(by, observed=True)["rejected"].sum().sort_values(ascending=False)
    for key in worst.index[:top]:
        part = rates[rates[by] == key].sort_values("time")
        ax.plot(part["time"], part["reject_rate"], label=label(key), linewidth=1)
    ax.set_ylim(0, 1.05)
    unit_axis(ax.yaxis, "share")
    time_limits(ax, rates["time"], None, pad="1h")
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel("rejected share of records")
    legend_outside(ax)
    return ax


def plot_handshake_health(health: pd.DataFrame, *, top: int = 12, ax: Axes | None = None) -> Axes:
    """Answered and unanswered TCP connection attempts per service (stacked bars).

    Draws :func:`flowkit.perf.handshake_health` (its first ``top`` rows).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> h = pd.DataFrame({"service_port": [443, 22], "service": ["https", "ssh"],
    ...                   "answered": [90, 0], "unanswered": [10, 40]})
    >>> len(plot_handshake_health(h).patches)
    4
    """
    ax = new_axes(ax, (8, 4))
    part = health.head(top).iloc[::-1]
    names = [label(f"{p} {s}" if isinstance(s, str) else p)
             for p, s in zip(part["service_port"], part["service"], strict=True)]  # fmt: skip
    ax.barh(names, part["answered"], color="tab:green", label="answered (SYN-ACK)")
    ax.barh(names, part["unanswered"], left=part["answered"], color="tab:red",
            label="no SYN-ACK")  # fmt: skip
    unit_axis(ax.xaxis, "count")
    ax.set_xlabel("connection attempts")
    legend_outside(ax)
    return ax


def plot_hour_of_week(table: pd.DataFrame, *, ax: Axes | None = None, title: str = "flows") -> Axes:
    """Heatmap of :func:`flowkit.perf.hour_of_week` (weekday by UTC hour), observed days only.

    Weekdays without a single record (outside the period loaded) are left out rather than
    drawn as a solid band of zeros; the title says which days are shown.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> grid = pd.DataFrame(0, index=["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    ...                     columns=range(24))
    >>> grid.loc["Tue", 3] = 5
    >>> grid.loc["Thu", 9] = 2
    >>> [t.get_text() for t in plot_hour_of_week(grid).get_yticklabels()]
    ['Tue', 'Thu']
    """
    seen = table[table.to_numpy().sum(axis=1) > 0]
    ax = new_axes(ax, (10, 0.45 * max(1, len(seen)) + 1.5))
    image = ax.imshow(seen.to_numpy(dtype=float), aspect="auto", cmap="viridis")
    ax.set_yticks(range(len(seen.index)), [label(i) for i in seen.index])
    ax.set_xticks(range(0, table.shape[1], 2), [str(c) for c in table.columns[::2]])
    ax.set_xlabel("hour (UTC)")
    bar = ax.figure.colorbar(image, ax=ax, label=label(title))
    unit_axis(bar.ax.yaxis, "count")
    ax.set_title(f"{label(title)} per weekday and hour ({len(seen)} of 7 weekdays have records)")
    return ax


_COVERAGE_COLORS = ("#4c9a2a", "#a6d96a", "#fdae61", "#d7191c")  # records, nodata, skipdata, gap


def plot_coverage(
    cov: pd.DataFrame, *, labels: pd.Series | None = None, ax: Axes | None = None,
    title: str | None = None,
) -> Axes:  # fmt: skip
    """A row per ENI, a cell per window coloured by evidence, from :func:`flowkit.coverage`.

    Green: records; light green: NODATA; orange: SKIPDATA; red: nothing (a gap).  ``labels``
    maps ``interface_id`` to a display name (e.g. the inventory's).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> t = pd.date_range("2026-11-03T10:00Z", periods=3, freq="5min")
    >>> cov = pd.DataFrame({"interface_id": ["eni-1"] * 3, "window_start": t,
    ...                     "status": ["records", "gap", "nodata"]})
    >>> names = pd.Series({"eni-1": "web-2"})
    >>> [t.get_text() for t in plot_coverage(cov, labels=names).get_yticklabels()]
    ['web-2']
    """
    from matplotlib.colors import ListedColormap

    order = ["records", "nodata", "skipdata", "gap"]
    codes = pd.Categorical(cov["status"].astype(str), categories=order).codes
    grid = (
        pd.DataFrame({"eni": cov["interface_id"], "t": cov["window_start"], "c": codes})
        .pivot_table(index="eni", columns="t", values="c", aggfunc="max")
        .sort_index()
    )
    ax = new_axes(ax, (10, 0.25 * len(grid.index) + 1.5))
    ax.imshow(grid.to_numpy(dtype=float), aspect="auto", interpolation="nearest",
              cmap=ListedColormap(list(_COVERAGE_COLORS)), vmin=-0.5, vmax=3.5)  # fmt: skip
    names = [label(labels.get(e, e)) if labels is not None else label(e) for e in grid.index]
    ax.set_yticks(range(len(names)), names)
    step = max(1, len(grid.columns) // 8)
    ticks = [pd.Timestamp(c).strftime("%m-%d %H:%M") for c in grid.columns[::step]]
    ax.set_xticks(np.arange(0, len(grid.columns), step), ticks)
    ax.set_xlabel("time (UTC)")
    ax.set_title(label(title or "log coverage (green: records, pale: NODATA, orange: SKIPDATA, "
                       "red: gap)"))  # fmt: skip
    return ax
