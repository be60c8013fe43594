"""Check that this checkout's enrichment gives the same values as a baseline checkout's.

Loads each given source with ``fk.read`` (default enrichment; for a folder with an
``inventory.json`` also with that inventory) and hunts it, in a fresh interpreter per checkout,
and compares the frames column by column (values and missing cells; dtypes may differ where the
enrichment's dtypes were changed on purpose: they are listed) and the findings.

    git worktree add --detach /tmp/flowkit-before main
    flowkit sample /tmp/fk_sample
    python benchmarks/check_enrich_same.py --base /tmp/flowkit-before /tmp/fk_sample x.log.gz

Exit status 1 when any value or finding differs.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parents[1]

_CHILD = r"""
import pickle, sys, warnings
from pathlib import Path
warnings.simplefilter("ignore")
import flowkit as fk
src, out = sys.argv[1], sys.argv[2]
inv = Path(src) / "inventory.json"
result = {}
runs = [("default", {})] + ([("inventory", {"inventory": str(inv)})] if inv.exists() else [])
for name, kw in runs:
    df = fk.read(src, progress=False, **kw)
    found = fk.hunt(df)
    result[name] = (df, found)
pickle.dump(result, open(out, "wb"))
"""


def _load(src: str, checkout: Path, out: Path) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    subprocess.run([sys.executable, "-c", _CHILD, src, str(out)], check=True, env=env, cwd="/")
    with out.open("rb") as fh:
        return dict(pickle.load(fh))


def _same_values(a: pd.Series, b: pd.Series) -> bool:
    if not a.isna().equals(b.isna()):
        return False
    keep = ~a.isna().to_numpy()
    va = np.asarray(a.astype(object).to_numpy()[keep])
    vb = np.asarray(b.astype(object).to_numpy()[keep])
    return bool((va == vb).all()) if len(va) else True


def compare(old: pd.DataFrame, new: pd.DataFrame, label: str) -> list[str]:
    """Differences between two enriched frames (columns, values); dtype changes are printed."""
    problems = []
    if list(old.columns) != list(new.columns):
        problems.append(f"{label}: columns differ: {list(old.columns)} vs {list(new.columns)}")
    for col in old.columns.intersection(new.columns):
        if str(old[col].dtype) != str(new[col].dtype):
            print(f"  {label}: {col}: dtype {old[col].dtype} -> {new[col].dtype}")
        if not _same_values(old[col], new[col]):
            problems.append(f"{label}: {col}: values differ")
    if len(old) != len(new):
        problems.append(f"{label}: {len(old)} rows vs {len(new)}")
    f0 = old.attrs.get("flowkit", {}).get("facts")
    f1 = new.attrs.get("flowkit", {}).get("facts")
    for field in dataclasses.fields(f0) if f0 is not None and f1 is not None else ():
        a, b = getattr(f0, field.name), getattr(f1, field.name)
        same = a.equals(b) if isinstance(a, pd.DataFrame) else a == b
        if not same:
            problems.append(f"{label}: the facts' {field.name} differ")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Compare every source; print what differs."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("sources", nargs="+")
    ap.add_argument("--base", type=Path, required=True, help="the baseline checkout")
    args = ap.parse_args(argv)
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, src in enumerate(args.sources):
            old = _load(src, args.base.resolve(), Path(tmp) / f"old{i}.pkl")
            new = _load(src, HERE, Path(tmp) / f"new{i}.pkl")
            for name in old:
                (df0, f0), (df1, f1) = old[name], new[name]
                label = f"{src} ({name})"
                problems += compare(df0, df1, label)
                b0 = df0.memory_usage(deep=True).sum() / max(len(df0), 1)
                b1 = df1.memory_usage(deep=True).sum() / max(len(df1), 1)
                print(f"{label}: {len(df1):,} rows, {df1.shape[1]} columns, bytes/row "
                      f"{b0:.1f} -> {b1:.1f}; {len(f1)} findings")  # fmt: skip
                if not f0.reset_index(drop=True).equals(f1.reset_index(drop=True)):
                    problems.append(f"{label}: hunt findings differ")
    for p in problems:
        print("DIFFERENT:", p)
    print("same values and findings" if not problems else f"{len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
