"""Load: throughput series, top talkers and conversations, weekly pattern, saturation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from flowkit.engine.protocol import run
from flowkit.enrich.dedupe_copies import DedupeFacts, dedupe
from flowkit.errors import require_columns
from flowkit.perf.frames import (
    address_names,
    host_codes,
    packet_hosts,
    traffic_records,
    whole_frame_dedupe_facts,
)

__all__ = [
    "conversations_finish",
    "conversations_part",
    "hour_of_week",
    "hour_of_week_counts",
    "saturation_candidates",
    "talkers_finish",
    "talkers_part",
    "throughput",
    "throughput_counts",
    "throughput_rates",
    "top_conversations",
    "top_talkers",
]

if TYPE_CHECKING:
    import dask.dataframe as dd

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: The additive part of :func:`top_talkers`: per-host sums, distinct (host, peer) pairs.
TalkerPart = tuple[pd.DataFrame, pd.DataFrame]


def throughput(
    df: pd.DataFrame | dd.DataFrame, *, by: str | None = "interface_id", freq: str = "1h"
) -> pd.DataFrame:
    """Bytes, packets and flow records per time bin, and the rates they mean.

    Dask-capable: a Dask DataFrame (``fk.read(..., engine="dask")``) gives the same frame,
    computed from per-partition counts (:func:`throughput_counts`) summed exactly.

    Parameters
    ----------
    df : DataFrame or dask.dataframe.DataFrame
        Flow records.
    by : str, optional
        Column to split by: ``interface_id``, ``eni_name``, ``eni_instance_id``,
        ``eni_subnet_id``, ``eni_az_id``, ``instance_id``, ``subnet_id``, ``az_id``...; None
        for one series.
    freq : str
        Bin width, a pandas offset (``"1min"``, ``"5min"``, ``"1h"``).

    Returns
    -------
    DataFrame
        ``time`` (bin start, UTC), ``by``, ``bytes``, ``packets``, ``flows`` (records),
        ``bytes_per_s``, ``bits_per_s``, ``packets_per_s``; sorted by time then ``by``.  Bins
        without traffic are absent.

    Examples
    --------
    >>> import flowkit as fk
    >>> df = fk.parse_lines([
    ...     "2 1 eni-a 10.0.0.5 10.0.1.6 50000 5432 6 6 3600 1700000000 1700000060 ACCEPT OK",
    ...     "2 1 eni-a 10.0.0.5 10.0.1.6 50001 5432 6 6 3600 1700000100 1700000160 ACCEPT OK"])
    >>> out = throughput(df, freq="1h")
    >>> out[["interface_id", "bytes", "flows", "bytes_per_s"]].to_dict("records")
    [{'interface_id': 'eni-a', 'bytes': 7200, 'flows': 2, 'bytes_per_s': 2.0}]
    """
    require_columns(
        df, [*([by] if by is not None else []), "start", "bytes", "packets"], "fk.throughput"
    )
    return run(df, partial(throughput_counts, by=by, freq=freq),
               partial(throughput_rates, by=by, freq=freq))  # fmt: skip


def throughput_counts(df: pd.DataFrame, *, by: str | None, freq: str) -> pd.DataFrame:
    """The additive part of :func:`throughput`: bytes, packets and records per bin and ``by``.

    Counts of several frames (e.g. Dask partitions) combine exactly in :func:`throughput_rates`.
    """
    d = traffic_records(df)
    keys = [by] if by is not None else []
    frame = pd.DataFrame({
        "time": d["start"].dt.floor(freq),
        **{k: d[k].astype(object) for k in keys},
        "bytes": d["bytes"].astype("float64"), "packets": d["packets"].astype("float64"),
    })  # fmt: skip
    return frame.groupby(["time", *keys], sort=True).agg(
        bytes=("bytes", "sum"), packets=("packets", "sum"), flows=("bytes", "size")
    ).reset_index()  # fmt: skip


def throughput_rates(counts: list[pd.DataFrame], *, by: str | None, freq: str) -> pd.DataFrame:
    """Sum the :func:`throughput_counts` of one or more frames and add the rates."""
    keys = [by] if by is not None else []
    frame = pd.concat(counts, ignore_index=True) if len(counts) != 1 else counts[0]
    out = frame.groupby(["time", *keys], sort=True).agg(
        bytes=("bytes", "sum"), packets=("packets", "sum"), flows=("flows", "sum")
    ).reset_index()  # fmt: skip
    seconds = pd.Timedelta(freq).total_seconds()
    out["bytes"] = out["bytes"].astype("int64")
    out["packets"] = out["packets"].astype("int64")
    out["flows"] = out["flows"].astype("int64")
    out["bytes_per_s"] = out["bytes"] / seconds
    out["bits_per_s"] = out["bytes_per_s"] * 8
    out["packets_per_s"] = out["packets"] / seconds
    return out


def top_talkers(df: pd.DataFrame | dd.DataFrame, *, n: int = 10) -> pd.DataFrame:
    """The hosts that send and receive the most bytes, each byte counted once.

    Returns ``host``, ``name`` (the ENI name when enriched with an inventory; ``AWS S3`` and
    such for an AWS address: :func:`~flowkit.perf.frames.address_names`), ``bytes_sent``,
    ``bytes_received``, ``bytes``, ``packets`` and ``peers`` (distinct hosts talked to), the
    ``n`` largest by ``bytes``.  See the module example.

    Dask-capable: the facts :func:`flowkit.dedupe` learns from the whole frame are computed per
    partition and merged (:func:`flowkit.enrich.dedupe_facts`), each partition is
    de-duplicated with them, and the per-host sums and host pairs are added up exactly.
    """
    require_columns(df, ("srcaddr", "dstaddr", "bytes", "packets"), "fk.top_talkers")
    return run(df, _named_talkers, partial(_talkers_of_named, n=n), whole_frame_dedupe_facts(df))


def talkers_part(df: pd.DataFrame, facts: DedupeFacts | None = None) -> TalkerPart:
    """The additive part of :func:`top_talkers`: per-host sums and the distinct host pairs of
    the de-duplicated records (``facts``: those of the whole frame ``df`` is part of)."""
    d = traffic_records(dedupe(traffic_records(df), facts=facts))
    src, dst = packet_hosts(d)
    nbytes = d["bytes"].to_numpy("int64")
    pkts = d["packets"].to_numpy("int64", na_value=0)
    both = pd.DataFrame({
        "host": np.concatenate([src, dst]), "peer": np.concatenate([dst, src]),
        "bytes_sent": np.concatenate([nbytes, np.zeros_like(nbytes)]),
        "bytes_received": np.concatenate([np.zeros_like(nbytes), nbytes]),
        "packets": np.concatenate([pkts, pkts]),
    }).dropna(subset=["host"])  # fmt: skip
    sums = both.groupby("host")[["bytes_sent", "bytes_received", "packets"]].sum()
    return sums, both[["host", "peer"]].dropna().drop_duplicates()


def talkers_finish(
    parts: Sequence[TalkerPart], names: Sequence[Mapping[str, str]], *, n: int
) -> pd.DataFrame:
    """:func:`top_talkers` from the parts of one or more frames and their ENI names."""
    sums = pd.concat([p[0] for p in parts]).groupby("host").sum()
    pairs = pd.concat([p[1] for p in parts]).drop_duplicates()
    out = sums.assign(peers=pairs.groupby("host").size()).reset_index()
    out["peers"] = out["peers"].fillna(0).astype("int64")
    out["bytes"] = out["bytes_sent"] + out["bytes_received"]
    out["name"] = out["host"].map(_first_names(names)).astype(object)
    out = out.sort_values(["bytes", "host"], ascending=[False, True]).head(n)
    cols = ["host", "name", "bytes_sent", "bytes_received", "bytes", "packets", "peers"]
    return out[cols].reset_index(drop=True)


def _first_names(names: Sequence[Mapping[str, str]]) -> dict[str, str]:
    """The name maps of consecutive frames as one (the first frame naming an address wins)."""
    merged: dict[str, str] = {}
    for part in reversed(names):
        merged.update(part)
    return merged


def top_conversations(df: pd.DataFrame | dd.DataFrame, *, n: int = 10) -> pd.DataFrame:
    """The host pairs exchanging the most bytes (both directions, each byte counted once).

    Returns ``host_a``, ``host_b`` (ordered as text), ``name_a``, ``name_b``, ``protocol``,
    ``bytes_a_to_b``, ``bytes_b_to_a``, ``bytes``, ``packets``, ``records``, ``first_seen``,
    ``last_seen``; the ``n`` largest by ``bytes``.  Dask-capable (see :func:`top_talkers`).

    Examples
    --------
    >>> import flowkit as fk
    >>> fmt = "interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end "
    >>> fmt += "flow-direction"
    >>> df = fk.parse_lines([fmt,
    ...     "eni-a 10.0.0.5 10.0.1.6 50000 5432 6 5 500 1700000000 1700000060 egress",
    ...     "eni-a 10.0.1.6 10.0.0.5 5432 50000 6 9 9000 1700000000 1700000060 ingress",
    ...     "eni-b 10.0.0.5 10.0.1.6 50000 5432 6 5 500 1700000000 1700000060 ingress",
    ...     "eni-b 10.0.1.6 10.0.0.5 5432 50000 6 9 9000 1700000000 1700000060 egress"])
    >>> top = top_conversations(df)
    >>> top[["host_a", "host_b", "bytes_a_to_b", "bytes_b_to_a"]].to_dict("records")
    [{'host_a': '10.0.0.5', 'host_b': '10.0.1.6', 'bytes_a_to_b': 500, 'bytes_b_to_a': 9000}]
    """
    require_columns(
        df,
        ("srcaddr", "dstaddr", "protocol", "bytes", "packets", "start", "end"),
        "fk.top_conversations",
    )
    return run(df, _named_conversations, partial(_conversations_of_named, n=n),
               whole_frame_dedupe_facts(df))  # fmt: skip


def conversations_part(df: pd.DataFrame, facts: DedupeFacts | None = None) -> pd.DataFrame:
    """The additive part of :func:`top_conversations`: sums, counts, first and last times per
    host pair and protocol of the de-duplicated records (``facts`` as for
    :func:`talkers_part`)."""
    d = traffic_records(dedupe(traffic_records(df), facts=facts))
    uniques, s, t = host_codes(*packet_hosts(d))
    forward = s <= t
    nbytes = d["bytes"].to_numpy("int64")
    frame = pd.DataFrame({
        "host_a": np.where(forward, s, t), "host_b": np.where(forward, t, s),
        "protocol": d["protocol"].to_numpy("int64", na_value=-1),
        "bytes_a_to_b": np.where(forward, nbytes, 0), "bytes_b_to_a": np.where(forward, 0, nbytes),
        "packets": d["packets"].to_numpy("int64", na_value=0),
        "start": d["start"], "end": d["end"],
    }, index=d.index)  # fmt: skip
    frame = frame[(frame["host_a"] >= 0) & (frame["host_b"] >= 0)]
    out = frame.groupby(["host_a", "host_b", "protocol"]).agg(
        bytes_a_to_b=("bytes_a_to_b", "sum"), bytes_b_to_a=("bytes_b_to_a", "sum"),
        packets=("packets", "sum"), records=("packets", "size"),
        first_seen=("start", "min"), last_seen=("end", "max"),
    ).reset_index()  # fmt: skip
    out["host_a"] = uniques[out["host_a"].to_numpy()]
    out["host_b"] = uniques[out["host_b"].to_numpy()]
    return out


def conversations_finish(
    parts: Sequence[pd.DataFrame], names: Sequence[Mapping[str, str]], *, n: int
) -> pd.DataFrame:
    """:func:`top_conversations` from the parts of one or more frames and their ENI names."""
    out = pd.concat(parts, ignore_index=True) if len(parts) != 1 else parts[0]
    if len(parts) != 1:
        out = out.groupby(["host_a", "host_b", "protocol"]).agg(
            bytes_a_to_b=("bytes_a_to_b", "sum"), bytes_b_to_a=("bytes_b_to_a", "sum"),
            packets=("packets", "sum"), records=("records", "sum"),
            first_seen=("first_seen", "min"), last_seen=("last_seen", "max"),
        ).reset_index()  # fmt: skip
    out["bytes"] = out["bytes_a_to_b"] + out["bytes_b_to_a"]
    merged = _first_names(names)
    out["name_a"] = out["host_a"].map(merged).astype(object)
    out["name_b"] = out["host_b"].map(merged).astype(object)
    out = out.sort_values(["bytes", "host_a", "host_b"], ascending=[False, True, True]).head(n)
    cols = ["host_a", "host_b", "name_a", "name_b", "protocol", "bytes_a_to_b", "bytes_b_to_a",
            "bytes", "packets", "records", "first_seen", "last_seen"]  # fmt: skip
    return out[cols].reset_index(drop=True)


def hour_of_week(df: pd.DataFrame | dd.DataFrame, *, value: str = "flows") -> pd.DataFrame:
    """Flow records (``value="flows"``) or bytes (``"bytes"``) per weekday and UTC hour.

    Returns a 7 x 24 table: index ``Mon``..``Sun``, columns hours 0..23 (sums over the period).
    Dask-capable: the tables of the partitions (:func:`hour_of_week_counts`) are added up.

    Examples
    --------
    >>> import flowkit as fk
    >>> df = fk.parse_lines(["2 1 eni-a 10.0.0.5 10.0.1.6 50000 443 6 1 60 1700000000 1700000060 "
    ...                      "ACCEPT OK"])  # Tuesday 2023-11-14 22:13 UTC
    >>> table = hour_of_week(df)
    >>> table.shape, int(table.loc["Tue", 22]), int(table.to_numpy().sum())
    ((7, 24), 1, 1)
    """
    require_columns(df, ["start", *([value] if value != "flows" else [])], "fk.hour_of_week")
    if value not in ("flows", "bytes"):
        raise ValueError(f"value must be 'flows' or 'bytes', not {value!r}")
    return run(df, partial(hour_of_week_counts, value=value), _added_tables)


def hour_of_week_counts(df: pd.DataFrame, *, value: str) -> pd.DataFrame:
    """The :func:`hour_of_week` table of one frame; tables of several frames add up exactly."""
    d = traffic_records(df)
    weights = np.ones(len(d)) if value == "flows" else d["bytes"].to_numpy("float64")
    frame = pd.DataFrame(
        {
            "day": d["start"].dt.day_of_week.to_numpy(),
            "hour": d["start"].dt.hour.to_numpy(),
            "w": weights,
        }
    )
    table = frame.pivot_table(index="day", columns="hour", values="w", aggfunc="sum", fill_value=0)
    table = table.reindex(index=range(7), columns=range(24), fill_value=0).astype("int64")
    table.index = pd.Index(_DAYS, name="day")
    table.columns = pd.Index(range(24), name="hour")
    return table


def _named_talkers(
    df: pd.DataFrame, facts: DedupeFacts | None
) -> tuple[TalkerPart, dict[str, str]]:
    return talkers_part(df, facts), address_names(df)


def _talkers_of_named(parts: list[tuple[TalkerPart, dict[str, str]]], *, n: int) -> pd.DataFrame:
    return talkers_finish([p for p, _ in parts], [names for _, names in parts], n=n)


def _named_conversations(
    df: pd.DataFrame, facts: DedupeFacts | None
) -> tuple[pd.DataFrame, dict[str, str]]:
    return conversations_part(df, facts), address_names(df)


def _conversations_of_named(
    parts: list[tuple[pd.DataFrame, dict[str, str]]], *, n: int
) -> pd.DataFrame:
    return conversations_finish([p for p, _ in parts], [names for _, names in parts], n=n)


def _added_tables(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """The :func:`hour_of_week` tables of several parts, added up."""
    total = tables[0]
    for table in tables[1:]:
        total = total + table
    return total


def saturation_candidates(
    df: pd.DataFrame | dd.DataFrame,
    *,
    bandwidth_gbps: float | Mapping[str, float],
    threshold: float = 0.8,
    freq: str = "1min",
    by: str = "interface_id",
) -> pd.DataFrame:
    """ENIs whose peak throughput came near their bandwidth.

    Dask-capable: it reads the records only through :func:`throughput`.

    Parameters
    ----------
    bandwidth_gbps : float or mapping
        Bandwidth of every ENI, or per ``by`` value (missing ones are skipped), in Gbit/s.
    threshold : float
        Share of the bandwidth that makes a candidate.
    freq : str
        Bin width for the peak (at least the aggregation interval; ``"1min"`` on Nitro).

    Returns
    -------
    DataFrame
        ``by``, ``peak_time``, ``peak_bits_per_s``, ``bandwidth_bits_per_s``, ``utilisation``
        (peak over bandwidth), ``bins_over`` (bins above the threshold); candidates only,
        sorted by utilisation.  In and out bytes are summed (an upper bound per direction).

    Examples
    --------
    >>> import flowkit as fk
    >>> df = fk.parse_lines([
    ...     "2 1 eni-a 10.0.0.5 10.0.1.6 50000 443 6 9 7000000 1700000000 1700000060 ACCEPT OK",
    ...     "2 1 eni-b 10.0.0.6 10.0.1.6 50000 443 6 9 70000 1700000000 1700000060 ACCEPT OK"])
    >>> out = saturation_candidates(df, bandwidth_gbps=0.001, threshold=0.5)
    >>> out[["interface_id", "utilisation", "bins_over"]].round(3).to_dict("records")
    [{'interface_id': 'eni-a', 'utilisation': 0.933, 'bins_over': 1}]
    """
    rates = throughput(df, by=by, freq=freq)
    if isinstance(bandwidth_gbps, Mapping):
        limit = rates[by].map(dict(bandwidth_gbps)).astype("float64") * 1e9
    else:
        limit = pd.Series(float(bandwidth_gbps) * 1e9, index=rates.index)
    rates = rates.assign(limit=limit, share=rates["bits_per_s"] / limit).dropna(subset=["limit"])
    peaks = rates.sort_values(["share", "time"], ascending=[False, True]).drop_duplicates(by)
    over = rates[rates["share"] >= threshold].groupby(by).size()
    out = pd.DataFrame({
        by: peaks[by].to_numpy(), "peak_time": peaks["time"].to_numpy(),
        "peak_bits_per_s": peaks["bits_per_s"].to_numpy(),
        "bandwidth_bits_per_s": peaks["limit"].to_numpy(), "utilisation": peaks["share"].to_numpy(),
    })  # fmt: skip
    out["bins_over"] = out[by].map(over).fillna(0).astype("int64")
    out = out[out["utilisation"] >= threshold]
    return out.sort_values(["utilisation", by], ascending=[False, True]).reset_index(drop=True)
