"""Book 2's ``common/layers.py`` and ``common/time_layers.py``: parameters and gradients in lists.

Every layer holds ``self.params`` and ``self.grads``, and its backward writes each gradient
into the array already in the list (``self.grads[0][...] = dW``): an optimizer holds those
arrays, so the gradient is read from the array the list held once the layer was built,
and a backward that puts a new array there instead is named. The recurrent layers'
backward returns a tuple (``RNN``: dx, dh_prev; ``LSTM.backward(dh_next, dc_next)``: dx,
dh_prev, dc_prev), the LSTM's four gates packed f, g, i, o in one matrix. The Time layers
allocate float32 buffers (``np.empty(..., dtype='f')``), so the Time layers are judged at
float32 (the rows' dtype says so), whatever ``--dtype`` asks; the others keep the input's dtype.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from oracle.core.lazy_jax import jax, jnp
from oracle.course.calling.objects import Layer, object_call, parameters
from oracle.course.judging.bugs import Bug, returns
from oracle.course.judging.samplers import normal
from oracle.course.reference import LAYER, LOSS, Reference, declare

P = "dlfs."
F32 = "float32"


def _declare(name: str, fn: Any, inputs: tuple[str, ...], shapes: Any, layer: Layer, **more: Any) -> None:
    """A Time layer (float32 buffers) is judged at float32; the others in the check's dtype."""
    sample = more.pop("sample", normal)
    kind = more.pop("kind", LAYER)
    dtype = F32 if name.startswith(("Time", "Simple_Time")) else ""
    call = object_call(layer)
    declare(
        Reference(P + name, kind, fn, inputs, shapes, sample, call=call, names=(name,), dtype=dtype, **more)
    )


def _grads(n: int, returned: int = 1) -> tuple[str, ...]:
    first = ("return",) if returned == 1 else tuple(f"return[{k}]" for k in range(returned))
    return first + tuple(f"grads[{k}]" for k in range(n))


_declare(
    "MatMul",
    lambda x, w: x @ w,
    ("x", "W"),
    (((4, 5), (5, 3)), ((6, 2), (2, 4))),
    Layer("MatMul", build=parameters(1), grads=_grads(1)),
)

# ------------------------------------------------------------------ embeddings


def with_indices(rng: np.random.Generator, shapes: Sequence[tuple[int, ...]]) -> list[np.ndarray]:
    """W (V, D) and indices of shape ``shapes[1]``, with repeated words (their gradients must add)."""
    w_shape, idx_shape = shapes
    idx = rng.integers(0, w_shape[0], idx_shape)
    idx.flat[-1] = idx.flat[0]
    return [rng.standard_normal(w_shape), idx.astype(np.int64)]


def embedding(w: jax.Array, idx: jax.Array) -> jax.Array:
    return w[idx]


def _overwritten(s: Any) -> Any:
    """dW[idx] = dout: a repeated word keeps only its last gradient."""
    w, idx = s.inputs[0], s.inputs[1]
    if s.upstream is None:
        return None
    dw = np.zeros(w.shape)
    dw[np.asarray(idx).reshape(-1)] = np.asarray(s.upstream).reshape(-1, w.shape[1])
    return dw


NO_ADD = Bug(
    "dW[idx] = dout: the gradients of a repeated word must add (np.add.at)", "W", returns(_overwritten)
)
_declare(
    "Embedding",
    embedding,
    ("W",),
    (((7, 3), (5,)), ((5, 4), (8,))),
    Layer("Embedding", build=parameters(0), forward=(1,), grads=("grads[0]",)),
    sample=with_indices,
    bugs=(NO_ADD,),
)
_declare(
    "TimeEmbedding",
    embedding,
    ("W",),
    (((7, 3), (2, 4)), ((5, 4), (3, 3))),
    Layer("TimeEmbedding", build=parameters(0), forward=(1,), grads=("grads[0]",)),
    sample=with_indices,
    bugs=(NO_ADD,),
)


def time_affine(x: jax.Array, w: jax.Array, b: jax.Array) -> jax.Array:
    return x @ w + b


_declare(
    "TimeAffine",
    time_affine,
    ("x", "W", "b"),
    (((2, 3, 4), (4, 5), (5,)), ((3, 2, 3), (3, 2), (2,))),
    Layer("TimeAffine", build=parameters(1, 2), grads=_grads(2)),
)

# ------------------------------------------------------------------ recurrent layers


def rnn_step(x: jax.Array, h: jax.Array, wx: jax.Array, wh: jax.Array, b: jax.Array) -> jax.Array:
    return jnp.tanh(h @ wh + x @ wx + b)


RNN_SHAPES = (((3, 4), (3, 5), (4, 5), (5, 5), (5,)), ((2, 3), (2, 2), (3, 2), (2, 2), (2,)))
_declare(
    "RNN",
    rnn_step,
    ("x", "h_prev", "Wx", "Wh", "b"),
    RNN_SHAPES,
    Layer("RNN", build=parameters(2, 3, 4), forward=(0, 1), grads=_grads(3, returned=2)),
)


