"""fk.read on hand-written fixtures: every version, AWS doc examples, odd cases, TGW, Parquet."""

from __future__ import annotations

import gzip
import shutil
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import flowkit as fk
from flowkit.schema import FIELDS_BY_COLUMN, TIME_DTYPE, dtype_of

DATA = Path(__file__).parent / "data"
VERSIONS = [2, 3, 4, 5, 7, 8, 9, 10, 11]
UTC = "UTC"


def load(source: Any, *, reader: Any = fk.read, **kwargs: Any) -> pd.DataFrame:
    """Load with warnings silenced, and check the counts of every file reconcile."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = reader(source, **kwargs)
    for name, c in df.attrs["flowkit"]["files"].items():
        total = c["records"] + c["quarantined"] + c["header_lines"] + c["blank_lines"]
        assert total == c["lines_read"], name
    return df


def only_counts(df: pd.DataFrame) -> dict[str, int]:
    files = df.attrs["flowkit"]["files"]
    assert len(files) == 1
    return dict(next(iter(files.values())))


def values(s: pd.Series) -> list[Any]:
    """Python values with None for missing (categories, nullable ints and times alike)."""
    return [None if pd.isna(v) else v for v in s.astype(object).tolist()]


def assert_schema_dtypes(df: pd.DataFrame) -> None:
    for col in df.columns:
        if col in FIELDS_BY_COLUMN:
            expected = dtype_of(col)
            if expected == "category":
                assert isinstance(df[col].dtype, pd.CategoricalDtype), col
            else:
                assert str(df[col].dtype) == expected, col


# -- every version ----------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_every_version_loads_every_field_with_its_dtype(version: int) -> None:
    path = DATA / "versions" / f"v{version}.log"
    header = path.read_text().splitlines()[0].split()
    df = load(path, enrich=False)
    assert fk.quarantine(df).empty
    assert "protocol_name" in load(path).columns  # the enriched load adds derived columns
    fields = list(df.columns)
    assert sorted(fields) == sorted(h.replace("-", "_") for h in header)
    assert_schema_dtypes(df)
    assert df["version"].iloc[0] == version
    assert df["srcport"].iloc[0] == 20641
    assert df["start"].iloc[0] == pd.Timestamp(1418530010, unit="s", tz=UTC)
    assert only_counts(df)["records"] == len(path.read_text().splitlines()) - 1


def test_v2_keeps_nodata() -> None:
    df = load(DATA / "versions" / "v2.log")
    assert values(df["log_status"]) == ["OK", "NODATA"]
    assert values(df["srcaddr"]) == ["192.0.2.139", None]
    assert values(df["bytes"]) == [4249, None]


def test_v11_values() -> None:
    row = load(DATA / "versions" / "v11.log").iloc[0]
    assert row["reject_reason"] == "BPA"
    assert row["resource_id"] == "nat-0123456789abcdef0"
    assert row["encryption_status"] == 1
    assert row["traffic_path"] == 8
    assert row["instance_tag"] == "web-1"
    assert row["instance_tag_2"] == "team%20blue"  # percent-encoded, kept as delivered
    assert pd.isna(row["interface_tag"])
    assert row["next_hop_interface_type"] == "regional_nat_gateway"
    assert row["ecs_task_id"] == "0123456789abcdef0123456789abcdef"
    assert pd.isna(row["ecs_container_instance_arn"])


# -- the AWS "Flow log record examples" page --------------------------------------------------


def test_example_accepted_and_rejected() -> None:
    df = load(DATA / "aws_examples" / "accepted_rejected.log")
    assert values(df["action"]) == ["ACCEPT", "REJECT"]
    assert values(df["dstport"]) == [22, 3389]
    assert values(df["protocol_name"]) == ["TCP", "TCP"]
    assert values(df["duration"]) == [60, 60]
    assert values(df["account_id"]) == ["123456789010"] * 2


def test_example_nodata_and_skipdata_are_kept() -> None:
    df = load(DATA / "aws_examples" / "nodata_skipdata.log")
    assert values(df["log_status"]) == ["NODATA", "SKIPDATA"]
    for col in (
        "srcaddr",
        "dstaddr",
        "srcport",
        "dstport",
        "protocol",
        "packets",
        "bytes",
        "action",
    ):
        assert df[col].isna().all(), col
    assert values(df["start"]) == [pd.Timestamp(1431280876, unit="s", tz=UTC)] * 2
    assert values(df["duration"]) == [58, 58]
    assert df["protocol_name"].isna().all()


def test_example_icmp_ping_reply_rejected_by_the_nacl() -> None:
    df = load(DATA / "aws_examples" / "icmp_nacl_reply_reject.log")
    assert values(df["action"]) == ["ACCEPT", "REJECT"]
    assert values(df["srcport"]) == [0, 0]
    assert values(df["protocol_name"]) == ["ICMP", "ICMP"]
    assert values(df["duration"]) == [115, 48]


def test_example_ipv6() -> None:
    df = load(DATA / "aws_examples" / "ipv6.log")
    assert values(df["srcaddr"]) == ["2001:db8:1234:a100:8d6e:3477:df66:f105"]
    assert values(df["dstaddr"]) == ["2001:db8:1234:a102:3304:8879:34cf:4071"]
    assert values(df["bytes"]) == [8855]


def test_example_tcp_flag_sequence_bytes_before_packets_and_a_doubled_space() -> None:
    path = DATA / "aws_examples" / "tcp_flags.log"
    assert "  " in path.read_text()
    df = load(path)
    assert fk.quarantine(df).empty
    assert len(df) == 6
    assert values(df["tcp_flags"]) == [2, 18, 2, 1, 3, 19]
    assert values(df["bytes"]) == [568, 376, 100701, 632, 1260, 967]
    assert values(df["packets"]) == [8, 7, 70, 12, 17, 14]
    assert values(df["pkt_dstaddr"])[-1] == "203.0.113.42"
    assert values(df["type"]) == ["IPv4"] * 6
    assert values(df["version"]) == [3] * 6


def test_example_nat_gateway() -> None:
    df = load(DATA / "aws_examples" / "nat_gateway.log", enrich=False)
    assert list(df.columns) == [
        "interface_id",
        "srcaddr",
        "dstaddr",
        "instance_id",
        "pkt_srcaddr",
        "pkt_dstaddr",
    ]
    assert len(df) == 6
    assert df["instance_id"].isna().tolist() == [True] * 4 + [False] * 2
    nat = df[df["interface_id"] == "eni-1235b8ca123456789"]
    assert values(nat["dstaddr"])[0] == "192.0.2.220"
    assert values(nat["pkt_dstaddr"])[0] == "203.0.113.5"


def test_example_transit_gateway_enis_are_vpc_records() -> None:
    df = load(DATA / "aws_examples" / "transit_gateway_enis.log")
    assert len(df) == 4
    assert df.attrs["flowkit"]["skipped_files"] == {}
    assert values(df["srcaddr"])[2] == "192.0.2.175"
    assert values(df["pkt_srcaddr"])[2] == "198.51.100.164"
    assert values(df["tcp_flags"]) == [3, 19, 3, 19]


def test_example_v5_service_traffic_path_and_direction() -> None:
    df = load(DATA / "aws_examples" / "v5_service_path_direction.log")
    assert values(df["flow_direction"]) == ["ingress", "egress"]
    assert values(df["pkt_src_aws_service"]) == ["S3", None]
    assert values(df["pkt_dst_aws_service"]) == [None, "S3"]
    assert values(df["traffic_path"]) == [None, 8]
    assert values(df["az_id"]) == ["use1-az4"] * 2
    assert df["sublocation_type"].isna().all()


# -- odd cases --------------------------------------------------------------------------------


def test_double_spaces_and_trailing_space() -> None:
    df = load(DATA / "odd" / "double_spaces.log")
    assert fk.quarantine(df).empty
    assert values(df["srcaddr"]) == ["192.0.2.139", "192.0.2.21"]
    assert values(df["dstport"]) == [22, 20641]
    assert values(df["log_status"]) == ["OK", "OK"]


def test_repeated_header_mid_file() -> None:
    df = load(DATA / "odd" / "repeated_header.log")
    assert len(df) == 2
    assert only_counts(df) == {
        "lines_read": 5,
        "records": 2,
        "quarantined": 0,
        "header_lines": 2,
        "blank_lines": 1,
        "file_errors": 0,
    }


def test_header_that_changes_format_mid_file() -> None:
    df = load(DATA / "odd" / "header_change.log")
    assert len(df) == 2
    assert values(df["bytes"]) == [4249, 1200]
    assert values(df["packets"]) == [20, 3]
    assert values(df["action"]) == ["ACCEPT", None]
    assert only_counts(df)["header_lines"] == 2


def test_crlf_line_ends(tmp_path: Path) -> None:
    text = (DATA / "aws_examples" / "accepted_rejected.log").read_text()
    path = tmp_path / "crlf.log"
    path.write_bytes(text.replace("\n", "\r\n").encode())
    df = load(path)
    assert values(df["log_status"]) == ["OK", "OK"]  # no stray '\r'
    assert values(df["action"]) == ["ACCEPT", "REJECT"]
    gz = tmp_path / "crlf.log.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    assert values(load(gz)["log_status"]) == ["OK", "OK"]


def test_millisecond_timestamps() -> None:
    df = load(DATA / "odd" / "ms_timestamps.log")
    expected = pd.Timestamp("2017-12-06 12:40:58", tz=UTC)
    assert values(df["start"]) == [expected, expected]
    assert values(df["end"]) == [expected + pd.Timedelta(seconds=60)] * 2
    assert str(df["start"].dtype) == TIME_DTYPE
    assert values(df["duration"]) == [60, 60]


def test_unknown_account_and_leading_zeros() -> None:
    df = load(DATA / "odd" / "unknown_account.log")
    assert values(df["account_id"]) == ["unknown", "000123456789"]


def test_unknown_fields_are_kept_as_strings() -> None:
    df = load(DATA / "odd" / "unknown_fields.log")
    assert fk.quarantine(df).empty
    assert list(df.columns)[:4] == ["version", "srcaddr", "dstaddr", "log_status"]
    assert str(df["future_field"].dtype) == "string"
    assert str(df["zz_new_counter"].dtype) == "string"
    assert values(df["future_field"]) == ["some-value", None]
    assert values(df["zz_new_counter"]) == ["0042", "7"]  # not a number to flowkit: kept as text
    assert values(df["version"]) == [12, 12]


def test_custom_field_order() -> None:
    df = load(DATA / "odd" / "custom_order.log")
    row = df.iloc[0]
    assert (row["srcport"], row["dstport"], row["packets"], row["bytes"]) == (49761, 3389, 20, 4249)
    assert (row["action"], row["log_status"], row["account_id"]) == ("REJECT", "OK", "123456789010")
    assert row["start"] == pd.Timestamp(1418530010, unit="s", tz=UTC)
    # columns come in field-table order whatever the file's order
    assert list(df.columns)[:4] == ["version", "account_id", "interface_id", "srcaddr"]


def test_mixed_formats_in_one_folder_load_into_one_frame(tmp_path: Path) -> None:
    for name in ("v2.log", "v5.log", "v11.log"):
        shutil.copy(DATA / "versions" / name, tmp_path / name)
    shutil.copy(DATA / "aws_examples" / "tcp_flags.log", tmp_path / "tcp.log")
    df = load(tmp_path)
    assert len(df) == 2 + 1 + 1 + 6
    assert len(df.attrs["flowkit"]["formats"]) == 4
    assert "ecs_cluster_name" in df.columns
    assert df["ecs_cluster_name"].notna().sum() == 1
    assert df["tcp_flags"].notna().sum() == 1 + 1 + 6
    assert_schema_dtypes(df)


def test_header_less_text_takes_fields(tmp_path: Path) -> None:
    path = tmp_path / "cwl.txt"
    path.write_text("4249 20 192.0.2.1\n- 3 198.51.100.2\n")
    by_format = load(path, fields="${bytes} ${packets} ${srcaddr}")
    by_list = load(path, fields=["bytes", "packets", "srcaddr"])
    assert values(by_format["bytes"]) == [4249, None]
    assert values(by_format["packets"]) == [20, 3]
    pd.testing.assert_frame_equal(by_format, by_list)


def test_header_less_text_defaults_to_the_default_format_whatever_its_version(
    tmp_path: Path,
) -> None:
    line = (DATA / "versions" / "v2.log").read_text().splitlines()[1]
    path = tmp_path / "cwl.txt"
    path.write_text(line.replace("2 ", "5 ", 1) + "\n")  # version 5 says nothing of the format
    df = load(path)
    assert list(df.columns)[:14] == [f.replace("-", "_") for f in fk.DEFAULT_FIELDS]
    assert values(df["version"]) == [5]
    assert values(df["dstport"]) == [22]


def test_a_file_header_wins_over_fields(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    shutil.copy(DATA / "odd" / "custom_order.log", path)
    df = load(path, fields="${srcaddr} ${dstaddr}")
    assert values(df["dstport"]) == [3389]


# -- Transit Gateway --------------------------------------------------------------------------


def test_read_tgw_loads_tgw_flow_logs() -> None:
    df = load(DATA / "tgw" / "tgw_default.log", reader=fk.read_tgw)
    assert len(df) == 3
    assert "action" not in df.columns
    assert values(df["resource_type"]) == [
        "TransitGatewayAttachment",
        "TransitGateway",
        "TransitGateway",
    ]
    assert values(df["packets_lost_ttl_expired"]) == [0, 3, None]
    assert values(df["tgw_dst_vpc_account_id"])[0] == "999999999999"
    assert values(df["log_status"]) == ["OK", "OK", "NODATA"]
    assert_schema_dtypes(df)


def test_read_tgw_custom_order_and_ipv6() -> None:
    df = load(DATA / "tgw" / "tgw_otel_order.log", reader=fk.read_tgw)
    assert values(df["srcaddr"]) == ["2001:db8::10"]
    assert values(df["packets_lost_mtu_exceeded"]) == [5]
    assert values(df["type"]) == ["IPv6"]


def test_read_keeps_tgw_files_apart(tmp_path: Path) -> None:
    shutil.copy(DATA / "tgw" / "tgw_default.log", tmp_path / "tgw.log")
    shutil.copy(DATA / "versions" / "v2.log", tmp_path / "vpc.log")
    with pytest.warns(UserWarning, match="skipped 1 file"):
        vpc = fk.read(tmp_path)
    assert len(vpc) == 2
    assert "tgw_id" not in vpc.columns
    assert list(vpc.attrs["flowkit"]["skipped_files"]) == [str(tmp_path / "tgw.log")]
    assert "fk.read_tgw" in vpc.attrs["flowkit"]["skipped_files"][str(tmp_path / "tgw.log")]
    assert list(vpc.attrs["flowkit"]["files"]) == [str(tmp_path / "vpc.log")]
    tgw = load(tmp_path, reader=fk.read_tgw)
    assert len(tgw) == 3
    assert list(tgw.attrs["flowkit"]["skipped_files"]) == [str(tmp_path / "vpc.log")]


def test_read_tgw_header_less_takes_the_tgw_default_format(tmp_path: Path) -> None:
    record = (DATA / "tgw" / "tgw_default.log").read_text().splitlines()[1]
    path = tmp_path / "tgw-cwl.txt"
    path.write_text(record + "\n")
    df = load(path, reader=fk.read_tgw, fields=fk.TGW_DEFAULT_FIELDS)
    assert values(df["tgw_id"]) == ["tgw-0123456789abcdef0"]


# -- Parquet ----------------------------------------------------------------------------------

# AWS Parquet types (flow-logs-spec.md section 1.2): INT_32, INT_64 or STRING, underscore names
PARQUET_TYPES = {
    "version": pa.int32(),
    "srcport": pa.int32(),
    "dstport": pa.int32(),
    "protocol": pa.int32(),
    "packets": pa.int64(),
    "bytes": pa.int64(),
    "start": pa.int64(),
    "end": pa.int64(),
    "tcp_flags": pa.int32(),
    "traffic_path": pa.int32(),
}


def text_to_parquet(text_path: Path, out: Path) -> None:
    lines = text_path.read_text().splitlines()
    header = [h.replace("-", "_") for h in lines[0].split()]
    rows = [line.split() for line in lines[1:]]
    columns = {}
    for i, name in enumerate(header):
        raw = [None if r[i] == "-" else r[i] for r in rows]
        t = PARQUET_TYPES.get(name, pa.string())
        columns[name] = pa.array(
            [None if v is None else int(v) for v in raw] if t != pa.string() else raw, t
        )
    pq.write_table(pa.table(columns), out)


@pytest.mark.parametrize(
    "fixture",
    ["versions/v2.log", "versions/v5.log", "versions/v11.log", "aws_examples/tcp_flags.log"],
)
def test_parquet_equals_text(tmp_path: Path, fixture: str) -> None:
    text = DATA / fixture
    parquet = (
        tmp_path
        / "123456789010_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_fe123456.log.parquet"
    )
    text_to_parquet(text, parquet)
    from_text = load(text)
    from_parquet = load(parquet)
    assert only_counts(from_parquet)["records"] == len(from_text)
    pd.testing.assert_frame_equal(from_parquet, from_text, check_categorical=False)


def test_parquet_value_out_of_range_is_quarantined_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "odd.parquet"
    table = pa.table(
        {
            "srcport": pa.array([443, 70000], pa.int32()),
            "protocol": pa.array([6, 6], pa.int32()),
            "log_status": ["OK", "OK"],
        }
    )
    pq.write_table(table, path)
    df = load(path)
    assert values(df["srcport"]) == [443]
    assert len(fk.quarantine(df)) == 1


# -- enrichment and in-memory lines -----------------------------------------------------------


def test_enrich_adds_protocol_name_and_duration_and_can_be_turned_off(tmp_path: Path) -> None:
    lines = [
        "2 123456789010 eni-1 192.0.2.1 198.51.100.2 1 2 6 1 40 1700000000 1700000059 ACCEPT OK",
        "2 123456789010 eni-1 192.0.2.1 198.51.100.2 1 2 17 1 40 1700000000 1700000000 ACCEPT OK",
        "2 123456789010 eni-1 2001:db8::1 2001:db8::2 0 0 58 1 40 1700000000 1700000600 ACCEPT OK",
        "2 123456789010 eni-1 192.0.2.1 198.51.100.2 0 0 253 1 40 1700000000 1700000001 ACCEPT OK",
    ]
    df = fk.parse_lines(lines)
    assert values(df["protocol_name"]) == ["TCP", "UDP", "IPv6-ICMP", "Experimental-253"]
    assert values(df["duration"]) == [59, 0, 600, 1]
    plain = fk.parse_lines(lines, enrich=False)
    assert "protocol_name" not in plain.columns
    assert "duration" not in plain.columns


def test_parse_lines_with_a_header_and_a_bad_line() -> None:
    text = (DATA / "aws_examples" / "tcp_flags.log").read_text().splitlines()
    with pytest.warns(UserWarning, match="1 line"):
        df = fk.parse_lines([*text[:3], "bogus line"])
    assert values(df["bytes"]) == [568, 376]
    assert fk.quarantine(df)[["file", "line"]].to_dict("records") == [
        {"file": "<lines>", "line": 4}
    ]


def test_provenance_lists_sources_and_formats(tmp_path: Path) -> None:
    shutil.copy(DATA / "versions" / "v3.log", tmp_path / "a.log")
    df = load(tmp_path)
    prov = fk.provenance(df)
    assert prov["sources"] == [str(tmp_path / "a.log")]
    assert list(prov["formats"]) == [(DATA / "versions" / "v3.log").read_text().splitlines()[0]]
    assert prov["totals"]["records"] == 1


def test_filtering_a_frame_keeps_its_provenance() -> None:
    df = load(DATA / "versions" / "v2.log")
    sub = df[df["log_status"] == "OK"]
    assert fk.provenance(sub)["files"] == df.attrs["flowkit"]["files"]


# -- more shapes of real files ----------------------------------------------------------------


def test_multi_member_gzip_and_zero_padding(tmp_path: Path) -> None:
    text = (DATA / "aws_examples" / "accepted_rejected.log").read_text().splitlines(keepends=True)
    path = tmp_path / "cat.log.gz"  # `cat a.gz b.gz > cat.log.gz`, then padded with zeros
    path.write_bytes(
        gzip.compress("".join(text[:2]).encode()) + gzip.compress(text[2].encode()) + b"\0" * 64
    )
    df = load(path)
    assert values(df["action"]) == ["ACCEPT", "REJECT"]
    assert fk.quarantine(df).empty


def test_files_without_a_final_newline(tmp_path: Path) -> None:
    text = (DATA / "aws_examples" / "accepted_rejected.log").read_text().rstrip("\n")
    for i in range(3):
        (tmp_path / f"{i}.log").write_text(text)
    df = load(tmp_path)
    assert len(df) == 6
    assert fk.quarantine(df).empty


def test_blank_lines_before_the_header_and_a_blank_only_file(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_text("\n" + (DATA / "aws_examples" / "ipv6.log").read_text())
    df = load(path)
    assert values(df["dstport"]) == [22]
    assert only_counts(df)["blank_lines"] == 1
    blank = tmp_path / "blank" / "b.log"
    blank.parent.mkdir()
    blank.write_text("\n  \n\t\n")
    df = load(blank)
    assert len(df) == 0
    assert fk.quarantine(df).empty
    assert only_counts(df)["blank_lines"] == 3


def test_header_with_a_utf8_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom.log"
    path.write_bytes(b"\xef\xbb\xbf" + (DATA / "odd" / "custom_order.log").read_bytes())
    df = load(path)
    assert fk.quarantine(df).empty
    assert values(df["dstport"]) == [3389]


def test_values_outside_the_documented_sets_are_kept_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_text((DATA / "versions" / "v2.log").read_text().replace("ACCEPT", "DROP"))
    with pytest.warns(UserWarning, match="outside the documented sets"):
        df = fk.read(path)
    assert values(df["action"]) == ["DROP", None]
    assert df.attrs["flowkit"]["unexpected_values"] == {"action": ["DROP"]}


def test_parquet_with_timestamp_columns_and_an_empty_parquet(tmp_path: Path) -> None:
    start = pd.Timestamp("2024-06-08 05:00:00", tz=UTC)
    table = pa.table(
        {
            "start": pa.array([start], pa.timestamp("s", tz="UTC")),
            "end": pa.array([start + pd.Timedelta(seconds=30)], pa.timestamp("ms", tz="UTC")),
            "dstport": pa.array([443], pa.int32()),
        }
    )
    pq.write_table(table, tmp_path / "a.parquet")
    df = load(tmp_path / "a.parquet")
    assert values(df["start"]) == [start]
    assert values(df["duration"]) == [30]
    assert str(df["end"].dtype) == TIME_DTYPE
    pq.write_table(pa.table({"dstport": pa.array([], pa.int32())}), tmp_path / "empty.parquet")
    empty = load(tmp_path / "empty.parquet")
    assert len(empty) == 0
    assert only_counts(empty)["lines_read"] == 0


def test_every_fixture_at_once() -> None:
    """The whole fixture tree in one load: nothing crashes, nothing is lost, counts add up."""
    df = load(DATA)
    prov = df.attrs["flowkit"]
    on_disk = {
        str(p)
        for p in DATA.rglob("*")
        if p.is_file() and p.name.endswith((".log", ".gz", ".txt", ".parquet"))
    }
    assert set(prov["files"]) | set(prov["skipped_files"]) == on_disk
    assert set(prov["skipped_files"]) == {str(p) for p in (DATA / "tgw").glob("*.log")}
    assert prov["totals"]["records"] == len(df)
    q = fk.quarantine(df)
    assert prov["totals"]["quarantined"] + prov["totals"]["file_errors"] == len(q)
    assert set(q["file"]) == {
        str(DATA / "bad" / n)
        for n in ("empty.log", "non_numeric.log", "port_out_of_range.log", "wrong_field_count.log")
    }
    assert_schema_dtypes(df)


def test_concatenated_files_with_different_formats(tmp_path: Path) -> None:
    # `zcat *.log.gz > all.log`: every file's header comes along and switches the format
    names = ["versions/v2.log", "aws_examples/tcp_flags.log", "odd/unknown_fields.log"]
    path = tmp_path / "all.log"
    path.write_text("".join((DATA / n).read_text() for n in names))
    df = load(path)
    assert fk.quarantine(df).empty
    assert len(df) == 2 + 6 + 2
    assert only_counts(df)["header_lines"] == 3
    assert values(df["tcp_flags"])[2:8] == [2, 18, 2, 1, 3, 19]
    assert values(df["future_field"])[8:] == ["some-value", None]


def test_tgw_records_after_a_mid_file_header_stay_out_of_a_vpc_load(tmp_path: Path) -> None:
    path = tmp_path / "cat.log"
    path.write_text(
        (DATA / "versions" / "v2.log").read_text() + (DATA / "tgw" / "tgw_default.log").read_text()
    )
    df = load(path)
    assert "tgw_id" not in df.columns
    assert values(df["log_status"]) == ["OK", "NODATA"]
