"""The second assignment's ``ThreeLayerConvNet`` (``classifiers/cnn.py``), every entry of ``grads`` checked.

The architecture is the course's: conv - relu - 2x2 max pool - affine - relu - affine -
softmax, the convolution with stride 1 and ``pad = (filter_size - 1) // 2`` (the
starter code's ``conv_param``), the pool 2x2 with stride 2, L2 regularization on W1, W2
and W3. The net is built and called as the fully connected ones are
(``calls_models.net_call``): ``ThreeLayerConvNet(input_dim=(C, H, W), num_filters,
filter_size, hidden_dim, num_classes, weight_scale, reg, dtype)``, its ``params`` set to
the case's arrays, ``loss(X)`` for the scores and ``loss(X, y)`` at reg = 0 and at
``REG``; the regularization convention and an epsilon in the log are inferred from the
student's losses (``models.infer``), the bugs named are the networks' (``models.net_bugs``).

Most solutions call the course's fast layers (``conv_relu_pool_forward``): the Cython
extension, when not built, is the course's stand-in (``cython_stand_ins``). Ties in a
pooling window happen where the ReLU left zeros, and whatever share of the gradient
they get, the ReLU below stops it: the pooling convention cannot change a gradient here.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.lazy_jax import jax, jnp
from oracle.course.reference import Reference, Shape, declare
from oracle.courses.cs231n import vision_jax as vj
from oracle.courses.cs231n.calls_models import net_call
from oracle.courses.cs231n.classifiers import REG
from oracle.courses.cs231n.models import MODEL, infer, net_bugs, net_loss

N, IMAGE, F, FILTER, HIDDEN, C = 3, (2, 6, 6), 3, 3, 5, 4  # batch, (C, H, W), filters, size, hidden, classes
PARAMS = ("W1", "b1", "W2", "b2", "W3", "b3")


def conv_scores(params: Mapping[str, Any], X: Any) -> Any:
    """conv - relu - 2x2 max pool - affine - relu - affine, the conv padded to keep the size."""
    size = params["W1"].shape[2]
    pooled = vj.conv_relu_pool(
        X, params["W1"], params["b1"], stride=1, pad=(size - 1) // 2,
        pool_height=2, pool_width=2, pool_stride=2,
    )  # fmt: skip
    hidden = jax.nn.relu(jnp.reshape(pooled, (X.shape[0], -1)) @ params["W2"] + params["b2"])
    return hidden @ params["W3"] + params["b3"]


def _shapes() -> tuple[Shape, ...]:
    channels, height, width = IMAGE
    flat = F * (height // 2) * (width // 2)
    return (
        (F, channels, FILTER, FILTER), (F,), (flat, HIDDEN), (HIDDEN,), (HIDDEN, C), (C,), (N, *IMAGE), (N,),
    )  # fmt: skip


def _sample(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    """The parameters standard normal scaled by 1/2, the images standard normal, labels in range(C)."""
    params = [0.5 * rng.standard_normal(s) for s in shapes[: len(PARAMS)]]
    images, (n,) = shapes[len(PARAMS) :]
    return [*params, rng.standard_normal(images), rng.integers(0, C, n).astype(np.int64)]


def _declare() -> None:
    fn = functools.partial(net_loss, names=PARAMS, layers=3, scorer=conv_scores)
    options = {"num_filters": F, "filter_size": FILTER}
    settings = {"reg": REG, "D": IMAGE, "H": HIDDEN, "C": C}
    reference = Reference(
        "ThreeLayerConvNet", MODEL, fn, PARAMS, (_shapes(),), _sample,
        call=net_call("ThreeLayerConvNet", options), names=("ThreeLayerConvNet",), settings=(settings,),
        adapt=functools.partial(infer, fn=fn), aux=True, upstream=False, bugs=net_bugs(fn, PARAMS, N),
    )  # fmt: skip
    declare(reference)


_declare()

NAMES = frozenset(("ThreeLayerConvNet",))
