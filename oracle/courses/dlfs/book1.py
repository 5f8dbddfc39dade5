"""Book 1's ``common/layers.py``: layer classes built with their parameters, gradients left on the object.

``Affine(W, b)``, ``Convolution(W, b, stride, pad)``, ``Pooling(pool_h, pool_w, stride, pad)``,
``BatchNormalization(gamma, beta)``, ``Dropout(dropout_ratio)``, ``Relu()``, ``Sigmoid()``:
``forward(x)`` (``train_flg`` defaults to True where it matters), ``backward(dout)`` returns dx,
and the parameters' gradients are ``self.dW``, ``self.db``, ``self.dgamma``, ``self.dbeta``,
where the book's trainer reads them. ``SoftmaxWithLoss.forward(x, t)`` with one-hot ``t``
(the book's MNIST labels), ``backward(dout=1)`` returns dx only. Everything is float64.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome, as_numbers
from oracle.core.lazy_jax import jax, jnp
from oracle.course.calling.objects import Layer, object_call, parameters
from oracle.course.judging.bugs import Bug, returns
from oracle.course.judging.conventions import CONVENTION, epsilon_in_log, joined
from oracle.course.judging.samplers import at_zero, normal, with_zeros
from oracle.course.reference import LAYER, LAYER_SHAPES, LOSS, Reference, declare
from oracle.ops import vision

P = "dlfs."  # the course's target names: the class name after it (CS231n has affine, relu...)


def _layer(name: str, fn: Any, inputs: tuple[str, ...], shapes: Any, layer: Layer, **more: Any) -> None:
    declare(
        Reference(
            P + name,
            LAYER,
            fn,
            inputs,
            shapes,
            more.pop("sample", normal),
            call=object_call(layer),
            names=(name,),
            **more,
        )
    )


_layer(
    "Relu",
    jax.nn.relu,
    ("x",),
    LAYER_SHAPES,
    Layer("Relu"),
    kinks=at_zero,
    edge=with_zeros,
    kink_text="relu at x == 0",
    edge_text="exact zeros in x",
)
_layer("Sigmoid", jax.nn.sigmoid, ("x",), LAYER_SHAPES, Layer("Sigmoid"))


def affine(x: jax.Array, w: jax.Array, b: jax.Array) -> jax.Array:
    """x of shape (N, ...) flattened to (N, D), then x @ W + b.

    Checked on 2-D x only: the book's Affine of chapter 5 takes (N, D), and the tensor support
    its common/layers.py added for chapter 7 is not asked of every student's Affine.
    """
    return jnp.reshape(x, (x.shape[0], -1)) @ w + b


_layer(
    "Affine",
    affine,
    ("x", "W", "b"),
    (((4, 5), (5, 3), (3,)), ((6, 8), (8, 4), (4,))),
    Layer(
        "Affine",
        build=parameters(1, 2),
        grads=("return", "dW", "db"),
        list_grads=("return", "grads[0]", "grads[1]"),  # book 2's Affine
    ),
    bugs=(
        Bug(
            "db = np.sum(dout), summed over every axis instead of axis=0",
            "b",
            returns(lambda s: None if s.upstream is None else np.sum(s.upstream)),
        ),
        Bug("db = dout, not summed over the batch", "b", returns(lambda s: s.upstream)),
    ),
)

CONV_SETTINGS = ({"stride": 1, "pad": 1}, {"stride": 2, "pad": 0})
_layer(
    "Convolution",
    vision.conv2d,
    ("x", "W", "b"),
    (((2, 3, 5, 5), (4, 3, 3, 3), (4,)), ((2, 2, 6, 6), (3, 2, 2, 2), (3,))),
    Layer("Convolution", build=parameters(1, 2, keywords=("stride", "pad")), grads=("return", "dW", "db")),
    settings=CONV_SETTINGS,
)


def pooling(x: jax.Array, pool_h: int, pool_w: int, stride: int, pad: int) -> jax.Array:
    return vision.max_pool2d(x, pool_h, pool_w, stride)


_layer(
    "Pooling",
    pooling,
    ("x",),
    (((2, 3, 4, 4),), ((2, 2, 5, 5),)),
    Layer("Pooling", build=parameters(keywords=("pool_h", "pool_w", "stride", "pad"))),
    settings=(
        {"pool_h": 2, "pool_w": 2, "stride": 2, "pad": 0},
        {"pool_h": 3, "pool_w": 3, "stride": 1, "pad": 0},
    ),
)

# ------------------------------------------------------------------ batch normalization

BN_EPS = (1e-6, 1e-7, 1e-5, 1e-8, 1e-3, 0.0)  # the book's 10e-7 (= 1e-6) first


def batchnorm(x: jax.Array, gamma: jax.Array, beta: jax.Array, eps: float = 1e-6) -> jax.Array:
    """Per feature over the batch, x of shape (N, ...) flattened to (N, D) as the book does."""
    flat = jnp.reshape(x, (x.shape[0], -1))
    return jnp.reshape(vision.batchnorm(flat, gamma, beta, eps), x.shape)


def _bn_numpy(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    flat = x.reshape(x.shape[0], -1).astype(np.float64)
    centred = flat - flat.mean(axis=0)
    return (gamma * centred / np.sqrt((centred**2).mean(axis=0) + eps) + beta).reshape(x.shape)


def infer_eps(
    settings: Mapping[str, Any], student: Outcome, inputs: Sequence[np.ndarray]
) -> Mapping[str, Any]:
    """The epsilon of the student's variance, read off their output: the book's 1e-6 unless another fits."""
    out, _ = as_numbers(student.out, "out")
    x, gamma, beta = inputs[:3]
    if out is None or out.shape != x.shape:
        return settings
    errors = [float(np.max(np.abs(out - _bn_numpy(x, gamma, beta, e)))) for e in BN_EPS]
    eps = BN_EPS[int(np.argmin(errors))]
    if eps != BN_EPS[0]:
        student.warning = joined(
            student.warning, f"{CONVENTION}eps = {eps:g} in the variance (read off your output)"
        )
    return {**settings, "eps": eps}


_layer(
    "BatchNormalization",
    batchnorm,
    ("x", "gamma", "beta"),
    (((6, 5), (5,), (5,)), ((4, 2, 2, 2), (8,), (8,))),
    Layer("BatchNormalization", build=parameters(1, 2), grads=("return", "dgamma", "dbeta")),
    adapt=infer_eps,
)

# ------------------------------------------------------------------ dropout


def dropout(x: jax.Array, mask: Any = None, scale: float = 1.0, ratio: float = 0.5) -> jax.Array:
    """The student's own mask (the units their forward kept), scaled as their convention says."""
    kept = jnp.ones_like(x) if mask is None else jnp.asarray(mask, dtype=x.dtype)
    return x * kept * scale


