"""The Dask-capable analytics give the pandas engine's results, on a 2-process LocalCluster.

Two kinds of data: the committed sample (``data/sample``) read with the Dask engine in several
partitions, and a small estate built so that records the functions match with each other sit
in different files, hence different partitions (each test also checks that mapping the pandas
function over the partitions gives a different answer there, so the case does split them).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from estate_files import read_quiet

import flowkit as fk
from flowkit.detect.view import View, build_view

pytestmark = [pytest.mark.dask, pytest.mark.slow]

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return read_quiet(SAMPLE)


def canonical(view: View) -> pd.DataFrame:
    """The view's rows with addresses as text, sorted (to compare views of different data)."""
    rec = view.rec.assign(cli=view.name(view.rec["cli"]), srv=view.name(view.rec["srv"]))
    return rec.sort_values(list(rec.columns), ignore_index=True)


# ----- the committed sample -----------------------------------------------------------------


def test_sample_dask_frame_computes_like_pandas(sample: pd.DataFrame, sample_dask: object) -> None:
    got = sample_dask.compute()  # type: ignore[attr-defined]
    assert len(got) == len(sample) > 200_000
    for col in ("interface_id", "srcaddr", "pkt_dstaddr", "bytes", "start", "src_aws_service"):
        assert (
            got[col]
            .astype(object)
            .reset_index(drop=True)
            .equals(sample[col].astype(object).reset_index(drop=True))
        ), col


@pytest.mark.parametrize(("by", "freq"), [("interface_id", "5min"), (None, "1h")])
def test_throughput_sample(
    sample: pd.DataFrame, sample_dask: object, by: str | None, freq: str
) -> None:
    expected = fk.throughput(sample, by=by, freq=freq)
    assert len(expected) > 20
    pd.testing.assert_frame_equal(fk.throughput(sample_dask, by=by, freq=freq), expected)
    if by is None:
        week = fk.hour_of_week(sample, value="bytes")
        pd.testing.assert_frame_equal(fk.hour_of_week(sample_dask, value="bytes"), week)


def test_coverage_sample(sample: pd.DataFrame, sample_dask: object) -> None:
    expected = fk.coverage(sample)
    assert expected["status"].nunique() >= 2
    assert len(expected) > 1000
    got = fk.coverage(sample_dask)
    pd.testing.assert_frame_equal(got, expected)
    pd.testing.assert_frame_equal(fk.coverage_summary(got), fk.coverage_summary(expected))
    pd.testing.assert_frame_equal(fk.coverage_gaps(got), fk.coverage_gaps(expected))
    options = {"window": "1h", "start": "2026-11-03T02:00Z", "end": "2026-11-03T05:00Z",
               "interfaces": ["eni-not-logging"]}  # fmt: skip
    pd.testing.assert_frame_equal(fk.coverage(sample_dask, **options),
                                  fk.coverage(sample, **options))  # fmt: skip


def test_hunt_and_view_sample(sample: pd.DataFrame, sample_dask: object) -> None:
    expected = fk.hunt(sample)
    assert len(expected) >= 5
    view = build_view(sample_dask)
    pandas_view = build_view(sample)
    pd.testing.assert_frame_equal(view.rec, pandas_view.rec)
    assert view.addresses.tolist() == pandas_view.addresses.tolist()
    assert view.internal.tolist() == pandas_view.internal.tolist()
    assert view.aws.tolist() == pandas_view.aws.tolist()
    pd.testing.assert_frame_equal(fk.hunt(view), expected)
    pd.testing.assert_frame_equal(fk.find_port_scan(sample_dask), fk.find_port_scan(sample))


def test_hunt_sample_dask_frame_directly(sample: pd.DataFrame, sample_dask: object) -> None:
    pd.testing.assert_frame_equal(fk.hunt(sample_dask), fk.hunt(sample))


# ----- records to be matched in different partitions ----------------------------------------


def test_throughput_split(split_frames: tuple[pd.DataFrame, object, list[pd.DataFrame]]) -> None:
    pdf, ddf, parts = split_frames
    expected = fk.throughput(pdf, freq="1h")
    naive = pd.concat([fk.throughput(p, freq="1h") for p in parts], ignore_index=True)
    assert len(naive) > len(expected)  # eni-web's hour is in two partitions
    pd.testing.assert_frame_equal(fk.throughput(ddf, freq="1h"), expected)
    for value in ("flows", "bytes"):
        table = fk.hour_of_week(pdf, value=value)
        assert int(table.to_numpy().sum()) > 0
        pd.testing.assert_frame_equal(fk.hour_of_week(ddf, value=value), table)
    options = {"bandwidth_gbps": 1e-6, "threshold": 0.5, "freq": "5min"}
    expected = fk.saturation_candidates(pdf, **options)
    assert len(expected) >= 2
    pd.testing.assert_frame_equal(fk.saturation_candidates(ddf, **options), expected)


def test_coverage_split(split_frames: tuple[pd.DataFrame, object, list[pd.DataFrame]]) -> None:
    pdf, ddf, parts = split_frames
    expected = fk.coverage(pdf)
    naive = pd.concat([fk.coverage(p) for p in parts], ignore_index=True)
    assert not naive.equals(expected)
    got = fk.coverage(ddf)
    pd.testing.assert_frame_equal(got, expected)
    assert set(got["interface_id"]) == {"eni-db", "eni-idle", "eni-nat", "eni-web"}
    pd.testing.assert_frame_equal(fk.coverage_summary(got), fk.coverage_summary(expected))


def test_view_split(split_frames: tuple[pd.DataFrame, object, list[pd.DataFrame]]) -> None:
    pdf, ddf, parts = split_frames
    expected = build_view(pdf)
    naive = [build_view(p) for p in parts]
    naive_rows = pd.concat([canonical(v) for v in naive], ignore_index=True)
    # copies of the db connection on two ENIs, the NAT's untranslated leg, the ping's client
    assert len(naive_rows) > len(expected.rec)
    got = build_view(ddf)
    pd.testing.assert_frame_equal(got.rec, expected.rec)
    assert got.addresses.tolist() == expected.addresses.tolist()
    rec = canonical(got)
    ping = rec[rec["proto"] == 1]
    assert ping["cli"].unique().tolist() == ["8.8.8.8"]  # it spoke first (in c.log)
    assert "10.0.2.10" not in set(rec["cli"])  # the NAT's untranslated leg is dropped
    db = rec[(rec["sport"] == 5432) & (rec["cport"] == 50000)]
    assert sorted(db["bytes"].tolist()) == [600, 90000]  # one copy per direction


def test_hunt_split(split_frames: tuple[pd.DataFrame, object, list[pd.DataFrame]]) -> None:
    pdf, ddf, parts = split_frames
    wide = {"port_scan": {"min_ports": 20}}  # 15 ports per partition, 30 in all
    expected = fk.hunt(pdf, wide)
    assert "port_scan" in set(expected["finding"])
    naive = [fk.hunt(p, wide) for p in parts]
    assert not any("port_scan" in set(f["finding"]) for f in naive)
    pd.testing.assert_frame_equal(fk.hunt(ddf, wide), expected)
    pd.testing.assert_frame_equal(fk.hunt(ddf), fk.hunt(pdf))


def test_the_rest_refuse_dask_frames(
    split_frames: tuple[pd.DataFrame, object, list[pd.DataFrame]],
) -> None:
    _, ddf, _ = split_frames
    for func in (fk.classify_transfer, fk.recommend_savings):
        with pytest.raises(TypeError, match=r"does not take a Dask DataFrame.*compute"):
            func(ddf)
