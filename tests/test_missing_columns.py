"""One error for a frame without a column an analysis needs (issue 15): every entry point
raises :class:`flowkit.errors.MissingFieldsError` (a ``ValueError``) naming the column, on a
pandas and on a Dask frame, instead of a ``KeyError`` or an empty ("nothing found") result."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

import flowkit as fk
from flowkit.detect import build_view
from flowkit.errors import MissingFieldsError

HEADER = ("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets "
          "bytes start end action log-status tcp-flags")  # fmt: skip
LINES = [
    "5 1 eni-a 10.0.1.5 10.0.2.9 40000 22 6 5 400 1700000000 1700000030 ACCEPT OK 2",
    "5 1 eni-b 10.0.2.9 10.0.1.5 22 40000 6 4 900 1700000000 1700000030 ACCEPT OK 18",
    "5 1 eni-a 10.0.1.5 52.216.8.20 40001 443 6 5 4000 1700000100 1700000130 ACCEPT OK 2",
    "5 1 eni-a 203.0.113.9 10.0.1.5 51000 3389 6 3 180 1700000000 1700000010 REJECT OK 2",
]
POLICY = fk.load_policy("p", text="vpc_cidrs: [10.0.0.0/16]\nforbidden: "
                        "[{name: rdp, protocol: tcp, ports: [3389]}]")  # fmt: skip

#: entry point -> (call, the columns it needs: each one dropped must raise naming it)
ENTRY_POINTS: dict[str, tuple[Callable[[Any], Any], tuple[str, ...]]] = {
    "estimate_cost": (fk.estimate_cost, ("srcaddr", "dstaddr", "bytes")),
    "classify_transfer": (fk.classify_transfer, ("srcaddr", "dstaddr", "bytes")),
    "recommend_savings": (fk.recommend_savings, ("srcaddr", "dstaddr", "bytes")),
    "hunt": (fk.hunt, ("srcaddr", "dstaddr", "start", "end")),
    "find_port_scan": (fk.find_port_scan, ("srcaddr", "dstaddr", "start", "end")),
    "build_view": (build_view, ("srcaddr", "dstaddr", "start", "end")),
    "check_policy": (
        lambda df: fk.check_policy(df, POLICY),
        ("srcaddr", "dstaddr", "srcport", "dstport", "protocol", "bytes", "start", "end"),
    ),
    "coverage": (fk.coverage, ("interface_id", "log_status", "start", "end")),
    "handshake_health": (
        fk.handshake_health,
        ("srcaddr", "dstaddr", "srcport", "dstport", "protocol", "tcp_flags", "start", "end"),
    ),
    "top_talkers": (fk.top_talkers, ("srcaddr", "dstaddr", "bytes", "packets")),
    "top_conversations": (
        fk.top_conversations,
        ("srcaddr", "dstaddr", "protocol", "bytes", "packets", "start", "end"),
    ),
    "dedupe": (fk.dedupe, ("srcaddr", "dstaddr")),
    "conversations": (
        fk.conversations,
        ("srcaddr", "dstaddr", "srcport", "dstport", "protocol", "start", "end"),
    ),
    "throughput": (fk.throughput, ("interface_id", "start", "bytes", "packets")),
    "saturation_candidates": (
        lambda df: fk.saturation_candidates(df, bandwidth_gbps=1.0),
        ("interface_id", "start", "bytes", "packets"),
    ),
    "hour_of_week": (lambda df: fk.hour_of_week(df, value="bytes"), ("start", "bytes")),
    "reject_rate": (fk.reject_rate, ("interface_id", "start", "action")),
    "packet_sizes": (fk.packet_sizes, ("bytes", "packets")),
    "status_by_interface": (fk.status_by_interface, ("interface_id", "log_status")),
}

CASES = [
    pytest.param(name, column, id=f"{name}-{column}")
    for name, (_, needed) in ENTRY_POINTS.items()
    for column in needed
]


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fk.parse_lines([HEADER, *LINES], enrich=False)


@pytest.fixture(scope="module")
def enriched() -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fk.parse_lines([HEADER, *LINES])


@pytest.mark.parametrize("name", list(ENTRY_POINTS))
def test_each_entry_point_takes_the_whole_frame(name: str, records: pd.DataFrame) -> None:
    call, _ = ENTRY_POINTS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        call(records)  # no error: the columns listed are the ones it needs


@pytest.mark.parametrize(("name", "column"), CASES)
def test_a_missing_column_is_named(name: str, column: str, records: pd.DataFrame) -> None:
    call, _ = ENTRY_POINTS[name]
    with pytest.raises(MissingFieldsError, match=repr(column)) as caught:
        call(records.drop(columns=column))
    assert caught.value.missing == (column,)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(("name", "column"), CASES)
def test_a_missing_column_of_an_enriched_frame_is_named(
    name: str, column: str, enriched: pd.DataFrame
) -> None:
    call, _ = ENTRY_POINTS[name]
    with pytest.raises(MissingFieldsError, match=repr(column)):
        call(enriched.drop(columns=column))


def test_estimate_cost_without_bytes_raises_instead_of_an_empty_table(
    records: pd.DataFrame,
) -> None:
    assert len(fk.estimate_cost(records)) > 0
    with pytest.raises(ValueError, match=r"fk\.estimate_cost: the frame has no column .bytes."):
        fk.estimate_cost(records.drop(columns="bytes"))


def test_security_group_usage_names_the_enriched_columns(enriched: pd.DataFrame) -> None:
    with pytest.raises(MissingFieldsError, match="'local_role'") as caught:
        fk.security_group_usage(enriched.drop(columns="local_role"), {}, {})
    assert caught.value.missing == ("local_role",)


def test_a_cost_breakdown_by_a_missing_column_is_named(records: pd.DataFrame) -> None:
    with pytest.raises(MissingFieldsError, match="'team'"):
        fk.estimate_cost(records, by="team")


@pytest.mark.parametrize(
    "name", ["estimate_cost", "hunt", "coverage", "top_talkers", "top_conversations", "throughput"]
)
def test_a_dask_frame_missing_a_column_is_named_before_any_work(
    name: str, records: pd.DataFrame
) -> None:
    dd = pytest.importorskip("dask.dataframe")
    call, needed = ENTRY_POINTS[name]
    ddf = dd.from_pandas(records.drop(columns=needed[0]), npartitions=2)
    with pytest.raises(MissingFieldsError, match=repr(needed[0])):
        call(ddf)
