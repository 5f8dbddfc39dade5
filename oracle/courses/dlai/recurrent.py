"""Course 5, week 1: "Building your Recurrent Neural Network: Step by Step", the backward passes.

Per step (n_x, m), sequences (n_x, m, T_x); parameters in a dict; the LSTM's four gates are
separate matrices applied to ``concat = [a_prev; xt]`` (the hidden state first). The
backward passes return dicts; no 1/m anywhere. Targets:

- ``dlai.rnn_cell``: ``rnn_cell_forward(xt, a_prev, parameters) -> (a_next, yt_pred, cache)``,
  ``rnn_cell_backward(da_next, cache)`` -> ``dxt, da_prev, dWax, dWaa, dba``;
- ``dlai.rnn``: ``rnn_forward(x, a0, parameters) -> (a, y_pred, caches)``,
  ``rnn_backward(da, caches)`` -> ``dx, da0, dWax, dWaa, dba`` (da: the upstream gradient of
  every hidden state);
- ``dlai.lstm_cell``: ``lstm_cell_forward(xt, a_prev, c_prev, parameters) -> (a_next, c_next,
  yt_pred, cache)`` (a_next and c_next judged stacked, a_next first),
  ``lstm_cell_backward(da_next, dc_next, cache)`` -> ``dxt, da_prev, dc_prev, dWf, dbf...``;
- ``dlai.lstm``: ``lstm_forward(x, a0, parameters) -> (a, y, c, caches)``,
  ``lstm_backward(da, caches)`` -> ``dx, da0, dWf, dbf, dWi, dbi, dWc, dbc, dWo, dbo``.

The output layer's parameters (Wya, by; Wy, by) go into the dict too; their gradients are not
part of these backward passes.
"""

from __future__ import annotations

from typing import Any

from oracle.core.lazy_jax import jax, jnp
from oracle.course.judging.bugs import gradient_bug
from oracle.course.reference import Reference, declare
from oracle.courses.dlai.calls import cached_call, params_dict
from oracle.courses.dlai.dnn import normal

N_X, N_A, N_Y, M, T = 3, 5, 2, 4, 3
RNN_PARAMS = ("Wax", "Waa", "ba")
LSTM_PARAMS = ("Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo")
RNN_SHAPES = ((N_A, N_X), (N_A, N_A), (N_A, 1))
LSTM_SHAPES = ((N_A, N_A + N_X), (N_A, 1)) * 4
OUT_SHAPES = ((N_Y, N_A), (N_Y, 1))


def rnn_step(xt: Any, a_prev: Any, Wax: Any, Waa: Any, ba: Any, *rest: Any) -> Any:
    return jnp.tanh(Wax @ xt + Waa @ a_prev + ba)


def rnn(x: Any, a0: Any, Wax: Any, Waa: Any, ba: Any, *rest: Any, cut: bool = False) -> Any:
    """Every hidden state, (n_a, m, T); ``cut``: a bug's model, no gradient through time."""
    a, states = a0, []
    for t in range(x.shape[2]):
        a = rnn_step(x[:, :, t], jax.lax.stop_gradient(a) if cut and t else a, Wax, Waa, ba)
        states.append(a)
    return jnp.stack(states, axis=2)


def lstm_step(xt: Any, a_prev: Any, c_prev: Any, *params: Any) -> tuple[Any, Any]:
    Wf, bf, Wi, bi, Wc, bc, Wo, bo = params[:8]
    concat = jnp.concatenate([a_prev, xt], axis=0)
    ft = jax.nn.sigmoid(Wf @ concat + bf)
    it = jax.nn.sigmoid(Wi @ concat + bi)
    cct = jnp.tanh(Wc @ concat + bc)
    ot = jax.nn.sigmoid(Wo @ concat + bo)
    c_next = ft * c_prev + it * cct
    return ot * jnp.tanh(c_next), c_next


def lstm_cell(xt: Any, a_prev: Any, c_prev: Any, *params: Any) -> Any:
    a_next, c_next = lstm_step(xt, a_prev, c_prev, *params)
    return jnp.concatenate([a_next, c_next], axis=0)


