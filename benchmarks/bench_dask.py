"""Benchmark the Parquet conversion and the Dask engine (issue 9).

Generates a seeded estate of gzip flow-log files (default format, S3 key names, NODATA records)
in a temporary folder, then:

1. **ratio**: the same task (``fk.read`` with enrichment, then :func:`analysis`: ``fk.hunt``,
   ``fk.throughput``, ``fk.coverage`` + ``fk.coverage_summary``, ``fk.top_talkers`` and
   ``fk.estimate_cost``) with the pandas engine and with the Dask engine on a ``LocalCluster``
   of 2 worker processes (and on local threads), on ``--records`` records (default 5 M); the
   results are checked equal; prints the times, the ratio and peak memory.  On Dask every one
   runs on the Dask frame (each reads the files one to three times, the cost estimate also
   shuffles the records by packet flow; ``fk.read`` reads them once more for the enrichment's
   facts).
2. **big** (``--big N``, e.g. 50 M): ``fk.convert`` of the whole estate to Parquet (records/s,
   peak memory), then on Dask over the Parquet folder with a total worker memory limit
   (``--memory-limit`` per worker, default 2 GB for 2 workers): the hunt's view (its
   group-bys on Dask), throughput and coverage; then top talkers and the cost estimate.
   ``--big-hunt`` also runs the detections on the view, in this process.

Run::

    .venv/bin/python benchmarks/bench_dask.py                      # 5 M pandas vs Dask
    .venv/bin/python benchmarks/bench_dask.py --records 0 --big 50000000
    .venv/bin/python benchmarks/bench_dask.py --records 0 --big 50000000 --parquet DIR  # reuse

The estate is shaped like a real one where it matters to the engine: each of 4,000 ENIs (2,000
per account) has one private address that every one of its records carries; peers are internet
hosts (80 %, heavy-tailed among 20,000) or other ENIs, half the records egress.

Measured here (2 cores, 24 GiB, 2026-11-26, nothing else running): 5 M records, pandas 87.8 s,
Dask on 2 processes 126.4 s (ratio 1.44), Dask on threads 116.6 s (1.33), results equal.
50 M records (5.63 GB of text): generate 70 s; convert 54.1 s (0.92 M records/s, peak 0.64
GiB), 0.70 GB of Parquet; with 2 workers of 2 GB: view + throughput + coverage 194.5 s (0.26 M
records/s; workers' peak 1.88 GiB together, this process 8.94 GiB: the 49.5 M-flow view), top
talkers + cost estimate 391.3 s (0.13 M records/s; workers 2.48 GiB, this process 6.57 GiB);
the hunt's detections on the 49.5 M-flow view (2.5 GiB), in this process: 498.5 s, peak 18.9
GiB.
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
from flowkit.detect import build_view

HEADER = (
    b"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    b"start end action log-status\n"
)
T0 = 1_717_804_800  # 2024-06-08T00:00:00Z
RECORDS_PER_FILE = 250_000
ACCOUNTS = ("111122223333", "444455556666")
ENIS_PER_ACCOUNT = 2000

try:  # ISA-L gzip is several times faster than zlib; the files are the same format
    from isal import igzip as _gzip
except ImportError:  # pragma: no cover
    _gzip = gzip  # type: ignore[no-redef]


@lru_cache(maxsize=4)
def _pool(prefix: str, n: int) -> pa.Array:
    i = np.arange(n)
    return pa.array([f"{prefix}{a}.{b}" for a, b in zip(i // 250, i % 250, strict=True)])


@lru_cache(maxsize=1)
def _eni_ids() -> pa.Array:
    return pa.array([f"eni-{k:017x}" for k in range(ENIS_PER_ACCOUNT * len(ACCOUNTS))])


def _file_text(rng: np.random.Generator, n: int, t_file: int, account: str) -> bytes:
    """Text of one file: ``n`` default-format records ending in the file's 5-minute window.

    As in a real estate, each ENI has one private address and every record of an ENI carries
    it (as the source of an egress record, the destination of an ingress one); the peer is an
    internet host (80 %, a heavy-tailed choice among 20,000) or another ENI of the account.
    """
    first = ACCOUNTS.index(account) * ENIS_PER_ACCOUNT
    own_pool, internet = _pool("10.0.", ENIS_PER_ACCOUNT * len(ACCOUNTS)), _pool("198.51.", 20000)
    eni = first + rng.integers(0, ENIS_PER_ACCOUNT, n)
    peer_eni = first + rng.integers(0, ENIS_PER_ACCOUNT, n)
    outside = rng.random(n) < 0.8
    own = own_pool.take(pa.array(eni))
    peer = pc.if_else(pa.array(outside), internet.take(pa.array(rng.zipf(1.3, n) % 20000)),
                      own_pool.take(pa.array(peer_eni)))  # fmt: skip
    egress = pa.array(rng.random(n) < 0.5)
    end = t_file + rng.integers(0, 300, n)
    start = end - rng.integers(0, 61, n)
    packets = rng.integers(1, 200, n)
    nodata = rng.random(n) < 0.01
    ephemeral = pc.cast(pa.array(rng.integers(1024, 65536, n)), pa.string())
    service = pc.cast(pa.array(rng.choice([22, 53, 80, 443, 3389, 8080], n)), pa.string())
    cols: list[pa.Array] = [
        pa.array(np.full(n, "2", dtype=object)),
        pa.array(np.full(n, account, dtype=object)),
        _eni_ids().take(pa.array(eni)),
        pc.if_else(egress, own, peer),
        pc.if_else(egress, peer, own),
        ephemeral,
        service,
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
    """Samples the resident memory of this process and of its children (the Dask workers)."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.peak = self.peak_self = self.peak_children = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        own = me.memory_info().rss
        children = 0
        for child in me.children(recursive=True):
            with suppress(psutil.Error):
                children += child.memory_info().rss
        self.peak = max(self.peak, own + children)
        self.peak_self = max(self.peak_self, own)
        self.peak_children = max(self.peak_children, children)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            time.sleep(self.interval)

    def __enter__(self) -> PeakMemory:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


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
        f"{label:<48} {out['seconds']:8.1f} s {out['records_per_s'] / 1e6:7.2f} M records/s "
        f"peak {out['peak_gib']:5.2f} GiB (this process {mem.peak_self / 2**30:.2f}, "
        f"workers {mem.peak_children / 2**30:.2f}); load {os.getloadavg()[0]:.1f}",
        flush=True,
    )


