"""CSV exports (Athena, CloudWatch Logs Insights, Sentinel's AWSVPCFlow) load as the text does:
same columns, dtypes, quarantine and per-file counts.  Fixtures: tests/data/csv (hand-written
from tests/data/versions/v5.log and tests/data/aws_examples)."""

from __future__ import annotations

import gzip
import tempfile
import warnings
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_roundtrip import Value, flow_logs

import flowkit as fk
from flowkit.parse.csv_export import csv_layout, field_of_header
from flowkit.schema import FIELDS, FIELDS_BY_NAME, field_name

DATA = Path(__file__).parent / "data"
CSV = DATA / "csv"
TEXT_DEFAULT = [DATA / "aws_examples" / "accepted_rejected.log",
                DATA / "aws_examples" / "nodata_skipdata.log"]  # fmt: skip


def load(source: object, **kwargs: object) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = fk.read(source, **kwargs)  # type: ignore[arg-type, call-overload]
    for name, c in df.attrs["flowkit"]["files"].items():
        total = c["records"] + c["quarantined"] + c["header_lines"] + c["blank_lines"]
        assert total == c["lines_read"], name
    return df


def same_frame(got: pd.DataFrame, want: pd.DataFrame) -> None:
    got, want = got.copy(), want.copy()
    got.attrs, want.attrs = {}, {}
    pd.testing.assert_frame_equal(got, want)


def counts(df: pd.DataFrame, path: Path) -> dict[str, int]:
    return dict(df.attrs["flowkit"]["files"][str(path)])


def test_header_names_match_the_field_table_whatever_the_case_and_separator() -> None:
    assert field_of_header("account_id") == "account-id"
    assert field_of_header("accountId") == "account-id"
    assert field_of_header("AccountId") == "account-id"
    assert field_of_header(" Account-ID ") == "account-id"
    assert field_of_header("pkt_src_aws_service") == "pkt-src-aws-service"
    assert field_of_header("PktSrcAwsService") == "pkt-src-aws-service"
    assert field_of_header("startTime") == "start"  # Logs Insights' discovered names
    assert field_of_header("logStatus") == "log-status"
    assert field_of_header("TrafficType") == "type"  # Sentinel's name for ``type``
    assert field_of_header("TenantId") is None
    assert field_of_header("@ptr") is None
    # every field of the table is found by its own name in every spelling
    for f in FIELDS:
        camel = f.name.split("-")[0] + "".join(p.title() for p in f.name.split("-")[1:])
        assert field_of_header(f.column) == f.name
        assert field_of_header(camel) == f.name
        assert field_of_header(f.name.upper()) == f.name


def test_what_is_a_flow_log_csv_header() -> None:
    layout = csv_layout(b'"srcaddr","dstaddr","bytes","date"\n1,2')
    assert layout is not None
    assert layout.fields == ("srcaddr", "dstaddr", "bytes")
    assert layout.ignored == ("date",)
    assert csv_layout(b"@timestamp,@message\n") is not None
    assert csv_layout(b"address,label\n") is None  # a threat list
    assert csv_layout(b"interface_id,vpc_id,subnet_id,name\n") is None  # an inventory: no address
    assert csv_layout(b"version srcaddr dstaddr\n") is None  # flow-log text
    twice = csv_layout(b"srcaddr,dstaddr,srcAddr\n")  # a field twice: a file problem, not a guess
    assert twice is not None
    assert twice.problem == "CSV header names field srcaddr more than once (srcaddr, srcAddr)"


