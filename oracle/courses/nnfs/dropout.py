"""The book's ``Layer_Dropout(rate)``: ``rate`` is the fraction of units dropped.

The mask is the student's own: the units its training-mode output kept (its non-zero
outputs; the inputs are never 0). The JAX reference scales the same units by
1 / (1 - RATE), so a mask of the wrong scale (none, or 1 / rate) is a forward mismatch,
named; the backward must use the same mask. The book's ``Model`` assembles the student's
layers and is not called by the check (``unchecked``): its layers are checked one by one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome, as_numbers
from oracle.core.lazy_jax import jnp
from oracle.course.judging.bugs import output_bug
from oracle.course.judging.samplers import normal
from oracle.course.reference import Reference, declare
from oracle.courses.nnfs.calls import applies_with_backward, assembled_call, layer_object_call
from oracle.courses.nnfs.layers import LAYER_OBJECT

RATE = 0.2  # dropped; kept units are scaled by 1 / 0.8, far from the 1 / 0.2 of a rate taken as kept


def dropout(x: Any, *, mask: Any = None) -> Any:
    """Inverted dropout with the student's mask (None before it is read: only the shape is asked)."""
    return x * (jnp.ones_like(x) if mask is None else mask) / (1.0 - RATE)


def students_mask(
    settings: Mapping[str, Any], student: Outcome, inputs: Sequence[np.ndarray]
) -> Mapping[str, Any]:
    x = np.asarray(inputs[0])
    out, _ = as_numbers(student.out, "out")
    if out is None or out.shape != x.shape:
        return {**settings, "mask": np.ones_like(x)}  # the output's shape is reported
    return {**settings, "mask": (out != 0).astype(x.dtype)}


applies_with_backward("Layer_Dropout")
declare(
    Reference(
        "Layer_Dropout",
        LAYER_OBJECT,
        dropout,
        ("inputs",),
        (((40, 25),),),
        normal,
        call=layer_object_call("Layer_Dropout", sizes=lambda inputs: (RATE,)),
        names=("Layer_Dropout",),
        adapt=students_mask,
        bugs=(
            output_bug("the kept units not scaled by 1 / (1 - rate)", lambda x, mask: x * mask),
            output_bug(
                "rate taken as the fraction kept: scaled by 1 / rate", lambda x, mask: x * mask / RATE
            ),
        ),
    )
)


def _never(x: Any) -> Any:
    return x


declare(
    Reference(
        "nnfs.Model",
        LAYER_OBJECT,
        _never,
        ("inputs",),
        (((2, 2),),),
        normal,
        call=assembled_call(
            "Model", "chains your layers (each is checked as a class of its own), not called"
        ),
        names=("Model",),
    )
)
