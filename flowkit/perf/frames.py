"""Shared record selections of :mod:`flowkit.perf`: traffic records and their hosts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from flowkit.cost.vantage import bare, present, text

__all__ = ["eni_names", "host_codes", "packet_hosts", "require_columns", "traffic_records"]


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


def require_columns(df: pd.DataFrame, columns: Sequence[str]) -> None:
    """Raise ``ValueError`` naming the columns ``df`` lacks."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"missing column(s): {', '.join(missing)}")


def host_codes(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integer codes of two address arrays in one sorted dictionary (-1 for missing).

    Returns the dictionary (sorted text addresses) and the codes of ``src`` and ``dst``; codes
    compare like the addresses' text.
    """
    codes, uniques = pd.factorize(np.concatenate([src, dst]), sort=True, use_na_sentinel=True)
    codes = np.asarray(codes, dtype=np.int64)
    return np.asarray(uniques, dtype=object), codes[: len(src)], codes[len(src) :]
