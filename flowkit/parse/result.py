"""Finish a load: the frame, its provenance, the quarantine table, one warning or one error."""

from __future__ import annotations

import warnings
from typing import Literal

import pandas as pd

from flowkit.errors import FlowkitWarning, ParseError
from flowkit.load_provenance import Provenance, quarantine_frame
from flowkit.parse.collect import Collector
from flowkit.parse.frame import assemble_counted
from flowkit.parse.text import COUNT_COLUMNS
from flowkit.schema import FIELDS_BY_COLUMN, column_name, unexpected_values

__all__ = ["Errors", "finish"]

Errors = Literal["quarantine", "raise"]


def _quarantine_table(collector: Collector) -> pd.DataFrame:
    return quarantine_frame(sorted(collector.bad, key=lambda r: (r[0], r[1])))


def finish(
    collector: Collector,
    *,
    errors: Errors = "quarantine",
    sources: list[str] | None = None,
) -> pd.DataFrame:
    """Assemble the collected parts into a frame and attach ``df.attrs["flowkit"]``.

    With ``errors="raise"`` any bad line raises one :class:`~flowkit.ParseError` listing them
    all; with ``errors="quarantine"`` the good records load, the bad lines are kept in the
    quarantine table, and one warning gives the counts.
    """
    if errors not in ("quarantine", "raise"):
        raise ValueError(f"errors must be 'quarantine' or 'raise', not {errors!r}")
    collector.flush()
    quarantine = _quarantine_table(collector)
    if errors == "raise" and len(quarantine):
        raise ParseError(quarantine)
    df, in_ms = assemble_counted(collector.parts)
    collector.parts.clear()
    files = {name: c.as_dict() for name, c in sorted(collector.counts.items())}
    totals = {k: sum(f[k] for f in files.values()) for k in COUNT_COLUMNS}
    df.attrs["flowkit"] = Provenance(
        record_type=collector.record_type,
        sources=list(sources or []),
        files=files,
        totals=totals,
        quarantine=quarantine,
        formats={" ".join(k): v for k, v in collector.formats.items()},
        skipped_files=dict(sorted(collector.skipped.items())),
        columns={c: column_name(c) for c in df.columns},
    )
    enums = {}
    for c in df.columns:
        field = FIELDS_BY_COLUMN.get(c)
        if field is None or field.values is None:
            continue
        s = df[c]
        values = (
            s.cat.categories if isinstance(s.dtype, pd.CategoricalDtype) else s.dropna().unique()
        )
        enums[c] = list(values)
    odd = unexpected_values(enums)
    df.attrs["flowkit"]["unexpected_values"] = odd
    # columns of CSV exports that are not flow-log fields (flowkit.parse.csv_export)
    df.attrs["flowkit"]["csv_ignored_columns"] = dict(sorted(collector.csv_ignored.items()))
    df.attrs["flowkit"]["times_in_milliseconds"] = in_ms
    if in_ms:
        warnings.warn(
            f"flowkit: {in_ms} start/end value(s) of 10**11 or more were read as milliseconds "
            "(AWS documents seconds; see docs/loading.md)",
            FlowkitWarning,
            stacklevel=3,
        )
    if odd:
        listed = "; ".join(f"{c}: {', '.join(v[:5])}" for c, v in odd.items())
        warnings.warn(
            f"flowkit: values outside the documented sets were kept ({listed})",
            FlowkitWarning,
            stacklevel=3,
        )
    if len(quarantine):
        n_files = quarantine["file"].nunique()
        warnings.warn(
            f"flowkit: {totals['quarantined']} line(s) and {totals['file_errors']} file "
            f"problem(s) in {n_files} file(s) quarantined; {totals['records']} record(s) loaded. "
            "See fk.quarantine(df).",
            FlowkitWarning,
            stacklevel=3,
        )
    if collector.skipped:
        warnings.warn(
            f"flowkit: skipped {len(collector.skipped)} file(s) of another record type "
            f"(see df.attrs['flowkit']['skipped_files']).",
            FlowkitWarning,
            stacklevel=3,
        )
    return df
