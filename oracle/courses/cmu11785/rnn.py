"""HW3P1's ``RNNCell``: ``backward(delta, h_t, h_prev_l, h_prev_t)``, weight gradients accumulated.

``RNNCell(input_size, hidden_size)`` is built from the sizes and its weights set
(``init_weights(W_ih, W_hh, b_ih, b_hh)``, or the attributes when it has no such method);
``forward(x, h_prev_t)`` returns h_t. The backward is called as the handout's classifier calls
it, with h_t the cell's own output and h_prev_l = x, and returns (dx, dh_prev_t). The handout
adds each step's weight gradients to ``dW_ih``, ``dW_hh``, ``db_ih``, ``db_hh`` (``+=``) and
divides them by the batch size: the call puts a previous step's gradients there first
(``EARLIER``), reads what the backward added, and compares it times N (noted on the row). A
backward that overwrites them (``=``) is named.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome
from oracle.core.lazy_jax import jax, jnp
from oracle.course.calling.calls import CannotCall, Problem, Watch, edited, kept, notes, output, step
from oracle.course.judging.bugs import Bug, returns
from oracle.course.judging.conventions import CONVENTION
from oracle.course.judging.samplers import normal
from oracle.course.reference import LAYER, Reference, declare

EARLIER = 0.25  # every element of the weight gradients an earlier time step left in the cell
WEIGHTS = ("W_ih", "W_hh", "b_ih", "b_hh")
AVERAGED = (
    f"{CONVENTION}weight gradients accumulated (+=) and divided by the batch size (the handout's): "
    "compared times N"
)


def rnn_cell_call(
    names: Sequence[str],
    impl: Sequence[Any],
    inputs: Sequence[Any],
    upstream: Any,
    settings: Mapping[str, Any],
    label: str = "RNNCell",
) -> Outcome:
    cls = impl[0]
    x, h_prev, w_ih, w_hh, b_ih, b_hh = inputs
    try:
        cell = cls(x.shape[1], h_prev.shape[1])
    except TypeError as exc:
        raise CannotCall(
            f"{label}: built as {label}(input_size, hidden_size), which it does not take ({exc})"
        ) from exc
    weights = dict(zip(WEIGHTS, (w_ih, w_hh, b_ih, b_hh), strict=True))
    if callable(getattr(cell, "init_weights", None)):
        step(f"{label}.init_weights", cell.init_weights, *weights.values())
    else:
        for attribute, value in weights.items():
            setattr(cell, attribute, value)
    for attribute, value in weights.items():
        setattr(cell, "d" + attribute, np.full(value.shape, EARLIER))
    before = Watch()
    before.watch("x", x)
    h_t = output(step(f"{label}.forward", cell.forward, x, h_prev), f"{label}.forward")
    _handout_activation(cell, label)
    delta = np.array(upstream, copy=True)
    returned = step(
        f"{label}.backward", cell.backward, delta, np.array(h_t, copy=True), x.copy(), h_prev.copy()
    )
    if not isinstance(returned, list | tuple) or len(returned) != 2:
        raise Problem(f"{label}.backward returned {type(returned).__name__}, expected (dx, dh_prev_t)")
    n = x.shape[0]
    grads: dict[str, Any] = {"x": kept(returned[0]), "h_prev": kept(returned[1])}
    for name, attribute in zip(names[2:], WEIGHTS, strict=True):
        value = getattr(cell, "d" + attribute, None)
        if value is None:
            raise Problem(f"{label}.backward left self.d{attribute} None")
        grads[name] = (np.asarray(value, dtype=np.float64) - EARLIER) * n
    return Outcome(h_t, grads, warning=notes(edited(f"{label}.forward", before), AVERAGED))


def _handout_activation(cell: Any, label: str) -> None:
    """CannotCall when the backward needs HW3's ``derivative(state=...)`` and its activation is HW1's.

    The HW3 handout ships its own ``activation.py``, whose ``Tanh.derivative`` takes the
    state the cell saved (BPTT); a folder holding HW1's ``activation.py`` instead runs the
    student's cell with a helper it was not written for.
    """
    derivative = getattr(getattr(cell, "activation", None), "derivative", None)
    try:
        source = inspect.getsource(type(cell).backward)
        takes = inspect.signature(derivative).parameters if callable(derivative) else {"state": None}
    except (OSError, TypeError, ValueError):
        return
    if "derivative(state" in source.replace(" ", "") and "state" not in takes:
        raise CannotCall(
            f"{label}.backward calls self.activation.derivative(state=...), as the HW3 handout's "
            f"activation.py has it; the {type(cell.activation).__name__} it was given takes no state "
            "(another homework's activation.py beside the file): put HW3's beside it"
        )


def rnn_cell(
    x: jax.Array, h: jax.Array, w_ih: jax.Array, w_hh: jax.Array, b_ih: jax.Array, b_hh: jax.Array
) -> jax.Array:
    return jnp.tanh(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh)


def rnn_cell_2020_call(
    names: Sequence[str],
    impl: Sequence[Any],
    inputs: Sequence[Any],
    upstream: Any,
    settings: Mapping[str, Any],
) -> Outcome:
    """The Fall 2020 handout's ``RNN_Cell``: the same cell and calls under its older name."""
    return rnn_cell_call(names, impl, inputs, upstream, settings, label="RNN_Cell")


def _overwritten(s: Any) -> Any:
    """What the call reads when the backward assigns (=) instead of adding (+=)."""
    if s.index < 2:
        return None
    return np.asarray(s.jax.grads[s.name]) - EARLIER * s.inputs[0].shape[0]


declare(
    Reference(
        "cmu.RNNCell",
        LAYER,
        rnn_cell,
        ("x", "h_prev", "W_ih", "W_hh", "b_ih", "b_hh"),
        (((3, 4), (3, 5), (5, 4), (5, 5), (5,), (5,)), ((2, 2), (2, 3), (3, 2), (3, 3), (3,), (3,))),
        normal,
        call=rnn_cell_call,
        names=("RNNCell",),
        bugs=(
            Bug(
                "the weight gradients assigned (=), not accumulated (+=) over the time steps",
                "every gradient",
                returns(_overwritten),
            ),
        ),
    )
)
declare(
    Reference(
        "cmu.RNN_Cell",
        LAYER,
        rnn_cell,
        ("x", "h_prev", "W_ih", "W_hh", "b_ih", "b_hh"),
        (((3, 4), (3, 5), (5, 4), (5, 5), (5,), (5,)), ((2, 2), (2, 3), (3, 2), (3, 3), (3,), (3,))),
        normal,
        call=rnn_cell_2020_call,
        names=("RNN_Cell",),
        bugs=(
            Bug(
                "the weight gradients assigned (=), not accumulated (+=) over the time steps",
                "every gradient",
                returns(_overwritten),
            ),
        ),
    )
)
