"""AWS calls for the S3 and CloudWatch Logs sources: clients, retries, and errors a user can act on.

boto3 is imported on use, so flowkit works without the ``aws`` extra until an AWS source is read.
Clients use boto3's standard credential chain and do not retry on their own: :func:`aws_call`
retries throttling and transient failures with exponential backoff (its ``sleep`` can be
replaced in tests) and turns every other failure into a :mod:`flowkit.errors` class that names
the resource and the IAM permission, never a botocore traceback.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from flowkit.errors import (
    AwsAccessError,
    AwsCredentialsError,
    AwsError,
    AwsNotFoundError,
    AwsRegionError,
    ThrottledError,
)

__all__ = ["Retry", "aws_call", "aws_client", "error_for", "redact"]

T = TypeVar("T")

THROTTLING = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "SlowDown",
        "ProvisionedThroughputExceededException",
        "BandwidthLimitExceeded",
        "EC2ThrottledException",
    }
)
TRANSIENT = frozenset(
    {
        "InternalError",
        "InternalFailure",
        "ServiceUnavailable",
        "RequestTimeout",
        "RequestTimeoutException",
        "PriorRequestNotComplete",
    }
)
DENIED = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "AllAccessDisabled",
        "AccountProblem",
        "Forbidden",
        "403",
    }
)
BAD_CREDENTIALS = frozenset(
    {
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "AuthFailure",
        "InvalidToken",
        "TokenRefreshRequired",
        "InvalidSignatureException",
        "MissingAuthenticationToken",
    }
)
#: Tries for a connection that fails or breaks (throttling gets ``Retry.attempts``).
NETWORK_ATTEMPTS = 3
NOT_FOUND = frozenset({"NoSuchBucket", "ResourceNotFoundException", "NoSuchKey", "404", "NotFound"})
#: What S3 answers when a bucket is asked for in another Region than its own.
WRONG_REGION = frozenset(
    {"PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException",
     "TemporaryRedirect", "301"}
)  # fmt: skip
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s\"'?#]*@")
_EXPECTING = re.compile(r"expecting '([a-z0-9-]+)'")
_CHAIN = (
    "set AWS_PROFILE (or pass profile=), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, run "
    "`aws sso login`, or run where an instance or container role is available"
)


def redact(text: str) -> str:
    """Hide the user and password of every URL in a text (an ``endpoint_url`` may carry them).

    >>> redact('Could not connect to "https://me:secret@s3.example.com/b?x=1"')
    'Could not connect to "https://***@s3.example.com/b?x=1"'
    """
    return _USERINFO.sub(r"\1***@", text)


@dataclass(frozen=True)
class Retry:
    """How AWS calls are retried: ``attempts`` tries in all, waits doubling from ``base`` seconds.

    Examples
    --------
    >>> [Retry(base=0.5, cap=3.0).delay(i) for i in range(5)]
    [0.5, 1.0, 2.0, 3.0, 3.0]
    """

    attempts: int = 8
    base: float = 0.25
    cap: float = 20.0
    sleep: Callable[[float], None] = time.sleep

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (0-based)."""
        return float(min(self.cap, self.base * 2**attempt))


@lru_cache(maxsize=4)
def _loader(data_path: str | None) -> Any:
    """botocore's service-model loader, shared so each read does not parse the models again."""
    from botocore.loaders import create_loader

    return create_loader(data_path)


def aws_client(
    service: str,
    *,
    session: Any = None,
    profile: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
    pool: int = 10,
) -> Any:
    """Create a boto3 client with the standard credential chain and no retries of its own.

    ``session`` (a ``boto3.Session``) wins over ``profile``; ``endpoint_url`` points at an
    S3-compatible store or a local endpoint.
    """
    import boto3
    import botocore.session
    from botocore import exceptions as bx
    from botocore.config import Config

    try:
        if session is not None:
            sess = session
        else:
            core = botocore.session.get_session()
            core.register_component("data_loader", _loader(core.get_config_variable("data_path")))
            sess = boto3.Session(botocore_session=core, profile_name=profile)
        config = Config(
            retries={"total_max_attempts": 1},
            max_pool_connections=pool,
            connect_timeout=10,
            read_timeout=60,
            user_agent_extra="flowkit",
        )
        return sess.client(service, region_name=region, endpoint_url=endpoint_url, config=config)
    except ValueError as exc:  # botocore: "Invalid endpoint: <url>"
        raise AwsError(f"cannot create the {service} client: {redact(str(exc))}",
                       code="InvalidEndpoint") from None  # fmt: skip
    except bx.ProfileNotFound as exc:
        raise AwsCredentialsError(f"AWS profile not found: {exc}", code="ProfileNotFound") from None
    except bx.NoRegionError:
        raise AwsError(
            f"no AWS Region for {service}: pass region= or set AWS_DEFAULT_REGION",
            code="NoRegionError",
        ) from None
    except bx.BotoCoreError as exc:
        raise AwsError(
            f"cannot create the {service} client: {redact(str(exc))}", code=type(exc).__name__
        ) from None


