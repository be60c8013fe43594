"""The command line on no evidence, unrelated files and the small things a user meets first."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import flowkit as fk
from flowkit.cli import NO_EVIDENCE, main

ROOT = Path(__file__).resolve().parents[1]
HEADER = " ".join(fk.DEFAULT_FIELDS)
SCAN = [
    f"2 123456789010 eni-a 198.18.0.7 10.0.1.5 40000 {p} 6 1 44 1700000000 1700000030 REJECT OK"
    for p in range(1, 151)
]
MAN_PAGE = ".TH ALTER 7\n.SH NAME\ntype for to\nALTER \\- change a definition\ntype to\n"


def verbs(path: Path, tmp_path: Path) -> dict[str, list[str]]:
    """Every verb that analyses a load, pointed at ``path``."""
    return {
        "hunt": ["hunt", str(path), "--no-progress"],
        "audit": ["audit", str(path), "--policy", str(ROOT / "data" / "policy.yaml"),
                  "--html", str(tmp_path / "audit.html")],
        "cost": ["cost", str(path)],
    }  # fmt: skip


@pytest.fixture
def empty(tmp_path: Path) -> Path:
    folder = tmp_path / "empty"
    folder.mkdir()
    return folder


@pytest.fixture
def unrelated(tmp_path: Path) -> Path:
    """What /etc holds: man pages and configuration text, no flow log."""
    folder = tmp_path / "etc"
    folder.mkdir()
    (folder / "ALTER.7.gz").write_bytes(gzip.compress(MAN_PAGE.encode()))
    (folder / "resolv.txt").write_text("nameserver 10.0.0.2\nsearch example.internal\n")
    return folder


@pytest.mark.parametrize("verb", ["hunt", "audit", "cost"])
def test_empty_folder_is_no_evidence(
    verb: str, empty: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(verbs(empty, tmp_path)[verb]) == NO_EVIDENCE == 3
    out, err = capsys.readouterr()
    assert out == ""  # never "no findings", "0 breach row(s)" or "$0.00"
    assert err.splitlines() == [err.strip()]  # one line
    assert err.startswith(f"flowkit {verb}: no evidence in {empty}: nothing read: no flow-log")
    assert not (tmp_path / "audit.html").exists()


@pytest.mark.parametrize("verb", ["hunt", "audit", "cost"])
def test_unrelated_files_are_no_evidence_not_a_traceback(
    verb: str, unrelated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(verbs(unrelated, tmp_path)[verb]) == NO_EVIDENCE
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.splitlines()) == 1
    assert "no records: read 2 files, 7 lines: 0 records, 7 quarantined" in err
    assert "look like unrelated text" in err


def test_csv_that_is_no_flow_log_names_the_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "threats.csv"
    path.write_text("address,label,first_seen\n198.51.100.7,c2,2024-01-01\n")
    assert main(["hunt", str(path), "--no-progress"]) == NO_EVIDENCE
    assert "the quarantined lines look like CSV" in capsys.readouterr().err


def test_mostly_quarantined_exits_non_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "a.log"
    path.write_text("\n".join([HEADER, SCAN[0], *["some other text"] * 5]) + "\n")
    assert main(["hunt", str(path), "--no-progress"]) == NO_EVIDENCE
    err = capsys.readouterr().err
    assert "only 1 of 6 lines loaded" in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize("verb", ["hunt", "audit", "cost"])
def test_records_without_the_fields_a_verb_reads_are_a_clear_error(
    verb: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A custom format without times: a KeyError traceback (hunt), a misleading hint (audit),
    "$0.00" for one day (cost) before."""
    path = tmp_path / "a.log"
    path.write_text("version srcaddr dstaddr bytes\n2 192.0.2.1 198.51.100.2 40\n")
    assert main(verbs(path, tmp_path)[verb]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"flowkit {verb}: the records have no ")
    assert "start, end" in err
    assert "(their format: version srcaddr dstaddr bytes)" in err
    assert len(err.splitlines()) == 1


def test_entry_point_exit_status_and_one_line(empty: Path, unrelated: Path) -> None:
    for folder in (empty, unrelated):
        run = subprocess.run([sys.executable, "-m", "flowkit.cli", "hunt", str(folder)],
                             capture_output=True, text=True, check=False, cwd=ROOT)  # fmt: skip
        assert run.returncode == 3, run.stderr
        assert run.stdout == ""
        assert "Traceback" not in run.stderr
        assert len(run.stderr.splitlines()) == 1, run.stderr


