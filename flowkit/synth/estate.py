"""The synthetic estate: one account, one VPC over three AZs, its subnets, ENIs and roles.

Everything here is plain data.  Addresses of AWS services are real us-east-1 ranges (so an
ip-ranges snapshot labels them); internet clients, scanners and attackers are made-up picks from
ordinary public space.  Nothing in the estate exists.

Examples
--------
>>> from flowkit.synth.estate import default_estate
>>> estate = default_estate()
>>> bastion = estate.eni("bastion-1")
>>> bastion.ip, estate.subnet(bastion.subnet).az_id
('10.0.0.20', 'use1-az1')
>>> len(estate.enis) > 20
True
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from flowkit.schema import DEFAULT_FIELDS, FIELDS_BY_NAME

__all__ = [
    "AWS_SERVICE_RANGES",
    "ENI",
    "THREAT_LIST",
    "Estate",
    "FlowLog",
    "Subnet",
    "default_estate",
    "ip_int",
    "ips_in",
    "threat_list_text",
]

ACCOUNT = "123456789012"
REGION = "us-east-1"
VPC_ID = "vpc-0a1b2c3d4e5f60718"

#: Real us-east-1 ranges of the AWS services the estate talks to (S3 and DynamoDB gateway
#: endpoint prefix lists).  Each is (CIDR, ip-ranges.json service name).
AWS_SERVICE_RANGES: tuple[tuple[str, str], ...] = (
    ("52.216.0.0/15", "S3"),
    ("54.231.0.0/16", "S3"),
    ("52.94.0.0/22", "DYNAMODB"),
    ("3.218.182.0/24", "DYNAMODB"),
)

#: The bundled example threat list (``data/threat_list.txt``): address or CIDR, and a label.
#: Fictional: the addresses were picked for the sample, not taken from any real feed.
THREAT_LIST: tuple[tuple[str, str], ...] = (
    ("45.9.148.108", "malware-c2"),
    ("45.9.148.0/24", "malware-hosting"),
    ("194.26.29.114", "credential-stuffing"),
    ("91.213.50.77", "phishing-kit"),
    ("5.42.92.0/24", "bulletproof-hosting"),
    ("179.60.150.33", "ransomware-infrastructure"),
    ("192.0.2.0/24", "test-indicator"),
    ("198.51.100.0/24", "test-indicator"),
    ("203.0.113.0/24", "test-indicator"),
)


def ip_int(address: str) -> int:
    """Return an IPv4 address as an integer.

    >>> ip_int("10.0.0.1")
    167772161
    """
    return int(ipaddress.IPv4Address(address))


def ips_in(values: np.ndarray, cidr: str) -> np.ndarray:
    """Tell which integer IPv4 addresses fall in a CIDR (vectorised).

    >>> import numpy as np
    >>> ips_in(np.array([ip_int("52.216.1.2"), ip_int("10.0.0.1")]), "52.216.0.0/15").tolist()
    [True, False]
    """
    net = ipaddress.IPv4Network(cidr)
    lo, hi = int(net.network_address), int(net.broadcast_address)
    v = np.asarray(values, dtype=np.int64)
    return (v >= lo) & (v <= hi)


def threat_list_text() -> str:
    """Return the text of ``data/threat_list.txt``: ``#`` comments, then ``network,label`` CSV.

    >>> threat_list_text().splitlines()[5]
    '45.9.148.108,malware-c2'
    """
    head = [
        "# flowkit example threat list: fictional indicators for training and tests only.",
        "# CSV: an IPv4 address or CIDR and a label; the longest matching network wins.",
        "# Written by flowkit.synth.estate.threat_list_text(); do not edit by hand.",
        "",
        "network,label",
    ]
    return "\n".join(head + [f"{ind},{label}" for ind, label in THREAT_LIST]) + "\n"


@dataclass(frozen=True)
class Subnet:
    """One subnet: name, id, CIDR, AZ, tier and whether its route table has the S3 endpoint."""

    name: str
    subnet_id: str
    cidr: str
    az: str
    az_id: str
    tier: str  # public | private | data
    s3_endpoint: bool = True


@dataclass(frozen=True)
class FlowLog:
    """One flow log: its id, the fields of its format, and the subnets it covers."""

    flow_log_id: str
    fields: tuple[str, ...]
    subnets: tuple[str, ...]

    @property
    def version(self) -> int:
        """The ``version`` value AWS writes: 2 for the default format, else the highest."""
        if self.fields == DEFAULT_FIELDS:
            return 2
        return max(FIELDS_BY_NAME[f].version for f in self.fields)


@dataclass(frozen=True)
class ENI:
    """One network interface and what is behind it."""

    name: str
    eni_id: str
    ip: str
    subnet: str
    role: str
    instance_id: str = "-"
    public_ip: str | None = None
    description: str = ""
    requester_managed: bool = False


@dataclass
class Estate:
    """The whole estate: account, region, VPC, subnets, ENIs and flow logs."""

    account: str
    region: str
    vpc_id: str
    cidr: str
    subnets: tuple[Subnet, ...]
    enis: tuple[ENI, ...]
    flow_logs: tuple[FlowLog, ...]
    nat: str = "nat-a"
    _by_name: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_name = {e.name: i for i, e in enumerate(self.enis)}

    def index(self, name: str) -> int:
        """Return the position of an ENI in :attr:`enis` by its name."""
        if name not in self._by_name:
            raise KeyError(f"no ENI named {name!r}; known: {', '.join(self._by_name)}")
        return self._by_name[name]

    def eni(self, name: str) -> ENI:
        """Return an ENI by its name."""
        return self.enis[self.index(name)]

    def subnet(self, name: str) -> Subnet:
        """Return a subnet by its name."""
        for s in self.subnets:
            if s.name == name:
                return s
        raise KeyError(f"no subnet named {name!r}")

    def ip(self, name: str) -> int:
        """Return the private address of an ENI as an integer."""
        return ip_int(self.eni(name).ip)

    def names(self, role: str | None = None, tier: str | None = None) -> list[str]:
        """Return ENI names, optionally only of one role or subnet tier."""
        return [
            e.name
            for e in self.enis
            if (role is None or e.role == role)
            and (tier is None or self.subnet(e.subnet).tier == tier)
        ]

    def table(self) -> dict[str, np.ndarray]:
        """Return per-ENI arrays (by ENI position) used to expand and format records."""
        sub = {s.name: s for s in self.subnets}
        fl_of = {s: i for i, fl in enumerate(self.flow_logs) for s in fl.subnets}
        return {
            "ip": np.array([ip_int(e.ip) for e in self.enis], dtype=np.int64),
            "eni_id": np.array([e.eni_id for e in self.enis], dtype=object),
            "subnet_id": np.array([sub[e.subnet].subnet_id for e in self.enis], dtype=object),
            "az_id": np.array([sub[e.subnet].az_id for e in self.enis], dtype=object),
            "instance_id": np.array([e.instance_id for e in self.enis], dtype=object),
            "flow_log": np.array([fl_of.get(e.subnet, -1) for e in self.enis], dtype=np.int64),
        }

    def inventory(self) -> dict[str, Any]:
        """Return the ENIs as an ``aws ec2 describe-network-interfaces`` response.

        Each interface carries ``TagSet`` ``Name`` and ``Role`` tags, its subnet, AZ and
        instance; requester-managed ones (ALB, NAT gateway) have no attachment instance.

        >>> inv = default_estate().inventory()["NetworkInterfaces"]
        >>> inv[0]["InterfaceType"], inv[0]["Description"][:25], inv[0]["TagSet"][1]
        ('nat_gateway', 'Interface for NAT Gateway', {'Key': 'Role', 'Value': 'nat'})
        """
        sub = {s.name: s for s in self.subnets}
        out = []
        for e in self.enis:
            s = sub[e.subnet]
            item: dict[str, Any] = {
                "AvailabilityZone": s.az,
                "AvailabilityZoneId": s.az_id,
                "Description": e.description,
                "Groups": [
                    {
                        "GroupId": "sg-0" + hashlib.sha256(e.role.encode()).hexdigest()[:16],
                        "GroupName": f"{e.role}-sg",
                    }
                ],
                "InterfaceType": {"nat": "nat_gateway", "alb": "interface"}.get(
                    e.role, "interface"
                ),
                "NetworkInterfaceId": e.eni_id,
                "OwnerId": self.account,
                "PrivateIpAddress": e.ip,
                "PrivateIpAddresses": [{"Primary": True, "PrivateIpAddress": e.ip}],
                "RequesterManaged": e.requester_managed,
                "Status": "in-use",
                "SubnetId": s.subnet_id,
                "TagSet": [{"Key": "Name", "Value": e.name}, {"Key": "Role", "Value": e.role}],
                "VpcId": self.vpc_id,
            }
            if e.role == "alb":
                item["RequesterId"] = "amazon-elb"
            if e.instance_id != "-":
                item["Attachment"] = {
                    "DeviceIndex": 0,
                    "InstanceId": e.instance_id,
                    "InstanceOwnerId": self.account,
                    "Status": "attached",
                }
            if e.public_ip:
                item["Association"] = {"IpOwnerId": "amazon", "PublicIp": e.public_ip}
                item["PrivateIpAddresses"][0]["Association"] = {"PublicIp": e.public_ip}
            out.append(item)
        return {"NetworkInterfaces": out}


_V5_FIELDS = (
    "version",
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log-status",
    "vpc-id",
    "subnet-id",
    "instance-id",
    "tcp-flags",
    "type",
    "pkt-srcaddr",
    "pkt-dstaddr",
    "region",
    "az-id",
    "sublocation-type",
    "sublocation-id",
    "pkt-src-aws-service",
    "pkt-dst-aws-service",
    "flow-direction",
    "traffic-path",
)

# (name, role, subnet, host octets, public ip, description)
_HOSTS: tuple[tuple[str, str, str, str, str | None], ...] = (
    ("nat-a", "nat", "public-a", "0.5", "54.152.61.18"),
    ("alb-a", "alb", "public-a", "0.10", None),
    ("bastion-1", "bastion", "public-a", "0.20", "54.210.88.41"),
    ("vpn-1", "vpn", "public-a", "0.30", "34.204.17.92"),
    ("alb-b", "alb", "public-b", "1.10", None),
    ("ftp-legacy-1", "legacy-ftp", "public-b", "1.40", "52.45.130.7"),
    ("alb-c", "alb", "public-c", "2.10", None),
    ("analytics-db-1", "analytics-db", "public-c", "2.30", "3.226.74.150"),
    ("infra-1", "dns-ntp", "private-a", "10.5", None),
    ("mon-1", "monitoring", "private-a", "10.6", None),
    ("web-1", "web", "private-a", "10.11", None),
    ("app-1", "app", "private-a", "10.21", None),
    ("win-admin-1", "windows-admin", "private-a", "10.40", None),
    ("web-2", "web", "private-b", "11.11", None),
    ("app-2", "app", "private-b", "11.21", None),
    ("batch-1", "batch", "private-b", "11.50", None),
    ("web-3", "web", "private-c", "12.11", None),
    ("app-3", "app", "private-c", "12.21", None),
    ("etl-1", "etl", "private-c", "12.60", None),
    ("db-pg-1", "postgres", "data-a", "20.10", None),
    ("db-pg-2", "postgres-replica", "data-b", "21.10", None),
    ("cache-1", "redis", "data-b", "21.20", None),
    ("db-my-1", "mysql", "data-c", "22.10", None),
)
_DESCRIPTIONS = {
    "nat": "Interface for NAT Gateway nat-0c1d2e3f4a5b6c7d8",
    "alb": "ELB app/web-alb/5f2c1e9b7a3d4c60",
}


def default_estate() -> Estate:
    """Return the estate the sample is made of (see ``data/README.md`` for its story).

    >>> est = default_estate()
    >>> [f.version for f in est.flow_logs], len(est.subnets), est.eni("nat-a").instance_id
    ([5, 2], 9, '-')
    """
    azs = (("us-east-1a", "use1-az1"), ("us-east-1b", "use1-az2"), ("us-east-1c", "use1-az4"))
    subnets = []
    for t, (tier, base) in enumerate((("public", 0), ("private", 10), ("data", 20))):
        for k, (az, az_id) in enumerate(azs):
            letter = "abc"[k]
            subnets.append(
                Subnet(
                    name=f"{tier}-{letter}",
                    subnet_id=f"subnet-0{t}{k}{'9f8e7d6c5b4a'}{t}{k}",
                    cidr=f"10.0.{base + k}.0/24",
                    az=az,
                    az_id=az_id,
                    tier=tier,
                    # the private-c route table was never associated with the S3 endpoint
                    s3_endpoint=tier != "public" and f"{tier}-{letter}" != "private-c",
                )
            )
    enis = []
    for i, (name, role, subnet, octets, public_ip) in enumerate(_HOSTS):
        managed = role in ("nat", "alb")
        enis.append(
            ENI(
                name=name,
                eni_id=f"eni-0{i:02d}{'3f5a7c9e1b2d'}{i:02d}",
                ip=f"10.0.{octets}",
                subnet=subnet,
                role=role,
                instance_id="-" if managed else f"i-0{i:02d}{'a4c6e8f0b2d4'}{i:02d}",
                public_ip=public_ip,
                description=_DESCRIPTIONS.get(role, f"Primary network interface of {name}"),
                requester_managed=managed,
            )
        )
    flow_logs = (
        FlowLog(
            "fl-0a1b2c3d4e5f67890", _V5_FIELDS, tuple(s.name for s in subnets if s.tier != "data")
        ),
        FlowLog(
            "fl-0f9e8d7c6b5a43210",
            DEFAULT_FIELDS,
            tuple(s.name for s in subnets if s.tier == "data"),
        ),
    )
    return Estate(ACCOUNT, REGION, VPC_ID, "10.0.0.0/16", tuple(subnets), tuple(enis), flow_logs)
