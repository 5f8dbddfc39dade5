"""An engine file checked with the student's code in a confined process of its own.

``check`` isolates by default; for engine files (``plugin.find`` with ``Options.isolate``)
the student's code (the import of the file, the probe, every program's run) runs in
``python -m oracle.engines.server``, confined as a course worker is (namespaces, Landlock,
seccomp, the address space of ``--max-memory``, CPU seconds; ``--confine off``: only the
limits), and only ever answers with numbers and sentences. Everything else stays in the
checker's process: the graphs, the code written for each program, JAX, the judgement, the
shrinking and the rows, made with a proxy of each engine (``remote.proxy``) through the same
``check_module`` as ``--no-isolate``. So the student's code cannot choose which programs are
judged, nor touch a record, the CSV or the checker.

Each request has its own limit (a program's ``execute.STEP_SECONDS`` plus ``limits.GRACE``;
the start, its import and probe, ``limits.START_TIMEOUTS`` times ``--timeout``): a hang the
engine's own time limit could not stop is one ``timeout`` row naming it; a process that
dies (killed, out of CPU time, exited) or sends a malformed description is one ``error`` row.
Either ends that engine's check, the process is killed, and the file's later engines are
checked in a new process. A file that does not import gets no row here (the course
machinery's own import reports it).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oracle.core.record import ERROR, Record
from oracle.engines.channel import Malformed
from oracle.engines.checking import check_module, covers_of, replay_for
from oracle.engines.remote import Child, Gone, described_in, proxy


@dataclass
class Checked:
    """One engine's rows (or one row named ``guess`` when the file's process could not start)."""

    name: str
    records: list[Record]
    defined_in: tuple[str, ...] = ()
    covers: tuple[str, ...] = ()  # gates of the unit styles (``plugin._covers``)


def row(name: str, status: str, detail: str, shown: str, options: Any) -> Record:
    record = Record("", "", "", "float64", status, detail, n_nodes=0, seed=options.seed)
    record.target, record.replay = name, replay_for(shown, name, options)(options.seed)
    record.case_id = hashlib.sha256(f"{name}|{detail}".encode()).hexdigest()[:12]
    return record


def check_file(path: Path, shown: str, options: Any, guess: str) -> list[Checked]:
    """Every engine of the file checked, a new process after one that hung or died."""
    checked: list[Checked] = []
    start = 0
    while True:
        try:
            child = Child(path, options)
        except Gone as gone:
            if not checked:
                return [Checked(guess, [row(guess, gone.status, gone.detail, shown, options)])]
            return checked  # the file's later engines: its first process described them
        try:
            start = _check_engines(child, start, shown, options, checked)
        finally:
            child.close()
        if start < 0:
            return checked


def _check_engines(child: Child, start: int, shown: str, options: Any, checked: list[Checked]) -> int:
    """The engines from ``start`` on; the next one to check in a new process, or -1 when done."""
    descriptions = child.engines or []
    for index in range(start, len(descriptions)):
        description = descriptions[index]
        try:
            engine = proxy(description, child, index)
        except Malformed as exc:
            name = "engine"
            detail = f"the engine's process sent a malformed description ({exc})"
            checked.append(Checked(name, [row(name, ERROR, detail[:200], shown, options)]))
            return -1
        if options.names is not None and engine.name not in options.names:
            continue
        covers = covers_of(engine)
        try:
            records = check_module(None, engine, shown, options)
        except Gone as gone:
            records = [row(engine.name, gone.status, gone.detail, shown, options)]
            checked.append(Checked(engine.name, records, described_in(description), covers))
            return index + 1 if index + 1 < len(descriptions) else -1
        checked.append(Checked(engine.name, records, described_in(description), covers))
    return -1
