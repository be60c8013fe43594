"""Analyst training: exercises on a synthetic estate, answers checked against its ground truth.

The answers come from the estate's own ``ground_truth.json`` (written by
:func:`flowkit.synth.generate`), so a trainer who generates a fresh estate with another seed gets
new answers that cannot be memorised.  Pure logic: no widgets, no files except
:func:`load_truth`.

Examples
--------
>>> truth = {"incidents": [{"id": "INC-01", "kind": "port_scan", "actor": "198.51.100.7",
...     "actor_name": None, "targets": ["10.0.0.20"], "target_names": ["bastion-1"],
...     "enis": ["eni-0a"], "eni_names": ["bastion-1"]}]}
>>> check_answer("scanned_host", " Bastion-1 ", truth).correct
True
>>> check_answer("scanned_host", "10.0.0.21", truth).correct
False
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from flowkit.exercises import EXERCISES, HINTS, Exercise, worked_findings
from flowkit.times import utc
from flowkit.units import BYTES_PER_GB, BYTES_PER_GIB

__all__ = [
    "EXERCISES",
    "HINTS",
    "Exercise",
    "Verdict",
    "answers",
    "check_answer",
    "load_truth",
    "worked_findings",
]

Truth = dict[str, Any]
Incident = dict[str, Any]

#: Rough list prices (USD per GiB, AWS's metered GB of 2^30 bytes) used to rank cost drivers:
#: NAT processing, and cross-AZ transfer, charged once in each direction.
NAT_PER_GIB = 0.045
CROSS_AZ_PER_GIB = 0.02


@dataclass(frozen=True)
class Verdict:
    """The result of checking one answer.

    Attributes
    ----------
    correct : bool
        Whether the answer matches the ground truth (within the exercise's tolerance).
    explanation : str
        The right answer and why: for a trainee who answered right, and for trainers.
    hint : str
        What to look at, never the answer: what a trainee who answered wrong is shown.
    """

    correct: bool
    explanation: str
    hint: str = ""

    @property
    def message(self) -> str:
        """What the trainee sees: the explanation when right, the hint when wrong."""
        return self.explanation if self.correct else self.hint


def load_truth(path: str | Path) -> Truth:
    """Read a ``ground_truth.json`` written by :func:`flowkit.synth.generate`.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "ground_truth.json"
    >>> _ = p.write_text(json.dumps({"incidents": []}))
    >>> load_truth(p)
    {'incidents': []}
    """
    truth: Truth = json.loads(Path(path).read_text(encoding="utf-8"))
    return truth


def _incident(truth: Truth, kind: str) -> Incident:
    for inc in truth.get("incidents", []):
        if inc.get("kind") == kind:
            found: Incident = inc
            return found
    raise KeyError(f"ground truth has no {kind!r} incident")


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", str(text)).lower()


def _host_aliases(inc: Incident, address: str, name: str | None) -> set[str]:
    """An address, its inventory name and the ENI ids that carry that name."""
    aliases = {_norm(address)}
    if name:
        aliases.add(_norm(name))
        pairs = zip(inc.get("enis", []), inc.get("eni_names", []), strict=False)
        aliases |= {_norm(eni) for eni, n in pairs if n == name}
    return aliases


def _label(address: str, name: str | None) -> str:
    return f"{address} ({name})" if name else address


def _number(answer: str) -> float | None:
    match = re.search(r"-?\d+(?:[.,]\d+)?", answer)
    return None if match is None else float(match.group().replace(",", "."))


def _time(answer: str, reference: pd.Timestamp) -> pd.Timestamp | None:
    """A UTC time from a full timestamp, or from ``HH:MM`` on the reference's day."""
    text = answer.strip().upper().replace("UTC", "").strip()
    if not text:
        return None
    if re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", text):
        text = f"{reference.strftime('%Y-%m-%d')} {text}"
    try:
        return utc(text)
    except ValueError:  # not a time: the answer is wrong, not the checker
        return None


def _fmt(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%d %H:%M:%S UTC")


def _scanned_host(answer: str, truth: Truth) -> Verdict:
    inc = _incident(truth, "port_scan")
    addr, name = inc["targets"][0], inc["target_names"][0]
    ok = _norm(answer) in _host_aliases(inc, addr, name)
    ports = len(inc.get("ports", []))
    why = (
        f"{_label(addr, name)}: {inc['actor']} tried {ports} ports on it within minutes "
        f"from {inc.get('first', '?')} (many distinct ports, one source, mostly REJECT)."
    )
    return Verdict(ok, why)


def _scanner(answer: str, truth: Truth) -> Verdict:
    inc = _incident(truth, "port_scan")
    ok = _norm(answer) == _norm(inc["actor"])
    why = f"{inc['actor']}: the one source that touched {len(inc.get('ports', []))} ports."
    return Verdict(ok, why)


def _brute_port(answer: str, truth: Truth) -> Verdict:
    inc = _incident(truth, "ssh_brute_force")
    port = int(inc["ports"][0])
    number = _number(answer)
    ok = number is not None and int(number) == port
    why = (
        f"Port {port}: {inc['actor']} opened {inc.get('evidence', {}).get('attempts', 'many')} "
        f"short connections to {inc['target_names'][0]} on it."
    )
    return Verdict(ok, why)


def _brute_success(answer: str, truth: Truth, tolerance_min: float = 10.0) -> Verdict:
    inc = _incident(truth, "ssh_brute_force")
    success = inc.get("evidence", {}).get("success_at")
    words = answer.strip().lower()
    said_yes = words.startswith(("yes", "y ", "y,", "true"))
    said_no = words.startswith(("no", "false")) or words == "n"
    if success is None:
        return Verdict(said_no, "No: every attempt stayed short; none turned into a session.")
    at = utc(success)
    rest = re.sub(r"^(yes|y|true)[\s,:;-]*", "", words)
    when = _time(rest, at)
    ok = said_yes and when is not None and abs(when - at) <= pd.Timedelta(minutes=tolerance_min)
    why = (
        f"Yes, at about {_fmt(at)} (within {tolerance_min:g} minutes): after the short guesses, "
        f"one connection from {inc['actor']} stayed open and carried far more data, a login "
        f"that worked."
    )
    pivot = inc.get("evidence", {}).get("pivot_to")
    if pivot:
        why += f" From there it opened SSH to {pivot}."
    return Verdict(ok, why)


def _compromised_host(answer: str, truth: Truth) -> Verdict:
    inc = _incident(truth, "beaconing")
    addr, name = inc["actor"], inc.get("actor_name")
    ok = _norm(answer) in _host_aliases(inc, addr, name)
    why = (
        f"{_label(addr, name)}: the brute-forced bastion opened SSH to it, and from then on it "
        f"called {inc['targets'][0]} on a fixed rhythm."
    )
    return Verdict(ok, why)


def _beacon_destination(answer: str, truth: Truth) -> Verdict:
    inc = _incident(truth, "beaconing")
    dest = inc["targets"][0]
    ok = _norm(answer) == _norm(dest) or _norm(answer) == _norm(f"{dest}:{inc['ports'][0]}")
    why = f"{dest} on port {inc['ports'][0]}: no other host talks to it, at regular intervals."
    return Verdict(ok, why)


def _beacon_interval(answer: str, truth: Truth, tolerance: float = 0.1) -> Verdict:
    inc = _incident(truth, "beaconing")
    period = float(inc["evidence"]["period_s"])
    number = _number(answer)
    if number is not None and re.search(r"\bmin", answer.lower()):
        number *= 60
    ok = number is not None and abs(number - period) <= tolerance * period
    why = (
        f"About {period:g} s (within {tolerance:.0%}): the median gap between its connections "
        f"to {inc['targets'][0]}; the jitter is about {inc['evidence'].get('jitter', 0):.0%}."
    )
    return Verdict(ok, why)


def _exfil_start(answer: str, truth: Truth, tolerance_min: float = 5.0) -> Verdict:
    inc = _incident(truth, "exfiltration")
    at = utc(inc["first"])
    when = _time(answer, at)
    ok = when is not None and abs(when - at) <= pd.Timedelta(minutes=tolerance_min)
    why = (
        f"{_fmt(at)} (within {tolerance_min:g} minutes): the first of the large uploads from "
        f"{_label(inc['actor'], inc.get('actor_name'))} to {inc['targets'][0]}."
    )
    return Verdict(ok, why)


def _exfil_volume(answer: str, truth: Truth, tolerance: float = 0.15) -> Verdict:
    inc = _incident(truth, "exfiltration")
    gb = float(inc["evidence"]["bytes_out"]) / 1e9
    number = _number(answer)
    if number is not None and re.search(r"\bmb\b", answer.lower()):
        number /= 1000
    ok = number is not None and abs(number - gb) <= tolerance * gb
    why = (
        f"About {gb:.2f} GB (within {tolerance:.0%}): the bytes sent from "
        f"{inc.get('actor_name') or inc['actor']} to {inc['targets'][0]}; replies were tiny."
    )
    return Verdict(ok, why)


def _logging_gap(answer: str, truth: Truth) -> Verdict:
    inc = _incident(truth, "logging_gap")
    name = inc["eni_names"][0]
    aliases = {_norm(inc["enis"][0]), _norm(name), *(_norm(t) for t in inc.get("targets", []))}
    ok = _norm(answer) in aliases
    why = (
        f"{inc['enis'][0]} ({name}): no record at all, not even NODATA, from {inc['first']} "
        f"to {inc['last']}, while its peers kept logging traffic to it."
    )
    return Verdict(ok, why)


#: Other names a trainee may use for a cost incident: the cost dimension in
#: :func:`flowkit.estimate_cost` and the fix in :func:`flowkit.recommend_savings`.
_COST_ALIASES: dict[str, tuple[str, ...]] = {
    "cross_az_chatter": ("crossaz", "interaz", "crossaztransfer", "sameazplacement"),
    "s3_through_nat": ("s3nat", "natgateway", "nat", "gatewayendpoint", "s3vianat"),
}


def _cost_estimate(inc: Incident) -> float:
    """USD of a cost incident: its ``gigabytes`` (GB of 10^9 bytes) billed per GiB."""
    gib = float(inc.get("evidence", {}).get("gigabytes", 0.0)) * BYTES_PER_GB / BYTES_PER_GIB
    nat = inc["kind"] == "s3_through_nat"
    return gib * (NAT_PER_GIB + CROSS_AZ_PER_GIB / 2 if nat else CROSS_AZ_PER_GIB)


def _cost_driver(answer: str, truth: Truth) -> Verdict:
    costs = [i for i in truth.get("incidents", []) if i.get("category") == "cost"]
    if not costs:
        raise KeyError("ground truth has no cost incident")
    best = max(costs, key=_cost_estimate)
    given = re.sub(r"[\s_\-]+", "", answer.lower())
    names = {best["kind"].replace("_", ""), best["id"].replace("-", "").lower()}
    names |= set(_COST_ALIASES.get(best["kind"], ()))
    ok = given in names
    listing = "; ".join(
        f"{i['kind']} {i['evidence'].get('gigabytes', 0):g} GB ~ ${_cost_estimate(i):.2f}"
        for i in sorted(costs, key=_cost_estimate, reverse=True)
    )
    why = f"{best['kind']} ({best['id']}): the largest estimated charge ({listing})."
    return Verdict(ok, why)


_CHECKERS: dict[str, Callable[[str, Truth], Verdict]] = {
    "scanned_host": _scanned_host,
    "scanner": _scanner,
    "brute_port": _brute_port,
    "brute_success": _brute_success,
    "compromised_host": _compromised_host,
    "beacon_destination": _beacon_destination,
    "beacon_interval": _beacon_interval,
    "exfil_start": _exfil_start,
    "exfil_volume": _exfil_volume,
    "logging_gap": _logging_gap,
    "cost_driver": _cost_driver,
}


def check_answer(exercise_id: str, answer: str, truth: Truth) -> Verdict:
    """Check a trainee's answer to one exercise against the estate's ground truth.

    Parameters
    ----------
    exercise_id : str
        One of the ids in :data:`EXERCISES`.
    answer : str
        What the trainee typed.  Addresses may carry spaces, names are case-insensitive, hosts
        may be given by address, name or ENI id, numbers may carry units.
    truth : dict
        The parsed ``ground_truth.json`` (:func:`load_truth`).

    Returns
    -------
    Verdict
        ``correct``, an ``explanation`` with the right answer and why (for a right answer and
        for trainers), and a ``hint`` of what to look at (for a wrong answer: never the answer).

    Raises
    ------
    KeyError
        For an unknown exercise id, or a ground truth without the incident it asks about.

    Examples
    --------
    >>> truth = {"incidents": [{"id": "INC-04", "kind": "beaconing", "actor": "10.0.11.21",
    ...     "actor_name": "app-2", "targets": ["80.66.88.207"], "ports": [443],
    ...     "evidence": {"period_s": 300.0, "jitter": 0.15}}]}
    >>> check_answer("beacon_interval", "5 min", truth).correct
    True
    >>> v = check_answer("beacon_interval", "60", truth)
    >>> v.correct, v.explanation.startswith("About 300 s"), "300" in v.message
    (False, True, False)
    """
    if exercise_id not in _CHECKERS:
        raise KeyError(f"unknown exercise {exercise_id!r}; known: {sorted(_CHECKERS)}")
    verdict = _CHECKERS[exercise_id](str(answer), truth)
    return Verdict(verdict.correct, verdict.explanation, HINTS[exercise_id])


def answers(truth: Truth) -> dict[str, str]:
    """The canonical right answer to every exercise, for trainers and tests.

    Examples
    --------
    >>> truth = {"incidents": [{"id": "INC-01", "kind": "port_scan", "actor": "198.51.100.7",
    ...     "targets": ["10.0.0.20"], "target_names": ["bastion-1"]}]}
    >>> answers(truth)["scanner"]
    '198.51.100.7'
    """
    out: dict[str, str] = {}
    for ex in EXERCISES:
        try:
            out[ex.id] = _canonical(ex.id, truth)
        except KeyError:
            continue
    return out


def _canonical(exercise_id: str, truth: Truth) -> str:
    if exercise_id in {"scanned_host", "scanner"}:
        inc = _incident(truth, "port_scan")
        return str(inc["targets"][0] if exercise_id == "scanned_host" else inc["actor"])
    if exercise_id in {"brute_port", "brute_success"}:
        inc = _incident(truth, "ssh_brute_force")
        if exercise_id == "brute_port":
            return str(inc["ports"][0])
        success = inc.get("evidence", {}).get("success_at")
        return "no" if success is None else f"yes {_fmt(utc(success))}"
    if exercise_id in {"compromised_host", "beacon_destination", "beacon_interval"}:
        inc = _incident(truth, "beaconing")
        return str(
            {
                "compromised_host": inc["actor"],
                "beacon_destination": inc["targets"][0],
                "beacon_interval": f"{float(inc['evidence']['period_s']):g}",
            }[exercise_id]
        )
    if exercise_id in {"exfil_start", "exfil_volume"}:
        inc = _incident(truth, "exfiltration")
        if exercise_id == "exfil_start":
            return _fmt(utc(inc["first"]))
        return f"{float(inc['evidence']['bytes_out']) / 1e9:.2f}"
    if exercise_id == "logging_gap":
        return str(_incident(truth, "logging_gap")["enis"][0])
    costs = [i for i in truth.get("incidents", []) if i.get("category") == "cost"]
    if not costs:
        raise KeyError("ground truth has no cost incident")
    return str(max(costs, key=_cost_estimate)["kind"])
