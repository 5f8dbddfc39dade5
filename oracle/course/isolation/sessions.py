"""Where a submission's code runs: in a worker process (``Isolated``) or in this one (``InProcess``).

Both sessions answer the same questions for ``oracle.course.grading.submission``: import a file
and list the known targets it defines (``load``), a runner that gets the student's
``Outcome`` for one case (``runner``, for ``oracle.course.judging.judge.Judgement``), and the
check of a target whose JAX reference the checked file registered itself
(``judge_self``: only the process that imported the file has that reference).

``Isolated`` asks a worker (``oracle.course.isolation.sandbox``) and holds it to the time limit:
each target gets ``Options.timeout`` seconds of the worker's time over all its cases,
each file's import ``IMPORTING`` times as much (an import of scipy or matplotlib takes
seconds on a busy machine). A target that runs out of time, or during which the worker
dies or sends something malformed, raises ``Stopped`` (one ``timeout`` or ``error`` row);
the next request starts a new worker, which imports again only the file that request needs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oracle.core import lazy_jax
from oracle.core.errors import UserError
from oracle.core.judgement import Outcome
from oracle.core.record import Record
from oracle.course import check_target
from oracle.course.isolation.provenance import defined_in
from oracle.course.isolation.wire import ProtocolError, text
from oracle.course.judging.cases import in_process
from oracle.course.loading.finding import Target, find_targets, load_module, select_targets
from oracle.course.loading.installed import load_status
from oracle.course.registry import COURSES

IMPORTING = 3  # importing a file gets this many timeouts
CPU_TIMEOUTS = 30  # a worker's CPU seconds (RLIMIT_CPU), in timeouts: far above an honest submission's
SELF_JUDGED = 10  # a target judged in the worker, JAX compilations included, gets this many timeouts
SELF_WARNING = "judged in the submission's process against the reference its file registered itself"


def short_text(value: Any) -> str:
    """A string from the worker, or a short repr of what came instead."""
    try:
        return text(value)
    except ProtocolError:
        return repr(value)[:200]


@dataclass(frozen=True)
class Options:
    """How every submission is checked."""

    seed: int = 0
    seeds: int = 3
    dtype: str = "float64"
    names: tuple[str, ...] | None = None  # only these targets
    isolate: bool = True
    timeout: float = 10.0  # seconds per target (IMPORTING times that per file imported)
    max_memory: int = 2048 << 20  # bytes of address space per worker
    course: str = ""  # the course the files follow ("": read off each file, ``registry.recognize``)
    confine: str = "auto"  # auto, strict or off: oracle.course.isolation.confine
    graphs: int = 0  # plugin checks (engines): random graphs per target; 0: the plugin's default


@dataclass(frozen=True)
class Found:
    """A known target found in one file of the submission."""

    file: int  # index into Submission.files
    name: str
    kind: str
    op: str
    problem: str
    defined_in: tuple[str, ...]
    spec: dict[str, Any] | None = None  # the reference as the worker has it, when it is not built in
    course: str = ""  # the course whose target it is


class Stopped(Exception):
    """The worker did not answer (a ``timeout``) or died or misbehaved (an ``error``): one row says so."""

    def __init__(self, status: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


class LoadFailed(Exception):
    """A file could not be imported, or (single-file checks) holds nothing to check."""

    def __init__(self, status: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


_FIELDS = frozenset(f.name for f in dataclasses.fields(Outcome))


class Pending(Outcome):
    """The student's ``Outcome`` of a case, read from the worker when one of its fields is first read."""

    def __init__(self, resolve: Callable[[], Outcome] | None = None, **fields: Any) -> None:
        # ``dataclasses.replace`` (an adapt hook's) makes a new one from fields: an answered one.
        object.__setattr__(self, "_resolve", resolve)
        object.__setattr__(self, "_outcome", None if resolve is not None else Outcome(**fields))

    def resolve(self) -> Outcome:
        outcome: Outcome | None = object.__getattribute__(self, "_outcome")
        if outcome is None:
            outcome = object.__getattribute__(self, "_resolve")()
            object.__setattr__(self, "_outcome", outcome)
        assert outcome is not None
        return outcome

    def __getattribute__(self, name: str) -> Any:
        if name in _FIELDS:
            return getattr(object.__getattribute__(self, "resolve")(), name)
        return object.__getattribute__(self, name)

    def __setattr__(self, name: str, value: Any) -> None:  # an adapt hook notes a convention on it
        if name in _FIELDS:
            setattr(self.resolve(), name, value)
        else:
            object.__setattr__(self, name, value)


class InProcess:
    """The submission's code in this process: no limits and no isolation (``--no-isolate``)."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.targets: dict[int, dict[str, Target]] = {}
        self.autodiff: list[str] = []  # cannot be told: this process imports them all itself
        # JAX before the submission, even if every answer is in the cache: what its code does
        # at import (patching numpy, warnings as errors) must not reach JAX's own import
        lazy_jax.load()

    def load(self, index: int, path: Path, shown: str, strict: bool) -> list[Found]:
        """The known targets of one file (``strict``: ``select_targets``' user errors, as ``LoadFailed``)."""
        names, dtype = self.options.names, self.options.dtype
        try:
            module = load_module(path)
            find = select_targets if strict else find_targets
            found = find(module, names, dtype, shown, self.options.course)
        except UserError as exc:
            raise LoadFailed(load_status(str(exc), path), str(exc)) from None
        self.targets[index] = {t.ref.name: t for t in found}
        return [
            Found(index, t.ref.name, t.ref.kind, t.ref.op, t.problem, _owners(t.impl), course=t.course)
            for t in found
        ]

    def runner(self, index: int, name: str, what: str) -> Callable[..., Outcome]:
        return in_process(self.targets[index][name].impl)

    def judge_self(self, index: int, name: str, replay: Callable[[int], str]) -> list[Record]:
        target = self.targets[index][name]
        return check_target(target, self.options.seed, self.options.seeds, self.options.dtype)

    def close(self) -> None:
        pass


def _owners(impl: Sequence[Any]) -> tuple[str, ...]:
    return tuple(defined_in(o) for o in impl if o is not None)


def checked_course(name: Any) -> str:
    """A course named in a worker's answer: one of the registry's, or the answer is malformed."""
    if name != "" and name not in COURSES:
        raise ProtocolError(f"{text(name)!r} is not a course")
    return str(name)
