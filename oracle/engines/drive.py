"""Checking one scalar engine: random graphs in its own operators, judged by JAX, failures shrunk and named.

The graphs are the project's (``oracle.strategies.campaign_graph``, scalar, at most
``MAX_NODES`` gates) restricted to the ops the engine can spell (``forms``); a graph whose
guard gates need an op the engine lacks is passed over. Each graph runs on ``INPUT_SETS``
input sets, the last one in edge mode (values on kinks: relu at 0 is a ``kink``), never
wide (an overflow in ``math.exp`` is not the student's bug). Every comparison builds the
graph again from fresh leaves. The first failing program of each new set of forms (at
most ``SHRINKS``) is shrunk (``shrink``), judged by JAX again, and its row names the
fault (``rules``) and carries the program as one line of code; its ``replay`` runs that
code against the student's class. Same seed, same rows.
"""

from __future__ import annotations

import shlex
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome
from oracle.core.record import ERROR, UNCHECKED, Record
from oracle.engines import execute, judging
from oracle.engines.forms import Form, forms_for
from oracle.engines.gates import gate_forms
from oracle.engines.judging import failure
from oracle.engines.probe import Engine
from oracle.engines.program import Program, one_line, scalar_values, spell
from oracle.engines.rules import name_fault
from oracle.engines.run import run_engine, run_jax
from oracle.engines.shrink import shrink

DEFAULT_GRAPHS = 60  # a few seconds per engine on a busy 2-core machine
MAX_NODES = 8
INPUT_SETS = 3  # two of default values, one of edge values
SHRINKS = 3  # failing programs shrunk per engine, at most
DRAWS = 4  # graphs drawn per graph kept, at most (guards may need ops the engine lacks)


@dataclass
class EngineResult:
    records: list[Record] = field(default_factory=list)
    forms: list[str] = field(default_factory=list)  # every form the engine can spell
    faults: list[str] = field(default_factory=list)


def unchecked(engine: Engine, detail: str, seed: int, replay: str) -> Record:
    record = Record("", "", "", judging.DTYPE, UNCHECKED, detail, n_nodes=0, seed=seed, replay=replay)
    record.target = engine.name
    record.case_id = judging.case_id(Program((), (), engine.name + detail))
    return record


def second_backward(engine: Engine) -> str:
    """What a second backward() on the same graph does: a convention, noted in the warning column."""
    if engine.remote is not None:
        return str(engine.remote.second())
    return execute.second_backward(engine)


BROADCAST = "a tensor op whose backward does not undo its broadcasting"
WHOLE = "a fault this graph shows only as a whole"
Draw = Callable[[int], dict[str, Any] | None]  # graph number -> a graph, or None (passed over)


def check_scalar(
    engine: Engine, seed: int, graphs: int, replay: Callable[[int], str], path: str = ""
) -> EngineResult:
    result = EngineResult()
    if engine.problem:
        row = unchecked(engine, engine.problem, seed, replay(seed))
        row.status = ERROR if engine.fatal else UNCHECKED
        result.records.append(row)
        return result
    from oracle.strategies import SCALAR_OPS, campaign_graph  # Hypothesis: only when an engine is checked

    table = gate_forms(engine) if engine.composer is not None else forms_for(engine.capabilities)
    ops = [op for op in SCALAR_OPS if op in table]
    if not ops:
        has = ", ".join(sorted(engine.capabilities))
        detail = f"{engine.name} has none of the ops random graphs need (it has: {has})"
        result.records.append(unchecked(engine, detail, seed, replay(seed)))
        return result
    draw: Draw = lambda index: campaign_graph(seed, index, MAX_NODES, scalar=True, ops=ops)
    drive(engine, table, ops, draw, graphs, seed, replay, path, result)
    for code, what in engine.broken.items():  # a method it defines that cannot even run forward
        row = unchecked(
            engine, f"`{code}` {what}: the op is defined but its forward fails", seed, replay(seed)
        )
        row.status = ERROR
        result.records.append(row)
    convention = second_backward(engine)
    if convention and result.records:
        result.records[0].warning = convention
    return result


