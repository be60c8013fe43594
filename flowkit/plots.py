"""Plots of prepared tables (matplotlib).  They draw; they compute nothing.

Every function takes a table made by an analysis function (named in its docstring), draws it
on ``ax`` (a new figure when ``None``) and returns the axes.  End a notebook cell that plots
with ``;``.

Contributors: add functions at the end and extend ``__all__`` in the same edit.

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

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

__all__ = [
    "plot_activity",
    "plot_cost_by_dimension",
    "plot_coverage",
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

_ACTION_COLORS = {"ACCEPT": "tab:green", "REJECT": "tab:red"}


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=size, layout="constrained")
    return new  # type: ignore[no-any-return]


def plot_activity(table: pd.DataFrame, *, ax: Axes | None = None, title: str | None = None,
                  max_rows: int = 30) -> Axes:  # fmt: skip
    """Activity timeline of one entity: one row per peer and port, dots over time.

    Draws :func:`flowkit.detect.timeline.activity`: x is time (UTC), y is ``peer:port``
    (the ``max_rows`` busiest), green for accepted and red for rejected connections, dot area
    by flows; hollow markers for inbound connections.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> t = pd.DataFrame({"time": pd.to_datetime([0, 300], unit="s", utc=True),
    ...                   "peer": ["8.8.8.8", "1.1.1.1"], "port": [53, 443],
    ...                   "direction": ["out", "in"], "action": ["ACCEPT", "REJECT"],
    ...                   "flows": [3, 1], "bytes": [300, 60]})
    >>> ax = plot_activity(t)
    >>> [x.get_text() for x in ax.get_yticklabels()]
    ['1.1.1.1:443', '8.8.8.8:53']
    """
    ax = _axes(ax, (10, 4))
    label = table["peer"].astype(str) + ":" + table["port"].astype(str)
    busiest = table.assign(label=label).groupby("label")["flows"].sum()
    keep = sorted(busiest.sort_values(ascending=False, kind="mergesort").index[:max_rows])
    pos = {name: i for i, name in enumerate(keep)}
    shown = table.assign(label=label)[label.isin(pos)]
    for (action, direction), part in shown.groupby(["action", "direction"], sort=True):
        color = _ACTION_COLORS.get(str(action), "tab:gray")
        ax.scatter(
            part["time"], part["label"].map(pos), s=12 + 8 * np.sqrt(part["flows"]),
            c=color if direction == "out" else "none", edgecolors=color,
            label=f"{action} {direction}",
        )  # fmt: skip
    ax.set_yticks(range(len(keep)), keep)
    ax.set_xlabel("time (UTC)")
    ax.set_title(title or "activity")
    if len(shown):
        ax.legend(loc="upper left", fontsize="small", frameon=False)
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
    ax = _axes(ax, (10, 4))
    image = ax.imshow(grid.to_numpy(), aspect="auto", origin="lower", cmap="viridis",
                      interpolation="nearest")  # fmt: skip
    ax.figure.colorbar(image, ax=ax, label="connections")
    step_y = max(1, len(grid.index) // 20)
    ax.set_yticks(range(0, len(grid.index), step_y), [str(p) for p in grid.index[::step_y]])
    step_x = max(1, len(grid.columns) // 8)
    ax.set_xticks(range(0, len(grid.columns), step_x),
                  [pd.Timestamp(c).strftime("%H:%M") for c in grid.columns[::step_x]])  # fmt: skip
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel("port")
    ax.set_title(title or "ports probed over time")
    return ax


def plot_intervals(intervals: pd.Series, *, ax: Axes | None = None, bins: int = 40,
                   title: str | None = None) -> Axes:  # fmt: skip
    """Histogram of the seconds between connections (a beacon is one tall, narrow peak).

    Draws :func:`flowkit.detect.timeline.beacon_intervals`; a dashed line marks the median.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> ax = plot_intervals(pd.Series([300.0, 290.0, 310.0, 305.0]), bins=4)
    >>> len(ax.patches), float(ax.lines[0].get_xdata()[0])
    (4, 302.5)
    """
    ax = _axes(ax, (7, 3.5))
    values = intervals.dropna().to_numpy(dtype=float)
    ax.hist(values, bins=bins, color="tab:blue")
    if len(values):
        ax.axvline(float(np.median(values)), color="black", linestyle="--", label="median")
        ax.legend(frameon=False)
    ax.set_xlabel("seconds between connections")
    ax.set_ylabel("count")
    ax.set_title(title or "connection intervals")
    return ax


def plot_top(values: pd.Series, *, n: int = 10, ax: Axes | None = None,
             title: str | None = None, xlabel: str | None = None) -> Axes:  # fmt: skip
    """Horizontal bars of the ``n`` largest values of a series (largest on top).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> ax = plot_top(pd.Series({"a": 1, "b": 3, "c": 2}), n=2)
    >>> [float(p.get_width()) for p in ax.patches]
    [2.0, 3.0]
    """
    ax = _axes(ax, (7, 0.4 * min(n, len(values)) + 1))
    top = values.sort_values(ascending=False, kind="mergesort").head(n)[::-1]
    ax.barh([str(i) for i in top.index], top.to_numpy(dtype=float), color="tab:blue")
    ax.set_title(title or "")
    ax.set_xlabel(xlabel or (str(values.name) if values.name is not None else ""))
    return ax


# --- performance and cost (tables from flowkit.perf and flowkit.cost) ------------------------


def plot_throughput(
    table: pd.DataFrame,
    *,
    by: str | None = "interface_id",
    value: str = "bits_per_s",
    limit: float | None = None,
    top: int = 8,
    ax: Axes | None = None,
) -> Axes:
    """Throughput over time, one line per ``by`` value (the ``top`` busiest).

    Draws :func:`flowkit.perf.throughput`; ``value`` is a column of it (``bits_per_s``,
    ``packets_per_s``, ``flows``...); ``limit`` draws a bandwidth line.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> t = pd.DataFrame({"time": pd.to_datetime([0, 3600, 0], unit="s", utc=True),
    ...                   "interface_id": ["eni-a", "eni-a", "eni-b"], "bits_per_s": [8, 16, 4]})
    >>> ax = plot_throughput(t, limit=20)
    >>> [line.get_label() for line in ax.get_lines()][:2]
    ['eni-a', 'eni-b']
    """
    ax = _axes(ax, (10, 4))
    if by is None:
        ax.plot(table["time"], table[value], label=value)
    else:
        busiest = table.groupby(by, observed=True)[value].sum().sort_values(ascending=False)
        for key in busiest.index[:top]:
            part = table[table[by] == key].sort_values("time")
            ax.plot(part["time"], part[value], label=str(key), marker=".", linewidth=1)
    if limit is not None:
        ax.axhline(limit, color="tab:red", linestyle="--", label="limit")
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel(value.replace("_", " "))
    ax.legend(loc="upper left", fontsize="small", ncols=2)
    return ax


def plot_packet_sizes(sizes: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Bar chart of the packet-size distribution of :func:`flowkit.perf.packet_sizes`.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> ax = plot_packet_sizes(pd.DataFrame({"size": ["0-63", "64-127"], "packet_share": [.4, .6]}))
    >>> len(ax.patches)
    2
    """
    ax = _axes(ax, (7, 3.5))
    ax.bar(sizes["size"].astype(str), sizes["packet_share"], color="tab:blue")
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
    ax = _axes(ax, (10, 4))
    worst = rates.groupby(by, observed=True)["rejected"].sum().sort_values(ascending=False)
    for key in worst.index[:top]:
        part = rates[rates[by] == key].sort_values("time")
        ax.plot(part["time"], part["reject_rate"], label=str(key), linewidth=1)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel("rejected share of records")
    ax.legend(loc="upper left", fontsize="small", ncols=2)
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
    ax = _axes(ax, (8, 4))
    part = health.head(top).iloc[::-1]
    labels = [f"{p} {s}" if isinstance(s, str) else str(p)
              for p, s in zip(part["service_port"], part["service"], strict=True)]  # fmt: skip
    ax.barh(labels, part["answered"], color="tab:green", label="answered (SYN-ACK)")
    ax.barh(labels, part["unanswered"], left=part["answered"], color="tab:red",
            label="no SYN-ACK")  # fmt: skip
    ax.set_xlabel("connection attempts")
    ax.legend(loc="lower right", fontsize="small")
    return ax


