"""``fk.hunt`` against planted incidents: the committed sample and scenarios planted here.

The scenarios use other seeds, volumes, timings and incident parameters than the sample, so
the default thresholds are not tuned to one dataset.  :func:`score` gives precision and recall
per detection (the figures of the closing note come from :func:`main`-style use of it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import flowkit as fk
from flowkit.detect import FINDINGS

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
THREAT_LIST = ROOT / "data" / "threat_list.txt"
H, M = timedelta(hours=1), timedelta(minutes=1)


def security(truth: dict[str, Any]) -> list[dict[str, Any]]:
    """The planted incidents a detection exists for."""
    return [i for i in truth["incidents"] if i["kind"] in FINDINGS]


def matches(f: pd.Series, inc: dict[str, Any]) -> bool:
    """Same finding, same actor, and the target (or most of the targets when ``many``)."""
    if f["finding"] != inc["kind"] or f["actor"] != inc["actor"]:
        return False
    if f["target"] == "many":
        hit = set(f["evidence"].get("targets", [])) & set(inc["targets"])
        return len(hit) * 2 >= len(inc["targets"])
    return f["target"] == inc["targets"][0]


def related(f: pd.Series, incidents: Iterable[dict[str, Any]]) -> bool:
    """A finding of another kind about a planted incident (same actor and one of its targets)."""
    return any(
        f["actor"] == i["actor"] and (f["target"] in i["targets"] or f["target"] == "many")
        for i in incidents
    )


def score(found: pd.DataFrame, truth: dict[str, Any]) -> pd.DataFrame:
    """Precision and recall per detection.

    A finding is a true positive when it matches a planted incident of its kind, *related*
    when it is about a planted incident under another name (the rejected burst of a port
    scan), else a false positive.  Precision counts related findings as correct.
    """
    incidents = security(truth)
    rows = []
    for name in FINDINGS:
        mine = found[found["finding"] == name]
        planted = [i for i in incidents if i["kind"] == name]
        tp = sum(any(matches(f, i) for i in planted) for _, f in mine.iterrows())
        rel = sum(
            not any(matches(f, i) for i in planted) and related(f, incidents)
            for _, f in mine.iterrows()
        )
        fp = len(mine) - tp - rel
        found_planted = sum(any(matches(f, i) for _, f in mine.iterrows()) for i in planted)
        rows.append({
            "finding": name, "planted": len(planted), "found": found_planted,
            "findings": len(mine), "true": tp, "related": rel, "false": fp,
            "precision": (tp + rel) / len(mine) if len(mine) else float("nan"),
            "recall": found_planted / len(planted) if planted else float("nan"),
        })  # fmt: skip
    return pd.DataFrame(rows)


def background_high(found: pd.DataFrame, truth: dict[str, Any]) -> pd.DataFrame:
    """High findings that are about no planted incident."""
    incidents = security(truth)
    keep = [
        not (any(matches(f, i) for i in incidents) or related(f, incidents))
        for _, f in found.iterrows()
    ]
    out = found[pd.Series(keep, index=found.index, dtype=bool)]
    return out[out["severity"] == "high"]


def check(found: pd.DataFrame, truth: dict[str, Any]) -> None:
    scores = score(found, truth)
    planted = scores[scores["planted"] > 0]
    missed = planted[planted["found"] < planted["planted"]]
    assert missed.empty, f"missed incidents:\n{missed}\n{found.iloc[:, :8]}"
    noise = background_high(found, truth)
    assert noise.empty, f"high findings on background:\n{noise.iloc[:, :8]}"


@pytest.fixture(scope="module")
def sample_findings() -> tuple[pd.DataFrame, dict[str, Any]]:
    truth = json.loads((SAMPLE / "ground_truth.json").read_text())
    return fk.hunt(fk.read(SAMPLE), threat_list=THREAT_LIST), truth


def test_sample_every_planted_incident_found_and_no_high_noise(
    sample_findings: tuple[pd.DataFrame, dict[str, Any]],
) -> None:
    found, truth = sample_findings
    check(found, truth)
    scores = score(found, truth).set_index("finding")
    kinds = {i["kind"] for i in security(truth)}
    assert kinds >= {"port_scan", "port_sweep", "ssh_brute_force", "beaconing", "exfiltration",
                     "lateral_movement", "threat_intel"}  # fmt: skip
    assert (scores.loc[sorted(kinds), "recall"] == 1.0).all()


def test_sample_brute_force_success_and_evidence(
    sample_findings: tuple[pd.DataFrame, dict[str, Any]],
) -> None:
    found, truth = sample_findings
    brute = next(i for i in truth["incidents"] if i["kind"] == "ssh_brute_force")
    row = found[(found["finding"] == "ssh_brute_force") & (found["actor"] == brute["actor"])].iloc[
        0
    ]
    assert row["severity"] == "high"
    assert row["evidence"]["succeeded"] is True
    assert abs(row["flows"] - brute["evidence"]["attempts"]) <= 0.05 * brute["evidence"]["attempts"]
    exfil = next(i for i in truth["incidents"] if i["kind"] == "exfiltration")
    row = found[found["finding"] == "exfiltration"].iloc[0]
    sent = exfil["evidence"]["bytes_out"]
    assert 0.9 * sent <= row["evidence"]["bytes_out"] <= 1.1 * sent


def test_hunt_is_deterministic(sample_findings: tuple[pd.DataFrame, dict[str, Any]]) -> None:
    found, _ = sample_findings
    df = fk.read(SAMPLE)
    again = fk.hunt(df.sample(frac=1.0, random_state=3), threat_list=THREAT_LIST)
    pd.testing.assert_frame_equal(found.drop(columns="evidence"), again.drop(columns="evidence"))
    assert list(found["evidence"]) == list(again["evidence"])


def _scenario_a() -> tuple[Any, ...]:
    from flowkit.synth.compromise import Exfiltration, LateralMovement, ThreatIntel
    from flowkit.synth.incidents import Beaconing, PortScan, PortSweep, SshBruteForce

    return (
        PortScan(id="A-1", actor="45.146.164.110", target="vpn-1", at=3 * H + 10 * M,
                 duration=12 * M, ports=tuple(range(8000, 8060))),
        PortSweep(id="A-2", actor="80.94.95.15", port=22, at=5 * H,
                  targets=("alb-a", "alb-b", "bastion-1", "vpn-1", "ftp-legacy-1"), tries=1),
        SshBruteForce(id="A-3", actor="61.12.4.9", target="bastion-1", at=8 * H,
                      duration=40 * M, attempts_per_minute=4.0, pivot_to=None),
        Beaconing(id="A-4", actor="web-2", c2="193.142.146.7", port=8443, at=2 * H,
                  period=timedelta(seconds=600), jitter=0.25),
        Exfiltration(id="A-5", actor="app-1", destination="146.70.1.77", at=14 * H,
                     duration=90 * M, total_bytes=8e8, connections=2),
        LateralMovement(id="A-6", actor="web-1", at=16 * H, ports=(22, 5985), accepted=(),
                        targets=("app-1", "app-2", "app-3", "db-pg-1", "infra-1")),
        ThreatIntel(id="A-7", actor="app-3", indicator="5.42.92.10", at=11 * H, connections=2),
    )  # fmt: skip


def _scenario_b() -> tuple[Any, ...]:
    from flowkit.synth.compromise import Exfiltration, LateralMovement, ThreatIntel
    from flowkit.synth.incidents import Beaconing, PortScan, PortSweep, SshBruteForce

    return (
        PortScan(id="B-1", actor="89.97.1.2", target="bastion-1", at=30 * H, duration=2 * M,
                 ports=tuple(range(20000, 20400, 10))),
        PortSweep(id="B-2", actor="185.224.128.9", port=445, at=22 * H + 5 * M,
                  targets=("alb-a", "alb-b", "alb-c", "bastion-1", "vpn-1", "ftp-legacy-1")),
        SshBruteForce(id="B-3", actor="118.193.1.1", target="vpn-1", at=4 * H,
                      duration=10 * M, attempts_per_minute=20.0, pivot_to="app-1"),
        Beaconing(id="B-4", actor="app-3", c2="91.92.240.1", port=443, at=1 * H,
                  period=timedelta(seconds=120), jitter=0.1, until=6 * H, nat=True),
        Exfiltration(id="B-5", actor="web-3", destination="162.33.177.2", at=33 * H,
                     duration=20 * M, total_bytes=3e8, connections=1),
        LateralMovement(id="B-6", actor="app-2", at=27 * H, ports=(445, 3389),
                        targets=("web-1", "web-2", "app-1", "win-admin-1"),
                        accepted=(("win-admin-1", 3389),)),
        ThreatIntel(id="B-7", actor="web-1", indicator="179.60.150.33", at=20 * H,
                    connections=1, port=8080),
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize(
    ("seed", "days", "scale", "incidents"),
    [(11, 1.0, 2.0, _scenario_a), (23, 1.5, 0.5, _scenario_b)],
    ids=["seed11-1d-x2", "seed23-36h-x0.5"],
)
def test_planted_scenarios(tmp_path: Path, seed: int, days: float, scale: float,
                           incidents: Any) -> None:  # fmt: skip
    from flowkit.synth import SynthConfig, generate
    from flowkit.synth.estate import THREAT_LIST as LISTED

    generate(tmp_path, seed=seed, days=days, scale=scale,
             config=SynthConfig(incidents=incidents()))  # fmt: skip
    truth = json.loads((tmp_path / "ground_truth.json").read_text())
    assert len(security(truth)) == 7
    found = fk.hunt(fk.read(tmp_path), threat_list=[ind for ind, _ in LISTED])
    check(found, truth)
