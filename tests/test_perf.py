"""Tests of flowkit.perf on hand-made records."""

from __future__ import annotations

import pandas as pd
import pytest

import flowkit as fk
from flowkit import perf
from flowkit.errors import MissingFieldsError

T0 = 1700000000  # Tuesday 2023-11-14 22:13:20 UTC
HEADER = (
    "interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action "
    "log-status tcp-flags flow-direction pkt-srcaddr pkt-dstaddr interface-type"
)


def rec(eni: str, src: str, dst: str, sport: int, dport: int, packets: int, nbytes: int,
        way: str, *, t: int = 0, flags: str = "0", action: str = "ACCEPT",
        psrc: str | None = None, pdst: str | None = None, itype: str = "-") -> str:  # fmt: skip
    return (f"{eni} {src} {dst} {sport} {dport} 6 {packets} {nbytes} {T0 + t} {T0 + t + 59} "
            f"{action} OK {flags} {way} {psrc or src} {pdst or dst} {itype}")  # fmt: skip


def frame(*lines: str) -> pd.DataFrame:
    return fk.parse_lines([HEADER, *lines])


def east_west() -> pd.DataFrame:
    """web (10.0.0.5, eni-a) fetches 9,000 bytes from db (10.0.1.6, eni-b); both ENIs log it."""
    return frame(
        rec("eni-a", "10.0.0.5", "10.0.1.6", 50000, 5432, 5, 500, "egress"),
        rec("eni-a", "10.0.1.6", "10.0.0.5", 5432, 50000, 9, 9000, "ingress"),
        rec("eni-b", "10.0.0.5", "10.0.1.6", 50000, 5432, 5, 500, "ingress"),
        rec("eni-b", "10.0.1.6", "10.0.0.5", 5432, 50000, 9, 9000, "egress"),
        rec("eni-a", "10.0.0.5", "198.51.100.7", 50001, 443, 2, 120, "egress", t=3600),
    )


def test_throughput_bins_and_rates() -> None:
    out = perf.throughput(east_west(), freq="1h")
    a = out[out["interface_id"] == "eni-a"]
    assert a["bytes"].tolist() == [9500, 120]
    assert a["flows"].tolist() == [2, 1]
    assert a["bytes_per_s"].tolist() == pytest.approx([9500 / 3600, 120 / 3600])
    assert a["bits_per_s"].tolist() == pytest.approx([9500 * 8 / 3600, 120 * 8 / 3600])
    assert (out["time"].dt.minute == 0).all()
    total = perf.throughput(east_west(), by=None, freq="1D")
    assert total["bytes"].tolist() == [19120]
    with pytest.raises(ValueError, match="eni_name"):
        perf.throughput(east_west(), by="eni_name")


def test_top_talkers_counts_east_west_once() -> None:
    out = perf.top_talkers(east_west()).set_index("host")
    assert out.loc["10.0.1.6", "bytes_sent"] == 9000
    assert out.loc["10.0.1.6", "bytes_received"] == 500
    assert out.loc["10.0.0.5", "bytes"] == 9500 + 120
    assert out.loc["10.0.0.5", "peers"] == 2
    assert out.index[0] == "10.0.0.5"


def test_top_talkers_nat_copy_not_counted_twice() -> None:
    inst, nat, srv = "10.0.2.10", "10.0.0.50", "198.51.100.7"
    df = frame(
        rec("eni-i", inst, srv, 40000, 443, 2, 1000, "egress"),
        rec("eni-i", srv, inst, 443, 40000, 5, 5000, "ingress"),
        rec("eni-n", inst, nat, 40000, 443, 2, 1000, "ingress", pdst=srv, itype="nat_gateway"),
        rec("eni-n", nat, srv, 61000, 443, 2, 1000, "egress", itype="nat_gateway"),
        rec("eni-n", srv, nat, 443, 61000, 5, 5000, "ingress", itype="nat_gateway"),
        rec("eni-n", nat, inst, 443, 40000, 5, 5000, "egress", psrc=srv, itype="nat_gateway"),
    )  # fmt: skip
    out = perf.top_talkers(df).set_index("host")
    assert out.loc[srv, "bytes_received"] == 1000
    assert out.loc[srv, "bytes_sent"] == 5000


