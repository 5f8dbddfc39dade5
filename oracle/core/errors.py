"""What every command promises about failure: its exit codes, the one-line errors, and signals.

Exit codes, for every command:

- 0 clean; 1 a divergence was found; 2 bad input (a bad option, file, or output path, a
  full disk, another run holding the output): one line on stderr naming the culprit;
- 3 a worker process died (killed, out of memory, crashed) before its graph was judged;
- 130 interrupted by Ctrl-C (SIGINT), 143 terminated by SIGTERM (what CI timeouts send):
  128 + the signal's number, as a shell reports a process killed by it.

An interrupted or failed run keeps on disk every row it finished, whole.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

EXIT_CLEAN, EXIT_DIVERGENCE, EXIT_BAD_INPUT, EXIT_WORKER_DIED = 0, 1, 2, 3
EXIT_INTERNAL = 4  # a bug of the oracle's own: never mistaken for a divergence (Python's own crash exit is 1)
EXIT_INTERRUPTED = 128 + signal.SIGINT  # 130
EXIT_TERMINATED = 128 + signal.SIGTERM  # 143


class UserError(Exception):
    """Bad input from the user: reported as one line naming the culprit, exit code 2."""


class WorkerDied(Exception):
    """A worker process died before it finished its graph: one line naming the graph, exit code 3."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C (every ``except KeyboardInterrupt`` cleans up the same way)."""


def exit_code(interrupt: KeyboardInterrupt) -> int:
    """130 for Ctrl-C, 143 for SIGTERM."""
    return EXIT_TERMINATED if isinstance(interrupt, Terminated) else EXIT_INTERRUPTED


def describe(signum: int) -> str:
    return "terminated (SIGTERM)" if signum == signal.SIGTERM else "interrupted"


# ``python -m oracle`` handles SIGINT and SIGTERM in two phases. While it imports (JAX takes
# seconds), nothing is written yet, and an exception raised inside an import is turned into an
# ImportError or swallowed by the library being imported: so a signal then exits at once, with
# one line. Once the command runs, a signal raises KeyboardInterrupt (``Terminated`` for SIGTERM),
# so that the command keeps what it finished; and it is remembered, so that a library that
# swallows the exception cannot turn the interruption into a clean exit (``received``).
_received: list[int] = []


def _exit_now(signum: int, frame: FrameType | None) -> None:
    print(f"python -m oracle: {describe(signum)}", file=sys.stderr, flush=True)
    os._exit(128 + signum)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    _received.append(signum)
    raise Terminated if signum == signal.SIGTERM else KeyboardInterrupt


def exit_on_signals() -> None:
    """The import phase: SIGINT or SIGTERM print one line and exit with 128 + the signal at once."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _exit_now)


def interrupt_on_signals() -> None:
    """The command phase, if the import phase was set up: SIGINT and SIGTERM raise and are remembered."""
    if signal.getsignal(signal.SIGINT) is _exit_now:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, _interrupt)


def received() -> int | None:
    """The first signal that interrupted the command, if any."""
    return _received[0] if _received else None
