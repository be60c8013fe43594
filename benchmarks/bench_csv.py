"""Benchmark CSV exports against the same records as flow-log text, in one run.

Writes N default-format records (seeded) as S3 text, as an Athena result (every value quoted),
as unquoted snake_case CSV, and as the quoted CSV with one blank line (which sends the file to
the line-by-line path), then loads each with ``fk.read(enrich=False)`` in this process,
interleaved, best of R rounds, and prints the CPU seconds (user + sys) and the ratio to text.

    python benchmarks/bench_csv.py                  # 500,000 records, 3 rounds
    python benchmarks/bench_csv.py --records 2000000 --rounds 5
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import warnings
from pathlib import Path

import numpy as np

import flowkit as fk


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def write(folder: Path, n: int) -> dict[str, Path]:
    """The same records four ways; returns name -> path."""
    rng = np.random.default_rng(7)
    cols = [
        np.full(n, "2"),
        np.full(n, "123456789010"),
        np.char.add("eni-", rng.integers(0, 200, n).astype(str)),
        np.char.add("10.0.1.", rng.integers(1, 255, n).astype(str)),
        np.char.add("198.51.100.", rng.integers(1, 255, n).astype(str)),
        rng.integers(1024, 65535, n).astype(str),
        rng.choice(["443", "80", "22", "3389"], n),
        np.full(n, "6"),
        rng.integers(1, 100, n).astype(str),
        rng.integers(40, 90000, n).astype(str),
        (1_700_000_000 + rng.integers(0, 86_400, n)).astype(str),
        (1_700_000_060 + rng.integers(0, 86_400, n)).astype(str),
        rng.choice(["ACCEPT", "REJECT"], n),
        np.full(n, "OK"),
    ]
    rows = list(zip(*cols, strict=True))
    names = [f.replace("-", "_") for f in fk.DEFAULT_FIELDS]
    quoted = ['"' + '","'.join(r) + '"' for r in rows]
    paths = {
        "text": folder / "a.log",
        "csv quoted (Athena)": folder / "quoted.csv",
        "csv plain": folder / "plain.csv",
        "csv line by line": folder / "blank.csv",
    }
    paths["text"].write_text(
        " ".join(fk.DEFAULT_FIELDS) + "\n" + "\n".join(map(" ".join, rows)) + "\n"
    )
    head = '"' + '","'.join(names) + '"'
    paths["csv quoted (Athena)"].write_text(head + "\n" + "\n".join(quoted) + "\n")
    paths["csv plain"].write_text(",".join(names) + "\n" + "\n".join(map(",".join, rows)) + "\n")
    paths["csv line by line"].write_text(head + "\n\n" + "\n".join(quoted) + "\n")
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=500_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        paths = write(Path(tmp), args.records)
        best = dict.fromkeys(paths, float("inf"))
        for _ in range(args.rounds):
            for name, path in paths.items():
                before = _cpu()
                df = fk.read(path, enrich=False, progress=False)
                best[name] = min(best[name], _cpu() - before)
                assert len(df) == args.records, name
                del df
    print(f"{args.records:,} records, best of {args.rounds} rounds, CPU seconds (user+sys)")
    for name, seconds in best.items():
        rate = args.records / seconds / 1e6
        ratio = seconds / best["text"]
        print(f"  {name:<22} {seconds:7.2f} s  {rate:5.2f} M rows/s  {ratio:5.2f}x text")


if __name__ == "__main__":
    main()
