"""The one record type: every report row, campaign or course check, is a ``Record``.

A record is one comparison: one input's gradient in one case. ``tested_value`` is the
value of the side under test (the engine in campaigns, the student's code in course
checks) at the worst element, ``jax_value`` JAX's there, ``fd_value`` a float64 central
finite difference when the two disagreed. Whether a row failed follows from its status
alone (``FAILING``); ``reports/README.md`` documents every column and status.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

MATCH, MISMATCH, KINK = "match", "mismatch", "kink"
NONFINITE, NONFINITE_BOTH = "nonfinite", "nonfinite_both"  # NaN or Inf on one side / on both sides
FORWARD_MISMATCH, ERROR = "forward_mismatch", "error"
TIMEOUT = "timeout"  # course checks in a worker process: the student's code did not answer in time
# Course and engine checks: the checker could not call the code (a constructor argument it cannot
# guess, an engine API it cannot probe). Not the student's mistake, so not a failure.
UNCHECKED = "unchecked"
STATUSES = (MATCH, MISMATCH, KINK, NONFINITE, NONFINITE_BOTH, FORWARD_MISMATCH, ERROR, TIMEOUT, UNCHECKED)
EDGE_CASE = "edge case"  # how a course row's detail starts when its inputs were an edge case
FAILING = frozenset({MISMATCH, NONFINITE, FORWARD_MISMATCH, ERROR, TIMEOUT})


@dataclass
class Record:
    """One comparison: one input's gradient (or one course-code output) in one case. A CSV row."""

    case_id: str
    input: str
    shape: str
    dtype: str
    status: str
    detail: str = ""
    tested_value: float | None = None
    jax_value: float | None = None
    fd_value: float | None = None
    abs_err: float | None = None
    rel_err: float | None = None
    worst_index: str = ""
    ops: str = ""
    n_nodes: int = 0
    seed: int | None = None
    replay: str = ""
    judge: str = "jax"  # what the tested value was compared with: "jax", or "fd" (a finite difference)
    warning: str = ""  # something worth knowing that does not fail the row (a backward that edits its input)
    target: str = ""  # course-code checks only: the gate, layer or loss checked
    course: str = ""  # course-code checks only: the course whose target it is (oracle/courses/NAME)
    location: str = ""  # course-code checks of a notebook: the cell and line of each object checked

    @property
    def failed(self) -> bool:
        """A real problem: a mismatch, an error, or non-finite values on one side only."""
        return self.status in FAILING


COURSE_ONLY = ("course", "target", "location")  # not in campaign CSVs: a course check's own columns
COLUMNS = [f.name for f in dataclasses.fields(Record) if f.name not in COURSE_ONLY]


def to_frame(records: Iterable[Record], *, target: bool = False) -> pd.DataFrame:
    """Records as a DataFrame: the report's columns (course checks: course, target, ..., location)."""
    import pandas as pd  # here: a check imports it only to write its CSV

    columns = ["course", "target", *COLUMNS, "location"] if target else COLUMNS
    rows = [dataclasses.asdict(r) for r in records]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.astype({"n_nodes": "int64", "seed": "Int64"})


def edge_detail(edge_text: str) -> str:
    """The start of a detail judged on edge inputs: ``edge case (TEXT)``, then ``; `` and the rest."""
    return f"{EDGE_CASE} ({edge_text})"


def split_edge(detail: str) -> tuple[str, str]:
    """A detail's ``edge case (...); `` start (with its ``; ``, or "") and the rest."""
    if detail.startswith(EDGE_CASE) and "; " in detail:
        head, rest = detail.split("; ", 1)
        return head + "; ", rest
    return "", detail


def shape_text(shape: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(int(d)) for d in shape) + "]"