def test_hunt_csv_ports_are_integers_and_the_threat_list_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    ssh = [f"2 123456789010 eni-a 198.18.0.9 10.0.1.5 4{i:04d} 22 6 1 44 1700000{i:03d} "
           f"1700000{i + 1:03d} REJECT OK" for i in range(0, 200)]  # fmt: skip
    (logs / "a.log").write_text("\n".join([HEADER, *SCAN, *ssh]) + "\n")
    (tmp_path / "threat_list.txt").write_text("198.18.0.9,known-bad\n")
    assert main(["hunt", str(logs), "--format", "csv", "--no-progress"]) == 0
    out, err = capsys.readouterr()
    table = pd.read_csv(io.StringIO(out), dtype=str)
    ports = table["dstport"].dropna().tolist()
    assert ports
    assert all(p.isdigit() for p in ports), ports  # 22, never 22.0
    assert ",22," in out
    assert f"threat list: {tmp_path / 'threat_list.txt'}" in err  # stdout stays CSV
    assert main(["hunt", str(logs), "--format", "json", "--no-progress"]) == 0
    out, err = capsys.readouterr()
    assert all(json.loads(line) for line in out.splitlines())
    assert "threat list:" in err
    assert main(["hunt", str(logs), "--no-progress"]) == 0
    out, err = capsys.readouterr()
    assert f"threat list: {tmp_path / 'threat_list.txt'}" in out.splitlines()[0]
    assert "350 records from 1 file" in out.splitlines()[0]
    listed = tmp_path / "mine.txt"
    listed.write_text("203.0.113.1\n")
    assert main(["hunt", str(logs), "--threat-list", str(listed), "--no-progress"]) == 0
    assert f"threat list: {listed}" in capsys.readouterr().out
    (tmp_path / "threat_list.txt").unlink()
    assert main(["hunt", str(logs), "--no-progress"]) == 0
    assert "threat list: none" in capsys.readouterr().out


def test_sample_on_an_existing_folder_names_the_force_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "s"
    assert main(["sample", str(out), "--seed", "3", "--days", "0.01"]) == 0
    capsys.readouterr()
    assert main(["sample", str(out), "--seed", "3", "--days", "0.01"]) == 2
    err = capsys.readouterr().err
    assert "--force" in err
    assert "overwrite=True" not in err
    assert str(out / "AWSLogs") in err


def test_convert_of_nothing_is_no_evidence(
    empty: Path, unrelated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["convert", str(empty), str(tmp_path / "o1"), "--no-progress"]) == NO_EVIDENCE
    err = capsys.readouterr().err
    assert err.startswith(f"flowkit convert: no evidence in {empty}: nothing read")
    assert main(["convert", str(unrelated), str(tmp_path / "o2"), "--no-progress"]) == NO_EVIDENCE
    err = capsys.readouterr().err
    assert "no records; converted 2 input(s)" in err
    assert len(err.splitlines()) == 1


def test_hunt_reads_what_the_library_hunt_needs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``flowkit hunt`` asks for the fields ``fk.hunt`` needs (VIEW_NEEDS), no more."""
    from flowkit.cli_read import NEEDS
    from flowkit.detect.view import VIEW_NEEDS

    assert NEEDS["hunt"] == VIEW_NEEDS
    path = tmp_path / "a.log"
    lines = [f"2 10.0.1.5 198.51.100.{i % 7} {1700000000 + 60 * i} {1700000030 + 60 * i}"
             for i in range(50)]  # fmt: skip
    path.write_text("\n".join(["version srcaddr dstaddr start end", *lines]) + "\n")
    expected = fk.hunt(fk.read(path, progress=False))
    assert main(["hunt", str(path), "--no-progress", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert "hunted 50 records from 1 file" in err
    assert len(out.splitlines()) == len(expected)


def test_every_verb_asks_for_what_its_library_functions_read() -> None:
    """One list per analysis: the CLI's fields are the library's, so they cannot drift."""
    from flowkit.cli_read import NEEDS
    from flowkit.compliance.check import POLICY_NEEDS
    from flowkit.compliance.log_coverage import COVERAGE_NEEDS
    from flowkit.cost.classify import COST_NEEDS
    from flowkit.cost.estimate import PERIOD_NEEDS

    assert set(NEEDS["audit"]) == set(POLICY_NEEDS) | set(COVERAGE_NEEDS)
    assert NEEDS["cost"] == COST_NEEDS + PERIOD_NEEDS


def test_audit_without_a_field_coverage_reads_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "a.log"
    lines = [f"10.0.1.5 10.0.2.{i % 7} 40000 443 6 840 {1700000000 + 60 * i} {1700000030 + 60 * i}"
             for i in range(20)]  # fmt: skip
    path.write_text("\n".join(["srcaddr dstaddr srcport dstport protocol bytes start end",
                               *lines]) + "\n")  # fmt: skip
    assert main(verbs(path, tmp_path)["audit"]) == 2
    err = capsys.readouterr().err
    assert "interface_id" in err
    assert "log_status" in err
