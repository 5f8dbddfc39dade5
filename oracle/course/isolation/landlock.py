"""Landlock (Linux >= 5.13) through ctypes: what files, ports and processes a worker can still reach.

A process restricts itself, for good and with every process it starts: once
``restrict`` returns, the file system is read-only under the paths given as readable,
writable under the paths given as writable and closed elsewhere; TCP bind and connect
are refused (ABI >= 4); signals to processes outside the worker's domain and abstract
Unix sockets created outside it are refused (ABI >= 6). No privilege, no namespace is
needed: it works where user namespaces are restricted (Ubuntu 24.04's AppArmor).
Descriptors opened before (the worker's channel, ``/dev/null`` on its standard
streams) keep working. The ABI decides what can be asked: each right is asked for only
when the running kernel knows it.

The kernel's interface is three system calls and two structures. The PyPI ``landlock``
package (1.0.0.dev5, a development release) has file system rules only: no TCP rules, no
scoping, which this worker needs; newer bindings exist but are young, and ~100 lines of
ctypes keep the worker free of a dependency that must be present in every zygote.
"""

from __future__ import annotations

import ctypes
import os
import platform
import stat
from collections.abc import Iterable

CREATE_RULESET, ADD_RULE, RESTRICT_SELF = 444, 445, 446  # the same number on every architecture
VERSION = 1  # LANDLOCK_CREATE_RULESET_VERSION: ask the ABI version
PATH_BENEATH, NET_PORT = 1, 2
PR_SET_NO_NEW_PRIVS = 38

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
WRITE_TREE = sum(1 << bit for bit in range(4, 13))  # remove, make dir/reg/sock/fifo/char/block/sym
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15  # ABI 2, 3, 5
BIND_TCP, CONNECT_TCP = 1 << 0, 1 << 1  # ABI 4
SCOPE_ABSTRACT_UNIX, SCOPE_SIGNAL = 1 << 0, 1 << 1  # ABI 6
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV  # what a rule on a file may grant
READ = EXECUTE | READ_FILE | READ_DIR


class RulesetAttr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def abi() -> int:
    """The kernel's Landlock ABI version: 0 when it has none (too old, disabled, not Linux)."""
    if platform.system() != "Linux":
        return 0
    version = _libc.syscall(CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(VERSION))
    return max(int(version), 0)


def handled(version: int) -> tuple[int, int, int]:
    """The file system, network and scope rights a ruleset of ABI ``version`` handles (all it knows)."""
    fs = READ | WRITE_FILE | WRITE_TREE
    fs |= REFER * (version >= 2) | TRUNCATE * (version >= 3) | IOCTL_DEV * (version >= 5)
    net = (BIND_TCP | CONNECT_TCP) if version >= 4 else 0
    scoped = (SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL) if version >= 6 else 0
    return fs, net, scoped


def _fail(what: str) -> OSError:
    number = ctypes.get_errno()
    return OSError(number, f"landlock {what}: {os.strerror(number)}")


def restrict(readable: Iterable[str], writable: Iterable[str], listable: Iterable[str] = ()) -> int:
    """Confine this process (and all it starts) for good; the ABI used, 0 if there is no Landlock.

    ``listable`` folders may be listed (their names, and their sub-folders' names), not read.

    Paths that do not exist are skipped. ``OSError`` if the kernel refuses a step.
    """
    version = abi()
    if version <= 0:
        return 0
    fs, net, scoped = handled(version)
    attr = RulesetAttr(fs, net, scoped)
    size = ctypes.sizeof(RulesetAttr) if version >= 6 else 16  # older kernels know two fields
    ruleset = _libc.syscall(CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        raise _fail("create_ruleset")
    try:
        for paths, rights in ((readable, READ), (writable, fs), (listable, READ_DIR)):
            for path in paths:
                _allow(int(ruleset), path, rights & fs)
        if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise _fail("no_new_privs")
        if _libc.syscall(RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            raise _fail("restrict_self")
    finally:
        os.close(int(ruleset))
    return version


def _allow(ruleset: int, path: str, rights: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # not there (or not reachable): nothing to allow
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            rights &= FILE_RIGHTS
        rule = PathBeneath(rights, fd)
        if _libc.syscall(ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(PATH_BENEATH), ctypes.byref(rule), 0):
            raise _fail(f"add_rule {path}")
    finally:
        os.close(fd)
