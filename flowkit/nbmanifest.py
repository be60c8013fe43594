"""The evidence manifest of a report: every input file a parameter names, hashed, and which of
them the notebook actually read.

* **Inputs**: every parameter of the notebook (its ``parameters`` cell, overridden by the
  values given to ``flowkit report``) whose value names an existing file or folder
  (``DATA_PATH``, ``THREAT_LIST``, ``POLICY``, ``INVENTORY``, ``SECURITY_GROUPS``, ``PRICES``...)
  contributes every file it names, with its size and SHA-256.
* **Read**: the run records each file the kernel opened (a Python audit hook installed by a
  cell the report adds first and removes before rendering), so the manifest says which of the
  hashed files were read, e.g. only the files inside ``START``/``END``.
* **Embedding**: the manifest's JSON sits in the HTML inside a ``<script>`` element; every
  ``<``, ``>`` and ``&`` is written as a ``\\u`` escape, so no file name or parameter value can
  end that element or open a comment (a file named ``<!--<script>.log``).

Examples
--------
>>> script_json({"file": "<!--<script>.log", "note": "a & b"})
'{"file": "\\\\u003c!--\\\\u003cscript\\\\u003e.log", "note": "a \\\\u0026 b"}'
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "AUDIT_CELL",
    "input_files",
    "notebook_parameters",
    "resolve_parameters",
    "script_json",
    "sha256",
    "write_opened_cell",
]

#: The first cell of a report run: remember every file the kernel opens (read or write).
AUDIT_CELL = """\
import os as _fk_os, sys as _fk_sys
_fk_opened = set()
def _fk_audit(event, args, _seen=_fk_opened, _os=_fk_os):
    if event == "open" and isinstance(args[0], (str, bytes, _os.PathLike)):
        _seen.add(_os.path.realpath(_os.fsdecode(args[0])))
_fk_sys.addaudithook(_fk_audit)
"""


def write_opened_cell(path: Path) -> str:
    """The last cell of a report run: write the files opened so far to ``path`` (JSON)."""
    return (
        "import json as _fk_json\n"
        f"with open({str(path)!r}, 'w', encoding='utf-8') as _fk_out:\n"
        "    _fk_json.dump(sorted(_fk_opened), _fk_out)\n"
    )


def script_json(data: Any, indent: int | None = None) -> str:
    """JSON safe inside an HTML ``<script>`` element: ``<``, ``>``, ``&`` (and the JavaScript
    line separators U+2028, U+2029) as ``\\u`` escapes; ``json.loads`` reads it back unchanged."""
    text = json.dumps(data, indent=indent)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):  # fmt: skip
        text = text.replace(char, escape)
    return text


def sha256(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def notebook_parameters(nb: Any) -> dict[str, Any]:
    """The ``NAME = literal`` defaults of a notebook's ``parameters`` cell.

    >>> from nbformat.v4 import new_code_cell, new_notebook
    >>> nb = new_notebook(cells=[new_code_cell('DATA_PATH = "../data"\\nTOP = 5',
    ...                                        metadata={"tags": ["parameters"]})])
    >>> notebook_parameters(nb)
    {'DATA_PATH': '../data', 'TOP': 5}
    """
    for cell in nb.cells:
        if cell.get("cell_type") == "code" and "parameters" in cell.metadata.get("tags", []):
            out: dict[str, Any] = {}
            for stmt in ast.parse(cell.source).body:
                if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name):
                    try:
                        out[stmt.targets[0].id] = ast.literal_eval(stmt.value)
                    except ValueError:
                        continue
            return out
    return {}


def _paths_in(value: Any) -> list[str]:
    if isinstance(value, str | os.PathLike):
        return [os.fspath(value)]
    if isinstance(value, list | tuple):
        return [os.fspath(v) for v in value if isinstance(v, str | os.PathLike)]
    return []


def resolve_parameters(given: Mapping[str, Any], base: Path) -> dict[str, Any]:
    """Values given on the command line, with paths that exist relative to ``base`` (the
    caller's folder) made absolute, so the notebook's kernel finds them from its own folder.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "p.yaml").write_text("x")
    >>> out = resolve_parameters({"POLICY": "p.yaml", "START": "2026-11-02"}, d)
    >>> out["POLICY"] == str((d / "p.yaml").resolve()), out["START"]
    (True, '2026-11-02')
    """
    out: dict[str, Any] = {}
    for name, value in given.items():
        if isinstance(value, str) and value and (base / value).exists():
            out[name] = str((base / value).resolve())
        elif (
            isinstance(value, list)
            and value
            and all(isinstance(v, str) and (base / v).exists() for v in value)
        ):
            out[name] = [str((base / v).resolve()) for v in value]
        else:
            out[name] = value
    return out


def _files(path: Path) -> list[tuple[str, Path]]:
    if path.is_dir():
        found = sorted(
            p for p in path.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )  # fmt: skip
        return [(p.relative_to(path).as_posix(), p) for p in found]
    return [(path.name, path)]


def input_files(parameters: Mapping[str, Any], base: Path,
                read: Iterable[str] | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """Every file the parameters name (relative values from ``base``, the notebook's folder),
    hashed: ``parameter``, ``file`` (relative to the named folder), ``path``, ``bytes``,
    ``sha256`` and ``read`` (whether the run opened it; None when not recorded).

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "a.log").write_text("x\\n")
    >>> [(i["parameter"], i["file"], i["bytes"], i["read"])
    ...  for i in input_files({"DATA_PATH": str(d), "TOP": 3}, d, read=[])]
    [('DATA_PATH', 'a.log', 2, False)]
    """
    opened = None if read is None else {os.path.realpath(p) for p in read}
    out: list[dict[str, Any]] = []
    for name in sorted(parameters):
        for value in _paths_in(parameters[name]):
            target = (base / value) if not os.path.isabs(value) else Path(value)
            if not value or not target.exists():
                continue
            for rel, path in _files(target):
                real = os.path.realpath(path)
                out.append({
                    "parameter": name, "file": rel, "path": real, "bytes": path.stat().st_size,
                    "sha256": sha256(path), "read": None if opened is None else real in opened,
                })  # fmt: skip
    return out
