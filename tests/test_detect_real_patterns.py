"""Hand-made reconstructions of what real traffic looks like, for each detection of issue 19.

Slow scans, scanners that keep one source port, REJECTs oriented backwards by port numbers,
refusals by reset, web tails and response fragments, peer-to-peer clients, C2 check-ins with
skipped beats, keepalives and fleet agents, fast C2 channels, guessing on a non-standard port,
two-way calls and one-way uploads.  Every case is built here from flow-log lines (none comes
from a capture), with a near miss beside each pattern.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_detect_units import conv, frame, rec, records

import flowkit as fk

SCANNER, HOST, C2 = "79.124.62.34", "10.0.1.167", "41.108.179.197"


# --- scans at every speed ---------------------------------------------------------------------


def test_a_slow_scan_over_a_day_is_found_with_the_scanner_as_actor() -> None:
    # 12 ports, one every 100 minutes: never more than one in any 10-minute window.
    lines = [rec(SCANNER, HOST, 50000 + i, 8000 + 37 * i, 6000 * i, action="REJECT")
             for i in range(12)]  # fmt: skip
    out = fk.find_port_scan(frame(lines))
    assert records(out) == [("port_scan", "low", SCANNER, HOST)]
    ev = out.loc[0, "evidence"]
    assert ev["peak_ports"] == {"10": 1, "60": 1, "1440": 12}
    assert ev["trw_decided_after"] == 4  # four failures: the walk reaches 99
    assert not ev["strong"]
    # The same ports spread over two days never fill one day: no scan.
    apart = [rec(SCANNER, HOST, 50000 + i, 8000 + 37 * i, 15000 * i, action="REJECT")
             for i in range(12)]  # fmt: skip
    assert fk.find_port_scan(frame(apart)).empty
    # An internal host scanning slowly is medium; fast, high.
    inside = [x.replace(SCANNER, "10.0.2.9") for x in lines]
    assert records(fk.find_port_scan(frame(inside)))[0][1] == "medium"


def test_a_client_whose_first_contacts_are_answered_is_not_a_scanner() -> None:
    # 12 ports answered (a passive-FTP or RPC client), 8 refused: the walk ends benign.
    lines = [x for p in range(12) for x in conv("203.0.113.5", HOST, 40000 + p, 9000 + p,
                                                  60 * p, rq=(6, 500), rs=(6, 3000))]  # fmt: skip
    lines += [rec("203.0.113.5", HOST, 41000 + p, 7000 + p, 900 + 60 * p, action="REJECT")
              for p in range(8)]  # fmt: skip
    assert fk.find_port_scan(frame(lines)).empty
    # With the answers gone, the same 8 failures plus 4 more are a scan.
    more = lines[24:] + [rec("203.0.113.5", HOST, 42000 + p, 6000 + p, 2000 + 60 * p,
                             action="REJECT") for p in range(4)]  # fmt: skip
    assert records(fk.find_port_scan(frame(more)))[0][2] == "203.0.113.5"


def test_rejects_oriented_backwards_by_ports_still_name_the_scanner() -> None:
    # A scanner on source port 52496 probing high ports: by port numbers alone, some of these
    # REJECTs look like responses of the host's port 52496.  A REJECT is a dropped request.
    lines = [rec(SCANNER, HOST, 52496, p, 120 * i, action="REJECT")
             for i, p in enumerate([58978, 60001, 61002, 53336, 55000, 57001, 59002, 62003,
                                    63004, 64005, 65000, 54321])]  # fmt: skip
    out = fk.find_port_scan(frame(lines))
    assert records(out) == [("port_scan", "low", SCANNER, HOST)]
    assert out.loc[0, "evidence"]["distinct_ports"] == 12


def test_refusals_by_reset_count_as_failures() -> None:
    # A host whose security group lets everything in answers closed ports with a reset:
    # a 44-byte SYN and a 40-byte RST, both ACCEPT.
    lines = [x for p in range(1, 31) for x in conv(SCANNER, HOST, 40000, p, p, rq=(1, 44),
                                                    rs=(1, 40))]  # fmt: skip
    assert records(fk.find_port_scan(frame(lines))) == [("port_scan", "medium", SCANNER, HOST)]
    # An answer with options (a SYN-ACK, 44+ bytes) is an open port: a success.
    open_ = [x for p in range(1, 31) for x in conv(SCANNER, HOST, 40000, p, p, rq=(2, 84),
                                                    rs=(1, 44))]  # fmt: skip
    assert fk.find_port_scan(frame(open_)).empty


def test_web_tails_and_response_fragments_are_not_probes() -> None:
    lines = []
    for h in range(1, 31):
        web = f"93.184.{h}.10"
        # a conversation, then its unanswered tail 10 minutes later (same client port)
        lines += conv(HOST, web, 50000 + h, 443, 10 * h, rq=(12, 2000), rs=(14, 40000))
        lines.append(rec(HOST, web, 50000 + h, 443, 600 + 10 * h, packets=1, nbytes=40))
        # a response fragment whose start was not logged (server to client only)
        lines.append(rec(web, HOST, 80, 51000 + h, 20 + 10 * h, packets=1, nbytes=54))
        # one packet each way at the start of the records (a 54-byte tail, not a reset)
        lines += conv(HOST, f"204.79.{h}.200", 52000 + h, 80, 1, rq=(1, 54), rs=(1, 54))
    df = frame(lines)
    assert fk.find_port_sweep(df).empty
    assert fk.find_port_scan(df).empty
    assert fk.find_repeated_probe(df).empty


def test_a_peer_to_peer_client_is_not_a_sweeper_but_host_discovery_is() -> None:
    rng = np.random.default_rng(7)
    lines = []
    for i in range(60):  # DHT/uTP peers on 6881: about half answer
        peer = f"82.{i}.20.251"
        rs = (2, 300) if rng.random() < 0.5 else None
        lines += conv(HOST, peer, 40000 + i, 6881, 20 * i, proto=17, rq=(2, 300), rs=rs)
    assert fk.find_port_sweep(frame(lines)).empty
    # Host discovery: ICMP, 80 and 443 to every address of a subnet, 3 alive.
    scan = []
    for h in range(1, 51):
        alive = h in (8, 24, 30)
        for port, proto in ((0, 1), (80, 6), (443, 6)):
            scan += conv("172.16.1.11", f"172.16.1.{h}", 40000 + h if port else 0, port, h,
                         proto=proto, rq=(1, 44), rs=(1, 60) if alive else None)  # fmt: skip
    out = fk.find_port_sweep(frame(lines + scan))
    assert records(out) == [("port_sweep", "high", "172.16.1.11", "many")]  # one per actor
    assert out.loc[0, "evidence"]["ports"] == ["0/icmp", "80/tcp", "443/tcp"]
    assert out["dstport"].isna().all()
    assert out.loc[0, "evidence"]["distinct_hosts"] == 47


# --- repeated probes --------------------------------------------------------------------------


def test_repeated_probes_of_a_closed_service() -> None:
    tries = [rec("45.140.140.78", HOST, 40000 + i, 23, 3000 * i, packets=2, nbytes=88,
                 action="REJECT") for i in range(12)]  # fmt: skip
    out = fk.find_repeated_probe(frame(tries))
    assert records(out) == [("repeated_probe", "low", "45.140.140.78", HOST)]
    assert out.loc[0, "dstport"] == 23
    assert fk.find_repeated_probe(frame(tries[:9])).empty
    # One source port kept for 23 minutes of SYNs is one long "connection": counted by tries.
    one_port = [rec("45.140.140.75", HOST, 10647, 23, 60 * m, packets=20, nbytes=800, dur=50,
                    action="REJECT") for m in range(23)]  # fmt: skip
    out = fk.find_repeated_probe(frame(one_port))
    assert records(out) == [("repeated_probe", "medium", "45.140.140.75", HOST)]
    assert out.loc[0, "flows"] == 23 * 20 // 3


def test_open_services_pings_and_dead_outside_services_are_not_alarms() -> None:
    answered = [x for i in range(30) for x in conv("172.104.159.48", HOST, 40000 + i, 5060,
                                                    5 * i, rq=(5, 400), rs=(5, 400))]  # fmt: skip
    assert fk.find_repeated_probe(frame(answered)).empty
    icmp = [rec("209.85.251.178", HOST, 0, 0, 3 * i, proto=1, packets=1, nbytes=56,
                action="REJECT") for i in range(160)]  # fmt: skip
    assert fk.find_repeated_probe(frame(icmp)).empty
    dead = [rec(HOST, "198.51.100.9", 40000 + i, 1177, 23 * i, packets=3, nbytes=152)
            for i in range(150)]  # fmt: skip
    assert records(fk.find_repeated_probe(frame(dead))) == [
        ("repeated_probe", "low", HOST, "198.51.100.9")]  # fmt: skip


# --- beaconing ---------------------------------------------------------------------------------


def _checkins(times: np.ndarray, *, src: str = HOST, dst: str = C2, pair: bool = True,
              same_port: bool = False) -> list[str]:  # fmt: skip
    out = []
    for i, t in enumerate(times):
        port = 40000 if same_port else 40000 + 2 * i
        out += conv(src, dst, port, 80, int(t), rq=(5, 600), rs=(5, 900))
        if pair:  # each check-in is two connections 20 s apart
            out += conv(src, dst, port + 1, 80, int(t) + 20, rq=(5, 600), rs=(5, 900))
    return out


def test_a_six_hour_botnet_with_skipped_beats_is_beaconing() -> None:
    rng = np.random.default_rng(11)
    beats = np.arange(22) * 21600.0 + rng.uniform(-600, 600, 22)
    kept = beats[rng.random(22) > 0.3]  # a third of the check-ins missed
    out = fk.find_beaconing(frame(_checkins(kept)))
    assert records(out) == [("beaconing", "medium", HOST, C2)]
    ev = out.loc[0, "evidence"]
    assert ev["series"] == "check-ins"
    assert abs(ev["period_s"] - 21600) < 0.05 * 21600
    assert ev["checkins"] == len(kept)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_poisson_check_ins_are_not_beaconing(seed: int) -> None:
    rng = np.random.default_rng(seed)
    times = np.cumsum(rng.exponential(1800, 40))
    assert fk.find_beaconing(frame(_checkins(times, pair=False))).empty


def test_keepalives_and_fleet_schedules_are_low() -> None:
    every = np.arange(100) * 302.0
    keep = fk.find_beaconing(frame(_checkins(every, pair=False, same_port=True)))
    assert records(keep) == [("beaconing", "low", HOST, C2)]
    assert keep.loc[0, "evidence"]["keepalive_share"] > 0.9
    fleet = []
    for k, dst in enumerate(("20.54.24.231", "20.54.24.246", "51.104.162.168")):
        fleet += _checkins(np.arange(90) * 900.0 + 37 * k, dst=dst, pair=False)
    out = fk.find_beaconing(frame(fleet))
    assert sorted(out["severity"].tolist()) == ["low", "low", "low"]
    assert {e["channels_on_schedule"] for e in out["evidence"]} == {3}
    # Two channels are a primary and a fallback C2: not a fleet.
    assert set(fk.find_beaconing(frame(fleet[: 2 * 2 * 90]))["severity"]) == {"high"}


# --- fast C2 ----------------------------------------------------------------------------------


def test_fast_c2_channels() -> None:
    dead = [rec(HOST, C2, 49000 + i, 1177, 23 * i, packets=3, nbytes=152, dur=9)
            for i in range(119)]  # fmt: skip
    out = fk.find_fast_c2(frame(dead))
    assert records(out) == [("fast_c2", "medium", HOST, C2)]
    assert out.loc[0, "evidence"]["median_interval_s"] == 23
    rng = np.random.default_rng(3)
    t = np.cumsum(rng.integers(1, 3, 1500))  # a poll every 1-2 s for about 40 minutes
    rat = [
        x
        for i, s in enumerate(t)
        for x in conv(HOST, "76.72.165.63", 40000 + i % 20000, 80, int(s), rq=(7, 575), rs=(8, 692))
    ]
    assert records(fk.find_fast_c2(frame(rat))) == [("fast_c2", "medium", HOST, "76.72.165.63")]


def test_resolvers_page_loads_and_fleets_are_not_fast_c2() -> None:
    rng = np.random.default_rng(4)
    t = np.cumsum(rng.choice([0, 0, 0, 1, 5], 1000))  # several queries a second, in bursts
    dns = [
        x
        for i, s in enumerate(t)
        for x in conv(HOST, "8.8.8.8", 30000 + i, 53, int(s), proto=17, rq=(1, 70), rs=(1, 130))
    ]
    assert fk.find_fast_c2(frame(dns)).empty
    page = [x for i in range(60) for x in conv(HOST, "151.101.1.69", 40000 + i, 443, i // 6,
                                                rq=(10, 900), rs=(30, 40000))]  # fmt: skip
    assert fk.find_fast_c2(frame(page)).empty
    fleet = [x for h in range(3) for i in range(60) for x in conv(
        f"10.0.1.{10 + h}", "203.0.113.50", 40000 + i, 443, 20 * i + h,
        rq=(5, 600), rs=(5, 900))]  # fmt: skip
    assert fk.find_fast_c2(frame(fleet)).empty
    assert len(fk.find_fast_c2(frame(fleet), fleet_hosts=4)) == 3


# --- brute force on any port -----------------------------------------------------------------


def test_password_guessing_on_a_non_standard_port() -> None:
    guesses = [
        x
        for i in range(67)
        for x in conv(
            "147.32.80.40", "10.0.80.37", 38000 + i, 902, i // 5, rq=(11, 2324), rs=(10, 2367)
        )
    ]
    out = fk.find_brute_force(frame(guesses))
    assert records(out) == [("brute_force", "low", "147.32.80.40", "10.0.80.37")]
    assert out.loc[0, "dstport"] == 902
    assert fk.find_ssh_brute_force(frame(guesses)).empty
    # On a login port from inside to inside: medium (a compromised host guessing a database).
    inside = [x.replace("147.32.80.40", "10.0.11.21").replace(" 902 ", " 3306 ")
              for x in guesses]  # fmt: skip
    assert records(fk.find_brute_force(frame(inside)))[0][1] == "medium"
    # Your host polling an outside web API as fast is only low: the behaviour is the same.
    poll = [x.replace("147.32.80.40", "10.0.1.112").replace("10.0.80.37", "76.72.165.63")
            .replace(" 902 ", " 80 ") for x in guesses]  # fmt: skip
    assert records(fk.find_brute_force(frame(poll)))[0][1] == "low"


def test_health_checks_and_browsers_are_not_guessing() -> None:
    checks = [x for i in range(720) for x in conv("10.0.0.10", "10.0.10.5", 40000 + i, 8080,
                                                   5 * i, rq=(6, 400), rs=(5, 600))]  # fmt: skip
    assert fk.find_brute_force(frame(checks)).empty
    rng = np.random.default_rng(2)
    sizes = rng.integers(300, 6000, 40)
    browser = [
        x
        for i in range(40)
        for x in conv(
            HOST, "10.0.20.7", 41000 + i, 8443, i // 2, rq=(8, int(sizes[i])), rs=(20, 30000)
        )
    ]
    assert fk.find_brute_force(frame(browser)).empty


# --- exfiltration ----------------------------------------------------------------------------


def _hours(src: str, dst: str, out_b: int, in_b: int, hours: range, port: int = 443
           ) -> list[str]:  # fmt: skip
    return [x for h in hours for x in conv(src, dst, 40000 + h, port, 3600 * h,
                                           rq=(out_b // 1400 + 1, out_b),
                                           rs=(in_b // 1400 + 1, in_b), dur=50)]  # fmt: skip


def test_a_two_way_call_is_not_exfiltration_and_a_small_one_way_upload_is() -> None:
    usual = _hours(HOST, "93.184.216.34", 300_000, 900_000, range(30))
    call = _hours(HOST, "66.22.197.10", 457_000_000, 861_000_000, range(28, 29), port=3478)
    assert fk.find_exfiltration(frame(usual + call)).empty
    upload = _hours(HOST, "147.32.83.234", 43_000_000, 750_000, range(29, 30), port=1337)
    out = fk.find_exfiltration(frame(usual + upload))
    assert records(out) == [("exfiltration", "medium", HOST, "147.32.83.234")]
    assert out.loc[0, "evidence"]["new_destination"] is True
    # The same upload to an address the host talked to an hour before is not new.
    known = _hours(HOST, "147.32.83.234", 20_000, 60_000, range(28, 29))
    assert fk.find_exfiltration(frame(usual + known + upload)).empty
    # Serving a download to an outside client is not an upload the host chose.
    served = conv("147.32.83.234", HOST, 40000, 8443, 29 * 3600, rq=(500, 750_000),
                  rs=(30_000, 43_000_000), dur=50)  # fmt: skip
    assert fk.find_exfiltration(frame(usual + served)).empty
