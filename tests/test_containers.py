"""CloudWatch Logs and Firehose containers: unwrapping (pure) and loading with fk.read."""

from __future__ import annotations

import base64
import gzip
import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

import flowkit as fk
from flowkit.parse.containers import (
    is_json,
    strip_export_timestamps,
    unwrap_base64_lines,
    unwrap_json,
)

DATA = Path(__file__).parent / "data" / "cloudwatch"
ACCEPT = "2 123456789010 eni-1235b8ca123456789 192.0.2.139 192.0.2.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"  # noqa: E501
NODATA = "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA"
CONTROL = {
    "messageType": "CONTROL_MESSAGE",
    "owner": "CloudwatchLogs",
    "logGroup": "",
    "logStream": "",
    "subscriptionFilters": [],
    "logEvents": [{"id": "", "timestamp": 1, "message": "CWL CONTROL MESSAGE: Checking health"}],
}


def data_message(stream: str, *messages: str) -> dict[str, object]:
    return {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789010",
        "logGroup": "vpc-flow-logs",
        "logStream": stream,
        "subscriptionFilters": ["to-firehose"],
        "logEvents": [
            {"id": str(i), "timestamp": 1418530010000, "message": m} for i, m in enumerate(messages)
        ],
    }


def load(path: Path, **kwargs: object) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fk.read(path, **kwargs)  # type: ignore[call-overload]


def counts(df: pd.DataFrame) -> dict[str, int]:
    files = df.attrs["flowkit"]["files"]
    assert len(files) == 1
    c: dict[str, int] = next(iter(files.values()))
    assert c["records"] + c["quarantined"] + c["header_lines"] + c["blank_lines"] == c["lines_read"]
    return c


# -- pure unwrapping --------------------------------------------------------------------------


def test_is_json() -> None:
    assert is_json(b'  \n{"events": []}')
    assert is_json(b"[1, 2]")
    assert not is_json(ACCEPT.encode())
    assert not is_json(b"")


def test_unwrap_get_log_events() -> None:
    u = unwrap_json((DATA / "get_log_events.json").read_bytes())
    assert u.messages == [ACCEPT, NODATA]
    assert u.positions == [1, 2]
    assert u.ingestion_time == [1418530391000, 1431281301000]
    assert u.log_stream == [None, None]
    assert u.problems == []


def test_unwrap_several_pages_counts_positions_over_the_file() -> None:
    u = unwrap_json((DATA / "get_log_events_pages.json").read_bytes())
    assert len(u.messages) == 3
    assert u.positions == [1, 2, 3]
    assert u.messages[2].endswith("SKIPDATA")


def test_unwrap_a_list_of_pages_and_a_bare_list_of_events() -> None:
    page = {"events": [{"message": ACCEPT}, {"message": NODATA}]}
    assert len(unwrap_json(json.dumps([page, page]).encode()).messages) == 4
    assert unwrap_json(json.dumps(page["events"]).encode()).messages == [ACCEPT, NODATA]


def test_unwrap_filter_log_events_keeps_the_stream() -> None:
    u = unwrap_json((DATA / "filter_log_events.json").read_bytes())
    assert u.log_stream == [
        "eni-1235b8ca123456789",
        "eni-0a1b2c3d4e5f60718",
        "eni-0a1b2c3d4e5f60718",
    ]
    assert u.messages[2] == "bogus!"


def test_unwrap_subscription_skips_control_messages() -> None:
    u = unwrap_json((DATA / "subscription_payloads.json").read_bytes())
    assert u.control_events == 1
    assert u.messages == [ACCEPT, NODATA]
    assert u.log_stream == ["eni-1235b8ca123456789"] * 2


def test_unwrap_firehose_concatenated_objects() -> None:
    raw = (DATA / "firehose_object").read_bytes()
    assert b"\n" not in raw
    u = unwrap_json(raw)
    assert len(u.messages) == 3
    assert u.messages[1].endswith("REJECT OK")


def test_unwrap_strips_newlines_inside_messages() -> None:
    u = unwrap_json(json.dumps({"message": ACCEPT + "\n"}).encode() + b"\n")
    assert u.messages == [ACCEPT]


def test_unwrap_reports_events_without_a_message() -> None:
    raw = json.dumps({"events": [{"message": ACCEPT}, {"timestamp": 1}, 42]}).encode()
    u = unwrap_json(raw)
    assert u.messages == [ACCEPT]
    assert [(p[0], p[2]) for p in u.problems] == [
        (2, "JSON object has no 'message' string"),
        (3, "JSON object has no 'message' string"),
    ]


def test_unwrap_reports_a_value_that_is_not_an_event() -> None:
    u = unwrap_json(b'{"message": "a b"} 42')
    assert u.messages == ["a b"]
    assert u.problems == [(2, "42", "JSON value is not a log event")]


