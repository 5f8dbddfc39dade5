"""A submission's code in a worker process of its own (``Isolated``): the judge's side of every request.

``oracle.course.isolation.sessions`` holds what both sessions share and the in-process one.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome
from oracle.core.record import ERROR, STATUSES, TIMEOUT, Record
from oracle.course.isolation.handle import WorkerHandle
from oracle.course.isolation.sandbox import Zygote, shared
from oracle.course.isolation.sessions import (
    CPU_TIMEOUTS,
    IMPORTING,
    SELF_JUDGED,
    SELF_WARNING,
    Found,
    LoadFailed,
    Options,
    Pending,
    Stopped,
    checked_course,
    short_text,
)
from oracle.course.isolation.settings import put_settings
from oracle.course.isolation.specs import judge_registered
from oracle.course.isolation.wire import Gone, ProtocolError, Timeout, get_outcome, text
from oracle.course.loading.installed import load_status
from oracle.course.reference import Reference


class Isolated:
    """The submission's code in a worker process, one per submission, started again after a stop."""

    def __init__(self, options: Options, zygote: Zygote | None = None, root: Path | None = None) -> None:
        self.options = options
        self.root = root  # the submission's folder or file: all a confined worker may read of the class
        self.zygote = zygote or shared()
        self.worker: WorkerHandle | None = None
        self.loaded: list[tuple[int, Path, str, bool]] = []  # files imported, to import again after a restart
        self.imported: set[int] = set()  # the files the current worker has imported
        self.autodiff: list[str] = []
        self.pending: Pending | None = None  # a case whose answer has not been read yet

    def _ask(
        self,
        header: dict[str, Any],
        arrays: Sequence[np.ndarray],
        seconds: float,
        what: str,
        limit: float | None = None,
    ) -> tuple[dict[str, Any], list[np.ndarray]]:
        """An answer of the worker (started if needed) within ``seconds`` (of ``limit``), or ``Stopped``."""
        worker, deadline = self._send(header, arrays, seconds, what)
        return self._answer(worker, deadline, what, seconds if limit is None else limit)

    def _send(
        self, header: dict[str, Any], arrays: Sequence[np.ndarray], seconds: float, what: str
    ) -> tuple[WorkerHandle, float]:
        """Send a request (to a worker started first if needed); the worker and the answer's deadline."""
        self._settle()
        if self.worker is not None and not self.zygote.alive():  # killed since the last answer
            self._stop(kill=True)
            detail = "the zygote that forked the submission's process was killed meanwhile"
            raise Stopped(ERROR, f"{what}: {detail}")
        needs = header.get("file") if header.get("op") in ("call", "judge") else None
        worker = self._worker(what, needs)  # a start or restart has time limits of its own
        deadline = time.monotonic() + seconds
        with contextlib.suppress(Timeout, Gone):  # it does not even read: its answer will say why
            worker.send(header, arrays, deadline)
        return worker, deadline

    def _answer(
        self, worker: WorkerHandle, deadline: float, what: str, limit: float
    ) -> tuple[dict[str, Any], list[np.ndarray]]:
        """The worker's answer to the request sent last, or ``Stopped`` (the worker ended)."""
        try:
            reply, out = worker.answer(deadline)
        except Timeout:
            self._stop(kill=True)
            detail = f"no answer within {limit:g} s (the code hangs or is far too slow); stopped"
            raise Stopped(TIMEOUT, f"{what}: {detail}") from None
        except Gone:
            ended = self._stop(kill=True)
            raise Stopped(ERROR, f"{what}: the submission's process died ({ended})") from None
        except ProtocolError as exc:
            self._stop(kill=True)
            detail = f"the submission's process sent a malformed answer ({exc})"
            raise Stopped(ERROR, f"{what}: {detail}") from None
        if not self.zygote.alive():  # killed during this request: by the code it ran, most likely
            self._stop(kill=True)
            raise Stopped(
                ERROR, f"{what}: the zygote that forked the submission's process was killed meanwhile"
            )
        if "failure" in reply:  # something escaped the worker's request loop
            self._stop(kill=True)
            raise Stopped(ERROR, f"{what}: the worker failed ({short_text(reply['failure'])})")
        found = reply.get("autodiff", [])
        if isinstance(found, list):
            self.autodiff = sorted({*self.autodiff, *(short_text(n) for n in found)})
        return reply, out

    def _settle(self) -> None:
        """Read the answer still awaited, if any, before anything else is asked."""
        pending, self.pending = self.pending, None
        if pending is not None:
            with contextlib.suppress(Stopped):
                pending.resolve()

    def _worker(self, what: str, needs: int | None = None) -> WorkerHandle:
        """The worker (forked if there is none), with file ``needs`` imported: after a restart,
        only the files the next requests need are imported again, each when first needed."""
        if self.worker is None:
            o = self.options
            self.worker = self.zygote.fork(o.max_memory, math.ceil(CPU_TIMEOUTS * o.timeout), o.confine)
            self.imported = set()
        for index, path, shown, strict in self.loaded:
            if index == needs and index not in self.imported:
                try:
                    self._load(index, path, shown, strict)
                except LoadFailed as failed:
                    self._stop(kill=True)
                    raise Stopped(failed.status, f"{what}: could not start again ({failed.detail})") from None
        assert self.worker is not None
        return self.worker

    def _stop(self, kill: bool) -> str:
        ended = self.worker.end(kill) if self.worker is not None else ""
        self.worker = None
        return ended

    def load(self, index: int, path: Path, shown: str, strict: bool) -> list[Found]:
        """The known targets of one file, imported in the worker."""
        listing = self._load(index, path, shown, strict)
        self.loaded.append((index, path, shown, strict))
        return listing

    def _load(self, index: int, path: Path, shown: str, strict: bool) -> list[Found]:
        header = {
            "op": "load",
            "file": index,
            "path": str(path.resolve()),
            "root": str((self.root or path).resolve()),
            "shown": shown,
            "names": list(self.options.names) if self.options.names is not None else None,
            "course": self.options.course,
            "dtype": self.options.dtype,
            "strict": strict,
            "refs": judge_registered(),
        }
        try:
            reply, _ = self._ask(header, [], IMPORTING * self.options.timeout, f"importing {shown}")
        except Stopped as stop:
            raise LoadFailed(stop.status, stop.detail) from None
        if "error" in reply:
            message = text(reply["error"]).replace(str(path.resolve()), shown)
            raise LoadFailed(load_status(message, path), message)
        try:
            listing = [
                Found(
                    index,
                    text(t["name"]),
                    text(t["kind"]),
                    text(t["op"]),
                    text(t["problem"]),
                    tuple(text(d) for d in t["defined_in"]),
                    t.get("spec") if isinstance(t.get("spec"), dict) else None,
                    checked_course(t.get("course", "")),
                )
                for t in reply["targets"]
            ]
        except (KeyError, TypeError, ProtocolError) as exc:
            self._stop(kill=True)
            raise LoadFailed(ERROR, f"importing {shown}: a malformed answer ({exc})") from None
        self.imported.add(index)
        return listing

    def runner(self, index: int, name: str, what: str) -> Callable[..., Outcome]:
        """Ask the worker for each case; ``Stopped`` once the target has used up its time.

        The answer is read when the judge first looks at it (``Pending``): meanwhile the
        judge computes JAX's side of the same case, and the worker the student's. The
        target's time is what the judge spends waiting for answers, so the judge's own
        work (compiling JAX on a cold cache) never counts against the student.
        """
        budget = [self.options.timeout]

        def run(
            ref: Reference, inputs: Sequence[np.ndarray], upstream: np.ndarray | None, settings: Any
        ) -> Outcome:
            arrays = [*inputs, *([] if upstream is None else [upstream])]
            header = {
                "op": "call",
                "file": index,
                "target": name,
                "inputs": len(inputs),
                "upstream": upstream is not None,
                "settings": put_settings(settings, arrays),
            }
            worker, _ = self._send(header, arrays, budget[0], what)

            def resolve() -> Outcome:
                self.pending = None
                start = time.monotonic()
                try:
                    reply, out = self._answer(worker, start + budget[0], what, self.options.timeout)
                finally:
                    budget[0] -= time.monotonic() - start
                try:
                    return get_outcome(reply, out)
                except ProtocolError as exc:
                    self._stop(kill=True)
                    detail = f"the submission's process sent a malformed answer ({exc})"
                    raise Stopped(ERROR, f"{what}: {detail}") from None

            self.pending = Pending(resolve)
            return self.pending

        return run

    def judge_self(self, index: int, name: str, replay: Callable[[int], str]) -> list[Record]:
        """The check of a target whose reference the file registered itself, made in the worker."""
        o = self.options
        header = {
            "op": "judge",
            "file": index,
            "target": name,
            "seed": o.seed,
            "seeds": o.seeds,
            "dtype": o.dtype,
        }
        seconds = SELF_JUDGED * o.timeout
        reply, _ = self._ask(header, [], seconds, f"{name} (judged in the worker)")
        try:
            return [_record(row, name, replay) for row in reply["records"]]
        except (KeyError, TypeError, ValueError, ProtocolError) as exc:
            self._stop(kill=True)
            raise Stopped(ERROR, f"{name}: the worker's records are malformed ({exc})") from None

    def close(self) -> None:
        self._stop(kill=False)


def _record(row: Any, name: str, replay: Callable[[int], str]) -> Record:
    """A record the worker sent, re-validated field by field; its target and replay are the judge's."""
    if not isinstance(row, dict):
        raise ProtocolError("a record that is not an object")
    values: dict[str, Any] = {}
    for key in ("case_id", "input", "shape", "dtype", "status", "detail", "worst_index", "ops", "judge"):
        values[key] = text(row[key])
    for key in ("tested_value", "jax_value", "fd_value", "abs_err", "rel_err"):
        value = row[key]
        if value is not None and (type(value) not in (int, float)):
            raise ProtocolError(f"{key} is not a number")
        values[key] = None if value is None else float(value)
    seed = row["seed"]
    if seed is not None and type(seed) is not int:
        raise ProtocolError("seed is not a whole number")
    if values["status"] not in STATUSES:
        raise ProtocolError(f"status {values['status']!r}")
    warning = "; ".join(w for w in (text(row.get("warning", "")), SELF_WARNING) if w)
    return Record(
        **values,
        n_nodes=1,
        seed=seed,
        replay=replay(seed if seed is not None else 0),
        warning=warning,
        target=name,
    )
