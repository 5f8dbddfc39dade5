"""A class at a glance: one verdict per submission and target, as a table, ``class_summary.md`` and a picture.

Everything here reads the class CSV (``oracle.course.grading.classes``); nothing re-judges a row.
A cell's verdict follows from its rows' statuses, worst first:

- ``timeout``: the code did not answer in time;
- ``error``: it raised, or its process died (or a file of the submission could not be
  imported: the ``import`` column);
- ``fail``: a mismatch, a forward mismatch or one-sided non-finite values;
- ``kink``: correct, with another valid convention at a non-differentiable point;
- ``unchecked``: the checker could not call the code (nothing failed, nothing was judged);
- ``pass``: every row matches;
- ``not implemented``: the submission does not define the target (no rows), or the
  function is the unfilled template.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from oracle.core.output import write_atomic
from oracle.core.record import ERROR, FAILING, KINK, TIMEOUT, UNCHECKED
from oracle.course.registry import REFERENCES

PASS, KINKED, FAIL, ERRORED, TIMED_OUT, MISSING, NOT_CALLED = (
    "pass",
    "kink",
    "fail",
    "error",
    "timeout",
    "not implemented",
    "unchecked",
)
VERDICTS = (PASS, KINKED, FAIL, ERRORED, TIMED_OUT, MISSING, NOT_CALLED)
COLORS = {  # the picture's colors: green is good, red is wrong, grey is absent
    PASS: "#2e7d32",
    KINKED: "#9ccc65",
    FAIL: "#d32f2f",
    ERRORED: "#6a1b9a",
    TIMED_OUT: "#ef6c00",
    MISSING: "#e0e0e0",
    NOT_CALLED: "#90a4ae",
}
SHORT = {
    PASS: "pass",
    KINKED: "kink",
    FAIL: "FAIL",
    ERRORED: "ERROR",
    TIMED_OUT: "TIMEOUT",
    MISSING: "-",
    NOT_CALLED: "unchecked",
}
IMPORT = "import"  # the column of rows that belong to no target: files that could not be imported
LISTED = 200  # failing cells listed in the markdown, at most


def verdict(rows: pd.DataFrame) -> str:
    """One cell's verdict from its rows."""
    statuses = set(rows["status"])
    template = rows["detail"].str.lower().str.startswith("not implemented")
    if not len(rows) or (len(rows) and template.all()):
        return MISSING
    if TIMEOUT in statuses:
        return TIMED_OUT
    if ERROR in statuses:
        return ERRORED
    if statuses & FAILING:
        return FAIL
    if statuses == {UNCHECKED}:
        return NOT_CALLED
    return KINKED if KINK in statuses else PASS


def grid(frame: pd.DataFrame) -> pd.DataFrame:
    """Submissions (CSV order) x targets (the registry's order; ``import`` first if any file failed)."""
    submissions = list(dict.fromkeys(frame["submission"]))
    present = set(frame["target"])
    targets = [IMPORT] * ("" in present) + [n for n in REFERENCES if n in present]
    targets += sorted(present - set(REFERENCES) - {""})
    cells = {name: {t: MISSING for t in targets} for name in submissions}
    for (name, target), rows in frame.groupby(["submission", "target"], sort=False):
        cells[str(name)][IMPORT if target == "" else str(target)] = verdict(rows)
    table = pd.DataFrame.from_dict(cells, orient="index", columns=targets)
    table.index.name = "submission"
    return table


def autodiff(frame: pd.DataFrame) -> pd.Series:
    """The autodiff libraries each submission imported (the ``autodiff`` column, one value per submission)."""
    return frame.groupby("submission", sort=False)["autodiff"].first()


def failing(frame: pd.DataFrame) -> list[str]:
    """The submissions with a failing row, in CSV order."""
    bad = frame[frame["status"].isin(FAILING)]
    return list(dict.fromkeys(bad["submission"]))


def _lines(header: list[str], rows: list[list[str]], markdown: bool) -> list[str]:
    if markdown:
        out = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
        return out + ["| " + " | ".join(row) + " |" for row in rows]
    widths = [max(len(x) for x in column) for column in zip(header, *rows, strict=True)]
    return [
        "  ".join(x.ljust(w) for x, w in zip(row, widths, strict=True)).rstrip() for row in [header, *rows]
    ]


