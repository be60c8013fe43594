"""The detections' view of flow records: one row per directed flow, client and server known.

Every detection reads the same compact table, built once by :func:`build_view`:

* **Effective addresses**: ``pkt_srcaddr``/``pkt_dstaddr`` when present, else
  ``srcaddr``/``dstaddr``, so traffic through a NAT gateway is attributed to the instance
  behind it.  On an interface that translates addresses (:mod:`flowkit.enrich.middlebox`:
  any record with ``pkt_*`` different from ``srcaddr``/``dstaddr``, a NAT gateway), the
  untranslated legs (NAT address to the internet) are dropped: the translated legs on the same
  interface carry the same connection with the real instance address.
* **Orientation**: the client (initiator) and server of each record are the enrichment's
  (``client_addr``, ``orient_rule``) when the frame has them, else those of the same one
  orientation model (:mod:`flowkit.enrich.orientation`: tcp-flags, a REJECT, ICMP types,
  ports, then the frame's evidence: one-sided conversations, the first speaker, the network
  edge, fan-in).  A record no rule orients takes the lower address as client, so both
  directions of its conversation meet.  ``req`` is True on the client-to-server record.
* **De-duplication**: a connection seen on two ENIs (both ends of east-west traffic, or the
  instance and the NAT gateway) is one flow: records with the same client, server, ports,
  protocol, direction and capture minute collapse to one, keeping the largest counters and the
  REJECT if either ENI rejected it.  Counts of distinct ports, hosts and client ports are
  unaffected by duplicates in any case.

Addresses are integer codes into :attr:`View.addresses` (the records' addresses sorted as
text); per-address facts (``internal``: :func:`flowkit.enrich.scope.inside`, ``aws``) are
arrays over those codes.  Rows are sorted
by minute, then by a hash of the flow's values, so the view is the same whatever the engine
(pandas, or Dask with any partitioning) or the order of the input.

Examples
--------
>>> import flowkit as fk
>>> df = fk.parse_lines([
...     "2 1 eni-a 10.0.1.5 10.0.2.9 40000 22 6 5 400 1700000000 1700000030 ACCEPT OK",
...     "2 1 eni-b 10.0.1.5 10.0.2.9 40000 22 6 5 400 1700000000 1700000030 ACCEPT OK",
...     "2 1 eni-b 10.0.2.9 10.0.1.5 22 40000 6 4 900 1700000000 1700000030 ACCEPT OK"])
>>> v = build_view(df)
>>> len(v.rec), v.name(v.rec["cli"]).tolist(), sorted(v.rec["req"].tolist())
(2, ['10.0.1.5', '10.0.1.5'], [False, True])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from flowkit.engine_check import is_dask_frame
from flowkit.enrich.conversation_pairs import connection_runs

if TYPE_CHECKING:
    import dask.dataframe as dd

__all__ = ["View", "build_view"]

#: ip-ranges.json services that are AWS itself (not customers' instances).
_NOT_SERVICE = ("EC2", "AMAZON")


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
            k1 = _pair_key(cli, srv, n_addr)
            k2 = _port_key(r["cport"].to_numpy(), r["sport"].to_numpy(), r["proto"].to_numpy())
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


def _ints(df: pd.DataFrame, column: str, missing: int) -> np.ndarray:
    if column not in df.columns:
        return np.full(len(df), missing, dtype=np.int64)
    col = df[column]
    if isinstance(col.dtype, pd.CategoricalDtype) or col.dtype == object:
        col = pd.to_numeric(col.astype(object), errors="coerce")
    if pd.api.types.is_integer_dtype(col.dtype):
        return np.asarray(col.to_numpy(dtype=np.int64, na_value=missing))
    return np.asarray(col.to_numpy(dtype="float64", na_value=missing)).astype(np.int64)


def _seconds(df: pd.DataFrame, column: str) -> np.ndarray:
    col = df[column]
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        if str(col.dtype) != "datetime64[s, UTC]":
            col = col.astype("datetime64[s, UTC]")
        return np.asarray(col.array.asi8, dtype=np.int64)
    return _ints(df, column, 0)


def _pair_key(cli: np.ndarray, srv: np.ndarray, n_addr: int) -> np.ndarray:
    return cli.astype(np.int64) * max(n_addr, 1) + srv.astype(np.int64)


def _port_key(cport: np.ndarray, sport: np.ndarray, proto: np.ndarray) -> np.ndarray:
    return (cport.astype(np.int64) << 24) | (sport.astype(np.int64) << 8) | (proto & 0xFF)


def build_view(df: pd.DataFrame | dd.DataFrame) -> View:
    """Build the detections' view of flow records (see the module docstring for the rules).

    Dask-capable: a Dask DataFrame gives the same view, from one
    :func:`~flowkit.detect.view_parts.view_part` per partition (one pass over the files)
    finished by :func:`~flowkit.detect.view_parts.view_finish`, as the pandas frame's one part.

    Parameters
    ----------
    df : DataFrame or dask.dataframe.DataFrame
        Flow records as returned by :func:`flowkit.read` (raw or enriched); needs at least
        ``srcaddr``, ``dstaddr``, ``srcport``, ``dstport``, ``protocol``, ``packets``,
        ``bytes``, ``start``, ``end``; uses ``action``, ``tcp_flags``, ``pkt_*`` and
        ``interface_id`` when present.  NODATA/SKIPDATA records are ignored.

    Returns
    -------
    View
        The records as integer columns; the input is not changed.

    Examples
    --------
    >>> import flowkit as fk
    >>> df = fk.parse_lines(["2 1 eni-a 203.0.113.9 10.0.1.5 51000 443 6 3 180 "
    ...                      "1700000000 1700000010 REJECT OK"])
    >>> v = build_view(df)
    >>> v.rec[["cport", "sport", "accept"]].to_dict("records")
    [{'cport': 51000, 'sport': 443, 'accept': False}]
    >>> v.addresses.tolist(), v.internal.tolist(), v.name(v.rec["cli"]).tolist()
    (['10.0.1.5', '203.0.113.9'], [True, False], ['203.0.113.9'])
    """
    if is_dask_frame(df):
        from flowkit.engine_dask_analytics import build_view_dask

        return build_view_dask(df)
    from flowkit.detect.view_parts import view_finish, view_part

    return view_finish([view_part(df, collapse=False)])
