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
import inspect
import re
import shlex
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

from oracle.core.errors import UserError
from oracle.core.record import ERROR, Record
from oracle.course.isolation.sessions import Found, Options
from oracle.course.plugins import PluginTarget
from oracle.engines import declare, gates, isolated, tensors
from oracle.engines import probe as probing
from oracle.engines.drive import DEFAULT_GRAPHS, check_scalar
from oracle.engines.summary import summary
from oracle.engines.tensors import check_tensor

KIND = "engine"


def claims(source: str) -> bool:
    return probing.claims(source) or gates.claims(source)


def replay_for(shown: str, name: str, options: Options) -> Any:
    graphs = f" --graphs {options.graphs}" if options.graphs else ""
    command = f"python -m oracle check {shlex.quote(shown)} --target {name}{graphs} --no-isolate"
    return lambda seed: f"{command} --seed {seed}"


def engines_of(module: ModuleType) -> list[probing.Engine]:
    """The module's engines, probed: the declared one, else every candidate class."""
    try:
        declared = declare.declared(module)
    except ValueError as exc:
        engine = probing.Engine(type(module), module, problem=str(exc))
        return [engine]
    if declared is not None:
        return [probing.probe(module, declared.cls, declared)]
    found = [probing.probe(module, cls) for cls in probing.candidates(module)]
    composed = gates.composed(module)
    return found + ([composed] if composed is not None else [])


def check_module(module: ModuleType, engine: probing.Engine, shown: str, options: Options) -> list[Record]:
    replay = replay_for(shown, engine.name, options)
    graphs = options.graphs or DEFAULT_GRAPHS
    result = check_scalar(engine, options.seed, graphs, replay, shown)
    if tensors.tensor_engine(engine):
        check_tensor(engine, options.seed, graphs, replay, shown, result)
    return result.records


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
        found = Found(index, engine.name, KIND, "random graphs", "", _defined_in(engine.cls))
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


def _defined_in(cls: type) -> tuple[str, ...]:
    try:
        return (str(Path(inspect.getfile(cls)).resolve()),)
    except (TypeError, OSError):
        return ()
