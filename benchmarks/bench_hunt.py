"""Benchmark ``fk.hunt`` on the large sample scale (about 5M records): time and memory.

Loads a flow-log folder once (by default one generated with
``flowkit sample /tmp/fk_large --seed 7 --days 2 --scale large --parquet``), then, in the same
process, times ``fk.hunt`` (view building plus every detection) and samples the process's
resident memory while it runs.  Prints records, the frame's size, hunt seconds, the peak RSS
added by the hunt as a multiple of the frame, and the findings.

    python benchmarks/bench_hunt.py /tmp/fk_large
    python benchmarks/bench_hunt.py /tmp/fk_large --repeat 3

Targets (issue 5): <= 15 s for 5M records on 2 cores; memory added by the hunt <= 3x the frame.
CPU seconds are printed too: on a shared machine the wall time depends on the load average.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from pathlib import Path

import psutil

import flowkit as fk


def _peak_rss(stop: threading.Event, out: list[int]) -> None:
    proc = psutil.Process()
    while not stop.is_set():
        out.append(proc.memory_info().rss)
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default="/tmp/fk_large")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--threat-list", default=str(Path("data/threat_list.txt")))
    args = parser.parse_args()

    t = time.perf_counter()
    df = fk.read(args.path)
    load_s = time.perf_counter() - t
    frame_bytes = int(df.memory_usage(deep=True).sum())
    print(f"records: {len(df):,}  frame: {frame_bytes / 1e6:.0f} MB  load: {load_s:.1f} s")
    for _ in range(args.repeat):
        base = psutil.Process().memory_info().rss
        samples: list[int] = []
        stop = threading.Event()
        watcher = threading.Thread(target=_peak_rss, args=(stop, samples), daemon=True)
        watcher.start()
        t, cpu = time.perf_counter(), time.process_time()
        found = fk.hunt(df, threat_list=args.threat_list)
        hunt_s, cpu_s = time.perf_counter() - t, time.process_time() - cpu
        stop.set()
        watcher.join()
        added = max([*samples, base]) - base
        print(
            f"hunt: {hunt_s:.1f} s wall, {cpu_s:.1f} s CPU ({len(df) / hunt_s / 1e6:.2f} M "
            f"records/s; load average {os.getloadavg()[0]:.1f})  "
            f"peak memory added: {added / 1e6:.0f} MB = {added / frame_bytes:.2f}x the frame"
        )
    print(found[["finding", "severity", "actor", "target", "dstport", "flows"]].to_string())


if __name__ == "__main__":
    main()
