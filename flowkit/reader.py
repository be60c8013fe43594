"""``fk.read``: every place AWS delivers flow logs, into one enriched pandas frame."""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from flowkit.enrich import add_basic
from flowkit.parse import Collector, Errors, RecordType, finish
from flowkit.provenance import provenance
from flowkit.schema import parse_format
from flowkit.sources import discover, feed_files

__all__ = ["parse_lines", "read", "read_tgw"]

Source = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]
TimeLike = str | datetime | pd.Timestamp | None


def _utc(value: TimeLike, name: str) -> pd.Timestamp | None:
    if value is None:
        return None
    ts = pd.Timestamp(value)
    if ts is pd.NaT:
        raise ValueError(f"{name} is not a time: {value!r}")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _filter_time(df: pd.DataFrame, start: pd.Timestamp | None, end: pd.Timestamp | None) -> pd.DataFrame:
    """Keep records whose capture window meets [start, end); records without times stay."""
    if (start is None and end is None) or "start" not in df.columns or "end" not in df.columns:
        return df
    keep = pd.Series(True, index=df.index)
    if start is not None:
        keep &= ~(df["end"] < start)
    if end is not None:
        keep &= ~(df["start"] >= end)
    out = df[keep.to_numpy()].reset_index(drop=True)
    out.attrs["flowkit"]["time_filter"] = {
        "start": None if start is None else start.isoformat(),
        "end": None if end is None else end.isoformat(),
        "records_outside": int((~keep).sum()),
    }
    return out


def _load(
    source: Source,
    *,
    fields: str | Iterable[str] | None,
    start: TimeLike,
    end: TimeLike,
    errors: Errors,
    enrich: bool,
    record_type: RecordType,
    progress: bool | None,
) -> pd.DataFrame:
    lo, hi = _utc(start, "start"), _utc(end, "end")
    fmt = parse_format(fields) if fields is not None else None
    paths = discover(
        source,
        start=None if lo is None else lo.to_pydatetime(),
        end=None if hi is None else hi.to_pydatetime(),
    )
    collector = Collector(fields=fmt, record_type=record_type)
    show = progress if progress is not None else len(paths) > 200
    with tqdm(total=len(paths), unit="file", desc="flowkit.read", disable=not show) as bar:
        feed_files(collector, paths, on_file=lambda _: bar.update())
    df = finish(collector, errors=errors, sources=paths)
    prov = provenance(df)
    df = _filter_time(df, lo, hi)
    if enrich:
        df = add_basic(df)
    df.attrs["flowkit"] = prov if "time_filter" not in df.attrs.get("flowkit", {}) else df.attrs["flowkit"]
    return df


def read(
    source: Source,
    *,
    fields: str | Iterable[str] | None = None,
    start: TimeLike = None,
    end: TimeLike = None,
    errors: Errors = "quarantine",
    enrich: bool = True,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Load VPC flow logs from files, folders or globs into one pandas frame.

    Parameters
    ----------
    source : path, glob, or list of them
        Files (``.log``, ``.log.gz``, ``.txt``, ``.gz``, ``.parquet``, CloudWatch Logs JSON
        dumps, Firehose objects, CloudWatch export files), folders (walked recursively, in any
        of the AWS S3 key layouts), or globs.  Content, not the name, decides how a file is read.
    fields : str or list of str, optional
        Format of header-less input (CloudWatch Logs, Firehose): an AWS format string
        (``${version} ${srcaddr} ...``) or a list of names.  Files with a header line use their
        own header.  Defaults to the 14 default fields.  ``version`` never decides the format.
    start, end : time, optional
        Query window (UTC if naive).  Files whose key time is outside it (with a margin for late
        delivery) are not read; then records whose capture window does not meet
        ``[start, end)`` are dropped.
    errors : {"quarantine", "raise"}
        ``quarantine`` loads the good records and keeps every bad line in
        :func:`flowkit.quarantine`, with one warning; ``raise`` raises one
        :class:`flowkit.ParseError` listing every bad line.
    enrich : bool
        Add ``protocol_name`` and ``duration`` (see :mod:`flowkit.enrich`).
    progress : bool, optional
        Show a progress bar; by default shown for more than 200 files.

    Returns
    -------
    pandas.DataFrame
        One row per record; NODATA and SKIPDATA records are kept.  ``df.attrs["flowkit"]``
        holds per-file counts (``files``: ``lines_read``, ``records``, ``quarantined``,
        ``header_lines``, ``blank_lines``, ``file_errors``), the formats seen, and the
        quarantine table.  Transit Gateway flow logs are not mixed in: they are listed in
        ``skipped_files``; load them with :func:`read_tgw`.

    Examples
    --------
    >>> import flowkit as fk, gzip, pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.log.gz").write_bytes(gzip.compress(
    ...     b"version account-id interface-id srcaddr dstaddr srcport dstport protocol "
    ...     b"packets bytes start end action log-status\\n"
    ...     b"2 123456789010 eni-1 192.0.2.1 198.51.100.2 49152 443 6 10 840 1700000000 "
    ...     b"1700000060 ACCEPT OK\\n"))
    >>> df = fk.read(folder)
    >>> df[["srcport", "dstport", "protocol_name", "duration"]].to_dict("records")
    [{'srcport': 49152, 'dstport': 443, 'protocol_name': 'TCP', 'duration': 60}]
    """
    return _load(source, fields=fields, start=start, end=end, errors=errors, enrich=enrich,
                 record_type="vpc", progress=progress)  # fmt: skip


def read_tgw(
    source: Source,
    *,
    fields: str | Iterable[str] | None = None,
    start: TimeLike = None,
    end: TimeLike = None,
    errors: Errors = "quarantine",
    enrich: bool = True,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Load Transit Gateway flow logs (the records :func:`read` leaves out).

    TGW files share the VPC files' S3 layout and names; their header has ``tgw-id`` and no
    ``action``.  Parameters and result are as for :func:`read`; header-less input needs
    ``fields`` (for example :data:`flowkit.schema.TGW_DEFAULT_FIELDS`).
    """
    return _load(source, fields=fields, start=start, end=end, errors=errors, enrich=enrich,
                 record_type="tgw", progress=progress)  # fmt: skip


def parse_lines(
    lines: Iterable[str],
    *,
    fields: str | Iterable[str] | None = None,
    errors: Errors = "quarantine",
    enrich: bool = True,
    name: str = "<lines>",
) -> pd.DataFrame:
    """Parse flow-log lines held in memory (a header line, if first, sets the format).

    Examples
    --------
    >>> import flowkit as fk
    >>> df = fk.parse_lines(["2 123456789010 eni-1 - - - - - - - 1700000000 1700000600 - NODATA"])
    >>> df["log_status"].tolist(), df["srcport"].isna().all()
    (['NODATA'], np.True_)
    """
    fmt = parse_format(fields) if fields is not None else None
    collector = Collector(fields=fmt)
    text = "\n".join(line.rstrip("\n") for line in lines)
    data = text.encode("utf-8") + (b"\n" if text else b"")
    if data:
        collector.add_text(name, data, first=True)
    else:
        collector.file_error(name, "empty input: no lines")
    df = finish(collector, errors=errors, sources=[name])
    if enrich:
        df = add_basic(df)
    return df


def _unused(*_: Any) -> None:  # pragma: no cover
    return None
