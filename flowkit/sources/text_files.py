"""Small text and JSON files flowkit reads (threat lists, inventories, ip-ranges, configs).

Every problem is a :class:`~flowkit.errors.FileFormatError` naming the file and the line: text
that is not UTF-8, JSON that does not parse, and (with :func:`item_line`) the line where the
n-th entry of a JSON list starts, so a loader can point at a bad entry.
"""

from __future__ import annotations

import gzip
import json
import os
import re
from pathlib import Path
from typing import Any

from flowkit.errors import FileFormatError, SourceError

__all__ = ["item_line", "read_json", "read_text"]

_GZIP = b"\x1f\x8b"


def _read_bytes(path: str | os.PathLike[str]) -> bytes:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise SourceError(f"no such file: {os.fspath(path)!r}") from None
    if data[:2] == _GZIP:
        try:
            return gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise FileFormatError(os.fspath(path), 0, f"corrupt gzip data: {exc}") from None
    return data


def read_text(path: str | os.PathLike[str]) -> str:
    """Read a UTF-8 text file, gzip-compressed or not (a byte-order mark is dropped).

    Raises
    ------
    FileFormatError
        If the file is not UTF-8 (with the line of the first bad byte) or not valid gzip.
    SourceError
        If the file does not exist (other ``OSError`` as raised).
    """
    data = _read_bytes(path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        reason = f"not UTF-8 text: byte 0x{data[exc.start]:02x} at offset {exc.start}"
        raise FileFormatError(os.fspath(path), line, reason) from None


def read_json(path: str | os.PathLike[str]) -> tuple[Any, str]:
    """Read a JSON file (gzip-compressed or not); return the document and its text.

    Raises
    ------
    FileFormatError
        If the file is not UTF-8 or not valid JSON (with the line of the problem).
    """
    text = read_text(path)
    try:
        return json.loads(text), text
    except json.JSONDecodeError as exc:
        raise FileFormatError(os.fspath(path), exc.lineno, f"not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise FileFormatError(os.fspath(path), 1, "not valid JSON: nested too deeply") from None


def item_line(text: str, key: str, index: int) -> int:
    """The line where entry ``index`` of the list under ``"key"`` starts (0 if not found).

    Examples
    --------
    >>> item_line('{"prefixes": [\\n  {"a": 1},\\n  {"a": 2}\\n]}', "prefixes", 1)
    3
    """
    found = re.search(rf'"{re.escape(key)}"\s*:\s*\[', text)
    if found is None:
        return 0
    decoder, pos = json.JSONDecoder(), found.end()
    for i in range(index + 1):
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if i == index:
            return text.count("\n", 0, pos) + 1
        try:
            _, pos = decoder.raw_decode(text, pos)
        except (json.JSONDecodeError, RecursionError):
            return 0
    return 0  # pragma: no cover - the loop returns
