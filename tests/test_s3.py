"""fk.read("s3://...") against moto's server: pruning, equality with local reads, errors, cache."""

from __future__ import annotations

import gzip
import hashlib
import io
import warnings
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from aws_fixtures import (
    allow,
    client,
    counting_session,
    iam_enforced,
    iam_user,
    inject_errors,
    moto_endpoint,  # noqa: F401 - a fixture
)

import flowkit as fk
from flowkit.errors import (
    AwsAccessError,
    AwsCredentialsError,
    AwsError,
    AwsNotFoundError,
    NoDataError,
    ParseError,
    SourceError,
    ThrottledError,
)
from flowkit.parse import Collector, finish
from flowkit.sources.aws import Retry, aws_call, error_for
from flowkit.sources.s3 import feed_s3, keep_key, keep_prefix, list_objects, split_url

pytestmark = pytest.mark.aws

ACCOUNT, OTHER_ACCOUNT = "123456789012", "210987654321"
REGION, OTHER_REGION = "us-east-1", "eu-west-1"
FLOW_LOG = "fl-0a1b2c3d4e5f60718"
HEADER = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    "start end action log-status"
)
DAY0 = datetime(2024, 6, 8, tzinfo=UTC)
STEP = timedelta(minutes=15)
HIVE_FILES = range(12 * 4, 36 * 4)
BUCKET = "flowkit-estate"
WINDOW = (datetime(2024, 6, 9, 8, tzinfo=UTC), datetime(2024, 6, 9, 9, tzinfo=UTC))


def _lines(seed: int, file_time: datetime, account: str, n: int = 6) -> list[str]:
    """Records whose end falls in the file's 5-minute window, as AWS writes them."""
    rng = np.random.default_rng(seed)
    t0 = int(file_time.timestamp())
    out = []
    for _ in range(n):
        end = t0 + int(rng.integers(0, 300))
        start = end - int(rng.integers(1, 120))
        action = "ACCEPT" if rng.random() < 0.8 else "REJECT"
        out.append(
            f"2 {account} eni-{rng.integers(16**8):08x} "
            f"10.0.{rng.integers(256)}.{rng.integers(256)} 198.51.100.{rng.integers(256)} "
            f"{rng.integers(1024, 65536)} {rng.choice([22, 443, 53])} "
            f"{rng.choice([6, 17])} {rng.integers(1, 50)} {rng.integers(40, 90000)} {start} {end} "
            f"{action} OK"
        )
    return out


def _gz(lines: list[str], header: bool = True) -> bytes:
    text = "\n".join(([HEADER] if header else []) + lines) + "\n"
    return gzip.compress(text.encode(), mtime=0)


def _folder(layout: str, account: str, region: str, t: datetime) -> str:
    if layout == "hive":
        return (
            f"AWSLogs/aws-account-id={account}/aws-service=vpcflowlogs/aws-region={region}/"
            f"year={t:%Y}/month={t:%m}/day={t:%d}/hour={t:%H}/"
        )
    return f"AWSLogs/{account}/vpcflowlogs/{region}/{t:%Y/%m/%d/%H}/"


def _name(account: str, region: str, t: datetime, seed: int) -> str:
    return f"{account}_vpcflowlogs_{region}_{FLOW_LOG}_{t:%Y%m%dT%H%MZ}_{seed:08x}.log.gz"


def _estate(layout: str) -> dict[str, bytes]:
    """Files every 15 minutes, plus another account, another Region and a CloudTrail object.

    The plain layout holds two whole days (June 8 and 9); the Hive layout, to keep the tests
    fast, noon to noon over the same two days.
    """
    objects: dict[str, bytes] = {}
    for i in HIVE_FILES if layout == "hive" else range(2 * 24 * 4):
        t = DAY0 + i * STEP
        objects[_folder(layout, ACCOUNT, REGION, t) + _name(ACCOUNT, REGION, t, i)] = _gz(
            _lines(i, t, ACCOUNT)
        )
    t = datetime(2024, 6, 9, 8, 30, tzinfo=UTC)
    for j, (acc, reg) in enumerate([(OTHER_ACCOUNT, REGION), (ACCOUNT, OTHER_REGION)]):
        objects[_folder(layout, acc, reg, t) + _name(acc, reg, t, 1000 + j)] = _gz(
            _lines(1000 + j, t, acc)
        )
    objects[f"AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/2024/06/09/trail.json.gz"] = b"{}"
    return objects


