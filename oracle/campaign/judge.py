"""Judge cases: run the engine and JAX on the same graph, compare, and classify every input's gradient.

Data flows one way: case -> two interpreters (``reference.ComputationalGraph`` and
``oracle.core.jax_graph``) -> ``compare`` -> one ``Record`` per input. When the two disagree,
a float64 finite difference (through the engine's forward, which has just been checked
against JAX's) is the third opinion, and the kink table says whether the disagreement
sits on a non-differentiable point where conventions legitimately differ.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from oracle.core import finite_diff
from oracle.core.case import Case
from oracle.core.compare import Comparison
from oracle.core.finite_diff import agreement
from oracle.core.jax_graph import vjp_batch
from oracle.core.judgement import Ladder, Outcome, judge_input
from oracle.core.kinks import kink_counts
from oracle.core.record import KINK, MATCH, MISMATCH, Record, shape_text
from reference import ComputationalGraph

F32_ROUNDOFF = float(np.finfo(np.float32).eps) / 2


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0]


def run_engine(engine: ComputationalGraph, case: Case) -> Outcome:
    try:
        with np.errstate(all="ignore"):  # non-finite results become records, not warnings
            out = engine.forward(case.arrays(), case.dtype)
            grads = engine.backward(case.cotangent_array())
    except MemoryError:
        raise  # our process is out of memory: not the engine's fault, never a row
    except Exception as exc:  # the engine under judgement may raise anything
        return Outcome(error=f"engine raised {_error_text(exc)}")
    return Outcome(out, grads)


def run_jax(cases: Sequence[Case]) -> list[Outcome]:
    """All cases share one graph and dtype: one vmapped call, or one call each if the batch fails.

    A float32 batch runs in float64 too: how far JAX's own float32 gradient lies from its
    float64 one, divided by float32's unit roundoff, is each element's rounding scale (the
    size of the terms whose rounding made it), so an element that cancels from large
    terms gets the absolute floor its terms call for, and no other element does.
    """
    try:
        arrays = [c.arrays() for c in cases]
        inputs = {name: np.stack([a[name] for a in arrays]) for name in cases[0].checked.inputs}
        cotangents = np.stack([c.cotangent_array() for c in cases])
        out, grads = vjp_batch(cases[0].graph, inputs, cotangents)
        scales: dict[str, np.ndarray] = {}
        if cases[0].dtype == "float32":
            wide = {name: v.astype(np.float64) for name, v in inputs.items()}
            _, exact = vjp_batch(cases[0].graph, wide, cotangents.astype(np.float64))
            with np.errstate(all="ignore"):
                scales = {n: np.abs(g.astype(np.float64) - exact[n]) / F32_ROUNDOFF for n, g in grads.items()}
        return [
            Outcome(out[k], {n: g[k] for n, g in grads.items()}, scales={n: s[k] for n, s in scales.items()})
            for k in range(len(cases))
        ]
    except MemoryError:
        raise  # the process is out of memory: exit 3 naming the graph, never an error row (a false alarm)
    except Exception as exc:
        if len(cases) == 1:
            return [Outcome(error=f"jax raised {_error_text(exc)}")]
        return [run_jax([case])[0] for case in cases]


def judge(
    cases: Sequence[Case], seeds: Sequence[int | None] | None = None, replays: Sequence[str] | None = None
) -> list[list[Record]]:
    """Records for each case (one per input). All cases must share one graph and one dtype."""
    if any(c.graph != cases[0].graph or c.dtype != cases[0].dtype for c in cases):
        raise ValueError("judge() takes cases of one graph and one dtype; call it once per graph")
    engine = ComputationalGraph(cases[0].graph)
    engine_side = [run_engine(engine, case) for case in cases]
    jax_side = run_jax(cases)
    seeds = seeds or [None] * len(cases)
    replays = replays or [""] * len(cases)
    return [
        classify(case, e, j, seed, replay)
        for case, e, j, seed, replay in zip(cases, engine_side, jax_side, seeds, replays, strict=True)
    ]


def classify(case: Case, engine: Outcome, jax: Outcome, seed: int | None, replay: str) -> list[Record]:
    ladder = Ladder("engine", case.dtype, lambda *args: _explain(case, *args))
    records = []
    for name, shape in case.checked.inputs.items():
        record = Record(
            case_id=case.case_id,
            input=name,
            shape=shape_text(shape),
            dtype=case.dtype,
            status=MATCH,
            ops=case.ops,
            n_nodes=len(case.graph["nodes"]),
            seed=seed,
            replay=replay,
        )
        judge_input(ladder, record, name, engine, jax)
        records.append(record)
    return records


def _explain(
    case: Case, name: str, tested: np.ndarray, expected: np.ndarray, result: Comparison, record: Record
) -> tuple[str, str]:
    """Engine and JAX disagree: a kink, or a mismatch with the finite difference as third opinion."""
    probe = Probe(case)
    index = result.worst_index
    fd = probe.central(name, index)
    record.fd_value = fd
    verdict = agreement(fd, result.a_value, result.b_value)
    kink = probe.kink_at(name, index)
    if kink:
        return KINK, f"{kink}; central fd {fd:.6g} {verdict}"
    return MISMATCH, (
        f"engine {result.a_value:.9g} vs jax {result.b_value:.9g} at {list(index)}; fd {fd:.6g} {verdict}"
    )


class Probe:
    """The case in float64 through the engine's forward: finite differences and kink counts."""

    def __init__(self, case: Case) -> None:
        self.case = case
        self.engine = ComputationalGraph(case.graph)
        self.values = {k: v.astype(np.float64) for k, v in case.arrays().items()}
        self.cotangent = case.cotangent_array().astype(np.float64)

    def _moved(self, name: str, index: tuple[int, ...], step: float) -> dict[str, np.ndarray]:
        values = dict(self.values)
        values[name] = values[name].copy()
        values[name][index] += step
        return values

    def _loss_at(self, name: str, index: tuple[int, ...]) -> finite_diff.Loss:
        return lambda d: self.loss(self._moved(name, index, d))

    def loss(self, values: dict[str, np.ndarray]) -> float:
        with np.errstate(all="ignore"):
            return float(np.sum(self.cotangent * self.engine.forward(values)))

    def central(self, name: str, index: tuple[int, ...]) -> float:
        return finite_diff.central(self._loss_at(name, index), float(self.values[name][index]))

    def kinks(self, values: dict[str, np.ndarray]) -> dict[str, int]:
        with np.errstate(all="ignore"):
            self.engine.forward(values)
        return kink_counts(self.engine.graph, self.engine.node_values)

    def kink_at(self, name: str, index: tuple[int, ...]) -> str:
        """Describe the kink that this element of this input sits on, or '' if it sits on none.

        A gate is on a kink when some of its elements sit exactly on a non-differentiable
        point (from the forward values). It explains the disagreement if moving this element
        changes how many sit there, or if the one-sided slopes along it differ.
        """
        here = self.kinks(self.values)
        on_kink = [node for node, count in here.items() if count]
        if not on_kink:
            return ""
        x = float(self.values[name][index])
        left, right = finite_diff.one_sided(self._loss_at(name, index), x)
        jump = finite_diff.slopes_differ(left, right)
        h = finite_diff.step(x, finite_diff.ONE_SIDED_STEP)
        moved_up, moved_down = (
            self.kinks(self._moved(name, index, h)),
            self.kinks(self._moved(name, index, -h)),
        )
        controlled = [n for n in on_kink if moved_up[n] != here[n] or moved_down[n] != here[n]]
        if not controlled and not jump:
            return ""
        ops = {node.id: node.gate.name for node in self.engine.graph.nodes}
        gates = ", ".join(f"{n} ({ops[n]})" for n in controlled or on_kink)
        return f"kink at {gates}: one-sided slopes {left:.6g} (left) and {right:.6g} (right)"
