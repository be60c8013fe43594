"""Tests of flowkit.cost: byte classification, price table, cost arithmetic, recommendations."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

import flowkit as fk
from flowkit.cost import classify_transfer, estimate_cost, load_prices, recommend_savings
from flowkit.cost.prices import tiered_cost
from flowkit.units import BYTES_PER_GB, BYTES_PER_GIB

GIB = BYTES_PER_GIB  # AWS's metered "GB" of 2^30 bytes: the unit of prices, bands and estimates
MONTH_DAYS = 730 / 24  # records standing for a whole 730-hour month: projection factor 1
HEADER = (
    "version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end "
    "action log-status az-id flow-direction traffic-path pkt-srcaddr pkt-dstaddr interface-type "
    "pkt-dst-aws-service"
)
T0 = 1700000000
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def rec(eni: str, src: str, dst: str, sport: int, dport: int, nbytes: int, az: str, way: str,
        path: str = "-", psrc: str | None = None, pdst: str | None = None, itype: str = "-",
        svc: str = "-", action: str = "ACCEPT", status: str = "OK") -> str:  # fmt: skip
    """One record line in the HEADER format."""
    return (f"11 {eni} {src} {dst} {sport} {dport} 6 10 {nbytes} {T0} {T0 + 60} {action} "
            f"{status} {az} {way} {path} {psrc or src} {pdst or dst} {itype} {svc}")  # fmt: skip


def frame(*lines: str) -> pd.DataFrame:
    return fk.parse_lines([HEADER, *lines])


def labels(df: pd.DataFrame) -> list[tuple[str, str, int, int]]:
    out = classify_transfer(df)
    return list(zip(out["interface_id"].astype(str), out["transfer"].astype(str),
                    out["transfer_bytes"].astype(int), out["cross_az_bytes"].astype(int),
                    strict=True))  # fmt: skip


# --- NAT gateway: instance in use1-az2, NAT in use1-az1, server on the internet ----------------
INSTANCE, NAT, SERVER = "10.0.2.10", "10.0.0.50", "198.51.100.7"


def nat_records(request: int = 1000, response: int = 5000, typed: bool = True) -> list[str]:
    nat = "nat_gateway" if typed else "-"
    return [
        # the instance's own view: its request leaves for the server, the reply comes back
        rec("eni-i", INSTANCE, SERVER, 40000, 443, request, "use1-az2", "egress", "1"),
        rec("eni-i", SERVER, INSTANCE, 443, 40000, response, "use1-az2", "ingress"),
        # the NAT's four legs
        rec("eni-n", INSTANCE, NAT, 40000, 443, request, "use1-az1", "ingress", pdst=SERVER,
            itype=nat),
        rec("eni-n", NAT, SERVER, 61000, 443, request, "use1-az1", "egress", "8", itype=nat),
        rec("eni-n", SERVER, NAT, 443, 61000, response, "use1-az1", "ingress", itype=nat),
        rec("eni-n", NAT, INSTANCE, 443, 40000, response, "use1-az1", "egress", "1",
            psrc=SERVER, itype=nat),
    ]  # fmt: skip


def test_classify_transfer_nat_counts_on_the_nat_eni_once() -> None:
    assert labels(frame(*nat_records())) == [
        ("eni-i", "copy", 0, 0),
        ("eni-i", "copy", 0, 0),
        ("eni-n", "nat_gateway", 1000, 1000),  # processed; and the instance->NAT hop crossed AZs
        ("eni-n", "internet_egress", 1000, 0),  # internet egress counted once, on the NAT
        ("eni-n", "nat_gateway", 5000, 0),  # processed in the reply direction too
        ("eni-n", "inter_az", 5000, 0),  # the reply's hop back to the instance
    ]


def test_classify_transfer_nat_without_type_column_is_recognised() -> None:
    df = frame(*nat_records(typed=False)).drop(columns=["interface_type"])
    assert [t for _, t, _, _ in labels(df)] == [
        "copy",
        "copy",
        "nat_gateway",
        "internet_egress",
        "nat_gateway",
        "inter_az",
    ]


def test_classify_transfer_unlogged_nat_charged_on_instance() -> None:
    df = frame(*nat_records()[:2])  # only the instance is logged: path 1 to a public address
    assert labels(df) == [("eni-i", "nat_gateway", 1000, 0), ("eni-i", "internet_ingress", 5000, 0)]


def test_classify_transfer_nat_to_s3_is_processing_not_egress() -> None:
    s3 = "52.216.8.20"
    df = frame(
        rec("eni-n", INSTANCE, NAT, 40000, 443, 700, "use1-az1", "ingress", pdst=s3,
            itype="nat_gateway", svc="S3"),
        rec("eni-n", NAT, s3, 61000, 443, 700, "use1-az1", "egress", "8", itype="nat_gateway",
            svc="S3"),
    )  # fmt: skip
    out = classify_transfer(df)
    assert out["transfer"].astype(str).tolist() == ["nat_gateway", "aws_same_region"]
    assert out["far_service"].astype(str).tolist() == ["S3", "S3"]


# --- Transit Gateway: server in this VPC, client in another VPC behind the TGW ---------------
def test_classify_transfer_tgw_charged_on_attachment_eni_sending_side() -> None:
    server, tgw, client = "10.0.1.20", "10.0.1.99", "10.1.5.5"
    df = frame(
        rec("eni-t", tgw, server, 50000, 5432, 300, "use1-az1", "egress", "1", psrc=client,
            itype="transit_gateway"),
        rec("eni-s", client, server, 50000, 5432, 300, "use1-az1", "ingress"),
        rec("eni-s", server, client, 5432, 50000, 8000, "use1-az1", "egress", "1"),
        rec("eni-t", server, tgw, 5432, 50000, 8000, "use1-az1", "ingress", pdst=client,
            itype="transit_gateway"),
    )  # fmt: skip
    assert labels(df) == [
        ("eni-t", "transit_gateway_in", 300, 0),  # paid by the sending VPC
        ("eni-s", "copy", 0, 0),
        ("eni-s", "copy", 0, 0),  # the server's copy of the bytes it sends to the TGW
        ("eni-t", "transit_gateway", 8000, 0),  # sent from this VPC to the TGW: charged once
    ]


# --- the other dimensions ---------------------------------------------------------------------
def test_classify_transfer_east_west_dedupe_and_az() -> None:
    df = frame(
        rec("eni-a", "10.0.0.5", "10.0.1.6", 50000, 5432, 500, "use1-az1", "egress", "1"),
        rec("eni-b", "10.0.0.5", "10.0.1.6", 50000, 5432, 500, "use1-az2", "ingress"),
        rec("eni-b", "10.0.1.6", "10.0.0.5", 5432, 50000, 9000, "use1-az2", "egress", "1"),
        rec("eni-a", "10.0.1.6", "10.0.0.5", 5432, 50000, 9000, "use1-az1", "ingress"),
        rec("eni-a", "10.0.0.5", "10.0.0.9", 50001, 443, 70, "use1-az1", "egress", "1"),
        rec("eni-c", "10.0.0.5", "10.0.0.9", 50001, 443, 70, "use1-az1", "ingress"),
    )  # fmt: skip
    assert labels(df) == [
        ("eni-a", "inter_az", 500, 0), ("eni-b", "copy", 0, 0),
        ("eni-b", "inter_az", 9000, 0), ("eni-a", "copy", 0, 0),
        ("eni-a", "intra_az", 70, 0), ("eni-c", "copy", 0, 0),
    ]  # fmt: skip


def test_classify_transfer_gateway_endpoint_ingress_region_reject_nodata() -> None:
    df = frame(
        rec("eni-a", "10.0.0.5", "52.216.8.20", 50000, 443, 100, "use1-az1", "egress", "7"),
        rec("eni-a", "10.0.0.5", "52.216.8.21", 50001, 443, 110, "use1-az1", "egress", "2",
            svc="S3"),
        rec("eni-a", "203.0.113.50", "10.0.0.5", 50002, 22, 120, "use1-az1", "ingress"),
        rec("eni-a", "10.0.0.5", "10.9.0.1", 50003, 443, 130, "use1-az1", "egress", "5"),
        rec("eni-a", "10.0.0.5", "203.0.113.50", 50004, 25, 140, "use1-az1", "egress", "8",
            action="REJECT"),
        rec("eni-a", "10.0.0.5", "203.0.113.51", 50005, 443, 150, "use1-az1", "egress", "8"),
        rec("eni-a", "10.0.0.5", "10.0.7.7", 50006, 443, 160, "use1-az1", "egress", "1"),
    )  # fmt: skip
    assert [t for _, t, _, _ in labels(df)] == [
        "gateway_endpoint", "gateway_endpoint", "internet_ingress", "inter_region", "no_bytes",
        "internet_egress", "unknown",  # a private peer we know nothing about: AZ unknown
    ]  # fmt: skip
    nodata = fk.parse_lines(["2 1 eni-1 - - - - - - - 1700000000 1700000600 - NODATA"])
    assert classify_transfer(nodata)["transfer"].tolist() == ["no_bytes"]


def test_classify_transfer_interface_endpoint_both_directions() -> None:
    df = frame(
        rec("eni-e", "10.0.2.10", "10.0.0.40", 50000, 443, 400, "use1-az1", "ingress",
            itype="vpc_endpoint"),
        rec("eni-e", "10.0.0.40", "10.0.2.10", 443, 50000, 600, "use1-az1", "egress", "1",
            itype="vpc_endpoint"),
        rec("eni-i", "10.0.2.10", "10.0.0.40", 50000, 443, 400, "use1-az2", "egress", "1"),
    )  # fmt: skip
    assert labels(df) == [
        ("eni-e", "interface_endpoint", 400, 400), ("eni-e", "interface_endpoint", 600, 600),
        ("eni-i", "copy", 0, 0),
    ]  # fmt: skip


def test_classify_transfer_uses_enriched_aws_region() -> None:
    df = frame(rec("eni-a", "10.0.0.5", "52.95.0.1", 50000, 443, 100, "use1-az1", "egress",
                   "8"))  # fmt: skip
    df["region"] = pd.Categorical(["us-east-1"])
    df["dst_aws_service"] = pd.Categorical(["S3"])
    df["dst_aws_region"] = pd.Categorical(["eu-west-1"])
    df["src_aws_service"] = pd.Categorical([None])
    df["src_aws_region"] = pd.Categorical([None])
    assert classify_transfer(df)["transfer"].tolist() == ["inter_region"]


def test_classify_transfer_does_not_change_input() -> None:
    df = frame(*nat_records())
    before = df.copy()
    classify_transfer(df)
    pd.testing.assert_frame_equal(df, before)


# --- prices and arithmetic --------------------------------------------------------------------
def test_load_prices_table_fields() -> None:
    prices = load_prices()
    table = prices.table()
    assert {"dimension", "unit", "price", "region", "source", "date"} <= set(table.columns)
    assert prices["nat_gateway"].price == 0.045
    assert prices["inter_az"].price == 0.01
    assert prices["inter_az"].sides == 2
    assert prices["gateway_endpoint"].price == 0.0
    assert all(table["source"].str.startswith("https://aws.amazon.com/"))


def test_load_prices_user_file_replaces_default(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("version: mine\nregion: eu-west-1\nprices:\n"
                    "  - {dimension: nat_gateway, price: 0.048}\n")  # fmt: skip
    prices = load_prices(path)
    assert (prices.version, prices.region, prices["nat_gateway"].price) == ("mine", "eu-west-1",
                                                                            0.048)  # fmt: skip
    with pytest.raises(KeyError):
        prices["inter_az"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("prices:\n  - {unit: GB}\n")
    with pytest.raises(ValueError, match="dimension"):
        load_prices(bad)


def test_price_table_is_in_aws_metered_gib() -> None:
    """AWS meters data transfer in GB of 2^30 bytes and states its bands in that unit: 10 TB
    = 10,240 GB, 40 TB more = 51,200, 100 TB more = 153,600; PrivateLink 1 PB = 1,048,576."""
    prices = load_prices()
    assert prices.bytes_per_gb == 2**30 == BYTES_PER_GIB
    assert prices.unit == "GiB"
    assert [u for u, _ in prices["internet_egress"].tiers] == [100, 10240, 51200, 153600, math.inf]
    assert [u for u, _ in prices["interface_endpoint"].tiers] == [1048576, 5242880, math.inf]
    table = prices.table().set_index("dimension")
    assert set(table["unit"]) == {"GiB"}  # 2^30 bytes is never shown as "GB"
    assert "GB" not in " ".join(table["tiers"]).replace("GiB", "")
    assert "to 10,240 GiB: $0.09/GiB" in table.loc["internet_egress", "tiers"]


@pytest.mark.parametrize(
    ("gib", "expected"),
    [
        (0, 0.0),
        (100, 0.0),  # the free 100 GiB
        (101, 0.09),
        (1000, 900 * 0.09),
        (10240, 10140 * 0.09),  # the 10 TB band's edge
        (10241, 10140 * 0.09 + 0.085),
        (51200, 10140 * 0.09 + 40960 * 0.085),  # 40 TB more
        (51201, 10140 * 0.09 + 40960 * 0.085 + 0.07),
        (153600, 10140 * 0.09 + 40960 * 0.085 + 102400 * 0.07),  # 100 TB more
        (153601, 10140 * 0.09 + 40960 * 0.085 + 102400 * 0.07 + 0.05),
        (200000, 10140 * 0.09 + 40960 * 0.085 + 102400 * 0.07 + 46400 * 0.05),
    ],
)
def test_internet_egress_tiers_at_aws_band_edges(gib: float, expected: float) -> None:
    price = load_prices()["internet_egress"]
    assert price.cost(gib) == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert tiered_cost(gib, price.tiers) == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_estimate_bills_monthly_egress_bands_in_gib() -> None:
    """A month of 10,240 GiB egress ends exactly at the first paid band's edge (10 TB in AWS's
    unit); 10,000 GB of 10^9 bytes would have been 9,313 GiB."""
    df = frame(rec("eni-a", "10.0.0.5", "203.0.113.5", 50000, 443, 10240 * GIB, "use1-az1",
                   "egress", "8"))  # fmt: skip
    est = estimate_cost(df, days=MONTH_DAYS).set_index("dimension")
    assert est.loc["internet_egress", "monthly_gib"] == pytest.approx(10240, rel=1e-12)
    assert est.loc["internet_egress", "monthly_cost"] == pytest.approx(10140 * 0.09, rel=1e-12)


def test_estimate_ten_gib_inter_az_costs_ten_times_two_cents() -> None:
    """10 * 2^30 bytes crossing an AZ are 10 of AWS's billed GB: exactly 10 * $0.02 (with
    10^9-byte GB the estimate would be 7.4 % higher, $0.2147)."""
    df = frame(
        rec("eni-a", "10.0.0.5", "10.0.1.6", 50000, 5432, 10 * GIB, "use1-az1", "egress", "1"),
        rec("eni-b", "10.0.0.5", "10.0.1.6", 50000, 5432, 10 * GIB, "use1-az2", "ingress"),
    )
    est = estimate_cost(df, days=MONTH_DAYS)
    assert list(est.columns) == ["dimension", "gib", "rate", "cost", "monthly_gib", "monthly_cost"]
    row = est.set_index("dimension").loc["inter_az"]
    assert row["gib"] == 10.0
    assert row["rate"] == pytest.approx(0.02, rel=1e-12)  # USD per GiB, both sides
    assert row["cost"] == pytest.approx(10 * 0.02, rel=1e-12)
    assert row["monthly_cost"] == pytest.approx(10 * 0.02, rel=1e-12)


def test_decimal_price_table_still_shown_per_gib(tmp_path: Path) -> None:
    """A user's table priced per 10^9 bytes (``bytes_per_gb: 1000000000``): its prices and bands
    apply to decimal GB, and the estimate still shows GiB and USD per GiB."""
    path = tmp_path / "decimal.yaml"
    path.write_text("version: dec\nbytes_per_gb: 1000000000\nprices:\n"
                    "  - {dimension: inter_az, price: 0.01, sides: 2}\n")  # fmt: skip
    prices = load_prices(path)
    assert prices.unit == "GB"
    assert prices.table().loc[0, "unit"] == "GB"
    df = frame(
        rec("eni-a", "10.0.0.5", "10.0.1.6", 50000, 5432, 10 * GIB, "use1-az1", "egress", "1"),
        rec("eni-b", "10.0.0.5", "10.0.1.6", 50000, 5432, 10 * GIB, "use1-az2", "ingress"),
    )
    row = estimate_cost(df, prices, days=MONTH_DAYS).set_index("dimension").loc["inter_az"]
    assert row["gib"] == 10.0
    assert row["cost"] == pytest.approx(10 * GIB / BYTES_PER_GB * 0.02, rel=1e-12)
    assert row["rate"] == pytest.approx(0.02 * GIB / BYTES_PER_GB, rel=1e-12)


@pytest.mark.parametrize("value", ["0", "-5", "lots", "null", ".inf"])
def test_load_prices_rejects_bad_bytes_per_gb(tmp_path: Path, value: str) -> None:
    path = tmp_path / "bad_unit.yaml"
    path.write_text(f"bytes_per_gb: {value}\nprices:\n  - {{dimension: nat_gateway, price: 1}}\n")
    with pytest.raises(ValueError, match=r"bad_unit\.yaml: bytes_per_gb must be a positive"):
        load_prices(path)


def test_estimate_cost_matches_hand_totals() -> None:
    lines = [
        *nat_records(request=2 * GIB, response=4 * GIB),
        rec("eni-a", "10.0.0.5", "10.0.1.6", 50000, 5432, 10 * GIB, "use1-az1", "egress", "1"),
        rec("eni-b", "10.0.0.5", "10.0.1.6", 50000, 5432, 10 * GIB, "use1-az2", "ingress"),
    ]
    est = estimate_cost(frame(*lines), days=MONTH_DAYS).set_index("dimension")
    assert est.loc["nat_gateway", "gib"] == pytest.approx(6.0)
    assert est.loc["nat_gateway", "cost"] == pytest.approx(6 * 0.045)
    # inter-AZ: 10 GiB east-west + 4 GiB NAT->instance + 2 GiB instance->NAT, $0.01 each way
    assert est.loc["inter_az", "gib"] == pytest.approx(16.0)
    assert est.loc["inter_az", "cost"] == pytest.approx(16 * 0.02)
    assert est.loc["internet_egress", "cost"] == 0.0  # 2 GiB is inside the free 100 GiB
    assert est["cost"].sum() == pytest.approx(6 * 0.045 + 16 * 0.02)
    assert est["monthly_cost"].sum() == pytest.approx(est["cost"].sum())


def test_estimate_cost_monthly_projection_and_tiers_on_partial_period() -> None:
    half = MONTH_DAYS / 2
    df = frame(rec("eni-a", "10.0.0.5", "203.0.113.5", 50000, 443, 550 * GIB, "use1-az1",
                   "egress", "8"))  # fmt: skip
    est = estimate_cost(df, days=half).set_index("dimension")
    assert est.loc["internet_egress", "monthly_gib"] == pytest.approx(1100)
    assert est.loc["internet_egress", "monthly_cost"] == pytest.approx(1000 * 0.09)
    assert est.loc["internet_egress", "cost"] == pytest.approx(45.0)
    one_day = estimate_cost(
        frame(
            rec("eni-a", "10.0.0.5", "10.0.1.6", 5, 6, 10 * GIB, "use1-az1", "egress", "1"),
            rec("eni-b", "10.0.0.5", "10.0.1.6", 5, 6, 10 * GIB, "use1-az2", "ingress"),
        ),
        days=1.0,
    )
    assert one_day.loc[0, "cost"] == pytest.approx(0.2)
    assert one_day.loc[0, "monthly_gib"] == pytest.approx(10 * 730 / 24)
    assert one_day.loc[0, "monthly_cost"] == pytest.approx(0.2 * 730 / 24)
    assert one_day.attrs["flowkit"]["cost"]["days"] == 1.0


def test_estimate_cost_by_resource_adds_up() -> None:
    df = frame(*nat_records(request=2 * GIB, response=4 * GIB))
    total = estimate_cost(df, days=MONTH_DAYS)
    per_eni = estimate_cost(df, by="interface_id", days=MONTH_DAYS)
    assert set(per_eni["interface_id"]) == {"eni-n"}  # the instance's copies are not charged
    assert per_eni["cost"].sum() == pytest.approx(total["cost"].sum())
    with pytest.raises(ValueError, match="no column"):
        estimate_cost(df, by="nope")


def test_estimate_cost_with_price_override() -> None:
    df = frame(*nat_records(request=2 * GIB, response=4 * GIB))
    cheap = load_prices().with_price("nat_gateway", 0.01)
    est = estimate_cost(df, cheap, days=MONTH_DAYS).set_index("dimension")
    assert est.loc["nat_gateway", "cost"] == pytest.approx(6 * 0.01)


def test_recommend_savings_endpoint_and_pairs() -> None:
    s3 = "52.216.8.20"
    nat = [line.replace(SERVER, s3) for line in nat_records(request=3 * GIB, response=1 * GIB)]
    nat = [line.replace(" - \n", " S3\n") for line in nat]
    lines = [*nat,
             rec("eni-a", "10.0.0.5", "10.0.1.6", 50000, 5432, 1 * GIB, "use1-az1", "egress", "1"),
             rec("eni-b", "10.0.0.5", "10.0.1.6", 50000, 5432, 1 * GIB, "use1-az2", "ingress"),
             rec("eni-a", "10.0.0.5", "203.0.113.5", 50001, 443, GIB // 2, "use1-az1", "egress",
                 "8")]  # fmt: skip
    recs = recommend_savings(frame(*lines), days=MONTH_DAYS)
    assert recs["kind"].tolist() == ["gateway_endpoint", "same_az_placement", "internet_egress"]
    top = recs.iloc[0]
    # NAT processing of 4 GiB, the instance->NAT cross-AZ hop (3 GiB) and the reply hop (1 GiB)
    assert top["monthly_savings"] == pytest.approx(4 * 0.045 + 4 * 0.02)
    assert top["gib"] == pytest.approx(4.0)
    assert "eni-i (10.0.2.10)" in top["detail"]
    assert recs.iloc[1]["monthly_savings"] == pytest.approx(0.02)
    assert recs.iloc[1]["target"] == "eni-a (10.0.0.5) <-> eni-b (10.0.1.6)"
    assert math.isnan(recs.iloc[2]["monthly_savings"])
    assert recs["rank"].tolist() == [1, 2, 3]


# --- the sample estate ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample() -> tuple[pd.DataFrame, dict[str, object]]:
    if not (SAMPLE / "ground_truth.json").exists():
        pytest.fail("data/sample is missing: run `flowkit sample`")
    from flowkit.enrich import enrich

    df = enrich(fk.read(SAMPLE, progress=False), inventory=SAMPLE / "inventory.json")
    truth = json.loads((SAMPLE / "ground_truth.json").read_text())
    return classify_transfer(df), truth


def test_sample_planted_cost_drivers_top_the_savings_list(
    sample: tuple[pd.DataFrame, dict[str, object]],
) -> None:
    df, truth = sample
    incidents = {i["kind"]: i for i in truth["incidents"]}  # type: ignore[attr-defined]
    factor = 730 / (24 * float(truth["generator"]["days"]))  # type: ignore[index]
    recs = recommend_savings(df)
    top = recs.head(2).set_index("kind")
    assert set(top.index) == {"same_az_placement", "gateway_endpoint"}
    chatter = incidents["cross_az_chatter"]
    names = {chatter["parameters"]["client"], chatter["parameters"]["server"]}
    assert all(name in top.loc["same_az_placement", "target"] for name in names)
    expected = chatter["evidence"]["gigabytes"] * BYTES_PER_GB / GIB * 0.02 * factor
    assert expected / 2 < top.loc["same_az_placement", "monthly_savings"] < expected * 2
    s3 = incidents["s3_through_nat"]
    expected = s3["evidence"]["gigabytes"] * BYTES_PER_GB / GIB * (0.045 + 0.02) * factor
    assert expected / 2 < top.loc["gateway_endpoint", "monthly_savings"] < expected * 2
    for host in s3["evidence"]["hosts"]:
        assert host in top.loc["gateway_endpoint", "detail"]


def test_sample_bytes_counted_once(sample: tuple[pd.DataFrame, dict[str, object]]) -> None:
    df, _ = sample
    counted = df["transfer_bytes"].astype("float64").sum()
    # every counted byte is a byte of some record, and copies are most of the rest
    assert 0 < counted < df["bytes"].astype("float64").sum()
    est = estimate_cost(df).set_index("dimension")
    assert est["monthly_cost"].idxmax() == "inter_az"
    assert est.loc["nat_gateway", "monthly_cost"] > 0


# --- the command line -------------------------------------------------------------------------
def test_cli_cost_json_and_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from flowkit.cli import main

    log = tmp_path / "nat.log"
    log.write_text("\n".join([HEADER, *nat_records(request=2 * GIB, response=4 * GIB)]) + "\n")
    assert main(["cost", str(log), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    dims = {row["dimension"]: row for row in report["by_dimension"]}
    assert dims["nat_gateway"]["gib"] == pytest.approx(6.0)
    assert dims["inter_az"]["gib"] == pytest.approx(6.0)
    assert not {"gb", "monthly_gb"} & set(dims["inter_az"])
    assert "GiB of 2^30 bytes" in report["period"]["units"]
    assert "USD per GiB" in report["period"]["units"]
    assert report["period"]["days"] == pytest.approx(60 / 86400, rel=1e-3)
    assert main(["cost", str(log)]) == 0
    table = capsys.readouterr().out
    assert "cost by dimension" in table
    assert "nat_gateway" in table
    assert "units: volumes (gib, monthly_gib) in GiB of 2^30 bytes" in table
    assert "6.00 GiB" in table
    assert "$0.045/GiB" in table
    assert " GB" not in table  # 2^30 bytes is never called GB
    assert main(["cost", str(log), "--prices", str(tmp_path / "missing.yaml")]) == 2
    assert "no price table" in capsys.readouterr().err
