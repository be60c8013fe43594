"""The analytics on Dask frames: the pandas engine's exact results, from per-partition parts.

A partition of ``fk.read(..., engine="dask")`` is a group of files, so records that the pandas
functions match with each other (the two ENIs' copies of one connection, the instance's and
the NAT gateway's) may sit in different partitions.  Mapping a pandas function over the
partitions and adding the results up is therefore wrong in general.  Each function here runs
the pandas engine's own code in two or three steps instead:

1. every partition is reduced, in one pass over its files, to a keyed partial result whose
   combination is exact (sums, counts, minimum, maximum, logical and, on the full key), plus
   the small facts of the whole frame that the result depends on (the audit period and the
   ENIs seen; the addresses and the interfaces that translate addresses), combined exactly
   too (minimum, maximum, union);
2. the partial results are combined and finished by the same pandas code that the pandas
   engine runs on its one frame's part: records matched across partitions (copies of one flow
   on two ENIs, a NAT's untranslated leg) meet there.  Who is the client of a record is the
   enrichment's (the read oriented every partition with the facts of all of them), or, for a
   raw frame, the one orientation model's with those facts (one more pass).

Nothing is computed twice by different code: the pandas functions are themselves written as
"parts, then finish" (:func:`flowkit.perf.traffic.throughput_counts`,
:func:`flowkit.compliance.log_coverage.coverage_counts`,
:func:`flowkit.detect.view_parts.view_part`).

Dask-capable functions (they take a ``dask.dataframe.DataFrame`` wherever they take a pandas
one, and return pandas results): :func:`flowkit.throughput` and
:func:`flowkit.saturation_candidates` (which reads records only through it),
:func:`flowkit.hour_of_week`,
:func:`flowkit.coverage` (so :func:`flowkit.coverage_summary` and :func:`flowkit.coverage_gaps`
of its result), :func:`flowkit.hunt`, every ``fk.find_*`` detection,
:func:`flowkit.detect.build_view`, :func:`flowkit.top_talkers`,
:func:`flowkit.top_conversations` and :func:`flowkit.estimate_cost`.  Work runs where Dask's
current scheduler runs it (the current ``dask.distributed`` client, else local threads).

Top talkers and conversations count each byte once (:func:`flowkit.dedupe`), which takes facts
of the whole frame (each ENI's own address, the ENIs that translate addresses, the addresses
logged by a workload ENI, the peers and services they logged): the direction facts are the
ones the read settled and left with the frame (a pass computes them only for a frame that
does not carry them), the rest is computed per partition and merged exactly
(:func:`dedupe_facts_dask`), then every partition is de-duplicated with the merged facts and
reduced to per-host sums, which add up exactly.  The cost estimate merges its facts the same
way (:func:`flowkit.cost.vantage.vantage_facts`), but
which ENI's record of a packet flow counts is decided by comparing the flow's records: the
records are shuffled by packet flow first (:func:`estimate_cost_dask`).  Each pass reads the
partitions again: ``ddf.persist()`` first if they fit in the cluster's memory.

Not Dask-capable: :func:`flowkit.classify_transfer` (one row per record) and
:func:`flowkit.recommend_savings`.  They raise a ``TypeError`` on a Dask frame that names the
alternative: compute (the columns they read) first.

Examples
--------
>>> import dask, flowkit as fk, pandas as pd
>>> import dask.dataframe as dd
>>> df = fk.parse_lines([
...     "2 1 eni-a 10.0.0.5 10.0.1.6 50000 5432 6 6 3600 1700000000 1700000060 ACCEPT OK",
...     "2 1 eni-b 10.0.0.5 10.0.1.6 50001 5432 6 6 3600 1700000100 1700000160 ACCEPT OK"])
>>> ddf = dd.from_pandas(df, npartitions=2)
>>> with dask.config.set(scheduler="sync"):
...     pd.testing.assert_frame_equal(fk.throughput(ddf), fk.throughput(df))
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

from flowkit.compliance.log_coverage import (
    coverage_counts,
    coverage_extent,
    coverage_frame,
    coverage_span,
)
from flowkit.cost.classify import classify_transfer
from flowkit.cost.estimate import Extent, cost_finish, cost_part
from flowkit.cost.prices import PriceTable
from flowkit.cost.vantage import VantageFacts, bare, flow_key, merge_vantage_facts, vantage_facts
from flowkit.engine_dask_gather import each as _each
from flowkit.engine_dask_gather import fold
from flowkit.enrich.dedupe_copies import DedupeFacts, dedupe_facts, merge_dedupe_facts
from flowkit.enrich.direction import direction_facts
from flowkit.enrich.facts import DirectionFacts, frame_facts, merge_direction_facts
from flowkit.enrich.sides import SIDE_COLUMNS
from flowkit.perf.frames import address_names, traffic_records
from flowkit.perf.traffic import (
    TalkerPart,
    conversations_finish,
    conversations_part,
    hour_of_week_counts,
    talkers_finish,
    talkers_part,
    throughput_counts,
    throughput_rates,
)

if TYPE_CHECKING:
    import dask.dataframe as dd

    from flowkit.detect.view import View
    from flowkit.detect.view_parts import ViewPart

__all__ = [
    "build_view_dask",
    "coverage_dask",
    "dedupe_facts_dask",
    "estimate_cost_dask",
    "hour_of_week_dask",
    "throughput_dask",
    "top_conversations_dask",
    "top_talkers_dask",
]

TimeLike = Any


def throughput_dask(ddf: dd.DataFrame, *, by: str | None, freq: str) -> pd.DataFrame:
    """:func:`flowkit.throughput` of a Dask frame: per-partition counts, summed exactly."""
    counts = _each(ddf, _throughput_part, by, freq)
    return throughput_rates(counts, by=by, freq=freq)


def _throughput_part(df: pd.DataFrame, by: str | None, freq: str) -> pd.DataFrame:
    return throughput_counts(df, by=by, freq=freq)


def hour_of_week_dask(ddf: dd.DataFrame, *, value: str) -> pd.DataFrame:
    """:func:`flowkit.hour_of_week` of a Dask frame: the partitions' tables added up."""
    tables = _each(ddf, _hour_of_week_part, value)
    total = tables[0]
    for table in tables[1:]:
        total = total + table
    return total


