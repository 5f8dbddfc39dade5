"""HW2P1's convolutions and ``Flatten``; the Fall 2020 handout's ``Conv1D``.

``Conv1d_stride1(in_channels, out_channels, kernel_size)``: A (N, C_in, W), W (C_out, C_in, K),
b (C_out,), a cross-correlation; ``Conv1d(in_channels, out_channels, kernel_size, stride,
padding=0)`` pads, convolves at stride 1 and downsamples, which is the strided convolution
(its output width floor((W + 2 pad - K) / stride) + 1). The 2d layers the same over (N, C, H, W)
with square kernels. ``backward(dLdZ)`` returns dLdA, unpadded; the weight gradients are
sums over the batch (no 1/N anywhere in HW2P1), in ``dLdW`` and ``dLdb`` (``built``).
``Flatten.forward(A)`` (N, C, W) -> (N, C * W). The Fall 2020 ``Conv1D(in_channel,
out_channel, kernel_size, stride)`` is the strided convolution in one class, its gradients in
``dW`` and ``db``. ``ConvTranspose1d(in_channels, out_channels, kernel_size,
upsampling_factor)`` upsamples, then convolves at stride 1 (its weights on that sublayer).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.lazy_jax import jax, jnp, lax
from oracle.course.calling.objects import Layer, object_call
from oracle.course.judging.bugs import Bug, output_bug, returns
from oracle.course.judging.samplers import normal
from oracle.course.reference import LAYER, Reference, declare
from oracle.courses.cmu11785.built import built_call
from oracle.courses.cmu11785.pool import upsample

P = "cmu."


def conv1d(a: jax.Array, w: jax.Array, b: jax.Array, stride: int = 1, padding: int = 0) -> jax.Array:
    out = lax.conv_general_dilated(
        a, w, (stride,), [(padding, padding)], dimension_numbers=("NCH", "OIH", "NCH")
    )
    return out + jnp.reshape(b, (1, -1, 1))


def conv2d(a: jax.Array, w: jax.Array, b: jax.Array, stride: int = 1, padding: int = 0) -> jax.Array:
    out = lax.conv_general_dilated(
        a, w, (stride, stride), [(padding, padding)] * 2, dimension_numbers=("NCHW", "OIHW", "NCHW")
    )
    return out + jnp.reshape(b, (1, -1, 1, 1))


def _stride1(inputs: Sequence[np.ndarray], settings: Mapping[str, Any]) -> tuple[Any, ...]:
    out_channels, in_channels, kernel = inputs[1].shape[:3]
    return (in_channels, out_channels, kernel)


def _strided(inputs: Sequence[np.ndarray], settings: Mapping[str, Any]) -> tuple[Any, ...]:
    return (*_stride1(inputs, settings), settings["stride"])


def _flipped(s: Any) -> Any:
    """dLdW with its kernel axes reversed: the flip belongs to dLdA's convolution, not dLdW's."""
    if s.upstream is None:
        return None
    return np.flip(np.asarray(s.jax.grads["W"]), axis=tuple(range(2, s.inputs[1].ndim)))


FLIPPED = Bug("dLdW with the kernel flipped (the flip belongs to dLdA's convolution)", "W", returns(_flipped))
EMPTY = Bug(
    "dLdA unpadded with [pad:-pad], which is empty at padding 0 (the constructor's default)",
    "A",
    lambda s, got: np.size(got) == 0 and s.settings.get("padding", 0) == 0,
)


def _no_bias(a: Any, w: Any, b: Any, stride: int = 1, padding: int = 0) -> Any:
    return (conv1d if a.ndim == 3 else conv2d)(a, w, jnp.zeros_like(b), stride, padding)


NO_BIAS = output_bug("the bias b never added in the forward", _no_bias)
CONV1D_STRIDED = (((2, 3, 9), (4, 3, 3), (4,)), ((3, 2, 8), (2, 2, 2), (2,)))
CONV1D_SETTINGS = ({"stride": 2, "padding": 1}, {"stride": 3, "padding": 0})
CONV2D_STRIDED = (((2, 2, 6, 7), (3, 2, 3, 3), (3,)), ((2, 3, 5, 5), (2, 3, 2, 2), (2,)))
CONV2D_SETTINGS = ({"stride": 2, "padding": 1}, {"stride": 2, "padding": 0})

for name, fn, shapes, settings, sizes, bugs in (
    ("Conv1d_stride1", conv1d, (((2, 3, 7), (4, 3, 3), (4,)), ((3, 2, 6), (2, 2, 2), (2,))), ({},),
     _stride1, (NO_BIAS, FLIPPED)),
    ("Conv1d", conv1d, CONV1D_STRIDED, CONV1D_SETTINGS, _strided, (NO_BIAS, EMPTY, FLIPPED)),
    ("Conv2d_stride1", conv2d, (((2, 3, 5, 6), (4, 3, 3, 3), (4,)), ((1, 2, 4, 4), (3, 2, 2, 2), (3,))),
     ({},), _stride1, (NO_BIAS, FLIPPED)),
    ("Conv2d", conv2d, CONV2D_STRIDED, CONV2D_SETTINGS, _strided, (NO_BIAS, EMPTY, FLIPPED)),
):  # fmt: skip
    declare(
        Reference(
            P + name,
            LAYER,
            fn,
            ("A", "W", "b"),
            shapes,
            normal,
            call=built_call(name, sizes, weights=True),
            names=(name,),
            settings=settings,
            bugs=bugs,
        )
    )


def conv_transpose(a: jax.Array, w: jax.Array, b: jax.Array, factor: int = 2) -> jax.Array:
    return (conv1d if a.ndim == 3 else conv2d)(upsample(a, factor), w, b)


def _upsampled(inputs: Sequence[np.ndarray], settings: Mapping[str, Any]) -> tuple[Any, ...]:
    return (*_stride1(inputs, settings), settings["factor"])


for name, shapes in (
    ("ConvTranspose1d", (((2, 3, 5), (4, 3, 3), (4,)), ((1, 2, 4), (3, 2, 2), (3,)))),
    ("ConvTranspose2d", (((2, 2, 3, 4), (3, 2, 3, 3), (3,)), ((1, 3, 3, 3), (2, 3, 2, 2), (2,)))),
):
    declare(
        Reference(
            P + name,
            LAYER,
            conv_transpose,
            ("A", "W", "b"),
            shapes,
            normal,
            call=built_call(name, _upsampled, weights=True),
            names=(name,),
            settings=({"factor": 2}, {"factor": 3}),
            bugs=(FLIPPED,),
        )
    )


declare(
    Reference(
        P + "Conv1D",
        LAYER,
        conv1d,
        ("A", "W", "b"),
        CONV1D_STRIDED,
        normal,
        call=built_call("Conv1D", _strided, weights=True),
        names=("Conv1D",),
        settings=({"stride": 2}, {"stride": 3}),
        bugs=(
            NO_BIAS,
            Bug(
                "db never computed: left as __init__ made it, zeros",
                "b",
                returns(lambda s: np.zeros_like(s.inputs[2])),
            ),
            FLIPPED,
        ),
    )
)


declare(
    Reference(
        P + "Flatten",
        LAYER,
        lambda a: jnp.reshape(a, (a.shape[0], -1)),
        ("A",),
        (((2, 3, 4),), ((3, 2, 5),)),
        normal,
        call=object_call(Layer("Flatten")),
        names=("Flatten",),
    )
)
