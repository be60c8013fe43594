"""The findings frame, the hunt config and the ``flowkit hunt`` command."""

from __future__ import annotations

import dataclasses
import inspect
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import flowkit as fk
from flowkit.cli import main
from flowkit.detect import (
    DETECTIONS,
    FINDING_COLUMNS,
    FINDINGS,
    AllowList,
    HuntConfig,
    HuntConfigError,
    findings_frame,
)

SCAN = [f"2 1 eni-a 198.18.0.7 10.0.1.5 40000 {p} 6 1 44 1700000000 1700000030 REJECT OK"
        for p in range(1, 151)]  # fmt: skip


def _rows(n: int) -> pd.DataFrame:
    return pd.DataFrame({
        "finding": ["port_scan", "beaconing", "dos", "port_scan"][:n],
        "severity": ["medium", "high", "high", "low"][:n],
        "actor": ["b", "a", "a", "a"][:n], "target": ["x", "y", "z", "x"][:n],
        "dstport": [float("nan"), 443.0, 53.0, float("nan")][:n],
        "first_seen": [100, 300, 200, 100][:n], "last_seen": [200, 400, 300, 200][:n],
        "flows": [1, 2, 3, 4][:n], "packets": [1, 2, 3, 4][:n], "bytes": [10, 20, 30, 40][:n],
        "summary": ["s"] * n, "evidence": [{"k": i} for i in range(n)],
    })  # fmt: skip


def test_columns_types_and_sort() -> None:
    out = findings_frame(_rows(4))
    assert tuple(out.columns) == FINDING_COLUMNS
    assert out["finding"].tolist() == ["dos", "beaconing", "port_scan", "port_scan"]
    assert out["severity"].tolist() == ["high", "high", "medium", "low"]
    assert str(out["dstport"].dtype) == "UInt16"
    assert out["dstport"].isna().sum() == 2
    assert str(out["first_seen"].dtype) == "datetime64[s, UTC]"
    assert out["guardduty"].tolist()[0] == "Backdoor:EC2/DenialOfService.Tcp"
    assert out["attack"].tolist() == ["T1498", "T1071", "T1046", "T1046"]
    shuffled = findings_frame(_rows(4).iloc[[3, 1, 0, 2]])
    pd.testing.assert_frame_equal(out, shuffled)


def test_bad_rows_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown finding"):
        findings_frame(_rows(1).assign(finding="nope"))
    with pytest.raises(ValueError, match="severity"):
        findings_frame(_rows(1).assign(severity="critical"))
    with pytest.raises(ValueError, match="lack columns"):
        findings_frame(_rows(1).drop(columns="summary"))


def test_every_finding_has_attack_and_a_detection() -> None:
    assert set(FINDINGS) == set(DETECTIONS)
    assert all(attack.startswith("T1") for attack, _ in FINDINGS.values())


def test_config_fields_are_the_detections_keyword_parameters() -> None:
    cfg = HuntConfig()
    for name, func in DETECTIONS.items():
        params = {p.name: p.default for p in inspect.signature(func).parameters.values()
                  if p.kind is p.KEYWORD_ONLY and p.name not in ("threat_list",
                                                                 "allow")}  # fmt: skip
        assert cfg.thresholds(name) == params, name


def test_config_from_dict_yaml_and_errors(tmp_path: Path) -> None:
    cfg = HuntConfig.from_dict({"port_scan": {"min_ports": 500}, "skip": ["rejected_burst"]})
    path = tmp_path / "hunt.yaml"
    path.write_text(yaml.safe_dump(cfg.to_dict()))
    again = HuntConfig.from_yaml(path)
    assert again == cfg
    assert fk.hunt(fk.parse_lines(SCAN), path).empty
    assert fk.hunt(fk.parse_lines(SCAN))["finding"].tolist() == ["port_scan", "rejected_burst"]
    assert len(fk.hunt(fk.parse_lines(SCAN), cfg.with_value("port_scan", "min_ports", 10))) == 1
    with pytest.raises(ValueError, match=r"unknown threshold \(did you mean 'min_ports'"):
        HuntConfig.from_dict({"port_scan": {"min_port": 5}})
    with pytest.raises(ValueError, match=r"unknown detection \(did you mean 'port_scan'"):
        HuntConfig.from_dict({"portscan": {}})
    lat = HuntConfig.from_dict({"lateral_movement": {"ports": [22]}}).lateral_movement
    assert dataclasses.asdict(lat)["ports"] == (22,)