def test_top_conversations_pairs_and_order() -> None:
    out = perf.top_conversations(east_west())
    first = out.iloc[0]
    assert (first["host_a"], first["host_b"]) == ("10.0.0.5", "10.0.1.6")
    assert (first["bytes_a_to_b"], first["bytes_b_to_a"], first["bytes"]) == (500, 9000, 9500)
    assert first["records"] == 2
    assert out["bytes"].tolist() == [9500, 120]
    assert perf.top_conversations(east_west(), n=1).shape[0] == 1


def test_top_talkers_names_from_inventory_columns() -> None:
    df = east_west()
    df["local_addr"] = pd.Categorical(["10.0.0.5", "10.0.0.5", "10.0.1.6", "10.0.1.6", "10.0.0.5"])
    df["eni_name"] = pd.Categorical(["web-1", "web-1", "db-1", "db-1", "web-1"])
    out = perf.top_talkers(df).set_index("host")
    assert out.loc["10.0.1.6", "name"] == "db-1"
    assert pd.isna(out.loc["198.51.100.7", "name"])


def test_packet_sizes_packet_weighted_shares() -> None:
    df = frame(
        rec("eni-a", "10.0.0.5", "10.0.1.6", 1, 2, 10, 400, "egress"),  # 40 B/packet
        rec("eni-a", "10.0.1.6", "10.0.0.5", 2, 1, 30, 45000, "ingress"),  # 1500 B/packet
        rec("eni-b", "10.0.1.6", "10.0.0.5", 2, 1, 10, 5000, "egress"),  # 500 B/packet
    )  # fmt: skip
    out = perf.packet_sizes(df).set_index("size")
    assert out.loc["0-63", "packets"] == 10
    assert out.loc["1500-9000", "packets"] == 30
    assert out.loc["256-511", "records"] == 1
    assert out["packet_share"].sum() == pytest.approx(1.0)
    assert out.loc["1500-9000", "packet_share"] == pytest.approx(0.6)
    per_eni = perf.packet_sizes(df, by="interface_id")
    b = per_eni[per_eni["interface_id"] == "eni-b"].set_index("size")
    assert b.loc["256-511", "packet_share"] == 1.0


def test_reject_rate_per_hour_and_eni() -> None:
    df = frame(
        rec("eni-a", "203.0.113.9", "10.0.0.5", 40000, 22, 1, 40, "ingress", action="REJECT"),
        rec("eni-a", "203.0.113.9", "10.0.0.5", 40001, 22, 1, 40, "ingress", action="REJECT"),
        rec("eni-a", "203.0.113.8", "10.0.0.5", 40002, 443, 1, 40, "ingress"),
        rec("eni-a", "203.0.113.8", "10.0.0.5", 40003, 443, 1, 40, "ingress", t=3600),
        rec("eni-b", "203.0.113.8", "10.0.1.6", 40004, 443, 1, 40, "ingress"),
    )  # fmt: skip
    out = perf.reject_rate(df, freq="1h")
    assert out["records"].tolist() == [3, 1, 1]
    assert out["reject_rate"].tolist() == pytest.approx([2 / 3, 0.0, 0.0])
    nodata = fk.parse_lines(["2 1 eni-1 - - - - - - - 1700000000 1700000600 - NODATA"])
    assert perf.reject_rate(nodata).empty


