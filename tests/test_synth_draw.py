"""Drawn incidents (flowkit.synth.draw): another seed changes who, where, which port and when.

The stories stay coherent (roles, the compromise chain, times in order), the detections and
the policy find every drawn variant as they find the sample's, and the training checker
follows the drawn truth, so a trainee cannot reuse the sample's answers.
"""

from __future__ import annotations

import copy
import hashlib
import ipaddress
import itertools
import json
import warnings
from dataclasses import fields
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from test_detect_truth import check, matches, security
from test_training import right_answers, wrong_answers

import flowkit as fk
from flowkit.cli import main
from flowkit.enrich.aws import ip_ranges
from flowkit.synth import DEFAULT_INCIDENTS, draw_incidents, generate_drawn
from flowkit.synth.actors import addresses_of
from flowkit.synth.estate import default_estate
from flowkit.synth.profiles import OPEN_PORTS
from flowkit.training import EXERCISES, answers, check_answer, load_truth

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
SEEDS = (11, 23, 42)
EST = default_estate()
ROLE = {e.name: e.role for e in EST.enis}
PUBLIC = {e.name for e in EST.enis if e.public_ip or e.role == "alb"} - {"nat-a"}


def _digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}  # fmt: skip


def _by_id(incidents: Any) -> dict[str, Any]:
    return {i.id: i for i in incidents}


def _facets(inc: Any) -> dict[str, Any]:
    """Who, where, which port and when of one incident, from its parameters."""
    values = {f.name: getattr(inc, f.name) for f in fields(inc)}
    who = {k: v for k, v in values.items() if k in ("actor", "client", "indicator", "c2",
                                                    "destination", "probers")}  # fmt: skip
    where = {k: v for k, v in values.items() if k in ("target", "targets", "pivot_to", "eni",
                                                      "server", "actor")}  # fmt: skip
    ports = {k: v for k, v in values.items() if k in ("port", "ports", "accepted")}
    when = {k: v for k, v in values.items() if isinstance(v, timedelta) or k == "probe_at"}
    return {"who": who, "where": where, "ports": ports, "when": when}


# --- the draw itself: fast --------------------------------------------------------------------


def test_same_seed_gives_equal_incidents_and_identical_files(tmp_path: Path) -> None:
    assert draw_incidents(11, days=1) == draw_incidents(11, days=1)
    assert draw_incidents(11, days=1) != draw_incidents(12, days=1)
    for name in ("a", "b"):
        generate_drawn(tmp_path / name, seed=11, days=1, scale=0.2)
    generate_drawn(tmp_path / "c", seed=12, days=1, scale=0.2)
    a, b, c = (_digests(tmp_path / n) for n in "abc")
    assert a == b
    assert "threat_list.csv" in a
    assert any(k.startswith("AWSLogs/") for k in a)
    assert a["ground_truth.json"] != c["ground_truth.json"]
    assert a["threat_list.csv"] != c["threat_list.csv"]


@pytest.mark.parametrize("facet", ["who", "where", "ports", "when"])
def test_seeds_change_who_where_ports_and_when(facet: str) -> None:
    """Per seed, most incidents differ from the canonical ones and from the other seeds'."""
    canon = _by_id(DEFAULT_INCIDENTS)
    drawn = {s: _by_id(draw_incidents(s, days=1)) for s in SEEDS}
    # the incidents whose facet can vary (the others have one candidate in the estate)
    can_vary = {"who": ["INC-01", "INC-02", "INC-03", "INC-04", "INC-05", "INC-07", "INC-08",
                        "INC-09"],
                "where": ["INC-01", "INC-02", "INC-03", "INC-04", "INC-05", "INC-06", "INC-07",
                          "INC-10", "INC-12"],
                "ports": ["INC-01", "INC-02", "INC-04", "INC-05", "INC-06", "INC-08", "INC-09",
                          "INC-12"],
                "when": [f"INC-{i:02d}" for i in range(1, 13) if i != 12]}[facet]  # fmt: skip
    for s in SEEDS:
        new = [i for i in can_vary if _facets(drawn[s][i])[facet] != _facets(canon[i])[facet]]
        need = len(can_vary) if facet in ("who", "when") else len(can_vary) // 2 + 1
        assert len(new) >= need, (s, facet, sorted(set(can_vary) - set(new)))
    for s, t in [(11, 23), (11, 42), (23, 42)]:
        other = [i for i in can_vary
                 if _facets(drawn[s][i])[facet] != _facets(drawn[t][i])[facet]]  # fmt: skip
        assert len(other) > len(can_vary) // 2, (s, t, facet)


