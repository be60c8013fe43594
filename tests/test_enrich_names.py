"""Service names, tcp-flags labels, protocol names (flowkit.enrich.names)."""

from __future__ import annotations

import pandas as pd
import pytest

from flowkit.enrich import (
    add_service,
    add_tcp_flag_columns,
    add_tcp_flags_label,
    service_name,
    service_table,
    tcp_flags_label,
)


def test_service_table_is_the_iana_registry_for_tcp_and_udp():
    t = service_table()
    assert len(t) > 10_000
    assert set(t["protocol"]) == {"tcp", "udp"}
    assert not t.duplicated(["port", "protocol"]).any()
    assert t["port"].between(0, 65535).all()


@pytest.mark.parametrize(
    ("port", "proto", "name"),
    [
        (22, 6, "ssh"), (53, 17, "domain"), (80, 6, "http"), (123, 17, "ntp"),
        (443, 6, "https"), (3306, 6, "mysql"), (3389, 6, "ms-wbt-server"),
        (5432, 6, "postgresql"), (6379, 6, "redis"), (27017, 6, "mongodb"), (6001, 6, "x11"),
        (49152, 6, None), (443, 1, None), (6379, 17, None),
    ],
)  # fmt: skip
def test_service_name_known_ports(port, proto, name):
    assert service_name(port, proto) == name


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (0, "ACK/PSH"), (1, "FIN"), (2, "SYN"), (3, "SYN|FIN"), (4, "RST"), (5, "FIN|RST"),
        (6, "SYN|RST"), (7, "SYN|FIN|RST"), (18, "SYN-ACK"), (19, "SYN-ACK|FIN"),
        (20, "RST|ACK"), (22, "SYN-ACK|RST"), (23, "SYN-ACK|FIN|RST"),
    ],
)  # fmt: skip
def test_tcp_flags_label_every_documented_value(value, label):
    assert tcp_flags_label(value) == label


def test_add_tcp_flags_label_is_categorical_with_na_for_missing():
    df = pd.DataFrame({"tcp_flags": pd.array([2, 18, 0, None, 19, 1], dtype="UInt8")})
    out = add_tcp_flags_label(df)
    assert isinstance(out["tcp_flags_label"].dtype, pd.CategoricalDtype)
    assert out["tcp_flags_label"].tolist()[:3] == ["SYN", "SYN-ACK", "ACK/PSH"]
    assert pd.isna(out["tcp_flags_label"].iloc[3])
    assert out["tcp_flags_label"].tolist()[4:] == ["SYN-ACK|FIN", "FIN"]
    assert "tcp_flags_label" not in df.columns


def test_add_tcp_flags_label_without_the_field_is_all_na():
    out = add_tcp_flags_label(pd.DataFrame({"srcport": pd.array([1, 2], dtype="UInt16")}))
    assert out["tcp_flags_label"].isna().all()


def test_add_tcp_flag_columns_booleans():
    df = pd.DataFrame({"tcp_flags": pd.array([2, 18, 3, 4, None], dtype="UInt8")})
    out = add_tcp_flag_columns(df)
    assert out["tcp_syn"].tolist()[:4] == [True, False, True, False]
    assert out["tcp_syn_ack"].tolist()[:4] == [False, True, False, False]
    assert out["tcp_fin"].tolist()[:4] == [False, False, True, False]
    assert out["tcp_rst"].tolist()[:4] == [False, False, False, True]
    assert out[["tcp_syn", "tcp_rst"]].iloc[4].isna().all()


def test_add_service_uses_the_protocol_table():
    df = pd.DataFrame({
        "protocol": pd.array([6, 17, 17, 1, 6], dtype="UInt8"),
        "service_port": pd.array([53, 53, 123, 0, None], dtype="UInt16"),
    })  # fmt: skip
    out = add_service(df)
    assert out["service"].tolist()[:3] == ["domain", "domain", "ntp"]
    assert out["service"].iloc[3:].isna().all()


def test_the_service_table_is_the_bundled_csv_field_for_field() -> None:
    """The table read by pandas is the file as the csv module reads it (no NA, no guessing)."""
    import csv
    import gzip
    import io
    from importlib import resources

    from flowkit.enrich.names import service_table

    raw = resources.files("flowkit.resources").joinpath("iana_services.csv.gz").read_bytes()
    text = gzip.decompress(raw).decode("utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    rows = list(csv.DictReader(io.StringIO("\n".join(lines))))
    table = service_table()
    assert len(table) == len(rows) > 10_000
    assert table["port"].tolist() == [int(r["port"]) for r in rows]
    for col in ("protocol", "service", "description"):
        assert table[col].tolist() == [r[col] for r in rows], col
