"""Assemble parsed Arrow parts into one pandas frame with the schema's dtypes.

Files of different formats load into one frame: the columns are the union of their fields, in
field-table order, and a column a file does not have is missing (NA) for its rows.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flowkit.parse.columns import epoch_array, to_pandas_array
from flowkit.parse.inorder import workers
from flowkit.parse.text import ParsedPart, arrow_type
from flowkit.schema import DEFAULT_FIELDS, TIME_DTYPE, column_name, column_order, dtype_of

__all__ = ["EXTRA_COLUMNS", "MS_FROM", "assemble", "empty_frame", "pandas_dtype"]

#: Columns that come from the container, not from the record (CloudWatch Logs).
EXTRA_COLUMNS = {"log_stream": pa.dictionary(pa.int32(), pa.string()),
                 "ingestion_time": pa.timestamp("ms", tz="UTC")}  # fmt: skip
#: Epoch values from this on are milliseconds: as seconds they would be after the year 5138, as
#: milliseconds they are after March 1973, so no plausible value is ambiguous.
MS_FROM = 10**11


def _null_column(col: str, n: int) -> pa.Array:
    target = EXTRA_COLUMNS.get(col) or arrow_type(col)
    return pa.nulls(n, type=target)


def _part_table(part: ParsedPart) -> pa.Table:
    table = part.table
    for key, values in part.extra.items():
        target = EXTRA_COLUMNS.get(key)
        arr = pa.array(values)
        if key == "ingestion_time":
            arr = pc.cast(pc.cast(arr, pa.int64()), pa.timestamp("ms", tz="UTC"))
        elif target is not None and pa.types.is_dictionary(target):
            arr = pc.dictionary_encode(pc.cast(arr, pa.string()))
        table = table.append_column(key, arr)
    return table


def empty_frame(fields: tuple[str, ...] = DEFAULT_FIELDS) -> pd.DataFrame:
    """Return an empty frame with the columns and dtypes of a format.

    >>> empty_frame().dtypes["start"]
    datetime64[s, UTC]
    """
    cols = column_order(column_name(f) for f in fields)
    return pd.DataFrame({c: pd.Series([], dtype=pandas_dtype(c)) for c in cols})


def pandas_dtype(col: str) -> str | pd.api.extensions.ExtensionDtype:
    if col == "log_stream":
        return "category"
    if col == "ingestion_time":
        return "datetime64[ms, UTC]"
    return dtype_of(col)


def assemble(parts: list[ParsedPart], extra_columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """Concatenate parsed parts into one frame with the schema's dtypes.

    Categories are sorted, so the frame (and every group-by over it) does not depend on the
    order files were read or split in (see :mod:`flowkit.parse.columns`).
    """
    return assemble_counted(parts)[0]


def assemble_counted(parts: list[ParsedPart]) -> tuple[pd.DataFrame, int]:
    """:func:`assemble`, and how many ``start``/``end`` values were read as milliseconds."""
    tables = [_part_table(p) for p in parts if p.table.num_rows]
    if not tables:
        return empty_frame(), 0
    names: list[str] = []
    for t in tables:
        names.extend(t.column_names)
    ordered = column_order(n for n in names if n not in EXTRA_COLUMNS)
    ordered += [n for n in EXTRA_COLUMNS if n in names]
    aligned = []
    for t in tables:
        cols = []
        for c in ordered:
            if c in t.column_names:
                arr = t[c]
                target = EXTRA_COLUMNS.get(c) or arrow_type(c)
                if arr.type != target:
                    arr = pc.cast(arr, target)
                cols.append(arr)
            else:
                cols.append(_null_column(c, t.num_rows))
        aligned.append(pa.table(cols, names=ordered))
    table = pa.concat_tables(aligned) if len(aligned) > 1 else aligned[0]
    del aligned, tables
    columns = dict(zip(table.column_names, table.columns, strict=True))
    names = list(columns)
    del table
    in_ms: dict[str, int] = {}

    def convert(name: str) -> pd.api.extensions.ExtensionArray | pd.Categorical:
        col = columns.pop(name)  # the Arrow column is released once converted
        if dtype_of(name) == TIME_DTYPE and pa.types.is_integer(col.type):
            arr, in_ms[name] = epoch_array(col, MS_FROM)
            return arr
        return to_pandas_array(col)

    n = min(workers(), len(names))
    if n > 1 and len(columns[names[0]]) > 100_000:  # columns side by side: numpy and Arrow
        with ThreadPoolExecutor(n, thread_name_prefix="flowkit-frame") as pool:  # free the GIL
            arrays = dict(zip(names, pool.map(convert, names), strict=True))
    else:
        arrays = {name: convert(name) for name in names}
    return pd.DataFrame(arrays, copy=False), sum(in_ms.values())
