"""Least privilege, the HTML evidence report and the ``flowkit audit`` command."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

import flowkit as fk
from flowkit.cli import main
from flowkit.compliance import (
    audit_report,
    check_policy,
    load_policy,
    load_security_groups,
    security_group_usage,
)

ROOT = Path(__file__).resolve().parents[1]
T0 = 1762077600

INVENTORY = {"NetworkInterfaces": [
    {"NetworkInterfaceId": "eni-db", "PrivateIpAddress": "10.0.2.30",
     "Ipv6Addresses": [{"Ipv6Address": "2600:1f18:aa00::30"}],
     "Groups": [{"GroupId": "sg-db"}], "TagSet": [{"Key": "Name", "Value": "db-1"}]},
    {"NetworkInterfaceId": "eni-app", "PrivateIpAddress": "10.0.1.10",
     "Groups": [{"GroupId": "sg-app"}], "TagSet": [{"Key": "Name", "Value": "app-1"}]},
]}  # fmt: skip
SGS = {"SecurityGroups": [
    {"GroupId": "sg-db", "GroupName": "db", "IpPermissions": [
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
         "UserIdGroupPairs": [{"GroupId": "sg-app"}]},
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
         "Ipv6Ranges": [{"CidrIpv6": "2001:db8::/32"}]},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
    ], "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]},
    {"GroupId": "sg-app", "GroupName": "app", "IpPermissions": [],
     "IpPermissionsEgress": [{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                              "IpRanges": [{"CidrIp": "10.0.0.0/16"}]},
                             {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53,
                              "IpRanges": [{"CidrIp": "10.0.0.2/32"}]}]},
]}  # fmt: skip


def line(eni: str, src: str, dst: str, sport: int, dport: int, action: str = "ACCEPT") -> str:
    return f"2 1 {eni} {src} {dst} {sport} {dport} 6 10 500 {T0} {T0 + 30} {action} OK"


def test_security_group_rules_used_and_never_used_per_eni() -> None:
    from flowkit.enrich import enrich

    raw = fk.parse_lines([
        line("eni-db", "10.0.1.10", "10.0.2.30", 40000, 5432),  # app -> db via the group rule
        line("eni-app", "10.0.1.10", "10.0.2.30", 40000, 5432),  # the app side: egress
        line("eni-db", "2001:db8::9", "2600:1f18:aa00::30", 40001, 5432),  # IPv6 rule
        line("eni-db", "198.51.100.7", "10.0.2.30", 40002, 22, action="REJECT"),  # not a use
    ], enrich=False)  # fmt: skip
    df = enrich(raw, vpc_cidrs=["10.0.0.0/16", "2600:1f18:aa00::/56"])
    u = security_group_usage(df, SGS, INVENTORY)
    got = {(r.eni_name, r.direction, r.from_port, r.source): (r.used, r.connections)
           for r in u.itertuples()}  # fmt: skip
    assert got == {
        ("db-1", "ingress", 5432, "sg-app"): (True, 1),
        ("db-1", "ingress", 5432, "2001:db8::/32"): (True, 1),
        ("db-1", "ingress", 22, "0.0.0.0/0"): (False, 0),
        ("db-1", "egress", -1, "0.0.0.0/0"): (False, 0),
        ("app-1", "egress", 5432, "10.0.0.0/16"): (True, 1),
        ("app-1", "egress", 53, "10.0.0.2/32"): (False, 0),
    }
    assert u["used"].tolist()[:3] == [False, False, False]  # removal candidates first


def test_the_sample_security_groups_cover_the_inventory() -> None:
    sgs = load_security_groups(ROOT / "data" / "security_groups.json")
    inv = fk.load_inventory(ROOT / "data" / "inventory.json")
    used = {g for gs in inv.table["security_groups"] for g in gs.split(";")}
    assert used == set(sgs["group_id"])


def test_sample_least_privilege_finds_the_wide_database_rule_used_and_dead_rules() -> None:
    df = fk.read(ROOT / "data" / "sample", inventory=ROOT / "data" / "inventory.json",
                 vpc_cidrs=["10.0.0.0/16"], progress=False)  # fmt: skip
    u = security_group_usage(df, ROOT / "data" / "security_groups.json",
                             ROOT / "data" / "inventory.json")  # fmt: skip
    wide = u[(u["eni_name"] == "analytics-db-1") & (u["source"] == "0.0.0.0/0")
             & (u["direction"] == "ingress")].iloc[0]  # fmt: skip
    assert wide["used"]
    assert wide["connections"] == 4  # the ETL host and the three internet sources of INC-09
    unused = u[~u["used"]]
    assert {"old admin console", "ftps, never switched to", "rdp from office"} <= set(
        unused["description"]
    )
    assert not u[(u["description"] == "from the load balancer")]["used"].eq(False).any()


def _report(violations: pd.DataFrame, tmp_path: Path) -> str:
    policy = load_policy("p.yaml", text="policy: '<b>p</b>'\nforbidden:\n"
                         "  - {name: telnet, protocol: tcp, ports: [23]}\n")  # fmt: skip
    f = tmp_path / "in.log"
    f.write_bytes(b"2 1 eni-1 - - - - - - - 1 2 - NODATA\n")
    return audit_report(
        violations=violations, policy=policy, inputs=[f],
        parameters={"start": "2026-11-02", "note": "<img src=x onerror=alert(1)>"},
        coverage=pd.DataFrame({"interface_id": ["eni-<x>"], "coverage_pct": [99.5]}),
        now=datetime(2026, 11, 4, 12, tzinfo=UTC),
    )  # fmt: skip


def test_the_report_escapes_everything_and_is_self_contained(tmp_path: Path) -> None:
    evil = '"><script>alert(1)</script>'
    v = pd.DataFrame({"kind": ["forbidden"], "rule": ["telnet"], "outcome": ["breach"],
                      "client_segment": [evil], "examples": ["1.2.3.4 -> 10.0.1.40"]})  # fmt: skip
    page = _report(v, tmp_path)
    assert "<script" not in page
    assert "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "eni-&lt;x&gt;" in page
    assert "&lt;b&gt;p&lt;/b&gt;" in page
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", page)
    assert "2026-11-04T12:00:00+00:00" in page
    digest = hashlib.sha256((tmp_path / "in.log").read_bytes()).hexdigest()
    assert digest in page
    assert f"pandas</td><td>{pd.__version__}" in page
    assert "1 breach row(s)" in page


@pytest.mark.browser
def test_the_report_opens_in_a_browser_without_a_server(tmp_path: Path) -> None:
    from lab_session import CHROMIUM, CHROMIUM_FLAGS
    from playwright.sync_api import sync_playwright

    v = pd.DataFrame({"kind": ["forbidden"], "rule": ["telnet"], "outcome": ["breach"]})
    path = tmp_path / "audit.html"
    path.write_text(_report(v, tmp_path), encoding="utf-8")
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        page = browser.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.goto(path.as_uri())
        heading = page.locator("h1").inner_text()
        cells = page.locator("td.breach, tr.breach td").count()
        browser.close()
    assert heading == "Network compliance audit"
    assert cells > 0
    assert requests == [path.as_uri()]


@pytest.mark.slow
def test_audit_command_on_the_sample(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "audit.html"
    code = main(["audit", str(ROOT / "data" / "sample"), "--policy",
                 str(ROOT / "data" / "policy.yaml"), "--security-groups",
                 str(ROOT / "data" / "security_groups.json"), "--inventory",
                 str(ROOT / "data" / "inventory.json"), "--html", str(out),
                 "--fail-on-breach"])  # fmt: skip
    assert code == 1
    page = out.read_text(encoding="utf-8")
    assert "212.47.230.15 -&gt; 10.0.1.40" in page
    assert "database-ports" in page
    assert "eni-0133f5a7c9e1b2d13" in page  # web-2's logging gap
    policy_hash = hashlib.sha256((ROOT / "data" / "policy.yaml").read_bytes()).hexdigest()
    assert policy_hash in page
    assert "breach row(s)" in capsys.readouterr().out


def test_audit_command_reports_a_bad_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text("rules:\n  - {name: a, from: nowhere, to: vpc, protocol: tcp, ports: [1]}\n")
    code = main(["audit", str(tmp_path), "--policy", str(bad), "--html", str(tmp_path / "o.html")])
    assert code == 2
    assert f"{bad}:2: unknown segment 'nowhere'" in capsys.readouterr().err
    assert not (tmp_path / "o.html").exists()


def test_check_policy_summary_feeds_the_report(tmp_path: Path) -> None:
    policy = load_policy("p", text="forbidden: [{name: telnet, protocol: tcp, ports: [23]}]")
    df = fk.parse_lines([line("eni-db", "198.51.100.7", "10.0.2.30", 40000, 23)])
    page = audit_report(violations=check_policy(df, policy), policy=policy)
    assert "198.51.100.7 -&gt; 10.0.2.30" in page
    assert json.dumps("telnet")[1:-1] in page
