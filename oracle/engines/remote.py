"""The checker's side of an engine in a process of its own: the process, and a proxy per engine.

``Child`` starts ``python -m oracle.engines.server`` for one file (a session of its own, its
output thrown away, one end of a socket pair to talk) and reads the description of the
file's engines. ``proxy`` turns one description into an ``Engine`` that the checker's
modules (``drive``, ``tensors``, ``judging``, ``shrink``, ``rules``) use as they use a probed
one: its names write the programs' code here, and its ``remote`` (``Remote``) sends that code
to the process and reads back numbers (``channel.decode``: never unpickled). Every request
waits at most its own time limit plus ``limits.GRACE``; past it, or when the process dies,
the process is killed and ``Gone`` says how it ended, for one row.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from oracle.core.record import ERROR, TIMEOUT
from oracle.engines import gates
from oracle.engines.channel import Malformed, Silent, decode, receive, send, text
from oracle.engines.execute import STEP_SECONDS, Ran
from oracle.engines.limits import GRACE, START_TIMEOUTS
from oracle.engines.probe import Engine

CPU_TIMEOUTS = 12  # CPU seconds of the engine's process: this many --timeout (10 s), for all its engines
WAIT_END = 2.0  # seconds to learn how a process that closed its channel ended


class Gone(Exception):
    """The engine's process hung or ended: ``status`` (timeout or error) and a sentence."""

    def __init__(self, status: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


class Child:
    """One engine file's process, and the description of its engines (None: the file did not import)."""

    def __init__(self, path: Path, options: Any) -> None:
        self.folder = tempfile.TemporaryDirectory(prefix="oracle-engine-")
        ours, theirs = socket.socketpair()
        self.sock = ours
        settings = {
            "checker": os.getpid(),
            "confine": options.confine,
            "cpu": math.ceil(CPU_TIMEOUTS * options.timeout),
            "max_memory": options.max_memory,
        }
        command = [sys.executable, "-m", "oracle.engines.server", str(theirs.fileno()), str(path.resolve())]
        try:
            self.process = subprocess.Popen(
                [*command, json.dumps(settings)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd=self.folder.name,
                start_new_session=True,
                pass_fds=(theirs.fileno(),),
            )
        except OSError as exc:
            self.close()
            raise Gone(ERROR, f"could not start the engine's process: {exc}") from None
        finally:
            theirs.close()
        hello = self.ask(None, START_TIMEOUTS * options.timeout, "starting (importing the file, probing)")
        if "fatal" in hello:
            self.close()
            raise Gone(ERROR, text(hello["fatal"]))
        if "engines" not in hello:  # an error instead (a description over MAX_MESSAGE)
            self.close()
            why = (
                text(hello.get("error", "no description"), 200)
                if isinstance(hello.get("error", ""), str)
                else ""
            )
            raise Gone(ERROR, f"the engine's process did not describe its engines ({why})")
        engines = hello["engines"]
        if engines is not None and not isinstance(engines, list):
            self.close()
            raise Gone(ERROR, "the engine's process described its engines as something that is not a list")
        self.engines: list[Any] | None = engines

    def ask(self, request: dict[str, Any] | None, seconds: float, doing: str) -> dict[str, Any]:
        """The answer to ``request`` (None: the first message), within ``seconds``; ``Gone`` if none."""
        try:
            if request is not None:
                send(self.sock, request)
            reply = receive(self.sock, time.monotonic() + seconds)
        except Silent as exc:
            raise self._gone(str(exc), seconds, doing) from None
        except Malformed as exc:
            self.close()
            raise Gone(ERROR, f"the engine's process sent a malformed answer while {doing} ({exc})") from None
        except OSError as exc:  # the request could not be sent: the process is gone
            raise self._gone(f"the channel broke ({exc.strerror or exc})", seconds, doing) from None
        if not isinstance(reply, dict):
            self.close()
            raise Gone(ERROR, f"the engine's process answered a {type(reply).__name__} while {doing}")
        return reply

    def _gone(self, why: str, seconds: float, doing: str) -> Gone:
        if why == "no answer in time":
            self.close()
            detail = f"the engine's process gave no answer in {seconds:g} s while {doing} (a hang?); stopped"
            return Gone(TIMEOUT, detail)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(WAIT_END)
        code = self.process.poll()
        self.close()
        if code is None:
            how = why
        elif code < 0:
            name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
            how = f"killed by {name}" + (" (over its CPU time)" if name == "SIGXCPU" else "")
        else:
            how = f"exit code {code}"
        return Gone(ERROR, f"the engine's process ended ({how}) while {doing}")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            if getattr(self, "process", None) is not None and self.process.poll() is None:
                with contextlib.suppress(OSError):
                    send(self.sock, {"op": "bye"})
                os.killpg(self.process.pid, signal.SIGKILL)
        if getattr(self, "process", None) is not None:
            with contextlib.suppress(OSError):
                self.process.wait()
        self.sock.close()
        with contextlib.suppress(OSError):  # what the student's code left there, whatever its modes
            self.folder.cleanup()


@dataclass
class Remote:
    """One engine of a ``Child``: what ``run``, ``drive`` and ``tensors`` ask of it."""

    child: Child
    index: int
    engine: Engine

    def run(self, lines: list[str], output: str, names: list[str], seconds: float) -> Ran:
        request = {"op": "run", "engine": self.index, "lines": lines, "output": output}
        reply = self.child.ask(
            {**request, "inputs": names, "seconds": seconds}, seconds + GRACE, "running a graph"
        )
        try:
            if "error" in reply:
                return None, {}, text(reply["error"])
            grads = reply["grads"]
            if not isinstance(grads, dict) or set(grads) - set(names):
                raise Malformed("gradients of other inputs than the program's")
            return decode(reply["out"]), {n: decode(g) for n, g in grads.items()}, ""
        except (KeyError, Malformed) as exc:
            return None, {}, f"the engine's process sent a malformed answer ({exc})"

    def second(self) -> str:
        reply = self.child.ask(
            {"op": "second", "engine": self.index}, STEP_SECONDS + GRACE, "a second backward"
        )
        try:
            return text(reply.get("text", ""))
        except Malformed:
            return ""

    def tensor(self) -> bool:
        reply = self.child.ask({"op": "tensor", "engine": self.index}, STEP_SECONDS + GRACE, "trying arrays")
        if reply.get("tensor") is not True:
            return False
        try:
            capabilities, methods = _names(reply.get("capabilities")), _table(reply.get("methods"))
        except Malformed:
            return False
        self.engine.capabilities, self.engine.methods = set(capabilities), methods
        return True


def _names(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.isidentifier() for v in value):
        raise Malformed("names that are not identifiers")
    return list(value)


def _table(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise Malformed("a table that is not one")
    _names(list(value) + list(value.values()))
    return dict(value)


def _template(make: Any) -> str:
    """A constructor's code: only the fields ``{cls}`` and ``{x}`` (no attribute, no conversion)."""
    make = text(make)
    for _, field, spec, conversion in string.Formatter().parse(make):
        if field is not None and (field not in ("cls", "x") or spec or conversion):
            raise Malformed(f"a constructor with the field {{{field}}}")
    return make


def proxy(description: Any, child: Child, index: int) -> Engine:
    """The engine the process described, with its requests sent there; ``Malformed`` if unusable."""
    if not isinstance(description, dict):
        raise Malformed("an engine's description that is not a table")
    d = description
    try:
        cls_name, module_name = _names([d["cls"]])[0], text(d["module"])
        composer = None
        if d["composer"] is not None:
            c = d["composer"]
            if c["style"] not in (gates.UNIT, gates.BOUND, gates.VALUES):
                raise Malformed("a composer of no known style")
            _names([x for x in (c["unit"], c["value"], c["grad"]) if x])
            composer = gates.Composer(c["style"], c["unit"], c["value"], c["grad"], _table(c["gates"]))
        engine = Engine(
            type(cls_name, (), {"__module__": module_name}),
            ModuleType(module_name),
            data=text(d["data"]),
            grad=text(d["grad"]),
            backward=text(d["backward"]),
            function=d["function"] is True,
            make=_template(d["make"]),
            array=d["array"] is True,
            methods=_table(d["methods"]),
            capabilities=set(_names(d["capabilities"])),
            broken={text(k): text(v) for k, v in _dict(d["broken"]).items()},
            declared=d["declared"] is True,
            problem=text(d["problem"]),
            fatal=d["fatal"] is True,
            composer=composer,
            title=text(d["title"], 60),
        )
    except (KeyError, TypeError) as exc:
        raise Malformed(f"an engine's description without {exc}") from None
    engine.remote = Remote(child, index, engine)
    return engine


def _dict(value: Any) -> dict[Any, Any]:
    if not isinstance(value, dict):
        raise Malformed("a table that is not one")
    return value


def described_in(description: Any) -> tuple[str, ...]:
    files = description.get("defined_in", []) if isinstance(description, dict) else []
    return tuple(text(f, 4096) for f in files) if isinstance(files, list) else ()
