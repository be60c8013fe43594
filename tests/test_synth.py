"""Tests of flowkit.synth (the sample estate generator) and of the committed data/sample."""

from __future__ import annotations

import gzip
import hashlib
import ipaddress
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import flowkit as fk
from flowkit.cli import main
from flowkit.synth import SCALES, SynthConfig, generate
from flowkit.synth.compromise import LateralMovement, ThreatIntel
from flowkit.synth.estate import THREAT_LIST, default_estate, ips_in, threat_list_text
from flowkit.synth.hygiene import LoggingGap
from flowkit.synth.incidents import Beaconing, PortScan, SshBruteForce
from flowkit.synth.profiles import Rates

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
#: The exact regeneration command of data/README.md, as arguments of `flowkit`.
SAMPLE_ARGS = ["sample", "--seed", "7", "--days", "2", "--scale", "small", "--force"]
KEY = re.compile(
    r"^AWSLogs/123456789012/vpcflowlogs/us-east-1/(\d{4})/(\d{2})/(\d{2})/"
    r"123456789012_vpcflowlogs_us-east-1_(fl-[0-9a-f]{17})_(\d{8}T\d{4}Z)_[0-9a-f]{8}\.log\.gz$"
)


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _ip(df: pd.DataFrame, col: str) -> pd.Series:
    return df[col].astype("string")


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return fk.read(SAMPLE, progress=False)


@pytest.fixture(scope="module")
def truth() -> dict:
    return json.loads((SAMPLE / "ground_truth.json").read_text())


@pytest.fixture(scope="module")
def ok(sample: pd.DataFrame) -> pd.DataFrame:
    df = sample[sample["log_status"] == "OK"].copy()
    for c in ("srcaddr", "dstaddr", "pkt_srcaddr", "pkt_dstaddr", "interface_id"):
        df[c] = df[c].astype("string")
    return df


@pytest.fixture(scope="module")
def requests(ok: pd.DataFrame) -> pd.DataFrame:
    """TCP records of the side that opened the connection (SYN without ACK), v5 flow log only."""
    flags = ok["tcp_flags"].astype("Int64")
    return ok[(ok["protocol"] == 6) & ((flags & 2) == 2) & ((flags & 16) == 0)]


def _incident(truth: dict, kind: str) -> dict:
    (inc,) = [i for i in truth["incidents"] if i["kind"] == kind]
    return inc


def _window(df: pd.DataFrame, inc: dict) -> pd.DataFrame:
    lo, hi = pd.Timestamp(inc["first"]), pd.Timestamp(inc["last"])
    return df[(df["start"] >= lo) & (df["end"] <= hi)]


# --- determinism and the committed sample ---------------------------------------------------


def test_generate_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", seed=5, days=0.1)
    generate(tmp_path / "b", seed=5, days=0.1)
    assert a.files > 20
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")
    c = generate(tmp_path / "c", seed=6, days=0.1)
    assert _digests(tmp_path / "a") != _digests(tmp_path / "c")
    assert c.records != a.records or c.size != a.size


def test_generate_parquet_hive_is_deterministic_and_loads_like_text(tmp_path: Path) -> None:
    t = generate(tmp_path / "t", seed=2, days=0.05)
    p = generate(tmp_path / "p", seed=2, days=0.05, parquet=True, hive=True)
    generate(tmp_path / "q", seed=2, days=0.05, parquet=True, hive=True)
    assert _digests(tmp_path / "p") == _digests(tmp_path / "q")
    keys = sorted(k for k in _digests(tmp_path / "p") if k.startswith("AWSLogs"))
    assert all(k.endswith(".log.parquet") and "/aws-service=vpcflowlogs/" in k for k in keys)
    assert all(re.search(r"/year=2026/month=11/day=02/", k) for k in keys)
    text, parq = fk.read(tmp_path / "t", progress=False), fk.read(tmp_path / "p", progress=False)
    assert len(text) == len(parq) == t.records == p.records
    cols = ["interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "bytes", "start"]
    norm = [d[cols].astype(str).sort_values(cols).reset_index(drop=True) for d in (text, parq)]
    pd.testing.assert_frame_equal(norm[0], norm[1])


def test_generate_refuses_to_overwrite_without_flag(tmp_path: Path) -> None:
    generate(tmp_path, seed=1, days=0.01)
    with pytest.raises(FileExistsError):
        generate(tmp_path, seed=1, days=0.01)
    generate(tmp_path, seed=1, days=0.01, overwrite=True)
    with pytest.raises(ValueError, match="scale"):
        generate(tmp_path / "x", days=0.01, scale="huge")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="whole minute"):
        generate(tmp_path / "y", days=0.01, start="2026-11-02T00:00:30")


