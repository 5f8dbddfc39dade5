"""Non-differentiable points: for each gate that has them, how many elements sit exactly on one.

At such a point the engine and JAX may pick different subgradients and both be right,
so a disagreement there is a ``kink``, not a ``mismatch`` (``oracle.campaign.judge`` decides).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from reference import Graph


def _ties(x: np.ndarray, y: np.ndarray) -> int:
    return int(np.count_nonzero(x == y))  # broadcasts like the gate does


def _zeros(x: np.ndarray) -> int:
    return int(np.count_nonzero(x == 0))


def _max_ties(x: np.ndarray, axis: int | None = None, keepdims: bool = False) -> int:
    """Elements equal to their slice's maximum, beyond the one winner each slice needs."""
    winners = np.count_nonzero(x == x.max(axis=axis, keepdims=True))
    return int(winners - (1 if axis is None else x.size // x.shape[axis]))


def _zero_margins(scores: np.ndarray, labels: Sequence[int]) -> int:
    rows, y = np.arange(scores.shape[0]), np.asarray(labels)
    margins = scores - scores[rows, y][:, None] + 1
    margins[rows, y] = 1  # the correct class has no margin
    return _zeros(margins)


KINKS: dict[str, Callable[..., int]] = {
    "maximum": _ties,
    "minimum": _ties,
    "relu": _zeros,
    "abs": _zeros,
    "max": _max_ties,
    "svm_loss": _zero_margins,
}


def live_nodes(graph: Graph) -> set[str]:
    """Nodes the output depends on."""
    live = {graph.output}
    for node in reversed(graph.nodes):
        if node.id in live:
            live.update(node.args)
    return live


def kink_counts(graph: Graph, values: Mapping[str, Any]) -> dict[str, int]:
    """For every live node whose gate has kinks: how many elements sit on one (from forward values)."""
    live = live_nodes(graph)
    return {
        node.id: KINKS[node.gate.name](*(values[a] for a in node.args), **node.attrs)
        for node in graph.nodes
        if node.gate.name in KINKS and node.id in live
    }
