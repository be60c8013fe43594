"""Shared record selections of :mod:`flowkit.perf`: traffic records and their hosts, and the
facts of a whole frame that the parts of an analysis need (:mod:`flowkit.engine.protocol`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from flowkit.cost.vantage import bare, present, text
from flowkit.engine.protocol import fold, is_dask_frame
from flowkit.enrich.dedupe_copies import DedupeFacts, dedupe_facts, merge_dedupe_facts
from flowkit.enrich.direction import direction_facts
from flowkit.enrich.facts import DirectionFacts, frame_facts, merge_direction_facts

if TYPE_CHECKING:
    import dask.dataframe as dd

__all__ = [
    "address_names",
    "aws_label",
    "eni_names",
    "host_codes",
    "packet_hosts",
    "settled_direction_facts",
    "traffic_dedupe_facts",
    "traffic_direction_facts",
    "traffic_records",
    "whole_frame_dedupe_facts",
]


def traffic_records(df: pd.DataFrame) -> pd.DataFrame:
    """Records that carried traffic (OK, with bytes and addresses), without ``attrs``."""
    d = bare(df)
    keep = d["bytes"].fillna(0).gt(0) if "bytes" in d.columns else pd.Series(False, index=d.index)
    if "log_status" in d.columns:
        keep &= d["log_status"].astype(object).eq("OK") | d["log_status"].isna()
    return d[keep.to_numpy()]


def packet_hosts(d: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Packet-level source and destination addresses (``pkt_*`` when present)."""
    src, dst = text(d, "srcaddr"), text(d, "dstaddr")
    psrc, pdst = text(d, "pkt_srcaddr"), text(d, "pkt_dstaddr")
    return np.where(present(psrc), psrc, src), np.where(present(pdst), pdst, dst)


def eni_names(df: pd.DataFrame) -> dict[str, str]:
    """Address -> ENI name, from the enriched ``local_addr`` and ``eni_name`` columns."""
    if "local_addr" not in df.columns or "eni_name" not in df.columns:
        return {}
    pairs = bare(df)[["local_addr", "eni_name"]].dropna().drop_duplicates("local_addr")
    return dict(zip(pairs["local_addr"].astype(str), pairs["eni_name"].astype(str), strict=True))


def aws_label(service: str) -> str:
    """How an AWS service code of ``ip-ranges.json`` reads as a name: ``AWS S3``; ``AWS`` alone
    for the catch-all ``AMAZON``.

    >>> aws_label("S3"), aws_label("AMAZON")
    ('AWS S3', 'AWS')
    """
    return "AWS" if service == "AMAZON" else f"AWS {service}"


def address_names(df: pd.DataFrame) -> dict[str, str]:
    """Address -> the name to show for it: the ENI name from the inventory, else, for an AWS
    address, its service (``AWS S3``, from the ``*_aws_service`` enrichment).

    Examples
    --------
    >>> import flowkit as fk
    >>> df = fk.parse_lines(["2 1 eni-a 10.0.1.5 52.216.8.20 40000 443 6 6 900 1700000000 "
    ...                      "1700000002 ACCEPT OK"])
    >>> address_names(df)
    {'52.216.8.20': 'AWS S3'}
    """
    d = bare(df)
    src, dst = packet_hosts(d)
    names: dict[str, str] = {}
    for hosts, column in ((src, "src_aws_service"), (dst, "dst_aws_service")):
        if column not in d.columns:
            continue
        pairs = pd.DataFrame({"host": hosts, "svc": d[column].astype(object).to_numpy()})
        pairs = pairs.dropna().drop_duplicates("host")
        names.update({str(h): aws_label(str(s)) for h, s in zip(pairs["host"], pairs["svc"],
                                                                  strict=True)})  # fmt: skip
    names.update(eni_names(df))
    return names


def host_codes(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integer codes of two address arrays in one sorted dictionary (-1 for missing).

    Returns the dictionary (sorted text addresses) and the codes of ``src`` and ``dst``; codes
    compare like the addresses' text.
    """
    codes, uniques = pd.factorize(np.concatenate([src, dst]), sort=True, use_na_sentinel=True)
    codes = np.asarray(codes, dtype=np.int64)
    return np.asarray(uniques, dtype=object), codes[: len(src)], codes[len(src) :]


def traffic_direction_facts(df: pd.DataFrame) -> DirectionFacts:
    """The direction facts of one frame's (or partition's) traffic records."""
    return direction_facts(traffic_records(df))


def traffic_dedupe_facts(df: pd.DataFrame, direction: DirectionFacts) -> DedupeFacts:
    """The de-duplication facts of one frame's (or partition's) traffic records."""
    return dedupe_facts(traffic_records(df), direction=direction)


def settled_direction_facts(
    df: pd.DataFrame | dd.DataFrame, records: pd.DataFrame | dd.DataFrame | None = None
) -> DirectionFacts:
    """The settled direction facts of a frame: those the read left with it, else those of the
    traffic records of every part of ``records`` (default ``df``), merged (one pass)."""
    found = frame_facts(df)
    if found is not None:
        return found
    parts = df if records is None else records
    return fold(parts, traffic_direction_facts, merge_direction_facts).settle()


def whole_frame_dedupe_facts(df: pd.DataFrame | dd.DataFrame) -> DedupeFacts | None:
    """What every part of ``df`` needs to de-duplicate as the whole frame does: nothing for a
    pandas frame (its one part is the whole), else the merged :func:`flowkit.enrich.dedupe_facts`
    of the traffic records of every partition (after the direction facts the read left with the
    frame, or a pass for them), settled: cut to what :func:`flowkit.dedupe` reads."""
    if not is_dask_frame(df):
        return None
    direction = settled_direction_facts(df)
    return fold(df, traffic_dedupe_facts, merge_dedupe_facts, direction).settle()
