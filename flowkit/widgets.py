"""Notebook widgets for investigations (the only module that imports ipywidgets).

Every widget is an ``ipywidgets.VBox`` that displays itself when left as a cell's last
expression, starts from sensible defaults (the whole period, the first finding, the default
thresholds), and exposes its state as plain values (:attr:`TimeWindow.window`,
:attr:`EntityPicker.value`, :attr:`ThresholdSliders.config`, :attr:`FindingsBrowser.selected`),
so a notebook runs top to bottom headless on those defaults.

Examples
--------
>>> import flowkit as fk
>>> from flowkit.widgets import ThresholdSliders
>>> sliders = ThresholdSliders()
>>> sliders.set_value("port_scan", "min_ports", 40)
>>> sliders.config.port_scan.min_ports
40
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import pandas as pd

from flowkit.detect.config import HuntConfig
from flowkit.times import utc
from flowkit.training import EXERCISES, Verdict, check_answer

__all__ = ["AnswerBox", "EntityPicker", "FindingsBrowser", "ThresholdSliders", "TimeWindow"]


class TimeWindow(w.VBox):  # type: ignore[misc]
    """Pick a time window (UTC) inside the records' period, in steps of ``step``.

    Parameters
    ----------
    df : DataFrame
        Records with ``start``/``end``; their period bounds the slider.
    start, end : str or Timestamp, optional
        Initial window (e.g. from the notebook's parameters); default the whole period.
    step : str
        Slider step, a pandas frequency (default one hour).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"start": pd.to_datetime([0, 7200], unit="s", utc=True),
    ...                    "end": pd.to_datetime([60, 7260], unit="s", utc=True)})
    >>> tw = TimeWindow(df, start="1970-01-01T01:00Z")
    >>> [str(t) for t in tw.window]
    ['1970-01-01 01:00:00+00:00', '1970-01-01 03:00:00+00:00']
    """

    def __init__(self, df: pd.DataFrame, *, start: Any = None, end: Any = None,
                 step: str = "1h") -> None:  # fmt: skip
        lo = utc(df["start"].min()).floor(step)
        hi = utc(df["end"].max()).ceil(step)
        if hi <= lo:
            hi = lo + pd.Timedelta(step)
        stops = list(pd.date_range(lo, hi, freq=step))
        labels = [(t.strftime("%m-%d %H:%M"), t) for t in stops]
        first = stops[0] if start is None else max(stops[0], utc(start).floor(step))
        last = stops[-1] if end is None else min(stops[-1], utc(end).ceil(step))
        self.slider = w.SelectionRangeSlider(
            options=labels, index=(stops.index(first), stops.index(last)),
            description="UTC window", layout=w.Layout(width="95%"),
        )  # fmt: skip
        super().__init__([self.slider])

    @property
    def window(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """The chosen window, ``(start, end)``, UTC."""
        a, b = self.slider.value
        return utc(a), utc(b)


class EntityPicker(w.VBox):  # type: ignore[misc]
    """Pick an address, ENI id, instance id or ENI name, with type-to-search.

    The options are every value of ``srcaddr``, ``dstaddr``, ``interface_id``,
    ``instance_id`` and (after enrichment) ``eni_name``; any typed value is accepted.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"srcaddr": ["10.0.1.5"], "dstaddr": ["8.8.8.8"],
    ...                    "interface_id": ["eni-a"]})
    >>> pick = EntityPicker(df, value="10.0.1.5")
    >>> pick.value, sorted(pick.box.options)
    ('10.0.1.5', ['10.0.1.5', '8.8.8.8', 'eni-a'])
    """

    def __init__(self, df: pd.DataFrame, *, value: str = "") -> None:
        names: set[str] = set()
        for col in ("srcaddr", "dstaddr", "interface_id", "instance_id", "eni_name"):
            if col in df.columns:
                names.update(str(x) for x in pd.unique(df[col].dropna()) if str(x) != "-")
        self.box = w.Combobox(
            options=sorted(names), value=value, placeholder="address, eni-..., i-..., name",
            description="entity", ensure_option=False,
        )  # fmt: skip
        super().__init__([self.box])

    @property
    def value(self) -> str:
        """The chosen entity (text as typed or picked)."""
        return str(self.box.value).strip()


class ThresholdSliders(w.VBox):  # type: ignore[misc]
    """One slider per numeric threshold of every detection, bound to a :class:`HuntConfig`.

    Parameters
    ----------
    config : HuntConfig, optional
        Starting values (default: the documented defaults).
    on_change : callable, optional
        Called with the new :class:`HuntConfig` whenever a slider moves.
    """

    def __init__(self, config: HuntConfig | None = None, *,
                 on_change: Callable[[HuntConfig], None] | None = None) -> None:  # fmt: skip
        self._base = config or HuntConfig()
        self._on_change = on_change
        self.sliders: dict[tuple[str, str], w.Widget] = {}
        panels, titles = [], []
        for name, values in self._base.to_dict().items():
            if name == "skip" or not values:
                continue
            rows = [s for k, v in values.items() if (s := self._slider(name, k, v)) is not None]
            if rows:
                panels.append(w.VBox(rows))
                titles.append(name)
        self.accordion = w.Accordion(children=panels, titles=tuple(titles))
        super().__init__([self.accordion])

    def _slider(self, detection: str, key: str, value: Any) -> w.Widget | None:
        style = {"description_width": "14em"}
        layout = w.Layout(width="40em")
        if isinstance(value, bool):
            s = w.Checkbox(value=value, description=key, style=style)
        elif isinstance(value, int):
            s = w.IntSlider(value=value, min=0 if value == 0 else 1, max=max(10, 4 * value),
                            description=key, style=style, layout=layout)  # fmt: skip
        elif isinstance(value, float):
            top = 1.0 if value <= 1.0 else 4 * value
            s = w.FloatSlider(value=value, min=0.0, max=top, step=top / 100, description=key,
                              style=style, layout=layout)  # fmt: skip
        else:
            return None
        s.observe(self._changed, names="value")
        self.sliders[(detection, key)] = s
        return s

    def _changed(self, _change: dict[str, Any]) -> None:
        if self._on_change is not None:
            self._on_change(self.config)

    def set_value(self, detection: str, threshold: str, value: Any) -> None:
        """Move one slider (as a user would)."""
        self.sliders[(detection, threshold)].value = value

    @property
    def config(self) -> HuntConfig:
        """The thresholds as the sliders show them."""
        data = self._base.to_dict()
        for (detection, key), s in self.sliders.items():
            data[detection][key] = s.value
        return HuntConfig.from_dict(data)


def _label(row: pd.Series) -> str:
    port = "" if pd.isna(row["dstport"]) else f":{row['dstport']}"
    when = row["first_seen"].strftime("%m-%d %H:%M")
    return (
        f"{row['severity']:<6} {row['finding']:<17} {row['actor']} -> {row['target']}{port}  {when}"
    )


class FindingsBrowser(w.VBox):  # type: ignore[misc]
    """A findings list you click to see a finding's summary, evidence and, given a plotter,
    its drill-down plot.

    Parameters
    ----------
    findings : DataFrame
        From :func:`flowkit.hunt`.
    drill : callable, optional
        Called with the selected finding (a Series) inside the output area, e.g. to draw
        :func:`flowkit.plots.plot_activity` of its actor.

    Examples
    --------
    >>> import flowkit as fk
    >>> found = fk.hunt(fk.parse_lines([
    ...     f"2 1 eni-a 198.18.0.7 10.0.1.5 40000 {p} 6 1 44 1700000000 1700000030 REJECT OK"
    ...     for p in range(1, 31)]))
    >>> browser = FindingsBrowser(found)
    >>> browser.selected["finding"], "probed 30 ports" in browser.detail.value
    ('port_scan', True)
    """

    def __init__(self, findings: pd.DataFrame, *,
                 drill: Callable[[pd.Series], None] | None = None) -> None:  # fmt: skip
        self.findings = findings.reset_index(drop=True)
        self._drill = drill
        options = [(_label(r), i) for i, r in self.findings.iterrows()]
        self.list = w.Select(
            options=options, value=0 if options else None, rows=min(12, max(3, len(options))),
            layout=w.Layout(width="95%"),
        )  # fmt: skip
        self.detail = w.HTML()
        self.output = w.Output()
        self.list.observe(lambda _c: self._show(), names="value")
        super().__init__([self.list, self.detail, self.output])
        self._show()

    @property
    def selected(self) -> pd.Series | None:
        """The selected finding (``None`` when there are none)."""
        if self.list.value is None:
            return None
        row: pd.Series = self.findings.iloc[int(self.list.value)]
        return row

    def select(self, index: int) -> None:
        """Select a finding by position (as a click would)."""
        self.list.value = index

    def _show(self) -> None:
        row = self.selected
        if row is None:
            self.detail.value = "<i>no findings</i>"
            return
        ev = json.dumps(row["evidence"], indent=1, default=str)
        self.detail.value = (
            f"<b>{html.escape(str(row['finding']))}</b> ({html.escape(str(row['severity']))}, "
            f"ATT&amp;CK {html.escape(str(row['attack']))}, GuardDuty "
            f"{html.escape(str(row['guardduty']))})<br>{html.escape(str(row['summary']))}"
            f"<pre>{html.escape(ev)}</pre>"
        )
        if self._drill is not None:
            self.output.clear_output(wait=True)
            with self.output:
                self._drill(row)


class AnswerBox(w.VBox):  # type: ignore[misc]
    """A training exercise's answer box: type an answer, press *check*, read the verdict.

    Parameters
    ----------
    exercise_id : str
        One of :data:`flowkit.training.EXERCISES`.
    truth : dict
        The estate's ground truth (:func:`flowkit.training.load_truth`).

    Examples
    --------
    >>> truth = {"incidents": [{"id": "INC-01", "kind": "port_scan", "actor": "198.51.100.7",
    ...     "targets": ["10.0.0.20"], "target_names": ["bastion-1"]}]}
    >>> box = AnswerBox("scanner", truth)
    >>> box.value = "198.51.100.8"
    >>> box.check().correct, "Not quite" in box.verdict_html.value
    (False, True)
    >>> box.value = " 198.51.100.7 "
    >>> box.check().correct, "Correct" in box.verdict_html.value
    (True, True)
    """

    def __init__(self, exercise_id: str, truth: dict[str, Any]) -> None:
        self.exercise_id = exercise_id
        self.truth = truth
        exercise = next((e for e in EXERCISES if e.id == exercise_id), None)
        if exercise is None:
            raise KeyError(f"unknown exercise {exercise_id!r}")
        self.text = w.Text(
            placeholder=exercise.answer_form, description="answer", layout=w.Layout(width="60%")
        )
        self.button = w.Button(description="check", button_style="primary")
        self.verdict_html = w.HTML("<i>type your answer and press check</i>")
        self.button.on_click(lambda _b: self.check())
        super().__init__([w.HBox([self.text, self.button]), self.verdict_html])

    @property
    def value(self) -> str:
        """The typed answer."""
        return str(self.text.value)

    @value.setter
    def value(self, answer: str) -> None:
        self.text.value = answer

    def check(self) -> Verdict:
        """Check the typed answer, show the verdict and return it."""
        verdict = check_answer(self.exercise_id, self.value, self.truth)
        head = "&#10004; Correct." if verdict.correct else "&#10008; Not quite."
        colour = "green" if verdict.correct else "firebrick"
        self.verdict_html.value = (
            f"<b style='color:{colour}'>{head}</b> {html.escape(verdict.explanation)}"
        )
        return verdict
