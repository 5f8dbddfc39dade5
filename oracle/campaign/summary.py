"""A campaign at a glance: counts per status, op and dtype, the worst errors, the failures, one plot.

Everything here reads the campaign CSV (``graph``, ``input_set``, then
``oracle.core.record.COLUMNS``) a chunk of rows at a time (``tally.Tally``), so a campaign of
any length is summed up in bounded memory; nothing re-judges a row. Whether a row failed follows from
its status alone (``oracle.core.record.FAILING``). ``write_summary`` is what ``report`` and
``merge`` call once the CSV is complete; the files are written whole (``write_atomic``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from oracle.campaign.plot import draw, plot_rel_error
from oracle.campaign.rows import read_report, read_report_chunks
from oracle.campaign.tally import SHOWN, PlotData, Tally, failed_mask
from oracle.core.output import write_atomic
from oracle.core.table import grid

__all__ = ["failed_mask", "plot_rel_error", "summarize", "summarize_csv", "summary_text", "write_markdown"]

WORST_COLUMNS = ["case_id", "input", "status", "rel_err", "ops", "replay"]
CHUNK_ROWS = 50_000  # rows of the CSV read at a time: what the summary holds is bounded (tally.py)


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
    failing: pd.DataFrame  # the failing rows of the first SHOWN failing cases, in CSV order
    failing_rows: int  # every row for which Record.failed holds
    failing_cases: int  # the cases they belong to
    plot: PlotData

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else float("nan")

    @property
    def cases_per_second(self) -> float:
        return self.cases / self.seconds if self.seconds else float("nan")


def summarize(frame: pd.DataFrame, *, seconds: float | None, options: str = "") -> Summary:
    """The summary of a whole campaign CSV read as one frame."""
    return _summary(Tally().add(frame), seconds, options)


def summarize_csv(path: str | Path, *, seconds: float | None, options: str = "") -> Summary:
    """The summary of a campaign CSV, read ``CHUNK_ROWS`` rows at a time."""
    tally = Tally()
    for chunk in read_report_chunks(path, CHUNK_ROWS):
        tally.add(chunk)
    if tally.by_dtype is None:  # a CSV of no rows: its header read as an empty frame
        tally.add(read_report(path))
    return _summary(tally, seconds, options)


def _summary(tally: Tally, seconds: float | None, options: str) -> Summary:
    assert tally.by_dtype is not None and tally.by_op is not None and tally.worst is not None, "no rows added"
    status = tally.by_dtype.drop(columns=["rows", "non_match", "failed"]).sum().astype("int64")
    none = pd.DataFrame(columns=["case_id", "status", "input", "replay"])
    failing = pd.concat(tally.failing) if tally.failing else none
    return Summary(
        options=options,
        seconds=seconds,
        rows=tally.rows,
        cases=tally.cases,
        graphs=tally.graphs,
        status=status.rename("rows"),
        by_op=tally.by_op,
        by_dtype=tally.by_dtype,
        worst=tally.worst[WORST_COLUMNS].reset_index(drop=True),
        failing=failing,
        failing_rows=tally.failing_rows,
        failing_cases=tally.failing_cases,
        plot=tally.plot,
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
    failing = summary.failing.fillna({"replay": "", "input": ""}).astype({"input": str, "case_id": str})
    run = failing["case_id"].ne(failing["case_id"].shift()).cumsum()  # a case: a run of its rows
    cases = failing.groupby(run, sort=False).agg(
        status=("status", lambda s: ",".join(dict.fromkeys(s))),
        inputs=("input", ",".join),
        replay=("replay", "first"),
    )
    code = (lambda x: f"`{x}`" if x else "") if markdown else str
    shown = [[str(r.status), str(r.inputs), code(str(r.replay))] for r in cases.head(SHOWN).itertuples()]
    title = f"Failing rows: {summary.failing_rows} in {summary.failing_cases} cases"
    section(
        title + (f", the first {len(shown)}" if summary.failing_cases > SHOWN else ""),
        ["status", "inputs", "replay"],
        shown,
    )
    if summary.failing_cases > SHOWN:
        out.extend(["", f"... and {summary.failing_cases - SHOWN} more cases (see the CSV)"])
    return out


def _throughput(s: Summary) -> str:
    if s.seconds is None:
        return f"Throughput: not measured ({s.rows} comparisons, {s.cases} cases merged from shards)"
    return (
        f"Throughput: {s.rows} comparisons, {s.cases} cases in {s.seconds:.1f} s: "
        f"{s.rows_per_second:.1f} comparisons/s, {s.cases_per_second:.2f} cases/s"
    )


def _header(s: Summary) -> str:
    return f"{s.rows} comparisons of {s.cases} cases from {s.graphs} graphs; {s.failing_rows} failing"


def summary_text(summary: Summary) -> str:
    first = f"campaign {summary.options}".rstrip()
    return "\n".join([first, _header(summary), *_lines(summary, False), "", _throughput(summary)])


def write_markdown(summary: Summary, path: str | Path) -> Path:
    """``path`` as Markdown: no timestamps, so only the throughput line changes between identical runs."""
    options = [f"Options: `{summary.options}`", ""] if summary.options else []
    body = ["# Divergence campaign", "", *options, _header(summary), "", _throughput(summary)]
    return write_atomic(path, "\n".join([*body, *_lines(summary, True)]) + "\n")


def write_summary(out: Path, options: str, seconds: float | None) -> int:
    """Summarize the finished campaign CSV ``out``, a chunk of rows at a time: print it, write
    ``summary.md``, ``summary.json`` and ``rel_error.png`` beside it; returns the number of failing rows."""
    summary = summarize_csv(out, seconds=seconds, options=options)
    print(summary_text(summary))
    markdown = write_markdown(summary, out.parent / "summary.md")
    figures = write_figures(summary, out.parent / "summary.json")
    plot = draw(summary.plot, out.parent / "rel_error.png")
    print(f"wrote {out}, {markdown}, {figures}, {plot}")
    return summary.failing_rows


def figures(summary: Summary) -> dict[str, Any]:
    """The summary's numbers as data, for programs (benchmarks, dashboards) that read them."""
    return {
        "options": summary.options,
        "seconds": summary.seconds,
        "rows": summary.rows,
        "cases": summary.cases,
        "graphs": summary.graphs,
        "failing": summary.failing_rows,
        "status": {str(k): int(v) for k, v in summary.status.items()},
    }


def write_figures(summary: Summary, path: Path) -> Path:
    write_atomic(path, json.dumps(figures(summary), indent=2) + "\n")
    return path
