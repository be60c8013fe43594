"""Benchmark what the default enrichment costs on top of the raw load, side by side with a
baseline checkout, in one run (issue 15 item 4, issue 17 item 3).

Generates N seeded default-format records (the generator of ``bench_read.py``: 300 ENIs,
20,000 remote peers; N/2 connections, each a request and a reply record), writes one
``.log.gz`` and converts it with ``flowkit convert`` (Parquet), then loads each in a fresh
interpreter, for this checkout (``new``) and a baseline checkout (``base``, e.g. ``main``),
interleaved round by round, best of N rounds:

* ``fk.read(path, enrich=False)`` and ``fk.read(path)`` (the default enrichment) on the
  ``.gz`` and on the Parquet folder: wall and CPU seconds, bytes/row of the frame;
* the ratios the targets are stated in: default / raw on the same files (target <= 1.3 on the
  ``.gz``, <= 2 on Parquet), <= 75 bytes/row for the default frame;
* a profile of the enrichment per column group (scopes, AWS services, direction and local
  ends, roles and orientation, service names) for ``new``.

    git worktree add --detach /tmp/flowkit-base main        # the baseline, once
    python benchmarks/bench_enrich.py --base /tmp/flowkit-base
    python benchmarks/bench_enrich.py --records 1000000 --rounds 3 --data /tmp/bench-enrich

CPU time is the honest measure on a shared machine (other processes inflate wall time); both
are printed.  Without ``--base`` only this checkout is measured.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pyarrow as pa
from bench_read import HEADER, make_table, records_text

HERE = Path(__file__).resolve().parents[1]


def paired_table(n: int, seed: int) -> pa.Table:
    """n records: n/2 connections of ``make_table``, each with its reply record, by start."""
    req = make_table((n + 1) // 2, seed)
    swap = {"srcaddr": "dstaddr", "dstaddr": "srcaddr", "srcport": "dstport", "dstport": "srcport"}
    rep = req.rename_columns([swap.get(c, c) for c in req.column_names]).select(req.column_names)
    both = pa.concat_tables([req, rep.slice(0, n // 2)])
    return both.sort_by([("start", "ascending"), ("interface_id", "ascending")])


_LOAD = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
import flowkit as fk
path, enrich = sys.argv[1], sys.argv[2] == "1"
fk.read(path, enrich=enrich, progress=False)  # warm: bundled tables, the OS cache
t, c = time.perf_counter(), time.process_time()
df = fk.read(path, enrich=enrich, progress=False)
wall, cpu = time.perf_counter() - t, time.process_time() - c
print(json.dumps({"wall": wall, "cpu": cpu, "rows": len(df), "columns": df.shape[1],
                  "bytes_per_row": float(df.memory_usage(deep=True).sum()) / max(len(df), 1),
                  "flowkit": fk.__file__}))
"""

_PROFILE = r"""
import sys, time, warnings
warnings.simplefilter("ignore")
import numpy as np
import flowkit as fk
from flowkit.enrich.aws import effective_space, ip_ranges, aws_columns
from flowkit.enrich.basic import add_basic
from flowkit.enrich.direction import direction_columns, service_columns
from flowkit.enrich.names import add_tcp_flags_label, service_categorical
from flowkit.enrich.scope import scope_codes
from flowkit.enrich.sides import sides
df = fk.read(sys.argv[1], enrich=False, progress=False)
fk.enrich.enrich(df.head(1000))
def cpu(fn):
    c = time.process_time(); out = fn(); return time.process_time() - c, out
parts = {}
parts["basic (protocol name, duration, tcp-flags label)"], _ = cpu(
    lambda: add_tcp_flags_label(add_basic(df)))
parts["address space (distinct addresses)"], space = cpu(lambda: effective_space(df)[0])
parts["scopes"], _ = cpu(lambda: [space.take(scope_codes(space), i, -1) for i in range(2)])
parts["AWS services and regions"], _ = cpu(lambda: aws_columns(df, space, 4, 5, ip_ranges()))
parts["sides: local ends, orientation, facts"], s = cpu(lambda: sides(df, None, None))
parts["direction and local/remote columns"], _ = cpu(lambda: direction_columns(s))
parts["roles, client/server, orient_rule"], _ = cpu(lambda: service_columns(s))
parts["service names"], _ = cpu(
    lambda: service_categorical(df, np.where(s.client, s.dport, s.sport), ~s.cknown))
for name, seconds in parts.items():
    print(f"  {name:<52} cpu {seconds:6.2f} s")
seconds, conv = cpu(lambda: fk.conversations(df))
print(f"  fk.conversations ({len(conv):,} conversations)               cpu {seconds:6.2f} s")
"""


