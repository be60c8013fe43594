"""JSON containers under hostile input: deep nesting and a broken Firehose object lose nothing
after them (issue 16 item 13)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from hostile import Loaded, deadline, record


def firehose(messages: list[str]) -> bytes:
    return "".join(json.dumps({"message": m}) for m in messages).encode()


def test_a_broken_firehose_object_resynchronises_at_the_next(
    tmp_path: Path, loaded: Callable[..., Loaded]
) -> None:
    good = [record(i) for i in range(4)]
    body = firehose(good[:1]) + b'{"message": "2 123 \\x broken"}' + firehose(good[1:])
    (tmp_path / "firehose.log").write_bytes(body)
    got = loaded(tmp_path / "firehose.log")
    assert len(got.frame) == 4
    assert sorted(got.frame["srcport"].astype(int)) == [40000, 40001, 40002, 40003]
    assert len(got.quarantine) == 1
    assert got.quarantine["line"].tolist() == [2]
    assert got.quarantine["raw"].iloc[0] == '{"message": "2 123 \\x broken"}'
    assert got.quarantine["reason"].iloc[0].startswith("invalid JSON at character")


def test_a_truncated_object_in_the_middle_keeps_what_follows(
    tmp_path: Path, loaded: Callable[..., Loaded]
) -> None:
    good = [record(i) for i in range(3)]
    body = firehose(good[:1]) + b'{"message": "2 1234' + b"\n" + firehose(good[1:])
    (tmp_path / "firehose.log").write_bytes(body)
    got = loaded(tmp_path / "firehose.log")
    assert len(got.frame) == 3
    assert len(got.quarantine) == 1


def test_deeply_nested_json_is_quarantined_not_a_recursion_error(
    tmp_path: Path, loaded: Callable[..., Loaded]
) -> None:
    (tmp_path / "deep.log").write_bytes(b"[" * 200_000 + b"]" * 200_000)
    (tmp_path / "nested.log").write_text("[" * 600 + json.dumps({"message": record(1)}) + "]" * 600)
    (tmp_path / "ok.log").write_text(json.dumps({"events": [{"message": record(2)}]}))
    with deadline(120):
        got = loaded(tmp_path)
    assert len(got.frame) == 1
    reasons = dict(zip(got.quarantine["file"], got.quarantine["reason"], strict=True))
    assert set(reasons) == {str(tmp_path / "deep.log"), str(tmp_path / "nested.log")}
    assert all("nested too deeply" in r for r in reasons.values())
