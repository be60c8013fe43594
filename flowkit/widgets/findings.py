"""The security hunt, live: a findings list with its drill-down plot, re-run as thresholds move."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as w
import pandas as pd

from flowkit import plots
from flowkit.detect import hunt
from flowkit.detect.config import HuntConfig
from flowkit.detect.frame import SEVERITIES
from flowkit.detect.view import View, build_view
from flowkit.evidence import judge_evidence
from flowkit.explore import drill_down
from flowkit.naming import name_and_address
from flowkit.perf.frames import address_names
from flowkit.widgets.base import Shown, clear, show_plot
from flowkit.widgets.controls import ThresholdSliders

__all__ = ["FindingsBrowser", "HuntExplorer"]


def _label(row: pd.Series, names: Mapping[str, str]) -> str:
    port = "" if pd.isna(row["dstport"]) else f":{int(row['dstport'])}"
    when = row["first_seen"].strftime("%m-%d %H:%M")
    who = (
        f"{name_and_address(row['actor'], names)} -> {name_and_address(row['target'], names)}{port}"
    )
    return f"{row['severity']:<6} {row['finding']:<17} {who}  {when}"


def _key(row: pd.Series) -> tuple[str, ...]:
    return tuple(str(row[c]) for c in ("finding", "actor", "target", "dstport"))


class FindingsBrowser(w.VBox):  # type: ignore[misc]
    """A findings list you click to see a finding's summary, evidence and drill-down plot.

    Parameters
    ----------
    findings : DataFrame
        From :func:`flowkit.hunt`.
    drill : callable, optional
        Called with the selected finding (a Series); returns the axes (or figure) of its plot,
        e.g. ``lambda row: plots.plot_drill_down(explore.drill_down(df, row))``.  A drill that
        draws with pyplot and returns nothing works too.  Each click replaces the plot.
    names : mapping, optional
        Address -> name (inventory names, AWS services), shown beside addresses.

    Examples
    --------
    >>> import flowkit as fk
    >>> found = fk.hunt(fk.parse_lines([
    ...     f"2 1 eni-a 198.18.0.7 10.0.1.5 40000 {p} 6 1 44 1700000000 1700000030 REJECT OK"
    ...     for p in range(1, 151)]))
    >>> browser = FindingsBrowser(found)
    >>> browser.selected["finding"], "probed 150 ports" in browser.detail.value
    ('port_scan', True)
    >>> browser.update(found.iloc[1:])
    >>> browser.selected["finding"], len(browser.list.options)
    ('rejected_burst', 1)
    """

    def __init__(self, findings: pd.DataFrame, *, drill: Callable[[pd.Series], Any] | None = None,
                 names: Mapping[str, str] | None = None) -> None:  # fmt: skip
        self._drill = drill
        self.names = dict(names or {})
        self.shown = Shown()
        self.findings = findings.iloc[0:0]
        self.list = w.Select(options=[], rows=8, layout=w.Layout(width="98%"))
        self.list.add_class("flowkit-findings")
        self.detail = w.HTML()
        self.output = w.Output()
        self.output.add_class("flowkit-drill")
        self._updating = False
        self.list.observe(self._clicked, names="value")
        super().__init__([self.list, self.detail, self.output])
        self.update(findings)

    @property
    def image(self) -> bytes:
        """PNG bytes of the drill-down plot shown now (empty before any plot)."""
        return self.shown.image

    @property
    def selected(self) -> pd.Series | None:
        """The selected finding (``None`` when there are none)."""
        if self.list.value is None or not len(self.findings):
            return None
        row: pd.Series = self.findings.iloc[int(self.list.value)]
        return row

    def select(self, index: int) -> None:
        """Select a finding by position (as a click would)."""
        self.list.value = index

    def update(self, findings: pd.DataFrame) -> None:
        """Show another findings table, keeping the selected finding when it is still there."""
        before = self.selected
        self.findings = findings.reset_index(drop=True)
        keys = [_key(r) for _i, r in self.findings.iterrows()]
        keep = keys.index(_key(before)) if before is not None and _key(before) in keys else 0
        self._updating = True
        try:
            self.list.options = [(_label(r, self.names), i) for i, r in self.findings.iterrows()]
            self.list.rows = min(12, max(3, len(keys)))
            self.list.value = keep if keys else None
        finally:
            self._updating = False
        self._show()

    def _clicked(self, _change: dict[str, Any]) -> None:
        if not self._updating:
            self._show()

    def _show(self) -> None:
        row = self.selected
        if row is None:
            self.detail.value = "<i>no findings with these thresholds</i>"
            clear(self.output)
            self.shown.image = b""
            return
        ev = json.dumps(row["evidence"], indent=1, default=str)
        self.detail.value = (
            f"<b>{html.escape(str(row['finding']))}</b> ({html.escape(str(row['severity']))}, "
            f"ATT&amp;CK {html.escape(str(row['attack']))}, GuardDuty "
            f"{html.escape(str(row['guardduty']))})<br>{html.escape(str(row['summary']))}"
            f"<details><summary>evidence</summary><pre>{html.escape(ev)}</pre></details>"
        )
        if self._drill is not None:
            drill = self._drill
            show_plot(self.output, lambda: _figure_of(drill, row), self.shown)


def _figure_of(drill: Callable[[pd.Series], Any], row: pd.Series) -> Any:
    """The figure a drill function made: the one it returns, or the one it drew with pyplot."""
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    result = drill(row)
    if result is not None:
        return result
    new = sorted(set(plt.get_fignums()) - before)
    return plt.figure(new[-1]) if new else None


class HuntExplorer(w.VBox):  # type: ignore[misc]
    """The hunt, live: thresholds, the findings they give, and a drill-down plot per finding.

    Moving a threshold (slider released or value typed) re-runs :func:`flowkit.hunt` on the
    detections' view (built once) and refreshes the list; clicking a finding replaces its
    drill-down plot (:func:`flowkit.explore.drill_down`).  Works the same in JupyterLab and
    in a Voila dashboard.

    Parameters
    ----------
    df : DataFrame or View
        Flow records (enriched with an inventory for names) or their view.
    config : HuntConfig, dict or path, optional
        Starting thresholds.
    threat_list : path or iterable of str, optional
        As for :func:`flowkit.hunt`.

    Examples
    --------
    >>> import flowkit as fk
    >>> df = fk.parse_lines([
    ...     f"2 1 eni-a 198.18.0.7 10.0.1.5 40000 {p} 6 1 44 1700000000 1700000030 REJECT OK"
    ...     for p in range(1, 151)])
    >>> explorer = HuntExplorer(df)
    >>> explorer.findings["finding"].tolist()
    ['port_scan', 'rejected_burst']
    >>> explorer.sliders.set_value("port_scan", "min_ports", 400)
    >>> explorer.findings["finding"].tolist(), explorer.status.value
    (['rejected_burst'], '<b>1</b> finding with these thresholds: 1 medium')
    """

    def __init__(
        self, df: pd.DataFrame | View, config: HuntConfig | None = None, *,
        threat_list: Any = None, names: Mapping[str, str] | None = None,
    ) -> None:  # fmt: skip
        self.view = df if isinstance(df, View) else build_view(df)
        if names is None:
            names = address_names(df) if isinstance(df, pd.DataFrame) else {}
        self.threat_list = threat_list
        self.names = dict(names)
        self.evidence = judge_evidence(df) if isinstance(df, pd.DataFrame) else None
        self.status = w.HTML()
        self.status.add_class("flowkit-hunt-status")
        self.sliders = ThresholdSliders(config, on_change=self._rehunt)
        self.browser = FindingsBrowser(self._hunt(self.sliders.config), drill=self._drill,
                                       names=names)  # fmt: skip
        head = w.HTML("<b>Thresholds</b> (open a detection; type any value or move a slider)")
        super().__init__([head, self.sliders, self.status, self.browser])

    @property
    def findings(self) -> pd.DataFrame:
        """The findings shown now."""
        return self.browser.findings

    def _hunt(self, config: HuntConfig) -> pd.DataFrame:
        found = hunt(self.view, config, threat_list=self.threat_list)
        counts = found["severity"].astype(str).value_counts()
        parts = [f"{counts[s]} {s}" for s in reversed(SEVERITIES) if s in counts]
        noun = "finding" if len(found) == 1 else "findings"
        self.status.value = f"<b>{len(found)}</b> {noun} with these thresholds" + (
            f": {', '.join(parts)}" if parts else ""
        )
        if self.evidence is not None and not self.evidence.ok:
            # "nothing found" only when something was read
            self.status.value = f"<b>No evidence to hunt</b>: {html.escape(self.evidence.message)}"
        return found

    def _rehunt(self, config: HuntConfig) -> None:
        self.browser.update(self._hunt(config))

    def _drill(self, row: pd.Series) -> Any:
        return plots.plot_drill_down(drill_down(self.view, row), names=self.names)
