"""``python -m oracle COMMAND``: one parser per command, each in the module that does the work.

Exit codes, for every command (``oracle.core.errors``): 0 clean, 1 divergence found, 2 bad
input, 3 a worker process died, 130 Ctrl-C, 143 SIGTERM. Whatever goes wrong that the user
can act on is one line on stderr naming the culprit, never a traceback: a ``UserError``, an
interruption, a dead worker, running out of memory, standard output that cannot be written.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

from oracle.core.errors import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_WORKER_DIED,
    UserError,
    WorkerDied,
    describe,
    exit_code,
    interrupt_on_signals,
    received,
)

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
    "verify": ("oracle.verify", "check that CSVs are byte for byte what their runs wrote (<csv>.json)"),
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


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _interruption(exc: BaseException) -> KeyboardInterrupt | None:
    """The Ctrl-C or SIGTERM that an import turned into this ImportError, if one did."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and argv[0] in COMMANDS else "COMMAND"
    prog = f"python -m oracle {command}"
    try:
        args = build_parser(command).parse_args(argv)  # imports the command's module
        if not getattr(args, "run", None):
            build_parser(None).print_help(sys.stderr)
            return EXIT_BAD_INPUT
        interrupt_on_signals()  # from now on Ctrl-C and SIGTERM keep what was finished
        code = int(args.run(args))
        sys.stdout.flush()  # a full disk or a closed pipe on stdout shows up here, not at exit
        if received():  # a library swallowed the interruption: it still is one
            print(f"{prog}: {describe(received() or 0)}", file=sys.stderr)
            return 128 + (received() or 0)
        return code
    except UserError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except WorkerDied as exc:
        print(f"{prog}: error: {exc}; the rows finished before it are kept", file=sys.stderr)
        return EXIT_WORKER_DIED
    except KeyboardInterrupt as exc:
        code = exit_code(exc)
        print(f"{prog}: {describe(code - 128)}", file=sys.stderr)
        return code
    except ImportError as exc:
        interrupt = _interruption(exc)
        if interrupt is None:
            raise
        print(f"{prog}: {describe(exit_code(interrupt) - 128)}", file=sys.stderr)
        return exit_code(interrupt)
    except MemoryError:
        print(
            f"{prog}: error: out of memory (see --max-memory and the limits in the README)", file=sys.stderr
        )
        return EXIT_BAD_INPUT
    except OSError as exc:  # what is left is standard output: every file we write names itself
        if exc.filename is None:
            _silence_stdout()
        print(f"{prog}: error: {exc.filename or 'standard output'}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:  # the last resort: a bug of ours, said as one
        traceback.print_exc()
        print(
            f"{prog}: internal error: {type(exc).__name__} (a bug of backprop-oracle's, exit 4)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
