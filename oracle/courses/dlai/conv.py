"""Course 4, week 1: "Convolutional Model: Step by Step", its forward and (optional) backward passes.

NHWC: A_prev (m, n_H_prev, n_W_prev, n_C_prev), W (f, f, n_C_prev, n_C), b (1, 1, 1, n_C),
a cross-correlation; gradients summed over the examples (no 1/m in this assignment).

- ``dlai.conv``: ``conv_forward(A_prev, W, b, hparameters) -> (Z, cache)`` with hparameters
  ``{"stride", "pad"}``, ``conv_backward(dZ, cache) -> (dA_prev, dW, db)``; checked with pad 1
  and with pad 0 (the template's hint ``da_prev_pad[pad:-pad, pad:-pad, :]`` is empty at pad 0:
  such a row is unchecked, naming it, since the course uses pad > 0 only);
- ``dlai.pool_max``, ``dlai.pool_average``: ``pool_forward(A_prev, hparameters, mode)`` with
  hparameters ``{"stride", "f"}``, ``pool_backward(dA, cache, mode) -> dA_prev``; checked with
  stride 2 and stride 1 (windows that start at ``h`` instead of ``h * stride`` are named).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from oracle.core.judgement import Outcome
from oracle.core.lazy_jax import jax, jnp
from oracle.course.calling.calls import Call, Raised, describe_exception
from oracle.course.judging.bugs import gradient_bug, output_bug
from oracle.course.reference import Reference, declare
from oracle.courses.dlai.calls import cached_call
from oracle.courses.dlai.dnn import normal


def conv(A: Any, W: Any, b: Any, *, stride: int, pad: int, db_per_example: bool = False) -> Any:
    Z = jax.lax.conv_general_dilated(
        A, W, (stride, stride), [(pad, pad), (pad, pad)], dimension_numbers=("NHWC", "HWIO", "NHWC")
    )
    if db_per_example:  # a bug's model: db not summed over the examples (the last example's only)
        keep = jnp.zeros(A.shape[0]).at[-1].set(1.0).reshape(-1, 1, 1, 1)
        return Z + jax.lax.stop_gradient(b) + keep * (b - jax.lax.stop_gradient(b))
    return Z + b


def pool(A: Any, *, f: int, stride: int, mode: str) -> Any:
    window, strides = (1, f, f, 1), (1, stride, stride, 1)
    if mode == "max":
        return jax.lax.reduce_window(A, -jnp.inf, jax.lax.max, window, strides, "VALID")
    return jax.lax.reduce_window(A, 0.0, jax.lax.add, window, strides, "VALID") / (f * f)


def pool_unstrided(A: Any, *, f: int, stride: int, mode: str) -> Any:
    """A bug's model: the backward's windows start at h and w (stride 1), as many as the forward's."""
    n_H, n_W = (A.shape[1] - f) // stride + 1, (A.shape[2] - f) // stride + 1
    return pool(A, f=f, stride=1, mode=mode)[:, :n_H, :n_W, :]


EMPTY_UNPAD = (
    "not judged at pad 0: da_prev_pad[pad:-pad, pad:-pad, :] is empty there (-0 is 0), as the "
    "course's own hint writes it; the course uses pad > 0 only (its tests use pad 2), so this is no "
    "bug of yours there. da_prev_pad[pad:pad + n_H_prev, ...] works for any pad"
)


def naming_empty_unpad(call: Call) -> Call:
    """``call``, whose error at pad 0 from an empty ``[pad:-pad]`` slice is unchecked, naming the hint.

    The course's own solution, following its hint, fails at pad 0; a verdict that fails the
    course's reference code is a false alarm, so that case is not judged (the row says why).
    """

    def named(
        names: Sequence[str],
        impl: Sequence[Any],
        inputs: Sequence[Any],
        upstream: Any,
        settings: Mapping[str, Any],
    ) -> Outcome:
        try:
            return call(names, impl, inputs, upstream, settings)
        except Raised as raised:
            message = str(raised.exc)
            empty = "from shape (0," in message or "shape (0," in message or "size 0" in message
            if settings.get("pad") != 0 or not isinstance(raised.exc, ValueError) or not empty:
                raise
            return Outcome(unchecked=f"{raised.stage} raised {describe_exception(raised.exc)}; {EMPTY_UNPAD}")

    return named


def hyper(keys: Sequence[str]) -> Any:
    """The forward's arguments: the arrays, then the hparameters dict (a fresh one each call)."""

    def build(inputs: Sequence[Any], settings: Mapping[str, Any]) -> list[Any]:
        return [*inputs, {key: settings[key] for key in keys}]

    return build


CONV_CALL = cached_call("conv_forward", "conv_backward", forward_args=hyper(("stride", "pad")))
declare(
    Reference(
        "dlai.conv", "dlai", conv, ("A_prev", "W", "b"),
        (((2, 4, 4, 3), (3, 3, 3, 2), (1, 1, 1, 2)), ((2, 5, 5, 2), (2, 2, 2, 3), (1, 1, 1, 3))),
        normal,
        call=naming_empty_unpad(CONV_CALL),
        names=("conv_forward", "conv_backward"),
        settings=({"stride": 1, "pad": 1}, {"stride": 2, "pad": 0}),
        bugs=(
            output_bug("b added to every product inside conv_single_step's sum: f * f * n_C_prev times",
                       lambda A, W, b, **s: conv(A, W, b * W.shape[0] * W.shape[1] * W.shape[2], **s)),
            gradient_bug("db not summed over the examples (db += dZ of one example only)",
                         lambda A, W, b, **s: conv(A, W, b, **s, db_per_example=True), inputs=("b",)),
        ),
    )
)  # fmt: skip

POOL_CALL = cached_call(
    "pool_forward", "pool_backward", activation="mode", forward_args=hyper(("stride", "f"))
)
for _mode in ("max", "average"):
    declare(
        Reference(
            f"dlai.pool_{_mode}", "dlai", pool, ("A_prev",), (((2, 4, 4, 3),), ((2, 5, 5, 2),)), normal,
            call=POOL_CALL,
            names=("pool_forward", "pool_backward"),
            settings=({"f": 2, "stride": 2, "mode": _mode}, {"f": 3, "stride": 1, "mode": _mode}),
            bugs=(gradient_bug("pool_backward's windows start at h and w, not h * stride and w * stride",
                               pool_unstrided),),
        )
    )  # fmt: skip
