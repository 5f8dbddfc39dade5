"""The graph builder: generic machinery that grows a graph gate by gate, asking a chooser.

How a graph grows: one input of a drawn shape, then steps until a stop decision (odds
1 in ``STOP_ODDS`` + 1 after each step) or until ``max_nodes`` gates. A step picks an op,
then its arguments and attributes by the op's draw rules (``Op.args``, ``Op.attrs`` in
``oracle.ops``): the first argument is mostly the latest value not yet used (a chain),
sometimes any value (fan-out); an op that does not fit the latest unused value is mostly
declined (it would leave that value dead). A second argument is any existing value of a
fitting shape (fan-out, including reconvergent paths), an unused one (joins a dangling
branch), or a new input of a fitting shape (up to 4 inputs): so broadcasting pairs ((m,1)
with (1,n), (m,n) with (n,), scalars with anything) and matmul partners ((k,) or (k,n) after
(m,k)) always exist. Then the arguments are guarded (``guards``) and the gate is added, its
shape by the engine's own rule (``reference.gates.GATES[op].shape``), its interval by the
op's. The output is the gate with the most gates behind it; gates off its paths and unused
inputs are dropped, then everything is renamed: inputs x, y, z, w in order of creation,
gates n0, n1, ... in topological order.

Genericity. Default values are continuous and tie-free, and that must also hold *inside*
the graph: a kink (``relu``/``abs`` at 0, a tie of ``maximum``/``minimum``/``max``, an
``svm_loss`` margin of exactly 0) must not be hit with probability > 0. So every value also
carries the set of inputs it depends on and a flag ``generic``: it has no exact zeros, no
two of its elements are equal, and it is not constant on any region of input space.
``relu`` and ``svm_loss`` outputs are not generic (flat regions), nor is a gate combining
two values that share an input (``x - x``, ``A * A.T``), nor ``maximum``/``minimum`` with
broadcasting (repeated winners), nor ``tanh``/``sigmoid`` where they may saturate (each
op's ``Op.generic``). The kink gates take only generic arguments, and ``maximum``/``minimum``
only two arguments with disjoint inputs (``oracle.ops.draw``). Fan-out is free everywhere else.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, cast

from oracle.ops import REGISTRY, Reject
from oracle.strategies import guards
from oracle.strategies.certificates import certify
from oracle.strategies.choosers import Chooser
from oracle.strategies.guards import DEFAULT, Mode
from oracle.strategies.vocab import (
    DIMS,
    INPUT_NAMES,
    MAX_INPUTS,
    STOP_ODDS,
    Shape,
    check_ops,
    partner_shapes,
    reshape_targets,
)
from reference.gates import GATES

ATTEMPTS = 100  # a wide graph whose gradients cannot be bounded is drawn again, at most this often


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


class _Builder:
    dims: tuple[int, ...] = DIMS

    def __init__(
        self, chooser: Chooser, max_nodes: int, scalar: bool, ops: tuple[str, ...], mode: Mode = DEFAULT
    ) -> None:
        self.c = chooser
        self.mode = mode
        self.max_nodes = max_nodes
        self.scalar = scalar
        self.ops = ops
        self.values: list[_Val] = []
        self.nodes: list[dict[str, Any]] = []
        self.inputs: list[_Val] = []
        self._alternatives = False  # may the current op be declined in favour of another?
        self._layer = False  # has the graph a layer yet?

    # --------------------------------------------------------- growing

    def build(self) -> dict[str, Any]:
        """A graph; in a mode with a gradient limit, one whose certificate holds (drawn again if not)."""
        for _ in range(ATTEMPTS):
            graph = self._grow()
            if self.mode.gradient_limit == math.inf or not certify(graph, self.mode):
                return graph
            self.values, self.nodes, self.inputs = [], [], []
        raise ValueError(f"no graph of {self.mode.name} mode certified in {ATTEMPTS} attempts")

    def _grow(self) -> dict[str, Any]:
        # Each step adds one gate (and its guards); before every step but the first, a stop
        # decision (simplest: stop). A step's draws form one group, so Hypothesis can delete
        # whole steps when it shrinks. Gates off the output's paths are dropped at the end.
        self._layer = False
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
        # One layer per graph: a layer brings shapes of its own (images, filters, lookups), each
        # compiled anew by eager JAX for every primitive that follows; two layers in a graph
        # multiply them. The default campaign with an empty JAX cache, 2 workers, measured
        # on one machine in one hour: 106 s with layers anywhere, 100 s with one per graph,
        # 87 s when joins also stay small (oracle.ops.sequence); 72 s before the layers.
        ops = list(self.ops)
        while ops:
            op = self.c.choice(ops)
            if self._layer and REGISTRY[op].layer:  # declined like an op that does not fit, so
                ops.remove(op)  # a choice means the same op whatever the graph holds (shrinking)
                continue
            self._alternatives = len(ops) > 1
            saved = (len(self.values), len(self.nodes), len(self.inputs), [v.uses for v in self.values])
            try:
                self._build_op(op)
                if len(self.nodes) <= self.max_nodes:
                    self._layer |= REGISTRY[op].layer
                    return True
            except Reject:
                pass
            n_values, n_nodes, n_inputs, uses = saved
            del self.values[n_values:], self.nodes[n_nodes:], self.inputs[n_inputs:]
            for v, u in zip(self.values, uses, strict=True):
                v.uses = u
            ops.remove(op)
        return False

    def _build_op(self, name: str) -> None:
        """One gate of op ``name``: its draw rules pick the arguments and attributes, then guards."""
        op = REGISTRY[name]
        args = cast(list[_Val], op.args(self, op))
        attrs = op.attrs(self, args)
        self.node(name, guards.guarded(self, op, args, attrs), attrs)

    def _fresh_shape(self, min_rank: int = 0, min_last: int = 1) -> Shape:
        if self.scalar:
            return ()
        rank = self.c.integer(min_rank, 2)
        dims = [self.c.integer(1, DIMS[-1]) for _ in range(rank - 1)]
        return (*dims, self.c.integer(min_last, DIMS[-1])) if rank else ()

    def _new_input(self, shape: Shape) -> _Val:
        if len(self.inputs) >= MAX_INPUTS:
            raise Reject
        i = len(self.inputs)
        lo, hi = self.mode.input_range
        v = _Val(f"in{i}", shape, lo, hi, generic=True, deps=1 << i)
        self.inputs.append(v)
        self.values.append(v)
        return v

    def node(self, op: str, args: Sequence[Any], attrs: dict[str, Any] | None = None) -> _Val:
        """Append a gate; its shape (the engine's rule), interval and genericity follow from its args."""
        attrs = attrs or {}
        declared = REGISTRY[op]
        generic = all(v.generic for v in args)
        deps = 0
        for v in args:
            if deps & v.deps:
                generic = False  # two arguments share an input: x - x, A * A.T
            deps |= v.deps
        shape = tuple(GATES[op].shape(*(v.shape for v in args), **attrs))
        lo, hi = declared.interval(args, attrs)
        if generic and not declared.generic(args, shape):
            generic = False
        if max(-lo, hi) > self.mode.limit:
            raise Reject
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

    def pick(self, pred: Callable[[_Val], bool], min_rank: int = 0, min_last: int = 1) -> _Val:
        """A first argument: mostly the latest unused value (a chain), sometimes any (fan-out)."""
        latest = self.values[-1]
        if self._alternatives and latest.uses == 0 and not pred(latest) and self.c.integer(0, 3) > 0:
            raise Reject  # mostly decline an op that does not fit the latest value (it would go dead)
        cands = [v for v in reversed(self.values) if pred(v)]
        if not cands:
            return self._new_input(self._fresh_shape(min_rank, min_last))
        fresh = [v for v in cands if v.uses == 0]
        if fresh and (len(cands) == 1 or self.c.integer(0, 3) < 3):
            return fresh[0]
        return self.c.choice(cands)

    def partner(self, pred: Callable[[_Val], bool], new_shapes: Sequence[Shape]) -> _Val:
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

    def broadcast_partners(self, shape: Shape) -> Sequence[Shape]:
        return partner_shapes(shape)

    def reshape_targets(self, shape: Shape) -> Sequence[Sequence[int]]:
        return reshape_targets(shape)

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
    chooser: Chooser,
    max_nodes: int = 12,
    scalar: bool = False,
    ops: Sequence[str] | None = None,
    mode: Mode = DEFAULT,
) -> dict[str, Any]:
    """Grow one graph of 1 to ``max_nodes`` gates (after dead gates are dropped, often fewer),
    safe for values of ``mode`` (``guards.DEFAULT``, which edge values share, or ``guards.WIDE``)."""
    if max_nodes < 1:
        raise ValueError(f"max_nodes must be at least 1, got {max_nodes}")
    return _Builder(chooser, max_nodes, scalar, check_ops(ops, scalar), mode).build()