def plot_hour_of_week(table: pd.DataFrame, *, ax: Axes | None = None, title: str = "flows") -> Axes:
    """Heatmap of :func:`flowkit.perf.hour_of_week` (weekday by UTC hour).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> grid = pd.DataFrame(np.arange(7 * 24).reshape(7, 24),
    ...                     index=["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
    >>> [t.get_text() for t in plot_hour_of_week(grid).get_yticklabels()][:2]
    ['Mon', 'Tue']
    """
    ax = _axes(ax, (10, 3.5))
    image = ax.imshow(table.to_numpy(), aspect="auto", cmap="viridis")
    ax.set_yticks(range(len(table.index)), [str(i) for i in table.index])
    ax.set_xticks(range(0, table.shape[1], 2), [str(c) for c in table.columns[::2]])
    ax.set_xlabel("hour (UTC)")
    ax.figure.colorbar(image, ax=ax, label=title)
    return ax


def plot_cost_by_dimension(cost: pd.DataFrame, *, value: str = "monthly_cost",
                           ax: Axes | None = None) -> Axes:  # fmt: skip
    """Horizontal bars of cost per dimension (:func:`flowkit.estimate_cost`), free ones hidden.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> c = pd.DataFrame({"dimension": ["inter_az", "nat_gateway", "intra_az"],
    ...                   "monthly_cost": [30.0, 7.0, 0.0]})
    >>> [t.get_text() for t in plot_cost_by_dimension(c).get_yticklabels()]
    ['nat_gateway', 'inter_az']
    """
    ax = _axes(ax, (7, 3))
    paid = cost[cost[value] > 0].groupby("dimension")[value].sum().sort_values()
    ax.barh([str(i) for i in paid.index], paid.to_numpy(), color="tab:orange")
    ax.set_xlabel(f"{value.replace('_', ' ')} (USD)")
    return ax