def test_cli_sample_writes_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "s"
    assert main(["sample", str(out), "--seed", "3", "--days", "0.02", "--hive"]) == 0
    assert "records in" in capsys.readouterr().out
    assert any(out.rglob("*.log.gz"))
    assert main(["sample", str(out), "--days", "0.02"]) == 2
    assert "exists" in capsys.readouterr().err


def test_committed_sample_regenerates_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "sample"
    assert main([SAMPLE_ARGS[0], str(out), *SAMPLE_ARGS[1:]]) == 0
    assert _digests(out) == _digests(SAMPLE)


def test_readme_states_the_regeneration_command() -> None:
    readme = (ROOT / "data" / "README.md").read_text()
    assert "flowkit sample data/sample --seed 7 --days 2 --scale small --force" in readme


def test_sample_loads_with_zero_quarantined_lines(sample: pd.DataFrame) -> None:
    prov = sample.attrs["flowkit"]
    assert prov["totals"]["quarantined"] == 0
    assert prov["totals"]["file_errors"] == 0
    assert len(fk.quarantine(sample)) == 0
    files = len(prov["sources"])
    assert prov["totals"]["header_lines"] == files == 2 * 2 * 288
    assert len(prov["formats"]) == 2
    assert 150_000 < len(sample) < 300_000


def test_sample_layout_one_file_per_flow_log_per_window() -> None:
    size, seen = 0, set()
    for path in sorted((SAMPLE / "AWSLogs").rglob("*")):
        if not path.is_file():
            continue
        key = path.relative_to(SAMPLE).as_posix()
        m = KEY.match(key)
        assert m, key
        size += path.stat().st_size
        window = datetime.strptime(m[5], "%Y%m%dT%H%MZ").replace(tzinfo=UTC)
        assert m[5][:8] == "".join(m.group(1, 2, 3))
        seen.add((m[4], window))
        lines = gzip.decompress(path.read_bytes()).decode().splitlines()
        assert lines[0].startswith("version account-id interface-id")
        end = lines[0].split().index("end")
        ends = np.array([int(ln.split()[end]) for ln in lines[1:]])
        lo = int(window.timestamp())
        assert ((ends >= lo) & (ends < lo + 300)).all(), key
    assert size <= 10_000_000
    assert len(seen) == 1152


def test_inventory_and_threat_list_files_match_the_generator(sample: pd.DataFrame) -> None:
    inv = json.loads((ROOT / "data" / "inventory.json").read_text())
    assert inv == json.loads((SAMPLE / "inventory.json").read_text())
    assert inv == default_estate().inventory()
    enis = {i["NetworkInterfaceId"] for i in inv["NetworkInterfaces"]}
    assert set(sample["interface_id"].astype(str)) == enis
    assert (ROOT / "data" / "threat_list.txt").read_text() == threat_list_text()
    assert not list(SAMPLE.rglob("*.txt"))


# --- volumes, ratios and VPC semantics --------------------------------------------------------


def test_sample_volumes_and_ratios(sample: pd.DataFrame, ok: pd.DataFrame) -> None:
    status = sample["log_status"].value_counts()
    assert 0.05 < status["NODATA"] / len(sample) < 0.15
    assert 3 <= status["SKIPDATA"] <= 10
    assert 0.01 < (ok["action"] == "REJECT").mean() < 0.06
    by_hour = ok.groupby(ok["start"].dt.hour).size()
    assert by_hour.loc[13:18].mean() > 1.8 * by_hour.loc[1:5].mean()  # diurnal
    assert set(ok["protocol"].unique()) == {1, 6, 17}
    nodata = sample[sample["log_status"] == "NODATA"]
    assert nodata["srcaddr"].isna().all()
    assert nodata["action"].isna().all()


