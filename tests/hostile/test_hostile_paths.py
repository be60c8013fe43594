"""Hostile paths: one file under many names, links, time pruning of the user's own folders, FIFOs,
devices, dangling links and damaged Parquet (issue 16 items 2, 3, 7 (files) and 10)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
from hostile import T0, Loaded, deadline, load_with, record, write_log

import flowkit as fk

WINDOW = {"start": "2023-11-14 22:00", "end": "2023-11-14 23:00"}


def three_records(path: Path) -> Path:
    return write_log(path, [record(i, start=T0 + 60 * i) for i in range(3)])


def not_read(df: object) -> dict[str, str]:
    return dict(df.attrs["flowkit"]["not_read"])  # type: ignore[attr-defined]


# -- item 2: the same file read more than once ------------------------------------------------


def test_loop_link_under_double_star_reads_each_file_once(
    tmp_path: Path, loaded: Callable[..., Loaded]
) -> None:
    d = tmp_path / "d"
    three_records(d / "a.log")
    (d / "loop").symlink_to(".")
    (d / "again").symlink_to(".")  # two loops: following them is 2**40 paths
    with deadline(120):
        got = loaded(f"{d}/**/*.log")
    assert len(got.frame) == 3
    assert got.quarantine.empty


def test_double_star_lists_the_links_it_does_not_follow(tmp_path: Path) -> None:
    d = tmp_path / "d"
    three_records(d / "a.log")
    (d / "loop").symlink_to(".")
    with pytest.warns(UserWarning, match=r"1 path\(s\) not read"):
        df = fk.read(f"{d}/**/*.log")
    assert not_read(df) == {str(d / "loop"): "a link to a folder: not followed"}
    assert df.attrs["flowkit"]["sources"] == [str(d / "a.log")]


def test_one_file_by_three_spellings_is_read_once(
    tmp_path: Path, loaded: Callable[..., Loaded]
) -> None:
    d = tmp_path / "d"
    three_records(d / "a.log")
    names = [f"{d}/a.log", f"{d}//a.log", f"{d}/../d/a.log"]
    got = loaded(names)
    assert len(got.frame) == 3
    assert any("2 path(s) not read: 2 duplicate" in w for w in got.warnings)


def test_duplicates_are_listed_with_the_file_read(tmp_path: Path) -> None:
    d = tmp_path / "d"
    three_records(d / "a.log")
    os.link(d / "a.log", d / "hard.log")  # a hard link is the same file too
    with pytest.warns(UserWarning, match="not read"):
        df = fk.read([f"{d}/a.log", f"{d}//a.log", str(d)])
    assert len(df) == 3
    assert not_read(df) == {
        f"{d}//a.log": f"the same file as {d}/a.log",
        str(d / "hard.log"): f"the same file as {d}/a.log",
    }


def test_convert_does_not_write_a_file_again_under_another_name(tmp_path: Path) -> None:
    d = tmp_path / "d"
    three_records(d / "a.log")
    out = tmp_path / "out"
    assert fk.convert(f"{d}/a.log", out, progress=False).records == 3
    (tmp_path / "alias").symlink_to(d)
    with pytest.warns(UserWarning, match="1 duplicate"):
        again = fk.convert([f"{d}/../d/a.log", f"{tmp_path}/alias/a.log"], out, progress=False)
    assert (again.inputs_converted, again.records) == (0, 0)
    assert again.not_read == {f"{tmp_path}/alias/a.log": f"the same file as {d}/../d/a.log"}
    assert len(fk.read(out, enrich=False)) == 3


# -- item 3: files dropped without a trace ----------------------------------------------------


@pytest.mark.parametrize(
    "folder",
    ["cases/eu-west-1/2019/06/01", "export/year=2019/month=06/day=01",
     "export/date=2019-06-01/hour=05", "logs/service=web/eu-west-1/2019/06/01"],
)  # fmt: skip
@pytest.mark.parametrize("engine", ["pandas", "dask"])
def test_own_folders_named_like_dates_are_not_pruned(
    tmp_path: Path, folder: str, engine: str
) -> None:
    three_records(tmp_path / "root" / folder / "x.log")
    got = load_with(engine, tmp_path / "root", tmp_path, **WINDOW)
    assert len(got.frame) == 3
    assert not any("not read" in w for w in got.warnings)


@pytest.mark.parametrize("engine", ["pandas", "dask"])
def test_aws_layout_is_pruned_and_every_pruned_path_listed(tmp_path: Path, engine: str) -> None:
    root = tmp_path / "root"
    base = root / "AWSLogs" / "123456789012" / "vpcflowlogs" / "us-east-1"
    three_records(base / "2023" / "11" / "14" / "x.log")
    three_records(base / "2019" / "06" / "01" / "old.log")
    three_records(base / "2023" / "11" / "13" / "yesterday.log")
    name = "123456789012_vpcflowlogs_us-east-1_fl-0abc_20231114T0000Z_0a1b2c3d.log"
    three_records(base / "2023" / "11" / "14" / name)  # its name says midnight
    got = load_with(engine, root, tmp_path, **WINDOW)
    assert len(got.frame) == 3
    assert any("3 path(s) not read: 3 outside the time window" in w for w in got.warnings)
    if engine == "pandas":
        assert sorted(got.attrs["not_read"]) == [
            str(base / "2019"),
            str(base / "2023" / "11" / "13"),
            str(base / "2023" / "11" / "14" / name),
        ]
        assert all("outside the time window" in r for r in got.attrs["not_read"].values())


def test_dask_frame_lists_the_paths_it_did_not_read(tmp_path: Path) -> None:
    """The Dask read's paths not read travel with the frame, as its warning says."""
    base = tmp_path / "AWSLogs" / "123456789012" / "vpcflowlogs" / "us-east-1"
    three_records(base / "2023" / "11" / "14" / "x.log")
    three_records(base / "2019" / "06" / "01" / "old.log")
    with pytest.warns(UserWarning, match=r"fk.provenance\(ddf\)\['not_read'\]"):
        ddf = fk.read(tmp_path, engine="dask", **WINDOW)
    not_read = fk.provenance(ddf)["not_read"]
    assert list(not_read) == [str(base / "2019")]
    assert "outside the time window" in not_read[str(base / "2019")]
    assert len(ddf.compute()) == 3


