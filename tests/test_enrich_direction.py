"""Direction, local/remote ends and the service side (flowkit.enrich.direction)."""

from __future__ import annotations

import pandas as pd

import flowkit as fk
from flowkit.enrich import add_direction, add_service_side, load_inventory

FMT = "interface-id srcaddr dstaddr srcport dstport protocol pkt-srcaddr pkt-dstaddr tcp-flags"
VPC = ["10.0.0.0/16"]

# The AWS "traffic through a NAT gateway" example: instance 10.0.1.5, NAT 10.0.0.220, internet
# host 203.0.113.5; the NAT translates the instance's port 50000 to 60000.
NAT = [
    FMT,
    "eni-nat 10.0.1.5 10.0.0.220 50000 443 6 10.0.1.5 203.0.113.5 2",
    "eni-nat 10.0.0.220 203.0.113.5 60000 443 6 10.0.0.220 203.0.113.5 2",
    "eni-nat 203.0.113.5 10.0.0.220 443 60000 6 203.0.113.5 10.0.0.220 18",
    "eni-nat 10.0.0.220 10.0.1.5 443 50000 6 203.0.113.5 10.0.1.5 18",
    "eni-inst 10.0.1.5 203.0.113.5 50000 443 6 10.0.1.5 203.0.113.5 2",
    "eni-inst 203.0.113.5 10.0.1.5 443 50000 6 203.0.113.5 10.0.1.5 18",
]


def lines(*rows: str) -> pd.DataFrame:
    return fk.parse_lines([FMT, *rows], enrich=False)


def test_direction_for_default_format_without_flow_direction():
    df = fk.parse_lines([
        "2 1 eni-1 198.51.100.7 10.0.1.5 50000 443 6 1 60 1700000000 1700000060 ACCEPT OK",
        "2 1 eni-1 10.0.1.5 198.51.100.7 443 50000 6 1 60 1700000000 1700000060 ACCEPT OK",
        "2 1 eni-1 10.0.1.5 10.0.2.9 50001 5432 6 1 60 1700000000 1700000060 ACCEPT OK",
        "2 1 eni-1 10.0.2.9 10.0.1.5 5432 50001 6 1 60 1700000000 1700000060 ACCEPT OK",
        "2 1 eni-2 198.51.100.7 203.0.113.9 50000 443 6 1 60 1700000000 1700000060 ACCEPT OK",
        "2 1 eni-3 - - - - - - - 1700000000 1700000060 - NODATA",
    ], enrich=False)  # fmt: skip
    out = add_direction(df, vpc_cidrs=VPC)
    assert out["direction"].tolist()[:5] == ["inbound", "outbound", "internal", "internal",
                                             "external"]  # fmt: skip
    assert out["local_addr"].tolist()[:4] == ["10.0.1.5"] * 4
    assert out["remote_addr"].tolist()[:4] == ["198.51.100.7", "198.51.100.7", "10.0.2.9",
                                               "10.0.2.9"]  # fmt: skip
    assert out["local_port"].tolist()[:4] == [443, 443, 50001, 50001]
    assert out["remote_port"].tolist()[:4] == [50000, 50000, 5432, 5432]
    assert out[["direction", "local_addr", "remote_addr", "local_port"]].iloc[5].isna().all()
    assert out["local_port"].dtype == "UInt16"
    assert isinstance(out["direction"].dtype, pd.CategoricalDtype)


def test_without_cidrs_private_addresses_are_inside():
    df = lines(
        "eni-1 10.0.1.5 52.216.8.1 50000 443 6 - - -", "eni-1 100.64.1.1 10.0.1.5 1 2 17 - - -"
    )
    assert add_direction(df)["direction"].tolist() == ["outbound", "internal"]


def test_flow_direction_decides_the_local_side():
    df = fk.parse_lines([
        "srcaddr dstaddr srcport dstport protocol flow-direction interface-id",
        "10.0.1.5 10.0.2.9 50000 5432 6 ingress eni-1",
        "10.0.1.5 10.0.2.9 50000 5432 6 egress eni-2",
    ], enrich=False)  # fmt: skip
    out = add_service_side(add_direction(df, vpc_cidrs=VPC))
    assert out["local_addr"].tolist() == ["10.0.2.9", "10.0.1.5"]
    assert out["local_role"].tolist() == ["server", "client"]