def test_unwrap_invalid_json_keeps_what_came_before() -> None:
    raw = b'{"message": "' + ACCEPT.encode() + b'"}{"message": "2 1 eni'
    u = unwrap_json(raw)
    assert u.messages == [ACCEPT]
    assert len(u.problems) == 1
    pos, text, reason = u.problems[0]
    assert pos == 2
    assert text == '{"message": "2 1 eni'
    assert reason.startswith("invalid JSON at character")


def test_unwrap_base64_lines() -> None:
    lines = [
        base64.b64encode(gzip.compress(json.dumps(p).encode()))
        for p in (CONTROL, data_message("eni-a", ACCEPT), data_message("eni-b", NODATA, ACCEPT))
    ]
    u = unwrap_base64_lines(b"\n".join(lines) + b"\n")
    assert u is not None
    assert u.kind == "subscription"
    assert u.control_events == 1
    assert u.messages == [ACCEPT, NODATA, ACCEPT]
    assert u.log_stream == ["eni-a", "eni-b", "eni-b"]


def test_unwrap_base64_lines_reports_a_bad_payload() -> None:
    good = base64.b64encode(gzip.compress(json.dumps(data_message("eni-a", ACCEPT)).encode()))
    bad = base64.b64encode(b"this is not gzip at all, only text")
    u = unwrap_base64_lines(good + b"\n" + bad + b"\n")
    assert u is not None
    assert u.messages == [ACCEPT]
    assert len(u.problems) == 1
    assert u.problems[0][2].startswith("bad subscription payload")


@pytest.mark.parametrize(
    "raw",
    [
        ACCEPT.encode(),
        b"",
        base64.b64encode(b"plain text that is long enough, not gzip"),
        b"version account-id interface-id",
    ],
)
def test_unwrap_base64_lines_says_none_when_not_base64_gzip(raw: bytes) -> None:
    assert unwrap_base64_lines(raw) is None


def test_strip_export_timestamps() -> None:
    raw = (DATA / "export_000000.txt").read_bytes()
    out = strip_export_timestamps(raw)
    assert out is not None
    assert out.decode().splitlines()[0] == ACCEPT
    assert out.decode().splitlines()[2] == NODATA
    assert strip_export_timestamps(ACCEPT.encode() + b"\n") is None
    assert strip_export_timestamps(b"2014-12-14T04:06:50Z\t" + ACCEPT.encode()) == ACCEPT.encode()


# -- through fk.read --------------------------------------------------------------------------


def test_read_get_log_events() -> None:
    df = load(DATA / "get_log_events.json")
    assert df["log_status"].tolist() == ["OK", "NODATA"]
    assert df["srcport"].tolist()[0] == 20641
    assert df["ingestion_time"].tolist() == [
        pd.Timestamp("2014-12-14 04:13:11", tz="UTC"),
        pd.Timestamp("2015-05-10 18:08:21", tz="UTC"),
    ]
    assert counts(df) == {
        "lines_read": 2,
        "records": 2,
        "quarantined": 0,
        "header_lines": 0,
        "blank_lines": 0,
        "file_errors": 0,
    }


def test_read_get_log_events_pages() -> None:
    df = load(DATA / "get_log_events_pages.json")
    assert df["action"].tolist()[:2] == ["ACCEPT", "REJECT"]
    assert df["log_status"].tolist() == ["OK", "OK", "SKIPDATA"]
    assert counts(df)["records"] == 3


def test_read_filter_log_events_quarantines_the_bogus_event() -> None:
    df = load(DATA / "filter_log_events.json")
    assert df["log_stream"].tolist() == ["eni-1235b8ca123456789", "eni-0a1b2c3d4e5f60718"]
    assert df["srcaddr"].tolist()[1] == "2001:db8:1234:a100:8d6e:3477:df66:f105"
    q = fk.quarantine(df)
    assert q[["line", "raw", "reason"]].to_dict("records") == [
        {"line": 3, "raw": "bogus!", "reason": "expected 14 fields, found 1"}
    ]
    assert counts(df) == {
        "lines_read": 3,
        "records": 2,
        "quarantined": 1,
        "header_lines": 0,
        "blank_lines": 0,
        "file_errors": 0,
    }


def test_read_subscription_payloads_raw() -> None:
    df = load(DATA / "subscription_payloads.json")
    assert df["log_status"].tolist() == ["OK", "NODATA"]
    c = counts(df)
    assert (c["records"], c["header_lines"], c["lines_read"]) == (2, 1, 3)


