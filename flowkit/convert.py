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
with the same path and size, so an interrupted conversion resumes.  Inputs are converted a batch
at a time, so memory stays bounded whatever the input size.

Limits: an input whose size changed is converted again and its earlier records stay (AWS log
objects never change); a run killed between moving a batch's files into place and writing its
manifest lines converts that batch again on the next run (its records then appear twice).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from flowkit.errors import FlowkitWarning
from flowkit.parse import Collector, Errors, arrow_type, finish
from flowkit.parse.frame import EXTRA_COLUMNS
from flowkit.provenance import empty_quarantine, provenance
from flowkit.reader import Source
from flowkit.schema import TIME_DTYPE, dtype_of, parse_format
from flowkit.sources import discover, feed_files, parse_key

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
MANIFEST = "_manifest.jsonl"
QUARANTINE = "_quarantine.csv"
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


def partition_window(path: str) -> tuple[datetime, datetime] | None:
    """Return the span of record end times a converted file can hold, from its folders.

    None when the path has no ``date=`` folder (or the null partition): such files are always
    read.

    Examples
    --------
    >>> lo, hi = partition_window("out/date=2024-06-08/hour=05/part-1.parquet")
    >>> lo.isoformat(), hi.isoformat()
    ('2024-06-08T05:00:00+00:00', '2024-06-08T06:00:00+00:00')
    >>> partition_window("out/date=2024-06-08/part-1.parquet")[1].isoformat()
    '2024-06-09T00:00:00+00:00'
    """
    parts = dict(p.split("=", 1) for p in path.replace("\\", "/").split("/") if "=" in p)
    try:
        day = datetime.strptime(parts.get("date", ""), "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None
    hour = parts.get("hour", "")
    if not hour.isdigit():
        return day, day + timedelta(days=1)
    lo = day + timedelta(hours=int(hour))
    return lo, lo + timedelta(hours=1)


def read_converted_quarantine(dst: str | os.PathLike[str]) -> pd.DataFrame:
    """Return the quarantine a conversion wrote beside its Parquet files.

    Examples
    --------
    >>> import tempfile
    >>> len(read_converted_quarantine(tempfile.mkdtemp()))
    0
    """
    path = Path(dst) / QUARANTINE
    if not path.exists():
        return empty_quarantine()
    table = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    return pd.DataFrame(
        {
            "file": table["file"].astype("string"),
            "line": table["line"].astype("int64").astype("Int64"),
            "raw": table["raw"].astype("string"),
            "reason": table["reason"].astype("string"),
        }
    )


def _load_manifest(dst: Path) -> dict[tuple[str, int], dict[str, object]]:
    path = dst / MANIFEST
    done: dict[tuple[str, int], dict[str, object]] = {}
    if path.exists():
        for line in path.read_text("utf-8").splitlines():
            if line.strip():
                entry = json.loads(line)
                done[(entry["path"], int(entry["size"]))] = entry
    return done


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
    paths = [p for p in discover(src) if not Path(p).resolve().is_relative_to(out.resolve())]
    sizes = {p: os.path.getsize(p) for p in paths}
    done = _load_manifest(out)
    todo = [p for p in paths if (os.path.abspath(p), sizes[p]) not in done]
    split = split_accounts
    if split is None:
        split = len({_key_of(p) for p in paths}) > 1
    records = quarantined = parts = 0
    hide = None if progress is None else not progress
    with tqdm(total=sum(sizes[p] for p in todo), unit="B", unit_scale=True,
              desc="flowkit.convert", disable=hide) as bar:  # fmt: skip
        for batch in _batches(todo, sizes, batch_bytes):
            collector = Collector(fields=fmt)
            feed_files(collector, batch, on_file=lambda p: bar.update(sizes.get(p, 0)))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                df = finish(collector, errors=errors, sources=batch)
            prov = provenance(df)
            name = hashlib.sha1("\n".join(batch).encode(), usedforsecurity=False).hexdigest()[:16]
            account, region = _key_of(batch[0])
            prefix = (f"account={account}", f"region={region}") if split else ()
            written = _write_batch(_ingestion_ms(df), staging, name, prefix)
            for rel in written:
                (out / rel).parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging / rel, out / rel)
            bad = prov["quarantine"]
            if len(bad):
                bad.to_csv(out / QUARANTINE, mode="a", index=False,
                           header=not (out / QUARANTINE).exists())  # fmt: skip
            with open(out / MANIFEST, "a", encoding="utf-8") as fh:
                for path in batch:
                    counts = prov["files"].get(path, {})
                    entry = {
                        "path": os.path.abspath(path),
                        "size": sizes[path],
                        "records": counts.get("records", 0),
                        "quarantined": counts.get("quarantined", 0),
                        "skipped": prov["skipped_files"].get(path),
                        "parts": written,
                    }
                    fh.write(json.dumps(entry) + "\n")
            records += len(df)
            quarantined += int(prov["totals"]["quarantined"] + prov["totals"]["file_errors"])
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
    return ConvertSummary(len(todo), len(paths) - len(todo), records, quarantined, parts,
                          sum(sizes[p] for p in todo))  # fmt: skip