@pytest.fixture(scope="module")
def estate(moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:  # noqa: F811
    """A bucket with the estate in both layouts (``plain/`` and ``hive/``), and a local copy."""
    s3 = client(moto_endpoint, "s3")
    s3.create_bucket(Bucket=BUCKET)
    local = tmp_path_factory.mktemp("estate")
    objects: dict[str, bytes] = {}
    for layout in ("plain", "hive"):
        for key, body in _estate(layout).items():
            objects[f"{layout}/{key}"] = body
    for key, body in objects.items():
        path = local / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    with ThreadPoolExecutor(8) as pool:
        list(
            pool.map(
                lambda kv: s3.put_object(Bucket=BUCKET, Key=kv[0], Body=kv[1]), objects.items()
            )
        )
    return {"endpoint": moto_endpoint, "local": local, "objects": objects}


def _expected_keys(layout: str, times: list[str], extra: bool) -> list[str]:
    keys = []
    for hhmm in times:
        t = datetime(2024, 6, 9, int(hhmm[:2]), int(hhmm[2:]), tzinfo=UTC)
        i = int((t - DAY0) / STEP)
        keys.append(
            f"{layout}/" + _folder(layout, ACCOUNT, REGION, t) + _name(ACCOUNT, REGION, t, i)
        )
    if extra:
        t = datetime(2024, 6, 9, 8, 30, tzinfo=UTC)
        for j, (acc, reg) in enumerate([(OTHER_ACCOUNT, REGION), (ACCOUNT, OTHER_REGION)]):
            keys.append(f"{layout}/" + _folder(layout, acc, reg, t) + _name(acc, reg, t, 1000 + j))
    return sorted(keys)


#: A one-hour window (08:00-09:00) needs the files named 07:40 to 09:15: records end in the
#: file's 5-minute window, start up to 10 minutes earlier, and files can be late (20 min margin).
HOUR_FILES = ["0745", "0800", "0815", "0830", "0845", "0900", "0915"]


# -- pure pieces ------------------------------------------------------------------------------


def test_split_url_bucket_and_prefix() -> None:
    assert split_url("s3://b-1/x/y/") == ("b-1", "x/y/")
    with pytest.raises(ValueError, match="no bucket"):
        split_url("s3:///x")


def test_keep_prefix_prunes_time_account_region_service() -> None:
    t0, t1 = WINDOW
    assert keep_prefix(
        "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/06/09/07/", start=t0, end=t1
    )
    assert not keep_prefix("AWSLogs/1/vpcflowlogs/us-east-1/2024/06/09/06/", start=t0, end=t1)
    assert not keep_prefix("AWSLogs/1/vpcflowlogs/us-east-1/2024/06/09/10/", start=t0, end=t1)
    assert not keep_prefix("AWSLogs/o-abc123/1/CloudTrail/")
    assert keep_prefix("AWSLogs/o-abc123/1/vpcflowlogs/", accounts=["1"])
    assert not keep_prefix(
        "AWSLogs/aws-account-id=1/aws-service=vpcflowlogs/aws-region=x/", regions="y"
    )


def test_keep_key_needs_data_suffix_and_window() -> None:
    key = _folder("plain", ACCOUNT, REGION, WINDOW[0]) + _name(ACCOUNT, REGION, WINDOW[0], 1)
    assert keep_key(key, start=WINDOW[0], end=WINDOW[1])
    assert not keep_key(key, start=WINDOW[1] + timedelta(hours=1))
    assert not keep_key(key + ".tmp")
    assert not keep_key(key, regions=[OTHER_REGION])


# -- pruning: count the GET requests ----------------------------------------------------------


@pytest.mark.parametrize("layout", ["plain", "hive"])
def test_read_one_hour_fetches_only_that_hours_objects(estate: dict[str, Any], layout: str) -> None:
    session, log = counting_session()
    df = fk.read(
        f"s3://{BUCKET}/{layout}/",
        start=WINDOW[0],
        end=WINDOW[1],
        endpoint_url=estate["endpoint"],
        session=session,
    )
    got = log.keys("GetObject", estate["endpoint"], BUCKET)
    assert got == _expected_keys(layout, HOUR_FILES, extra=True)
    assert log.count("GetObject") == len(HOUR_FILES) + 2
    # one listing per folder visited: the prefix, AWSLogs, 2 accounts, 2 vpcflowlogs folders
    # (CloudTrail is skipped), then for each of 3 account-Regions its Region, year, month and
    # day 09 (day 08 is skipped) and the hours needed (07-09 for the main one, 08 for the others)
    # (the hive estate also has a plain-layout CloudTrail account folder: one more listing)
    assert log.count("ListObjectsV2") == 6 + (4 + 3) + (4 + 1) * 2 + (layout == "hive")
    assert len(df) > 0
    assert (df["end"] >= pd.Timestamp(WINDOW[0])).all()
    assert (df["start"] < pd.Timestamp(WINDOW[1])).all()


def test_read_accounts_and_regions_scope_the_listing(estate: dict[str, Any]) -> None:
    session, log = counting_session()
    df = fk.read(
        f"s3://{BUCKET}/plain",
        start=WINDOW[0],
        end=WINDOW[1],
        accounts=[ACCOUNT],
        regions=REGION,
        endpoint_url=estate["endpoint"],
        session=session,
    )
    assert log.keys("GetObject", estate["endpoint"], BUCKET) == _expected_keys(
        "plain", HOUR_FILES, extra=False
    )
    assert set(df["account_id"].astype(str)) == {ACCOUNT}


def test_read_s3_equals_local_read(estate: dict[str, Any]) -> None:
    local = fk.read(estate["local"] / "plain", start=WINDOW[0], end=WINDOW[1])
    assert fk.quarantine(local).empty  # local folder walks skip CloudTrail's folders too
    remote = fk.read(
        f"s3://{BUCKET}/plain/", start=WINDOW[0], end=WINDOW[1], endpoint_url=estate["endpoint"]
    )
    pd.testing.assert_frame_equal(remote, local)
    prov = fk.provenance(remote)
    assert prov["totals"]["records"] == fk.provenance(local)["totals"]["records"]
    assert prov["time_filter"]["records_outside"] > 0


def test_read_whole_hive_bucket_equals_local_read(estate: dict[str, Any]) -> None:
    session, log = counting_session()
    remote = fk.read(f"s3://{BUCKET}/hive/", endpoint_url=estate["endpoint"], session=session)
    local = fk.read(estate["local"] / "hive")
    assert fk.quarantine(local).empty
    pd.testing.assert_frame_equal(remote, local)
    assert log.count("GetObject") == len(HIVE_FILES) + 2  # everything but the CloudTrail object
    assert len(remote) == (len(HIVE_FILES) + 2) * 6


def test_read_text_gzip_and_parquet_objects(moto_endpoint: str, tmp_path: Path) -> None:  # noqa: F811
    s3 = client(moto_endpoint, "s3")
    s3.create_bucket(Bucket="flowkit-mixed")
    t = WINDOW[0]
    lines = _lines(7, t, ACCOUNT)
    table = fk.parse_lines([HEADER, *lines], enrich=False)
    table.attrs = {}
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(table, preserve_index=False), buf)
    bodies = {
        "a.log": ("\n".join([HEADER, *lines]) + "\n").encode(),
        "b.log.gz": _gz(_lines(8, t, ACCOUNT)),
        "c.log.parquet": buf.getvalue(),
    }
    for key, body in bodies.items():
        s3.put_object(Bucket="flowkit-mixed", Key=f"x/{key}", Body=body)
        (tmp_path / key).write_bytes(body)
    remote = fk.read("s3://flowkit-mixed/x/", endpoint_url=moto_endpoint)
    local = fk.read(tmp_path)
    pd.testing.assert_frame_equal(remote, local)
    assert len(remote) == 18
    objects = fk.provenance(remote)["objects"]
    assert [o["url"] for o in objects] == [f"s3://flowkit-mixed/x/{k}" for k in sorted(bodies)]


