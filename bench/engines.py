"""Random graphs through a student's scalar engine beside the project's own engine, on the same graphs.

The student's engine is ``tests/engine_samples/value_correct.py`` (a micrograd-style
``Value``), probed as ``check`` probes it; the graphs are the ones its check draws
(``oracle.engines``: scalar, at most 8 gates, in the engine's own operators). Timed per
variant over the same ``GRAPHS`` programs: ``student engine`` runs each program's code
(fresh leaves, forward, ``backward()``) through the sample; ``project engine`` runs each
program's meaning through ``reference.ComputationalGraph`` (forward and backward);
``check`` is the whole engine check of the same number of graphs (probe, three input sets
per graph, JAX's vmapped VJP, judging); ``check isolated`` is the same check as ``check``
runs it by default: the student's code in a confined process of its own, started for the
file (``oracle.engines.isolated``), each program sent there and its numbers read back.
Graphs per second are in the note.
"""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import Row, median_times, ratio

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "engine_samples" / "value_correct.py"
GRAPHS = 60


def _programs(graphs: int) -> tuple[Any, list[Any]]:
    from oracle.engines.checking import engines_of
    from oracle.engines.drive import MAX_NODES, _inputs
    from oracle.engines.forms import forms_for
    from oracle.engines.program import Program, scalar_values, spell
    from oracle.strategies import SCALAR_OPS, campaign_graph

    spec = importlib.util.spec_from_file_location("bench_engine_sample", SAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    (engine,) = engines_of(module)
    table = forms_for(engine.capabilities)
    ops = [op for op in SCALAR_OPS if op in table]
    used: Counter[str] = Counter()
    programs = []
    index = 0
    while len(programs) < graphs:
        graph = campaign_graph(0, index, MAX_NODES, scalar=True, ops=ops)
        steps = spell(graph, table, used)
        if steps is not None:
            programs.append(Program(scalar_values(_inputs(graph, 0, index, 0)), steps, graph["output"]))
        index += 1
    return engine, programs


def variants(graphs: int) -> dict[str, Callable[[], Any]]:
    from oracle.engines.drive import check_scalar
    from oracle.engines.run import run_engine
    from reference import ComputationalGraph

    engine, programs = _programs(graphs)
    meanings = [(p.jax_graph(), {n: np.float64(v) for n, v in p.inputs}) for p in programs]

    def student() -> Any:
        return [run_engine(engine, p) for p in programs]

    def project() -> Any:
        out = []
        for graph, values in meanings:
            reference = ComputationalGraph(graph)
            reference.forward(values, "float64")
            out.append(reference.backward(np.float64(1.0)))
        return out

    def check() -> Any:
        return check_scalar(engine, 0, graphs, lambda seed: "", str(SAMPLE))

    def isolated() -> Any:
        from oracle.course.isolation.sessions import Options
        from oracle.engines import plugin

        targets = plugin.find(SAMPLE, str(SAMPLE), Options(graphs=graphs, seed=0, isolate=True), 0)
        return [t.run() for t in targets]

    return {"student engine": student, "project engine": project, "check": check, "check isolated": isolated}


def run(quick: bool = False) -> list[Row]:
    graphs = 20 if quick else GRAPHS
    rounds = 2 if quick else 5
    fns = variants(graphs)
    times = median_times(fns, rounds)
    base = times["project engine"]
    size = f"{graphs} graphs"
    return [
        Row("engines", name, size, rounds, t, ratio(t, base), f"{graphs / t:.1f} graphs/s")
        for name, t in times.items()
    ]


if __name__ == "__main__":
    from bench.common import table

    print(table(run("--quick" in sys.argv)))
