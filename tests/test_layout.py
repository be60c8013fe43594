"""S3 key layouts (flowkit.sources.layout) and folder discovery with time pruning."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

import flowkit as fk
from flowkit.errors import SourceError
from flowkit.sources import discover
from flowkit.sources.layout import (
    FILE_WINDOW,
    MARGIN,
    key_window,
    other_service,
    overlaps,
    parse_key,
    partial_window,
)
from flowkit.sources.s3 import keep_key, keep_prefix

HEADER = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"  # noqa: E501
ACCOUNT = "123456789010"
HIVE = "p/AWSLogs/aws-account-id=1/aws-service=vpcflowlogs/aws-region=us-east-1"
NAME = f"{ACCOUNT}_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_fe123456.log.gz"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# -- parse_key --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "org", "hive"),
    [
        (f"AWSLogs/{ACCOUNT}/vpcflowlogs/us-east-1/2018/06/20/{NAME}", None, False),
        (f"my-prefix/AWSLogs/{ACCOUNT}/vpcflowlogs/us-east-1/2018/06/20/16/{NAME}", None, False),
        (
            f"AWSLogs/o-a1b2c3d4e5/{ACCOUNT}/vpcflowlogs/us-east-1/2018/06/20/{NAME}",
            "o-a1b2c3d4e5",
            False,
        ),
        (
            f"p/q/AWSLogs/aws-account-id={ACCOUNT}/aws-service=vpcflowlogs/aws-region=us-east-1/"
            f"year=2018/month=06/day=20/{NAME}",
            None,
            True,
        ),
        (
            f"AWSLogs/aws-account-id={ACCOUNT}/aws-service=vpcflowlogs/aws-region=us-east-1/"
            f"year=2018/month=06/day=20/hour=16/{NAME}",
            None,
            True,
        ),
        (
            f"C:\\evidence\\AWSLogs\\{ACCOUNT}\\vpcflowlogs\\us-east-1\\2018\\06\\20\\{NAME}",
            None,
            False,
        ),
    ],
)
def test_parse_key_in_every_layout(key: str, org: str | None, hive: bool) -> None:
    k = parse_key(key)
    assert (k.account, k.region, k.flow_log_id) == (ACCOUNT, "us-east-1", "fl-1234abcd")
    assert k.file_time == utc(2018, 6, 20, 16, 20)
    assert k.org_id == org
    assert k.hive is hive


def test_parse_key_parquet_file_name_from_the_spec() -> None:
    k = parse_key(
        "AWSLogs/aws-account-id=111111111111/aws-service=vpcflowlogs/aws-region=eu-west-3/"
        "year=2022/month=08/day=31/"
        "111111111111_vpcflowlogs_eu-west-3_fl-032a163fae170ae52_20220831T1255Z_2ad4bef5.log.parquet"
    )
    assert (k.account, k.region, k.flow_log_id) == (
        "111111111111",
        "eu-west-3",
        "fl-032a163fae170ae52",
    )
    assert k.file_time == utc(2022, 8, 31, 12, 55)
    assert k.hive


def test_parse_key_of_a_name_that_says_nothing() -> None:
    k = parse_key("downloads/flows.log")
    assert (k.account, k.region, k.flow_log_id, k.file_time, k.org_id, k.hive) == (
        None,
        None,
        None,
        None,
        None,
        False,
    )


# -- windows ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "lo", "hi"),
    [
        ("AWSLogs/1/vpcflowlogs/us-east-1/2024", utc(2024, 1, 1), utc(2025, 1, 1)),
        ("AWSLogs/1/vpcflowlogs/us-east-1/2024/12", utc(2024, 12, 1), utc(2025, 1, 1)),
        ("AWSLogs/1/vpcflowlogs/us-east-1/2024/02/29", utc(2024, 2, 29), utc(2024, 3, 1)),
        ("AWSLogs/1/vpcflowlogs/us-east-1/2024/06/08/05", utc(2024, 6, 8, 5), utc(2024, 6, 8, 6)),
        (
            "AWSLogs/aws-account-id=1/aws-service=vpcflowlogs/aws-region=us-east-1/year=2024",
            utc(2024, 1, 1),
            utc(2025, 1, 1),
        ),
        (f"{HIVE}/year=2024/month=06/day=08", utc(2024, 6, 8), utc(2024, 6, 9)),
        (f"{HIVE}/year=2024/month=06/day=08/hour=23", utc(2024, 6, 8, 23), utc(2024, 6, 9)),
        ("AWSLogs/o-abc/1/vpcflowlogs/us-gov-west-1/2023/01", utc(2023, 1, 1), utc(2023, 2, 1)),
    ],
)
def test_partial_window(path: str, lo: datetime, hi: datetime) -> None:
    assert partial_window(path.split("/")) == (lo, hi)


@pytest.mark.parametrize(
    "path",
    [
        "AWSLogs/1/vpcflowlogs/us-east-1",
        "cases/2024/case-17",  # a folder of the user's, named like a year
        "cases/2024",
        "AWSLogs/1/vpcflowlogs/us-east-1/2024/13",  # not a month
        "AWSLogs/1/vpcflowlogs/us-east-1/2023/02/29",  # not a day
        "x/year=2024/month=06/day=08",  # Hive-like folders of the user's, not an AWS layout
        "cases/eu-west-1/2024/06",
    ],
)
def test_partial_window_none(path: str) -> None:
    assert partial_window(path.split("/")) is None


def test_year_named_folder_above_the_layout_is_not_a_date() -> None:
    parts = f"cases/2024/AWSLogs/{ACCOUNT}/vpcflowlogs/us-east-1/2025/01/02".split("/")
    assert partial_window(parts) == (utc(2025, 1, 2), utc(2025, 1, 3))


def test_key_window_prefers_the_file_name() -> None:
    key = f"AWSLogs/{ACCOUNT}/vpcflowlogs/us-east-1/2018/06/20/{NAME}"
    assert key_window(key) == (utc(2018, 6, 20, 16, 20), utc(2018, 6, 20, 16, 25))
    assert timedelta(minutes=5) == FILE_WINDOW
    assert key_window(f"AWSLogs/{ACCOUNT}/vpcflowlogs/us-east-1/2018/06/20/other.log") == (
        utc(2018, 6, 20),
        utc(2018, 6, 21),
    )
    assert key_window("somewhere/other.log") is None


def test_overlaps_keeps_a_margin_for_late_files() -> None:
    window = (utc(2024, 6, 8, 5), utc(2024, 6, 8, 6))
    assert timedelta(minutes=20) == MARGIN
    assert overlaps(window, None, None)
    assert overlaps(None, utc(2030, 1, 1), utc(2030, 1, 2))
    assert overlaps(window, utc(2024, 6, 8, 5, 30), utc(2024, 6, 8, 5, 40))
    assert overlaps(window, utc(2024, 6, 8, 6, 19), None)  # inside the margin
    assert not overlaps(window, utc(2024, 6, 8, 6, 20), None)
    assert overlaps(window, None, utc(2024, 6, 8, 4, 41))
    assert not overlaps(window, None, utc(2024, 6, 8, 4, 40))


# -- folder trees -----------------------------------------------------------------------------


def record(end: int) -> str:
    return f"2 {ACCOUNT} eni-1235b8ca123456789 192.0.2.1 198.51.100.2 443 49152 6 10 840 {end - 60} {end} ACCEPT OK"  # noqa: E501


def write_log(folder: Path, when: datetime, *, hive: bool, hour: bool) -> Path:
    """Write one S3-style .log.gz with three records ending in its 5-minute window."""
    if hive:
        sub = folder / f"year={when:%Y}" / f"month={when:%m}" / f"day={when:%d}"
        sub = sub / f"hour={when:%H}" if hour else sub
    else:
        sub = folder / f"{when:%Y}" / f"{when:%m}" / f"{when:%d}"
        sub = sub / f"{when:%H}" if hour else sub
    sub.mkdir(parents=True, exist_ok=True)
    name = f"{ACCOUNT}_vpcflowlogs_us-east-1_fl-1234abcd_{when:%Y%m%dT%H%MZ}_fe123456.log.gz"
    end = int(when.timestamp())
    lines = [HEADER, record(end + 10), record(end + 100), record(end + 200)]
    path = sub / name
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    return path


def build_tree(root: Path, layout: str) -> tuple[Path, list[Path]]:
    """An S3 layout with one file per day over three days, plus files a walk must not read."""
    plain = root / "AWSLogs" / ACCOUNT / "vpcflowlogs" / "us-east-1"
    bases = {
        "plain": plain,
        "per-hour": plain,
        "prefix": root
        / "bucket-prefix"
        / "flows"
        / "AWSLogs"
        / ACCOUNT
        / "vpcflowlogs"
        / "us-east-1",
        "org": root / "AWSLogs" / "o-a1b2c3d4e5" / ACCOUNT / "vpcflowlogs" / "us-east-1",
        "hive": root
        / "AWSLogs"
        / f"aws-account-id={ACCOUNT}"
        / "aws-service=vpcflowlogs"
        / "aws-region=us-east-1",
    }
    base = bases.get(layout, bases["hive"])
    hive, hour = layout.startswith("hive"), layout.endswith("hour")
    files = [write_log(base, utc(2024, 6, day, 5, 15), hive=hive, hour=hour) for day in (1, 2, 3)]
    (base / "README.md").write_text("not a log")
    (base / ".hidden.log").write_text("not read")
    return root, files


LAYOUTS = ["plain", "prefix", "org", "hive", "per-hour", "hive-hour"]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_discover_finds_every_log_file_of_a_layout(tmp_path: Path, layout: str) -> None:
    root, files = build_tree(tmp_path, layout)
    assert discover(root) == [str(f) for f in files]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_discover_prunes_by_time(tmp_path: Path, layout: str) -> None:
    root, files = build_tree(tmp_path, layout)
    found = discover(root, start=utc(2024, 6, 2), end=utc(2024, 6, 3))
    assert found == [str(files[1])]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_read_a_layout_with_a_time_window(tmp_path: Path, layout: str) -> None:
    root, _ = build_tree(tmp_path, layout)
    df = fk.read(root, start="2024-06-02", end="2024-06-03")
    assert len(df) == 3
    assert df["end"].min() >= pd.Timestamp("2024-06-02 05:15", tz="UTC")
    assert df["end"].max() < pd.Timestamp("2024-06-03", tz="UTC")
    assert len(df.attrs["flowkit"]["files"]) == 1
    everything = fk.read(root)
    assert len(everything) == 9


def test_read_time_filter_drops_records_outside_the_window(tmp_path: Path) -> None:
    root, _ = build_tree(tmp_path, "plain")
    # the file of 06-02 05:15 holds records ending at +10 s, +100 s and +200 s
    start = pd.Timestamp("2024-06-02 05:16:00", tz="UTC")
    df = fk.read(root, start=start, end="2024-06-02 06:00")
    assert sorted(df["end"].tolist()) == [
        pd.Timestamp("2024-06-02 05:16:40", tz="UTC"),
        pd.Timestamp("2024-06-02 05:18:20", tz="UTC"),
    ]


def test_discover_under_a_year_named_folder_keeps_the_files(tmp_path: Path) -> None:
    _, files = build_tree(tmp_path / "cases" / "2023" / "case-17", "plain")
    found = discover(tmp_path / "cases", start=utc(2024, 6, 2), end=utc(2024, 6, 3))
    assert found == [str(files[1])]


def test_discover_explicit_files_globs_and_lists(tmp_path: Path) -> None:
    root, files = build_tree(tmp_path, "plain")
    odd = tmp_path / "notes.csv"
    odd.write_text(HEADER + "\n" + record(1700000000) + "\n")
    assert discover(odd) == [str(odd)]  # an explicit file is always read
    assert discover(root) == [str(f) for f in files]  # a folder walk skips .csv
    assert discover(str(tmp_path / "**" / "*.log.gz")) == [str(f) for f in files]
    assert discover(str(tmp_path / "*.csv")) == [str(odd)]  # a glob takes any file it names
    assert discover([files[0], str(files[0]), odd]) == [str(files[0]), str(odd)]


def test_discover_takes_log_gz_txt_parquet_in_folders(tmp_path: Path) -> None:
    for name in ("a.log", "b.log.gz", "c.txt", "d.gz", "e.log.parquet", "f.parquet", "g.json", "h"):
        (tmp_path / name).write_text("x")
    names = [Path(p).name for p in discover(tmp_path)]
    assert names == ["a.log", "b.log.gz", "c.txt", "d.gz", "e.log.parquet", "f.parquet"]


def test_discover_missing_path_and_empty_glob(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file or folder"):
        discover(tmp_path / "missing")
    with pytest.raises(SourceError, match="no file matches"):
        discover(str(tmp_path / "*.nothing"))
    assert issubclass(SourceError, OSError)


def test_read_an_empty_folder_gives_an_empty_frame(tmp_path: Path) -> None:
    with pytest.warns(fk.NoEvidenceWarning, match="nothing read"):  # never a silent "clean"
        df = fk.read(tmp_path)
    assert len(df) == 0
    assert df.attrs["flowkit"]["files"] == {}


def test_read_time_window_is_utc_and_naive_means_utc(tmp_path: Path) -> None:
    root, _ = build_tree(tmp_path, "hive")
    naive = fk.read(root, start="2024-06-02 05:16", end="2024-06-02 06:00")
    aware = fk.read(
        root, start="2024-06-02T07:16:00+02:00", end=datetime(2024, 6, 2, 6, tzinfo=UTC)
    )
    pd.testing.assert_frame_equal(naive, aware)
    assert len(naive) == 2
    assert naive.attrs["flowkit"]["time_filter"]["records_outside"] == 1
    with pytest.raises(ValueError, match="start is not a time"):
        fk.read(root, start="NaT")


def test_read_time_filter_keeps_records_without_times(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_text(
        "srcaddr dstaddr start end\n"
        "192.0.2.1 198.51.100.2 - -\n"
        "192.0.2.1 198.51.100.2 1700000000 1700000060\n"
        "192.0.2.1 198.51.100.2 1500000000 1500000060\n"
    )
    df = fk.read(path, start="2023-01-01")
    assert df["start"].isna().tolist() == [True, False]


@pytest.mark.parametrize("layout", ["plain", "org", "hive"])
def test_discover_skips_other_aws_services_logs(tmp_path: Path, layout: str) -> None:
    root, files = build_tree(tmp_path, layout)
    awslogs = next(p for p in root.rglob("AWSLogs") if p.is_dir())
    if layout == "hive":
        other = awslogs / f"aws-account-id={ACCOUNT}" / "aws-service=elasticloadbalancing"
    elif layout == "org":
        other = (
            awslogs / "o-a1b2c3d4e5" / ACCOUNT / "CloudTrail" / "us-east-1" / "2024" / "06" / "02"
        )
    else:
        other = awslogs / ACCOUNT / "CloudTrail" / "us-east-1" / "2024" / "06" / "02"
    other.mkdir(parents=True)
    (other / f"{ACCOUNT}_CloudTrail_us-east-1_20240602T0515Z_abc.json.gz").write_bytes(
        gzip.compress(b'{"Records": []}')
    )
    assert discover(root) == [str(f) for f in files]


@pytest.mark.parametrize(
    ("folder", "service"),
    [
        ("AWSLogs/123456789010/CloudTrail", "CloudTrail"),
        ("AWSLogs/123456789010/CloudTrail/us-east-1", "CloudTrail"),
        ("AWSLogs/o-abc/123456789010/CloudTrail", "CloudTrail"),
        ("AWSLogs/aws-account-id=1/aws-service=elasticloadbalancing", "elasticloadbalancing"),
        ("AWSLogs/123456789010/vpcflowlogs", None),
        # not AWS's layout (an account is digits; Hive names its service folder): both read it
        ("AWSLogs/prod/CloudTrail", None),
        ("AWSLogs/archive/2024", None),
        ("AWSLogs/aws-account-id=1/web", None),
    ],
)
def test_folder_walk_and_s3_listing_agree_on_other_services(
    folder: str, service: str | None
) -> None:
    """One decision of "another AWS service's logs" for local folders and S3 key prefixes."""
    assert other_service(folder.split("/")) == service
    assert keep_prefix(folder + "/") is (service is None)
    assert keep_prefix(f"logs/{folder}/") is (service is None)


def test_a_non_account_folder_under_awslogs_is_read_locally_and_from_s3(tmp_path: Path) -> None:
    folder = tmp_path / "AWSLogs" / "prod" / "CloudTrail"
    folder.mkdir(parents=True)
    (folder / "x.log").write_text(
        f"{HEADER}\n2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1 2 ACCEPT OK\n"
    )
    assert discover(tmp_path) == [str(folder / "x.log")]
    assert keep_key("AWSLogs/prod/CloudTrail/x.log")


def test_date_folders_count_only_where_the_awslogs_folders_are_aws_s() -> None:
    """One reading of the AWSLogs folders: a non-account folder is not AWS's layout, for the
    scope (account, service) and for the date folders alike."""
    from flowkit.sources.layout import aws_folders, partial_window

    ours = ["AWSLogs", "prod", "vpcflowlogs", "us-east-1", "2024", "06"]
    aws = ["AWSLogs", "123456789010", "vpcflowlogs", "us-east-1", "2024", "06"]
    assert aws_folders(ours) == []
    assert partial_window(ours) is None
    assert aws_folders(aws) == ["123456789010", "vpcflowlogs", "us-east-1"]
    assert partial_window(aws) is not None
