"""The convenience layers of the course's ``layer_utils.py``: a layer followed by a ReLU (and a pool),
each checked as one composite, forward and backward.

``affine_relu``, ``conv_relu``, ``conv_relu_pool`` and ``conv_bn_relu`` are the course's
own; ``affine_bn_relu`` and ``affine_ln_relu`` are the ones students add, with the
signature most public solutions use: ``(x, w, b, gamma, beta, bn_param)`` and a backward
returning ``(dx, dw, db, dgamma, dbeta)``. Batch norm runs in training mode here; its
running averages are checked by the batch norm target itself.
"""

from __future__ import annotations

import builtins
import dis
from collections.abc import Sequence
from typing import Any

import numpy as np

from oracle.course.calling.calls import APPLIES
from oracle.course.judging.samplers import normal
from oracle.course.reference import LAYER, REFERENCES, Reference, declare
from oracle.courses.cs231n import vision_jax as vj
from oracle.courses.cs231n.calls_vision import BN_TRAIN, CONV, LN, SANDWICH_POOL, params_call
from oracle.courses.cs231n.vision_samplers import (
    Shape,
    affine_relu_kinks,
    affine_zeros,
    conv_relu_kinks,
    conv_zeros,
)

EPS = 1e-5
RELU_KINK = "a pre-activation of exactly 0 at the ReLU"
RELU_EDGE = "pre-activations of exactly 0 before the ReLU"
CONSTANT = "a normalized feature constant across its axes (variance 0)"
NORMED = ("x", "w", "b", "gamma", "beta")


def normed_inputs(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    """x, w, b, then gamma near 1 and beta."""
    x, w, b, gamma, beta = normal(rng, shapes)
    return [x, w, b, 1.0 + 0.5 * gamma, beta]


def constant_column(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    """The first filter (or weight column) all zeros: its output is the bias, constant across the batch.

    Its beta is negative, so the ReLU passes no gradient back to it: the backward must
    still keep it finite (0 times 1/sqrt(var + eps)), while the bias's gradient, exactly
    0 through batch norm, is not a cancellation of terms scaled by 1/sqrt(eps).
    """
    values = normed_inputs(rng, shapes)
    w, beta = values[1], values[4]
    if w.ndim == 4:
        w[0] = 0.0
    else:
        w[:, 0] = 0.0
    beta[0] = -0.5 - abs(beta[0])
    return values


def constant_row(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    """The first example all zeros and every bias equal: its affine output is one constant row."""
    values = normed_inputs(rng, shapes)
    values[0][0] = 0.0
    values[2][:] = values[2][0]
    return values


AFFINE = (((4, 5), (5, 3), (3,)), ((2, 3, 4), (12, 2), (2,)))  # no more zeros than rows: one per row
NORMED_AFFINE = (((4, 5), (5, 3), (3,), (3,), (3,)),)
CONV_SHAPES = ((2, 3, 5, 5), (3, 3, 3, 3), (3,))
CONV_SETTINGS = {"stride": 1, "pad": 1}

declare(
    Reference(
        "affine_relu",
        LAYER,
        vj.affine_relu,
        ("x", "w", "b"),
        AFFINE,
        normal,
        kinks=affine_relu_kinks,
        edge=affine_zeros,
        kink_text=RELU_KINK,
        edge_text=RELU_EDGE,
        call=params_call("affine_relu_forward", "affine_relu_backward"),
    )
)
declare(
    Reference(
        "affine_bn_relu",
        LAYER,
        vj.affine_bn_relu,
        NORMED,
        NORMED_AFFINE,
        normed_inputs,
        edge=constant_column,
        edge_text=CONSTANT,
        call=params_call("affine_bn_relu_forward", "affine_bn_relu_backward", (BN_TRAIN,)),
        settings=({"eps": EPS},),
    )
)
declare(
    Reference(
        "affine_ln_relu",
        LAYER,
        vj.affine_ln_relu,
        NORMED,
        NORMED_AFFINE,
        normed_inputs,
        edge=constant_row,
        edge_text=CONSTANT,
        call=params_call("affine_ln_relu_forward", "affine_ln_relu_backward", (LN,)),
        settings=({"eps": EPS},),
    )
)
declare(
    Reference(
        "conv_relu",
        LAYER,
        vj.conv_relu,
        ("x", "w", "b"),
        (CONV_SHAPES,),
        normal,
        kinks=conv_relu_kinks(**CONV_SETTINGS),
        edge=conv_zeros(**CONV_SETTINGS),
        kink_text=RELU_KINK,
        edge_text=RELU_EDGE,
        call=params_call("conv_relu_forward", "conv_relu_backward", (CONV,)),
        settings=(CONV_SETTINGS,),
    )
)
declare(
    Reference(
        "conv_relu_pool",
        LAYER,
        vj.conv_relu_pool,
        ("x", "w", "b"),
        (((2, 3, 4, 4), (3, 3, 3, 3), (3,)),),
        normal,
        kinks=conv_relu_kinks(**CONV_SETTINGS),
        edge=conv_zeros(**CONV_SETTINGS),
        kink_text=RELU_KINK,
        edge_text=RELU_EDGE,
        call=params_call("conv_relu_pool_forward", "conv_relu_pool_backward", (CONV, SANDWICH_POOL)),
        settings=({**CONV_SETTINGS, "pool_height": 2, "pool_width": 2, "pool_stride": 2},),
    )
)
declare(
    Reference(
        "conv_bn_relu",
        LAYER,
        vj.conv_bn_relu,
        NORMED,
        ((*CONV_SHAPES, (3,), (3,)),),
        normed_inputs,
        edge=constant_column,
        edge_text=CONSTANT,
        call=params_call("conv_bn_relu_forward", "conv_bn_relu_backward", (CONV, BN_TRAIN)),
        settings=({**CONV_SETTINGS, "eps": EPS},),
    )
)


def calls_only_defined_layers(objects: Sequence[Any]) -> bool:
    """Whether every course function the pair calls by name is defined where the pair runs.

    The staff's ``layer_utils.py`` of some years defines sandwiches over layers that its
    assignment's ``layers.py`` does not have (2018's assignment 3: ``affine_ln_relu_forward``
    calls ``layernorm_forward``): dead code, which raised NameError in an error row. Such a
    pair is not this file's target. A name that is no course function (a typo) is still the
    student's NameError.
    """
    known = {name for ref in REFERENCES.values() for name in ref.student_names}
    for function in objects:
        code, defined = getattr(function, "__code__", None), getattr(function, "__globals__", None)
        if code is None or defined is None:
            continue
        called = {i.argval for i in dis.get_instructions(code) if i.opname == "LOAD_GLOBAL"}
        if (called & known) - set(defined) - set(vars(builtins)):
            return False
    return True


SANDWICHES = (
    "affine_relu",
    "affine_bn_relu",
    "affine_ln_relu",
    "conv_relu",
    "conv_relu_pool",
    "conv_bn_relu",
)
for _name in SANDWICHES:
    APPLIES[_name] = calls_only_defined_layers
