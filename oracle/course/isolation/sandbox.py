"""The judge's side of isolated checks: the zygote process, and a handle on each worker it forks.

A submission's code never runs in the judge's process. ``Zygote`` starts
``oracle.course.isolation.zygote.zygote`` in a new session (``start_new_session=True``: a signal to
its process group cannot reach the judge) and asks it for one worker per submission;
``WorkerHandle.ask`` sends a request and waits for the answer until a deadline
(``oracle.course.isolation.wire``: JSON and .npy arrays, nothing that executes when read). The
zygote is started once per judging process (``shared``) and again if a submission kills
it; the workers die with it, and it dies with the judge.

What isolation guarantees: the submission's code never runs in the judge's interpreter,
so patching numpy, jax, builtins or the oracle, walking the stack, or returning objects
that lie cannot change a verdict: the judge reads plain arrays and text it validates
(``oracle.course.isolation.wire``), and the JAX reference never leaves the judge. A submission
that hangs, crashes, exits, exhausts its memory or kills its parent's process group
costs one ``timeout`` or ``error`` row, and the check goes on; what it prints goes to
``/dev/null``; files it writes with relative paths land in a temporary folder that is
removed.

What it does not do alone: the worker runs as the same user. What it may read, write,
reach, signal and leave behind is decided by its confinement (``oracle.course.isolation.confine``:
Landlock, namespaces, seccomp, limits; ``--confine``), as far as the kernel offers it. Its
``autodiff`` column is a hint for course staff, not a control: a submission can hide what
it imports.

Isolation needs POSIX (``fork``, file descriptors passed over a Unix socket; on Linux
``prctl`` makes workers die with the zygote); elsewhere ``--no-isolate`` checks in the
judge's process.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from typing import Any

from oracle import prestart
from oracle.core.errors import UserError, WorkerDied
from oracle.course.isolation.handle import WorkerHandle

STARTUP = 300.0  # seconds for a zygote to import the registry (a few on a quiet machine; CI can be slow)
CONTROL = 30.0  # seconds for the zygote to answer a fork or an end request
POLL = 0.25  # seconds between two looks at a zygote that does not answer: is it stopped?

BOOT = prestart.BOOT  # the zygote's first lines (a test replaces them)

Asked = tuple[int, int, str]  # what a worker is forked with: max_memory, cpu seconds, confinement


class SandboxError(WorkerDied):
    """The zygote cannot start or does not answer: the oracle's fault or the machine's, not a
    student's. Like a judging process that died: one line and exit 3, never a traceback."""


supported = prestart.supported


