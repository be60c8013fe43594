"""The fast path and the careful path must give identical frames on the same clean text."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from flowkit.parse import Collector, assemble, fast_parse, finish, parse_careful
from flowkit.schema import DEFAULT_FIELDS, parse_format

V5 = parse_format(
    "version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport "
    "dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags "
    "log-status flow-direction traffic-path some-new-field"
)


def _lines(fields: tuple[str, ...], n: int, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    values = {
        "version": lambda: str(rng.choice([2, 5])),
        "account-id": lambda: str(rng.choice(["123456789010", "unknown", "012345678901"])),
        "interface-id": lambda: f"eni-{rng.integers(0, 9):017x}",
        "vpc-id": lambda: "vpc-0a1b2c3d",
        "subnet-id": lambda: f"subnet-{rng.integers(0, 3)}",
        "instance-id": lambda: str(rng.choice(["i-0abc", "-"])),
        "type": lambda: str(rng.choice(["IPv4", "IPv6"])),
        "srcaddr": lambda: str(rng.choice(["192.0.2.1", "2001:db8::1", "198.51.100.7", "-"])),
        "dstaddr": lambda: str(rng.choice(["203.0.113.9", "2001:db8::2", "-"])),
        "pkt-srcaddr": lambda: str(rng.choice(["192.0.2.1", "-"])),
        "pkt-dstaddr": lambda: str(rng.choice(["203.0.113.9", "-"])),
        "srcport": lambda: str(rng.choice([0, 22, 443, 65535, -1])).replace("-1", "-"),
        "dstport": lambda: str(rng.integers(0, 65536)),
        "protocol": lambda: str(rng.choice([1, 6, 17, 58])),
        "packets": lambda: str(rng.integers(0, 2**40)),
        "bytes": lambda: str(rng.choice(["0", str(2**63 + 5), "12345"])),
        "start": lambda: str(rng.choice(["1700000000", "1700000000123"])),
        "end": lambda: str(1_700_000_060),
        "action": lambda: str(rng.choice(["ACCEPT", "REJECT", "-"])),
        "log-status": lambda: str(rng.choice(["OK", "NODATA", "SKIPDATA"])),
        "tcp-flags": lambda: str(rng.choice([0, 2, 18, 19, 3])),
        "flow-direction": lambda: str(rng.choice(["ingress", "egress"])),
        "traffic-path": lambda: str(rng.choice(["-", "1", "8"])),
        "some-new-field": lambda: str(rng.choice(["x", "y"])),
    }
    rows = [" ".join(values[f]() for f in fields) for _ in range(n)]
    return ("\n".join(rows) + "\n").encode()


@pytest.mark.parametrize(("fields", "seed"), [(DEFAULT_FIELDS, 1), (V5, 2), (V5, 3)])
def test_parse_clean_and_careful_give_the_same_frame(fields: tuple[str, ...], seed: int) -> None:
    body = _lines(fields, 300, seed)
    fast = fast_parse(body, 0, len(body), fields)
    assert fast is not None
    assert len(fast.suspect) == 0
    clean = fast.table
    careful = parse_careful(body, fields, header_expected=False)
    assert careful.counts.records == 300
    assert not careful.bad
    from flowkit.parse import ParsedPart

    fast_df = assemble([ParsedPart(fields, clean)])
    slow_df = assemble(careful.parts)
    pd.testing.assert_frame_equal(fast_df, slow_df)


def test_fast_path_leaves_blank_lines_and_bad_numbers_to_the_careful_path() -> None:
    body = _lines(DEFAULT_FIELDS, 5, 4)
    blank = body.replace(b"\n", b"\n\n", 1)
    r = fast_parse(blank, 0, len(blank), DEFAULT_FIELDS)
    assert r is not None
    assert r.suspect.tolist() == [1]
    bad = b"2 x\n" + body
    r = fast_parse(bad, 0, len(bad), DEFAULT_FIELDS)
    assert r is not None
    assert r.suspect.tolist() == [0]
    assert r.table.num_rows == 5


def test_collector_batches_small_files_and_keeps_per_file_counts() -> None:
    header = (" ".join(DEFAULT_FIELDS) + "\n").encode()
    collector = Collector()
    for i in range(20):
        collector.add_text(f"f{i}.log", header + _lines(DEFAULT_FIELDS, 10 + i, 10 + i), first=True)
    collector.add_text("bad.log", header + b"oops\n" + _lines(DEFAULT_FIELDS, 3, 99), first=True)
    with pytest.warns(UserWarning, match="flowkit: ") as caught:
        df = finish(collector)
    messages = [str(w.message) for w in caught]
    assert any("1 line(s)" in m for m in messages)
    assert any("read as milliseconds" in m for m in messages)  # the seeded data holds some
    files = df.attrs["flowkit"]["files"]
    assert files["f0.log"] == {
        "lines_read": 11,
        "records": 10,
        "quarantined": 0,
        "header_lines": 1,
        "blank_lines": 0,
        "file_errors": 0,
    }
    assert files["f19.log"]["records"] == 29
    assert files["bad.log"]["records"] == 3
    assert files["bad.log"]["quarantined"] == 1
    assert len(df) == sum(10 + i for i in range(20)) + 3
    for counts in files.values():
        assert counts["lines_read"] == (
            counts["records"] + counts["quarantined"] + counts["header_lines"]
            + counts["blank_lines"]
        )  # fmt: skip


def test_read_skips_other_aws_services_under_awslogs(tmp_path) -> None:
    import gzip

    import flowkit as fk

    header = (" ".join(DEFAULT_FIELDS) + "\n").encode()
    flow = tmp_path / "AWSLogs/123456789010/vpcflowlogs/us-east-1/2026/11/02"
    trail = tmp_path / "AWSLogs/123456789010/CloudTrail/us-east-1/2026/11/02"
    flow.mkdir(parents=True)
    trail.mkdir(parents=True)
    (flow / "a.log.gz").write_bytes(gzip.compress(header + _lines(DEFAULT_FIELDS, 4, 5)))
    (trail / "b.json.gz").write_bytes(gzip.compress(b'{"Records": []}'))
    (trail / "c.log.gz").write_bytes(gzip.compress(b"not a flow log\n"))
    df = fk.read(tmp_path)
    assert len(df) == 4
    assert list(df.attrs["flowkit"]["files"]) == [str(flow / "a.log.gz")]


def test_frames_from_different_loads_concatenate() -> None:
    import flowkit as fk

    line = "2 1 eni-1 192.0.2.1 192.0.2.2 1 2 6 1 40 1 2 ACCEPT OK"
    a = fk.parse_lines([line])
    with pytest.warns(UserWarning, match="quarantined"):
        b = fk.parse_lines([line, "bogus"])
    assert len(pd.concat([a, b])) == 2
    assert len(pd.concat([a["srcport"], b["srcport"]])) == 2
    assert a.attrs["flowkit"] == a.copy().attrs["flowkit"]
    assert a.attrs["flowkit"] != b.attrs["flowkit"]
