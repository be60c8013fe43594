"""Tests for ``flowkit report`` (flowkit.nbreport): notebook + data folder -> HTML + manifest."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import shutil
import subprocess
import sys
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
    assert not set("<>&") & set(embedded.group(1)), "the manifest JSON must not hold < > &"
    evidence = json.loads(embedded.group(1))
    sidecar = json.loads((tmp_path / "out" / "report.html.manifest.json").read_text())
    assert evidence == sidecar
    assert evidence["parameters"] == {
        "DATA_PATH": str(data.resolve()),
        "LABEL": "incident-42",
        "TOP": 2,
    }
    assert len(evidence["inputs"]) == 2
    assert all(i["read"] for i in evidence["inputs"])
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


# -- parameters naming files, files read, widgets, hostile names --------------------------------

WIDGET_CELLS = [
    "from ipywidgets import Dropdown, HTML, interact, VBox, IntSlider\n"
    "_ = interact(lambda n: df.groupby('interface_id', observed=True)['bytes'].sum().head(n)"
    ".rename('bytes_of_interact').to_frame(), n=Dropdown(options=[1, 2]))",
    "VBox([IntSlider(value=3), HTML('<b>static-html-of-widget</b>')])",
    "print(open(THREAT_LIST).read().strip(), 'label:', LABEL)",
]


@pytest.fixture
def rich_notebook(tmp_path: Path, notebook: Path) -> Path:
    """A notebook whose parameters name files: one read, one never read, one given by -p."""
    nb = nbformat.read(_notebook_path(tmp_path), as_version=4)
    nb.cells[1].source += '\nTHREAT_LIST = "threats.txt"\nUNUSED = "unused.txt"\nPOLICY = None'
    nb.cells += [new_code_cell(src) for src in WIDGET_CELLS]
    folder = tmp_path / "rich"
    folder.mkdir()
    (folder / "threats.txt").write_text("198.51.100.7\n")
    (folder / "unused.txt").write_text("never read\n")
    path = folder / "report.ipynb"
    nbformat.write(nb, path)
    return path


def _notebook_path(tmp_path: Path) -> Path:
    return tmp_path / "nbs" / "report.ipynb"


def _report(nb: Path, data: Path, out: Path, *extra: str) -> tuple[str, dict[str, object]]:
    argv = ["report", str(nb), "--data", str(data), "--html", str(out), "--no-progress", *extra]
    assert main(argv) == 0
    page = out.read_text(encoding="utf-8")
    embedded = re.search(r'id="flowkit-manifest-json">(.*?)</script>', page, re.S)
    assert embedded is not None
    return page, json.loads(embedded.group(1))


@pytest.mark.notebook
@pytest.mark.slow
def test_report_hashes_every_named_file_lists_what_was_read_and_shows_widgets_static(
    data: Path, rich_notebook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policy.yaml").write_text("segments: {}\n")
    page, evidence = _report(rich_notebook, data, tmp_path / "out" / "r.html",
                             "-p", "POLICY", "policy.yaml", "-p", "LABEL", "x")  # fmt: skip
    inputs = {(i["parameter"], i["file"]): i for i in evidence["inputs"]}  # type: ignore[attr-defined]
    assert set(inputs) >= {("THREAT_LIST", "threats.txt"), ("UNUSED", "unused.txt"),
                           ("POLICY", "policy.yaml")}  # fmt: skip
    assert sum(1 for p, _ in inputs if p == "DATA_PATH") == 2
    raw = (tmp_path / "rich" / "threats.txt").read_bytes()
    assert inputs[("THREAT_LIST", "threats.txt")]["sha256"] == hashlib.sha256(raw).hexdigest()
    assert inputs[("THREAT_LIST", "threats.txt")]["read"] is True
    assert inputs[("UNUSED", "unused.txt")]["read"] is False
    assert inputs[("POLICY", "policy.yaml")]["read"] is False  # named, hashed, not opened
    assert evidence["parameters"]["POLICY"] == str((tmp_path / "policy.yaml").resolve())  # type: ignore[index]
    assert str((tmp_path / "rich" / "threats.txt").resolve()) in evidence["read"]  # type: ignore[operator]
    assert "198.51.100.7 label: x" in page
    # widgets: what they showed, never their repr
    assert "Dropdown(" not in page
    assert "VBox(children" not in page
    assert "IntSlider(" not in page
    assert "static-html-of-widget" in page
    assert "bytes_of_interact" in page
    assert "_fk_audit" not in page  # the report's own cells are removed


@pytest.mark.notebook
@pytest.mark.slow
def test_a_hostile_file_name_or_parameter_cannot_change_the_report(
    data: Path, notebook: Path, tmp_path: Path
) -> None:
    hostile = data.parent / "hostile"
    shutil.copytree(data, hostile)
    log = next(hostile.rglob("b.log"))
    log.rename(log.with_name("<!--<script>.log"))
    plain_page, _ = _report(notebook, data, tmp_path / "plain.html", "--hide-code",
                            "-p", "LABEL", "x")  # fmt: skip
    page, evidence = _report(notebook, hostile, tmp_path / "hostile.html", "--hide-code",
                             "-p", "LABEL", "</script><!--<script>&amp;")  # fmt: skip
    assert any(i["file"].endswith("<!--<script>.log") for i in evidence["inputs"])  # type: ignore[attr-defined]
    assert evidence["parameters"]["LABEL"] == "</script><!--<script>&amp;"  # type: ignore[index]
    payload = re.search(r'id="flowkit-manifest-json">(.*?)</script>', page, re.S)
    assert payload is not None
    assert not set("<>&") & set(payload.group(1))
    after = page.split("</section>", 1)[1]
    plain_after = plain_page.split("</section>", 1)[1]
    strip = re.compile(r"label: [^<\n]*|cell-id=[0-9a-f-]+")  # LABEL and random cell ids
    assert strip.sub("", after) == strip.sub("", plain_after)
    assert after.count("jp-Cell ") == plain_after.count("jp-Cell ") > 0


@pytest.mark.notebook
@pytest.mark.slow
def test_report_and_papermill_work_from_the_repository_root(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's commands, as typed at the repository root."""
    root = Path(__file__).resolve().parents[1]
    monkeypatch.chdir(root)
    out = tmp_path / "quickstart.html"
    argv = ["report", "notebooks/00_quickstart.ipynb", "--data", str(data), "--html", str(out),
            "--no-progress"]  # fmt: skip
    assert main(argv) == 0
    assert "Evidence manifest" in out.read_text(encoding="utf-8")
    executed = tmp_path / "out.ipynb"
    cmd = [sys.executable, "-m", "papermill", "--cwd", "notebooks", "--no-progress-bar",
           "notebooks/00_quickstart.ipynb", str(executed),
           "-p", "DATA_PATH", str(data)]  # fmt: skip
    result = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert executed.exists()


