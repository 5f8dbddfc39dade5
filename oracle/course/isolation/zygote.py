"""The zygote: one process per judging process that imported numpy and the targets once, then only forks.

Each fork becomes a worker (``oracle.course.isolation.worker``) for one submission; the zygote
reaps them, sweeps what they left behind (it is their subreaper), and dies with its judge.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from typing import Any

# Libraries a submission may have used to compute its gradients instead of deriving them:
# the name reported in the class CSV's ``autodiff`` column -> the top-level modules that show it.
from oracle.course.isolation.worker import (
    CPU_DEFAULT,
    PR_SET_CHILD_SUBREAPER,
    Limits,
    become_worker,
    die_with_parent,
)

# --------------------------------------------------------------- the zygote


def zygote(control_fd: int, judge_pid: int) -> None:
    """Serve the judge's requests on ``control_fd`` until the judge is gone: fork workers, reap them."""
    die_with_parent(judge_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the judge's to handle
    if sys.platform.startswith("linux"):  # orphans of its workers become its children (_sweep)
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1)
    try:
        judge_group = os.getpgid(judge_pid)
    except OSError:
        judge_group = judge_pid
    checker = _parent_of(judge_pid) or judge_pid  # the check's main process, if the judge is a --workers one
    control = socket.socket(fileno=control_fd)
    folders: dict[int, str] = {}  # worker pid -> its folder
    released: set[int] = set()  # workers told to exit: reaped when they have, without waiting
    _reply(control, {"ready": os.getpid(), "oracle": os.path.dirname(os.path.dirname(__file__))})
    requests = Requests(control)
    try:
        while True:
            request, fds = requests.next()
            for pid in [p for p in released if _reaped(p)]:
                released.discard(pid)
                shutil.rmtree(folders.pop(pid, ""), ignore_errors=True)
            if request is None:
                return  # the judge closed the channel or died
            _sweep(set(folders) | released)  # what a worker left behind (no PID namespace)
            if request.get("op") == "fork" and len(fds) == 1:
                folder = tempfile.mkdtemp(prefix="worker-", dir=os.getcwd())  # in the judge's folder for it
                me = os.getpid()
                pid = os.fork()
                if pid == 0:
                    status = 1
                    try:
                        control.close()
                        limits = Limits(
                            int(request["max_memory"]),
                            int(request.get("cpu", CPU_DEFAULT)),
                            str(request.get("confine", "auto")),
                            (judge_pid, me, judge_group, -judge_group, -me, checker),  # -: groups
                        )
                        become_worker(fds[0], me, folder, limits)
                        status = 0
                    finally:
                        os._exit(status)
                os.close(fds[0])
                folders[pid] = folder
                _reply(control, {"pid": pid})
            elif request.get("op") == "end" and not request.get("kill"):
                released.add(int(request["pid"]))  # it exits on its own: no answer, nothing to wait for
            elif request.get("op") == "end":
                pid = int(request["pid"])
                ended = _end(pid)
                shutil.rmtree(folders.pop(pid, ""), ignore_errors=True)
                _reply(control, {"status": ended})
            else:
                for fd in fds:
                    os.close(fd)
                _reply(control, {"error": f"unknown request {request!r}"})
    finally:
        _sweep(set())  # the judge is gone: every worker, and all they left, with it
        for folder in folders.values():
            shutil.rmtree(folder, ignore_errors=True)


def _parent_of(pid: int) -> int:
    """The parent of process ``pid`` (0 if it cannot be told)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return int(handle.read().rsplit(b")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def _sweep(workers: set[int]) -> None:
    """Kill and reap every child of the zygote that is not a worker: processes a worker
    detached (a double fork, ``setsid``), reparented here as the zygote is their subreaper."""
    for _ in range(1000):  # a process killed may leave children of its own: reparented here
        stray = [p for p in _children() if p not in workers]
        if not stray:
            return
        for pid in stray:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        for pid in stray:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


def _children() -> list[int]:
    try:
        with open(f"/proc/self/task/{os.getpid()}/children") as handle:
            return [int(p) for p in handle.read().split()]
    except OSError:
        return []


def _reaped(pid: int) -> bool:
    try:
        return os.waitpid(pid, os.WNOHANG)[0] != 0
    except ChildProcessError:
        return True


class Requests:
    """The judge's requests, one JSON line each; a fork's socket comes with its line (SCM_RIGHTS)."""

    def __init__(self, control: socket.socket) -> None:
        self.control, self.buffer, self.fds = control, b"", list[int]()

    def next(self) -> tuple[dict[str, Any] | None, list[int]]:
        """The next request and the descriptors that came with it; (None, []) when the judge is gone."""
        while b"\n" not in self.buffer:
            chunk, fds, _, _ = socket.recv_fds(self.control, 4096, 4)
            self.fds += fds
            if not chunk:
                return None, []
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        request = json.loads(line)
        mine = [self.fds.pop(0)] if request.get("op") == "fork" and self.fds else []
        return request, mine


def _reply(control: socket.socket, message: dict[str, Any]) -> None:
    control.sendall(json.dumps(message).encode() + b"\n")


def _end(pid: int) -> str:
    """Kill worker ``pid`` (its whole process group), reap it and say how it ended."""
    for signal_to in (os.killpg, os.kill):  # its group; itself, should it have left the group
        with contextlib.suppress(OSError):
            signal_to(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5.0
    while True:
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return "ended"
        if done:
            return how_it_ended(status)
        if time.monotonic() > deadline:
            return "still running"
        time.sleep(0.002)


def how_it_ended(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        return f"killed by {name}"
    return f"exited with status {os.WEXITSTATUS(status)}"
