"""Confining a worker before a submission's code runs: every layer the kernel offers, each recorded.

A worker (``oracle.course.isolation.worker``) is confined in two steps, both before it
imports anything of the submission:

- when it is forked (``enter``): a user namespace holding a PID namespace and a network
  namespace (``unshare``), so that every process the submission starts is inside a PID
  namespace whose first process is the worker (when it dies, the kernel kills them all:
  a double fork and ``setsid`` included), the checker and other workers have no process
  id there, and the only network is a loopback that is down; the number of processes in
  it is capped (its own ``pid_max``, Linux >= 6.14; ``RLIMIT_NPROC`` otherwise, which the
  kernel does not apply to root); ``RLIMIT_CPU`` on top of the judge's wall clock;
- when it learns which submission it serves (``restrict``): Landlock (``landlock``) makes
  the file system read-only under the Python installation, the oracle's own packages and
  the submission (its folder, or its one file), writable only in the worker's private
  folder, and closed elsewhere (other submissions, the output folder, the home folder,
  ``/tmp``, other processes' ``/proc``); TCP refused; signals and abstract Unix sockets
  scoped to the worker (ABI >= 6). Then a seccomp filter (``seccomp``) as the last layer.

Each layer the kernel refuses is left out and named: ``Layers.describe`` is what the class
CSV's metadata and ``class_summary.md`` say ("confined: landlock 7, netns, pidns,
seccomp"). ``--confine strict`` refuses to check (exit 2) unless the file system, the
network and the processes are all confined; ``--confine off`` is the unconfined worker.

Run as a script (``python confine.py``), this module probes what the kernel offers: it
confines a child of its own the same way and prints the layers as JSON. It imports
nothing of the oracle, so the probe costs a bare interpreter's start.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import json
import os
import resource
import select
import signal
import subprocess
import sys
from collections.abc import Iterable
from typing import Any, NoReturn

if __package__:
    from oracle.course.isolation import landlock, seccomp
else:  # the probe, run as a script
    import landlock  # type: ignore[no-redef,import-not-found]
    import seccomp  # type: ignore[no-redef,import-not-found]

CONFINE_MODES = ("auto", "strict", "off")
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER = 1, 36
PROCESSES = 301  # the cap of a worker's PID namespace (the smallest pid_max Linux accepts)
NPROC = 64  # processes a worker may start where only RLIMIT_NPROC caps them (a user that is not root)
PROBE_SECONDS = 20.0

_libc = ctypes.CDLL(None, use_errno=True)


@dataclasses.dataclass
class Layers:
    """What confines a worker; ``missing`` says why a layer is not there."""

    landlock: int = 0  # the Landlock ABI applied (0: none)
    netns: bool = False
    pidns: bool = False
    pidmax: bool = False  # the PID namespace's own process cap
    seccomp: bool = False
    missing: list[str] = dataclasses.field(default_factory=list)

    def names(self) -> list[str]:
        found = [f"landlock {self.landlock}"] if self.landlock else []
        found += ["netns"] * self.netns + ["pidns"] * self.pidns + ["seccomp"] * self.seccomp
        return found

    def describe(self) -> str:
        found = self.names()
        return "confined: " + ", ".join(found) if found else "not confined (the kernel offers no layer)"

    def lacking(self) -> list[str]:
        """What ``--confine strict`` requires and this machine lacks."""
        lacks = []
        if not self.landlock:
            lacks.append("file system (Landlock, Linux >= 5.13)")
        if not (self.netns or self.landlock >= 4 or self.seccomp):
            lacks.append("network (a network namespace, Landlock ABI >= 4 or seccomp)")
        if not self.pidns:
            lacks.append("processes (a PID namespace in an unprivileged user namespace)")
        return lacks


# ------------------------------------------------------------ at the fork


def enter(cpu_seconds: int, channel: int = -1) -> Layers:
    """Namespaces and limits for a worker about to be made; the layers it got.

    On success the calling process has forked: the caller of ``enter`` returns in the
    child (PID 1 of the new namespaces), while the parent stays in ``keep`` until the
    child ends and ends the same way, so the zygote sees one process, as before. The
    parent holds the worker's ``channel`` open until then: the judge sees it close only
    once the way the worker ended can be read.
    """
    layers = Layers()
    uid, gid = os.getuid(), os.getgid()
    for flags in (CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET, CLONE_NEWUSER | CLONE_NEWPID):
        if _libc.unshare(flags) == 0:
            break
        flags = 0
    if not flags:
        layers.missing.append(f"namespaces ({os.strerror(ctypes.get_errno())})")
        _limits(layers, cpu_seconds)
        return layers
    _map_ids(uid, gid)
    layers.pidns, layers.netns = True, bool(flags & CLONE_NEWNET)
    alive_r, alive_w = os.pipe()  # the keeper holds the write end: EOF when it is gone
    child = os.fork()
    if child:
        os.close(alive_r)
        keep(child, {alive_w, channel})
    os.close(alive_w)
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # killed with its keeper
    if select.select([alive_r], [], [], 0)[0]:  # the keeper died before we asked
        os._exit(1)
    os.close(alive_r)
    layers.pidmax = _write("/proc/sys/kernel/pid_max", str(PROCESSES))
    _limits(layers, cpu_seconds)
    return layers


def _map_ids(uid: int, gid: int) -> None:
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{uid} {uid} 1")
    _write("/proc/self/gid_map", f"{gid} {gid} 1")


def _write(path: str, text: str) -> bool:
    try:
        with open(path, "w") as handle:
            handle.write(text)
    except OSError:
        return False
    return True


def _limits(layers: Layers, cpu_seconds: int) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))  # SIGXCPU, then SIGKILL
    if not layers.pidmax and os.getuid() != 0:  # in a user namespace the count starts there
        cap = NPROC + (0 if layers.pidns else _processes_of(os.getuid()))
        resource.setrlimit(resource.RLIMIT_NPROC, (cap, cap))


def _processes_of(uid: int) -> int:
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                count += os.stat(f"/proc/{entry}").st_uid == uid
    return count


def keep(child: int, kept: set[int]) -> NoReturn:
    """Wait for the worker in the namespaces, then end as it ended (the zygote reaps this process)."""
    start = 3
    for fd in sorted(f for f in kept if f >= start):
        os.closerange(start, fd)
        start = fd + 1
    os.closerange(start, 1 << 16)
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except InterruptedError:
            continue
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        if number not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
    os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 1)


# ------------------------------------------------- once the submission is known


def restrict(
    layers: Layers,
    readable: Iterable[str],
    writable: Iterable[str],
    protected: Iterable[int],
    listable: Iterable[str] = (),
) -> Layers:
    """Landlock, then seccomp; each refused layer noted in ``layers.missing``."""
    try:
        layers.landlock = landlock.restrict(readable, writable, listable)
        if not layers.landlock:
            layers.missing.append("landlock (not in this kernel)")
    except OSError as exc:
        layers.missing.append(str(exc))
    try:
        seccomp.install(protected)
        layers.seccomp = True
    except OSError as exc:
        layers.missing.append(str(exc.strerror or exc))
    return layers


def python_paths() -> list[str]:
    """What an interpreter needs to read: its installation, its site-packages, the system's libraries."""
    import site
    import sysconfig

    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    paths |= {p for p in sysconfig.get_paths().values() if p}
    paths |= set(site.getsitepackages()) | {site.getusersitepackages()}
    paths |= {os.path.dirname(os.path.realpath(sys.executable))}
    paths |= {"/usr/lib", "/usr/lib64", "/lib", "/lib64", "/etc/ld.so.cache", "/etc/localtime"}
    paths |= {"/usr/share/zoneinfo", "/dev/urandom", "/proc/cpuinfo", "/sys/devices/system/cpu"}
    paths |= {os.path.realpath("/proc/self")}
    return sorted(paths)