def analysis(df: Any) -> dict[str, pd.DataFrame]:
    """The real analytics, all Dask-capable (they take a Dask frame as they are): the hunt,
    throughput, coverage, top talkers and the cost estimate."""
    return {
        "hunt": fk.hunt(df),
        "throughput": fk.throughput(df, by="interface_id", freq="5min"),
        "coverage": fk.coverage_summary(fk.coverage(df)),
        "top_talkers": fk.top_talkers(df, n=20),
        "cost": fk.estimate_cost(df, by="interface_id"),
    }


def dask_aggregations(ddf: Any) -> tuple[Any, pd.DataFrame, pd.DataFrame]:
    """The Dask-capable aggregations (the big run: nothing is computed whole): the hunt's
    view (its group-bys run on Dask, their combination here), throughput and coverage."""
    view = build_view(ddf)
    return view, fk.throughput(ddf, by="interface_id", freq="5min"), fk.coverage(ddf)


def _same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        x, y = a[key].copy(), b[key].copy()
        x.attrs, y.attrs = {}, {}
        pd.testing.assert_frame_equal(x, y, obj=key)


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
    with measured("pandas: fk.read + enrich + analysis", records) as p:
        df = fk.read(folder)
        expected = analysis(df)
        del df
    cluster, client = _cluster(memory_limit, tmp / "scratch")
    try:
        client.run(lambda: None)  # workers are up before timing
        with measured("dask (2 procs): fk.read + enrich + analysis", records) as d:
            ddf = fk.read(folder, engine="dask", client=client)
            got = analysis(ddf)
        _same(expected, got)
    finally:
        client.close()
        cluster.close()
    with (
        dask.config.set(scheduler="threads"),
        measured("dask (threads): fk.read + enrich + analysis", records) as th,
    ):
        ddf = fk.read(folder, engine="dask")
        _same(expected, analysis(ddf))
    print(f"ratio dask(2 procs)/pandas time: {d['seconds'] / p['seconds']:.2f}; "
          f"dask(threads)/pandas: {th['seconds'] / p['seconds']:.2f}", flush=True)  # fmt: skip