def test_sample_vpc_semantics(ok: pd.DataFrame) -> None:
    v5 = ok[ok["version"] == 5]
    # east-west traffic appears on both ENIs, request and response as separate records
    inside = v5["srcaddr"].str.startswith("10.") & v5["dstaddr"].str.startswith("10.")
    ew = v5[inside & ((v5["srcport"] == 8080) | (v5["dstport"] == 8080))]
    per = ew.groupby(["flow_direction", ew["dstport"] == 8080]).size()
    # the web ENI logs the request going out and the response coming in; the app ENI the
    # request coming in and the response going out (the two sides differ by the minutes lost
    # to SKIPDATA and the logging gap)
    assert per[("egress", True)] == per[("ingress", False)] > 4000
    assert per[("ingress", True)] == per[("egress", False)] > 4000
    assert abs(per[("egress", True)] - per[("ingress", True)]) < 0.05 * per.max()
    # short TCP connections: 3 (SYN|FIN) then 19 (SYN-ACK|FIN)
    assert (v5["tcp_flags"] == 3).sum() == pytest.approx((v5["tcp_flags"] == 19).sum(), rel=0.02)
    # NAT gateway ENI: pkt-* addresses differ from srcaddr/dstaddr on the inner legs
    nat = v5[v5["interface_id"] == default_estate().eni("nat-a").eni_id]
    differ = (nat["pkt_dstaddr"] != nat["dstaddr"]) | (nat["pkt_srcaddr"] != nat["srcaddr"])
    assert 0.3 < differ.mean() < 0.7
    assert nat["instance_id"].isna().all()
    # S3 and DynamoDB via the gateway endpoint are traffic-path 7; via the NAT, path 1 then 8
    s3 = v5[(v5["pkt_dst_aws_service"] == "S3") & (v5["flow_direction"] == "egress")]
    assert set(s3["traffic_path"].dropna().astype(int)) == {1, 7, 8}
    ddb = v5[v5["pkt_dst_aws_service"] == "DYNAMODB"]
    assert set(ddb["traffic_path"].dropna().astype(int)) == {7}
    assert v5.loc[v5["flow_direction"] == "ingress", "traffic_path"].isna().all()
    assert set(v5["az_id"].astype(str)) == {"use1-az1", "use1-az2", "use1-az4"}


# --- every planted incident is in the records, and nothing else looks like it --------------


def test_ground_truth_lists_every_incident(truth: dict) -> None:
    kinds = [i["kind"] for i in truth["incidents"]]
    assert kinds == [
        "port_scan",
        "port_sweep",
        "ssh_brute_force",
        "beaconing",
        "exfiltration",
        "lateral_movement",
        "threat_intel",
        "insecure_protocol",
        "exposed_database",
        "logging_gap",
        "s3_through_nat",
        "cross_az_chatter",
    ]
    for inc in truth["incidents"]:
        assert inc["first"] < inc["last"]
        assert inc["enis"]
        assert len(inc["story"]) > 80


def test_port_scan_present_and_unique(
    truth: dict, requests: pd.DataFrame, ok: pd.DataFrame
) -> None:
    inc = _incident(truth, "port_scan")
    mine = _window(ok, inc)
    mine = mine[(mine["srcaddr"] == inc["actor"]) & (mine["dstaddr"] == inc["targets"][0])]
    assert mine["dstport"].nunique() == len(inc["ports"]) >= 1000
    assert (mine["action"] == "REJECT").mean() > 0.99
    others = requests[requests["srcaddr"] != inc["actor"]]
    assert others.groupby(["srcaddr", "dstaddr"])["dstport"].nunique().max() < 20


def test_port_sweep_present_and_unique(truth: dict, requests: pd.DataFrame) -> None:
    inc = _incident(truth, "port_sweep")
    rej = requests[requests["action"] == "REJECT"]
    per = rej.groupby(["srcaddr", "dstport"])["dstaddr"].nunique()
    assert per[(inc["actor"], inc["ports"][0])] == len(inc["targets"]) >= 7
    actors = {i["actor"] for i in truth["incidents"]}
    background = per[~per.index.get_level_values("srcaddr").isin(actors)]
    assert background.max() <= 3


