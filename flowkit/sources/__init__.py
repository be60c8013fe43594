"""Sources: where the bytes come from (local files today; S3 and CloudWatch Logs later)."""

from flowkit.sources.layout import KeyInfo, key_window, overlaps, parse_key, partial_window
from flowkit.sources.local import DATA_SUFFIXES, discover, feed_bytes, feed_files

__all__ = [
    "DATA_SUFFIXES",
    "KeyInfo",
    "discover",
    "feed_bytes",
    "feed_files",
    "key_window",
    "overlaps",
    "parse_key",
    "partial_window",
]
