"""The field table (flowkit.schema) against the spec: every field, version, dtype and enum."""

from __future__ import annotations

import pytest

from flowkit.schema import (
    DEFAULT_FIELDS,
    DEFAULT_FORMAT,
    FIELDS,
    FIELDS_BY_COLUMN,
    FIELDS_BY_NAME,
    TGW_DEFAULT_FIELDS,
    TIME_DTYPE,
    UNKNOWN_DTYPE,
    column_name,
    column_order,
    dtype_of,
    field_name,
    fields_table,
    is_tgw_format,
    looks_like_header,
    parse_format,
)

# flow-logs-spec.md section 1.3: the VPC fields each version adds, in AWS table order.
VPC_FIELDS_BY_VERSION = {
    2: "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    "start end action log-status",
    3: "vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr",
    4: "region az-id sublocation-type sublocation-id",
    5: "pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path",
    7: "ecs-cluster-arn ecs-cluster-name ecs-container-instance-arn ecs-container-instance-id "
    "ecs-container-id ecs-second-container-id ecs-service-name ecs-task-definition-arn "
    "ecs-task-arn ecs-task-id",
    8: "reject-reason",
    9: "resource-id",
    10: "encryption-status",
    11: "instance-tag instance-tag-2 interface-tag interface-tag-2 asg-tag asg-tag-2 "
    "interface-type next-hop-interface-id next-hop-subnet-id next-hop-az-id next-hop-vpc-id "
    "next-hop-interface-type",
}
# flow-logs-spec.md section 4: the TGW default format (all v2-v6 TGW fields, table order).
TGW_SPEC = [
    "version", "resource-type", "account-id", "tgw-id", "tgw-attachment-id",
    "tgw-src-vpc-account-id", "tgw-dst-vpc-account-id", "tgw-src-vpc-id", "tgw-dst-vpc-id",
    "tgw-src-subnet-id", "tgw-dst-subnet-id", "tgw-src-eni", "tgw-dst-eni", "tgw-src-az-id",
    "tgw-dst-az-id", "tgw-pair-attachment-id", "srcaddr", "dstaddr", "srcport", "dstport",
    "protocol", "packets", "bytes", "start", "end", "log-status", "type", "packets-lost-no-route",
    "packets-lost-blackhole", "packets-lost-mtu-exceeded", "packets-lost-ttl-expired",
    "tcp-flags", "region", "flow-direction", "pkt-src-aws-service", "pkt-dst-aws-service",
]  # fmt: skip
TGW_ONLY = {n for n in TGW_SPEC if n.startswith(("tgw-", "packets-lost-")) or n == "resource-type"}


def test_every_vpc_field_of_every_version_is_in_the_table_in_aws_order() -> None:
    vpc_order = [f.name for f in FIELDS if f.kind != "tgw"]
    expected: list[str] = []
    for version, names in VPC_FIELDS_BY_VERSION.items():
        for name in names.split():
            assert FIELDS_BY_NAME[name].version == version, name
            assert FIELDS_BY_NAME[name].kind in ("vpc", "both"), name
        expected.extend(names.split())
    assert vpc_order == expected
    assert len(expected) == 54


def test_no_vpc_field_is_version_6() -> None:
    assert {f.version for f in FIELDS if f.kind != "tgw"} == {2, 3, 4, 5, 7, 8, 9, 10, 11}


def test_tgw_default_format_matches_spec_and_every_field_is_known() -> None:
    assert list(TGW_DEFAULT_FIELDS) == TGW_SPEC
    for name in TGW_SPEC:
        assert FIELDS_BY_NAME[name].kind in ("tgw", "both"), name
    for name in TGW_ONLY:
        assert FIELDS_BY_NAME[name].kind == "tgw"
        assert FIELDS_BY_NAME[name].version == 6
    assert "action" not in TGW_DEFAULT_FIELDS
    assert "interface-id" not in TGW_DEFAULT_FIELDS


def test_names_and_columns_are_unique_and_columns_are_underscored() -> None:
    names = [f.name for f in FIELDS]
    assert len(names) == len(set(names))
    assert len(FIELDS_BY_COLUMN) == len(FIELDS)
    for f in FIELDS:
        assert f.column == f.name.replace("-", "_")
        assert "-" not in f.column
        assert field_name(f.column) == f.name
        assert f.meaning.strip()
        assert "\n" not in f.meaning


@pytest.mark.parametrize(
    ("column", "dtype"),
    [
        ("version", "UInt8"),
        ("srcport", "UInt16"),
        ("dstport", "UInt16"),
        ("protocol", "UInt8"),
        ("packets", "UInt64"),
        ("bytes", "UInt64"),
        ("tcp_flags", "UInt8"),
        ("traffic_path", "UInt8"),
        ("encryption_status", "UInt8"),
        ("packets_lost_no_route", "UInt64"),
        ("packets_lost_ttl_expired", "UInt64"),
        ("start", TIME_DTYPE),
        ("end", TIME_DTYPE),
        ("account_id", "category"),
        ("interface_id", "category"),
        ("srcaddr", "category"),
        ("action", "category"),
        ("log_status", "category"),
        ("tgw_src_vpc_account_id", "category"),
        ("a_field_aws_adds_next_year", UNKNOWN_DTYPE),
    ],
)
def test_dtypes(column: str, dtype: str) -> None:
    assert dtype_of(column) == dtype


