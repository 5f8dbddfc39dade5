"""The student's side of isolated checks: a zygote process that forks one worker per submission.

The judge (``oracle.course.isolation.sandbox``) starts one *zygote* per judging process: it imports
the oracle's course modules once (the target registry, the calls, ``load_module``) and
then only forks. Each fork is a *worker*: it leaves the zygote's session
(``os.setsid``), dies with the zygote, limits its own memory and file sizes, sends its
standard output and error to ``/dev/null``, works in an empty temporary folder, imports
the submission's files and answers the judge's requests over a socket
(``oracle.course.isolation.wire``):

- ``load``: import one file (``load_module``) and list the known targets it defines;
- ``call``: run one case of one target (the target's ``call`` from the registry, as in
  the judge's process: ``oracle.course.calling.calls.run``) on the inputs sent, and send back the
  ``Outcome``: arrays of numbers and text only;
- ``judge``: for a target whose reference the checked file registered itself (so only
  this process has it), the whole check, sent back as records;
- ``bye``: exit.

The zygote never imports JAX (the target declarations name JAX's functions lazily:
``oracle.core.lazy_jax``), so forking it is safe and costs milliseconds instead of the
seconds an import of numpy and the registry takes; a submission that imports JAX imports it
in its worker. In each worker, the oracle's own modules and JAX are moved
out of ``sys.modules`` before the submission is imported and come back the moment
anything imports them, so ``sys.modules`` says which autodiff libraries the submission
imported (``autodiff``), and the oracle's, as anyone else's, only if it asked.
"""

from __future__ import annotations

import ctypes
import dataclasses
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import resource
import signal
import socket
import sys
import tempfile
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import numpy as np

from oracle.core.errors import UserError
from oracle.course import check_target
from oracle.course.calling.calls import describe_exception, run
from oracle.course.isolation import confine
from oracle.course.isolation.provenance import PROJECT, autodiff, defined_in
from oracle.course.isolation.settings import get_settings
from oracle.course.isolation.specs import reference_spec, stand_in_reference
from oracle.course.isolation.wire import Gone, put_outcome, receive, send
from oracle.course.loading.finding import Target, find_targets, load_module, select_targets
from oracle.course.reference import BUILTIN, KINDS, Reference
from oracle.course.registry import REFERENCES

SET_ASIDE = {"jax": "jax", "jaxlib": "jax", "oracle": "oracle"}  # top-level module -> its group
FILE_LIMIT = 64 << 20  # bytes a worker may write to one file
NICE = 5  # a worker runs at a lower priority than its judge
CPU_DEFAULT = 300  # CPU seconds of a worker, when the judge does not say
OWN_PACKAGES = ("oracle", "reference")  # of this project: a worker may read these, not its tests
PR_SET_CHILD_SUBREAPER = 36


# --------------------------------------------------------------- a worker


@dataclasses.dataclass(frozen=True)
class Limits:
    """What the judge asks of a worker: its address space, CPU seconds and confinement."""

    max_memory: int
    cpu: int
    confine: str  # auto, strict or off (oracle.course.isolation.confine)
    protected: tuple[int, ...]  # the judge, the zygote, the judge's process group: never signalled