# -- cache and evidence manifest ----------------------------------------------------------------


def test_cache_dir_downloads_once_and_records_sha256(
    estate: dict[str, Any], tmp_path: Path
) -> None:
    url = f"s3://{BUCKET}/plain/"
    session, log = counting_session()
    first = fk.read(
        url,
        start=WINDOW[0],
        end=WINDOW[1],
        endpoint_url=estate["endpoint"],
        session=session,
        cache_dir=tmp_path,
    )
    assert log.count("GetObject") == len(HOUR_FILES) + 2
    objects = fk.provenance(first)["objects"]
    for o in objects:
        key = str(o["url"]).removeprefix(f"s3://{BUCKET}/")
        body = estate["objects"][key]
        assert o["sha256"] == hashlib.sha256(body).hexdigest()
        assert o["size"] == len(body)
        assert o["from_cache"] is False
        assert Path(str(o["cache_path"])).read_bytes() == body
        assert o["etag"] == hashlib.md5(body).hexdigest()  # S3's ETag of a simple upload
    session2, log2 = counting_session()
    second = fk.read(
        url,
        start=WINDOW[0],
        end=WINDOW[1],
        endpoint_url=estate["endpoint"],
        session=session2,
        cache_dir=tmp_path,
    )
    assert log2.count("GetObject") == 0
    assert log2.count("ListObjectsV2") > 0
    assert all(o["from_cache"] for o in fk.provenance(second)["objects"])
    assert [o["sha256"] for o in fk.provenance(second)["objects"]] == [o["sha256"] for o in objects]
    pd.testing.assert_frame_equal(first, second)


