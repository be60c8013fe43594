"""Typed errors of flowkit; each carries its failure cases."""

from __future__ import annotations

import pandas as pd

__all__ = ["FlowkitError", "ParseError", "SourceError"]


class FlowkitError(Exception):
    """Base class of every error flowkit raises on purpose."""


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
            f"  {r.file}:{r.line}: {r.reason}: {str(r.raw)[:120]!r}"
            for r in shown.itertuples(index=False)
        ]
        more = f"\n  ... and {n - len(shown)} more (see .failure_cases)" if n > len(shown) else ""
        super().__init__(f"{n} bad input line(s):\n" + "\n".join(lines) + more)


class SourceError(FlowkitError, OSError):
    """A source that cannot be found or listed (a missing path, an empty glob, ...)."""
