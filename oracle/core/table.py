"""Records as a table for people: one line per record, the status first."""

from __future__ import annotations

from collections.abc import Sequence

from oracle.core.record import Record


def _number(x: float | None) -> str:
    return "" if x is None else f"{x:.6g}"


def records_table(
    records: Sequence[Record], *, target: bool = False, case: bool = False, engine: str = "engine"
) -> str:
    """``target`` adds the target column, ``case`` the seed and shape; ``engine`` names the judged side."""
    header = ["target"] * target + ["input"] + ["seed", "shape"] * case
    header += ["status", engine, "jax", "rel_err", "at", "detail"]
    rows = [
        [r.target] * target
        + [r.input]
        + [("" if r.seed is None else str(r.seed)), r.shape] * case
        + [
            r.status,
            _number(r.tested_value),
            _number(r.jax_value),
            _number(r.rel_err),
            r.worst_index,
            r.detail,
        ]
        for r in records
    ]
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]
    widths[-1] = 0  # the detail is last and runs on
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines += ["  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join(lines)
