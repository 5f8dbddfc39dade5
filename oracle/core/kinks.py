"""Non-differentiable points in a graph: for each live gate that has them, how many elements sit on one.

At such a point the engine and JAX may pick different subgradients and both be right,
so a disagreement there is a ``kink``, not a ``mismatch`` (``oracle.campaign.judge`` decides).
Where an op's kinks are is declared with the op (``oracle.ops``: ``Op.kinks``, a mask per
input); a gate's count is the number of its input elements those masks mark.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from oracle.ops import REGISTRY, kink_count
from reference import Graph


def live_nodes(graph: Graph) -> set[str]:
    """Nodes the output depends on."""
    live = {graph.output}
    for node in reversed(graph.nodes):
        if node.id in live:
            live.update(node.args)
    return live


def kink_counts(graph: Graph, values: Mapping[str, Any]) -> dict[str, int]:
    """For every live node whose op has kinks: how many of its input elements sit on one.

    ``values`` maps input and node names to their forward values (the engine's ``node_values``).
    """
    live = live_nodes(graph)
    return {
        node.id: kink_count(node.gate.name, *(values[a] for a in node.args), **node.attrs)
        for node in graph.nodes
        if node.id in live and REGISTRY[node.gate.name].kinks is not None
    }
