"""Fetching one listed S3 object, through a local cache that is checked before it is trusted.

A cached copy lives at ``cache_dir/<bucket>/<key>`` with a hidden ``.<name>.flowkit.json``
beside it (the ETag, size and sha256 it was fetched with).  It is used only when it is the
listed object: the listed size, and the sha256 recorded for the listed ETag (or, without that
record, the MD5 a simple upload's ETag is).  A key that would leave the cache folder (``../``)
is not fetched at all.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flowkit.errors import AwsError, FlowkitError
from flowkit.sources.aws import Retry, aws_call

__all__ = ["Fetched", "S3Object", "cache_path", "fetch"]


@dataclass(frozen=True)
class S3Object:
    """One listed object: where it is and what the listing said about it."""

    bucket: str
    key: str
    size: int
    etag: str = ""
    last_modified: str = ""

    @property
    def url(self) -> str:
        """The object's ``s3://bucket/key`` address."""
        return f"s3://{self.bucket}/{self.key}"


@dataclass
class Fetched:
    data: bytes | None
    sha256: str = ""
    from_cache: bool = False
    error: AwsError | None = None
    problem: str | None = None  # not an AWS failure: the object is quarantined, not fetched
    cache_path: Path | None = None
    cache_mismatch: str | None = None


_MD5 = re.compile(r"^[0-9a-f]{32}$")
_LEAVES_CACHE = "object key leaves the cache folder: not fetched"


def cache_path(cache_dir: Path, obj: S3Object) -> Path:
    path = (cache_dir / obj.bucket / obj.key).resolve()
    if not path.is_relative_to(cache_dir.resolve()):
        raise FlowkitError(f"{_LEAVES_CACHE}: {obj.url!r}")
    return path


def _sidecar(path: Path) -> Path:
    """Where the identity of a cached object is kept (a hidden file beside it)."""
    return path.with_name(f".{path.name}.flowkit.json")


def _cached(path: Path, obj: S3Object) -> tuple[bytes | None, str, str | None]:
    """The cached copy and its sha256 if it is the listed object; else None, "" and why (None
    if not cached).

    The copy must have the listed size and the sha256 recorded when it was fetched for the
    listed ETag (or, without that record, the MD5 a simple upload's ETag is).
    """
    if not path.is_file():
        return None, "", None
    size = path.stat().st_size
    if size != obj.size:
        return None, "", f"the cached copy differs from the object: {size} bytes, listed {obj.size}"
    data = path.read_bytes()
    try:
        meta = json.loads(_sidecar(path).read_text("utf-8"))
    except (OSError, ValueError):
        meta = {}
    digest = hashlib.sha256(data).hexdigest()
    if isinstance(meta, dict) and meta.get("etag") == obj.etag and "sha256" in meta:
        if digest == meta["sha256"]:
            return data, digest, None
        return None, "", "the cached copy differs from the object: its sha256 changed since fetched"
    if _MD5.match(obj.etag):
        if hashlib.md5(data, usedforsecurity=False).hexdigest() == obj.etag:
            return data, digest, None
        return None, "", "the cached copy differs from the object: its MD5 is not the ETag"
    return None, "", "the cached copy cannot be checked against the object's ETag: fetched again"


def _keep(path: Path, obj: S3Object, data: bytes, sha256: str) -> None:
    """Write an object and its identity into the cache (each by an atomic rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    meta = {"etag": obj.etag, "size": obj.size, "last_modified": obj.last_modified,
            "sha256": sha256}  # fmt: skip
    tmp.write_text(json.dumps(meta), encoding="utf-8")
    os.replace(tmp, _sidecar(path))


def fetch(client: Any, obj: S3Object, cache_dir: Path | None, retry: Retry) -> Fetched:
    """Get one object's bytes (from the cache when it holds this very object)."""
    path = None
    mismatch = None
    if cache_dir is not None:
        try:
            path = cache_path(cache_dir, obj)
        except FlowkitError:
            return Fetched(None, problem=_LEAVES_CACHE)
        data, digest, mismatch = _cached(path, obj)
        if data is not None:
            return Fetched(data, digest, True, cache_path=path)

    def get() -> bytes:
        body: bytes = client.get_object(Bucket=obj.bucket, Key=obj.key)["Body"].read()
        return body

    try:
        data = aws_call(get, permission="s3:GetObject", resource=obj.url, retry=retry)
    except AwsError as exc:
        return Fetched(None, error=exc, cache_path=path, cache_mismatch=mismatch)
    sha256 = hashlib.sha256(data).hexdigest()
    if path is not None:
        _keep(path, obj, data, sha256)
    return Fetched(data, sha256, cache_path=path, cache_mismatch=mismatch)