def test_cli_json_csv_and_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "scan.log").write_text(fk.DEFAULT_FORMAT.replace("${", "").replace("}", "") + "\n"
                                     + "\n".join(SCAN) + "\n")  # fmt: skip
    assert main(["hunt", str(folder), "--format", "json", "--no-progress"]) == 0
    lines = capsys.readouterr().out.splitlines()
    objs = [json.loads(x) for x in lines]
    assert [o["finding"] for o in objs] == ["port_scan", "rejected_burst"]
    assert list(objs[0]) == list(FINDING_COLUMNS)
    assert objs[0]["dstport"] is None
    assert objs[0]["first_seen"] == "2023-11-14T22:13:20Z"
    assert objs[0]["evidence"]["distinct_ports"] == 150
    assert main(["hunt", str(folder), "--format", "csv", "--no-progress"]) == 0
    csv = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out))
    assert csv["actor"].tolist() == ["198.18.0.7", "198.18.0.7"]
    assert json.loads(csv.loc[0, "evidence"])["distinct_ports"] == 150
    cfg = tmp_path / "c.yaml"
    cfg.write_text("skip: [rejected_burst]\n")
    assert main(["hunt", str(folder), "--config", str(cfg), "--no-progress"]) == 0
    note, *table = capsys.readouterr().out.splitlines()
    assert note.startswith("hunted 150 records from 1 file; threat list: none")
    assert table[0].split()[:4] == ["severity", "finding", "actor", "target"]
    assert len(table) == 2
    assert "probed 150 ports of 10.0.1.5" in table[1]
    cfg.write_text("port_scan: {bogus: 1}\n")
    assert main(["hunt", str(folder), "--config", str(cfg), "--no-progress"]) == 2


# --- hunt config validation (issue 16 item 13) ---------------------------------------------


def _yaml_error(tmp_path: Path, text: str) -> HuntConfigError:
    path = tmp_path / "hunt.yaml"
    path.write_text(text)
    with pytest.raises(HuntConfigError) as info:
        HuntConfig.from_yaml(path)
    assert info.value.file == str(path)
    return info.value


def test_null_never_switches_a_detection_off(tmp_path: Path) -> None:
    err = _yaml_error(tmp_path, "beaconing: {}\nport_scan:\n")
    assert (err.key, err.line) == ("port_scan", 2)
    assert "skip" in err.reason
    err = _yaml_error(tmp_path, "port_scan:\n  min_ports: null\n")
    assert (err.key, err.line) == ("port_scan.min_ports", 2)
    with pytest.raises(HuntConfigError, match="is null"):
        HuntConfig.from_dict({"port_scan": {"min_ports": None}})
    # An empty skip and an empty file are no mistakes: nothing is switched off.
    assert HuntConfig.from_dict({"skip": None}).skip == frozenset()
    (tmp_path / "empty.yaml").write_text("")
    assert HuntConfig.from_yaml(tmp_path / "empty.yaml") == HuntConfig()


def test_wrong_types_fail_early_with_the_line(tmp_path: Path) -> None:
    err = _yaml_error(tmp_path, "# thresholds\nport_scan:\n  min_ports: ten\n")
    assert (err.key, err.line) == ("port_scan.min_ports", 3)
    assert "expected an integer" in str(err)
    assert f"{tmp_path / 'hunt.yaml'}:3:" in str(err)
    cases = {
        ("port_scan", "min_ports"): [True, 2.5, "10", [10]],
        ("beaconing", "min_regularity"): ["high", False],
        ("beaconing", "include_aws_services"): ["yes", 1],
        ("port_scan", "windows_minutes"): [10, ["10"], [-1]],
        ("exfiltration", "min_new_bytes"): [-5],
    }
    for (det, key), values in cases.items():
        for value in values:
            with pytest.raises(HuntConfigError) as info:
                HuntConfig.from_dict({det: {key: value}})
            assert info.value.key == f"{det}.{key}", value
    ok = HuntConfig.from_dict({"beaconing": {"min_regularity": 1, "min_hours": 3}})
    assert ok.beaconing.min_regularity == 1.0
    assert isinstance(ok.beaconing.min_hours, float)
    err = _yaml_error(tmp_path, "port_scan: [1, 2]\n")
    assert err.key == "port_scan"
    assert "mapping" in err.reason
    err = _yaml_error(tmp_path, "port_scan: {min_ports: 1\n")
    assert "not valid YAML" in err.reason


def test_skip_as_one_name_and_unknown_names_suggested(tmp_path: Path) -> None:
    assert HuntConfig.from_dict({"skip": "port_scan"}).skip == frozenset({"port_scan"})
    path = tmp_path / "hunt.yaml"
    path.write_text("skip: port_scan\n")
    assert HuntConfig.from_yaml(path).skip == frozenset({"port_scan"})
    assert fk.hunt(fk.parse_lines(SCAN), path)["finding"].tolist() == ["rejected_burst"]
    err = _yaml_error(tmp_path, "skip:\n  - beaconing\n  - port_scna\n")
    assert (err.key, err.line) == ("skip.1", 3)
    assert "did you mean 'port_scan'" in err.reason
    err = _yaml_error(tmp_path, "skip: [1, 2]\n")
    assert err.key == "skip"
    err = _yaml_error(tmp_path, "beaconing:\n  fleet_chanels: 4\n")
    assert (err.key, err.line) == ("beaconing.fleet_chanels", 2)
    assert "did you mean 'fleet_channels'" in err.reason


