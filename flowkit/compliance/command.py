"""``flowkit audit PATH --policy FILE [--security-groups FILE] [--inventory FILE] --html OUT``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["add_arguments", "run"]


def add_arguments(sub: argparse.ArgumentParser) -> None:
    """Register the ``audit`` arguments."""
    sub.add_argument("path", help="flow logs: a folder, files or an s3:// URL")
    sub.add_argument("--policy", required=True, help="policy YAML (see data/policy.yaml)")
    sub.add_argument("--security-groups", default=None,
                     help="describe-security-groups JSON: list rules never used")  # fmt: skip
    sub.add_argument("--inventory", default=None, help="describe-network-interfaces JSON")
    sub.add_argument("--html", required=True, help="HTML report to write")
    sub.add_argument("--start", default=None, help="audit period start (UTC, ISO)")
    sub.add_argument("--end", default=None, help="audit period end (UTC, ISO)")
    sub.add_argument("--window", default="5min", help="coverage window (default 5min)")
    sub.add_argument("--fail-on-breach", action="store_true",
                     help="exit with status 1 when a breach is found")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Run the audit; 0 on success, 1 with ``--fail-on-breach`` and breaches, 2 on bad input,
    3 when the load holds no evidence (no report is written: "0 breaches" needs records)."""
    from flowkit.cli_read import no_evidence, read_for_verb
    from flowkit.compliance import (
        audit_report,
        check_policy,
        coverage,
        coverage_gaps,
        coverage_summary,
        load_policy,
        missing_deliveries,
        security_group_usage,
    )
    from flowkit.enrich import load_inventory
    from flowkit.errors import FlowkitError, NoEvidenceError

    try:
        policy = load_policy(args.policy)
        inv = load_inventory(args.inventory) if args.inventory else None
        df = read_for_verb("audit", args.path, start=args.start, end=args.end, inventory=inv,
                           vpc_cidrs=list(policy.vpc_cidrs) or None)  # fmt: skip
        violations = check_policy(df, policy, inventory=inv)
        enis = list(inv.table["interface_id"]) if inv is not None else None
        cov = coverage(df, window=args.window, start=args.start, end=args.end, interfaces=enis)
        usage = None
        if args.security_groups:
            if inv is None:
                raise ValueError("--security-groups needs --inventory (which ENI has which group)")
            usage = security_group_usage(df, args.security_groups, inv)
    except NoEvidenceError as exc:
        return no_evidence("audit", args.path, exc)
    except (FlowkitError, ValueError, OSError, KeyError) as exc:
        sys.stderr.write(f"flowkit audit: {exc}\n")
        return 2
    inputs = [args.policy, *[p for p in (args.security_groups, args.inventory) if p]]
    if not str(args.path).startswith("s3://"):
        inputs.append(args.path)
    page = audit_report(
        violations=violations, policy=policy, coverage=coverage_summary(cov),
        gaps=coverage_gaps(cov), missing_files=missing_deliveries(df, start=args.start,
                                                                    end=args.end),
        usage=usage, inputs=inputs,
        parameters={"path": args.path, "policy": args.policy, "inventory": args.inventory,
                    "security_groups": args.security_groups, "start": args.start,
                    "end": args.end, "window": args.window, "records": len(df)},
    )  # fmt: skip
    Path(args.html).write_text(page, encoding="utf-8")
    breaches = int((violations["outcome"] == "breach").sum()) if len(violations) else 0
    blocked = len(violations) - breaches
    sys.stdout.write(f"audit: {breaches} breach row(s), {blocked} blocked row(s); {args.html}\n")
    return 1 if args.fail_on_breach and breaches else 0