def grid_lines(frame: pd.DataFrame, *, markdown: bool = False) -> list[str]:
    """The table submissions x targets, a verdict per cell, and the autodiff libraries each imported."""
    table, libraries = grid(frame), autodiff(frame)
    header = ["submission", *table.columns, "autodiff"]
    names = SHORT if not markdown else {v: v for v in VERDICTS}
    rows = [[str(n), *(names[v] for v in table.loc[n]), str(libraries[n])] for n in table.index]
    return _lines(header, rows, markdown)


def counts_line(frame: pd.DataFrame) -> str:
    total, bad = frame["submission"].nunique(), len(failing(frame))
    return f"{total} submission{'s' * (total != 1)}: {total - bad} clean, {bad} with a failing row"


def summary_text(frame: pd.DataFrame) -> str:
    legend = "  ".join(f"{SHORT[v]}: {v}" for v in VERDICTS)
    return "\n".join([*grid_lines(frame), "", legend, counts_line(frame)])


def write_markdown(frame: pd.DataFrame, path: str | Path, options: str = "", confinement: str = "") -> Path:
    """``class_summary.md``: counts, the grid, and the first failing row of each failing cell;
    ``confinement``: how the submissions' workers were confined (``oracle.course.isolation.confine``)."""
    path = Path(path)
    lines = ["# Class check", ""]
    if options:
        lines += [f"Options: `{options}`", ""]
    lines += [counts_line(frame), "", *grid_lines(frame, markdown=True), ""]
    if confinement:
        lines += [f"Workers {confinement}.", ""]
    bad = frame[frame["status"].isin(FAILING)].drop_duplicates(["submission", "target"])
    if len(bad):
        lines += [
            "## Failing",
            "",
            "| submission | target | status | detail | replay |",
            "| --- | --- | --- | --- | --- |",
        ]
        for row in bad.head(LISTED).to_dict("records"):
            detail = str(row["detail"]).replace("|", "\\|")
            replay = f"`{row['replay']}`" if row["replay"] else ""
            target = str(row["target"]) or IMPORT
            lines.append(f"| {row['submission']} | {target} | {row['status']} | {detail} | {replay} |")
        if len(bad) > LISTED:
            lines.append(f"\n... and {len(bad) - LISTED} more failing cells (the CSV has them all)")
    return write_atomic(path, "\n".join(lines) + "\n")


def plot_grid(frame: pd.DataFrame, path: str | Path) -> Path:
    """``class_grid.png``: the grid in colors, one row per submission, one column per target."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    path = Path(path)
    table = grid(frame)
    codes = table.map(VERDICTS.index).to_numpy()
    rows, columns = table.shape
    small = rows > 60
    names = max((len(str(n)) for n in table.index), default=1) * (0.045 if small else 0.07)
    targets = max((len(str(c)) for c in table.columns), default=1) * 0.06
    size = (max(6.5, 0.5 + names + 0.45 * columns), 1.6 + targets + (0.12 if small else 0.22) * rows)
    figure = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    colormap = ListedColormap([COLORS[v] for v in VERDICTS])
    axes.imshow(
        codes, cmap=colormap, vmin=-0.5, vmax=len(VERDICTS) - 0.5, aspect="auto", interpolation="none"
    )
    axes.set_xticks(range(columns), list(table.columns), rotation=60, ha="right", fontsize=8)
    axes.set_yticks(range(rows), list(table.index), fontsize=5 if small else 8)
    axes.set_xticks([x - 0.5 for x in range(1, columns)], minor=True)
    axes.set_yticks([y - 0.5 for y in range(1, rows)], minor=True)
    axes.grid(which="minor", color="white", linewidth=0.6)
    axes.tick_params(which="minor", length=0)
    axes.set_title(counts_line(frame), fontsize=10)
    handles = [Patch(color=COLORS[v], label=v) for v in VERDICTS]
    figure.legend(handles=handles, loc="outside lower center", ncols=len(VERDICTS), fontsize=8, frameon=False)
    image = io.BytesIO()
    figure.savefig(image, format="png", dpi=110)
    return write_atomic(path, image.getvalue())
