"""Dask distributed as the engine of ``--cluster``: tasks in, results out in task order, faults handled.

``--cluster local:N`` starts a ``distributed.LocalCluster`` of N worker processes (one
thread each, like ``--workers N``); ``--cluster tcp://HOST:PORT`` joins a running Dask
scheduler, whose workers are started by ``dask worker tcp://HOST:PORT`` on any host with
the project installed. Both commands that use it (``report`` and ``check --submissions``)
hand ``ordered`` the same task function as their local worker pool
(``oracle.campaign.workers``), so a cluster gives the same results, and the caller writes
them in the same order: the same bytes.

What it promises:

- ``distributed`` is imported only here and only when ``--cluster`` is given; without it
  installed, ``--cluster`` is one line naming the extra to install (exit 2).
- A scheduler that does not answer within ``CONNECT_TIMEOUT`` seconds is one line naming
  the address (exit 2), before any work. The dashboard's address is printed when the
  cluster is there.
- Results come back in task order as they finish; at most ``window`` tasks are in flight
  past the oldest unfinished one, so memory stays bounded and a stop loses little.
- A Dask worker that is lost (killed, its host gone) has its tasks rerun by Dask on the
  others: every result is taken once, from one future, so nothing is lost or repeated.
  Dask gives up on a task once ``allowed-failures + 1`` workers died while they held it
  (Dask's setting, 3 by default); since it blames every task a dead worker held, a task gets
  a second chance before it is ``WorkerDied`` naming it (exit 3), and ``split`` may first
  break it into smaller tasks, so that the message names the one that kills (a graph of a block).
- An exception in a task is raised here in its turn (after every earlier result): a
  ``UserError`` as itself, a ``MemoryError`` as ``WorkerDied``, anything else as itself.
- On the way out (done, an error, Ctrl-C, SIGTERM) the tasks still in flight are cancelled,
  and a local cluster is shut down with its processes.

The local cluster's worker processes are daemonic (Dask's default, ``distributed.worker.daemon``):
they cannot start ``multiprocessing`` children, but ``subprocess`` works, and that is how
a class check starts its zygote (``oracle.course.isolation.sandbox``): each submission still
runs in its own process forked from a zygote on the Dask worker's host. Each local worker
moves to a process group of its own when it starts (``PRELOAD``, run by Dask's preload),
so that Ctrl-C at the terminal reaches only the command, which stops the cluster itself.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from oracle.core.errors import UserError, WorkerDied

CONNECT_TIMEOUT = 10.0  # seconds a scheduler has to answer before --cluster is refused
# A local cluster with no worker for this long, while tasks wait, has lost them all for good (its
# nannies gave up restarting them): the run ends with exit 3 instead of waiting forever. A remote
# scheduler's tasks wait for `dask worker` as long as it takes.
NO_WORKERS = 120.0
INSTALL = "pip install 'backprop-oracle[cluster]'"


# Run by each local Dask worker as it starts (Dask's preload, given as text so that it imports
# nothing: JAX loads with the first task, as in --workers): a process group of its own.
PRELOAD = """
import os
try:
    os.setpgid(0, 0)
except OSError:
    pass
"""


def local_size(address: str) -> int | None:
    """N of ``local:N``, or None for a scheduler's address."""
    return int(address.partition(":")[2]) if address.startswith("local:") else None


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise UserError(f"--cluster needs Dask distributed, which is not installed: {INSTALL}") from None
    return distributed


def _has_dashboard(client: Any) -> bool:
    try:
        return "dashboard" in client.scheduler_info().get("services", {})
    except Exception:  # an old scheduler or a dropped connection: the link is still worth a try
        return True


