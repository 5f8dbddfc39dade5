"""``python -m oracle check PATH.py``: check every known target in a course file, one CSV of records."""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from oracle.core.compare import DTYPES
from oracle.core.errors import EXIT_CLEAN, EXIT_DIVERGENCE, UserError
from oracle.core.options import whole_number
from oracle.core.output import check_writable
from oracle.core.record import STATUSES, Record, to_frame
from oracle.course import DEFAULT_SEEDS, check_target
from oracle.course.loading import load_module, select_targets
from oracle.course.verdicts import target_summary


def register(subparsers: Any, name: str) -> None:
    parser = subparsers.add_parser(
        name,
        help="check the gates, layers and losses in a course .py file",
        description="Check every known gate, layer and loss in a .py file against JAX. "
        "Exit 0: all correct; 1: a mismatch or error; 2: bad input.",
    )
    parser.add_argument("path", help="the .py file to check")
    parser.add_argument("--out", default="reports/check.csv", help="CSV report (default: %(default)s)")
    parser.add_argument(
        "--target", action="append", metavar="NAME", help="check only NAME (repeatable, or NAME,NAME)"
    )
    parser.add_argument("--seed", type=whole_number(0), default=0, help="first seed (default: %(default)s)")
    parser.add_argument(
        "--seeds",
        type=whole_number(1),
        default=DEFAULT_SEEDS,
        help="how many seeds (default: %(default)s)",
    )
    parser.add_argument(
        "--dtype", choices=DTYPES, default="float64", help="input dtype (default: %(default)s)"
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="show every record, not only the problems"
    )
    parser.set_defaults(run=run)


def _counts(records: Sequence[Record]) -> str:
    counts = Counter(r.status for r in records)
    return ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])


def _many(n: int, noun: str) -> str:
    return f"{n} {noun}" + "s" * (n != 1)


def run(args: argparse.Namespace) -> int:
    path = Path(args.path)
    if not path.exists():
        raise UserError(f"{path}: no such file")
    out = check_writable(args.out)
    module = load_module(path)
    names = [n for option in args.target for n in option.split(",") if n] if args.target else None
    targets = select_targets(module, names, args.dtype, args.path)
    last = args.seed + args.seeds - 1
    seeds = f"seed {args.seed}" if args.seeds == 1 else f"seeds {args.seed}-{last}"
    print(f"checking {path}: {_many(len(targets), 'target')}, {seeds}, {args.dtype}")
    records: list[Record] = []
    try:
        for target in targets:
            found = check_target(target, args.seed, args.seeds, args.dtype)
            records += found
            print(target_summary(target, found, args.seeds, args.dtype, args.verbose))
    finally:  # the records computed so far reach the disk, whatever happens
        to_frame(records, target=True).to_csv(out, index=False)
    summary = f"{_many(len(targets), 'target')}, {_many(len(records), 'record')}: {_counts(records)}"
    print(f"{summary}; wrote {out}")
    return EXIT_DIVERGENCE if any(r.failed for r in records) else EXIT_CLEAN