def _hour_of_week_part(df: pd.DataFrame, value: str) -> pd.DataFrame:
    return hour_of_week_counts(df, value=value)


def coverage_dask(
    ddf: dd.DataFrame,
    *,
    window: str,
    start: TimeLike,
    end: TimeLike,
    interfaces: Iterable[str] | None,
) -> pd.DataFrame:
    """:func:`flowkit.coverage` of a Dask frame: the period and ENIs first, then the counts."""
    step = int(pd.Timedelta(window).total_seconds())
    parts = _each(ddf, _coverage_part, step, start, end)
    span = coverage_span([extent for extent, _ in parts], step, start, end, interfaces)
    return coverage_frame(span, [counts for _, counts in parts])


def _coverage_part(
    df: pd.DataFrame, step: int, start: TimeLike, end: TimeLike
) -> tuple[tuple[int | None, int | None, list[str]], pd.DataFrame]:
    return coverage_extent(df), coverage_counts(df, step, start, end)


def build_view_dask(ddf: dd.DataFrame) -> View:
    """:func:`flowkit.detect.build_view` of a Dask frame (see :mod:`flowkit.detect.view`):
    the parts of an enriched frame orient with its columns; a raw frame's with the facts of
    the whole frame (one more pass, unless the frame carries them)."""
    from flowkit.detect.view_parts import view_finish

    facts = None
    if not set(SIDE_COLUMNS) <= set(ddf.columns):
        facts = frame_facts(ddf) or fold(ddf, _direction_part, merge_direction_facts).settle()
    return view_finish(_each(ddf, _view_part, facts))


def _view_part(df: pd.DataFrame, facts: DirectionFacts | None) -> ViewPart:
    from flowkit.detect.view_parts import view_part

    return view_part(df, facts=facts)


def dedupe_facts_dask(ddf: dd.DataFrame) -> DedupeFacts:
    """The merged :func:`flowkit.enrich.dedupe_facts` of the traffic records of every partition
    (the direction facts the read left with the frame, else a pass for them; then a pass for
    the ends that depend on them), settled: cut to what :func:`flowkit.dedupe` reads, to
    travel with every partition."""
    direction = frame_facts(ddf)  # the read's settled facts, when it left them
    if direction is None:
        direction = fold(ddf, _direction_part, merge_direction_facts).settle()
    return fold(ddf, _dedupe_part, merge_dedupe_facts, direction).settle()


