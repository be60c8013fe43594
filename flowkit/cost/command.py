"""``flowkit cost PATH [--prices FILE] [--inventory FILE] [--format table|json]``.

Reads the flow logs, enriches them (with the ENI inventory when there is one), and writes the
estimated data-transfer cost per dimension and the savings list.  Volumes are in GiB (2^30
bytes, AWS's billing unit for data transfer; JSON keys ``gib``, ``monthly_gib``), ``rate`` in
USD per GiB; both outputs say so (``period.units`` in JSON, a line above the table).

Examples
--------
>>> import json, io, contextlib, flowkit as fk
>>> from flowkit.cli import main
>>> folder = fk.__path__[0] + "/../tests/data/versions/v5.log"
>>> out = io.StringIO()
>>> with contextlib.redirect_stdout(out):
...     status = main(["cost", folder, "--format", "json"])
>>> status, sorted(json.loads(out.getvalue()))
(0, ['by_dimension', 'period', 'recommendations'])
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["UNITS", "add_arguments", "cost_report", "run"]

#: What the numbers of the report are in (printed with the table, ``period.units`` in JSON).
UNITS = ("volumes (gib, monthly_gib) in GiB of 2^30 bytes, AWS's billing unit for data "
         "transfer; rate in USD per GiB; cost in USD")  # fmt: skip


def add_arguments(sub: argparse.ArgumentParser) -> None:
    """Arguments of the ``cost`` verb."""
    sub.add_argument("path", help="flow-log files or folders (any layout fk.read accepts)")
    sub.add_argument("--prices", default=None, help="price table YAML (default: the bundled one)")
    sub.add_argument(
        "--inventory", default=None,
        help="describe-network-interfaces JSON or inventory CSV (default PATH/inventory.json "
             "when it exists); gives the AZ of every ENI",
    )  # fmt: skip
    sub.add_argument("--format", choices=["table", "json"], default="table", help="output")
    sub.add_argument("--top", type=int, default=5, help="pairs and destinations to list")


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    rows = frame.to_dict("records")
    return [
        {str(k): (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        for row in rows
    ]


def cost_report(
    df: pd.DataFrame, *, prices_path: str | None = None, top: int = 5
) -> dict[str, Any]:
    """Cost per dimension and the savings list of enriched records, as plain data."""
    from flowkit.cost import classify_transfer, estimate_cost, load_prices, recommend_savings

    prices = load_prices(prices_path)
    classified = classify_transfer(df)
    by_dim = estimate_cost(classified, prices).round(4)
    recs = recommend_savings(classified, prices, top=top).round(4)
    meta = by_dim.attrs["flowkit"]["cost"]
    period = {"days": round(meta["days"], 6), "prices": f"{prices.version} ({prices.region})",
              "cost": round(float(by_dim["cost"].sum()), 4),
              "monthly_cost": round(float(by_dim["monthly_cost"].sum()), 4),
              "units": UNITS}  # fmt: skip
    return {"period": period, "by_dimension": _records(by_dim), "recommendations": _records(recs)}


def _table(report: dict[str, Any]) -> str:
    from flowkit.display import readable

    p = report["period"]
    head = (f"period: {p['days']} days; prices {p['prices']}; estimated cost ${p['cost']:.2f} "
            f"(${p['monthly_cost']:.2f} per month)\nunits: {p['units']}\n")  # fmt: skip
    dims = readable(pd.DataFrame(report["by_dimension"]))
    recs = pd.DataFrame(report["recommendations"])
    recs = readable(recs.drop(columns=["action", "detail"], errors="ignore"))
    return (f"{head}\ncost by dimension\n{dims.to_string(index=False)}\n\n"
            f"savings\n{recs.to_string(index=False)}\n")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Run the ``cost`` verb; 0 on success, 2 on bad input, 3 when the load holds no evidence
    (no "$0.00" from nothing)."""
    from flowkit.cli_read import no_evidence, read_for_verb
    from flowkit.enrich import enrich
    from flowkit.errors import FlowkitError, NoEvidenceError

    inventory = args.inventory
    if inventory is None and (Path(args.path) / "inventory.json").is_file():
        inventory = str(Path(args.path) / "inventory.json")
    try:
        df = read_for_verb("cost", args.path)
        df = enrich(df, inventory=inventory)
        report = cost_report(df, prices_path=args.prices, top=args.top)
    except NoEvidenceError as exc:
        return no_evidence("cost", args.path, exc)
    except (FlowkitError, ValueError, FileNotFoundError, KeyError) as exc:
        sys.stderr.write(f"flowkit cost: {exc}\n")
        return 2
    if args.format == "json":
        sys.stdout.write(json.dumps(report, indent=2, default=str) + "\n")
    else:
        sys.stdout.write(_table(report))
    return 0
