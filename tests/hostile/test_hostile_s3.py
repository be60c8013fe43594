"""S3 under hostile keys, a tampered cache, secrets in the endpoint and the wrong Region
(issue 16 item 13), against moto's server."""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_fixtures import client, counting_session, moto_endpoint  # noqa: F401 - a fixture
from hostile import HEADER, record

import flowkit as fk
from flowkit.errors import AwsError, AwsRegionError

pytestmark = pytest.mark.aws

GOOD = (HEADER + "\n" + "\n".join(record(i) for i in range(3)) + "\n").encode()


def bucket(endpoint: str, name: str, objects: dict[str, bytes]) -> None:
    s3 = client(endpoint, "s3")
    s3.create_bucket(Bucket=name)
    for key, body in objects.items():
        s3.put_object(Bucket=name, Key=key, Body=body)


def quiet_read(url: str, **options: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fk.read(url, **options)


def test_a_key_that_leaves_the_cache_is_quarantined_and_the_rest_loads(
    moto_endpoint: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    bucket(moto_endpoint, "hostile-keys", {"x/a.log": GOOD, "x/../../../evil.log": GOOD})
    cache = tmp_path / "cache"
    df = quiet_read("s3://hostile-keys/x/", endpoint_url=moto_endpoint, cache_dir=cache)
    assert len(df) == 3
    q = fk.quarantine(df)
    assert q["file"].tolist() == ["s3://hostile-keys/x/../../../evil.log"]
    assert q["reason"].iloc[0] == "object key leaves the cache folder: not fetched"
    assert not (tmp_path / "evil.log").exists()
    assert sorted(p.name for p in cache.rglob("*.log")) == ["a.log"]


def test_a_cached_object_edited_on_disk_is_fetched_again(
    moto_endpoint: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    bucket(moto_endpoint, "hostile-cache", {"x/a.log": GOOD})
    url, cache = "s3://hostile-cache/x/", tmp_path / "cache"
    first = quiet_read(url, endpoint_url=moto_endpoint, cache_dir=cache)
    cached = Path(fk.provenance(first)["objects"][0]["cache_path"])
    cached.write_bytes(GOOD.replace(b"ACCEPT", b"REJECT"))  # same size, other evidence
    session, log = counting_session()
    with pytest.warns(UserWarning, match="1 cached object"):
        second = fk.read(url, endpoint_url=moto_endpoint, cache_dir=cache, session=session)
    assert log.count("GetObject") == 1
    entry = fk.provenance(second)["objects"][0]
    assert entry["from_cache"] is False
    assert entry["cache_mismatch"].startswith("the cached copy differs from the object")
    assert entry["sha256"] == hashlib.sha256(GOOD).hexdigest()
    assert cached.read_bytes() == GOOD
    assert set(second["action"]) == {"ACCEPT"}
    session, log = counting_session()
    third = quiet_read(url, endpoint_url=moto_endpoint, cache_dir=cache, session=session)
    assert log.count("GetObject") == 0
    assert fk.provenance(third)["objects"][0]["cache_mismatch"] is None


def test_a_password_in_the_endpoint_is_never_shown(moto_endpoint: str) -> None:  # noqa: F811
    # the fixture sets fake credentials; the endpoint below is a closed port
    with pytest.raises(AwsError) as info:
        fk.read("s3://any-bucket/x/", endpoint_url="http://me:s3cr3t-pw@127.0.0.1:9/")
    assert "s3cr3t-pw" not in str(info.value)
    assert "http://***@127.0.0.1:9" in str(info.value)
    with pytest.raises(AwsError) as bad:
        fk.read("s3://any-bucket/x/", endpoint_url="ht!tp://me:s3cr3t-pw@/")
    assert "s3cr3t-pw" not in str(bad.value)


def _wrong_region(session: Any, code: str, status: int, message: str, region: str) -> None:
    from botocore.awsrequest import AWSResponse

    def handler(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        body = {"Error": {"Code": code, "Message": message, "Region": region},
                "ResponseMetadata": {"HTTPStatusCode": status,
                                     "HTTPHeaders": {"x-amz-bucket-region": region}}}  # fmt: skip
        return AWSResponse("http://127.0.0.1/", status, {}, None), body

    session.events.register("before-call.s3.ListObjectsV2", handler)


@pytest.mark.parametrize(
    ("code", "status", "message"),
    [
        ("PermanentRedirect", 301, "The bucket you are attempting to access must be addressed "
         "using the specified endpoint."),
        ("AuthorizationHeaderMalformed", 400, "The authorization header is malformed; the "
         "region 'us-east-1' is wrong; expecting 'eu-west-1'"),
    ],
)  # fmt: skip
def test_a_bucket_in_another_region_gets_a_hint(
    moto_endpoint: str,  # noqa: F811
    code: str,
    status: int,
    message: str,
) -> None:
    session = boto3.Session()
    _wrong_region(session, code, status, message, "eu-west-1")
    with pytest.raises(AwsRegionError) as info:
        fk.read("s3://far-away/x/", endpoint_url=moto_endpoint, session=session)
    assert info.value.region == "eu-west-1"
    assert "the bucket is in eu-west-1" in str(info.value)
    assert "AWS_DEFAULT_REGION=eu-west-1" in str(info.value)


def test_s3_prunes_only_aws_layouts_and_lists_what_it_did_not_read(
    moto_endpoint: str,  # noqa: F811
) -> None:
    base = "AWSLogs/123456789012/vpcflowlogs/us-east-1"
    bucket(moto_endpoint, "hostile-layout", {
        "cases/eu-west-1/2019/06/01/x.log": GOOD,
        f"{base}/2019/06/01/old.log": GOOD,
        "AWSLogs/123456789012/CloudTrail/us-east-1/t.json.gz": b"{}",
        "cases/notes.md": b"notes",
    })  # fmt: skip
    with pytest.warns(UserWarning, match=r"2 path\(s\) not read: 1 another AWS service's logs, "
                      r"1 outside the time window"):  # fmt: skip
        df = fk.read("s3://hostile-layout/", start="2023-11-14 22:00", end="2023-11-14 23:00",
                     endpoint_url=moto_endpoint)  # fmt: skip
    assert len(df) == 3
    not_read = fk.provenance(df)["not_read"]
    assert not_read["s3://hostile-layout/AWSLogs/123456789012/CloudTrail/"] == (
        "another AWS service's logs (CloudTrail)")  # fmt: skip
    assert not_read[f"s3://hostile-layout/{base}/2019/"].startswith("outside the time window")
    assert not_read["s3://hostile-layout/cases/notes.md"].startswith("not a flow-log file name")
