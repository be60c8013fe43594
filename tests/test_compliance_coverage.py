"""Log coverage: gaps made by deleting files and windows from a generated estate, and the sample."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import flowkit as fk
from flowkit.compliance import coverage, coverage_gaps, coverage_summary, missing_deliveries
from flowkit.synth import generate

ROOT = Path(__file__).resolve().parents[1]
FL = "fl-0a1b2c3d4e5f67890"
START, END = pd.Timestamp("2026-11-02T00:00Z"), pd.Timestamp("2026-11-02T02:20Z")


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("estate")
    generate(out, seed=11, days=0.1)
    return out


def _read(path: Path) -> pd.DataFrame:
    return fk.read(path, progress=False)


def test_a_complete_estate_has_no_missing_delivery(estate: Path) -> None:
    df = _read(estate)
    assert missing_deliveries(df, start=START, end=END).empty
    summary = coverage_summary(coverage(df, start=START, end=END))
    assert len(summary) > 10
    assert (summary["windows"] == 28).all()


def test_deleted_files_are_missing_deliveries_and_coverage_gaps(
    estate: Path, tmp_path: Path
) -> None:
    import shutil

    copy = tmp_path / "estate"
    shutil.copytree(estate, copy)
    before = coverage(_read(copy), start=START, end=END)
    gone = ["0100", "0105", "0110"]
    for stamp in gone:
        (f,) = copy.rglob(f"*_{FL}_20261102T{stamp}Z_*.log.gz")
        f.unlink()
    df = _read(copy)
    missing = missing_deliveries(df, start=START, end=END)
    assert missing["flow_log_id"].tolist() == [FL] * 3
    assert missing["window_start"].tolist() == [
        pd.Timestamp(f"2026-11-02T{s[:2]}:{s[2:]}Z") for s in gone
    ]
    after = coverage(df, start=START, end=END)
    middle = after["window_start"] == pd.Timestamp("2026-11-02T01:05Z")
    was = before.loc[middle, "status"].astype(str)
    hit = after.loc[middle].assign(was=was.to_numpy())
    # every ENI of that flow log that had evidence in the middle window lost it
    enis_of_fl = set(fk.read(next(estate.rglob(f"*_{FL}_20261102T0105Z_*")), progress=False)
                     ["interface_id"].astype(str))  # fmt: skip
    lost = hit[hit["interface_id"].isin(enis_of_fl)]
    assert len(lost) == len(enis_of_fl)
    assert (lost["status"].astype(str) == "gap").all()
    assert set(lost["was"]) <= {"records", "nodata"}
    # the other flow log's ENIs are untouched
    other = hit[~hit["interface_id"].isin(enis_of_fl)]
    assert (other["status"].astype(str) == other["was"]).all()


def test_a_deleted_window_of_one_eni_is_a_gap_with_its_length(estate: Path) -> None:
    df = _read(estate)
    eni = df["interface_id"].astype(str).value_counts().index[0]
    lo, hi = pd.Timestamp("2026-11-02T01:30Z"), pd.Timestamp("2026-11-02T01:50Z")
    drop = (df["interface_id"].astype(str) == eni) & (df["end"] >= lo) & (df["start"] < hi)
    cov = coverage(df[~drop.to_numpy()], start=START, end=END)
    gaps = coverage_gaps(cov)
    mine = gaps[(gaps["interface_id"] == eni) & (gaps["status"] == "gap")]
    assert mine[["start", "end", "minutes"]].values.tolist() == [[lo, hi, 20.0]]
    base = coverage_summary(coverage(df, start=START, end=END)).set_index("interface_id")
    cut = coverage_summary(cov).set_index("interface_id")
    assert cut.loc[eni, "gap"] - base.loc[eni, "gap"] == 4
    assert cut.loc[eni, "coverage_pct"] == pytest.approx(
        base.loc[eni, "coverage_pct"] - 400 / 28, abs=0.01
    )


def test_an_inventory_eni_without_any_record_is_a_gap_for_the_whole_period(estate: Path) -> None:
    df = _read(estate)
    cov = coverage(df, start=START, end=END, interfaces=["eni-00000000000000000"])
    s = coverage_summary(cov).set_index("interface_id").loc["eni-00000000000000000"]
    assert (s["gap"], s["coverage_pct"]) == (28, 0.0)


def test_sample_logging_gap_and_skipdata_match_ground_truth() -> None:
    truth = json.loads((ROOT / "data" / "sample" / "ground_truth.json").read_text())
    df = fk.read(ROOT / "data" / "sample", progress=False)
    cov = coverage(df, start="2026-11-02", end="2026-11-04")
    gaps = coverage_gaps(cov)
    (inc,) = [i for i in truth["incidents"] if i["kind"] == "logging_gap"]
    gap = gaps[gaps["status"] == "gap"]
    assert gap[["interface_id", "start", "end", "minutes"]].values.tolist() == [[
        inc["enis"][0], pd.Timestamp(inc["first"]), pd.Timestamp(inc["last"]),
        float(inc["evidence"]["minutes"])]]  # fmt: skip
    skip = gaps[gaps["status"] == "skipdata"]
    expected = {(s["eni"], pd.Timestamp(s["start"]).floor("5min")) for s in truth["skipdata"]}
    assert set(zip(skip["interface_id"], skip["start"], strict=True)) == expected
    assert missing_deliveries(df, start="2026-11-02", end="2026-11-04").empty
    pct = coverage_summary(cov).set_index("interface_id")["coverage_pct"]
    assert pct.idxmin() == inc["enis"][0]
    assert pct.min() == pytest.approx(100 * (576 - 33) / 576, abs=0.01)
