"""Worker processes for a campaign: tasks in, results out in task order, a dead worker noticed at once.

``ordered(function, tasks, workers)`` yields ``function(task)`` for every task, in task
order, computed by ``workers`` processes (in this process when ``workers`` is 1). What it
promises:

- Each worker is a fresh ``python -m oracle.campaign.workers`` (JAX is not fork-safe) that
  runs one task at a time, fed over a pipe. It runs in a process group of its own, so
  Ctrl-C at the terminal or a SIGTERM to the campaign's group reaches only the parent,
  which stops the workers itself: no worker prints a traceback on the way down.
- A worker that dies (``kill -9``, the OOM killer, a crash) closes its pipe, which wakes the
  parent at once: it raises ``WorkerDied`` naming the task that was running and how the
  process ended, instead of waiting forever.
- An exception in a task is raised again in the parent in its turn, after the results of
  every earlier task (so what is kept does not depend on the number of workers): a
  ``UserError`` as itself, a MemoryError as ``WorkerDied``, anything else as a
  ``RuntimeError`` carrying the worker's traceback.
- At most ``window`` tasks past the oldest unfinished one are handed out, so a slow task
  holds back at most that many finished results in memory; tasks are drawn lazily.
- When the tasks are done, the workers exit on their own (their task pipe closes); when the
  caller stops early (an error, Ctrl-C, the generator closed), they are killed at once. Either
  way every worker is reaped before ``ordered`` returns: none is left behind.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from oracle.core.errors import UserError, WorkerDied

ROOT = Path(__file__).resolve().parents[2]  # the folder holding the oracle package the parent runs


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    inbox: Connection  # the parent writes tasks here
    outbox: Connection  # and reads results here
    running: tuple[int, Any] | None = field(default=None)  # (sequence number, task)


def _describe_end(code: int | None) -> str:
    """How a worker process ended, from its return code (negative: the signal that killed it)."""
    if code is None:
        return "it closed its pipe"
    if code >= 0:
        return f"exit code {code}"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = f"signal {-code}"
    return f"killed by {name}" + (" (out of memory, or killed)" if -code == signal.SIGKILL else "")


class _Pool:
    def __init__(self, workers: int) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
        self.workers: list[_Worker] = []
        try:
            for _ in range(workers):
                process = subprocess.Popen(
                    [sys.executable, "-m", "oracle.campaign.workers"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    env=env,
                    process_group=0,  # our own group: the terminal's Ctrl-C is the parent's to handle
                )
                assert process.stdin is not None and process.stdout is not None
                inbox = Connection(os.dup(process.stdin.fileno()), readable=False)
                outbox = Connection(os.dup(process.stdout.fileno()), writable=False)
                process.stdin.close()
                process.stdout.close()
                self.workers.append(_Worker(process, inbox, outbox))
        except OSError as exc:
            self.stop()
            raise UserError(f"cannot start {workers} worker processes ({exc.strerror or exc})") from None

    def stop(self, *, finished: bool = False) -> None:
        """Finished: close the task pipes, so that idle workers exit on their own; then kill what is left."""
        if finished:
            for worker in self.workers:
                worker.inbox.close()
            for worker in self.workers:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    worker.process.wait(timeout=10)
        for worker in self.workers:
            worker.process.kill()
        for worker in self.workers:
            worker.process.wait()
            for conn in (worker.inbox, worker.outbox):
                if not conn.closed:
                    conn.close()
        self.workers = []

    def _died(self, worker: _Worker, describe: Callable[[Any], str]) -> WorkerDied:
        try:
            code = worker.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        doing = f" while judging {describe(worker.running[1])}" if worker.running else ""
        end = _describe_end(code)
        return WorkerDied(f"a worker process (pid {worker.process.pid}) died{doing}: {end}")

    def run(
        self,
        function: Callable[[Any], Any],
        tasks: Iterable[Any],
        window: int,
        describe: Callable[[Any], str],
    ) -> Iterator[Any]:
        pending = enumerate(tasks)
        exhausted = False
        finished: dict[int, Any] = {}  # sequence number -> result, or the exception to raise in its turn
        next_out = handed = 0
        while True:
            while next_out in finished:
                result = finished.pop(next_out)
                if isinstance(result, Exception):
                    raise result
                yield result
                next_out += 1
            for worker in self.workers:  # hand out work, at most ``window`` tasks ahead
                if worker.running is None and not exhausted and handed - next_out < window:
                    item = next(pending, None)
                    if item is None:
                        exhausted = True
                        break
                    worker.running = item
                    handed += 1
                    try:
                        worker.inbox.send((function, item[1]))
                    except OSError:
                        raise self._died(worker, describe) from None
            busy = {w.outbox: w for w in self.workers if w.running is not None}
            if not busy:
                return
            for conn in wait(list(busy)):
                worker = busy[conn]  # type: ignore[index]
                try:
                    outcome, value = worker.outbox.recv()
                except (EOFError, OSError):
                    raise self._died(worker, describe) from None
                assert worker.running is not None
                sequence, task = worker.running
                worker.running = None
                finished[sequence] = _outcome(outcome, value, describe(task))
                if outcome != "ok":
                    exhausted = True  # nothing after a failure is needed: it is raised in its turn


def _outcome(outcome: str, value: Any, task: str) -> Any:
    """A worker's answer as the result, or as the exception the parent raises for it."""
    if outcome == "ok":
        return value
    if outcome == "user":
        return UserError(value)
    if outcome == "memory":
        return WorkerDied(f"a worker ran out of memory while judging {task}")
    return RuntimeError(f"{task} raised in a worker:\n{value}")


def ordered(
    function: Callable[[Any], Any],
    tasks: Iterable[Any],
    workers: int,
    *,
    window: int | None = None,
    describe: Callable[[Any], str] = repr,
) -> Iterator[Any]:
    """``function(task)`` for every task, in order; ``function`` must be importable by name."""
    if workers <= 1:
        yield from map(function, tasks)
        return
    pool = _Pool(workers)
    finished = False
    try:
        yield from pool.run(function, tasks, window or 4 * workers, describe)
        finished = True
    finally:
        pool.stop(finished=finished)


def serve() -> None:
    """A worker's life: read (function, task), send back ("ok", result) or what went wrong, until EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    results = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)  # print() in a task goes to stderr, never into the result pipe
    tasks = Connection(0, writable=False)
    while True:
        try:
            function, task = tasks.recv()
        except (EOFError, OSError):  # the parent is gone or done
            return
        try:
            message: tuple[str, Any] = ("ok", function(task))
        except UserError as exc:
            message = ("user", str(exc))
        except MemoryError:
            message = ("memory", "")
        except Exception:
            message = ("raised", traceback.format_exc())
        try:
            results.send(message)
        except pickle.PicklingError:
            results.send(("raised", traceback.format_exc()))
        except OSError:
            return


if __name__ == "__main__":
    serve()
