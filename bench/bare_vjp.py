"""The oracle's JAX work and nothing else: ``jax.vmap`` of ``jax.vjp`` over a campaign's graphs and inputs.

``python -m bench.bare_vjp --graphs G --inputs K --seed S`` draws exactly the graphs and
input sets of ``python -m oracle report`` with the same options (``campaign_graph``,
``campaign_inputs``) and runs, for each graph, one eager (not jitted) ``jax.vmap`` of
``jax.vjp`` of ``oracle.core.jax_graph.graph_function(graph)`` over its K input sets. No engine,
no comparison, no files: the floor that the campaign's time is measured against.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from oracle.core.jax_graph import graph_function  # importing oracle: x64 and the persistent compile cache
from oracle.strategies import campaign_graph, campaign_inputs


def vjp_graph(
    graph: Mapping[str, Any], inputs: dict[str, np.ndarray], cotangents: np.ndarray
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One vmapped, eager ``jax.vjp`` of the graph: the outputs and input gradients, on the host."""
    evaluate = graph_function(graph)

    def one(values: Mapping[str, jax.Array], cotangent: jax.Array) -> tuple[jax.Array, Any]:
        out, pullback = jax.vjp(evaluate, values)
        return out, pullback(cotangent)[0]

    out, grads = jax.vmap(one)({k: jnp.asarray(v) for k, v in inputs.items()}, jnp.asarray(cotangents))
    return np.asarray(out), {k: np.asarray(v) for k, v in grads.items()}  # to the host, as the oracle does


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bare_vjp", description=__doc__.splitlines()[0])
    parser.add_argument("--graphs", type=int, default=1000)
    parser.add_argument("--inputs", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-nodes", type=int, default=12)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    failed = 0
    for index in range(args.graphs):
        graph = campaign_graph(args.seed, index, args.max_nodes)
        drawn = [campaign_inputs(graph, args.seed, index, j) for j in range(args.inputs)]
        inputs = {
            name: np.stack([np.asarray(values[name], dtype=np.float64) for values, _ in drawn])
            for name in graph["inputs"]
        }
        cotangents = np.stack([np.asarray(cotangent, dtype=np.float64) for _, cotangent in drawn])
        try:
            vjp_graph(graph, inputs, cotangents)
        except Exception as exc:  # counted, not hidden: the campaign would report these rows as errors
            failed += 1
            print(f"graph {index}: {type(exc).__name__}: {exc}".splitlines()[0], file=sys.stderr)
    seconds = time.perf_counter() - start
    print(f"bare vmap(vjp): {args.graphs} graphs x {args.inputs} inputs in {seconds:.1f} s, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
