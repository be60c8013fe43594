"""Conversations (request/reply pairing, window merging) and de-duplication."""

from __future__ import annotations

import pandas as pd
import pytest

import flowkit as fk
from flowkit.enrich import add_inventory, load_inventory

FMT = ("interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action "
       "tcp-flags pkt-srcaddr pkt-dstaddr")  # fmt: skip
T = 1_700_000_000


def rec(eni, src, dst, sp, dp, proto, pk, by, t, action="ACCEPT", flags="-", psrc="-", pdst="-"):
    return (
        f"{eni} {src} {dst} {sp} {dp} {proto} {pk} {by} {t} {t + 60} {action} {flags} {psrc} {pdst}"
    )


def frame(*rows: str) -> pd.DataFrame:
    return fk.parse_lines([FMT, *rows], enrich=False)


def test_tcp_long_flow_split_over_windows_is_one_conversation():
    rows = []
    for i, (req_flags, rep_flags) in enumerate([(2, 18), (0, 0), (1, 1)]):
        t = T + 60 * i
        rows += [rec("eni-1", "10.0.1.5", "52.216.8.1", 50000, 443, 6, 10, 1000 + i, t,
                     flags=req_flags),
                 rec("eni-1", "52.216.8.1", "10.0.1.5", 443, 50000, 6, 20, 9000 + i, t,
                     flags=rep_flags)]  # fmt: skip
    c = fk.conversations(frame(*rows))
    assert len(c) == 1
    row = c.iloc[0]
    assert (row["initiator"], row["initiator_port"], row["responder"]) == ("10.0.1.5", 50000,
                                                                          "52.216.8.1")  # fmt: skip
    assert (row["service_port"], row["service"], row["protocol_name"]) == (443, "https", "TCP")
    assert (row["records"], row["request_records"], row["reply_records"]) == (6, 3, 3)
    assert (row["packets_out"], row["bytes_out"]) == (30, 3003)
    assert (row["packets_in"], row["bytes_in"]) == (60, 27003)
    assert row["first_seen"] == pd.Timestamp(T, unit="s", tz="UTC")
    assert row["last_seen"] == pd.Timestamp(T + 180, unit="s", tz="UTC")
    assert row["request_action"] == "ACCEPT"
    assert not row["reply_rejected"]
    assert row["reply_seen"]


def test_same_five_tuple_after_a_silence_is_a_new_conversation():
    rows = [rec("eni-1", "10.0.1.5", "10.0.0.2", 40000, 53, 17, 1, 70, T),
            rec("eni-1", "10.0.0.2", "10.0.1.5", 53, 40000, 17, 1, 200, T),
            rec("eni-1", "10.0.1.5", "10.0.0.2", 40000, 53, 17, 1, 70, T + 3600)]  # fmt: skip
    c = fk.conversations(frame(*rows)).sort_values("first_seen")
    assert c["records"].tolist() == [2, 1]
    assert c["service"].tolist() == ["domain", "domain"]
    assert c["initiator"].tolist() == ["10.0.1.5", "10.0.1.5"]
    assert c["reply_seen"].tolist() == [True, False]
    assert fk.conversations(frame(*rows), gap=7200)["records"].tolist() == [3]


def test_icmp_ping_with_reply_rejected_by_a_stateless_nacl():
    rows = [
        rec("eni-1", "203.0.113.12", "10.0.1.5", 0, 0, 1, 4, 336, T),
        rec("eni-1", "10.0.1.5", "203.0.113.12", 0, 0, 1, 4, 336, T, action="REJECT"),
    ]
    c = fk.conversations(frame(*rows))
    assert len(c) == 1
    row = c.iloc[0]
    assert (row["initiator"], row["responder"]) == ("203.0.113.12", "10.0.1.5")
    assert pd.isna(row["service_port"])
    assert pd.isna(row["service"])
    assert row["request_action"] == "ACCEPT"
    assert row["reply_rejected"]


def test_rejected_syn_without_reply():
    c = fk.conversations(frame(rec("eni-1", "198.51.100.7", "10.0.1.5", 51515, 22, 6, 1, 60, T,
                                   action="REJECT", flags=2)))  # fmt: skip
    row = c.iloc[0]
    assert (row["initiator"], row["service"], row["request_action"]) == ("198.51.100.7", "ssh",
                                                                          "REJECT")  # fmt: skip
    assert not row["reply_seen"]
    assert not row["reply_rejected"]


def test_flags_decide_the_initiator_against_the_ports():
    rows = [
        rec("eni-1", "10.0.1.5", "198.51.100.7", 443, 50000, 6, 1, 60, T, flags=2),
        rec("eni-1", "198.51.100.7", "10.0.1.5", 50000, 443, 6, 1, 60, T, flags=18),
    ]
    row = fk.conversations(frame(*rows)).iloc[0]
    assert (row["initiator"], row["initiator_port"], row["service_port"]) == ("10.0.1.5", 443,
                                                                              50000)  # fmt: skip


