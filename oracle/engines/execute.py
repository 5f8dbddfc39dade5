"""The student's engine at work, in whichever process holds it: code run on fresh leaves, numbers back.

``execute`` runs the statements of a program (written by the checker: ``Program.lines``) in
the engine's namespace, with what it prints thrown away and a time limit, and reads the
output and the input gradients; an exception is an error sentence naming the line that
raised it. ``second_backward`` tries a second ``backward()`` on the same graph. Both run in
the checker's process (``--no-isolate``) or in the engine's own process
(``oracle.engines.server``), which is why this module never imports JAX.
"""

from __future__ import annotations

import traceback
from typing import Any

import numpy as np

from oracle.engines.limits import TooSlow, quiet, time_limit
from oracle.engines.probe import NESTED, Engine
from oracle.engines.program import Program

FILENAME = "<engine graph>"
STEP_SECONDS = 2.0  # one program (a dozen gates): far beyond what any engine needs, short of a hang
Ran = tuple[Any, dict[str, Any], str]  # output, gradients by input name, error ('' when it ran)


def _where(exc: BaseException, lines: list[str]) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == FILENAME]
    if frames and frames[-1].lineno and frames[-1].lineno <= len(lines):
        return f" in `{lines[frames[-1].lineno - 1]}`"
    return ""


def execute(engine: Engine, lines: list[str], output: str, names: list[str], seconds: float) -> Ran:
    namespace = engine.namespace()
    try:
        code = compile("\n".join(lines), FILENAME, "exec")
        with quiet(), time_limit(seconds), np.errstate(all="ignore"):
            exec(code, namespace)
            if engine.composer is not None:
                shape = Program(tuple((n, 0.0) for n in names), (), output)
                out, grads = engine.composer.read(namespace, shape)
            else:
                out = np.asarray(getattr(namespace[output], engine.data), dtype=np.float64)
                grads = {name: _grad(engine, namespace[name]) for name in names}
                if engine.make == NESTED:  # 1 x 1 lists stand for numbers
                    out = out.reshape(()) if out.size == 1 else out
                    grads = {
                        n: g.reshape(()) if isinstance(g, np.ndarray) and g.size == 1 else g
                        for n, g in grads.items()
                    }
    except TooSlow:
        return None, {}, f"engine ran past {seconds:g} s (a loop in backward?)"
    except RecursionError:
        return None, {}, "engine raised RecursionError (a recursive walk too deep, or a cycle)"
    except Exception as exc:  # the engine under judgement may raise anything
        text = f"{type(exc).__name__}: {exc}".splitlines()[0][:200] if str(exc) else type(exc).__name__
        return None, {}, f"engine raised {text}{_where(exc, lines)}"
    return out, grads, ""


def _grad(engine: Engine, node: Any) -> Any:
    value = getattr(node, engine.grad, None)
    if value is None:
        return None
    try:
        return np.asarray(value, dtype=np.float64)
    except Exception:
        return value


def second_backward(engine: Engine) -> str:
    """What a second backward() on the same graph does: a convention, noted in the warning column."""
    if engine.composer is not None:
        return ""
    try:
        with quiet(), time_limit(STEP_SECONDS):
            a, b = engine.new(1.5), engine.new(0.75)
            root = a * b
            engine.run_backward(root)
            first = engine.number_of(engine.gradient(a))
            engine.run_backward(root)
            second = engine.number_of(engine.gradient(a))
    except Exception:
        return ""
    if second == 2 * first:
        how = "accumulates (gradients add up: zero them between steps)"
    elif second == first:
        how = "recomputes (the same gradients again)"
    else:
        how = f"gives {second!r} after {first!r}"
    return f"convention: a second backward() on the same graph {how}"
