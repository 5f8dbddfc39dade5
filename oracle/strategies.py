"""Random graphs and cases: one builder, two sources of randomness.

Public API::

    graphs(max_nodes=12, scalar=False, ops=None)                   -> SearchStrategy[graph]
    cases(max_nodes=12, dtype="float64", edge=False, scalar=False, ops=None)
                                                                   -> SearchStrategy[case]
    campaign_graph(seed, index, max_nodes=12, *, scalar=False, ops=None)  -> graph
    campaign_inputs(graph, seed, index, input_index, dtype="float64", edge=False)
                                                                   -> (values, cotangent)
    OPS, SCALAR_OPS, GUARD_OPS, LATTICE, SAFE_LO, LIMIT, output_shape(graph)

``build_graph`` grows a graph gate by gate, asking a *chooser* for every decision
(``integer``, ``choice``, ``boolean``, and ``group`` to mark the decisions of one
step). Two choosers drive the same builder:

- ``NumpyChooser``, backed by a ``numpy.random.Generator``: campaigns
  (``campaign_graph``, ``campaign_inputs``), deterministic from ``(seed, index)`` on
  any machine (``default_rng([seed, index, tag])``; only ``Generator.random`` doubles
  are consumed; nothing depends on Python's ``hash`` or set order);
- ``HypothesisChooser``, backed by Hypothesis's ``draw``: the strategies ``graphs`` and
  ``cases``, so a failing graph shrinks. Hypothesis shrinks integers towards the low end
  and choices towards the first element, so every choice lists the simplest option
  first: stop before growing on, fewer inputs, scalars before vectors before matrices,
  small dimensions, the simple ops (``OPS`` order) before matmul and the losses, the
  latest value before older ones. Each step is one group of draws, which Hypothesis can
  delete whole. A failure shrinks to a tiny chain (often a single gate).

How a graph grows: one input of a drawn shape, then steps until a stop decision (odds
1 in ``STOP_ODDS`` + 1 after each step) or until ``max_nodes`` gates. A step picks an op,
then its first argument: mostly the latest value not yet used (a chain), sometimes any
value (fan-out); an op that does not fit the latest unused value is mostly declined
(it would leave that value dead). A second argument is any existing value of a fitting
shape (fan-out, including reconvergent paths), an unused one (joins a dangling branch),
or a new input of a fitting shape (up to 4 inputs): so broadcasting pairs ((m,1) with
(1,n), (m,n) with (n,), scalars with anything) and matmul partners ((k,) or (k,n) after
(m,k)) always exist. The output is the gate with the most gates behind it; gates off
its paths and unused inputs are dropped, then everything is renamed: inputs x, y, z, w
in order of creation, gates n0, n1, ... in topological order.

Safe by construction. Every value carries a conservative interval, computed as if every
input lay anywhere in ``INPUT_RANGE`` = [-2, 2] (default values and the edge lattice both
lie inside it), so the guarantees below hold for *any* values a case can hold:

- positivity guard: the argument of ``log``, ``sqrt``, ``reciprocal``, the divisor of
  ``div`` and the base of ``pow_const`` with a negative or fractional ``p`` must lie in
  [``SAFE_LO``, ``POS_HI``] = [0.1, 100]. When its interval does not prove that, a guard
  is inserted first, one of (simplest first): ``add_const(c)`` with the smallest c of
  ``GUARD_SHIFTS`` that lifts the interval above 0.1; ``exp`` when the interval lies in
  [-2.25, 4.6]; ``add_const(0.5)`` of ``sigmoid`` (in [0.5, 1.5]); ``add_const(0.5)`` of
  ``square``;
- ``exp`` never sees an argument that could leave [-5, 5]: a ``tanh`` is inserted first;
- no value can exceed ``LIMIT`` = 1000 in magnitude: when a gate's interval would, the
  arguments that may be large go through ``tanh`` first.

Guard gates count towards ``max_nodes`` and may use ops outside an ``ops`` restriction
(``GUARD_OPS``).

Default values are continuous and tie-free: magnitudes uniform in [0.1, 2] with random
signs. Tie-free must also hold *inside* the graph: a kink (``relu``/``abs`` at 0, a tie of
``maximum``/``minimum``/``max``, an ``svm_loss`` margin of exactly 0) must not be hit
with probability > 0. So every value also carries the set of inputs it depends on and a
flag ``generic``: it has no exact zeros, no two of its elements are equal, and it is not
constant on any region of input space. ``relu`` and ``svm_loss`` outputs are not generic
(flat regions), nor is a gate combining two values that share an input (``x - x``,
``A * A.T``), nor ``maximum``/``minimum`` with broadcasting (repeated winners), nor
``tanh``/``sigmoid`` where they may saturate. The kink gates take only generic arguments,
and ``maximum``/``minimum`` only two arguments with disjoint inputs. Fan-out is free
everywhere else.

``edge=True`` aims at the kinks instead: every input element is drawn from ``LATTICE``
(with the chooser, so Hypothesis shrinks it), so ties, zeros at ``relu``/``abs`` and svm
margins of exactly 0 occur often. The guards still keep ``log``/``sqrt``/``div`` safe.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, Protocol, TypeVar

import numpy as np
from hypothesis import strategies as st

from reference.gates import GATES

T = TypeVar("T")
Shape = tuple[int, ...]

# The op vocabulary, simplest first (Hypothesis shrinks a choice towards the front).
ELEMENTWISE_OPS: tuple[str, ...] = (
    "add",
    "mul",
    "sub",
    "neg",
    "square",
    "add_const",
    "mul_const",
    "tanh",
    "sigmoid",
    "relu",
    "abs",
    "maximum",
    "minimum",
    "exp",
    "reciprocal",
    "div",
    "log",
    "sqrt",
    "pow_const",
)
TENSOR_OPS: tuple[str, ...] = (
    "sum",
    "mean",
    "max",
    "transpose",
    "reshape",
    "matmul",
    "svm_loss",
    "softmax_loss",
)
OPS: tuple[str, ...] = ELEMENTWISE_OPS + TENSOR_OPS
SCALAR_OPS: tuple[str, ...] = ELEMENTWISE_OPS  # the default vocabulary of scalar graphs
NOT_SCALAR: frozenset[str] = frozenset({"transpose", "matmul", "svm_loss", "softmax_loss"})
GUARD_OPS: frozenset[str] = frozenset({"add_const", "exp", "sigmoid", "square", "tanh"})

INPUT_NAMES = ("x", "y", "z", "w")
MAX_INPUTS = len(INPUT_NAMES)
DIMS = (1, 2, 3, 4)  # sizes of a dimension
INPUT_RANGE = (-2.0, 2.0)  # the interval every input is assumed to lie in
SAFE_LO = 0.1  # log, sqrt, reciprocal, divisors, fractional powers: arguments >= this ...
POS_HI = 100.0  # ... and <= this
LIMIT = 1000.0  # no value's interval exceeds this in magnitude
EXP_BOUND = 5.0  # exp arguments stay in [-5, 5]
GUARD_SHIFTS = (0.5, 1.0, 2.5, 5.0)  # the positivity guard add_const(c) tries these
CONSTS = (1.0, 2.0, -1.0, 0.5, -0.5, 3.0, -2.0, 0.25)  # add_const / mul_const c, simplest first
POWERS: tuple[float, ...] = (2, 3, -1, 0.5, 1.5, -0.5)  # pow_const p, simplest first
LATTICE = (0.0, 1.0, -1.0, 0.5, -0.5)  # edge-mode values, simplest first
VALUE_MAGNITUDE = (0.1, 2.0)  # default-mode values: |v| uniform in this range, random sign
COTANGENT_MAGNITUDE = (0.5, 1.5)  # cotangents: likewise (never 0, never all ones)
TANH_GENERIC = 3.0  # tanh of an argument within +-3 cannot saturate to a tie (float32 included)
SIGMOID_GENERIC = 6.0
STOP_ODDS = 7  # after each step, stop growing with probability 1 / (STOP_ODDS + 1)

_GRAPH_STREAM = 0x67726170  # domain tags, so graph and input streams never coincide
_INPUT_STREAM = 0x696E7075


# ------------------------------------------------------------------ choosers


class Chooser(Protocol):
    """Every random decision the builder makes."""

    def integer(self, lo: int, hi: int) -> int:
        """An integer in [lo, hi]; lo is the simplest."""
        ...

    def choice(self, seq: Sequence[T]) -> T:
        """An element of seq; the first is the simplest."""
        ...

    def boolean(self) -> bool:
        """False is the simplest."""
        ...

    def group(self, step: Callable[[], T]) -> T:
        """Run ``step``, whose decisions belong together (Hypothesis deletes them as one)."""
        ...


class NumpyChooser:
    """Decisions from a ``numpy.random.Generator``, consuming only its ``random()`` doubles."""

    __slots__ = ("_buf", "_i", "rng")

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self._buf: list[float] = []
        self._i = 0

    def _u(self) -> float:
        if self._i == len(self._buf):
            self._buf = self.rng.random(64).tolist()
            self._i = 0
        u = self._buf[self._i]
        self._i += 1
        return u

    def integer(self, lo: int, hi: int) -> int:
        if hi <= lo:
            return lo
        return min(lo + int(self._u() * (hi - lo + 1)), hi)

    def choice(self, seq: Sequence[T]) -> T:
        return seq[self.integer(0, len(seq) - 1)]

    def boolean(self) -> bool:
        return self._u() < 0.5

    def group(self, step: Callable[[], T]) -> T:
        return step()


class HypothesisChooser:
    """Decisions drawn by Hypothesis, so they shrink (integers to lo, choices to the first)."""

    __slots__ = ("_draw",)

    def __init__(self, draw: st.DrawFn) -> None:
        self._draw = draw

    def integer(self, lo: int, hi: int) -> int:
        if hi <= lo:
            return lo
        return int(self._draw(st.integers(lo, hi)))

    def choice(self, seq: Sequence[T]) -> T:
        return seq[self.integer(0, len(seq) - 1)]

    def boolean(self) -> bool:
        return bool(self._draw(st.booleans()))

    def group(self, step: Callable[[], T]) -> T:
        return self._draw(_grouped(self, step))


@st.composite
def _grouped(draw: st.DrawFn, chooser: HypothesisChooser, step: Callable[[], T]) -> T:
    """Run ``step`` inside a draw of its own, so its draws form one span Hypothesis can delete."""
    outer, chooser._draw = chooser._draw, draw
    try:
        return step()
    finally:
        chooser._draw = outer


# ---------------------------------------------------------------- shape helpers


def _broadcastable(s: Shape, t: Shape) -> bool:
    return all(a == b or a == 1 or b == 1 for a, b in zip(reversed(s), reversed(t), strict=False))


def _broadcast(s: Shape, t: Shape) -> Shape:
    n = max(len(s), len(t))
    s = (1,) * (n - len(s)) + s
    t = (1,) * (n - len(t)) + t
    return tuple(max(a, b) for a, b in zip(s, t, strict=True))


def _size(shape: Shape) -> int:
    return math.prod(shape)


@cache
def _partner_shapes(s: Shape) -> tuple[Shape, ...]:
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
def _reshape_targets(s: Shape) -> tuple[tuple[int, ...], ...]:
    """Target shapes for reshape (rank <= 2, then with a -1), simplest first; not ``s`` itself."""
    n = _size(s)
    plain: list[Shape] = [()] if n == 1 else []
    plain.append((n,))
    plain += [(a, n // a) for a in range(1, n + 1) if n % a == 0]
    plain = sorted(set(plain), key=lambda t: (len(t), t))
    minus = [tuple(-1 if i == k else d for i, d in enumerate(t)) for t in plain for k in range(len(t))]
    targets = [t for t in plain if t != s] + minus
    return tuple(targets) or (s,)


# ---------------------------------------------------------------- intervals


def _mul_iv(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    p = (a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1])
    return min(p), max(p)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= -700 else 0.0


def _unary_iv(op: str, lo: float, hi: float, attrs: dict[str, Any]) -> tuple[float, float]:
    if op == "neg":
        return -hi, -lo
    if op == "reciprocal":  # positive argument
        return 1 / hi, 1 / lo
    if op == "exp":
        return math.exp(lo), math.exp(hi)
    if op == "log":
        return math.log(lo), math.log(hi)
    if op == "sqrt":
        return math.sqrt(lo), math.sqrt(hi)
    if op == "square" or (op == "pow_const" and attrs["p"] == 2):
        top = max(lo * lo, hi * hi)
        return (0.0 if lo <= 0 <= hi else min(lo * lo, hi * hi)), top
    if op == "tanh":
        return math.tanh(lo), math.tanh(hi)
    if op == "sigmoid":
        return _sigmoid(lo), _sigmoid(hi)
    if op == "relu":
        return max(lo, 0.0), max(hi, 0.0)
    if op == "abs":
        if lo >= 0:
            return lo, hi
        if hi <= 0:
            return -hi, -lo
        return 0.0, max(-lo, hi)
    if op == "add_const":
        return lo + attrs["c"], hi + attrs["c"]
    if op == "mul_const":
        c = attrs["c"]
        return (c * lo, c * hi) if c > 0 else (c * hi, c * lo)
    if op == "pow_const":
        p = attrs["p"]
        if p == 3:
            return lo**3, hi**3
        return (lo**p, hi**p) if p > 0 else (hi**p, lo**p)  # positive base
    raise AssertionError(op)


def _needs_positive(op: str, attrs: dict[str, Any]) -> bool:
    if op in ("log", "sqrt", "reciprocal"):
        return True
    if op == "pow_const":
        p = attrs["p"]
        return not (p == int(p) and p > 0)
    return False


# ---------------------------------------------------------------- the builder


class _Val:
    """A value while building: an input or a node, with what the builder knows about it."""

    __slots__ = ("anc", "deps", "generic", "hi", "lo", "name", "shape", "uses")

    def __init__(self, name: str, shape: Shape, lo: float, hi: float, generic: bool, deps: int) -> None:
        self.name = name
        self.shape = shape
        self.lo = lo
        self.hi = hi
        self.generic = generic
        self.deps = deps  # bit i set: depends on the i-th input
        self.uses = 0
        self.anc = 0  # bit j set: the j-th gate is this value or one of its ancestors

    def mag(self) -> float:
        return max(-self.lo, self.hi)


class _Reject(Exception):
    """The chosen op cannot be built here; the builder rolls back and tries another."""


def _check_ops(ops: Sequence[str] | None, scalar: bool) -> tuple[str, ...]:
    if ops is None:
        return SCALAR_OPS if scalar else OPS
    ops = list(ops)
    unknown = [op for op in ops if op not in GATES]
    if unknown:
        raise ValueError(f"unknown op {unknown[0]!r}")
    if scalar and NOT_SCALAR & set(ops):
        raise ValueError(f"op {sorted(NOT_SCALAR & set(ops))[0]!r} cannot build a scalar graph")
    if not ops:
        raise ValueError("ops must not be empty")
    return tuple(op for op in OPS if op in ops) + tuple(op for op in ops if op not in OPS)


class _Builder:
    def __init__(self, chooser: Chooser, max_nodes: int, scalar: bool, ops: tuple[str, ...]) -> None:
        self.c = chooser
        self.max_nodes = max_nodes
        self.scalar = scalar
        self.ops = ops
        self.values: list[_Val] = []
        self.nodes: list[dict[str, Any]] = []
        self.inputs: list[_Val] = []
        self._alternatives = False  # may the current op be declined in favour of another?

    # --------------------------------------------------------- growing

    def build(self) -> dict[str, Any]:
        # Each step adds one gate (and its guards); before every step but the first, a stop
        # decision (simplest: stop). A step's draws form one group, so Hypothesis can delete
        # whole steps when it shrinks. Gates off the output's paths are dropped at the end.
        self._new_input(self._fresh_shape())
        while len(self.nodes) < self.max_nodes:
            if not self.c.group(self._step):
                break
        if not self.nodes:
            raise ValueError(f"no graph of at most {self.max_nodes} gates can use ops {list(self.ops)}")
        return self._finish()

    def _step(self) -> bool:
        """Add one gate (with its guards); False: stop growing."""
        if self.nodes and self.c.integer(0, STOP_ODDS) == 0:
            return False
        ops = list(self.ops)
        while ops:
            op = self.c.choice(ops)
            self._alternatives = len(ops) > 1
            saved = (len(self.values), len(self.nodes), len(self.inputs), [v.uses for v in self.values])
            try:
                self._build_op(op)
                if len(self.nodes) <= self.max_nodes:
                    return True
            except _Reject:
                pass
            n_values, n_nodes, n_inputs, uses = saved
            del self.values[n_values:], self.nodes[n_nodes:], self.inputs[n_inputs:]
            for v, u in zip(self.values, uses, strict=True):
                v.uses = u
            ops.remove(op)
        return False

    def _fresh_shape(self, min_rank: int = 0, min_last: int = 1) -> Shape:
        if self.scalar:
            return ()
        rank = self.c.integer(min_rank, 2)
        dims = [self.c.integer(1, DIMS[-1]) for _ in range(rank - 1)]
        return (*dims, self.c.integer(min_last, DIMS[-1])) if rank else ()

    def _new_input(self, shape: Shape) -> _Val:
        if len(self.inputs) >= MAX_INPUTS:
            raise _Reject
        i = len(self.inputs)
        v = _Val(f"in{i}", shape, *INPUT_RANGE, generic=True, deps=1 << i)
        self.inputs.append(v)
        self.values.append(v)
        return v

    def _node(self, op: str, args: Sequence[_Val], attrs: dict[str, Any] | None = None) -> _Val:
        """Append a gate; its interval, shape and genericity follow from its args."""
        attrs = attrs or {}
        a = args[0]
        generic = all(v.generic for v in args)
        deps = a.deps
        if len(args) == 2:
            b = args[1]
            if a.deps & b.deps:
                generic = False
            deps |= b.deps
        if op in ELEMENTWISE_OPS and len(args) == 2:
            shape = _broadcast(a.shape, args[1].shape)
            b = args[1]
            if op == "add":
                lo, hi = a.lo + b.lo, a.hi + b.hi
            elif op == "sub":
                lo, hi = a.lo - b.hi, a.hi - b.lo
            elif op == "mul":
                lo, hi = _mul_iv((a.lo, a.hi), (b.lo, b.hi))
            elif op == "div":
                lo, hi = _mul_iv((a.lo, a.hi), (1 / b.hi, 1 / b.lo))
            else:
                pick = max if op == "maximum" else min
                lo, hi = pick(a.lo, b.lo), pick(a.hi, b.hi)
                if a.shape != shape or b.shape != shape:
                    generic = False  # one broadcast value may win a whole row: repeated elements
        elif op in ELEMENTWISE_OPS:
            shape = a.shape
            lo, hi = _unary_iv(op, a.lo, a.hi, attrs)
            if (
                op == "relu"
                or (op == "tanh" and a.mag() > TANH_GENERIC)
                or (op == "sigmoid" and a.mag() > SIGMOID_GENERIC)
            ):
                generic = False
        elif op == "matmul":
            b = args[1]
            shape = a.shape[:-1] + b.shape[1:]
            lo, hi = _mul_iv((a.lo, a.hi), (b.lo, b.hi))
            k = a.shape[-1]
            lo, hi = k * lo, k * hi
        elif op in ("sum", "mean", "max"):
            axis = attrs["axis"]
            shape = _reduced(a.shape, axis, attrs["keepdims"])
            count = _size(a.shape) if axis is None else a.shape[axis]
            lo, hi = (count * a.lo, count * a.hi) if op == "sum" else (a.lo, a.hi)
        elif op == "transpose":
            shape, lo, hi = (a.shape[1], a.shape[0]), a.lo, a.hi
        elif op == "reshape":
            shape, lo, hi = _reshaped(a.shape, attrs["shape"]), a.lo, a.hi
        elif op == "softmax_loss":
            shape, lo, hi = (), 0.0, math.log(a.shape[1]) + (a.hi - a.lo)
        elif op == "svm_loss":
            shape, lo, hi = (), 0.0, (a.shape[1] - 1) * max(0.0, a.hi - a.lo + 1)
            generic = False  # exactly 0 wherever every margin is negative
        else:
            raise AssertionError(f"no rule for op {op!r}")
        if max(-lo, hi) > LIMIT:
            raise _Reject
        node_id = f"n{len(self.nodes)}"
        spec: dict[str, Any] = {"id": node_id, "op": op, "args": [v.name for v in args]}
        if attrs:
            spec["attrs"] = attrs
        self.nodes.append(spec)
        for v in args:
            v.uses += 1
        out = _Val(node_id, shape, lo, hi, generic, deps)
        out.anc = 1 << (len(self.nodes) - 1)
        for v in args:
            out.anc |= v.anc
        self.values.append(out)
        return out

    # --------------------------------------------------------- choosing args

    def _pick(self, pred: Callable[[_Val], bool], min_rank: int = 0, min_last: int = 1) -> _Val:
        """A first argument: mostly the latest unused value (a chain), sometimes any (fan-out)."""
        latest = self.values[-1]
        if self._alternatives and latest.uses == 0 and not pred(latest) and self.c.integer(0, 3) > 0:
            raise _Reject  # mostly decline an op that does not fit the latest value (it would go dead)
        cands = [v for v in reversed(self.values) if pred(v)]
        if not cands:
            return self._new_input(self._fresh_shape(min_rank, min_last))
        fresh = [v for v in cands if v.uses == 0]
        if fresh and (len(cands) == 1 or self.c.integer(0, 3) < 3):
            return fresh[0]
        return self.c.choice(cands)

    def _partner(self, pred: Callable[[_Val], bool], new_shapes: Sequence[Shape]) -> _Val:
        """A second argument: an existing value that fits (any: fan-out; or unused: joins a
        dangling branch), or a new input."""
        cands = [v for v in reversed(self.values) if pred(v)]
        can_new = len(self.inputs) < MAX_INPUTS
        k = self.c.integer(0, 4 if can_new else 2) if cands else 4
        if k <= 1:
            return self.c.choice(cands)
        if k == 2:
            fresh = [v for v in cands if v.uses == 0]
            return self.c.choice(fresh or cands)
        return self._new_input(() if self.scalar else self.c.choice(new_shapes))

    # --------------------------------------------------------- guards

    def _positive(self, v: _Val) -> _Val:
        """v itself if it provably lies in [SAFE_LO, POS_HI], else a guard gate (or two) on it."""
        if v.lo >= SAFE_LO and v.hi <= POS_HI:
            return v
        options = []
        shift = next((c for c in GUARD_SHIFTS if v.lo + c >= SAFE_LO and v.hi + c <= POS_HI), None)
        if shift is not None:
            options.append("shift")
        if v.lo >= -2.25 and v.hi <= math.log(POS_HI):
            options.append("exp")
        options.append("sigmoid")
        if max(v.lo * v.lo, v.hi * v.hi) + 0.5 <= POS_HI:
            options.append("square")
        kind = self.c.choice(options)
        if kind == "shift":
            return self._node("add_const", [v], {"c": shift})
        if kind == "exp":
            return self._node("exp", [v])
        return self._node("add_const", [self._node(kind, [v])], {"c": 0.5})

    def _small(self, v: _Val, bound: float = 1.0) -> _Val:
        """v if its interval lies within +-bound, else tanh of it."""
        return v if v.mag() <= bound else self._node("tanh", [v])

    def _fits(self, op: str, args: Sequence[_Val], attrs: dict[str, Any] | None = None) -> bool:
        """Would the gate stay within LIMIT? (Cheap: builds nothing.)"""
        try:
            n_values, n_nodes = len(self.values), len(self.nodes)
            self._node(op, args, attrs)
        except _Reject:
            return False
        for v in args:
            v.uses -= 1
        del self.values[n_values:], self.nodes[n_nodes:]
        return True

    # --------------------------------------------------------- the ops

    def _build_op(self, op: str) -> None:
        c = self.c
        if op in ("add", "mul", "sub", "div", "maximum", "minimum"):
            kink = op in ("maximum", "minimum")
            a = self._pick((lambda v: v.generic) if kink else (lambda v: True))
            if kink:
                pred2: Callable[[_Val], bool] = lambda v: (
                    v.generic and not (v.deps & a.deps) and _broadcastable(a.shape, v.shape)
                )
            else:
                pred2 = lambda v: _broadcastable(a.shape, v.shape)
            b = self._partner(pred2, _partner_shapes(a.shape))
            if c.boolean():
                a, b = b, a
            if op == "div":
                b = self._positive(b)
            if not self._fits(op, [a, b]):
                if kink:
                    raise _Reject
                a = self._small(a)
                if op != "div":
                    b = self._small(b)
            self._node(op, [a, b])
        elif op in ELEMENTWISE_OPS:
            kink = op in ("relu", "abs")
            a = self._pick((lambda v: v.generic) if kink else (lambda v: True))
            attrs: dict[str, Any] = {}
            if op in ("add_const", "mul_const"):
                attrs["c"] = c.choice(CONSTS)
            elif op == "pow_const":
                attrs["p"] = c.choice(POWERS)
            if _needs_positive(op, attrs):
                a = self._positive(a)
            elif op == "exp":
                a = self._small(a, EXP_BOUND)
            elif not kink and not self._fits(op, [a], attrs):
                a = self._small(a)
            self._node(op, [a], attrs)
        elif op == "matmul":
            a = self._pick(lambda v: 1 <= len(v.shape) <= 2, min_rank=1)
            if not c.boolean():  # a on the left: the partner is (k,) or (k, n)
                k = a.shape[-1]
                b = self._partner(
                    lambda v: 1 <= len(v.shape) <= 2 and v.shape[0] == k, [(k,)] + [(k, d) for d in DIMS]
                )
                args = [a, b]
            else:  # a on the right: the partner is (k,) or (m, k)
                k = a.shape[0]
                b = self._partner(
                    lambda v: 1 <= len(v.shape) <= 2 and v.shape[-1] == k, [(k,)] + [(d, k) for d in DIMS]
                )
                args = [b, a]
            if not self._fits(op, args):
                args = [self._small(v) for v in args]
            self._node(op, args)
        elif op in ("sum", "mean", "max"):
            a = self._pick((lambda v: v.generic) if op == "max" else (lambda v: True))
            r = len(a.shape)
            axis = c.choice([None, *range(r), *range(-r, 0)])
            attrs = {"axis": axis, "keepdims": c.boolean()}
            if op == "sum" and not self._fits(op, [a], attrs):
                a = self._small(a)
            self._node(op, [a], attrs)
        elif op == "transpose":
            self._node(op, [self._pick(lambda v: len(v.shape) == 2, min_rank=2)])
        elif op == "reshape":
            a = self._pick(lambda v: True)
            targets = [()] if self.scalar else _reshape_targets(a.shape)
            self._node(op, [a], {"shape": list(c.choice(targets))})
        elif op in ("svm_loss", "softmax_loss"):
            svm = op == "svm_loss"
            a = self._pick(
                lambda v: len(v.shape) == 2 and v.shape[1] >= 2 and (v.generic or not svm),
                min_rank=2,
                min_last=2,
            )
            n, classes = a.shape
            labels = [c.integer(0, classes - 1) for _ in range(n)]
            if not self._fits(op, [a], {"labels": labels}):
                if svm:
                    raise _Reject
                a = self._small(a)
            self._node(op, [a], {"labels": labels})
        else:
            raise ValueError(f"the builder has no rule for op {op!r}")

    # --------------------------------------------------------- finishing

    def _finish(self) -> dict[str, Any]:
        """Drop dead gates and unused inputs, then rename: inputs x, y, z, w; nodes n0, n1, ..."""
        # The output: the gate with the most gates behind it, the latest of those on a tie.
        best = max(range(len(self.values)), key=lambda i: (self.values[i].anc.bit_count(), i))
        output = self.values[best].name
        live = {output}
        for spec in reversed(self.nodes):
            if spec["id"] in live:
                live.update(spec["args"])
        names: dict[str, str] = {}
        for v in self.inputs:
            if v.name in live:
                names[v.name] = INPUT_NAMES[len(names)]
        inputs = {names[v.name]: list(v.shape) for v in self.inputs if v.name in names}
        nodes: list[dict[str, Any]] = []
        for spec in self.nodes:
            if spec["id"] in live:
                names[spec["id"]] = new_id = f"n{len(nodes)}"
                node: dict[str, Any] = {
                    "id": new_id,
                    "op": spec["op"],
                    "args": [names[a] for a in spec["args"]],
                }
                if "attrs" in spec:
                    node["attrs"] = spec["attrs"]
                nodes.append(node)
        return {"inputs": inputs, "nodes": nodes, "output": names[output]}


def build_graph(
    chooser: Chooser, max_nodes: int = 12, scalar: bool = False, ops: Sequence[str] | None = None
) -> dict[str, Any]:
    """Grow one graph of 1 to ``max_nodes`` gates (after dead gates are dropped, often fewer)."""
    if max_nodes < 1:
        raise ValueError(f"max_nodes must be at least 1, got {max_nodes}")
    return _Builder(chooser, max_nodes, scalar, _check_ops(ops, scalar)).build()


# ---------------------------------------------------------------- values


_BROADCAST_OPS = frozenset({"add", "sub", "mul", "div", "maximum", "minimum"})
_SAME_SHAPE_OPS = frozenset(ELEMENTWISE_OPS) - _BROADCAST_OPS


def _reduced(x: Shape, axis: int | None, keepdims: bool) -> Shape:
    if axis is None:
        return (1,) * len(x) if keepdims else ()
    axis %= len(x)
    return x[:axis] + ((1,) if keepdims else ()) + x[axis + 1 :]


def _reshaped(x: Shape, target: Sequence[int]) -> Shape:
    known = math.prod(d for d in target if d != -1)
    return tuple(_size(x) // known if d == -1 else d for d in target)


def output_shape(graph: dict[str, Any]) -> Shape:
    """The shape of a valid graph's output (the gates' shape rules without the checks: cheap)."""
    shapes: dict[str, Shape] = {k: tuple(v) for k, v in graph["inputs"].items()}
    for spec in graph["nodes"]:
        op, args, attrs = spec["op"], spec["args"], spec.get("attrs", {})
        a = shapes[args[0]]
        if op in _SAME_SHAPE_OPS:
            shape = a
        elif op in _BROADCAST_OPS:
            shape = _broadcast(a, shapes[args[1]])
        elif op in ("sum", "mean", "max"):
            shape = _reduced(a, attrs.get("axis"), attrs.get("keepdims", False))
        elif op == "matmul":
            shape = a[:-1] + shapes[args[1]][1:]
        elif op == "transpose":
            shape = (a[1], a[0])
        elif op == "reshape":
            shape = _reshaped(a, attrs["shape"])
        elif op in ("svm_loss", "softmax_loss"):
            shape = ()
        else:
            shape = tuple(GATES[op].shape(*(shapes[x] for x in args), **attrs))
        shapes[spec["id"]] = shape
    return shapes[graph["output"]]


def _nest(flat: list[float], shape: Shape) -> Any:
    """A flat list as nested lists of ``shape`` (a bare float for shape ())."""
    if not shape:
        return flat[0]
    if len(shape) == 1:
        return flat
    step = len(flat) // shape[0]
    return [_nest(flat[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0])]


def _signed(rng: np.random.Generator, size: int, magnitude: tuple[float, float], dtype: str) -> list[float]:
    """``size`` floats with |v| uniform in ``magnitude`` and random signs, rounded to ``dtype``."""
    u = rng.random(2 * size)
    v = magnitude[0] + (magnitude[1] - magnitude[0]) * u[:size]
    v[u[size:] < 0.5] *= -1
    return (v.astype(np.float32) if dtype == "float32" else v).tolist()


def _check_dtype(dtype: str) -> str:
    if dtype not in ("float32", "float64"):
        raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    return dtype


def _split(graph: dict[str, Any], flat: list[float]) -> dict[str, Any]:
    values, start = {}, 0
    for name, shape in graph["inputs"].items():
        end = start + _size(tuple(shape))
        values[name] = _nest(flat[start:end], tuple(shape))
        start = end
    return values


def _n_values(graph: dict[str, Any]) -> int:
    return sum(_size(tuple(s)) for s in graph["inputs"].values())


def random_values(graph: dict[str, Any], rng: np.random.Generator, dtype: str = "float64") -> dict[str, Any]:
    """Default-mode values: |v| uniform in VALUE_MAGNITUDE, random signs (no zeros, no ties)."""
    return _split(graph, _signed(rng, _n_values(graph), VALUE_MAGNITUDE, _check_dtype(dtype)))


def lattice_values(graph: dict[str, Any], chooser: Chooser) -> dict[str, Any]:
    """Edge-mode values: every element from LATTICE, so kinks are hit on purpose."""
    return _split(graph, [chooser.choice(LATTICE) for _ in range(_n_values(graph))])


def random_cotangent(graph: dict[str, Any], rng: np.random.Generator, dtype: str = "float64") -> Any:
    """An upstream gradient of the output's shape: random signs and magnitudes, never 0."""
    shape = output_shape(graph)
    return _nest(_signed(rng, _size(shape), COTANGENT_MAGNITUDE, _check_dtype(dtype)), shape)


