"""The six defects of "one model of who talks to whom" (issue 15), as minimal hand-made cases.

Each case is the smallest set of records that showed the defect; every test failed before the
one orientation model (:mod:`flowkit.enrich.orientation`) and its uses were built.
"""

from __future__ import annotations

import pandas as pd

import flowkit as fk
from flowkit.compliance import check_policy, load_policy
from flowkit.detect.view import build_view

T0 = 1_700_000_000
FMT = (
    "interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action "
    "log-status flow-direction pkt-srcaddr pkt-dstaddr"
)


def rec(eni: str, src: str, dst: str, sport: int, dport: int, proto: int, nbytes: int, t: int,
        way: str, action: str = "ACCEPT", psrc: str = "-", pdst: str = "-",
        end: int | None = None) -> str:  # fmt: skip
    stop = T0 + (t + 50 if end is None else end)
    return (f"{eni} {src} {dst} {sport} {dport} {proto} {max(nbytes // 100, 1)} {nbytes} "
            f"{T0 + t} {stop} {action} OK {way} {psrc} {pdst}")  # fmt: skip


def frame(*rows: str, **kwargs: object) -> pd.DataFrame:
    return fk.parse_lines([FMT, *rows], **kwargs)  # type: ignore[arg-type]


# -- 1. check_policy: a connection the target rejected is not also a breach -----------------

DENY = load_policy("deny.yaml", text="default: deny\nvpc_cidrs: [10.0.0.0/16]\nrules: []\n")


def test_rejected_by_the_target_is_blocked_not_breach() -> None:
    df = frame(
        rec("eni-app", "10.0.1.5", "10.0.2.9", 50000, 5432, 6, 60, 0, "egress"),
        rec("eni-dst", "10.0.1.5", "10.0.2.9", 50000, 5432, 6, 60, 0, "ingress", "REJECT"),
    )
    out = check_policy(df, DENY, detail=True)
    assert out[["client", "server", "port", "outcome"]].values.tolist() == [
        ["10.0.1.5", "10.0.2.9", 5432, "blocked"]
    ]


# -- 2. check_policy: the same answer wherever the inventory is passed ----------------------

NAT_INVENTORY = {"NetworkInterfaces": [
    {"NetworkInterfaceId": "eni-nat", "PrivateIpAddress": "10.0.0.220",
     "InterfaceType": "nat_gateway", "TagSet": [{"Key": "Role", "Value": "nat"}]},
    {"NetworkInterfaceId": "eni-app", "PrivateIpAddress": "10.0.1.5",
     "Attachment": {"InstanceId": "i-1"}, "TagSet": [{"Key": "Role", "Value": "app"}]},
]}  # fmt: skip
APP_OUT = load_policy(
    "nat.yaml",
    text="""\
default: deny
vpc_cidrs: [10.0.0.0/16]
rules:
  - {name: app-out, from: role:app, to: internet, protocol: tcp, ports: [443]}
""",
)
NAT_ROWS = [  # the AWS "traffic through a NAT gateway" example, both ENIs logged
    rec("eni-nat", "10.0.1.5", "10.0.0.220", 50000, 443, 6, 1000, 0, "ingress", pdst="203.0.113.5"),
    rec("eni-nat", "10.0.0.220", "203.0.113.5", 60000, 443, 6, 1000, 0, "egress"),
    rec("eni-nat", "203.0.113.5", "10.0.0.220", 443, 60000, 6, 8000, 0, "ingress"),
    rec("eni-nat", "10.0.0.220", "10.0.1.5", 443, 50000, 6, 8000, 0, "egress", psrc="203.0.113.5"),
    rec("eni-app", "10.0.1.5", "203.0.113.5", 50000, 443, 6, 1000, 0, "egress"),
    rec("eni-app", "203.0.113.5", "10.0.1.5", 443, 50000, 6, 8000, 0, "ingress"),
]  # fmt: skip


def test_check_policy_is_the_same_wherever_the_inventory_is_given() -> None:
    raw = frame(*NAT_ROWS)
    inv = frame(*NAT_ROWS).pipe(fk.enrich.enrich, inventory=NAT_INVENTORY)
    at_read = check_policy(inv, APP_OUT, detail=True)
    at_check = check_policy(raw, APP_OUT, inventory=NAT_INVENTORY, detail=True)
    at_both = check_policy(inv, APP_OUT, inventory=NAT_INVENTORY, detail=True)
    assert at_read.empty, at_read  # the app's connection is allowed; the NAT adds nothing
    pd.testing.assert_frame_equal(at_check, at_read)
    pd.testing.assert_frame_equal(at_both, at_read)


# -- 3. inbound pings: the pinger is the client ---------------------------------------------

# The AWS ping example's timing: the request's window starts before the reply's.  web-1 is also
# pinged by a monitor, so it has more ICMP peers than the internet host that pings it.
PINGS = [
    rec("eni-web", "198.51.100.7", "10.0.1.10", 0, 0, 1, 336, 0, "ingress", end=115),
    rec("eni-web", "10.0.1.10", "198.51.100.7", 0, 0, 1, 336, 67, "egress", end=115),
    rec("eni-web", "10.0.0.9", "10.0.1.10", 0, 0, 1, 84, 300, "ingress"),
    rec("eni-web", "10.0.1.10", "10.0.0.9", 0, 0, 1, 84, 301, "egress"),
]


