"""flowkit.enrich.enrich on the synthetic sample estate: the issue's "done when" checks."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

import flowkit as fk
from flowkit.enrich import enrich, example_threat_list, load_inventory
from flowkit.synth import generate

VPC = ["10.0.0.0/16"]


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("estate")
    generate(out, seed=7, days=1 / 12)
    return out


@pytest.fixture(scope="module")
def raw(estate: Path) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fk.read(estate, enrich=False)


@pytest.fixture(scope="module")
def enriched(estate: Path, raw: pd.DataFrame) -> pd.DataFrame:
    return enrich(raw, inventory=estate / "inventory.json", vpc_cidrs=VPC,
                  threat_list=example_threat_list())  # fmt: skip


@pytest.fixture(scope="module")
def truth(estate: Path) -> dict:
    return json.loads((estate / "ground_truth.json").read_text())


def test_every_record_of_an_internal_eni_has_name_scope_direction_role(enriched):
    ok = enriched[enriched["log_status"] == "OK"]
    assert len(ok) > 1000
    cols = ["eni_name", "eni_role", "eni_az_id", "src_scope", "dst_scope", "direction",
            "local_role", "local_addr", "remote_addr", "service_port", "protocol_name"]  # fmt: skip
    icmp = ok["protocol"] == 1
    missing = ok[cols].isna()
    missing.loc[icmp, "service_port"] = False  # ICMP has no service port
    assert not missing.any().any(), missing.sum()[missing.sum() > 0]
    assert set(ok["eni_type"]) == {"instance", "load_balancer", "nat_gateway"}


def test_s3_traffic_is_labelled_s3(enriched):
    s3 = enriched[enriched["pkt_dstaddr"].astype(object).fillna(enriched["dstaddr"].astype(object))
                  .astype(str).str.startswith("52.216.")]  # fmt: skip
    assert len(s3) > 10
    assert set(s3["dst_aws_service"]) == {"S3"}
    assert set(s3["dst_aws_region"]) == {"us-east-1"}
    assert enriched.attrs["flowkit"]["ip_ranges"]["syncToken"]


def test_nat_gateway_records_show_the_real_internet_peer(enriched, truth):
    nat = enriched[(enriched["eni_type"] == "nat_gateway") & (enriched["log_status"] == "OK")]
    assert len(nat) > 50
    assert set(nat["remote_addr"].map(lambda a: a.startswith("10."))) == {False}
    bucket = next(i for i in truth["incidents"] if i["kind"] == "s3_through_nat")["targets"][0]
    via_nat = nat[nat["remote_addr"] == bucket]
    assert len(via_nat) > 10
    assert set(via_nat["remote_port"]) == {443}
    assert {"S3"} == set(via_nat["dst_aws_service"].dropna()) | set(
        via_nat["src_aws_service"].dropna()
    )


def test_cross_az_sessions_are_one_conversation_per_session_per_eni(raw, truth):
    inc = next(i for i in truth["incidents"] if i["kind"] == "cross_az_chatter")
    c = fk.conversations(raw)
    to_db = c[(c["responder"] == inc["targets"][0]) & (c["service_port"] == inc["ports"][0])]
    db_first = (c["initiator"] == inc["targets"][0]) & (c["initiator_port"] == inc["ports"][0])
    assert db_first.sum() == 0  # no conversation points the wrong way
    mine = to_db[to_db["initiator"] == inc["actor"]]
    session = inc["parameters"]["session"]
    sessions = round(truth["generator"]["days"] * 86400 / session)
    assert mine.groupby("interface_id", observed=True).size().tolist() == [sessions, sessions]
    gb = (mine["bytes_out"].sum() + mine["bytes_in"].sum()) / 2 / 1e9
    assert gb == pytest.approx(inc["evidence"]["gigabytes"], rel=0.01)
    assert mine["service"].unique().tolist() == ["postgresql"]


def test_dedupe_counts_s3_through_nat_once(raw, truth):
    inc = next(i for i in truth["incidents"] if i["kind"] == "s3_through_nat")
    bucket = inc["targets"][0]

    def s3_bytes(df: pd.DataFrame) -> float:
        a = df["pkt_dstaddr"].astype(object).fillna(df["dstaddr"].astype(object))
        b = df["pkt_srcaddr"].astype(object).fillna(df["srcaddr"].astype(object))
        return float(df.loc[(a == bucket) | (b == bucket), "bytes"].sum()) / 1e9

    assert s3_bytes(raw) == pytest.approx(3 * inc["evidence"]["gigabytes"], rel=0.02)
    assert s3_bytes(fk.dedupe(raw)) == pytest.approx(inc["evidence"]["gigabytes"], rel=0.02)


def test_enrich_columns_and_dtypes(enriched, raw):
    for col in ["service", "tcp_flags_label", "src_scope", "dst_aws_service", "direction",
                "local_addr", "remote_addr", "local_role", "client_addr", "server_addr",
                "eni_name", "eni_type", "remote_name", "threat_label"]:  # fmt: skip
        assert isinstance(enriched[col].dtype, pd.CategoricalDtype), col
    for col in ["local_port", "remote_port", "service_port"]:
        assert enriched[col].dtype == "UInt16", col
    assert enriched["threat_match"].dtype == bool
    assert len(enriched) == len(raw)
    assert "direction" not in raw.columns


def test_inventory_as_an_object_and_remote_names(estate, raw):
    out = enrich(raw, inventory=load_inventory(estate / "inventory.json"), vpc_cidrs=VPC)
    internal = out[out["direction"] == "internal"]
    assert internal["remote_name"].notna().mean() > 0.9


def test_records_without_any_interface_id_enrich() -> None:
    """Every interface-id missing (`-`): nothing votes for an own address, nothing crashes
    (found by the CSV round-trip property test)."""
    times = "1700000000 1700000060 ACCEPT OK"
    lines = [
        f"2 123456789010 - 192.0.2.1 198.51.100.2 49152 443 6 10 840 {times}",
        f"2 123456789010 - 198.51.100.2 192.0.2.1 443 49152 6 8 640 {times}",
    ]
    df = enrich(fk.parse_lines(lines))
    assert len(df) == 2
    assert df["client_addr"].astype(str).tolist() == ["192.0.2.1", "192.0.2.1"]
