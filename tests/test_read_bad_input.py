"""Bad input never crashes a load and is never lost: quarantine rows and reconciled counts."""

from __future__ import annotations

import gzip
import json
import os
import random
import shutil
import tempfile
import warnings
import zlib
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import flowkit as fk
from flowkit.errors import ParseError, SourceError

BAD = Path(__file__).parent / "data" / "bad"
GOOD = Path(__file__).parent / "data" / "versions" / "v2.log"
HEADER = " ".join(fk.DEFAULT_FIELDS)
ACCEPT = "2 123456789010 eni-1235b8ca123456789 192.0.2.139 192.0.2.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"  # noqa: E501


def load(source: Any, **kwargs: Any) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = fk.read(source, **kwargs)
    for name, c in df.attrs["flowkit"]["files"].items():
        total = c["records"] + c["quarantined"] + c["header_lines"] + c["blank_lines"]
        assert total == c["lines_read"], name
    return df


def counts_of(df: pd.DataFrame, path: Path) -> dict[str, int]:
    return dict(df.attrs["flowkit"]["files"][str(path)])


def rows(df: pd.DataFrame) -> list[tuple[int, str]]:
    q = fk.quarantine(df)
    return list(zip(q["line"].tolist(), q["reason"].tolist(), strict=True))


def test_quarantine_table_shape() -> None:
    df = load(BAD / "wrong_field_count.log")
    q = fk.quarantine(df)
    assert list(q.columns) == ["file", "line", "raw", "reason"]
    assert str(q["line"].dtype) == "Int64"
    assert set(q["file"]) == {str(BAD / "wrong_field_count.log")}
    assert fk.quarantine(fk.parse_lines([ACCEPT])).empty


def test_every_path_builds_one_quarantine_table(tmp_path: Path) -> None:
    """pandas read, Dask read, convert and an empty table: the same columns and dtypes."""
    from flowkit.conversion import convert, read_converted_quarantine
    from flowkit.engine.dask.read import read_dask_quarantine
    from flowkit.load_provenance import quarantine_frame

    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(BAD / "wrong_field_count.log", src / "a.log")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        convert(src, tmp_path / "out", progress=False)
    tables = {
        "built": quarantine_frame([("a.log", 3, "x y", "expected 14 fields, found 2")]),
        "empty": quarantine_frame(),
        "pandas": fk.quarantine(load(src)),
        "pandas, none bad": fk.quarantine(fk.parse_lines([ACCEPT])),
        "dask": read_dask_quarantine(src, client="synchronous"),
        "dask, none bad": read_dask_quarantine(GOOD, client="synchronous"),
        "convert": read_converted_quarantine(tmp_path / "out"),
        "convert, none yet": read_converted_quarantine(tmp_path),
    }
    dtypes = {name: table.dtypes.astype(str).to_dict() for name, table in tables.items()}
    assert [name for name, table in tables.items() if len(table)] == [
        "built",
        "pandas",
        "dask",
        "convert",
    ]
    expected = {"file": "string", "line": "Int64", "raw": "string", "reason": "string"}
    assert dtypes == dict.fromkeys(tables, expected)
    pd.testing.assert_frame_equal(tables["dask"], tables["pandas"])
    pd.testing.assert_frame_equal(tables["convert"], tables["pandas"])


def test_wrong_field_count() -> None:
    path = BAD / "wrong_field_count.log"
    df = load(path)
    assert len(df) == 2
    assert rows(df) == [(3, "expected 14 fields, found 13"), (4, "expected 14 fields, found 15")]
    lines = path.read_text().splitlines()
    assert fk.quarantine(df)["raw"].tolist() == [lines[2], lines[3]]
    assert counts_of(df, path) == {
        "lines_read": 5,
        "records": 2,
        "quarantined": 2,
        "header_lines": 1,
        "blank_lines": 0,
        "file_errors": 0,
    }


def test_non_numeric_number() -> None:
    path = BAD / "non_numeric.log"
    df = load(path)
    assert len(df) == 1
    assert rows(df) == [
        (2, "field 'packets' is not a valid UInt64 number: 'twenty'"),
        (3, "field 'bytes' is not a valid UInt64 number: '-4249'"),
    ]
    c = counts_of(df, path)
    assert (c["records"], c["quarantined"], c["header_lines"], c["lines_read"]) == (1, 2, 1, 4)


