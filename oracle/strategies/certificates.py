"""Certificates: a graph's safety for a mode, re-derived from its JSON alone.

``bounds(graph, mode)`` runs the ops' interval rules over the graph as the builder did;
``certify(graph, mode)`` checks with them that every argument lies in its op's domain and
every interval within the mode's limit, and, in a mode with a ``gradient_limit`` (wide),
bounds every gradient of the backward pass by the ops' slopes (``Op.slope``): a cotangent
of at most ``COTANGENT_MAGNITUDE`` reaches an argument multiplied by at most its slope,
and gradients meeting at a value add. The builder draws a wide graph again when its
certificate fails; ``campaign_inputs`` refuses wide values for a graph without one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from oracle.ops import REGISTRY, Domain
from oracle.ops.base import Interval
from oracle.strategies.guards import Mode
from oracle.strategies.values import COTANGENT_MAGNITUDE
from reference import check_graph


@dataclass
class _Span:
    shape: tuple[int, ...]
    lo: float
    hi: float
    generic: bool = True
    deps: int = 0

    def mag(self) -> float:
        return max(-self.lo, self.hi)


def domain_interval(domain: Domain, mode: Mode) -> Interval | None:
    """Where an argument of this domain must lie in this mode (None: anywhere)."""
    if domain.positive:
        return (domain.wide or mode.positive) if mode.wide else mode.positive
    if domain.bound is not None:
        return (domain.wide if mode.wide else None) or (-domain.bound, domain.bound)
    return None


class Unsafe(ValueError):
    """Values of the mode are not provably safe in the graph."""


def bounds(graph: Mapping[str, Any], mode: Mode) -> dict[str, _Span]:
    """Every input's and node's interval (and shape), by the ops' interval rules, for values of
    ``mode``; ``Unsafe`` names the first argument outside its domain or value beyond the limit."""
    checked = check_graph(graph)
    lo, hi = mode.input_range
    spans = {name: _Span(shape, lo, hi) for name, shape in checked.inputs.items()}
    for node in checked.nodes:
        op = REGISTRY[node.gate.name]
        for arg, domain in zip(node.args, op.domains_for(node.attrs), strict=True):
            need = domain_interval(domain, mode)
            if need is not None and not (need[0] <= spans[arg].lo and spans[arg].hi <= need[1]):
                where = f"[{spans[arg].lo:.3g}, {spans[arg].hi:.3g}]"
                raise Unsafe(f"{node.id} ({op.name}): {arg} in {where}, not in {list(need)}")
        out = spans[node.id] = _Span(node.shape, *op.interval([spans[a] for a in node.args], node.attrs))
        if out.mag() > mode.limit:
            raise Unsafe(f"{node.id} ({op.name}): [{out.lo:.3g}, {out.hi:.3g}] exceeds {mode.limit:g}")
    return spans


def certify(graph: Mapping[str, Any], mode: Mode) -> str:
    """'' if every value of ``mode`` is safe in ``graph`` (every argument provably in its op's
    domain, every interval within the mode's limit, every gradient of the backward pass within
    its ``gradient_limit`` for cotangents up to ``COTANGENT_MAGNITUDE``), else what is not."""
    checked = check_graph(graph)
    try:
        spans = bounds(graph, mode)
    except Unsafe as exc:
        return str(exc)
    if mode.gradient_limit == math.inf:
        return ""
    # Backward: a bound on every element of every gradient, from the ops' slopes.
    grads = {checked.output: COTANGENT_MAGNITUDE[1]}
    for node in reversed(checked.nodes):
        if node.id not in grads:
            continue  # off the output's paths
        op = REGISTRY[node.gate.name]
        if op.slope is None:
            return f"{node.id} ({op.name}): the op declares no slope, so its gradients are unbounded"
        slopes = op.slope([spans[a] for a in node.args], node.attrs, node.shape)
        for arg_id, slope in zip(node.args, slopes, strict=True):
            grads[arg_id] = grads.get(arg_id, 0.0) + slope * grads[node.id]
    name, worst = max(grads.items(), key=lambda item: item[1])
    if worst > mode.gradient_limit:
        return f"the gradient of {name} may reach {worst:.3g}, beyond {mode.gradient_limit:g}"
    return ""
