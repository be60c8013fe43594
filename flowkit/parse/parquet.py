"""Fit a Parquet table of any writer's types to the field table's Arrow types (pure).

Parquet files are written by AWS (the exact types), by flowkit's convert, and by anything else
(pandas, Spark, Athena CTAS): ``account_id`` as ``int64``, times as ``timestamp[ms]``, counts as
``float64`` with NaN, extra ``bool``/``struct``/``list`` columns.  :func:`fit_table` casts every
value that converts without loss and sends the rest to the quarantine:

* integers of any width, integral floats (NaN is missing) and digit strings become the field's
  unsigned type; a negative, fractional or too large value quarantines its row;
* ``timestamp`` start/end of any unit become epoch seconds; a value with a fraction of a second
  quarantines its row (flow-log times are whole seconds);
* strings, integers (``account_id`` zero-padded to AWS's 12 digits), bools and times become
  the dictionary-encoded text of category fields;
* nested columns (``list``, ``struct``, ``map``) of fields AWS does not define become JSON text;
* a column that cannot be read as its field at all (a ``bool`` port, a ``list`` address, a
  repeated column name) makes the whole file a file error, with the reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flowkit.parse.lines import cut as _cut
from flowkit.parse.text import arrow_type
from flowkit.schema import FIELDS_BY_COLUMN

__all__ = ["FittedTable", "fit_table", "repeated_columns"]

_TIMES = ("start", "end")
_UNITS = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}
_ACCOUNT_DIGITS = 12


@dataclass
class FittedTable:
    """A table cast to the field table's types, the rows that did not fit, or a file error."""

    table: pa.Table | None
    bad: list[tuple[int, str, str]] = field(default_factory=list)  # (row, raw, reason)
    error: str | None = None


class _Unfit(Exception):
    """A column that cannot be read as its field at all."""


def _nested(t: pa.DataType) -> bool:
    return pa.types.is_nested(t) or pa.types.is_map(t)


def _stringy(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t)


def _plain(arr: pa.Array) -> pa.Array:
    """Decode a dictionary array; other arrays unchanged."""
    if pa.types.is_dictionary(arr.type):
        return arr.cast(arr.type.value_type)
    return arr


def _max_of(target: pa.DataType) -> int:
    return int(2**target.bit_width - 1) if pa.types.is_unsigned_integer(target) else 2**63 - 1


def _to_integer(col: str, arr: pa.Array, target: pa.DataType) -> tuple[pa.Array, np.ndarray]:
    """Cast to an integer type; return the array (bad rows null) and the bad-row mask."""
    t = arr.type
    if pa.types.is_boolean(t) or not (
        pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t) or _stringy(t)
    ):
        raise _Unfit(f"column '{col}' is {t}, which cannot be read as {target}")
    low = 0 if pa.types.is_unsigned_integer(target) else -(2**63)
    if pa.types.is_integer(t):
        top = min(_max_of(target), _max_of(t) if pa.types.is_unsigned_integer(t) else
                  2 ** (t.bit_width - 1) - 1)  # fmt: skip
        bounds = pc.min_max(arr)  # the usual case: every value fits, one pass decides
        least, most = bounds["min"].as_py(), bounds["max"].as_py()
        if least is None or (least >= low and most <= top):
            return pc.cast(arr, target, safe=False), np.zeros(len(arr), dtype=bool)
        ok = pc.less_equal(arr, pa.scalar(top, t))
        if pa.types.is_signed_integer(t):
            ok = pc.and_(
                ok, pc.greater_equal(arr, pa.scalar(max(low, -(2 ** (t.bit_width - 1))), t))
            )
    elif _stringy(t):
        text = pc.cast(arr, pa.string())
        ok = pc.match_substring_regex(text, r"^[0-9]{1,19}$" if low == 0 else r"^-?[0-9]{1,19}$")
        arr = text
    else:  # floats and decimals: integral values in range; NaN is missing
        values = pc.cast(arr, pa.float64())
        if pa.types.is_floating(t):
            values = pc.if_else(pc.is_nan(values), pa.scalar(None, pa.float64()), values)
        ok = pc.and_(
            pc.equal(pc.floor(values), values),
            pc.and_(pc.greater_equal(values, float(low)),
                    pc.less_equal(values, float(_max_of(target)))),
        )  # fmt: skip
        arr = values
    ok_np = pc.fill_null(ok, True).to_numpy(zero_copy_only=False)
    kept = pc.if_else(pa.array(ok_np), arr, pa.scalar(None, arr.type))
    return pc.cast(kept, target, safe=False), ~ok_np