def test_ten_seeds_spread_over_the_choices() -> None:
    """Concretely: the values a trainee might remember take several values over ten seeds."""
    drawn = [_by_id(draw_incidents(s, days=1)) for s in range(1, 11)]

    def values(inc: str, attr: str) -> set[Any]:
        return {getattr(d[inc], attr) for d in drawn}

    assert len(values("INC-01", "target")) >= 3
    assert len(values("INC-01", "ports")) >= 4  # ports 1-1024, a block, or a spread
    assert len(values("INC-02", "port")) >= 3
    assert len(values("INC-03", "pivot_to")) == 3  # every application server
    assert len(values("INC-04", "period")) >= 4
    assert len(values("INC-04", "port")) >= 3
    assert len(values("INC-06", "ports")) >= 3
    assert len(values("INC-08", "ports")) == 3  # FTP, telnet, both
    assert len(values("INC-09", "port")) >= 4
    assert len(values("INC-10", "eni")) >= 3
    assert values("INC-03", "target") == {"bastion-1"}  # the one host open to SSH (see report)


@pytest.mark.parametrize("seed", SEEDS)
def test_drawn_actors_are_public_distinct_and_outside_aws(seed: int) -> None:
    incidents = draw_incidents(seed, days=1)
    drawn = [i for i in incidents if i.id != "INC-11"]  # the S3 bucket is AWS by design
    addrs = sorted(addresses_of(drawn))
    per_incident = [addresses_of([i]) for i in drawn]
    assert sum(len(a) for a in per_incident) == len(addrs) >= 9  # no address in two incidents
    for a in addrs:
        ip = ipaddress.IPv4Address(a)
        assert ip.is_global, a
        assert not ip.is_multicast, a
        assert not ip.is_reserved, a
    assert ip_ranges().table.labels_of(addrs).isna().all()
    assert not set(addrs) & addresses_of(DEFAULT_INCIDENTS)


@pytest.mark.parametrize(("days", "start"), [(1, 0), (1.5, 0), (1.5, 9 * 60 + 30), (2, 0),
                                             (3, 17 * 60)])  # fmt: skip
def test_targets_have_the_roles_the_stories_need(days: float, start: int) -> None:
    for seed in range(30):
        _assert_coherent(draw_incidents(seed, days=days, start_minute=start), days, start)


