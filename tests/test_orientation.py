"""The one orientation model (flowkit.enrich.orientation) and its shared facts: rule order,
the rule column, ICMP types, the frame-wide rules, the own-address vote, the middlebox rule and
the one definition of internal."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import flowkit as fk
from flowkit.enrich import ORIENT_RULES
from flowkit.enrich.addresses import AddressSpace
from flowkit.enrich.aws import effective_space
from flowkit.enrich.facts import _top_votes, _votes
from flowkit.enrich.middlebox import middlebox_records, translating
from flowkit.enrich.scope import inside

T0 = 1_700_000_000
FMT = "interface-id srcaddr dstaddr srcport dstport protocol start end action tcp-flags"


def rec(eni: str, src: str, dst: str, sport: int, dport: int, proto: int = 6, t: int = 0,
        action: str = "ACCEPT", flags: str = "-") -> str:  # fmt: skip
    return f"{eni} {src} {dst} {sport} {dport} {proto} {T0 + t} {T0 + t + 50} {action} {flags}"


def frame(*rows: str) -> pd.DataFrame:
    return fk.parse_lines([FMT, *rows])


def rules(df: pd.DataFrame) -> list[object]:
    return df["orient_rule"].astype(object).where(df["orient_rule"].notna(), None).tolist()


def test_the_rule_column_holds_the_rules_in_order() -> None:
    df = frame(rec("eni-1", "10.0.0.5", "10.0.0.6", 50000, 443))
    assert isinstance(df["orient_rule"].dtype, pd.CategoricalDtype)
    assert list(df["orient_rule"].cat.categories) == list(ORIENT_RULES)
    assert ORIENT_RULES[:4] == ("flags", "reject", "icmp", "ports")


def test_flags_beat_reject_which_beats_ports() -> None:
    df = frame(
        rec("eni-1", "10.0.0.6", "10.0.0.5", 443, 50000, flags="18"),  # SYN-ACK: dst client
        rec("eni-1", "10.0.0.6", "10.0.0.5", 443, 8080, action="REJECT"),  # probe from 443
        rec("eni-1", "10.0.0.6", "10.0.0.5", 443, 50001),  # a reply by its ports
    )
    assert df["client_addr"].astype(str).tolist() == ["10.0.0.5", "10.0.0.6", "10.0.0.5"]
    assert rules(df) == ["flags", "reject", "ports"]


def test_icmp_types_in_the_ports_orient_the_record() -> None:
    df = frame(
        rec("eni-1", "10.0.0.5", "10.0.0.6", 8, 0, proto=1),  # echo request (type, code)
        rec("eni-1", "10.0.0.9", "10.0.0.5", 0, 2048, proto=1, t=100),  # NetFlow: type * 256
        rec("eni-1", "fd00::6", "fd00::5", 129, 0, proto=58, t=200),  # ICMPv6 echo reply
    )
    assert df["client_addr"].astype(str).tolist() == ["10.0.0.5", "10.0.0.9", "fd00::5"]
    assert rules(df) == ["icmp", "icmp", "icmp"]


def test_frame_rules_one_sided_first_speaker_edge_and_fan_in() -> None:
    df = frame(
        # one direction only on its ENI: the unanswered echo's source
        rec("eni-1", "10.0.0.5", "10.0.0.6", 0, 0, proto=1),
        # equal starts, across the edge: the outside end pinged in
        rec("eni-2", "198.51.100.7", "10.0.1.5", 0, 0, proto=1, t=60),
        rec("eni-2", "10.0.1.5", "198.51.100.7", 0, 0, proto=1, t=60),
        # NTP 123 to 123, equal starts: the side with more peers is the server
        *[rec("eni-3", f"10.0.2.{i}", "10.0.2.1", 123, 123, 17, t=120) for i in (5, 6)],
        *[rec("eni-3", "10.0.2.1", f"10.0.2.{i}", 123, 123, 17, t=120) for i in (5, 6)],
    )
    assert rules(df) == ["one_sided", "edge", "edge", "fan_in", "fan_in", "fan_in", "fan_in"]
    assert df["client_addr"].astype(str).tolist() == [
        "10.0.0.5", "198.51.100.7", "198.51.100.7", "10.0.2.5", "10.0.2.6", "10.0.2.5",
        "10.0.2.6",
    ]  # fmt: skip


def test_a_record_nothing_orients_has_no_client() -> None:
    df = frame(rec("eni-1", "10.0.0.5", "10.0.0.6", 0, 0, proto=1, t=0),
               rec("eni-1", "10.0.0.6", "10.0.0.5", 0, 0, proto=1, t=0))  # fmt: skip
    assert rules(df) == [None, None]
    assert df["client_addr"].isna().all()
    assert df["local_role"].isna().all()


def test_a_raw_frame_everywhere_gets_the_enriched_answers() -> None:
    rows = [rec("eni-1", "203.0.113.66", "10.0.1.10", 443, 8080, action="REJECT"),
            rec("eni-1", "10.0.1.10", "52.216.8.1", 50000, 443)]  # fmt: skip
    raw, enriched = fk.parse_lines([FMT, *rows], enrich=False), frame(*rows)
    for df in (raw, enriched):
        view = fk.detect.build_view(df)
        assert sorted(view.name(view.rec["cli"])) == ["10.0.1.10", "203.0.113.66"]
        assert sorted(fk.conversations(df)["initiator"].astype(str)) == [
            "10.0.1.10", "203.0.113.66"]  # fmt: skip


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_top_votes_equal_the_top_of_every_vote(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, n_eni, nu = 4000, 12, 60
    e = rng.integers(0, n_eni, n)
    own = rng.integers(0, nu, n_eni)
    peer = rng.integers(0, nu, n)
    out = rng.random(n) < 0.5
    s, d = np.where(out, own[e], peer), np.where(out, peer, own[e])
    two = e == 3  # an ENI with two own addresses
    s[two & (rng.random(n) < 0.5)] = (own[3] + 1) % nu
    full_e, full_a, full_n = _votes(e, s, d, None, nu)
    frame_ = pd.DataFrame({"e": full_e, "a": full_a, "n": full_n})
    best = frame_[frame_["n"] == frame_.groupby("e")["n"].transform("max")]
    got = _top_votes(e, s, d, n_eni, nu)
    assert [x.tolist() for x in got] == [best["e"].tolist(), best["a"].tolist(),
                                          best["n"].tolist()]  # fmt: skip


def test_multicast_is_inside_everywhere() -> None:
    space = AddressSpace.of([pd.Series(["224.0.0.251", "ff02::fb", "8.8.8.8"])])
    assert inside(space).tolist() == [True, True, False]
    df = frame(rec("eni-1", "10.0.0.5", "224.0.0.251", 5353, 5353, 17))
    assert df["direction"].tolist() == ["internal"]
    view = fk.detect.build_view(df)
    assert view.internal.tolist() == [True, True]


def test_one_middlebox_rule_declared_types_else_translating() -> None:
    df = pd.DataFrame({
        "interface_id": ["eni-nat", "eni-nat", "eni-tgw", "eni-app"],
        "srcaddr": ["10.0.1.5", "10.0.0.220", "10.0.0.9", "10.0.1.5"],
        "dstaddr": ["10.0.0.220", "203.0.113.5", "10.0.1.5", "203.0.113.5"],
        "pkt_srcaddr": ["10.0.1.5", "10.0.0.220", "10.1.0.7", "10.0.1.5"],
        "pkt_dstaddr": ["203.0.113.5", "203.0.113.5", "10.0.1.5", "203.0.113.5"],
    })  # fmt: skip
    space, _, _ = effective_space(df)
    eni = df["interface_id"].astype("category")
    kinds = translating(space, eni.cat.codes.to_numpy(), len(eni.cat.categories))
    assert dict(zip(eni.cat.categories, kinds.tolist(), strict=True)) == {
        "eni-app": 0, "eni-nat": 2, "eni-tgw": 1}  # fmt: skip
    assert middlebox_records(df, ["eni-nat", "eni-tgw"]).tolist() == [True, True, True, False]
    typed = df.assign(eni_type=["nat_gateway", "nat_gateway", "instance", None])
    assert middlebox_records(typed, ["eni-tgw"]).tolist() == [True, True, False, False]
