"""The vocabulary of random graphs: ops (from the declarations in ``oracle.ops``), shapes, ranges."""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache

from oracle.ops import REGISTRY

Shape = tuple[int, ...]

# The op vocabulary, simplest first (Hypothesis shrinks a choice towards the front): the order
# of the declarations in oracle.ops.
OPS: tuple[str, ...] = tuple(REGISTRY)
ELEMENTWISE_OPS: tuple[str, ...] = tuple(name for name, op in REGISTRY.items() if op.elementwise)
TENSOR_OPS: tuple[str, ...] = tuple(name for name in OPS if name not in ELEMENTWISE_OPS)
SCALAR_OPS: tuple[str, ...] = ELEMENTWISE_OPS  # the default vocabulary of scalar graphs
NOT_SCALAR: frozenset[str] = frozenset(name for name, op in REGISTRY.items() if not op.scalar)

INPUT_NAMES = ("x", "y", "z", "w")
MAX_INPUTS = len(INPUT_NAMES)
DIMS = (1, 2, 3, 4)  # sizes of a dimension
STOP_ODDS = 7  # after each step, stop growing with probability 1 / (STOP_ODDS + 1)


def check_ops(ops: Sequence[str] | None, scalar: bool) -> tuple[str, ...]:
    """The vocabulary of a graph: ``ops`` in ``OPS`` order, or the default one."""
    if ops is None:
        return SCALAR_OPS if scalar else OPS
    ops = list(ops)
    unknown = [op for op in ops if op not in REGISTRY]
    if unknown:
        raise ValueError(f"unknown op {unknown[0]!r}")
    if scalar and NOT_SCALAR & set(ops):
        raise ValueError(f"op {sorted(NOT_SCALAR & set(ops))[0]!r} cannot build a scalar graph")
    if not ops:
        raise ValueError("ops must not be empty")
    return tuple(op for op in OPS if op in ops)


def size(shape: Shape) -> int:
    return math.prod(shape)


@cache
def partner_shapes(s: Shape) -> tuple[Shape, ...]:
    """Shapes (rank <= 2) a new input may take to broadcast with ``s``, simplest first."""
    out: set[Shape] = set()
    for rank in range(3):
        options: list[tuple[int, ...]] = []
        for pos in range(rank):  # pos counts from the right
            j = len(s) - 1 - pos
            if j < 0 or s[j] == 1:
                options.append(DIMS)
            else:
                options.append((1, s[j]))
        combos: list[Shape] = [()]
        for dims in options:
            combos = [(d, *c) for c in combos for d in dims]
        out.update(combos)
    return tuple(sorted(out, key=lambda t: (len(t), sum(t), t)))


@cache
def reshape_targets(s: Shape) -> tuple[tuple[int, ...], ...]:
    """Target shapes for reshape (rank <= 2, then with a -1), simplest first; not ``s`` itself."""
    n = size(s)
    plain: list[Shape] = [()] if n == 1 else []
    plain.append((n,))
    plain += [(a, n // a) for a in range(1, n + 1) if n % a == 0]
    plain = sorted(set(plain), key=lambda t: (len(t), t))
    minus = [tuple(-1 if i == k else d for i, d in enumerate(t)) for t in plain for k in range(len(t))]
    targets = [t for t in plain if t != s] + minus
    return tuple(targets) or (s,)