def run_big(
    tmp: Path, records: int, memory_limit: str, hunt: bool, parquet: Path | None = None
) -> None:
    out = parquet or tmp / "big-parquet"
    if parquet is None:
        folder = tmp / "big"
        t = time.perf_counter()
        _, text = generate(folder, records)
        print(f"generated {records:,} records, {text / 1e9:.2f} GB of text in "
              f"{time.perf_counter() - t:.0f} s", flush=True)  # fmt: skip
        with measured("convert: gzip text -> Parquet (1 process)", records):
            summary = fk.convert(folder, out, progress=False)
        print(f"  {summary.records:,} records in {summary.parts_written} files", flush=True)
    size = sum(p.stat().st_size for p in out.rglob("*.parquet"))
    print(f"  {size / 1e9:.2f} GB of Parquet in {out}", flush=True)
    cluster, client = _cluster(memory_limit, tmp / "scratch")
    try:
        client.run(lambda: None)
        with measured("dask over Parquet: hunt view, throughput, coverage", records):
            ddf = fk.read(out, engine="dask", client=client)
            view, rates, cov = dask_aggregations(ddf)
        print(f"  view: {len(view.rec):,} flows, {len(view.addresses):,} addresses; "
              f"throughput rows: {len(rates):,}; coverage cells: {len(cov):,}",
              flush=True)  # fmt: skip
        del ddf, rates, cov
        with measured("dask over Parquet: top talkers, cost estimate", records):
            ddf = fk.read(out, engine="dask", client=client)
            talkers = fk.top_talkers(ddf, n=20)
            bill = fk.estimate_cost(ddf, by="interface_id")
        print(f"  top talker: {talkers['host'].iloc[0]} {int(talkers['bytes'].iloc[0]):,} bytes; "
              f"cost rows: {len(bill):,}, total ${float(bill['cost'].sum()):,.2f}",
              flush=True)  # fmt: skip
        del ddf
        if hunt:
            with measured("hunt detections on the view (this process)", records):
                found = fk.hunt(view)
            print(f"  findings: {found['finding'].value_counts().to_dict()}", flush=True)
    finally:
        client.close()
        cluster.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=5_000_000, help="pandas vs Dask size")
    parser.add_argument("--big", type=int, default=0, help="convert + Dask size (0: skip)")
    parser.add_argument("--memory-limit", default="2GB", help="per worker (2 workers)")
    parser.add_argument(
        "--parquet",
        default=None,
        help="big run on this convert output (N records) instead of a new one",
    )
    parser.add_argument("--big-hunt", action="store_true",
                        help="also run the detections on the big run's view")  # fmt: skip
    parser.add_argument("--workdir", default=None, help="folder for the temporary data")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", UserWarning)
    print(f"flowkit benchmark on {os.cpu_count()} cores, "
          f"{psutil.virtual_memory().total / 2**30:.0f} GiB", flush=True)  # fmt: skip
    with tempfile.TemporaryDirectory(dir=args.workdir, prefix="flowkit-bench-") as tmp:
        if args.records:
            run_ratio(Path(tmp), args.records, args.memory_limit)
        if args.big:
            parquet = Path(args.parquet) if args.parquet else None
            run_big(Path(tmp), args.big, args.memory_limit, args.big_hunt, parquet)
    return 0


if __name__ == "__main__":
    sys.exit(main())
