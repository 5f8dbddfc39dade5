"""What a student's engine may do while it runs here: print nothing, and not run forever.

``quiet`` sends what the engine prints to nowhere (learners print in ``backward``);
``time_limit`` raises ``TooSlow`` in the engine's code after a number of seconds (a walk
that never ends, a cycle in the graph), with ``SIGALRM``: only in the main thread, and
only where the platform has it; elsewhere the code runs without a limit.
"""

from __future__ import annotations

import contextlib
import io
import signal
import threading
from collections.abc import Iterator
from types import FrameType


class TooSlow(Exception):
    """The engine's code ran past its time limit."""


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        yield


def _raise(signum: int, frame: FrameType | None) -> None:
    raise TooSlow("ran past its time limit")


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable or seconds <= 0:
        yield
        return
    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


GRACE = 5.0  # seconds an isolated engine's process may take beyond a request's own limit to answer
START_TIMEOUTS = 6  # --timeout (10 s) times this: the engine's process starts, imports the file, probes
