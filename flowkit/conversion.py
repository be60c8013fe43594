"""``fk.convert``: flow-log text, gzip and CloudWatch containers to a Parquet folder.

The output is Hive-style: ``[account=A/region=R/]date=YYYY-MM-DD/hour=HH/part-*.parquet``, by
the hour of each record's ``end`` (AWS files are cut by end time too); records without an end
time go to ``date=__HIVE_DEFAULT_PARTITION__/hour=__HIVE_DEFAULT_PARTITION__``.  The files hold
the typed frames :func:`flowkit.read` makes before enrichment, with the field table's types:
dictionary-encoded strings, unsigned integers, UTC timestamps of whole seconds (stored in
Parquet's millisecond unit, its smallest; ``ingestion_time`` is kept as epoch milliseconds,
``int64``), zstd-compressed.  Every column stays in the files
(partition folders only repeat values), so ``fk.read`` on the folder or on any one file gives the
records back unchanged.

Beside the data: ``_quarantine.csv`` (the lines that are not records, as
:func:`flowkit.quarantine` lists them) and ``_manifest.jsonl`` (one line per converted input: its
path, size, counts and the parts written).  A second run skips the inputs the manifest lists
with the same resolved path and size, so an interrupted conversion resumes; a run killed at any
point (even in the middle of an append) resumes without losing or repeating a record or a
quarantine row (see :mod:`flowkit.convert_log`).  Each input file is converted once, whatever
names it is given (see :func:`flowkit.sources.find_files`).  Inputs are converted a batch at a
time, so memory stays bounded whatever the input size.  Text cells of ``_quarantine.csv`` that a
spreadsheet would run as a formula are prefixed with ``'`` (:func:`read_converted_quarantine`
removes it).

Limits: an input whose size changed is converted again and its earlier records stay (AWS log
objects never change).  A record whose ``end`` is beyond year 9999 has no date folder: it is
quarantined (``line`` 0, its position in the file in the reason).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import warnings
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from flowkit.convert_log import (
    QUARANTINE,
    append_manifest,
    append_quarantine,
    read_quarantine,
    recover,
)
from flowkit.errors import FlowkitWarning, ParseError
from flowkit.load_provenance import provenance, quarantine_frame
from flowkit.parse import Collector, Errors, arrow_type, finish
from flowkit.parse.frame import EXTRA_COLUMNS
from flowkit.schema import TIME_DTYPE, dtype_of, parse_format
from flowkit.sources import feed_files, find_files, parse_key
from flowkit.sources.discovery import not_read_warning
from flowkit.sources.layout import MANIFEST, partition_window
from flowkit.sources.loading import Source

__all__ = [
    "BATCH_BYTES",
    "MANIFEST",
    "QUARANTINE",
    "ConvertSummary",
    "arrow_schema",
    "convert",
    "partition_window",
    "read_converted_quarantine",
]

#: Bytes of input (as stored) converted at a time; bounds memory at about 20x this for gzip.
BATCH_BYTES = 48 << 20
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
_STAGING = ".staging"


@dataclass(frozen=True)
class ConvertSummary:
    """What one :func:`convert` call did."""

    inputs_converted: int
    inputs_skipped: int
    records: int
    quarantined: int
    parts_written: int
    bytes_read: int
    #: Paths found but not converted, with the reason (a second name of a file, a link to a
    #: folder, a name that is not a flow-log file's).
    not_read: dict[str, str] = field(default_factory=dict, repr=False)


def arrow_schema(columns: Iterable[str]) -> pa.Schema:
    """Return the Parquet (Arrow) schema of frame columns, from the field table.

    Examples
    --------
    >>> arrow_schema(["srcport", "action", "start", "new_field"]).types
    [DataType(uint16), DictionaryType(dictionary<values=string, indices=int32, ordered=0>), \
TimestampType(timestamp[s, tz=UTC]), DataType(string)]
    """
    types: list[pa.Field] = []
    for col in columns:
        if col == "ingestion_time":
            typ = pa.int64()
        elif col in EXTRA_COLUMNS:
            typ = EXTRA_COLUMNS[col]
        elif dtype_of(col) == TIME_DTYPE:
            typ = pa.timestamp("s", tz="UTC")
        else:
            typ = arrow_type(col)
        types.append(pa.field(col, typ))
    return pa.schema(types)


def read_converted_quarantine(dst: str | os.PathLike[str]) -> pd.DataFrame:
    """Return the quarantine a conversion wrote beside its Parquet files (committed rows only,
    so it is readable even right after a killed run).

    Examples
    --------
    >>> import tempfile
    >>> len(read_converted_quarantine(tempfile.mkdtemp()))
    0
    """
    return read_quarantine(Path(dst))


def _key_of(path: str) -> tuple[str, str]:
    info = parse_key(path)
    return (info.account or NULL_PARTITION, info.region or NULL_PARTITION)


def _batches(paths: list[str], sizes: dict[str, int], limit: int) -> list[list[str]]:
    """Group inputs in order, never mixing S3 accounts or regions, up to ``limit`` bytes."""
    batches: list[list[str]] = []
    current: list[str] = []
    total = 0
    for path in sorted(paths, key=_key_of):
        if current and (total + sizes[path] > limit or _key_of(path) != _key_of(current[0])):
            batches.append(current)
            current, total = [], 0
        current.append(path)
        total += sizes[path]
    if current:
        batches.append(current)
    return batches


def _size(path: str) -> int:
    """Size of an input on disk; -1 when it cannot be seen (its read reports why)."""
    try:
        return os.stat(path).st_size
    except OSError:
        return -1


#: The last hour a ``date=YYYY-MM-DD`` folder can name (9999-12-31 23:00), in epoch hours.
_LAST_HOUR = int(np.datetime64("9999-12-31T23", "h").astype(np.int64))


def _beyond_dates(df: pd.DataFrame) -> np.ndarray:
    """Records whose ``end`` is beyond year 9999 (no date folder can hold them)."""
    return _hours(df) > _LAST_HOUR


def _far_rows(df: pd.DataFrame, far: np.ndarray, path: str) -> pd.DataFrame:
    """Quarantine rows for the records of one input that no date folder can hold."""
    rows = []
    for position in np.flatnonzero(far).tolist():
        values = df.iloc[position]
        raw = " ".join("-" if pd.isna(v) else str(v) for v in values.tolist())
        end = df["end"].iloc[position]
        rows.append((path, 0, raw[:500], f"record {position + 1} of the file: end {end} is "
                     "beyond year 9999, so no date=YYYY-MM-DD folder can hold it"))  # fmt: skip
    return quarantine_frame(rows)


def _hours(df: pd.DataFrame) -> np.ndarray:
    """Epoch hour of each record's end time; -1 where it is missing."""
    if "end" not in df.columns:
        return np.full(len(df), -1, dtype=np.int64)
    end = df["end"].to_numpy(dtype="datetime64[s]")
    hours = end.astype("datetime64[h]").astype(np.int64)
    return np.where(np.isnat(end), -1, hours)


