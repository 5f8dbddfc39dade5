"""Hypothesis strategies: random graphs and cases that shrink to tiny ones."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st

from oracle.strategies.builder import _Builder
from oracle.strategies.campaigns import graph_mode
from oracle.strategies.choosers import HypothesisChooser
from oracle.strategies.values import (
    check_dtype,
    check_mode,
    lattice_values,
    random_cotangent,
    random_values,
    wide_values,
)
from oracle.strategies.vocab import check_ops


def graphs(
    max_nodes: int = 12, scalar: bool = False, ops: Sequence[str] | None = None, *, mode: str = "default"
) -> st.SearchStrategy[dict[str, Any]]:
    """Graphs that shrink to tiny ones; ``scalar=True``: every shape is (); ``ops``: the vocabulary;
    ``mode="wide"``: built for wide values."""
    if max_nodes < 1:
        raise ValueError(f"max_nodes must be at least 1, got {max_nodes}")
    checked = check_ops(ops, scalar)
    built_for = graph_mode(mode)

    @st.composite
    def strategy(draw: st.DrawFn) -> dict[str, Any]:
        return _Builder(HypothesisChooser(draw), max_nodes, scalar, checked, built_for).build()

    return strategy()


def cases(
    max_nodes: int = 12,
    dtype: str = "float64",
    edge: bool = False,
    scalar: bool = False,
    ops: Sequence[str] | None = None,
    *,
    mode: str | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """Whole cases: ``{"graph", "values", "cotangent", "dtype"}``; ``mode``: ``"default"``,
    ``"edge"`` (the same as ``edge=True``) or ``"wide"``."""
    check_dtype(dtype)
    mode = check_mode(mode, edge)
    graph_strategy = graphs(max_nodes, scalar, ops, mode=mode)

    @st.composite
    def strategy(draw: st.DrawFn) -> dict[str, Any]:
        graph = draw(graph_strategy)
        # Default-mode values come from a numpy Generator seeded by one drawn integer, not
        # from st.floats: Hypothesis's float strategy deliberately hunts simple values (0.0,
        # 1.0, 0.5, repeated values), which would put inputs on kinks and ties by accident.
        # Edge mode wants exactly that, so its values are drawn (and shrink) on the lattice.
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        if mode == "edge":
            values = lattice_values(graph, HypothesisChooser(draw))
        else:
            values = (wide_values if mode == "wide" else random_values)(graph, rng, dtype)
        return {
            "graph": graph,
            "values": values,
            "cotangent": random_cotangent(graph, rng, dtype),
            "dtype": dtype,
        }

    return strategy()
