"""The oracle's ops: one declaration per op, and everything derived from the declarations.

Every op of the graph format is declared once, in a module of its family
(``elementwise``, ``tensors``, ``losses``), as an ``Op`` (``oracle.ops.base``)::

    pair(                                   # elementwise.py: two inputs, numpy broadcasting
        "maximum",
        jnp.maximum,                        # the JAX function: jax(*args, **attrs)
        lambda a, b: (max(a.lo, b.lo), max(a.hi, b.hi)),   # an interval holding the output
        ONE_ONE,                            # bounds on |d out / d x|, |d out / d y|: 1 and 1
        generic=no_broadcasting,            # a broadcast winner repeats: not tie-free
        kinks=at_ties,                      # masks: the tied elements of x and of y
        kinks_at="a tie x == y",
    )

    declare(Op("sum", _reduction(jnp.sum), ONE, _sum_iv, attrs=axis_keepdims, slope=ONE_SLOPE))

The fields: ``jax``; ``args``, how random graphs pick the arguments (``oracle.ops.draw``:
``ONE``, ``MATRIX``, ``SCORES``, ``BROADCAST_PAIR``, ``MATMUL_PAIR``); ``attrs``, how they draw
the attributes; ``domains``, where each argument must lie (``REAL``, ``POSITIVE``,
``Domain(bound=5.0, wide=(-80.0, 13.0))``: default and wide mode), which the builder
guarantees with guard gates; ``interval``, an interval holding the output; ``slope``, bounds
on the local gradients (wide graphs are certified not to overflow in the backward pass);
``generic``, whether the output stays tie- and zero-free; ``kinks``, the non-differentiable
points as masks, and ``kinks_at`` in words; ``scalar`` and ``elementwise``, the vocabularies
it belongs to. Output shapes are the engine's (``GATES[name].shape``).

Derived here: ``REGISTRY`` (name -> ``Op``, in the order random graphs choose ops, simplest
first), ``jax_table()`` (``oracle.core.jax_graph.JAX_OPS``), ``kink_masks(name, *args,
**attrs)``, ``kink_count(name, *args, **attrs)``. Elsewhere: the builder's per-op behaviour
(``oracle.strategies``) and the campaign judge's kink counts (``oracle.core.kinks``).
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

from oracle.ops.base import (
    POSITIVE,
    REAL,
    REGISTRY,
    Bounds,
    Builder,
    Domain,
    JaxFn,
    KinkFn,
    Op,
    Reject,
    declare,
)

# The families, in the order their ops join the vocabulary (a module declares its ops in order).
FAMILIES = ("elementwise", "tensors", "losses", "sequence", "vision")
for _family in FAMILIES:
    importlib.import_module(f"oracle.ops.{_family}")

__all__ = [
    "POSITIVE",
    "REAL",
    "REGISTRY",
    "Bounds",
    "Builder",
    "Domain",
    "JaxFn",
    "KinkFn",
    "Op",
    "Reject",
    "declare",
    "get",
    "jax_table",
    "kink_count",
    "kink_masks",
    "kink_ops",
]


def get(name: str) -> Op:
    """The declaration of op ``name``; ValueError names an unknown one."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown op {name!r}") from None


def jax_table() -> dict[str, JaxFn]:
    """Op name -> JAX function, called as ``fn(*args, **attrs)``: the JAX interpreter's table."""
    return {name: op.jax for name, op in REGISTRY.items()}


def kink_ops() -> frozenset[str]:
    """The ops with non-differentiable points."""
    return frozenset(name for name, op in REGISTRY.items() if op.kinks is not None)


def kink_masks(name: str, *args: Any, **attrs: Any) -> tuple[np.ndarray, ...]:
    """One boolean array per input of op ``name``, of that input's shape: True where the element
    sits on a non-differentiable point. All False for an op without kinks.

    The first ``arity`` positional arguments are the inputs; attributes come as keywords (or
    positionally after the inputs, in the gate's order: ``kink_masks("svm_loss", scores, labels)``).
    """
    op = get(name)
    inputs = [np.asarray(a) for a in args[: op.arity]]
    if len(inputs) != op.arity:
        raise ValueError(f"op {name!r} takes {op.arity} inputs, got {len(inputs)}")
    if op.kinks is None:
        return tuple(np.zeros(x.shape, dtype=bool) for x in inputs)
    masks = op.kinks(*inputs, *args[op.arity :], **attrs)
    out = tuple(np.asarray(m, dtype=bool) for m in masks)
    for x, m in zip(inputs, out, strict=True):
        if m.shape != x.shape:
            raise AssertionError(f"{name}: kink mask of shape {m.shape} for an input of shape {x.shape}")
    return out


def kink_count(name: str, *args: Any, **attrs: Any) -> int:
    """How many input elements sit on a non-differentiable point of op ``name`` (0 without kinks)."""
    if REGISTRY[name].kinks is None:
        return 0
    return sum(int(np.count_nonzero(m)) for m in kink_masks(name, *args, **attrs))
