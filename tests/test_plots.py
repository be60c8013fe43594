"""Plots draw exactly the prepared tables they are given."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import flowkit as fk
from flowkit.detect.timeline import activity, beacon_intervals, peers, port_time, timeline
from flowkit.plots import plot_activity, plot_intervals, plot_port_heatmap, plot_top

T0 = 1_793_577_600


@pytest.fixture(autouse=True)
def _close() -> None:
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    lines = []
    for i, t in enumerate(np.cumsum(300 * (1 + rng.uniform(-0.1, 0.1, 40)))):
        t = int(t)
        lines += [f"2 1 eni-app 10.0.11.21 80.66.88.207 {40000 + i} 443 6 6 900 {T0 + t} "
                  f"{T0 + t + 2} ACCEPT OK",
                  f"2 1 eni-app 80.66.88.207 10.0.11.21 443 {40000 + i} 6 6 1500 {T0 + t} "
                  f"{T0 + t + 2} ACCEPT OK"]  # fmt: skip
    lines += [f"2 1 eni-bastion 185.142.236.35 10.0.0.20 51000 {p} 6 1 44 {T0 + 600 + p // 10} "
              f"{T0 + 601 + p // 10} REJECT OK" for p in range(1, 200)]  # fmt: skip
    return fk.parse_lines(lines)


def test_activity_plot_rows_and_colours(records: pd.DataFrame) -> None:
    table = activity(records, "eni-app", bin_minutes=10)
    assert set(table["peer"]) == {"80.66.88.207"}
    assert table["flows"].sum() == 40
    ax = plot_activity(table, title="app")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["80.66.88.207:443"]
    assert ax.get_title() == "app"
    offsets = sum(len(c.get_offsets()) for c in ax.collections)
    assert offsets == len(table)


def test_scan_heatmap_is_the_grid(records: pd.DataFrame) -> None:
    grid = port_time(records, "185.142.236.35", "10.0.0.20")
    assert grid.to_numpy().sum() == 199
    assert list(grid.index[:3]) == [1, 2, 3]
    ax = plot_port_heatmap(grid)
    np.testing.assert_array_equal(ax.images[0].get_array(), grid.to_numpy())


def test_interval_histogram(records: pd.DataFrame) -> None:
    gaps = beacon_intervals(records, "10.0.11.21", "80.66.88.207", port=443)
    assert len(gaps) == 39
    assert 270 <= gaps.median() <= 330
    ax = plot_intervals(gaps, bins=10)
    assert sum(p.get_height() for p in ax.patches) == 39
    assert float(ax.lines[0].get_xdata()[0]) == pytest.approx(gaps.median())


def test_top_bars_and_peer_table(records: pd.DataFrame) -> None:
    table = peers(records, "10.0.0.20")
    assert table["peer"].tolist() == ["185.142.236.35"]
    assert table.loc[0, "rejected"] == 199
    ax = plot_top(pd.Series({"a": 5, "b": 9, "c": 1}), n=2, xlabel="bytes")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    assert ax.get_xlabel() == "bytes"
    t = timeline(records, "10.0.11.21")
    assert t["start"].is_monotonic_increasing
    assert (t["direction"] == "out").all()
