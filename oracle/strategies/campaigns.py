"""Campaign graphs and inputs: deterministic from ``(seed, index)`` on any machine."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from oracle.strategies.builder import build_graph
from oracle.strategies.choosers import NumpyChooser
from oracle.strategies.values import LATTICE, check_dtype, n_values, random_cotangent, random_values, split

_GRAPH_STREAM = 0x67726170  # domain tags, so graph and input streams never coincide
_INPUT_STREAM = 0x696E7075


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
    check_dtype(dtype)
    rng = np.random.default_rng([seed, index, _INPUT_STREAM, input_index])
    if edge:
        picks = (rng.random(n_values(graph)) * len(LATTICE)).tolist()
        values = split(graph, [LATTICE[min(int(u), len(LATTICE) - 1)] for u in picks])
    else:
        values = random_values(graph, rng, dtype)
    return values, random_cotangent(graph, rng, dtype)
