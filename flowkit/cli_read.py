"""Reading the input of a command-line verb: the load, its evidence, the fields it needs.

The verbs of :mod:`flowkit.cli` that analyse a load (``hunt``, ``audit``, ``cost``; their
modules ``flowkit.*.command``) read it with :func:`read_for_verb` and report a load without
evidence with :func:`no_evidence`.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from flowkit.compliance.check import POLICY_NEEDS
from flowkit.compliance.log_coverage import COVERAGE_NEEDS
from flowkit.cost.classify import COST_NEEDS
from flowkit.cost.estimate import PERIOD_NEEDS
from flowkit.detect.view import VIEW_NEEDS

if TYPE_CHECKING:
    import pandas as pd

    from flowkit.errors import NoEvidenceError

__all__ = ["NEEDS", "NO_EVIDENCE", "no_evidence", "read_for_verb", "write_warnings"]

#: Exit status of a verb whose load holds no evidence (see :mod:`flowkit.evidence`).
NO_EVIDENCE = 3


#: Columns each verb's analysis reads: records of a format without them are bad input (exit 2).
#: Each verb needs what the library functions it runs need: ``hunt`` :func:`flowkit.hunt`'s
#: (:data:`flowkit.detect.view.VIEW_NEEDS`), ``audit`` :func:`flowkit.check_policy`'s and
#: :func:`flowkit.coverage`'s, ``cost`` :func:`flowkit.classify_transfer`'s and
#: the report's period (:data:`flowkit.cost.estimate.PERIOD_NEEDS`).
NEEDS = {
    "hunt": VIEW_NEEDS,
    "audit": tuple(dict.fromkeys(POLICY_NEEDS + COVERAGE_NEEDS)),
    "cost": COST_NEEDS + PERIOD_NEEDS,
}


def read_for_verb(verb: str, path: str, **kwargs: Any) -> pd.DataFrame:
    """Read flow logs for a verb, or raise when they hold no evidence to analyse.

    :func:`flowkit.read` with ``progress=False`` unless given; its warnings (quarantined
    lines, unexpected values) are written to stderr as one line each, ``flowkit VERB: warning:
    ...``, once the load is known to hold evidence.

    Raises
    ------
    flowkit.errors.NoEvidenceError
        When :func:`flowkit.evidence.require_evidence` says so; report it with
        :func:`no_evidence`.
    flowkit.errors.MissingFieldsError
        When the records' format lacks a field the verb reads (:data:`NEEDS`).
    """
    import flowkit as fk
    from flowkit.errors import MissingFieldsError, NoEvidenceWarning
    from flowkit.evidence import require_evidence

    kwargs.setdefault("progress", False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = fk.read(path, **kwargs)
    require_evidence(df)
    missing = tuple(c for c in NEEDS.get(verb, ()) if c not in df.columns)
    if missing:
        formats = "; ".join(df.attrs["flowkit"].get("formats") or {})
        raise MissingFieldsError(f"the records have no {', '.join(missing)} (their format: "
                                 f"{formats}); {verb} needs {', '.join(NEEDS[verb])}",
                                 missing)  # fmt: skip
    write_warnings(verb, [w for w in caught if not issubclass(w.category, NoEvidenceWarning)])
    return df


def write_warnings(verb: str, caught: Sequence[warnings.WarningMessage]) -> None:
    for w in caught:
        text = str(w.message).removeprefix("flowkit: ")
        sys.stderr.write(f"flowkit {verb}: warning: {text}\n")


def no_evidence(verb: str, path: str, exc: NoEvidenceError) -> int:
    """Write the one line that says why ``path`` holds no evidence; return :data:`NO_EVIDENCE`."""
    sys.stderr.write(f"flowkit {verb}: no evidence in {path}: {exc.evidence.summary}\n")
    return NO_EVIDENCE