def _run(code: str, args: list[str], checkout: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         check=True, env=env, cwd="/")  # fmt: skip
    return out.stdout


def _load(path: Path, enrich: bool, checkout: Path) -> dict[str, float]:
    out = _run(_LOAD, [str(path), "1" if enrich else "0"], checkout)
    return dict(json.loads(out.strip().splitlines()[-1]))


def _data(folder: Path, records: int, seed: int) -> tuple[Path, Path]:
    gz, parquet = folder / "records.log.gz", folder / "parquet"
    if not gz.exists():
        t = time.perf_counter()
        text = HEADER.encode() + records_text(paired_table(records, seed))
        gz.write_bytes(gzip.compress(text, compresslevel=6, mtime=0))
        print(f"generated {records:,} records in {time.perf_counter() - t:.1f} s: {gz}")
    if not parquet.exists():
        subprocess.run([sys.executable, "-m", "flowkit.cli", "convert", "--no-progress",
                        str(gz), str(parquet)], check=True, capture_output=True)  # fmt: skip
    return gz, parquet


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--records", type=int, default=5_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--rounds", type=int, default=3, help="best of N interleaved rounds")
    ap.add_argument("--base", type=Path, help="a baseline checkout (e.g. a worktree of main)")
    ap.add_argument("--data", type=Path, default=Path("/tmp/flowkit-bench-enrich"),
                    help="folder for the generated files (kept and reused)")  # fmt: skip
    args = ap.parse_args(argv)
    args.data.mkdir(parents=True, exist_ok=True)
    gz, parquet = _data(args.data, args.records, args.seed)
    checkouts = {"new": HERE, **({"base": args.base.resolve()} if args.base else {})}
    files = (("gz", gz), ("parquet", parquet))
    runs = [(name, fmt, path, enrich)
            for name in checkouts for fmt, path in files for enrich in (False, True)]  # fmt: skip
    best: dict[tuple[str, str, bool], dict[str, float]] = {}
    for r in range(args.rounds):
        for name, fmt, path, enrich in runs:
            got = _load(path, enrich, checkouts[name])
            key = (name, fmt, enrich)
            if key not in best or got["cpu"] < best[key]["cpu"]:
                best[key] = {**got, "wall": min(got["wall"], best.get(key, got)["wall"])}
        print(f"round {r + 1}/{args.rounds} done; load average "
              f"{Path('/proc/loadavg').read_text().split()[0]}")  # fmt: skip
    print(f"\n{args.records:,} default-format records; best of {args.rounds} interleaved rounds, "
          "each load in its own process after a warm-up load")  # fmt: skip
    print(f"{'checkout':<8} {'files':<8} {'load':<20} {'wall s':>7} {'cpu s':>7} {'bytes/row':>10}")
    for name, fmt, _, enrich in runs:
        b = best[(name, fmt, enrich)]
        label = "fk.read()" if enrich else "fk.read(enrich=False)"
        print(f"{name:<8} {fmt:<8} {label:<20} {b['wall']:7.2f} {b['cpu']:7.2f} "
              f"{b['bytes_per_row']:10.1f}")  # fmt: skip
    print("\nratios: default enrichment / raw load on the same files (cpu; wall)")
    for name in checkouts:
        for fmt, target in (("gz", 1.3), ("parquet", 2.0)):
            e, r = best[(name, fmt, True)], best[(name, fmt, False)]
            ratio, per_row = e["cpu"] / r["cpu"], e["bytes_per_row"]
            print(f"  {name:<5} {fmt:<8} enriched / raw = {ratio:5.2f}x cpu; "
                  f"{e['wall'] / r['wall']:5.2f}x wall (target <= {target}x): "
                  f"{'met' if ratio <= target else 'NOT met'}; default frame {per_row:.1f} "
                  f"bytes/row (target <= 75): {'met' if per_row <= 75 else 'NOT met'}")  # fmt: skip
    if "base" in checkouts:
        for fmt in ("gz", "parquet"):
            n, b = best[("new", fmt, True)], best[("base", fmt, True)]
            print(f"  fk.read() {fmt:<8} new / base: cpu {n['cpu'] / b['cpu']:.2f}x, "
                  f"wall {n['wall'] / b['wall']:.2f}x")  # fmt: skip
    print("\nenrichment per column group (new, cpu; one run on the .gz):")
    print(_run(_PROFILE, [str(gz)], HERE), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
