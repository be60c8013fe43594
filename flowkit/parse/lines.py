"""The rules a line of flow-log text meets, whichever path reads it (one place for each).

* A line ends at ``\\n`` (a ``\\r`` just before it is part of the line ending); it may hold
  at most :data:`MAX_LINE_BYTES` bytes, else it is quarantined and the read streams on.
* Fields are separated by runs of ASCII whitespace (space, tab, CR, VT, FF).  Any other
  control, format or separator character (Unicode categories Cc, Cf, Zs, Zl, Zp: NUL, ``\\x1c``,
  NBSP, zero-width spaces, bidirectional overrides ...) quarantines the line: such a character
  would make two readers disagree on where a field ends, or make two different values look alike.
* A line of field names is a header line (see :func:`header_verdict`); one that does not give a
  usable format makes the records after it "format unknown" until a usable header.
* Addresses (:data:`ADDRESS_COLUMNS`) must be IPv4 or IPv6 addresses or ``-``; an IPv4-mapped
  IPv6 address (``::ffff:192.0.2.1``) is read as the IPv4 address.

Pure: strings and Arrow arrays in, verdicts out.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flowkit.schema import dtype_of, looks_like_header, parse_format

__all__ = [
    "ADDRESS_COLUMNS",
    "MAX_LINE_BYTES",
    "RAW_LIMIT",
    "SUSPECT_VALUE",
    "UNKNOWN_FORMAT",
    "bad_character",
    "check_addresses",
    "cut",
    "first_line_verdict",
    "header_verdict",
    "too_long",
]

#: Longest line read, in bytes (without its line ending); longer lines are quarantined.
MAX_LINE_BYTES = 1 << 20
#: Characters of a quarantined line kept in the quarantine table.
RAW_LIMIT = 500
#: Columns that hold IP addresses.
ADDRESS_COLUMNS = ("srcaddr", "dstaddr", "pkt_srcaddr", "pkt_dstaddr")
#: RE2 pattern of a value the fast path hands to the careful path (a superset of what
#: :func:`bad_character` refuses, plus the separators a value may hold there).
SUSPECT_VALUE = r"^$|[\p{Cc}\p{Cf}\p{Z}]"

_ASCII_BAD = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_REFUSED_CATEGORIES = {"Cc", "Cf", "Zs", "Zl", "Zp"}
_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
_IPV4 = r"^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$"  # noqa: E501


def cut(raw: bytes | str) -> str:
    """The text of a quarantined line as kept: decoded leniently, at most :data:`RAW_LIMIT`.

    >>> cut(b"x" * 600) == "x" * 500
    True
    """
    text = raw[: RAW_LIMIT * 4].decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    return text[:RAW_LIMIT]


def too_long(n_bytes: int) -> str:
    """The quarantine reason of a line longer than the limit.

    >>> too_long(2_000_000)
    'line of 2,000,000 bytes is longer than the 1 MiB limit'
    """
    return f"line of {n_bytes:,} bytes is longer than the 1 MiB limit"


#: The quarantine reason of a record after a header line that gives no usable format (that
#: header line is quarantined just before, with its line number and why).
UNKNOWN_FORMAT = "format unknown: the last header line before it gives no usable format"


def bad_character(text: str) -> str | None:
    """The reason a decoded line is refused for one of its characters, or None.

    Tabs, CR, VT and FF separate fields like spaces; every other control, format or separator
    character is refused.

    >>> bad_character("2 eni-1\\u00a0x") is None
    False
    >>> bad_character("2\\teni-1 x") is None
    True
    """
    m = _ASCII_BAD.search(text)
    if m is not None:
        ch = m.group()
    elif text.isascii():
        return None
    else:
        found = next(
            (c for c in text if not c.isascii() and unicodedata.category(c) in _REFUSED_CATEGORIES),
            None,
        )
        if found is None:
            return None
        ch = found
    name = unicodedata.name(ch, "control character")
    return f"character U+{ord(ch):04X} ({name}) in the line: not flow-log text"


def _could_be_record(tokens: list[str], fields: tuple[str, ...]) -> bool:
    """Whether name-shaped tokens could be a record of a format (all of its fields are text)."""
    if len(tokens) != len(fields):
        return False
    return all(dtype_of(f.replace("-", "_")) in ("category", "string") for f in fields)


def header_verdict(
    tokens: list[str], fields: tuple[str, ...], *, first_line: bool
) -> tuple[str, tuple[str, ...] | str] | None:
    """Tell whether the tokens of a line are a header line, and whether it is usable.

    A line of field names that :func:`~flowkit.schema.looks_like_header` takes for a header is
    one: ``("header", fields)`` if it is usable, ``("bad", reason)`` if a field repeats.  On a
    file's first line (S3 files start with a header), a line of as many names as the format in
    force has fields is a header line, so one with too few known names is ``("bad", reason)``
    too, unless it could be a record of that format (a format of IDs only); a line of prose
    (``type to``) stays a line to quarantine.  Otherwise None: not a header.

    >>> header_verdict("version srcaddr".split(), (), first_line=False)
    ('header', ('version', 'srcaddr'))
    >>> header_verdict("version srcaddr srcaddr".split(), (), first_line=False)
    ('bad', 'field repeated in log format: srcaddr')
    >>> header_verdict("foo-1 foo-2".split(), ("version", "srcaddr"), first_line=True)
    ('bad', 'too few of its names are known flow-log fields')
    >>> header_verdict("bogus line".split(), ("version", "srcaddr"), first_line=False) is None
    True
    """
    if not tokens or not all(_NAME.match(t) for t in tokens):
        return None
    if looks_like_header(tokens):
        try:
            return "header", parse_format(tokens)
        except ValueError as exc:
            return "bad", str(exc)
    if first_line and len(tokens) == len(fields) and not _could_be_record(tokens, fields):
        return "bad", "too few of its names are known flow-log fields"
    return None


@lru_cache(maxsize=256)
def first_line_verdict(
    line: bytes, fields: tuple[str, ...]
) -> tuple[str, tuple[str, ...] | str] | None:
    """:func:`header_verdict` of a file's first line (files of one flow
    log share their header line, so it is worked out once)."""
    try:
        text = line.removesuffix(b"\r").decode("utf-8")
    except UnicodeDecodeError:
        return None
    if bad_character(text) is not None:
        return None
    return header_verdict(text.split(), fields, first_line=True)


@lru_cache(maxsize=1 << 16)
def _ipv6(value: str) -> str | None:
    """The address a non-IPv4 value reads as (IPv4 for a mapped address), None if invalid."""
    if ":" not in value or "%" in value:
        return None
    try:
        address = ipaddress.IPv6Address(value)
    except ValueError:
        return None
    mapped = address.ipv4_mapped
    return value if mapped is None else str(mapped)


def check_addresses(values: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Check address strings; return the values to keep and which are valid.

    Nulls are valid; IPv4-mapped IPv6 addresses become their IPv4 address.

    >>> import pyarrow as pa
    >>> kept, ok = check_addresses(pa.array(["192.0.2.1", "::ffff:192.0.2.9", "2001:db8::1",
    ...                                      "999.1.1.1", None]))
    >>> kept.to_pylist()[:3], ok.tolist()
    (['192.0.2.1', '192.0.2.9', '2001:db8::1'], [True, True, True, False, True])
    """
    is_v4 = pc.fill_null(pc.match_substring_regex(values, _IPV4), True)
    ok = is_v4.to_numpy(zero_copy_only=False).copy()
    others = np.flatnonzero(~ok)
    if not len(others):
        return values, ok
    texts = values.take(pa.array(others)).to_pylist()
    read = [_ipv6(t) for t in texts]
    ok[others] = [r is not None for r in read]
    changed = [
        (int(i), r) for i, t, r in zip(others, texts, read, strict=True) if r not in (None, t)
    ]
    if changed:
        pylist = values.to_pylist()
        for i, r in changed:
            pylist[i] = r
        values = pa.array(pylist, values.type)
    return values, ok
