"""Widgets start on defaults (headless), turn user actions into plain values, and redraw live.

Each test drives a widget as a user would (a slider, a typed value, a click, a pick) and checks
that what it shows changed: the findings list, the PNG bytes of its plot, its tables.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import flowkit as fk
from flowkit import plots
from flowkit.detect import HuntConfig
from flowkit.widgets import (
    EntityPicker,
    FindingsBrowser,
    HuntExplorer,
    PriceWhatIf,
    SavingsPicker,
    ThresholdSliders,
    ThroughputExplorer,
    TimelineExplorer,
    TimeWindow,
)

SCAN = [f"2 1 eni-a 198.18.0.7 10.0.1.5 40000 {p} 6 1 44 {1700000000 + 2 * p} "
        f"{1700000005 + 2 * p} REJECT OK" for p in range(1, 151)]  # fmt: skip
BEACON = [f"2 1 eni-b 10.0.2.9 80.66.88.207 {41000 + i} 443 6 6 900 {1700000000 + 300 * i} "
          f"{1700000002 + 300 * i} ACCEPT OK" for i in range(60)]  # fmt: skip


@pytest.fixture(autouse=True)
def _close() -> None:
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    return fk.parse_lines(SCAN + BEACON)


def test_time_window_defaults_to_the_whole_period_and_moves() -> None:
    df = fk.parse_lines(SCAN)
    moved: list[int] = []
    tw = TimeWindow(df, step="5min", on_change=lambda: moved.append(1))
    start, end = tw.window
    assert start <= df["start"].min()
    assert end >= df["end"].max()
    assert str(start.tz) == "UTC"
    tw.slider.index = (1, 2)
    assert tw.window[1] - tw.window[0] == pd.Timedelta("5min")
    assert moved == [1]
    assert tw.readout.value.endswith("UTC (0.0833333 h)")
    assert tw.slider.readout is False  # the full window is written out instead (never cut)


def test_entity_picker_lists_addresses_and_enis() -> None:
    picked: list[str] = []
    pick = EntityPicker(fk.parse_lines(SCAN))
    pick.observe_entity(lambda: picked.append(pick.value))
    assert {"198.18.0.7", "10.0.1.5", "eni-a"} <= set(pick.box.options)
    assert pick.value == ""
    pick.box.value = " eni-a "
    assert pick.value == "eni-a"
    assert picked == ["eni-a"]


def test_sliders_build_a_config_and_notify() -> None:
    seen: list[HuntConfig] = []
    sliders = ThresholdSliders(on_change=seen.append)
    assert sliders.config == HuntConfig()
    sliders.set_value("port_scan", "min_ports", 30)  # the slider reaches 4x the default (10)
    sliders.set_value("beaconing", "min_regularity", 0.9)
    cfg = sliders.config
    assert cfg.port_scan.min_ports == 30
    assert cfg.beaconing.min_regularity == 0.9
    assert seen[-1] == cfg
    found = fk.hunt(fk.parse_lines(SCAN), cfg)
    assert found.loc[found["finding"] == "port_scan", "evidence"].iloc[0]["min_ports"] == 30


def test_thresholds_go_far_beyond_four_times_the_default() -> None:
    sliders = ThresholdSliders()
    slider = sliders.sliders[("port_scan", "min_ports")]
    assert slider.max >= np.log10(100 * HuntConfig().port_scan.min_ports) - 1e-9  # log scale
    sliders.set_value("port_scan", "min_ports", 900)
    assert sliders.config.port_scan.min_ports == 900
    sliders.set_value("port_scan", "min_ports", 250_000)  # beyond the slider: it widens
    assert sliders.config.port_scan.min_ports == 250_000
    assert 10**slider.max >= 250_000
    slider.value = 50.0  # moving the slider sets the typed value (an integer)
    assert sliders.config.port_scan.min_ports == 50


def test_setting_a_threshold_never_silently_does_nothing() -> None:
    sliders = ThresholdSliders()
    with pytest.raises(KeyError, match=r"port_scan\.min_ports"):
        sliders.set_value("port_scan", "min_portz", 5)
    with pytest.raises(ValueError, match=">= 0"):
        sliders.set_value("port_scan", "min_ports", -1)
    with pytest.raises(ValueError, match="whole number"):
        sliders.set_value("port_scan", "min_ports", 2.5)
    sliders.set_value("lateral_movement", "ports", [22, 3389])
    assert list(sliders.config.lateral_movement.ports) == [22, 3389]


def test_an_invalid_typed_value_is_shown_not_applied() -> None:
    seen: list[HuntConfig] = []
    sliders = ThresholdSliders(on_change=seen.append)
    sliders.controls[("port_scan", "min_ports")].box.value = -5
    assert seen == []
    assert "not applied" in sliders.status.value


def _drill(df: pd.DataFrame):
    return lambda row: plots.plot_drill_down(fk.explore.drill_down(df, row))


def test_findings_browser_replaces_the_drill_plot_on_each_click(records: pd.DataFrame) -> None:
    found = fk.hunt(records)
    assert {"port_scan", "beaconing"} <= set(found["finding"])
    browser = FindingsBrowser(found, drill=_drill(records))
    assert browser.selected["finding"] == "beaconing"  # high first
    first = browser.image
    assert first.startswith(b"\x89PNG")
    browser.select(int(np.flatnonzero(found["finding"] == "port_scan")[0]))
    assert browser.selected["finding"] == "port_scan"
    assert "port_scan" in browser.detail.value
    assert browser.image.startswith(b"\x89PNG")
    assert browser.image != first
    assert plt.get_fignums() == []  # each figure shown once, then closed


def test_findings_browser_accepts_a_drill_that_only_draws(records: pd.DataFrame) -> None:
    found = fk.hunt(records)
    drew: list[str] = []

    def drill(row: pd.Series) -> None:
        drew.append(row["finding"])
        plots.plot_top(pd.Series({"a": 1, "b": 2}), title=str(row["actor"]))

    browser = FindingsBrowser(found, drill=drill)
    browser.select(1)
    assert drew == [found["finding"].iloc[0], found["finding"].iloc[1]]
    assert browser.image.startswith(b"\x89PNG")
    empty = FindingsBrowser(found.iloc[0:0])
    assert empty.selected is None
    assert "no findings" in empty.detail.value


def test_hunt_explorer_reruns_the_hunt_when_a_threshold_moves(records: pd.DataFrame) -> None:
    explorer = HuntExplorer(records)
    assert explorer.browser.shown.error == ""
    assert explorer.browser.image.startswith(b"\x89PNG")  # the first finding's drill-down
    first = explorer.browser.image
    explorer.browser.select(1)
    assert explorer.browser.image != first
    before = explorer.browser.list.options
    assert "port_scan" in explorer.findings["finding"].tolist()
    explorer.sliders.set_value("port_scan", "min_ports", 900)
    assert "port_scan" not in explorer.findings["finding"].tolist()
    assert explorer.browser.list.options != before
    assert explorer.status.value.startswith(f"<b>{len(explorer.findings)}</b>")
    explorer.sliders.set_value("port_scan", "min_ports", 20)
    assert "port_scan" in explorer.findings["finding"].tolist()


def test_hunt_explorer_says_nothing_was_read_instead_of_no_findings(tmp_path: Path) -> None:
    (tmp_path / "notes.log").write_text("just some prose\nand more prose\n")
    with pytest.warns(fk.FlowkitWarning):
        df = fk.read(tmp_path, progress=False)
    explorer = HuntExplorer(df)
    assert explorer.findings.empty
    assert "No evidence to hunt" in explorer.status.value
    assert "findings with these thresholds" not in explorer.status.value


def test_timeline_explorer_redraws_for_another_entity_and_window(records: pd.DataFrame) -> None:
    ex = TimelineExplorer(records, "10.0.2.9")
    assert ex.tables is not None
    assert all(shown.error == "" for shown in ex.shown.values())
    assert ex.tables.peers["peer"].tolist() == ["80.66.88.207"]
    first, connections = ex.image, len(ex.tables.events)
    assert connections == 60
    ex.picker.box.value = "198.18.0.7"
    assert ex.tables.addresses == ["198.18.0.7"]
    assert ex.tables.peers["peer"].tolist() == ["10.0.1.5"]
    assert ex.image != first
    ex.picker.box.value = "10.0.2.9"
    ex.window.set_window("2023-11-14T22:00Z", "2023-11-14T23:00Z")
    assert 0 < len(ex.tables.events) < connections
    assert ex.tables.window == ex.window.window
    assert "connections" in ex.summary.value


def test_throughput_explorer_scales_to_the_window() -> None:
    t = pd.DataFrame({"time": pd.date_range("2026-11-02", periods=48, freq="1h", tz="UTC"),
                      "eni_name": ["etl-1"] * 48, "bits_per_s": np.arange(48) * 1e6})  # fmt: skip
    ex = ThroughputExplorer(t, by="eni_name", limit=5e7)
    assert ex.shown.error == ""
    whole = ex.image
    assert len(ex.series) == 48
    ex.window.set_window("2026-11-02T05:00Z", "2026-11-02T06:00Z")
    assert ex.series["bits_per_s"].tolist() == [5e6]
    assert ex.image != whole


def test_cost_widgets_show_dollars_a_month() -> None:
    lines = [
        "version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start "
        "end action log-status az-id flow-direction traffic-path",
        "5 eni-a 10.0.0.5 10.0.1.6 50000 5432 6 5 9000000000 1700000000 1700000060 ACCEPT OK "
        "use1-az1 egress 1",
        "5 eni-b 10.0.0.5 10.0.1.6 50000 5432 6 5 9000000000 1700000000 1700000060 ACCEPT OK "
        "use1-az2 ingress -",
    ]
    c = fk.classify_transfer(fk.parse_lines(lines))
    prices = fk.load_prices()
    what_if = PriceWhatIf(c, prices)
    before = what_if.result.value
    what_if.sliders["inter_az"].value = 0.02
    assert what_if.result.value != before
    assert "$" in what_if.result.value
    assert "a month" in what_if.result.value
    cost = fk.estimate_cost(c, prices)
    savings = fk.recommend_savings(c, prices)
    pick = SavingsPicker(cost, savings, chosen=[])
    assert pick.bill == pytest.approx(cost["monthly_cost"].sum())
    pick.choice.value = tuple(t for _label, t in pick.choice.options)
    assert pick.bill < cost["monthly_cost"].sum()
    assert all("saves $" in label for label, _t in pick.choice.options)


def test_threshold_panels_are_the_detections_not_the_allow_lists() -> None:
    """The allow-list (networks, services, lists) is no threshold: no panel offers it as a
    box of integers."""
    sliders = ThresholdSliders()
    titles = list(sliders.accordion.titles)
    assert "allow" not in titles
    assert "skip" not in titles
    assert {"port_scan", "fast_c2"} <= set(titles)
    assert all(detection != "allow" for detection, _ in sliders.controls)


def test_timeline_explorer_names_its_addresses_as_everywhere(records: pd.DataFrame) -> None:
    """The summary labels an address ``name (address)``, as tables and plots do."""
    ex = TimelineExplorer(records, "10.0.2.9", names={"10.0.2.9": "app-1"})
    assert ex.summary.value.startswith("<b>10.0.2.9</b> is app-1 (10.0.2.9): ")
    ex.picker.box.value = "198.18.0.7"
    assert ex.summary.value.startswith("<b>198.18.0.7</b>: 150 connections")