def test_per_eni_pairing_and_nodata_rows_are_left_out():
    rows = [rec("eni-a", "10.0.1.5", "10.0.2.9", 50000, 5432, 6, 5, 500, T),
            rec("eni-a", "10.0.2.9", "10.0.1.5", 5432, 50000, 6, 5, 900, T),
            rec("eni-b", "10.0.1.5", "10.0.2.9", 50000, 5432, 6, 5, 500, T),
            rec("eni-b", "10.0.2.9", "10.0.1.5", 5432, 50000, 6, 5, 900, T),
            "eni-c - - - - - - - 1700000000 1700000060 - - - -"]  # fmt: skip
    c = fk.conversations(frame(*rows))
    assert sorted(c["interface_id"].tolist()) == ["eni-a", "eni-b"]
    assert c["service"].tolist() == ["postgresql", "postgresql"]
    assert c["bytes_out"].tolist() == [500, 500]
    assert c["bytes_in"].tolist() == [900, 900]


def test_empty_frame():
    c = fk.conversations(frame("eni-c - - - - - - - 1700000000 1700000060 - - - -"))
    assert len(c) == 0
    assert {"conversation_id", "initiator", "reply_rejected"} <= set(c.columns)


NAT_ROWS = [
    rec("eni-nat", "10.0.1.5", "10.0.0.220", 50000, 443, 6, 10, 1000, T, psrc="10.0.1.5",
        pdst="203.0.113.5"),
    rec("eni-nat", "10.0.0.220", "203.0.113.5", 60000, 443, 6, 10, 1000, T),
    rec("eni-nat", "203.0.113.5", "10.0.0.220", 443, 60000, 6, 20, 8000, T),
    rec("eni-nat", "10.0.0.220", "10.0.1.5", 443, 50000, 6, 20, 8000, T, psrc="203.0.113.5",
        pdst="10.0.1.5"),
    rec("eni-inst", "10.0.1.5", "203.0.113.5", 50000, 443, 6, 10, 1000, T),
    rec("eni-inst", "203.0.113.5", "10.0.1.5", 443, 50000, 6, 20, 8000, T),
]  # fmt: skip


def test_nat_conversations_and_dedupe_counts_bytes_once():
    df = frame(*NAT_ROWS)
    c = fk.conversations(df)
    assert len(c) == 3  # instance ENI; NAT private side; NAT public side
    assert set(c["responder"]) == {"203.0.113.5"}
    assert int(df["bytes"].sum()) == 3 * 9000
    kept = fk.dedupe(df)
    assert kept["interface_id"].tolist() == ["eni-inst", "eni-inst"]
    assert int(kept["bytes"].sum()) == 9000


def test_dedupe_uses_eni_type_from_the_inventory():
    inv = load_inventory({"NetworkInterfaces": [
        {"NetworkInterfaceId": "eni-nat", "PrivateIpAddress": "10.0.0.220",
         "InterfaceType": "nat_gateway"},
        {"NetworkInterfaceId": "eni-inst", "PrivateIpAddress": "10.0.1.5",
         "Attachment": {"InstanceId": "i-1"}}]})  # fmt: skip
    df = add_inventory(frame(*NAT_ROWS), inv)
    assert int(fk.dedupe(df)["bytes"].sum()) == 9000
    only_nat = df[df["interface_id"] == "eni-nat"]
    assert int(fk.dedupe(only_nat)["bytes"].sum()) == 18000  # no workload copy: kept


def test_east_west_seen_on_both_enis_is_counted_once():
    rows = [rec("eni-a", "10.0.1.5", "10.0.2.9", 50000, 5432, 6, 5, 500, T),
            rec("eni-a", "10.0.2.9", "10.0.1.5", 5432, 50000, 6, 5, 900, T),
            rec("eni-b", "10.0.1.5", "10.0.2.9", 50000, 5432, 6, 5, 500, T),
            rec("eni-b", "10.0.2.9", "10.0.1.5", 5432, 50000, 6, 5, 900, T),
            rec("eni-a", "10.0.1.5", "52.216.8.1", 50001, 443, 6, 1, 70, T),
            rec("eni-a", "52.216.8.1", "10.0.1.5", 443, 50001, 6, 1, 30, T),
            "eni-c - - - - - - - 1700000000 1700000060 - - - -"]  # fmt: skip
    df = frame(*rows)
    kept = fk.dedupe(df, vantage="workload")
    assert int(kept["bytes"].sum()) == 500 + 900 + 70 + 30
    assert kept.index.tolist() == [0, 3, 4, 5, 6]
    egress = fk.dedupe(df, vantage="egress")
    assert int(egress["bytes"].sum()) == 500 + 900 + 70  # the S3 reply never leaves an ENI
    with pytest.raises(ValueError, match="vantage"):
        fk.dedupe(df, vantage="sideways")  # type: ignore[arg-type]


@pytest.mark.slow
def test_many_distinct_addresses_do_not_overflow_the_keys():
    n = 70_000  # more than 65,536 addresses: address * 65536 + port needs 64 bits
    rows = []
    for i in range(n):
        peer = f"{11 + i // 65536}.{i // 256 % 256}.{i % 256}.7"
        rows += [rec("eni-1", "10.0.1.5", peer, 50000, 443, 6, 1, 100, T),
                 rec("eni-1", peer, "10.0.1.5", 443, 50000, 6, 1, 900, T)]  # fmt: skip
    df = frame(*rows)
    c = fk.conversations(df)
    assert len(c) == n
    assert set(c["records"]) == {2}
    assert int(c["bytes_in"].sum()) == 900 * n
    assert c["responder"].nunique() == n
    assert len(fk.dedupe(df)) == 2 * n
