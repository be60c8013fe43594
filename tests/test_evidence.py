"""No evidence is never "clean": one judgement of what a load read, a typed warning from
fk.read, and unrelated files that never become columns."""

from __future__ import annotations

import gzip
import warnings
from pathlib import Path

import pandas as pd
import pytest

import flowkit as fk
from flowkit.errors import FlowkitWarning, NoEvidenceError, NoEvidenceWarning
from flowkit.evidence import judge_evidence, likely_format, require_evidence

HEADER = " ".join(fk.DEFAULT_FIELDS)
ACCEPT = ("2 123456789010 eni-1235b8ca123456789 192.0.2.139 192.0.2.21 20641 22 6 20 4249 "
          "1418530010 1418530070 ACCEPT OK")  # fmt: skip
# A man page as /etc holds them: lines that read like words, some of them flow-log field names.
MAN_PAGE = """.TH ALTER_AGGREGATE 7
.SH NAME
type for to
ALTER AGGREGATE \\- change the definition of an aggregate function
type to
.SH SYNOPSIS
schema into
marked is
cast to constant
"""


def quiet_read(source: object, **kwargs: object) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fk.read(source, **kwargs)  # type: ignore[arg-type, call-overload]


def test_warning_classes_are_typed() -> None:
    assert issubclass(NoEvidenceWarning, FlowkitWarning)
    assert issubclass(FlowkitWarning, UserWarning)
    assert issubclass(NoEvidenceError, fk.FlowkitError)
    assert fk.NoEvidenceWarning is NoEvidenceWarning
    assert fk.judge_evidence is judge_evidence


def test_empty_folder_warns_and_says_nothing_was_read(tmp_path: Path) -> None:
    with pytest.warns(NoEvidenceWarning, match="no flow-log files") as caught:
        df = fk.read(tmp_path)
    assert len(df) == 0
    assert len([w for w in caught if issubclass(w.category, NoEvidenceWarning)]) == 1
    ev = judge_evidence(df)
    assert (ev.verdict, ev.ok, ev.files, ev.records) == ("nothing_read", False, 0, 0)
    assert ".csv" in ev.message  # says how to name files the folder walk does not take
    with pytest.raises(NoEvidenceError, match="no flow-log files") as err:
        require_evidence(df)
    assert err.value.evidence == ev


