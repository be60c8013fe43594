"""Password guessing: many short connections to SSH (22) or RDP (3389) from one actor.

A login attempt is a connection that opens, exchanges a few kilobytes (key exchange, a
password, a refusal) and closes within a minute.  A person logs in a few times an hour; a
guessing tool makes many attempts a minute.  After the attempts, a connection from the same
actor to the same host that stays open for minutes or carries far more data is what a
successful login looks like: the finding says so, and becomes ``high``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowkit.detect.common import Records, as_view, finding_rows, human_bytes, rows, utc, window_max
from flowkit.detect.frame import empty_findings, evidence

__all__ = ["find_rdp_brute_force", "find_ssh_brute_force"]


def _brute(
    df: Records,
    finding: str,
    port: int,
    *,
    window_minutes: int,
    min_attempts: int,
    max_attempt_seconds: int,
    max_attempt_bytes: int,
    success_seconds: int,
    success_bytes: int,
) -> pd.DataFrame:
    view = as_view(df)
    conn = view.conn()
    conn = conn[(conn["sport"] == port) & (conn["proto"] == 6)]
    dur = conn["t_end"] - conn["t"]
    size = conn["rq_b"] + conn["rs_b"]
    short = (dur <= max_attempt_seconds) & (size <= max_attempt_bytes)
    tries = conn[short.to_numpy()]
    peaks = window_max(tries, ["cli", "srv"], "cport", max(1, window_minutes) * 60, distinct=False)
    hits = peaks[peaks["peak"] >= min_attempts]
    if hits.empty:
        return empty_findings()
    tries = tries.merge(hits[["cli", "srv"]], on=["cli", "srv"])
    g = tries.groupby(["cli", "srv"], sort=True).agg(
        first=("t", "min"), last=("t_end", "max"), flows=("t", "size"), pk_q=("rq_p", "sum"),
        pk_s=("rs_p", "sum"), by_q=("rq_b", "sum"), by_s=("rs_b", "sum"),
        rejected=("rejected", "sum"),
    ).reset_index().merge(hits, on=["cli", "srv"])  # fmt: skip
    big = conn[((dur >= success_seconds) | (size >= success_bytes)).to_numpy() & ~conn["rejected"]]
    big = big.merge(g[["cli", "srv", "first"]], on=["cli", "srv"])
    big = big[big["t"] >= big["first"]]
    won = big.assign(size=big["rq_b"] + big["rs_b"]).groupby(["cli", "srv"]).agg(
        success_at=("t", "min"), success_bytes=("size", "sum"), success_end=("t_end", "max")
    )  # fmt: skip
    g = g.merge(won, left_on=["cli", "srv"], right_index=True, how="left")
    internal = view.internal
    actors, targets = view.addresses[g["cli"]], view.addresses[g["srv"]]
    ok = g["success_at"].notna().to_numpy()
    inside_actor = internal[g["cli"].to_numpy()]
    inside_target = internal[g["srv"].to_numpy()]
    sev = np.where(ok | (inside_actor & ~inside_target), "high",
                   np.where(inside_actor, "medium", "low"))  # fmt: skip
    label = "SSH" if port == 22 else "RDP"
    summaries, evs = [], []
    for row, a, t, won_ in zip(rows(g), actors, targets, ok, strict=True):
        text = (f"{a} made {row.flows} short {label} connections to {t} from {utc(row.first)} "
                f"(up to {row.peak} in {window_minutes} minutes)")  # fmt: skip
        if won_:
            text += (f"; then a longer session at {utc(row.success_at)} carried "
                     f"{human_bytes(row.success_bytes)}: a login probably succeeded.")  # fmt: skip
        else:
            text += "; no longer session followed."
        summaries.append(text)
        evs.append(evidence(
            attempts=row.flows, peak_attempts_in_window=row.peak, window_minutes=window_minutes,
            min_attempts=min_attempts, rejected=row.rejected, succeeded=bool(won_),
            success_at=utc(row.success_at) if won_ else None,
            success_bytes=int(row.success_bytes) if won_ else 0,
        ))  # fmt: skip
    last = np.where(ok, np.maximum(g["last"], g["success_end"].fillna(0)), g["last"])
    return finding_rows(
        finding, severity=sev, actor=actors, target=targets, dstport=np.full(len(g), port),
        first_seen=g["first"], last_seen=last, flows=g["flows"], packets=g["pk_q"] + g["pk_s"],
        nbytes=g["by_q"] + g["by_s"], summary=summaries, evidence=evs,
    )  # fmt: skip


def find_ssh_brute_force(
    df: Records,
    *,
    window_minutes: int = 10,
    min_attempts: int = 20,
    max_attempt_seconds: int = 60,
    max_attempt_bytes: int = 20_000,
    success_seconds: int = 300,
    success_bytes: int = 100_000,
) -> pd.DataFrame:
    """Find SSH password guessing (TCP 22): many short connections from one actor to one host.

    Model: an *attempt* is a connection to port 22 that lasts at most ``max_attempt_seconds``
    and carries at most ``max_attempt_bytes`` both ways (an SSH key exchange plus a refused
    password is 4 to 10 kB).  A finding when one actor makes ``min_attempts`` attempts on one
    host within ``window_minutes``: 20 in 10 minutes is two a minute sustained, more than any
    person or deployment tool logging in, far less than the tens a minute of guessing tools.
    Success: a later connection from the actor to that host lasting ``success_seconds`` (5
    minutes) or carrying ``success_bytes`` (100 kB), an interactive session.  Severity:
    ``high`` when a session followed, or when your own host guesses passwords on outside hosts
    (GuardDuty rates the actor High); ``medium`` for internal to internal; ``low`` for the
    unanswered guessing of an outside address (GuardDuty rates the target Low).

    Parameters
    ----------
    df : DataFrame or View
        Flow records.
    window_minutes, min_attempts : int
        Attempts per window that make a finding.
    max_attempt_seconds, max_attempt_bytes : int
        Longest and largest connection that still counts as an attempt.
    success_seconds, success_bytes : int
        A later connection at least this long or this large means a login succeeded.

    Returns
    -------
    DataFrame
        Findings, ``finding == "ssh_brute_force"``; ``evidence["succeeded"]`` tells success.

    Examples
    --------
    >>> import flowkit as fk
    >>> t0 = 1700000000
    >>> lines = [f"2 1 eni-a 198.18.0.7 10.0.0.20 {40000 + i} 22 6 20 3000 {t0 + 20 * i} "
    ...          f"{t0 + 20 * i + 5} ACCEPT OK" for i in range(30)]
    >>> out = find_ssh_brute_force(fk.parse_lines(lines))
    >>> out[["severity", "actor", "target", "dstport", "flows"]].to_dict("records")
    [{'severity': 'low', 'actor': '198.18.0.7', 'target': '10.0.0.20', 'dstport': 22, 'flows': 30}]
    """
    return _brute(
        df, "ssh_brute_force", 22, window_minutes=window_minutes, min_attempts=min_attempts,
        max_attempt_seconds=max_attempt_seconds, max_attempt_bytes=max_attempt_bytes,
        success_seconds=success_seconds, success_bytes=success_bytes,
    )  # fmt: skip


def find_rdp_brute_force(
    df: Records,
    *,
    window_minutes: int = 10,
    min_attempts: int = 20,
    max_attempt_seconds: int = 60,
    max_attempt_bytes: int = 40_000,
    success_seconds: int = 300,
    success_bytes: int = 500_000,
) -> pd.DataFrame:
    """Find RDP password guessing (TCP 3389): many short connections from one actor to one host.

    The model of :func:`find_ssh_brute_force` on port 3389.  RDP's handshake (TLS, CredSSP)
    is larger than SSH's, hence ``max_attempt_bytes`` 40 kB, and a desktop session streams
    screen updates, hence ``success_bytes`` 500 kB.

    Parameters
    ----------
    df : DataFrame or View
        Flow records.
    window_minutes, min_attempts : int
        Attempts per window that make a finding.
    max_attempt_seconds, max_attempt_bytes : int
        Longest and largest connection that still counts as an attempt.
    success_seconds, success_bytes : int
        A later connection at least this long or this large means a login succeeded.

    Returns
    -------
    DataFrame
        Findings, ``finding == "rdp_brute_force"``.

    Examples
    --------
    >>> import flowkit as fk
    >>> t0 = 1700000000
    >>> lines = [f"2 1 eni-a 198.18.0.7 10.0.0.30 {40000 + i} 3389 6 30 9000 {t0 + 10 * i} "
    ...          f"{t0 + 10 * i + 5} ACCEPT OK" for i in range(25)]
    >>> find_rdp_brute_force(fk.parse_lines(lines))["flows"].tolist()
    [25]
    """
    return _brute(
        df, "rdp_brute_force", 3389, window_minutes=window_minutes, min_attempts=min_attempts,
        max_attempt_seconds=max_attempt_seconds, max_attempt_bytes=max_attempt_bytes,
        success_seconds=success_seconds, success_bytes=success_bytes,
    )  # fmt: skip