def test_handshake_health_syn_synack_rst() -> None:
    df = frame(
        # answered https handshake, logged on both ENIs (counted once)
        rec("eni-a", "10.0.0.5", "10.0.1.6", 50000, 443, 3, 180, "egress", flags="3"),
        rec("eni-b", "10.0.0.5", "10.0.1.6", 50000, 443, 3, 180, "ingress", flags="3"),
        rec("eni-b", "10.0.1.6", "10.0.0.5", 443, 50000, 3, 180, "egress", flags="19"),
        # unanswered SYNs to postgres, and a reset
        rec("eni-a", "10.0.0.5", "10.0.1.7", 50001, 5432, 1, 60, "egress", flags="2"),
        rec("eni-a", "10.0.0.5", "10.0.1.7", 50002, 5432, 1, 60, "egress", flags="2"),
        rec("eni-a", "10.0.1.7", "10.0.0.5", 5432, 50002, 1, 40, "ingress", flags="4"),
    )  # fmt: skip
    out = perf.handshake_health(df).set_index("service_port")
    assert out.loc[443, ["attempts", "answered", "unanswered"]].tolist() == [1, 1, 0]
    assert out.loc[5432, ["attempts", "answered", "unanswered"]].tolist() == [2, 0, 2]
    assert out.loc[5432, "unanswered_rate"] == 1.0
    assert out.loc[5432, "rst_records"] == 1
    assert out.loc[5432, "rst_rate"] == pytest.approx(1 / 3)
    assert out.loc[443, "service"] == "https"
    assert out.index[0] == 5432  # the worst first
    v2 = fk.parse_lines(
        ["2 1 eni-a 10.0.0.5 10.0.1.6 1 443 6 1 40 1700000000 1700000060 ACCEPT OK"]
    )
    with pytest.raises(MissingFieldsError, match="'tcp_flags'"):  # not "all healthy"
        perf.handshake_health(v2)


def test_hour_of_week_counts_and_bytes() -> None:
    df = east_west()
    flows = perf.hour_of_week(df)
    assert flows.shape == (7, 24)
    assert flows.loc["Tue", 22] == 4
    assert flows.loc["Tue", 23] == 1
    assert flows.to_numpy().sum() == 5
    assert perf.hour_of_week(df, value="bytes").loc["Tue", 23] == 120
    with pytest.raises(ValueError, match="flows"):
        perf.hour_of_week(df, value="packets")


def test_saturation_candidates_threshold_and_mapping() -> None:
    gbit_minute = int(1e9 / 8 * 60)  # one minute at 1 Gbit/s
    df = frame(
        rec("eni-a", "10.0.0.5", "10.0.1.6", 1, 2, 9, int(gbit_minute * 0.9), "egress"),
        rec("eni-a", "10.0.0.5", "10.0.1.6", 1, 2, 9, int(gbit_minute * 0.2), "egress", t=60),
        rec("eni-b", "10.0.1.6", "10.0.0.5", 2, 1, 9, int(gbit_minute * 0.5), "egress"),
    )  # fmt: skip
    out = perf.saturation_candidates(df, bandwidth_gbps=1.0, threshold=0.8)
    assert out["interface_id"].tolist() == ["eni-a"]
    assert out.loc[0, "utilisation"] == pytest.approx(0.9, rel=1e-6)
    assert out.loc[0, "bins_over"] == 1
    assert out.loc[0, "peak_time"] == pd.Timestamp(T0 - T0 % 60, unit="s", tz="UTC")
    both = perf.saturation_candidates(df, bandwidth_gbps={"eni-a": 10.0, "eni-b": 0.5},
                                      threshold=0.8)  # fmt: skip
    assert both["interface_id"].tolist() == ["eni-b"]
    assert both.loc[0, "utilisation"] == pytest.approx(1.0, rel=1e-6)


# --- the sample estate ------------------------------------------------------------------------
def test_sample_top_conversation_is_the_planted_cross_az_pair() -> None:
    import json
    from pathlib import Path

    from flowkit.enrich import enrich

    sample = Path(__file__).resolve().parents[1] / "data" / "sample"
    if not (sample / "ground_truth.json").exists():
        pytest.fail("data/sample is missing: run `flowkit sample`")
    truth = json.loads((sample / "ground_truth.json").read_text())
    chatter = next(i for i in truth["incidents"] if i["kind"] == "cross_az_chatter")
    df = enrich(fk.read(sample, progress=False), inventory=sample / "inventory.json")
    top = perf.top_conversations(df, n=3).iloc[0]
    assert {top["name_a"], top["name_b"]} == {chatter["parameters"]["client"],
                                              chatter["parameters"]["server"]}  # fmt: skip
    # counted once: the two ENIs logged it twice, the conversation holds it once
    assert top["bytes"] / 1e9 == pytest.approx(chatter["evidence"]["gigabytes"], rel=0.05)
    health = perf.handshake_health(df)
    assert (health["attempts"] >= health["answered"]).all()
    assert perf.hour_of_week(df).to_numpy().sum() > 0