@contextlib.contextmanager
def connect(address: str, tasks: int, prog: str) -> Iterator[Any]:
    """A ``distributed.Client`` of the cluster (a local one is started, capped at ``tasks`` workers)."""
    distributed = _distributed()
    cluster = None
    size = local_size(address)
    if size is not None:
        size = max(1, min(size, tasks))
        try:
            cluster = distributed.LocalCluster(
                n_workers=size,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",  # any free port: two runs on one machine never collide
                memory_limit=0,  # like --workers: no pausing or restarts of Dask's own; --max-memory rules
                silence_logs=logging.CRITICAL,  # a lost worker is our message to give, once
                preload=[PRELOAD],
            )
            client = distributed.Client(cluster)
        except (OSError, TimeoutError) as exc:
            if cluster is not None:
                cluster.close()
            raise UserError(f"--cluster {address}: cannot start a local Dask cluster ({exc})") from None
    else:
        try:
            client = distributed.Client(address, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise UserError(
                f"--cluster {address}: no Dask scheduler answered within {CONNECT_TIMEOUT:g} s ({exc})"
            ) from None
        size = len(client.scheduler_info().get("workers", {}))
    dashboard = client.dashboard_link if _has_dashboard(client) else "none (pip install bokeh for one)"
    waiting = "" if size else " (none yet: tasks wait for `dask worker`)"
    print(f"{prog}: Dask cluster {address}: {size} workers{waiting}, dashboard {dashboard}", file=sys.stderr)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def width(client: Any) -> int:
    """Threads of the cluster's workers now (at least 1): how many tasks run at once."""
    try:
        return max(1, sum(client.nthreads().values()))
    except Exception:
        return 1


@dataclass
class _Slot:
    """One task's place in the output order: its future while it runs, then its outcome."""

    task: Any
    future: Any = None
    done: bool = False
    result: Any = None
    error: BaseException | None = None
    second: bool = False  # given a second chance after Dask gave up on it


def ordered(
    client: Any,
    function: Callable[[Any], Any],
    tasks: Iterable[Any],
    *,
    window: int,
    describe: Callable[[Any], str],
    split: Callable[[Any], list[Any]] | None = None,
) -> Iterator[Any]:
    """``function(task)`` for every task, in order, computed on the cluster; ``function`` must be
    importable by name where the workers run. ``split(task)``: smaller tasks to try one by one
    when ``task`` kills workers (their results are yielded in its place).

    Each result is fetched as soon as its task finishes (a result left on a worker would be
    lost, and computed again, if that worker died) and its future released."""
    from distributed import KilledWorker, as_completed

    run = uuid.uuid4().hex[:12]  # keys unique to this run: a shared scheduler never mixes two runs
    pending = iter(tasks)
    order: deque[_Slot] = deque()  # every task not yet yielded, in output order
    running: dict[str, _Slot] = {}  # future key -> its slot
    finished = as_completed()
    count = 0

    def submit(slot: _Slot, priority: int = 0) -> None:
        nonlocal count
        count += 1
        key = f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', describe(slot.task))[:60]}-{run}-{count}"
        slot.future = client.submit(function, slot.task, key=key, pure=False, retries=0, priority=priority)
        running[slot.future.key] = slot
        finished.add(slot.future)

    def settle(slot: _Slot) -> None:
        """The outcome of a finished future, or what to try next when Dask gave up on it."""
        future, slot.future = slot.future, None
        try:
            slot.result, slot.done = future.result(), True
            return
        except KilledWorker as killed:
            pieces = split(slot.task) if split is not None else []
            if len(pieces) > 1:  # which part kills? one at a time, in the task's place
                at = order.index(slot)
                order.remove(slot)
                for offset, piece in enumerate(pieces):
                    order.insert(at + offset, _Slot(piece))
                    submit(order[at + offset], priority=1)
                return
            # Dask blames every task a dead worker held, the one that killed it and any task
            # queued beside it: an innocent one passes its second chance, on other workers.
            if not slot.second:
                slot.second = True
                submit(slot, priority=1)
                return
            slot.error = WorkerDied(
                f"{describe(slot.task)} killed {2 * (killed.allowed_failures + 1)} Dask workers in turn "
                "(out of memory, or crashed them)"
            )
        except MemoryError:
            slot.error = WorkerDied(f"a Dask worker ran out of memory while judging {describe(slot.task)}")
        except Exception as exc:  # the task's own exception, raised in its turn
            slot.error = exc
        slot.done = True

    try:
        exhausted = False
        while True:
            while order and order[0].done:
                slot = order.popleft()
                if slot.error is not None:
                    raise slot.error
                yield slot.result
            while not exhausted and len(order) < window:
                task = next(pending, _END)
                if task is _END:
                    exhausted = True
                else:
                    order.append(_Slot(task))
                    submit(order[-1])
            if not order:
                return
            future = _next_finished(client, finished)
            slot = running.pop(future.key)
            if slot.future is future:
                settle(slot)
    finally:
        futures = [slot.future for slot in order if slot.future is not None]
        if futures:
            client.cancel(futures, force=True)


_END = object()


def _next_finished(client: Any, finished: Any) -> Any:
    """The next finished future; ``WorkerDied`` when a local cluster has had no worker for NO_WORKERS s."""
    if getattr(client, "cluster", None) is None:  # a remote scheduler: its workers may come later
        return next(finished)
    alone_since = None
    while not finished.has_ready():
        if client.scheduler_info().get("workers"):
            alone_since = None
        elif alone_since is None:
            alone_since = time.monotonic()
        elif time.monotonic() - alone_since > NO_WORKERS:
            raise WorkerDied(
                f"the local Dask cluster has had no worker for {NO_WORKERS:.0f} s: none restarted"
            )
        time.sleep(0.05)
    return next(finished)
