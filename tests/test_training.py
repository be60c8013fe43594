"""The training checker accepts right answers and rejects wrong ones, on any estate."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from flowkit.training import EXERCISES, HINTS, answers, check_answer, load_truth
from flowkit.widgets import AnswerBox

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_TRUTH = ROOT / "data" / "sample" / "ground_truth.json"
IDS = [e.id for e in EXERCISES]


def _inc(truth: dict[str, Any], kind: str) -> dict[str, Any]:
    found: dict[str, Any] = next(i for i in truth["incidents"] if i["kind"] == kind)
    return found


def _shift(ts: str, minutes: float) -> str:
    return (pd.Timestamp(ts) + pd.Timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S")


def right_answers(truth: dict[str, Any]) -> dict[str, list[str]]:
    """Right answers in the forms a trainee may type, derived from the truth (not hard-coded)."""
    scan, brute = _inc(truth, "port_scan"), _inc(truth, "ssh_brute_force")
    beacon, exfil = _inc(truth, "beaconing"), _inc(truth, "exfiltration")
    gap = _inc(truth, "logging_gap")
    success = brute["evidence"]["success_at"]
    period = float(beacon["evidence"]["period_s"])
    gb = float(exfil["evidence"]["bytes_out"]) / 1e9
    scanned_eni = scan["enis"][scan["eni_names"].index(scan["target_names"][0])]
    costs_id = next(
        i["id"] for i in truth["incidents"] if i["kind"] == answers(truth)["cost_driver"]
    )
    return {
        "scanned_host": [
            scan["targets"][0],
            " ".join(scan["targets"][0]),
            scan["target_names"][0].upper(),
            scanned_eni,
        ],
        "scanner": [scan["actor"], f"  {scan['actor']} "],
        "brute_port": [str(brute["ports"][0]), f"TCP {brute['ports'][0]}"],
        "brute_success": [
            f"yes {_shift(success, 3)}",
            f"Yes, {_shift(success, -4)} UTC",
            f"yes {pd.Timestamp(success).strftime('%H:%M')}",
        ],
        "compromised_host": [beacon["actor"], beacon["actor_name"], beacon["actor_name"].upper()],
        "beacon_destination": [beacon["targets"][0], f"{beacon['targets'][0]}:443"],
        "beacon_interval": [f"{period:g}", f"{period * 1.05:.0f} s", f"{period / 60:g} minutes"],
        "exfil_start": [_shift(exfil["first"], 0), _shift(exfil["first"], 2) + "Z"],
        "exfil_volume": [f"{gb:.1f}", f"{gb * 1.1:.2f} GB", f"{gb * 1000:.0f} MB"],
        "logging_gap": [gap["enis"][0], gap["eni_names"][0].upper(), gap["targets"][0]],
        "cost_driver": [
            answers(truth)["cost_driver"],
            answers(truth)["cost_driver"].upper(),
            costs_id,
        ],
    }


def wrong_answers(truth: dict[str, Any]) -> dict[str, list[str]]:
    """Plausible wrong answers: other incidents' hosts, times and sizes outside the tolerance."""
    scan, brute = _inc(truth, "port_scan"), _inc(truth, "ssh_brute_force")
    beacon, exfil = _inc(truth, "beaconing"), _inc(truth, "exfiltration")
    success = brute["evidence"]["success_at"]
    period = float(beacon["evidence"]["period_s"])
    gb = float(exfil["evidence"]["bytes_out"]) / 1e9
    costs = {i["kind"] for i in truth["incidents"] if i["category"] == "cost"}
    return {
        "scanned_host": [scan["actor"], "10.0.0.254", ""],
        "scanner": [scan["targets"][0], brute["actor"]],
        "brute_port": [str(brute["ports"][0] + 1), str(brute["ports"][0] * 10), "none"],
        "brute_success": ["no", "yes", f"yes {_shift(success, 120)}", f"no {_shift(success, 0)}"],
        "compromised_host": [brute["target_names"][0], beacon["targets"][0]],
        "beacon_destination": [exfil["targets"][0], beacon["actor"]],
        "beacon_interval": [f"{period * 2:g}", f"{period / 2:g}", "often"],
        "exfil_start": [_shift(exfil["first"], 30), _shift(exfil["first"], -1440), "at night"],
        "exfil_volume": [f"{gb * 2:.1f}", f"{gb / 10:.2f}", "lots"],
        "logging_gap": [scan["enis"][0], "web-1", "nat-a"],
        "cost_driver": [
            *sorted(costs - {answers(truth)["cost_driver"]}),
            *(
                i["id"]
                for i in truth["incidents"]
                if i["kind"] in costs - {answers(truth)["cost_driver"]}
            ),
            "internet egress",
        ],
    }