def test_port_and_protocol_out_of_range() -> None:
    path = BAD / "port_out_of_range.log"
    df = load(path)
    assert df["srcport"].tolist() == [65535]  # the largest port is fine
    assert df["dstport"].tolist() == [0]
    assert rows(df) == [
        (2, "field 'srcport' is not a valid UInt16 number: '65536'"),
        (3, "field 'protocol' is not a valid UInt8 number: '256'"),
    ]
    assert counts_of(df, path)["quarantined"] == 2


def test_binary_garbage_file(tmp_path: Path) -> None:
    rng = random.Random(7)
    path = tmp_path / "garbage.log.gz"  # the name lies: it is not gzip
    garbage = bytes(rng.randrange(256) for _ in range(5000))
    path.write_bytes(b"\x00" + garbage)
    df = load(path)
    assert len(df) == 0
    c = counts_of(df, path)
    assert c["records"] == 0
    assert c["quarantined"] == c["lines_read"] - c["blank_lines"] > 0
    q = fk.quarantine(df)
    assert q["reason"].str.startswith("binary data").all()
    assert (q["raw"].str.len() <= 500).all()


def test_binary_garbage_between_good_lines(tmp_path: Path) -> None:
    path = tmp_path / "mixed.log"
    path.write_bytes(
        (HEADER + "\n" + ACCEPT + "\n").encode()
        + b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\n"
        + (ACCEPT + "\n").encode()
    )
    df = load(path)
    assert len(df) == 2
    c = counts_of(df, path)
    assert c["records"] == 2
    assert c["header_lines"] == 1
    assert c["quarantined"] + c["blank_lines"] == c["lines_read"] - 3
    assert c["quarantined"] >= 1


def test_binary_garbage_inside_gzip(tmp_path: Path) -> None:
    path = tmp_path / "x.log.gz"
    path.write_bytes(
        gzip.compress((HEADER + "\n" + ACCEPT + "\n").encode() + b"\xff\xfe\x00\x01\n")
    )
    df = load(path)
    assert len(df) == 1
    assert rows(df) == [(3, "binary data (NUL bytes), not flow-log text")]


