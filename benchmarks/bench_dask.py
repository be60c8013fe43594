"""Benchmark the Parquet conversion and the Dask engine (issue 9).

Generates a seeded estate of gzip flow-log files (default format, S3 key names, NODATA records)
in a temporary folder, then:

1. **ratio**: the same task (``fk.read`` with enrichment, then the aggregations below) with the
   pandas engine and with the Dask engine on a ``LocalCluster`` of 2 worker processes, on
   ``--records`` records (default 5 M); prints both times, the ratio, and peak memory.
2. **big** (``--big N``, e.g. 50 M): ``fk.convert`` of the whole estate to Parquet (records/s,
   peak memory), then the aggregations and a transfer-cost estimate on Dask over the Parquet
   folder with a total worker memory limit (``--memory-limit``, default 4 GB for 2 workers).

The aggregations stand in for the hunt's (which other modules will provide): bytes by
destination port, rejected records by source address, bytes per 5 minutes, bytes by account.

Run::

    .venv/bin/python benchmarks/bench_dask.py                      # 5 M pandas vs Dask
    .venv/bin/python benchmarks/bench_dask.py --records 0 --big 50000000
"""

from __future__ import annotations

import argparse
import gzip
import os
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psutil
import pyarrow as pa
import pyarrow.compute as pc

import flowkit as fk

HEADER = (
    b"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    b"start end action log-status\n"
)
T0 = 1_717_804_800  # 2024-06-08T00:00:00Z
RECORDS_PER_FILE = 250_000
ACCOUNTS = ("111122223333", "444455556666")
PRICE_PER_GB = 0.09  # USD per GB out to the internet (an illustrative rate for the estimate)

try:  # ISA-L gzip is several times faster than zlib; the files are the same format
    from isal import igzip as _gzip
except ImportError:  # pragma: no cover
    _gzip = gzip  # type: ignore[no-redef]