@pytest.fixture(scope="module")
def sample_truth() -> dict[str, Any]:
    return load_truth(SAMPLE_TRUTH)


def _assert_checker(truth: dict[str, Any]) -> None:
    right, wrong = right_answers(truth), wrong_answers(truth)
    assert set(right) == set(wrong) == set(IDS)
    assert set(answers(truth)) == set(IDS)
    for ex in IDS:
        canonical = answers(truth)[ex]
        verdict = check_answer(ex, canonical, truth)
        assert verdict.correct, (ex, canonical, verdict)
        for answer in right[ex]:
            assert check_answer(ex, answer, truth).correct, (ex, answer)
        for answer in wrong[ex]:
            verdict = check_answer(ex, answer, truth)
            assert not verdict.correct, (ex, answer)
            assert verdict.explanation, ex


@pytest.mark.parametrize("exercise", IDS)
def test_sample_right_and_wrong(sample_truth: dict[str, Any], exercise: str) -> None:
    right, wrong = right_answers(sample_truth), wrong_answers(sample_truth)
    assert right[exercise]
    assert wrong[exercise]
    for answer in right[exercise]:
        assert check_answer(exercise, answer, sample_truth).correct, answer
    for answer in wrong[exercise]:
        assert not check_answer(exercise, answer, sample_truth).correct, answer


def test_sample_known_answers(sample_truth: dict[str, Any]) -> None:
    """The committed sample's story (data/README.md), spelled out once."""
    got = answers(sample_truth)
    assert got["scanned_host"] == "10.0.0.20"
    assert got["scanner"] == "185.142.236.35"
    assert got["brute_port"] == "22"
    assert got["brute_success"] == "yes 2026-11-02 23:25:00 UTC"
    assert check_answer("compromised_host", "app-2", sample_truth).correct
    assert got["beacon_interval"] == "300"
    assert got["exfil_start"] == "2026-11-03 03:05:33 UTC"
    assert got["exfil_volume"] == "2.84"
    assert check_answer("logging_gap", "web-2", sample_truth).correct
    assert got["cost_driver"] == "cross_az_chatter"


def test_explanation_gives_the_right_answer(sample_truth: dict[str, Any]) -> None:
    verdict = check_answer("exfil_volume", "100", sample_truth)
    assert not verdict.correct
    assert "2.84 GB" in verdict.explanation  # for trainers
    verdict = check_answer("scanned_host", "10.0.0.20", sample_truth)
    assert verdict.correct
    assert "bastion-1" in verdict.explanation
    assert verdict.message == verdict.explanation


@pytest.mark.parametrize("exercise", IDS)
def test_a_wrong_answer_earns_a_hint_never_the_answer(
    sample_truth: dict[str, Any], exercise: str
) -> None:
    truth_words = _answer_words(sample_truth)
    for answer in wrong_answers(sample_truth)[exercise]:
        verdict = check_answer(exercise, answer, sample_truth)
        assert not verdict.correct
        assert verdict.message == verdict.hint == HINTS[exercise]
        leaked = [w for w in truth_words if w in verdict.message]
        assert leaked == [], (exercise, leaked)


def _answer_words(truth: dict[str, Any]) -> list[str]:
    """Every form of every right answer of an estate (addresses, names, ports, times...)."""
    words = {a for forms in right_answers(truth).values() for a in forms}
    words |= set(answers(truth).values())
    for inc in truth["incidents"]:
        words |= {str(inc.get("actor")), *map(str, inc.get("targets", []))}
        words |= {*map(str, inc.get("target_names", [])), *map(str, inc.get("eni_names", []))}
    ignore = {"", "None", "no", "22", "443"}  # too short or common to be a giveaway as text
    return sorted(w.strip() for w in words if w.strip() not in ignore and len(w.strip()) > 2)


