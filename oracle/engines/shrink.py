"""Shrinking a failing program to a small one that fails the same way: deterministic, greedy.

Same program in, same program out: the candidates are tried in a fixed order and the
first that still fails with the same status is kept, until a whole pass keeps nothing
(or ``BUDGET`` tries). The candidates, biggest cut first: end the program at an earlier
node; bypass a node (its users take one of its arguments instead); cut a node loose (it
becomes a leaf holding the value it had); merge two inputs into one (which makes fan-out);
simpler input values (fewer digits). Then inputs are renamed x, y, z, w and nodes n0, n1...
Whether a candidate fails is judged against the project's own engine
(``judging.failure``); the row of the shrunk program is judged by JAX again.

An engine whose results depend on object hashes (a ``set`` of children walked in hash
order) can fail on one run and not the next; its shrunk program is then only as
deterministic as the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from oracle.engines.program import Program, Step
from reference import ComputationalGraph

BUDGET = 400  # candidate programs tried at most
NAMES = ("x", "y", "z", "w", "u", "v", "s", "t")
SIMPLE = (1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 3.0, 1.5, -1.5)


def shrink(program: Program, fails: Callable[[Program], bool]) -> Program:
    tries = 0
    changed = True
    while changed and tries < BUDGET:
        changed = False
        for candidate in _candidates(program):
            tries += 1
            if fails(candidate):
                program, changed = candidate, True
                break
            if tries >= BUDGET:
                break
    renamed = rename(program)
    return renamed if fails(renamed) else program


def live(program: Program, output: str | None = None) -> Program:
    """Only the steps the output depends on, and the inputs they use."""
    output = output or program.output
    needed = {output}
    steps = []
    for step in reversed(program.steps):
        if step.id in needed:
            steps.append(step)
            needed.update(step.args)
    inputs = tuple((n, v) for n, v in program.inputs if n in needed)
    return Program(inputs, tuple(reversed(steps)), output)


def _replace(step: Step, old: str, new: str) -> Step:
    return Step(step.id, step.form, tuple(new if a == old else a for a in step.args), step.attrs)


def _values(program: Program) -> dict[str, Any]:
    try:
        engine = ComputationalGraph(program.jax_graph())
        with np.errstate(all="ignore"):
            engine.forward({n: np.asarray(v, np.float64) for n, v in program.inputs}, "float64")
        return {k: v.tolist() if np.ndim(v) else float(v) for k, v in engine.node_values.items()}
    except Exception:
        return {}


def _candidates(p: Program) -> Iterator[Program]:
    ids = [s.id for s in p.steps]
    for earlier in ids[:-1]:  # end the program earlier
        yield live(p, earlier)
    for i, step in enumerate(p.steps):  # bypass a node
        for arg in dict.fromkeys(step.args):
            rest = tuple(_replace(s, step.id, arg) for s in p.steps[i + 1 :])
            output = arg if p.output == step.id else p.output
            if output != step.id:
                yield live(Program(p.inputs, p.steps[:i] + rest, output))
    values = _values(p)
    for i, step in enumerate(p.steps):  # cut a node loose: a leaf with its value
        if step.id != p.output and step.id in values:
            inputs = (*p.inputs, (step.id, values[step.id]))
            yield live(Program(inputs, p.steps[:i] + p.steps[i + 1 :], p.output))
    names = [n for n, _ in p.inputs]
    for j, later in enumerate(names):  # merge two inputs
        for earlier in names[:j]:
            steps = tuple(_replace(s, later, earlier) for s in p.steps)
            yield live(Program(p.inputs, steps, p.output))
    for name, value in p.inputs:  # simpler values
        if isinstance(value, list):
            continue
        for simple in (*SIMPLE, round(value, 1), round(value, 2)):
            if len(repr(float(simple))) < len(repr(float(value))) and simple != value:
                yield p.with_values({**p.values, name: simple})


def rename(program: Program) -> Program:
    mapping = {n: NAMES[i] if i < len(NAMES) else f"x{i}" for i, (n, _) in enumerate(program.inputs)}
    mapping.update({s.id: f"n{i}" for i, s in enumerate(program.steps)})
    steps = tuple(
        Step(mapping[s.id], s.form, tuple(mapping[a] for a in s.args), s.attrs) for s in program.steps
    )
    inputs = tuple((mapping[n], v) for n, v in program.inputs)
    return Program(inputs, steps, mapping[program.output])
