"""Draw rules shared by the declarations: how random graphs pick an op's arguments and attributes.

An argument rule (``One``, ``BroadcastPair``, ``MatmulPair``) picks the arguments through the
builder's generic machinery (``Builder.pick`` for the first, ``Builder.partner`` for the
others); an attribute rule draws the attributes once the arguments are known. Both consult
only the chooser, so the same choices give the same graph. Every choice lists its simplest
option first (Hypothesis shrinks towards it).

A kink gate (an ``Op`` with ``kinks``) takes only generic arguments, and a kink gate of two
arguments only arguments with disjoint inputs: otherwise a kink could be hit with
probability > 0 on default values (``x - x`` is exactly 0 everywhere).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from oracle.ops.base import AttrsRule, Bounds, Builder, Op, Shape


def broadcastable(s: Shape, t: Shape) -> bool:
    return all(a == b or a == 1 or b == 1 for a, b in zip(reversed(s), reversed(t), strict=False))


@dataclass(frozen=True)
class One:
    """One argument, of rank in ``rank`` and with a last dimension of at least ``last``."""

    rank: tuple[int, int] = (0, 2)
    last: int = 1
    arity: int = 1

    def __call__(self, b: Builder, op: Op) -> list[Bounds]:
        lo, hi = self.rank
        kink = op.kinks is not None

        def fits(v: Bounds) -> bool:
            s = v.shape
            return lo <= len(s) <= hi and (not s or s[-1] >= self.last) and (v.generic or not kink)

        return [b.pick(fits, lo, self.last)]


@dataclass(frozen=True)
class BroadcastPair:
    """Two arguments that broadcast together (numpy rules), in either order."""

    arity: int = 2

    def __call__(self, b: Builder, op: Op) -> list[Bounds]:
        kink = op.kinks is not None
        a = b.pick(lambda v: v.generic or not kink)
        if kink:
            second = lambda v: v.generic and not (v.deps & a.deps) and broadcastable(a.shape, v.shape)
        else:
            second = lambda v: broadcastable(a.shape, v.shape)
        partner = b.partner(second, b.broadcast_partners(a.shape))
        return [partner, a] if b.c.boolean() else [a, partner]


@dataclass(frozen=True)
class MatmulPair:
    """A 1-D or 2-D argument, and a partner whose inner dimension fits, on its left or its right."""

    arity: int = 2

    def __call__(self, b: Builder, op: Op) -> list[Bounds]:
        a = b.pick(lambda v: 1 <= len(v.shape) <= 2, min_rank=1)
        if not b.c.boolean():  # a on the left: the partner is (k,) or (k, n)
            k = a.shape[-1]
            new = [(k,)] + [(k, d) for d in b.dims]
            return [a, b.partner(lambda v: 1 <= len(v.shape) <= 2 and v.shape[0] == k, new)]
        k = a.shape[0]  # a on the right: the partner is (k,) or (m, k)
        new = [(k,)] + [(d, k) for d in b.dims]
        return [b.partner(lambda v: 1 <= len(v.shape) <= 2 and v.shape[-1] == k, new), a]


ONE = One()
MATRIX = One(rank=(2, 2))
SCORES = One(rank=(2, 2), last=2)  # (N, C) scores with at least two classes
BROADCAST_PAIR = BroadcastPair()
MATMUL_PAIR = MatmulPair()


# ------------------------------------------------------------------ attributes


def constant(name: str, options: Sequence[float]) -> AttrsRule:
    """The attribute ``name``, one of ``options`` (simplest first)."""

    def draw(b: Builder, args: Sequence[Bounds]) -> dict[str, Any]:
        return {name: b.c.choice(options)}

    return draw


def axis_keepdims(b: Builder, args: Sequence[Bounds]) -> dict[str, Any]:
    """A reduction's ``axis`` (None, then every axis, then every negative axis) and ``keepdims``."""
    r = len(args[0].shape)
    axis = b.c.choice([None, *range(r), *range(-r, 0)])
    return {"axis": axis, "keepdims": b.c.boolean()}


def reshape_target(b: Builder, args: Sequence[Bounds]) -> dict[str, Any]:
    targets = [()] if b.scalar else b.reshape_targets(args[0].shape)
    return {"shape": list(b.c.choice(targets))}


def labels(b: Builder, args: Sequence[Bounds]) -> dict[str, Any]:
    """One class label per row of (N, C) scores."""
    n, classes = args[0].shape
    return {"labels": [b.c.integer(0, classes - 1) for _ in range(n)]}