def become_worker(fd: int, zygote_pid: int, folder: str, limits: Limits) -> None:
    os.setsid()  # a session of its own: a signal to its parent's group cannot reach the judge
    os.nice(NICE)  # the judge, which wakes it with every request, keeps its core meanwhile
    die_with_parent(zygote_pid)
    keeper = os.getpid()
    if limits.confine != "off":  # from here on, in namespaces of its own when the kernel allows
        layers = confine.enter(limits.cpu, fd)
    else:
        layers = confine.Layers()
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu, limits.cpu + 1))
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # too large a file: an OSError in the code that wrote it
    max_memory = limits.max_memory
    resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, FILE_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    null = os.open(os.devnull, os.O_RDWR)
    for std in (0, 1, 2):  # the submission's prints go nowhere, never into the report
        os.dup2(null, std)
    os.close(null)
    os.chdir(folder)
    for name in ("TMPDIR", "HOME", "MPLCONFIGDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
        os.environ[name] = folder  # the one folder it may write in, once confined
    tempfile.tempdir = folder
    sys.dont_write_bytecode = True  # no __pycache__ in the submission's folders
    sock = socket.socket(fileno=fd)
    keepers = (keeper,) if layers.pidns else ()  # without namespaces, the worker is its own keeper
    confined = Confined(limits.confine, layers, folder, (*limits.protected, *keepers))
    Worker(sock, SetAside(), confined).serve()


@dataclasses.dataclass
class Confined:
    """A worker's confinement: namespaces and limits from its fork, the rest once it knows its submission."""

    mode: str
    layers: confine.Layers
    folder: str
    protected: tuple[int, ...]
    done: bool = False

    def restrict(self, root: str) -> str:
        """Confine the file system, then system calls, to ``root`` (the submission); a problem, or ''."""
        if self.done or self.mode == "off":
            return ""
        self.done = True
        readable = [*confine.python_paths(), *(os.path.join(PROJECT, p) for p in OWN_PACKAGES), root]
        confine.restrict(self.layers, readable, [self.folder, os.devnull], self.protected, [PROJECT])
        lacking = self.layers.lacking()
        if self.mode == "strict" and lacking:
            return f"--confine strict: the worker could not confine {'; '.join(lacking)}"
        return ""


class SetAside(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """The oracle's modules and JAX, out of ``sys.modules`` until something imports them.

    They stay loaded (the worker's own code holds them); an import puts back the whole
    group (``jax``: jax and jaxlib; ``oracle``) as it was, without executing anything.
    """

    def __init__(self) -> None:
        self.modules: dict[str, ModuleType] = {}
        self.specs: dict[str, Any] = {}
        self.hide(set(SET_ASIDE.values()))
        sys.meta_path.insert(0, self)

    def hide(self, groups: set[str]) -> None:
        for name in list(sys.modules):
            if SET_ASIDE.get(name.partition(".")[0]) in groups:
                module = self.modules[name] = sys.modules.pop(name)
                self.specs[name] = module.__spec__

    def restore(self, group: str | None = None) -> set[str]:
        """Put back one group (``None``: all) of the modules set aside; the groups put back."""
        names = [n for n in self.modules if group in (None, SET_ASIDE[n.partition(".")[0]])]
        for name in names:
            sys.modules.setdefault(name, self.modules.pop(name))
        return {SET_ASIDE[n.partition(".")[0]] for n in names}

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        module = self.modules.get(fullname)
        if module is None:
            return None
        return importlib.util.spec_from_loader(fullname, self, is_package=hasattr(module, "__path__"))

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return self.modules[spec.name]

    def exec_module(self, module: ModuleType) -> None:
        module.__spec__ = self.specs[module.__name__]
        self.restore(SET_ASIDE[module.__name__.partition(".")[0]])


class Worker:
    """The request loop of one worker: the submission's files, by the judge's index."""

    def __init__(self, sock: socket.socket, aside: SetAside, confined: Confined) -> None:
        self.sock, self.aside, self.confined = sock, aside, confined
        self.files: dict[int, dict[str, Target]] = {}
        self.handlers: dict[str, Callable[[dict[str, Any], list[np.ndarray]], Any]] = {
            "load": self.load,
            "call": self.call,
            "judge": self.judge,
        }

    def serve(self) -> None:
        me = os.getpid()
        while True:
            try:
                header, arrays = receive(self.sock)
            except Gone:
                return
            handler = self.handlers.get(str(header.get("op")))
            if handler is None:
                return  # "bye", or a request this worker does not know
            try:
                reply, out = handler(header, arrays)
            except BaseException as exc:  # the student's code may raise anything, even SystemExit
                reply, out = {"failure": describe_exception(exc)}, []
            if os.getpid() != me:  # a process the submission forked, back in the worker's code
                os._exit(0)  # it never answers: the channel is the worker's
            reply["autodiff"] = autodiff()
            send(self.sock, reply, out)

    def load(self, header: dict[str, Any], arrays: list[np.ndarray]) -> tuple[dict[str, Any], list[Any]]:
        for spec in header.get("refs", []):  # references the judge's process registered (a pytest file)
            if spec["name"] not in REFERENCES and spec["kind"] in KINDS:
                REFERENCES[spec["name"]] = stand_in_reference(spec)
        names = header.get("names")
        problem = self.confined.restrict(str(header.get("root") or header["path"]))
        if problem:
            return {"error": problem}, []
        try:
            module = load_module(header["path"])
            shown, dtype = header["shown"], header["dtype"]
            course = str(header.get("course", ""))
            if header.get("strict"):
                targets = select_targets(module, names, dtype, shown, course)
            else:
                targets = find_targets(module, names, dtype, shown, course)
        except UserError as exc:
            return {"error": str(exc)}, []
        self.files[int(header["file"])] = {t.ref.name: t for t in targets}
        listing = [
            {
                "name": t.ref.name,
                "kind": t.ref.kind,
                "op": t.ref.op,
                "problem": t.problem,
                "defined_in": [defined_in(o) for o in t.impl if o is not None],
                "spec": None if t.ref.name in BUILTIN else _spec(t.ref),
                "course": t.course,
            }
            for t in targets
        ]
        return {"targets": listing}, []

    def call(self, header: dict[str, Any], arrays: list[np.ndarray]) -> tuple[dict[str, Any], list[Any]]:
        target = self.files[int(header["file"])][header["target"]]
        ref = target.ref  # the registry's, or one found for this file (a pair without a reference)
        n = int(header["inputs"])
        upstream = arrays[n] if header["upstream"] else None
        settings = get_settings(header["settings"], arrays)
        assert ref.call is not None
        return put_outcome(run(ref.call, ref.name, ref.inputs, target.impl, arrays[:n], upstream, settings))

    def judge(self, header: dict[str, Any], arrays: list[np.ndarray]) -> tuple[dict[str, Any], list[Any]]:
        """The whole check of a target whose JAX reference only this process has (the file registered it)."""
        target = self.files[int(header["file"])][header["target"]]
        hidden = self.aside.restore()  # the check needs JAX; the submission did not import it
        try:
            records = check_target(target, int(header["seed"]), int(header["seeds"]), header["dtype"])
        finally:
            self.aside.hide(hidden)
        rows = [
            {k: v.item() if isinstance(v, np.generic) else v for k, v in dataclasses.asdict(r).items()}
            for r in records
        ]
        return {"records": rows}, []


def _spec(ref: Reference) -> dict[str, Any] | None:
    """``reference_spec`` when it is plain JSON (settings of numbers, text, lists and dicts), else None."""
    spec = reference_spec(ref)
    try:
        json.dumps(spec, allow_nan=False)
    except (TypeError, ValueError):
        return None
    return spec


def die_with_parent(parent: int) -> None:
    """Be killed when ``parent`` dies (Linux), so no worker outlives a killed checker."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # it died before we asked
        os._exit(1)