def test_other_services_folders_are_listed(tmp_path: Path) -> None:
    three_records(tmp_path / "AWSLogs" / "123456789012" / "vpcflowlogs" / "us-east-1" / "x.log")
    trail = tmp_path / "AWSLogs" / "123456789012" / "CloudTrail"
    (trail / "us-east-1").mkdir(parents=True)
    (trail / "us-east-1" / "t.log").write_text("{}")
    with pytest.warns(UserWarning, match=r"1 path\(s\) not read: 1 another AWS service"):
        df = fk.read(tmp_path)
    assert len(df) == 3
    assert not_read(df) == {str(trail): "another AWS service's logs (CloudTrail)"}


def test_walk_and_glob_treat_a_linked_folder_alike(tmp_path: Path) -> None:
    root = tmp_path / "root"
    three_records(root / "real" / "a.log")
    three_records(tmp_path / "elsewhere" / "b.log")
    (root / "outside").symlink_to(tmp_path / "elsewhere")
    (root / "inside").symlink_to(root / "real")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        walked, globbed = fk.read(root), fk.read(f"{root}/**/*.log")
    assert len(walked) == len(globbed) == 3
    expected = {str(root / n): "a link to a folder: not followed" for n in ("inside", "outside")}
    assert not_read(walked) == not_read(globbed) == expected


def test_a_named_link_is_followed(tmp_path: Path) -> None:
    three_records(tmp_path / "elsewhere" / "b.log")
    (tmp_path / "link").symlink_to(tmp_path / "elsewhere")
    assert len(fk.read(tmp_path / "link")) == len(fk.read(f"{tmp_path}/link/*.log")) == 3


def test_files_a_walk_leaves_are_listed_without_a_warning(tmp_path: Path) -> None:
    three_records(tmp_path / "a.log")
    (tmp_path / "notes.md").write_text("my notes")
    (tmp_path / ".hidden.log").write_text("x")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = fk.read(tmp_path)
    assert not_read(df) == {
        str(tmp_path / ".hidden.log"): "a hidden file",
        str(tmp_path / "notes.md"): "not a flow-log file name (.log, .gz, .txt, .parquet)",
    }


# -- item 7 (files) and 10: FIFOs, devices, dangling links, damaged Parquet -----------------


def _special_files(d: Path) -> None:
    three_records(d / "a.log")
    os.mkfifo(d / "pipe.log")
    (d / "zero.log").symlink_to("/dev/zero")
    (d / "dangling.log").symlink_to(d / "gone.log")
    (d / "broken.parquet").write_bytes(b"PAR1" + b"\x00garbage" * 100 + b"PAR1")


def test_special_files_are_file_errors_on_every_engine(
    tmp_path: Path, loaded: Callable[..., Loaded]
) -> None:
    d = tmp_path / "d"
    _special_files(d)
    with deadline(120):
        got = loaded(d)
    assert len(got.frame) == 3
    by_file = dict(zip(got.quarantine["file"], got.quarantine["reason"], strict=True))
    assert set(by_file) == {str(d / n) for n in
                            ("pipe.log", "zero.log", "dangling.log", "broken.parquet")}  # fmt: skip
    assert by_file[str(d / "pipe.log")] == "not a regular file (a FIFO)"
    assert by_file[str(d / "zero.log")] == "not a regular file (a character device)"
    assert by_file[str(d / "dangling.log")].startswith("cannot open file: ")
    assert by_file[str(d / "broken.parquet")].startswith("cannot read Parquet: ")
    assert (got.quarantine["line"] == 0).all()


def test_named_special_files_and_globs_do_not_hang(tmp_path: Path) -> None:
    d = tmp_path / "d"
    _special_files(d)
    with deadline(60), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        named = fk.read([d / "pipe.log", d / "zero.log", d / "a.log"])
        globbed = fk.read(f"{d}/*.log")
    assert len(named) == len(globbed) == 3
    assert named.attrs["flowkit"]["totals"]["file_errors"] == 2
    assert globbed.attrs["flowkit"]["totals"]["file_errors"] == 3
