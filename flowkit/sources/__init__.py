"""Sources: where the bytes come from (local files, S3, CloudWatch Logs)."""

from flowkit.sources.discovery import DATA_SUFFIXES, Discovery, discover, find_files
from flowkit.sources.layout import KeyInfo, key_window, overlaps, parse_key, partial_window
from flowkit.sources.local import feed_bytes, feed_files, open_regular

__all__ = [
    "DATA_SUFFIXES",
    "Discovery",
    "KeyInfo",
    "discover",
    "feed_bytes",
    "feed_files",
    "find_files",
    "key_window",
    "open_regular",
    "overlaps",
    "parse_key",
    "partial_window",
]