def test_read_subscription_payloads_gzip_multi_member(tmp_path: Path) -> None:
    # Firehose writes subscription payloads to S3 as concatenated gzip members
    members = [CONTROL, data_message("eni-a", ACCEPT), data_message("eni-b", NODATA)]
    path = tmp_path / "firehose-object.gz"
    path.write_bytes(b"".join(gzip.compress(json.dumps(m).encode()) for m in members))
    df = load(path)
    assert df["log_stream"].tolist() == ["eni-a", "eni-b"]
    c = counts(df)
    assert (c["records"], c["header_lines"], c["quarantined"]) == (2, 1, 0)


def test_read_subscription_payloads_base64(tmp_path: Path) -> None:
    members = [CONTROL, data_message("eni-a", ACCEPT, "bogus!"), data_message("eni-b", NODATA)]
    path = tmp_path / "kinesis-records.txt"
    path.write_bytes(
        b"\n".join(base64.b64encode(gzip.compress(json.dumps(m).encode())) for m in members) + b"\n"
    )
    df = load(path)
    assert df["log_status"].tolist() == ["OK", "NODATA"]
    assert fk.quarantine(df)["raw"].tolist() == ["bogus!"]
    c = counts(df)
    assert (c["records"], c["header_lines"], c["quarantined"]) == (2, 1, 1)


def test_read_firehose_object() -> None:
    df = load(DATA / "firehose_object")
    assert df["action"].tolist()[:2] == ["ACCEPT", "REJECT"]
    assert df["action"].isna().tolist() == [False, False, True]
    assert df["log_status"].tolist() == ["OK", "OK", "NODATA"]
    assert counts(df)["records"] == 3


def test_read_firehose_object_gzip(tmp_path: Path) -> None:
    path = tmp_path / "stream-1-2024-06-08-05-00-00-abc.gz"
    path.write_bytes(gzip.compress((DATA / "firehose_object").read_bytes()))
    df = load(path)
    assert df["dstport"].tolist()[:2] == [22, 3389]


def test_read_cloudwatch_export(tmp_path: Path) -> None:
    df = load(DATA / "export_000000.txt")
    assert df["log_status"].tolist() == ["OK", "OK", "NODATA"]
    assert df["start"].tolist()[0] == pd.Timestamp("2014-12-14 04:06:50", tz="UTC")
    assert counts(df)["records"] == 3
    path = tmp_path / "exportTask" / "eni-1235b8ca123456789" / "000000.gz"
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress((DATA / "export_000000.txt").read_bytes()))
    df = load(path)
    assert df["dstport"].tolist()[:2] == [22, 3389]
    assert fk.quarantine(df).empty


@pytest.mark.slow
def test_read_big_cloudwatch_export_strips_every_chunk(tmp_path: Path) -> None:
    line = "2014-12-14T04:06:50.000Z " + ACCEPT + "\n"
    n = (34 << 20) // len(line)
    path = tmp_path / "000000.gz"
    path.write_bytes(gzip.compress((line * n).encode(), compresslevel=1))
    df = load(path)
    assert fk.quarantine(df).empty
    assert len(df) == n


def test_read_header_less_container_with_a_custom_format(tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text(json.dumps({"events": [{"message": "192.0.2.1 198.51.100.1 100 2"}]}))
    df = load(path, fields="${srcaddr} ${dstaddr} ${bytes} ${packets}")
    assert df[["srcaddr", "dstaddr", "packets", "bytes"]].astype(object).to_dict("records") == [
        {"srcaddr": "192.0.2.1", "dstaddr": "198.51.100.1", "packets": 2, "bytes": 100}
    ]


def test_read_container_never_takes_a_message_as_a_header(tmp_path: Path) -> None:
    header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"  # noqa: E501
    path = tmp_path / "events.json"
    path.write_text(json.dumps({"events": [{"message": header}, {"message": ACCEPT}]}))
    df = load(path)
    assert len(df) == 1
    c = counts(df)
    assert (c["records"], c["quarantined"]) == (1, 1)


def test_read_invalid_json_container(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    path.write_text('{"events": [{"message": "' + ACCEPT + '"}]}\n{"events": [{"message": "2 1')
    df = load(path)
    assert len(df) == 1
    q = fk.quarantine(df)
    assert q["line"].tolist() == [2]
    assert q["reason"].str.startswith("invalid JSON").all()
    assert counts(df)["quarantined"] == 1


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("utf-8", b"\xef\xbb\xbf")],
)
def test_read_json_dump_saved_with_a_byte_order_mark(
    tmp_path: Path, encoding: str, bom: bytes
) -> None:
    # Windows PowerShell 5 saves `aws logs filter-log-events ... > out.json` as UTF-16 LE + BOM
    path = tmp_path / "out.json"
    path.write_bytes(bom + (DATA / "filter_log_events.json").read_text().encode(encoding))
    df = load(path)
    assert df["log_stream"].tolist() == ["eni-1235b8ca123456789", "eni-0a1b2c3d4e5f60718"]
    assert fk.quarantine(df)["raw"].tolist() == ["bogus!"]