def _to_seconds(col: str, arr: pa.Array) -> tuple[pa.Array, np.ndarray, str]:
    """Start/end as epoch seconds (int64); timestamps with a fraction of a second are bad."""
    t = arr.type
    if pa.types.is_date(t):
        arr, t = pc.cast(arr, pa.timestamp("s")), pa.timestamp("s")
    if not pa.types.is_timestamp(t):
        values, bad = _to_integer(col, arr, pa.int64())
        return values, bad, f"field '{col}' is not an epoch time"
    per_second = _UNITS[t.unit]
    ticks = pc.cast(arr, pa.int64())
    ok_np = np.ones(len(ticks), dtype=bool)
    seconds = ticks
    if per_second > 1:
        seconds = pc.divide(ticks, per_second)  # exact for whole seconds
        rest = pc.subtract(ticks, pc.multiply(seconds, per_second))
        ok_np = pc.fill_null(pc.equal(rest, 0), True).to_numpy(zero_copy_only=False)
    kept = pc.if_else(pa.array(ok_np), seconds, pa.scalar(None, pa.int64()))
    reason = f"field '{col}' has a fraction of a second (flow-log times are whole seconds)"
    return kept, ~ok_np, reason


def _to_text(col: str, arr: pa.Array) -> pa.Array:
    """Any scalar column as strings (nested ones as JSON text)."""
    t = arr.type
    if _nested(t):
        return pa.array([None if v is None else json.dumps(v, default=str, sort_keys=True)
                         for v in arr.to_pylist()], pa.string())  # fmt: skip
    if pa.types.is_integer(t) and col == "account_id":
        text = pc.utf8_lpad(pc.cast(arr, pa.string()), _ACCOUNT_DIGITS, "0")
        return pc.if_else(pc.less(arr, pa.scalar(0, t)), pc.cast(arr, pa.string()), text)
    if pa.types.is_floating(t):
        values, _ = _to_integer(col, arr, pa.int64())
        return _to_text(col, values)
    try:
        return pc.cast(arr, pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise _Unfit(f"column '{col}' is {t}, which cannot be read as text") from None


def _fit_column(col: str, arr: pa.Array) -> tuple[pa.Array, np.ndarray, str]:
    """One column cast to its field's type, its bad rows and their reason."""
    target = arr.type if col == "ingestion_time" else arrow_type(col)
    no_bad = np.zeros(len(arr), dtype=bool)
    if arr.type == target:
        return arr, no_bad, ""
    arr = _plain(arr)
    if col in _TIMES and FIELDS_BY_COLUMN.get(col) is not None:
        return _to_seconds(col, arr)
    if _nested(arr.type) and col in FIELDS_BY_COLUMN:
        raise _Unfit(f"column '{col}' is {arr.type}, which cannot be read as {target}")
    if pa.types.is_integer(target):
        values, bad = _to_integer(col, arr, target)
        return values, bad, f"field '{col}' does not fit {target}"
    if pa.types.is_floating(arr.type) and col in FIELDS_BY_COLUMN:
        text_ok = pc.fill_null(pc.equal(pc.floor(arr), arr), True).to_numpy(zero_copy_only=False)
        text = _to_text(col, arr)
        if pa.types.is_dictionary(target):
            text = pc.dictionary_encode(text)
        return text, ~text_ok, f"field '{col}' is not a whole number"
    text = _to_text(col, arr)
    return (pc.dictionary_encode(text) if pa.types.is_dictionary(target) else text), no_bad, ""


def repeated_columns(names: list[str]) -> str | None:
    """Why a table whose columns repeat a name cannot be read (None when none repeats).

    >>> repeated_columns(["bytes", "start", "bytes"])
    'column(s) bytes appear more than once'
    """
    repeated = sorted({n for n in names if names.count(n) > 1})
    return f"column(s) {', '.join(repeated)} appear more than once" if repeated else None


def fit_table(table: pa.Table) -> FittedTable:
    """Cast a Parquet table to the field table's Arrow types (times as int64 epoch seconds).

    Examples
    --------
    >>> import pyarrow as pa
    >>> t = pa.table({"account_id": [123456789012, 12345678901, 1],
    ...               "packets": [1.0, float("nan"), 2.0], "bytes": [40, 80, -1]})
    >>> fitted = fit_table(t)
    >>> fitted.table.to_pydict()
    {'account_id': ['123456789012', '012345678901'], 'packets': [1, None], 'bytes': [40, 80]}
    >>> fitted.bad
    [(3, '1 2.0 -1', "field 'bytes' does not fit uint64: -1")]
    """
    names = table.column_names
    if (repeated := repeated_columns(names)) is not None:
        return FittedTable(None, error=repeated)
    n = table.num_rows
    invalid = np.zeros(n, dtype=bool)
    reasons: dict[int, str] = {}
    columns = []
    try:
        for col in names:
            values, bad, reason = _fit_column(col, table[col].combine_chunks())
            columns.append(values)
            if not bad.any():  # the usual case
                continue
            for j in np.flatnonzero(bad & ~invalid).tolist():
                value = table[col][j].as_py()
                reasons[j] = (
                    f"{reason}: {value!r}" if isinstance(value, str) else f"{reason}: {value}"
                )
            invalid |= bad
    except _Unfit as exc:
        return FittedTable(None, error=str(exc))
    fitted = pa.table(columns, names=names)
    if not invalid.any():
        return FittedTable(fitted)
    rows = []
    for index in sorted(reasons):
        values = table.slice(index, 1).to_pylist()[0].values()
        raw = " ".join("-" if v is None else str(v) for v in values)
        rows.append((index + 1, _cut(raw), reasons[index]))
    return FittedTable(fitted.filter(pa.array(~invalid)), rows)