def _examples() -> list[str]:
    """Every example and starting value a trainee is shown: answer forms, hints, the examples
    in notebook 90's text, its text literals and the numbers its code cells assign."""
    import ast
    import json
    import re

    shown = [e.answer_form for e in EXERCISES] + list(HINTS.values())
    quoted = [q for text in shown for q in re.findall(r"'([^']+)'|\"([^\"]+)\"", text)]
    found = [a or b for a, b in quoted]
    nb = json.loads((ROOT / "notebooks" / "90_analyst_training.ipynb").read_text("utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            found += re.findall(r"e\.g\. `([^`]+)`", "".join(cell["source"]))
            continue
        source = "\n".join(line for line in "".join(cell["source"]).splitlines()
                           if not line.lstrip().startswith("%"))  # fmt: skip
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.append(node.value)  # every text: placeholders, column names...
            if isinstance(node, ast.Assign) and all(
                isinstance(t, ast.Name | ast.Tuple) for t in node.targets
            ):  # starting values: NAME = 443, (A, B) = "x", 0
                values = [n for n in ast.walk(node.value) if isinstance(n, ast.Constant)]
                found += [str(v.value) for v in values if isinstance(v.value, int | float)]
    return sorted(set(found))


def test_no_example_or_starting_value_is_a_right_answer(sample_truth: dict[str, Any]) -> None:
    examples = _examples()
    assert "203.0.113.1" in examples  # the notebook's placeholders are read
    right = [(ex, e) for e in examples for ex in IDS if check_answer(ex, e, sample_truth).correct]
    assert right == []


def test_answers_follow_the_truth_not_the_sample(sample_truth: dict[str, Any]) -> None:
    """Move every incident: yesterday's right answers become wrong, the new ones right."""
    old = answers(sample_truth)
    moved = copy.deepcopy(sample_truth)
    _inc(moved, "port_scan").update(actor="198.51.100.9", targets=["10.0.0.30"],
                                    target_names=["vpn-1"], eni_names=["vpn-1"])  # fmt: skip
    _inc(moved, "ssh_brute_force")["ports"] = [3389]
    _inc(moved, "ssh_brute_force")["evidence"]["success_at"] = "2026-11-02T20:00:00Z"
    _inc(moved, "beaconing").update(actor="10.0.10.11", actor_name="web-1", targets=["1.2.3.4"])
    _inc(moved, "beaconing")["evidence"]["period_s"] = 60.0
    _inc(moved, "exfiltration").update(first="2026-11-03T05:00:00Z", evidence={"bytes_out": 9e9})
    _inc(moved, "logging_gap").update(
        enis=["eni-0ffff"], eni_names=["app-1"], targets=["10.0.11.12"]
    )
    for inc in moved["incidents"]:
        if inc["kind"] == "s3_through_nat":
            inc["evidence"]["gigabytes"] = 1000.0
    new = answers(moved)
    for ex in IDS:
        assert new[ex] != old[ex], ex
        assert not check_answer(ex, old[ex], moved).correct, ex
        assert check_answer(ex, new[ex], moved).correct, ex
    _assert_checker(moved)


def test_no_successful_login_means_no(sample_truth: dict[str, Any]) -> None:
    truth = copy.deepcopy(sample_truth)
    del _inc(truth, "ssh_brute_force")["evidence"]["success_at"]
    assert check_answer("brute_success", "No", truth).correct
    assert not check_answer("brute_success", "yes 2026-11-02 23:25", truth).correct
    assert answers(truth)["brute_success"] == "no"


def test_unknown_exercise_and_missing_incident(sample_truth: dict[str, Any]) -> None:
    with pytest.raises(KeyError, match="unknown exercise"):
        check_answer("who_did_it", "x", sample_truth)
    with pytest.raises(KeyError, match="port_scan"):
        check_answer("scanner", "x", {"incidents": []})
    assert answers({"incidents": []}) == {}


def test_answer_box_checks_and_shows_verdict(sample_truth: dict[str, Any]) -> None:
    box = AnswerBox("beacon_interval", sample_truth)
    assert "check" in box.verdict_html.value
    box.value = "60"
    assert not box.check().correct
    assert "Not quite" in box.verdict_html.value
    assert "300" not in box.verdict_html.value
    assert "median" in box.verdict_html.value  # the hint
    box.value = "295 s"
    box.button.click()
    assert "Correct" in box.verdict_html.value
    with pytest.raises(KeyError):
        AnswerBox("nope", sample_truth)


@pytest.mark.slow
def test_fresh_estate_with_another_seed(tmp_path: Path) -> None:
    from flowkit.synth import generate

    generate(tmp_path / "estate", seed=11, days=2)
    truth = load_truth(tmp_path / "estate" / "ground_truth.json")
    assert truth["generator"]["seed"] == 11
    _assert_checker(truth)
    # the checker uses this estate's numbers: its exfiltration volume, not the sample's
    gb = float(_inc(truth, "exfiltration")["evidence"]["bytes_out"]) / 1e9
    assert f"{gb:.2f} GB" in check_answer("exfil_volume", "0", truth).explanation
