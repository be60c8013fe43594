"""Evaluate ``fk.hunt`` on labelled estates: recall per attack kind, false positives per host-day.

    python benchmarks/eval_detections.py                      # the sample + ../shared/real-dev
    python benchmarks/eval_detections.py PATH [PATH ...]      # any estates with ground_truth.json
    python benchmarks/eval_detections.py --draw 11 23         # + drawn estates (generated once)
    python benchmarks/eval_detections.py --json out.json ...  # also write every number as JSON

An *estate* is a folder with ``ground_truth.json`` and flow logs (``AWSLogs/`` or the folder
itself).  Two truth schemas are read:

* real-traffic estates (``../shared/real-dev/*``): ``enis`` (monitored host -> ENI) and
  ``attacks`` (plus ``ambiguous_attacks``), each with ``kind``, ``actors``, ``targets``,
  ``first_seen``/``last_seen`` (epoch seconds) and ``expected_findings``;
* generated estates (``data/sample``, ``flowkit sample DIR --draw-incidents``): ``incidents``
  with ``kind``, ``actor``, ``targets``, ``first``/``last`` (ISO UTC) and ``category``; a
  security incident expects the finding of its kind's name.

How a finding matches a labelled attack (one rule for every estate):

1. **name**: the finding's name is one the attack expects: its ``expected_findings``, plus the
   names :data:`KIND_FINDINGS` gives for its kind (a repeated probe is found by
   ``repeated_probe`` or ``rejected_burst``, a C2 channel by ``beaconing`` or ``fast_c2``);
2. **actor**: the finding's actor is one of the attack's actors (the scanner, the guesser, the
   infected host for C2: a finding that names the victim as actor does not count);
3. **target**: the finding's target is one of the attack's targets, or ``many`` with at least
   one of the attack's targets in ``evidence["targets"]`` (or no target list in the evidence);
4. **time**: the finding's span overlaps the attack's span widened by :data:`SLACK_S`
   (flow-log capture windows and the detections' own windows blur times by minutes).

An attack is *found* when a finding matches it.  Recall per kind counts attacks that expect at
least one finding (a single probe expects none and is not scored).  A finding that matches an
attack is *true*; one that is about a labelled attack (same actor, target and time as rules 2-4)
under another name is *related* (the ``rejected_burst`` of a scan); any other finding is *false*.

**Host-days** (the denominator of false positives): the monitored hosts of the estate (the
``enis`` of a real estate; the distinct ``interface_id`` values of a generated one, every
ENI being a host) times the time the records span (first ``start`` to last ``end``), in days.
Real captures shorter than a day give fractional host-days, so one false positive on a 45-minute
capture is about 32 per host-day: the rate is printed with the count and the host-days.

Each estate is hunted with its own threat list (``threat_list.csv``/``.txt`` in or beside it;
the sample's for a generated estate of the canonical incidents).  Prints, per estate and in
total: recall per attack kind with the attacks missed and the findings
that found the others; medium/high false positives, their count per host-day, high ones apart;
and every false finding.  No threshold of any detection is read from these estates.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

import flowkit as fk
from flowkit.detect import FINDINGS

ROOT = Path(__file__).resolve().parents[1]
#: Seconds by which an attack's span is widened on either side for matching.
SLACK_S = 900
#: Finding names that count for each attack kind, in addition to its ``expected_findings``.
KIND_FINDINGS: dict[str, tuple[str, ...]] = {
    "vertical_scan": ("port_scan",),
    "port_scan_of_subnet": ("port_scan", "port_sweep"),
    "host_discovery_sweep": ("port_sweep",),
    "repeated_probe": ("repeated_probe", "rejected_burst"),
    "ssh_bruteforce": ("ssh_brute_force", "brute_force"),
    "login_bruteforce": ("ssh_brute_force", "rdp_brute_force", "brute_force"),
    "c2_njrat": ("beaconing", "fast_c2"),
    "c2_fast": ("beaconing", "fast_c2"),
    "c2_rat_upload": ("beaconing", "fast_c2", "exfiltration"),
    "c2": ("beaconing", "fast_c2"),
    "ssh_brute_force": ("brute_force",),
    "rdp_brute_force": ("brute_force",),
}
SEVERE = ("medium", "high")


def real_dev_candidates() -> list[Path]:
    """Where ``../shared/real-dev`` may be (beside the project, or beside its worktree)."""
    return [ROOT.parent / "shared" / "real-dev", ROOT.parent.parent / "shared" / "real-dev"]


@dataclass
class Attack:
    """One labelled attack, whatever the truth schema."""

    id: str
    kind: str
    actors: list[str]
    targets: list[str]
    first: int
    last: int
    expects: tuple[str, ...]
    scored: bool = True
    found_by: list[int] = field(default_factory=list)


def _epoch(value: Any) -> int:
    if isinstance(value, int | float):
        return int(value)
    return int(pd.Timestamp(value).timestamp())


def load_attacks(truth: dict[str, Any]) -> list[Attack]:
    """Every labelled attack of a truth file, in one shape (see the module docstring)."""
    out = []
    if "attacks" in truth:
        for a in [*truth["attacks"], *truth.get("ambiguous_attacks", [])]:
            names = tuple(dict.fromkeys([*a.get("expected_findings", []),
                                         *KIND_FINDINGS.get(a["kind"], ())]))  # fmt: skip
            scored = bool(a.get("expected_findings")) or a["kind"] == "repeated_probe"
            scored &= not a.get("ambiguous", False)
            out.append(Attack(a["id"], a["kind"], list(a["actors"]), list(a["targets"]),
                              _epoch(a["first_seen"]), _epoch(a["last_seen"]), names,
                              scored))  # fmt: skip
    for i in truth.get("incidents", []):
        if not i.get("actor"):
            continue
        security = i["kind"] in FINDINGS
        names = (i["kind"], *KIND_FINDINGS.get(i["kind"], ())) if security else ()
        out.append(Attack(i["id"], i["kind"], [i["actor"]], list(i["targets"]),
                          _epoch(i["first"]), _epoch(i["last"]), names, security))  # fmt: skip
    return out


def _about(f: dict[str, Any], a: Attack) -> bool:
    """Rules 2-4: same actor, target and time."""
    if f["actor"] not in a.actors:
        return False
    if f["target"] == "many":
        listed = (f["evidence"] or {}).get("targets")
        if listed and not set(listed) & set(a.targets):
            return False
    elif f["target"] not in a.targets:
        return False
    return f["first"] <= a.last + SLACK_S and f["last"] >= a.first - SLACK_S


@dataclass
class Result:
    """Scores of one estate."""

    name: str
    real: bool
    records: int
    hosts: int
    days: float
    seconds: float
    attacks: list[Attack]
    findings: list[dict[str, Any]]

    @property
    def host_days(self) -> float:
        return self.hosts * self.days

    def false(self, severities: Iterable[str] = SEVERE) -> list[dict[str, Any]]:
        return [f for f in self.findings if f["verdict"] == "false" and f["severity"] in
                tuple(severities)]  # fmt: skip


def score(name: str, df: pd.DataFrame, found: pd.DataFrame, truth: dict[str, Any],
          seconds: float) -> Result:  # fmt: skip
    """Match findings to attacks and count host-days (rules in the module docstring)."""
    attacks = load_attacks(truth)
    findings = []
    for k, row in enumerate(found.itertuples(index=False)):
        f = {"finding": row.finding, "severity": str(row.severity), "actor": row.actor,
             "target": row.target, "dstport": None if pd.isna(row.dstport) else int(row.dstport),
             "first": int(row.first_seen.timestamp()), "last": int(row.last_seen.timestamp()),
             "summary": row.summary, "evidence": row.evidence}  # fmt: skip
        about = [a for a in attacks if _about(f, a)]
        true = [a for a in about if f["finding"] in a.expects]
        for a in true:
            a.found_by.append(k)
        f["verdict"] = "true" if true else "related" if about else "false"
        f["attacks"] = [a.id for a in (true or about)][:5]
        findings.append(f)
    if "enis" in truth:
        hosts = len(truth["enis"])
    else:
        hosts = int(df["interface_id"].nunique()) if "interface_id" in df.columns else 1
    t0 = pd.Timestamp(df["start"].min()).timestamp()
    t1 = pd.Timestamp(df["end"].max()).timestamp()
    days = (t1 - t0) / 86400
    return Result(name, "attacks" in truth, len(df), hosts, days, seconds, attacks, findings)


def _estate_files(path: Path) -> Path:
    return path / "AWSLogs" if (path / "AWSLogs").is_dir() else path


def _threat_list(path: Path, truth: dict[str, Any]) -> Path | None:
    """The estate's own threat list; for an estate of the sample generator without one (the
    canonical incidents), the sample's list, which holds its indicators."""
    for candidate in (path / "threat_list.csv", path / "threat_list.txt",
                      path.parent / "threat_list.txt"):  # fmt: skip
        if candidate.is_file():
            return candidate
    if "generator" in truth and "drawn" not in truth:
        return ROOT / "data" / "threat_list.txt"
    return None


