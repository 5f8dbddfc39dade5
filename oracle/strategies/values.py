"""Input values and cotangents for a graph, and the shape of its output. Three value modes (``MODES``):

- ``default``: continuous and tie-free: magnitudes uniform in ``VALUE_MAGNITUDE`` = [0.1, 2]
  with random signs, so no kink is hit (the builder keeps it so inside the graph: see
  ``builder``);
- ``edge``: aimed at the kinks: every input element is drawn from ``LATTICE`` (with the
  chooser, so Hypothesis shrinks it), so ties, zeros at ``relu``/``abs`` and svm margins of
  exactly 0 occur often. Same graphs as default: the guards still keep ``log``/``sqrt``/
  ``div`` safe, since the lattice lies in the builder's ``INPUT_RANGE``;
- ``wide``: magnitudes log-uniform in ``WIDE_MAGNITUDE`` = [1e-4, 100] with random signs, in
  graphs built for them (``guards.WIDE``), so every gate sees arguments from its whole safe
  domain: tanh and sigmoid deep in saturation, exp from near underflow to 4.4e5, log and
  divisors from 1e-6 to 1e5. Tie-free like default values. A bug that only shows on tiny
  or huge values (a clamp, an epsilon, a cut-off in saturation) shows here.

Cotangents are random, never 0 and never all ones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from oracle.strategies.choosers import Chooser
from oracle.strategies.vocab import Shape, size
from reference import check_graph

LATTICE = (0.0, 1.0, -1.0, 0.5, -0.5)  # edge-mode values, simplest first
VALUE_MAGNITUDE = (0.1, 2.0)  # default-mode values: |v| uniform in this range, random sign
WIDE_MAGNITUDE = (1e-4, 100.0)  # wide-mode values: log10 |v| uniform in this range, random sign
MODES = ("default", "edge", "wide")
COTANGENT_MAGNITUDE = (0.5, 1.5)  # cotangents: likewise (never 0, never all ones)


def output_shape(graph: dict[str, Any]) -> Shape:
    """The shape of a valid graph's output: the engine's own shape rules, through its own checker
    (``check_graph``, which also fills in default attributes)."""
    return tuple(check_graph(graph).shape_of(graph["output"]))


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


def log_signed(rng: np.random.Generator, n: int, magnitude: tuple[float, float], dtype: str) -> list[float]:
    """``n`` floats with log10 |v| uniform in log10 ``magnitude`` and random signs, rounded to ``dtype``."""
    u = rng.random(2 * n)
    lo, hi = math.log10(magnitude[0]), math.log10(magnitude[1])
    v = 10.0 ** (lo + (hi - lo) * u[:n])
    v[u[n:] < 0.5] *= -1
    return (v.astype(np.float32) if dtype == "float32" else v).tolist()


def check_mode(mode: str | None, edge: bool = False) -> str:
    """The value mode: ``mode``, or ``edge`` / ``default`` from the older ``edge`` flag."""
    if mode is None:
        return "edge" if edge else "default"
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if edge and mode != "edge":
        raise ValueError(f"edge=True contradicts mode={mode!r}")
    return mode


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


def wide_values(graph: dict[str, Any], rng: np.random.Generator, dtype: str = "float64") -> dict[str, Any]:
    """Wide-mode values: log10 |v| uniform in log10 WIDE_MAGNITUDE, random signs (for wide graphs)."""
    return split(graph, log_signed(rng, n_values(graph), WIDE_MAGNITUDE, check_dtype(dtype)))


def lattice_values(graph: dict[str, Any], chooser: Chooser) -> dict[str, Any]:
    """Edge-mode values: every element from LATTICE, so kinks are hit on purpose."""
    return split(graph, [chooser.choice(LATTICE) for _ in range(n_values(graph))])


def random_cotangent(graph: dict[str, Any], rng: np.random.Generator, dtype: str = "float64") -> Any:
    """An upstream gradient of the output's shape: random signs and magnitudes, never 0."""
    shape = output_shape(graph)
    return nest(signed(rng, size(shape), COTANGENT_MAGNITUDE, check_dtype(dtype)), shape)
