"""The pandas loader: every place AWS delivers flow logs (files, folders, globs, ``s3://``),
into one typed frame with its provenance and quarantine, before enrichment.

:func:`flowkit.read` (:mod:`flowkit.reader`) is the entry point over it: it enriches the frame
and dispatches to the Dask engine (:mod:`flowkit.engine.dask.read`), whose partitions are
loaded here too.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from typing import Any, TypedDict

import pandas as pd
from tqdm.auto import tqdm

from flowkit.errors import FlowkitWarning
from flowkit.parse import Collector, Errors, RecordType, finish
from flowkit.schema import parse_format
from flowkit.sources.discovery import find_files, not_read_warning
from flowkit.sources.local import feed_files
from flowkit.sources.s3 import feed_s3, is_s3_url
from flowkit.times import TimeLike, filter_time, time_window

__all__ = ["NO_AWS", "AwsOptions", "Source", "load_records"]

#: What :func:`load_records` and :func:`flowkit.read` take as a source.
Source = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]


class AwsOptions(TypedDict):
    """How :func:`read` reads an ``s3://`` source (see :func:`flowkit.sources.s3.feed_s3`)."""

    accounts: str | Iterable[str] | None
    regions: str | Iterable[str] | None
    endpoint_url: str | None
    profile: str | None
    session: Any
    cache_dir: str | os.PathLike[str] | None


NO_AWS = AwsOptions(accounts=None, regions=None, endpoint_url=None, profile=None, session=None,
                     cache_dir=None)  # fmt: skip


def load_records(
    source: Source,
    *,
    fields: str | Iterable[str] | None,
    start: TimeLike,
    end: TimeLike,
    errors: Errors,
    record_type: RecordType,
    progress: bool | None,
    aws: AwsOptions | None = None,
    listed: bool = False,
    stacklevel: int = 2,
) -> pd.DataFrame:
    """The pandas loader: the typed records of a source, before enrichment.

    Files, folders, globs and ``s3://`` sources are found (only the files of the
    ``start``/``end`` window are read), parsed into one frame with its provenance and
    quarantine (:func:`flowkit.parse.finish`), and cut to the window.  ``listed``: ``source``
    is a list of files already found (read as is).  Warnings (files found but not read) point
    ``stacklevel`` frames up, counted from the caller of this function.  :func:`flowkit.read`
    is the entry point over it (enrichment, the engines).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.log").write_bytes(
    ...     b"2 123456789010 eni-1 192.0.2.1 198.51.100.2 1 2 6 1 40 1 2 ACCEPT OK\\n")
    >>> df = load_records(folder, fields=None, start=None, end=None, errors="quarantine",
    ...                   record_type="vpc", progress=False)
    >>> df.shape, df.attrs["flowkit"]["totals"]["records"]
    ((1, 14), 1)
    """
    lo, hi = time_window(start, end)
    fmt = parse_format(fields) if fields is not None else None
    collector = Collector(fields=fmt, record_type=record_type)
    objects: list[dict[str, object]] | None = None
    not_read: dict[str, str] = {}  # every path found but not read, with the reason
    if is_s3_url(source):  # S3: list only the window's keys, fetch them in parallel
        objects = feed_s3(collector, source, start=None if lo is None else lo.to_pydatetime(),
                          end=None if hi is None else hi.to_pydatetime(), progress=progress,
                          not_read=not_read, **(aws or NO_AWS))  # fmt: skip
        paths = [str(o["url"]) for o in objects]
    else:
        if aws and any(v is not None for v in aws.values()):
            raise ValueError(f"{', '.join(k for k, v in aws.items() if v is not None)} "
                             "apply to s3:// sources only")  # fmt: skip
        if listed:
            paths = [os.fspath(p) for p in source]  # type: ignore[union-attr]
        else:
            found = find_files(
                source,
                start=None if lo is None else lo.to_pydatetime(),
                end=None if hi is None else hi.to_pydatetime(),
            )
            paths, not_read = found.paths, found.not_read
        show = progress if progress is not None else len(paths) > 200
        with tqdm(total=len(paths), unit="file", desc="flowkit.read", disable=not show) as bar:
            feed_files(collector, paths, on_file=lambda _: bar.update())
    df = finish(collector, errors=errors, sources=paths)
    if objects is not None:
        df.attrs["flowkit"]["objects"] = objects
    df.attrs["flowkit"]["not_read"] = dict(sorted(not_read.items()))
    if (message := not_read_warning(not_read)) is not None:
        warnings.warn(message, FlowkitWarning, stacklevel=stacklevel + 1)
    return filter_time(df, lo, hi)
