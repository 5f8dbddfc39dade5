"""The engines of one imported module, probed: the declared one, else every candidate class and gate file.

Run where the student's code lives (the checker's process with ``--no-isolate``, else the
engine's own process, ``oracle.engines.server``), so it never imports JAX.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from types import ModuleType

from oracle.engines import declare, gates
from oracle.engines import probe as probing


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


def defined_in(cls: type) -> tuple[str, ...]:
    try:
        return (str(Path(inspect.getfile(cls)).resolve()),)
    except (TypeError, OSError):
        return ()
