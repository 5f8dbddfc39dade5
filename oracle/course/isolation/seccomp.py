"""A seccomp filter through ctypes: system calls a worker never needs, refused (x86-64 Linux).

The last layer of a worker's confinement (``oracle.course.isolation.confine``): a classic
BPF program the kernel runs at every system call of the worker and of every process it
starts. Refused with ``EPERM``: debugging and reading other processes (``ptrace``,
``process_vm_readv``/``writev``, ``pidfd_getfd``, ``kcmp``), mounts and namespaces,
keyrings, module and kernel loading, BPF, perf, io_uring (which would run the refused calls
for it); new sockets of any family (``socket``; the worker's channel is open already,
``socketpair`` stays: a pipe between its own processes); and signals to the checker's
processes: ``kill``-like calls whose target is one of the ``protected`` process ids or
groups, or every process (``-1``). Any other architecture than the one the filter was
written for is refused too (32-bit calls on a 64-bit kernel).

Why not ``pyseccomp``: it needs libseccomp's shared library at run time, absent from slim
Python images; the filter here is some 150 instructions.
"""

from __future__ import annotations

import ctypes
import errno
import platform
from collections.abc import Iterable

AUDIT_ARCH_X86_64 = 0xC000003E
X32_BIT = 0x40000000
LD_ABS_W, JEQ_K, JGE_K, RET_K = 0x20, 0x15, 0x35, 0x06
ALLOW = 0x7FFF0000
REFUSE = 0x00050000 | errno.EPERM  # SECCOMP_RET_ERRNO
NR, ARCH, ARG0 = 0, 4, 16  # offsets in struct seccomp_data (ARG0: its low 32 bits, little-endian)
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, MODE_FILTER = 38, 22, 2

REFUSED = {  # x86-64 numbers
    "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "pidfd_getfd": 438, "kcmp": 312,
    "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161, "unshare": 272, "setns": 308,
    "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432,
    "fspick": 433, "mount_setattr": 442, "keyctl": 250, "add_key": 248, "request_key": 249,
    "kexec_load": 246, "kexec_file_load": 320, "init_module": 175, "finit_module": 313,
    "delete_module": 176, "bpf": 321, "perf_event_open": 298, "userfaultfd": 323,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
    "open_by_handle_at": 304, "socket": 41, "pidfd_open": 434,
}  # fmt: skip
SIGNALLING = {"kill": 62, "tkill": 200, "tgkill": 234, "rt_sigqueueinfo": 129, "rt_tgsigqueueinfo": 297}


class SockFilter(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_uint16),
        ("jt", ctypes.c_uint8),
        ("jf", ctypes.c_uint8),
        ("k", ctypes.c_uint32),
    ]


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]


def supported() -> bool:
    return platform.system() == "Linux" and platform.machine() == "x86_64"


def program(protected: Iterable[int]) -> list[tuple[int, int, int, int]]:
    """The filter's instructions: (code, jump if true, jump if false, constant)."""
    targets = sorted({p & 0xFFFFFFFF for p in protected} | {0xFFFFFFFF})  # -1: every process
    code = [(LD_ABS_W, 0, 0, ARCH), (JEQ_K, 1, 0, AUDIT_ARCH_X86_64), (RET_K, 0, 0, REFUSE)]
    code += [(LD_ABS_W, 0, 0, NR), (JGE_K, 0, 1, X32_BIT), (RET_K, 0, 0, REFUSE)]
    for number in sorted(REFUSED.values()):
        code += [(JEQ_K, 0, 1, number), (RET_K, 0, 0, REFUSE)]
    check = [(LD_ABS_W, 0, 0, ARG0)]
    for target in targets:
        check += [(JEQ_K, 0, 1, target), (RET_K, 0, 0, REFUSE)]
    check += [(LD_ABS_W, 0, 0, NR)]  # back to the call's number for the next test
    for number in sorted(SIGNALLING.values()):
        code += [(JEQ_K, 0, len(check), number), *check]
    return [*code, (RET_K, 0, 0, ALLOW)]


def install(protected: Iterable[int]) -> None:
    """Filter this process's system calls (and every process it starts), for good; ``OSError`` if refused."""
    if not supported():
        raise OSError(errno.ENOSYS, f"no seccomp filter for {platform.machine()}")
    code = program(protected)
    filters = (SockFilter * len(code))(*(SockFilter(*instruction) for instruction in code))
    prog = SockFprog(len(code), filters)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "seccomp: no_new_privs refused")
    if libc.prctl(PR_SET_SECCOMP, MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"seccomp: filter refused ({errno.errorcode.get(number, number)})")
