"""Password guessing: many short, similar connections from one actor to one service.

A login attempt is a connection that opens, exchanges a few kilobytes (key exchange, a
password, a refusal) and closes within a minute; a guessing tool repeats it with the same
handshake every time, so the attempts have nearly the same size.  A person logs in a few times
an hour; a guessing tool makes many attempts a minute.  After the attempts, a connection from
the same actor to the same host that stays open for minutes or carries far more data is what a
successful login looks like: the finding says so.

SSH (22) and RDP (3389) have their own findings and thresholds (``ssh_brute_force``,
``rdp_brute_force``); :func:`find_brute_force` applies the behaviour to every other port
(``brute_force``: SSH moved to 902 is still SSH), where the well-known login ports
(:data:`LOGIN_PORTS`) raise the severity but are not required.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from flowkit.detect.common import Records, as_view, epoch_text, finding_rows, human_bytes, rows
from flowkit.detect.contacts import sliding_peak
from flowkit.detect.frame import SEVERITIES, empty_findings, evidence, sort_findings

__all__ = ["LOGIN_PORTS", "find_brute_force", "find_rdp_brute_force", "find_ssh_brute_force"]

#: Services that take a password: FTP, telnet, SMTP submission, POP3, IMAP (and TLS variants),
#: SMB, MS SQL, Oracle, MySQL, PostgreSQL, VNC, WinRM, MongoDB, Redis.
LOGIN_PORTS: tuple[int, ...] = (21, 23, 25, 110, 143, 445, 465, 587, 993, 995, 1433, 1521,
                                3306, 5432, 5900, 5985, 5986, 6379, 27017)  # fmt: skip
#: Ports with their own brute-force finding.
_DEDICATED = {22: "ssh_brute_force", 3389: "rdp_brute_force"}


def _brute(
    df: Records,
    ports: tuple[int, ...] | None,
    *,
    window_minutes: float,
    min_attempts: int,
    max_attempt_seconds: int,
    max_attempt_bytes: int,
    success_seconds: int,
    success_bytes: int,
    min_similar: float = 0.0,
    login_ports: tuple[int, ...] = (),
) -> pd.DataFrame:
    """Attempts per (client, server, port) on ``ports`` (every port but the dedicated ones
    when None), their peak per window, the size similarity and a later session, as findings.

    Severity: ``high`` when a session followed or your host guesses on an outside host,
    ``medium`` for internal to internal, ``low`` for an outside actor; on a port that is
    neither dedicated nor in ``login_ports``, ``medium`` when a session followed, else ``low``
    (the behaviour alone is also that of a fast poller of a web API, and a long connection to
    an unknown service is rarely a login)."""
    view = as_view(df)
    conn = view.conn()
    tcp = conn["proto"].to_numpy() == 6
    on = np.isin(conn["sport"].to_numpy(), list(ports if ports is not None else _DEDICATED))
    conn = conn[tcp & (on if ports is not None else ~on)]
    dur = conn["t_end"] - conn["t"]
    size = conn["rq_b"] + conn["rs_b"]
    short = (dur <= max_attempt_seconds) & (size <= max_attempt_bytes) & (conn["rq_p"] > 0)
    if ports is None:  # a guess needs a listening service: unanswered tries are probes
        short &= (conn["rs_p"] > 0) & ~conn["rejected"]
    tries = conn[short.to_numpy()]
    keys = ["cli", "srv", "sport"]
    peaks = sliding_peak(tries, keys, max(1, int(window_minutes * 60)), min_count=min_attempts)
    hits = peaks[peaks["peak"] >= min_attempts]
    if hits.empty:
        return empty_findings()
    tries = tries.merge(hits[keys], on=keys)
    med = tries.groupby(keys)["rq_b"].transform("median")
    tries = tries.assign(similar=(tries["rq_b"] - med).abs() <= 0.25 * med)
    g = tries.groupby(keys, sort=True).agg(
        first=("t", "min"), last=("t_end", "max"), flows=("t", "size"), pk_q=("rq_p", "sum"),
        pk_s=("rs_p", "sum"), by_q=("rq_b", "sum"), by_s=("rs_b", "sum"),
        rejected=("rejected", "sum"), similar=("similar", "mean"), med_bytes=("rq_b", "median"),
    ).reset_index().merge(hits, on=keys)  # fmt: skip
    g = g[g["similar"] >= min_similar].reset_index(drop=True)
    if g.empty:
        return empty_findings()
    big = conn[((dur >= success_seconds) | (size >= success_bytes)).to_numpy() & ~conn["rejected"]]
    big = big.merge(g[[*keys, "first"]], on=keys)
    big = big[big["t"] >= big["first"]]
    won = big.assign(size=big["rq_b"] + big["rs_b"]).groupby(keys).agg(
        success_at=("t", "min"), success_bytes=("size", "sum"), success_end=("t_end", "max")
    )  # fmt: skip
    g = g.merge(won, left_on=keys, right_index=True, how="left")
    internal = view.internal
    actors, targets = view.addresses[g["cli"]], view.addresses[g["srv"]]
    ok = g["success_at"].notna().to_numpy()
    inside_actor = internal[g["cli"].to_numpy()]
    inside_target = internal[g["srv"].to_numpy()]
    level = np.where(ok | (inside_actor & ~inside_target), 2, np.where(inside_actor, 1, 0))
    port = g["sport"].to_numpy()
    known = np.isin(port, [*_DEDICATED, *login_ports])
    level = np.where(known, level, ok.astype(int))
    sev = np.asarray(SEVERITIES, dtype=object)[level]
    names = [_DEDICATED.get(int(x), "brute_force") for x in port]
    summaries, evs = [], []
    for row, a, t, won_ in zip(rows(g), actors, targets, ok, strict=True):
        label = {22: "SSH", 3389: "RDP"}.get(int(row.sport), f"port {row.sport}")
        text = (f"{a} made {row.flows} short {label} connections to {t} from "
                f"{epoch_text(row.first)} "
                f"(up to {row.peak} in {window_minutes:g} minutes, {row.similar:.0%} of nearly "
                f"the same size)")  # fmt: skip
        if won_:
            text += (f"; then a longer session at {epoch_text(row.success_at)} carried "
                     f"{human_bytes(row.success_bytes)}: a login probably succeeded.")  # fmt: skip
        else:
            text += "; no longer session followed."
        summaries.append(text)
        evs.append(evidence(
            attempts=row.flows, peak_attempts_in_window=row.peak, window_minutes=window_minutes,
            min_attempts=min_attempts, rejected=row.rejected, similar_share=float(row.similar),
            median_request_bytes=float(row.med_bytes), login_port=bool(int(row.sport) in
            [*_DEDICATED, *login_ports]), succeeded=bool(won_),
            success_at=epoch_text(row.success_at) if won_ else None,
            success_bytes=int(row.success_bytes) if won_ else 0,
        ))  # fmt: skip
    last = np.where(ok, np.maximum(g["last"], g["success_end"].fillna(0)), g["last"])
    packets, nbytes = (g["pk_q"] + g["pk_s"]).to_numpy(), (g["by_q"] + g["by_s"]).to_numpy()
    parts = [
        finding_rows(
            name, severity=sev[i], actor=actors[i], target=targets[i], dstport=port[i],
            first_seen=g["first"].to_numpy()[i], last_seen=last[i],
            flows=g["flows"].to_numpy()[i], packets=packets[i], nbytes=nbytes[i],
            summary=[summaries[j] for j in i], evidence=[evs[j] for j in i],
        )
        for name in sorted(set(names))
        for i in [np.flatnonzero(np.asarray(names) == name)]
    ]  # fmt: skip
    return sort_findings(pd.concat(parts, ignore_index=True))


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
        df, (22,), window_minutes=window_minutes, min_attempts=min_attempts,
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
        df, (3389,), window_minutes=window_minutes, min_attempts=min_attempts,
        max_attempt_seconds=max_attempt_seconds, max_attempt_bytes=max_attempt_bytes,
        success_seconds=success_seconds, success_bytes=success_bytes,
    )  # fmt: skip


def find_brute_force(
    df: Records,
    *,
    window_minutes: int = 1,
    min_attempts: int = 20,
    min_similar: float = 0.5,
    max_attempt_seconds: int = 60,
    max_attempt_bytes: int = 40_000,
    success_seconds: int = 300,
    success_bytes: int = 100_000,
    login_ports: Sequence[int] = LOGIN_PORTS,
) -> pd.DataFrame:
    """Find password guessing on any port but 22 and 3389: many short, similar connections.

    Rule: an *attempt* is a TCP connection the server answered (a guess needs a listening
    service; unanswered tries are :func:`~flowkit.detect.rejects.find_repeated_probe`'s) that
    lasts at most ``max_attempt_seconds`` (60 s) and carries at most ``max_attempt_bytes`` (40
    kB, an RDP-sized handshake) both ways.  A finding when one client makes ``min_attempts``
    (20) attempts on one server port within ``window_minutes`` (1 minute) and at least
    ``min_similar`` (half) of them send within 25 % of their median size (a tool replays one
    handshake with another password; a browser's requests and a health checker's polls are
    spread over minutes: 20 a minute is beyond a health check every 5 s, far below the tens a
    second of guessing tools).  Success: a later connection to that service lasting
    ``success_seconds`` (5 minutes) or carrying ``success_bytes`` (100 kB).  Severity as for
    :func:`find_ssh_brute_force` on ``login_ports`` (:data:`LOGIN_PORTS`: FTP, telnet, mail,
    SMB, databases, VNC, WinRM...); on any other port ``low``, ``medium`` when a session
    followed (a fast poller of a web API behaves alike).  Findings on 22 and
    3389 are left to :func:`find_ssh_brute_force` and :func:`find_rdp_brute_force`.

    Parameters
    ----------
    df : DataFrame or View
        Flow records.
    window_minutes : int
        Sliding counting window.
    min_attempts : int
        Attempts within one window that make a finding.
    min_similar : float
        Share of attempts within 25 % of the median request size.
    max_attempt_seconds, max_attempt_bytes : int
        Longest and largest connection that still counts as an attempt.
    success_seconds, success_bytes : int
        A later connection at least this long or this large means a login succeeded.
    login_ports : sequence of int
        Ports of services that take a password (raise the severity).

    Returns
    -------
    DataFrame
        Findings, ``finding == "brute_force"``.

    Examples
    --------
    >>> import flowkit as fk
    >>> t0 = 1700000000
    >>> lines = [x for i in range(30) for x in (
    ...     f"2 1 eni-a 147.32.80.40 10.0.80.37 {40000 + i} 902 6 11 2324 {t0 + i // 3} "
    ...     f"{t0 + i // 3 + 4} ACCEPT OK", f"2 1 eni-a 10.0.80.37 147.32.80.40 902 {40000 + i} "
    ...     f"6 10 2367 {t0 + i // 3} {t0 + i // 3 + 4} ACCEPT OK")]
    >>> find_brute_force(fk.parse_lines(lines))[["finding", "severity", "dstport", "flows"]
    ...     ].to_dict("records")
    [{'finding': 'brute_force', 'severity': 'low', 'dstport': 902, 'flows': 30}]
    """
    return _brute(
        df, None, window_minutes=window_minutes, min_attempts=min_attempts,
        max_attempt_seconds=max_attempt_seconds, max_attempt_bytes=max_attempt_bytes,
        success_seconds=success_seconds, success_bytes=success_bytes, min_similar=min_similar,
        login_ports=tuple(int(p) for p in login_ports),
    )  # fmt: skip
