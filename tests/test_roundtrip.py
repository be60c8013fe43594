"""Property: records of any format, written as text, gzip or Parquet, read back equal.

Formats are random subsets of the VPC fields (or of the Transit Gateway fields, read with
fk.read_tgw) in random order, plus unknown field names; values include '-' (missing) in any
column, IPv6 addresses, millisecond epochs and ``unknown`` accounts; fields are separated by one
space, two, or a space and a tab.  Parquet files are written as AWS writes them: underscore
column names and the AWS Parquet types (INT_32 for the small numbers, INT_64 for counters and
times, STRING for the rest).  The same records header-less, as CloudWatch Logs events and as a
Firehose object, read with ``fields=``, give the same frame.
"""

from __future__ import annotations

import gzip
import json
import tempfile
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flowkit as fk
from flowkit.schema import FIELDS, TIME_DTYPE, dtype_of

VPC_FIELDS = [f.name for f in FIELDS if f.kind != "tgw"]
TGW_FIELDS = [f.name for f in FIELDS if f.kind != "vpc" and f.name != "tgw-id"]
UNKNOWN_FIELDS = ["future-field", "zz-new-counter", "x-tag-3"]
INT_MAX = {"UInt8": 2**8 - 1, "UInt16": 2**16 - 1, "UInt64": 2**63 - 1}  # Parquet INT_64 is signed
PARQUET_INT = {
    "UInt8": pa.int32(),
    "UInt16": pa.int32(),
    "UInt64": pa.int64(),
    TIME_DTYPE: pa.int64(),
}
MS_FROM = 10**11  # epochs from here on are milliseconds (docs/loading.md)

Value = tuple[str, Any]  # (token as written, value expected back)
MISSING: Value = ("-", None)


def integers(dtype: str) -> st.SearchStrategy[Value]:
    top = INT_MAX[dtype]
    edges = st.sampled_from([0, 1, top])
    return st.one_of(edges, st.integers(0, top)).map(lambda n: (str(n), n))


