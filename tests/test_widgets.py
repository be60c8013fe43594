"""Widgets start on defaults (headless) and turn user actions into plain values."""

from __future__ import annotations

import pandas as pd

import flowkit as fk
from flowkit.detect import HuntConfig
from flowkit.widgets import EntityPicker, FindingsBrowser, ThresholdSliders, TimeWindow

SCAN = [f"2 1 eni-a 198.18.0.7 10.0.1.5 40000 {p} 6 1 44 {1700000000 + 2 * p} "
        f"{1700000005 + 2 * p} REJECT OK" for p in range(1, 151)]  # fmt: skip


def test_time_window_defaults_to_the_whole_period_and_moves() -> None:
    df = fk.parse_lines(SCAN)
    tw = TimeWindow(df, step="5min")
    start, end = tw.window
    assert start <= df["start"].min()
    assert end >= df["end"].max()
    assert str(start.tz) == "UTC"
    tw.slider.index = (1, 2)
    assert tw.window[1] - tw.window[0] == pd.Timedelta("5min")


def test_entity_picker_lists_addresses_and_enis() -> None:
    pick = EntityPicker(fk.parse_lines(SCAN))
    assert {"198.18.0.7", "10.0.1.5", "eni-a"} <= set(pick.box.options)
    assert pick.value == ""
    pick.box.value = " eni-a "
    assert pick.value == "eni-a"


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


def test_findings_browser_drills_down_on_click() -> None:
    found = fk.hunt(fk.parse_lines(SCAN))
    drilled: list[str] = []
    browser = FindingsBrowser(found, drill=lambda row: drilled.append(row["finding"]))
    assert browser.selected is not None
    assert browser.selected["finding"] == "port_scan"
    browser.select(1)
    assert browser.selected["finding"] == "rejected_burst"
    assert "rejected_burst" in browser.detail.value
    assert "T1595" in browser.detail.value
    assert drilled == ["port_scan", "rejected_burst"]
    empty = FindingsBrowser(found.iloc[0:0])
    assert empty.selected is None
    assert "no findings" in empty.detail.value