def _assert_coherent(incidents: Any, days: float, start: int) -> None:
    scan, sweep, brute, beacon, exfil, lateral, intel, insecure, db, gap, _, chat = incidents
    end = timedelta(days=days)
    assert scan.target in PUBLIC
    assert ROLE[scan.target] != "analytics-db"
    assert set(sweep.targets) <= PUBLIC
    assert len(sweep.targets) >= 5
    assert all(sweep.port not in OPEN_PORTS.get(ROLE[t], ()) for t in sweep.targets)
    assert 22 in OPEN_PORTS[ROLE[brute.target]]
    assert brute.target in PUBLIC
    victim = brute.pivot_to
    assert ROLE[victim] == "app"
    assert victim == beacon.actor == exfil.actor == lateral.actor
    assert victim not in lateral.targets
    assert not set(lateral.targets) & PUBLIC
    assert all(t in lateral.targets and p in lateral.ports for t, p in lateral.accepted)
    # walking hosts, not sweeping a port: at most 4 hosts per port in any 10 minutes
    assert lateral.duration >= timedelta(minutes=3 * len(lateral.targets))
    assert ROLE[intel.actor] in ("web", "app")
    assert intel.actor != victim
    assert ROLE[insecure.server] == "legacy-ftp"
    assert set(insecure.ports) <= {21, 23}
    assert ROLE[db.server] == "analytics-db"
    assert db.port in (5432, 3306, 1433, 27017, 6379)
    assert ROLE[gap.eni] in ("web", "app")
    assert gap.eni not in (victim, intel.actor, chat.client)
    az = {e.name: EST.subnet(e.subnet).az_id for e in EST.enis}
    assert az[chat.client] != az[chat.server]
    # the chain in order, at night: guessing, login, pivot, beacon, lateral movement, upload
    login = brute.at + brute.duration
    pivot = login + brute.pivot_after
    assert brute.pivot_after < brute.session
    assert pivot + brute.pivot_duration < beacon.at < lateral.at < exfil.at
    assert lateral.at + lateral.duration < exfil.at
    clock = timedelta(minutes=start)
    assert exfil.at + exfil.duration < end
    assert (exfil.at + clock) % timedelta(days=1) < timedelta(hours=6)  # "in the small hours"
    hour = ((pivot + clock) % timedelta(days=1)).total_seconds() / 3600
    assert hour < 13 or hour >= 22  # no administrator at work (13:00-22:00 UTC)
    # short incidents apart from the chain and from each other
    spans = [(scan.at, scan.duration), (sweep.at, sweep.duration), (intel.at, intel.duration),
             (gap.at, gap.duration), (brute.at, exfil.at + exfil.duration - brute.at),
             *((a, timedelta(minutes=1)) for a in db.probe_at)]  # fmt: skip
    spans += [(insecure.ftp_at, insecure.ftp_duration)] if 21 in insecure.ports else []
    spans += [(insecure.telnet_at, insecure.telnet_duration)] if 23 in insecure.ports else []
    spans.sort()
    assert all(a + d <= b for (a, d), (b, _) in itertools.pairwise(spans)), spans
    assert spans[0][0] > timedelta(0)
    assert spans[-1][0] + spans[-1][1] < end
    assert (end - beacon.at) / beacon.period >= 60  # enough beacons for a "high" finding


def test_too_short_a_period_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1 days"):
        draw_incidents(11, days=0.5)
    with pytest.raises(ValueError, match="no night in the period"):
        draw_incidents(11, days=1, start_minute=3 * 60)  # the night is too near either end
    assert len(draw_incidents(11, days=1, start_minute=17 * 60)) == 12
    assert len(draw_incidents(11, days=1.5, start_minute=3 * 60)) == 12


def test_cli_flag_writes_a_drawn_estate_and_without_it_nothing_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--seed", "11", "--days", "1", "--scale", "small"]
    assert main(["sample", str(tmp_path / "drawn"), *args, "--draw-incidents"]) == 0
    assert "threat_list.csv" in capsys.readouterr().out
    truth = load_truth(tmp_path / "drawn" / "ground_truth.json")
    assert truth["drawn"]["seed"] == 11
    drawn = draw_incidents(11, days=1)
    assert [i["id"] for i in truth["incidents"]] == [i.id for i in drawn]
    assert truth["incidents"][0]["actor"] == drawn[0].actor
    assert truth["incidents"][0]["parameters"]["target"] == drawn[0].target
    assert truth["incidents"][8]["ports"] == [drawn[8].port]
    listed = [e["network"] for e in truth["threat_list"]]
    assert drawn[6].indicator in listed
    text = (tmp_path / "drawn" / "threat_list.csv").read_text()
    assert fk.load_threat_list(tmp_path / "drawn" / "threat_list.csv").size == len(listed)
    assert f"{drawn[6].indicator}," in text
    assert main(["sample", str(tmp_path / "plain"), *args]) == 0
    plain = load_truth(tmp_path / "plain" / "ground_truth.json")
    assert "drawn" not in plain
    assert not (tmp_path / "plain" / "threat_list.csv").exists()
    assert plain["incidents"][0]["actor"] == "185.142.236.35"
    with pytest.raises(SystemExit):
        main(["sample", "--help"])
    assert "--draw-incidents" in capsys.readouterr().out


# --- detections, policy and the checker on drawn estates ---------------------------------------