@lru_cache(maxsize=4)
def _pool(prefix: str, n: int) -> pa.Array:
    i = np.arange(n)
    return pa.array([f"{prefix}{a}.{b}" for a, b in zip(i // 250, i % 250, strict=True)])


def _file_text(rng: np.random.Generator, n: int, t_file: int, account: str) -> bytes:
    """Text of one file: ``n`` default-format records ending in the file's 5-minute window."""
    src, dst = _pool("10.0.", 5000), _pool("198.51.", 20000)
    end = t_file + rng.integers(0, 300, n)
    start = end - rng.integers(0, 61, n)
    packets = rng.integers(1, 200, n)
    nodata = rng.random(n) < 0.01
    cols: list[pa.Array] = [
        pa.array(np.full(n, "2", dtype=object)),
        pa.array(np.full(n, account, dtype=object)),
        pc.binary_join_element_wise(
            "eni-", pc.cast(pa.array(rng.integers(0, 400, n)), pa.string()), ""
        ),
        src.take(pa.array(rng.integers(0, len(src), n))),
        dst.take(pa.array(rng.zipf(1.3, n) % len(dst))),
        pc.cast(pa.array(rng.integers(1024, 65536, n)), pa.string()),
        pc.cast(pa.array(rng.choice([22, 53, 80, 443, 3389, 8080], n)), pa.string()),
        pc.cast(pa.array(rng.choice([6, 17, 1], n, p=[0.8, 0.15, 0.05])), pa.string()),
        pc.cast(pa.array(packets), pa.string()),
        pc.cast(pa.array(packets * rng.integers(40, 1500, n)), pa.string()),
        pc.cast(pa.array(start), pa.string()),
        pc.cast(pa.array(end), pa.string()),
        pa.array(np.where(rng.random(n) < 0.1, "REJECT", "ACCEPT").astype(object)),
        pa.array(np.full(n, "OK\n", dtype=object)),
    ]
    dash = pa.scalar("-")
    for i in (3, 4, 5, 6, 7, 8, 9, 12):  # NODATA: no addresses, ports, counts or action
        cols[i] = pc.if_else(pa.array(nodata), dash, cols[i])
    cols[13] = pc.if_else(pa.array(nodata), pa.scalar("NODATA\n"), cols[13])
    lines = pc.binary_join_element_wise(*cols, " ")
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset :]
    offsets = offsets[: len(lines) + 1]
    data = lines.buffers()[2]
    return HEADER + data.to_pybytes()[offsets[0] : offsets[-1]]


def generate(folder: Path, records: int, seed: int = 9) -> tuple[int, int]:
    """Write ``records`` records in gzip files of 250,000, two accounts, one file per 5 minutes
    per account; return (records, bytes of text)."""
    rng = np.random.default_rng(seed)
    files = max(1, -(-records // RECORDS_PER_FILE))
    text_bytes = 0
    for k in range(files):
        account = ACCOUNTS[k % 2]
        t_file = T0 + (k // 2) * 300
        stamp = time.strftime("%Y%m%dT%H%MZ", time.gmtime(t_file))
        day = time.strftime("%Y/%m/%d", time.gmtime(t_file))
        out = folder / "AWSLogs" / account / "vpcflowlogs" / "us-east-1" / day
        out.mkdir(parents=True, exist_ok=True)
        n = min(RECORDS_PER_FILE, records - k * RECORDS_PER_FILE)
        text = _file_text(rng, n, t_file, account)
        text_bytes += len(text)
        name = f"{account}_vpcflowlogs_us-east-1_fl-0bench_{stamp}_{k:08x}.log.gz"
        (out / name).write_bytes(_gzip.compress(text, 1))
    return records, text_bytes


class PeakMemory:
    """Samples the resident memory of this process and its children (the Dask workers)."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss(self) -> int:
        me = psutil.Process()
        total = me.memory_info().rss
        for child in me.children(recursive=True):
            with suppress(psutil.Error):
                total += child.memory_info().rss
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            time.sleep(self.interval)

    def __enter__(self) -> PeakMemory:
        self.peak = self._rss()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())


@contextmanager
def measured(label: str, records: int) -> Iterator[dict[str, float]]:
    out: dict[str, float] = {}
    with PeakMemory() as mem:
        t = time.perf_counter()
        yield out
        out["seconds"] = time.perf_counter() - t
    out["peak_gib"] = mem.peak / 2**30
    out["records_per_s"] = records / out["seconds"]
    print(
        f"{label:<44} {out['seconds']:8.1f} s {out['records_per_s'] / 1e6:7.2f} M records/s "
        f"peak {out['peak_gib']:5.2f} GiB (process + workers)",
        flush=True,
    )


def aggregations(df: Any) -> tuple[Any, ...]:
    """Stand-ins for the hunt's group-bys; each reduces to a small result (pandas or Dask)."""
    ok = df[df["log_status"] == "OK"]
    return (
        ok.groupby("dstport", observed=True)["bytes"].sum(),
        ok[ok["action"] == "REJECT"].groupby("srcaddr", observed=True)["bytes"].count(),
        ok.assign(bin=ok["end"].dt.floor("5min")).groupby("bin")["bytes"].sum(),
        ok.groupby("account_id", observed=True)["bytes"].sum(),
    )


def cost_estimate(bytes_by_account: pd.Series) -> pd.Series:
    """Illustrative transfer cost per account (USD) from total bytes."""
    return (bytes_by_account.astype("float64") / 1e9 * PRICE_PER_GB).round(2)


def _same(a: tuple[Any, ...], b: tuple[Any, ...]) -> None:
    for x, y in zip(a, b, strict=True):
        x = x.sort_index()
        y = y.sort_index()
        x.index = x.index.astype(str)
        y.index = y.index.astype(str)
        pd.testing.assert_series_equal(x, y, check_dtype=False, check_names=False)


def _cluster(memory_limit: str, scratch: Path) -> Any:
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None, memory_limit=memory_limit,
                           local_directory=str(scratch))  # fmt: skip
    return cluster, Client(cluster)


def run_ratio(tmp: Path, records: int, memory_limit: str) -> None:
    import dask

    folder = tmp / "ratio"
    t = time.perf_counter()
    _, text = generate(folder, records)
    print(f"generated {records:,} records, {text / 1e9:.2f} GB of text in "
          f"{time.perf_counter() - t:.0f} s", flush=True)  # fmt: skip
    with measured("pandas: fk.read + enrich + group-bys", records) as p:
        df = fk.read(folder)
        expected = aggregations(df)
        del df
    cluster, client = _cluster(memory_limit, tmp / "scratch")
    try:
        client.run(lambda: None)  # workers are up before timing
        with measured("dask (2 procs): fk.read + enrich + group-bys", records) as d:
            ddf = fk.read(folder, engine="dask", client=client)
            got = dask.compute(*aggregations(ddf))
        _same(expected, got)
    finally:
        client.close()
        cluster.close()
    with measured("dask (threads): fk.read + enrich + group-bys", records) as th:
        ddf = fk.read(folder, engine="dask")
        _same(expected, dask.compute(*aggregations(ddf), scheduler="threads"))
    print(f"ratio dask(2 procs)/pandas time: {d['seconds'] / p['seconds']:.2f}; "
          f"dask(threads)/pandas: {th['seconds'] / p['seconds']:.2f}", flush=True)  # fmt: skip


def run_big(tmp: Path, records: int, memory_limit: str) -> None:
    import dask

    folder = tmp / "big"
    t = time.perf_counter()
    _, text = generate(folder, records)
    print(f"generated {records:,} records, {text / 1e9:.2f} GB of text in "
          f"{time.perf_counter() - t:.0f} s", flush=True)  # fmt: skip
    out = tmp / "big-parquet"
    with measured("convert: gzip text -> Parquet (1 process)", records):
        summary = fk.convert(folder, out, progress=False)
    size = sum(p.stat().st_size for p in out.rglob("*.parquet"))
    print(f"  {summary.records:,} records in {summary.parts_written} files, "
          f"{size / 1e9:.2f} GB Parquet", flush=True)  # fmt: skip
    cluster, client = _cluster(memory_limit, tmp / "scratch")
    try:
        client.run(lambda: None)
        with measured("dask over Parquet: group-bys + cost", records):
            ddf = fk.read(out, engine="dask", client=client)
            results = dask.compute(*aggregations(ddf))
            cost = cost_estimate(results[3])
        print(f"  bytes by port: {len(results[0])} rows; rejected sources: {len(results[1])}; "
              f"5-min bins: {len(results[2])}; cost by account (USD): {cost.to_dict()}",
              flush=True)  # fmt: skip
    finally:
        client.close()
        cluster.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=5_000_000, help="pandas vs Dask size")
    parser.add_argument("--big", type=int, default=0, help="convert + Dask size (0: skip)")
    parser.add_argument("--memory-limit", default="2GB", help="per worker (2 workers)")
    parser.add_argument("--workdir", default=None, help="folder for the temporary data")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", UserWarning)
    print(f"flowkit benchmark on {os.cpu_count()} cores, "
          f"{psutil.virtual_memory().total / 2**30:.0f} GiB", flush=True)  # fmt: skip
    with tempfile.TemporaryDirectory(dir=args.workdir, prefix="flowkit-bench-") as tmp:
        if args.records:
            run_ratio(Path(tmp), args.records, args.memory_limit)
        if args.big:
            run_big(Path(tmp), args.big, args.memory_limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
