"""Plots draw exactly the prepared tables they are given."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.axis
import matplotlib.dates
import matplotlib.pyplot as plt
import matplotlib.text
import numpy as np
import pandas as pd
import pytest

import flowkit as fk
from flowkit import plots
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


# -- labels from data never become mathtext (issue 16 item 11) --------------------------------

HOSTILE = r"$\foo$"  # an ENI id, Name tag, action or service as an attacker could write it


def _hostile_tables() -> dict[str, tuple[object, pd.DataFrame | pd.Series, dict[str, object]]]:
    t = pd.to_datetime([0, 3600], unit="s", utc=True)
    name = f"eni-{HOSTILE}"
    return {
        "activity": (
            plots.plot_activity,
            pd.DataFrame(
                {
                    "time": t,
                    "peer": [HOSTILE, "8.8.8.8"],
                    "port": [443, 53],
                    "direction": ["out", "in"],
                    "action": [HOSTILE, "REJECT"],
                    "flows": [1, 2],
                    "bytes": [10, 20],
                }
            ),
            {"title": f"activity of {HOSTILE}", "names": {"8.8.8.8": name}},
        ),
        "heatmap": (
            plots.plot_port_heatmap,
            pd.DataFrame([[1, 0]], index=[HOSTILE], columns=t),
            {"title": HOSTILE},
        ),
        "intervals": (plots.plot_intervals, pd.Series([300.0, 301.0]), {"title": HOSTILE}),
        "top": (
            plots.plot_top,
            pd.Series({HOSTILE: 3e9, "b": 10}),
            {"title": HOSTILE, "xlabel": HOSTILE},
        ),
        "throughput": (
            plots.plot_throughput,
            pd.DataFrame({"time": t, "eni_name": [name, name], "bits_per_s": [8e6, 9e6]}),
            {"by": "eni_name", "limit": 1e7},
        ),
        "reject_rate": (
            plots.plot_reject_rate,
            pd.DataFrame(
                {"time": t, "eni_name": [name, name], "rejected": [1, 2], "reject_rate": [0.1, 0.2]}
            ),
            {"by": "eni_name"},
        ),
        "handshake": (
            plots.plot_handshake_health,
            pd.DataFrame(
                {"service_port": [443], "service": [HOSTILE], "answered": [3], "unanswered": [1]}
            ),
            {},
        ),
        "packet_sizes": (
            plots.plot_packet_sizes,
            pd.DataFrame({"size": [HOSTILE], "packet_share": [1.0]}),
            {},
        ),
        "hour_of_week": (
            plots.plot_hour_of_week,
            pd.DataFrame(
                np.ones((7, 24)), index=[HOSTILE, "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
            ),
            {"title": HOSTILE},
        ),
        "cost": (
            plots.plot_cost_by_dimension,
            pd.DataFrame({"dimension": [HOSTILE], "monthly_cost": [5.0]}),
            {},
        ),
        "savings": (
            plots.plot_savings,
            pd.DataFrame({"kind": [HOSTILE], "target": [name], "monthly_savings": [5.0]}),
            {},
        ),
        "coverage": (
            plots.plot_coverage,
            pd.DataFrame({"interface_id": [name], "window_start": t[:1], "status": ["gap"]}),
            {"labels": pd.Series({name: HOSTILE}), "title": HOSTILE},
        ),
    }


def test_unescaped_dollar_labels_make_matplotlib_raise() -> None:
    """The defect the escaping prevents (so the next test can fail)."""
    fig, ax = plt.subplots()
    ax.set_yticks([0], [HOSTILE])
    with pytest.raises(ValueError, match="foo"):
        fig.canvas.draw()


@pytest.mark.parametrize("kind", sorted(_hostile_tables()))
def test_every_plot_draws_labels_with_dollars_literally(kind: str) -> None:
    func, table, kwargs = _hostile_tables()[kind]
    ax = func(table, **kwargs)  # type: ignore[operator]
    ax.figure.canvas.draw()  # mathtext would raise here
    shown = [t.get_text() for t in ax.findobj(matplotlib.text.Text)]
    assert any(r"\$\foo\$" in s for s in shown), shown
    assert not any(HOSTILE in s.replace(r"\$", "") for s in shown)


# -- human units, no offsets, log scales, legends outside --------------------------------------


LEGENDS = ["activity", "handshake", "intervals", "reject_rate", "throughput"]


@pytest.mark.parametrize("kind", LEGENDS)
def test_every_legend_sits_outside_the_data(kind: str) -> None:
    """The plots with a legend put it right of the axes (the activity plot's legend once
    covered the row of a C2 address)."""
    func, table, kwargs = _hostile_tables()[kind]
    ax = func(table, **kwargs)  # type: ignore[operator]
    ax.figure.canvas.draw()
    legend = ax.get_legend()
    assert legend is not None
    inside = ax.get_window_extent()
    box = legend.get_window_extent()
    assert box.x0 >= inside.x1 - 1, f"{kind}: legend at x {box.x0:.0f}, axes end at {inside.x1:.0f}"


def _tick_texts(axis: matplotlib.axis.Axis) -> list[str]:
    axis.axes.figure.canvas.draw()
    return [t.get_text() for t in axis.get_ticklabels() if t.get_text()]


def test_throughput_axis_in_bit_per_second_without_offset() -> None:
    t = pd.DataFrame({"time": pd.to_datetime([0, 3600], unit="s", utc=True),
                      "interface_id": ["eni-a"] * 2, "bits_per_s": [1.2e7, 3.4e7]})  # fmt: skip
    ax = plots.plot_throughput(t)
    ticks = _tick_texts(ax.yaxis)
    assert ticks
    assert all(s.endswith("bit/s") for s in ticks), ticks
    assert ax.yaxis.get_offset_text().get_text() == ""
    assert ax.get_legend() is not None
    assert ax.get_legend().get_bbox_to_anchor().x0 >= ax.get_window_extent().x1 - 1


def test_throughput_scales_to_the_data_and_the_window_not_to_a_far_limit() -> None:
    one = pd.DataFrame({"time": pd.to_datetime(["2026-11-03T02:00Z"]), "eni_name": ["a"],
                        "bits_per_s": [2e5]})  # fmt: skip
    window = (pd.Timestamp("2026-11-03T01:00Z"), pd.Timestamp("2026-11-03T04:00Z"))
    ax = plots.plot_throughput(one, by="eni_name", limit=5e7, window=window)
    assert ax.get_ylim()[1] < 1e6  # not stretched to the 50 Mbit/s limit
    lo, hi = (matplotlib.dates.num2date(x) for x in ax.get_xlim())
    assert (lo, hi) == (window[0], window[1])
    alone = plots.plot_throughput(one, by="eni_name")
    span = np.diff(alone.get_xlim())[0]
    assert span <= 1  # days: one point never stretches the axis over years


def test_top_bars_go_logarithmic_when_one_value_dwarfs_the_rest() -> None:
    sent = pd.Series({"104.244.76.13": 2_843_977_288, "80.66.88.207": 273_441,
                      "52.216.8.20": 179_871})  # fmt: skip
    ax = plots.plot_top(sent, unit="bytes", names={"52.216.8.20": "AWS S3"})
    assert ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.texts] == ["179.9 kB", "273.4 kB", "2.8 GB"]
    assert "AWS S3 (52.216.8.20)" in [t.get_text() for t in ax.get_yticklabels()]
    ticks = _tick_texts(ax.xaxis)
    assert ticks
    assert all(s.endswith("B") for s in ticks), ticks
    even = plots.plot_top(pd.Series({"a": 5, "b": 9}))
    assert even.get_xscale() == "linear"


def test_beacon_histogram_is_a_narrow_peak_on_an_axis_from_zero(records: pd.DataFrame) -> None:
    gaps = beacon_intervals(records, "10.0.11.21", "80.66.88.207", port=443)
    ax = plot_intervals(gaps)
    lo, hi = ax.get_xlim()
    assert lo == 0
    assert hi >= 2 * gaps.median()
    filled = [p for p in ax.patches if p.get_height() > 0]
    assert len(filled) <= len(ax.patches) // 3  # the jittered clock fills a few bins only


def test_hour_of_week_shows_only_observed_days() -> None:
    grid = pd.DataFrame(0, index=["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
                        columns=range(24))  # fmt: skip
    grid.loc["Mon", 1] = 3
    grid.loc["Tue", 5] = 1
    ax = plots.plot_hour_of_week(grid)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Mon", "Tue"]
    assert "2 of 7" in ax.get_title()
