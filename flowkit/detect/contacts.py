"""Contacts: who tried to reach what, and whether it worked (the input of the probe detections).

The scan, sweep and repeated-probe detections reason about *contacts*, the connections of
:meth:`flowkit.detect.view.View.conn`, each with an outcome:

* **failed**: the client sent something (``rq_p > 0``) and it was rejected, or it went
  unanswered or was answered by bare resets (:func:`refused`: what a host whose security group
  lets everything in answers on a closed port) without continuing an earlier connection of the
  same five values (a keepalive or the close of a conversation idle for minutes is a tail);
* **answered**: the client sent something and the server answered with more than a reset;
* neither (``sent`` False): only the server side was logged: a response fragment (the tail of
  a connection whose start fell outside the records, a late retransmission).  Nobody sent a
  first contact, so it is no evidence of anything.

A REJECT is a dropped request: a connection that was rejected and of which only the server
side sent packets was oriented by port numbers alone, wrongly; :func:`contacts` turns it
around (the sender of a rejected packet that nobody asked for is the initiator).  A stateless
network ACL that rejects a *response* leaves the accepted request in the same connection, so
such a connection has request packets and is left as it is.  (The view's orientation model
applies the same rule upstream; this only repairs what reaches the detections unrepaired.)

A *first contact* is the first connection of a client to one (server, port, protocol) in the
records: later connections to the same service are retries or tails of a conversation already
counted (SiLK ``rwscan`` and the threshold random walk of Jung et al. count first contacts
only).

Examples
--------
>>> import flowkit as fk
>>> from flowkit.detect.common import as_view
>>> df = fk.parse_lines([
...     "2 1 eni-a 198.18.0.7 10.0.1.5 40000 23 6 1 44 1700000000 1700000001 REJECT OK",
...     "2 1 eni-a 10.0.1.5 203.0.113.9 50000 443 6 5 600 1700000000 1700000001 ACCEPT OK",
...     "2 1 eni-a 203.0.113.9 10.0.1.5 443 50000 6 5 4000 1700000000 1700000001 ACCEPT OK"])
>>> c = contacts(as_view(df))
>>> c[["sport", "failed", "answered", "first"]].values.tolist()
[[443, False, True, True], [23, True, False, True]]
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Sequence

import numpy as np
import pandas as pd

from flowkit.detect.view import View

__all__ = [
    "THETA0",
    "THETA1",
    "contacts",
    "group_codes",
    "refused",
    "sliding_peak",
    "trw_threshold",
    "trw_walk",
]

#: Probability that a benign client's first contact succeeds (Jung et al. 2004; rwscan).
THETA0 = 0.8
#: Probability that a scanner's first contact succeeds.
THETA1 = 0.2


def refused(conn: pd.DataFrame) -> np.ndarray:
    """Connections answered only by resets: TCP, request packets of 40-64 bytes each (SYNs,
    with or without options, no payload), answer packets of at most 40 bytes each (a reset
    carries no option), at most one answer per request.  A tail of a conversation can look the
    same (an ACK answered by a reset), which is why a connection that continues an earlier
    one (same client port) never counts, and the walk weighs first contacts against the
    client's answered ones."""
    rq_p, rs_p = conn["rq_p"].to_numpy(), conn["rs_p"].to_numpy()
    rq_b, rs_b = conn["rq_b"].to_numpy(), conn["rs_b"].to_numpy()
    tcp = conn["proto"].to_numpy() == 6
    syn = (rq_p >= 1) & (rq_b >= 40 * rq_p) & (rq_b <= 64 * rq_p)
    rst = (rs_p >= 1) & (rs_p <= rq_p) & (rs_b <= 40 * rs_p)
    return np.asarray(tcp & syn & rst, dtype=bool)


def _first_of(code: np.ndarray, among: np.ndarray) -> np.ndarray:
    """Rows (in order) that are the first of their ``code`` among the rows where ``among``."""
    idx = np.flatnonzero(among)
    _, at = np.unique(code[idx], return_index=True)
    out = np.zeros(len(code), dtype=bool)
    out[idx[at]] = True
    return out


#: The last view's contacts (the scan, sweep and repeated-probe detections of one hunt share
#: them): a weak reference to the view and the table.
_LAST: list[tuple[weakref.ref[View], pd.DataFrame]] = []


def contacts(view: View) -> pd.DataFrame:
    """The view's connections with their outcome (see the module docstring).

    Returns
    -------
    DataFrame
        The columns of :meth:`View.conn` (rejected requests turned around), plus ``sent``
        (the client sent packets), ``failed``, ``answered`` and ``first`` (first contact of
        the client with this server, port and protocol), sorted by ``t``.  Computed once per
        view (the last view's table is kept); do not modify it.
    """
    if _LAST and _LAST[0][0]() is view:
        return _LAST[0][1]
    out = _contacts(view)
    _LAST[:] = [(weakref.ref(view), out)]
    return out


def _contacts(view: View) -> pd.DataFrame:
    conn = view.conn()
    flip = conn["rejected"].to_numpy() & (conn["rq_p"].to_numpy() == 0)
    if flip.any():
        conn = conn.copy()
        for a, b in (("cli", "srv"), ("cport", "sport"), ("rq_p", "rs_p"), ("rq_b", "rs_b")):
            va, vb = conn[a].to_numpy(), conn[b].to_numpy()
            conn[a], conn[b] = np.where(flip, vb, va), np.where(flip, va, vb)
    conn = conn.sort_values("t", kind="mergesort").reset_index(drop=True)
    sent = conn["rq_p"].to_numpy() > 0
    everything = np.ones(len(conn), dtype=bool)
    # A connection whose five values were seen before continues it (idle for 2 minutes, then a
    # keepalive or the close): unanswered or reset, it is a tail, not a try.
    tail = ~_first_of(group_codes(conn, ["cli", "srv", "cport", "sport", "proto"]), everything)
    rejected = conn["rejected"].to_numpy()
    silent = conn["rs_p"].to_numpy() == 0
    failed = sent & (rejected | ((silent | refused(conn)) & ~tail))
    first = _first_of(group_codes(conn, ["cli", "srv", "sport", "proto"]), sent)
    return conn.assign(sent=sent, failed=failed, answered=sent & ~failed, first=first)


