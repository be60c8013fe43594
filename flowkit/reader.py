"""``fk.read`` and its siblings: the entry points that load flow logs into enriched frames.

:func:`read` dispatches: the pandas engine is the loader of :mod:`flowkit.sources.loading`
(files, folders, globs, ``s3://``), then the enrichment (:func:`flowkit.enrich.enrich`); with
``engine="dask"`` the Dask engine (:func:`flowkit.engine.dask.read.read_dask`) builds the same
frames partition by partition.  :func:`read_tgw`, :func:`read_cloudwatch` and
:func:`parse_lines` load Transit Gateway logs, a CloudWatch Logs group and lines in memory.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TypedDict, overload

import pandas as pd

from flowkit.enrich import add_basic
from flowkit.enrich import enrich as enrich_all
from flowkit.evidence import warn_if_no_evidence
from flowkit.memory_pages import small_pages
from flowkit.parse import Collector, Errors, RecordType, finish
from flowkit.schema import parse_format
from flowkit.sources.cloudwatch import load_cloudwatch
from flowkit.sources.loading import AwsOptions, Source, load_records
from flowkit.sources.s3 import is_s3_url
from flowkit.times import TimeLike

__all__ = ["parse_lines", "read", "read_cloudwatch", "read_tgw"]

if TYPE_CHECKING:
    import dask.dataframe as dd

Engine = Literal["pandas", "dask"]


class EnrichOptions(TypedDict):
    """What :func:`read` passes to :func:`flowkit.enrich.enrich` beyond the cheap columns."""

    inventory: Any
    vpc_cidrs: Iterable[str] | None
    threat_list: Any


_NO_ENRICH = EnrichOptions(inventory=None, vpc_cidrs=None, threat_list=None)


@small_pages()
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
    aws: AwsOptions | None = None,
    context: EnrichOptions | None = None,
) -> pd.DataFrame:
    """The pandas engine: the loader's records, judged for evidence, then enriched."""
    df = load_records(source, fields=fields, start=start, end=end, errors=errors,
                      record_type=record_type, progress=progress, aws=aws,
                      stacklevel=3)  # fmt: skip
    warn_if_no_evidence(df, stacklevel=3)  # at the caller of read / read_tgw
    return _enrich(df, record_type, context) if enrich else df


def _enrich(
    df: pd.DataFrame, record_type: RecordType, context: EnrichOptions | None
) -> pd.DataFrame:
    """The enrichment of a load: everything for VPC records, the basic columns for TGW ones."""
    opts = context or _NO_ENRICH
    if record_type == "tgw":
        if any(v is not None for v in opts.values()):
            raise ValueError("inventory, vpc_cidrs and threat_list apply to VPC flow logs only")
        return add_basic(df)
    return enrich_all(df, **opts)


@overload
def read(
    source: Source,
    *,
    fields: str | Iterable[str] | None = None,
    start: TimeLike = None,
    end: TimeLike = None,
    errors: Errors = "quarantine",
    enrich: bool = True,
    progress: bool | None = None,
    engine: Literal["pandas"] = "pandas",
    client: Any = None,
    accounts: str | Iterable[str] | None = None,
    regions: str | Iterable[str] | None = None,
    endpoint_url: str | None = None,
    profile: str | None = None,
    session: Any = None,
    cache_dir: str | os.PathLike[str] | None = None,
    inventory: Any = None,
    vpc_cidrs: Iterable[str] | None = None,
    threat_list: Any = None,
) -> pd.DataFrame: ...


@overload
def read(
    source: Source,
    *,
    fields: str | Iterable[str] | None = None,
    start: TimeLike = None,
    end: TimeLike = None,
    errors: Errors = "quarantine",
    enrich: bool = True,
    progress: bool | None = None,
    engine: Literal["dask"],
    client: Any = None,
    accounts: str | Iterable[str] | None = None,
    regions: str | Iterable[str] | None = None,
    endpoint_url: str | None = None,
    profile: str | None = None,
    session: Any = None,
    cache_dir: str | os.PathLike[str] | None = None,
    inventory: Any = None,
    vpc_cidrs: Iterable[str] | None = None,
    threat_list: Any = None,
) -> dd.DataFrame: ...


