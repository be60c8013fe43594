"""The df.flows accessor delegates to the plain functions."""

from __future__ import annotations

import pandas as pd
import pytest

import flowkit as fk
from flowkit.enrich import (
    add_direction,
    add_scope,
    add_service_side,
    enrich,
    example_threat_list,
    load_inventory,
)

LINES = [
    "2 1 eni-1 10.0.1.5 52.216.8.1 50000 443 6 10 840 1700000000 1700000060 ACCEPT OK",
    "2 1 eni-1 52.216.8.1 10.0.1.5 443 50000 6 10 8400 1700000000 1700000060 ACCEPT OK",
    "2 1 eni-2 10.0.1.5 52.216.8.1 50000 443 6 10 840 1700000000 1700000060 ACCEPT OK",
]


@pytest.fixture
def df() -> pd.DataFrame:
    return fk.parse_lines(LINES)


def test_accessor_is_registered_on_import(df):
    assert hasattr(df, "flows")


def test_accessor_rejects_frames_without_flow_columns():
    with pytest.raises(AttributeError, match="flow-log"):
        _ = pd.DataFrame({"a": [1]}).flows


def test_methods_equal_the_functions(df):
    pd.testing.assert_frame_equal(df.flows.enrich(vpc_cidrs=["10.0.0.0/16"]),
                                  enrich(df, vpc_cidrs=["10.0.0.0/16"]))  # fmt: skip
    pd.testing.assert_frame_equal(df.flows.add_scope(), add_scope(df))
    pd.testing.assert_frame_equal(df.flows.add_direction(), add_direction(df))
    pd.testing.assert_frame_equal(df.flows.add_service_side(), add_service_side(df))
    pd.testing.assert_frame_equal(df.flows.conversations(), fk.conversations(df))
    pd.testing.assert_frame_equal(df.flows.dedupe(), fk.dedupe(df))


def test_every_method_returns_a_new_frame(df):
    inv = load_inventory(pd.DataFrame({"interface_id": ["eni-1"], "name": ["web-1"]}))
    before = df.copy()
    outs = [df.flows.add_aws_service(), df.flows.add_tcp_flags_label(), df.flows.add_service(),
            df.flows.add_inventory(inv), df.flows.add_threat(example_threat_list()),
            df.flows.dedupe(vantage="egress")]  # fmt: skip
    assert all(out is not df for out in outs)
    assert outs[0]["dst_aws_service"].tolist()[0] == "S3"
    assert outs[3]["eni_name"].isna().tolist() == [False, False, True]
    assert len(outs[5]) == 2
    pd.testing.assert_frame_equal(df, before)


def test_conversations_via_accessor(df):
    c = df.flows.conversations(gap=60)
    assert c["interface_id"].tolist() == ["eni-1", "eni-2"]
    assert c["bytes_in"].tolist() == [8400, 0]
