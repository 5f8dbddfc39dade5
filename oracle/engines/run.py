"""Running a program through the student's engine, and through JAX: an ``Outcome`` each.

The engine side executes the program's own code (``Program.lines``) on fresh leaves
(``execute``), in the checker's process or, isolated, in the engine's own process
(``Engine.remote``); an exception is an ``error`` outcome naming the line that raised it.
The JAX side is ``oracle.core.jax_graph.vjp_batch`` on the program's meaning, all input
sets of one graph in one call.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from oracle.core.jax_graph import vjp_batch
from oracle.core.judgement import Outcome
from oracle.engines.execute import STEP_SECONDS, execute
from oracle.engines.probe import Engine
from oracle.engines.program import Program


def run_engine(engine: Engine, program: Program, seconds: float = STEP_SECONDS) -> Outcome:
    """The engine's output and gradients for ``program``, in the process that holds the engine."""
    lines, names = program.lines(engine), [n for n, _ in program.inputs]
    if engine.remote is not None:  # the engine's own process (``oracle.engines.remote``)
        out, grads, error = engine.remote.run(lines, program.output, names, seconds)
    else:
        out, grads, error = execute(engine, lines, program.output, names, seconds)
    return Outcome(error=error) if error else Outcome(out, grads)


def run_jax(programs: Sequence[Program]) -> list[Outcome]:
    """JAX's output and gradients for programs of one graph (different values), in one call."""
    graph = programs[0].jax_graph()
    names = [n for n, _ in programs[0].inputs]
    inputs = {n: np.array([p.values[n] for p in programs], dtype=np.float64) for n in names}
    try:
        out, grads = vjp_batch(graph, inputs, np.ones(len(programs)))
    except Exception as exc:
        return [Outcome(error=f"jax raised {type(exc).__name__}: {exc}".splitlines()[0][:200])] * len(
            programs
        )
    return [Outcome(out[k], {n: g[k] for n, g in grads.items()}) for k in range(len(programs))]