def _direction_part(df: pd.DataFrame) -> DirectionFacts:
    return direction_facts(traffic_records(df))


def _dedupe_part(df: pd.DataFrame, direction: DirectionFacts) -> DedupeFacts:
    return dedupe_facts(traffic_records(df), direction=direction)


def top_talkers_dask(ddf: dd.DataFrame, *, n: int) -> pd.DataFrame:
    """:func:`flowkit.top_talkers` of a Dask frame: merged facts, then exact per-host sums."""
    parts = _each(ddf, _talkers_part, dedupe_facts_dask(ddf))
    return talkers_finish([p for p, _ in parts], [names for _, names in parts], n=n)


def _talkers_part(df: pd.DataFrame, facts: DedupeFacts) -> tuple[TalkerPart, dict[str, str]]:
    return talkers_part(df, facts), address_names(df)


def top_conversations_dask(ddf: dd.DataFrame, *, n: int) -> pd.DataFrame:
    """:func:`flowkit.top_conversations` of a Dask frame (see :func:`top_talkers_dask`)."""
    parts = _each(ddf, _conversations_part, dedupe_facts_dask(ddf))
    return conversations_finish([p for p, _ in parts], [names for _, names in parts], n=n)


def _conversations_part(
    df: pd.DataFrame, facts: DedupeFacts
) -> tuple[pd.DataFrame, dict[str, str]]:
    return conversations_part(df, facts), address_names(df)


#: Columns that the cost classification reads (the others are not shuffled).
_COST_READS = (
    "interface_id", "srcaddr", "dstaddr", "pkt_srcaddr", "pkt_dstaddr", "srcport", "dstport",
    "protocol", "bytes", "start", "end", "action", "log_status", "flow_direction",
    "traffic_path", "az_id", "eni_az_id", "next_hop_az_id", "remote_az_id", "interface_type",
    "eni_type", "src_aws_service", "dst_aws_service", "src_aws_region", "dst_aws_region",
    "pkt_src_aws_service", "pkt_dst_aws_service", "region", "local_addr",
    "transfer", "transfer_bytes", "cross_az_bytes",
)  # fmt: skip


def estimate_cost_dask(
    ddf: dd.DataFrame, prices: PriceTable | None, by_cols: list[str], days: float | None
) -> pd.DataFrame:
    """:func:`flowkit.estimate_cost` of a Dask frame.

    The facts of the whole frame (each ENI's own address when ``local_addr`` is absent: the
    read's settled direction facts, else one pass for them; then the NAT-like ENIs and the AZ
    of each address) are computed per partition and merged; the
    records are shuffled by their packet flow (:func:`flowkit.cost.vantage.flow_key`) so that
    every record of a flow is in one partition, where the copies are found as in pandas; each
    partition is classified with the merged facts and reduced to counted bytes per ``by_cols``
    and dimension, which add up exactly.
    """
    d = ddf[[c for c in ddf.columns if c in _COST_READS or c in by_cols]]
    if "transfer" in d.columns and "transfer_bytes" in d.columns:  # classified already
        return cost_finish(_each(d, cost_part, by_cols), prices, by_cols, days)
    direction = None
    if "local_addr" not in d.columns:  # the read's settled facts, else one pass for them
        direction = frame_facts(ddf) or fold(d, _direction_part, merge_direction_facts).settle()
    facts = fold(d, _vantage_part, merge_vantage_facts, direction)
    keyed = d.map_partitions(_with_flow_key, meta=_with_flow_key(d._meta))
    parts = _each(keyed.shuffle(on="_flow"), _cost_part, facts, by_cols)
    return cost_finish(parts, prices, by_cols, days)


def _vantage_part(df: pd.DataFrame, direction: DirectionFacts | None) -> VantageFacts:
    return vantage_facts(df, direction=direction)


def _with_flow_key(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(_flow=flow_key(df).to_numpy())


def _cost_part(
    df: pd.DataFrame, facts: VantageFacts, by_cols: list[str]
) -> tuple[pd.DataFrame, Extent]:
    records = df.drop(columns="_flow")
    return cost_part(bare(classify_transfer(records, facts=facts)), by_cols)
