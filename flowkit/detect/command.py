"""``flowkit hunt PATH``: run :func:`flowkit.hunt` on a folder and print the findings.

Formats: ``table`` (one line per finding, for people), ``json`` (one JSON object per line with
the finding columns: times in ISO 8601 UTC, ``dstport`` null when many, ``evidence`` an
object), ``csv`` (the columns, ``evidence`` as JSON text).  Without ``--threat-list``, a
``threat_list.txt`` found in PATH or its parent folder is used (``data/threat_list.txt`` for
``data/sample``).  A progress bar shows on loads of more than 200 files (``--no-progress``
hides it, ``--progress`` forces it).

Examples
--------
>>> import flowkit as fk
>>> found = fk.hunt(fk.parse_lines([
...     f"2 1 eni-a 198.18.0.7 10.0.1.5 40000 {p} 6 1 44 1700000000 1700000030 REJECT OK"
...     for p in range(1, 31)]))
>>> print(to_json_lines(found).splitlines()[0][:69])
{"finding": "port_scan", "severity": "medium", "actor": "198.18.0.7",
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from flowkit.csvcells import neutralise_frame

__all__ = [
    "add_arguments",
    "find_threat_list",
    "run",
    "threat_list_note",
    "to_csv",
    "to_json_lines",
    "to_table",
]


def add_arguments(sub: argparse.ArgumentParser) -> None:
    """Arguments of ``flowkit hunt``."""
    sub.add_argument("path", help="flow-log folder, file or glob (anything flowkit.read takes)")
    sub.add_argument("--config", default=None, help="YAML file of thresholds (see HuntConfig)")
    sub.add_argument(
        "--format", choices=["table", "json", "csv"], default="table",
        help="table (default), json (one object per line) or csv",
    )  # fmt: skip
    sub.add_argument(
        "--threat-list", default=None,
        help="threat list file (default: threat_list.txt in PATH or its parent, if any)",
    )  # fmt: skip
    bar = sub.add_mutually_exclusive_group()
    bar.add_argument("--progress", action="store_true", help="always show the progress bar")
    bar.add_argument("--no-progress", action="store_true", help="never show the progress bar")


def find_threat_list(path: str) -> Path | None:
    """The threat list beside the data: ``threat_list.txt`` or ``.csv`` (a trainer's estate).

    Looked for in ``path`` (a folder) and then its parent.
    """
    p = Path(path)
    folder = p if p.is_dir() else p.parent
    for where in (folder, folder.parent):
        for name in ("threat_list.txt", "threat_list.csv"):
            if (where / name).is_file():
                return where / name
    return None


def _plain(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for row in df.to_dict("records"):
        item: dict[str, Any] = {}
        for key, value in row.items():
            if isinstance(value, pd.Timestamp):
                value = value.strftime("%Y-%m-%dT%H:%M:%SZ")
            elif value is pd.NA or (isinstance(value, float) and value != value):
                value = None
            elif hasattr(value, "item"):
                value = value.item()
            item[str(key)] = value
        out.append(item)
    return out


def to_json_lines(df: pd.DataFrame) -> str:
    """Findings as JSON lines (one object per finding, the columns in order)."""
    return "".join(json.dumps(item, default=str) + "\n" for item in _plain(df))


def to_csv(df: pd.DataFrame) -> str:
    """Findings as CSV (``evidence`` as JSON text, times ISO 8601 UTC, ports as integers).

    >>> import flowkit as fk
    >>> found = fk.hunt(fk.parse_lines([
    ...     f"2 1 eni-a 198.18.0.7 10.0.1.5 {40000 + i} 22 6 1 44 {1700000000 + i} "
    ...     f"{1700000001 + i} REJECT OK" for i in range(200)]), {"skip": ["rejected_burst"]})
    >>> row = to_csv(found).splitlines()[1].split(",")
    >>> row[0], row[4]
    ('repeated_probe', '22')
    """
    rows = _plain(df)
    for item in rows:
        item["evidence"] = json.dumps(item["evidence"], default=str)
    table = pd.DataFrame(rows, columns=list(df.columns))
    for col in df.columns:  # a column of integers with a gap must not print as 443.0
        if pd.api.types.is_integer_dtype(df[col].dtype):
            table[col] = table[col].astype("Int64")
    buf = io.StringIO()
    neutralise_frame(table).to_csv(buf, index=False)
    return buf.getvalue()


def to_table(df: pd.DataFrame) -> str:
    """Findings as a text table, one line each, the summary last."""
    if df.empty:
        return "no findings\n"
    cols = {
        "severity": df["severity"].astype(str),
        "finding": df["finding"].astype(str),
        "actor": df["actor"].astype(str),
        "target": df["target"].astype(str),
        "port": df["dstport"].astype("string").fillna("-"),
        "first_seen (UTC)": df["first_seen"].dt.strftime("%Y-%m-%d %H:%M"),
        "flows": df["flows"].astype(str),
    }
    widths = {k: max(len(k), int(v.str.len().max())) for k, v in cols.items()}
    head = "  ".join(k.ljust(widths[k]) for k in cols) + "  summary"
    lines = [head]
    for i in range(len(df)):
        cells = "  ".join(str(cols[k].iloc[i]).ljust(widths[k]) for k in cols)
        lines.append(f"{cells}  {df['summary'].iloc[i]}")
    return "\n".join(lines) + "\n"


def threat_list_note(path: str | Path | None) -> str:
    """Say which threat list a hunt used (the bundled example list is always added).

    >>> threat_list_note(None)
    'threat list: none (only the bundled examples; no threat_list.txt or .csv beside the data; \
use --threat-list)'
    """
    if path is None:
        return ("threat list: none (only the bundled examples; no threat_list.txt or .csv beside "
                "the data; use --threat-list)")  # fmt: skip
    from flowkit.enrich import load_threat_list

    size = load_threat_list(path).size
    return (
        f"threat list: {path} ({size:,} entr{'y' if size == 1 else 'ies'}) and the bundled examples"
    )


def run(args: argparse.Namespace) -> int:
    """Run ``flowkit hunt``; 0 on success, 2 on a bad path or config, 3 on no evidence.

    The table starts with one line saying what was hunted and which threat list was used; with
    ``--format json`` or ``csv`` that line goes to stderr, so stdout stays machine-readable.
    """
    import flowkit as fk
    from flowkit.cli_read import no_evidence, read_for_verb
    from flowkit.errors import FlowkitError, NoEvidenceError

    progress = True if args.progress else (False if args.no_progress else None)
    threat = args.threat_list or find_threat_list(args.path)
    try:
        df = read_for_verb("hunt", args.path, progress=progress)
        found = fk.hunt(df, args.config, threat_list=threat)
        files = len(df.attrs["flowkit"]["files"])
        note = (f"hunted {len(df):,} records from {files:,} file{'' if files == 1 else 's'}; "
                f"{threat_list_note(threat)}\n")  # fmt: skip
    except NoEvidenceError as exc:
        return no_evidence("hunt", args.path, exc)
    except KeyError as exc:  # a field the detections read that NEEDS does not list
        sys.stderr.write(f"flowkit hunt: the records lack the field {exc} the hunt needs\n")
        return 2
    except (FlowkitError, ValueError, OSError) as exc:
        sys.stderr.write(f"flowkit hunt: {exc}\n")
        return 2
    writer = {"table": to_table, "json": to_json_lines, "csv": to_csv}[args.format]
    (sys.stdout if args.format == "table" else sys.stderr).write(note)
    sys.stdout.write(writer(found))
    return 0