def epochs() -> st.SearchStrategy[Value]:
    seconds = st.one_of(st.integers(0, 2**31 - 1), st.integers(2**31, MS_FROM - 1)).map(
        lambda s: (str(s), pd.Timestamp(s, unit="s", tz="UTC"))
    )
    # millisecond epochs (seen on SKIPDATA records): from 10**11 on, read as ms
    millis = st.integers(MS_FROM, 4_102_444_800_000).map(
        lambda ms: (str(ms), pd.Timestamp(ms // 1000, unit="s", tz="UTC"))
    )
    return st.one_of(seconds, millis)


def same(token: str) -> Value:
    return (token, token)


ipv4 = st.builds(
    lambda net, host: f"{net}.{host}",
    st.sampled_from(["192.0.2", "198.51.100", "203.0.113"]),
    st.integers(0, 255),
)
ipv6 = st.builds(
    lambda a, b: f"2001:db8:{a:x}::{b:x}", st.integers(0, 0xFFFF), st.integers(0, 0xFFFF)
)
ids = st.builds(
    lambda prefix, n: f"{prefix}-{n:017x}",
    st.sampled_from(["eni", "vpc", "subnet", "i", "nat", "tgw-attach"]),
    st.integers(0, 16**17 - 1),
)
words = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789%:/._",
    min_size=1,
    max_size=12,
).filter(lambda t: t != "-")
accounts = st.one_of(
    st.just("unknown"), st.sampled_from(["123456789010", "999999999999", "000123456789"])
)
ENUMS = {
    "action": ["ACCEPT", "REJECT"],
    "log-status": ["OK", "NODATA", "SKIPDATA"],
    "type": ["IPv4", "IPv6", "EFA"],
    "flow-direction": ["ingress", "egress"],
    "sublocation-type": ["wavelength", "outpost", "localzone"],
    "reject-reason": ["BPA", "EC"],
    "pkt-src-aws-service": ["S3", "DYNAMODB", "EC2", "AMAZON"],
    "pkt-dst-aws-service": ["S3", "DYNAMODB", "EC2", "AMAZON"],
}


def value_of(name: str) -> st.SearchStrategy[Value]:
    dtype = dtype_of(name.replace("-", "_"))
    if name == "traffic-path":
        present = st.integers(1, 8).map(lambda n: (str(n), n))
    elif name == "encryption-status":
        present = st.integers(0, 3).map(lambda n: (str(n), n))
    elif dtype in INT_MAX:
        present = integers(dtype)
    elif dtype == TIME_DTYPE:
        present = epochs()
    elif name in ENUMS:
        present = st.sampled_from(ENUMS[name]).map(same)
    elif name == "account-id":
        present = accounts.map(same)
    elif name.endswith(("addr",)):
        present = st.one_of(ipv4, ipv6).map(same)
    elif name.endswith("-id") or name.startswith("next-hop-interface"):
        present = ids.map(same)
    else:
        present = words.map(same)
    return st.one_of(st.just(MISSING), present, present)


@st.composite
def flow_logs(draw: st.DrawFn) -> tuple[tuple[str, ...], list[list[Value]]]:
    """A format (VPC, or Transit Gateway with ``tgw-id``) and rows of (token, value) pairs."""
    if draw(st.booleans()):
        known = draw(st.lists(st.sampled_from(VPC_FIELDS), min_size=2, max_size=20, unique=True))
    else:
        tgw = draw(st.lists(st.sampled_from(TGW_FIELDS), min_size=1, max_size=20, unique=True))
        known = ["tgw-id", *tgw]
    unknown = draw(
        st.lists(st.sampled_from(UNKNOWN_FIELDS), max_size=min(2, len(known)), unique=True)
    )
    # a header is recognised when at least two and at least half its names are known fields
    fields = tuple(draw(st.permutations(known + unknown)))
    n = draw(st.integers(1, 25))
    rows = [[draw(value_of(f)) for f in fields] for _ in range(n)]
    return fields, rows


def write_text(path: Path, fields: tuple[str, ...], rows: list[list[Value]], gap: str) -> bytes:
    lines = [" ".join(fields)] + [gap.join(token for token, _ in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def write_parquet(path: Path, fields: tuple[str, ...], rows: list[list[Value]]) -> None:
    columns = {}
    for i, name in enumerate(fields):
        dtype = dtype_of(name.replace("-", "_"))
        target = PARQUET_INT.get(dtype, pa.string())
        raw = [row[i][0] for row in rows]
        if target == pa.string():
            data: list[Any] = [None if t == "-" else t for t in raw]
        else:
            data = [None if t == "-" else int(t) for t in raw]
        columns[name.replace("-", "_")] = pa.array(data, target)
    pq.write_table(pa.table(columns), path)


def expected_columns(fields: tuple[str, ...], rows: list[list[Value]]) -> dict[str, list[Any]]:
    return {f.replace("-", "_"): [row[i][1] for row in rows] for i, f in enumerate(fields)}


def as_python(df: pd.DataFrame) -> dict[str, list[Any]]:
    return {
        c: [None if pd.isna(v) else v for v in df[c].astype(object).tolist()] for c in df.columns
    }


def read(path: Path, tgw: bool, **kwargs: Any) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # clean input: not one warning
        warnings.filterwarnings("ignore", message=".*outside the documented sets.*")
        warnings.filterwarnings("ignore", message=".*read as milliseconds.*")
        return (fk.read_tgw if tgw else fk.read)(path, **kwargs)


@pytest.mark.slow
@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(log=flow_logs(), gap=st.sampled_from([" ", "  ", " \t"]))
def test_text_gzip_and_parquet_round_trip(
    log: tuple[tuple[str, ...], list[list[Value]]], gap: str
) -> None:
    fields, rows = log
    tgw = "tgw-id" in fields
    expected = expected_columns(fields, rows)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        text = write_text(folder / "a.log", fields, rows, gap)
        (folder / "a.log").write_bytes(text)
        (folder / "a.log.gz").write_bytes(gzip.compress(text))
        write_parquet(folder / "a.log.parquet", fields, rows)
        frames = {}
        for name in ("a.log", "a.log.gz", "a.log.parquet"):
            df = read(folder / name, tgw, enrich=False)
            assert fk.quarantine(df).empty, name
            counts = next(iter(df.attrs["flowkit"]["files"].values()))
            assert counts["records"] == len(rows), name
            assert sorted(df.columns) == sorted(expected), name
            assert as_python(df) == {c: expected[c] for c in df.columns}, name
            for col in df.columns:
                dtype = dtype_of(col)
                if dtype == "category":
                    assert isinstance(df[col].dtype, pd.CategoricalDtype), (name, col)
                else:
                    assert str(df[col].dtype) == dtype, (name, col)
            frames[name] = df
        # the same records header-less, as CloudWatch Logs and Firehose deliver them
        messages = [" ".join(token for token, _ in row) for row in rows]
        (folder / "events.json").write_text(
            json.dumps({"events": [{"message": m} for m in messages]})
        )
        (folder / "firehose").write_text("".join(json.dumps({"message": m}) for m in messages))
        for name in ("events.json", "firehose"):
            df = read(folder / name, tgw, enrich=False, fields=list(fields))
            assert fk.quarantine(df).empty, name
            pd.testing.assert_frame_equal(df, frames["a.log"], check_categorical=False)
        pd.testing.assert_frame_equal(frames["a.log"], frames["a.log.gz"])
        pd.testing.assert_frame_equal(
            frames["a.log"], frames["a.log.parquet"], check_categorical=False
        )
        enriched_text = read(folder / "a.log", tgw)
        enriched_parquet = read(folder / "a.log.parquet", tgw)
        pd.testing.assert_frame_equal(enriched_text, enriched_parquet, check_categorical=False)
