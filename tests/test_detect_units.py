"""Each detection on hand-made scenarios: fires on its pattern, stays quiet just below it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import flowkit as fk
from flowkit.detect import FINDING_COLUMNS

T0 = 1_793_577_600  # 2026-11-02 00:00 UTC
PKT_FORMAT = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    "start end action log-status tcp-flags pkt-srcaddr pkt-dstaddr"
)


def rec(
    src: str,
    dst: str,
    sport: int,
    dport: int,
    t: int,
    *,
    eni: str = "eni-a",
    proto: int = 6,
    packets: int = 1,
    nbytes: int = 44,
    dur: int = 5,
    action: str = "ACCEPT",
) -> str:
    """One default-format flow-log line."""
    return (
        f"2 123456789012 {eni} {src} {dst} {sport} {dport} {proto} {packets} {nbytes} "
        f"{T0 + t} {T0 + t + dur} {action} OK"
    )


def conv(src: str, dst: str, cport: int, sport: int, t: int, *, eni: str = "eni-a",
         rq: tuple[int, int] = (5, 400), rs: tuple[int, int] | None = (5, 900), dur: int = 5,
         action: str = "ACCEPT", proto: int = 6) -> list[str]:  # fmt: skip
    """A request record and, if ``rs``, its response, on one ENI."""
    out = [rec(src, dst, cport, sport, t, eni=eni, packets=rq[0], nbytes=rq[1], dur=dur,
               action=action, proto=proto)]  # fmt: skip
    if rs is not None:
        out.append(rec(dst, src, sport, cport, t, eni=eni, packets=rs[0], nbytes=rs[1], dur=dur,
                       action=action, proto=proto))  # fmt: skip
    return out


def frame(lines: list[str]) -> pd.DataFrame:
    return fk.parse_lines(lines)


def records(df: pd.DataFrame) -> list[tuple[object, ...]]:
    return [tuple(r) for r in df[["finding", "severity", "actor", "target"]].to_numpy()]


# --- port scan / sweep -----------------------------------------------------------------------


def test_port_scan_fires_at_threshold_and_not_below() -> None:
    lines = [rec("198.18.0.7", "10.0.0.20", 40000 + p, p, 10 * p, action="REJECT")
             for p in range(1, 21)]  # fmt: skip
    out = fk.find_port_scan(frame(lines))
    assert records(out) == [("port_scan", "medium", "198.18.0.7", "10.0.0.20")]
    assert out.loc[0, "evidence"]["distinct_ports"] == 20
    assert out.loc[0, "flows"] == 20
    # 10 ports make a scan (a slow, narrow one: low); 9 do not.
    assert records(fk.find_port_scan(frame(lines[:10])))[0][1] == "low"
    assert fk.find_port_scan(frame(lines[:9])).empty
    assert len(fk.find_port_scan(frame(lines[:9]), min_ports=9)) == 1


def test_port_scan_across_a_window_boundary_still_counts() -> None:
    # 20 ports over 6 minutes, starting 7 minutes into a 10-minute bin.
    lines = [rec("198.18.0.7", "10.0.0.20", 40000, p, 420 + 18 * p, action="REJECT")
             for p in range(1, 21)]  # fmt: skip
    assert len(fk.find_port_scan(frame(lines))) == 1


def test_port_scan_by_internal_host_is_high_and_real_clients_are_not_scans() -> None:
    lines = [rec("10.0.11.21", "10.0.10.5", 40000 + p, p, p, action="REJECT") for p in range(30)]
    out = fk.find_port_scan(frame(lines))
    assert records(out) == [("port_scan", "high", "10.0.11.21", "10.0.10.5")]
    # A client that exchanges data with 30 ports of a host is not probing.
    talk = [x for p in range(30) for x in conv("10.0.1.5", "10.0.2.9", 40000 + p, 8000 + p, p,
                                                rq=(8, 900), rs=(9, 5000))]  # fmt: skip
    assert fk.find_port_scan(frame(talk)).empty


def test_port_sweep_needs_five_hosts() -> None:
    lines = [rec("92.118.39.82", f"10.0.0.{h}", 40000 + h, 3389, 20 * h, action="REJECT")
             for h in range(1, 6)]  # fmt: skip
    out = fk.find_port_sweep(frame(lines))
    assert records(out) == [("port_sweep", "medium", "92.118.39.82", "many")]
    assert out.loc[0, "dstport"] == 3389
    assert out.loc[0, "evidence"]["targets"] == [f"10.0.0.{h}" for h in range(1, 6)]
    assert fk.find_port_sweep(frame(lines[:4])).empty


def test_monitoring_many_hosts_is_not_a_sweep() -> None:
    lines = [x for h in range(1, 30) for x in conv("10.0.10.5", f"10.0.1.{h}", 40000 + h, 9100,
                                                    h, rq=(6, 500), rs=(8, 20000))]  # fmt: skip
    assert fk.find_port_sweep(frame(lines)).empty


# --- brute force ---------------------------------------------------------------------------


def _ssh_attempts(n: int, *, eni: str = "eni-a", gap: int = 15) -> list[str]:
    return [x for i in range(n) for x in conv("103.77.192.14", "10.0.0.20", 40000 + i, 22,
                                               gap * i, eni=eni, rq=(15, 2800),
                                               rs=(14, 3300))]  # fmt: skip


def test_ssh_brute_force_counts_connections_once_across_enis() -> None:
    lines = _ssh_attempts(25) + _ssh_attempts(25, eni="eni-b")
    out = fk.find_ssh_brute_force(frame(lines))
    assert records(out) == [("ssh_brute_force", "low", "103.77.192.14", "10.0.0.20")]
    assert out.loc[0, "flows"] == 25
    assert out.loc[0, "bytes"] == 25 * (2800 + 3300)
    assert out.loc[0, "evidence"]["succeeded"] is False
    assert fk.find_ssh_brute_force(frame(_ssh_attempts(15))).empty


def test_ssh_brute_force_followed_by_a_session_is_high() -> None:
    lines = _ssh_attempts(40) + conv(
        "103.77.192.14",
        "10.0.0.20",
        50000,
        22,
        900,
        rq=(900, 400_000),
        rs=(1200, 900_000),
        dur=1800,
    )
    out = fk.find_ssh_brute_force(frame(lines))
    assert out.loc[0, "severity"] == "high"
    assert out.loc[0, "evidence"]["succeeded"] is True
    assert out.loc[0, "last_seen"] == pd.Timestamp(T0 + 900 + 1800, unit="s", tz="UTC")


def test_rdp_brute_force() -> None:
    lines = [
        x
        for i in range(30)
        for x in conv(
            "194.26.29.114", "10.0.1.30", 40000 + i, 3389, 10 * i, rq=(20, 9000), rs=(20, 12000)
        )
    ]
    out = fk.find_rdp_brute_force(frame(lines))
    assert records(out) == [("rdp_brute_force", "low", "194.26.29.114", "10.0.1.30")]
    assert fk.find_ssh_brute_force(frame(lines)).empty


# --- beaconing -----------------------------------------------------------------------------


def _calls(times: np.ndarray, dst: str = "80.66.88.207") -> list[str]:
    return [
        x
        for i, t in enumerate(times)
        for x in conv("10.0.11.21", dst, 40000 + i, 443, int(t), rq=(6, 900), rs=(6, 1500))
    ]


@pytest.mark.parametrize(
    ("seed", "period", "jitter"), [(1, 300, 0.15), (2, 900, 0.2), (3, 60, 0.1)]
)
def test_beaconing_found_for_several_periods(seed: int, period: int, jitter: float) -> None:
    rng = np.random.default_rng(seed)
    n = int(4 * 3600 / period)
    times = np.cumsum(period * (1 + rng.uniform(-jitter, jitter, n)))
    out = fk.find_beaconing(frame(_calls(times)))
    assert records(out) == [("beaconing", out.loc[0, "severity"], "10.0.11.21", "80.66.88.207")]
    assert abs(out.loc[0, "evidence"]["period_s"] - period) < 0.1 * period


def test_poisson_calls_and_aws_services_are_not_beacons() -> None:
    rng = np.random.default_rng(5)
    times = np.cumsum(rng.exponential(300, 60))
    assert fk.find_beaconing(frame(_calls(times))).empty
    regular = np.arange(60) * 300.0
    assert fk.find_beaconing(frame(_calls(regular, dst="52.216.8.20"))).empty  # S3
    assert len(fk.find_beaconing(frame(_calls(regular, dst="52.216.8.20")),
                                 include_aws_services=True)) == 1  # fmt: skip


def test_beaconing_through_a_nat_gateway_is_the_instance() -> None:
    # Instance ENI sees instance -> C2; the NAT ENI sees the inner leg (instance -> NAT, packet
    # destination C2) and the outer leg (NAT -> C2).  The actor must be the instance.
    lines = [PKT_FORMAT]
    for i in range(30):
        t, cp, np_ = 300 * i, 40000 + i, 1024 + i
        lines += [
            f"{rec('10.0.11.21', '80.66.88.207', cp, 443, t, eni='eni-app', packets=6, nbytes=900)}"
            " 3 10.0.11.21 80.66.88.207",
            f"{rec('10.0.11.21', '10.0.0.5', cp, 443, t, eni='eni-nat', packets=6, nbytes=900)}"
            " 3 10.0.11.21 80.66.88.207",
            f"{rec('10.0.0.5', '80.66.88.207', np_, 443, t, eni='eni-nat', packets=6, nbytes=900)}"
            " 3 10.0.0.5 80.66.88.207",
        ]  # fmt: skip
    out = fk.find_beaconing(frame(lines))
    assert records(out) == [("beaconing", "medium", "10.0.11.21", "80.66.88.207")]
    assert out.loc[0, "flows"] == 30
    assert out.loc[0, "bytes"] == 30 * 900


# --- volume --------------------------------------------------------------------------------


def _hourly(dst: str, nbytes: int, hours: range) -> list[str]:
    return [rec("10.0.11.21", dst, 40000 + h, 443, 3600 * h, packets=nbytes // 1000,
                nbytes=nbytes, dur=50) for h in hours]  # fmt: skip


def test_exfiltration_far_above_baseline() -> None:
    lines = _hourly("93.184.216.34", 200_000, range(24)) + _hourly("104.244.76.13", 800_000_000,
                                                                   range(20, 21))  # fmt: skip
    out = fk.find_exfiltration(frame(lines))
    assert records(out) == [("exfiltration", "high", "10.0.11.21", "104.244.76.13")]
    assert out.loc[0, "bytes"] == 800_000_000
    assert out.loc[0, "evidence"]["new_destination"] is True


def test_a_host_that_always_uploads_a_lot_is_not_exfiltrating() -> None:
    lines = _hourly("93.184.216.34", 50_000_000, range(24)) + _hourly(
        "104.244.76.13", 300_000_000, range(20, 21)
    )
    assert fk.find_exfiltration(frame(lines)).empty


def test_dos_needs_two_flood_minutes() -> None:
    flood = [rec("10.0.1.5", "93.184.216.34", 40000, 53, 60 * m, proto=17, packets=400_000,
                 nbytes=24_000_000, dur=59) for m in range(3)]  # fmt: skip
    out = fk.find_dos(frame(flood))
    assert records(out) == [("dos", "high", "10.0.1.5", "93.184.216.34")]
    assert out.loc[0, "evidence"]["flood_minutes"] == 3
    assert fk.find_dos(frame(flood[:1])).empty


# --- lateral movement, threat intel ----------------------------------------------------------


def test_lateral_movement_with_rejects_is_high() -> None:
    lines = [rec("10.0.11.21", f"10.0.10.{h}", 40000 + h, port, 60 * h, packets=2, nbytes=88,
                 action="REJECT") for h in range(1, 6) for port in (22, 445)]  # fmt: skip
    out = fk.find_lateral_movement(frame(lines))
    assert records(out) == [("lateral_movement", "high", "10.0.11.21", "many")]
    assert out.loc[0, "evidence"]["distinct_hosts"] == 5
    assert out.loc[0, "evidence"]["ports"] == [22, 445]
    three = [x for x in lines if " 10.0.10.4 " not in x and " 10.0.10.5 " not in x]
    assert fk.find_lateral_movement(frame(three)).empty


def test_admin_sessions_without_rejects_are_medium() -> None:
    lines = [
        x
        for h in range(1, 6)
        for x in conv(
            "10.0.0.20", f"10.0.10.{h}", 40000 + h, 22, 300 * h, rq=(300, 40000), rs=(400, 90000)
        )
    ]
    assert records(fk.find_lateral_movement(frame(lines))) == [
        ("lateral_movement", "medium", "10.0.0.20", "many")
    ]


def test_threat_intel_both_directions(tmp_path: pytest.TempPathFactory) -> None:
    listed = tmp_path / "list.txt"  # type: ignore[operator]
    listed.write_text("# test list\n45.9.148.0/24  # malware\n194.26.29.114\n")
    lines = conv("10.0.12.11", "45.9.148.108", 40000, 443, 0, rs=(60, 60000))
    lines += [rec("194.26.29.114", "10.0.0.20", 40001, 22, 100, action="REJECT")]
    out = fk.find_threat_intel(frame(lines), threat_list=listed)
    assert records(out) == [
        ("threat_intel", "high", "10.0.12.11", "45.9.148.108"),
        ("threat_intel", "low", "194.26.29.114", "10.0.0.20"),
    ]
    assert fk.find_threat_intel(frame(lines)).empty
    assert len(fk.find_threat_intel(frame(lines), threat_list=["194.26.29.114"])) == 1


# --- novelty, protocols, rejects -------------------------------------------------------------


def test_unusual_port_after_the_baseline() -> None:
    lines = [x for i in range(100) for x in conv("10.0.11.21", "93.184.216.34", 40000 + i, 443,
                                                  900 * i)]  # fmt: skip
    lines += conv("10.0.11.21", "5.42.92.10", 50000, 4444, 30 * 3600)
    lines += conv("10.0.11.21", "93.184.216.99", 50001, 443, 30 * 3600)
    out = fk.find_unusual_port(frame(lines))
    assert records(out) == [("unusual_port", "low", "10.0.11.21", "5.42.92.10")]
    assert out.loc[0, "dstport"] == 4444
    assert fk.find_unusual_port(frame(lines), min_baseline_connections=500).empty


def test_unusual_protocol_to_public_addresses_only() -> None:
    lines = [
        rec("10.0.1.5", "93.184.216.34", 0, 0, 0, proto=47, packets=50, nbytes=5000),
        rec("10.0.1.5", "10.0.2.9", 0, 0, 0, proto=47, packets=50, nbytes=5000),
    ]
    out = fk.find_unusual_protocol(frame(lines))
    assert records(out) == [("unusual_protocol", "medium", "10.0.1.5", "93.184.216.34")]
    assert fk.find_unusual_protocol(frame(lines), allowed_protocols=(1, 6, 17, 47, 58)).empty


def test_rejected_burst_against_a_quiet_background() -> None:
    rng = np.random.default_rng(3)
    noise = [rec(f"198.18.{i % 200}.{i % 250}", "10.0.0.20", 40000 + i, int(p), int(t),
                 action="REJECT")
             for i, (t, p) in enumerate(zip(rng.uniform(0, 86400, 300),
                                            rng.integers(1, 1024, 300), strict=True))]  # fmt: skip
    burst = [rec("185.142.236.35", "10.0.0.20", 50000, p, 40000 + p // 10, action="REJECT")
             for p in range(1, 300)]  # fmt: skip
    assert fk.find_rejected_burst(frame(noise)).empty
    out = fk.find_rejected_burst(frame(noise + burst))
    assert records(out) == [("rejected_burst", "medium", "185.142.236.35", "10.0.0.20")]


def test_every_finding_frame_has_the_columns_in_order() -> None:
    lines = _ssh_attempts(30)
    for func in (
        fk.find_port_scan,
        fk.find_port_sweep,
        fk.find_ssh_brute_force,
        fk.find_beaconing,
        fk.find_exfiltration,
        fk.find_lateral_movement,
        fk.find_threat_intel,
        fk.find_unusual_port,
        fk.find_dos,
        fk.find_unusual_protocol,
        fk.find_rejected_burst,
        fk.find_rdp_brute_force,
        fk.find_brute_force,
        fk.find_fast_c2,
        fk.find_repeated_probe,
    ):
        out = func(frame(lines))
        assert tuple(out.columns) == FINDING_COLUMNS, func.__name__


def test_epoch_text_says_what_it_does_and_no_second_utc() -> None:
    """``detect.common.epoch_text`` writes epoch seconds as text; ``flowkit.times.utc`` is the
    one ``utc`` (it parses a time)."""
    from flowkit.detect import common

    assert common.epoch_text(1700000000) == "2023-11-14 22:13 UTC"
    assert "epoch_text" in common.__all__
    assert not hasattr(common, "utc")
