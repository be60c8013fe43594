"""Input widgets: a UTC time window, an entity picker, and the hunt's thresholds."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import pandas as pd

from flowkit.detect.config import DETECTIONS, HuntConfig
from flowkit.widgets.base import utc

__all__ = ["EntityPicker", "ThresholdSliders", "TimeWindow"]

Listener = Callable[[], None]


class TimeWindow(w.VBox):  # type: ignore[misc]
    """Pick a time window (UTC) inside the records' period, in steps of ``step``.

    The full window is written out under the slider (``2026-11-02 00:00 to 2026-11-04 00:00
    UTC, 48 h``); ``on_change`` is called when the handles are released.

    Parameters
    ----------
    df : DataFrame
        Records with ``start``/``end`` (or any table: ``period`` gives the bounds instead).
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
    >>> [str(t) for t in tw.window], tw.readout.value
    (['1970-01-01 01:00:00+00:00', '1970-01-01 03:00:00+00:00'], '1970-01-01 01:00 to 1970-01-01 03:00 UTC (2 h)')
    """  # noqa: E501

    def __init__(self, df: pd.DataFrame | None = None, *, start: Any = None, end: Any = None,
                 step: str = "1h", period: tuple[Any, Any] | None = None,
                 on_change: Listener | None = None) -> None:  # fmt: skip
        if period is None:
            if df is None:
                raise ValueError("TimeWindow needs records (df) or a period=(start, end)")
            period = (df["start"].min(), df["end"].max() if "end" in df.columns else None)
        lo = utc(period[0]).floor(step)
        hi = utc(period[1] if period[1] is not None else period[0]).ceil(step)
        if hi <= lo:
            hi = lo + pd.Timedelta(step)
        stops = list(pd.date_range(lo, hi, freq=step))
        first = stops[0] if start is None else min(max(stops[0], utc(start).floor(step)), hi)
        last = stops[-1] if end is None else max(min(stops[-1], utc(end).ceil(step)), first)
        self.slider = w.SelectionRangeSlider(
            options=[(t.strftime("%m-%d %H:%M"), t) for t in stops],
            index=(stops.index(first), stops.index(last)), description="UTC window",
            readout=False, continuous_update=False, layout=w.Layout(width="95%"),
        )  # fmt: skip
        self.readout = w.Label()
        self.slider.add_class("flowkit-window")
        self._listeners: list[Listener] = [on_change] if on_change else []
        self.slider.observe(self._moved, names="value")
        super().__init__([self.slider, self.readout])
        self._write()

    def _write(self) -> None:
        a, b = self.window
        hours = (b - a) / pd.Timedelta("1h")
        self.readout.value = f"{a:%Y-%m-%d %H:%M} to {b:%Y-%m-%d %H:%M} UTC ({hours:g} h)"

    def _moved(self, _change: dict[str, Any]) -> None:
        self._write()
        for listener in self._listeners:
            listener()

    def observe_window(self, listener: Listener) -> None:
        """Call ``listener()`` whenever the window changes."""
        self._listeners.append(listener)

    @property
    def window(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """The chosen window, ``(start, end)``, UTC."""
        a, b = self.slider.value
        return utc(a), utc(b)

    def set_window(self, start: Any, end: Any) -> None:
        """Move the handles to the stops nearest ``start`` and ``end`` (as a user would)."""
        stops = [utc(t) for _label, t in self.slider.options]
        a = min(range(len(stops)), key=lambda i: abs(stops[i] - utc(start)))
        b = min(range(len(stops)), key=lambda i: abs(stops[i] - utc(end)))
        self.slider.index = (min(a, b), max(a, b))


class EntityPicker(w.VBox):  # type: ignore[misc]
    """Pick an address, ENI id, instance id or ENI name, with type-to-search.

    The options are every value of ``srcaddr``, ``dstaddr``, ``interface_id``,
    ``instance_id`` and (after enrichment) ``eni_name``; any typed value is accepted (press
    Enter).  ``on_change`` is called with each new entity.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"srcaddr": ["10.0.1.5"], "dstaddr": ["8.8.8.8"],
    ...                    "interface_id": ["eni-a"]})
    >>> pick = EntityPicker(df, value="10.0.1.5")
    >>> pick.value, sorted(pick.box.options)
    ('10.0.1.5', ['10.0.1.5', '8.8.8.8', 'eni-a'])
    """

    def __init__(self, df: pd.DataFrame, *, value: str = "",
                 on_change: Listener | None = None) -> None:  # fmt: skip
        names: set[str] = set()
        for col in ("srcaddr", "dstaddr", "interface_id", "instance_id", "eni_name"):
            if col in df.columns:
                names.update(str(x) for x in pd.unique(df[col].dropna()) if str(x) != "-")
        self.box = w.Combobox(
            options=sorted(names), value=value, placeholder="address, eni-..., i-..., name",
            description="entity", ensure_option=False, continuous_update=False,
            layout=w.Layout(width="40em"),
        )  # fmt: skip
        self.box.add_class("flowkit-entity")
        self._listeners: list[Listener] = [on_change] if on_change else []
        self.box.observe(self._changed, names="value")
        super().__init__([self.box])

    def _changed(self, _change: dict[str, Any]) -> None:
        if self.value:
            for listener in self._listeners:
                listener()

    def observe_entity(self, listener: Listener) -> None:
        """Call ``listener()`` whenever another entity is picked."""
        self._listeners.append(listener)

    @property
    def value(self) -> str:
        """The chosen entity (text as typed or picked)."""
        return str(self.box.value).strip()


def _number_box(value: float, integer: bool, key: str) -> w.Widget:
    style = {"description_width": "16em"}
    cls = w.IntText if integer else w.FloatText
    return cls(value=value, description=key, style=style, layout=w.Layout(width="24em"),
               continuous_update=False)  # fmt: skip


class _Threshold:
    """One numeric threshold: a typed value (any value) and a slider to move it.

    Positive values above 1 get a logarithmic slider from a hundredth to a hundred times the
    default; fractions (at most 1) a linear one from 0 to 1.  A typed value outside the
    slider's range widens the range, so nothing typed is ever clipped.
    """

    def __init__(self, key: str, value: float, integer: bool) -> None:
        self.integer = integer
        self.box = _number_box(value, integer, key)
        if 0 < value <= 1 and not integer:
            self.slider = w.FloatSlider(value=value, min=0.0, max=1.0, step=0.01)
        else:
            center = math.log10(max(value, 1))
            self.slider = w.FloatLogSlider(value=max(value, 1), base=10, min=center - 2,
                                           max=center + 2, step=0.01)  # fmt: skip
        self.slider.readout = False
        self.slider.continuous_update = False
        self.slider.layout = w.Layout(width="22em")
        self._busy = False
        self.slider.observe(self._slid, names="value")
        self.box.observe(self._typed, names="value")
        self.widget = w.HBox([self.box, self.slider])

    def _slid(self, change: dict[str, Any]) -> None:
        if not self._busy:
            new = change["new"]
            self.box.value = round(new) if self.integer else round(float(new), 4)

    def _typed(self, change: dict[str, Any]) -> None:
        value = float(change["new"])
        self._busy = True
        try:
            if isinstance(self.slider, w.FloatLogSlider):
                if value > 0:
                    exp = math.log10(value)
                    if exp < self.slider.min:
                        self.slider.min = math.floor(exp)
                    if exp > self.slider.max:
                        self.slider.max = math.ceil(exp)
                    self.slider.value = value
            elif 0 <= value <= self.slider.max:
                self.slider.value = value
        finally:
            self._busy = False

    @property
    def value(self) -> Any:
        return self.box.value


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.replace(";", ",").split(",") if part.strip()]


class ThresholdSliders(w.VBox):  # type: ignore[misc]
    """Every threshold of every detection, bound to a :class:`HuntConfig`.

    Each numeric threshold is a typed value (any number, e.g. ``min_ports`` 900 or 5000) next
    to a slider (logarithmic for counts and sizes, linear for fractions); switches are
    checkboxes and port lists are typed.  ``on_change`` is called with the new
    :class:`HuntConfig` whenever a value is committed (a slider released, Enter pressed);
    an invalid value is shown in red and not applied.

    Parameters
    ----------
    config : HuntConfig, optional
        Starting values (default: the documented defaults).
    on_change : callable, optional
        Called with the new :class:`HuntConfig`.

    Examples
    --------
    >>> sliders = ThresholdSliders()
    >>> sliders.set_value("port_scan", "min_ports", 900)
    >>> sliders.config.port_scan.min_ports
    900
    >>> sliders.set_value("port_scan", "min_ports", -3)
    Traceback (most recent call last):
    ...
    ValueError: port_scan.min_ports must be a number >= 0, not -3
    """

    def __init__(self, config: HuntConfig | None = None, *,
                 on_change: Callable[[HuntConfig], None] | None = None) -> None:  # fmt: skip
        self._base = config or HuntConfig()
        self._on_change = on_change
        self.controls: dict[tuple[str, str], Any] = {}
        self.status = w.HTML()
        panels, titles = [], []
        for name in DETECTIONS:  # the thresholds only (not `skip` nor the `allow` lists)
            values = self._base.thresholds(name)
            if not values:
                continue
            rows = [self._control(name, k, v) for k, v in values.items()]
            panels.append(w.VBox([r for r in rows if r is not None]))
            titles.append(name)
        self.accordion = w.Accordion(children=panels, titles=tuple(titles))
        self.accordion.add_class("flowkit-thresholds")
        super().__init__([self.accordion, self.status])

    def _control(self, detection: str, key: str, value: Any) -> w.Widget | None:
        if isinstance(value, bool):
            ctl: Any = w.Checkbox(value=value, description=key, style={"description_width": "16em"})
            ctl.observe(self._changed, names="value")
            self.controls[(detection, key)] = ctl
            return ctl
        if isinstance(value, int | float):
            num = _Threshold(key, value, isinstance(value, int))
            num.box.observe(self._changed, names="value")
            self.controls[(detection, key)] = num
            return num.widget
        if isinstance(value, list | tuple) and all(isinstance(v, int) for v in value):
            text = w.Text(value=", ".join(str(v) for v in value), description=key,
                          continuous_update=False, style={"description_width": "16em"},
                          layout=w.Layout(width="30em"))  # fmt: skip
            text.observe(self._changed, names="value")
            self.controls[(detection, key)] = text
            return text
        return None

    @property
    def sliders(self) -> dict[tuple[str, str], Any]:
        """The slider of each numeric threshold, by ``(detection, threshold)``."""
        return {k: c.slider for k, c in self.controls.items() if isinstance(c, _Threshold)}

    def _changed(self, _change: dict[str, Any]) -> None:
        try:
            config = self.config
        except (TypeError, ValueError) as exc:
            self.status.value = f"<span style='color:firebrick'>not applied: {exc}</span>"
            return
        self.status.value = ""
        if self._on_change is not None:
            self._on_change(config)

    def set_value(self, detection: str, threshold: str, value: Any) -> None:
        """Set one threshold (as a user typing it would); any value the detection accepts.

        Raises
        ------
        KeyError
            For a detection or threshold that has no control (the message lists them).
        ValueError
            For a value of the wrong kind, or a negative number.
        """
        ctl = self.controls.get((detection, threshold))
        if ctl is None:
            known = ", ".join(f"{d}.{k}" for d, k in self.controls)
            raise KeyError(f"no threshold {detection}.{threshold}; known: {known}")
        where = f"{detection}.{threshold}"
        if isinstance(ctl, _Threshold):
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{where} must be a number >= 0, not {value!r}")
            if ctl.integer and float(value) != int(value):
                raise ValueError(f"{where} must be a whole number, not {value!r}")
            ctl.box.value = int(value) if ctl.integer else float(value)
        elif isinstance(ctl, w.Checkbox):
            if not isinstance(value, bool):
                raise ValueError(f"{where} must be True or False, not {value!r}")
            ctl.value = value
        else:
            ctl.value = ", ".join(str(int(v)) for v in value)
        if self._read(detection, threshold) != value and not isinstance(value, list | tuple):
            raise ValueError(f"{where} could not be set to {value!r}")

    def _read(self, detection: str, key: str) -> Any:
        ctl = self.controls[(detection, key)]
        if isinstance(ctl, _Threshold):
            return ctl.value
        if isinstance(ctl, w.Text):
            return _ints(ctl.value)
        return ctl.value

    @property
    def config(self) -> HuntConfig:
        """The thresholds as the controls show them."""
        data = self._base.to_dict()
        for (detection, key), _ctl in self.controls.items():
            data[detection][key] = self._read(detection, key)
        for (detection, key), ctl in self.controls.items():
            value = data[detection][key]
            if isinstance(ctl, _Threshold) and value < 0:
                raise ValueError(f"{detection}.{key} must be >= 0, not {value}")
        return HuntConfig.from_dict(data)