def test_ssh_brute_force_present_and_succeeds(
    truth: dict, requests: pd.DataFrame, ok: pd.DataFrame
) -> None:
    inc = _incident(truth, "ssh_brute_force")
    ssh = requests[(requests["dstport"] == 22) & (requests["dstaddr"] == inc["targets"][0])]
    per = ssh.groupby("srcaddr").size()
    # every guess is one connection; the successful session opens with one more SYN
    assert per[inc["actor"]] == inc["evidence"]["attempts"] + 1 > 500
    assert per.drop(inc["actor"]).max() < 50
    after = ok[(ok["srcaddr"] == inc["actor"]) & (ok["start"] >= inc["evidence"]["success_at"])]
    assert after["start"].dt.floor("min").nunique() >= 30  # one long session after the guessing
    pivot = ok[(ok["srcaddr"] == inc["targets"][0]) & (ok["dstaddr"] == inc["targets"][1])]
    assert len(_window(pivot, inc)) > 0


def test_beaconing_is_periodic_with_jitter(truth: dict, ok: pd.DataFrame) -> None:
    inc = _incident(truth, "beaconing")
    eni = default_estate().eni(inc["actor_name"]).eni_id
    b = ok[(ok["interface_id"] == eni) & (ok["dstaddr"] == inc["targets"][0])]
    gaps = b["start"].sort_values().astype("int64").diff().dropna() / 1.0
    assert len(b) == inc["evidence"]["beacons"] >= 250
    assert abs(gaps.median() - 300) < 15
    assert 10 < gaps.std() < 40
    assert gaps.min() > 240
    assert gaps.max() < 360
    talkers = ok[ok["pkt_dstaddr"] == inc["targets"][0]]["pkt_srcaddr"].unique()
    assert set(talkers) == {inc["actor"], default_estate().eni("nat-a").ip}


def test_exfiltration_volume(truth: dict, ok: pd.DataFrame) -> None:
    inc = _incident(truth, "exfiltration")
    eni = default_estate().eni(inc["actor_name"]).eni_id
    out = ok[(ok["interface_id"] == eni) & (ok["flow_direction"] == "egress")]
    out = out[~out["pkt_dstaddr"].str.startswith("10.") & out["pkt_dst_aws_service"].isna()]
    by_dst = out.groupby("pkt_dstaddr")["bytes"].sum()
    assert by_dst[inc["targets"][0]] >= 2.5e9
    assert by_dst.drop(inc["targets"][0]).max() < 1e7


def test_lateral_movement_present_and_unique(truth: dict, requests: pd.DataFrame) -> None:
    inc = _incident(truth, "lateral_movement")
    inside = requests["srcaddr"].str.startswith("10.") & requests["dstaddr"].str.startswith("10.")
    admin = requests[inside & requests["dstport"].isin([22, 3389, 445])]
    mine = admin[admin["srcaddr"] == inc["actor"]]
    assert mine["dstaddr"].nunique() == len(inc["targets"]) >= 8
    assert set(mine["dstport"]) == {22, 3389, 445}
    est = default_estate()
    allowed = {inc["actor"], est.eni("bastion-1").ip, est.eni("vpn-1").ip}
    assert set(admin["srcaddr"]) - allowed == set()


def test_threat_intel_hits_only_the_planted_indicator(truth: dict, ok: pd.DataFrame) -> None:
    inc = _incident(truth, "threat_intel")
    texts = pd.concat([ok["pkt_srcaddr"], ok["pkt_dstaddr"]]).dropna().unique()
    addr = np.array([int(ipaddress.IPv4Address(a)) for a in texts], dtype=np.int64)
    listed = np.zeros(len(addr), dtype=bool)
    for cidr, _ in THREAT_LIST:
        listed |= ips_in(addr, cidr if "/" in cidr else cidr + "/32")
    assert sorted(set(texts[listed])) == inc["targets"]
    assert len(_window(ok[ok["pkt_dstaddr"] == inc["targets"][0]], inc)) >= 10


