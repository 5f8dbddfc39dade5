"""A campaign CSV summed up a chunk of rows at a time, in memory that does not grow with the CSV.

``Tally.add`` takes the rows in CSV order, in chunks of any size, and keeps only:

- counts: rows per status for every op and dtype, rows, cases and graphs;
- the ``SHOWN`` rows with the largest finite ``rel_err`` (ties: the earlier row first);
- the failing rows of the first ``SHOWN`` failing cases, and how many failing rows and cases
  there are in all;
- for the plot, per op: a histogram of log10(rel_err) in bins of 1/``BINS_PER_DECADE`` of a
  decade, and a sample of dots: the rows whose pseudo-random key (a hash of the row's number)
  is among the ``DOTS`` smallest of its op's matches, or the ``OTHER_DOTS`` smallest of its
  op's other rows.

A case is a run of rows with the same ``case_id``, a graph a run with the same ``graph``: a
case's rows are written together. Whatever the chunks, the result is the same: the sample
depends on row numbers only, the counts add up, the kept rows are the first in CSV order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from oracle.core.record import FAILING, MATCH, STATUSES

SHOWN = 10  # worst rows kept, failing cases listed
DOTS = 300  # match dots drawn per op, at most
OTHER_DOTS = 1000  # non-match dots drawn per op, at most
FLOOR = 1e-20  # the plot's stand-in for an exact zero relative error
LOW = -20.0  # log10(FLOOR): the histogram's first bin starts here
HIGH = 309.0  # above log10 of the largest float64
BINS_PER_DECADE = 100
BINS = int((HIGH - LOW) * BINS_PER_DECADE)


def failed_mask(frame: pd.DataFrame) -> pd.Series:
    """Whether each row failed: its status is one of ``FAILING``."""
    return frame["status"].astype(str).isin(FAILING)


def op_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """A row per (row, distinct op of its graph): an op counts once per row, however often it appears."""
    ops = frame["ops"].fillna("").astype(str)
    names = {text: sorted(set(text.split())) for text in ops.unique()}  # a graph's ops repeat over its rows
    keep = [c for c in ("status", "rel_err", "failed", "row") if c in frame]
    return frame[keep].assign(op=ops.map(names)).explode("op").dropna(subset=["op"])


def by(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """Rows per ``key`` value and status (every status a column, in STATUSES order), plus totals."""
    extra = sorted(set(frame["status"].unique()) - set(STATUSES))  # not expected; shown rather than dropped
    table = pd.crosstab(frame[key], frame["status"]) if len(frame) else pd.DataFrame()
    table = table.reindex(columns=[*STATUSES, *extra], fill_value=0).astype("int64")
    table["rows"] = table.sum(axis=1)
    table["non_match"] = table["rows"] - table[MATCH]
    table["failed"] = frame.groupby(key)["failed"].sum().reindex(table.index, fill_value=0).astype("int64")
    table.index.name, table.columns.name = key, None
    return table


def _add(total: pd.DataFrame | None, part: pd.DataFrame) -> pd.DataFrame:
    if total is None:
        return part
    summed = total.add(part, fill_value=0).astype("int64")
    statuses = [c for c in summed.columns if c not in ("rows", "non_match", "failed")]
    extra = sorted(set(statuses) - set(STATUSES))
    summed = summed[[*STATUSES, *extra, "rows", "non_match", "failed"]].sort_index()
    summed.index.name = total.index.name
    return summed


def runs(values: pd.Series, before: object) -> tuple[int, object]:
    """How many runs of equal values start in ``values`` (after a run of ``before``), and the last value."""
    if values.empty:
        return 0, before
    starts = values.ne(values.shift())
    starts.iloc[0] = values.iloc[0] != before
    return int(starts.sum()), values.iloc[-1]


def row_keys(rows: np.ndarray) -> np.ndarray:
    """A pseudo-random 64-bit key per row number (splitmix64): the sample of dots is the smallest keys."""
    z = rows.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@dataclass
class PlotData:
    """What the plot draws, per op: the histogram of log10(rel_err) and a sample of dots."""

    rows: int = 0  # rows of the CSV
    missing: int = 0  # rows without a finite rel_err (not drawn)
    histograms: dict[str, np.ndarray] = field(default_factory=dict)  # op -> counts per bin
    dots: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["op", "key", "x", "status"]))
    matches: dict[str, int] = field(default_factory=dict)  # op -> match rows with a finite rel_err
    others: dict[str, int] = field(default_factory=dict)  # op -> the other rows with a finite rel_err

    def add(self, rows: pd.DataFrame) -> None:
        """``rows``: op rows (``op_rows``) with a finite ``rel_err`` and their CSV row number ``row``."""
        x = np.log10(np.maximum(rows["rel_err"].to_numpy(dtype=float), FLOOR))
        bins = np.clip(((x - LOW) * BINS_PER_DECADE).astype(np.int64), 0, BINS - 1)
        ops = rows["op"].to_numpy(dtype=object)
        match = (rows["status"] == MATCH).to_numpy()
        for op in np.unique(ops):
            mine = ops == op
            counts = np.bincount(bins[mine], minlength=BINS)
            self.histograms[op] = self.histograms[op] + counts if op in self.histograms else counts
            self.matches[op] = self.matches.get(op, 0) + int((mine & match).sum())
            self.others[op] = self.others.get(op, 0) + int((mine & ~match).sum())
        dots = pd.DataFrame(
            {"op": ops, "key": row_keys(rows["row"].to_numpy()), "x": x, "status": rows["status"].to_numpy()}
        )
        both = pd.concat([self.dots, dots], ignore_index=True) if len(self.dots) else dots
        both = both.sort_values(["op", "key"], kind="stable")
        is_match = both["status"] == MATCH
        kept = pd.concat(
            [both[is_match].groupby("op").head(DOTS), both[~is_match].groupby("op").head(OTHER_DOTS)]
        )
        kept = kept.sort_values(["op", "key"], kind="stable").reset_index(drop=True)
        self.dots = kept.astype({"op": object, "status": object})  # the same dtypes however it was built

    def percentiles(self, op: str, qs: list[float]) -> list[float]:
        """np.percentile's linear interpolation, each value standing at the middle of its bin."""
        counts = self.histograms[op]
        cumulative = np.cumsum(counts)
        n = int(cumulative[-1])
        out = []
        for q in qs:
            position = q / 100 * (n - 1)
            low, high = int(np.floor(position)), int(np.ceil(position))
            a, b = (
                LOW + (np.searchsorted(cumulative, k, side="right") + 0.5) / BINS_PER_DECADE
                for k in (low, high)
            )
            out.append(float(a + (position - low) * (b - a)))
        return out

    @staticmethod
    def _middle(cumulative: np.ndarray, k: int) -> float:
        """The middle of the bin holding the k-th smallest value (0: the smallest)."""
        return float(LOW + (np.searchsorted(cumulative, k, side="right") + 0.5) / BINS_PER_DECADE)


