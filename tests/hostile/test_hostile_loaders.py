"""Threat lists, inventories and ip-ranges files: typed errors naming the file and the line, and
one meaning of ``threat_list`` for ``fk.read`` and ``fk.hunt`` (issue 16 item 13)."""

from __future__ import annotations

import gzip
import json
import warnings
from pathlib import Path

import pytest
from hostile import T0, write_log

import flowkit as fk
from flowkit.detect.intel import find_threat_intel
from flowkit.enrich import load_inventory, load_ip_ranges, load_threat_list
from flowkit.errors import FileFormatError, SourceError


def _error(call: object, *args: object) -> FileFormatError:
    with pytest.raises(FileFormatError) as info:
        call(*args)  # type: ignore[operator]
    return info.value


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("# list\n203.0.113.7\n\n10.0.0.999,c2\n", 4, "'10.0.0.999' is not an address or CIDR"),
        ("network,label\n203.0.113.0/24,scan\nexample.com,x\n", 3,
         "'example.com' is not an address or CIDR"),
        ("network,label\n,empty\n", 2, "'' is not an address or CIDR"),
    ],
)  # fmt: skip
def test_a_bad_threat_list_entry_names_its_line(
    tmp_path: Path, text: str, line: int, reason: str
) -> None:
    path = tmp_path / "threats.txt"
    path.write_text(text)
    err = _error(load_threat_list, path)
    assert (err.file, err.line, err.reason) == (str(path), line, reason)


def test_threat_lists_that_are_not_text_or_not_there(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes(b"203.0.113.7,caf\xe9\n")
    assert _error(load_threat_list, path).line == 1
    with pytest.raises(SourceError, match=r"no-such-list\.txt"):
        load_threat_list(tmp_path / "no-such-list.txt")


def test_a_bad_inventory_names_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "enis.json"
    broken.write_text('{"NetworkInterfaces": [\n  {"NetworkInterfaceId": "eni-1"},\n  oops\n]}')
    err = _error(load_inventory, broken)
    assert (err.line, err.reason.startswith("not valid JSON")) == (3, True)
    odd = tmp_path / "odd.json"
    odd.write_text('{"NetworkInterfaces": [\n  {"NetworkInterfaceId": "eni-1"},\n  "eni-2"\n]}')
    err = _error(load_inventory, odd)
    assert (err.line, err.reason) == (3, "NetworkInterfaces[1] is not an object")
    csv = tmp_path / "enis.csv"
    csv.write_text("name,role\nweb-1,web\n")
    err = _error(load_inventory, csv)
    assert (err.line, err.reason) == (1, "an inventory needs an 'interface_id' column")
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("interface_id,name\neni-1,web\neni-2,db,extra\n")
    assert _error(load_inventory, ragged).line == 3
    latin = tmp_path / "latin1.csv"
    latin.write_bytes(b"interface_id,name\neni-1,caf\xe9\n")
    assert _error(load_inventory, latin).line == 2


def test_a_bad_ip_ranges_file_names_file_and_line(tmp_path: Path) -> None:
    doc = {"syncToken": "1", "createDate": "x", "prefixes": [
        {"ip_prefix": "192.0.2.0/24", "region": "us-east-1", "service": "S3"},
        {"ip_prefix": "192.0.2.0/33", "region": "us-east-1", "service": "S3"},
    ]}  # fmt: skip
    path = tmp_path / "ip-ranges.json.gz"
    path.write_bytes(gzip.compress(json.dumps(doc, indent=1).encode()))
    err = _error(load_ip_ranges, path)
    assert err.reason == "prefixes[1]: '192.0.2.0/33' is not a CIDR"
    assert err.line == 10
    doc["prefixes"][1] = {"ip_prefix": "192.0.2.0/25"}
    path.write_bytes(gzip.compress(json.dumps(doc, indent=1).encode()))
    assert _error(load_ip_ranges, path).reason == "prefixes[1] needs 'region' and 'service'"
    path.write_bytes(gzip.compress(b'{"prefixes": [1, 2,]}'))
    assert _error(load_ip_ranges, path).reason.startswith("not valid JSON")


def test_threat_list_means_the_same_for_read_and_hunt(tmp_path: Path) -> None:
    lines = [f"2 123456789012 eni-0a1b2c3d4e5f6a7b8 10.0.0.5 203.0.113.7 40000 443 6 1 40 "
             f"{T0} {T0 + 60} ACCEPT OK"]  # fmt: skip
    logs = write_log(tmp_path / "a.log", lines)
    listed = tmp_path / "list.txt"
    listed.write_text("198.51.100.0/24\n")
    for threat_list in (["203.0.113.7"], "203.0.113.7", [str(listed), "203.0.113.0/24"]):
        df = fk.read(logs, threat_list=threat_list)
        assert df["threat_match"].tolist() == [True], threat_list
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = find_threat_intel(df, threat_list=threat_list)
        assert "203.0.113.7" in set(found["target"].astype(str)), threat_list
