"""Parquet written by anything (pandas, Spark, Athena): unusual types never abort a load; what
casts without loss loads, the rest is quarantined with a reason (issue 16 items 6 and 10)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from aws_fixtures import client, moto_endpoint  # noqa: F401 - a fixture
from hostile import T0, Loaded

import flowkit as fk


def odd_table() -> pa.Table:
    """Six records as another writer types them; rows 4, 5 and 6 cannot load."""
    n = 6
    start = [(T0 + 60 * i) * 1000 for i in range(n)]
    start[5] += 250  # a fraction of a second
    return pa.table({
        "version": pa.array([2] * n, pa.int64()),
        "account_id": pa.array([123456789012, 12345678901, *[123456789012] * 4], pa.int64()),
        "interface_id": [f"eni-{i:017x}" for i in range(n)],
        "srcaddr": [f"10.0.0.{i + 1}" for i in range(n)],
        "dstaddr": ["198.51.100.7"] * n,
        "srcport": pa.array([40000 + i for i in range(n)], pa.int64()),
        "dstport": pa.array([443] * n, pa.int32()),
        "protocol": pa.array([6] * n, pa.int64()),
        "packets": [1.0, 2.0, float("nan"), 4.0, 5.5, 6.0],
        "bytes": pa.array([40, 80, 120, -1, 200, 240], pa.int64()),
        "start": pa.array(start, pa.timestamp("ms")),
        "end": pa.array([s + 60_000 for s in start], pa.timestamp("ms")),
        "action": pa.array(["ACCEPT", "REJECT"] * 3).dictionary_encode(),
        "log_status": ["OK"] * n,
        "flag": [True, False, None, True, True, True],
        "tags": [["a"], ["b", "c"], None, [], ["d"], ["e"]],
        "meta": [{"x": i} for i in range(n)],
    })  # fmt: skip


def _check_odd(frame: pd.DataFrame, quarantine: pd.DataFrame) -> None:
    assert len(frame) == 3
    rows = frame.sort_values("srcport", ignore_index=True)
    assert rows["account_id"].astype(str).tolist() == ["123456789012", "012345678901",
                                                       "123456789012"]  # fmt: skip
    assert rows["packets"].tolist()[:2] == [1, 2]
    assert pd.isna(rows["packets"].iloc[2])
    assert rows["start"].iloc[0] == pd.Timestamp(T0, unit="s", tz="UTC")
    assert rows["flag"].tolist() == ["true", "false", pd.NA]
    assert json.loads(rows["tags"].iloc[1]) == ["b", "c"]
    assert json.loads(rows["meta"].iloc[2]) == {"x": 2}
    reasons = quarantine.sort_values("line")["reason"].tolist()
    assert quarantine.sort_values("line")["line"].tolist() == [4, 5, 6]
    assert reasons[0].startswith("field 'bytes' does not fit uint64: -1")
    assert reasons[1].startswith("field 'packets' does not fit uint64: 5.5")
    assert reasons[2].startswith("field 'start' has a fraction of a second")


def test_odd_types_load_or_quarantine_on_every_engine(
    tmp_path: Path, loaded: Callable[..., Loaded]
) -> None:
    pq.write_table(odd_table(), tmp_path / "odd.parquet")
    got = loaded(tmp_path / "odd.parquet", enrich=False)
    _check_odd(got.frame, got.quarantine)


@pytest.mark.aws
def test_odd_types_load_or_quarantine_from_s3(moto_endpoint: str) -> None:  # noqa: F811
    s3 = client(moto_endpoint, "s3")
    s3.create_bucket(Bucket="odd-parquet")
    sink = pa.BufferOutputStream()
    pq.write_table(odd_table(), sink)
    s3.put_object(Bucket="odd-parquet", Key="x/odd.parquet", Body=sink.getvalue().to_pybytes())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = fk.read("s3://odd-parquet/x/", endpoint_url=moto_endpoint, enrich=False)
    _check_odd(df, fk.quarantine(df))


@pytest.mark.parametrize(
    ("column", "values", "reason"),
    [
        ("dstport", [True, False], "column 'dstport' is bool, which cannot be read as uint16"),
        ("srcaddr", [["10.0.0.1"], []], "column 'srcaddr' is list<"),
    ],
)
def test_a_column_that_cannot_be_its_field_makes_a_file_error(
    tmp_path: Path, loaded: Callable[..., Loaded], column: str, values: list[Any], reason: str
) -> None:
    good = odd_table().slice(0, 2)
    pq.write_table(good, tmp_path / "a.parquet")
    bad = good.set_column(good.column_names.index(column), column, pa.array(values))
    pq.write_table(bad, tmp_path / "b.parquet")
    got = loaded(tmp_path, enrich=False)
    assert len(got.frame) == 2
    assert got.quarantine["file"].tolist() == [str(tmp_path / "b.parquet")]
    assert got.quarantine["line"].tolist() == [0]
    assert got.quarantine["reason"].iloc[0].startswith(f"cannot read Parquet: {reason}")


def test_repeated_column_names_make_a_file_error(tmp_path: Path) -> None:
    table = odd_table().slice(0, 2)
    twice = pa.table([*table.columns, table["bytes"]], names=[*table.column_names, "bytes"])
    pq.write_table(twice, tmp_path / "twice.parquet")
    with pytest.warns(UserWarning, match="1 file problem"):
        df = fk.read(tmp_path / "twice.parquet")
    assert len(df) == 0
    assert "bytes appear more than once" in fk.quarantine(df)["reason"].iloc[0]
