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

from collections.abc import Callable
from typing import Any

from oracle.course.calling.kinds import layer_call
from oracle.course.reference import LAYER, LOSS, Reference, Shape, declare
from oracle.courses.cs231n import sequence_bugs as bugs
from oracle.courses.cs231n.sequence_jax import (
    D,
    H,
    N,
    T,
    V,
    lstm,
    lstm_step,
    masked_scores,
    recurrent,
    rnn,
    rnn_step,
    temporal_affine,
    temporal_softmax_loss,
    word_embedding,
    words,
)

# -------------------------------------------------------------------- targets

RNN_STEP = ((N, D), (N, H), (D, H), (H, H), (H,))
RNN = ((N, T, D), (N, H), (D, H), (H, H), (H,))
LSTM_STEP = ((N, D), (N, H), (N, H), (D, 4 * H), (H, 4 * H), (4 * H,))
LSTM = ((N, T, D), (N, H), (D, 4 * H), (H, 4 * H), (4 * H,))


def _layer(name: str, fn: Callable[..., Any], inputs: str, shapes: tuple[Shape, ...], **options: Any) -> None:
    sample = options.pop("sample", recurrent)
    declare(Reference(name, LAYER, fn, tuple(inputs.split()), (shapes,), sample, **options))


_layer("rnn_step", rnn_step, "x prev_h Wx Wh b", RNN_STEP, bugs=bugs.RNN_STEP)
_layer("rnn", rnn, "x h0 Wx Wh b", RNN, bugs=bugs.RNN)
_layer(
    "lstm_step",
    lstm_step,
    "x prev_h prev_c Wx Wh b",
    LSTM_STEP,
    call=layer_call("lstm_step", outputs=2),
    bugs=bugs.LSTM_STEP,
)
_layer("lstm", lstm, "x h0 Wx Wh b", LSTM, bugs=bugs.LSTM)
_layer(
    "word_embedding",
    word_embedding,
    "W",
    ((V, D), (N, T)),
    sample=words,
    call=layer_call("word_embedding", arguments=(1, 0)),
    bugs=bugs.WORD_EMBEDDING,
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
        bugs=bugs.TEMPORAL_SOFTMAX_LOSS,
    )
)

# the names declared here
NAMES = frozenset(
    ("rnn_step", "rnn", "lstm_step", "lstm", "word_embedding", "temporal_affine", "temporal_softmax_loss")
)
