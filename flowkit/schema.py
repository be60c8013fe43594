"""The one field table of flowkit.

Every VPC Flow Logs field (versions 2, 3, 4, 5, 7, 8, 9, 10 and 11) and every Transit Gateway
flow-log field (versions 2 to 6) is one :class:`Field` row in :data:`FIELDS`.  The parser, the
dtype map, the enum validation and the docs table all read this table; nothing else lists
fields.

Column names are the AWS names with ``-`` replaced by ``_`` (the Athena and Parquet names), so
the AWS documentation stays the data dictionary.  Field names that AWS adds after this table was
written are accepted everywhere and kept as strings (:data:`UNKNOWN_DTYPE`), never dropped.

Examples
--------
>>> from flowkit.schema import FIELDS_BY_NAME, DEFAULT_FIELDS, parse_format
>>> FIELDS_BY_NAME["srcport"].dtype
'UInt16'
>>> DEFAULT_FIELDS[:3]
('version', 'account-id', 'interface-id')
>>> parse_format("${srcaddr} ${dstaddr} ${new-field}")
('srcaddr', 'dstaddr', 'new-field')
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "DEFAULT_FIELDS",
    "DEFAULT_FORMAT",
    "FIELDS",
    "FIELDS_BY_COLUMN",
    "FIELDS_BY_NAME",
    "TGW_DEFAULT_FIELDS",
    "TIME_DTYPE",
    "UNKNOWN_DTYPE",
    "Field",
    "column_name",
    "dtype_of",
    "field_name",
    "fields_table",
    "is_tgw_format",
    "parse_format",
]

Kind = Literal["vpc", "tgw", "both"]

#: pandas dtype of ``start`` and ``end``: whole seconds, UTC.
TIME_DTYPE = "datetime64[s, UTC]"
#: pandas dtype of fields flowkit does not know yet.
UNKNOWN_DTYPE = "string"


@dataclass(frozen=True)
class Field:
    """One flow-log field.

    Attributes
    ----------
    name : str
        AWS field name as written in a log format, e.g. ``account-id``.
    dtype : str
        pandas dtype of the column: nullable unsigned integers for numbers, ``category`` for
        strings, :data:`TIME_DTYPE` for ``start``/``end``.
    version : int
        Flow-log version that introduced the field.
    kind : {"vpc", "tgw", "both"}
        Whether the field appears in VPC flow logs, Transit Gateway flow logs, or both.
    meaning : str
        One line on what the field holds.
    values : tuple of str, optional
        The documented value set of an enum field; other values are kept with a warning.
    """

    name: str
    dtype: str
    version: int
    kind: Kind
    meaning: str
    values: tuple[str, ...] | None = None

    @property
    def column(self) -> str:
        """Column name in flowkit frames and in AWS Parquet files (``-`` becomes ``_``)."""
        return column_name(self.name)


def column_name(name: str) -> str:
    """Return the column name of an AWS field name (``-`` becomes ``_``).

    >>> column_name("log-status")
    'log_status'
    """
    return name.replace("-", "_")


_C = "category"
_AWS_SERVICES = (
    "AMAZON", "AMAZON_APPFLOW", "AMAZON_CONNECT", "API_GATEWAY", "AURORA_DSQL", "CHIME_MEETINGS",
    "CHIME_VOICECONNECTOR", "CLOUD9", "CLOUDFRONT", "CLOUDFRONT_ORIGIN_FACING", "CODEBUILD",
    "DYNAMODB", "EBS", "EC2", "EC2_INSTANCE_CONNECT", "GLOBALACCELERATOR", "IVS_LOW_LATENCY",
    "IVS_REALTIME", "KINESIS_VIDEO_STREAMS", "MEDIA_PACKAGE_V2", "ROUTE53", "ROUTE53_HEALTHCHECKS",
    "ROUTE53_HEALTHCHECKS_PUBLISHING", "ROUTE53_RESOLVER", "S3", "WORKSPACES_GATEWAYS",
)  # fmt: skip

#: Every known field, VPC fields in the AWS table order, then the Transit Gateway fields.
FIELDS: tuple[Field, ...] = (
    # --- version 2: the default format -------------------------------------------------------
    Field("version", "UInt8", 2, "both",
          "Flow-log version: 2 for the default format, else the highest version of the chosen "
          "fields. Never tells the format."),
    Field("account-id", _C, 2, "both",
          "AWS account that owns the source interface (or the TGW); 'unknown' for some "
          "AWS-managed interfaces. Kept as a string: leading zeros matter."),
    Field("interface-id", _C, 2, "vpc",
          "Network interface (ENI) the traffic was recorded on; '-' for regional NAT gateways."),
    Field("srcaddr", _C, 2, "both",
          "Source address; for outgoing traffic the interface's own (private) address."),
    Field("dstaddr", _C, 2, "both",
          "Destination address; for incoming traffic the interface's own (private) address."),
    Field("srcport", "UInt16", 2, "both", "Source port (0 for ICMP)."),
    Field("dstport", "UInt16", 2, "both", "Destination port (0 for ICMP)."),
    Field("protocol", "UInt8", 2, "both",
          "IANA protocol number: 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6."),
    Field("packets", "UInt64", 2, "both", "Packets transferred in the capture window."),
    Field("bytes", "UInt64", 2, "both", "Bytes transferred in the capture window."),
    Field("start", TIME_DTYPE, 2, "both",
          "First packet of the flow within the capture window (UTC seconds; may lag the packet "
          "by up to 60 s). Bounds the window, not the connection."),
    Field("end", TIME_DTYPE, 2, "both",
          "Last packet of the flow within the capture window (UTC seconds)."),
    Field("action", _C, 2, "vpc",
          "ACCEPT or REJECT (security group, network ACL, or packets after the connection "
          "closed); '-' on NODATA/SKIPDATA records.", ("ACCEPT", "REJECT")),
    Field("log-status", _C, 2, "both",
          "OK; NODATA (no traffic in the window); SKIPDATA (records were skipped: a gap of "
          "unknown size).", ("OK", "NODATA", "SKIPDATA")),
    # --- version 3 ---------------------------------------------------------------------------
    Field("vpc-id", _C, 3, "vpc", "VPC of the interface."),
    Field("subnet-id", _C, 3, "vpc", "Subnet of the interface."),
    Field("instance-id", _C, 3, "vpc",
          "Instance attached to the interface, if you own it; '-' for requester-managed "
          "interfaces such as a NAT gateway's."),
    Field("tcp-flags", "UInt8", 3, "both",
          "OR of the TCP flags seen in the window: FIN 1, SYN 2, RST 4, SYN-ACK 18; 0 means "
          "ACK/PSH only or none; '-' means not computable."),
    Field("type", _C, 3, "both", "Traffic type: IPv4, IPv6 or EFA.", ("IPv4", "IPv6", "EFA")),
    Field("pkt-srcaddr", _C, 3, "vpc",
          "Packet-level (original) source address; differs from srcaddr behind NAT, TGW, NLB "
          "or EKS pod interfaces."),
    Field("pkt-dstaddr", _C, 3, "vpc", "Packet-level (original) destination address."),
    # --- version 4 ---------------------------------------------------------------------------
    Field("region", _C, 4, "both", "Region of the interface (or of the transit gateway)."),
    Field("az-id", _C, 4, "vpc",
          "Availability Zone ID of the interface (e.g. use1-az4); '-' for sublocations."),
    Field("sublocation-type", _C, 4, "vpc", "wavelength, outpost or localzone; else '-'.",
          ("wavelength", "outpost", "localzone")),
    Field("sublocation-id", _C, 4, "vpc", "ID of the sublocation; else '-'."),
    # --- version 5 ---------------------------------------------------------------------------
    Field("pkt-src-aws-service", _C, 5, "both",
          "ip-ranges.json subset of pkt-srcaddr (S3, DYNAMODB, EC2, ...); open value set.",
          _AWS_SERVICES),
    Field("pkt-dst-aws-service", _C, 5, "both",
          "ip-ranges.json subset of pkt-dstaddr; open value set.", _AWS_SERVICES),
    Field("flow-direction", _C, 5, "both",
          "ingress or egress, relative to the interface where the traffic was captured.",
          ("ingress", "egress")),
    Field("traffic-path", "UInt8", 5, "vpc",
          "Path of egress traffic: 1 same VPC, 2 IGW or gateway endpoint, 3 VGW, 4 intra-region "
          "peering, 5 inter-region peering, 6 local gateway, 7 gateway endpoint (Nitro), 8 IGW "
          "(Nitro); '-' for ingress.", tuple(str(i) for i in range(1, 9))),
    # --- version 7: ECS ----------------------------------------------------------------------
    Field("ecs-cluster-arn", _C, 7, "vpc", "ARN of the ECS cluster of the task."),
    Field("ecs-cluster-name", _C, 7, "vpc", "Name of the ECS cluster."),
    Field("ecs-container-instance-arn", _C, 7, "vpc",
          "ARN of the ECS container instance; '-' on Fargate."),
    Field("ecs-container-instance-id", _C, 7, "vpc",
          "ID of the ECS container instance; '-' on Fargate."),
    Field("ecs-container-id", _C, 7, "vpc", "Docker runtime ID of the task's first container."),
    Field("ecs-second-container-id", _C, 7, "vpc",
          "Docker runtime ID of the task's second container."),
    Field("ecs-service-name", _C, 7, "vpc", "ECS service that started the task, else '-'."),
    Field("ecs-task-definition-arn", _C, 7, "vpc", "ARN of the task definition."),
    Field("ecs-task-arn", _C, 7, "vpc", "ARN of the ECS task."),
    Field("ecs-task-id", _C, 7, "vpc", "ID of the ECS task."),
    # --- versions 8 to 10 --------------------------------------------------------------------
    Field("reject-reason", _C, 8, "vpc",
          "Why traffic was rejected: BPA (Block Public Access) or EC (Encryption Controls); "
          "'-' for other reasons.", ("BPA", "EC")),
    Field("resource-id", _C, 9, "vpc",
          "Resource behind the flow, e.g. the regional NAT gateway when interface-id is '-'."),
    Field("encryption-status", "UInt8", 10, "vpc",
          "0 not encrypted, 1 Nitro-encrypted, 2 application-encrypted, 3 both.",
          ("0", "1", "2", "3")),
    # --- version 11: tags and next hop -------------------------------------------------------
    Field("instance-tag", _C, 11, "vpc", "Value of the first chosen EC2 instance tag."),
    Field("instance-tag-2", _C, 11, "vpc", "Value of the second chosen EC2 instance tag."),
    Field("interface-tag", _C, 11, "vpc", "Value of the first chosen network-interface tag."),
    Field("interface-tag-2", _C, 11, "vpc", "Value of the second chosen network-interface tag."),
    Field("asg-tag", _C, 11, "vpc", "Value of the first chosen Auto Scaling group tag."),
    Field("asg-tag-2", _C, 11, "vpc", "Value of the second chosen Auto Scaling group tag."),
    Field("interface-type", _C, 11, "vpc",
          "Type of the capturing interface (nat_gateway, network_load_balancer, vpc_endpoint, "
          "transit_gateway, ...)."),
    Field("next-hop-interface-id", _C, 11, "vpc",
          "Next-hop ENI: the receiving ENI for egress, the sending ENI for ingress."),
    Field("next-hop-subnet-id", _C, 11, "vpc", "Subnet of the next-hop ENI."),
    Field("next-hop-az-id", _C, 11, "vpc",
          "AZ ID of the next-hop ENI; differs from az-id for cross-AZ traffic."),
    Field("next-hop-vpc-id", _C, 11, "vpc", "VPC of the next-hop ENI."),
    Field("next-hop-interface-type", _C, 11, "vpc", "Type of the next-hop ENI."),
    # --- Transit Gateway flow logs (version 6) -----------------------------------------------
    Field("resource-type", _C, 6, "tgw", "TransitGateway or TransitGatewayAttachment.",
          ("TransitGateway", "TransitGatewayAttachment")),
    Field("tgw-id", _C, 6, "tgw", "Transit gateway ID."),
    Field("tgw-attachment-id", _C, 6, "tgw", "Transit gateway attachment ID."),
    Field("tgw-src-vpc-account-id", _C, 6, "tgw", "Account of the source VPC."),
    Field("tgw-dst-vpc-account-id", _C, 6, "tgw", "Account of the destination VPC."),
    Field("tgw-src-vpc-id", _C, 6, "tgw", "Source VPC."),
    Field("tgw-dst-vpc-id", _C, 6, "tgw", "Destination VPC."),
    Field("tgw-src-subnet-id", _C, 6, "tgw", "Source subnet."),
    Field("tgw-dst-subnet-id", _C, 6, "tgw", "Destination subnet."),
    Field("tgw-src-eni", _C, 6, "tgw", "Source TGW attachment ENI."),
    Field("tgw-dst-eni", _C, 6, "tgw", "Destination TGW attachment ENI."),
    Field("tgw-src-az-id", _C, 6, "tgw", "Source AZ ID ('-' for sublocations)."),
    Field("tgw-dst-az-id", _C, 6, "tgw", "Destination AZ ID ('-' for sublocations)."),
    Field("tgw-pair-attachment-id", _C, 6, "tgw",
          "The egress or ingress attachment, depending on the flow direction."),
    Field("packets-lost-no-route", "UInt64", 6, "tgw", "Packets lost: no route."),
    Field("packets-lost-blackhole", "UInt64", 6, "tgw", "Packets lost: blackhole route."),
    Field("packets-lost-mtu-exceeded", "UInt64", 6, "tgw", "Packets lost: MTU exceeded."),
    Field("packets-lost-ttl-expired", "UInt64", 6, "tgw", "Packets lost: TTL expired."),
)  # fmt: skip

FIELDS_BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}
FIELDS_BY_COLUMN: dict[str, Field] = {f.column: f for f in FIELDS}
_ORDER: dict[str, int] = {f.column: i for i, f in enumerate(FIELDS)}

#: The 14 fields of the default format, in order. Source port comes before destination port.
DEFAULT_FIELDS: tuple[str, ...] = (
    "version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport",
    "protocol", "packets", "bytes", "start", "end", "action", "log-status",
)  # fmt: skip
#: The default format as an AWS format string.
DEFAULT_FORMAT: str = " ".join("${" + f + "}" for f in DEFAULT_FIELDS)

#: Default Transit Gateway format: all version 2 to 6 TGW fields, in the AWS table order.
TGW_DEFAULT_FIELDS: tuple[str, ...] = (
    "version", "resource-type", "account-id", "tgw-id", "tgw-attachment-id",
    "tgw-src-vpc-account-id", "tgw-dst-vpc-account-id", "tgw-src-vpc-id", "tgw-dst-vpc-id",
    "tgw-src-subnet-id", "tgw-dst-subnet-id", "tgw-src-eni", "tgw-dst-eni", "tgw-src-az-id",
    "tgw-dst-az-id", "tgw-pair-attachment-id", "srcaddr", "dstaddr", "srcport", "dstport",
    "protocol", "packets", "bytes", "start", "end", "log-status", "type",
    "packets-lost-no-route", "packets-lost-blackhole", "packets-lost-mtu-exceeded",
    "packets-lost-ttl-expired", "tcp-flags", "region", "flow-direction", "pkt-src-aws-service",
    "pkt-dst-aws-service",
)  # fmt: skip

_TOKEN = re.compile(r"\$\{([A-Za-z0-9_-]+)\}")
_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


def field_name(name: str) -> str:
    """Return the AWS field name of a field or column name (``_`` becomes ``-``).

    >>> field_name("pkt_srcaddr")
    'pkt-srcaddr'
    """
    return name.replace("_", "-")


def dtype_of(column: str) -> str:
    """Return the pandas dtype of a column; unknown fields are strings.

    >>> dtype_of("bytes"), dtype_of("some_new_field")
    ('UInt64', 'string')
    """
    field = FIELDS_BY_COLUMN.get(column)
    return field.dtype if field else UNKNOWN_DTYPE


def column_order(columns: Iterable[str]) -> list[str]:
    """Sort columns into the field-table order; unknown columns keep their order, at the end.

    >>> column_order(["bytes", "zz_new", "version"])
    ['version', 'bytes', 'zz_new']
    """
    cols = list(dict.fromkeys(columns))
    known = sorted((c for c in cols if c in _ORDER), key=_ORDER.__getitem__)
    return known + [c for c in cols if c not in _ORDER]


def parse_format(fmt: str | Iterable[str]) -> tuple[str, ...]:
    """Return the AWS field names of a log format.

    Accepts an AWS format string (``${version} ${srcaddr} ...``), an S3 header line
    (``version srcaddr ...``), or a list of field or column names.  Unknown names are kept.

    Raises
    ------
    ValueError
        If the format names no field, a name is not a valid field name, or a field repeats.

    Examples
    --------
    >>> parse_format("version srcaddr")
    ('version', 'srcaddr')
    >>> parse_format(["log_status", "bytes"])
    ('log-status', 'bytes')
    """
    if isinstance(fmt, str):
        tokens = _TOKEN.findall(fmt) if "${" in fmt else fmt.split()
    else:
        tokens = [str(t).strip() for t in fmt]
    names = tuple(field_name(t.strip().lower()) for t in tokens)
    if not names:
        raise ValueError(f"log format names no field: {fmt!r}")
    bad = [n for n in names if not _NAME.match(n)]
    if bad:
        raise ValueError(f"not a flow-log field name: {', '.join(map(repr, bad))}")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"field repeated in log format: {', '.join(dupes)}")
    return names


def looks_like_header(tokens: list[str]) -> bool:
    """Tell whether the tokens of a line are a header line (field names), not a record.

    A header has only field-name tokens, at least two of them known fields, and at least half
    of them known (AWS adds fields; new ones among known ones still make a header).  A
    record of a custom format made only of IDs (``vpc-0a1b subnet-0c2d``) is not a header, nor
    is a line of prose that happens to hold a field name (``type to``, ``the version``).

    >>> looks_like_header("version account-id interface-id".split())
    True
    >>> looks_like_header("vpc-0a1b subnet-0c2d".split())
    False
    >>> looks_like_header("type to".split()), looks_like_header("type for to".split())
    (False, False)
    """
    if not tokens or not all(_NAME.match(t) for t in tokens):
        return False
    known = sum(1 for t in tokens if field_name(t) in FIELDS_BY_NAME)
    return known >= 2 and known * 2 >= len(tokens)


def is_tgw_format(names: Iterable[str]) -> bool:
    """Tell whether a format is a Transit Gateway flow-log format: ``tgw-id`` or
    ``resource-type`` present and no ``action``.

    >>> is_tgw_format(["version", "tgw-id", "srcaddr"]), is_tgw_format(["version", "action"])
    (True, False)
    """
    names = {field_name(n) for n in names}
    return "action" not in names and bool(names & {"tgw-id", "resource-type", "tgw-attachment-id"})


def fields_table() -> list[dict[str, object]]:
    """Return the field table as records (for docs and notebooks).

    >>> fields_table()[0]["column"]
    'version'
    """
    return [
        {
            "field": f.name,
            "column": f.column,
            "dtype": f.dtype,
            "version": f.version,
            "kind": f.kind,
            "values": ", ".join(f.values) if f.values else "",
            "meaning": f.meaning,
        }
        for f in FIELDS
    ]


def unexpected_values(columns: Mapping[str, Iterable[object]]) -> dict[str, list[str]]:
    """Return, per enum column, the distinct values outside the documented value set.

    Values are kept in the data (AWS adds values over time); callers warn about them.

    >>> unexpected_values({"action": ["ACCEPT", "DROP"], "traffic_path": [1, 9], "srcaddr": ["x"]})
    {'action': ['DROP'], 'traffic_path': ['9']}
    """
    out: dict[str, list[str]] = {}
    for col, values in columns.items():
        field = FIELDS_BY_COLUMN.get(col)
        if field is None or field.values is None:
            continue
        allowed = set(field.values)
        odd = sorted({str(v) for v in values} - allowed)
        if odd:
            out[col] = odd
    return out
