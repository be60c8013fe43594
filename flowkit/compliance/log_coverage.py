"""Log coverage as evidence: per ENI and window, records, NODATA, SKIPDATA or nothing at all.

An auditor asks "is the logging complete for the period?".  :func:`coverage` answers per ENI
and time window, :func:`coverage_summary` gives a percentage per ENI, :func:`coverage_gaps` the
intervals without evidence, and :func:`missing_deliveries` the 5-minute delivery files missing
from each flow log's S3 sequence.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from flowkit.engine.protocol import run
from flowkit.errors import require_columns
from flowkit.sources.layout import parse_key
from flowkit.times import TimeLike, time_window, utc_or_none

#: The fields :func:`coverage` reads.
COVERAGE_NEEDS = ("interface_id", "log_status", "start", "end")

if TYPE_CHECKING:
    import dask.dataframe as dd

__all__ = [
    "STATUSES",
    "CoverageSpan",
    "coverage",
    "coverage_counts",
    "coverage_extent",
    "coverage_frame",
    "coverage_gaps",
    "coverage_span",
    "coverage_summary",
    "missing_deliveries",
]

#: Window statuses, worst evidence last: ``gap`` means no record at all (not even NODATA).
STATUSES: tuple[str, ...] = ("records", "nodata", "skipdata", "gap")


def _seconds(values: pd.Series) -> np.ndarray:
    return pd.to_datetime(values, utc=True).dt.as_unit("s").astype("int64").to_numpy()


def coverage(
    df: pd.DataFrame | dd.DataFrame,
    *,
    window: str = "5min",
    start: TimeLike = None,
    end: TimeLike = None,
    interfaces: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Per ENI and window: which evidence the flow log holds.

    ``status`` is ``records`` (traffic records), ``nodata`` (only NODATA: the ENI was idle),
    ``skipdata`` (AWS dropped records in the window: the log is incomplete there) or ``gap``
    (nothing at all: no record, no NODATA; absence of records is not absence of traffic).  A
    record counts in every window its capture interval [start, end] touches.

    Dask-capable: a Dask DataFrame gives the same table, from per-partition extents and
    counts (:func:`coverage_extent`, :func:`coverage_counts`, one pass over the files)
    combined exactly.

    Parameters
    ----------
    df : DataFrame or dask.dataframe.DataFrame
        Records with ``interface_id``, ``log_status``, ``start`` and ``end``.
    window : str
        Window length (pandas offset, default ``"5min"``).
    start, end : time, optional
        The audit period (UTC); default from the first to the last record.
    interfaces : list of str, optional
        ENIs to audit (e.g. all of the inventory's); default those in ``df``.  An ENI listed
        here without any record is a gap for the whole period.

    Returns
    -------
    DataFrame
        ``interface_id``, ``window_start`` (UTC), ``status`` (categorical of
        :data:`STATUSES`), ``records`` (OK records), ``nodata``, ``skipdata``; one row per ENI
        and window.

    Examples
    --------
    >>> import flowkit as fk
    >>> df = fk.parse_lines([
    ...     "2 1 eni-1 10.0.1.5 10.0.2.5 40000 443 6 10 840 1762041600 1762041630 ACCEPT OK",
    ...     "2 1 eni-1 - - - - - - - 1762042200 1762042230 - NODATA",
    ...     "2 1 eni-2 - - - - - - - 1762041600 1762041630 - SKIPDATA"], enrich=False)
    >>> cov = coverage(df, start="2025-11-02T00:00Z", end="2025-11-02T00:15Z")
    >>> cov.pivot(index="window_start", columns="interface_id", values="status").values.tolist()
    [['records', 'skipdata'], ['gap', 'gap'], ['nodata', 'gap']]
    """
    require_columns(df, COVERAGE_NEEDS, "fk.coverage")
    step = int(pd.Timedelta(window).total_seconds())
    if step <= 0:
        raise ValueError(f"window must be positive, got {window!r}")
    finish = partial(_coverage_of_parts, step=step, start=start, end=end, interfaces=interfaces)
    return run(df, _coverage_part, finish, step, start, end)


