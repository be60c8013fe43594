"""Tests for ``flowkit report`` (flowkit.nbreport): notebook + data folder -> HTML + manifest."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from datetime import datetime
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from flowkit.cli import main
from flowkit.nbreport import manifest, parse_value

HEADER = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    "start end action log-status"
)


def _record(i: int) -> str:
    return (
        f"2 210987654321 eni-0f{i % 3} 192.0.2.{i % 250 + 1} 203.0.113.7 {40000 + i} 443 6 "
        f"{i + 1} {100 * (i + 1)} {1767225600 + 60 * i} {1767225660 + 60 * i} ACCEPT OK"
    )


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A small estate that is not the bundled sample: 2 files, 30 records, one bad line."""
    root = tmp_path / "my-logs" / "AWSLogs" / "210987654321" / "vpcflowlogs" / "eu-west-1"
    root.mkdir(parents=True)
    first = "\n".join([HEADER, *(_record(i) for i in range(20))]) + "\n"
    second = "\n".join([HEADER, *(_record(i) for i in range(20, 30)), "not a record"]) + "\n"
    (root / "a.log.gz").write_bytes(gzip.compress(first.encode()))
    (root / "b.log").write_text(second)
    return tmp_path / "my-logs"


@pytest.fixture
def notebook(tmp_path: Path) -> Path:
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Test report"),
            new_code_cell(
                'DATA_PATH = "../data/sample"\nLABEL = "default"\nTOP = 1',
                metadata={"tags": ["parameters"]},
            ),
            new_code_cell(
                "import warnings\nimport flowkit as fk\nwarnings.simplefilter('ignore')\n"
                "df = fk.read(DATA_PATH)\n"
                "print(f'records: {len(df)} quarantined: {len(fk.quarantine(df))} label: {LABEL}')"
            ),
            new_code_cell("df.groupby('interface_id', observed=True)['bytes'].sum().nlargest(TOP)"),
        ]
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = tmp_path / "nbs" / "report.ipynb"
    path.parent.mkdir()
    nbformat.write(nb, path)
    return path


def test_parse_value_types() -> None:
    assert parse_value("42") == 42
    assert parse_value("-1.5") == -1.5
    assert parse_value("FALSE") is False
    assert parse_value("None") is None
    assert parse_value("eni-0f1") == "eni-0f1"


def test_manifest_hashes_every_input_file_sorted(data: Path, notebook: Path) -> None:
    m = manifest(notebook, data, {"DATA_PATH": str(data)})
    names = [i["file"] for i in m.inputs]
    assert names == sorted(names)
    assert [n.rsplit("/", 1)[-1] for n in names] == ["a.log.gz", "b.log"]
    for item in m.inputs:
        raw = (data / item["file"]).read_bytes()
        assert item["sha256"] == hashlib.sha256(raw).hexdigest()
        assert item["bytes"] == len(raw)
    assert m.notebook["sha256"] == hashlib.sha256(notebook.read_bytes()).hexdigest()
    assert datetime.fromisoformat(m.generated_at).utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert m.versions["pandas"][0].isdigit()


@pytest.mark.notebook
@pytest.mark.slow
def test_report_command_writes_html_with_manifest(
    data: Path, notebook: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out" / "report.html"
    argv = ["report", str(notebook), "--data", str(data), "--html", str(out),
            "-p", "LABEL", "incident-42", "-p", "TOP", "2", "--no-progress"]  # fmt: skip
    assert main(argv) == 0
    assert "wrote" in capsys.readouterr().out
    page = out.read_text(encoding="utf-8")
    assert "records: 30 quarantined: 1 label: incident-42" in page
    assert "eni-0f1" in page  # the TOP=2 table has two interfaces
    assert not re.search(r'<script[^>]*src="https?://', page), "report must open offline"
    embedded = re.search(r'id="flowkit-manifest-json">(.*?)</script>', page, re.S)
    assert embedded is not None
    evidence = json.loads(embedded.group(1).replace("<\\/", "</"))
    sidecar = json.loads((tmp_path / "out" / "report.html.manifest.json").read_text())
    assert evidence == sidecar
    assert evidence["parameters"] == {
        "DATA_PATH": str(data.resolve()),
        "LABEL": "incident-42",
        "TOP": 2,
    }
    assert len(evidence["inputs"]) == 2
    assert "Evidence manifest" in page


@pytest.mark.notebook
@pytest.mark.slow
def test_report_command_fails_without_writing_when_the_notebook_fails(
    data: Path, notebook: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    argv = ["report", str(notebook), "--data", str(data), "--html", str(out),
            "-p", "TOP", "not-a-number", "--no-progress"]  # fmt: skip
    assert main(argv) == 1
    assert not out.exists()


def test_report_command_rejects_missing_data(notebook: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    argv = ["report", str(notebook), "--data", str(tmp_path / "nowhere"), "--html", str(out)]
    assert main(argv) == 2
    assert not out.exists()
