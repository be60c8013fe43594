"""flowkit: an investigation kit for AWS VPC Flow Logs.

Rules for contributors (written where they apply):

1. One field table: :mod:`flowkit.schema`.  Nothing else lists fields.
2. One direction of dependency: schema -> parse -> sources -> enrich -> analyses -> accessor ->
   plots/widgets -> notebooks.  Only :mod:`flowkit.sources` touches files or the network;
   only :mod:`flowkit.widgets` imports ipywidgets.
3. Small pure functions ``df -> df`` with typed, explicit parameters and numpy-style docstrings
   whose examples run (doctest).  They never change their input.
4. Typed errors that carry their failure cases; no ``print``; UTC everywhere.
"""

from flowkit.errors import FlowkitError, ParseError, SourceError
from flowkit.provenance import provenance, quarantine
from flowkit.reader import parse_lines, read, read_tgw
from flowkit.schema import DEFAULT_FIELDS, DEFAULT_FORMAT, FIELDS, TGW_DEFAULT_FIELDS

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_FIELDS",
    "DEFAULT_FORMAT",
    "FIELDS",
    "TGW_DEFAULT_FIELDS",
    "FlowkitError",
    "ParseError",
    "SourceError",
    "__version__",
    "parse_lines",
    "provenance",
    "quarantine",
    "read",
    "read_tgw",
]
