"""The course's first targets: the lecture's gates, the elementwise layer pairs and the two losses.

Where a target is the same op as a graph op, its JAX function is the op table's, so the
JAX translation stays one table; only the affine layer's flattening is written here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.jax_graph import JAX_OPS
from oracle.core.judgement import Outcome
from oracle.core.lazy_jax import jax, jnp
from oracle.course.judging.conventions import joined, softmax_epsilon
from oracle.course.judging.samplers import (
    at_ties,
    at_zero,
    at_zero_margins,
    away_from_zero,
    large_scores,
    normal,
    positive,
    scores_and_labels,
    with_ties,
    with_zeros,
    zero_margins,
)
from oracle.course.reference import (
    GATE,
    GATE_SHAPES,
    LAYER,
    LAYER_SHAPES,
    LOSS,
    LOSS_SHAPES,
    Reference,
    Sampler,
    declare,
)


def _affine(x: jax.Array, w: jax.Array, b: jax.Array) -> jax.Array:
    """x of shape (N, d1, ..., dk) flattened to (N, D), then x @ w + b."""
    return jnp.reshape(x, (x.shape[0], -1)) @ w + b


AFFINE_SHAPES = (((4, 5), (5, 3), (3,)), ((2, 3, 4), (12, 5), (5,)))  # N != M for the same reason


def _gate(name: str, op: str, arity: int = 1, sample: Sampler = normal, **kinks: Any) -> None:
    shapes = tuple(s * arity for s in GATE_SHAPES)
    inputs = tuple(str(i) for i in range(arity))
    declare(Reference(name, GATE, JAX_OPS[op], inputs, shapes, sample, op=op, **kinks))


_gate("AddGate", "add", 2)
_gate("MultiplyGate", "mul", 2)
_gate(
    "MaxGate",
    "maximum",
    2,
    kinks=at_ties,
    edge=with_ties,
    kink_text="a tie of the two inputs",
    edge_text="ties of the two inputs",
)
_gate("NegGate", "neg")
_gate("ReciprocalGate", "reciprocal", sample=away_from_zero)
_gate("ExpGate", "exp")
_gate("LogGate", "log", sample=positive)
_gate("SqrtGate", "sqrt", sample=positive)
_gate("SquareGate", "square")
_gate("TanhGate", "tanh")
_gate("SigmoidGate", "sigmoid")
for _name, _op in (("ReluGate", "relu"), ("AbsGate", "abs")):
    _gate(
        _name,
        _op,
        kinks=at_zero,
        edge=with_zeros,
        kink_text=f"{_op} at 0",
        edge_text="exact zeros in the input",
    )

declare(Reference("affine", LAYER, _affine, ("x", "w", "b"), AFFINE_SHAPES, normal))
declare(
    Reference(
        "relu",
        LAYER,
        JAX_OPS["relu"],
        ("x",),
        LAYER_SHAPES,
        normal,
        kinks=at_zero,
        edge=with_zeros,
        kink_text="relu at x == 0",
        edge_text="exact zeros in x",
        op="relu",
    )
)
for _name in ("sigmoid", "tanh"):
    declare(Reference(_name, LAYER, JAX_OPS[_name], ("x",), LAYER_SHAPES, normal, op=_name))
declare(
    Reference(
        "svm_loss",
        LOSS,
        JAX_OPS["svm_loss"],
        ("x",),
        LOSS_SHAPES,
        scores_and_labels,
        kinks=at_zero_margins,
        edge=zero_margins,
        kink_text="a hinge margin of exactly 0",
        edge_text="hinge margins of exactly 0",
        op="svm_loss",
    )
)


def softmax_loss(x: jax.Array, y: jax.Array, eps: float = 0.0, eps_at: str = "log") -> jax.Array:
    """Mean cross-entropy; with ``eps``: the value of the student's loss with that epsilon.

    ``eps_at`` "log": mean(-log(p_y + eps)), and the exact loss's gradient, which is what
    the student's dx (probs - one_hot, their probs without the epsilon) is. "sum":
    mean(-log(q_y)) with q = e / sum(e), e = exp(x - the row's max) + eps, and the gradient
    (q - one_hot) / N that the same probabilities give: the code that adds the epsilon there
    computes dx from them. Either epsilon is a student's convention inferred from their
    loss (``infer_epsilon``); it only matters where a probability is tiny.
    """
    exact = JAX_OPS["softmax_loss"](x, y)
    if eps == 0:
        return exact
    labels = jnp.asarray(y)[:, None]
    if eps_at != "sum":
        log_p = jnp.take_along_axis(jax.nn.log_softmax(x, axis=1), labels, axis=1)[:, 0]
        return exact + jax.lax.stop_gradient(-jnp.mean(jnp.log(jnp.exp(log_p) + eps)) - exact)
    e = jnp.exp(x - jnp.max(x, axis=1, keepdims=True)) + eps
    q = e / jnp.sum(e, axis=1, keepdims=True)
    value = -jnp.mean(jnp.log(jnp.take_along_axis(q, labels, axis=1)[:, 0]))
    # a term of value 0 whose gradient moves the exact loss's (p - one_hot) / N to (q - one_hot) / N
    shift = jnp.sum(jax.lax.stop_gradient(q - jax.nn.softmax(x, axis=1)) * x) / x.shape[0]
    return exact + jax.lax.stop_gradient(value - exact) + shift - jax.lax.stop_gradient(shift)


def infer_epsilon(
    settings: Mapping[str, Any], student: Outcome, inputs: Sequence[np.ndarray]
) -> Mapping[str, Any]:
    x, y = inputs
    eps, at, note = softmax_epsilon(student.out, x, y, str(x.dtype))
    student.warning = joined(student.warning, note)
    return {**settings, **epsilon_settings(eps, at)}


def epsilon_settings(eps: float, at: str) -> dict[str, Any]:
    """The reference's keywords for a softmax epsilon: ``eps_at`` only where it is not the log's."""
    return {"eps": eps} if at == "log" else {"eps": eps, "eps_at": at}


declare(
    Reference(
        "softmax_loss",
        LOSS,
        softmax_loss,
        ("x",),
        LOSS_SHAPES,
        scores_and_labels,
        edge=large_scores,
        edge_text="scores near +-1000 (row offsets 900-940 of one sign, spreads within +-10)",
        op="softmax_loss",
        adapt=infer_epsilon,
    )
)
