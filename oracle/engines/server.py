"""An engine file's own process: the student's code, confined, answering with numbers only.

Started by the checker (``oracle.engines.remote.Child``) as ``python -m oracle.engines.server
FD FILE SETTINGS`` in a session of its own, with one end of a socket pair as ``FD``. It
confines itself as a course worker is confined (``oracle.course.isolation.confine``: its own
user, PID and network namespaces, then Landlock and seccomp once it knows the file, the
address space of ``--max-memory``, CPU seconds, no core, files of at most 64 MB), with
``--confine off`` only the limits. Then it imports the file (``load_module``, as course code
is imported), probes its engines (``discover``), sends their description (``describe``) and
answers the checker's requests, JSON both ways (``channel``):

- ``run``: execute the statements the checker wrote for one program (``execute``) on one
  engine; the output and gradients back as numbers, or an error sentence;
- ``second``: what a second ``backward()`` on one graph does;
- ``tensor``: whether one engine's nodes hold arrays, and its capabilities on arrays;
- ``bye``: exit.

It never judges, never writes a record and never chooses a program: the graphs, JAX (which
this process imports with the course's importer but never runs), the judgement and the
shrinking stay in the checker's process, which reads every answer as data.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

from oracle.core.errors import UserError
from oracle.course.isolation import confine
from oracle.course.isolation.worker import FILE_LIMIT, NICE, Confined, die_with_parent
from oracle.course.loading.finding import load_module
from oracle.course.loading.importing import reading_roots
from oracle.engines import arrays
from oracle.engines.channel import Malformed, Silent, encode, receive, send
from oracle.engines.discover import defined_in, engines_of
from oracle.engines.execute import execute, second_backward
from oracle.engines.limits import quiet, time_limit
from oracle.engines.probe import Engine


def describe(engine: Engine) -> dict[str, Any]:
    """Everything the checker's proxy of the engine needs (``remote.proxy``): names and text only."""
    composer = engine.composer
    return {
        "name": engine.name,
        "cls": engine.cls.__name__,
        "title": engine.title,
        "module": getattr(engine.module, "__name__", "engine"),
        "data": engine.data,
        "grad": engine.grad,
        "backward": engine.backward,
        "function": engine.function,
        "make": engine.make,
        "array": engine.array,
        "methods": dict(engine.methods),
        "capabilities": sorted(engine.capabilities),
        "broken": dict(engine.broken),
        "declared": engine.declared,
        "problem": engine.problem,
        "fatal": engine.fatal,
        "composer": None
        if composer is None
        else {
            "style": composer.style,
            "unit": composer.unit,
            "value": composer.value,
            "grad": composer.grad,
            "gates": dict(composer.gates),
        },
        "defined_in": list(defined_in(engine.cls)),
    }


def become_confined(fd: int, path: Path, settings: dict[str, Any]) -> str:
    """Limits and confinement before the file is imported, as a course worker's; a problem, or ''."""
    os.nice(NICE)
    checker = int(settings["checker"])
    die_with_parent(checker)
    keeper, mode, cpu = os.getpid(), str(settings["confine"]), int(settings["cpu"])
    group = os.getpgid(0)  # its own session's (the checker's group is another), seen from outside
    if mode != "off":
        layers = confine.enter(cpu, fd)
    else:
        layers = confine.Layers()
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # too large a file: an OSError in the code that wrote it
    memory = int(settings["max_memory"])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, FILE_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    folder = os.getcwd()
    for name in ("TMPDIR", "HOME", "MPLCONFIGDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
        os.environ[name] = folder  # the one folder it may write in, once confined
    tempfile.tempdir = folder
    sys.dont_write_bytecode = True
    protected = (checker, -checker, group, -group, *((keeper,) if layers.pidns else ()))
    root = min(reading_roots(path), key=lambda folder: len(folder.parts))  # each is above the file
    return Confined(mode, layers, folder, protected).restrict(str(root))


def answer(engines: list[Engine], request: dict[str, Any]) -> dict[str, Any]:
    engine = engines[int(request["engine"])]
    if request["op"] == "run":
        out, grads, error = execute(
            engine, list(request["lines"]), request["output"], list(request["inputs"]), request["seconds"]
        )
        if error:
            return {"error": error}
        with quiet(), time_limit(float(request["seconds"])):  # np.asarray may call the student's code
            return {"out": encode(out), "grads": {n: encode(g) for n, g in grads.items()}}
    if request["op"] == "second":
        return {"text": second_backward(engine)}
    found = arrays.tensor_engine(engine)
    return {"tensor": found, "capabilities": sorted(engine.capabilities), "methods": dict(engine.methods)}


def serve(sock: socket.socket, engines: list[Engine]) -> None:
    while True:
        try:
            request = receive(sock)
        except (Silent, Malformed):
            return
        if request.get("op") == "bye":
            return
        try:
            reply = answer(engines, request)
        except Exception as exc:  # the student's code escaped every guard (an exception's own str raising)
            reply = {"error": f"engine raised {type(exc).__name__} in the engine's process"}
        send(sock, reply)


def main(argv: list[str]) -> int:
    fd, path, settings = int(argv[0]), Path(argv[1]), json.loads(argv[2])
    sock = socket.socket(fileno=fd)
    problem = become_confined(fd, path, settings)
    if problem:
        send(sock, {"fatal": problem})
        return 0
    try:
        module = load_module(path)
    except UserError:
        send(sock, {"engines": None})  # the course machinery's own import of the file reports why
        return 0
    engines = engines_of(module)
    send(sock, {"engines": [describe(e) for e in engines]})
    serve(sock, engines)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
