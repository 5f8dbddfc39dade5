"""Shape rules: the shape of a gate's output from the shapes of its inputs (and its attributes).

A gate declares one of these beside its forward, so every graph and every ``Value`` call
is checked before anything runs: a rule raises ``ValueError`` saying why the shapes do not
fit. The attributes arrive already checked against their declared types
(``reference.checks``); ``oracle`` also calls the rules with attributes straight from JSON
(lists instead of tuples), which they accept. Sizes are Python integers, so no product of
dimensions can wrap around as numpy's int64 would.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from reference.checks import Shape


def same(x: Shape, **_: Any) -> Shape:
    """Elementwise on one input: the output has the input's shape."""
    return tuple(x)


def broadcast(x: Shape, y: Shape) -> Shape:
    """Elementwise on two inputs: numpy broadcasting."""
    try:
        return tuple(np.broadcast_shapes(tuple(x), tuple(y)))
    except ValueError:
        raise ValueError(f"shapes {list(x)} and {list(y)} do not broadcast") from None


def reduced(x: Shape, *, axis: int | None, keepdims: bool) -> Shape:
    """A reduction over one axis, or over all of them (``axis`` None)."""
    x = tuple(x)
    if axis is None:
        return (1,) * len(x) if keepdims else ()
    if not -len(x) <= axis < len(x):
        raise ValueError(f"axis {axis} is out of range for an input of shape {list(x)}")
    axis %= len(x)
    return x[:axis] + ((1,) if keepdims else ()) + x[axis + 1 :]


def matmul_shape(x: Shape, y: Shape) -> Shape:
    """numpy's ``@`` for 1-D and 2-D inputs (a 1-D input loses its axis in the output)."""
    x, y = tuple(x), tuple(y)
    if not (1 <= len(x) <= 2 and 1 <= len(y) <= 2):
        raise ValueError(f"takes 1-D or 2-D inputs, got shapes {list(x)} and {list(y)}")
    if x[-1] != y[0]:
        raise ValueError(f"inner dimensions differ, shapes {list(x)} and {list(y)}")
    return x[:-1] + y[1:]


def transpose_shape(x: Shape) -> Shape:
    if len(x) != 2:
        raise ValueError(f"takes a 2-D input, got shape {list(x)}")
    return (x[1], x[0])


def reshape_shape(x: Shape, *, shape: Sequence[int]) -> Shape:
    """The same elements in another shape; one dimension may be -1 (whatever the others leave)."""
    target = [int(d) for d in shape]
    if target.count(-1) > 1 or any(d < -1 or d == 0 for d in target):
        raise ValueError(f"bad target shape {target}")
    size, known = math.prod(x), math.prod(d for d in target if d != -1)
    if (size % known != 0) if -1 in target else (size != known):
        raise ValueError(f"cannot reshape {list(x)} into {target}")
    return tuple(size // known if d == -1 else d for d in target)


def loss_shape(scores: Shape, *, labels: Sequence[int]) -> Shape:
    """A course loss on (N, C) scores with one label in [0, C) per row: a scalar."""
    if len(scores) != 2:
        raise ValueError(f"scores must be 2-D (N, C), got shape {list(scores)}")
    n, c = scores
    if len(labels) != n:
        raise ValueError(f"labels: expected {n} labels for scores of shape {list(scores)}, got {len(labels)}")
    if any(not 0 <= label < c for label in labels):
        raise ValueError(f"labels must lie in [0, {c}), got {list(labels)}")
    return ()