@dataclass
class Tally:
    rows: int = 0
    cases: int = 0
    graphs: int = 0
    failing_rows: int = 0
    failing_cases: int = 0
    by_op: pd.DataFrame | None = None
    by_dtype: pd.DataFrame | None = None
    worst: pd.DataFrame | None = None
    failing: list[pd.DataFrame] = field(default_factory=list)  # the rows of the first SHOWN failing cases
    plot: PlotData = field(default_factory=PlotData)
    _last: dict[str, object] = field(default_factory=dict)  # the last case, graph and failing case seen

    def add(self, chunk: pd.DataFrame) -> Tally:
        """The next rows of the CSV, in order."""
        frame = chunk.assign(failed=failed_mask(chunk), row=np.arange(self.rows, self.rows + len(chunk)))
        new, self._last["case"] = runs(frame["case_id"].astype(str), self._last.get("case"))
        self.cases += new
        if "graph" in frame:
            new, self._last["graph"] = runs(frame["graph"], self._last.get("graph"))
            self.graphs += new
        self.rows += len(frame)
        self.by_dtype = _add(self.by_dtype, by(frame, "dtype"))
        ops = op_rows(frame)
        self.by_op = _add(self.by_op, by(ops, "op"))
        rel = pd.to_numeric(frame["rel_err"], errors="coerce")
        finite = frame[np.isfinite(rel)].assign(rel_err=rel)
        worst = finite.sort_values("rel_err", ascending=False, kind="stable").head(SHOWN)
        if self.worst is not None:
            worst = pd.concat([self.worst, worst]).sort_values("rel_err", ascending=False, kind="stable")
        self.worst = worst.head(SHOWN)
        self._add_failing(frame[frame["failed"]])
        self.plot.rows += len(frame)
        self.plot.missing += int((~np.isfinite(rel)).sum())
        op_rel = pd.to_numeric(ops["rel_err"], errors="coerce")
        finite_ops = np.isfinite(op_rel.to_numpy(dtype=float))
        self.plot.add(ops[finite_ops].assign(rel_err=op_rel.to_numpy(dtype=float)[finite_ops]))
        return self

    def _add_failing(self, failing: pd.DataFrame) -> None:
        self.failing_rows += len(failing)
        ids = failing["case_id"].astype(str)
        starts = ids.ne(ids.shift())
        if len(ids):
            starts.iloc[0] = ids.iloc[0] != self._last.get("failing")
            self._last["failing"] = ids.iloc[-1]
        number = self.failing_cases + starts.cumsum()  # 1 for the first failing case
        self.failing_cases += int(starts.sum())
        kept = failing[(number <= SHOWN).to_numpy()]
        if len(kept):
            self.failing.append(kept.drop(columns=["failed", "row"]))
