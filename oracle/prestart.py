"""The zygote's process, started by ``python -m oracle check FILE`` before the checker imports anything else.

The zygote (``oracle.course.isolation.zygote``) imports numpy and the registry before it
can fork a worker; the checker imports the registry too, and JAX when an answer is not in
the cache. Started one after the other, a one-file check waited for both in turn; started
here, from ``oracle/__init__.py``, the two imports run side by side on two cores.
``oracle.course.isolation.sandbox.Zygote`` adopts the process (``adopt``); one nobody
adopted (the file was an engine, or not a file) is ended at exit.

This module imports nothing of the oracle's: it runs first.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass

# The zygote's first lines, before anything imports oracle: pandas, which oracle.core.record
# imports for writing CSVs (never done in a worker), is imported on first use only; it is
# most of the import time of the registry.
BOOT = """
import importlib, sys, types

class Deferred(types.ModuleType):
    def __getattr__(self, name):
        del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), name)

sys.modules["pandas"] = Deferred("pandas")
from oracle.course.isolation.zygote import zygote
zygote(int(sys.argv[1]), int(sys.argv[2]))
"""

# Options after which a check does not fork workers from this process's zygote.
NOT_HERE = frozenset({"--no-isolate", "--submissions", "--merge", "--cluster", "--workers", "-h", "--help"})


@dataclass
class Launched:
    """A zygote process and the judge's end of its control channel, in a folder of its own."""

    process: subprocess.Popen[bytes]
    control: socket.socket
    folder: str
    errors: str
    judge: int = 0  # the process that started it: the only one that may adopt or end it


def supported() -> bool:
    return os.name == "posix" and hasattr(socket, "send_fds")


def launch(folder: str, errors: str, boot: str = BOOT) -> Launched:
    """Start a zygote in ``folder`` (its standard error to ``errors``), in a session of its own."""
    ours, theirs = socket.socketpair()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    try:
        with open(errors, "wb") as stream:
            process = subprocess.Popen(
                [sys.executable, "-c", boot, str(theirs.fileno()), str(os.getpid())],
                pass_fds=[theirs.fileno()],
                start_new_session=True,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stream,
                cwd=folder,
                env=env,
            )
    except BaseException:
        ours.close()
        raise
    finally:
        theirs.close()
    return Launched(process, ours, folder, errors, os.getpid())


_early: list[Launched] = []


def wanted(argv: list[str]) -> bool:
    """Whether this command line is a one-file isolated check (a guess: a wrong one costs a process)."""
    return len(argv) > 2 and argv[1] == "check" and not NOT_HERE.intersection(argv) and supported()


def begin() -> None:
    """Start a zygote for ``adopt`` (nothing if it cannot be started: the check starts its own)."""
    folder = tempfile.mkdtemp(prefix="oracle-zygote-")
    try:
        _early.append(launch(folder, os.path.join(folder, "stderr")))
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
        return
    atexit.register(_unused)


def adopt() -> Launched | None:
    """The zygote started early, if there is one: the caller owns it from now on."""
    mine = [e for e in _early if e.judge == os.getpid()]  # not a forked child's
    _early.clear()
    return mine[0] if mine else None


def _unused() -> None:
    """At exit: a zygote nobody adopted is told to end (its channel closes), its folder removed."""
    while _early:
        launched = _early.pop()
        if launched.judge == os.getpid():  # a forked child's copy is the parent's to end
            end(launched)


def end(launched: Launched) -> None:
    """Tell a zygote to end (its channel closes), kill it after a second, remove its folder."""
    launched.control.close()
    try:
        launched.process.wait(timeout=1.0)
    except subprocess.TimeoutExpired:
        launched.process.kill()
        launched.process.wait()
    shutil.rmtree(launched.folder, ignore_errors=True)
