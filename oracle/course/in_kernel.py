"""``from oracle import check``: checking a running notebook's functions, in its own kernel.

``check(affine_backward)``, ``check(TwoLayerNet)``, ``check(globals())`` or ``check(module)``:
the targets are found by name and signature as in a file (``oracle.course.loading.finding``);
a function's partner (``affine_forward`` for ``affine_backward``) and helpers are looked up in
the namespace it was defined in, and the object given is the one checked, whatever that
namespace now binds to its name. The student's code runs here, in the kernel, with no
isolation (a notebook's own code already runs there); each target gets ``timeout`` seconds
of the student's code's time over all its cases (``SIGALRM``: on POSIX and in the main
thread, which is where a kernel runs a cell), past which it has one ``timeout`` row.

It leaves no trace in the kernel: JAX's x64 mode is on only while it runs, and numpy's
random state, print options and error handling, and the warning filters, are restored
afterwards. A student's bug is a row of the result (``oracle.course.result``), never an
exception; a wrong call (not a function, class, module or namespace; a name the oracle does
not know; a bad option) is one ``TypeError`` or ``ValueError`` saying what to pass.
"""

from __future__ import annotations

import contextlib
import inspect
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

import jax
import numpy as np

from oracle.core.compare import DTYPES
from oracle.core.record import TIMEOUT, Record
from oracle.course.calling.calls import FD_KINDS
from oracle.course.grading.submission import File, Submission, SubmissionCheck
from oracle.course.isolation.sessions import Found, InProcess, Options, Stopped
from oracle.course.judging.cases import in_process
from oracle.course.judging.fd_judge import judge_fd_target
from oracle.course.loading.finding import Target, find_targets
from oracle.course.registry import known_names
from oracle.course.result import CheckResult

KERNEL = Path("<kernel>")  # the submission's one "file": the kernel's namespace


def check(
    obj: Any, *, seed: int = 0, seeds: int = 3, dtype: str = "float64", timeout: float = 10.0
) -> CheckResult:
    """Check a function, a class, a module or a namespace (``globals()``) of this process against JAX."""
    module, wanted, shown = _namespace(obj)
    _options(seed, seeds, dtype, timeout)
    options = Options(seed=seed, seeds=seeds, dtype=dtype, isolate=False, timeout=float(timeout))
    with _no_trace():
        targets = find_targets(module, None, dtype, shown)
        if wanted is not None:
            targets = [t for t in targets if any(o is wanted for o in t.impl)]
        if not targets:
            raise ValueError(_nothing(shown, wanted))
        submission = Submission(shown, (File(KERNEL, shown, ""),))
        checking = SubmissionCheck(submission, options)
        checking.session = InKernel(options, targets)
        records: list[Record] = []
        try:
            checking.load()
            for result in checking.targets():
                records += result.records
        finally:
            checking.close()
    extra = "" if dtype == "float64" else f", dtype={dtype!r}"
    for record in records:
        record.replay = (
            f"check({shown}, seed={record.seed if record.seed is not None else seed}, seeds=1{extra})"
        )
    return CheckResult(records, shown)


def _namespace(obj: Any) -> tuple[ModuleType, Any, str]:
    """(the module to look in, the object asked for or None for all, how the call names it)."""
    if isinstance(obj, ModuleType):
        return obj, None, obj.__name__
    if isinstance(obj, dict):
        if not all(isinstance(k, str) for k in obj):
            raise TypeError("check(dict): a namespace has names for keys; pass globals()")
        return _module(obj), None, "globals()"
    if inspect.isfunction(obj) or inspect.isclass(obj):
        name = obj.__name__
        if inspect.isfunction(obj):
            namespace = obj.__globals__
        else:
            namespace = getattr(sys.modules.get(obj.__module__), "__dict__", {})
        module = _module(namespace)
        setattr(module, name, obj)  # the object given, even if the namespace's name now means another
        return module, obj, name
    what = type(obj).__name__
    raise TypeError(
        f"check() takes a function, a class, a module or globals(), not a {what}: "
        "e.g. check(affine_backward), check(TwoLayerNet) or check(globals())"
    )


