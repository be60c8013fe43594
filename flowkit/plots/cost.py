"""Plots of the cost tables (:func:`flowkit.estimate_cost`, :func:`flowkit.recommend_savings`)."""

from __future__ import annotations

import textwrap

import pandas as pd
from matplotlib.axes import Axes

from flowkit.plots.axes import label, log_if_skewed, new_axes, unit_axis, value_labels

__all__ = ["plot_cost_by_dimension", "plot_savings"]


def plot_cost_by_dimension(cost: pd.DataFrame, *, value: str = "monthly_cost",
                           ax: Axes | None = None) -> Axes:  # fmt: skip
    """Horizontal bars of cost per dimension (:func:`flowkit.estimate_cost`), free ones hidden.

    Each bar is labelled with its amount in USD.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> c = pd.DataFrame({"dimension": ["inter_az", "nat_gateway", "intra_az"],
    ...                   "monthly_cost": [30.0, 7.0, 0.0]})
    >>> ax = plot_cost_by_dimension(c)
    >>> [t.get_text() for t in ax.get_yticklabels()], [t.get_text() for t in ax.texts]
    (['nat_gateway', 'inter_az'], ['$7.00', '$30.00'])
    """
    ax = new_axes(ax, (7, 3))
    paid = cost[cost[value] > 0].groupby("dimension")[value].sum().sort_values()
    ax.barh([label(i) for i in paid.index], paid.to_numpy(), color="tab:orange")
    if log_if_skewed(ax, paid.to_numpy(), "x"):
        ax.set_xlim(left=float(paid.min()) / 3)
    unit_axis(ax.xaxis, "usd")
    value_labels(ax, paid.to_numpy(), "usd")
    ax.set_xlabel(value.replace("_", " ") + " (USD)")
    return ax


def plot_savings(savings: pd.DataFrame, *, top: int = 8, ax: Axes | None = None) -> Axes:
    """Horizontal bars of the estimated monthly savings of :func:`flowkit.recommend_savings`.

    Each bar is labelled with its amount in USD; long targets wrap over two lines.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> s = pd.DataFrame({"kind": ["gateway_endpoint", "internet_egress"],
    ...                   "target": ["S3 through a NAT gateway", "203.0.113.5"],
    ...                   "monthly_savings": [7.5, float("nan")]})
    >>> [t.get_text() for t in plot_savings(s).get_yticklabels()]
    ['gateway_endpoint:\\nS3 through a NAT gateway']
    """
    ax = new_axes(ax, (9, 3.5))
    known = savings.dropna(subset=["monthly_savings"]).head(top).iloc[::-1]
    names = [label(f"{k}:\n" + textwrap.fill(str(t), width=40))
             for k, t in zip(known["kind"], known["target"], strict=True)]  # fmt: skip
    amounts = known["monthly_savings"].to_numpy(dtype=float)
    ax.barh(names, amounts, color="tab:green")
    unit_axis(ax.xaxis, "usd")
    value_labels(ax, amounts, "usd")
    ax.set_xlabel("estimated savings (USD per month)")
    return ax
