"""Threat-intelligence lists (flowkit.enrich.threat)."""

from __future__ import annotations

import pandas as pd

from flowkit.enrich import add_threat, example_threat_list, load_threat_list


def test_load_plain_text_and_csv_lists(tmp_path):
    plain = tmp_path / "list.txt"
    plain.write_text("# comment\n45.9.148.0/24  # hosting range\n194.26.29.114,botnet\n\n")
    csv = tmp_path / "list.csv"
    csv.write_text("indicator,type,label\n91.213.50.77,ip,phishing\n45.9.148.108,ip,c2\n")
    tl = load_threat_list([plain, csv], label="listed")
    got = tl.table.labels_of(["45.9.148.1", "45.9.148.108", "194.26.29.114", "91.213.50.77",
                              "8.8.8.8"]).tolist()  # fmt: skip
    assert got == ["listed", "c2", "botnet", "phishing", None]
    assert tl.size == 4


def test_add_threat_checks_every_address_column():
    df = pd.DataFrame({
        "srcaddr": ["10.0.0.5", "10.0.0.5", "10.0.0.5"],
        "dstaddr": ["10.0.0.10", "8.8.8.8", "10.0.0.10"],
        "pkt_srcaddr": ["10.0.0.5", "10.0.0.5", None],
        "pkt_dstaddr": ["203.0.113.66", "8.8.8.8", None],
    })  # fmt: skip
    out = add_threat(df, example_threat_list())
    assert out["threat_match"].tolist() == [True, False, False]
    assert out["threat_label"].tolist()[0] == "example-scanner"
    assert out["threat_label"].isna().tolist() == [False, True, True]


def test_ipv6_entries():
    tl = load_threat_list({"2001:db8:bad::/48": "v6-c2"})
    df = pd.DataFrame({"srcaddr": ["2001:db8:bad::1", "2001:db8::1"], "dstaddr": ["::1", "::1"]})
    assert add_threat(df, tl)["threat_match"].tolist() == [True, False]
