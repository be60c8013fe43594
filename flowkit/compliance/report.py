""":func:`audit_report`: one self-contained HTML file an auditor can file.

Findings, coverage, the policy as written, SHA-256 of every input file, package versions,
parameters and the UTC time of generation.  No script, no stylesheet or image from elsewhere:
it opens from disk without a server.  Every value is escaped (they come from logs and tags).
"""

from __future__ import annotations

import html
import os
import platform
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from flowkit.compliance.policy import Policy
from flowkit.nbmanifest import sha256 as _sha256
from flowkit.nbreport import VERSIONED, package_version

__all__ = ["audit_report", "input_hashes"]

PathLike = str | os.PathLike[str]
_CSS = (
    "body{font:14px sans-serif;margin:24px;color:#222}table{border-collapse:collapse;"
    "margin:8px 0 16px}td,th{border:1px solid #bbb;padding:3px 6px;text-align:left;"
    "vertical-align:top}th{background:#eee}.breach{color:#b00;font-weight:bold}"
    ".blocked{color:#666}pre{background:#f6f6f6;padding:8px;overflow:auto}"
)


def input_hashes(paths: Iterable[PathLike]) -> pd.DataFrame:
    """SHA-256 and size of each input file (folders: every file inside, sorted; hidden skipped).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.log").write_text("x\\n")
    >>> input_hashes([d / "a.log"])[["bytes", "sha256"]].values.tolist()[0][1][:12]
    '73cb3858a687'
    """
    rows: list[tuple[str, int, str]] = []
    for p in map(Path, paths):
        if p.is_dir():
            files = sorted(
                f
                for f in p.rglob("*")
                if f.is_file() and not any(x.startswith(".") for x in f.relative_to(p).parts)
            )
        else:
            files = [p]
        rows += [(f.as_posix(), f.stat().st_size, _sha256(f)) for f in files]
    return pd.DataFrame(rows, columns=["file", "bytes", "sha256"])


