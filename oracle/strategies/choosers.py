"""Choosers: every random decision the graph builder makes, from one of two sources.

The builder asks a chooser for every decision (``integer``, ``choice``, ``boolean``, and
``group`` to mark the decisions of one step). Two choosers drive the same builder:

- ``NumpyChooser``, backed by a ``numpy.random.Generator``: campaigns
  (``campaign_graph``, ``campaign_inputs``), deterministic from ``(seed, index)`` on
  any machine (``default_rng([seed, index, tag])``; only ``Generator.random`` doubles
  are consumed; nothing depends on Python's ``hash`` or set order);
- ``HypothesisChooser``, backed by Hypothesis's ``draw``: the strategies ``graphs`` and
  ``cases``, so a failing graph shrinks. Hypothesis shrinks integers towards the low end
  and choices towards the first element, so every choice lists the simplest option
  first: stop before growing on, fewer inputs, scalars before vectors before matrices,
  small dimensions, the simple ops (``OPS`` order) before matmul and the losses, the
  latest value before older ones. Each step is one group of draws, which Hypothesis can
  delete whole. A failure shrinks to a tiny chain (often a single gate).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

import numpy as np
from hypothesis import strategies as st

T = TypeVar("T")


class Chooser(Protocol):
    """Every random decision the builder makes."""

    def integer(self, lo: int, hi: int) -> int:
        """An integer in [lo, hi]; lo is the simplest."""
        ...

    def choice(self, seq: Sequence[T]) -> T:
        """An element of seq; the first is the simplest."""
        ...

    def boolean(self) -> bool:
        """False is the simplest."""
        ...

    def group(self, step: Callable[[], T]) -> T:
        """Run ``step``, whose decisions belong together (Hypothesis deletes them as one)."""
        ...


class NumpyChooser:
    """Decisions from a ``numpy.random.Generator``, consuming only its ``random()`` doubles."""

    __slots__ = ("_buf", "_i", "rng")

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self._buf: list[float] = []
        self._i = 0

    def _u(self) -> float:
        if self._i == len(self._buf):
            self._buf = self.rng.random(64).tolist()
            self._i = 0
        u = self._buf[self._i]
        self._i += 1
        return u

    def integer(self, lo: int, hi: int) -> int:
        if hi <= lo:
            return lo
        return min(lo + int(self._u() * (hi - lo + 1)), hi)

    def choice(self, seq: Sequence[T]) -> T:
        return seq[self.integer(0, len(seq) - 1)]

    def boolean(self) -> bool:
        return self._u() < 0.5

    def group(self, step: Callable[[], T]) -> T:
        return step()


class HypothesisChooser:
    """Decisions drawn by Hypothesis, so they shrink (integers to lo, choices to the first)."""

    __slots__ = ("_draw",)

    def __init__(self, draw: st.DrawFn) -> None:
        self._draw = draw

    def integer(self, lo: int, hi: int) -> int:
        if hi <= lo:
            return lo
        return int(self._draw(st.integers(lo, hi)))

    def choice(self, seq: Sequence[T]) -> T:
        return seq[self.integer(0, len(seq) - 1)]

    def boolean(self) -> bool:
        return bool(self._draw(st.booleans()))

    def group(self, step: Callable[[], T]) -> T:
        return self._draw(_grouped(self, step))


@st.composite
def _grouped(draw: st.DrawFn, chooser: HypothesisChooser, step: Callable[[], T]) -> T:
    """Run ``step`` inside a draw of its own, so its draws form one span Hypothesis can delete."""
    outer, chooser._draw = chooser._draw, draw
    try:
        return step()
    finally:
        chooser._draw = outer
