"""The JAX side: one table from op name to its JAX function, and one interpreter over the graph format.

This is the oracle's translation of the graph format, written from the op names and
their documented meaning, independently of ``reference/gates.py``. The interpreter
reads the raw JSON graph; nothing of the engine's is used here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import oracle  # noqa: F401  (switches JAX to 64-bit mode before any array is made)

JaxFn = Callable[..., jax.Array]


def _svm_loss(scores: jax.Array, labels: Sequence[int]) -> jax.Array:
    n = scores.shape[0]
    correct = scores[jnp.arange(n), jnp.asarray(labels)][:, None]
    is_label = jnp.arange(scores.shape[1])[None, :] == jnp.asarray(labels)[:, None]
    margins = jnp.where(is_label, 0.0, jnp.maximum(0.0, scores - correct + 1.0))
    return margins.sum() / n


def _softmax_loss(scores: jax.Array, labels: Sequence[int]) -> jax.Array:
    log_probs = jax.nn.log_softmax(scores, axis=1)
    return -log_probs[jnp.arange(scores.shape[0]), jnp.asarray(labels)].mean()


JAX_OPS: dict[str, JaxFn] = {
    "add": jnp.add,
    "sub": jnp.subtract,
    "mul": jnp.multiply,
    "div": jnp.divide,
    "maximum": jnp.maximum,
    "minimum": jnp.minimum,
    "neg": jnp.negative,
    "reciprocal": jnp.reciprocal,
    "exp": jnp.exp,
    "log": jnp.log,
    "sqrt": jnp.sqrt,
    "square": jnp.square,
    "tanh": jnp.tanh,
    "sigmoid": jax.nn.sigmoid,
    "relu": jax.nn.relu,
    "abs": jnp.abs,
    "add_const": lambda x, c: c + x,
    "mul_const": lambda x, c: c * x,
    "pow_const": lambda x, p: x**p,
    "matmul": jnp.matmul,
    "sum": lambda x, axis=None, keepdims=False: jnp.sum(x, axis=axis, keepdims=keepdims),
    "mean": lambda x, axis=None, keepdims=False: jnp.mean(x, axis=axis, keepdims=keepdims),
    "max": lambda x, axis=None, keepdims=False: jnp.max(x, axis=axis, keepdims=keepdims),
    "transpose": jnp.transpose,
    "reshape": lambda x, shape: jnp.reshape(x, tuple(shape)),
    "svm_loss": _svm_loss,
    "softmax_loss": _softmax_loss,
}


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
