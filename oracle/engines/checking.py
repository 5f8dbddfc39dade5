"""Checking the engines of one imported module: which classes are engines, and their rows.

Both ways a file's engines are checked use this: in the checker's process
(``oracle.engines.plugin``) and in a process of its own (``oracle.engines.isolated``).
"""

from __future__ import annotations

import inspect
import shlex
from pathlib import Path
from types import ModuleType
from typing import Any

from oracle.core.record import Record
from oracle.course.isolation.sessions import Options
from oracle.engines import declare, gates, tensors
from oracle.engines import probe as probing
from oracle.engines.drive import DEFAULT_GRAPHS, check_scalar
from oracle.engines.tensors import check_tensor


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


def defined_in(cls: type) -> tuple[str, ...]:
    try:
        return (str(Path(inspect.getfile(cls)).resolve()),)
    except (TypeError, OSError):
        return ()
