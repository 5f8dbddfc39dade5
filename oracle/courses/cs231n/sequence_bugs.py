"""The classic bugs of the course's recurrent layers, one tuple per target, for its declaration."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from oracle.core.lazy_jax import jax, jnp
from oracle.course.judging.bugs import Bug, Suspect, gradient_bug, output_bug
from oracle.courses.cs231n.sequence_jax import (
    GATES,
    lstm,
    lstm_step,
    rnn,
    rnn_step,
    temporal_softmax_loss,
    with_derivative,
)

_tanh_from_pre_activation = with_derivative(jnp.tanh, lambda a: 1 - a**2)
RNN_STEP = (
    gradient_bug(
        "the tanh derivative is taken of the pre-activation: 1 - a**2, not 1 - tanh(a)**2 (1 - next_h**2)",
        functools.partial(rnn_step, tanh=_tanh_from_pre_activation),
    ),
)
RNN = (
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


def _lstm_bugs(fn: Callable[..., Any], sequence: bool) -> tuple[Bug, ...]:
    """The gates in another order (each of the 23 other orders), then the slips in dc."""
    orders = ["".join(p) for p in itertools.permutations(GATES) if "".join(p) != GATES]
    in_order = tuple(
        output_bug(
            f"the gates are taken in the order {', '.join(order)} from the 4H columns "
            "(the course's order is i, f, o, g: input, forget, output, block input)",
            _lstm_order(order, sequence),
        )
        for order in orders
    )
    in_dc = tuple(
        gradient_bug(text, functools.partial(fn, tanh_c=with_derivative(jnp.tanh, slope)))
        for text, slope in _DC_BUGS
    )
    return in_order + in_dc


LSTM_STEP = _lstm_bugs(lstm_step, sequence=False)
LSTM = (
    *_lstm_bugs(lstm, sequence=True),
    gradient_bug(
        "the gradient does not flow back through time: dprev_h and dprev_c of step t are not carried to t-1",
        functools.partial(lstm, carry=jax.lax.stop_gradient),
    ),
)


def _no_accumulation(s: Suspect, grad: np.ndarray) -> bool:
    """dW[x] += dout: with repeated indices, numpy keeps one of the additions instead of adding them all."""
    if s.upstream is None or grad.shape != s.inputs[0].shape:
        return False
    W, x = s.inputs
    dout = s.upstream.reshape(-1, W.shape[1])
    words = np.asarray(x).reshape(-1)
    repeated = False
    for v in range(W.shape[0]):
        rows = dout[words == v]
        if len(rows) == 0:
            if np.any(grad[v] != 0):
                return False
        elif len(rows) == 1:
            if not np.allclose(grad[v], rows[0], rtol=1e-6, atol=1e-9):
                return False
        else:
            repeated = True
            if not any(np.allclose(grad[v], r, rtol=1e-6, atol=1e-9) for r in rows):
                return False
    return repeated


WORD_EMBEDDING = (
    Bug(
        "repeated indices do not accumulate (dW[x] += dout keeps one of them; np.add.at adds them all)",
        "W",
        _no_accumulation,
    ),
)
_unmasked = lambda x, y, mask, **kw: temporal_softmax_loss(x, y, jnp.ones_like(mask), **kw)
_per_step = lambda x, y, mask: temporal_softmax_loss(x, y, mask, normalize="steps")
TEMPORAL_SOFTMAX_LOSS = (
    output_bug("the mask is ignored: every time step counts in the loss", _unmasked),
    gradient_bug("dx ignores the mask: the masked time steps must get no gradient", _unmasked),
    output_bug("the loss is divided by the number of unmasked steps, not by N", _per_step),
    gradient_bug("dx is divided by the number of unmasked steps, not by N", _per_step),
)