def test_allow_section_is_validated_and_applied(tmp_path: Path) -> None:
    t0 = 1_700_000_000
    beacon = [line for i in range(40) for line in (
        f"2 1 eni-a 10.0.1.5 80.66.88.207 {40000 + i} 443 6 4 900 {t0 + 300 * i} "
        f"{t0 + 300 * i + 2} ACCEPT OK", f"2 1 eni-a 80.66.88.207 10.0.1.5 443 {40000 + i} 6 4 "
        f"1500 {t0 + 300 * i} {t0 + 300 * i + 2} ACCEPT OK")]  # fmt: skip
    df = fk.parse_lines(beacon)
    assert fk.hunt(df)["finding"].tolist() == ["beaconing"]
    vendors = tmp_path / "vendors.csv"
    vendors.write_text("network,label\n80.66.88.0/24,acme-updates\n198.51.100.0/24,other\n")
    path = tmp_path / "hunt.yaml"
    path.write_text("allow:\n  lists: [vendors.csv]\n  labels: acme-updates\n")
    cfg = HuntConfig.from_yaml(path)  # the list is read from the config's folder
    assert cfg.allow.lists == (str(vendors),)
    assert fk.hunt(df, cfg).empty
    assert fk.hunt(df, {"allow": {"networks": ["80.66.88.207"]}}).empty
    assert fk.hunt(df, {"allow": {"lists": [str(vendors)], "labels": ["other"]}}).shape[0] == 1
    assert HuntConfig().allow == AllowList()
    assert not HuntConfig().allow
    assert HuntConfig.from_dict(HuntConfig().to_dict()) == HuntConfig()
    err = _yaml_error(tmp_path, "allow:\n  networks: [10.0.0.0/8, not-an-address]\n")
    assert (err.key, err.line) == ("allow.networks.1", 2)
    err = _yaml_error(tmp_path, "allow:\n  adresses: [10.0.0.1]\n")
    assert "did you mean 'networks'" not in err.reason or err.key == "allow.adresses"
    assert err.key == "allow.adresses"


def test_rules_table_lists_every_detection_with_its_thresholds() -> None:
    table = fk.detection_rules()
    assert table["detection"].tolist() == list(DETECTIONS)
    assert table.notna().all().all()
    row = table.set_index("detection").loc["beaconing"]
    assert "fleet_channels=3" in row["thresholds"]
    assert "low" in row["severity"]
    changed = fk.detection_rules(HuntConfig().with_value("port_scan", "min_ports", 25))
    assert "min_ports=25" in changed.set_index("detection").loc["port_scan", "thresholds"]


def _severity_orders(path: Path) -> list[int]:
    """Lines of ``path`` that spell out the severities' order as a tuple or list literal."""
    import ast

    levels = {"low", "medium", "high"}
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Tuple | ast.List) and len(node.elts) == len(levels):
            values = [e.value for e in node.elts if isinstance(e, ast.Constant)]
            if set(values) == levels:
                found.append(node.lineno)
    return found


def test_the_severity_order_is_written_once() -> None:
    """``detect.frame.SEVERITIES`` is the order; the sorts, ladders and counts import it."""
    package = Path(fk.__file__).parent
    written = {
        str(p.relative_to(package)): lines
        for p in sorted(package.rglob("*.py"))
        if (lines := _severity_orders(p))
    }
    assert list(written) == ["detect/frame.py"]
    assert len(written["detect/frame.py"]) == 1


def test_severity_counts_and_the_hunt_status_put_high_first() -> None:
    from flowkit.detect.frame import SEVERITIES
    from flowkit.display import severity_counts

    f = pd.DataFrame({"severity": ["low", "high", "medium"], "finding": ["a", "b", "c"]})
    assert [s for s, _ in severity_counts(f).index] == list(reversed(SEVERITIES))
    assert SEVERITIES[-1] == "high"


def test_a_hunt_filters_outward_connections_and_masks_the_allow_list_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Beaconing and fast C2 share the outward connections; with exfiltration, one allow mask."""
    from collections import Counter

    from flowkit.detect import beacon

    calls: Counter[str] = Counter()
    real_mask, real_outward = AllowList.mask, beacon._outward

    def mask(self: AllowList, view: Any) -> Any:
        calls["mask"] += 1
        return real_mask(self, view)

    def outward(*args: Any) -> Any:
        calls["outward"] += 1
        return real_outward(*args)

    monkeypatch.setattr(AllowList, "mask", mask)
    monkeypatch.setattr(beacon, "_outward", outward)
    t0 = 1700000000
    lines = [f"2 1 eni-a 10.0.1.5 41.108.179.197 {50000 + i} 1177 6 3 152 {t0 + 23 * i} "
             f"{t0 + 23 * i + 9} ACCEPT OK" for i in range(40)]  # fmt: skip
    df = fk.parse_lines(lines)
    assert "fast_c2" in fk.hunt(df)["finding"].tolist()
    assert calls == {"outward": 1}
    calls.clear()
    assert (
        "fast_c2"
        not in fk.hunt(df, {"allow": {"networks": ["41.108.179.0/24"]}})["finding"].tolist()
    )
    assert calls == {"outward": 1, "mask": 1}
