"""The findings frame, the hunt config and the ``flowkit hunt`` command."""

from __future__ import annotations

import dataclasses
import inspect
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

import flowkit as fk
from flowkit.cli import main
from flowkit.detect import DETECTIONS, FINDING_COLUMNS, FINDINGS, HuntConfig, findings_frame

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
                  if p.kind is p.KEYWORD_ONLY and p.name != "threat_list"}  # fmt: skip
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
    with pytest.raises(ValueError, match="unknown thresholds"):
        HuntConfig.from_dict({"port_scan": {"min_port": 5}})
    with pytest.raises(ValueError, match="unknown detections"):
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