def test_insecure_protocols_only_in_the_incident(truth: dict, ok: pd.DataFrame) -> None:
    inc = _incident(truth, "insecure_protocol")
    used = ok[ok["dstport"].isin([21, 23]) & (ok["action"] == "ACCEPT")]
    assert set(used["srcaddr"]) == {inc["actor"]}
    assert set(used["dstport"]) == {21, 23}


def test_exposed_database_only_in_the_incident(truth: dict, ok: pd.DataFrame) -> None:
    inc = _incident(truth, "exposed_database")
    db = ok[
        (ok["dstport"] == 5432) & (ok["action"] == "ACCEPT") & ~ok["srcaddr"].str.startswith("10.")
    ]
    assert set(db["srcaddr"]) == set(inc["evidence"]["internet_sources"])
    assert set(db["dstaddr"]) == set(inc["targets"])


def test_logging_gap_has_no_records_but_peers_saw_traffic(
    truth: dict, sample: pd.DataFrame, ok: pd.DataFrame
) -> None:
    inc = _incident(truth, "logging_gap")
    lo, hi = pd.Timestamp(inc["first"]), pd.Timestamp(inc["last"])
    eni = sample[sample["interface_id"] == inc["enis"][0]]
    assert not ((eni["start"] >= lo) & (eni["start"] < hi)).any()
    assert ((eni["start"] >= lo - timedelta(minutes=5)) & (eni["start"] < lo)).any()
    assert ((eni["start"] >= hi) & (eni["start"] < hi + timedelta(minutes=5))).any()
    peers = ok[(ok["dstaddr"] == inc["targets"][0]) & (ok["start"] >= lo) & (ok["start"] < hi)]
    assert peers["interface_id"].nunique() >= 2
    # every other logged ENI has a record (OK or NODATA) in every minute
    minutes = sample.assign(m=sample["start"].dt.floor("min")).groupby("interface_id")["m"]
    counts = minutes.nunique()
    assert counts.drop(inc["enis"][0]).min() >= 2 * 1440 - 6
    assert counts[inc["enis"][0]] == 2 * 1440 - inc["evidence"]["minutes"]


