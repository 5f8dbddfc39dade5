"""``python -m oracle COMMAND``: one parser per command, each in the module that does the work.

Exit codes, for every command: 0 clean, 1 divergence found, 2 bad input. A user error is
one line on stderr naming the culprit, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from oracle.core.errors import EXIT_BAD_INPUT, EXIT_INTERRUPTED, UserError

# command name -> module that defines ``register(subparsers)``; imported only when used,
# so ``python -m oracle --help`` does not pay for jax.
COMMANDS = {
    "report": (
        "oracle.campaign.run",
        "run a divergence campaign and write the CSV report (the main job)",
    ),
    "merge": ("oracle.campaign.merge", "combine shard CSVs of one campaign into the unsharded CSV"),
    "replay": ("oracle.campaign.replay", "judge one case file and show every input's verdict"),
    "check": ("oracle.course.check", "check the gates, layers and losses in a course .py file"),
    "mlp": ("oracle.mlp", "train the lecture's two-layer network three ways, side by side"),
}


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def build_parser(command: str | None) -> Parser:
    parser = Parser(prog="python -m oracle", description="JAX judges hand-written gradients.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name, (module, summary) in COMMANDS.items():
        if command == name:
            importlib.import_module(module).register(sub, name)
        else:
            sub.add_parser(name, help=summary)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and argv[0] in COMMANDS else None
    args = build_parser(command).parse_args(argv)
    if not getattr(args, "run", None):
        build_parser(None).print_help(sys.stderr)
        return EXIT_BAD_INPUT
    try:
        return int(args.run(args))
    except UserError as exc:
        print(f"python -m oracle {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"python -m oracle {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
