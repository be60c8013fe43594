"""The policy file: every section loads, every mistake names its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowkit.compliance import PolicyError, load_policy

ROOT = Path(__file__).resolve().parents[1]

GOOD = """\
policy: t
version: "1"
default: deny
vpc_cidrs: [10.0.0.0/16, 2600:1f18:aa00::/56]
groups:
  office: [71.190.44.12, 2a02:1:2::/48]
  data: [role:postgres, eni-0123, name:db-1]
rules:
  - {name: web, from: internet, to: role:web, protocol: tcp, ports: [80, 443]}
  - {name: pings, from: vpc, to: vpc, protocol: icmp}
  - {name: high, from: office, to: data, protocol: tcp, ports: ["8000-8002"]}
forbidden:
  - {name: telnet, protocol: tcp, ports: [23]}
exposure:
  - {name: admin, protocol: tcp, ports: [22, 3389], exempt: [role:bastion], trusted: [office]}
"""


def test_a_good_policy_loads_every_section() -> None:
    p = load_policy("t.yaml", text=GOOD)
    assert (p.name, p.version, p.default) == ("t", "1", "deny")
    assert p.vpc_cidrs == ("10.0.0.0/16", "2600:1f18:aa00::/56")
    assert p.groups["office"] == ("71.190.44.12", "2a02:1:2::/48")
    assert [r.name for r in p.rules] == ["web", "pings", "high"]
    assert p.rules[2].ports == (8000, 8001, 8002)
    assert p.rules[1].ports == ()
    assert p.rules[1].protocol == "icmp"
    assert p.rules[0].line == 9
    admin = p.exposure[0]
    assert (admin.src, admin.dst, admin.exempt, admin.trusted) == (
        ("internet",), ("vpc",), ("role:bastion",), ("office",))  # fmt: skip
    assert p.text == GOOD


def test_the_sample_policy_loads() -> None:
    p = load_policy(ROOT / "data" / "policy.yaml")
    assert p.default == "deny"
    assert len(p.rules) >= 20
    assert {r.name for r in p.forbidden} >= {"ftp", "telnet", "smb-to-internet"}
    assert {r.name for r in p.exposure} == {"admin-ports", "database-ports"}


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("rules:\n  - {name: a, from: nowhere, to: vpc, protocol: tcp, ports: [1]}\n", 2,
         "unknown segment 'nowhere'"),
        ("rules:\n  - name: a\n    from: vpc\n    to: vpc\n    protocol: tcp\n    prots: [1]\n",
         6, "unknown key 'prots'"),
        ("forbidden:\n  - {name: a, protocol: tcp, ports: [70000]}\n", 2, "outside 0-65535"),
        ("forbidden:\n  - {name: a, protocol: tcp,\n     ports: [http]}\n", 3, "not a number"),
        ("rules:\n  - {name: a, from: vpc, to: vpc, protocol: tpc, ports: [1]}\n", 2,
         "unknown protocol 'tpc'"),
        ("rules:\n  - {name: a, from: vpc, to: vpc, protocol: tcp}\n", 2, "needs 'ports'"),
        ("groups:\n  internet: [0.0.0.0/0]\n", 2, "builtin"),
        ("vpc_cidrs: [10.0.0.0/33]\n", 1, "not a CIDR"),
        ("default: maybe\n", 1, "default must be"),
        ("polcy: x\n", 1, "unknown section 'polcy'"),
        ("rules: [\n  {name: a\n", 3, "not valid YAML"),
        ("rules:\n  - {name: a, from: vpc, to: vpc, protocol: icmp}\n"
         "  - {name: a, from: vpc, to: vpc, protocol: icmp}\n", 3, "duplicate rule name"),
        ("exposure:\n  - {name: a, protocol: tcp}\n", 2, "needs 'ports'"),
        ("", 1, "empty"),
        ("rules: {name: a}\n", 1, "must be a list"),
        ("default: deny\ndefault: allow\n", 2, "duplicate key"),
    ],
)  # fmt: skip
def test_a_malformed_policy_names_file_line_and_reason(text: str, line: int, reason: str) -> None:
    with pytest.raises(PolicyError) as info:
        load_policy("bad.yaml", text=text)
    err = info.value
    assert (err.file, err.line) == ("bad.yaml", line), str(err)
    assert reason in err.reason
    assert str(err).startswith(f"bad.yaml:{line}: ")


def test_a_policy_error_from_a_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("groups:\n  office: [not-an-address]\n")
    with pytest.raises(PolicyError, match=r"p\.yaml:2: unknown segment 'not-an-address'"):
        load_policy(path)


def test_the_loader_is_safe() -> None:
    with pytest.raises(PolicyError, match=r"x\.yaml:2: tag .*python.* is not allowed"):
        load_policy("x.yaml", text="version: '1'\npolicy: !!python/object/apply:os.system [x]\n")
    with pytest.raises(PolicyError, match=r"x\.yaml:1: tag '!env' is not allowed"):
        load_policy("x.yaml", text="policy: !env HOME\n")
