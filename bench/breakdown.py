"""Where a campaign's JAX time goes: ``python -m bench.breakdown --graphs G`` judges the default
campaign's first G graphs in this process (``oracle.campaign.tasks.judge_graph``, as ``report
--workers 1`` does, without the CSV and summary) and prints one JSON line of JAX's own figures
(``jax.monitoring``): XLA compilations, persistent-cache hits, seconds compiling, lowering to MLIR
and tracing, against the process's CPU and wall seconds. Run it with an empty
``BACKPROP_ORACLE_JAX_CACHE`` for the cold figures, with a filled one for the warm ones.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
import time

import jax.monitoring

from oracle.campaign.spec import Campaign
from oracle.campaign.tasks import judge_graph

EVENTS = {
    "/jax/core/compile/backend_compile_duration": "compile",
    "/jax/core/compile/jaxpr_to_mlir_module_duration": "lower",
    "/jax/core/compile/jaxpr_trace_duration": "trace",
    "/jax/compilation_cache/cache_hits": "cache_hits",
    "/jax/compilation_cache/cache_retrieval_time_sec": "cache_load",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.breakdown", description=__doc__.splitlines()[0])
    parser.add_argument("--graphs", type=int, default=1000)
    parser.add_argument("--inputs", type=int, default=16)
    args = parser.parse_args(argv)
    counts: collections.Counter[str] = collections.Counter()
    seconds: collections.Counter[str] = collections.Counter()

    def event(name: str, **_: object) -> None:
        if name in EVENTS:
            counts[EVENTS[name]] += 1

    def duration(name: str, secs: float, **_: object) -> None:
        if name in EVENTS:
            counts[EVENTS[name]] += 1
            seconds[EVENTS[name]] += secs

    jax.monitoring.register_event_listener(event)
    jax.monitoring.register_event_duration_secs_listener(duration)
    campaign = Campaign(graphs=args.graphs, inputs=args.inputs)
    wall, cpu = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory(prefix="bench-breakdown-") as cases:
        for index in range(args.graphs):
            judge_graph(campaign, index, cases)
    figures = {
        "graphs": args.graphs,
        "wall_s": round(time.perf_counter() - wall, 2),
        "cpu_s": round(time.process_time() - cpu, 2),
        "programs": counts["compile"],  # every XLA program a primitive needed: compiled or loaded
        "compiles": counts["compile"] - counts["cache_hits"],
        "cache_hits": counts["cache_hits"],
        **{f"{k}_s": round(seconds[k], 2) for k in ("compile", "lower", "trace", "cache_load")},
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