def plot_savings(savings: pd.DataFrame, *, top: int = 8, ax: Axes | None = None) -> Axes:
    """Horizontal bars of the estimated monthly savings of :func:`flowkit.recommend_savings`.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> s = pd.DataFrame({"kind": ["gateway_endpoint", "internet_egress"],
    ...                   "target": ["S3 through a NAT gateway", "203.0.113.5"],
    ...                   "monthly_savings": [7.5, float("nan")]})
    >>> [t.get_text() for t in plot_savings(s).get_yticklabels()]
    ['gateway_endpoint: S3 through a NAT gateway']
    """
    ax = _axes(ax, (9, 3.5))
    known = savings.dropna(subset=["monthly_savings"]).head(top).iloc[::-1]
    labels = [f"{k}: {t}" for k, t in zip(known["kind"], known["target"], strict=True)]
    ax.barh(labels, known["monthly_savings"], color="tab:green")
    ax.set_xlabel("estimated savings (USD per month)")
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
    >>> [t.get_text() for t in plot_coverage(cov, labels=pd.Series({"eni-1": "web-2"})).get_yticklabels()]
    ['web-2']
    """  # noqa: E501
    from matplotlib.colors import ListedColormap

    order = ["records", "nodata", "skipdata", "gap"]
    codes = pd.Categorical(cov["status"].astype(str), categories=order).codes
    grid = (
        pd.DataFrame({"eni": cov["interface_id"], "t": cov["window_start"], "c": codes})
        .pivot_table(index="eni", columns="t", values="c", aggfunc="max")
        .sort_index()
    )
    ax = _axes(ax, (10, 0.25 * len(grid.index) + 1.5))
    ax.imshow(grid.to_numpy(dtype=float), aspect="auto", interpolation="nearest",
              cmap=ListedColormap(list(_COVERAGE_COLORS)), vmin=-0.5, vmax=3.5)  # fmt: skip
    names = [str(labels.get(e, e)) if labels is not None else str(e) for e in grid.index]
    ax.set_yticks(range(len(names)), names)
    step = max(1, len(grid.columns) // 8)
    ticks = [pd.Timestamp(c).strftime("%m-%d %H:%M") for c in grid.columns[::step]]
    ax.set_xticks(range(0, len(grid.columns), step), ticks)
    ax.set_xlabel("time (UTC)")
    ax.set_title(title or "log coverage (green: records, pale: NODATA, orange: SKIPDATA, red: gap)")
    return ax
