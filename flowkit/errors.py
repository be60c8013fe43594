"""Typed errors of flowkit; each carries its failure cases."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

__all__ = [
    "AwsAccessError",
    "AwsCredentialsError",
    "AwsError",
    "AwsNotFoundError",
    "AwsRegionError",
    "FileFormatError",
    "FlowkitError",
    "FlowkitWarning",
    "MissingFieldsError",
    "NoDataError",
    "NoEvidenceError",
    "NoEvidenceWarning",
    "ParseError",
    "SourceError",
    "ThrottledError",
    "printable",
    "require_columns",
]


def printable(name: object) -> str:
    r"""A file name as a message may show it: unchanged when printable, else its ``repr`` (a
    newline or a control character in a name must not forge lines in a message or a log).

    >>> printable("a.log"), printable("x\nflowkit: all clear")
    ('a.log', "'x\\nflowkit: all clear'")
    """
    text = str(name)
    return text if text.isprintable() else repr(text)


class FlowkitError(Exception):
    """Base class of every error flowkit raises on purpose."""


class FlowkitWarning(UserWarning):
    """Base class of every warning flowkit gives on purpose (shown as a warning box in
    notebooks; ``warnings.simplefilter("error", FlowkitWarning)`` turns them into errors)."""


class NoEvidenceWarning(FlowkitWarning):
    """A load with no evidence to analyse: nothing read, no record, or mostly quarantined lines.

    Given by :func:`flowkit.read` (and :func:`flowkit.read_tgw`); the message is
    :attr:`flowkit.evidence.Evidence.message`.
    """


class NoEvidenceError(FlowkitError, ValueError):
    """Raised by :func:`flowkit.evidence.require_evidence` when a load holds no evidence.

    Attributes
    ----------
    evidence : flowkit.evidence.Evidence
        The judgement: counts, verdict, the likely format of the quarantined lines.
    """

    def __init__(self, evidence: Any) -> None:
        self.evidence = evidence
        super().__init__(evidence.message)


class MissingFieldsError(FlowkitError, ValueError):
    """Records whose format lacks fields an analysis needs (a custom format without ``start``).

    Attributes
    ----------
    missing : tuple of str
        The column names the analysis needs and the records lack.
    """

    def __init__(self, message: str, missing: tuple[str, ...]) -> None:
        self.missing = missing
        super().__init__(message)


def require_columns(df: Any, needed: Iterable[str], what: str) -> None:
    """Raise :class:`MissingFieldsError` naming the columns of ``needed`` that ``df`` lacks.

    The one check every analysis entry point makes before it reads a frame (pandas or Dask):
    a frame without a column the analysis needs is an error naming it, never an empty result.

    Examples
    --------
    >>> import pandas as pd
    >>> require_columns(pd.DataFrame({"bytes": [1]}), ["bytes"], "fk.example")
    >>> try:
    ...     require_columns(pd.DataFrame({"srcaddr": ["10.0.0.1"]}), ["srcaddr", "bytes"],
    ...                     "fk.estimate_cost")
    ... except ValueError as e:
    ...     print(type(e).__name__, e.missing)
    ...     print(e)
    MissingFieldsError ('bytes',)
    fk.estimate_cost: the frame has no column 'bytes' (needed: srcaddr, bytes)
    """
    wanted = tuple(dict.fromkeys(needed))
    have = set(df.columns)
    missing = tuple(c for c in wanted if c not in have)
    if missing:
        names = ", ".join(repr(c) for c in missing)
        plural = "s" if len(missing) > 1 else ""
        needs = ", ".join(wanted)
        raise MissingFieldsError(
            f"{what}: the frame has no column{plural} {names} (needed: {needs})", missing
        )


class FileFormatError(FlowkitError, ValueError):
    """A file flowkit reads (a policy, a hunt config, a threat list, an inventory, ip-ranges)
    is malformed: ``file``, ``line`` (1-based; 0 when the problem is not on one line) and
    ``reason`` say where and why.

    Examples
    --------
    >>> str(FileFormatError("threats.txt", 3, "'10.0.0.999' is not an address or CIDR"))
    "threats.txt:3: '10.0.0.999' is not an address or CIDR"
    """

    def __init__(self, file: str, line: int, reason: str) -> None:
        self.file, self.line, self.reason = file, line, reason
        where = f"{printable(file)}:{line}" if line else printable(file)
        super().__init__(f"{where}: {reason}")


class ParseError(FlowkitError, ValueError):
    """Bad input lines, collected over a whole load (raised by ``errors="raise"``).

    Attributes
    ----------
    failure_cases : pandas.DataFrame
        One row per bad line: ``file``, ``line`` (1-based; 0 for a problem with the whole file),
        ``raw`` (the line, cut at 500 characters) and ``reason``.
    """

    def __init__(self, failure_cases: pd.DataFrame) -> None:
        self.failure_cases = failure_cases
        n = len(failure_cases)
        shown = failure_cases.head(50)
        lines = [
            f"  {printable(r.file)}:{r.line}: {r.reason}: {str(r.raw)[:120]!r}"
            for r in shown.itertuples(index=False)
        ]
        more = f"\n  ... and {n - len(shown)} more (see .failure_cases)" if n > len(shown) else ""
        super().__init__(f"{n} bad input line(s):\n" + "\n".join(lines) + more)


class SourceError(FlowkitError, OSError):
    """A source that cannot be found or listed (a missing path, an empty glob, ...)."""


class NoDataError(SourceError):
    """A source that exists but holds nothing for the query (an empty S3 window, ...)."""


class AwsError(FlowkitError):
    """An AWS call that failed in a way retrying will not fix.

    Attributes
    ----------
    resource : str
        What was being read (``s3://bucket/prefix``, a log group, ...).
    permission : str
        The IAM action the call needs (``s3:ListBucket``, ``logs:FilterLogEvents``, ...).
    code : str
        The AWS error code (``AccessDenied``, ``NoSuchBucket``, ...) or the botocore error name.
    """

    def __init__(self, message: str, *, resource: str = "", permission: str = "", code: str = ""):
        super().__init__(message)
        self.resource = resource
        self.permission = permission
        self.code = code


class AwsCredentialsError(AwsError):
    """No AWS credentials were found, or AWS did not accept them."""


class AwsAccessError(AwsError, PermissionError):
    """AWS refused the call: the credentials lack :attr:`permission` on :attr:`resource`."""


class AwsNotFoundError(AwsError, SourceError):
    """The bucket or log group does not exist (or is in another account or Region)."""


class AwsRegionError(AwsError):
    """The bucket is in another Region than the client's: :attr:`region` names it when AWS said.

    Attributes
    ----------
    region : str
        The bucket's Region (empty when AWS did not say).
    """

    def __init__(self, message: str, *, region: str = "", **kwargs: str) -> None:
        super().__init__(message, **kwargs)
        self.region = region


class ThrottledError(AwsError):
    """AWS kept throttling a call after every retry."""
