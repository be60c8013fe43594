"""Write records exactly as AWS delivers flow logs to S3.

One object per flow log per 5-minute window of record ``end`` times, named
``<account>_vpcflowlogs_<region>_<fl-id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz`` under
``AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/`` (or the Hive layout), each text object a
gzip member with a header line of the flow log's field names.  Gzip headers carry no name and
``mtime=0`` and the hash is derived from the seed, so the same records give the same bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from flowkit.schema import column_name
from flowkit.synth.estate import AWS_SERVICE_RANGES, Estate, FlowLog, ips_in
from flowkit.synth.flows import Table

__all__ = ["WriteResult", "format_columns", "key_of", "write_flow_logs"]

FILE_WINDOW = 300
#: Records formatted at a time (whole files; bounds memory at large scales).
BATCH = 400_000
_OCTETS = pa.array([str(i) for i in range(256)])
_INT32 = ("version", "srcport", "dstport", "protocol", "tcp-flags", "traffic-path")


@dataclass
class WriteResult:
    """What was written: paths relative to the output folder, and record counts per flow log."""

    files: list[str] = field(default_factory=list)
    records: dict[str, int] = field(default_factory=dict)
    size: int = 0


def key_of(
    account: str,
    region: str,
    flow_log_id: str,
    window: int,
    digest: str,
    *,
    hive: bool,
    parquet: bool = False,
) -> str:
    """Return the S3 key of one delivered object (``window`` is its epoch second).

    >>> key_of("123456789012", "us-east-1", "fl-1", 1_793_577_900, "0a1b2c3d", hive=False)[-70:]
    '123456789012_vpcflowlogs_us-east-1_fl-1_20261102T0005Z_0a1b2c3d.log.gz'
    >>> key_of("123456789012", "us-east-1", "fl-1", 1_793_577_900, "0a1b2c3d", hive=True)[:99]
    'AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2026/month=11'
    """
    t = datetime.fromtimestamp(window, tz=UTC)
    if hive:
        folder = (
            f"AWSLogs/aws-account-id={account}/aws-service=vpcflowlogs/aws-region={region}/"
            f"year={t:%Y}/month={t:%m}/day={t:%d}"
        )
    else:
        folder = f"AWSLogs/{account}/vpcflowlogs/{region}/{t:%Y/%m/%d}"
    name = f"{account}_vpcflowlogs_{region}_{flow_log_id}_{t:%Y%m%dT%H%MZ}_{digest}"
    return f"{folder}/{name}.log.{'parquet' if parquet else 'gz'}"


def _ip_strings(values: np.ndarray, valid: np.ndarray) -> pa.Array:
    v = values.astype(np.int64)
    parts = [pc.take(_OCTETS, pa.array((v >> s) & 255)) for s in (24, 16, 8, 0)]
    joined = pc.binary_join_element_wise(*parts, ".")
    return pc.if_else(pa.array(valid), joined, pa.scalar(None, pa.string()))


def _ints(values: np.ndarray, valid: np.ndarray, name: str) -> pa.Array:
    typ = pa.int32() if name in _INT32 else pa.int64()
    return pa.array(values.astype(np.int64), mask=~valid).cast(typ)


def _strings(values: np.ndarray, valid: np.ndarray) -> pa.Array:
    return pa.array(values.astype(object), type=pa.string(), mask=~valid)


def _service(addr: np.ndarray, valid: np.ndarray) -> pa.Array:
    out = np.full(len(addr), None, dtype=object)
    for cidr, name in AWS_SERVICE_RANGES:
        out[ips_in(addr, cidr) & valid] = name
    return pa.array(out, type=pa.string())


def format_columns(estate: Estate, fl: FlowLog, rec: Table) -> dict[str, pa.Array]:
    """Typed Arrow columns (nulls where AWS writes ``-``) of the fields of one flow log.

    >>> import numpy as np
    >>> from flowkit.synth.estate import default_estate
    >>> from flowkit.synth.flows import expand, make
    >>> est = default_estate()
    >>> rec = expand(est, make(1, {"cli": est.ip("app-1"), "srv": est.ip("db-pg-1")}), 0)
    >>> cols = format_columns(est, est.flow_logs[0], rec)
    >>> cols["flow-direction"].to_pylist(), cols["traffic-path"].to_pylist()
    (['egress', 'ingress', 'ingress', 'egress'], [1, None, None, 1])
    """
    tbl = estate.table()
    n = len(rec["eni"])
    ok = rec["status"] == 0
    egress = rec["direction"] == 1
    e = rec["eni"]
    const = np.ones(n, dtype=bool)
    action = np.where(rec["action"] == 1, "ACCEPT", "REJECT").astype(object)
    status = np.array(["OK", "NODATA", "SKIPDATA"], dtype=object)[rec["status"]]
    builders = {
        "version": lambda: _ints(np.full(n, fl.version), const, "version"),
        "account-id": lambda: _strings(np.full(n, estate.account, dtype=object), const),
        "interface-id": lambda: _strings(tbl["eni_id"][e], const),
        "srcaddr": lambda: _ip_strings(rec["src"], ok),
        "dstaddr": lambda: _ip_strings(rec["dst"], ok),
        "srcport": lambda: _ints(rec["srcport"], ok, "srcport"),
        "dstport": lambda: _ints(rec["dstport"], ok, "dstport"),
        "protocol": lambda: _ints(rec["proto"], ok, "protocol"),
        "packets": lambda: _ints(rec["pkts"], ok, "packets"),
        "bytes": lambda: _ints(rec["bytes"], ok, "bytes"),
        "start": lambda: _ints(rec["start"], const, "start"),
        "end": lambda: _ints(rec["end"], const, "end"),
        "action": lambda: _strings(action, ok),
        "log-status": lambda: _strings(status, const),
        "vpc-id": lambda: _strings(np.full(n, estate.vpc_id, dtype=object), const),
        "subnet-id": lambda: _strings(tbl["subnet_id"][e], const),
        "instance-id": lambda: _strings(tbl["instance_id"][e], tbl["instance_id"][e] != "-"),
        "tcp-flags": lambda: _ints(rec["flags"], ok, "tcp-flags"),
        "type": lambda: _strings(np.full(n, "IPv4", dtype=object), ok),
        "pkt-srcaddr": lambda: _ip_strings(rec["psrc"], ok),
        "pkt-dstaddr": lambda: _ip_strings(rec["pdst"], ok),
        "region": lambda: _strings(np.full(n, estate.region, dtype=object), const),
        "az-id": lambda: _strings(tbl["az_id"][e], const),
        "sublocation-type": lambda: pa.nulls(n, pa.string()),
        "sublocation-id": lambda: pa.nulls(n, pa.string()),
        "pkt-src-aws-service": lambda: _service(rec["psrc"], ok),
        "pkt-dst-aws-service": lambda: _service(rec["pdst"], ok),
        "flow-direction": lambda: _strings(
            np.where(egress, "egress", "ingress").astype(object), ok
        ),
        "traffic-path": lambda: _ints(rec["path"], ok & egress & (rec["path"] > 0), "traffic-path"),
    }
    missing = [f for f in fl.fields if f not in builders]
    if missing:
        raise ValueError(f"the generator cannot fill fields {missing} of {fl.flow_log_id}")
    return {f: builders[f]() for f in fl.fields}


class _Lines:
    """Record lines as one byte buffer with line offsets, so a file is one slice (no per-line
    Python objects, which matters at 5 M records)."""

    def __init__(self, columns: dict[str, pa.Array]) -> None:
        as_text = [pc.fill_null(c.cast(pa.string()), "-") for c in columns.values()]
        lines = pc.binary_join_element_wise(*as_text, " ")
        lines = pc.binary_join_element_wise(lines, "", "\n").cast(pa.large_string())
        arr = lines.combine_chunks() if isinstance(lines, pa.ChunkedArray) else lines
        n = len(arr)
        self.offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[
            arr.offset : arr.offset + n + 1
        ]
        self.data = arr.buffers()[2]

    def slice(self, a: int, b: int) -> bytes:
        """The text of lines ``a`` to ``b - 1``, each ending in a newline."""
        if self.data is None:
            return b""
        return self.data[int(self.offsets[a]) : int(self.offsets[b])].to_pybytes()


def write_flow_logs(
    estate: Estate,
    rec: Table,
    out_dir: Path,
    *,
    seed: int,
    parquet: bool = False,
    hive: bool = False,
) -> WriteResult:
    """Write every flow log's records into its 5-minute objects under ``out_dir``.

    Returns the keys written (relative to ``out_dir``), the records per flow log, and the
    bytes on disk.  A flow log without records writes nothing.

    >>> import tempfile
    >>> from flowkit.synth.estate import default_estate
    >>> from flowkit.synth.flows import expand, make
    >>> est = default_estate()
    >>> rec = expand(est, make(1, {"cli": est.ip("app-1"), "srv": est.ip("db-pg-1")}), 60)
    >>> tmp = tempfile.TemporaryDirectory()
    >>> out = write_flow_logs(est, rec, Path(tmp.name), seed=1)
    >>> out.records, len(out.files)
    ({'fl-0a1b2c3d4e5f67890': 2, 'fl-0f9e8d7c6b5a43210': 2}, 2)
    >>> tmp.cleanup()
    """
    result = WriteResult()
    pool = ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1))
    jobs: list[Future[None]] = []
    fl_of = estate.table()["flow_log"][rec["eni"]]
    window = rec["end"] // FILE_WINDOW * FILE_WINDOW
    order = np.lexsort(
        (
            rec["direction"],
            rec["srcport"],
            rec["dst"],
            rec["src"],
            rec["eni"],
            rec["start"],
            window,
            fl_of,
        )
    )
    for i, fl in enumerate(estate.flow_logs):
        idx = order[fl_of[order] == i]
        result.records[fl.flow_log_id] = len(idx)
        if not len(idx):
            continue
        win = window[idx]
        bounds = np.flatnonzero(np.diff(win)) + 1
        starts = np.concatenate([[0], bounds]).astype(int)
        ends = np.concatenate([bounds, [len(win)]]).astype(int)
        # format a batch of whole files at a time, so large estates stay within memory
        batch = np.concatenate([[0], np.flatnonzero(np.diff(starts // BATCH)) + 1, [len(starts)]])
        for lo, hi in itertools.pairwise(batch):
            if lo == hi:
                continue
            first, last = int(starts[lo]), int(ends[hi - 1])
            part = {k: v[idx[first:last]] for k, v in rec.items()}
            files = [
                (int(win[a]), a - first, b - first)
                for a, b in zip(starts[lo:hi], ends[lo:hi], strict=True)
            ]
            _write_batch(estate, fl, part, files, out_dir, seed, parquet, hive, pool, jobs, result)
            for job in jobs:  # bound the text waiting to be compressed
                job.result()
            jobs.clear()
    try:
        for job in jobs:
            job.result()
    finally:
        pool.shutdown(cancel_futures=True)
    result.size = sum((out_dir / key).stat().st_size for key in result.files)
    return result


def _write_batch(
    estate: Estate,
    fl: FlowLog,
    part: Table,
    files: list[tuple[int, int, int]],
    out_dir: Path,
    seed: int,
    parquet: bool,
    hive: bool,
    pool: ThreadPoolExecutor,
    jobs: list[Future[None]],
    result: WriteResult,
) -> None:
    """Write the objects of one batch: ``files`` holds (window, first row, end row)."""
    columns = format_columns(estate, fl, part)
    lines = None if parquet else _Lines(columns)
    table = pa.table({column_name(f): c for f, c in columns.items()}) if parquet else None
    header = (" ".join(fl.fields) + "\n").encode("ascii")
    for w, a, b in files:
        digest = hashlib.sha256(f"{seed}:{fl.flow_log_id}:{w}".encode()).hexdigest()[:8]
        key = key_of(estate.account, estate.region, fl.flow_log_id, w, digest, hive=hive,
                     parquet=parquet)  # fmt: skip
        path = out_dir / key
        path.parent.mkdir(parents=True, exist_ok=True)
        if table is not None:
            pq.write_table(table.slice(a, b - a), path, compression="snappy")
        else:
            assert lines is not None
            jobs.append(pool.submit(_write_gzip, path, header + lines.slice(a, b)))
        result.files.append(key)


def _write_gzip(path: Path, body: bytes) -> None:
    """Compress (zlib releases the GIL, so files compress in parallel) and write one object."""
    path.write_bytes(gzip.compress(body, compresslevel=6, mtime=0))