class Zygote:
    """One zygote process, started on first use and again whenever it has died.

    It keeps one worker forked ahead (``spare``): the next submission's worker is ready
    (forked, its limits set) while the judge still works on this one.
    """

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.control: socket.socket | None = None
        self.ready = False
        self.buffer = b""  # what was read from the control channel past the last whole reply
        self.forking: list[tuple[socket.socket, Asked]] = []  # forks asked for, not yet answered
        self.spare: list[tuple[int, socket.socket, Asked]] = []  # (pid, socket, limits) forked ahead
        self.folder = tempfile.mkdtemp(prefix="oracle-zygote-")
        self.errors = os.path.join(self.folder, "stderr")

    def start(self) -> None:
        """Start the process (it imports the registry meanwhile); ``fork`` waits until it is ready."""
        if not supported():
            raise UserError("isolated checks need a POSIX system: use --no-isolate (isolate=False)")
        if self.alive():
            return
        self.close()
        launched = prestart.adopt()  # started before this process imported JAX, if it was
        if launched is not None and launched.process.poll() is None and BOOT == prestart.BOOT:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder, self.errors = launched.folder, launched.errors
        else:
            if launched is not None:  # it ended already: started again, as any dead zygote
                prestart.end(launched)
            launched = prestart.launch(self.folder, self.errors, BOOT)
        self.process, self.control, self.ready, self.buffer = launched.process, launched.control, False, b""

    def wait_ready(self) -> None:
        """Start the zygote if needed and wait until it has imported the registry."""
        self.start()
        self._wait_ready()

    def _wait_ready(self) -> None:
        if self.ready:
            return
        reply = self._answer(STARTUP)
        mine = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        if "ready" not in reply or os.path.realpath(reply.get("oracle", "")) != os.path.realpath(mine):
            raise SandboxError(f"the zygote imported another oracle ({reply.get('oracle')}, not {mine})")
        self.ready = True

    def _answer(self, seconds: float) -> dict[str, Any]:
        """The next reply on the control channel (one JSON line); a stopped zygote is seen
        within ``POLL`` seconds (``SandboxError``: it is killed and started again)."""
        assert self.control is not None
        deadline = time.monotonic() + seconds
        while b"\n" not in self.buffer:
            self.control.settimeout(max(min(POLL, deadline - time.monotonic()), 0.001))
            try:
                chunk = self.control.recv(4096)
            except TimeoutError:
                if self._stopped():
                    raise SandboxError("the zygote was stopped (SIGSTOP or SIGTSTP)") from None
                if time.monotonic() >= deadline:
                    raise SandboxError(f"the zygote did not answer within {seconds:g} s") from None
                continue
            if not chunk:
                raise SandboxError(f"the zygote process ended{self._stderr()}")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        message = json.loads(line)
        assert isinstance(message, dict)
        return message

    def _stopped(self) -> bool:
        """Whether the zygote is stopped (its state in ``/proc``: T); False where that cannot be read."""
        if self.process is None:
            return False
        try:
            with open(f"/proc/{self.process.pid}/stat", "rb") as handle:
                state = handle.read().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            return False
        return state in (b"T", b"t")

    def _stderr(self) -> str:
        try:
            with open(self.errors, "rb") as handle:
                lines = handle.read().decode(errors="replace").strip().splitlines()
        except OSError:
            lines = []
        return f": {lines[-1]}" if lines else ""

    def _ask_fork(self, limits: Asked) -> None:
        """Ask for a worker; its pid is read later (``_settle``), in the order asked."""
        assert self.control is not None
        ours, theirs = socket.socketpair()
        max_memory, cpu, confine = limits
        fork = {"op": "fork", "max_memory": max_memory, "cpu": cpu, "confine": confine}
        request = json.dumps(fork).encode() + b"\n"
        try:
            socket.send_fds(self.control, [request], [theirs.fileno()])
        except OSError:
            ours.close()
            raise
        finally:
            theirs.close()
        self.forking.append((ours, limits))

    def _settle(self) -> None:
        """Read the answers to the forks asked for: they come before any other answer."""
        while self.forking:
            sock, limits = self.forking[0]
            pid = int(self._answer(CONTROL)["pid"])
            self.forking.pop(0)
            self.spare.append((pid, sock, limits))

    def fork(self, max_memory: int, cpu: int = 300, confine: str = "auto") -> WorkerHandle:
        """A new worker process, limited to ``max_memory`` bytes of address space and ``cpu``
        seconds, confined as ``confine`` says (``oracle.course.isolation.confine``); forked ahead
        if it can."""
        asked: Asked = (max_memory, cpu, confine)
        for attempt in (1, 2):  # a zygote that a submission killed is started again, once
            self.start()
            try:
                self._wait_ready()
                self._settle()
                for pid, sock, limits in [s for s in self.spare if s[2] != asked]:
                    self.spare.remove((pid, sock, limits))  # forked for other limits: not this one
                    sock.close()
                    self.end(pid, kill=True)
                if not self.spare:
                    self._ask_fork(asked)
                    self._settle()
                pid, sock, _ = self.spare.pop(0)
                self._ask_fork(asked)  # the next one, forked while this one works
                return WorkerHandle(self, pid, sock)
            except (SandboxError, OSError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def end(self, pid: int, kill: bool) -> str:
        """Stop worker ``pid``: told to exit (``kill`` False: reaped later) or killed, with how it ended."""
        if self.control is None or not self.alive():
            return "killed with its zygote"
        try:
            self.control.sendall(json.dumps({"op": "end", "pid": pid, "kill": kill}).encode() + b"\n")
            if not kill:
                return "exited"  # no answer: it exits on its own
            self._settle()
            return str(self._answer(CONTROL).get("status", "ended"))
        except (SandboxError, OSError):
            self.close()
            return "killed with its zygote"

    def dispose(self) -> None:
        """Close, and remove the zygote's folder: at exit."""
        self.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def close(self) -> None:
        """End the zygote: told (its channel closes, it cleans up and exits), or killed after a second."""
        for sock in [s for s, _ in self.forking] + [s for _, s, _ in self.spare]:
            sock.close()  # a spare worker sees its channel close, and exits
        self.forking, self.spare, self.buffer = [], [], b""
        if self.control is not None:
            self.control.close()
            self.control = None
        if self.process is not None:
            try:
                self.process.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


_shared: Zygote | None = None


def shared() -> Zygote:
    """This process's zygote (started on first use; closed at exit)."""
    global _shared
    if _shared is None:
        _shared = Zygote()
        atexit.register(_shared.dispose)
    return _shared