def test_nat_gateway_records_show_the_real_internet_peer():
    out = add_service_side(add_direction(fk.parse_lines(NAT, enrich=False), vpc_cidrs=VPC))
    nat = out[out["interface_id"] == "eni-nat"]
    assert nat["local_addr"].tolist() == ["10.0.0.220"] * 4
    assert nat["remote_addr"].tolist() == ["203.0.113.5"] * 4
    assert nat["remote_port"].tolist() == [443] * 4
    assert nat["direction"].tolist() == ["outbound", "outbound", "inbound", "inbound"]
    assert nat["service_port"].tolist() == [443] * 4
    inst = out[out["interface_id"] == "eni-inst"]
    assert inst["remote_addr"].tolist() == ["203.0.113.5"] * 2
    assert inst["local_role"].tolist() == ["client", "client"]
    assert out["client_addr"].tolist()[0] == "10.0.1.5"
    assert out["server_addr"].tolist()[0] == "203.0.113.5"


def test_tcp_flags_beat_ports_for_the_service_side():
    df = lines(
        "eni-1 10.0.1.5 198.51.100.7 443 50000 6 - - 2",  # SYN from port 443: a client
        "eni-1 198.51.100.7 10.0.1.5 50000 443 6 - - 18",  # SYN-ACK from 50000: the server
        "eni-1 10.0.1.5 198.51.100.7 443 50000 6 - - 0",  # ports only: 443 is the service
    )
    out = add_service_side(df, vpc_cidrs=VPC)
    assert out["service_port"].tolist() == [50000, 50000, 443]
    assert out["local_role"].tolist() == ["client", "client", "server"]


def test_port_ranks_decide_without_flags():
    df = lines(
        "eni-1 10.0.1.5 10.0.2.9 40000 5432 6 - - -",  # registered server port vs ephemeral
        "eni-1 10.0.2.9 10.0.1.5 3000 8080 6 - - -",  # both common server ports: lower wins
        "eni-1 10.0.1.5 10.0.2.9 20004 33000 17 - - -",  # unassigned < 32768 beats ephemeral
        "eni-1 10.0.1.5 10.0.2.9 40000 53 17 - - -",
    )
    out = add_service_side(df, vpc_cidrs=VPC)
    assert out["service_port"].tolist() == [5432, 3000, 20004, 53]


def test_equal_ports_use_fan_in_ntp_and_fan_out_icmp():
    rows = []
    for host in ("10.0.1.5", "10.0.1.6", "10.0.1.7"):
        rows += [f"eni-ntp {host} 10.0.0.2 123 123 17 - - -",
                 f"eni-ntp 10.0.0.2 {host} 123 123 17 - - -",
                 f"eni-mon 10.0.0.9 {host} 0 0 1 - - -",
                 f"eni-mon {host} 10.0.0.9 0 0 1 - - -"]  # fmt: skip
    out = add_service_side(lines(*rows), vpc_cidrs=VPC)
    ntp = out[out["interface_id"] == "eni-ntp"]
    assert set(ntp["server_addr"]) == {"10.0.0.2"}
    assert set(ntp["local_role"]) == {"server"}
    icmp = out[out["interface_id"] == "eni-mon"]
    assert set(icmp["client_addr"]) == {"10.0.0.9"}
    assert set(icmp["local_role"]) == {"client"}


def test_inventory_decides_local_side_between_two_private_hosts():
    inv = load_inventory(pd.DataFrame({"interface_id": ["eni-db"], "addresses": ["10.0.2.9"]}))
    df = lines("eni-db 10.0.1.5 10.0.2.9 50000 5432 6 - - -")
    out = add_direction(df, inventory=inv)
    assert out["local_addr"].tolist() == ["10.0.2.9"]
    assert out["direction"].tolist() == ["internal"]


def test_input_is_not_changed():
    df = fk.parse_lines(NAT, enrich=False)
    before = df.copy()
    add_service_side(add_direction(df, vpc_cidrs=VPC))
    pd.testing.assert_frame_equal(df, before)


def test_icmp_has_a_role_but_no_service_port():
    rows = [f"eni-mon 10.0.0.9 {h} 0 0 1 - - -" for h in ("10.0.1.5", "10.0.1.6")]
    out = add_service_side(lines(*rows), vpc_cidrs=VPC)
    assert out["local_role"].tolist() == ["client", "client"]
    assert out["service_port"].isna().all()
