"""The campaign's plot: log10 of the relative error per op, from a tally's histograms and dots.

Per op, a box spans the quartiles, a bar the median, a line the 5th to 95th percentile (read
off the histogram, to 1/100 of a decade); dots are a sample of rows, every status in its own
style, at most ``DOTS`` matches and ``OTHER_DOTS`` other rows per op (``tally.py``).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from oracle.campaign.tally import DOTS, FLOOR, OTHER_DOTS, PlotData, Tally
from oracle.core.compare import TOLERANCES
from oracle.core.output import write_atomic
from oracle.core.record import ERROR, FORWARD_MISMATCH, KINK, MATCH, MISMATCH, NONFINITE, NONFINITE_BOTH

STYLE = {  # status -> (color, marker) in the plot
    MATCH: ("0.55", "."),
    KINK: ("tab:orange", "^"),
    MISMATCH: ("tab:red", "X"),
    NONFINITE: ("tab:purple", "s"),
    NONFINITE_BOTH: ("tab:pink", "s"),
    FORWARD_MISMATCH: ("tab:brown", "D"),
    ERROR: ("black", "v"),
}


def plot_rel_error(frame: pd.DataFrame, path: str | Path) -> Path:
    """The plot of a whole campaign CSV read as one frame."""
    return draw(Tally().add(frame).plot, path)


def draw(data: PlotData, path: str | Path) -> Path:
    ops = sorted(data.histograms)
    fig = Figure(figsize=(9, max(2.8, 1 + 0.35 * len(ops))), dpi=120, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for i, op in enumerate(ops):
        lo, q1, mid, q3, hi = data.percentiles(op, [5, 25, 50, 75, 95])
        ax.hlines(i, lo, hi, color="0.3", lw=0.8, zorder=3)
        label = "quartiles, median, 5-95%" if i == 0 else None
        ax.barh(i, q3 - q1, 0.6, q1, color="tab:blue", alpha=0.25, ec="tab:blue", zorder=3, label=label)
        ax.vlines(mid, i - 0.3, i + 0.3, color="tab:blue", lw=2, zorder=4)
    dots = data.dots
    thinned = any(data.matches[op] > DOTS for op in ops)
    capped = any(data.others[op] > OTHER_DOTS for op in ops)
    jitter = np.random.default_rng(0).uniform(-0.22, 0.22, len(dots))
    y = dots["op"].map({op: i for i, op in enumerate(ops)}).to_numpy(dtype=float) + jitter
    for status, (color, marker) in STYLE.items():
        pick = (dots["status"] == status).to_numpy()
        size, alpha, zorder = (5 if len(dots) > 500 else 14, 0.5, 2) if status == MATCH else (28, 0.9, 5)
        if pick.any():
            points = dots["x"].to_numpy(dtype=float)[pick], y[pick]
            label = status
            if status == MATCH and thinned:
                label = f"match ({DOTS} dots per op at most)"
            elif status != MATCH and capped:
                label = f"{status} (with the others, {OTHER_DOTS} dots per op at most)"
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
    note = f", {data.missing} without a finite rel_err not shown" if data.missing else ""
    ax.set_title(f"Relative error per op: {data.rows} rows{note}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small", frameon=False, markerscale=1.5)
    image = io.BytesIO()
    fig.savefig(image, format="png")
    return write_atomic(path, image.getvalue())
