"""A random graph spelled in an engine's own operators: a program, its code, its meaning for JAX.

A ``Program`` is a scalar graph of the project's format whose every node has a form
(``oracle.engines.forms``) and whose inputs have values. Its ``code`` is plain Python that
builds the graph from fresh leaves with the engine's constructor, one line per node, and
calls backward on the root: the code that runs is the code a failing row prints, so a
student can paste it. ``jax_graph`` is its meaning as a graph of the project's format, for
``oracle.core.jax_graph``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from oracle.engines.forms import FORMS, Form
from oracle.engines.probe import Engine

BY_NAME = {(f.op, f.name): f for f in FORMS}


@dataclass(frozen=True)
class Step:
    id: str
    form: Form
    args: tuple[str, ...]
    attrs: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Program:
    inputs: tuple[tuple[str, Any], ...]  # name, value (a float, or nested lists): in order of creation
    steps: tuple[Step, ...]
    output: str

    @property
    def values(self) -> dict[str, Any]:
        return dict(self.inputs)

    @property
    def forms(self) -> list[str]:
        return [s.form.name for s in self.steps]

    def jax_graph(self) -> dict[str, Any]:
        nodes = [n for s in self.steps for n in s.form.nodes(s.id, list(s.args), dict(s.attrs))]
        inputs = {name: list(np.shape(value)) for name, value in self.inputs}
        return {"inputs": inputs, "nodes": nodes, "output": self.output}

    def lines(self, engine: Engine) -> list[str]:
        """The statements that build the graph and run backward (no import, no print)."""
        if engine.composer is not None:
            return list(engine.composer.lines(self))
        lines = [f"{name} = {engine.constructor(_literal(v))}" for name, v in self.inputs]
        for s in self.steps:
            lines.append(
                f"{s.id} = {s.form.text(list(s.args), dict(s.attrs), engine.constructor, engine.methods)}"
            )
        lines.append(engine.backward_code(self.output))
        return lines

    def code(self, engine: Engine) -> str:
        return "\n".join(self.lines(engine)) + "\n"

    def with_values(self, values: dict[str, Any]) -> Program:
        return Program(tuple((n, values[n]) for n, _ in self.inputs), self.steps, self.output)


def _literal(value: Any) -> str:
    """A value as code: a float's exact repr, an array as ``np.array([...])``."""
    if isinstance(value, list | tuple | np.ndarray):
        return f"np.array({np.asarray(value, dtype=np.float64).tolist()!r})"
    return repr(float(value))


def spell(graph: dict[str, Any], table: dict[str, list[Form]], used: Counter[str]) -> tuple[Step, ...] | None:
    """The graph's nodes with a form each: the least used fitting form so far (``used`` counts them),
    so every form gets exercised; None when a node's op has no fitting form."""
    steps = []
    for node in graph["nodes"]:
        attrs = node.get("attrs") or {}
        fitting = [f for f in table.get(node["op"], []) if f.fits(attrs)]
        if not fitting:
            return None
        form = min(fitting, key=lambda f: used[f.name])
        used[form.name] += 1
        steps.append(Step(node["id"], form, tuple(node["args"]), tuple(sorted(attrs.items()))))
    return tuple(steps)


def scalar_values(values: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """Input values as a program holds them: floats, or nested lists for arrays."""
    return tuple(
        (name, v if isinstance(v, list) else float(np.asarray(v, dtype=np.float64)))
        for name, v in values.items()
    )


def repro(program: Program, engine: Engine, expected: dict[str, float], got: dict[str, Any]) -> str:
    """The program as code a student pastes, with the expected and the engine's gradients."""
    module = getattr(engine.module, "__name__", "engine").rsplit(".", 1)[-1]
    lines = [
        "import numpy as np",
        f"from {module} import {', '.join(engine.imports())}",
        *program.lines(engine),
    ]
    for name, _ in program.inputs:
        gave = _short(got.get(name))
        lines.append(
            f"print({engine.grad_code(name)})  # expected {expected[name]!r}, your engine gave {gave}"
        )
    return "\n".join(lines)


def one_line(program: Program, engine: Engine) -> str:
    return "; ".join(program.lines(engine))


def _short(value: Any) -> str:
    try:
        return repr(float(np.asarray(value, dtype=np.float64)))
    except Exception:
        return repr(value)[:40]
