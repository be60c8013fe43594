"""The reference loader of issue 17: the floor ``fk.read(enrich=False)`` is measured against.

About 30 lines on purpose, and kept out of the package: it trusts its input (one default-format
``.gz`` with a header, no bad line), so it is a speed reference, not a loader.  pyarrow's CSV
reader with the explicit schema and dictionary string columns reads from ISA-L's threaded gzip
reader (decompression runs in its own thread), ``start``/``end`` become ``timestamp[s]`` in
Arrow, one ``to_pandas(types_mapper=...)`` gives the masked ``UInt*`` dtypes, and
``protocol_name`` is a ``Categorical.from_codes``.

    python benchmarks/reference_loader.py one.log.gz
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from isal import igzip_threaded

from flowkit.enrich import protocol_names
from flowkit.schema import DEFAULT_FIELDS, column_name

_DICT = pa.dictionary(pa.int32(), pa.string())
SCHEMA = {"version": pa.uint8(), "account_id": _DICT, "interface_id": _DICT, "srcaddr": _DICT,
          "dstaddr": _DICT, "srcport": pa.uint16(), "dstport": pa.uint16(),
          "protocol": pa.uint8(), "packets": pa.uint64(), "bytes": pa.uint64(),
          "start": pa.int64(), "end": pa.int64(), "action": _DICT, "log_status": _DICT}  # fmt: skip
_MASKED = {
    pa.uint8(): pd.UInt8Dtype(),
    pa.uint16(): pd.UInt16Dtype(),
    pa.uint64(): pd.UInt64Dtype(),
}
_PROTOCOLS = pd.CategoricalDtype(list(dict.fromkeys(protocol_names())))


def load(path: str) -> pd.DataFrame:
    """Load one trusted default-format ``.gz`` into the dtypes ``fk.read`` gives."""
    names = [column_name(f) for f in DEFAULT_FIELDS]
    with igzip_threaded.open(path, "rb", threads=1) as fh:
        table = pacsv.read_csv(
            fh,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(delimiter=" ", quote_char=False),
            convert_options=pacsv.ConvertOptions(column_types=SCHEMA, null_values=["-"],
                                                 strings_can_be_null=True),
        )  # fmt: skip
    for c in ("start", "end"):
        table = table.set_column(names.index(c), c, pc.cast(table[c], pa.timestamp("s", "UTC")))
    df = table.to_pandas(types_mapper=_MASKED.get)
    lookup = np.array([_PROTOCOLS.categories.get_loc(n) for n in protocol_names()] + [-1])
    codes = lookup[df["protocol"].to_numpy(dtype="int16", na_value=-1)]
    df["protocol_name"] = pd.Categorical.from_codes(codes, dtype=_PROTOCOLS)
    return df


if __name__ == "__main__":
    frame = load(sys.argv[1])
    print(frame.dtypes, len(frame), sep="\n")