def _folder(hour: int, prefix: tuple[str, ...]) -> str:
    if hour < 0:
        return "/".join([*prefix, f"date={NULL_PARTITION}", f"hour={NULL_PARTITION}"])
    t = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(hours=int(hour))
    return "/".join([*prefix, f"date={t:%Y-%m-%d}", f"hour={t:%H}"])


def _write_batch(df: pd.DataFrame, staging: Path, name: str, prefix: tuple[str, ...]) -> list[str]:
    """Write one batch's records, split by hour, into ``staging``; return the relative paths."""
    if not len(df):
        return []
    hours = _hours(df)
    order = np.argsort(hours, kind="stable")
    plain = df.copy(deep=False)
    plain.attrs = {}
    table = pa.Table.from_pandas(plain, schema=arrow_schema(df.columns), preserve_index=False)
    table = table.take(pa.array(order))
    values, first = np.unique(hours[order], return_index=True)
    bounds = [*first.tolist(), len(order)]
    written = []
    for i, hour in enumerate(values.tolist()):
        rel = f"{_folder(hour, prefix)}/part-{name}.parquet"
        target = staging / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        piece = table.slice(bounds[i], bounds[i + 1] - bounds[i])
        pq.write_table(piece, target, compression="zstd")
        written.append(rel)
    return written


def _ingestion_ms(df: pd.DataFrame) -> pd.DataFrame:
    if "ingestion_time" not in df.columns:
        return df
    ms = df["ingestion_time"].to_numpy(dtype="datetime64[ms]")
    values = ms.astype(np.int64)
    return df.assign(ingestion_time=pd.arrays.IntegerArray(values, np.isnat(ms)))


