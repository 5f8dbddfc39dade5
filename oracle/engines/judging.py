"""Judging a program's run: the project's one ladder (``oracle.core.judgement``), one record per input.

A disagreement is explained as the campaigns explain theirs (``oracle.campaign.judge.Probe``:
the project's own engine in float64 gives the finite difference and the kink counts): on a
kink (relu at 0 in edge values) it is a ``kink``, else a ``mismatch``. ``quick_failure`` is the
shrinker's test: the same ladder against the project's own numpy engine instead of JAX
(a thousand times faster on a scalar graph); every row it leads to is judged by JAX again.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from oracle.campaign.judge import Probe
from oracle.core.case import make_case
from oracle.core.compare import Comparison
from oracle.core.judgement import Ladder, Outcome, judge_input
from oracle.core.record import KINK, MATCH, MISMATCH, Record, shape_text
from oracle.engines.probe import Engine
from oracle.engines.program import Program
from oracle.engines.run import run_engine
from oracle.engines.summary import SEPARATOR
from reference import ComputationalGraph

DTYPE = "float64"


def case_of(program: Program) -> Any:
    values = program.values
    return make_case({"graph": program.jax_graph(), "values": values, "cotangent": None, "dtype": DTYPE})


def case_id(program: Program) -> str:
    text = repr(
        (program.inputs, [(s.id, s.form.name, s.args, s.attrs) for s in program.steps], program.output)
    )
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def records(
    program: Program, tested: Outcome, jax: Outcome, *, target: str, seed: int | None, replay: str
) -> list[Record]:
    ladder = Ladder("engine", DTYPE, lambda *args: _explain(program, *args))
    rows = []
    for name, value in program.inputs:
        record = Record(
            case_id=case_id(program),
            input=name,
            shape=shape_text(np.shape(value)),
            dtype=DTYPE,
            status=MATCH,
            ops=SEPARATOR.join(program.forms),
            n_nodes=len(program.steps),
            seed=seed,
            replay=replay,
            target=target,
        )
        judge_input(ladder, record, name, tested, jax)
        rows.append(record)
    return rows


def _explain(
    program: Program, name: str, tested: np.ndarray, expected: np.ndarray, result: Comparison, record: Record
) -> tuple[str, str]:
    probe = Probe(case_of(program))
    fd = probe.central(name, result.worst_index)
    record.fd_value = fd
    kink = probe.kink_at(name, result.worst_index)
    if kink:
        return KINK, f"{kink}; central fd {fd:.6g}"
    return MISMATCH, f"engine {result.a_value:.9g} vs jax {result.b_value:.9g}; fd {fd:.6g}"


def expected(program: Program) -> Outcome:
    """The project's own engine on the program's meaning: the shrinker's fast stand-in for JAX."""
    try:
        engine = ComputationalGraph(program.jax_graph())
        with np.errstate(all="ignore"):
            values = {n: np.asarray(v, np.float64) for n, v in program.inputs}
            out = engine.forward(values, DTYPE)
            grads = engine.backward(np.ones_like(out))
        kinks = Probe(case_of(program)).kinks(values)
    except Exception as exc:
        return Outcome(error=f"reference raised {type(exc).__name__}: {exc}")
    if any(kinks.values()):
        return Outcome(error="on a kink")
    return Outcome(out, dict(grads))


def failure(engine: Engine, program: Program, tested: Outcome | None = None) -> str:
    """The failing status of a program against the project's own engine, or '' (also when not judged)."""
    reference = expected(program)
    arrays = [reference.out, *reference.grads.values()]
    if reference.error or not all(np.isfinite(np.asarray(a, np.float64)).all() for a in arrays):
        return ""
    tested = tested if tested is not None else run_engine(engine, program)
    statuses = {r.status for r in records(program, tested, reference, target="", seed=None, replay="")}
    failing = sorted(s for s in statuses if s not in (MATCH, KINK, "nonfinite_both"))
    return failing[0] if failing else ""
