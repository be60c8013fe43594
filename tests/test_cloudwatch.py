"""fk.read_cloudwatch against moto's server: paging, format lookup, filters, throttling, errors."""

from __future__ import annotations

import time
import uuid
from typing import Any

import boto3
import numpy as np
import pandas as pd
import pytest
from aws_fixtures import (
    allow,
    client,
    counting_session,
    iam_enforced,
    iam_user,
    inject_errors,
    moto_endpoint,  # noqa: F401 - a fixture
)

import flowkit as fk
from flowkit.errors import (
    AwsAccessError,
    AwsCredentialsError,
    AwsNotFoundError,
    FlowkitError,
    ThrottledError,
)
from flowkit.sources.cloudwatch import flow_log_format

pytestmark = pytest.mark.aws

ACCOUNT = "123456789012"
STREAMS = ("eni-0a1b2c3d4e5f60001", "eni-0a1b2c3d4e5f60002")
CUSTOM = "${version} ${interface-id} ${srcaddr} ${dstaddr} ${dstport} ${action} ${start} ${end}"
#: moto, like AWS, drops events older than 14 days: the fixtures use recent, whole-hour times.
BASE = (int(time.time()) // 3600 - 6) * 3600


def _records(stream: str, seed: int, n: int) -> list[tuple[int, str]]:
    """(start, default-format line) pairs: one record every 60 s from BASE, 60 s long."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        start = BASE + 60 * i
        action = "REJECT" if i % 5 == 0 else "ACCEPT"
        out.append(
            (
                start,
                f"2 {ACCOUNT} {stream} 10.0.0.{rng.integers(1, 255)} 198.51.100.7 "
                f"{rng.integers(1024, 65536)} 443 6 {rng.integers(1, 90)} "
                f"{rng.integers(40, 90000)} {start} {start + 60} {action} OK",
            )
        )
    return out


def _put(logs: Any, group: str, stream: str, records: list[tuple[int, str]]) -> None:
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    events = [{"timestamp": start * 1000, "message": line} for start, line in records]
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


@pytest.fixture(scope="module")
def group(moto_endpoint: str) -> dict[str, Any]:  # noqa: F811
    """A log group with two ENI streams of 120 records each (two hours), default format."""
    logs = client(moto_endpoint, "logs")
    name = f"/flowkit/vpc-{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=name)
    records = {s: _records(s, i, 120) for i, s in enumerate(STREAMS)}
    for stream, recs in records.items():
        _put(logs, name, stream, recs)
    return {"endpoint": moto_endpoint, "name": name, "records": records}


def _window(minutes_from: int, minutes_to: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    return (
        pd.Timestamp(BASE + 60 * minutes_from, unit="s", tz="UTC"),
        pd.Timestamp(BASE + 60 * minutes_to, unit="s", tz="UTC"),
    )


def _key(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(["start", "interface_id"]).reset_index(drop=True)


def test_read_cloudwatch_equals_parse_lines(group: dict[str, Any]) -> None:
    lo, hi = _window(-60, 180)
    df = fk.read_cloudwatch(group["name"], lo, hi, endpoint_url=group["endpoint"])
    lines = [line for recs in group["records"].values() for _, line in recs]
    expected = _key(fk.parse_lines(lines))
    got = _key(df)
    assert len(got) == 240
    pd.testing.assert_frame_equal(got[expected.columns], expected)
    assert set(got["log_stream"].astype(str)) == set(STREAMS)
    assert (got["log_stream"].astype(str) == got["interface_id"].astype(str)).all()
    assert got["ingestion_time"].notna().all()
    prov = fk.provenance(df)["cloudwatch"]
    assert prov["format_from"] == "default"
    assert prov["events"] == 240
    assert fk.quarantine(df).empty


def test_read_cloudwatch_pages_and_window(group: dict[str, Any]) -> None:
    session, log = counting_session(("logs",))
    lo, hi = _window(30, 60)  # records start every minute and last a minute
    df = fk.read_cloudwatch(
        group["name"],
        lo,
        hi,
        fields=fk.DEFAULT_FORMAT,
        page_size=7,
        endpoint_url=group["endpoint"],
        session=session,
    )
    # fetched: events starting 20 min before the window (the margin) up to its end, both streams
    prov = fk.provenance(df)
    assert prov["cloudwatch"]["events"] == 2 * 50
    assert prov["cloudwatch"]["pages"] == log.count("FilterLogEvents") == -(-100 // 7)
    # kept: records whose capture window meets [lo, hi): start 29..59 min (29 ends at 30)
    assert len(df) == 2 * 31
    assert prov["time_filter"]["records_outside"] == 100 - 62
    assert df["start"].min() == lo - pd.Timedelta(minutes=1)
    assert df["start"].max() == hi - pd.Timedelta(minutes=1)


def test_read_cloudwatch_streams_and_filter_pattern(group: dict[str, Any]) -> None:
    lo, hi = _window(0, 120)
    one = fk.read_cloudwatch(
        group["name"],
        lo,
        hi,
        log_streams=STREAMS[1],
        fields=fk.DEFAULT_FIELDS,
        endpoint_url=group["endpoint"],
    )
    assert set(one["interface_id"].astype(str)) == {STREAMS[1]}
    assert len(one) == 120
    rejects = fk.read_cloudwatch(
        group["name"],
        lo,
        hi,
        filter_pattern="REJECT",
        fields=fk.DEFAULT_FIELDS,
        endpoint_url=group["endpoint"],
    )
    assert len(rejects) == 2 * 24
    assert set(rejects["action"].astype(str)) == {"REJECT"}


def test_read_cloudwatch_empty_window_is_empty_frame(group: dict[str, Any]) -> None:
    lo, hi = _window(600, 660)
    df = fk.read_cloudwatch(
        group["name"], lo, hi, fields=fk.DEFAULT_FIELDS, endpoint_url=group["endpoint"]
    )
    assert len(df) == 0
    assert fk.provenance(df)["cloudwatch"]["events"] == 0


def test_read_cloudwatch_takes_format_from_describe_flow_logs(moto_endpoint: str) -> None:  # noqa: F811
    logs, ec2 = client(moto_endpoint, "logs"), client(moto_endpoint, "ec2")
    name = f"/flowkit/custom-{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=name)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogGroupName=name,
        LogFormat=CUSTOM,
        DeliverLogsPermissionArn=f"arn:aws:iam::{ACCOUNT}:role/flow-logs",
    )
    records = [
        (
            BASE + 60 * i,
            f"5 {STREAMS[0]} 10.0.0.{i + 1} 198.51.100.7 22 REJECT "
            f"{BASE + 60 * i} {BASE + 60 * i + 30}",
        )
        for i in range(10)
    ]
    _put(logs, name, STREAMS[0], records)
    assert flow_log_format(name, client=ec2) == (
        "version",
        "interface-id",
        "srcaddr",
        "dstaddr",
        "dstport",
        "action",
        "start",
        "end",
    )
    lo, hi = _window(0, 60)
    df = fk.read_cloudwatch(name, lo, hi, endpoint_url=moto_endpoint)
    assert fk.provenance(df)["cloudwatch"]["format_from"] == "DescribeFlowLogs"
    assert fk.quarantine(df).empty
    assert df["dstport"].tolist() == [22] * 10
    assert "srcport" not in df.columns
    expected = fk.parse_lines([line for _, line in records], fields=CUSTOM)
    pd.testing.assert_frame_equal(_key(df)[expected.columns], _key(expected))
    # a second flow log with another format into the same group: the user must choose
    vpc2 = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    ec2.create_flow_logs(
        ResourceIds=[vpc2],
        ResourceType="VPC",
        TrafficType="ALL",
        LogGroupName=name,
        LogFormat=fk.DEFAULT_FORMAT,
        DeliverLogsPermissionArn=f"arn:aws:iam::{ACCOUNT}:role/flow-logs",
    )
    with pytest.raises(FlowkitError, match="pass fields= to choose one"):
        fk.read_cloudwatch(name, lo, hi, endpoint_url=moto_endpoint)
    assert len(fk.read_cloudwatch(name, lo, hi, fields=CUSTOM, endpoint_url=moto_endpoint)) == 10


def test_read_cloudwatch_retries_throttling(group: dict[str, Any]) -> None:
    session, log = counting_session(("logs",))
    inject_errors(session, "logs.FilterLogEvents", "ThrottlingException", times=3)
    sleeps: list[float] = []
    lo, hi = _window(0, 120)
    df = fk.read_cloudwatch(
        group["name"],
        lo,
        hi,
        fields=fk.DEFAULT_FIELDS,
        page_size=100,
        endpoint_url=group["endpoint"],
        session=session,
        sleep=sleeps.append,
    )
    assert sleeps == [0.25, 0.5, 1.0]
    assert len(df) == 240
    assert log.count("FilterLogEvents") == 3  # 240 events in pages of 100; throttles not sent


def test_read_cloudwatch_throttling_exhausted(group: dict[str, Any]) -> None:
    session, _ = counting_session(("logs",))
    seen = inject_errors(session, "logs.FilterLogEvents", "ThrottlingException", times=99)
    sleeps: list[float] = []
    lo, hi = _window(0, 120)
    with pytest.raises(ThrottledError, match="logs:FilterLogEvents on log group") as info:
        fk.read_cloudwatch(
            group["name"],
            lo,
            hi,
            fields=fk.DEFAULT_FIELDS,
            max_attempts=4,
            endpoint_url=group["endpoint"],
            session=session,
            sleep=sleeps.append,
        )
    assert info.value.code == "ThrottlingException"
    assert len(seen) == 4
    assert sleeps == [0.25, 0.5, 1.0]


def test_read_cloudwatch_missing_group(moto_endpoint: str) -> None:  # noqa: F811
    lo, hi = _window(0, 60)
    with pytest.raises(AwsNotFoundError, match="/flowkit/no-such-group"):
        fk.read_cloudwatch(
            "/flowkit/no-such-group", lo, hi, fields=fk.DEFAULT_FIELDS, endpoint_url=moto_endpoint
        )


def test_read_cloudwatch_missing_credentials(
    group: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    lo, hi = _window(0, 60)
    with pytest.raises(AwsCredentialsError, match="no usable AWS credentials"):
        fk.read_cloudwatch(group["name"], lo, hi, endpoint_url=group["endpoint"])


def test_read_cloudwatch_permissions(group: dict[str, Any]) -> None:
    ep = group["endpoint"]
    reader = iam_user(ep, "flowkit-logs-reader", [allow(["logs:FilterLogEvents"])])
    nobody = iam_user(ep, "flowkit-logs-nobody", [])
    lo, hi = _window(0, 60)
    with iam_enforced(ep):
        with pytest.raises(AwsAccessError, match="ec2:DescribeFlowLogs") as info:
            fk.read_cloudwatch(
                group["name"], lo, hi, endpoint_url=ep, session=boto3.Session(**reader)
            )
        assert "pass fields=" in str(info.value)
        df = fk.read_cloudwatch(
            group["name"],
            lo,
            hi,
            fields=fk.DEFAULT_FIELDS,
            endpoint_url=ep,
            session=boto3.Session(**reader),
        )
        with pytest.raises(AwsAccessError) as denied:
            fk.read_cloudwatch(
                group["name"],
                lo,
                hi,
                fields=fk.DEFAULT_FIELDS,
                endpoint_url=ep,
                session=boto3.Session(**nobody),
            )
    assert len(df) == 2 * 60
    assert denied.value.permission == "logs:FilterLogEvents"
    assert group["name"] in denied.value.resource


def test_read_cloudwatch_rejects_reversed_window(group: dict[str, Any]) -> None:
    lo, hi = _window(0, 60)
    with pytest.raises(ValueError, match="must be after start"):
        fk.read_cloudwatch(group["name"], hi, lo, endpoint_url=group["endpoint"])