def _module(namespace: dict[str, Any]) -> ModuleType:
    module = ModuleType(str(namespace.get("__name__", "__main__")))
    module.__dict__.update(namespace)
    return module


def _options(seed: Any, seeds: Any, dtype: Any, timeout: Any) -> None:
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**63:
        raise ValueError(f"check(seed={seed!r}): a whole number from 0 to 2**63 - 1")
    if not isinstance(seeds, int) or isinstance(seeds, bool) or not 1 <= seeds <= 1000:
        raise ValueError(f"check(seeds={seeds!r}): a whole number from 1 to 1000")
    if dtype not in DTYPES:
        raise ValueError(f"check(dtype={dtype!r}): one of {', '.join(DTYPES)}")
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or not 0 < timeout <= 3600:
        raise ValueError(f"check(timeout={timeout!r}): seconds, more than 0 and at most 3600")


def _nothing(shown: str, wanted: Any) -> str:
    if wanted is None:
        return f"check({shown}): no known gate, layer or loss in it; looked for {known_names()}"
    return (
        f"check({shown}): {shown} is not a gate, layer, loss or network the oracle knows, nor half of a "
        f"NAME_forward/NAME_backward pair or a class with forward and backward methods; "
        f"looked for {known_names()}"
    )


@contextlib.contextmanager
def _no_trace() -> Iterator[None]:
    """JAX in x64 mode while the check runs; numpy's and the warnings' global state as they were after."""
    state = np.random.get_state()
    try:
        with jax.enable_x64(True), np.printoptions(), np.errstate(), warnings.catch_warnings():
            yield
    finally:
        np.random.set_state(state)


class Expired(BaseException):
    """The student's code ran out of time (a ``BaseException``: ``except Exception`` does not stop it)."""


class InKernel(InProcess):
    """The session of a kernel: targets found in its namespace, the student's time limited by ``SIGALRM``."""

    def __init__(self, options: Options, targets: list[Target]) -> None:
        super().__init__(options)
        self.found = targets

    def load(self, index: int, path: Path, shown: str, strict: bool) -> list[Found]:
        self.targets[index] = {t.ref.name: t for t in self.found}
        return [
            Found(index, t.ref.name, t.ref.kind, t.ref.op, t.problem, (), course=t.course) for t in self.found
        ]

    def runner(self, index: int, name: str, what: str) -> Callable[..., Any]:
        run, limit = in_process(self.targets[index][name].impl), self.options.timeout
        left = [limit]

        def timed(*args: Any) -> Any:
            if left[0] <= 0:
                raise Stopped(
                    TIMEOUT, f"{what}: no answer within {limit:g} s (the code hangs or is far too slow)"
                )
            start = time.monotonic()
            try:
                with _alarm(left[0]):
                    return run(*args)
            except Expired:
                detail = f"no answer within {limit:g} s (the code hangs or is far too slow); stopped"
                raise Stopped(TIMEOUT, f"{what}: {detail}") from None
            finally:
                left[0] -= time.monotonic() - start

        return timed

    def judge_self(self, index: int, name: str, replay: Callable[[int], str]) -> list[Record]:
        target = self.targets[index][name]
        if target.ref.kind not in FD_KINDS or target.problem:
            return super().judge_self(index, name, replay)
        o = self.options
        seeds = range(o.seed, o.seed + o.seeds)
        try:
            return judge_fd_target(target.ref, (), seeds, o.dtype, replay, self.runner(index, name, name))
        except Stopped as stop:
            record = Record("", "", "", o.dtype, stop.status, stop.detail, ops=name, n_nodes=1, seed=o.seed)
            record.target = name
            return [record]


@contextlib.contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    """``Expired`` raised in this thread after ``seconds``, then every 0.2 s until the block ends."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield  # no timer to be had: the code runs to its end
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise Expired

    previous = signal.signal(signal.SIGALRM, expire)
    before = signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-3), 0.2)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if before[0] > 0:  # a timer of the kernel's own: put back
            signal.setitimer(signal.ITIMER_REAL, *before)