def _coverage_part(
    df: pd.DataFrame, step: int, start: TimeLike, end: TimeLike
) -> tuple[tuple[int | None, int | None, list[str]], pd.DataFrame]:
    return coverage_extent(df), coverage_counts(df, step, start, end)


def _coverage_of_parts(
    parts: list[tuple[tuple[int | None, int | None, list[str]], pd.DataFrame]],
    *,
    step: int,
    start: TimeLike,
    end: TimeLike,
    interfaces: Iterable[str] | None,
) -> pd.DataFrame:
    span = coverage_span([extent for extent, _ in parts], step, start, end, interfaces)
    return coverage_frame(span, [counts for _, counts in parts])


@dataclass(frozen=True)
class CoverageSpan:
    """The windows and ENIs of an audit: ``n_win`` windows of ``step`` seconds from ``first``."""

    first: int
    step: int
    n_win: int
    names: list[str]


def _evidence_rows(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["interface_id"].notna().to_numpy() & df["start"].notna().to_numpy()]


def coverage_extent(df: pd.DataFrame) -> tuple[int | None, int | None, list[str]]:
    """First start and last end (epoch seconds, None without records) and the ENIs of ``df``.

    Extents of several frames (Dask partitions) combine exactly in :func:`coverage_span`.
    """
    rows = _evidence_rows(df)
    s, e = _seconds(rows["start"]), _seconds(rows["end"].fillna(rows["start"]))
    names = sorted(set(rows["interface_id"].astype(str).unique()))
    return (int(s.min()) if len(s) else None, int(e.max()) if len(e) else None, names)


