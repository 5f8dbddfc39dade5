"""One comparison function, one tolerance table, one record type: every report row comes from here.

Replay, campaigns, the MLP check and course-code checks all call ``compare`` and
build ``Record`` rows, so a status means the same thing wherever it appears.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

MATCH, MISMATCH, KINK = "match", "mismatch", "kink"
NONFINITE, FORWARD_MISMATCH, ERROR = "nonfinite", "forward_mismatch", "error"
STATUSES = (MATCH, MISMATCH, KINK, NONFINITE, FORWARD_MISMATCH, ERROR)


@dataclass(frozen=True)
class Tolerance:
    rtol: float
    atol: float  # relative to the largest |a| + |b| of the array, for elements that cancel to ~0
    why: str


# Both sides are exact reverse mode: they differ only by rounding (another summation
# order in XLA's reductions, another libm for exp/log/tanh), a few ulps per gate,
# amplified by the conditioning of at most a dozen gates. The table sits many orders
# of magnitude above that and many below a real bug (a wrong factor, sign or axis
# gives relative errors of 1e-2 and up). A finite difference would need ~1e-5.
TOLERANCES: dict[str, Tolerance] = {
    "float64": Tolerance(
        rtol=1e-9, atol=1e-12, why="eps 2.2e-16; a dozen gates of rounding stays below 1e-12"
    ),
    "float32": Tolerance(
        rtol=2e-4,
        atol=1e-6,
        why="eps 1.2e-7; XLA's float32 exp/tanh are a few ulps off libm's and chains amplify them",
    ),
}


def relative_error(a: Any, b: Any) -> float:
    """The course's relative error: max over elements of |a - b| / max(1e-8, |a| + |b|)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


@dataclass(frozen=True)
class Comparison:
    ok: bool
    abs_err: float  # max |a - b|
    rel_err: float  # the course's relative error
    worst_index: tuple[int, ...]  # the element furthest beyond tolerance
    a_value: float
    b_value: float
    problem: str = ""  # a shape or dtype that does not fit, or non-finite values


def compare(a: Any, b: Any, dtype: str, *, check_dtype: bool = False) -> Comparison:
    """Compare ``a`` (the side being judged) with ``b`` (JAX) under ``TOLERANCES[dtype]``."""
    a_arr, b_arr = np.asarray(a), np.asarray(b)
    if a_arr.shape != b_arr.shape:
        problem = f"shape {list(a_arr.shape)}, expected {list(b_arr.shape)}"
        return Comparison(False, np.inf, np.inf, (), np.nan, np.nan, problem)
    if check_dtype and a_arr.dtype != b_arr.dtype:
        problem = f"dtype {a_arr.dtype}, expected {b_arr.dtype}"
        return Comparison(False, np.inf, np.inf, (), np.nan, np.nan, problem)
    tol = TOLERANCES[dtype]
    a64, b64 = a_arr.astype(np.float64), b_arr.astype(np.float64)
    if a64.size == 0:
        return Comparison(True, 0.0, 0.0, (), np.nan, np.nan)
    diff = np.abs(a64 - b64)
    magnitude = np.abs(a64) + np.abs(b64)
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = diff / np.maximum(1e-8, magnitude)
        # How far each element is beyond tolerance: the relative test or the absolute one, whichever passes.
        excess = np.minimum(rel / tol.rtol, diff / (tol.atol * max(1.0, float(np.nanmax(magnitude)))))
    finite = bool(np.isfinite(a64).all() and np.isfinite(b64).all())
    if not finite:
        bad = ~(np.isfinite(a64) & np.isfinite(b64))
        excess = np.where(bad, np.inf, excess)
    flat_worst = int(np.argmax(excess))
    worst = tuple(int(i) for i in np.unravel_index(flat_worst, a64.shape)) if a64.ndim else ()
    return Comparison(
        ok=finite and bool(excess[worst] <= 1.0),
        abs_err=float(np.max(diff)),
        rel_err=float(np.max(rel)),
        worst_index=worst,
        a_value=float(a64[worst]),
        b_value=float(b64[worst]),
        problem="" if finite else "non-finite values",
    )


@dataclass
class Record:
    """One comparison: one input's gradient (or one course-code output) in one case. A CSV row."""

    case_id: str
    input: str
    shape: str
    dtype: str
    status: str
    detail: str = ""
    engine_value: float | None = None
    jax_value: float | None = None
    fd_value: float | None = None
    abs_err: float | None = None
    rel_err: float | None = None
    worst_index: str = ""
    ops: str = ""
    n_nodes: int = 0
    seed: int | None = None
    replay: str = ""
    target: str = ""  # course-code checks only: the gate, layer or loss checked

    @property
    def failed(self) -> bool:
        """A real problem: a mismatch, an error, or non-finite values on one side only."""
        if self.status == NONFINITE:
            return not self.detail.startswith("both")
        return self.status in (MISMATCH, FORWARD_MISMATCH, ERROR)


def fill(record: Record, result: Comparison) -> None:
    """Copy a comparison's figures into a record."""
    record.engine_value, record.jax_value = result.a_value, result.b_value
    record.abs_err, record.rel_err = result.abs_err, result.rel_err
    record.worst_index = shape_text(result.worst_index)


def nonfinite_side(ours: np.ndarray, jax: np.ndarray, ours_name: str = "engine") -> str:
    """'' when both are finite, else which side is not: ours_name, 'jax' or 'both'."""
    bad_ours = not np.isfinite(np.asarray(ours, dtype=np.float64)).all()
    bad_jax = not np.isfinite(np.asarray(jax, dtype=np.float64)).all()
    return "both" if bad_ours and bad_jax else ours_name if bad_ours else "jax" if bad_jax else ""


COLUMNS = [f.name for f in dataclasses.fields(Record) if f.name != "target"]


def to_frame(records: Iterable[Record], *, target: bool = False) -> pd.DataFrame:
    """Records as a DataFrame with the report's columns (plus ``target`` for course checks)."""
    columns = ["target", *COLUMNS] if target else COLUMNS
    rows = [dataclasses.asdict(r) for r in records]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.astype({"n_nodes": "int64", "seed": "Int64"})


def shape_text(shape: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(int(d)) for d in shape) + "]"
