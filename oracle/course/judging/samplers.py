"""Samplers (how a course check draws its inputs), and the built-in targets' kink masks.

The masks are the op table's (``oracle.ops.kink_masks``): a kink is defined once, for
campaigns and course checks alike.

A sampler takes a generator and one shape per array and returns the arrays: float64
values (cast to the check's dtype later) and integer labels. Edge samplers put inputs on
a target's kinks on purpose.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from oracle.ops import kink_masks

Shape = tuple[int, ...]


def normal(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    return [np.asarray(rng.standard_normal(shape)) for shape in shapes]


def positive(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    """In [0.5, 3): away from the singularity of log and sqrt at 0."""
    return [np.asarray(rng.uniform(0.5, 3.0, shape)) for shape in shapes]


def away_from_zero(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    """|x| in [0.5, 2), either sign: away from the pole of 1/x."""
    return [np.asarray(rng.uniform(0.5, 2.0, s) * rng.choice([-1.0, 1.0], s)) for s in shapes]


def with_zeros(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    """Normal values with exact zeros in every input (the first element always): kinks at 0."""
    values = normal(rng, shapes)
    for x in values:
        x[rng.random(x.shape) < 0.4] = 0.0
        x.flat[0] = 0.0
    return values


def with_ties(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    """Two inputs equal at about half their elements (the first always): ties of a max."""
    x, y = normal(rng, shapes)
    tie = np.asarray(rng.random(x.shape) < 0.5).reshape(-1)
    tie[0] = True
    y[tie.reshape(x.shape)] = x[tie.reshape(x.shape)]
    return [x, y]


def scores_and_labels(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    (scores,) = normal(rng, shapes)
    return [scores, _labels(rng, scores.shape)]


def _labels(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    n, c = shape
    return rng.integers(0, c, n).astype(np.int64)


def zero_margins(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    """Scores on a grid of halves, so many hinge margins s_j - s_y + 1 are exactly 0 (one always)."""
    (shape,) = shapes
    scores = rng.integers(-4, 5, shape) / 2.0
    labels = _labels(rng, shape)
    y0 = int(labels[0])
    scores[0, (y0 + 1) % shape[1]] = scores[0, y0] - 1.0
    return [scores, labels]


def large_scores(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    """Scores near +-1000: each row an offset of 900 to 940, of one sign for the whole case, plus a
    spread within +-10.

    exp overflows (positive offsets) or underflows to 0 (negative ones) unless a maximum is
    subtracted first; after the shift, the smallest probability is still above e**-20 / C,
    so a correct float64 (or float32) loss that takes log(p) stays finite. The shift may be
    the batch's maximum as well as each row's (rows differ by at most 60, e**-60 is a
    normal float32): a batch-wide shift is numerically sound at the scales a network
    meets, and flagging it would flag correct code. Spreads as wide as the offsets would
    make any log(p) underflow to -inf.
    """
    (shape,) = shapes
    offsets = rng.uniform(900.0, 940.0, (shape[0], 1)) * rng.choice([-1.0, 1.0])
    return [offsets + rng.uniform(-10.0, 10.0, shape), _labels(rng, shape)]


# --------------------------------------------------------------------- kinks


def at_zero(*values: np.ndarray) -> list[np.ndarray]:
    """Elements at 0: relu's and abs's kink, as the op table declares it."""
    return [mask for v in values for mask in kink_masks("relu", v)]


def at_ties(x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """Ties of the two inputs: maximum's kink, as the op table declares it."""
    return list(kink_masks("maximum", x, y))


def at_zero_margins(scores: np.ndarray, labels: np.ndarray) -> list[np.ndarray]:
    """Hinge margins of exactly 0 and the correct scores of their rows: svm_loss's kink, from the op table."""
    return list(kink_masks("svm_loss", scores, labels))


def unit_directions(rng: np.random.Generator, shape: tuple[int, ...], count: int) -> list[np.ndarray]:
    """``count`` random directions of unit length in the space of arrays of ``shape``."""
    directions = []
    for _ in range(count):
        v = rng.standard_normal(shape)
        directions.append(v / max(float(np.linalg.norm(v)), 1e-300))
    return directions
