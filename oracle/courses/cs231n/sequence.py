"""The course's recurrent-network layers (``rnn_layers.py``): RNN and LSTM steps and sequences,
word embeddings, the temporal affine layer and the masked temporal softmax loss.

Shapes are the course's: a minibatch of N sequences of T steps, inputs of dimension D,
hidden states of dimension H, a vocabulary of V words; every dimension differs from the
others, so a transpose or a sum over the wrong axis changes a shape. The LSTM's 4H
columns are its gates in the course's order i, f, o, g (input, forget, output, block input).

Two targets do not fit one output and one upstream gradient as they stand:

- ``lstm_step_forward`` returns ``(next_h, next_c, cache)`` and its backward takes
  ``(dnext_h, dnext_c, cache)``: the checker sees one output, next_h and next_c side by
  side, shape (N, 2H) (columns H and up are next_c), and splits the upstream gradient
  the same way (``calls.layer_call(outputs=2)``);
- ``word_embedding_forward(x, W)`` has its differentiable input second: the reference
  takes ``(W, x)`` and the call passes them to the student in the course's order.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from oracle.course.calling.calls import layer_call
from oracle.course.judging.bugs import Suspect, declare_bugs, gradient_bug, output_bug
from oracle.course.reference import LAYER, LOSS, Reference, Shape, declare

N, T, D, H, V = 3, 4, 5, 6, 7  # batch, time steps, input size, hidden size, vocabulary: all different
GATES = "ifog"  # the course's order of the LSTM's four blocks of H columns

# ------------------------------------------------------------------ references


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


# -------------------------------------------------------------------- targets

RNN_STEP = ((N, D), (N, H), (D, H), (H, H), (H,))
RNN = ((N, T, D), (N, H), (D, H), (H, H), (H,))
LSTM_STEP = ((N, D), (N, H), (N, H), (D, 4 * H), (H, 4 * H), (4 * H,))
LSTM = ((N, T, D), (N, H), (D, 4 * H), (H, 4 * H), (4 * H,))


def _layer(name: str, fn: Callable[..., Any], inputs: str, shapes: tuple[Shape, ...], **options: Any) -> None:
    sample = options.pop("sample", recurrent)
    declare(Reference(name, LAYER, fn, tuple(inputs.split()), (shapes,), sample, **options))


_layer("rnn_step", rnn_step, "x prev_h Wx Wh b", RNN_STEP)
_layer("rnn", rnn, "x h0 Wx Wh b", RNN)
_layer("lstm_step", lstm_step, "x prev_h prev_c Wx Wh b", LSTM_STEP, call=layer_call("lstm_step", outputs=2))
_layer("lstm", lstm, "x h0 Wx Wh b", LSTM)
_layer(
    "word_embedding",
    word_embedding,
    "W",
    ((V, D), (N, T)),
    sample=words,
    call=layer_call("word_embedding", arguments=(1, 0)),
)
_layer("temporal_affine", temporal_affine, "x w b", ((N, T, D), (D, H), (H,)))
declare(
    Reference(
        "temporal_softmax_loss",
        LOSS,
        temporal_softmax_loss,
        ("x",),
        (((N, T, V), (N, T), (N, T)),),
        masked_scores,
    )
)

# the names declared here
NAMES = frozenset(
    ("rnn_step", "rnn", "lstm_step", "lstm", "word_embedding", "temporal_affine", "temporal_softmax_loss")
)

# ----------------------------------------------------------------- known bugs

_tanh_from_pre_activation = with_derivative(jnp.tanh, lambda a: 1 - a**2)
declare_bugs(
    "rnn_step",
    gradient_bug(
        "the tanh derivative is taken of the pre-activation: 1 - a**2, not 1 - tanh(a)**2 (1 - next_h**2)",
        functools.partial(rnn_step, tanh=_tanh_from_pre_activation),
    ),
)
declare_bugs(
    "rnn",
    gradient_bug(
        "the gradient does not flow back through time: dprev_h of step t is not added to dh[:, t-1]",
        functools.partial(rnn, carry=jax.lax.stop_gradient),
    ),
)

# The classic slips in dc = dnext_c + dnext_h * o * (1 - tanh(next_c)**2):
_DC_BUGS = (
    ("(1 - next_c**2): the tanh of the cell state is forgotten in dc", lambda c: 1 - c**2),
    ("no (1 - tanh(next_c)**2) factor: dc = dnext_c + dnext_h * o", lambda c: jnp.ones_like(c)),
    ("dnext_h does not reach dc at all: dc = dnext_c", lambda c: jnp.zeros_like(c)),
)


def _lstm_order(order: str, sequence: bool) -> Callable[..., Any]:
    """The LSTM in numpy, with its four gate blocks taken in another order (a forward bug)."""

    def sigmoid(a: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-a))

    def cell(x: Any, h: Any, c: Any, Wx: Any, Wh: Any, b: Any) -> tuple[Any, Any]:
        blocks = dict(zip(order, np.split(x @ Wx + h @ Wh + b, 4, axis=1), strict=True))
        c = sigmoid(blocks["f"]) * c + sigmoid(blocks["i"]) * np.tanh(blocks["g"])
        return sigmoid(blocks["o"]) * np.tanh(c), c

    def run(*arrays: Any) -> Any:
        if not sequence:
            return np.concatenate(cell(*arrays), axis=1)
        x, h, Wx, Wh, b = arrays
        c, hs = np.zeros_like(h), []
        for t in range(x.shape[1]):
            h, c = cell(x[:, t], h, c, Wx, Wh, b)
            hs.append(h)
        return np.stack(hs, axis=1)

    return run


def _gate_order(sequence: bool) -> Callable[[Suspect], str]:
    orders = ["".join(p) for p in itertools.permutations(GATES) if "".join(p) != GATES]

    def bug(s: Suspect) -> str:
        for order in orders:
            text = output_bug(
                f"the gates are taken in the order {', '.join(order)} from the 4H columns "
                "(the course's order is i, f, o, g: input, forget, output, block input)",
                _lstm_order(order, sequence),
            )(s)
            if text:
                return text
        return ""

    return bug


for _name, _fn, _sequence in (("lstm_step", lstm_step, False), ("lstm", lstm, True)):
    declare_bugs(_name, _gate_order(_sequence))
    for _text, _slope in _DC_BUGS:
        _model = with_derivative(jnp.tanh, _slope)
        declare_bugs(_name, gradient_bug(_text, functools.partial(_fn, tanh_c=_model)))
declare_bugs(
    "lstm",
    gradient_bug(
        "the gradient does not flow back through time: dprev_h and dprev_c of step t are not carried to t-1",
        functools.partial(lstm, carry=jax.lax.stop_gradient),
    ),
)


def _no_accumulation(s: Suspect) -> str:
    """dW[x] += dout: with repeated indices, numpy keeps one of the additions instead of adding them all."""
    grad = s.grad()
    if grad is None or s.upstream is None:
        return ""
    W, x = s.inputs
    dout = s.upstream.reshape(-1, W.shape[1])
    words = np.asarray(x).reshape(-1)
    repeated = False
    for v in range(W.shape[0]):
        rows = dout[words == v]
        if len(rows) == 0:
            if np.any(grad[v] != 0):
                return ""
        elif len(rows) == 1:
            if not np.allclose(grad[v], rows[0], rtol=1e-6, atol=1e-9):
                return ""
        else:
            repeated = True
            if not any(np.allclose(grad[v], r, rtol=1e-6, atol=1e-9) for r in rows):
                return ""
    if not repeated:
        return ""
    return "repeated indices do not accumulate (dW[x] += dout keeps one of them; np.add.at adds them all)"


declare_bugs("word_embedding", _no_accumulation)
_unmasked = lambda x, y, mask, **kw: temporal_softmax_loss(x, y, jnp.ones_like(mask), **kw)
declare_bugs(
    "temporal_softmax_loss",
    output_bug("the mask is ignored: every time step counts in the loss", _unmasked),
    gradient_bug("dx ignores the mask: the masked time steps must get no gradient", _unmasked),
    output_bug(
        "the loss is divided by the number of unmasked steps, not by N",
        lambda x, y, mask: temporal_softmax_loss(x, y, mask, normalize="steps"),
    ),
    gradient_bug(
        "dx is divided by the number of unmasked steps, not by N",
        lambda x, y, mask: temporal_softmax_loss(x, y, mask, normalize="steps"),
    ),
)