def group_codes(frame: pd.DataFrame, keys: Sequence[str]) -> np.ndarray:
    """One int64 per row, equal exactly when the rows' integer ``keys`` are equal, ordered like
    the keys (mixed radix over the columns' ranges, re-numbered densely when it would
    overflow)."""
    code = np.zeros(len(frame), dtype=np.int64)
    size = 1
    for k in keys:
        col = frame[k].to_numpy().astype(np.int64)
        if not len(col):
            return code
        lo, span = int(col.min()), int(col.max() - col.min()) + 1
        if size * span >= 1 << 62:
            uniq, code = np.unique(code, return_inverse=True)
            size = len(uniq)
        code = code * span + (col - lo)
        size *= span
    return code


def sliding_peak(
    frame: pd.DataFrame, keys: Sequence[str], window_s: int, *, min_count: int = 1
) -> pd.DataFrame:
    """Most rows of each ``keys`` group within any ``window_s`` seconds (an exact sliding
    window: for every row, the rows of its group starting in ``[t, t + window_s)``).

    Returns ``keys`` plus ``peak`` and ``peak_start`` (``t`` of the first row of the busiest
    window; the earliest on a tie), sorted by ``keys``; groups of fewer than ``min_count`` rows
    (whose peak cannot reach it) are left out.

    >>> f = pd.DataFrame({"a": [1, 1, 1, 2], "t": [0, 50, 130, 10]})
    >>> sliding_peak(f, ["a"], 100).to_dict("records")
    [{'a': 1, 'peak': 2, 'peak_start': 0}, {'a': 2, 'peak': 1, 'peak_start': 10}]
    """
    code = group_codes(frame, keys)
    if min_count > 1 and len(code):
        _, inverse, counts = np.unique(code, return_inverse=True, return_counts=True)
        big = counts[inverse] >= min_count
        frame, code = frame[big], code[big]
    if frame.empty:
        empty = {k: frame[k].to_numpy()[:0] for k in keys}
        return pd.DataFrame({**empty, "peak": np.zeros(0, np.int64), "peak_start": []})
    t = frame["t"].to_numpy().astype(np.int64)
    order = np.lexsort((t, code))
    g = code[order]
    dense = np.cumsum(np.r_[True, g[1:] != g[:-1]]) - 1
    ts = t[order] - t.min()
    span = int(ts.max()) + int(window_s) + 1
    pos = dense * span + ts
    count = np.searchsorted(pos, pos + int(window_s), side="left") - np.arange(len(pos))
    best = np.lexsort((ts, -count, dense))
    best = best[np.r_[True, dense[best][1:] != dense[best][:-1]]]
    rows = order[best]
    out = frame.iloc[rows][list(keys)].reset_index(drop=True)
    return out.assign(peak=count[best], peak_start=t[rows])


def trw_threshold(alpha: float = 0.01, beta: float = 0.01) -> float:
    """Upper threshold of the walk: ``log((1 - beta) / alpha)`` (Wald), 4.6 with the defaults.

    >>> round(trw_threshold(), 2)
    4.6
    """
    return math.log((1.0 - beta) / alpha)


def trw_walk(
    frame: pd.DataFrame, keys: Sequence[str], theta0: float = THETA0, theta1: float = THETA1
) -> pd.DataFrame:
    """Threshold-random-walk log-likelihood ratio of each group's first contacts, in time order.

    Each failed first contact adds ``log((1 - theta1) / (1 - theta0))`` (+1.39 with the
    defaults), each answered one ``log(theta1 / theta0)`` (-1.39).  Returns ``keys`` plus
    ``llr`` (the sum over the group: the walk's end), ``llr_max`` (its highest point),
    ``contacts``, ``failures`` and ``decided_after`` (how many first contacts the walk needed
    to first reach :func:`trw_threshold`; 0 when it never did): rwscan raises its alarm there.

    >>> f = pd.DataFrame({"a": [1] * 5, "t": range(5), "failed": [True] * 5})
    >>> trw_walk(f, ["a"])[["llr", "failures", "decided_after"]].round(2).to_dict("records")
    [{'llr': 6.93, 'failures': 5, 'decided_after': 4}]
    """
    up = math.log((1.0 - theta1) / (1.0 - theta0))
    down = math.log(theta1 / theta0)
    f = frame.sort_values([*keys, "t"], kind="mergesort")
    step = np.where(f["failed"].to_numpy(), up, down)
    walk = f[list(keys)].assign(step=step, fail=f["failed"].to_numpy())
    grp = walk.groupby(list(keys), sort=True, observed=True)
    walk["pos"] = grp["step"].cumsum()
    walk["n"] = grp.cumcount() + 1
    hit = walk[walk["pos"] >= trw_threshold()].groupby(list(keys), observed=True)["n"].min()
    agg = grp.agg(llr=("step", "sum"), contacts=("step", "size"), failures=("fail", "sum"))
    agg["llr_max"] = walk.groupby(list(keys), sort=True, observed=True)["pos"].max()
    agg["decided_after"] = hit.reindex(agg.index).fillna(0).astype(np.int64)
    return agg.reset_index()
