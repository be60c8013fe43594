"""Benchmark enrichment and ``fk.conversations`` on N default-format records, in one run.

Generates N seeded default-format records (the generator of ``bench_read.py``: 300 ENIs,
20,000 remote peers; N/2 connections, each a request and a reply record), writes one
``.log.gz``, then in a fresh interpreter times
``fk.read(enrich=False)``, ``flowkit.enrich.enrich`` on that frame (with the VPC CIDR), and
``fk.conversations`` with its peak extra memory (RSS sampled every 5 ms) as a multiple of the
input frame's size.

    python benchmarks/bench_enrich.py                  # 5M records
    python benchmarks/bench_enrich.py --records 1000000

Targets (issue 4): enrichment adds <= 1.0 s for 5M records; conversations <= 10 s and memory
<= 3x the input frame.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pyarrow as pa
from bench_read import HEADER, make_table, records_text


def paired_table(n: int, seed: int) -> pa.Table:
    """n records: n/2 connections of ``make_table``, each with its reply record, by start."""
    req = make_table((n + 1) // 2, seed)
    swap = {"srcaddr": "dstaddr", "dstaddr": "srcaddr", "srcport": "dstport", "dstport": "srcport"}
    rep = req.rename_columns([swap.get(c, c) for c in req.column_names]).select(req.column_names)
    both = pa.concat_tables([req, rep.slice(0, n // 2)])
    return both.sort_by([("start", "ascending"), ("interface_id", "ascending")])


_CHILD = r"""
import json, sys, threading, time, warnings
import flowkit as fk
from flowkit.enrich import enrich
path, repeat = sys.argv[1], int(sys.argv[2])

def rss():
    return int(open("/proc/self/statm").read().split()[1]) * 4096

cpu = {}
def best(name, fn):
    times, cpus, out = [], [], None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    cpu[name] = min(cpus)
    return min(times), out

read_s, df = best("read", lambda: fk.read(path, enrich=False, progress=False))
basic_s, _ = best("read_basic", lambda: fk.read(path, progress=False))
enrich(df.head(1000), vpc_cidrs=["10.0.0.0/16"])  # load the bundled tables once
enrich_s, out = best("enrich", lambda: enrich(df, vpc_cidrs=["10.0.0.0/16"]))
frame = int(df.memory_usage(deep=True).sum())
peak = [0]
stop = threading.Event()
def sample():
    while not stop.is_set():
        peak[0] = max(peak[0], rss())
        time.sleep(0.005)
base = rss()
th = threading.Thread(target=sample)
th.start()
t, c = time.perf_counter(), time.process_time()
conv = fk.conversations(df)
conv_s = time.perf_counter() - t
cpu["conversations"] = time.process_time() - c
stop.set()
th.join()
print(json.dumps({"rows": len(df), "read_s": read_s, "read_basic_s": basic_s,
                  "enrich_s": enrich_s, "enriched_columns": out.shape[1] - df.shape[1],
                  "conv_s": conv_s, "conversations": len(conv), "frame_bytes": frame,
                  "conv_extra_bytes": max(peak[0] - base, 0), "cpu": cpu,
                  "load": open("/proc/loadavg").read().split()[0]}))
"""


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("records", nargs="?", type=int, default=5_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=2, help="best of N runs (noisy machines)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="flowkit-bench-") as tmp:
        t = time.perf_counter()
        path = Path(tmp) / "one.log.gz"
        text = HEADER.encode() + records_text(paired_table(args.records, args.seed))
        path.write_bytes(gzip.compress(text, compresslevel=6, mtime=0))
        del text
        print(f"generated {args.records:,} records in {time.perf_counter() - t:.1f} s")
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, str(path), str(args.repeat)],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
    rows, cpu = r["rows"], r["cpu"]
    print(f"{rows:,} rows; load average {r['load']} (wall and CPU seconds, best of {args.repeat})")
    print(f"fk.read(enrich=False)          wall {r['read_s']:6.2f} s  cpu {cpu['read']:6.2f} s")
    print(f"fk.read() (+protocol, duration) wall {r['read_basic_s']:5.2f} s  "
          f"cpu {cpu['read_basic']:6.2f} s")  # fmt: skip
    print(f"enrich(df, vpc_cidrs=...)      wall {r['enrich_s']:6.2f} s  cpu {cpu['enrich']:6.2f} s"
          f"  (+{r['enriched_columns']} columns; target <= 1.0 s)")  # fmt: skip
    print(f"read + enrich                  wall {r['read_s'] + r['enrich_s']:6.2f} s")
    extra = r["conv_extra_bytes"] / r["frame_bytes"]
    print(f"fk.conversations               wall {r['conv_s']:6.2f} s  "
          f"cpu {cpu['conversations']:6.2f} s  "
          f"({r['conversations']:,} conversations; target <= 10 s)")  # fmt: skip
    print(f"conversations extra memory        {extra:7.2f}x the input frame "
          f"({r['frame_bytes'] / 1e6:.0f} MB; target <= 3x)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
