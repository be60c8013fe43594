"""What every flowkit plot shares: safe labels, human-unit axes, legends outside, log scales.

* :func:`label` is the one place where text that comes from data (addresses, ENI ids, Name
  tags, actions, services, titles built from them) is made safe for matplotlib: a ``$`` would
  otherwise start mathtext, and ``$\\foo$`` raises when the figure is drawn.
* :func:`unit_axis` puts human units on an axis (kB/MB/GB, bit/s/Mbit/s, USD, counts with k/M,
  shares in %) from :mod:`flowkit.units`: no scientific offsets such as ``1e9``.
* :func:`legend_outside` puts the legend to the right of the data, never over it.
* :func:`log_if_skewed` switches an axis to a log scale when one value dwarfs the rest.

Examples
--------
>>> print(label("name $x$"))
name \\$x\\$
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from flowkit import units
from flowkit.naming import name_and_address
from flowkit.times import utc

__all__ = ["SKEW", "label", "labels", "legend_outside", "log_if_skewed", "new_axes", "unit_axis"]

#: A bar or line axis goes logarithmic when its largest positive value is this many times its
#: smallest: below that, a linear axis shows every value.
SKEW = 100.0

_FORMATS: dict[str, Callable[[Any], str]] = {
    "bytes": units.human_bytes,
    "bits_per_s": units.human_bits_per_s,
    "usd": lambda v: units.usd(v, digits=2 if abs(float(v)) < 100 else 0),
    "count": units.human_count,
    "share": lambda v: f"{100 * float(v):.0f} %",
    "seconds": lambda v: f"{float(v):g} s",
}


def label(text: Any) -> str:
    """Text from data made safe for matplotlib: every ``$`` escaped (no mathtext).

    Examples
    --------
    >>> print(label("eni-$x$"), label(443))
    eni-\\$x\\$ 443
    """
    return str(text).replace("$", r"\$")


def labels(values: Iterable[Any], names: Mapping[str, str] | None = None) -> list[str]:
    """Safe labels for values, ``name (value)`` where ``names`` knows one.

    Examples
    --------
    >>> labels(["10.0.0.20", "8.8.8.8"], {"10.0.0.20": "bastion-1"})
    ['bastion-1 (10.0.0.20)', '8.8.8.8']
    """
    return [label(name_and_address(value, names or {})) for value in values]


def new_axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    """``ax``, or the axes of a new constrained-layout figure of ``size`` inches."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, made = plt.subplots(figsize=size, layout="constrained")
    return made  # type: ignore[no-any-return]


def unit_axis(axis: Axis, unit: str) -> None:
    """Human units on an axis: ``bytes``, ``bits_per_s``, ``usd``, ``count``, ``share``,
    ``seconds`` (log axes keep ticks at powers of ten, labelled in the same units)."""
    fmt = _FORMATS[unit]
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt(v)))
    if axis.get_scale() == "log":
        axis.set_major_locator(LogLocator(base=10))
        axis.set_minor_formatter(NullFormatter())


def log_if_skewed(ax: Axes, values: Any, which: str = "x") -> bool:
    """Use a log scale on ``which`` axis when the positive values span more than :data:`SKEW`.

    Returns whether the scale became logarithmic.
    """
    data = pd.to_numeric(pd.Series(np.asarray(values, dtype=object)), errors="coerce")
    positive = data[data > 0]
    if len(positive) < 2 or positive.max() < SKEW * positive.min():
        return False
    (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    return True


def legend_outside(ax: Axes, title: str | None = None) -> None:
    """The legend to the right of the axes (outside the data), if anything is labelled."""
    handles, texts = ax.get_legend_handles_labels()
    if not handles:
        return
    ax.legend(handles, texts, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0,
              frameon=False, fontsize="small", title=title)  # fmt: skip


def time_limits(ax: Axes, times: pd.Series, window: tuple[Any, Any] | None, pad: str) -> None:
    """x limits: the chosen ``window``, else the data's span and a 3 % margin (``pad`` each side
    of a single instant, so one point never stretches the axis over years)."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    if window is not None:
        lo, hi = (pd.Timestamp(t) for t in window)
    elif len(times):
        lo, hi = pd.Timestamp(times.min()), pd.Timestamp(times.max())
        margin = (hi - lo) * 0.03 if hi > lo else pd.Timedelta(pad)
        lo, hi = lo - margin, hi + margin
    else:
        return
    ax.set_xlim(_utc(lo), _utc(hi))
    locator = AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def _utc(t: pd.Timestamp) -> Any:
    return utc(t).to_pydatetime()


def value_labels(ax: Axes, values: Iterable[float], unit: str) -> None:
    """Write each horizontal bar's value at its end, in human units."""
    fmt = _FORMATS[unit]
    from matplotlib.patches import Rectangle

    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    for bar, value in zip(bars, values, strict=False):
        where = (bar.get_x() + bar.get_width(), bar.get_y() + bar.get_height() / 2)
        ax.annotate(fmt(value), where, xytext=(3, 0), textcoords="offset points", va="center",
                    fontsize="small")  # fmt: skip
