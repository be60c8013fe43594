"""Measure the orientation of REJECT records on real traffic: how many are oriented backwards.

Reads the estates of ``../shared/real-dev`` (or the folders given): real captures converted to
VPC flow logs (default format: no ``tcp-flags``), where every REJECT record is logged on the
target's ENI, so its source opened the connection (see that folder's README).  For each
estate, and for this checkout (``new``) and a baseline checkout (``base``, e.g. a worktree of
``main``), prints the REJECT records, how many the enrichment orients backwards
(``client_addr`` is the destination), how many it leaves without a client, and, for ``new``,
the rule that decided (``orient_rule``).  Evaluation only: nothing of those estates goes into
the project.

    git worktree add --detach /tmp/flowkit-base main        # the baseline, once
    python benchmarks/eval_orientation.py --base /tmp/flowkit-base
    python benchmarks/eval_orientation.py /path/to/estate --base /tmp/flowkit-base
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
REAL_DEV = HERE.parents[1] / "shared" / "real-dev"

_CHILD = r"""
import json, sys, warnings
warnings.simplefilter("ignore")
import flowkit as fk
out = {}
for root in sys.argv[1:]:
    df = fk.read(root + "/AWSLogs", progress=False)
    rej = df[(df["action"] == "REJECT").to_numpy(dtype=bool, na_value=False)]
    client = rej["client_addr"].astype(object)
    src, dst = rej["srcaddr"].astype(object), rej["dstaddr"].astype(object)
    rules = (rej["orient_rule"].astype(object).value_counts(dropna=False).to_dict()
             if "orient_rule" in rej else {})
    out[root] = {"records": len(df), "rejects": len(rej),
                 "backwards": int((client == dst).sum() - (client == src).mul(src == dst).sum()),
                 "unknown": int(client.isna().sum()),
                 "rules": {str(k): int(v) for k, v in rules.items()}}
print(json.dumps(out))
"""


def _run(roots: list[str], checkout: Path) -> dict[str, dict[str, object]]:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    got = subprocess.run([sys.executable, "-c", _CHILD, *roots], capture_output=True,
                         text=True, check=True, env=env, cwd="/")  # fmt: skip
    return dict(json.loads(got.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    """Print the REJECT orientation per estate and in total."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("estates", nargs="*", help=f"estate folders (default: those in {REAL_DEV})")
    ap.add_argument("--base", type=Path, help="a baseline checkout (e.g. a worktree of main)")
    args = ap.parse_args(argv)
    roots = args.estates or sorted(str(p.parent) for p in REAL_DEV.glob("*/ground_truth.json"))
    if not roots:
        print(f"no estate found (looked in {REAL_DEV})")
        return 1
    checkouts = {"new": HERE, **({"base": args.base.resolve()} if args.base else {})}
    results = {name: _run(roots, checkout) for name, checkout in checkouts.items()}
    print(f"{'estate':<36} {'checkout':<8} {'records':>9} {'REJECT':>8} {'backwards':>10} "
          f"{'share':>7} {'no client':>10}  rules (new)")  # fmt: skip
    totals = {name: [0, 0, 0] for name in checkouts}
    for root in roots:
        for name in checkouts:
            r = results[name][root]
            rejects, back, unknown = int(r["rejects"]), int(r["backwards"]), int(r["unknown"])  # type: ignore[call-overload]
            t = totals[name]
            t[0], t[1], t[2] = t[0] + rejects, t[1] + back, t[2] + unknown
            share = back / rejects if rejects else 0.0
            rules = r["rules"] if name == "new" else ""
            print(f"{Path(root).name:<36} {name:<8} {r['records']:>9,} {rejects:>8,} {back:>10,} "
                  f"{share:>7.1%} {unknown:>10,}  {rules}")  # fmt: skip
    for name, (rejects, back, unknown) in totals.items():
        share = back / rejects if rejects else 0.0
        print(f"{'total':<36} {name:<8} {'':>9} {rejects:>8,} {back:>10,} {share:>7.1%} "
              f"{unknown:>10,}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
