"""The course losses on (N, C) scores with integer labels: ``svm_loss`` and ``softmax_loss``."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.lazy_jax import jax, jnp
from oracle.ops.base import Bounds, Interval, Op, declare, never_generic
from oracle.ops.draw import SCORES, labels
from oracle.ops.rules import constant_slope


def _svm_loss(scores: jax.Array, labels: Sequence[int]) -> jax.Array:
    n = scores.shape[0]
    correct = scores[jnp.arange(n), jnp.asarray(labels)][:, None]
    is_label = jnp.arange(scores.shape[1])[None, :] == jnp.asarray(labels)[:, None]
    margins = jnp.where(is_label, 0.0, jnp.maximum(0.0, scores - correct + 1.0))
    return margins.sum() / n


def _softmax_loss(scores: jax.Array, labels: Sequence[int]) -> jax.Array:
    log_probs = jax.nn.log_softmax(scores, axis=1)
    return -log_probs[jnp.arange(scores.shape[0]), jnp.asarray(labels)].mean()


def zero_margins(scores: Any, labels: Sequence[int]) -> tuple[np.ndarray, ...]:
    """Scores whose hinge margin s_j - s_y + 1 is exactly 0, and the correct score of their rows
    (it collects every active margin)."""
    scores = np.asarray(scores)
    rows, y = np.arange(scores.shape[0]), np.asarray(labels)
    margins = scores - scores[rows, y][:, None] + 1
    on = margins == 0
    on[rows, y] = False  # the correct class has no margin
    on[rows, y] = on.any(axis=1)
    return (on,)


def _svm_iv(args: Sequence[Bounds], attrs: Mapping[str, Any]) -> Interval:
    a = args[0]
    return 0.0, (a.shape[1] - 1) * max(0.0, a.hi - a.lo + 1)


def _softmax_iv(args: Sequence[Bounds], attrs: Mapping[str, Any]) -> Interval:
    a = args[0]
    return 0.0, math.log(a.shape[1]) + (a.hi - a.lo)


declare(
    Op(
        "svm_loss",
        _svm_loss,
        SCORES,
        _svm_iv,
        attrs=labels,
        slope=lambda args, attrs, shape: (float(args[0].shape[1] - 1),),  # the correct score: C - 1 margins
        generic=never_generic,  # exactly 0 wherever every margin is negative
        kinks=zero_margins,
        kinks_at="a hinge margin of exactly 0",
        scalar=False,
    )
)
declare(
    Op(
        "softmax_loss",
        _softmax_loss,
        SCORES,
        _softmax_iv,
        attrs=labels,
        slope=constant_slope(1.0),  # |p - onehot(y)| / N
        scalar=False,
    )
)