# -- errors a user can act on -------------------------------------------------------------------


def test_missing_bucket_is_a_source_error(moto_endpoint: str) -> None:  # noqa: F811
    with pytest.raises(AwsNotFoundError, match="flowkit-no-such-bucket") as info:
        fk.read("s3://flowkit-no-such-bucket/AWSLogs/", endpoint_url=moto_endpoint)
    assert isinstance(info.value, SourceError)
    assert info.value.code == "NoSuchBucket"
    assert info.value.permission == "s3:ListBucket"


def test_empty_window_is_no_data_error(estate: dict[str, Any]) -> None:
    with pytest.raises(NoDataError, match="no flow-log objects under s3://flowkit-estate/plain/"):
        fk.read(
            f"s3://{BUCKET}/plain/",
            start="2023-01-01",
            end="2023-01-02",
            endpoint_url=estate["endpoint"],
        )
    with pytest.raises(NoDataError, match="for accounts"):
        fk.read(f"s3://{BUCKET}/plain/", accounts="999999999999", endpoint_url=estate["endpoint"])


def test_missing_credentials(estate: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(AwsCredentialsError, match=r"no usable AWS credentials.*AWS_PROFILE"):
        fk.read(f"s3://{BUCKET}/plain/", endpoint_url=estate["endpoint"])


def test_unknown_profile(estate: dict[str, Any]) -> None:
    with pytest.raises(AwsCredentialsError, match="profile"):
        fk.read(f"s3://{BUCKET}/plain/", endpoint_url=estate["endpoint"], profile="nope")


def test_wrong_keys_and_missing_permissions(estate: dict[str, Any]) -> None:
    ep = estate["endpoint"]
    nobody = iam_user(ep, "flowkit-nobody", [])
    lister = iam_user(ep, "flowkit-lister", [allow(["s3:ListBucket"])])
    hour8 = f"arn:aws:s3:::{BUCKET}/plain/AWSLogs/{ACCOUNT}/vpcflowlogs/{REGION}/2024/06/09/08/*"
    partial = iam_user(
        ep, "flowkit-partial", [allow(["s3:ListBucket"]), allow(["s3:GetObject"], hour8)]
    )
    url, kw = f"s3://{BUCKET}/plain/", {"start": WINDOW[0], "end": WINDOW[1], "endpoint_url": ep}
    with iam_enforced(ep):
        wrong = boto3.Session(aws_access_key_id="AKIAFLOWKITWRONG0000", aws_secret_access_key="x")
        with pytest.raises(AwsCredentialsError, match="InvalidAccessKeyId") as info:
            fk.read(url, session=wrong, **kw)
        assert info.value.resource == url
        with pytest.raises(AwsAccessError, match="s3:ListBucket on s3://flowkit-estate/plain/"):
            fk.read(url, session=boto3.Session(**nobody), **kw)
        with pytest.raises(AwsAccessError) as denied:
            fk.read(url, session=boto3.Session(**lister), **kw)
        assert denied.value.permission == "s3:GetObject"
        assert isinstance(denied.value, PermissionError)
        with pytest.warns(UserWarning, match="quarantined"):
            df = fk.read(url, session=boto3.Session(**partial), **kw)
    # the main account's hour 08 loads; its objects of hours 07 and 09 and the other account's
    # and Region's are quarantined, each naming the missing permission
    q = fk.quarantine(df)
    assert len(q) == 5
    assert q["reason"].str.contains("AWS denied s3:GetObject on s3://").all()
    assert set(df["account_id"].astype(str)) == {ACCOUNT}
    objects = fk.provenance(df)["objects"]
    assert [o["url"] for o in objects if o["error"] is None] == [
        f"s3://{BUCKET}/{k}"
        for k in _expected_keys("plain", ["0800", "0815", "0830", "0845"], False)
    ]
    assert len(df) == 4 * 6 - fk.provenance(df)["time_filter"]["records_outside"]


def test_throttled_gets_are_retried(estate: dict[str, Any]) -> None:
    session, log = counting_session()
    seen = inject_errors(session, "s3.GetObject", "SlowDown", times=3, status=503)
    sleeps: list[float] = []
    collector = Collector()
    manifest = feed_s3(
        collector,
        f"s3://{BUCKET}/plain/",
        start=WINDOW[0],
        end=WINDOW[1],
        endpoint_url=estate["endpoint"],
        session=session,
        max_workers=1,
        retry=Retry(attempts=4, sleep=sleeps.append),
    )
    assert sleeps == [0.25, 0.5, 1.0]
    assert len(seen) == len(HOUR_FILES) + 2 + 3
    assert log.count("GetObject") == len(HOUR_FILES) + 2  # the throttled calls never went out
    assert all(o["error"] is None for o in manifest)
    assert finish(collector).shape[0] == (len(HOUR_FILES) + 2) * 6


def test_throttling_exhausted_on_one_object_is_quarantined(estate: dict[str, Any]) -> None:
    session, _ = counting_session()
    victim = _expected_keys("plain", ["0830"], extra=False)[0]
    inject_errors(session, "s3.GetObject", "SlowDown", times=99, status=503, key=victim)
    collector = Collector()
    feed_s3(
        collector,
        f"s3://{BUCKET}/plain/",
        start=WINDOW[0],
        end=WINDOW[1],
        endpoint_url=estate["endpoint"],
        session=session,
        retry=Retry(attempts=3, sleep=lambda _: None),
    )
    with pytest.warns(UserWarning, match="1 file problem"):
        df = finish(collector)
    q = fk.quarantine(df)
    assert q["file"].tolist() == [f"s3://{BUCKET}/{victim}"]
    assert "still failing after 3 attempts (SlowDown" in q["reason"].iloc[0]
    assert len(df) == (len(HOUR_FILES) + 1) * 6


def test_throttled_listing_raises_throttled_error(estate: dict[str, Any]) -> None:
    session, _ = counting_session()
    inject_errors(session, "s3.ListObjectsV2", "SlowDown", times=99, status=503)
    sleeps: list[float] = []
    with pytest.raises(ThrottledError, match="s3:ListBucket on s3://flowkit-estate/plain/") as info:
        feed_s3(
            Collector(),
            f"s3://{BUCKET}/plain/",
            endpoint_url=estate["endpoint"],
            session=session,
            retry=Retry(attempts=5, base=1.0, cap=4.0, sleep=sleeps.append),
        )
    assert sleeps == [1.0, 2.0, 4.0, 4.0]
    assert info.value.code == "SlowDown"


def test_read_retries_with_default_policy(estate: dict[str, Any]) -> None:
    session, log = counting_session()
    inject_errors(session, "s3.GetObject", "SlowDown", times=1, status=503)
    df = fk.read(
        f"s3://{BUCKET}/plain/",
        start=WINDOW[0],
        end=WINDOW[1],
        endpoint_url=estate["endpoint"],
        session=session,
    )
    assert fk.quarantine(df).empty
    assert log.count("GetObject") == len(HOUR_FILES) + 2


def test_truncated_object_is_quarantined_and_rest_loads(moto_endpoint: str) -> None:  # noqa: F811
    s3 = client(moto_endpoint, "s3")
    s3.create_bucket(Bucket="flowkit-damaged")
    good, cut = _gz(_lines(1, WINDOW[0], ACCOUNT)), _gz(_lines(2, WINDOW[0], ACCOUNT, n=400))
    s3.put_object(Bucket="flowkit-damaged", Key="a.log.gz", Body=good)
    s3.put_object(Bucket="flowkit-damaged", Key="b.log.gz", Body=cut[: len(cut) // 2])
    with pytest.warns(UserWarning, match="quarantined"):
        df = fk.read("s3://flowkit-damaged", endpoint_url=moto_endpoint)
    q = fk.quarantine(df)
    assert set(q["file"]) == {"s3://flowkit-damaged/b.log.gz"}
    assert q["reason"].str.contains("truncated|cut").any()
    counts = fk.provenance(df)["files"]
    assert counts["s3://flowkit-damaged/a.log.gz"]["records"] == 6
    assert 0 < counts["s3://flowkit-damaged/b.log.gz"]["records"] < 400
    with pytest.raises(ParseError, match=r"b\.log\.gz"):
        fk.read("s3://flowkit-damaged/", endpoint_url=moto_endpoint, errors="raise")


def test_s3_options_refused_for_local_sources(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text(HEADER + "\n")
    with pytest.raises(ValueError, match="cache_dir apply to s3:// sources only"):
        fk.read(tmp_path, cache_dir=tmp_path)


def test_progress_bar_is_shown(estate: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    fk.read(
        f"s3://{BUCKET}/plain/",
        start=WINDOW[0],
        end=WINDOW[1],
        endpoint_url=estate["endpoint"],
        progress=True,
    )
    assert "flowkit.read s3" in capsys.readouterr().err


# -- the AWS call wrapper -------------------------------------------------------------------------


def test_error_for_maps_codes_to_classes() -> None:
    kw = {"permission": "logs:FilterLogEvents", "resource": "log group 'g'"}
    assert type(error_for("AccessDeniedException", "", **kw)) is AwsAccessError
    assert type(error_for("UnrecognizedClientException", "", **kw)) is AwsCredentialsError
    assert type(error_for("ResourceNotFoundException", "", **kw)) is AwsNotFoundError
    other = error_for("ValidationException", "bad", **kw)
    assert type(other) is AwsError
    assert str(other) == "logs:FilterLogEvents on log group 'g' failed (ValidationException: bad)"


def test_aws_call_retries_network_errors_then_gives_up() -> None:
    from botocore.exceptions import EndpointConnectionError

    calls: list[int] = []

    def fail() -> None:
        calls.append(1)
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:9")

    with pytest.raises(AwsError, match="after 3 attempts") as info, warnings.catch_warnings():
        aws_call(
            fail,
            permission="s3:GetObject",
            resource="s3://b/k",
            retry=Retry(attempts=3, sleep=lambda _: None),
        )
    assert not isinstance(info.value, ThrottledError)
    assert len(calls) == 3


def test_list_objects_pages_through_large_folders(moto_endpoint: str) -> None:  # noqa: F811
    s3 = client(moto_endpoint, "s3")
    s3.create_bucket(Bucket="flowkit-many")
    for i in range(25):
        s3.put_object(Bucket="flowkit-many", Key=f"p/{i:05d}.log", Body=b"")
    session, log = counting_session()
    found = list_objects(
        session.client("s3", endpoint_url=moto_endpoint), "flowkit-many", "p", page_size=10
    )
    assert [o.key for o in found] == [f"p/{i:05d}.log" for i in range(25)]
    assert log.count("ListObjectsV2") == 3


def test_organizations_level_prefix_and_single_object(moto_endpoint: str) -> None:  # noqa: F811
    s3 = client(moto_endpoint, "s3")
    s3.create_bucket(Bucket="flowkit-org")
    t = WINDOW[0]
    keys = []
    for i, acc in enumerate([ACCOUNT, OTHER_ACCOUNT]):
        folder = f"central/AWSLogs/o-abc123def4/{acc}/vpcflowlogs/{REGION}/{t:%Y/%m/%d}/"
        keys.append(folder + _name(acc, REGION, t, i))
        s3.put_object(Bucket="flowkit-org", Key=keys[-1], Body=_gz(_lines(i, t, acc)))
    session, log = counting_session()
    df = fk.read(
        "s3://flowkit-org/central",
        accounts=OTHER_ACCOUNT,
        endpoint_url=moto_endpoint,
        session=session,
    )
    assert set(df["account_id"].astype(str)) == {OTHER_ACCOUNT}
    assert log.keys("GetObject", moto_endpoint, "flowkit-org") == [keys[1]]
    one = fk.read(f"s3://flowkit-org/{keys[0]}", endpoint_url=moto_endpoint)
    assert set(one["account_id"].astype(str)) == {ACCOUNT}
    assert [o["url"] for o in fk.provenance(one)["objects"]] == [f"s3://flowkit-org/{keys[0]}"]
