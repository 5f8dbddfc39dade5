"""The address space JAX and XLA need, checked before any work, and kept bounded while a campaign runs.

XLA reserves address space, not only memory: its thread pools, its allocator arenas and every
compiled program (eager JAX compiles each primitive once per shape and keeps the program, about
1 MB of address space each). Under an address-space limit (``ulimit -v``, ``RLIMIT_AS``) too
small for that, XLA does not raise a clean MemoryError: LLVM aborts the process (exit 134), or
an allocation fails half-way through judging a graph and would become an ``error`` row, a false
alarm. So:

- ``python -m oracle`` refuses, before importing JAX, a soft limit below ``MINIMUM`` (measured:
  a default campaign's worker peaks near it; see the README's Limits): one line, exit 2;
- a campaign's processes call ``relieve()`` after each graph: above ``budget()`` of address
  space, JAX's in-memory caches of compiled programs are dropped (the compiled code is the same
  when it is needed again, from the persistent cache, so the bits do not change) and the
  allocator reuses what they held. A campaign of any ``--graphs`` thus stays within the budget.

This module imports neither jax nor numpy: ``oracle/__init__.py`` uses it before JAX loads.
"""

from __future__ import annotations

import gc
import resource
import sys

MiB = 2**20
# Measured on the reference machine (2 cores, jax 0.10.2): ``report --graphs 40 --workers 1`` on an
# empty JAX cache, under ``ulimit -v`` with relieve() working, aborted at 1.37 GiB and ran at
# 1.66 GiB (XLA's runtime and first compiles, numpy, pandas); 2 GiB leaves room for a graph's
# compiles between two checks, and tests/test_address_space.py runs a campaign at exactly 2 GiB.
MINIMUM = 2048 * MiB
HEADROOM = 512 * MiB  # what one graph may add between two relieve() calls
CAP = 4096 * MiB  # without a limit, a process keeps at most this much address space for JAX's caches


def limit() -> int | None:
    """The soft address-space limit of this process in bytes, or None when there is none."""
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    return None if soft == resource.RLIM_INFINITY else soft


def problem(command: str = "python -m oracle") -> str:
    """One line when the address-space limit is too small for JAX and XLA, else ''."""
    soft = limit()
    if soft is None or soft >= MINIMUM:
        return ""
    return (
        f"{command}: error: the address-space limit (ulimit -v) is {soft // MiB} MiB; JAX and XLA "
        f"need at least {MINIMUM // MiB} MiB (ulimit -v {MINIMUM // 1024}), or they abort "
        "(README: Limits and exit codes)"
    )


def refuse_if_too_small(command: str = "python -m oracle") -> None:
    """Exit 2 with one line when the limit is too small: called before JAX is imported."""
    line = problem(command)
    if line:
        print(line, file=sys.stderr)
        raise SystemExit(2)


def used() -> int:
    """This process's address space in bytes (VmSize), or 0 where /proc cannot tell."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def budget() -> int:
    """The address space past which ``relieve`` drops JAX's caches."""
    soft = limit()
    return CAP if soft is None else max(min(CAP, soft - HEADROOM), MINIMUM - HEADROOM)


def relieve() -> bool:
    """Drop JAX's caches of compiled programs when this process is over its budget; True if it did."""
    if used() <= budget() or "jax" not in sys.modules:
        return False
    import jax

    jax.clear_caches()
    gc.collect()
    return True
