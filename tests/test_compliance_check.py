"""check_policy: every rule kind, breach vs blocked, IPv6, and the sample's planted incidents."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import flowkit as fk
from flowkit.compliance import VIOLATION_COLUMNS, check_policy, load_policy

ROOT = Path(__file__).resolve().parents[1]
T0 = 1762077600  # 2025-11-02T10:00Z

POLICY = load_policy("unit.yaml", text="""\
default: deny
vpc_cidrs: [10.0.0.0/16, 2600:1f18:aa00::/56]
groups:
  office: [71.190.44.12, 2a02:c7f:1::/48]
  data: [role:postgres]
rules:
  - {name: lb-to-web, from: internet, to: role:web, protocol: tcp, ports: [80, 443]}
  - {name: web-to-db, from: role:web, to: role:postgres, protocol: tcp, ports: [5432]}
  - {name: office-ssh, from: office, to: role:bastion, protocol: tcp, ports: [22]}
  - {name: dns, from: vpc, to: role:dns, protocol: udp, ports: [53]}
  - {name: pings, from: vpc, to: vpc, protocol: icmp}
  - {name: web-http-anywhere, from: role:web, to: any, protocol: tcp, ports: [80]}
forbidden:
  - {name: telnet, protocol: tcp, ports: [23]}
  - {name: http-to-data, protocol: tcp, ports: [80], to: data}
  - {name: smb-to-internet, protocol: tcp, ports: [445], to: internet}
exposure:
  - {name: admin-ports, protocol: tcp, ports: [22, 3389], exempt: [role:bastion], trusted: [office]}
  - {name: database-ports, protocol: tcp, ports: [5432]}