def error_for(
    code: str, message: str, *, permission: str, resource: str, region: str = ""
) -> AwsError:
    """Turn an AWS error code into the flowkit error a user can act on.

    Examples
    --------
    >>> e = error_for("AccessDenied", "Access Denied", permission="s3:GetObject",
    ...               resource="s3://logs/AWSLogs/")
    >>> type(e).__name__, e.permission
    ('AwsAccessError', 's3:GetObject')
    >>> str(e).split(";")[1]
    ' grant the caller s3:GetObject on it'
    """
    said = redact(f"{code}: {message}" if message else code)
    if code in WRONG_REGION:
        region = region or next(iter(_EXPECTING.findall(message)), "")
        where = f"in {region}" if region else "in another Region"
        value = region or "<the bucket's Region>"
        return AwsRegionError(
            f"{permission} on {resource} failed: the bucket is {where}, not in the client's "
            f"Region ({said}); set AWS_DEFAULT_REGION={value} or pass "
            f"session=boto3.Session(region_name='{value}')",
            region=region,
            resource=resource,
            permission=permission,
            code=code,
        )
    if code in DENIED:
        return AwsAccessError(
            f"AWS denied {permission} on {resource} ({said}); grant the caller {permission} on it",
            resource=resource,
            permission=permission,
            code=code,
        )
    if code in BAD_CREDENTIALS:
        return AwsCredentialsError(
            f"AWS did not accept the credentials for {permission} on {resource} ({said}); {_CHAIN}",
            resource=resource,
            permission=permission,
            code=code,
        )
    if code in NOT_FOUND:
        return AwsNotFoundError(
            f"{resource} does not exist ({said}); check the name, the account and the Region",
            resource=resource,
            permission=permission,
            code=code,
        )
    return AwsError(
        f"{permission} on {resource} failed ({said})",
        resource=resource,
        permission=permission,
        code=code,
    )


def aws_call(fn: Callable[[], T], *, permission: str, resource: str, retry: Retry) -> T:
    """Call ``fn`` (one AWS request), retrying throttling and transient failures.

    Raises
    ------
    ThrottledError
        If AWS still throttles after ``retry.attempts`` attempts.
    AwsError
        Its subclasses for any other failure (see :func:`error_for`), or a network failure that
        outlasts the retries.

    Examples
    --------
    >>> aws_call(lambda: 42, permission="s3:GetObject", resource="s3://b/k", retry=Retry())
    42
    """
    from botocore import exceptions as bx

    last, throttled = "", False
    for attempt in range(max(1, retry.attempts)):
        try:
            return fn()
        except bx.ClientError as exc:
            err = exc.response.get("Error", {})
            code, message = str(err.get("Code", "")), str(err.get("Message", ""))
            meta = exc.response.get("ResponseMetadata", {})
            status = int(meta.get("HTTPStatusCode") or 0)
            if (
                code not in THROTTLING
                and code not in TRANSIENT
                and status not in (500, 502, 503, 504)
            ):
                region = str(err.get("Region") or (meta.get("HTTPHeaders") or {}).get(
                    "x-amz-bucket-region") or "")  # fmt: skip
                raise error_for(code, message, permission=permission, resource=resource,
                                region=region) from None  # fmt: skip
            last, throttled = redact(f"{code}: {message}"), code in THROTTLING or status == 503
        except (
            bx.NoCredentialsError,
            bx.PartialCredentialsError,
            bx.CredentialRetrievalError,
        ) as exc:
            raise AwsCredentialsError(
                f"no usable AWS credentials for {permission} on {resource} ({redact(str(exc))}); "
                f"{_CHAIN}",
                resource=resource,
                permission=permission,
                code=type(exc).__name__,
            ) from None
        except bx.SSLError as exc:
            raise AwsError(
                f"{permission} on {resource} failed: TLS error ({redact(str(exc))})",
                resource=resource,
                permission=permission,
                code="SSLError",
            ) from None
        except (bx.ConnectionError, bx.HTTPClientError, bx.IncompleteReadError) as exc:
            last, throttled = redact(f"{type(exc).__name__}: {exc}"), False
            if attempt + 1 >= NETWORK_ATTEMPTS:  # an endpoint that is down stays down
                break
        except bx.BotoCoreError as exc:
            raise AwsError(
                f"{permission} on {resource} failed ({type(exc).__name__}: {redact(str(exc))})",
                resource=resource,
                permission=permission,
                code=type(exc).__name__,
            ) from None
        if attempt + 1 < retry.attempts:
            retry.sleep(retry.delay(attempt))
    kind = ThrottledError if throttled else AwsError
    raise kind(
        f"{permission} on {resource} still failing after {attempt + 1} attempts ({last})",
        resource=resource,
        permission=permission,
        code=last.split(":", 1)[0],
    )
