"""The table the detections read: :class:`View`, its flows as integer columns, and the
column helpers that build it (used by :mod:`flowkit.detect.view_parts`).

:func:`flowkit.detect.view.build_view` builds it; see :mod:`flowkit.detect.view` for the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd

from flowkit.enrich.conversation_pairs import connection_runs

__all__ = ["NOT_SERVICE", "View", "int_column", "pair_key", "port_key", "seconds_column"]

#: ip-ranges.json services that are AWS itself (not customers' instances).
NOT_SERVICE = ("EC2", "AMAZON")

_T = TypeVar("_T")


@dataclass
class View:
    """Directed, de-duplicated flows as integer columns plus per-address facts.

    ``rec`` columns: ``t``/``t_end`` (epoch seconds), ``cli``/``srv`` (address codes),
    ``cport``/``sport`` (client and server port), ``proto``, ``req`` (client-to-server
    record), ``pkts``, ``bytes``, ``accept``, ``flags`` (-1 when unknown).
    """

    rec: pd.DataFrame
    addresses: np.ndarray
    internal: np.ndarray
    aws: np.ndarray
    _conn: pd.DataFrame | None = field(default=None, repr=False)
    _shared: dict[Hashable, Any] = field(default_factory=dict, repr=False)

    def shared(self, key: Hashable, build: Callable[[], _T]) -> _T:
        """What ``build()`` returns, built once per view and ``key`` and kept: the tables several
        detections of one hunt read (the outward connections, the allow-list's mask).  Callers
        must not modify what they get.

        >>> v = View(pd.DataFrame(), np.array([]), np.array([]), np.array([]))
        >>> v.shared("k", lambda: [1]) is v.shared("k", lambda: [2])
        True
        """
        if key not in self._shared:
            self._shared[key] = build()
        return cast(_T, self._shared[key])

    def name(self, codes: pd.Series | np.ndarray) -> pd.Series:
        """Addresses of codes, as strings."""
        return pd.Series(self.addresses[np.asarray(codes, dtype=np.int64)], dtype=object)

    def code(self, address: str) -> int:
        """Code of an address (-1 if it never appears)."""
        hits = np.flatnonzero(self.addresses == address)
        return int(hits[0]) if len(hits) else -1

    @property
    def t_min(self) -> int:
        """First second covered by the records (0 when empty)."""
        return int(self.rec["t"].min()) if len(self.rec) else 0

    @property
    def t_max(self) -> int:
        """Last second covered by the records (0 when empty)."""
        return int(self.rec["t_end"].max()) if len(self.rec) else 0

    def conn(self, idle_seconds: int = 120) -> pd.DataFrame:
        """One row per connection: client, client port, server, server port, protocol.

        The same five values seen again more than ``idle_seconds`` after the previous record
        ended are a new connection (client ports are reused: a tool making hundreds of
        connections draws the same ephemeral port again).  Columns: the keys, ``t``/``t_end``,
        ``rq_p``/``rq_b`` (client to server), ``rs_p``/``rs_b`` (server to client),
        ``rejected`` (any record rejected), ``records``.
        """
        if self._conn is None:
            r = self.rec
            n_addr = len(self.addresses)
            cli, srv = r["cli"].to_numpy(), r["srv"].to_numpy()
            k1 = pair_key(cli, srv, n_addr)
            k2 = port_key(r["cport"].to_numpy(), r["sport"].to_numpy(), r["proto"].to_numpy())
            t, t_end = r["t"].to_numpy(), r["t_end"].to_numpy()
            order, starts = connection_runs(k1, k2, t, t_end, idle_seconds)
            ts, te = t[order], t_end[order]
            req = r["req"].to_numpy()[order]
            pk, by = r["pkts"].to_numpy()[order], r["bytes"].to_numpy()[order]
            rej = (~r["accept"].to_numpy()[order]).astype(np.int8)

            def total(v: np.ndarray) -> np.ndarray:
                if not len(starts):
                    return np.zeros(0, dtype=np.int64)
                return np.add.reduceat(v, starts)

            first = order[starts]
            self._conn = pd.DataFrame(
                {
                    "cli": cli[first], "srv": srv[first],
                    "cport": r["cport"].to_numpy()[first], "sport": r["sport"].to_numpy()[first],
                    "proto": r["proto"].to_numpy()[first],
                    "t": ts[starts] if len(starts) else ts[:0],
                    "t_end": np.maximum.reduceat(te, starts) if len(starts) else te[:0],
                    "rq_p": total(np.where(req, pk, 0)), "rq_b": total(np.where(req, by, 0)),
                    "rs_p": total(np.where(req, 0, pk)), "rs_b": total(np.where(req, 0, by)),
                    "rejected": total(rej) > 0,
                    "records": np.diff(np.append(starts, len(order))),
                }
            )  # fmt: skip
        return self._conn


def int_column(df: pd.DataFrame, column: str, missing: int) -> np.ndarray:
    if column not in df.columns:
        return np.full(len(df), missing, dtype=np.int64)
    col = df[column]
    if isinstance(col.dtype, pd.CategoricalDtype) or col.dtype == object:
        col = pd.to_numeric(col.astype(object), errors="coerce")
    if pd.api.types.is_integer_dtype(col.dtype):
        return np.asarray(col.to_numpy(dtype=np.int64, na_value=missing))
    return np.asarray(col.to_numpy(dtype="float64", na_value=missing)).astype(np.int64)


def seconds_column(df: pd.DataFrame, column: str) -> np.ndarray:
    col = df[column]
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        if str(col.dtype) != "datetime64[s, UTC]":
            col = col.astype("datetime64[s, UTC]")
        return np.asarray(col.array.asi8, dtype=np.int64)
    return int_column(df, column, 0)


def pair_key(cli: np.ndarray, srv: np.ndarray, n_addr: int) -> np.ndarray:
    return cli.astype(np.int64) * max(n_addr, 1) + srv.astype(np.int64)


def port_key(cport: np.ndarray, sport: np.ndarray, proto: np.ndarray) -> np.ndarray:
    return (cport.astype(np.int64) << 24) | (sport.astype(np.int64) << 8) | (proto & 0xFF)