@pytest.fixture(scope="module")
def estates(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    out = {}
    for seed in (11, 23):
        out[seed] = tmp_path_factory.mktemp(f"drawn{seed}")
        generate_drawn(out[seed], seed=seed, days=1)
    return out


def _read(path: Path) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a drawn estate loads without quarantined lines
        return fk.read(path, inventory=path / "inventory.json", vpc_cidrs=["10.0.0.0/16"],
                       progress=False)  # fmt: skip


@pytest.fixture(scope="module")
def sample_severity() -> dict[str, str]:
    truth = load_truth(SAMPLE / "ground_truth.json")
    found = fk.hunt(fk.read(SAMPLE, progress=False), threat_list=ROOT / "data" / "threat_list.txt")
    return {
        inc["kind"]: found[[matches(f, inc) for _, f in found.iterrows()]]["severity"].iloc[0]
        for inc in security(truth)
    }


@pytest.mark.slow
@pytest.mark.parametrize("seed", [11, 23])
def test_hunt_finds_every_drawn_security_incident(
    estates: dict[int, Path], sample_severity: dict[str, str], seed: int
) -> None:
    path = estates[seed]
    truth = load_truth(path / "ground_truth.json")
    found = fk.hunt(_read(path), threat_list=path / "threat_list.csv")
    check(found, truth)  # every planted incident found, no high finding on the background
    incidents = security(truth)
    assert len(incidents) == 7
    for inc in incidents:
        hit = found[[matches(f, inc) for _, f in found.iterrows()]]
        assert list(hit["severity"]) == [sample_severity[inc["kind"]]], inc["id"]
    sample_high = {k for k, v in sample_severity.items() if v == "high"}
    assert set(found.loc[found["severity"] == "high", "finding"]) <= sample_high
    # the sample's threat list does not know the drawn indicator: the estate's own list is needed
    without = fk.hunt(_read(path), threat_list=ROOT / "data" / "threat_list.txt")
    assert "threat_intel" not in set(without["finding"])


@pytest.mark.slow
@pytest.mark.parametrize("seed", [11, 23])
def test_policy_finds_the_drawn_compliance_incidents(estates: dict[int, Path], seed: int) -> None:
    path = estates[seed]
    truth = load_truth(path / "ground_truth.json")
    v = fk.check_policy(_read(path), ROOT / "data" / "policy.yaml",
                        inventory=path / "inventory.json", detail=True)  # fmt: skip
    breach = v[(v["outcome"] == "breach") & v["kind"].isin(["forbidden", "exposure"])]
    inc = {i["id"]: i for i in truth["incidents"]}
    ftp, db = inc["INC-08"], inc["INC-09"]
    expected = {(ftp["actor"], ftp["targets"][0], p) for p in ftp["ports"]}
    expected |= {(s, db["targets"][0], db["ports"][0]) for s in db["evidence"]["internet_sources"]}
    assert set(zip(breach["client"], breach["server"], breach["port"], strict=True)) == expected
    by_port = breach.groupby("port")["rule"].agg(set).to_dict()
    assert by_port.pop(db["ports"][0]) == {"database-ports"}
    assert by_port == {p: {"ftp" if p == 21 else "telnet"} for p in ftp["ports"]}
    assert int(breach.loc[breach["port"] == db["ports"][0], "records"].sum()) == db["records"]


@pytest.mark.parametrize("seed", [11, 23])
def test_checker_follows_the_drawn_truth(estates: dict[int, Path], seed: int) -> None:
    truth = load_truth(estates[seed] / "ground_truth.json")
    sample = load_truth(SAMPLE / "ground_truth.json")
    right, wrong = right_answers(truth), wrong_answers(truth)
    beacon = next(i for i in truth["incidents"] if i["kind"] == "beaconing")
    right["beacon_destination"] = [beacon["targets"][0], f"{beacon['targets'][0]}:"
                                                         f"{beacon['ports'][0]}"]  # fmt: skip
    gap = next(i for i in truth["incidents"] if i["kind"] == "logging_gap")
    others = [n for n in ("web-1", "web-2", "web-3") if n != gap["eni_names"][0]]
    wrong["logging_gap"] = [*others, "nat-a"]  # test_training's list names web-1, the sample's
    for ex in (e.id for e in EXERCISES):
        assert check_answer(ex, answers(truth)[ex], truth).correct, ex
        assert all(check_answer(ex, a, truth).correct for a in right[ex]), ex
        assert not any(check_answer(ex, a, truth).correct for a in wrong[ex]), ex
    old = answers(sample)
    stale = {ex for ex in old if not check_answer(ex, old[ex], truth).correct}
    assert {"scanner", "brute_success", "beacon_destination", "exfil_start"} <= stale
    assert len(stale) >= 7, sorted(set(old) - stale)
    # the sample's checker does not accept this estate's answers either
    fresh = answers(truth)
    assert not check_answer("scanner", fresh["scanner"], sample).correct
    moved = copy.deepcopy(truth)
    moved.pop("drawn")
    assert answers(moved) == fresh  # the answers come from the incidents, nothing else


@pytest.mark.slow
@pytest.mark.notebook
def test_training_notebook_runs_on_a_drawn_estate(estates: dict[int, Path],
                                                  tmp_path: Path) -> None:  # fmt: skip
    import nbformat
    import papermill
    from nbformat.v4 import new_code_cell

    path = estates[23]
    nb = nbformat.read(ROOT / "notebooks" / "90_analyst_training.ipynb", as_version=4)
    nb.cells.append(new_code_cell(
        "import json\n"
        "from flowkit.training import answers as _answers\n"
        "_sample = _answers(load_truth('../data/sample/ground_truth.json'))\n"
        "_verdicts = {}\n"
        "for _ex, _answer in _answers(truth).items():\n"
        "    _box = AnswerBox(_ex, truth)\n"
        "    _box.value = _answer\n"
        "    _right = _box.check().correct\n"
        "    _box.value = _sample[_ex]\n"
        "    _verdicts[_ex] = [_right, _box.check().correct]\n"
        "print('VERDICTS', json.dumps({'verdicts': _verdicts, 'seed': truth['drawn']['seed'],\n"
        "                              'records': len(df),\n"
        "                              'intel': 'threat_intel' in set(found['finding'])}))"
    ))  # fmt: skip
    src, out = tmp_path / "90.ipynb", tmp_path / "90.out.ipynb"
    nbformat.write(nb, src)
    papermill.execute_notebook(
        str(src), str(out), kernel_name="python3", progress_bar=False,
        parameters={"DATA_PATH": str(path), "TRUTH_PATH": str(path / "ground_truth.json"),
                    "THREAT_LIST": str(path / "threat_list.csv")},
        cwd=str(ROOT / "notebooks"),
    )  # fmt: skip
    done = nbformat.read(out, as_version=4)
    text = "".join(o.get("text", "") for o in done.cells[-1].outputs)
    result = json.loads(text.split("VERDICTS", 1)[1])
    assert result["seed"] == 23
    assert result["records"] == len(_read(path))
    assert result["intel"]  # the hunt cell used the estate's own threat list
    verdicts = result["verdicts"]
    assert set(verdicts) == {e.id for e in EXERCISES}
    assert all(right for right, _ in verdicts.values()), verdicts
    stale = [ex for ex, (_, old) in verdicts.items() if not old]
    assert {"scanner", "brute_success", "beacon_destination", "exfil_start"} <= set(stale)


@pytest.mark.parametrize("seed", [11, 23])
def test_the_exposed_port_is_open_to_the_internet(estates: dict[int, Path], seed: int) -> None:
    """Background scanners leave the drawn database port to the incident: nothing is REJECTed."""
    path = estates[seed]
    db = {i["id"]: i for i in load_truth(path / "ground_truth.json")["incidents"]}["INC-09"]
    df = _read(path)
    to_db = df[(df["dstport"] == db["ports"][0]) & (df["dstaddr"] == db["targets"][0])]
    assert len(to_db) > 0
    assert set(to_db["action"].dropna().astype(str)) == {"ACCEPT"}


def test_hunt_command_finds_a_drawn_estates_threat_list(estates: dict[int, Path]) -> None:
    from flowkit.detect.command import find_threat_list

    assert find_threat_list(str(estates[11])) == estates[11] / "threat_list.csv"
    assert find_threat_list(str(ROOT / "data" / "sample")) == ROOT / "data" / "threat_list.txt"