def drive(
    engine: Engine,
    table: dict[str, list[Form]],
    ops: list[str],
    draw: Draw,
    graphs: int,
    seed: int,
    replay: Callable[[int], str],
    path: str,
    result: EngineResult,
) -> None:
    """``graphs`` graphs through the engine (drawn by ``draw``), their records into ``result``."""
    result.forms += [f.name for op in ops for f in table[op]]
    used: Counter[str] = Counter()
    explained: set[str] = set()
    kept = 0
    for index in range(graphs * DRAWS):
        if kept == graphs:
            break
        graph = draw(index)
        steps = spell(graph, table, used) if graph is not None else None
        if graph is None or steps is None:
            continue
        kept += 1
        programs = [
            Program(scalar_values(_inputs(graph, seed, index, k)), steps, graph["output"])
            for k in range(INPUT_SETS)
        ]
        for program, jax in zip(programs, run_jax(programs), strict=True):
            tested = run_engine(engine, program)
            rows = judging.records(program, tested, jax, target=engine.name, seed=seed, replay=replay(seed))
            result.records += rows
            failed = any(r.failed for r in rows) and "ran past" not in tested.error  # a slow one: not shrunk
            if failed and len(result.faults) < SHRINKS and not set(program.forms) <= explained:
                result.records += _shrunk(engine, program, tested, table, seed, path, result)
                explained |= set(program.forms)


def _inputs(graph: dict[str, Any], seed: int, index: int, k: int) -> dict[str, Any]:
    from oracle.strategies import campaign_inputs

    mode = "edge" if k == INPUT_SETS - 1 else "default"
    return campaign_inputs(graph, seed, index, k, mode=mode)[0]


def _shrunk(
    engine: Engine,
    program: Program,
    tested: Outcome,
    table: dict[str, list[Form]],
    seed: int,
    path: str,
    result: EngineResult,
) -> list[Record]:
    status = failure(engine, program, tested)
    if not status:
        return []
    small = shrink(program, lambda p: failure(engine, p) == status)
    add, mul = _first(table, "add"), _first(table, "mul")
    jax = run_jax([small])[0]
    got = run_engine(engine, small)
    rows = judging.records(
        small, got, jax, target=engine.name, seed=seed, replay=_replay(engine, small, jax, path)
    )
    fault = (
        name_fault(engine, small, add, mul)
        or _broadcasting(rows)
        or "a fault this graph shows only as a whole"
    )
    result.faults.append(fault)
    code = one_line(small, engine)
    for row in rows:
        row.detail = f"{fault}; shrunk: {code}; {row.detail}"
    return rows


def _broadcasting(rows: list[Record]) -> str:
    """A gradient of the wrong shape (tensor graphs): the backward did not undo its broadcasting."""
    wrong = next((r for r in rows if r.failed and ("has shape" in r.detail or "broadcast" in r.detail)), None)
    return f"{BROADCAST} ({wrong.detail})" if wrong else ""


def _plain(value: Any) -> Any:
    array = np.asarray(value, dtype=np.float64)
    return float(array) if array.ndim == 0 else array.tolist()


def _first(table: dict[str, list[Form]], op: str) -> Form | None:
    forms = table.get(op, [])
    return forms[0] if forms else None


def _replay(engine: Engine, program: Program, jax: Outcome, path: str) -> str:
    """A shell command that runs the shrunk program against the student's class and prints both gradients."""
    module = Path(path).stem if path else getattr(engine.module, "__name__", "engine")
    folder = str(Path(path).resolve().parent) if path else "."
    names = ", ".join(engine.imports())
    expected = ", ".join(f"{n}={_plain(jax.grads[n])!r}" for n, _ in program.inputs) if not jax.error else "?"
    shown = ", ".join(engine.grad_code(n) for n, _ in program.inputs)
    code = (
        f"import sys; import numpy as np; sys.path.insert(0, {folder!r}); from {module} import {names}; "
        f"{one_line(program, engine)}; print('got', {shown}, 'expected {expected}')"
    )
    return f"python -c {shlex.quote(code)}"
