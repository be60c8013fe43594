"""Whether a load holds evidence: the one judgement of what :func:`flowkit.read` read.

"Nothing found" may only be said when something was read.  :func:`judge_evidence` reads the
counts a load keeps in ``df.attrs["flowkit"]`` (files, lines, records, quarantined lines, file
problems, records outside the time window) and says whether there is evidence to analyse, and if
not, why, in one line.  It is used in three places, so they always agree:

* :func:`flowkit.read` and :func:`flowkit.read_tgw` give a
  :class:`~flowkit.errors.NoEvidenceWarning` (a :class:`~flowkit.errors.FlowkitWarning`; a
  warning box in notebooks) and still return the
  frame, whose provenance and quarantine say what happened.  They never raise for it: an empty
  frame is the honest answer to "what is in this window", and a notebook can show why.
* the command line verbs (``hunt``, ``audit``, ``cost``) call :func:`require_evidence`, which
  raises :class:`~flowkit.errors.NoEvidenceError`, and exit with status 3 and the message;
* notebooks display :func:`judge_evidence` (``.ok``, ``.message``).

The verdicts: ``ok``; ``nothing_read`` (no file, or only files of another record type);
``no_records`` (files read but no record loaded: all lines quarantined, only headers, file
problems, or every record outside ``start``/``end``); ``mostly_quarantined`` (more lines
quarantined than loaded as records).

Examples
--------
>>> import flowkit as fk, warnings
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     df = fk.parse_lines(["address,label,since", "198.51.100.7,c2,2024-01-01"])
>>> ev = judge_evidence(df)
>>> ev.ok, ev.verdict, ev.likely_format
(False, 'no_records', 'CSV')
>>> print(ev.message)  # doctest: +NORMALIZE_WHITESPACE
no records: read 1 file, 2 lines: 0 records, 2 quarantined; the quarantined lines look like
CSV (first: 'address,label,since'); see fk.quarantine(df)
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

import pandas as pd

from flowkit.errors import NoEvidenceError, NoEvidenceWarning
from flowkit.load_provenance import provenance
from flowkit.parse.text import COUNT_COLUMNS
from flowkit.sources.discovery import DATA_SUFFIXES

__all__ = ["Evidence", "Verdict", "judge_counts", "judge_evidence", "likely_format",
           "require_evidence", "warn_if_no_evidence"]  # fmt: skip

Verdict = Literal["ok", "nothing_read", "no_records", "mostly_quarantined"]
#: How many quarantined lines :func:`likely_format` looks at.
SAMPLE = 1000
_FLOW_TOKEN = re.compile(
    r"^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:]+|eni-[0-9a-f]+|ACCEPT|REJECT|NODATA|"
    r"SKIPDATA)$"
)


@dataclass(frozen=True)
class Evidence:
    """What a load read, and whether it is evidence to analyse.

    Attributes
    ----------
    verdict : {"ok", "nothing_read", "no_records", "mostly_quarantined"}
    files : int
        Files (or objects) whose lines were counted.
    lines_read, quarantined, header_lines, blank_lines, file_errors : int
        Totals of the per-file counts.
    records : int
        Records in the frame (after the time window).
    outside_window : int
        Records read but dropped by ``start``/``end``.
    skipped_files : int
        Files of the other record type (VPC vs Transit Gateway), not read.
    likely_format : str or None
        What most quarantined lines look like: ``CSV``, ``JSON``, ``binary data``,
        ``flow-log records of another format`` or ``unrelated text``.
    example : str or None
        The first quarantined line (cut at 60 characters) or file problem.
    source : str or None
        What was asked for when nothing was read and it was not a local path (a CloudWatch
        log group, ...).
    """

    verdict: Verdict
    files: int
    lines_read: int
    records: int
    quarantined: int
    header_lines: int
    blank_lines: int
    file_errors: int
    outside_window: int
    skipped_files: int
    likely_format: str | None
    example: str | None
    source: str | None = None

    @property
    def ok(self) -> bool:
        """Whether there is evidence to analyse (the verdict is ``ok``)."""
        return self.verdict == "ok"

    @property
    def message(self) -> str:
        """One line: what was read, what was quarantined, what the quarantined lines look like,
        and where to see them (``fk.quarantine(df)``)."""
        if self.quarantined or self.file_errors:
            return f"{self.summary}; see fk.quarantine(df)"
        return self.summary

    @property
    def summary(self) -> str:
        """:attr:`message` without the pointer to ``fk.quarantine`` (for the command line)."""
        if self.verdict == "nothing_read":
            if self.skipped_files:
                why = f" ({self.example})" if self.example else ""
                return f"nothing read: {_n(self.skipped_files, 'file')} skipped{why}"
            if self.source:
                return f"nothing read: {self.source} held no flow-log records for the query"
            return ("nothing read: no flow-log files found (a folder is walked for files ending "
                    f"{', '.join(DATA_SUFFIXES)}; name .csv, .json and other files explicitly "
                    "or with a glob)")  # fmt: skip
        parts = [f"read {_n(self.files, 'file')}, {_n(self.lines_read, 'line')}: "
                 f"{_n(self.records, 'record')}"]  # fmt: skip
        if self.outside_window:
            parts.append(f"{self.outside_window:,} outside the time window")
        for count, what in ((self.quarantined, "quarantined"),
                            (self.header_lines, "header line"), (self.blank_lines, "blank line"),
                            (self.file_errors, "file problem")):  # fmt: skip
            if count:
                parts.append(f"{count:,} {what}" if what == "quarantined" else _n(count, what))
        text = ", ".join(parts)
        if self.verdict == "no_records":
            head = "no records"
        elif self.verdict == "mostly_quarantined":
            head = f"only {self.records:,} of {self.records + self.quarantined:,} lines loaded"
        else:
            head = "evidence"
        if self.likely_format is not None:
            text += f"; the quarantined lines look like {self.likely_format}"
            if self.example:
                text += f" (first: {self.example!r})"
        elif self.file_errors and self.example:
            text += f" ({self.example})"
        return f"{head}: {text}"


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _kind(raw: str, reason: str) -> str:
    if reason.startswith("binary"):
        return "binary data"
    text = raw.strip()
    if text[:1] in ("{", "["):
        return "JSON"
    if text.count(",") >= 2:
        return "CSV"
    tokens = text.split()
    if len(tokens) >= 3 and sum(bool(_FLOW_TOKEN.match(t)) for t in tokens) >= 2:
        return "flow-log records of another format"
    return "unrelated text"


def likely_format(raw: Iterable[str], reasons: Iterable[str] | None = None) -> str | None:
    """Say what quarantined lines look like (the most common kind), or None if there are none.

    >>> likely_format(["a,b,c", "1,2,3", "just words"])
    'CSV'
    >>> likely_format(['{"events": []}']), likely_format(["see the manual"])
    ('JSON', 'unrelated text')
    """
    lines = list(raw)[:SAMPLE]
    why = list(reasons)[:SAMPLE] if reasons is not None else [""] * len(lines)
    kinds = Counter(_kind(r, w) for r, w in zip(lines, why, strict=False))
    if not kinds:
        return None
    order = ("CSV", "JSON", "binary data", "flow-log records of another format", "unrelated text")
    return max(kinds, key=lambda k: (kinds[k], -order.index(k)))


def judge_evidence(df: pd.DataFrame) -> Evidence:
    """Judge whether a load holds evidence, from the counts in ``df.attrs["flowkit"]``.

    A frame without those counts (built by hand) is judged by its length alone.  Never raises
    and never warns; see :func:`require_evidence` and :func:`warn_if_no_evidence`.

    Parameters
    ----------
    df : pandas.DataFrame
        A frame returned by :func:`flowkit.read`, :func:`flowkit.read_tgw` or
        :func:`flowkit.parse_lines` (or any frame derived from one that kept its ``attrs``).

    Returns
    -------
    Evidence
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"judge_evidence takes a pandas DataFrame, not {type(df).__name__}")
    prov = provenance(df)
    files = prov.get("files") or {}
    totals = {k: sum(int(c.get(k, 0)) for c in files.values())
              for k in COUNT_COLUMNS if k != "records"}  # fmt: skip
    records = len(df)
    outside = int((prov.get("time_filter") or {}).get("records_outside", 0))
    skipped = len(prov.get("skipped_files") or {})
    table = prov.get("quarantine")
    kind, example = None, None
    if isinstance(table, pd.DataFrame) and len(table):
        lines = table[table["line"].fillna(0) > 0]
        if len(lines):
            kind = likely_format(lines["raw"].astype(str).head(SAMPLE).tolist(),
                                 lines["reason"].astype(str).head(SAMPLE).tolist())  # fmt: skip
            if kind != "binary data":  # its text says nothing
                example = str(lines["raw"].iloc[0])[:60]
        else:
            example = str(table["reason"].iloc[0])[:60]
    elif skipped and not files:
        example = str(next(iter((prov.get("skipped_files") or {}).values())))
    ev = judge_counts(files=len(files) if "files" in prov else None, records=records,
                      outside_window=outside, skipped_files=skipped, likely_format=kind,
                      example=example, **totals)  # fmt: skip
    sources = [str(s) for s in prov.get("sources") or []]
    if ev.verdict == "nothing_read" and len(sources) == 1 and not files:
        return replace(ev, source=sources[0])  # a log group or a URL that listed nothing
    return ev