def coverage_span(
    extents: list[tuple[int | None, int | None, list[str]]],
    step: int,
    start: TimeLike,
    end: TimeLike,
    interfaces: Iterable[str] | None,
) -> CoverageSpan:
    """The audit's windows and ENIs from the :func:`coverage_extent` of one or more frames."""
    lows = [x[0] for x in extents if x[0] is not None]
    highs = [x[1] for x in extents if x[1] is not None]
    lo = utc_or_none(start) or pd.Timestamp(min(lows) if lows else 0, unit="s", tz="UTC")
    hi = utc_or_none(end) or pd.Timestamp(max(highs) + 1 if highs else 0, unit="s", tz="UTC")
    first = int(lo.timestamp()) // step * step
    n_win = max(0, -(-(int(hi.timestamp()) - first) // step))
    names = sorted(set(interfaces) if interfaces is not None else set())
    seen = {name for x in extents for name in x[2]}
    names += sorted(seen - set(names))
    return CoverageSpan(first=first, step=step, n_win=n_win, names=names)


def coverage_counts(
    df: pd.DataFrame, step: int, start: TimeLike = None, end: TimeLike = None
) -> pd.DataFrame:
    """OK, NODATA and SKIPDATA records of ``df`` per ENI and window (non-zero cells only).

    ``w`` is the window's start in epoch seconds divided by ``step``; only windows inside
    ``start``/``end`` (when given) count.  Counts of several frames (Dask partitions) add up
    exactly in :func:`coverage_frame`: they do not depend on the rest of the data.
    """
    rows = _evidence_rows(df)
    s, e = _seconds(rows["start"]), _seconds(rows["end"].fillna(rows["start"]))
    w0, w1 = s // step, e // step
    lo, hi = time_window(start, end)
    if lo is not None:
        w0 = np.maximum(w0, int(lo.timestamp()) // step)
    if hi is not None:
        w1 = np.minimum(w1, -(-int(hi.timestamp()) // step) - 1)
    eni, names = pd.factorize(rows["interface_id"].astype(str).to_numpy(), sort=True)
    keep = w1 >= w0
    span_w = (w1 - w0 + 1)[keep]
    rec_w = np.repeat(w0[keep], span_w) + (
        np.arange(span_w.sum()) - np.repeat(np.cumsum(span_w) - span_w, span_w)
    )
    rec_e = np.repeat(eni[keep], span_w).astype(np.int64)
    status = np.repeat(rows["log_status"].astype(object).to_numpy()[keep], span_w)
    base = int(rec_w.min()) if len(rec_w) else 0
    width = int(rec_w.max()) - base + 1 if len(rec_w) else 1
    cells, cell = np.unique(rec_e * width + (rec_w - base), return_inverse=True)
    out = {"interface_id": np.asarray(names, dtype=object)[cells // width],
           "w": cells % width + base}  # fmt: skip
    for name, code in (("records", "OK"), ("nodata", "NODATA"), ("skipdata", "SKIPDATA")):
        out[name] = np.bincount(cell[status == code], minlength=len(cells)).astype(np.int64)
    return pd.DataFrame(out)


def coverage_frame(span: CoverageSpan, counts: list[pd.DataFrame]) -> pd.DataFrame:
    """The :func:`coverage` table from the :func:`coverage_counts` of one or more frames."""
    names, n_win = span.names, span.n_win
    shape = (len(names), n_win)
    both = pd.concat(counts, ignore_index=True) if len(counts) != 1 else counts[0]
    eni = pd.Index(names).get_indexer(pd.Index(both["interface_id"].astype(str)))
    w = both["w"].to_numpy(np.int64) - span.first // span.step
    inside = (w >= 0) & (w < n_win) & (eni >= 0)
    flat = (eni.astype(np.int64) * n_win + w)[inside]
    dense = {}
    for name in ("records", "nodata", "skipdata"):
        total = np.zeros(shape[0] * shape[1], dtype=np.int64)
        np.add.at(total, flat, both[name].to_numpy(np.int64)[inside])
        dense[name] = total.reshape(shape)
    state = np.full(shape, 3, dtype=np.int8)
    state[dense["nodata"] > 0] = 1
    state[dense["records"] > 0] = 0
    state[dense["skipdata"] > 0] = 2
    first, step = span.first, span.step
    starts = pd.date_range(pd.Timestamp(first, unit="s", tz="UTC"), periods=n_win, freq=f"{step}s")
    return pd.DataFrame({
        "interface_id": np.repeat(np.array(names, dtype=object), n_win),
        "window_start": np.tile(starts, len(names)) if n_win else pd.DatetimeIndex([], tz="UTC"),
        "status": pd.Categorical.from_codes(state.ravel(), categories=pd.Index(STATUSES)),
        "records": dense["records"].ravel(), "nodata": dense["nodata"].ravel(),
        "skipdata": dense["skipdata"].ravel(),
    })  # fmt: skip


def coverage_summary(cov: pd.DataFrame) -> pd.DataFrame:
    """Per ENI: windows per status and ``coverage_pct`` (windows with records or NODATA).

    SKIPDATA windows and gaps are not covered: the evidence there is incomplete or absent.

    Examples
    --------
    >>> cov = pd.DataFrame({"interface_id": ["eni-1"] * 4,
    ...     "status": pd.Categorical(["records", "nodata", "gap", "skipdata"],
    ...                              categories=list(STATUSES))})
    >>> coverage_summary(cov)
      interface_id  windows  records  nodata  skipdata  gap  coverage_pct
    0        eni-1        4        1       1         1    1          50.0
    """
    counts = pd.crosstab(cov["interface_id"], cov["status"], dropna=False)
    counts = counts.reindex(columns=list(STATUSES), fill_value=0).astype("int64")
    counts.columns = list(STATUSES)
    total = counts.sum(axis=1)
    out = counts.assign(windows=total)
    out["coverage_pct"] = (100.0 * (out["records"] + out["nodata"]) / total.where(total > 0)).round(
        2
    )
    out = out.rename_axis("interface_id").reset_index()
    return out[["interface_id", "windows", *STATUSES, "coverage_pct"]]


def coverage_gaps(
    cov: pd.DataFrame, *, statuses: Iterable[str] = ("gap", "skipdata")
) -> pd.DataFrame:
    """Runs of consecutive windows without full evidence, per ENI: ``start``, ``end``, minutes.

    Examples
    --------
    >>> t = pd.date_range("2026-11-03T10:00Z", periods=5, freq="5min")
    >>> cov = pd.DataFrame({"interface_id": "eni-1", "window_start": t,
    ...                     "status": ["records", "gap", "gap", "records", "skipdata"]})
    >>> gaps = coverage_gaps(cov)
    >>> gaps[["status", "minutes"]].values.tolist(), str(gaps["start"][0])
    ([['gap', 10.0], ['skipdata', 5.0]], '2026-11-03 10:05:00+00:00')
    """
    c = cov.sort_values(["interface_id", "window_start"]).reset_index(drop=True)
    step = c["window_start"].diff().where(c["interface_id"].eq(c["interface_id"].shift()))
    width = step.dropna().min() if step.notna().any() else pd.Timedelta("5min")
    bad = c["status"].astype(str).isin(list(statuses))
    new_run = (
        ~c["interface_id"].eq(c["interface_id"].shift())
        | ~c["status"].astype(str).eq(c["status"].astype(str).shift())
        | (step != width)
    )
    run = new_run.cumsum()
    sel = c[bad.to_numpy()].assign(run=run[bad.to_numpy()])
    out = sel.groupby("run").agg(interface_id=("interface_id", "first"),
                                 status=("status", "first"), start=("window_start", "min"),
                                 end=("window_start", "max"))  # fmt: skip
    out["end"] = out["end"] + width
    out["status"] = out["status"].astype(str)
    out["minutes"] = (out["end"] - out["start"]).dt.total_seconds() / 60
    return out.reset_index(drop=True)


def missing_deliveries(
    files: Iterable[str] | pd.DataFrame,
    *,
    start: TimeLike = None,
    end: TimeLike = None,
    every: str = "5min",
) -> pd.DataFrame:
    """Per flow log, the delivery windows with no file in the S3 sequence.

    S3 delivery writes one file per flow log per 5-minute window (per account and region); a
    missing window is a hole in the evidence (deleted object, failed delivery, lifecycle rule).

    Parameters
    ----------
    files : list of paths, or DataFrame from :func:`flowkit.read`
        Object keys or file paths in the AWS layout; a frame's ``attrs["flowkit"]["sources"]``.
    start, end : time, optional
        The audit period; default from each flow log's first to its last file.
    every : str
        Delivery interval.

    Returns
    -------
    DataFrame
        ``flow_log_id``, ``account``, ``region``, ``window_start`` (UTC): one row per missing file.

    Examples
    --------
    >>> keys = [f"AWSLogs/1/vpcflowlogs/us-east-1/2026/11/02/1_vpcflowlogs_us-east-1_fl-1_"
    ...         f"20261102T00{m:02d}Z_ab.log.gz" for m in (0, 5, 15)]
    >>> missing_deliveries(keys)[["flow_log_id", "window_start"]]
      flow_log_id              window_start
    0        fl-1 2026-11-02 00:10:00+00:00
    """
    paths = (
        files.attrs.get("flowkit", {}).get("sources", [])
        if isinstance(files, pd.DataFrame)
        else list(files)
    )
    infos = [parse_key(str(p)) for p in paths]  # one per file, not per record
    seen = pd.DataFrame(
        [(i.flow_log_id, i.account, i.region, i.file_time) for i in infos if i.flow_log_id],
        columns=["flow_log_id", "account", "region", "window_start"],
    )
    cols = ["flow_log_id", "account", "region", "window_start"]
    if seen.empty:
        return pd.DataFrame(columns=cols)
    seen["window_start"] = pd.to_datetime(seen["window_start"], utc=True).dt.floor(every)
    lo, hi = time_window(start, end)
    parts = []
    for (fl, acct, region), grp in seen.groupby(["flow_log_id", "account", "region"]):
        first = lo.floor(every) if lo is not None else grp["window_start"].min()
        last = hi - pd.Timedelta(every) if hi is not None else grp["window_start"].max()
        expected = pd.date_range(first, last.ceil(every) if hi is not None else last, freq=every)
        if hi is not None:
            expected = expected[expected < hi]
        gone = expected.difference(pd.DatetimeIndex(grp["window_start"]))
        parts.append(pd.DataFrame({"flow_log_id": fl, "account": acct, "region": region,
                                   "window_start": gone}))  # fmt: skip
    return pd.concat(parts, ignore_index=True)[cols]
