"""How every widget shows a result: plots as PNG images, tables as HTML, errors as text.

A widget's callback runs outside a cell (a click, a slider), where matplotlib's inline backend
never flushes figures; so a plot is rendered to PNG here, shown in the widget's ``Output`` and
its figure closed.  The PNG bytes are kept (``Shown.image``) so tests can compare what a click
changed.
"""

from __future__ import annotations

import html
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as w
import pandas as pd

from flowkit.display import readable
from flowkit.times import utc

__all__ = ["Shown", "clear", "html_table", "show_error", "show_plot", "show_table", "utc"]


@dataclass
class Shown:
    """The last thing an output area showed: PNG bytes of a plot, or HTML of a table."""

    image: bytes = b""
    html: str = ""
    error: str = ""
    history: list[str] = field(default_factory=list)


def _in_kernel() -> bool:
    """Whether a Jupyter kernel runs us (outside one, an ``Output`` cannot capture anything)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _put(output: w.Output, obj: Any) -> None:
    """Replace what ``output`` shows by ``obj`` (nothing to do outside a kernel)."""
    if not _in_kernel():
        return
    from IPython.display import display

    with output:
        output.clear_output(wait=True)
        display(obj)


def clear(output: w.Output) -> None:
    """Empty an output area."""
    if _in_kernel():
        output.clear_output()


def _png(figure: Any) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    figure.savefig(buf, format="png", dpi=90)
    plt.close(figure)
    return buf.getvalue()


def show_plot(output: w.Output, draw: Callable[[], Any], shown: Shown) -> None:
    """Run ``draw`` (returns axes or a figure), show the plot as a PNG in ``output``."""
    from IPython.display import Image

    try:
        result = draw()
    except Exception as exc:
        show_error(output, exc, shown)
        return
    if result is None:
        return
    shown.image = _png(getattr(result, "figure", result))
    shown.history.append("plot")
    _put(output, Image(data=shown.image, format="png"))


def html_table(table: pd.DataFrame, *, index: bool = False, max_rows: int = 15) -> str:
    """A table as HTML for reading (:func:`flowkit.display.readable`), at most ``max_rows``."""
    if not len(table):
        return "<p><i>none</i></p>"
    return str(readable(table.head(max_rows)).to_html(index=index, border=0, escape=True))


def show_table(output: w.Output, table: pd.DataFrame, shown: Shown, *, index: bool = False,
               max_rows: int = 15) -> None:  # fmt: skip
    """Show a table (human units, separators) in ``output``."""
    from IPython.display import HTML

    shown.html = html_table(table, index=index, max_rows=max_rows)
    shown.history.append("table")
    _put(output, HTML(shown.html))


def show_error(output: w.Output, exc: BaseException, shown: Shown) -> None:
    """Show what went wrong in the output area (a callback's exception is otherwise lost)."""
    from IPython.display import HTML

    shown.error = f"{type(exc).__name__}: {exc}"
    _put(output, HTML(f"<pre style='color:firebrick'>{html.escape(shown.error)}</pre>"))
