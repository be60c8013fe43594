"""Parsing: flow-log text and containers to typed frames (pure; no file or network access)."""

from flowkit.parse.blocks import PieceResult, TextPiece, parse_block
from flowkit.parse.collect import BLOCK_BYTES, Collector, RecordType
from flowkit.parse.containers import Unwrapped, is_json, unwrap_base64_lines, unwrap_json
from flowkit.parse.fast import FastResult, fast_parse
from flowkit.parse.frame import assemble, empty_frame
from flowkit.parse.inorder import workers
from flowkit.parse.lines import MAX_LINE_BYTES
from flowkit.parse.result import Errors, finish
from flowkit.parse.text import FileCounts, FormatState, ParsedPart, arrow_type, parse_careful

__all__ = [
    "BLOCK_BYTES",
    "MAX_LINE_BYTES",
    "Collector",
    "Errors",
    "FastResult",
    "FileCounts",
    "FormatState",
    "ParsedPart",
    "PieceResult",
    "RecordType",
    "TextPiece",
    "Unwrapped",
    "arrow_type",
    "assemble",
    "empty_frame",
    "fast_parse",
    "finish",
    "is_json",
    "parse_block",
    "parse_careful",
    "unwrap_base64_lines",
    "unwrap_json",
    "workers",
]
