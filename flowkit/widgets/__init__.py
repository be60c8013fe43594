"""Notebook widgets for investigations (the only package that imports ipywidgets).

Every widget is an ``ipywidgets.VBox`` that displays itself when left as a cell's last
expression, starts from sensible defaults (the whole period, the first finding, the default
thresholds), and drives something visible live, in JupyterLab and in Voila dashboards, with
no cell re-run: the widgets collect input and call library functions
(:mod:`flowkit.explore`, :func:`flowkit.hunt`, :mod:`flowkit.cost.whatif`), then redraw.

* :class:`HuntExplorer`: thresholds -> the hunt re-runs -> the findings list refreshes; a
  click on a finding replaces its drill-down plot (:class:`FindingsBrowser`).
* :class:`TimelineExplorer`: an entity and a time window -> its timeline, peers, evidence.
* :class:`ThroughputExplorer`: an interface and a window -> its throughput, scaled to both.
* :class:`PriceWhatIf`, :class:`SavingsPicker`: the monthly bill at other prices, or after
  chosen savings, in USD.
* :class:`AnswerBox`: a training answer, checked; a hint when wrong.

Their state is plain values (:attr:`TimeWindow.window`, :attr:`EntityPicker.value`,
:attr:`ThresholdSliders.config`, :attr:`FindingsBrowser.selected`), so a notebook runs top to
bottom headless on the defaults; plots are kept as PNG bytes (``.image``) to compare.

Examples
--------
>>> from flowkit.widgets import ThresholdSliders
>>> sliders = ThresholdSliders()
>>> sliders.set_value("port_scan", "min_ports", 4000)
>>> sliders.config.port_scan.min_ports
4000
"""

from __future__ import annotations

from flowkit.widgets.controls import EntityPicker, ThresholdSliders, TimeWindow
from flowkit.widgets.cost import PriceWhatIf, SavingsPicker
from flowkit.widgets.explorers import ThroughputExplorer, TimelineExplorer
from flowkit.widgets.findings import FindingsBrowser, HuntExplorer
from flowkit.widgets.training import AnswerBox

__all__ = [
    "AnswerBox",
    "EntityPicker",
    "FindingsBrowser",
    "HuntExplorer",
    "PriceWhatIf",
    "SavingsPicker",
    "ThresholdSliders",
    "ThroughputExplorer",
    "TimeWindow",
    "TimelineExplorer",
]
