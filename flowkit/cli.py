"""The ``flowkit`` command line: one small function per verb, registered in :data:`VERBS`.

To add a verb, write ``_add_<verb>(sub)`` (its arguments) and ``_run_<verb>(args) -> int``, and
add one row to :data:`VERBS`.  Messages go to stdout/stderr through ``sys.stdout.write``; the
exit status is the return value of :func:`main`.

Exit status: 0 done; 1 ``audit --fail-on-breach`` found a breach; 2 bad arguments or input
(a missing path, a bad config, records that lack a field the verb needs); 3
(:data:`NO_EVIDENCE`) the load holds no evidence to analyse (nothing read, no record, or more
lines quarantined than loaded; see :mod:`flowkit.evidence`): one line on stderr says what was
read, what was quarantined and what it looks like, and nothing else is written.  Verbs that
analyse a load read it with :func:`flowkit.cli_read.read_for_verb`.

Examples
--------
>>> import pathlib, tempfile
>>> tmp = tempfile.TemporaryDirectory()
>>> out = pathlib.Path(tmp.name) / "sample"
>>> main(["sample", str(out), "--seed", "3", "--days", "0.02"])  # doctest: +ELLIPSIS
wrote ... records in ... files to ...
0
>>> tmp.cleanup()
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from flowkit.cli_read import NEEDS, NO_EVIDENCE, no_evidence, read_for_verb, write_warnings

__all__ = [
    "NEEDS",
    "NO_EVIDENCE",
    "VERBS",
    "build_parser",
    "main",
    "no_evidence",
    "read_for_verb",
]


def _add_sample(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "out_dir", help="folder to write AWSLogs/..., ground_truth.json and inventory.json into"
    )
    sub.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    sub.add_argument("--days", type=float, default=2.0, help="length in days (default 2)")
    sub.add_argument(
        "--scale",
        choices=["small", "medium", "large"],
        default="small",
        help="background volume: ~0.2 M, 1 M or 5 M records for two days",
    )
    sub.add_argument(
        "--start", default="2026-11-02", help="first UTC minute, ISO format (default 2026-11-02)"
    )
    sub.add_argument("--parquet", action="store_true", help="write .log.parquet objects")
    sub.add_argument("--hive", action="store_true", help="use the Hive-compatible key layout")
    sub.add_argument(
        "--force", action="store_true", help="replace an existing AWSLogs folder in OUT_DIR"
    )
    sub.add_argument(
        "--draw-incidents", action="store_true",
        help="a fresh training estate: draw the incidents' actors, targets, ports and times "
        "from the seed (at least 1 day) and write threat_list.csv; without it the incidents "
        "are the sample's",
    )  # fmt: skip


def _run_sample(args: argparse.Namespace) -> int:
    from flowkit.synth import generate, generate_drawn

    try:
        s = (generate_drawn if args.draw_incidents else generate)(
            args.out_dir,
            seed=args.seed,
            days=args.days,
            scale=args.scale,
            start=args.start,
            parquet=args.parquet,
            hive=args.hive,
            overwrite=args.force,
        )
    except FileExistsError as exc:  # the library says overwrite=True; this command says --force
        sys.stderr.write(f"flowkit sample: {exc.filename} exists; add --force to replace it\n")
        return 2
    except ValueError as exc:
        sys.stderr.write(f"flowkit sample: {exc}\n")
        return 2
    sys.stdout.write(
        f"wrote {s.records} records in {s.files} files to {s.out_dir} "
        f"({s.size / 1e6:.1f} MB); incidents: {', '.join(s.incidents)}\n"
    )
    if args.draw_incidents:
        sys.stdout.write(f"drawn incidents: answers in ground_truth.json, threat list in "
                         f"{args.out_dir}/threat_list.csv\n")  # fmt: skip
    return 0


def _add_convert(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("src", nargs="+", help="flow-log files, folders or globs (text, gzip, JSON)")
    sub.add_argument("dst", help="Parquet folder to write (resumes if it holds a conversion)")
    sub.add_argument("--fields", default=None, help="format of header-less input (AWS format)")
    sub.add_argument(
        "--errors", choices=["quarantine", "raise"], default="quarantine",
        help="quarantine bad lines into DST/_quarantine.csv (default) or stop on the first",
    )  # fmt: skip
    sub.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _run_convert(args: argparse.Namespace) -> int:
    from flowkit.conversion import convert
    from flowkit.errors import FlowkitError
    from flowkit.evidence import judge_counts

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            s = convert(
                args.src, args.dst, fields=args.fields, errors=args.errors,
                progress=False if args.no_progress else None,
            )  # fmt: skip
    except (FlowkitError, ValueError) as exc:
        sys.stderr.write(f"flowkit convert: {exc}\n")
        return 2
    line = (f"converted {s.inputs_converted} input(s) ({s.bytes_read / 1e6:.1f} MB), skipped "
            f"{s.inputs_skipped} already converted: {s.records} records in {s.parts_written} "
            f"Parquet file(s), {s.quarantined} quarantined, in {args.dst}")  # fmt: skip
    resumed = s.inputs_converted == 0 and s.inputs_skipped > 0  # nothing new since last time
    verdict = judge_counts(files=s.inputs_converted, records=s.records,
                           quarantined=s.quarantined).verdict  # fmt: skip
    if verdict != "ok" and not resumed:
        why = {"nothing_read": "nothing read (no flow-log files)", "no_records": "no records",
               "mostly_quarantined": "more lines quarantined than converted"}[verdict]  # fmt: skip
        sys.stderr.write(f"flowkit convert: no evidence in {' '.join(args.src)}: {why}; {line}\n")
        return NO_EVIDENCE
    write_warnings("convert", caught)
    sys.stdout.write(line + "\n")
    return 0


def _cost_command() -> Any:
    from flowkit.cost import command

    return command


def _hunt_command() -> Any:
    from flowkit.detect import command

    return command


def _audit_command() -> Any:
    from flowkit.compliance import command

    return command


def _report_command() -> Any:
    from flowkit import nbreport

    return nbreport


#: verb -> (help line, add arguments, run)
VERBS: dict[
    str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]
] = {
    "sample": (
        "generate the synthetic estate's flow logs (the data/sample generator)",
        _add_sample,
        _run_sample,
    ),
    "convert": (
        "convert flow logs to a Hive-partitioned Parquet folder (resumable)",
        _add_convert,
        _run_convert,
    ),
    "cost": (
        "estimate the data-transfer cost per dimension and list savings",
        lambda sub: _cost_command().add_arguments(sub),
        lambda args: _cost_command().run(args),
    ),
    "hunt": (
        "run every security detection and print the findings with their evidence",
        lambda sub: _hunt_command().add_arguments(sub),
        lambda args: _hunt_command().run(args),
    ),
    "audit": (
        "check flow logs against a policy and write an HTML compliance report",
        lambda sub: _audit_command().add_arguments(sub),
        lambda args: _audit_command().run(args),
    ),
    "report": (
        "run a notebook on your data and write an HTML report with an evidence manifest",
        lambda sub: _report_command().add_arguments(sub),
        lambda args: _report_command().run(args),
    ),
}


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every registered verb."""
    parser = argparse.ArgumentParser(prog="flowkit", description="Investigate AWS VPC Flow Logs.")
    subs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for verb, (help_line, add, _) in VERBS.items():
        add(subs.add_parser(verb, help=help_line, description=help_line))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``flowkit`` command line and return its exit status."""
    args = build_parser().parse_args(argv)
    return VERBS[args.verb][2](args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
