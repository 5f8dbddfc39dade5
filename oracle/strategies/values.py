"""Input values and cotangents for a graph, and the shape of its output.

Default values are continuous and tie-free: magnitudes uniform in ``VALUE_MAGNITUDE`` =
[0.1, 2] with random signs, so no kink is hit (the builder keeps it so inside the graph:
see ``builder``). Edge values aim at the kinks instead: every input element is drawn from
``LATTICE`` (with the chooser, so Hypothesis shrinks it), so ties, zeros at ``relu``/``abs``
and svm margins of exactly 0 occur often. The guards still keep ``log``/``sqrt``/``div``
safe, since the lattice lies in the builder's ``INPUT_RANGE``. Cotangents are random, never
0 and never all ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from oracle.strategies.choosers import Chooser
from oracle.strategies.vocab import Shape, size
from reference.gates import GATES, REQUIRED

LATTICE = (0.0, 1.0, -1.0, 0.5, -0.5)  # edge-mode values, simplest first
VALUE_MAGNITUDE = (0.1, 2.0)  # default-mode values: |v| uniform in this range, random sign
COTANGENT_MAGNITUDE = (0.5, 1.5)  # cotangents: likewise (never 0, never all ones)


def output_shape(graph: dict[str, Any]) -> Shape:
    """The shape of a valid graph's output, by the engine's own shape rules (``GATES[op].shape``)."""
    shapes: dict[str, Shape] = {k: tuple(v) for k, v in graph["inputs"].items()}
    for spec in graph["nodes"]:
        gate = GATES[spec["op"]]
        attrs = {k: v for k, v in gate.attrs.items() if v is not REQUIRED}
        attrs.update(spec.get("attrs") or {})
        shapes[spec["id"]] = tuple(gate.shape(*(shapes[a] for a in spec["args"]), **attrs))
    return shapes[graph["output"]]


def nest(flat: list[float], shape: Shape) -> Any:
    """A flat list as nested lists of ``shape`` (a bare float for shape ())."""
    if not shape:
        return flat[0]
    if len(shape) == 1:
        return flat
    step = len(flat) // shape[0]
    return [nest(flat[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0])]


def signed(rng: np.random.Generator, n: int, magnitude: tuple[float, float], dtype: str) -> list[float]:
    """``n`` floats with |v| uniform in ``magnitude`` and random signs, rounded to ``dtype``."""
    u = rng.random(2 * n)
    v = magnitude[0] + (magnitude[1] - magnitude[0]) * u[:n]
    v[u[n:] < 0.5] *= -1
    return (v.astype(np.float32) if dtype == "float32" else v).tolist()


def check_dtype(dtype: str) -> str:
    if dtype not in ("float32", "float64"):
        raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    return dtype


def split(graph: dict[str, Any], flat: Sequence[float]) -> dict[str, Any]:
    """Flat values, one input after another in the graph's order, as nested lists per input."""
    values, start = {}, 0
    for name, shape in graph["inputs"].items():
        end = start + size(tuple(shape))
        values[name] = nest(list(flat[start:end]), tuple(shape))
        start = end
    return values


def n_values(graph: dict[str, Any]) -> int:
    return sum(size(tuple(s)) for s in graph["inputs"].values())


def random_values(graph: dict[str, Any], rng: np.random.Generator, dtype: str = "float64") -> dict[str, Any]:
    """Default-mode values: |v| uniform in VALUE_MAGNITUDE, random signs (no zeros, no ties)."""
    return split(graph, signed(rng, n_values(graph), VALUE_MAGNITUDE, check_dtype(dtype)))


def lattice_values(graph: dict[str, Any], chooser: Chooser) -> dict[str, Any]:
    """Edge-mode values: every element from LATTICE, so kinks are hit on purpose."""
    return split(graph, [chooser.choice(LATTICE) for _ in range(n_values(graph))])


def random_cotangent(graph: dict[str, Any], rng: np.random.Generator, dtype: str = "float64") -> Any:
    """An upstream gradient of the output's shape: random signs and magnitudes, never 0."""
    shape = output_shape(graph)
    return nest(signed(rng, size(shape), COTANGENT_MAGNITUDE, check_dtype(dtype)), shape)