def test_inbound_ping_is_oriented_from_the_pinger() -> None:
    df = frame(*PINGS)
    inbound = df[(df["srcaddr"] == "198.51.100.7") | (df["dstaddr"] == "198.51.100.7")]
    assert set(inbound["client_addr"]) == {"198.51.100.7"}
    assert set(inbound["local_role"]) == {"server"}
    conv = fk.conversations(df)
    assert set(conv["initiator"]) == {"198.51.100.7", "10.0.0.9"}
    view = build_view(df)
    assert set(view.name(view.rec["cli"])) == {"198.51.100.7", "10.0.0.9"}


# -- 4. handshake_health: a NAT-ed connection once, port reuse twice --------------------------

HS = FMT + " tcp-flags"


def hs(*fields: object, flags: int, **where: str) -> str:
    return rec(*fields, **where) + f" {flags}"  # type: ignore[arg-type]


def test_handshake_counts_a_nated_connection_once_and_a_reused_port_twice() -> None:
    rows = [
        # through the NAT: the instance's SYN, the NAT's two legs, the answer on every ENI
        hs("eni-app", "10.0.1.5", "203.0.113.5", 50000, 443, 6, 60, 0, "egress", flags=2),
        hs("eni-nat", "10.0.1.5", "10.0.0.220", 50000, 443, 6, 60, 0, "ingress",
           pdst="203.0.113.5", flags=2),
        hs("eni-nat", "10.0.0.220", "203.0.113.5", 60000, 443, 6, 60, 0, "egress", flags=2),
        hs("eni-nat", "203.0.113.5", "10.0.0.220", 443, 60000, 6, 60, 0, "ingress", flags=18),
        hs("eni-nat", "10.0.0.220", "10.0.1.5", 443, 50000, 6, 60, 0, "egress",
           psrc="203.0.113.5", flags=18),
        hs("eni-app", "203.0.113.5", "10.0.1.5", 443, 50000, 6, 60, 0, "ingress", flags=18),
        # the same client port to the same server an hour apart: answered, then not
        hs("eni-app", "10.0.1.5", "10.0.2.9", 40000, 5432, 6, 60, 0, "egress", flags=2),
        hs("eni-app", "10.0.2.9", "10.0.1.5", 5432, 40000, 6, 60, 0, "ingress", flags=18),
        hs("eni-app", "10.0.1.5", "10.0.2.9", 40000, 5432, 6, 60, 3600, "egress", flags=2),
    ]  # fmt: skip
    df = fk.parse_lines([HS, *rows])
    out = fk.handshake_health(df).set_index("service_port")
    assert out.loc[443, ["attempts", "answered"]].tolist() == [1, 1]
    assert out.loc[5432, ["attempts", "answered", "unanswered"]].tolist() == [2, 1, 1]


# -- 5. dedupe(vantage="egress"): the NAT's outside leg is a copy of the instance's egress ----


def test_egress_vantage_drops_the_nat_outside_leg() -> None:
    df = frame(*NAT_ROWS, enrich=False)
    kept = fk.dedupe(df, vantage="egress")
    assert int(kept["bytes"].sum()) == 1000 + 8000  # the request once, the reply once
    outside = (kept["srcaddr"] == "10.0.0.220") & (kept["dstaddr"] == "203.0.113.5")
    assert not outside.any()


# -- 6. REJECT without tcp-flags: the source initiated ----------------------------------------


def test_reject_on_the_target_makes_the_source_the_client() -> None:
    df = frame(
        # a scan from a service-looking source port, and one to an ephemeral port
        rec("eni-web", "203.0.113.66", "10.0.1.10", 443, 8080, 6, 44, 0, "ingress", "REJECT"),
        rec("eni-web", "203.0.113.66", "10.0.1.10", 40000, 50000, 6, 44, 1, "ingress", "REJECT"),
        rec("eni-web", "203.0.113.66", "10.0.1.10", 53, 3389, 6, 44, 2, "ingress", "REJECT"),
    )
    assert set(df["client_addr"]) == {"203.0.113.66"}
    assert set(df["orient_rule"]) == {"reject"}


def test_a_network_acl_rejecting_a_response_is_told_apart() -> None:
    df = frame(
        # our request's response, rejected inbound by a stateless network ACL: ports say so
        rec("eni-web", "10.0.1.10", "52.216.8.1", 50000, 443, 6, 400, 0, "egress"),
        rec("eni-web", "52.216.8.1", "10.0.1.10", 443, 50000, 6, 900, 0, "ingress", "REJECT"),
        # the AWS ping example: the ping accepted inbound, its reply rejected outbound
        rec("eni-web", "198.51.100.7", "10.0.1.10", 0, 0, 1, 120, 10, "ingress"),
        rec("eni-web", "10.0.1.10", "198.51.100.7", 0, 0, 1, 60, 10, "egress", "REJECT"),
    )
    assert df["client_addr"].tolist() == ["10.0.1.10", "10.0.1.10", "198.51.100.7", "198.51.100.7"]
    assert df["orient_rule"].tolist()[2:] == ["reject", "reject"]
