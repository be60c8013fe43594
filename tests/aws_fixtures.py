"""A real local AWS endpoint for the S3 and CloudWatch Logs tests: moto's threaded server.

Import the fixtures into a test module (``from aws_fixtures import moto_endpoint``).  The server
listens on a free loopback port; fake credentials come from environment variables, and the shared
AWS config and credential files and the instance metadata service are switched off, so nothing
reads ``~/.aws`` or leaves the machine.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "AWS_EC2_METADATA_DISABLED": "true",
}
UNSET_ENV = (
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",
    "AWS_ENDPOINT_URL_EC2",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "http_proxy",
    "https_proxy",
)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """Start moto's server on 127.0.0.1 (a free port) for the whole run; yield its URL."""
    from moto.server import ThreadedMotoServer

    with pytest.MonkeyPatch.context() as mp:
        for name, value in FAKE_ENV.items():
            mp.setenv(name, value)
        for name in UNSET_ENV:
            mp.delenv(name, raising=False)
        mp.setenv("NO_PROXY", "127.0.0.1,localhost")
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        try:
            yield f"http://{host}:{port}"
        finally:
            server.stop()


def client(endpoint: str, service: str, **kwargs: Any) -> Any:
    """A plain boto3 client for setting up fixtures on the local endpoint."""
    import boto3

    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", **kwargs)


@dataclass
class RequestLog:
    """HTTP requests a boto3 session sent, by operation (counted at ``before-send``)."""

    calls: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, request: Any, event_name: str, **_: Any) -> None:
        self.calls.append((event_name.split(".")[-1], request.url))

    def count(self, operation: str) -> int:
        """How many requests of one operation (``GetObject``, ``ListObjectsV2``, ...)."""
        return sum(op == operation for op, _ in self.calls)

    def keys(self, operation: str, endpoint: str, bucket: str) -> list[str]:
        """The object keys of one operation's requests, sorted."""
        from urllib.parse import unquote

        base = f"{endpoint}/{bucket}/"
        return sorted(unquote(url[len(base) :]) for op, url in self.calls if op == operation)


def counting_session(services: tuple[str, ...] = ("s3",)) -> tuple[Any, RequestLog]:
    """A boto3 session whose clients log every request they send."""
    import boto3

    session = boto3.Session()
    log = RequestLog()
    for service in services:
        session.events.register(f"before-send.{service}", log)
    return session, log


def inject_errors(
    session: Any, event: str, code: str, times: int, status: int = 400, key: str | None = None
) -> list[int]:
    """Make the first ``times`` calls matching ``event`` (``s3.GetObject``) fail with ``code``.

    The failure goes through botocore's normal error path (a ``before-call`` handler returns the
    response), so the caller sees exactly what AWS throttling looks like.  Returns a list that
    grows by one per call seen (only calls for object ``key``, when given).
    """
    from urllib.parse import unquote

    from botocore.awsrequest import AWSResponse

    seen: list[int] = []

    def handler(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if key is not None and not unquote(str(params.get("url", ""))).endswith("/" + key):
            return None
        seen.append(1)
        if len(seen) > times:
            return None
        body = {"Error": {"Code": code, "Message": "Rate exceeded"},
                "ResponseMetadata": {"HTTPStatusCode": status}}  # fmt: skip
        return AWSResponse("http://127.0.0.1/", status, {}, None), body

    session.events.register(f"before-call.{event}", handler)
    return seen


@contextmanager
def iam_enforced(endpoint: str) -> Iterator[None]:
    """Make the server check signatures and IAM policies (moto's ``reset-auth``) for a block."""
    import urllib.request

    def post(value: bytes) -> None:
        req = urllib.request.Request(
            f"{endpoint}/moto-api/reset-auth",
            data=value,
            method="POST",
            headers={"Content-Type": "text/plain"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            resp.read()

    post(b"0")
    try:
        yield
    finally:
        post(b"inf")


def allow(actions: list[str], resource: str = "*") -> dict[str, Any]:
    """One IAM policy statement allowing ``actions`` on ``resource``."""
    return {"Effect": "Allow", "Action": actions, "Resource": resource}


def iam_user(endpoint: str, name: str, statements: list[dict[str, Any]]) -> dict[str, str]:
    """Create an IAM user with only these policy statements (none: no rights); return its keys."""
    iam = client(endpoint, "iam")
    iam.create_user(UserName=name)
    if statements:
        policy = {"Version": "2012-10-17", "Statement": statements}
        iam.put_user_policy(UserName=name, PolicyName="flowkit", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {
        "aws_access_key_id": key["AccessKeyId"],
        "aws_secret_access_key": key["SecretAccessKey"],
    }
