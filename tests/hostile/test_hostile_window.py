"""A reversed or empty time window is an error, never "nothing found" (issue 16 item 12)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile import T0, load_with, record, write_log

from flowkit.cli import main
from flowkit.compliance import coverage
from flowkit.engine.dask.read import read_dask_quarantine

POLICY = Path(__file__).resolve().parents[2] / "data" / "policy.yaml"


@pytest.mark.parametrize("engine", ["pandas", "dask"])
@pytest.mark.parametrize(
    ("start", "end"), [("2023-11-15", "2023-11-14"), ("2023-11-14 22:00", "2023-11-14 22:00")]
)
def test_a_reversed_or_empty_window_raises(
    tmp_path: Path, engine: str, start: str, end: str
) -> None:
    path = write_log(tmp_path / "a.log", [record(0)])
    with pytest.raises(ValueError, match=r"end \(.*\) must be after start"):
        load_with(engine, path, tmp_path, start=start, end=end)


def test_the_dask_quarantine_and_coverage_check_the_window_too(tmp_path: Path) -> None:
    path = write_log(tmp_path / "a.log", [record(0)])
    with pytest.raises(ValueError, match="must be after start"):
        read_dask_quarantine(path, start="2023-11-15", end="2023-11-14")
    with pytest.raises(ValueError, match="must be after start"):
        coverage(load_with("pandas", path, tmp_path).frame, start="2023-11-15", end="2023-11-14")


def test_audit_with_a_reversed_window_fails_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(tmp_path / "logs" / "a.log", [record(i, start=T0 + 60 * i) for i in range(3)])
    code = main(["audit", str(tmp_path / "logs"), "--policy", str(POLICY), "--html",
                 str(tmp_path / "r.html"), "--start", "2023-11-15", "--end", "2023-11-14",
                 "--fail-on-breach"])  # fmt: skip
    assert code == 2
    assert "must be after start" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()