def evaluate(path: Path, name: str | None = None) -> Result:
    """Read one estate, hunt, and score."""
    truth = json.loads((path / "ground_truth.json").read_text())
    df = fk.read(_estate_files(path), progress=False)
    t = time.process_time()
    found = fk.hunt(df, threat_list=_threat_list(path, truth))
    return score(name or path.name, df, found, truth, time.process_time() - t)


def _line(f: dict[str, Any]) -> str:
    port = "" if f["dstport"] is None else f":{f['dstport']}"
    when = pd.Timestamp(f["first"], unit="s", tz="UTC").strftime("%m-%d %H:%M")
    return (f"{f['severity']:<6} {f['finding']:<17} {f['actor']} -> {f['target']}{port} "
            f"{when}  {f['summary'][:110]}")  # fmt: skip


def recall_table(results: list[Result]) -> pd.DataFrame:
    rows = [{"kind": a.kind, "found": bool(a.found_by)}
            for r in results for a in r.attacks if a.scored]  # fmt: skip
    if not rows:
        return pd.DataFrame(columns=["labelled", "found", "recall"])
    t = pd.DataFrame(rows).groupby("kind")["found"].agg(labelled="size", found="sum")
    t["recall"] = (t["found"] / t["labelled"]).round(3)
    return t


