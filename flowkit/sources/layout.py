"""The S3 key layouts AWS delivers flow logs in, and time pruning by key (pure).

Layouts (``prefix`` optional, ``o-...`` level only in AWS Organizations / Control Tower setups)::

    prefix/AWSLogs/[o-id/]account/vpcflowlogs/region/YYYY/MM/DD/[HH/]file
    prefix/AWSLogs/[o-id/]aws-account-id=account/aws-service=vpcflowlogs/aws-region=region/
        year=YYYY/month=MM/day=DD/[hour=HH/]file

File names: ``account_vpcflowlogs_region_fl-id_YYYYMMDDTHHmmZ_hash.log.gz`` (or
``.log.parquet``); the time is the 5-minute window of the records' *end* times, and files may
arrive late, so pruning keeps a margin on both sides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = [
    "MANIFEST",
    "KeyInfo",
    "aws_folders",
    "key_window",
    "other_service",
    "overlaps",
    "parse_key",
    "partial_window",
    "partition_window",
]

_FILE = re.compile(
    r"(?P<account>[0-9A-Za-z-]+)_vpcflowlogs_(?P<region>[a-z0-9-]+)_(?P<flow_log_id>fl-[0-9A-Za-z]+)"
    r"_(?P<ts>\d{8}T\d{4}Z)_(?P<hash>[0-9A-Za-z]+)\.log(?:\.gz|\.parquet)?$"
)
_HIVE_LEVELS = ("aws-account-id=", "aws-service=", "aws-region=")
#: A Region folder (``us-east-1``, ``us-gov-west-1``): in the plain layout the year follows it.
_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$")
#: Records in a file end within its 5-minute window; they start up to one aggregation interval
#: (10 min) earlier, and files can be late: keep this much margin around a query window.
MARGIN = timedelta(minutes=20)
FILE_WINDOW = timedelta(minutes=5)
#: The manifest a :func:`flowkit.convert` output holds (its ``date=`` folders may be pruned).
MANIFEST = "_manifest.jsonl"


@dataclass(frozen=True)
class KeyInfo:
    """What an S3 key or file path says about the records inside."""

    account: str | None = None
    region: str | None = None
    flow_log_id: str | None = None
    file_time: datetime | None = None
    org_id: str | None = None
    hive: bool = False


def parse_key(path: str) -> KeyInfo:
    """Read account, region, flow-log ID and window time from a key or path.

    >>> k = parse_key("AWSLogs/123456789010/vpcflowlogs/us-east-1/2018/06/20/123456789010_"
    ...               "vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_fe123456.log.gz")
    >>> k.account, k.region, k.flow_log_id, k.file_time.isoformat()
    ('123456789010', 'us-east-1', 'fl-1234abcd', '2018-06-20T16:20:00+00:00')
    """
    parts = path.replace("\\", "/").split("/")
    name = parts[-1]
    m = _FILE.search(name)
    info: dict[str, object] = {}
    if m:
        info.update(
            account=m["account"],
            region=m["region"],
            flow_log_id=m["flow_log_id"],
            file_time=datetime.strptime(m["ts"], "%Y%m%dT%H%MZ").replace(tzinfo=UTC),
        )
    if "AWSLogs" in parts:
        rest = parts[parts.index("AWSLogs") + 1 :]
        if rest and rest[0].startswith("o-"):
            info["org_id"] = rest[0]
        info["hive"] = any(p.startswith("aws-account-id=") for p in rest)
    return KeyInfo(**info)  # type: ignore[arg-type]


def _below_awslogs(parts: list[str]) -> list[str] | None:
    """The folders below ``AWSLogs`` and its ``o-...`` Organizations level (None if no AWSLogs)."""
    if "AWSLogs" not in parts:
        return None
    rest = parts[parts.index("AWSLogs") + 1 :]
    return rest[1:] if rest and rest[0].startswith("o-") else rest


def aws_folders(parts: list[str]) -> list[str]:
    """The account, service and Region a path's ``AWSLogs`` folders name (as many as present).

    The one reading of those folders for local walks and S3 listings.  Empty when the path does
    not follow AWS's layout: a plain account folder is digits, Hive folders are named
    ``aws-account-id=``, ``aws-service=`` and ``aws-region=``.

    >>> aws_folders("logs/AWSLogs/o-abc/123456789010/CloudTrail".split("/"))
    ['123456789010', 'CloudTrail']
    >>> aws_folders("AWSLogs/aws-account-id=1/aws-service=vpcflowlogs/aws-region=x/y".split("/"))
    ['1', 'vpcflowlogs', 'x']
    >>> aws_folders("AWSLogs/prod/CloudTrail".split("/")), aws_folders(["logs", "2024"])
    ([], [])
    """
    rest = (_below_awslogs(parts) or [])[:3]
    if not rest or not rest[0].startswith(_HIVE_LEVELS[0]):
        return rest if rest and rest[0].isdigit() else []
    named = []
    for folder, level in zip(rest, _HIVE_LEVELS, strict=False):
        if not folder.startswith(level):
            break
        named.append(folder.removeprefix(level))
    return named


def _date_levels(parts: list[str]) -> list[str] | None:
    """The folders below a recognised ``AWSLogs`` layout's Region level (None if not in one).

    Plain: ``AWSLogs/[o-id/]account/vpcflowlogs/region/...``; Hive:
    ``AWSLogs/[o-id/]aws-account-id=.../aws-service=vpcflowlogs/aws-region=.../...`` (the
    folders as :func:`aws_folders` reads them).
    """
    scope = aws_folders(parts)
    if len(scope) < 3 or scope[1] != "vpcflowlogs":
        return None
    rest = _below_awslogs(parts) or []
    if not rest[0].startswith(_HIVE_LEVELS[0]) and not _REGION.match(scope[2]):
        return None
    return rest[3:]


def _window_of(values: dict[str, int]) -> tuple[datetime, datetime] | None:
    try:
        y = values["year"]
        if "month" not in values:
            return datetime(y, 1, 1, tzinfo=UTC), datetime(y + 1, 1, 1, tzinfo=UTC)
        mo = values["month"]
        if "day" not in values:
            lo = datetime(y, mo, 1, tzinfo=UTC)
            hi = datetime(y + (mo == 12), mo % 12 + 1, 1, tzinfo=UTC)
            return lo, hi
        day = datetime(y, mo, values["day"], tzinfo=UTC)
        if "hour" not in values:
            return day, day + timedelta(days=1)
        lo = day + timedelta(hours=values["hour"])
        return lo, lo + timedelta(hours=1)
    except (ValueError, OverflowError):
        return None


def partial_window(parts: list[str]) -> tuple[datetime, datetime] | None:
    """Return the time span a (partial) date folder path covers, or None if it names no date.

    Only the date folders of a recognised ``AWSLogs`` layout count: the plain layout
    (``.../us-east-1/2024/06/08/05``) and the Hive layout (``.../year=2024/month=06/day=08/
    hour=05``), at any depth.  A folder of the user's named like a date is not a date.

    >>> lo, hi = partial_window("AWSLogs/1/vpcflowlogs/us-east-1/2024/06".split("/"))
    >>> lo.isoformat(), hi.isoformat()
    ('2024-06-01T00:00:00+00:00', '2024-07-01T00:00:00+00:00')
    >>> partial_window("cases/eu-west-1/2019/06".split("/")) is None
    True
    """
    levels = _date_levels(parts)
    if not levels:
        return None
    names = ("year", "month", "day", "hour")
    values: dict[str, int] = {}
    for name, level in zip(names, levels, strict=False):
        text = level.split("=", 1)[1] if level.startswith(f"{name}=") else level
        if not text.isdigit() or len(text) != (4 if name == "year" else 2):
            break
        values[name] = int(text)
    return _window_of(values) if "year" in values else None


def key_window(path: str) -> tuple[datetime, datetime] | None:
    """Return the span of record end times a file can hold, from its name or folders.

    Only inside a recognised ``AWSLogs`` layout (see :func:`partial_window`): an AWS file name
    copied elsewhere says nothing a pruning may trust.
    """
    folders = path.replace("\\", "/").split("/")[:-1]
    if _date_levels(folders) is None:
        return None
    info = parse_key(path)
    if info.file_time is not None:
        return info.file_time, info.file_time + FILE_WINDOW
    return partial_window(folders)


def partition_window(path: str) -> tuple[datetime, datetime] | None:
    """Return the span of record end times a converted file can hold, from its folders.

    None when the path has no ``date=`` folder (or the null partition).  Callers check that the
    folder is a :func:`flowkit.convert` output (it holds :data:`MANIFEST`).

    Examples
    --------
    >>> lo, hi = partition_window("out/date=2024-06-08/hour=05/part-1.parquet")
    >>> lo.isoformat(), hi.isoformat()
    ('2024-06-08T05:00:00+00:00', '2024-06-08T06:00:00+00:00')
    >>> partition_window("out/date=2024-06-08/part-1.parquet")[1].isoformat()
    '2024-06-09T00:00:00+00:00'
    """
    parts = dict(p.split("=", 1) for p in path.replace("\\", "/").split("/") if "=" in p)
    try:
        day = datetime.strptime(parts.get("date", ""), "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None
    hour = parts.get("hour", "")
    if not hour.isdigit():
        return day, day + timedelta(days=1)
    lo = day + timedelta(hours=int(hour))
    return lo, lo + timedelta(hours=1)


def overlaps(
    window: tuple[datetime, datetime] | None,
    start: datetime | None,
    end: datetime | None,
    margin: timedelta = MARGIN,
) -> bool:
    """Tell whether a key's window, widened by ``margin``, meets the query window.

    Unknown windows (None) always overlap: a file whose name says nothing is read.
    """
    if window is None:
        return True
    lo, hi = window
    if start is not None and hi + margin <= start:
        return False
    return not (end is not None and lo - margin >= end)


def other_service(parts: list[str]) -> str | None:
    """The AWS service (CloudTrail, ELB, ...) whose logs a folder path leads to, if not flow logs.

    ``AWSLogs/<account>/<service>/`` (plain) and ``aws-service=<service>`` (Hive, below
    ``AWSLogs``) folders of any service but ``vpcflowlogs`` hold no flow logs (see
    :func:`aws_folders` for what counts as AWS's layout).

    >>> other_service("logs/AWSLogs/123456789010/CloudTrail".split("/"))
    'CloudTrail'
    >>> other_service("AWSLogs/o-abc/123456789010/vpcflowlogs".split("/"))
    >>> other_service("AWSLogs/aws-account-id=1/aws-service=elasticloadbalancing".split("/"))
    'elasticloadbalancing'
    >>> other_service("logs/service=web".split("/"))
    """
    scope = aws_folders(parts)
    return scope[1] if len(scope) >= 2 and scope[1] != "vpcflowlogs" else None