def lstm_step(
    x: jax.Array, h: jax.Array, c: jax.Array, wx: jax.Array, wh: jax.Array, b: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """The book's LSTM: A = x Wx + h Wh + b, split in four: f, g, i, o."""
    a = x @ wx + h @ wh + b
    f, g, i, o = jnp.split(a, 4, axis=-1)
    c_next = jax.nn.sigmoid(f) * c + jnp.tanh(g) * jax.nn.sigmoid(i)
    return jax.nn.sigmoid(o) * jnp.tanh(c_next), c_next


def lstm_joined(
    x: jax.Array, h: jax.Array, c: jax.Array, wx: jax.Array, wh: jax.Array, b: jax.Array
) -> jax.Array:
    """h_next and c_next side by side on the last axis, as the call joins the student's two outputs."""
    return jnp.concatenate(lstm_step(x, h, c, wx, wh, b), axis=-1)


_declare(
    "LSTM",
    lstm_joined,
    ("x", "h_prev", "c_prev", "Wx", "Wh", "b"),
    (((3, 4), (3, 5), (3, 5), (4, 20), (5, 20), (20,)), ((2, 3), (2, 2), (2, 2), (3, 8), (2, 8), (8,))),
    Layer("LSTM", build=parameters(3, 4, 5), forward=(0, 1, 2), outputs=2, grads=_grads(3, returned=3)),
)


def time_rnn(xs: jax.Array, wx: jax.Array, wh: jax.Array, b: jax.Array) -> jax.Array:
    """hs (N, T, H) from h0 = 0 (stateful=False)."""
    h = jnp.zeros((xs.shape[0], wh.shape[0]), xs.dtype)
    hs = []
    for t in range(xs.shape[1]):
        h = rnn_step(xs[:, t], h, wx, wh, b)
        hs.append(h)
    return jnp.stack(hs, axis=1)


def time_lstm(xs: jax.Array, wx: jax.Array, wh: jax.Array, b: jax.Array) -> jax.Array:
    h = jnp.zeros((xs.shape[0], wh.shape[0]), xs.dtype)
    c = h
    hs = []
    for t in range(xs.shape[1]):
        h, c = lstm_step(xs[:, t], h, c, wx, wh, b)
        hs.append(h)
    return jnp.stack(hs, axis=1)


_declare(
    "TimeRNN",
    time_rnn,
    ("xs", "Wx", "Wh", "b"),
    (((2, 3, 4), (4, 5), (5, 5), (5,)), ((3, 4, 2), (2, 3), (3, 3), (3,))),
    Layer("TimeRNN", build=parameters(1, 2, 3), grads=_grads(3)),
)
_declare(
    "TimeLSTM",
    time_lstm,
    ("xs", "Wx", "Wh", "b"),
    (((2, 3, 4), (4, 12), (3, 12), (12,)), ((3, 4, 2), (2, 8), (2, 8), (8,))),
    Layer("TimeLSTM", build=parameters(1, 2, 3), grads=_grads(3)),
)

# ------------------------------------------------------------------ the loss

IGNORE = -1  # the book's ignore_label


def scores_and_words(rng: np.random.Generator, shapes: Sequence[tuple[int, ...]]) -> list[np.ndarray]:
    """Scores (N, T, V) and words (N, T), some of them the ignored label -1 (never all)."""
    (shape,) = shapes
    n, t, v = shape
    words = rng.integers(0, v, (n, t))
    words[rng.random((n, t)) < 0.25] = IGNORE
    words[0, 0] = rng.integers(0, v)
    return [rng.standard_normal(shape), words.astype(np.int64)]


def time_softmax_with_loss(xs: jax.Array, ts: jax.Array) -> jax.Array:
    """-sum(log p[t] * mask) / mask.sum(): the mean over the words that count."""
    mask = ts != IGNORE
    log_p = jax.nn.log_softmax(xs, axis=-1)
    picked = jnp.take_along_axis(log_p, jnp.where(mask, ts, 0)[..., None], axis=-1)[..., 0]
    return -jnp.sum(picked * mask) / jnp.sum(mask)


def _per_sequence_step(s: Any) -> Any:
    """The gradient divided by N * T instead of by the words that count."""
    ts = np.asarray(s.inputs[1])
    return np.asarray(s.jax.grads["xs"]) * np.sum(ts != IGNORE) / ts.size


_declare(
    "TimeSoftmaxWithLoss",
    time_softmax_with_loss,
    ("xs",),
    (((2, 3, 4),), ((3, 4, 5),)),
    Layer("TimeSoftmaxWithLoss", forward=(0, 1), upstream=False, scalar=True),
    kind=LOSS,
    sample=scores_and_words,
    bugs=(
        Bug("divided by N * T, not by the words that count (ts != -1)", "xs", returns(_per_sequence_step)),
    ),
)
