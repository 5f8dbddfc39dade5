"""The ``Op`` type: everything the oracle knows about one op, declared in one place.

An ``Op`` holds the op's JAX function, how random graphs draw its arguments and
attributes, the domain its arguments must lie in, the interval rule for its output, its
genericity rule, and where its kinks are. The rest of the oracle is derived from the
declarations: the JAX interpreter's table (``oracle.core.jax_graph.JAX_OPS``), the graph
builder's per-op behaviour (``oracle.strategies``), the kink counts of the campaign judge
(``oracle.core.kinks``) and the kink masks of the course checks (``oracle.ops.kink_masks``).
Output shapes are not declared here: they are the engine's own rules,
``reference.gates.GATES[name].shape``.

The builder side is seen through two small protocols, ``Bounds`` (what the builder knows
about a value) and ``Builder`` (the generic machinery a draw rule may use), so this package
never imports ``oracle.strategies``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import numpy as np

from oracle.core.lazy_jax import jax

T = TypeVar("T")
Shape = tuple[int, ...]
Interval = tuple[float, float]


class Bounds(Protocol):
    """What the builder knows about a value: shape, an interval holding every element, genericity."""

    shape: Shape
    lo: float
    hi: float
    generic: bool  # no exact zeros, no two equal elements, not constant on any region of input space
    deps: int  # bit i set: depends on the i-th input

    def mag(self) -> float: ...


class Chooser(Protocol):
    """Every random decision: the first option (or ``lo``, or False) is the simplest."""

    def integer(self, lo: int, hi: int) -> int: ...

    def choice(self, seq: Sequence[T]) -> T: ...

    def boolean(self) -> bool: ...


Pred = Callable[[Bounds], bool]


class Builder(Protocol):
    """The graph builder's generic machinery, as the draw rules of the declarations see it."""

    @property
    def c(self) -> Chooser:
        """Every random decision goes through it."""
        ...

    @property
    def scalar(self) -> bool:
        """Every shape is ()."""
        ...

    @property
    def dims(self) -> tuple[int, ...]:
        """The sizes a dimension of a new input may take."""
        ...

    def pick(self, pred: Pred, min_rank: int = 0, min_last: int = 1) -> Bounds:
        """A first argument: mostly the latest unused value that fits, else a new input."""
        ...

    def partner(self, pred: Pred, new_shapes: Sequence[Shape]) -> Bounds:
        """A further argument: an existing value that fits, or a new input of one of ``new_shapes``."""
        ...

    def broadcast_partners(self, shape: Shape) -> Sequence[Shape]:
        """Shapes a new input may take to broadcast with ``shape``, simplest first."""
        ...

    def reshape_targets(self, shape: Shape) -> Sequence[Sequence[int]]:
        """Target shapes for a reshape of ``shape``, simplest first."""
        ...


class Reject(Exception):
    """The op cannot be built here: the builder rolls back and tries another op."""


@dataclass(frozen=True)
class Domain:
    """Where an argument must lie for the gate to be safe; the builder guards it there when unproven.

    ``REAL``: anywhere (the builder only keeps the output within its limit); ``POSITIVE``: in
    the mode's positive range (default mode [0.1, 100]); ``Domain(bound=b)``: within +-b.
    ``wide``: the interval the argument may span in wide mode (its whole safe domain there);
    None: the mode's default for this kind of domain.
    """

    positive: bool = False
    bound: float | None = None
    wide: Interval | None = None

    @property
    def real(self) -> bool:
        return not self.positive and self.bound is None


REAL = Domain()
POSITIVE = Domain(positive=True)

JaxFn = Callable[..., jax.Array]
# Kink masks: ``kinks(*args, **attrs)`` -> one boolean array per input, of that input's shape,
# True where the element sits on a non-differentiable point.
KinkFn = Callable[..., tuple[np.ndarray, ...]]
IntervalRule = Callable[[Sequence[Bounds], Mapping[str, Any]], Interval]
GenericRule = Callable[[Sequence[Bounds], Shape], bool]
AttrsRule = Callable[[Builder, Sequence[Bounds]], dict[str, Any]]
DomainRule = Callable[[Mapping[str, Any]], tuple[Domain, ...]]
# Slopes: for each argument, a bound on how much of an upstream gradient g (|g| <= 1 everywhere)
# one of its elements can receive: sup |d(sum g * out) / d arg[i]|, from the arguments' intervals.
SlopeRule = Callable[[Sequence[Bounds], Mapping[str, Any], Shape], tuple[float, ...]]


class ArgsRule(Protocol):
    """How random graphs pick an op's arguments (``oracle.ops.draw``)."""

    @property
    def arity(self) -> int: ...

    def __call__(self, b: Builder, op: Op) -> list[Bounds]: ...


def no_attrs(b: Builder, args: Sequence[Bounds]) -> dict[str, Any]:
    return {}


def stays_generic(args: Sequence[Bounds], shape: Shape) -> bool:
    """The default genericity rule: generic arguments give a generic output."""
    return True


def never_generic(args: Sequence[Bounds], shape: Shape) -> bool:
    """Flat regions or exact zeros in the output (relu, svm_loss)."""
    return False


@dataclass(frozen=True)
class Op:
    """One op, as the oracle knows it. Register it with ``declare``; see ``oracle.ops`` for an example."""

    name: str
    jax: JaxFn  # jax(*args, **attrs): the oracle's translation, written from the op's documented meaning
    args: ArgsRule  # how random graphs pick its arguments
    interval: IntervalRule  # an interval holding the output, from the arguments' intervals
    attrs: AttrsRule = no_attrs  # how random graphs draw its attributes, given the arguments
    domains: DomainRule | tuple[Domain, ...] | None = None  # one Domain per argument (None: all REAL)
    generic: GenericRule = stays_generic  # can the output stay generic when the arguments are?
    slope: SlopeRule | None = None  # bounds on the local gradients: no gradient can overflow
    kinks: KinkFn | None = None  # where its non-differentiable points are: masks, one per input
    kinks_at: str = ""  # the same in words, for records
    scalar: bool = True  # may appear in graphs of scalars
    elementwise: bool = False  # part of the default vocabulary of scalar graphs
    layer: bool = False  # a course layer: at most one per random graph (see oracle.strategies.builder)

    @property
    def arity(self) -> int:
        return self.args.arity

    def domains_for(self, attrs: Mapping[str, Any]) -> tuple[Domain, ...]:
        """The domain of each argument, for these attributes."""
        if self.domains is None:
            return (REAL,) * self.arity
        if isinstance(self.domains, tuple):
            return self.domains
        return self.domains(attrs)


REGISTRY: dict[str, Op] = {}  # in declaration order: the vocabulary's order, simplest first


def declare(op: Op) -> Op:
    """Register ``op``; the order of declarations is the order random graphs choose ops in."""
    if op.name in REGISTRY:
        raise ValueError(f"op {op.name!r} is declared twice")
    if op.kinks is not None and not op.kinks_at:
        raise ValueError(f"op {op.name!r}: describe its kinks in kinks_at")
    REGISTRY[op.name] = op
    return op
