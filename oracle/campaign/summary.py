"""A campaign at a glance: counts per status, op and dtype, the worst errors, the failures, one plot.

Everything here reads the campaign CSV as a DataFrame (``graph``, ``input_set``, then
``oracle.core.record.COLUMNS``); nothing re-judges a row. Whether a row failed follows from
its status alone (``oracle.core.record.FAILING``). ``write_summary`` is what ``report`` and
``merge`` call once the CSV is complete; the files are written whole (``write_atomic``).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from oracle.campaign.rows import read_report
from oracle.core.compare import TOLERANCES
from oracle.core.output import write_atomic
from oracle.core.record import (
    ERROR,
    FAILING,
    FORWARD_MISMATCH,
    KINK,
    MATCH,
    MISMATCH,
    NONFINITE,
    NONFINITE_BOTH,
    STATUSES,
)
from oracle.core.table import grid

WORST_COLUMNS = ["case_id", "input", "status", "rel_err", "ops", "replay"]
FLOOR = 1e-20  # the plot's stand-in for an exact zero relative error
SHOWN = 10  # worst rows kept, failing replay commands listed
DOTS = 300  # match dots drawn per op, at most
STYLE = {  # status -> (color, marker) in the plot
    MATCH: ("0.55", "."),
    KINK: ("tab:orange", "^"),
    MISMATCH: ("tab:red", "X"),
    NONFINITE: ("tab:purple", "s"),
    NONFINITE_BOTH: ("tab:pink", "s"),
    FORWARD_MISMATCH: ("tab:brown", "D"),
    ERROR: ("black", "v"),
}


def failed_mask(frame: pd.DataFrame) -> pd.Series:
    """Whether each row failed: its status is one of ``FAILING``."""
    return frame["status"].astype(str).isin(FAILING)


def _op_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """A row per (row, distinct op of its graph): an op counts once per row, however often it appears."""
    ops = frame["ops"].fillna("").astype(str)
    names = {text: sorted(set(text.split())) for text in ops.unique()}  # a graph's ops repeat over its rows
    keep = [c for c in ("status", "rel_err", "failed") if c in frame]
    return frame[keep].assign(op=ops.map(names)).explode("op").dropna(subset=["op"])


def _by(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """Rows per ``key`` value and status (every status a column, in STATUSES order), plus totals."""
    extra = sorted(set(frame["status"].unique()) - set(STATUSES))  # not expected; shown rather than dropped
    table = pd.crosstab(frame[key], frame["status"]) if len(frame) else pd.DataFrame()
    table = table.reindex(columns=[*STATUSES, *extra], fill_value=0).astype("int64")
    table["rows"] = table.sum(axis=1)
    table["non_match"] = table["rows"] - table[MATCH]
    table["failed"] = frame.groupby(key)["failed"].sum().reindex(table.index, fill_value=0).astype("int64")
    table.index.name, table.columns.name = key, None
    return table


@dataclass(frozen=True)
class Summary:
    options: str
    seconds: float | None  # None: not measured (a merge of shards)
    rows: int
    cases: int
    graphs: int
    status: pd.Series  # rows per status: every status, zeros included, in STATUSES order
    by_op: pd.DataFrame  # op -> rows per status, rows, non_match, failed
    by_dtype: pd.DataFrame  # dtype -> the same columns
    worst: pd.DataFrame  # the SHOWN rows with the largest finite rel_err, largest first
    failing: pd.DataFrame  # every row for which Record.failed holds, in CSV order

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else float("nan")

    @property
    def cases_per_second(self) -> float:
        return self.cases / self.seconds if self.seconds else float("nan")


def summarize(frame: pd.DataFrame, *, seconds: float | None, options: str = "") -> Summary:
    frame = frame.assign(failed=failed_mask(frame))
    rel = pd.to_numeric(frame["rel_err"], errors="coerce")
    finite = frame[np.isfinite(rel)].assign(rel_err=rel)
    worst = finite.sort_values("rel_err", ascending=False, kind="stable").head(SHOWN)
    by_dtype = _by(frame, "dtype")
    status = by_dtype.drop(columns=["rows", "non_match", "failed"]).sum().astype("int64")
    return Summary(
        options=options,
        seconds=seconds,
        rows=len(frame),
        cases=int(frame["case_id"].nunique()),
        graphs=int(frame["graph"].nunique()) if "graph" in frame else 0,
        status=status.rename("rows"),
        by_op=_by(_op_rows(frame), "op"),
        by_dtype=by_dtype,
        worst=worst[WORST_COLUMNS].reset_index(drop=True),
        failing=frame[frame["failed"]].drop(columns="failed"),
    )


def _counts(table: pd.DataFrame, columns: list[str]) -> list[list[str]]:
    return [[str(key), *(str(v) for v in values)] for key, values in table[columns].iterrows()]


def _lines(summary: Summary, markdown: bool) -> list[str]:
    """The sections shared by the terminal text and the Markdown file."""
    out: list[str] = []

    def section(title: str, header: list[str], rows: list[list[str]]) -> None:
        out.extend(["", f"## {title}", ""] if markdown else ["", title])
        out.extend(grid(header, rows, markdown))

    columns = [str(c) for c in summary.by_dtype.columns]  # the statuses, rows, non_match, failed
    op_columns = columns if markdown else ["rows", "non_match", "failed"]
    section("Rows per status", ["status", "rows"], [[str(s), str(n)] for s, n in summary.status.items()])
    section(
        "Rows per op (an op counts once per row)", ["op", *op_columns], _counts(summary.by_op, op_columns)
    )
    section("Rows per dtype", ["dtype", *columns], _counts(summary.by_dtype, columns))
    worst = summary.worst.head(SHOWN if markdown else 5)
    cells = [
        [f"{r.rel_err:.3g}", str(r.status), str(r.case_id), str(r.input), str(r.ops)]
        for r in worst.itertuples()
    ]
    header = ["rel_err", "status", "case_id", "input", "ops"]
    section(f"Worst {len(worst)} relative errors (finite only)", header, cells)
    # One line per failing case: its replay command shows every input of the case.
    failing = summary.failing.fillna({"replay": "", "input": ""}).astype({"input": str})
    cases = failing.groupby("case_id", sort=False).agg(
        status=("status", lambda s: ",".join(dict.fromkeys(s))),
        inputs=("input", ",".join),
        replay=("replay", "first"),
    )
    code = (lambda x: f"`{x}`" if x else "") if markdown else str
    shown = [[str(r.status), str(r.inputs), code(str(r.replay))] for r in cases.head(SHOWN).itertuples()]
    title = f"Failing rows: {len(failing)} in {len(cases)} cases"
    section(
        title + (f", the first {len(shown)}" if len(cases) > SHOWN else ""),
        ["status", "inputs", "replay"],
        shown,
    )
    if len(cases) > SHOWN:
        out.extend(["", f"... and {len(cases) - SHOWN} more cases (see the CSV)"])
    return out


def _throughput(s: Summary) -> str:
    if s.seconds is None:
        return f"Throughput: not measured ({s.rows} comparisons, {s.cases} cases merged from shards)"
    return (
        f"Throughput: {s.rows} comparisons, {s.cases} cases in {s.seconds:.1f} s: "
        f"{s.rows_per_second:.1f} comparisons/s, {s.cases_per_second:.2f} cases/s"
    )


def _header(s: Summary) -> str:
    return f"{s.rows} comparisons of {s.cases} cases from {s.graphs} graphs; {len(s.failing)} failing"


def summary_text(summary: Summary) -> str:
    first = f"campaign {summary.options}".rstrip()
    return "\n".join([first, _header(summary), *_lines(summary, False), "", _throughput(summary)])


def write_markdown(summary: Summary, path: str | Path) -> Path:
    """``path`` as Markdown: no timestamps, so only the throughput line changes between identical runs."""
    options = [f"Options: `{summary.options}`", ""] if summary.options else []
    body = ["# Divergence campaign", "", *options, _header(summary), "", _throughput(summary)]
    return write_atomic(path, "\n".join([*body, *_lines(summary, True)]) + "\n")


def plot_rel_error(frame: pd.DataFrame, path: str | Path) -> Path:
    """log10 of the relative error per op: quartile boxes over every row, dots, non-matches marked."""
    rows = _op_rows(frame)
    rel = pd.to_numeric(rows["rel_err"], errors="coerce")
    rows = rows[np.isfinite(rel)].assign(x=np.log10(np.maximum(rel[np.isfinite(rel)], FLOOR)))
    ops = sorted(rows["op"].unique())
    fig = Figure(figsize=(9, max(2.8, 1 + 0.35 * len(ops))), dpi=120, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for i, op in enumerate(ops):
        lo, q1, mid, q3, hi = np.percentile(rows.loc[rows["op"] == op, "x"], [5, 25, 50, 75, 95])
        ax.hlines(i, lo, hi, color="0.3", lw=0.8, zorder=3)
        label = "quartiles, median, 5-95%" if i == 0 else None
        ax.barh(i, q3 - q1, 0.6, q1, color="tab:blue", alpha=0.25, ec="tab:blue", zorder=3, label=label)
        ax.vlines(mid, i - 0.3, i + 0.3, color="tab:blue", lw=2, zorder=4)
    # Every non-match is a dot; matches only up to DOTS per op (a random few), or they hide the boxes.
    rows = rows.sample(frac=1.0, random_state=0)
    keep = (rows["status"] != MATCH) | (rows.groupby("op").cumcount() < DOTS)
    rows, thinned = rows[keep], not keep.all()
    jitter = np.random.default_rng(0).uniform(-0.22, 0.22, len(rows))
    y = rows["op"].map({op: i for i, op in enumerate(ops)}).to_numpy(dtype=float) + jitter
    for status, (color, marker) in STYLE.items():
        pick = (rows["status"] == status).to_numpy()
        size, alpha, zorder = (5 if len(rows) > 500 else 14, 0.5, 2) if status == MATCH else (28, 0.9, 5)
        if pick.any():
            points = rows["x"][pick], y[pick]
            label = f"match ({DOTS} dots per op at most)" if status == MATCH and thinned else status
            ax.scatter(*points, size, color, marker=marker, alpha=alpha, lw=0, zorder=zorder, label=label)
    for dtype, style, color in (("float64", "--", "darkgreen"), ("float32", ":", "olive")):
        rtol = TOLERANCES[dtype].rtol
        ax.axvline(np.log10(rtol), color=color, ls=style, lw=1.2, label=f"{dtype} rtol {rtol:.0e}")
    # rel_err is the course's elementwise maximum: an element that cancels to ~0 can sit right of
    # its rtol line and still match, on the absolute floor (oracle.core.compare.TOLERANCES).
    ax.plot([], [], " ", label="matches right of a line: elements\nnear 0 within the absolute floor")
    if ops:
        ax.set_yticks(range(len(ops)), ops)
        ax.set_ylim(len(ops) - 0.5, -0.5)  # first op on top
    else:
        ax.set_yticks([])
        ax.text(0.5, 0.5, "no finite relative errors", transform=ax.transAxes, ha="center", va="center")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
    ax.set_xlabel(f"log10(max(rel_err, {FLOOR:g}))   (exact zeros sit at {np.log10(FLOOR):.0f})")
    ax.grid(axis="x", color="0.9", zorder=0)
    missing = len(frame) - int(np.isfinite(pd.to_numeric(frame["rel_err"], errors="coerce")).sum())
    note = f", {missing} without a finite rel_err not shown" if missing else ""
    ax.set_title(f"Relative error per op: {len(frame)} rows{note}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small", frameon=False, markerscale=1.5)
    image = io.BytesIO()
    fig.savefig(image, format="png")
    return write_atomic(path, image.getvalue())


def write_summary(out: Path, options: str, seconds: float | None) -> int:
    """Summarize the finished campaign CSV ``out``: print it, write ``summary.md`` and ``rel_error.png``
    beside it; returns the number of failing rows."""
    frame = read_report(out)
    summary = summarize(frame, seconds=seconds, options=options)
    print(summary_text(summary))
    markdown = write_markdown(summary, out.parent / "summary.md")
    figures = write_figures(summary, out.parent / "summary.json")
    plot = plot_rel_error(frame, out.parent / "rel_error.png")
    print(f"wrote {out}, {markdown}, {figures}, {plot}")
    return len(summary.failing)


def figures(summary: Summary) -> dict[str, Any]:
    """The summary's numbers as data, for programs (benchmarks, dashboards) that read them."""
    return {
        "options": summary.options,
        "seconds": summary.seconds,
        "rows": summary.rows,
        "cases": summary.cases,
        "graphs": summary.graphs,
        "failing": len(summary.failing),
        "status": {str(k): int(v) for k, v in summary.status.items()},
    }


def write_figures(summary: Summary, path: Path) -> Path:
    write_atomic(path, json.dumps(figures(summary), indent=2) + "\n")
    return path
