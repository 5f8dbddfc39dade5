"""The engines' side of ``oracle.course.plugins``: which files hold an engine, and its check.

``find`` imports the file (``oracle.course.loading.finding.load_module``, as course code is
imported), finds its engines (a declared one, ``ORACLE_ENGINE``, else every class that
``probe.candidates`` finds) and gate-object files (``gates``), and returns one target per
engine, checked by ``drive.check_scalar`` (scalar engines) or ``tensors.check_tensor`` when
its nodes hold arrays. With isolation on (``check``'s default), the whole check of the file
runs in a process of its own (``isolated``): a hang or a crash is one row.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from oracle.core.errors import UserError
from oracle.core.record import ERROR, Record
from oracle.course.isolation.sessions import Found, Options
from oracle.course.plugins import PluginTarget
from oracle.engines import gates, isolated
from oracle.engines import probe as probing
from oracle.engines.checking import check_module, defined_in, engines_of, replay_for
from oracle.engines.summary import summary

KIND = "engine"


def claims(source: str) -> bool:
    return probing.claims(source) or gates.claims(source)


def find(path: Path, shown: str, options: Options, index: int) -> list[PluginTarget]:
    if options.isolate:
        return _find_isolated(path, shown, options, index)
    from oracle.course.loading.finding import load_module

    try:
        module = load_module(path)
    except UserError:
        return []  # the course machinery's import reports it
    targets = []
    for engine in engines_of(module):
        if options.names is not None and engine.name not in options.names:
            continue
        found = Found(index, engine.name, KIND, "random graphs", "", defined_in(engine.cls))
        covers = _covers(engine)
        run = partial(check_module, module, engine, shown, options)
        targets.append(PluginTarget(found, run, _summary, covers))
    return targets


def _find_isolated(path: Path, shown: str, options: Options, index: int) -> list[PluginTarget]:
    """The file checked in a process of its own (``isolated``): its records, ready when listed."""
    entries, status, detail = isolated.run_child(path, shown, options)
    if status:
        name = _guess_name(path)
        found = Found(index, name, KIND, "random graphs", "", ())
        row = Record("", "", "", "float64", status, detail, n_nodes=0, seed=options.seed)
        row.target, row.replay = name, replay_for(shown, name, options)(options.seed)
        row.case_id = hashlib.sha256(f"{name}|{detail}".encode()).hexdigest()[:12]
        return [PluginTarget(found, partial(list, [row]), _summary)]
    targets = []
    for entry in entries:
        try:
            name, records = str(entry["name"]), isolated.records_of(entry)
            covers = (
                tuple(str(n) for n in entry.get("covers", [])) if entry.get("style") != gates.VALUES else ()
            )
            defined_in = tuple(str(d) for d in entry.get("defined_in", []))
        except (KeyError, TypeError, ValueError) as exc:
            name, covers, defined_in = _guess_name(path), (), ()
            row = Record("", "", "", "float64", ERROR, f"the engine check's answer is unusable: {exc}"[:200])
            row.target, records = name, [row]
        found = Found(index, name, KIND, "random graphs", "", defined_in)
        targets.append(PluginTarget(found, partial(list, records), _summary, covers))
    return targets


def _guess_name(path: Path) -> str:
    """An engine's class name read from the file's text (for a row when its check could not finish)."""
    try:
        source = path.read_text(errors="replace")
    except OSError:
        return "engine"
    for match in re.finditer(r"^class\s+(\w+)", source, re.M):
        body = source[match.end() :].split("\nclass ", 1)[0]
        if re.search(r"def\s+__(add|mul)__", body):
            return match.group(1)
    return "composed gates" if gates.claims(source) else "engine"


def _covers(engine: probing.Engine) -> tuple[str, ...]:
    """Gates of the unit styles: the course's one-gate checks cannot call them (they take units)."""
    composer = engine.composer
    if composer is None or composer.style == gates.VALUES:
        return ()
    return tuple(composer.gates.values())


def _summary(records: Sequence[Record]) -> str:
    return summary(records)