def convert(
    src: Source,
    dst: str | os.PathLike[str],
    *,
    fields: str | Iterable[str] | None = None,
    errors: Errors = "quarantine",
    progress: bool | None = None,
    split_accounts: bool | None = None,
    batch_bytes: int = BATCH_BYTES,
) -> ConvertSummary:
    """Convert flow-log files to a Hive-partitioned Parquet folder (resumable, streaming).

    Parameters
    ----------
    src : path, glob, or list of them
        What :func:`flowkit.read` accepts: text, gzip, CloudWatch Logs and Firehose containers
        (Parquet inputs are rewritten too).
    dst : path
        Output folder (created if needed).  Converting into a folder again adds the inputs it
        does not hold yet.
    fields : str or list of str, optional
        Format of header-less input, as for :func:`flowkit.read`.
    errors : {"quarantine", "raise"}
        ``quarantine`` appends bad lines to ``_quarantine.csv`` and warns once at the end;
        ``raise`` raises :class:`flowkit.ParseError` on the first batch with a bad line (the
        batches before it stay converted).
    progress : bool, optional
        Show a progress bar over the input bytes; by default shown on a terminal.
    split_accounts : bool, optional
        Add ``account=``/``region=`` folder levels (from the inputs' S3 keys).  By default, when
        the inputs' keys name more than one account or region.
    batch_bytes : int
        Input bytes (as stored) parsed at a time; a larger file is one batch on its own.

    Returns
    -------
    ConvertSummary
        Inputs converted and skipped, records written, lines quarantined, Parquet files written
        and input bytes read.

    Examples
    --------
    >>> import flowkit as fk, gzip, pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.log.gz").write_bytes(gzip.compress(
    ...     b"version account-id interface-id srcaddr dstaddr srcport dstport protocol "
    ...     b"packets bytes start end action log-status\\n"
    ...     b"2 123456789010 eni-1 192.0.2.1 198.51.100.2 49152 443 6 10 840 1700000000 "
    ...     b"1700000060 ACCEPT OK\\n"))
    >>> out = folder / "parquet"
    >>> convert(folder, out, progress=False)
    ConvertSummary(inputs_converted=1, inputs_skipped=0, records=1, quarantined=0, \
parts_written=1, bytes_read=175)
    >>> sorted(p.parent.relative_to(out).as_posix() for p in out.rglob("part-*.parquet"))
    ['date=2023-11-14/hour=22']
    >>> fk.read(out)["dstport"].tolist()
    [443]
    >>> convert(folder, out, progress=False).inputs_skipped
    1
    """
    if errors not in ("quarantine", "raise"):
        raise ValueError(f"errors must be 'quarantine' or 'raise', not {errors!r}")
    if batch_bytes <= 0:
        raise ValueError(f"batch_bytes must be positive, not {batch_bytes}")
    fmt = parse_format(fields) if fields is not None else None
    out = Path(dst)
    out.mkdir(parents=True, exist_ok=True)
    staging = out / _STAGING
    shutil.rmtree(staging, ignore_errors=True)
    committed = recover(out)
    found = find_files(src)
    paths = [p for p in found.paths if not Path(p).resolve().is_relative_to(out.resolve())]
    sizes = {p: _size(p) for p in paths}
    done = committed.inputs
    todo = [p for p in paths if (os.path.realpath(p), sizes[p]) not in done]
    split = split_accounts
    if split is None:
        split = len({_key_of(p) for p in paths}) > 1
    records = quarantined = parts = 0
    hide = None if progress is None else not progress
    with tqdm(total=sum(max(sizes[p], 0) for p in todo), unit="B", unit_scale=True,
              desc="flowkit.convert", disable=hide) as bar:  # fmt: skip
        queue = deque(_batches(todo, sizes, batch_bytes))
        while queue:
            batch = queue.popleft()
            collector = Collector(fields=fmt)
            feed_files(collector, batch, on_file=lambda p: bar.update(max(sizes.get(p, 0), 0)))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                df = finish(collector, errors=errors, sources=batch)
            prov = provenance(df)
            far = _beyond_dates(df)
            if far.any() and len(batch) > 1:  # convert its files one by one to name the file
                queue.extendleft([p] for p in reversed(batch))
                continue
            bad = prov["quarantine"]
            if far.any():
                if errors == "raise":
                    raise ParseError(_far_rows(df, far, batch[0]))
                bad = pd.concat([bad, _far_rows(df, far, batch[0])], ignore_index=True)
                df = df[~far].reset_index(drop=True)
            name = hashlib.sha1("\n".join(batch).encode(), usedforsecurity=False).hexdigest()[:16]
            account, region = _key_of(batch[0])
            prefix = (f"account={account}", f"region={region}") if split else ()
            written = _write_batch(_ingestion_ms(df), staging, name, prefix)
            for rel in written:
                (out / rel).parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging / rel, out / rel)
            append_quarantine(out, bad, name)
            entries = []
            for path in batch:
                counts = prov["files"].get(path, {})
                entries.append({
                    "path": os.path.abspath(path),
                    "size": sizes[path],
                    "records": counts.get("records", 0) - int(far.sum()),
                    "quarantined": counts.get("quarantined", 0) + int(far.sum()),
                    "skipped": prov["skipped_files"].get(path),
                    "parts": written,
                })  # fmt: skip
            append_manifest(out, entries, name)
            records += len(df)
            quarantined += int(prov["totals"]["quarantined"] + prov["totals"]["file_errors"])
            quarantined += int(far.sum())
            parts += len(written)
            del df, collector
    shutil.rmtree(staging, ignore_errors=True)
    if quarantined:
        warnings.warn(
            f"flowkit: {quarantined} line(s) or file problem(s) quarantined; {records} record(s) "
            f"converted. They are in {os.fspath(out / QUARANTINE)!r} (read_converted_quarantine).",
            FlowkitWarning,
            stacklevel=2,
        )
    if (message := not_read_warning(found.not_read, where="ConvertSummary.not_read")) is not None:
        warnings.warn(message, FlowkitWarning, stacklevel=2)
    return ConvertSummary(len(todo), len(paths) - len(todo), records, quarantined, parts,
                          sum(max(sizes[p], 0) for p in todo), found.not_read)  # fmt: skip
