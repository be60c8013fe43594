"""Names that mislead: a newline in a file name, a ``flows`` column under the ``.flows``
accessor (issue 16 item 13)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest
from hostile import T0, record, write_log

import flowkit as fk
from flowkit.compliance import PolicyError, load_policy

FORGED = "x\nflowkit: 0 bad input line(s).log"


def test_a_newline_in_a_file_name_cannot_forge_lines_in_an_error(tmp_path: Path) -> None:
    path = write_log(tmp_path / FORGED, [record(0), "not a record"])
    with pytest.raises(fk.ParseError) as info:
        fk.read(path, errors="raise")
    lines = str(info.value).splitlines()
    assert len(lines) == 2
    assert repr(str(path)) in lines[1]
    with pytest.raises(PolicyError) as bad:
        load_policy(tmp_path / FORGED, text="rules: [")
    assert len(str(bad.value).splitlines()) == 1


def test_a_newline_in_a_name_stays_in_the_quarantine_verbatim(tmp_path: Path) -> None:
    path = write_log(tmp_path / FORGED, [record(0), "not a record"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = fk.read(tmp_path)
    assert fk.quarantine(df)["file"].tolist() == [str(path)]
    assert all("\n" not in str(w.message) for w in caught)


def test_a_flows_column_is_not_shadowed_by_the_accessor(tmp_path: Path) -> None:
    df = fk.read(write_log(tmp_path / "a.log", [record(i, start=T0 + i) for i in range(3)]))
    table = fk.throughput(df)
    assert isinstance(table.flows, pd.Series)
    pd.testing.assert_series_equal(table.flows, table["flows"])
    findings = pd.DataFrame({"finding": ["port_scan"], "dstport": [22], "flows": [40]})
    assert findings.flows.tolist() == [40]
    assert "protocol_name" in df.flows.enrich().columns  # record frames keep the accessor
