"""Running a program through the student's engine, and through JAX: an ``Outcome`` each.

The engine side executes the program's own code (``Program.code``) on fresh leaves, with
what it prints thrown away and a time limit; an exception is an ``error`` outcome naming
the line of the program that raised it. The JAX side is ``oracle.core.jax_graph.vjp_batch``
on the program's meaning, all input sets of one graph in one call.
"""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from typing import Any

import numpy as np

from oracle.core.jax_graph import vjp_batch
from oracle.core.judgement import Outcome
from oracle.engines.limits import TooSlow, quiet, time_limit
from oracle.engines.probe import NESTED, Engine
from oracle.engines.program import Program

FILENAME = "<engine graph>"
STEP_SECONDS = 2.0  # one program (a dozen gates): far beyond what any engine needs, short of a hang


def _where(exc: BaseException, lines: list[str]) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == FILENAME]
    if frames and frames[-1].lineno and frames[-1].lineno <= len(lines):
        return f" in `{lines[frames[-1].lineno - 1]}`"
    return ""


def run_engine(engine: Engine, program: Program, seconds: float = STEP_SECONDS) -> Outcome:
    lines = program.lines(engine)
    namespace = engine.namespace()
    try:
        code = compile("\n".join(lines), FILENAME, "exec")
        with quiet(), time_limit(seconds), np.errstate(all="ignore"):
            exec(code, namespace)
            if engine.composer is not None:
                out, grads = engine.composer.read(namespace, program)
            else:
                out = np.asarray(getattr(namespace[program.output], engine.data), dtype=np.float64)
                grads = {name: _grad(engine, namespace[name]) for name, _ in program.inputs}
                if engine.make == NESTED:  # 1 x 1 lists stand for numbers
                    out = out.reshape(()) if out.size == 1 else out
                    grads = {
                        n: g.reshape(()) if isinstance(g, np.ndarray) and g.size == 1 else g
                        for n, g in grads.items()
                    }
    except TooSlow:
        return Outcome(error=f"engine ran past {seconds:g} s (a loop in backward?)")
    except RecursionError:
        return Outcome(error="engine raised RecursionError (a recursive walk too deep, or a cycle)")
    except Exception as exc:  # the engine under judgement may raise anything
        text = f"{type(exc).__name__}: {exc}".splitlines()[0][:200] if str(exc) else type(exc).__name__
        return Outcome(error=f"engine raised {text}{_where(exc, lines)}")
    return Outcome(out, grads)


def _grad(engine: Engine, node: Any) -> Any:
    value = getattr(node, engine.grad, None)
    if value is None:
        return None
    try:
        return np.asarray(value, dtype=np.float64)
    except Exception:
        return value


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
