"""``Layer_Dense`` with the book's L1 and L2 terms (chapter 14), added to dweights and dbiases by backward.

The book computes the penalty's value apart (``Loss.regularization_loss``) and adds its
gradient in the layer's backward, so the layer's gradients are those of
``sum(dvalues * output) + l1_w * sum|W| + l2_w * sum(W**2) + l1_b * sum|b| + l2_b * sum(b**2)``:
the target is that scalar (``upstream=False``), ``dvalues`` one of its arrays. The output
compared is the student's forward output dotted with ``dvalues``, plus the penalty computed
here. The target applies to a ``Layer_Dense`` whose ``__init__`` takes the regularizers.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome
from oracle.core.lazy_jax import jnp
from oracle.course.calling.calls import APPLIES, Call, output, step
from oracle.course.judging.bugs import gradient_bug
from oracle.course.judging.samplers import normal
from oracle.course.reference import Reference, declare
from oracle.courses.nnfs.calls import build, forward, stored
from oracle.courses.nnfs.layers import LAYER_OBJECT

NAME = "Layer_Dense+regularization"
STRENGTHS = {
    "weight_regularizer_l1": 0.3,
    "weight_regularizer_l2": 0.7,
    "bias_regularizer_l1": 0.2,
    "bias_regularizer_l2": 0.4,
}


def penalty(w: Any, b: Any, xp: Any = jnp, scale_l2: float = 1.0, scale_bias: float = 1.0) -> Any:
    s = STRENGTHS
    weights = s["weight_regularizer_l1"] * xp.sum(xp.abs(w)) + scale_l2 * s["weight_regularizer_l2"] * xp.sum(
        w * w
    )
    biases = s["bias_regularizer_l1"] * xp.sum(xp.abs(b)) + scale_l2 * s["bias_regularizer_l2"] * xp.sum(
        b * b
    )
    return weights + scale_bias * biases


def regularized(x: Any, w: Any, b: Any, dvalues: Any) -> Any:
    return jnp.sum(dvalues * (x @ w + b)) + penalty(w, b)


def takes_regularizers(objects: Sequence[Any]) -> bool:
    try:
        params = inspect.signature(objects[0]).parameters
    except (TypeError, ValueError):
        return False
    return all(name in params for name in STRENGTHS) and callable(getattr(objects[0], "backward", None))


def regularized_call() -> Call:
    def call(
        names: Sequence[str],
        impl: Sequence[Any],
        inputs: Sequence[Any],
        upstream: Any,
        settings: Mapping[str, Any],
    ) -> Outcome:
        x, w, b, dvalues = inputs
        layer = build("Layer_Dense", impl[0], (w.shape[0], w.shape[1]), STRENGTHS)
        layer.weights, layer.biases = w.copy(), b.copy()
        returned = forward("Layer_Dense", layer, (x,))
        out = np.asarray(
            output(stored(layer, "output", "Layer_Dense.forward", returned), "Layer_Dense.forward")
        )
        stage = "Layer_Dense.backward"
        back = step(stage, layer.backward, dvalues.copy())
        grads = {
            "inputs": stored(layer, "dinputs", stage, back),
            "weights": stored(layer, "dweights", stage),
            "biases": stored(layer, "dbiases", stage),
        }
        value = float(np.sum(dvalues * out)) + float(penalty(w, b, np)) if out.shape == dvalues.shape else out
        return Outcome(value, grads)

    return call


APPLIES[NAME] = takes_regularizers
declare(
    Reference(
        NAME,
        LAYER_OBJECT,
        regularized,
        ("inputs", "weights", "biases"),
        (((4, 5), (5, 3), (1, 3), (4, 3)),),
        normal,
        call=regularized_call(),
        names=("Layer_Dense",),
        upstream=False,
        bugs=(
            gradient_bug(
                "the L2 terms' gradient without its factor 2 (l2 * W instead of 2 * l2 * W)",
                lambda x, w, b, d: jnp.sum(d * (x @ w + b)) + penalty(w, b, scale_l2=0.5),
                ("weights", "biases"),
            ),
            gradient_bug(
                "the biases' regularization gradient missing",
                lambda x, w, b, d: jnp.sum(d * (x @ w + b)) + penalty(w, b, scale_bias=0.0),
                ("biases",),
            ),
        ),
    )
)
