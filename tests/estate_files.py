"""A small seeded estate of flow-log files, shared by the convert and Dask tests.

Two accounts and Regions over three hours, gzip and plain text, the default and a v5 format,
NODATA records, bad lines, a CloudWatch JSON dump and an empty file.
"""

from __future__ import annotations

import gzip
import json
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

import flowkit as fk

HEADER = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    "start end action log-status"
)
V5_HEADER = HEADER + " vpc-id flow-direction traffic-path"
T0 = datetime(2024, 6, 8, 0, 0, tzinfo=UTC)


def records(
    rng: np.random.Generator, n: int, window: datetime, account: str, v5: bool
) -> list[str]:
    """``n`` records ending in the 5-minute window at ``window``."""
    end = int(window.timestamp()) + rng.integers(0, 300, n)
    start = end - rng.integers(0, 61, n)
    src = rng.integers(1, 40, n)
    dst = rng.integers(1, 40, n)
    dport = rng.choice([22, 80, 443, 3389, 53], n)
    proto = rng.choice([6, 17, 1], n)
    packets = rng.integers(1, 100, n)
    size = packets * rng.integers(40, 1500, n)
    action = rng.choice(["ACCEPT", "REJECT"], n, p=[0.8, 0.2])
    lines = []
    for i in range(n):
        line = (
            f"{5 if v5 else 2} {account} eni-{src[i] % 7:04x} 10.0.0.{src[i]} 198.51.100.{dst[i]} "
            f"{40000 + i % 2000} {dport[i]} {proto[i]} {packets[i]} {size[i]} {start[i]} {end[i]} "
            f"{action[i]} OK"
        )
        if v5:
            line += (
                f" vpc-0a{src[i] % 3} {'egress' if i % 2 else 'ingress'} {'1' if i % 2 else '-'}"
            )
        lines.append(line)
    return lines


def write_estate(
    root: Path,
    *,
    seed: int,
    step: int,
    per_file: tuple[int, int],
    bad_at: int,
    bad_number: bool,
    events: int,
) -> Path:
    """Write the estate under ``root``: a file every ``step`` windows of 5 minutes, with
    ``per_file`` records (low, high), a bad line in window ``bad_at`` (and a non-numeric
    protocol there with ``bad_number``), and ``events`` CloudWatch events."""
    rng = np.random.default_rng(seed)
    for account, region, v5 in (("111122223333", "us-east-1", False),
                                ("444455556666", "eu-west-1", True)):  # fmt: skip
        for k in range(0, 36, step):
            window = T0 + timedelta(minutes=5 * k)
            folder = root / "AWSLogs" / account / "vpcflowlogs" / region / f"{window:%Y/%m/%d}"
            folder.mkdir(parents=True, exist_ok=True)
            lines = records(rng, int(rng.integers(*per_file)), window, account, v5)
            t = int(window.timestamp())
            nodata = f"2 {account} eni-00ff - - - - - - - {t} {t + 60} - NODATA"
            lines.insert(3, nodata + (" - - -" if v5 else ""))
            if k == bad_at:
                lines.insert(5, "this is not a flow record")
                if bad_number:
                    tokens = lines[8].split()
                    tokens[7] = "x6"  # protocol is not a number
                    lines.insert(9, " ".join(tokens))
            stem = f"{account}_vpcflowlogs_{region}_fl-0abc_{window:%Y%m%dT%H%MZ}_{k:08x}.log"
            body = "\n".join([V5_HEADER if v5 else HEADER, *lines]) + "\n"
            if k % 2:
                (folder / stem).write_text(body)
            else:
                (folder / f"{stem}.gz").write_bytes(gzip.compress(body.encode()))
    cw = root / "cloudwatch"
    cw.mkdir()
    dump = [
        {"message": line, "ingestionTime": 1717804800123 + i, "logStreamName": f"eni-{i % 2}"}
        for i, line in enumerate(
            records(rng, events, T0 + timedelta(hours=1), "111122223333", False)
        )
    ]
    (cw / "events.log").write_text(json.dumps({"events": dump}))
    (cw / "empty.log").write_text("")
    return root


def read_quiet(source: object, **options: object) -> pd.DataFrame:
    """``fk.read`` with its quarantine warning silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return fk.read(source, **options)  # type: ignore[arg-type,call-overload,no-any-return]


def normalized(df: pd.DataFrame) -> pd.DataFrame:
    """Used categories sorted, rows sorted by every column, a fresh index (order-free)."""
    out = df.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            used = out[col].cat.remove_unused_categories()  # a time filter keeps unused ones
            out[col] = used.cat.set_categories(sorted(used.cat.categories))
    out = out.sort_values(list(out.columns), kind="stable", na_position="first")
    out = out.reset_index(drop=True)
    out.attrs = {}
    return out