def read(
    source: Source,
    *,
    fields: str | Iterable[str] | None = None,
    start: TimeLike = None,
    end: TimeLike = None,
    errors: Errors = "quarantine",
    enrich: bool = True,
    progress: bool | None = None,
    engine: Engine = "pandas",
    client: Any = None,
    accounts: str | Iterable[str] | None = None,
    regions: str | Iterable[str] | None = None,
    endpoint_url: str | None = None,
    profile: str | None = None,
    session: Any = None,
    cache_dir: str | os.PathLike[str] | None = None,
    inventory: Any = None,
    vpc_cidrs: Iterable[str] | None = None,
    threat_list: Any = None,
) -> pd.DataFrame | dd.DataFrame:
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
        Add the derived columns of :func:`flowkit.enrich.enrich`: ``protocol_name``,
        ``duration``, ``service``, ``tcp_flags_label``, address scopes, AWS services and
        regions, ``direction``, local/remote sides and the service side; with ``inventory``,
        ``vpc_cidrs`` and ``threat_list`` also your ENIs' names and roles and threat matches.
    progress : bool, optional
        Show a progress bar; by default shown for more than 200 files.
    engine : {"pandas", "dask"}
        ``dask`` returns a lazy ``dask.dataframe.DataFrame`` whose partitions are this
        function's frames for groups of files (see :func:`flowkit.engine.dask.read.read_dask`; its
        quarantine: :func:`flowkit.engine.dask.read.read_dask_quarantine`).
    client : dask.distributed.Client, optional
        With ``engine="dask"``: the cluster that scans the files (computing uses the current
        client).
    accounts, regions : str or list of str, optional
        ``s3://`` sources: read only these accounts and Regions (their key folders).
    endpoint_url, profile, session : optional
        ``s3://`` sources: an S3-compatible endpoint, a named AWS profile, or a
        ``boto3.Session`` (wins over ``profile``); by default boto3's standard credential chain.
    cache_dir : path, optional
        ``s3://`` sources: keep each object under ``cache_dir/bucket/key`` and read it from there
        next time.  ``df.attrs["flowkit"]["objects"]`` lists every object read (``url``,
        ``size``, ``etag``, ``last_modified``, ``sha256``, ``from_cache``, ``error``) for an
        evidence manifest.  See ``docs/reading-from-aws.md``.
    inventory : path, DataFrame or dict, optional
        Your ENIs (``aws ec2 describe-network-interfaces`` JSON or a CSV); see
        :func:`flowkit.load_inventory`.
    vpc_cidrs : list of str, optional
        Your networks' CIDRs, so ``direction`` is known without ``flow-direction``.
    threat_list : path(s) or dict, optional
        Addresses and CIDRs to flag (``threat_match``, ``threat_label``).

    Warns
    -----
    flowkit.errors.NoEvidenceWarning
        When the load holds no evidence (:func:`flowkit.judge_evidence`); the frame is returned
        all the same (:func:`flowkit.require_evidence` raises instead).

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
    if engine == "dask":
        from flowkit.engine.dask.read import read_dask

        if is_s3_url(source) or any(
            v is not None for v in (accounts, regions, endpoint_url, profile, session, cache_dir)
        ):
            raise ValueError("engine='dask' reads local files and folders; fetch s3:// sources "
                             "with cache_dir= (engine='pandas') and read the cache")  # fmt: skip
        if any(v is not None for v in (inventory, vpc_cidrs, threat_list)):
            raise ValueError("with engine='dask', enrich partitions with "
                             "ddf.map_partitions(flowkit.enrich.enrich, ...)")  # fmt: skip
        return read_dask(source, fields=fields, start=start, end=end, errors=errors,
                         enrich=enrich, client=client)  # fmt: skip
    if engine != "pandas":
        raise ValueError(f"engine must be 'pandas' or 'dask', not {engine!r}")
    aws = AwsOptions(accounts=accounts, regions=regions, endpoint_url=endpoint_url,
                     profile=profile, session=session, cache_dir=cache_dir)  # fmt: skip
    context = EnrichOptions(inventory=inventory, vpc_cidrs=vpc_cidrs, threat_list=threat_list)
    return _load(source, fields=fields, start=start, end=end, errors=errors, enrich=enrich,
                 record_type="vpc", progress=progress, aws=aws, context=context)  # fmt: skip


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
    return enrich_all(df) if enrich else df


def read_cloudwatch(
    log_group: str,
    start: str | datetime | pd.Timestamp,
    end: str | datetime | pd.Timestamp,
    *,
    log_streams: str | Iterable[str] | None = None,
    filter_pattern: str | None = None,
    fields: str | Iterable[str] | None = None,
    errors: Errors = "quarantine",
    enrich: bool = True,
    endpoint_url: str | None = None,
    region: str | None = None,
    profile: str | None = None,
    session: Any = None,
    page_size: int | None = None,
    max_attempts: int = 8,
    sleep: Callable[[float], None] = time.sleep,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Load VPC flow logs from a CloudWatch Logs log group, as :func:`read` loads files.

    The parameters, the result and the errors are those of
    :func:`flowkit.sources.cloudwatch.load_cloudwatch` (which pages ``FilterLogEvents``, takes
    the format from ``DescribeFlowLogs`` and keeps the records whose capture window meets
    ``[start, end)``), plus ``enrich`` as in :func:`read`.

    Examples
    --------
    >>> import flowkit as fk
    >>> df = fk.read_cloudwatch("/vpc/flow-logs", "2024-06-09 08:00", "2024-06-09 09:00",
    ...                         region="us-east-1")  # doctest: +SKIP
    """
    df = load_cloudwatch(
        log_group, start, end, log_streams=log_streams, filter_pattern=filter_pattern,
        fields=fields, errors=errors, endpoint_url=endpoint_url, region=region, profile=profile,
        session=session, page_size=page_size, max_attempts=max_attempts, sleep=sleep,
        progress=progress,
    )  # fmt: skip
    warn_if_no_evidence(df)
    if not enrich:
        return df
    prov = df.attrs.get("flowkit")
    out = enrich_all(df)
    if prov is not None:
        out.attrs["flowkit"] = prov
    return out
