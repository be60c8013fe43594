"""Small tables that say what a load read: per-file counts and log-status coverage per interface.

Both functions take a frame returned by :func:`flowkit.read` (or :func:`flowkit.parse_lines`)
and return a new, sorted, display-ready frame; the input is never changed.
"""

from __future__ import annotations

import posixpath

import pandas as pd

from flowkit.errors import require_columns
from flowkit.load_provenance import provenance
from flowkit.parse.text import COUNT_COLUMNS

__all__ = ["COUNT_COLUMNS", "LOG_STATUSES", "status_by_interface", "summarize_files"]

#: The ``log-status`` values AWS writes, in display order.
LOG_STATUSES = ("OK", "NODATA", "SKIPDATA")


def _relative_names(files: list[str]) -> list[str]:
    """Return file names relative to the folder all of them share (POSIX separators)."""
    paths = [f.replace("\\", "/") for f in files]
    if len(paths) < 2:
        return [posixpath.basename(p) or p for p in paths]
    try:
        root = posixpath.commonpath([posixpath.dirname(p) or "." for p in paths])
    except ValueError:  # absolute and relative names mixed: no shared folder
        return [posixpath.basename(p) or p for p in paths]
    return [posixpath.relpath(p, root or ".") for p in paths]


def summarize_files(df: pd.DataFrame) -> pd.DataFrame:
    """Return one row per file read, with its line counts and whether they reconcile.

    The ``file`` column is relative to the folder the files share, so the table reads the same
    on every machine.  ``reconciled`` is True when ``records + quarantined + header_lines +
    blank_lines == lines_read``.  Returns a new frame sorted by ``file``; ``df`` is unchanged.

    Parameters
    ----------
    df : pandas.DataFrame
        A frame loaded by :func:`flowkit.read`; its ``attrs["flowkit"]["files"]`` holds the
        counts.  A frame without them gives an empty table with the same columns.

    Returns
    -------
    pandas.DataFrame
        Columns ``file``, ``lines_read``, ``records``, ``quarantined``, ``header_lines``,
        ``blank_lines``, ``file_errors`` (all ``int64``) and ``reconciled`` (bool).

    Examples
    --------
    >>> import flowkit as fk
    >>> header = ("version account-id interface-id srcaddr dstaddr srcport dstport protocol "
    ...           "packets bytes start end action log-status")
    >>> record = ("2 123456789010 eni-1 192.0.2.1 198.51.100.2 1 2 6 1 40 1700000000 1700000060 "
    ...           "ACCEPT OK")
    >>> df = fk.parse_lines([header, record, "", "not a flow log line"], name="a.log")
    >>> summarize_files(df).to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'file': 'a.log', 'lines_read': 4, 'records': 1, 'quarantined': 1, 'header_lines': 1,
      'blank_lines': 1, 'file_errors': 0, 'reconciled': True}]
    """
    files: dict[str, dict[str, int]] = provenance(df).get("files") or {}
    names = list(files)
    table = pd.DataFrame(
        {
            "file": pd.Series(_relative_names(names), dtype="str"),
            **{
                col: pd.Series([int(files[n].get(col, 0)) for n in names], dtype="int64")
                for col in COUNT_COLUMNS
            },
        }
    )
    parts = table["records"] + table["quarantined"] + table["header_lines"] + table["blank_lines"]
    table["reconciled"] = parts.eq(table["lines_read"]).astype(bool)
    return table.sort_values("file", kind="stable").reset_index(drop=True)


def status_by_interface(df: pd.DataFrame) -> pd.DataFrame:
    """Count records per interface and ``log_status``: a first look at coverage gaps.

    ``NODATA`` means no traffic reached the interface in a capture window; ``SKIPDATA`` means AWS
    dropped records for that window (an internal capacity limit or error), so the log is
    incomplete there.  Returns a new frame, one row per ``interface_id`` sorted by name, with a
    column per status (``OK``, ``NODATA``, ``SKIPDATA`` always present, any other status after
    them) and ``total``; ``df`` is unchanged.

    Parameters
    ----------
    df : pandas.DataFrame
        Flow records with ``interface_id`` and ``log_status`` columns.

    Returns
    -------
    pandas.DataFrame
        Columns ``interface_id``, ``OK``, ``NODATA``, ``SKIPDATA`` (``int64``), ``total``.

    Raises
    ------
    flowkit.errors.MissingFieldsError
        If ``interface_id`` or ``log_status`` is missing (a ``ValueError`` naming them).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"interface_id": ["eni-b", "eni-a", "eni-a", "eni-b"],
    ...                    "log_status": ["OK", "OK", "NODATA", "SKIPDATA"]})
    >>> status_by_interface(df)
      interface_id  OK  NODATA  SKIPDATA  total
    0        eni-a   1       1         0      2
    1        eni-b   1       0         1      2
    """
    require_columns(df, ("interface_id", "log_status"), "fk.status_by_interface")
    eni = df["interface_id"].astype("str").where(df["interface_id"].notna(), "(none)")
    status = df["log_status"].astype("str").where(df["log_status"].notna(), "(none)")
    counts = pd.crosstab(eni.to_numpy(), status.to_numpy())
    extra = sorted(c for c in counts.columns if c not in LOG_STATUSES)
    counts = counts.reindex(columns=[*LOG_STATUSES, *extra], fill_value=0).astype("int64")
    counts["total"] = counts.sum(axis=1).astype("int64")
    counts = counts.sort_index().rename_axis(index="interface_id", columns=None)
    return counts.reset_index()
