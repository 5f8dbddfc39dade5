"""Checking the engines of one imported module: which classes are engines, and their rows.

Both ways a file's engines are checked use this: in the checker's process
(``oracle.engines.plugin``), and with the engine in a process of its own
(``oracle.engines.isolated``), where ``engine`` is a proxy (``oracle.engines.remote``).
"""

from __future__ import annotations

import shlex
from types import ModuleType
from typing import Any

from oracle.core.record import Record
from oracle.course.isolation.sessions import Options
from oracle.engines import gates, tensors
from oracle.engines import probe as probing
from oracle.engines.discover import defined_in, engines_of
from oracle.engines.drive import DEFAULT_GRAPHS, check_scalar
from oracle.engines.tensors import check_tensor


def replay_for(shown: str, name: str, options: Options) -> Any:
    graphs = f" --graphs {options.graphs}" if options.graphs else ""
    command = f"python -m oracle check {shlex.quote(shown)} --target {name}{graphs} --no-isolate"
    return lambda seed: f"{command} --seed {seed}"


__all__ = ["check_module", "covers_of", "defined_in", "engines_of", "replay_for"]


def check_module(
    module: ModuleType | None, engine: probing.Engine, shown: str, options: Options
) -> list[Record]:
    replay = replay_for(shown, engine.name, options)
    graphs = options.graphs or DEFAULT_GRAPHS
    result = check_scalar(engine, options.seed, graphs, replay, shown)
    if tensors.tensor_engine(engine):
        check_tensor(engine, options.seed, graphs, replay, shown, result)
    return result.records


def covers_of(engine: probing.Engine) -> tuple[str, ...]:
    """Gates of the unit styles: the course's one-gate checks cannot call them (they take units)."""
    composer = engine.composer
    if composer is None or composer.style == gates.VALUES:
        return ()
    return tuple(composer.gates.values())