def _cell(value: Any) -> str:
    if value is None or (not isinstance(value, (list, tuple, dict)) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return html.escape(value.isoformat())
    return html.escape(str(value))


def _table(df: pd.DataFrame | None, *, max_rows: int = 200, outcome: bool = False) -> str:
    if df is None or df.empty:
        return "<p>None.</p>"
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = []
    for row in df.head(max_rows).itertuples(index=False):  # a report table, at most max_rows
        values = list(row)
        cls = ""
        if outcome and "outcome" in df.columns:
            cls = f' class="{html.escape(str(values[list(df.columns).index("outcome")]))}"'
        body.append(f"<tr{cls}>" + "".join(f"<td>{_cell(v)}</td>" for v in values) + "</tr>")
    more = f"<p>{len(df) - max_rows} more rows not shown.</p>" if len(df) > max_rows else ""
    return f"<table><tr>{head}</tr>{''.join(body)}</table>{more}"


def audit_report(
    *,
    violations: pd.DataFrame,
    policy: Policy,
    coverage: pd.DataFrame | None = None,
    gaps: pd.DataFrame | None = None,
    missing_files: pd.DataFrame | None = None,
    usage: pd.DataFrame | None = None,
    inputs: Iterable[PathLike] = (),
    parameters: Mapping[str, Any] | None = None,
    title: str = "Network compliance audit",
    now: datetime | None = None,
    max_rows: int = 200,
) -> str:
    """Render the audit as one self-contained HTML page (returned as a string).

    Parameters
    ----------
    violations : DataFrame
        From :func:`flowkit.check_policy`; breaches are listed before blocked attempts.
    policy : Policy
        The policy checked; its text goes into the report as written.
    coverage, gaps, missing_files : DataFrame, optional
        From :func:`coverage_summary`, :func:`coverage_gaps` and :func:`missing_deliveries`.
    usage : DataFrame, optional
        From :func:`security_group_usage`: the never-used rules are listed.
    inputs : paths
        Files or folders whose SHA-256 go into the evidence manifest.
    parameters : dict, optional
        How the audit ran (period, options), shown as given.
    title : str
    now : datetime, optional
        Time of generation (default: now, UTC).
    max_rows : int
        Rows shown per table.

    Examples
    --------
    >>> from flowkit.compliance.policy import load_policy
    >>> p = load_policy("p.yaml", text="forbidden: [{name: telnet, protocol: tcp, ports: [23]}]")
    >>> v = pd.DataFrame({"kind": ["forbidden"], "rule": ["telnet"], "outcome": ["breach"],
    ...                   "examples": ["<script>alert(1)</script>"]})
    >>> page = audit_report(violations=v, policy=p, now=datetime(2026, 11, 4, tzinfo=UTC))
    >>> "<script>" in page, "&lt;script&gt;" in page, "2026-11-04T00:00:00+00:00" in page
    (False, True, True)
    """
    moment = (now or datetime.now(UTC)).astimezone(UTC).isoformat()
    breaches = violations[violations["outcome"] == "breach"] if len(violations) else violations
    blocked = violations[violations["outcome"] == "blocked"] if len(violations) else violations
    versions = {"python": platform.python_version(), **{n: package_version(n) for n in VERSIONED}}
    hashes = input_hashes(inputs)
    params = pd.DataFrame({"parameter": list((parameters or {}).keys()),
                           "value": [repr(v) for v in (parameters or {}).values()]})  # fmt: skip
    counts = (
        violations.groupby(["outcome", "kind"]).size().rename("rows").reset_index()
        .sort_values(["outcome", "kind"], ascending=[False, True])
        if len(violations) else None
    )  # fmt: skip
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p>Policy <b>{html.escape(policy.name)}</b> {html.escape(policy.version)} "
        f"(<code>{html.escape(policy.source)}</code>). Generated {html.escape(moment)} (UTC).</p>",
        f"<p><span class='breach'>{len(breaches)} breach row(s)</span> (ACCEPTed traffic a "
        f"rule forbids), <span class='blocked'>{len(blocked)} blocked row(s)</span> (attempts "
        "the network REJECTed: the control worked).</p>",
        "<h2>Summary</h2>", _table(counts),
        "<h2>Breaches</h2>", _table(breaches, max_rows=max_rows, outcome=True),
        "<h2>Blocked attempts</h2>", _table(blocked, max_rows=max_rows, outcome=True),
    ]  # fmt: skip
    if usage is not None:
        unused = usage[~usage["used"]].drop(columns=["first_seen", "last_seen"], errors="ignore")
        parts += ["<h2>Least privilege: security-group rules never used</h2>",
                  f"<p>{len(unused)} of {len(usage)} rule(s) per ENI matched no ACCEPTed "
                  "connection in the period: candidates to remove.</p>",
                  _table(unused, max_rows=max_rows)]  # fmt: skip
    if coverage is not None:
        parts += ["<h2>Log coverage per ENI</h2>", _table(coverage, max_rows=max_rows)]
    if gaps is not None:
        parts += ["<h2>Intervals without evidence</h2>", _table(gaps, max_rows=max_rows)]
    if missing_files is not None:
        parts += ["<h2>Delivery files missing from the S3 sequence</h2>",
                  _table(missing_files, max_rows=max_rows)]  # fmt: skip
    parts += [
        "<h2>Policy</h2>", f"<pre>{html.escape(policy.text)}</pre>",
        "<h2>Evidence manifest</h2>", "<h3>Parameters</h3>", _table(params),
        "<h3>Software</h3>",
        _table(pd.DataFrame({"package": list(versions), "version": list(versions.values())})),
        f"<h3>Input files ({len(hashes)}, SHA-256)</h3>", _table(hashes, max_rows=100_000),
        "</body></html>",
    ]  # fmt: skip
    return "\n".join(parts)
