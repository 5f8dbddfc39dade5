"""HW1P1's models: ``MLP0``, ``MLP1`` and ``MLP4``, Linear and ReLU layers in ``self.layers``.

The handout's sizes: MLP0 is Linear(2, 3), ReLU; MLP1 adds Linear(3, 2), ReLU; MLP4 is
2 -> 4 -> 8 -> 8 -> 4 -> 2, a ReLU after each. The autograder builds the model with
``debug=True``, sets each Linear's W and b, calls ``forward(A0)`` and ``backward(dLdA)``, and
reads each Linear's ``dLdW`` and ``dLdb``; the backward returns nothing in some terms and dLdA0
in others, so the weight gradients, which the whole backward pass feeds, are what is judged
(A0 is an input without a gradient here).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome
from oracle.core.lazy_jax import jax
from oracle.course.calling.calls import Call, CannotCall, Problem, Watch, edited, kept, notes, output, step
from oracle.course.judging.samplers import normal
from oracle.course.reference import LAYER, Reference, declare
from oracle.courses.cmu11785.mlp import linear

SIZES = {"MLP0": (2, 3), "MLP1": (2, 3, 2), "MLP4": (2, 4, 8, 8, 4, 2)}


def mlp(*arrays: Any) -> Any:
    """The weights and biases in pairs, then A0: ReLU(Linear(...)) layer after layer."""
    *weights, a = arrays
    for w, b in zip(weights[::2], weights[1::2], strict=True):
        a = jax.nn.relu(linear(a, w, b))
    return a


def _linears(model: Any, label: str, count: int) -> list[Any]:
    layers = getattr(model, "layers", None)
    found = [layer for layer in layers or () if hasattr(layer, "W")]
    if len(found) != count:
        raise CannotCall(
            f"{label}: found {len(found)} Linear layers in self.layers, where the handout's model has {count}"
        )
    return found


def model_call(label: str) -> Call:
    def call(
        names: Sequence[str],
        impl: Sequence[Any],
        inputs: Sequence[Any],
        upstream: Any,
        settings: Mapping[str, Any],
    ) -> Outcome:
        cls = impl[0]
        try:
            model = cls(debug=True)
        except TypeError:
            model = step(f"{label}()", cls)
        except Exception as exc:
            raise Problem(f"{label}(debug=True) raised {type(exc).__name__}: {exc}") from exc
        *weights, a = inputs
        linears = _linears(model, label, len(weights) // 2)
        for layer, w, b in zip(linears, weights[::2], weights[1::2], strict=True):
            layer.W, layer.b = w, b
        before = Watch()
        before.watch("A0", a)
        out = output(step(f"{label}.forward", model.forward, a), f"{label}.forward")
        dout = np.array(upstream, copy=True)
        step(f"{label}.backward", model.backward, dout)
        grads: dict[str, Any] = {}
        for k, layer in enumerate(linears):
            for name, attribute in ((f"W{k}", "dLdW"), (f"b{k}", "dLdb")):
                value = getattr(layer, attribute, None)
                if value is not None:  # a gradient left unset is that row's failure alone
                    grads[name] = kept(np.asarray(value))
        if not grads:
            raise Problem(f"{label}.backward left no Linear layer's dLdW")
        return Outcome(out, grads, warning=notes(edited(f"{label}.forward", before)))

    return call


def _shapes(sizes: Sequence[int], n: int) -> tuple[tuple[int, ...], ...]:
    pairs = [((o, i), (o, 1)) for i, o in itertools.pairwise(sizes)]
    return (*tuple(s for pair in pairs for s in pair), (n, sizes[0]))


for _name, _sizes in SIZES.items():
    _layers = len(_sizes) - 1
    declare(
        Reference(
            "cmu." + _name,
            LAYER,
            mlp,
            tuple(f"{p}{k}" for k in range(_layers) for p in ("W", "b")),
            (_shapes(_sizes, 4), _shapes(_sizes, 7)),
            normal,
            call=model_call(_name),
            names=(_name,),
        )
    )