# ---------------------------------------------------------------- campaigns


def campaign_graph(
    seed: int, index: int, max_nodes: int = 12, *, scalar: bool = False, ops: Sequence[str] | None = None
) -> dict[str, Any]:
    """Graph number ``index`` of campaign ``seed``: the same on every machine and every run."""
    rng = np.random.default_rng([seed, index, _GRAPH_STREAM])
    return build_graph(NumpyChooser(rng), max_nodes, scalar, ops)


def campaign_inputs(
    graph: dict[str, Any], seed: int, index: int, input_index: int, dtype: str = "float64", edge: bool = False
) -> tuple[dict[str, Any], Any]:
    """Input values and cotangent number ``input_index`` for graph ``index`` of campaign ``seed``."""
    _check_dtype(dtype)
    rng = np.random.default_rng([seed, index, _INPUT_STREAM, input_index])
    if edge:
        picks = (rng.random(_n_values(graph)) * len(LATTICE)).tolist()
        values = _split(graph, [LATTICE[min(int(u), len(LATTICE) - 1)] for u in picks])
    else:
        values = random_values(graph, rng, dtype)
    return values, random_cotangent(graph, rng, dtype)


# ---------------------------------------------------------------- Hypothesis


def graphs(
    max_nodes: int = 12, scalar: bool = False, ops: Sequence[str] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """Graphs that shrink to tiny ones; ``scalar=True``: every shape is (); ``ops``: the vocabulary."""
    if max_nodes < 1:
        raise ValueError(f"max_nodes must be at least 1, got {max_nodes}")
    checked = _check_ops(ops, scalar)

    @st.composite
    def strategy(draw: st.DrawFn) -> dict[str, Any]:
        return _Builder(HypothesisChooser(draw), max_nodes, scalar, checked).build()

    return strategy()


def cases(
    max_nodes: int = 12,
    dtype: str = "float64",
    edge: bool = False,
    scalar: bool = False,
    ops: Sequence[str] | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """Whole cases: ``{"graph", "values", "cotangent", "dtype"}``."""
    _check_dtype(dtype)
    graph_strategy = graphs(max_nodes, scalar, ops)

    @st.composite
    def strategy(draw: st.DrawFn) -> dict[str, Any]:
        graph = draw(graph_strategy)
        # Default-mode values come from a numpy Generator seeded by one drawn integer, not
        # from st.floats: Hypothesis's float strategy deliberately hunts simple values (0.0,
        # 1.0, 0.5, repeated values), which would put inputs on kinks and ties by accident.
        # Edge mode wants exactly that, so its values are drawn (and shrink) on the lattice.
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        values = lattice_values(graph, HypothesisChooser(draw)) if edge else random_values(graph, rng, dtype)
        return {
            "graph": graph,
            "values": values,
            "cotangent": random_cotangent(graph, rng, dtype),
            "dtype": dtype,
        }

    return strategy()
