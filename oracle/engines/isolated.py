"""An engine file checked in a process of its own: a crash, an exit or a hang costs one row.

``check`` isolates by default; for engine files (``plugin.find`` with ``Options.isolate``)
the whole check of one file (import, probe, graphs, JAX, shrinking) runs in a fresh
``python -m oracle.engines.isolated`` started in a session of its own, its output thrown
away, its answer written as JSON to a temporary file: the records of each engine the file
holds. The checker waits at most ``limit(options)`` seconds; past it the process group is
killed and the file gets one ``timeout`` row, and a process that dies or answers nothing
usable gets one ``error`` row. Within the child each graph still has its own time limit
(``limits.time_limit``).

What this does not do, unlike the course's worker processes: the student's code and the
JAX judge share the child's interpreter, so hostile code could forge its records; there is
no memory limit (JAX reserves more address space than a course worker's limit allows).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from oracle.core.record import ERROR, TIMEOUT, Record

PER_TARGET = 12  # the child gets this many --timeout (10 s) per file: start-up, JAX and every graph


def limit(timeout: float) -> float:
    return PER_TARGET * timeout


def run_child(path: Path, shown: str, options: Any) -> tuple[list[dict[str, Any]], str, str]:
    """The child's answer: one entry per engine (name, defined_in, records), or a status and a detail."""
    with tempfile.TemporaryDirectory(prefix="oracle-engine-") as folder:
        answer = Path(folder) / "answer.json"
        settings = {"seed": options.seed, "graphs": options.graphs, "names": options.names}
        command = [
            sys.executable,
            "-m",
            "oracle.engines.isolated",
            str(path.resolve()),
            shown,
            json.dumps(settings),
            str(answer),
        ]
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd=folder,
                start_new_session=True,
            )
        except OSError as exc:
            return [], ERROR, f"could not start the engine check's process: {exc}"
        try:
            process.wait(timeout=limit(options.timeout))
        except subprocess.TimeoutExpired:
            _kill(process)
            return (
                [],
                TIMEOUT,
                f"the engine check took over {limit(options.timeout):g} s (the code hangs?); stopped",
            )
        finally:
            _kill(process)
        try:
            entries = json.loads(answer.read_text())
        except (OSError, ValueError):
            how = (
                f"exit code {process.returncode}"
                if process.returncode >= 0
                else f"signal {-process.returncode}"
            )
            return [], ERROR, f"the engine check's process ended ({how}) without an answer"
    if not isinstance(entries, list):
        return [], ERROR, "the engine check's process answered something that is not a list"
    return entries, "", ""


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with contextlib.suppress(OSError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def records_of(entry: dict[str, Any]) -> list[Record]:
    """The records of one engine as the child wrote them; fields the child should not set are refused."""
    names = {f.name for f in dataclasses.fields(Record)}
    rows = []
    for row in entry.get("records", []):
        if not isinstance(row, dict) or set(row) - names:
            raise ValueError("a record with unknown fields")
        rows.append(Record(**row))
    return rows


def main(argv: list[str]) -> int:
    """The child: check every engine of one file, write their records as JSON."""
    from oracle.core.errors import UserError
    from oracle.course.isolation.sessions import Options
    from oracle.course.loading.finding import load_module
    from oracle.engines.checking import check_module, defined_in, engines_of

    path, shown, settings, answer = Path(argv[0]), argv[1], json.loads(argv[2]), Path(argv[3])
    names = tuple(settings["names"]) if settings["names"] is not None else None
    options = Options(seed=settings["seed"], graphs=settings["graphs"], names=names, isolate=False)
    try:
        module = load_module(path)
    except UserError:
        answer.write_text("[]")  # the course machinery's own import of the file reports why
        return 0
    entries = []
    for engine in engines_of(module):
        if names is not None and engine.name not in names:
            continue
        records = check_module(module, engine, shown, options)
        entries.append(
            {
                "name": engine.name,
                "defined_in": list(defined_in(engine.cls)),
                "covers": list(engine.composer.gates.values()) if engine.composer is not None else [],
                "style": engine.composer.style if engine.composer is not None else "",
                "records": [dataclasses.asdict(r) for r in records],
            }
        )
    answer.write_text(json.dumps(entries))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