def report(r: Result, *, verbose: bool) -> list[str]:
    out = [f"== {r.name}: {r.records:,} records, {r.hosts} host(s) x {r.days:.2f} days = "
           f"{r.host_days:.2f} host-days; hunt {r.seconds:.1f} s CPU"]  # fmt: skip
    table = recall_table([r])
    if len(table):
        out += ["recall per attack kind (actor matched):", *table.to_string().splitlines()]
    for a in r.attacks:
        if not a.scored:
            continue
        if a.found_by:
            names = sorted({r.findings[k]["finding"] for k in a.found_by})
            out.append(f"  found  {a.kind:<20} {a.id}  by {', '.join(names)}")
            if verbose:
                out += [f"           {_line(r.findings[k])}" for k in a.found_by[:3]]
        else:
            out.append(f"  MISSED {a.kind:<20} {a.id}  (expects {', '.join(a.expects)})")
    sev = r.false()
    high = r.false(("high",))
    rate = len(sev) / r.host_days if r.host_days else float("nan")
    out.append(f"false positives medium/high: {len(sev)} ({rate:.2f} per host-day), "
               f"high: {len(high)}; low: {len(r.false(('low',)))}; "
               f"related: {sum(f['verdict'] == 'related' for f in r.findings)}")  # fmt: skip
    out += [f"  FP {_line(f)}" for f in sev]
    if verbose:
        out += [f"  FP {_line(f)}" for f in r.false(("low",))]
    return out


def _fp_line(label: str, results: list[Result]) -> str:
    sev = sum(len(r.false()) for r in results)
    high = sum(len(r.false(("high",))) for r in results)
    hd = sum(r.host_days for r in results)
    rate = sev / hd if hd else float("nan")
    return (f"{label}: medium/high false positives {sev} over {hd:.2f} host-days "
            f"({rate:.2f} per host-day), high {high}")  # fmt: skip


def total(results: list[Result]) -> list[str]:
    out = ["== total", "recall per attack kind (actor matched):",
           *recall_table(results).to_string().splitlines()]  # fmt: skip
    out.append(_fp_line("all estates", results))
    for label, real in (("real-traffic estates", True), ("generated estates", False)):
        group = [r for r in results if r.real == real]
        if group:
            out.append(_fp_line(label, group))
    out += [_fp_line(f"  {r.name}", [r]) for r in results]
    return out


def drawn_estate(seed: int, cache: Path) -> Path:
    """A drawn estate (``flowkit sample DIR --seed N --days 2 --draw-incidents``), made once."""
    path = cache / f"drawn_seed{seed}"
    if not (path / "ground_truth.json").is_file():
        from flowkit.cli import main as flowkit_cli

        with contextlib.redirect_stdout(io.StringIO()):
            flowkit_cli(["sample", str(path), "--seed", str(seed), "--days", "2",
                         "--draw-incidents"])  # fmt: skip
    return path


def default_paths() -> list[Path]:
    paths = [ROOT / "data" / "sample"]
    for folder in real_dev_candidates():
        if folder.is_dir():
            paths += sorted(p for p in folder.iterdir() if (p / "ground_truth.json").is_file())
            break
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="estates (default: sample+real-dev)")
    parser.add_argument(
        "--draw",
        nargs="*",
        type=int,
        default=[],
        metavar="SEED",
        help="also evaluate drawn estates of these seeds",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path("/tmp/fk_eval"),
        help="where drawn estates are generated (kept for reuse)",
    )
    parser.add_argument("--json", type=Path, help="write every number and finding here")
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also list the findings behind each found attack and low FPs",
    )
    args = parser.parse_args(argv)
    paths = list(args.paths) or default_paths()
    paths += [drawn_estate(s, args.cache) for s in args.draw]
    results = []
    for path in paths:
        r = evaluate(path)
        results.append(r)
        print("\n".join(report(r, verbose=args.verbose)), flush=True)
    print("\n".join(total(results)))
    if args.json:
        doc = [{"estate": r.name, "real": r.real, "records": r.records, "hosts": r.hosts,
                "days": r.days, "host_days": r.host_days, "hunt_cpu_s": r.seconds,
                "attacks": [{"id": a.id, "kind": a.kind, "scored": a.scored,
                             "found": bool(a.found_by)} for a in r.attacks],
                "findings": r.findings} for r in results]  # fmt: skip
        args.json.write_text(json.dumps(doc, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
