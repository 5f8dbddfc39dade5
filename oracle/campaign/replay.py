"""``python -m oracle replay CASE.json``: judge one case (or the cases of a .jsonl file) and show why.

Each case prints a line (its id, dtype and ops, abbreviated past ``SHOWN_OPS`` gates) and
the table of its records. Exit 0 when every record is ``match``, ``kink`` or non-finite on
both sides; 1 when any is a mismatch, forward mismatch, error or one-sided non-finite; 2 for
bad input: a file that is missing, not UTF-8, not JSON, not a valid case, larger than
``--max-memory / 16`` bytes, or a case whose graph would need more than ``--max-memory``.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from oracle.campaign.judge import judge
from oracle.core.case import Case, load_cases
from oracle.core.errors import EXIT_CLEAN, EXIT_DIVERGENCE, UserError
from oracle.core.options import DEFAULT_MAX_MEMORY, memory_size
from oracle.core.output import RowFile, check_writable
from oracle.core.record import to_frame
from oracle.core.table import records_table

SHOWN_OPS = 12  # a longer graph prints its first ops, the count, and its last ops


def register(subparsers: Any, name: str) -> None:
    parser = subparsers.add_parser(name, help="judge one case file and show every input's verdict")
    parser.add_argument("case", help="a case .json file, or a .jsonl file of cases")
    parser.add_argument("--case-id", help="in a .jsonl file, replay only the case with this id")
    parser.add_argument("--out", help="also write the records as CSV here")
    parser.add_argument(
        "--max-memory",
        type=memory_size,
        default=DEFAULT_MAX_MEMORY,
        metavar="SIZE",
        help="refuse a case estimated to need more (4G)",
    )
    parser.set_defaults(run=run)


def short_ops(case: Case) -> str:
    """The case's ops, space separated; past SHOWN_OPS gates, the first and last few and the count."""
    ops = [node["op"] for node in case.graph["nodes"]]
    if len(ops) <= SHOWN_OPS:
        return " ".join(ops)
    head, tail = ops[: SHOWN_OPS - 3], ops[-3:]
    return f"{' '.join(head)} ... {' '.join(tail)} ({len(ops):,} gates)"


def run(args: argparse.Namespace) -> int:
    if args.out:
        check_writable(args.out)
    cases = load_cases(args.case, args.max_memory)
    if args.case_id:
        cases = [c for c in cases if c.case_id == args.case_id]
        if not cases:
            raise UserError(f"{args.case}: no case with id {args.case_id!r}")
    records = []
    for number, case in enumerate(cases):
        with np.errstate(all="ignore"):  # overflow and NaN become records, not warnings on stderr
            found = judge([case])[0]
        records += found
        print(("\n" if number else "") + f"case {case.case_id} ({case.dtype}): {short_ops(case)}")
        print(records_table(found))
    if args.out:
        with RowFile(args.out) as out:
            out.append(to_frame(records).to_csv(None, index=False, lineterminator="\n"))
        print(f"wrote {len(records)} records to {args.out}")
    return EXIT_DIVERGENCE if any(r.failed for r in records) else EXIT_CLEAN
