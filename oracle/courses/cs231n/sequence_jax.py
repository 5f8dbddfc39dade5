"""What the course's recurrent layers should compute, in JAX, and how their inputs are drawn.

The references of ``oracle.courses.cs231n.sequence`` (which declares the targets and says
how the course's shapes and calls fit them) and of its bugs (``sequence_bugs``); the bug
models call these with a keyword that changes one rule (``tanh``, ``tanh_c``, ``carry``,
``normalize``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from oracle.core.lazy_jax import jax, jnp, made_on_first_call
from oracle.course.reference import Shape

N, T, D, H, V = 3, 4, 5, 6, 7  # batch, time steps, input size, hidden size, vocabulary: all different
GATES = "ifog"  # the course's order of the LSTM's four blocks of H columns

# ------------------------------------------------------------------ references


@made_on_first_call  # called at import by the bug models: no JAX until one runs
def with_derivative(f: Callable[[Any], Any], df: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``f``'s values with ``df`` as its derivative: a bug model's "this backward used the wrong slope"."""

    @jax.custom_jvp
    def g(a: Any) -> Any:
        return f(a)

    @g.defjvp
    def g_jvp(primals: Any, tangents: Any) -> Any:
        (a,), (t,) = primals, tangents
        return f(a), df(a) * t

    return g


def rnn_step(x: Any, prev_h: Any, Wx: Any, Wh: Any, b: Any, tanh: Callable[[Any], Any] = jnp.tanh) -> Any:
    return tanh(x @ Wx + prev_h @ Wh + b)


def _same(v: Any) -> Any:
    return v


def rnn(x: Any, h0: Any, Wx: Any, Wh: Any, b: Any, carry: Callable[[Any], Any] = _same) -> Any:
    """All hidden states, (N, T, H), the steps unrolled (T is small).

    ``carry`` is applied to the hidden state passed from one step to the next: a bug model
    makes it ``stop_gradient`` (a backward that does not carry dprev_h back through time).
    """
    h, hs = h0, []
    for t in range(x.shape[1]):
        h = rnn_step(x[:, t], h if t == 0 else carry(h), Wx, Wh, b)
        hs.append(h)
    return jnp.stack(hs, axis=1)


def _lstm_cell(x: Any, h: Any, c: Any, Wx: Any, Wh: Any, b: Any, tanh_c: Callable[[Any], Any]) -> Any:
    a = x @ Wx + h @ Wh + b
    i, f, o, g = jnp.split(a, 4, axis=1)
    next_c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
    return jax.nn.sigmoid(o) * tanh_c(next_c), next_c


def lstm_step(
    x: Any, prev_h: Any, prev_c: Any, Wx: Any, Wh: Any, b: Any, tanh_c: Callable[[Any], Any] = jnp.tanh
) -> Any:
    """next_h and next_c side by side: (N, 2H)."""
    return jnp.concatenate(_lstm_cell(x, prev_h, prev_c, Wx, Wh, b, tanh_c), axis=1)


def lstm(
    x: Any,
    h0: Any,
    Wx: Any,
    Wh: Any,
    b: Any,
    tanh_c: Callable[[Any], Any] = jnp.tanh,
    carry: Callable[[Any], Any] = _same,
) -> Any:
    """All hidden states, (N, T, H); the cell state starts at zero. ``carry``: as ``rnn``'s, for h and c."""
    h, c, hs = h0, jnp.zeros_like(h0), []
    for t in range(x.shape[1]):
        if t > 0:
            h, c = carry(h), carry(c)
        h, c = _lstm_cell(x[:, t], h, c, Wx, Wh, b, tanh_c)
        hs.append(h)
    return jnp.stack(hs, axis=1)


def word_embedding(W: Any, x: Any) -> Any:
    return W[x]


def temporal_affine(x: Any, w: Any, b: Any) -> Any:
    return x @ w + b


def temporal_softmax_loss(x: Any, y: Any, mask: Any, normalize: str = "N") -> Any:
    """Cross-entropy summed over the unmasked steps, divided by N (the course's), or by the steps kept."""
    log_probs = jax.nn.log_softmax(x, axis=-1)
    picked = jnp.take_along_axis(log_probs, y[..., None], axis=-1)[..., 0]
    total = -jnp.sum(jnp.where(mask, picked, 0.0))
    return total / (x.shape[0] if normalize == "N" else jnp.sum(mask))


# -------------------------------------------------------------------- samplers


def _normal(rng: np.random.Generator, shape: Shape, scale: float = 1.0) -> np.ndarray:
    return np.asarray(scale * rng.standard_normal(shape))


def recurrent(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    """Inputs and states standard normal, weights scaled by 1/2: tanh and the gates away from saturation."""
    n_data = len(shapes) - 3  # x, h (and c) first; Wx, Wh, b last
    return [_normal(rng, s, 1.0 if k < n_data else 0.5) for k, s in enumerate(shapes)]


def words(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    """W normal; indices x with repeats in every case (a word twice in a row, another across rows)."""
    w_shape, x_shape = shapes
    x = rng.integers(0, w_shape[0], x_shape)
    x[0, 1] = x[0, 0]
    x[-1, -1] = x[0, 0]
    return [_normal(rng, w_shape), x.astype(np.int64)]


def masked_scores(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    """Scores, labels, and a mask with steps both kept and dropped (a padded tail in one sequence)."""
    x_shape, y_shape, _ = shapes
    mask = rng.random(y_shape) < 0.7
    mask[0, :] = True
    mask[-1, y_shape[1] // 2 :] = False
    return [_normal(rng, x_shape), rng.integers(0, x_shape[-1], y_shape).astype(np.int64), mask]