def test_time_dtype_is_utc_seconds() -> None:
    assert TIME_DTYPE == "datetime64[s, UTC]"
    assert UNKNOWN_DTYPE == "string"


def test_no_field_is_a_signed_or_float_number() -> None:
    # account-id must stay a string: leading zeros and 'unknown'
    assert FIELDS_BY_NAME["account-id"].dtype == "category"
    assert {f.dtype for f in FIELDS} <= {"UInt8", "UInt16", "UInt64", "category", TIME_DTYPE}


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("action", {"ACCEPT", "REJECT"}),
        ("log-status", {"OK", "NODATA", "SKIPDATA"}),
        ("type", {"IPv4", "IPv6", "EFA"}),
        ("flow-direction", {"ingress", "egress"}),
        ("traffic-path", {str(i) for i in range(1, 9)}),
        ("sublocation-type", {"wavelength", "outpost", "localzone"}),
        ("encryption-status", {"0", "1", "2", "3"}),
        ("reject-reason", {"BPA", "EC"}),
        ("resource-type", {"TransitGateway", "TransitGatewayAttachment"}),
    ],
)
def test_enum_value_sets(name: str, values: set[str]) -> None:
    assert set(FIELDS_BY_NAME[name].values or ()) == values


def test_aws_service_value_set_has_the_2023_and_2025_codes() -> None:
    values = set(FIELDS_BY_NAME["pkt-src-aws-service"].values or ())
    assert {"S3", "DYNAMODB", "EC2", "AMAZON", "ROUTE53_RESOLVER", "AURORA_DSQL"} <= values
    assert values == set(FIELDS_BY_NAME["pkt-dst-aws-service"].values or ())


def test_default_format() -> None:
    assert tuple(VPC_FIELDS_BY_VERSION[2].split()) == DEFAULT_FIELDS
    assert DEFAULT_FORMAT == (
        "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} "
        "${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"
    )
    assert parse_format(DEFAULT_FORMAT) == DEFAULT_FIELDS


@pytest.mark.parametrize(
    "fmt",
    [
        "${version} ${srcaddr} ${new-field}",
        "version srcaddr new-field",
        "  version\tsrcaddr   new-field\n",
        ["version", "srcaddr", "new-field"],
        ["version", "srcaddr", "new_field"],
        ("Version", "SRCADDR", "new-field"),
        "$${version} $${srcaddr} $${new-field}",  # Terraform-escaped
    ],
)
def test_parse_format_accepts_every_spelling(fmt: str | list[str]) -> None:
    assert parse_format(fmt) == ("version", "srcaddr", "new-field")


def test_parse_format_keeps_custom_order() -> None:
    assert parse_format("${bytes} ${packets}") == ("bytes", "packets")


@pytest.mark.parametrize(
    ("fmt", "message"),
    [
        ("", "names no field"),
        ([], "names no field"),
        ("${version} ${version}", "repeated"),
        ("version 2srcaddr", "not a flow-log field name"),
        (["srcaddr", "dst addr"], "not a flow-log field name"),
    ],
)
def test_parse_format_rejects(fmt: str | list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_format(fmt)


@pytest.mark.parametrize(
    ("line", "is_header"),
    [
        (VPC_FIELDS_BY_VERSION[2], True),
        (" ".join(TGW_SPEC), True),
        ("instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr", True),
        ("version srcaddr future-field zz-new-counter", True),
        ("2 123456789010 eni-1 192.0.2.1 198.51.100.2 1 2 6 1 40 1 2 ACCEPT OK", False),
        ("- eni-1235b8ca123456789 192.0.2.5 192.0.2.220 192.0.2.5 203.0.113.5", False),
        ("vpc-0a1b subnet-0c2d", False),  # a record of IDs only
        ("i-0123 eni-0456", False),
        ("type to", False),  # prose with one field name (man pages under /etc)
        ("type for to", False),
        ("", False),
    ],
)
def test_looks_like_header(line: str, is_header: bool) -> None:
    assert looks_like_header(line.split()) is is_header


def test_is_tgw_format() -> None:
    assert is_tgw_format(TGW_SPEC)
    assert is_tgw_format(["version", "tgw_id"])
    assert is_tgw_format(["resource-type", "srcaddr"])
    assert not is_tgw_format(DEFAULT_FIELDS)
    assert not is_tgw_format(["version", "tgw-id", "action"])  # action: a VPC record
    assert not is_tgw_format(["srcaddr", "dstaddr"])


def test_column_order_puts_known_first_in_table_order() -> None:
    assert column_order(["zz", "bytes", "packets", "version", "aa", "bytes"]) == [
        "version",
        "packets",
        "bytes",
        "zz",
        "aa",
    ]


def test_column_name_and_field_name_round_trip() -> None:
    assert column_name("pkt-src-aws-service") == "pkt_src_aws_service"
    assert field_name("pkt_src_aws_service") == "pkt-src-aws-service"


def test_fields_table() -> None:
    table = fields_table()
    assert len(table) == len(FIELDS)
    assert table[0] == {
        "field": "version",
        "column": "version",
        "dtype": "UInt8",
        "version": 2,
        "kind": "both",
        "values": "",
        "meaning": FIELDS[0].meaning,
    }
    by_field = {row["field"]: row for row in table}
    assert by_field["log-status"]["values"] == "OK, NODATA, SKIPDATA"
