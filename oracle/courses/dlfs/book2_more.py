"""Book 2's other classes: ``Softmax``, the sigmoid losses, the simple Time layers, the GRU.

``SigmoidWithLoss.forward(x, t)`` takes scores (N,) and labels 0 or 1 (the negative
sampling of chapter 4); ``TimeSigmoidWithLoss`` and ``Simple_TimeSoftmaxWithLoss`` average
their per-step losses over T. ``Simple_TimeAffine(W, b)`` keeps book 1's ``self.dW``,
``self.db``. ``GRU(Wx, Wh, b)``: the blocks z, r, h~ packed in that order, the reset gate
applied before the matrix product, ``h_next = (1 - z) h_prev + z h~``; a GRU of older
printings, ``GRU(Wx, Wh)`` without a bias, is not built (``unchecked``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome
from oracle.core.lazy_jax import jax, jnp
from oracle.course.calling.objects import Layer, parameters
from oracle.course.judging.conventions import CONVENTION, as_float, joined
from oracle.course.reference import LOSS
from oracle.courses.dlfs.book2 import _declare, _grads, time_affine

BOOK_DELTA = 1e-7  # common/functions.py's cross_entropy_error: log(p + 1e-7)

_declare(
    "Softmax",
    lambda x: jax.nn.softmax(x, axis=-1),
    ("x",),
    (((4, 5),), ((3, 7),)),
    Layer("Softmax"),
)


def binary_labels(rng: np.random.Generator, shapes: Sequence[tuple[int, ...]]) -> list[np.ndarray]:
    (shape,) = shapes
    return [rng.standard_normal(shape), rng.integers(0, 2, shape).astype(np.int64)]


def sigmoid_cross_entropy(x: jax.Array, t: jax.Array, eps: float = 0.0) -> jax.Array:
    """The mean over every element of -log(sigmoid(x)) where t = 1, -log(1 - sigmoid(x)) where t = 0;
    with ``eps`` the value of -log(p + eps) (the book's cross_entropy_error), the exact gradient."""
    exact = -jnp.mean(t * jax.nn.log_sigmoid(x) + (1 - t) * jax.nn.log_sigmoid(-x))
    if eps == 0:
        return exact
    p = jnp.where(t == 1, jax.nn.sigmoid(x), jax.nn.sigmoid(-x))
    return exact + jax.lax.stop_gradient(-jnp.mean(jnp.log(p + eps)) - exact)


def _losses(x: np.ndarray, t: np.ndarray, eps: float) -> float:
    p = np.where(t == 1, 1 / (1 + np.exp(-x)), 1 / (1 + np.exp(x)))
    return float(-np.mean(np.log(p + eps)))


def infer_delta(
    settings: Mapping[str, Any], student: Outcome, inputs: Sequence[np.ndarray]
) -> Mapping[str, Any]:
    """The book's 1e-7 inside the log, when the student's loss is that one rather than the exact one."""
    x, t = (np.asarray(v, dtype=np.float64) for v in inputs[:2])
    loss = as_float(student.out)
    if loss is None:
        return settings
    exact, loose = _losses(x, t, 0.0), _losses(x, t, BOOK_DELTA)
    if abs(loss - loose) < abs(loss - exact):
        note = f"{CONVENTION}-log(p + {BOOK_DELTA:g}) in the loss (the book's cross_entropy_error)"
        student.warning = joined(student.warning, note)
        return {**settings, "eps": BOOK_DELTA}
    return settings


for _name, _shapes in (
    ("SigmoidWithLoss", (((6,),), ((9,),))),
    ("TimeSigmoidWithLoss", (((3, 4),), ((2, 5),))),
):
    _declare(
        _name,
        sigmoid_cross_entropy,
        ("xs" if _name.startswith("Time") else "x",),
        _shapes,
        Layer(_name, forward=(0, 1), upstream=False, scalar=True),
        kind=LOSS,
        sample=binary_labels,
        adapt=infer_delta,
    )


def all_words(rng: np.random.Generator, shapes: Sequence[tuple[int, ...]]) -> list[np.ndarray]:
    (shape,) = shapes
    return [rng.standard_normal(shape), rng.integers(0, shape[-1], shape[:-1]).astype(np.int64)]


def mean_cross_entropy(xs: jax.Array, ts: jax.Array) -> jax.Array:
    log_p = jax.nn.log_softmax(xs, axis=-1)
    return -jnp.mean(jnp.take_along_axis(log_p, ts[..., None], axis=-1))


_declare(
    "Simple_TimeSoftmaxWithLoss",
    mean_cross_entropy,
    ("xs",),
    (((2, 3, 4),), ((3, 2, 5),)),
    Layer("Simple_TimeSoftmaxWithLoss", forward=(0, 1), upstream=False, scalar=True),
    kind=LOSS,
    sample=all_words,
)
_declare(
    "Simple_TimeAffine",
    time_affine,
    ("x", "W", "b"),
    (((2, 3, 4), (4, 5), (5,)), ((3, 2, 3), (3, 2), (2,))),
    Layer("Simple_TimeAffine", build=parameters(1, 2), grads=("return", "dW", "db")),
)


def gru_step(x: jax.Array, h: jax.Array, wx: jax.Array, wh: jax.Array, b: jax.Array) -> jax.Array:
    H = wh.shape[0]
    z = jax.nn.sigmoid(x @ wx[:, :H] + h @ wh[:, :H] + b[:H])
    r = jax.nn.sigmoid(x @ wx[:, H : 2 * H] + h @ wh[:, H : 2 * H] + b[H : 2 * H])
    h_hat = jnp.tanh(x @ wx[:, 2 * H :] + (r * h) @ wh[:, 2 * H :] + b[2 * H :])
    return (1 - z) * h + z * h_hat


def time_gru(xs: jax.Array, wx: jax.Array, wh: jax.Array, b: jax.Array) -> jax.Array:
    h = jnp.zeros((xs.shape[0], wh.shape[0]), xs.dtype)
    hs = []
    for t in range(xs.shape[1]):
        h = gru_step(xs[:, t], h, wx, wh, b)
        hs.append(h)
    return jnp.stack(hs, axis=1)


_declare(
    "GRU",
    gru_step,
    ("x", "h_prev", "Wx", "Wh", "b"),
    (((3, 4), (3, 5), (4, 15), (5, 15), (15,)), ((2, 3), (2, 2), (3, 6), (2, 6), (6,))),
    Layer("GRU", build=parameters(2, 3, 4), forward=(0, 1), grads=_grads(3, returned=2)),
)
_declare(
    "TimeGRU",
    time_gru,
    ("xs", "Wx", "Wh", "b"),
    (((2, 3, 4), (4, 9), (3, 9), (9,)), ((3, 4, 2), (2, 6), (2, 6), (6,))),
    Layer("TimeGRU", build=parameters(1, 2, 3), grads=_grads(3)),
)