""")  # fmt: skip

INVENTORY = {"NetworkInterfaces": [
    {"NetworkInterfaceId": f"eni-{name}", "PrivateIpAddress": ip,
     "Ipv6Addresses": [{"Ipv6Address": v6}] if v6 else [],
     "TagSet": [{"Key": "Name", "Value": name}, {"Key": "Role", "Value": role}]}
    for name, role, ip, v6 in [
        ("web-1", "web", "10.0.1.10", "2600:1f18:aa00::10"),
        ("db-1", "postgres", "10.0.2.10", None),
        ("bastion-1", "bastion", "10.0.0.20", None), ("dns-1", "dns", "10.0.0.2", None),
        ("app-1", "app", "10.0.3.10", None),
    ]
]}  # fmt: skip


def line(src: str, dst: str, sport: int, dport: int, proto: int = 6, action: str = "ACCEPT",
         nbytes: int = 1000, at: int = 0) -> str:  # fmt: skip
    return (f"2 123456789012 eni-x {src} {dst} {sport} {dport} {proto} 10 {nbytes} "
            f"{T0 + at} {T0 + at + 30} {action} OK")  # fmt: skip


def check(*lines: str, policy: fk.compliance.Policy = POLICY, detail: bool = False) -> pd.DataFrame:  # type: ignore[name-defined]
    df = fk.parse_lines(list(lines))
    return check_policy(df, policy, inventory=INVENTORY, detail=detail)


def test_allowed_flows_give_no_violation() -> None:
    v = check(
        line("203.0.113.9", "10.0.1.10", 50000, 443),
        line("10.0.1.10", "10.0.2.10", 40000, 5432),
        line("71.190.44.12", "10.0.0.20", 50001, 22),
        line("10.0.3.10", "10.0.0.2", 40001, 53, proto=17),
        line("10.0.0.2", "10.0.3.10", 53, 40001, proto=17),  # the reply, udp
        line("10.0.3.10", "10.0.1.10", 0, 0, proto=1),
    )
    assert list(v.columns) == list(VIOLATION_COLUMNS)
    assert v.empty


def test_a_flow_no_rule_allows_is_not_allowed() -> None:
    v = check(line("10.0.3.10", "10.0.2.10", 40000, 5432, nbytes=777))
    cols = ["kind", "rule", "outcome", "client_segment", "server_segment", "port"]
    assert v[cols].values.tolist() == [
        ["not_allowed", "default-deny", "breach", "role:app", "role:postgres", 5432]]  # fmt: skip
    assert v["bytes"].tolist() == [777]
    assert v["examples"].tolist() == ["10.0.3.10 -> 10.0.2.10"]


def test_allow_rules_are_directional_for_tcp() -> None:
    v = check(line("10.0.2.10", "10.0.1.10", 40000, 5432))  # db opens to web: not allowed
    assert v["kind"].tolist() == ["not_allowed"]


def test_forbidden_ports_whatever_the_rules_say() -> None:
    v = check(line("10.0.1.10", "10.0.2.10", 40000, 23),
              line("10.0.1.10", "10.0.2.10", 40001, 80),  # allowed by web-http-anywhere
              line("10.0.1.10", "10.0.3.10", 40002, 80),  # allowed, app is not data
              line("10.0.3.10", "198.51.100.7", 40003, 445))  # fmt: skip
    got = set(map(tuple, v[["kind", "rule", "outcome"]].values.tolist()))
    assert got == {("forbidden", "telnet", "breach"), ("forbidden", "http-to-data", "breach"),
                   ("forbidden", "smb-to-internet", "breach")}  # fmt: skip
    assert "not_allowed" not in set(v["kind"])  # reported once, as forbidden


def test_internet_exposure_of_admin_and_database_ports() -> None:
    v = check(
        line("198.51.100.7", "10.0.3.10", 50000, 22),  # admin port on app: exposed
        line("198.51.100.7", "10.0.0.20", 50001, 22),  # bastion exempt (only office allowed)
        line("71.190.44.12", "10.0.3.10", 50002, 3389),  # trusted source: not exposure
        line("82.165.4.77", "10.0.2.10", 50003, 5432, nbytes=5000),  # exposed database
    )
    rows = v[["kind", "rule", "outcome", "server_segment", "port"]].values.tolist()
    assert ["exposure", "admin-ports", "breach", "role:app", 22] in rows
    assert ["exposure", "database-ports", "breach", "role:postgres", 5432] in rows
    assert ["not_allowed", "default-deny", "breach", "role:app", 3389] in rows  # still no rule
    assert ["not_allowed", "default-deny", "breach", "role:bastion", 22] in rows
    assert len(rows) == 4


def test_rejected_attempts_are_blocked_not_breaches() -> None:
    v = check(line("198.51.100.7", "10.0.2.10", 50000, 5432, action="REJECT", at=0),
              line("198.51.100.8", "10.0.2.10", 50001, 5432, action="REJECT", at=60),
              line("198.51.100.9", "10.0.1.10", 50002, 23, action="REJECT"))  # fmt: skip
    assert set(v["outcome"]) == {"blocked"}
    db = v[v["rule"] == "database-ports"].iloc[0]
    assert (db["clients"], db["records"]) == (2, 2)
    assert db["first_seen"] == pd.Timestamp(T0, unit="s", tz="UTC")
    assert db["last_seen"] == pd.Timestamp(T0 + 90, unit="s", tz="UTC")


def test_accepted_and_rejected_of_one_pair_split_into_breach_and_blocked() -> None:
    v = check(line("198.51.100.7", "10.0.2.10", 50000, 5432, action="ACCEPT"),
              line("198.51.100.7", "10.0.2.10", 50001, 5432, action="REJECT"))  # fmt: skip
    assert v["outcome"].tolist() == ["breach", "blocked"]  # breaches first


def test_ipv6_addresses_are_segmented_and_checked() -> None:
    v = check(
        line("2001:db8::7", "2600:1f18:aa00::10", 50000, 443),  # internet -> web: allowed
        line("2a02:c7f:1::5", "2600:1f18:aa00::10", 50001, 22),  # office, trusted, no rule
        line("2001:db8::7", "2600:1f18:aa00::10", 50002, 3389),  # internet admin: exposed
        line("2001:db8::8", "2600:1f18:aa00::10", 50003, 23, action="REJECT"),
        detail=True,
    )
    got = v[["kind", "rule", "outcome", "client_segment", "server_segment", "client", "port"]]
    assert got.values.tolist() == [
        ["exposure", "admin-ports", "breach", "internet", "role:web", "2001:db8::7", 3389],
        ["not_allowed", "default-deny", "breach", "office", "role:web", "2a02:c7f:1::5", 22],
        ["forbidden", "telnet", "blocked", "internet", "role:web", "2001:db8::8", 23],
    ]


def test_default_allow_reports_only_forbidden_and_exposure() -> None:
    text = POLICY.text.replace("default: deny", "default: allow")
    allow = load_policy("a", text=text)
    v = check(line("10.0.3.10", "10.0.2.10", 40000, 6000),
              line("10.0.3.10", "10.0.2.10", 40001, 23), policy=allow)  # fmt: skip
    assert v["rule"].tolist() == ["telnet"]


def test_the_input_frame_is_unchanged() -> None:
    df = fk.parse_lines([line("10.0.3.10", "10.0.2.10", 40000, 23)])
    before = df.copy()
    check_policy(df, POLICY, inventory=INVENTORY)
    pd.testing.assert_frame_equal(df, before)


def test_a_raw_frame_is_checked_with_the_same_orientation() -> None:
    rows = [line("10.0.3.10", "10.0.2.10", 40000, 23), line("10.0.2.10", "10.0.3.10", 23, 40000)]
    raw = fk.parse_lines(rows, enrich=False)
    enriched = fk.parse_lines(rows)
    got = check_policy(raw, POLICY, inventory=INVENTORY, detail=True)
    pd.testing.assert_frame_equal(got, check_policy(enriched, POLICY, inventory=INVENTORY,
                                                    detail=True))  # fmt: skip
    assert got[["client", "server", "port"]].values.tolist() == [["10.0.3.10", "10.0.2.10", 23]]


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return fk.read(ROOT / "data" / "sample", inventory=ROOT / "data" / "inventory.json",
                   vpc_cidrs=["10.0.0.0/16"], progress=False)  # fmt: skip


@pytest.fixture(scope="module")
def truth() -> dict:
    return json.loads((ROOT / "data" / "sample" / "ground_truth.json").read_text())


def test_sample_compliance_rules_flag_exactly_the_planted_compliance_incidents(
    sample: pd.DataFrame, truth: dict
) -> None:
    v = check_policy(sample, ROOT / "data" / "policy.yaml",
                     inventory=ROOT / "data" / "inventory.json", detail=True)  # fmt: skip
    breach = v[(v["outcome"] == "breach") & v["kind"].isin(["forbidden", "exposure"])]
    inc = {i["id"]: i for i in truth["incidents"]}
    ftp = inc["INC-08"]
    db = inc["INC-09"]
    expected = {(ftp["actor"], ftp["targets"][0], p) for p in ftp["ports"]}
    expected |= {(s, db["targets"][0], 5432) for s in db["evidence"]["internet_sources"]}
    assert set(zip(breach["client"], breach["server"], breach["port"], strict=True)) == expected
    assert set(breach.loc[breach["port"] == 5432, "rule"]) == {"database-ports"}
    assert set(breach.loc[breach["port"] != 5432, "rule"]) == {"ftp", "telnet"}
    assert int(breach.loc[breach["port"] == 5432, "records"].sum()) == db["records"]
    assert int(breach.loc[breach["port"] != 5432, "records"].sum()) == ftp["records"]


def test_sample_background_traffic_breaks_no_rule(sample: pd.DataFrame, truth: dict) -> None:
    """Every breach of the sample is a planted incident: the background is policy-clean."""
    v = check_policy(sample, ROOT / "data" / "policy.yaml",
                     inventory=ROOT / "data" / "inventory.json", detail=True)  # fmt: skip
    breach = v[v["outcome"] == "breach"]
    planted = set()
    for i in truth["incidents"]:
        ends = {i["actor"], *i["targets"], *i.get("evidence", {}).get("internet_sources", [])}
        planted |= {(a, b) for a in ends for b in ends if a != b}
    pairs = set(zip(breach["client"], breach["server"], strict=True))
    assert pairs
    assert pairs <= planted, pairs - planted
    actors = {i["id"] for i in truth["incidents"] if i["actor"] in set(breach["client"])}
    # compliance (08, 09) and the security incidents that also break the policy
    assert actors == {"INC-04", "INC-05", "INC-06", "INC-07", "INC-08", "INC-09"}
    assert set(v.loc[v["outcome"] == "blocked", "kind"]) <= {"forbidden", "exposure", "not_allowed"}


def test_sample_no_connection_is_both_breach_and_blocked(sample: pd.DataFrame) -> None:
    v = check_policy(sample, ROOT / "data" / "policy.yaml",
                     inventory=ROOT / "data" / "inventory.json", detail=True)  # fmt: skip
    key = ["client", "server", "protocol", "port"]
    breach = set(map(tuple, v.loc[v["outcome"] == "breach", key].values.tolist()))
    blocked = set(map(tuple, v.loc[v["outcome"] == "blocked", key].values.tolist()))
    assert breach
    assert blocked
    assert not breach & blocked  # 24 of 35 breach rows were also blocked before issue 15
