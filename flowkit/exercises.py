"""The training exercises: each question, the form an answer takes, and the hint a wrong
answer earns (what to look at, never the answer).  Checked by :mod:`flowkit.training`.

Examples
--------
>>> [e.id for e in EXERCISES][:3]
['scanned_host', 'scanner', 'brute_port']
>>> sorted(HINTS) == sorted(e.id for e in EXERCISES)
True
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["EXERCISES", "HINTS", "Exercise"]


@dataclass(frozen=True)
class Exercise:
    """One exercise: its id, the question and the form an answer takes."""

    id: str
    question: str
    answer_form: str


EXERCISES: tuple[Exercise, ...] = (
    Exercise("scanned_host", "Which host was port-scanned from the internet?", "address or name"),
    Exercise("scanner", "Which address scanned it?", "address"),
    Exercise("brute_port", "Which port was brute-forced?", "port number"),
    Exercise(
        "brute_success",
        "Did the password guesser get in, and if so when (UTC)?",
        "'no', or 'yes' and a UTC time, e.g. 'yes 2030-01-31 12:00'",
    ),
    Exercise("compromised_host", "Which internal host was compromised?", "address or name"),
    Exercise("beacon_destination", "Where does the compromised host beacon to?", "address"),
    Exercise("beacon_interval", "At what interval does it beacon?", "seconds"),
    Exercise("exfil_start", "When did the exfiltration start (UTC)?", "UTC time"),
    Exercise("exfil_volume", "How much data left?", "gigabytes"),
    Exercise("logging_gap", "Which interface has a gap in its logs?", "ENI id, name or address"),
    Exercise(
        "cost_driver",
        "Which cost driver is biggest?",
        "the name of one of the two cost drivers in the question",
    ),
)


#: What to look at for each exercise: shown after a wrong answer, and never the answer itself
#: (a test checks that no hint, example or placeholder is accepted as an answer).
HINTS: dict[str, str] = {
    "scanned_host": "Among REJECTed records, count distinct destination ports per (source, "
    "destination): the scanned host is the destination one source tried hundreds of ports on.",
    "scanner": "A scanner is one source trying many distinct ports on one host within minutes "
    "(one port on many hosts is a sweep, another pattern).",
    "brute_port": "Count ACCEPTed records from internet sources per destination port: password "
    "guessing is hundreds of short, small connections from one address to one service.",
    "brute_success": "List the guesser's connections and sort them by duration or bytes: a "
    "login that worked is one long connection carrying far more data than the guesses. Answer "
    "'no', or 'yes' and the start of that connection (UTC, within 10 minutes).",
    "compromised_host": "Look at the bastion's outbound connections to other private addresses "
    "on admin ports after the attacker's session began, then at what that host did next.",
    "beacon_destination": "List the compromised host's internet peers (tl.peers): a beacon has "
    "many small connections spread evenly over the whole period, to a peer no other host uses.",
    "beacon_interval": "Take the median gap in seconds between the host's connections to that "
    "peer (tl.beacon_intervals); the implant adds jitter, so a median within 10 % counts.",
    "exfil_start": "Among the host's internet peers, find the one it sent far more bytes to than "
    "it received; the answer is the start (UTC) of its first record to that peer, to the "
    "minute or close to it.",
    "exfil_volume": "Sum the bytes the host sent to that peer, counting each flow once (keep "
    "the records of one interface_id), in GB of 10^9 bytes; within 15 % counts.",
    "logging_gap": "Use fk.coverage(df, window='5min') and fk.coverage_gaps(...): look for a "
    "'gap' lasting hours, not the 5-minute skipdata blips.",
    "cost_driver": "Price the classified bytes (fk.estimate_cost) and compare the nat_gateway "
    "and inter_az lines; answer with the name of the bigger driver as the question spells it.",
}


class Note(str):
    """Text that a notebook shows as it is (no quotes around it)."""

    def __repr__(self) -> str:
        return str(self)


def worked_findings(findings: pd.DataFrame, trainer: bool) -> pd.DataFrame | Note:
    """The detectors' findings for a trainer; for a trainee, a note that they are hidden.

    Examples
    --------
    >>> import pandas as pd
    >>> print(worked_findings(pd.DataFrame({"finding": ["port_scan"]}), trainer=False))
    Hidden while you train: set TRAINER = True in the parameters cell to see what the detectors find.
    >>> worked_findings(pd.DataFrame({"finding": ["port_scan"]}), trainer=True)["finding"].tolist()
    ['port_scan']
    """  # noqa: E501
    if trainer:
        return findings
    return Note(
        "Hidden while you train: set TRAINER = True in the parameters cell to see what the "
        "detectors find."
    )