def test_a_field_named_twice_is_a_file_problem(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("srcaddr,dstaddr,srcAddr\n192.0.2.1,198.51.100.2,192.0.2.9\n")
    df = load(path)
    assert counts(df, path)["file_errors"] == 1
    assert fk.quarantine(df)[["line", "reason"]].values.tolist() == [
        [0, "CSV header names field srcaddr more than once (srcaddr, srcAddr)"]]  # fmt: skip
    assert fk.judge_evidence(df).verdict == "no_records"


def test_athena_quoted_equals_the_text() -> None:
    got = load(CSV / "athena_quoted.csv")
    same_frame(got, load(TEXT_DEFAULT))
    assert counts(got, CSV / "athena_quoted.csv") == {
        "lines_read": 5, "records": 4, "quarantined": 0, "header_lines": 1, "blank_lines": 0,
        "file_errors": 0}  # fmt: skip
    assert got.attrs["flowkit"]["csv_ignored_columns"] == {str(CSV / "athena_quoted.csv"): ["date"]}
    assert fk.judge_evidence(got).ok


def test_athena_plain_shuffled_v5_with_bad_lines() -> None:
    path = CSV / "athena_plain.csv"
    got = load(path)
    same_frame(got, load(DATA / "versions" / "v5.log"))
    assert counts(got, path) == {
        "lines_read": 5, "records": 1, "quarantined": 2, "header_lines": 1, "blank_lines": 1,
        "file_errors": 0}  # fmt: skip
    q = fk.quarantine(got)
    assert q["line"].tolist() == [4, 5]
    assert q["reason"].tolist() == ["field 'dstport' is not a valid UInt16 number: '70000'",
                                    "expected 29 CSV columns, found 3"]  # fmt: skip
    assert q["raw"].iloc[1] == "123456789010,5,eni-1235b8ca123456789"  # the line as written
    with pytest.raises(fk.ParseError, match=r"athena_plain\.csv:4"):
        fk.read(path, errors="raise")


def test_logs_insights_discovered_fields_equal_the_text() -> None:
    got = load(CSV / "insights_fields.csv")
    same_frame(got, load(TEXT_DEFAULT[0]))
    assert got.attrs["flowkit"]["csv_ignored_columns"] == {
        str(CSV / "insights_fields.csv"): ["@timestamp"]}  # fmt: skip


def test_logs_insights_message_is_parsed_as_the_record() -> None:
    path = CSV / "insights_message.csv"
    got = load(path)
    want = load(TEXT_DEFAULT[0])
    assert got["log_stream"].astype(str).tolist() == ["eni-1235b8ca123456789-all"] * 2
    same_frame(got.drop(columns="log_stream"), want)
    assert counts(got, path) == {
        "lines_read": 4, "records": 2, "quarantined": 1, "header_lines": 1, "blank_lines": 0,
        "file_errors": 0}  # fmt: skip
    assert fk.quarantine(got)[["line", "reason"]].values.tolist() == [
        [4, "expected 14 fields, found 1"]]  # fmt: skip
    custom = load(path, fields="${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} "
                               "${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} "
                               "${end} ${action} ${log-status}")  # fmt: skip
    assert len(custom) == 2


def test_sentinel_awsvpcflow_equals_the_v5_text() -> None:
    got = load(CSV / "sentinel_awsvpcflow.csv")
    same_frame(got, load(DATA / "versions" / "v5.log"))  # TimeGenerated is the start
    ignored = got.attrs["flowkit"]["csv_ignored_columns"][str(CSV / "sentinel_awsvpcflow.csv")]
    assert ignored == ["TenantId", "SourceSystem", "Type", "_ResourceId"]


def test_gzip_crlf_bom_and_a_glob(tmp_path: Path) -> None:
    body = (CSV / "athena_quoted.csv").read_bytes()
    (tmp_path / "a.csv.gz").write_bytes(
        gzip.compress(b"\xef\xbb\xbf" + body.replace(b"\n", b"\r\n"))
    )
    got = load(str(tmp_path / "*.csv.gz"))
    same_frame(got, load(TEXT_DEFAULT))
    assert fk.quarantine(got).empty


def test_quoted_commas_unterminated_quotes_and_times(tmp_path: Path) -> None:
    path = tmp_path / "tags.csv"
    path.write_text(
        "srcaddr,dstaddr,start,end,instance_tag,bytes\n"
        '192.0.2.1,198.51.100.2,2024-06-09T08:00:00Z,2024-06-09 08:01:00.250,"web, prod",10\n'
        '192.0.2.1,198.51.100.2,1717920000000,1717920060,"open quote,10\n'
        "192.0.2.1,198.51.100.2,June 9th,1717920060,x,10\n"
        "srcaddr,dstaddr,start,end,instance_tag,bytes\n"  # a second export appended
        "192.0.2.3,198.51.100.4,2024-06-09T10:00:00+02:00,,,\n"
    )
    got = load(path)
    assert got["instance_tag"].astype(str).tolist()[0] == "web, prod"
    assert got["start"].astype(str).tolist() == ["2024-06-09 08:00:00+00:00"] * 2
    assert got["end"].astype(str).tolist()[0] == "2024-06-09 08:01:00+00:00"
    assert got["end"].isna().tolist() == [False, True]
    assert str(got["start"].dtype) == "datetime64[s, UTC]"
    assert str(got["bytes"].dtype) == "UInt64"
    q = fk.quarantine(got)
    assert q["line"].tolist() == [3, 4]
    assert q["reason"].str.contains("quote").iloc[0]
    assert q["reason"].iloc[1] == "field 'start' is not an epoch time or ISO 8601: 'June 9th'"
    assert counts(got, path)["header_lines"] == 2


def test_a_folder_walk_skips_csv_but_a_named_file_loads(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes((CSV / "athena_quoted.csv").read_bytes())
    with pytest.warns(fk.NoEvidenceWarning, match="name .csv"):
        fk.read(tmp_path)
    assert len(load(tmp_path / "a.csv")) == 4


def test_every_csv_fixture_at_once() -> None:
    got = load(sorted(CSV.glob("*.csv")))
    assert len(got) == 4 + 1 + 2 + 2 + 1
    assert len(fk.quarantine(got)) == 3
    assert fk.judge_evidence(got).ok


def test_a_cut_gzip_and_binary_lines_are_quarantined(tmp_path: Path) -> None:
    body = (CSV / "athena_quoted.csv").read_bytes()
    cut = tmp_path / "cut.csv.gz"
    whole = gzip.compress(body)
    cut.write_bytes(whole[: len(whole) - 30])  # the stream ends inside the last line
    df = load(cut)
    c = counts(df, cut)
    assert c["file_errors"] == 1
    assert c["records"] == len(df) < 4
    lines = fk.quarantine(df)
    assert "incomplete last line" in lines[lines["line"] > 0]["reason"].iloc[-1]
    odd = tmp_path / "odd.csv"
    odd.write_bytes(
        body.splitlines(keepends=True)[0]
        + b"\x00\x01\xff\xfe,x\n"
        + body.splitlines(keepends=True)[1]
    )
    df = load(odd)
    assert len(df) == 1
    assert fk.quarantine(df)["reason"].tolist() == ["binary data (not UTF-8 text), not CSV text"]


@pytest.mark.slow
@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
@given(log=flow_logs(), quoted=st.booleans(), camel=st.booleans())
def test_csv_of_any_format_equals_the_text(
    log: tuple[tuple[str, ...], list[list[Value]]], quoted: bool, camel: bool
) -> None:
    """Both paths: the clean CSV (pyarrow) and the same CSV with a blank line (line by line)."""
    fields, rows = log
    known = [i for i, f in enumerate(fields) if f in FIELDS_BY_NAME]
    assume(any(fields[i] in ("srcaddr", "dstaddr", "pkt-srcaddr", "pkt-dstaddr") for i in known))
    tgw = "tgw-id" in fields
    reader = fk.read_tgw if tgw else fk.read

    def name(f: str) -> str:
        parts = f.split("-")
        return parts[0] + "".join(p.title() for p in parts[1:]) if camel else f.replace("-", "_")

    def cell(token: str) -> str:
        value = "" if token == "-" and not quoted else token
        return f'"{value}"' if quoted else value

    header = ",".join(cell(name(f)) for f in fields)
    body = [",".join(cell(token) for token, _ in row) for row in rows]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "a.log").write_text(" ".join(fields) + "\n" + "\n".join(
            " ".join(token for token, _ in row) for row in rows) + "\n")  # fmt: skip
        (folder / "a.csv").write_text("\n".join([header, *body]) + "\n")
        (folder / "b.csv").write_text("\n".join([header, *body, ""]) + "\n")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            text = reader(folder / "a.log", enrich=False)
            want = text[[fields_col for fields_col in text.columns
                         if field_name(fields_col) in FIELDS_BY_NAME]]  # fmt: skip
            for path in ("a.csv", "b.csv"):
                got = reader(folder / path, enrich=False)
                assert fk.quarantine(got).empty, path
                same_frame(got, want)
            assert reader(folder / "b.csv").attrs["flowkit"]["totals"]["blank_lines"] == 1


def test_a_header_repeated_in_a_later_chunk_is_a_header_line() -> None:
    from flowkit.parse.csv_export import CsvReader

    body = (CSV / "athena_quoted.csv").read_bytes()
    header, first, *rest = body.splitlines(keepends=True)
    layout = csv_layout(body)
    assert layout is not None
    reader = CsvReader(layout, message_fields=None)
    one = reader.parse(header + first)  # clean: pyarrow
    two = reader.parse(header + b"".join(rest))  # two exports appended
    assert (one.counts.records, one.counts.header_lines) == (1, 1)
    assert (two.counts.records, two.counts.header_lines, two.counts.quarantined) == (3, 1, 0)
    assert reader.next_line == 7


def test_an_overlong_last_line_and_text_after_the_gzip_are_numbered_csv_lines(
    tmp_path: Path,
) -> None:
    """Lines the stream refuses (past the line cap, text after the gzip data) are quarantined
    with their CSV line numbers, like any bad line of the export."""
    body = (CSV / "athena_quoted.csv").read_bytes()
    rows = len(body.splitlines()) - 1
    long = tmp_path / "long.csv"
    long.write_bytes(body + b"x" * (2 << 20))  # a last line over the 1 MiB cap, no newline
    df = load(long)
    assert len(df) == rows
    bad = fk.quarantine(df)
    assert bad["line"].tolist() == [rows + 2]
    assert "longer than" in bad["reason"].iloc[0]
    assert counts(df, long)["quarantined"] == 1
    after = tmp_path / "after.csv.gz"
    after.write_bytes(gzip.compress(body) + b"junk line\n")
    df = load(after)
    assert len(df) == rows
    assert fk.quarantine(df)["line"].tolist() == [rows + 2]