def test_skipdata_records_match_the_ground_truth(truth: dict, sample: pd.DataFrame) -> None:
    skip = sample[sample["log_status"] == "SKIPDATA"]
    got = sorted(
        zip(
            skip["interface_id"].astype(str),
            skip["start"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
            strict=True,
        )
    )
    assert got == sorted((s["eni"], s["start"]) for s in truth["skipdata"])


def test_s3_through_nat_only_from_the_misrouted_subnet(truth: dict, ok: pd.DataFrame) -> None:
    inc = _incident(truth, "s3_through_nat")
    est = default_estate()
    nat = ok[(ok["interface_id"] == est.eni("nat-a").eni_id) & (ok["pkt_dst_aws_service"] == "S3")]
    inner = set(nat["pkt_srcaddr"]) - {est.eni("nat-a").ip}
    assert inner == {est.eni(h).ip for h in inc["evidence"]["hosts"]}
    assert nat["bytes"].sum() > 5e9
    direct = ok[(ok["traffic_path"] == 7) & (ok["pkt_dst_aws_service"] == "S3")]
    assert not set(direct["srcaddr"]) & inner


def test_cross_az_chatter_is_the_largest_cross_az_pair(truth: dict, ok: pd.DataFrame) -> None:
    inc = _incident(truth, "cross_az_chatter")
    est = default_estate()
    az = {e.ip: est.subnet(e.subnet).az_id for e in est.enis}
    internal = ok[ok["srcaddr"].isin(list(az)) & ok["dstaddr"].isin(list(az))].copy()
    internal = internal[internal["srcaddr"].map(az) != internal["dstaddr"].map(az)]
    a, b = internal["srcaddr"].to_numpy(str), internal["dstaddr"].to_numpy(str)
    pair = pd.Series(
        np.where(a < b, np.char.add(np.char.add(a, "|"), b), np.char.add(np.char.add(b, "|"), a)),
        index=internal.index,
    )
    by_pair = internal.groupby(pair)["bytes"].sum().sort_values(ascending=False)
    assert set(by_pair.index[0].split("|")) == {inc["actor"], inc["targets"][0]}
    assert by_pair.iloc[0] > 10 * by_pair.iloc[1]


# --- configurable scenarios -------------------------------------------------------------------


def test_tests_can_plant_their_own_scenario(tmp_path: Path) -> None:
    scan = PortScan(
        id="T-1",
        actor="100.20.30.40",
        target="alb-b",
        at=timedelta(minutes=40),
        duration=timedelta(minutes=2),
        ports=tuple(range(1000, 1150)),
    )
    beacon = Beaconing(
        id="T-2",
        actor="app-1",
        c2="100.99.1.2",
        at=timedelta(minutes=5),
        period=timedelta(seconds=120),
        jitter=0.05,
    )
    gap = LoggingGap(
        id="T-3", eni="app-3", at=timedelta(minutes=60), duration=timedelta(minutes=30)
    )
    quiet = Rates(web_clients=1.0, scanners=0.0)
    cfg = SynthConfig(incidents=(scan, beacon, gap), rates=quiet, skipdata_per_day=0)
    s = generate(tmp_path, seed=11, days=0.125, start="2027-01-05T06:00", config=cfg)
    assert s.incidents == ["T-1", "T-2", "T-3"]
    gt = json.loads((tmp_path / "ground_truth.json").read_text())
    assert gt["incidents"][0]["first"].startswith("2027-01-05T06:40")
    df = fk.read(tmp_path, progress=False)
    assert (df["log_status"] == "SKIPDATA").sum() == 0
    ok = df[df["log_status"] == "OK"]
    hit = ok[ok["srcaddr"] == "100.20.30.40"]
    assert hit["dstport"].nunique() == 150
    assert set(hit["dstaddr"]) == {"10.0.1.10"}
    app1 = default_estate().eni("app-1").eni_id
    b = ok[(ok["dstaddr"] == "100.99.1.2") & (ok["interface_id"] == app1)]
    gaps = b["start"].sort_values().astype("int64").diff().dropna()
    assert len(b) > 80
    assert abs(gaps.median() - 120) <= 6
    app3 = df[df["interface_id"] == default_estate().eni("app-3").eni_id]
    lo = pd.Timestamp("2027-01-05T07:00Z")
    assert not ((app3["start"] >= lo) & (app3["start"] < lo + timedelta(minutes=30))).any()
    assert not (ok["srcaddr"].astype(str).str.startswith(("89.248.", "92.63."))).any()


def test_incidents_outside_the_period_are_left_out(tmp_path: Path) -> None:
    cfg = SynthConfig(
        incidents=(
            SshBruteForce(at=timedelta(days=3)),
            ThreatIntel(),
            LateralMovement(at=timedelta(minutes=10)),
        )
    )
    s = generate(tmp_path, seed=3, days=0.5, config=cfg)
    assert s.incidents == ["INC-06"]


def test_scales_grow_the_background(tmp_path: Path) -> None:
    small = generate(tmp_path / "s", seed=4, days=0.05, scale="small")
    medium = generate(tmp_path / "m", seed=4, days=0.05, scale="medium")
    assert SCALES["medium"] == 7.0
    assert 3 * small.records < medium.records < 8 * small.records


def test_write_flow_logs_skips_a_flow_log_without_records(tmp_path: Path) -> None:
    from flowkit.synth.flows import expand, sessions
    from flowkit.synth.writer import write_flow_logs

    est = default_estate()
    conv = sessions(
        np.random.default_rng(0),
        minute=[0, 7],
        minutes=1,
        cli=est.ip("web-1"),
        srv=est.ip("app-1"),
        sport=8080,
        rq_bpm=500,
        rs_bpm=900,
        horizon=10,
    )
    rec = expand(est, conv, t0=1_793_577_600)
    out = write_flow_logs(est, rec, tmp_path, seed=1)
    assert out.records == {"fl-0a1b2c3d4e5f67890": 8, "fl-0f9e8d7c6b5a43210": 0}
    assert len(out.files) == 2
    df = fk.read(tmp_path, progress=False)
    assert sorted(df["tcp_flags"].tolist()) == [3, 3, 3, 3, 19, 19, 19, 19]
    assert set(df["traffic_path"].dropna()) == {1}


def _allowed(policy: dict, est_roles: dict[str, str], svc: dict[str, str]) -> object:
    """A tiny evaluator of data/policy.yaml for the test (the real one belongs to compliance)."""

    def members(ref: str | list[str]) -> list[str]:
        refs = ref if isinstance(ref, list) else [ref]
        out: list[str] = []
        for r in refs:
            builtin = {"internet": ["0.0.0.0/0"], "vpc": ["10.0.0.0/16"]}  # flowkit builtins
            out += policy["groups"].get(r, builtin.get(r, [r]))
        return out

    def matches(addr: str, ref: str | list[str]) -> bool:
        for m in members(ref):
            if m.startswith("role:"):
                if est_roles.get(addr) == m[5:]:
                    return True
            elif m.startswith("service:"):
                if svc.get(addr) == m[8:]:
                    return True
            elif ipaddress.ip_address(addr) in ipaddress.ip_network(m) and (
                m != "0.0.0.0/0" or not addr.startswith("10.")
            ):
                return True
        return False

    def allowed(src: str, dst: str, proto: str, port: int) -> bool:
        if proto != "tcp" and one_way(dst, src, proto, port):  # UDP/ICMP: replies look alike
            return True
        return one_way(src, dst, proto, port)

    def one_way(src: str, dst: str, proto: str, port: int) -> bool:
        return any(
            r["protocol"] == proto
            and (proto == "icmp" or port in r["ports"])
            and matches(src, r["from"])
            and matches(dst, r["to"])
            for r in policy["rules"]
        )

    return allowed


def test_policy_allows_all_background_traffic_and_flags_the_planted(
    truth: dict, ok: pd.DataFrame, requests: pd.DataFrame
) -> None:
    import yaml

    policy = yaml.safe_load((ROOT / "data" / "policy.yaml").read_text())
    est = default_estate()
    roles = {e.ip: e.role for e in est.enis}
    refs = [r for rule in policy["rules"] for k in ("from", "to") for r in
            (rule[k] if isinstance(rule[k], list) else [rule[k]])]  # fmt: skip
    assert {r[5:] for r in refs if r.startswith("role:")} <= set(roles.values())
    v5 = ok[(ok["version"] == 5) & (ok["action"] == "ACCEPT")]
    udp = v5[(v5["protocol"] == 17) & v5["dstport"].isin([53, 123, 1194])]
    icmp = v5[(v5["protocol"] == 1) & (v5["flow_direction"] == "egress")]
    tcp = requests[requests["action"] == "ACCEPT"]
    flows = pd.concat([tcp, udp, icmp])
    svc = dict(
        zip(flows["pkt_dstaddr"], flows["pkt_dst_aws_service"].astype("string"), strict=True)
    )
    allowed = _allowed(policy, roles, {k: v for k, v in svc.items() if isinstance(v, str)})
    names = {1: "icmp", 6: "tcp", 17: "udp"}
    keys = flows[["pkt_srcaddr", "pkt_dstaddr", "protocol", "dstport"]].drop_duplicates()
    keys = keys[keys["pkt_srcaddr"] != est.eni("nat-a").ip]
    bad = {(s, d, int(p)) for s, d, pr, p in keys.itertuples(index=False)
           if not allowed(s, d, names[int(pr)], int(p))}  # fmt: skip
    actors = {i["actor"] for i in truth["incidents"]} | set(
        _incident(truth, "exposed_database")["evidence"]["internet_sources"]
    )
    assert bad
    assert {s for s, _, _ in bad} <= actors | {est.eni("bastion-1").ip}
    kinds = {"insecure_protocol", "exposed_database", "lateral_movement", "beaconing"}
    for inc in (i for i in truth["incidents"] if i["kind"] in kinds):
        assert any(s == inc["actor"] for s, _, _ in bad), inc["kind"]
