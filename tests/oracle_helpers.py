"""Small builders shared by the oracle tests."""

from __future__ import annotations

import dataclasses
from typing import Any

from reference.gates import GATES, Gate


def chain(inputs: dict[str, list[int]], *nodes: tuple[str, str, list[str], dict[str, Any]]) -> dict[str, Any]:
    """A graph from (id, op, args, attrs) tuples; the last node is the output."""
    return {
        "inputs": inputs,
        "nodes": [{"id": i, "op": op, "args": args, "attrs": attrs} for i, op, args, attrs in nodes],
        "output": nodes[-1][0],
    }


def broken(op: str, forward: Any) -> Gate:
    """The gate ``op`` with another forward (and so another backward): a bug to be caught."""
    return dataclasses.replace(GATES[op], forward=forward)