# ------------------------------------------------------------------ probe


def _probe_child(write_fd: int) -> NoReturn:
    report: dict[str, Any] = {}
    try:
        layers = enter(60)
        folder = os.getcwd()
        restrict(layers, python_paths(), [folder], [os.getppid()])
        report = dataclasses.asdict(layers)
    except BaseException as exc:  # the probe reports, whatever happens
        report = {"missing": [f"probe failed: {exc}"]}
    os.write(write_fd, json.dumps(report).encode())
    os._exit(0)


def probe_here() -> Layers:
    """Confine a child of this (single-threaded) process as a worker is; the layers it got."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _probe_child(write_fd)
    os.close(write_fd)
    data = b""
    while chunk := os.read(read_fd, 65536):
        data += chunk
    os.close(read_fd)
    os.waitpid(pid, 0)
    body = json.loads(data or b"{}")
    return Layers(**{k: v for k, v in body.items() if k in {f.name for f in dataclasses.fields(Layers)}})


def probe() -> Layers:
    """What this machine's kernel offers a worker (a fresh interpreter confines a child, and says)."""
    try:
        done = subprocess.run(
            [sys.executable, "-s", "-S", "-E", os.path.abspath(__file__)],
            capture_output=True,
            timeout=PROBE_SECONDS,
            check=True,
            cwd=os.path.dirname(os.path.abspath(__file__)),
        )
        body = json.loads(done.stdout)
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        return Layers(missing=[f"the probe failed ({exc})"])
    return Layers(**{k: v for k, v in body.items() if k in {f.name for f in dataclasses.fields(Layers)}})


def confinement_for(options: Any) -> str:
    """How the workers of a check with these ``Options`` are confined, in words; ``UserError``
    under ``--confine strict`` if this machine cannot confine them."""
    if not options.isolate:
        return "not confined (the code runs in this process)"
    if options.confine == "off":
        return "not confined (--confine off)"
    layers = probe()
    if options.confine == "strict" and layers.lacking():
        from oracle.core.errors import UserError

        raise UserError(f"--confine strict: this machine cannot confine {'; '.join(layers.lacking())}")
    return layers.describe()


if __name__ == "__main__":
    print(json.dumps(dataclasses.asdict(probe_here())))
