"""The Dask engine of :func:`flowkit.read`: the same typed, enriched frames, one group of files
per partition.

Every partition is made by the pandas engine itself (``fk.read`` on a group of files, with its
time filter and enrichment), so partitions have exactly the pandas engine's columns and dtypes.
The enrichment of a record also depends on facts of the whole frame (each ENI's own address,
learned by vote; the fan-in of equal-port exchanges): :func:`read_dask` first computes them
from every group of files and merges them exactly as they arrive (pass 1,
:mod:`flowkit.enrich.facts`), settles them (cuts them to what the decisions read, small enough
to send with every partition), then each partition is enriched with the settled facts (pass 2),
so every record gets the pandas engine's enrichment.  Pass 1 parses the files once more, when
:func:`read_dask` is called.
Dask decides where partitions are computed: the current ``dask.distributed`` client if there is
one (a new ``Client`` becomes current), else Dask's local threaded scheduler; a ``client``
passed in also runs the scan of the files' formats.  Nothing here runs in parallel by hand.

Folders written by :func:`flowkit.convert` are pruned by their ``date=``/``hour=`` folders, and
S3 layouts by their keys, before anything is read.

Dask and distributed are optional dependencies (``pip install 'flowkit[dask]'``); they are
imported when first used.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from flowkit.engine.dask.concat import ATTR, SORTED
from flowkit.engine.dask.gather import fold
from flowkit.enrich import add_basic
from flowkit.enrich import enrich as enrich_all
from flowkit.enrich.direction import direction_facts
from flowkit.enrich.facts import DirectionFacts, merge_direction_facts
from flowkit.errors import FlowkitError, FlowkitWarning, NoEvidenceWarning
from flowkit.evidence import judge_counts
from flowkit.load_provenance import Provenance, quarantine_frame
from flowkit.parse import Collector, Errors, RecordType
from flowkit.parse.frame import EXTRA_COLUMNS, pandas_dtype
from flowkit.schema import (
    DEFAULT_FIELDS,
    column_name,
    column_order,
    field_name,
    is_tgw_format,
    parse_format,
)
from flowkit.sources import feed_bytes, find_files, open_regular
from flowkit.sources.discovery import not_read_warning
from flowkit.sources.loading import Source, load_records
from flowkit.times import TimeLike, time_window

if TYPE_CHECKING:
    import dask.dataframe as dd

__all__ = ["PARTITION_BYTES", "plan_partitions", "read_dask", "read_dask_quarantine"]

#: Target size of one partition, in bytes of flow-log text (about 1.5 million default records).
PARTITION_BYTES = 192 << 20
#: How many text bytes one byte on disk holds, by file ending (estimates, for partitioning).
_EXPANSION = {".gz": 7, ".parquet": 10}
#: Bytes read from the head of each text file to learn its format.
PEEK_BYTES = 64 << 10
_PARQUET = b"PAR1"


def _text_bytes(path: str) -> int:
    try:
        size = os.stat(path).st_size
    except OSError:  # a dangling link: the partition read reports it
        return 0
    for suffix, factor in _EXPANSION.items():
        if path.endswith(suffix):
            return size * factor
    return size


def plan_partitions(
    paths: Sequence[str], partition_bytes: int = PARTITION_BYTES
) -> list[tuple[str, ...]]:
    """Group files, in order, into partitions of about ``partition_bytes`` of text each.

    Sizes are estimated from the files' sizes on disk (gzip and Parquet hold several times their
    size in text).  A file is never split, so a file larger than the target is one partition.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for name in "abc":
    ...     _ = (folder / f"{name}.log").write_bytes(b"x" * 100)
    >>> [len(g) for g in plan_partitions(sorted(str(p) for p in folder.iterdir()), 250)]
    [2, 1]
    """
    if partition_bytes <= 0:
        raise ValueError(f"partition_bytes must be positive, not {partition_bytes}")
    groups: list[tuple[str, ...]] = []
    current: list[str] = []
    size = 0
    for path in paths:
        n = _text_bytes(path)
        if current and size + n > partition_bytes:
            groups.append(tuple(current))
            current, size = [], 0
        current.append(path)
        size += n
    if current:
        groups.append(tuple(current))
    return groups


def _columns_of_group(
    paths: tuple[str, ...], fields: tuple[str, ...] | None, record_type: RecordType
) -> list[str]:
    """Columns the files of a group carry (from Parquet schemas and the heads of text files)."""
    columns: list[str] = []
    for path in paths:
        try:
            with open_regular(path) as fh:
                head = fh.read(PEEK_BYTES)
            names = pq.read_schema(path).names if head[:4] == _PARQUET else []
        except (OSError, pa.ArrowException):  # the partition read quarantines the file
            continue
        if head[:4] == _PARQUET:
            if is_tgw_format(field_name(n) for n in names) == (record_type == "tgw"):
                columns.extend(names)
            continue
        collector = Collector(fields=fields, record_type=record_type)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            feed_bytes(collector, path, head)
            collector.flush()
        for fmt in collector.formats:
            columns.extend(column_name(f) for f in fmt)
        for part in collector.parts:
            columns.extend(part.extra)
    return list(dict.fromkeys(columns))


def _meta(columns: Iterable[str], enrich: bool, record_type: RecordType = "vpc") -> pd.DataFrame:
    """The empty frame every partition is made to look like (the pandas engine's layout)."""
    cols = list(dict.fromkeys(columns)) or [column_name(f) for f in DEFAULT_FIELDS]
    ordered = column_order(c for c in cols if c not in EXTRA_COLUMNS)
    ordered += [c for c in EXTRA_COLUMNS if c in cols]
    frame = pd.DataFrame({c: pd.Series([], dtype=pandas_dtype(c)) for c in ordered})
    no_categories = pd.CategoricalDtype(pd.Index([], dtype="str"))  # as Arrow dictionaries load
    frame = frame.astype({c: no_categories for c in frame.select_dtypes("category").columns})
    if not enrich:
        return frame
    return add_basic(frame) if record_type == "tgw" else enrich_all(frame)


def _conform(df: pd.DataFrame, meta: pd.DataFrame, paths: tuple[str, ...]) -> pd.DataFrame:
    unexpected = [c for c in df.columns if c not in meta.columns]
    if unexpected:
        raise FlowkitError(
            f"column(s) {', '.join(unexpected)} appear in {paths[0]} (or the files after it) "
            f"beyond the first {PEEK_BYTES} bytes; read these files with engine='pandas'"
        )
    missing = {
        c: pd.Series(index=df.index, dtype=meta[c].dtype) for c in meta.columns if c not in df
    }
    out = df.assign(**missing) if missing else df
    out = out[list(meta.columns)]
    out = _same_category_kinds(out, meta)
    out.attrs = {ATTR: SORTED}  # compute() sorts the united categories (flowkit.engine.dask.concat)
    return out


def _same_category_kinds(df: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """Categories typed as the meta's (``str`` or ``object``): the pandas engine types an
    all-missing or looked-up column's categories by its content, and Dask cannot concatenate
    partitions whose categories differ in type."""
    fixed = {}
    for c in meta.select_dtypes("category").columns:
        dtype = df[c].dtype
        want = meta[c].cat.categories.dtype
        if isinstance(dtype, pd.CategoricalDtype) and dtype.categories.dtype != want:
            cats = pd.Index(dtype.categories.astype(want), dtype=want)
            codes = df[c].cat.codes.to_numpy()
            fixed[c] = pd.Series(
                pd.Categorical.from_codes(codes, categories=cats, ordered=dtype.ordered),
                index=df.index,
            )
    return df.assign(**fixed) if fixed else df


@dataclass(frozen=True)
class _ReadGroup:
    """Reads one group of files with the pandas engine (one partition)."""

    fields: tuple[str, ...] | None
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    errors: Errors
    enrich: bool
    record_type: RecordType
    meta: pd.DataFrame
    facts: DirectionFacts | None = None

    def load(self, paths: tuple[str, ...]) -> pd.DataFrame:
        with_facts = self.enrich and self.facts is not None
        with warnings.catch_warnings():  # the quarantine is read by read_dask_quarantine
            warnings.simplefilter("ignore")
            df = load_records(list(paths), fields=self.fields, start=self.start, end=self.end,
                              errors=self.errors, record_type=self.record_type, progress=False,
                              listed=True)  # fmt: skip
            if self.enrich and not with_facts:  # as the pandas engine enriches (fk.read)
                df = add_basic(df) if self.record_type == "tgw" else enrich_all(df)
        return enrich_all(df, facts=self.facts) if with_facts else df

    def __call__(self, paths: tuple[str, ...]) -> pd.DataFrame:
        return _conform(self.load(paths), self.meta, paths)


def _facts_of_group(paths: tuple[str, ...], reader: _ReadGroup) -> DirectionFacts:
    """Pass 1 of an enriched VPC load: the frame-wide facts of one group's records."""
    return direction_facts(reader.load(paths))


def _quarantine_of_group(reader: _ReadGroup, paths: tuple[str, ...]) -> pd.DataFrame:
    table = reader.load(paths).attrs.get("flowkit", {}).get("quarantine")
    return table if isinstance(table, pd.DataFrame) else quarantine_frame()


def _plan(
    source: Source,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
    partition_bytes: int,
    *,
    warn: bool = True,
    not_read: dict[str, str] | None = None,
) -> list[tuple[str, ...]]:
    """Group the files to read into partitions; every path found but not read goes into
    ``not_read`` (with the reason) and, with ``warn``, into one counting warning."""
    lo = None if start is None else start.to_pydatetime()
    hi = None if end is None else end.to_pydatetime()
    found = find_files(source, start=lo, end=hi)
    if not_read is not None:
        not_read.update(sorted(found.not_read.items()))
    where = "fk.provenance(ddf)['not_read']"
    if warn and (message := not_read_warning(found.not_read, where=where)) is not None:
        warnings.warn(message, FlowkitWarning, stacklevel=4)
    return plan_partitions(found.paths, partition_bytes)


def _compute(tasks: list[Any], client: Any) -> list[Any]:
    import dask

    return list(dask.compute(*tasks, scheduler=client))


def read_dask(
    source: Source,
    *,
    fields: str | Iterable[str] | None = None,
    start: TimeLike = None,
    end: TimeLike = None,
    errors: Errors = "quarantine",
    enrich: bool = True,
    record_type: RecordType = "vpc",
    partition_bytes: int = PARTITION_BYTES,
    client: Any = None,
) -> dd.DataFrame:
    """Load flow logs lazily into a Dask DataFrame whose partitions are pandas-engine frames.

    Parameters
    ----------
    source, fields, start, end, errors, enrich
        As for :func:`flowkit.read`.  Files outside ``start``/``end`` by their S3 key or by the
        ``date=``/``hour=`` folders of a :func:`flowkit.convert` output are not read.
        ``errors="raise"`` raises when the partition holding a bad line is computed.  With
        ``errors="quarantine"`` bad lines are dropped silently here; list them with
        :func:`read_dask_quarantine`.
    record_type : {"vpc", "tgw"}
        Load VPC flow logs (as :func:`flowkit.read`) or Transit Gateway flow logs (as
        :func:`flowkit.read_tgw`).
    partition_bytes : int
        Target partition size in bytes of text; files are grouped, never split.
    client : dask.distributed.Client, optional
        Cluster that scans the files' formats now.  Computing the frame uses Dask's current
        scheduler: the current ``dask.distributed`` client (a new ``Client`` becomes current),
        else local threads; ``client.compute(ddf)`` runs it on a given client.

    Returns
    -------
    dask.dataframe.DataFrame
        One partition per file group, in file order, with the pandas engine's columns, dtypes
        and values (categories differ between partitions; ``compute()`` unites them, sorted
        as the pandas engine's, see :mod:`flowkit.engine.dask.concat`).  With
        ``enrich=True`` the files are parsed once now, for the facts of the whole frame that
        the enrichment uses (see the module notes); the settled facts travel with the frame
        (its meta's ``attrs["flowkit"]["facts"]``), so the analyses reuse them.

    Examples
    --------
    >>> import flowkit as fk, pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> header = b"version account-id interface-id srcaddr dstaddr srcport dstport protocol "
    >>> header += b"packets bytes start end action log-status\\n"
    >>> for i in range(3):
    ...     _ = (folder / f"{i}.log").write_bytes(header + b"2 123456789010 eni-1 192.0.2.1 "
    ...         b"198.51.100.2 49152 443 6 10 840 1700000000 1700000060 ACCEPT OK\\n")
    >>> ddf = read_dask(folder, partition_bytes=450)
    >>> ddf.npartitions, int(ddf["bytes"].sum().compute())
    (2, 2520)
    >>> ddf.dtypes["dstport"], ddf.dtypes["start"]
    (UInt16Dtype(), datetime64[s, UTC])
    """
    import dask
    import dask.dataframe as dd

    if errors not in ("quarantine", "raise"):
        raise ValueError(f"errors must be 'quarantine' or 'raise', not {errors!r}")
    lo, hi = time_window(start, end)
    fmt = parse_format(fields) if fields is not None else None
    not_read: dict[str, str] = {}
    groups = _plan(source, lo, hi, partition_bytes, not_read=not_read)
    scans = [dask.delayed(_columns_of_group)(g, fmt, record_type) for g in groups]
    columns = [c for found in _compute(scans, client) for c in found]
    meta = _meta(columns, enrich, record_type)
    meta.attrs["flowkit"] = Provenance({**meta.attrs.get("flowkit", {}), "not_read": not_read})
    if not groups:  # no file: say so, as the pandas engine does (flowkit.evidence)
        warnings.warn(f"flowkit: {judge_counts(files=0, records=0).message}", NoEvidenceWarning,
                      stacklevel=3)  # fmt: skip
        return dd.from_pandas(meta, npartitions=1)
    facts = None
    if enrich and record_type == "vpc":  # pass 1: what the enrichment learns from all records
        raw = _ReadGroup(fmt, lo, hi, "quarantine", False, record_type, pd.DataFrame())
        merged = fold(groups, _facts_of_group, merge_direction_facts, raw, client=client)
        facts = merged.settle()  # what the decisions read: small, sent with every partition
    reader = _ReadGroup(fmt, lo, hi, errors, enrich, record_type, meta, facts)
    if facts is not None:  # the settled facts travel with the frame: analyses reuse them
        meta.attrs["flowkit"] = Provenance({**meta.attrs.get("flowkit", {}), "facts": facts})
    return dd.from_map(reader, groups, meta=meta, label="flowkit-read", enforce_metadata=False)


def read_dask_quarantine(
    source: Source,
    *,
    fields: str | Iterable[str] | None = None,
    start: TimeLike = None,
    end: TimeLike = None,
    record_type: RecordType = "vpc",
    partition_bytes: int = PARTITION_BYTES,
    client: Any = None,
) -> pd.DataFrame:
    """Return the quarantine of a Dask load: the lines :func:`read_dask` dropped.

    The files are parsed again, on Dask, group by group; the table equals
    ``fk.quarantine(fk.read(source, ...))``: columns ``file``, ``line``, ``raw``, ``reason``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.log").write_bytes(
    ...     b"2 123456789010 eni-1 192.0.2.1 198.51.100.2 1 2 6 1 40 1 2 ACCEPT OK\\nbogus\\n")
    >>> read_dask_quarantine(folder)[["line", "reason"]].to_dict("records")
    [{'line': 2, 'reason': 'expected 14 fields, found 1'}]
    """
    import dask

    lo, hi = time_window(start, end)
    fmt = parse_format(fields) if fields is not None else None
    groups = _plan(source, lo, hi, partition_bytes, warn=False)
    reader = _ReadGroup(fmt, lo, hi, "quarantine", False, record_type, pd.DataFrame())
    tables = _compute([dask.delayed(_quarantine_of_group)(reader, g) for g in groups], client)
    tables = [t for t in tables if len(t)]
    if not tables:
        return quarantine_frame()
    out = pd.concat(tables, ignore_index=True)
    return out.sort_values(["file", "line"], kind="stable", ignore_index=True)