def test_clean_load_is_ok_and_silent(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text(f"{HEADER}\n{ACCEPT}\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = fk.read(tmp_path)
    ev = require_evidence(df)
    assert (ev.verdict, ev.ok, ev.files, ev.records, ev.quarantined) == ("ok", True, 1, 1, 0)


def test_csv_lines_quarantined_name_the_format(tmp_path: Path) -> None:
    lines = ["address,label,first_seen"] + [f"198.51.100.{i},c2,2024-01-0{i}" for i in range(1, 5)]
    (tmp_path / "x.txt").write_text("\n".join(lines) + "\n")
    with pytest.warns(NoEvidenceWarning, match="CSV"):
        df = fk.read(tmp_path)
    ev = judge_evidence(df)
    assert (ev.verdict, ev.lines_read, ev.quarantined, ev.likely_format) == (
        "no_records",
        5,
        5,
        "CSV",
    )
    assert "5 lines" in ev.message  # what was read
    assert "5 quarantined" in ev.message


def test_json_lines_quarantined_name_the_format(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"a": 1}\n{"a": 2}\n')  # JSON, but no CloudWatch events
    with pytest.warns(NoEvidenceWarning, match="look like JSON"):
        fk.read(tmp_path / "x.json")
    assert likely_format(['{"a": 1}', "[1, 2]", '{"b": 2}']) == "JSON"
    assert likely_format(["hello world", "foo bar baz"]) == "unrelated text"
    assert likely_format([ACCEPT.replace(" OK", "")]) == "flow-log records of another format"


def test_mostly_quarantined_is_not_ok(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text(f"{HEADER}\n{ACCEPT}\n" + "hello there world\n" * 3)
    with pytest.warns(NoEvidenceWarning, match="only 1 of 4"):
        df = fk.read(tmp_path)
    ev = judge_evidence(df)
    assert (ev.verdict, ev.records, ev.quarantined, ev.likely_format) == (
        "mostly_quarantined",
        1,
        3,
        "unrelated text",
    )
    # half or more records is evidence (with the usual quarantine warning)
    (tmp_path / "a.log").write_text(f"{HEADER}\n{ACCEPT}\n{ACCEPT}\nhello there world\n")
    assert judge_evidence(quiet_read(tmp_path)).ok


def test_window_without_records_is_not_clean(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text(f"{HEADER}\n{ACCEPT}\n")
    with pytest.warns(NoEvidenceWarning, match="outside"):
        df = fk.read(tmp_path / "a.log", start="2030-01-01", end="2030-01-02")
    ev = judge_evidence(df)
    assert (ev.verdict, ev.records, ev.outside_window) == ("no_records", 0, 1)


def test_header_only_and_file_errors(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text(f"{HEADER}\n")
    (tmp_path / "b.log.gz").write_bytes(gzip.compress(f"{HEADER}\n{ACCEPT}\n".encode())[:30])
    (tmp_path / "c.log").write_bytes(b"")
    df = quiet_read(tmp_path)
    ev = judge_evidence(df)
    assert (ev.verdict, ev.files, ev.file_errors) == ("no_records", 3, 2)
    assert "2 file problems" in ev.message
    assert "1 header line" in ev.message


def test_judge_a_frame_without_provenance() -> None:
    ev = judge_evidence(pd.DataFrame({"srcaddr": ["192.0.2.1"]}))
    assert ev.ok
    assert ev.records == 1
    assert not judge_evidence(pd.DataFrame({"srcaddr": []})).ok


def test_unrelated_text_never_becomes_columns(tmp_path: Path) -> None:
    """fk.read('/etc') built columns 'type', 'for', 'to' from man-page lines."""
    (tmp_path / "ALTER_AGGREGATE.7.gz").write_bytes(gzip.compress(MAN_PAGE.encode()))
    (tmp_path / "notes.txt").write_text("type to\nversion of the for\nthe type and the action\n")
    df = quiet_read(tmp_path)
    assert len(df) == 0
    assert not {"for", "to", "into", "is"} & set(df.columns)
    assert df.attrs["flowkit"]["totals"]["header_lines"] == 0
    q = fk.quarantine(df)
    totals = df.attrs["flowkit"]["totals"]
    assert len(q) == totals["lines_read"] - totals["blank_lines"]
    assert q["reason"].str.startswith("expected 14 fields").all()
    assert judge_evidence(df).likely_format == "unrelated text"
    # a whole hunt on it ends in a clear error, not in KeyError: 'start'
    with pytest.raises(NoEvidenceError, match="unrelated text"):
        require_evidence(df)


def test_real_headers_still_load() -> None:
    data = Path(__file__).parent / "data"
    for path in [data / "odd" / "unknown_fields.log", data / "odd" / "header_change.log",
                 data / "odd" / "repeated_header.log", data / "versions" / "v11.log"]:  # fmt: skip
        df = quiet_read(path)
        assert fk.quarantine(df).empty, path
        assert len(df) > 0
    unknown = quiet_read(data / "odd" / "unknown_fields.log")
    assert {"future_field", "zz_new_counter"} <= set(unknown.columns)


def test_a_log_group_that_held_nothing_is_named() -> None:
    from flowkit.parse import Collector, finish

    df = finish(Collector(), sources=["cloudwatch:/vpc/flow-logs"])
    ev = judge_evidence(df)
    assert ev.verdict == "nothing_read"
    assert (
        ev.message
        == "nothing read: cloudwatch:/vpc/flow-logs held no flow-log records for the query"
    )


def test_every_load_warning_is_a_flowkit_warning(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text(
        f"{HEADER}\n{ACCEPT.replace('ACCEPT', 'DROP')}\n{ACCEPT}\nbad\n"
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fk.read(tmp_path)
    assert len(caught) == 2  # unexpected values, quarantined lines
    assert all(issubclass(w.category, FlowkitWarning) for w in caught)


def test_other_record_types_and_binary_files_are_said_plainly(tmp_path: Path) -> None:
    tgw = Path(__file__).parent / "data" / "tgw" / "tgw_default.log"
    ev = judge_evidence(quiet_read(tgw))
    assert ev.message == (
        "nothing read: 1 file skipped (Transit Gateway flow log; load it with fk.read_tgw)"
    )
    (tmp_path / "a.log").write_bytes(b"\x7fELF\x02\x01\x00\x00\xff\xfe\n" * 3)
    ev = judge_evidence(quiet_read(tmp_path / "a.log"))
    assert ev.likely_format == "binary data"
    assert ev.summary.endswith("the quarantined lines look like binary data")
