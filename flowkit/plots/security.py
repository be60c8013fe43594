"""Plots of the security drill-down tables (:mod:`flowkit.detect.timeline`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from flowkit.explore import DrillDown
from flowkit.plots.axes import (
    label,
    labels,
    legend_outside,
    log_if_skewed,
    new_axes,
    time_limits,
    unit_axis,
    value_labels,
)

__all__ = ["plot_activity", "plot_drill_down", "plot_intervals", "plot_port_heatmap", "plot_top"]

_ACTION_COLORS = {"ACCEPT": "tab:green", "REJECT": "tab:red"}


def plot_activity(table: pd.DataFrame, *, ax: Axes | None = None, title: str | None = None,
                  max_rows: int = 30, names: Mapping[str, str] | None = None,
                  window: tuple[Any, Any] | None = None) -> Axes:  # fmt: skip
    """Activity timeline of one entity: one row per peer and port, dots over time.

    Draws :func:`flowkit.detect.timeline.activity`: x is time (UTC, the ``window`` when given,
    else the data's span), y is ``peer:port`` (the ``max_rows`` busiest; ``names`` maps an
    address to a name shown beside it), green for accepted and red for rejected connections,
    dot area by flows; hollow markers for inbound connections.  The legend sits outside.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> t = pd.DataFrame({"time": pd.to_datetime([0, 300], unit="s", utc=True),
    ...                   "peer": ["8.8.8.8", "1.1.1.1"], "port": [53, 443],
    ...                   "direction": ["out", "in"], "action": ["ACCEPT", "REJECT"],
    ...                   "flows": [3, 1], "bytes": [300, 60]})
    >>> ax = plot_activity(t, names={"8.8.8.8": "dns"})
    >>> [x.get_text() for x in ax.get_yticklabels()]
    ['1.1.1.1:443', 'dns (8.8.8.8):53']
    """
    ax = new_axes(ax, (10, 4))
    peer = pd.Series(labels(table["peer"].astype(str), names), index=table.index, dtype=object)
    label_col = peer + ":" + table["port"].astype(str)
    busiest = table.assign(label=label_col).groupby("label")["flows"].sum()
    keep = sorted(busiest.sort_values(ascending=False, kind="mergesort").index[:max_rows])
    pos = {name: i for i, name in enumerate(keep)}
    shown = table.assign(label=label_col)[label_col.isin(pos)]
    for (action, direction), part in shown.groupby(["action", "direction"], sort=True):
        color = _ACTION_COLORS.get(str(action), "tab:gray")
        ax.scatter(
            part["time"], part["label"].map(pos), s=12 + 8 * np.sqrt(part["flows"]),
            c=color if direction == "out" else "none", edgecolors=color,
            label=label(f"{action} {direction}"),
        )  # fmt: skip
    ax.set_yticks(range(len(keep)), keep)
    if not keep:
        ax.text(0.5, 0.5, "no connections in this window", transform=ax.transAxes,
                ha="center", va="center", color="gray")  # fmt: skip
    time_limits(ax, shown["time"], window, pad="30min")
    ax.set_xlabel("time (UTC)")
    ax.set_title(label(title or "activity"))
    legend_outside(ax)
    return ax


def plot_port_heatmap(grid: pd.DataFrame, *, ax: Axes | None = None,
                      title: str | None = None) -> Axes:  # fmt: skip
    """Port by time heatmap of a scan: connections per server port and time bin.

    Draws :func:`flowkit.detect.timeline.port_time` (index ports, columns bin starts).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> grid = pd.DataFrame([[1, 0], [0, 2]], index=[22, 80],
    ...                     columns=pd.to_datetime([0, 60], unit="s", utc=True))
    >>> plot_port_heatmap(grid).images[0].get_array().tolist()
    [[1, 0], [0, 2]]
    """
    ax = new_axes(ax, (10, 4))
    image = ax.imshow(grid.to_numpy(), aspect="auto", origin="lower", cmap="viridis",
                      interpolation="nearest")  # fmt: skip
    from matplotlib.ticker import MaxNLocator

    bar = ax.figure.colorbar(image, ax=ax, label="connections")
    bar.ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    step_y = max(1, len(grid.index) // 20)
    ax.set_yticks(range(0, len(grid.index), step_y), [label(p) for p in grid.index[::step_y]])
    step_x = max(1, len(grid.columns) // 8)
    ax.set_xticks(range(0, len(grid.columns), step_x),
                  [pd.Timestamp(c).strftime("%H:%M") for c in grid.columns[::step_x]])  # fmt: skip
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel("port")
    ax.set_title(label(title or "ports probed over time"))
    return ax


def plot_intervals(intervals: pd.Series, *, ax: Axes | None = None, bins: int = 40,
                   title: str | None = None) -> Axes:  # fmt: skip
    """Histogram of the seconds between connections (a beacon is one tall, narrow peak).

    Draws :func:`flowkit.detect.timeline.beacon_intervals`.  The axis starts at 0 s and runs
    to at least twice the median, so a clock with jitter shows as one narrow peak and
    irregular traffic as a spread; a dashed line marks the median.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> ax = plot_intervals(pd.Series([300.0, 290.0, 310.0, 305.0]), bins=4)
    >>> len(ax.patches), float(ax.lines[0].get_xdata()[0]), float(ax.get_xlim()[0])
    (4, 302.5, 0.0)
    """
    ax = new_axes(ax, (7, 3.5))
    values = intervals.dropna().to_numpy(dtype=float)
    if len(values):
        median = float(np.median(values))
        upper = max(2 * median, float(np.quantile(values, 0.99)), 1.0)
        ax.hist(values, bins=bins, range=(0.0, upper), color="tab:blue")
        ax.axvline(median, color="black", linestyle="--", label=f"median {median:.0f} s")
        ax.set_xlim(0.0, upper)
        legend_outside(ax)
    unit_axis(ax.xaxis, "seconds")
    ax.set_xlabel("seconds between connections")
    ax.set_ylabel("connections")
    ax.set_title(label(title or "connection intervals"))
    return ax


def plot_top(values: pd.Series, *, n: int = 10, ax: Axes | None = None,
             title: str | None = None, xlabel: str | None = None, unit: str | None = None,
             names: Mapping[str, str] | None = None) -> Axes:  # fmt: skip
    """Horizontal bars of the ``n`` largest values of a series (largest on top).

    ``unit`` (``bytes``, ``bits_per_s``, ``usd``, ``count``) labels the axis and every bar in
    human units; when the largest value dwarfs the smallest (100x) the axis is logarithmic, so
    every bar stays visible.  ``names`` maps an index value (an address) to a name.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> ax = plot_top(pd.Series({"a": 1, "b": 3, "c": 2}), n=2)
    >>> [float(p.get_width()) for p in ax.patches]
    [2.0, 3.0]
    >>> plot_top(pd.Series({"x": 2.8e9, "y": 2.7e5}), unit="bytes").get_xscale()
    'log'
    """
    ax = new_axes(ax, (7, 0.4 * min(n, len(values)) + 1))
    top = values.sort_values(ascending=False, kind="mergesort").head(n)[::-1]
    heights = top.to_numpy(dtype=float)
    ax.barh(labels(top.index.astype(str), names), heights, color="tab:blue")
    if log_if_skewed(ax, heights, "x"):
        ax.set_xlim(left=float(heights[heights > 0].min()) / 3)
    if unit is not None:
        unit_axis(ax.xaxis, unit)
        value_labels(ax, heights, unit)
    ax.set_title(label(title or ""))
    name = str(values.name).replace("_", " ") if values.name is not None else ""
    ax.set_xlabel(label(xlabel or name))
    return ax


def plot_drill_down(drill: DrillDown, *, ax: Axes | None = None,
                    names: Mapping[str, str] | None = None) -> Axes:  # fmt: skip
    """Draw a finding's drill-down (:func:`flowkit.explore.drill_down`) with the plot its
    ``kind`` calls for: the port heatmap, the interval histogram, the bytes-sent bars (log
    scale, human units) or the activity timeline (its window).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from flowkit.explore import DrillDown
    >>> d = DrillDown("bytes_sent", pd.Series({"203.0.113.9": 3e9, "10.0.0.2": 4e4}), "sent")
    >>> plot_drill_down(d).get_xscale()
    'log'
    """
    if drill.kind == "port_time":
        return plot_port_heatmap(drill.table, ax=ax, title=drill.title)  # type: ignore[arg-type]
    if drill.kind == "intervals":
        return plot_intervals(drill.table, ax=ax, title=drill.title)  # type: ignore[arg-type]
    if drill.kind == "bytes_sent":
        return plot_top(drill.table, n=8, ax=ax, title=drill.title, xlabel="bytes sent",  # type: ignore[arg-type]
                        unit="bytes", names=names)  # fmt: skip
    return plot_activity(drill.table, ax=ax, title=drill.title, window=drill.window,  # type: ignore[arg-type]
                         names=names)  # fmt: skip