def truncated_gzip(tmp_path: Path, n: int = 3000) -> tuple[Path, list[str], int]:
    """A gzip file cut in the middle; returns it, its lines, and how many lines are complete."""
    rng = random.Random(11)
    lines = [HEADER] + [
        f"2 123456789010 eni-{rng.randrange(16**17):017x} 192.0.2.{rng.randrange(256)} "
        f"198.51.100.{rng.randrange(256)} {rng.randrange(65536)} 443 6 {rng.randrange(1, 999)} "
        f"{rng.randrange(40, 10**6)} 1700000000 1700000060 ACCEPT OK"
        for _ in range(n)
    ]
    full = gzip.compress(("\n".join(lines) + "\n").encode())
    cut = full[: len(full) // 2]
    path = tmp_path / "cut.log.gz"
    path.write_bytes(cut)
    # what zlib itself recovers from the cut stream
    recovered = zlib.decompressobj(31).decompress(cut)
    complete = recovered.count(b"\n")
    assert 100 < complete < n  # the cut is in the middle of the file, mid-line
    assert not recovered.endswith(b"\n")
    return path, lines, complete


def test_truncated_gzip_keeps_every_complete_line(tmp_path: Path) -> None:
    path, lines, complete = truncated_gzip(tmp_path)
    df = load(path)
    assert len(df) == complete - 1  # the header is one of the complete lines
    expected_last = int(lines[complete - 1].split()[5])
    assert df["srcport"].iloc[-1] == expected_last
    q = fk.quarantine(df)
    assert q["line"].iloc[0] == 0
    assert q["reason"].iloc[0].startswith("gzip stream truncated")
    assert q["reason"].iloc[1].startswith("incomplete last line")
    assert lines[complete].startswith(q["raw"].iloc[1])  # the fragment, as far as it goes
    assert counts_of(df, path) == {
        "lines_read": complete + 1,
        "records": complete - 1,
        "quarantined": 1,
        "header_lines": 1,
        "blank_lines": 0,
        "file_errors": 1,
    }


def test_truncated_gzip_fragment_has_its_line_number(tmp_path: Path) -> None:
    path, _, complete = truncated_gzip(tmp_path)
    q = fk.quarantine(load(path))
    assert q["line"].tolist() == [0, complete + 1]


def test_truncated_gzip_cut_in_the_header(tmp_path: Path) -> None:
    path = tmp_path / "tiny.log.gz"
    full = gzip.compress((HEADER + "\n" + ACCEPT + "\n").encode(), compresslevel=0)
    path.write_bytes(full[:40])
    df = load(path)
    assert len(df) == 0
    c = counts_of(df, path)
    assert c["file_errors"] == 1
    assert c["lines_read"] == c["quarantined"] == 1


def test_gzip_with_only_a_header_is_cut(tmp_path: Path) -> None:
    path = tmp_path / "magic-only.gz"
    path.write_bytes(b"\x1f\x8b")
    df = load(path)
    assert len(df) == 0
    assert [line for line, _ in rows(df)] == [0]
    assert counts_of(df, path)["file_errors"] == 1


def test_corrupt_gzip_is_one_file_error(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.log.gz"
    path.write_bytes(gzip.compress(b"x")[:10] + bytes(range(7, 200)))
    df = load(path)
    assert len(df) == 0
    q = fk.quarantine(df)
    assert q["line"].tolist() == [0]
    assert q["reason"].iloc[0].startswith("corrupt gzip data")
    assert counts_of(df, path)["file_errors"] == 1


def test_empty_file() -> None:
    path = BAD / "empty.log"
    df = load(path)
    assert len(df) == 0
    assert fk.quarantine(df)[["line", "raw", "reason"]].to_dict("records") == [
        {"line": 0, "raw": "", "reason": "empty file: no header and no records"}
    ]
    assert counts_of(df, path) == {
        "lines_read": 0,
        "records": 0,
        "quarantined": 0,
        "header_lines": 0,
        "blank_lines": 0,
        "file_errors": 1,
    }


def test_empty_gzip_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.log.gz"
    path.write_bytes(gzip.compress(b""))
    df = load(path)
    assert rows(df) == [(0, "empty file: no header and no records")]


def test_header_only_file_loads_nothing_and_quarantines_nothing() -> None:
    path = BAD / "header_only.log"
    df = load(path)
    assert len(df) == 0
    assert fk.quarantine(df).empty
    assert counts_of(df, path) == {
        "lines_read": 1,
        "records": 0,
        "quarantined": 0,
        "header_lines": 1,
        "blank_lines": 0,
        "file_errors": 0,
    }


def test_unreadable_file_in_a_folder_is_one_quarantine_row(tmp_path: Path) -> None:
    shutil.copy(GOOD, tmp_path / "good.log")
    broken = tmp_path / "broken.log"
    os.symlink(tmp_path / "gone.log", broken)  # a broken symlink: open() raises OSError
    df = load(tmp_path)
    assert len(df) == 2
    q = fk.quarantine(df)
    assert q[["file", "line"]].to_dict("records") == [{"file": str(broken), "line": 0}]
    assert q["reason"].iloc[0].startswith("cannot open file")
    assert counts_of(df, broken)["file_errors"] == 1
    assert counts_of(df, broken)["lines_read"] == 0


def test_missing_explicit_path_is_a_source_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.log"
    os.symlink(tmp_path / "gone.log", broken)
    with pytest.raises(SourceError):
        fk.read(broken)


def test_raw_is_cut_at_500_characters(tmp_path: Path) -> None:
    path = tmp_path / "long.log"
    path.write_text(HEADER + "\n" + ACCEPT + " " + "x" * 3000 + "\n")
    q = fk.quarantine(load(path))
    assert q["raw"].str.len().tolist() == [500]
    assert q["raw"].iloc[0] == (ACCEPT + " " + "x" * 3000)[:500]


def bad_folder(tmp_path: Path) -> Path:
    for name in ("wrong_field_count.log", "non_numeric.log", "empty.log", "header_only.log"):
        shutil.copy(BAD / name, tmp_path / name)
    shutil.copy(GOOD, tmp_path / "good.log")
    return tmp_path


def test_one_warning_summarises_the_counts(tmp_path: Path) -> None:
    folder = bad_folder(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = fk.read(folder)
    summaries = [w for w in caught if "quarantined" in str(w.message)]
    assert len(summaries) == 1
    assert str(summaries[0].message).startswith(
        "flowkit: 4 line(s) and 1 file problem(s) in 3 file(s) quarantined; 5 record(s) loaded."
    )
    assert len(df) == 2 + 1 + 2


def test_no_warning_for_clean_input() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fk.read(GOOD)


def test_counts_reconcile_per_file_and_in_total(tmp_path: Path) -> None:
    df = load(bad_folder(tmp_path))
    prov = df.attrs["flowkit"]
    assert len(prov["files"]) == 5
    totals = prov["totals"]
    for key in (
        "lines_read",
        "records",
        "quarantined",
        "header_lines",
        "blank_lines",
        "file_errors",
    ):
        assert totals[key] == sum(c[key] for c in prov["files"].values()), key
    assert totals["records"] == len(df)
    assert totals["quarantined"] + totals["file_errors"] == len(fk.quarantine(df))


def test_errors_raise_lists_every_bad_line(tmp_path: Path) -> None:
    folder = bad_folder(tmp_path)
    with pytest.raises(ParseError) as info:
        fk.read(folder, errors="raise")
    err = info.value
    assert isinstance(err, ValueError)
    cases = err.failure_cases
    assert list(cases.columns) == ["file", "line", "raw", "reason"]
    assert len(cases) == 5
    assert sorted(zip(cases["file"].map(lambda f: Path(f).name), cases["line"], strict=True)) == [
        ("empty.log", 0),
        ("non_numeric.log", 2),
        ("non_numeric.log", 3),
        ("wrong_field_count.log", 3),
        ("wrong_field_count.log", 4),
    ]
    message = str(err)
    assert message.startswith("5 bad input line(s):")
    for file, line in zip(cases["file"], cases["line"], strict=True):
        assert f"{file}:{line}:" in message


def test_errors_raise_with_clean_input_loads() -> None:
    df = fk.read(GOOD, errors="raise")
    assert len(df) == 2


def test_errors_raise_from_parse_lines() -> None:
    with pytest.raises(ParseError, match="expected 14 fields, found 2") as info:
        fk.parse_lines([ACCEPT, "bogus line"], errors="raise")
    assert info.value.failure_cases["line"].tolist() == [2]


def test_errors_must_be_quarantine_or_raise() -> None:
    with pytest.raises(ValueError, match="errors must be"):
        fk.read(GOOD, errors="ignore")  # type: ignore[call-overload]


def test_parse_error_message_is_capped(tmp_path: Path) -> None:
    path = tmp_path / "many.log"
    path.write_text(HEADER + "\n" + "bogus\n" * 120)
    with pytest.raises(ParseError) as info:
        fk.read(path, errors="raise")
    assert len(info.value.failure_cases) == 120
    assert "... and 70 more (see .failure_cases)" in str(info.value)


@pytest.mark.slow
def test_line_numbers_hold_across_chunks_of_a_big_gzip_file(tmp_path: Path) -> None:
    n = (48 << 20) // (len(ACCEPT) + 1)  # about 48 MB of text: two decompressed chunks
    bad_at = [n // 10, n - 5]  # 1-based record numbers of two bad records
    records = [ACCEPT] * n
    for k in bad_at:
        records[k - 1] = "bogus line"
    path = tmp_path / "big.log.gz"
    path.write_bytes(gzip.compress((HEADER + "\n" + "\n".join(records) + "\n").encode(), 1))
    del records
    df = load(path)
    assert len(df) == n - 2
    assert fk.quarantine(df)["line"].tolist() == [k + 1 for k in bad_at]
    assert counts_of(df, path)["lines_read"] == n + 1


def test_trailing_garbage_after_the_gzip_stream(tmp_path: Path) -> None:
    path = tmp_path / "tail.log.gz"
    path.write_bytes(gzip.compress((HEADER + "\n" + ACCEPT + "\n").encode()) + b"garbage!")
    df = load(path)
    assert len(df) == 1
    assert rows(df) == [(3, "text after the end of the gzip data: not part of the compressed log")]
    assert fk.quarantine(df)["raw"].tolist() == ["garbage!"]
    assert counts_of(df, path)["quarantined"] == 1


def test_corrupt_parquet_is_one_file_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.log.parquet"
    path.write_bytes(b"PAR1" + bytes(range(100)))
    shutil.copy(GOOD, tmp_path / "good.log")
    df = load(tmp_path)
    assert len(df) == 2
    q = fk.quarantine(df)
    assert q["line"].tolist() == [0]
    assert q["reason"].iloc[0].startswith("cannot read Parquet")
    assert counts_of(df, path) == {
        "lines_read": 0,
        "records": 0,
        "quarantined": 0,
        "header_lines": 0,
        "blank_lines": 0,
        "file_errors": 1,
    }


def test_truncated_gzip_json_container_quarantines_the_cut(tmp_path: Path) -> None:
    events = [{"message": ACCEPT} for _ in range(200)]
    full = gzip.compress(json.dumps({"events": events}).encode())
    path = tmp_path / "cut.json.gz"
    path.write_bytes(full[: len(full) // 2])
    df = load(path)
    assert len(df) == 0  # one JSON document cut short: no event can be trusted
    q = fk.quarantine(df)
    assert q["reason"].str.startswith("invalid JSON").any()
    assert counts_of(df, path)["quarantined"] == 1


def test_truncated_gzip_json_container_is_a_file_error(tmp_path: Path) -> None:
    events = [{"message": ACCEPT} for _ in range(200)]
    full = gzip.compress(json.dumps({"events": events}).encode())
    path = tmp_path / "cut.json.gz"
    path.write_bytes(full[: len(full) // 2])
    df = load(path)
    assert counts_of(df, path)["file_errors"] == 1
    assert 0 in fk.quarantine(df)["line"].tolist()


BAD_LINES = {
    "short": ("2 123456789010 eni-1 192.0.2.1", "expected 14 fields, found 4"),
    "long": (ACCEPT + " x", "expected 14 fields, found 15"),
    "word": (ACCEPT.replace(" 20 ", " many "), "field 'packets' is not a valid UInt64 number"),
    "port": (ACCEPT.replace("20641", "99999"), "field 'srcport' is not a valid UInt16 number"),
    "nul": ("\x00\x00garbage\x00", "binary data (NUL bytes)"),
}


@settings(max_examples=30, deadline=None, derandomize=True, database=None)
@given(
    files=st.lists(
        st.lists(st.sampled_from(["ok", "ok", "ok", "blank", *BAD_LINES]), max_size=40),
        min_size=1,
        max_size=3,
    )
)
def test_every_line_is_accounted_for(files: list[list[str]]) -> None:
    """Property: whatever mix of good, blank and bad lines, no line is lost or misplaced."""
    with tempfile.TemporaryDirectory() as tmp:
        expected_bad = []
        for i, kinds in enumerate(files):
            lines = [HEADER]
            for kind in kinds:
                lines.append(
                    ACCEPT if kind == "ok" else "" if kind == "blank" else BAD_LINES[kind][0]
                )
                if kind in BAD_LINES:
                    expected_bad.append((f"{i}.log", len(lines), BAD_LINES[kind][1]))
            (Path(tmp) / f"{i}.log").write_bytes(("\n".join(lines) + "\n").encode())
        df = load(Path(tmp))
        assert len(df) == sum(k.count("ok") for k in files)
        q = fk.quarantine(df)
        got = [
            (Path(f).name, line, reason)
            for f, line, reason in zip(q["file"], q["line"], q["reason"], strict=True)
        ]
        assert len(got) == len(expected_bad)
        for (f, line, reason), (ef, eline, ereason) in zip(
            sorted(got), sorted(expected_bad), strict=True
        ):
            assert (f, line) == (ef, eline)
            assert reason.startswith(ereason)
        for i, kinds in enumerate(files):
            c = df.attrs["flowkit"]["files"][str(Path(tmp) / f"{i}.log")]
            assert c["lines_read"] == len(kinds) + 1
            assert c["blank_lines"] == kinds.count("blank")
            assert c["quarantined"] == sum(k in BAD_LINES for k in kinds)