def judge_counts(
    *,
    files: int | None,
    records: int,
    lines_read: int = 0,
    quarantined: int = 0,
    header_lines: int = 0,
    blank_lines: int = 0,
    file_errors: int = 0,
    outside_window: int = 0,
    skipped_files: int = 0,
    likely_format: str | None = None,
    example: str | None = None,
) -> Evidence:
    """The verdict on a load's counts (what :func:`judge_evidence` and ``flowkit convert`` use).

    ``files`` is None when the counts are unknown (a frame built by hand): then only ``records``
    counts.  Nothing read when no file was; no records when none loaded; mostly quarantined when
    more lines were quarantined than loaded.

    >>> judge_counts(files=2, records=3, quarantined=4).verdict
    'mostly_quarantined'
    >>> judge_counts(files=0, records=0).verdict, judge_counts(files=None, records=1).verdict
    ('nothing_read', 'ok')
    """
    if files is None:
        verdict: Verdict = "ok" if records else "no_records"
    elif not files:
        verdict = "ok" if records else "nothing_read"
    elif records == 0:
        verdict = "no_records"
    elif quarantined > records:
        verdict = "mostly_quarantined"
    else:
        verdict = "ok"
    return Evidence(verdict=verdict, files=files or 0, lines_read=lines_read, records=records,
                    quarantined=quarantined, header_lines=header_lines, blank_lines=blank_lines,
                    file_errors=file_errors, outside_window=outside_window,
                    skipped_files=skipped_files, likely_format=likely_format,
                    example=example)  # fmt: skip


def require_evidence(df: pd.DataFrame) -> Evidence:
    """Return the judgement of a load, or raise if it holds no evidence.

    Raises
    ------
    flowkit.errors.NoEvidenceError
        If the verdict is not ``ok``; ``.evidence`` holds the judgement, the message says why.

    Examples
    --------
    >>> import flowkit as fk, warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     df = fk.parse_lines(["hello world"])
    >>> require_evidence(df)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    flowkit.errors.NoEvidenceError: no records: read 1 file, 1 line: 0 records, 1 quarantined; ...
    """
    ev = judge_evidence(df)
    if not ev.ok:
        raise NoEvidenceError(ev)
    return ev


def warn_if_no_evidence(df: pd.DataFrame, *, stacklevel: int = 2) -> Evidence:
    """Give one :class:`~flowkit.errors.NoEvidenceWarning` if a load holds no evidence.

    Returns the judgement either way.  ``stacklevel`` counts from the caller of this function.
    """
    ev = judge_evidence(df)
    if not ev.ok:
        warnings.warn(f"flowkit: {ev.message}", NoEvidenceWarning, stacklevel=stacklevel + 1)
    return ev