def lstm(x: Any, a0: Any, *params: Any, cut_a: bool = False, cut_c: bool = False) -> Any:
    """Every hidden state, (n_a, m, T), from c0 = 0; ``cut_a``, ``cut_c``: bugs' models."""
    a, c, states = a0, jnp.zeros_like(a0), []
    for t in range(x.shape[2]):
        a_in = jax.lax.stop_gradient(a) if cut_a and t else a
        c_in = jax.lax.stop_gradient(c) if cut_c else c
        a, c = lstm_step(x[:, :, t], a_in, c_in, *params)
        states.append(a)
    return jnp.stack(states, axis=2)


def _keys(prefix: str, names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"d{name}" for name in names)


RNN_CELL_KEYS = ("dxt", "da_prev", *_keys("d", RNN_PARAMS))
RNN_KEYS = ("dx", "da0", *_keys("d", RNN_PARAMS))
LSTM_CELL_KEYS = ("dxt", "da_prev", "dc_prev", *_keys("d", LSTM_PARAMS))
LSTM_KEYS = ("dx", "da0", *_keys("d", LSTM_PARAMS))
RNN_OUT, LSTM_OUT = ("Wya", "by"), ("Wy", "by")
LSTM_CELL_INPUTS = ("xt", "a_prev", "c_prev", *LSTM_PARAMS, *LSTM_OUT)

declare(
    Reference(
        "dlai.rnn_cell", "dlai", rnn_step, ("xt", "a_prev", *RNN_PARAMS),
        (((N_X, M), (N_A, M), *RNN_SHAPES, *OUT_SHAPES),), normal,
        call=cached_call("rnn_cell_forward", "rnn_cell_backward", keys=RNN_CELL_KEYS,
                         forward_args=params_dict(("xt", "a_prev", *RNN_PARAMS, *RNN_OUT), 2, 5)),
        names=("rnn_cell_forward", "rnn_cell_backward"),
    )
)  # fmt: skip

declare(
    Reference(
        "dlai.rnn", "dlai", rnn, ("x", "a0", *RNN_PARAMS),
        (((N_X, M, T), (N_A, M), *RNN_SHAPES, *OUT_SHAPES),), normal,
        call=cached_call("rnn_forward", "rnn_backward", keys=RNN_KEYS,
                         forward_args=params_dict(("x", "a0", *RNN_PARAMS, *RNN_OUT), 2, 5)),
        names=("rnn_forward", "rnn_backward"),
        bugs=(gradient_bug("da_prevt is never passed back in time (da[:, :, t] alone at each step)",
                           lambda *a, **s: rnn(*a, **s, cut=True)),),
    )
)  # fmt: skip

declare(
    Reference(
        "dlai.lstm_cell", "dlai", lstm_cell, ("xt", "a_prev", "c_prev", *LSTM_PARAMS),
        (((N_X, M), (N_A, M), (N_A, M), *LSTM_SHAPES, *OUT_SHAPES),), normal,
        call=cached_call("lstm_cell_forward", "lstm_cell_backward", keys=LSTM_CELL_KEYS, outputs=2,
                         forward_args=params_dict(LSTM_CELL_INPUTS, 3, 10)),
        names=("lstm_cell_forward", "lstm_cell_backward"),
    )
)  # fmt: skip

declare(
    Reference(
        "dlai.lstm", "dlai", lstm, ("x", "a0", *LSTM_PARAMS),
        (((N_X, M, T), (N_A, M), *LSTM_SHAPES, *OUT_SHAPES),), normal,
        call=cached_call("lstm_forward", "lstm_backward", keys=LSTM_KEYS,
                         forward_args=params_dict(("x", "a0", *LSTM_PARAMS, *LSTM_OUT), 2, 10)),
        names=("lstm_forward", "lstm_backward"),
        bugs=(
            gradient_bug("da_prev is never passed back in time (dc_prev is)",
                         lambda *a, **s: lstm(*a, **s, cut_a=True)),
            gradient_bug("neither da_prev nor dc_prev is passed back in time",
                         lambda *a, **s: lstm(*a, **s, cut_a=True, cut_c=True)),
            gradient_bug("dc_prev is never passed back in time (da_prev is)",
                         lambda *a, **s: lstm(*a, **s, cut_c=True)),
        ),
    )
)  # fmt: skip