def mask_reader(book_inverted: bool) -> Any:
    """The student's own mask (the units their forward kept) and its scale, 1 or 1 / (1 - ratio).

    The scale that is not the book's is noted as a convention: book 1's Dropout keeps units
    unscaled, book 2's TimeDropout is inverted.
    """

    def infer(
        settings: Mapping[str, Any], student: Outcome, inputs: Sequence[np.ndarray]
    ) -> Mapping[str, Any]:
        out, _ = as_numbers(student.out, "out")
        x = np.asarray(inputs[0], dtype=np.float64)
        if out is None or out.shape != x.shape:
            return settings
        kept = (out != 0) & (x != 0)
        inverted = 1.0 / (1.0 - settings["ratio"])
        with np.errstate(all="ignore"):
            ratios = out[kept].astype(np.float64) / x[kept]
        rtol = 1e-5 if out.dtype == np.float64 else 1e-4
        student_inverted = bool(ratios.size) and bool(np.allclose(ratios, inverted, rtol=rtol, atol=0))
        if student_inverted != book_inverted:
            what = (
                "inverted dropout (kept units scaled by 1 / (1 - ratio))"
                if student_inverted
                else "kept units unscaled"
            )
            student.warning = joined(student.warning, f"{CONVENTION}{what}, not the book's")
        return {**settings, "mask": kept.astype(np.float64), "scale": inverted if student_inverted else 1.0}

    return infer


_layer(
    "Dropout",
    dropout,
    ("x",),
    (((8, 10),), ((4, 3, 5),)),
    Layer("Dropout", build=parameters(keywords=("ratio",))),
    settings=({"ratio": 0.3},),
    adapt=mask_reader(book_inverted=False),
)
_layer(
    "TimeDropout",
    dropout,
    ("xs",),
    (((2, 3, 4),), ((3, 4, 5),)),
    Layer("TimeDropout", build=parameters(keywords=("ratio",))),
    settings=({"ratio": 0.3},),
    adapt=mask_reader(book_inverted=True),
    dtype="float32",  # book 2's mask is float32
)

# ------------------------------------------------------------------ the loss layer


def one_hot_scores(rng: np.random.Generator, shapes: Sequence[tuple[int, ...]]) -> list[np.ndarray]:
    (shape,) = shapes
    scores = rng.standard_normal(shape)
    return [scores, np.eye(shape[1])[rng.integers(0, shape[1], shape[0])]]


def softmax_with_loss(x: jax.Array, t: jax.Array, eps: float = 0.0) -> jax.Array:
    """Mean cross-entropy over the batch; with ``eps`` the value of -log(p + eps), the exact gradient."""
    log_p = jax.nn.log_softmax(x, axis=1)
    exact = -jnp.mean(jnp.sum(t * log_p, axis=1))
    if eps == 0:
        return exact
    loose = -jnp.mean(jnp.log(jnp.sum(t * jnp.exp(log_p), axis=1) + eps))
    return exact + jax.lax.stop_gradient(loose - exact)


def infer_delta(
    settings: Mapping[str, Any], student: Outcome, inputs: Sequence[np.ndarray]
) -> Mapping[str, Any]:
    """The book's ``cross_entropy_error`` adds 1e-7 inside the log (since 2017): read off the loss."""
    x, t = inputs[:2]
    eps, note = epsilon_in_log(student.out, x, np.argmax(t, axis=1), str(x.dtype))
    student.warning = joined(student.warning, note)
    return {**settings, "eps": eps}


declare(
    Reference(
        P + "SoftmaxWithLoss",
        LOSS,
        softmax_with_loss,
        ("x",),
        (((5, 4),), ((8, 10),)),
        one_hot_scores,
        call=object_call(Layer("SoftmaxWithLoss", forward=(0, 1), upstream=False)),
        names=("SoftmaxWithLoss",),
        adapt=infer_delta,
    )
)
