"""CloudWatch Logs as a source: ``FilterLogEvents`` pages into the same frame as files.

Each flow log delivers to a log group with one stream per network interface; each event's
``message`` is one record line without a header, and its ``timestamp`` is the record's ``start``.
The record format is not in the events: it comes from ``fields``, or from ``DescribeFlowLogs``
(the ``LogFormat`` of the flow logs that deliver to the group), or is the default format.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from functools import partial
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from flowkit.errors import AwsError, FlowkitError
from flowkit.load_provenance import provenance
from flowkit.parse import Collector, Errors, Unwrapped, finish
from flowkit.schema import DEFAULT_FIELDS, parse_format
from flowkit.sources.aws import Retry, aws_call, aws_client
from flowkit.sources.layout import MARGIN
from flowkit.times import filter_time, time_window

__all__ = ["filter_log_events", "flow_log_format", "load_cloudwatch"]

TimeLike = str | datetime | pd.Timestamp
#: Events parsed together; bounds the memory of raw messages held at a time.
BATCH_EVENTS = 200_000
#: ``FilterLogEvents`` accepts at most this many stream names per call.
MAX_STREAMS = 100


def flow_log_format(
    log_group: str, *, client: Any, retry: Retry | None = None
) -> tuple[str, ...] | None:
    """Return the fields of the flow logs that deliver to a log group (``DescribeFlowLogs``).

    ``client`` is a boto3 EC2 client.  Returns None when no flow log delivers to the group.

    Raises
    ------
    FlowkitError
        If flow logs with different formats deliver to the group (pass ``fields`` instead).
    AwsAccessError
        If the caller lacks ``ec2:DescribeFlowLogs`` (pass ``fields`` to skip the lookup).
    """
    retry = retry or Retry()
    params: dict[str, Any] = {"Filters": [{"Name": "log-group-name", "Values": [log_group]}]}
    formats: set[str] = set()
    while True:
        page = aws_call(
            partial(client.describe_flow_logs, **params),
            permission="ec2:DescribeFlowLogs",
            resource=f"the flow logs of log group {log_group!r} (or pass fields=)",
            retry=retry,
        )
        formats.update(str(f["LogFormat"]) for f in page.get("FlowLogs", []) if f.get("LogFormat"))
        token = page.get("NextToken")
        if not token:
            break
        params = {**params, "NextToken": token}
    if not formats:
        return None
    if len(formats) > 1:
        shown = "; ".join(sorted(formats))
        raise FlowkitError(
            f"{len(formats)} flow logs with different formats deliver to {log_group!r} "
            f"({shown}); pass fields= to choose one"
        )
    return parse_format(formats.pop())


def filter_log_events(
    client: Any,
    log_group: str,
    start_ms: int,
    end_ms: int,
    *,
    log_streams: list[str] | None = None,
    filter_pattern: str | None = None,
    page_size: int | None = None,
    retry: Retry | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """Yield the event pages of ``FilterLogEvents`` (interleaved across streams), with retries.

    ``client`` is a boto3 CloudWatch Logs client; ``start_ms`` and ``end_ms`` (inclusive) are
    epoch milliseconds.  Paging stops when no token comes back or a token repeats.
    """
    retry = retry or Retry()
    groups: list[list[str] | None] = [None]
    if log_streams is not None:
        groups = [log_streams[i : i + MAX_STREAMS] for i in range(0, len(log_streams), MAX_STREAMS)]
    for streams in groups:
        params: dict[str, Any] = {
            "logGroupName": log_group,
            "startTime": start_ms,
            "endTime": end_ms,
            "interleaved": True,
        }
        if streams is not None:
            params["logStreamNames"] = streams
        if filter_pattern:
            params["filterPattern"] = filter_pattern
        if page_size is not None:
            params["limit"] = page_size
        seen: set[str] = set()
        while True:
            try:
                page = aws_call(
                    partial(client.filter_log_events, **params),
                    permission="logs:FilterLogEvents",
                    resource=f"log group {log_group!r}",
                    retry=retry,
                )
            except AwsError as exc:  # AWS's paging quirk: the last token can come back again
                if "same next token" in str(exc).lower():
                    break
                raise
            yield list(page.get("events") or [])
            token = page.get("nextToken")
            if not token or token in seen:
                break
            seen.add(token)
            params = {**params, "nextToken": token}


def load_cloudwatch(
    log_group: str,
    start: TimeLike,
    end: TimeLike,
    *,
    log_streams: str | Iterable[str] | None = None,
    filter_pattern: str | None = None,
    fields: str | Iterable[str] | None = None,
    errors: Errors = "quarantine",
    endpoint_url: str | None = None,
    region: str | None = None,
    profile: str | None = None,
    session: Any = None,
    page_size: int | None = None,
    max_attempts: int = 8,
    sleep: Callable[[float], None] = time.sleep,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Load VPC flow logs from a CloudWatch Logs log group, unenriched (see ``fk.read_cloudwatch``).

    Parameters
    ----------
    log_group : str
        The log group the flow log delivers to.
    start, end : time
        Query window (UTC if naive).  Events are fetched from ``start`` minus a margin (a record
        that started earlier can end inside the window) up to ``end``; then records whose capture
        window does not meet ``[start, end)`` are dropped.
    log_streams : str or list of str, optional
        Only these streams (network interface IDs, for example ``eni-0123...``).
    filter_pattern : str, optional
        A CloudWatch Logs filter pattern, applied by AWS (``"REJECT"``, ``'"443 6"'``, ...).
    fields : str or list of str, optional
        The record format (an AWS format string or names).  By default it is the ``LogFormat``
        of the flow logs delivering to ``log_group`` (``DescribeFlowLogs``), or the default
        format when none is found.
    errors : see :func:`flowkit.read`.
    endpoint_url, region, profile, session : optional
        Where and as whom to call AWS: an endpoint (a local or VPC endpoint), a Region, a named
        profile, or a ``boto3.Session`` (which wins over ``profile``).  By default boto3's
        standard credential chain and Region.
    page_size : int, optional
        Events per ``FilterLogEvents`` page (AWS's default and maximum is 10,000).
    max_attempts : int
        Tries per call when AWS throttles (``ThrottlingException``) or fails transiently; waits
        double from 0.25 s up to 20 s between tries, using ``sleep``.
    progress : bool, optional
        Show a progress bar of the events read (off by default).

    Returns
    -------
    pandas.DataFrame
        The columns of the format plus ``log_stream`` and ``ingestion_time`` (when AWS received
        the event).  ``df.attrs["flowkit"]["cloudwatch"]`` records the query, the format's
        origin, the pages and the events read.  An empty window gives an empty frame.

    Raises
    ------
    AwsCredentialsError, AwsAccessError, AwsNotFoundError, ThrottledError
        Missing credentials, a missing permission (``logs:FilterLogEvents``,
        ``ec2:DescribeFlowLogs``), a missing log group, or throttling after every retry.

    Examples
    --------
    >>> import flowkit as fk
    >>> df = load_cloudwatch("/vpc/flow-logs", "2024-06-09 08:00", "2024-06-09 09:00",
    ...                      region="us-east-1")  # doctest: +SKIP
    """
    lo, hi = time_window(start, end)
    if lo is None or hi is None:
        raise ValueError("a CloudWatch Logs read needs both start and end")
    retry = Retry(attempts=max_attempts, sleep=sleep)
    streams = [log_streams] if isinstance(log_streams, str) else log_streams
    streams = None if streams is None else list(streams)
    kw: dict[str, Any] = {"session": session, "profile": profile, "region": region}
    logs = aws_client("logs", endpoint_url=endpoint_url, **kw)
    if fields is not None:
        fmt, origin = parse_format(fields), "fields"
    else:
        ec2 = aws_client("ec2", endpoint_url=endpoint_url, **kw)
        found = flow_log_format(log_group, client=ec2, retry=retry)
        fmt, origin = (found, "DescribeFlowLogs") if found else (DEFAULT_FIELDS, "default")
    collector = Collector(fields=fmt)
    name = f"cloudwatch:{log_group}"
    start_ms = int((lo - MARGIN).timestamp() * 1000)
    end_ms = int(hi.timestamp() * 1000) - 1
    pages, events = 0, 0
    batch = Unwrapped("filter-log-events")
    with tqdm(unit="event", desc="flowkit.read_cloudwatch", disable=not progress) as bar:
        for page in filter_log_events(
            logs, log_group, start_ms, end_ms, log_streams=streams, filter_pattern=filter_pattern,
            page_size=page_size, retry=retry,
        ):  # fmt: skip
            pages += 1
            events += len(page)
            for ev in page:
                message = ev.get("message")
                if isinstance(message, str):
                    batch.add(message, ev.get("logStreamName"), ev.get("ingestionTime"))
                else:
                    batch.fail(json.dumps(ev, default=str)[:500], "event has no 'message' string")
            if len(batch.messages) >= BATCH_EVENTS:
                collector.add_container(name, batch)
                batch = Unwrapped("filter-log-events", events_seen=batch.events_seen)
            bar.update(len(page))
    if batch.messages or batch.problems:
        collector.add_container(name, batch)
    df = finish(collector, errors=errors, sources=[name])
    prov = provenance(df)
    prov["cloudwatch"] = {
        "log_group": log_group,
        "log_streams": None if streams is None else list(streams),
        "filter_pattern": filter_pattern,
        "start_ms": start_ms,
        "end_ms": end_ms,
        "format_from": origin,
        "pages": pages,
        "events": events,
    }
    return filter_time(df, lo, hi)
