"""Amazon S3 as a source: list only the keys a window needs, fetch them in parallel, cache them.

Listing walks the key "folders" with ``Delimiter="/"`` and skips every date folder, account,
service and Region the query does not need (both AWS layouts, with or without the hour level and
the Organizations level), so a one-hour window costs a handful of ``ListObjectsV2`` calls and one
``GetObject`` per file of that hour (plus the late-delivery margin of
:data:`flowkit.sources.layout.MARGIN`).  A folder wholly inside the window is listed flat.

Objects are fetched by a thread pool with a bounded number in flight and parsed in key order, so a
load holds at most ``max_workers + 2`` raw objects at a time.  The credentials are boto3's
standard chain (environment, profile, SSO, container or instance role).

AWS errors become :mod:`flowkit.errors` classes that name the resource and the IAM permission;
an object that cannot be fetched or parsed becomes a quarantine entry and the rest still loads.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeGuard

from tqdm.auto import tqdm

from flowkit.errors import AwsError, FlowkitWarning, NoDataError
from flowkit.parse.collect import Collector
from flowkit.sources.aws import Retry, aws_call, aws_client
from flowkit.sources.discovery import (
    DATA_SUFFIXES,
    NOT_DATA,
    OTHER_SERVICE,
    OUT_OF_SCOPE,
    OUTSIDE,
)
from flowkit.sources.layout import (
    aws_folders,
    key_window,
    other_service,
    overlaps,
    partial_window,
)
from flowkit.sources.local import feed_bytes
from flowkit.sources.s3_fetch import Fetched, S3Object, fetch
from flowkit.sources.stream import in_order

__all__ = [
    "S3Object",
    "feed_s3",
    "is_s3_url",
    "keep_key",
    "keep_prefix",
    "list_objects",
    "split_url",
]

Names = frozenset[str] | None
Time = datetime | None


def is_s3_url(source: object) -> TypeGuard[str | Sequence[str]]:
    """Tell whether a source is an ``s3://`` address (or a list of them).

    >>> is_s3_url("s3://bucket/prefix"), is_s3_url("data/flows"), is_s3_url(["s3://b/x"])
    (True, False, True)
    """
    if isinstance(source, str):
        return source.startswith("s3://")
    if isinstance(source, list | tuple) and source:
        return all(isinstance(s, str) and s.startswith("s3://") for s in source)
    return False


def split_url(url: str) -> tuple[str, str]:
    """Split ``s3://bucket/prefix`` into the bucket and the key prefix.

    >>> split_url("s3://my-logs/flows/AWSLogs/")
    ('my-logs', 'flows/AWSLogs/')
    >>> split_url("s3://my-logs")
    ('my-logs', '')
    """
    if not url.startswith("s3://"):
        raise ValueError(f"not an s3:// address: {url!r}")
    bucket, _, prefix = url[5:].partition("/")
    if not bucket:
        raise ValueError(f"no bucket name in {url!r}")
    return bucket, prefix


def _names(values: str | Iterable[str] | None) -> frozenset[str] | None:
    if values is None:
        return None
    return frozenset([values] if isinstance(values, str) else (str(v) for v in values))


def _out_of_scope(parts: list[str], accounts: Names, regions: Names) -> str | None:
    """Why a key path is outside the accounts, service and Regions asked for (None if inside)."""
    scope = aws_folders(parts)
    if len(scope) >= 1 and accounts is not None and scope[0] not in accounts:
        return OUT_OF_SCOPE
    service = other_service(parts)
    if service is not None:
        return f"{OTHER_SERVICE} ({service})"
    if len(scope) >= 3 and regions is not None and scope[2] not in regions:
        return OUT_OF_SCOPE
    return None


def _outside(window: tuple[datetime, datetime] | None, start: Time, end: Time) -> str | None:
    if window is None or overlaps(window, start, end):
        return None
    lo, hi = window
    return f"{OUTSIDE}: the key says {lo:%Y-%m-%d %H:%M} to {hi:%Y-%m-%d %H:%M} UTC"


def _skip_prefix(
    prefix: str, start: Time, end: Time, accounts: Names, regions: Names
) -> str | None:
    parts = prefix.rstrip("/").split("/")
    return _outside(partial_window(parts), start, end) or _out_of_scope(parts, accounts, regions)


def _skip_key(key: str, start: Time, end: Time, accounts: Names, regions: Names) -> str | None:
    if key.endswith("/") or not key.endswith(DATA_SUFFIXES):
        return NOT_DATA
    parts = key.split("/")[:-1]
    return _outside(key_window(key), start, end) or _out_of_scope(parts, accounts, regions)


def keep_prefix(
    prefix: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    accounts: str | Iterable[str] | None = None,
    regions: str | Iterable[str] | None = None,
) -> bool:
    """Tell whether a key "folder" can hold records of the query (pure; no listing).

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> t0, t1 = datetime(2024, 6, 9, 8, tzinfo=UTC), datetime(2024, 6, 9, 9, tzinfo=UTC)
    >>> base = "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/06/"
    >>> keep_prefix(base + "09/", start=t0, end=t1), keep_prefix(base + "08/", start=t0, end=t1)
    (True, False)
    >>> hive = "AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=eu-west-1/"
    >>> keep_prefix(hive, regions=["us-east-1"]), keep_prefix("AWSLogs/o-abc/999/", accounts="1")
    (False, False)
    """
    return _skip_prefix(prefix, start, end, _names(accounts), _names(regions)) is None


def keep_key(
    key: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    accounts: str | Iterable[str] | None = None,
    regions: str | Iterable[str] | None = None,
) -> bool:
    """Tell whether an object key is a flow-log file the query needs (name, time and scope).

    >>> key = ("AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/06/09/123456789012_vpcflowlogs_"
    ...        "us-east-1_fl-0abc_20240609T0805Z_ab12cd34.log.gz")
    >>> keep_key(key), keep_key(key, accounts=["210987654321"]), keep_key(key + ".json")
    (True, False, False)
    """
    return _skip_key(key, start, end, _names(accounts), _names(regions)) is None


def _flat(prefix: str, start: datetime | None, end: datetime | None) -> bool:
    """Tell whether a date folder lies wholly inside the window (then list it without delimiter)."""
    window = partial_window(prefix.rstrip("/").split("/"))
    if window is None:
        return False
    lo, hi = window
    return (start is None or start <= lo) and (end is None or hi <= end)


def list_objects(
    client: Any,
    bucket: str,
    prefix: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    accounts: str | Iterable[str] | None = None,
    regions: str | Iterable[str] | None = None,
    retry: Retry | None = None,
    page_size: int | None = None,
    not_read: dict[str, str] | None = None,
) -> list[S3Object]:
    """List the flow-log objects under a prefix that the query needs, sorted by key.

    ``client`` is a boto3 S3 client.  Folders outside the window or scope are never listed.
    ``page_size`` is the keys per ``ListObjectsV2`` page (AWS's default and maximum is 1,000).
    ``not_read`` receives every folder and key seen but not read (``s3://`` address: reason).
    """
    retry = retry or Retry()
    acc, reg = _names(accounts), _names(regions)
    if prefix and not prefix.endswith("/") and not prefix.endswith(DATA_SUFFIXES):
        prefix += "/"
    resource = f"s3://{bucket}/{prefix}"
    found: dict[str, S3Object] = {}
    todo = [prefix]
    while todo:
        folder = todo.pop()
        params: dict[str, Any] = {"Bucket": bucket, "Prefix": folder}
        if page_size is not None:
            params["MaxKeys"] = page_size
        if not _flat(folder, start, end):
            params["Delimiter"] = "/"
        while True:
            page = aws_call(
                partial(client.list_objects_v2, **params),
                permission="s3:ListBucket",
                resource=resource,
                retry=retry,
            )
            for cp in page.get("CommonPrefixes") or []:
                sub = cp["Prefix"]
                if (why := _skip_prefix(sub, start, end, acc, reg)) is None:
                    todo.append(sub)
                elif not_read is not None:
                    not_read[f"s3://{bucket}/{sub}"] = why
            for item in page.get("Contents") or []:
                key = item["Key"]
                if (why := _skip_key(key, start, end, acc, reg)) is not None:
                    if not_read is not None:
                        not_read[f"s3://{bucket}/{key}"] = why
                else:
                    modified = item.get("LastModified")
                    found[key] = S3Object(
                        bucket,
                        key,
                        int(item.get("Size", 0)),
                        str(item.get("ETag", "")).strip('"'),
                        modified.isoformat() if isinstance(modified, datetime) else "",
                    )
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                break
            params = {**params, "ContinuationToken": token}
    return [found[k] for k in sorted(found)]


def feed_s3(
    collector: Collector,
    source: str | Sequence[str],
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    accounts: str | Iterable[str] | None = None,
    regions: str | Iterable[str] | None = None,
    endpoint_url: str | None = None,
    profile: str | None = None,
    session: Any = None,
    cache_dir: str | os.PathLike[str] | None = None,
    max_workers: int = 8,
    progress: bool | None = None,
    retry: Retry | None = None,
    not_read: dict[str, str] | None = None,
) -> list[dict[str, object]]:
    """Read the flow-log objects of one or more ``s3://`` prefixes into a collector.

    Returns one manifest entry per object, in key order: ``url``, ``size``, ``etag``,
    ``last_modified``, ``sha256`` (of the bytes read), ``from_cache``, ``cache_path``,
    ``cache_mismatch`` (None, or why the cached copy was not used: it is not the listed object)
    and ``error`` (None, or why the object is in the quarantine instead).  ``not_read``
    receives the folders and keys listed but not read, with the reason.

    Raises
    ------
    NoDataError
        If no object under the prefixes matches the window and scope.
    AwsError
        Its subclasses for missing credentials, access denied, a missing bucket, throttling;
        per-object failures are quarantined instead, unless every object failed.
    """
    retry = retry or Retry()
    urls = [source] if isinstance(source, str) else list(source)
    client = aws_client(
        "s3", session=session, profile=profile, endpoint_url=endpoint_url, pool=max_workers + 2
    )
    objects: list[S3Object] = []
    for url in urls:
        bucket, prefix = split_url(url)
        objects.extend(
            list_objects(
                client, bucket, prefix, start=start, end=end, accounts=accounts, regions=regions,
                retry=retry, not_read=not_read,
            )
        )  # fmt: skip
    if not objects:
        window = f" between {start} and {end}" if start or end else ""
        raise NoDataError(
            f"no flow-log objects under {', '.join(urls)}{window}"
            + (f" for accounts {sorted(_names(accounts) or [])}" if accounts is not None else "")
            + (f" in Regions {sorted(_names(regions) or [])}" if regions is not None else "")
        )
    folder = Path(cache_dir) if cache_dir is not None else None
    manifest: list[dict[str, object]] = []
    failures: list[AwsError] = []
    show = progress if progress is not None else len(objects) > 200
    with (
        ThreadPoolExecutor(max_workers, thread_name_prefix="flowkit-s3") as pool,
        tqdm(total=len(objects), unit="object", desc="flowkit.read s3", disable=not show) as bar,
    ):
        get_one: Callable[[S3Object], Fetched] = lambda o: fetch(client, o, folder, retry)  # noqa: E731
        for obj, got in in_order(pool, get_one, objects, depth=max_workers + 2):
            if got.problem is not None:
                collector.file_error(obj.url, got.problem)
            elif got.error is not None:
                collector.file_error(obj.url, str(got.error))
                failures.append(got.error)
            elif got.data is not None:
                feed_bytes(collector, obj.url, got.data)
                if len(got.data) < obj.size:
                    reason = f"short read: {len(got.data)} of {obj.size} bytes listed"
                    collector.file_error(obj.url, reason)
            manifest.append(
                {
                    "url": obj.url,
                    "size": obj.size,
                    "etag": obj.etag,
                    "last_modified": obj.last_modified,
                    "sha256": got.sha256 or None,
                    "from_cache": got.from_cache,
                    "cache_path": str(got.cache_path) if got.cache_path is not None else None,
                    "cache_mismatch": got.cache_mismatch,
                    "error": got.problem or (str(got.error) if got.error is not None else None),
                }
            )
            bar.update()
    stale = sum(m["cache_mismatch"] is not None for m in manifest)
    if stale:
        warnings.warn(
            f"flowkit: {stale} cached object(s) differed from S3 and were fetched again (see "
            "df.attrs['flowkit']['objects'], cache_mismatch)",
            FlowkitWarning,
            stacklevel=4,
        )
    if failures and len(failures) == len(objects):
        first = failures[0]
        raise type(first)(
            f"all {len(objects)} object(s) failed; the first: {first}",
            resource=first.resource,
            permission=first.permission,
            code=first.code,
        )
    return manifest
