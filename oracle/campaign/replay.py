"""``python -m oracle replay CASE.json``: judge one case (or the cases of a .jsonl file) and show why.

Exit 0 when every record is ``match``, ``kink`` or non-finite on both sides; 1 when any is
a mismatch, forward mismatch, error or one-sided non-finite; 2 for bad input.
"""

from __future__ import annotations

import argparse
from typing import Any

from oracle.campaign.judge import judge
from oracle.core.case import load_cases
from oracle.core.errors import EXIT_CLEAN, EXIT_DIVERGENCE, UserError
from oracle.core.output import check_writable
from oracle.core.record import to_frame
from oracle.core.table import records_table


def register(subparsers: Any, name: str) -> None:
    parser = subparsers.add_parser(name, help="judge one case file and show every input's verdict")
    parser.add_argument("case", help="a case .json file, or a .jsonl file of cases")
    parser.add_argument("--case-id", help="in a .jsonl file, replay only the case with this id")
    parser.add_argument("--out", help="also write the records as CSV here")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.out:
        check_writable(args.out)
    cases = load_cases(args.case)
    if args.case_id:
        cases = [c for c in cases if c.case_id == args.case_id]
        if not cases:
            raise UserError(f"{args.case}: no case with id {args.case_id!r}")
    records = [r for case in cases for r in judge([case])[0]]
    for case in cases:
        print(f"case {case.case_id} ({case.dtype}): {case.ops}")
    print(records_table(records))
    if args.out:
        to_frame(records).to_csv(args.out, index=False)
        print(f"wrote {len(records)} records to {args.out}")
    return EXIT_DIVERGENCE if any(r.failed for r in records) else EXIT_CLEAN
