"""AWS service and region labels from ip-ranges.json (flowkit.enrich.aws)."""

from __future__ import annotations

import gzip
import json

import pandas as pd
import pytest

import flowkit as fk
from flowkit.enrich import add_aws_service, ip_ranges, load_ip_ranges, use_ip_ranges


def _doc(prefixes, v6=()):
    return {"syncToken": "1700000000", "createDate": "2023-11-14-22-13-20",
            "prefixes": [{"ip_prefix": p, "region": r, "network_border_group": r, "service": s}
                         for p, r, s in prefixes],
            "ipv6_prefixes": [{"ipv6_prefix": p, "region": r, "network_border_group": r,
                               "service": s} for p, r, s in v6]}  # fmt: skip


@pytest.fixture
def restore_ranges():
    yield
    use_ip_ranges(None)


def test_bundled_snapshot_covers_the_sample_estate_services():
    labels = (
        ip_ranges()
        .table.labels_of(
            ["52.216.8.1", "52.217.200.3", "54.231.1.1", "52.94.0.10", "3.218.182.7", "10.0.0.1"]
        )
        .tolist()
    )
    assert labels[:5] == [("S3", "us-east-1")] * 3 + [("DYNAMODB", "us-east-1")] * 2
    assert labels[5] is None
    info = ip_ranges().info()
    assert info["syncToken"].isdigit()
    assert info["createDate"].startswith("2023-11-14")


def test_add_aws_service_both_sides_and_attrs():
    df = pd.DataFrame({"srcaddr": ["10.0.0.5", "52.94.0.10", "8.8.8.8"],
                       "dstaddr": ["52.216.8.1", "10.0.0.5", "10.0.0.5"]})  # fmt: skip
    out = add_aws_service(df)
    assert out["dst_aws_service"].tolist()[0] == "S3"
    assert out["src_aws_service"].tolist()[1] == "DYNAMODB"
    assert out["src_aws_region"].tolist()[1] == "us-east-1"
    assert out[["src_aws_service", "src_aws_region"]].iloc[0].isna().all()
    assert out["src_aws_service"].isna().iloc[2]  # 8.8.8.8 is not AWS
    assert out.attrs["flowkit"]["ip_ranges"]["syncToken"] == ip_ranges().sync_token
    assert "flowkit" not in df.attrs


def test_longest_prefix_wins_and_specific_service_beats_amazon(tmp_path, restore_ranges):
    doc = _doc([("52.0.0.0/8", "us-east-1", "AMAZON"), ("52.216.0.0/15", "us-east-1", "AMAZON"),
                ("52.216.0.0/15", "us-east-1", "S3"), ("52.216.4.0/24", "eu-west-1", "EC2")],
               v6=[("2600:1f18::/33", "us-east-1", "EC2")])  # fmt: skip
    path = tmp_path / "ip-ranges.json.gz"
    path.write_bytes(gzip.compress(json.dumps(doc).encode()))
    ranges = use_ip_ranges(path)
    assert ranges.sync_token == "1700000000"
    got = (
        ip_ranges()
        .table.labels_of(
            ["52.216.9.9", "52.216.4.4", "52.1.1.1", "2600:1f18::1", "2600:1f18:8000::1"]
        )
        .tolist()
    )
    assert got == [("S3", "us-east-1"), ("EC2", "eu-west-1"), ("AMAZON", "us-east-1"),
                   ("EC2", "us-east-1"), None]  # fmt: skip
    df = pd.DataFrame({"srcaddr": ["10.0.0.1"], "dstaddr": ["52.216.9.9"]})
    assert add_aws_service(df).attrs["flowkit"]["ip_ranges"]["source"] == str(path)


def test_use_ip_ranges_none_restores_the_bundled_snapshot(tmp_path, restore_ranges):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(_doc([("9.9.9.0/24", "us-east-1", "S3")])))
    use_ip_ranges(path)
    assert ip_ranges().table.labels_of(["52.216.8.1"]).tolist() == [None]
    use_ip_ranges(None)
    assert ip_ranges().table.labels_of(["52.216.8.1"]).tolist() == [("S3", "us-east-1")]


def test_load_ip_ranges_rejects_other_json(tmp_path):
    path = tmp_path / "x.json"
    path.write_text("{}")
    with pytest.raises(ValueError, match="ip-ranges"):
        load_ip_ranges(path)


def test_record_own_pkt_aws_service_wins_and_pkt_addresses_are_used():
    lines = [
        "version srcaddr dstaddr pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service",
        "5 10.0.0.5 10.0.0.9 10.0.0.5 52.216.8.1 - S3",
        "5 10.0.0.9 10.0.0.5 52.94.0.10 10.0.0.5 DYNAMODB -",
        "5 10.0.0.5 10.0.0.9 10.0.0.5 52.216.8.2 - AMAZON",
    ]
    out = add_aws_service(fk.parse_lines(lines))
    assert out["dst_aws_service"].tolist()[0] == "S3"
    assert out["src_aws_service"].tolist()[1] == "DYNAMODB"
    assert out["dst_aws_service"].tolist()[2] == "AMAZON"  # the record's own value is kept
    assert out["dst_aws_region"].tolist()[2] == "us-east-1"
