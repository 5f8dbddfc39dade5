"""What ``oracle.check`` returns: the records, shown as a table in Jupyter and in a terminal.

One line per target: its verdict (``pass``, ``kink``, ``fail``, ``error``, ``timeout``, ``not
implemented``: the class table's, ``oracle.course.grading.class_summary.verdict``), the status
and detail of its worst row (where a named bug says ``known bug: ...``), and the worst
element of that row (the student's value beside JAX's). ``to_pandas()`` gives every row, as
``check.csv`` has them.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from oracle.core.record import ERROR, FAILING, KINK, MATCH, TIMEOUT, Record, to_frame
from oracle.course.grading.class_summary import COLORS, verdict

# The worst row of a target is the first of these statuses it has.
WORST_FIRST = (TIMEOUT, ERROR, "forward_mismatch", "mismatch", "nonfinite", KINK, "nonfinite_both", MATCH)


@dataclass(frozen=True)
class TargetLine:
    target: str
    verdict: str
    status: str  # the worst row's
    detail: str
    worst: str  # "dx[1, 2]: yours 0.31, JAX 0.62"
    rows: int
    failing: int


class CheckResult:
    """The records of one ``check(...)``: ``ok``, ``lines``, ``to_pandas()``; shown as a table."""

    def __init__(self, records: Sequence[Record], called: str = "") -> None:
        self.records = list(records)
        self.called = called

    @property
    def ok(self) -> bool:
        """No failing row."""
        return not any(r.failed for r in self.records)

    def to_pandas(self) -> pd.DataFrame:
        return to_frame(self.records, target=True)

    @property
    def lines(self) -> list[TargetLine]:
        by_target: dict[str, list[Record]] = {}
        for record in self.records:
            by_target.setdefault(record.target, []).append(record)
        lines = []
        for target, records in by_target.items():
            worst = min(records, key=lambda r: WORST_FIRST.index(r.status) if r.status in WORST_FIRST else 0)
            frame = pd.DataFrame(
                {"status": [r.status for r in records], "detail": [r.detail for r in records]}
            )
            failing = sum(r.status in FAILING for r in records)
            lines.append(
                TargetLine(
                    target, verdict(frame), worst.status, worst.detail, _worst(worst), len(records), failing
                )
            )
        return lines

    def __repr__(self) -> str:
        header = ("target", "verdict", "rows", "worst element", "detail")
        rows = [header] + [
            (
                line.target,
                line.verdict,
                f"{line.rows - line.failing}/{line.rows} ok",
                line.worst,
                line.detail[:120],
            )
            for line in self.lines
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        text = [
            "  ".join(cell.ljust(w) for cell, w in zip(row[:4], widths, strict=True)) + "  " + row[4]
            for row in rows
        ]
        return "\n".join([*text, self._summary()])

    __str__ = __repr__

    def _summary(self) -> str:
        failing = sum(r.failed for r in self.records)
        counted = f"{_many(len(self.lines), 'target')}, {_many(len(self.records), 'row')}"
        if not failing:
            return f"{counted}: no failing row"
        return f"{counted}: {failing} failing (to_pandas() has them all)"

    def _repr_html_(self) -> str:
        cells = []
        for line in self.lines:
            color = COLORS.get(line.verdict, "#e0e0e0")
            ink = "#000" if line.verdict in ("kink", "not implemented") else "#fff"
            cells.append(
                f'<tr data-target="{html.escape(line.target)}" data-status="{html.escape(line.status)}">'
                f"<td><code>{html.escape(line.target)}</code></td>"
                f'<td class="verdict" style="background:{color};color:{ink};font-weight:bold">'
                f"{html.escape(line.verdict)}</td>"
                f"<td>{line.rows - line.failing}/{line.rows}</td>"
                f"<td>{html.escape(line.worst)}</td>"
                f'<td style="text-align:left">{html.escape(line.detail)}</td></tr>'
            )
        head = "<tr><th>target</th><th>verdict</th><th>rows ok</th><th>worst element</th><th>detail</th></tr>"
        summary = html.escape(self._summary())
        return f'<table class="oracle-check">{head}{"".join(cells)}</table><p>{summary}</p>'


def _worst(record: Record) -> str:
    if record.tested_value is None or record.jax_value is None:
        return ""
    if isinstance(record.tested_value, float) and math.isnan(record.tested_value):
        return ""
    where = f"{record.input}{record.worst_index}" if record.worst_index not in ("", "[]") else record.input
    return f"{where}: yours {record.tested_value:.6g}, JAX {record.jax_value:.6g}"


def _many(n: int, noun: str) -> str:
    return f"{n} {noun}" + "s" * (n != 1)
