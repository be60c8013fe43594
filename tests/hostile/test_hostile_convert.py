"""fk.convert under hostile input and kills at every append (issue 16 item 9), and CSV exports
that a spreadsheet would run as formulas (item 13)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pandas as pd
import pytest
from hostile import T0, record, write_log

import flowkit as fk
from flowkit.conversion import MANIFEST, QUARANTINE, read_converted_quarantine

FAR = 10**16  # an end time beyond year 9999, read as seconds or as milliseconds


def quiet_read(source: object, **options: object) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fk.read(source, **options)  # type: ignore[arg-type,call-overload,no-any-return]


def ordered(df: pd.DataFrame) -> pd.DataFrame:
    out = df.astype({c: "string" for c in df.select_dtypes("category").columns})
    out = out.sort_values(list(out.columns), ignore_index=True)
    out.attrs = {}
    return out


def sorted_quarantine(table: pd.DataFrame) -> pd.DataFrame:
    return table.sort_values(["file", "line"], ignore_index=True)


def test_end_beyond_year_9999_is_quarantined(tmp_path: Path) -> None:
    far = record(7).rsplit(" ", 3)
    far_line = f"{far[0]} {FAR} {far[2]} {far[3]}"
    write_log(tmp_path / "in" / "a.log", [record(1), far_line, record(2)])
    write_log(tmp_path / "in" / "b.log", [record(3)])
    with pytest.warns(UserWarning, match="quarantined"):
        summary = fk.convert(tmp_path / "in", tmp_path / "out", progress=False)
    assert summary.records == 3
    bad = read_converted_quarantine(tmp_path / "out")
    assert bad["file"].tolist() == [str(tmp_path / "in" / "a.log")]
    assert "9999" in bad["reason"].iloc[0]
    assert len(quiet_read(tmp_path / "out")) == 3


def _inputs(src: Path) -> None:
    for i in range(3):
        write_log(src / f"{i}.log", [record(10 * i + k, start=T0 + 3600 * i) for k in range(4)]
                  + [f"=HYPERLINK(\"http://evil.example/{i}\",\"click\")"])  # fmt: skip


KILLER = textwrap.dedent(
    """
    import os, signal, sys
    import flowkit.convert_log as log
    src, out, call, how = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    real = log.append_text
    seen = []
    def append_text(path, text):
        seen.append(path)
        if len(seen) == call:
            if how == "torn":
                with open(path, "a", encoding="utf-8") as fh:
                    fh.write(text[: len(text) // 2])
            os.kill(os.getpid(), signal.SIGKILL)
        real(path, text)
    log.append_text = append_text
    import flowkit
    flowkit.convert(src, out, progress=False, batch_bytes=1)
    """
)


@pytest.mark.parametrize(
    ("call", "how"),
    [(3, "before"), (4, "before"), (4, "torn"), (3, "torn"), (2, "torn")],
    ids=["after-parts", "after-quarantine", "torn-manifest", "torn-quarantine", "torn-first"],
)
def test_a_kill_at_any_append_resumes_without_loss_or_duplicates(
    tmp_path: Path, call: int, how: str
) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    _inputs(src)
    run = subprocess.run(
        [sys.executable, "-c", KILLER, str(src), str(out), str(call), how],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == -9, run.stderr
    read_converted_quarantine(out)  # readable right after the kill
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fk.convert(src, out, progress=False, batch_bytes=1)
    expected = quiet_read(src, enrich=False)
    pd.testing.assert_frame_equal(ordered(quiet_read(out, enrich=False)), ordered(expected))
    pd.testing.assert_frame_equal(
        sorted_quarantine(read_converted_quarantine(out)),
        sorted_quarantine(fk.quarantine(expected)),
    )
    assert len((out / MANIFEST).read_text().splitlines()) == 3


def test_quarantine_csv_neutralises_formulas_and_reads_back_unchanged(tmp_path: Path) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    _inputs(src)
    write_log(src / "3.log", ["+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "'quoted"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fk.convert(src, out, progress=False)
    cells = pd.read_csv(out / QUARANTINE, dtype=str, keep_default_na=False)
    expected = fk.quarantine(quiet_read(src, enrich=False))
    risky = expected["raw"].str.match(r"^[=+\-@\t\r']")
    assert risky.sum() >= 6
    assert not cells["raw"].str.match(r"^[=+\-@\t\r]").any()
    assert cells["raw"].str.startswith("'").sum() == risky.sum()
    pd.testing.assert_frame_equal(
        sorted_quarantine(read_converted_quarantine(out)), sorted_quarantine(expected)
    )


def test_a_torn_manifest_line_does_not_stop_a_resume(tmp_path: Path) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    _inputs(src)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fk.convert(src, out, progress=False, batch_bytes=1)
        text = (out / MANIFEST).read_text()
        (out / MANIFEST).write_text(text[: len(text) - 40])  # the last line cut short
        again = fk.convert(src, out, progress=False, batch_bytes=1)
    assert (again.inputs_converted, again.inputs_skipped) == (1, 2)
    expected = quiet_read(src, enrich=False)
    pd.testing.assert_frame_equal(ordered(quiet_read(out, enrich=False)), ordered(expected))
    assert len(read_converted_quarantine(out)) == 3


def test_findings_csv_neutralises_formulas() -> None:
    from flowkit.detect.command import to_csv
    from flowkit.detect.frame import empty_findings

    findings = empty_findings()
    row = {c: None for c in findings.columns} | {
        "finding": "threat_intel", "severity": "high", "actor": "=HYPERLINK(\"http://x\")",
        "target": "@SUM(A1)", "summary": "-1+1", "evidence": {}, "first_seen": T0,
        "last_seen": T0, "flows": 1, "packets": 1, "bytes": 40}  # fmt: skip
    table = pd.concat([findings, pd.DataFrame([row])], ignore_index=True)[findings.columns]
    cells = pd.read_csv(io.StringIO(to_csv(table)), dtype=str)
    assert cells.loc[0, "actor"] == '\'=HYPERLINK("http://x")'
    assert cells.loc[0, "target"] == "'@SUM(A1)"


def test_an_output_of_the_earlier_format_is_upgraded_unchanged(tmp_path: Path) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    _inputs(src)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fk.convert(src / "0.log", out, progress=False)
    expected = read_converted_quarantine(out)
    # the earlier format: no batch column or batch keys, cells as they are
    expected.to_csv(out / QUARANTINE, index=False)
    lines = [json.loads(x) for x in (out / MANIFEST).read_text().splitlines()]
    (out / MANIFEST).write_text("".join(json.dumps({k: v for k, v in e.items() if
                                                    not k.startswith("batch")}) + "\n"
                                        for e in lines))  # fmt: skip
    pd.testing.assert_frame_equal(read_converted_quarantine(out), expected)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = fk.convert(src, out, progress=False)
    assert (again.inputs_converted, again.inputs_skipped) == (2, 1)
    assert len(read_converted_quarantine(out)) == 3
    assert read_converted_quarantine(out)["raw"].str.startswith("=HYPERLINK").all()
    assert len(quiet_read(out, enrich=False)) == 12
