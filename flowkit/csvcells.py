"""CSV cells a spreadsheet will not run: text starting with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return is a formula to Excel, LibreOffice and Google Sheets (CSV injection).

Every CSV flowkit writes passes its text cells through :func:`neutralise_cell` (a leading
apostrophe, which spreadsheets show as "text", not as part of the value); flowkit's own readers
undo it with :func:`restore_cell`, so a value reads back unchanged.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["FORMULA_PREFIXES", "neutralise_cell", "neutralise_frame", "restore_cell"]

#: First characters that make a spreadsheet treat a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(text: str) -> str:
    """Prefix an apostrophe to text a spreadsheet would run (and to text that starts with one).

    >>> neutralise_cell('=HYPERLINK("http://x")'), neutralise_cell("ok"), neutralise_cell("'a")
    ('\\'=HYPERLINK("http://x")', 'ok', "''a")
    """
    return "'" + text if text.startswith((*FORMULA_PREFIXES, "'")) else text


def restore_cell(text: str) -> str:
    """Undo :func:`neutralise_cell`.

    >>> restore_cell("'=1+1"), restore_cell("''a"), restore_cell("plain")
    ('=1+1', "'a", 'plain')
    """
    return text[1:] if text.startswith("'") else text


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy whose text cells (string, object and category columns) are neutralised.

    >>> neutralise_frame(pd.DataFrame({"a": ["=1", "x"], "n": [-1, 2]})).to_dict("list")
    {'a': ["'=1", 'x'], 'n': [-1, 2]}
    """
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype(object)
        elif not (pd.api.types.is_string_dtype(s.dtype) or s.dtype == object):
            continue
        out[col] = s.map(lambda v: neutralise_cell(v) if isinstance(v, str) else v)
    return out
