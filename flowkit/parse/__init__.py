"""Parsing: flow-log text and containers to typed frames (pure; no file or network access)."""

from flowkit.parse.collect import Collector, RecordType
from flowkit.parse.containers import Unwrapped, is_json, unwrap_base64_lines, unwrap_json
from flowkit.parse.frame import assemble, empty_frame, epoch_seconds
from flowkit.parse.result import Errors, finish
from flowkit.parse.text import FileCounts, ParsedPart, arrow_type, parse_careful, parse_clean

__all__ = [
    "Collector",
    "Errors",
    "FileCounts",
    "ParsedPart",
    "RecordType",
    "Unwrapped",
    "arrow_type",
    "assemble",
    "empty_frame",
    "epoch_seconds",
    "finish",
    "is_json",
    "parse_careful",
    "parse_clean",
    "unwrap_base64_lines",
    "unwrap_json",
]
