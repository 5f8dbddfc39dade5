"""Campaign graphs and inputs: deterministic from ``(seed, index)`` on any machine."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from oracle.strategies.builder import build_graph
from oracle.strategies.certificates import certify
from oracle.strategies.choosers import NumpyChooser
from oracle.strategies.guards import DEFAULT, WIDE, Mode
from oracle.strategies.values import (
    LATTICE,
    check_dtype,
    check_mode,
    n_values,
    random_cotangent,
    random_values,
    split,
    wide_values,
)

_GRAPH_STREAM = 0x67726170  # domain tags, so graph and input streams never coincide
_INPUT_STREAM = 0x696E7075


def graph_mode(mode: str) -> Mode:
    """The ranges graphs are built for, for values of ``mode``: edge values share default graphs."""
    return WIDE if check_mode(mode) == "wide" else DEFAULT


def campaign_graph(
    seed: int,
    index: int,
    max_nodes: int = 12,
    *,
    scalar: bool = False,
    ops: Sequence[str] | None = None,
    mode: str = "default",
) -> dict[str, Any]:
    """Graph number ``index`` of campaign ``seed``: the same on every machine and every run.

    ``mode="wide"`` builds it for wide values (pass the same mode to ``campaign_inputs``);
    ``"default"`` and ``"edge"`` give the same graph.
    """
    rng = np.random.default_rng([seed, index, _GRAPH_STREAM])
    return build_graph(NumpyChooser(rng), max_nodes, scalar, ops, graph_mode(mode))


def campaign_inputs(
    graph: dict[str, Any],
    seed: int,
    index: int,
    input_index: int,
    dtype: str = "float64",
    edge: bool = False,
    *,
    mode: str | None = None,
) -> tuple[dict[str, Any], Any]:
    """Input values and cotangent number ``input_index`` for graph ``index`` of campaign ``seed``.

    ``mode``: ``"default"``, ``"edge"`` (the same as ``edge=True``) or ``"wide"``; wide values
    need a graph built for them (``campaign_graph(..., mode="wide")``), else ValueError.
    """
    check_dtype(dtype)
    mode = check_mode(mode, edge)
    rng = np.random.default_rng([seed, index, _INPUT_STREAM, input_index])
    if mode == "edge":
        picks = (rng.random(n_values(graph)) * len(LATTICE)).tolist()
        values = split(graph, [LATTICE[min(int(u), len(LATTICE) - 1)] for u in picks])
    elif mode == "wide":
        problem = certify(graph, WIDE)
        if problem:
            raise ValueError(f"wide values are not safe in this graph (build it with mode='wide'): {problem}")
        values = wide_values(graph, rng, dtype)
    else:
        values = random_values(graph, rng, dtype)
    return values, random_cotangent(graph, rng, dtype)
