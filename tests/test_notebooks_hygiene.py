"""Notebook hygiene: what a committed notebook must look like, and proof that the tooling bites.

Every notebook in ``notebooks/`` must be committed *executed* (outputs and execution counts
1, 2, 3, ... from a fresh top-to-bottom run: nbval compares against them), without widget state
or timing metadata (``nbstripout --keep-output --keep-count``), with kernel ``python3``, no error
outputs, and a ``parameters``-tagged cell of literals (papermill and ``flowkit report`` inject
values there).  Whether the outputs still match a fresh run is checked by the nbval stage of
``make test``; the last tests here show that stage fails on a stale or broken notebook.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SANITIZE = ROOT / ".ci" / "nbval-sanitize.cfg"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def notebook_problems(nb: nbformat.NotebookNode) -> list[str]:
    """Return every hygiene rule the notebook breaks (empty when it is fit to commit)."""
    problems: list[str] = []
    kernel = nb.metadata.get("kernelspec", {}).get("name")
    if kernel != "python3":
        problems.append(f"kernel name is {kernel!r}, expected 'python3'")
    if "widgets" in nb.metadata:
        problems.append("widget state in metadata.widgets (run: make strip-notebooks)")
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    counts = [c.get("execution_count") for c in code]
    if not code or any(n is None for n in counts):
        problems.append("not executed: code cells without execution_count")
    elif counts != list(range(1, len(code) + 1)):
        problems.append(f"execution counts {counts} are not 1..n from one fresh run")
    if code and not any(c.outputs for c in code):
        problems.append("committed without outputs")
    for i, cell in enumerate(code):
        if "NBVAL_CHECK_OUTPUT" in cell.source and not cell.outputs:
            problems.append(f"code cell {i} is marked NBVAL_CHECK_OUTPUT but has no output")
        if any(o.output_type == "error" for o in cell.outputs):
            problems.append(f"code cell {i} has an error output")
        if "execution" in cell.metadata:
            problems.append(f"code cell {i} has timing metadata (run: make strip-notebooks)")
    for i, cell in enumerate(c for c in nb.cells if c.cell_type == "markdown"):
        dollars = dollar_signs(cell.source)
        if len(dollars) >= 2:
            problems.append(
                f"markdown cell {i} has a $ pair (JupyterLab renders it as math, escaped or "
                f"not: write USD): {dollars[:3]}"
            )
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    if len(params) != 1:
        problems.append(f"{len(params)} cells tagged 'parameters', expected 1")
    elif not _literal_assignments(params[0].source):
        problems.append("the parameters cell must hold only NAME = literal assignments")
    return problems


def dollar_signs(markdown: str) -> list[str]:
    """The ``$`` signs of a markdown cell outside code spans and fenced code (with context).

    JupyterLab and Voila typeset a ``$...$`` pair as math, and a backslash does not stop them
    (markdown turns ``\\$`` into ``$`` before MathJax reads the page): write amounts as USD.
    """
    text = re.sub(r"```.*?```", "", markdown, flags=re.S)
    text = re.sub(r"`[^`]*`", "", text)
    return [text[max(0, m.start() - 12) : m.start() + 12] for m in re.finditer(r"\$", text)]


def _literal_assignments(source: str) -> bool:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    for stmt in tree.body:
        if not isinstance(stmt, ast.Assign | ast.AnnAssign) or stmt.value is None:
            return False
        try:
            ast.literal_eval(stmt.value)
        except ValueError:
            return False
    return bool(tree.body)


def _good_notebook() -> nbformat.NotebookNode:
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Title"),
            new_code_cell('DATA_PATH = "../data/sample"', metadata={"tags": ["parameters"]}),
            new_code_cell("# NBVAL_CHECK_OUTPUT\n1 + 1"),
        ]
    )
    nb.cells[1].execution_count = 1
    nb.cells[2].execution_count = 2
    nb.cells[2].outputs = [
        new_output("execute_result", data={"text/plain": "2"}, execution_count=2)
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        env[var] = str(tmp_path / "state" / var.lower())
        Path(env[var]).mkdir(parents=True, exist_ok=True)
    env["MPLCONFIGDIR"] = str(tmp_path / "state" / "mpl")
    return env


def _run_nbval(tmp_path: Path, nb: nbformat.NotebookNode) -> subprocess.CompletedProcess[str]:
    """Run the nbval stage of `make test` on one notebook in a subprocess."""
    (tmp_path / "case").mkdir()
    path = tmp_path / "case" / "nb.ipynb"
    nbformat.write(nb, path)
    cmd = [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env",
           "--nbval-sanitize-with", str(SANITIZE), "-p", "no:cacheprovider",
           "--rootdir", str(tmp_path / "case"), str(path)]  # fmt: skip
    return subprocess.run(
        cmd, cwd=tmp_path / "case", env=_env(tmp_path), capture_output=True, text=True, timeout=300
    )


# -- the committed notebooks ------------------------------------------------------------------


def test_notebooks_exist() -> None:
    names = [p.name for p in NOTEBOOKS]
    assert "00_quickstart.ipynb" in names, names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_committed_clean_and_executed(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert notebook_problems(nb) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_passes_nbstripout_verify(path: Path, tmp_path: Path) -> None:
    copy = tmp_path / path.name
    shutil.copy(path, copy)
    cmd = [
        sys.executable,
        "-m",
        "nbstripout",
        "--verify",
        "--keep-output",
        "--keep-count",
        str(copy),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"run `make strip-notebooks`: {result.stdout}{result.stderr}"


def test_notebook_index_lists_every_notebook() -> None:
    index = (ROOT / "notebooks" / "README.md").read_text(encoding="utf-8")
    missing = [p.name for p in NOTEBOOKS if p.name not in index]
    assert missing == [], f"add these to notebooks/README.md: {missing}"


def test_quickstart_next_steps_link_every_notebook() -> None:
    nb = nbformat.read(ROOT / "notebooks" / "00_quickstart.ipynb", as_version=4)
    text = "".join(c.source for c in nb.cells if c.cell_type == "markdown")
    steps = text[text.index("## Next steps") :]
    others = [p.name for p in NOTEBOOKS if not p.name.startswith("00_")]
    missing = [n for n in others if f"]({n})" not in steps]
    assert missing == [], f"00's Next steps must link these: {missing}"
    assert "coming" not in steps


def test_markdown_dollars_are_caught() -> None:
    assert len(dollar_signs("NAT ($0.045/GB) when free; ($0.01/GB)")) == 2
    assert len(dollar_signs(r"NAT (\$0.045/GB), cross-AZ (\$0.01/GB)")) == 2  # Lab: still math
    assert dollar_signs("a `${version}` and ```\n$x$\n```, USD 3") == []
    nb = _good_notebook()
    nb.cells[0].source = "Costs $1 and $2."
    assert any("$ pair" in p for p in notebook_problems(nb))
    nb.cells[0].source = "Costs USD 1, or $1 alone."
    assert notebook_problems(nb) == []


# -- the checker catches each bad case --------------------------------------------------------


def test_checker_accepts_a_clean_executed_notebook() -> None:
    assert notebook_problems(_good_notebook()) == []


def _broken(change: str) -> nbformat.NotebookNode:
    nb = _good_notebook()
    if change == "no outputs":
        for cell in nb.cells[1:]:
            cell.outputs, cell.execution_count = [], None
    elif change == "widget state":
        nb.metadata["widgets"] = {WIDGET_STATE: {"state": {}, "version_major": 2}}
    elif change == "kernel":
        nb.metadata["kernelspec"]["name"] = "flowkit-venv"
    elif change == "no parameters":
        nb.cells[1].metadata = {}
    elif change == "code in parameters":
        nb.cells[1].source = "import os\nDATA_PATH = os.getcwd()"
    elif change == "error output":
        nb.cells[2].outputs = [new_output("error", ename="ValueError", evalue="x", traceback=[])]
    elif change == "counts":
        nb.cells[2].execution_count = 7
    return nb


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("no outputs", "not executed"),
        ("widget state", "widget state"),
        ("kernel", "kernel name is 'flowkit-venv'"),
        ("no parameters", "0 cells tagged 'parameters'"),
        ("code in parameters", "only NAME = literal"),
        ("error output", "error output"),
        ("counts", "not 1..n"),
    ],
)
def test_checker_rejects(change: str, message: str) -> None:
    problems = notebook_problems(_broken(change))
    assert any(message in p for p in problems), problems


def test_nbstripout_verify_rejects_widget_state(tmp_path: Path) -> None:
    path = tmp_path / "nb.ipynb"
    nbformat.write(_broken("widget state"), path)
    cmd = [
        sys.executable,
        "-m",
        "nbstripout",
        "--verify",
        "--keep-output",
        "--keep-count",
        str(path),
    ]
    assert subprocess.run(cmd, capture_output=True, timeout=60).returncode != 0
    assert "widgets" in json.loads(path.read_text())["metadata"]


# -- the nbval stage fails on stale or broken notebooks (tests of the test tooling) ------------


@pytest.mark.notebook
@pytest.mark.slow
def test_nbval_stage_passes_a_good_notebook_with_sanitized_addresses(tmp_path: Path) -> None:
    nb = _good_notebook()
    cell = new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(object())", execution_count=3)
    cell.outputs = [new_output("stream", name="stdout", text="<object object at 0x7f1234abcd00>\n")]
    nb.cells.append(cell)
    result = _run_nbval(tmp_path, nb)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "3 passed" in result.stdout


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.parametrize("breakage", ["stale output", "raises"])
def test_nbval_stage_fails_a_broken_notebook(tmp_path: Path, breakage: str) -> None:
    nb = _good_notebook()
    if breakage == "stale output":  # the committed answer no longer matches a fresh run
        nb.cells[2].outputs[0]["data"]["text/plain"] = "3"
    else:  # a cell that raises (no NBVAL_RAISES_EXCEPTION marker)
        nb.cells[2].source = "# NBVAL_CHECK_OUTPUT\nraise ValueError('broken notebook')"
    result = _run_nbval(tmp_path, nb)
    assert result.returncode == 1, result.stdout[-3000:]
    assert "1 failed" in result.stdout
    expected = "3" if breakage == "stale output" else "broken notebook"
    assert expected in result.stdout


def _stage(args: list[str], tmp_path: Path) -> int:
    cmd = [str(ROOT / "scripts" / "pytest-stage.sh"), "demo", sys.executable, "-m", "pytest",
           "-p", "no:cacheprovider", "--rootdir", str(tmp_path), *args]  # fmt: skip
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}  # fast start: no nbval, no moto
    return subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, timeout=120).returncode


def test_pytest_stage_counts_no_tests_as_success_but_keeps_failures(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "failing").mkdir()
    (tmp_path / "failing" / "test_x.py").write_text("def test_x():\n    assert 1 == 2\n")
    assert _stage([str(tmp_path / "empty")], tmp_path) == 0
    assert _stage([str(tmp_path / "failing")], tmp_path) == 1
    assert _stage(["--no-such-option"], tmp_path) == 4


def test_every_notebook_uses_the_same_threat_list_by_default() -> None:
    defaults = {}
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        for stmt in ast.parse(params.source).body:
            if isinstance(stmt, ast.Assign) and getattr(stmt.targets[0], "id", "") == "THREAT_LIST":
                defaults[path.name] = ast.literal_eval(stmt.value)
    assert len(defaults) >= 3, defaults
    assert len(set(defaults.values())) == 1, defaults
