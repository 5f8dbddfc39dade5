"""The JAX side: one table from op name to its JAX function, and one interpreter over the graph format.

The table is derived from the op declarations (``oracle.ops``: each ``Op.jax`` is the
oracle's translation of that op, written from its documented meaning, independently of
``reference/gates.py``). The interpreter reads the raw JSON graph; nothing of the engine's
is used here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

import oracle  # noqa: F401  (switches JAX to 64-bit mode before any array is made)
from oracle.core.lazy_jax import jax, jnp
from oracle.ops import JaxFn, jax_table

JAX_OPS: dict[str, JaxFn] = jax_table()  # declared with each op in oracle.ops


def graph_function(graph: Mapping[str, Any]) -> Callable[[Mapping[str, jax.Array]], jax.Array]:
    """A pure JAX function of the inputs (a dict by name) that evaluates ``graph``."""
    nodes = [
        (node["id"], JAX_OPS[node["op"]], tuple(node["args"]), dict(node.get("attrs") or {}))
        for node in graph["nodes"]
    ]
    output = graph["output"]

    def evaluate(inputs: Mapping[str, jax.Array]) -> jax.Array:
        env = dict(inputs)
        for node_id, fn, args, attrs in nodes:
            env[node_id] = fn(*(env[a] for a in args), **attrs)
        return env[output]

    return evaluate


def vjp_batch(
    graph: Mapping[str, Any], inputs: Mapping[str, np.ndarray], cotangents: np.ndarray
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Output and input gradients for K input sets at once: ``jax.vmap`` of ``jax.vjp``, run eagerly.

    ``inputs`` and ``cotangents`` carry a leading axis of length K. Not jitted: a random
    graph is evaluated once, and compiling it would cost more than running it.
    """
    evaluate = graph_function(graph)

    def one(values: Mapping[str, jax.Array], cotangent: jax.Array) -> tuple[jax.Array, Any]:
        out, pullback = jax.vjp(evaluate, values)
        return out, pullback(cotangent)[0]

    out, grads = jax.vmap(one)({k: jnp.asarray(v) for k, v in inputs.items()}, jnp.asarray(cotangents))
    return np.asarray(out), {k: np.asarray(v) for k, v in grads.items()}