@pytest.mark.notebook
@pytest.mark.slow
def test_report_draws_labels_with_dollars_from_the_data(data: Path, tmp_path: Path) -> None:
    """Issue 16 item 11: an ENI id holding ``$\\foo$`` used to make matplotlib's
    mathtext raise, and ``flowkit report`` exit 1 without a report."""
    log = next(data.rglob("b.log"))
    log.write_text(log.read_text().replace("eni-0f1", r"eni-$\foo$"))
    nb = new_notebook(cells=[
        new_code_cell('DATA_PATH = "x"', metadata={"tags": ["parameters"]}),
        new_code_cell("import flowkit as fk\nimport flowkit.plots\ndf = fk.read(DATA_PATH)"),
        new_code_cell("sums = df.groupby('interface_id', observed=True)['bytes'].sum()\n"
                      "fk.plots.plot_top(sums, unit='bytes', title=sums.idxmax());"),
        new_code_cell("rates = fk.throughput(df, by='interface_id', freq='1h')\n"
                      "fk.plots.plot_throughput(rates, by='interface_id');"),
    ])  # fmt: skip
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}  # fmt: skip
    path = tmp_path / "dollars.ipynb"
    nbformat.write(nb, path)
    out = tmp_path / "dollars.html"
    argv = ["report", str(path), "--data", str(data), "--html", str(out), "--no-progress"]
    assert main(argv) == 0
    assert out.read_text(encoding="utf-8").count("data:image/png;base64") >= 2


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.parametrize(
    "name", ["10_security_hunt", "11_forensic_timeline", "20_compliance_audit", "30_performance",
             "40_cost"],
)  # fmt: skip
def test_a_notebook_on_no_evidence_stops_with_the_reason_not_empty_results(
    name: str, tmp_path: Path
) -> None:
    """An analysis notebook pointed at a folder without flow logs stops at its read cell with
    NoEvidenceError and what was read; no empty table or "0 findings" follows."""
    root = Path(__file__).resolve().parents[1]
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.log").write_text("not a flow log\nnor this\n")
    executed = tmp_path / "out.ipynb"
    cmd = [sys.executable, "-m", "papermill", "--cwd", "notebooks", "--no-progress-bar",
           f"notebooks/{name}.ipynb", str(executed), "-p", "DATA_PATH", str(empty)]  # fmt: skip
    result = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=600)
    assert result.returncode != 0
    assert "NoEvidenceError" in result.stderr, result.stderr[-2000:]
    nb = nbformat.read(executed, as_version=4)
    failed = [i for i, c in enumerate(nb.cells) if c.get("cell_type") == "code"
              and any(o.get("output_type") == "error" for o in c.get("outputs", []))]  # fmt: skip
    assert len(failed) == 1
    cell = nb.cells[failed[0]]
    assert "fk.require_evidence(df)" in cell.source
    error = next(o for o in cell.outputs if o.get("output_type") == "error")
    assert "no records" in error["evalue"] or "nothing read" in error["evalue"]
    later = [c for c in nb.cells[failed[0] + 1 :] if c.get("cell_type") == "code"]
    assert all(not c.get("outputs") for c in later)
