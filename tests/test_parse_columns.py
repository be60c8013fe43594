"""Arrow -> pandas column conversion: equal to pyarrow's own conversion, categories sorted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from flowkit.parse.columns import to_pandas_array

_INTS = [pa.uint8(), pa.uint16(), pa.uint32(), pa.uint64(), pa.int64()]
_MAPPER = {
    pa.uint8(): pd.UInt8Dtype(),
    pa.uint16(): pd.UInt16Dtype(),
    pa.uint32(): pd.UInt32Dtype(),
    pa.uint64(): pd.UInt64Dtype(),
    pa.int64(): pd.Int64Dtype(),
}.get


def _chunks(rng: np.random.Generator, values: list[object], n_chunks: int) -> list[list[object]]:
    cuts = np.sort(rng.integers(0, len(values) + 1, n_chunks - 1))
    return [list(part) for part in np.split(np.asarray(values, dtype=object), cuts)]


@pytest.mark.parametrize("arrow_type", _INTS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_integers_equal_pyarrow_conversion(arrow_type: pa.DataType, seed: int) -> None:
    rng = np.random.default_rng(seed)
    top = min(np.iinfo(arrow_type.to_pandas_dtype()).max, 2**62)
    values = [None if rng.random() < 0.2 else int(v) for v in rng.integers(0, top, 500)]
    col = pa.chunked_array(_chunks(rng, values, 4), arrow_type)
    expected = col.to_pandas(types_mapper=_MAPPER).array
    got = to_pandas_array(col)
    assert got.dtype == expected.dtype
    pd.testing.assert_extension_array_equal(got, expected)


def test_categories_are_the_sorted_union_of_every_chunks_dictionary() -> None:
    words = ["eni-b", "10.0.0.2", "ACCEPT", "Ünïcode", "eni-a", "10.0.0.10", ""]
    rng = np.random.default_rng(5)
    values = [None if rng.random() < 0.1 else words[i] for i in rng.integers(0, len(words), 300)]
    col = pa.chunked_array([pa.array(part, pa.string()).dictionary_encode()
                            for part in _chunks(rng, values, 5)])  # fmt: skip
    got = to_pandas_array(col)
    assert list(got.categories) == sorted(set(v for v in values if v is not None))
    assert got.categories.dtype == "str"
    assert [None if pd.isna(v) else v for v in got.tolist()] == values
    assert got.codes.dtype == np.int8


def test_many_categories_widen_the_codes() -> None:
    values = [f"10.{i // 65536}.{i // 256 % 256}.{i % 256}" for i in range(40_000)]
    col = pa.chunked_array([pa.array(values[:15_000]).dictionary_encode(),
                            pa.array(values[15_000:]).dictionary_encode()])  # fmt: skip
    got = to_pandas_array(col)
    assert got.codes.dtype == np.int32
    assert got.tolist() == values
    assert got.categories.is_monotonic_increasing


def test_empty_and_all_null_columns() -> None:
    empty = pa.chunked_array([], pa.dictionary(pa.int32(), pa.string()))
    assert len(to_pandas_array(empty)) == 0
    nulls = pa.chunked_array([pa.array([None, None], pa.string()).dictionary_encode()])
    assert to_pandas_array(nulls).isna().all()
    ints = pa.chunked_array([pa.array([], pa.uint16()), pa.array([None], pa.uint16())])
    assert to_pandas_array(ints).tolist() == [pd.NA]


def test_second_timestamps_keep_their_unit_and_utc() -> None:
    col = pa.chunked_array([pa.array([0, None], pa.timestamp("s", tz="UTC")),
                            pa.array([1_700_000_000], pa.timestamp("s", tz="UTC"))])  # fmt: skip
    got = pd.Series(to_pandas_array(col))
    assert str(got.dtype) == "datetime64[s, UTC]"
    assert got.isna().tolist() == [False, True, False]
    assert got.iloc[2] == pd.Timestamp("2023-11-14 22:13:20", tz="UTC")


def test_other_types_fall_back_to_pyarrow() -> None:
    col = pa.chunked_array([pa.array(["a", None])])
    assert str(to_pandas_array(col).dtype) == "string"
