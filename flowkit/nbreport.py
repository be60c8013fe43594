"""``flowkit report``: run a notebook on the user's data and write a self-contained HTML report.

The notebook runs in a fresh kernel (papermill) with ``DATA_PATH`` and any ``-p NAME VALUE``
injected after its ``parameters`` cell, with a progress bar per cell.  The HTML opens offline: plots
are embedded, code cells can be hidden, widgets appear as what they showed
(:mod:`flowkit.nbstatic`), and an *evidence manifest* heads the report (and is written next to
it as ``OUT.manifest.json``): the SHA-256 of the notebook and of every file a parameter names,
which of those files the run read, the parameters, the versions of Python and the main
packages, and the UTC time (:mod:`flowkit.nbmanifest`).

Needs the notebook tools of the ``dev`` extra (papermill, nbconvert); they are imported on use.
"""

from __future__ import annotations

import argparse
import html
import json
import platform
import re
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from flowkit import units
from flowkit.nbmanifest import (
    AUDIT_CELL,
    input_files,
    notebook_parameters,
    resolve_parameters,
    script_json,
    sha256,
    write_opened_cell,
)
from flowkit.nbstatic import static_widgets

__all__ = [
    "Manifest",
    "add_arguments",
    "manifest",
    "package_version",
    "parse_value",
    "run",
    "run_report",
]

_EXTERNAL_SCRIPT = re.compile(r'<script[^>]*\ssrc="https?://[^"]*"[^>]*>\s*</script>')
#: Packages whose versions go into the manifest.
VERSIONED = ("flowkit", "pandas", "numpy", "pyarrow", "matplotlib", "papermill", "nbconvert")


@dataclass(frozen=True)
class Manifest:
    """The evidence behind a report: what ran, on which bytes, with which software, when.

    ``inputs`` lists every file a parameter names (:func:`flowkit.nbmanifest.input_files`),
    ``read`` the ones the run opened, ``parameters`` the values given to the run and
    ``notebook_parameters`` every value the notebook ran with (its defaults included).
    """

    notebook: dict[str, str]
    inputs: list[dict[str, Any]]
    parameters: dict[str, Any]
    versions: dict[str, str]
    generated_at: str
    read: list[str] | None = None
    notebook_parameters: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the manifest as plain JSON-ready data."""
        return {
            "notebook": self.notebook,
            "inputs": self.inputs,
            "read": self.read,
            "parameters": self.parameters,
            "notebook_parameters": self.notebook_parameters,
            "versions": self.versions,
            "generated_at": self.generated_at,
        }


def parse_value(text: str) -> Any:
    """Turn a ``-p NAME VALUE`` value into an int, float, bool, None or string (as papermill does).

    Examples
    --------
    >>> [parse_value(v) for v in ["3", "0.5", "True", "none", "2026-11-02T00:00Z"]]
    [3, 0.5, True, None, '2026-11-02T00:00Z']
    """
    lowered = text.lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    if lowered in {"none", "null"}:
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def manifest(
    notebook: Path, data: Path, parameters: Mapping[str, Any], *, now: datetime | None = None,
    read: list[str] | None = None,
) -> Manifest:  # fmt: skip
    """Describe a report run: hashes of the notebook and of every file a parameter names.

    ``data`` is ``DATA_PATH``; the notebook's other parameters (its ``parameters`` cell,
    overridden by ``parameters``) that name files or folders are hashed too, relative values
    from the notebook's folder.  Files are listed by parameter, then by path relative to the
    folder named (hidden files and folders are skipped).  ``read`` is the list of files the run
    opened (None: not recorded); ``now`` defaults to the current UTC time.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.log").write_text("x\\n")
    >>> _ = (d / "nb.ipynb").write_text('{"cells": [], "metadata": {}, "nbformat": 4, '
    ...                                 '"nbformat_minor": 5}')
    >>> m = manifest(d / "nb.ipynb", d / "a.log", {"DATA_PATH": "a.log"},
    ...              now=datetime(2026, 11, 2, tzinfo=UTC))
    >>> m.inputs[0]["file"], m.inputs[0]["bytes"], m.inputs[0]["sha256"][:12], m.generated_at
    ('a.log', 2, '73cb3858a687', '2026-11-02T00:00:00+00:00')
    """
    import nbformat

    notebook = Path(notebook)
    effective = {**notebook_parameters(nbformat.read(notebook, as_version=4)),
                 **dict(parameters), "DATA_PATH": str(Path(data).resolve())}  # fmt: skip
    inputs = input_files(effective, notebook.resolve().parent, read)
    names = {i["path"] for i in inputs}
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return Manifest(
        notebook={"path": str(notebook), "sha256": sha256(notebook)},
        inputs=inputs,
        parameters=dict(parameters),
        versions={
            "python": platform.python_version(),
            **{n: package_version(n) for n in VERSIONED},
        },
        generated_at=moment.isoformat(),
        read=None if read is None else sorted(p for p in read if p in names),
        notebook_parameters=effective,
    )


def _manifest_html(m: Manifest) -> str:
    total = sum(int(i["bytes"]) for i in m.inputs)
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td><code>{html.escape(repr(v))}</code></td></tr>"
        for k, v in m.notebook_parameters.items()
    )
    per: dict[str, list[dict[str, Any]]] = {}
    for item in m.inputs:
        per.setdefault(str(item["parameter"]), []).append(item)
    listing = "".join(
        f"<tr><th>{html.escape(name)}</th><td>{len(items):,} file(s), "
        f"{units.human_bytes(sum(int(i['bytes']) for i in items))}"
        + ("" if m.read is None else f"; {sum(bool(i['read']) for i in items):,} read")
        + "</td></tr>"
        for name, items in per.items()
    )
    read = "" if m.read is None else f"; the run read {len(m.read):,} of them"
    versions = ", ".join(f"{k} {v}" for k, v in m.versions.items())
    return (
        '<section id="flowkit-manifest" style="font:13px sans-serif;border:1px solid #999;'
        'padding:8px 12px;margin:12px">'
        "<h2>Evidence manifest</h2>"
        f"<p>Generated {html.escape(m.generated_at)} (UTC) from "
        f"<code>{html.escape(m.notebook['path'])}</code> "
        f"(sha256 <code>{m.notebook['sha256']}</code>).</p>"
        f"<p>Inputs: {len(m.inputs):,} file(s) named by the parameters, "
        f"{units.human_bytes(total)} ({total:,} bytes){read}. Each file's SHA-256, and whether "
        "it was read, are in the JSON below and in the <code>.manifest.json</code> file next "
        f"to this report.</p><table>{listing}</table>"
        f"<h3>Parameters</h3><table>{rows}</table><p>Software: {html.escape(versions)}.</p>"
        f'<script type="application/json" id="flowkit-manifest-json">'
        f"{script_json(m.to_dict(), indent=1)}</script>"
        "</section>"
    )


_REPORT_TAG = "flowkit-report-injected"


def _instrumented(notebook: Path, opened: Path, folder: Path) -> Path:
    """A copy of the notebook with the audit cell first and the write-out cell last."""
    import nbformat
    from nbformat.v4 import new_code_cell

    nb = nbformat.read(notebook, as_version=4)
    meta = {"tags": [_REPORT_TAG]}
    nb.cells.insert(0, new_code_cell(AUDIT_CELL, metadata=meta))
    nb.cells.append(new_code_cell(write_opened_cell(opened), metadata=meta))
    path = folder / f"instrumented-{notebook.name}"
    nbformat.write(nb, path)
    return path


def _report_cells(nb: Any) -> Any:
    nb.cells = [c for c in nb.cells if _REPORT_TAG not in c.get("metadata", {}).get("tags", [])]
    return nb


def run_report(
    notebook: str | Path,
    data: str | Path,
    out_html: str | Path,
    parameters: Mapping[str, Any] | None = None,
    *,
    hide_code: bool = False,
    progress: bool = True,
    timeout: int = 1800,
) -> Manifest:
    """Execute ``notebook`` on ``data`` and write a self-contained HTML report to ``out_html``.

    ``DATA_PATH`` is set to the absolute path of ``data``; ``parameters`` override other names of
    the ``parameters`` cell (a value naming a file or folder relative to the current folder is
    made absolute, so the report runs from anywhere, e.g. the repository root).  Widgets
    appear as what they showed (:func:`flowkit.nbstatic.static_widgets`).  Also writes
    ``<out_html>.manifest.json``.  A cell that raises stops the run with
    ``papermill.PapermillExecutionError``, and no report is written.

    Returns
    -------
    Manifest
        What the report was made from (also embedded at the top of the HTML).
    """
    import nbformat
    import papermill
    from nbconvert import HTMLExporter

    notebook, data, out_html = Path(notebook), Path(data).resolve(), Path(out_html)
    if not data.exists():
        raise FileNotFoundError(f"no data at {data}")
    if not notebook.exists():
        raise FileNotFoundError(f"no notebook at {notebook}")
    params = {"DATA_PATH": str(data), **resolve_parameters(parameters or {}, Path.cwd())}
    with tempfile.TemporaryDirectory(prefix="flowkit-report-") as tmp:
        opened = Path(tmp) / "opened.json"
        executed = Path(tmp) / notebook.name
        papermill.execute_notebook(
            str(_instrumented(notebook, opened, Path(tmp))), str(executed), parameters=params,
            kernel_name="python3", progress_bar=progress, cwd=str(notebook.resolve().parent),
            execution_timeout=timeout,
        )  # fmt: skip
        nb = _report_cells(nbformat.read(executed, as_version=4))
        read = json.loads(opened.read_text(encoding="utf-8")) if opened.exists() else None
    evidence = manifest(notebook, data, params, read=read)
    nb = static_widgets(nb)  # a report has no kernel: widgets become what they showed
    exporter = HTMLExporter(template_name="lab", exclude_input=hide_code, embed_images=True)
    body, _ = exporter.from_notebook_node(nb)
    body = _EXTERNAL_SCRIPT.sub("", body)  # MathJax/require.js from CDNs: the report is offline
    body = body.replace("<body", "<body data-flowkit-report", 1)
    start = body.index(">", body.index("<body")) + 1
    body = body[:start] + _manifest_html(evidence) + body[start:]
    out_html.parent.mkdir(parents=True, exist_ok=True)
    out_html.write_text(body, encoding="utf-8")
    sidecar = out_html.with_name(out_html.name + ".manifest.json")
    sidecar.write_text(json.dumps(evidence.to_dict(), indent=2) + "\n", encoding="utf-8")
    return evidence


def add_arguments(sub: argparse.ArgumentParser) -> None:
    """Add the ``flowkit report`` arguments."""
    sub.add_argument("notebook", help="the notebook to run, e.g. notebooks/00_quickstart.ipynb")
    sub.add_argument("--data", required=True, help="folder or file of flow logs (DATA_PATH)")
    sub.add_argument("--html", required=True, help="the HTML report to write")
    sub.add_argument(
        "-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
        help="set a name of the notebook's parameters cell (repeatable)",
    )  # fmt: skip
    sub.add_argument("--hide-code", action="store_true", help="show outputs only")
    sub.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def run(args: argparse.Namespace) -> int:
    """Run ``flowkit report`` from parsed arguments; return the exit status."""
    from papermill.exceptions import PapermillExecutionError

    params = {name: parse_value(value) for name, value in args.parameter}
    try:
        m = run_report(
            args.notebook, args.data, args.html, params,
            hide_code=args.hide_code, progress=not args.no_progress,
        )  # fmt: skip
    except (FileNotFoundError, ValueError) as exc:
        sys.stderr.write(f"flowkit report: {exc}\n")
        return 2
    except PapermillExecutionError as exc:
        sys.stderr.write(f"flowkit report: the notebook failed, no report written: {exc}\n")
        return 1
    sys.stdout.write(
        f"wrote {args.html} ({len(m.inputs)} input file(s) hashed, "
        f"manifest {args.html}.manifest.json)\n"
    )
    return 0
