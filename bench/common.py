"""What every benchmark shares: timing (medians of repeats), result rows, the CSV and the printed table.

Timing is ``time.perf_counter`` around one call, with the garbage collector left as a
user has it (on). A call's result is dropped only after the clock stops, so freeing a
large graph is not part of its time. Comparisons run their variants round-robin (a block
of calls of each per round), so a slow spell of the shared machine hits all of them alike;
every ratio is a ratio of medians measured in the same run.
"""

from __future__ import annotations

import csv
import gc
import math
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from oracle.core.table import grid

COLUMNS = ["benchmark", "variant", "size", "repeats", "median_s", "ratio", "note"]


@dataclass
class Row:
    """One measurement: the median of ``repeats`` timed calls, and its ratio to the benchmark's baseline."""

    benchmark: str
    variant: str
    size: str
    repeats: int
    median_s: float  # NaN when the variant failed or was not run
    ratio: float  # NaN when there is nothing to compare
    note: str = ""


def time_once(fn: Callable[[], Any]) -> float:
    """Seconds for one call of ``fn``; its result is freed after the clock stops."""
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    del result
    return seconds


def median_time(fn: Callable[[], Any], repeats: int, warmup: int = 1) -> float:
    """Median seconds of ``repeats`` calls, after ``warmup`` untimed ones."""
    for _ in range(warmup):
        time_once(fn)
    return statistics.median(time_once(fn) for _ in range(repeats))


def median_times(
    fns: Mapping[str, Callable[[], Any]], rounds: int, block: int = 1, warmup: int = 1
) -> dict[str, float]:
    """Median seconds of each function over ``rounds`` rounds of ``block`` timed calls each.

    In a round every function runs in turn: a full garbage collection, ``warmup`` untimed
    calls, then ``block`` timed ones. So no function pays for collecting another one's
    garbage (micrograd's graphs are reference cycles, left for the collector), while each
    pays for its own, and the untimed calls absorb what the previous function leaves
    behind (JAX's worker threads keep spinning for a while after a call).
    """
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            gc.collect()
            for _ in range(warmup):
                time_once(fn)
            times[name] += [time_once(fn) for _ in range(block)]
    return {name: statistics.median(t) for name, t in times.items()}


def load() -> str:
    """The 1, 5 and 15 minute load averages, as ``uptime`` shows them."""
    try:
        return "load " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "load unknown"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    """One line: CPU, cores, Python and the versions of the libraries measured (none of them imported)."""
    from importlib.metadata import PackageNotFoundError, version

    def installed(name: str) -> str:
        try:
            return f"{name} {version(name)}"
        except PackageNotFoundError:
            return f"{name} not installed"

    libraries = ", ".join(installed(name) for name in ("numpy", "jax", "jaxlib", "micrograd"))
    return f"{cpu_model()}, {os.cpu_count()} cores; Python {platform.python_version()}; {libraries}"


def ratio(seconds: float, baseline: float) -> float:
    return seconds / baseline if baseline > 0 and math.isfinite(baseline) else math.nan


def fmt_seconds(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "-"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} us"


def write_csv(rows: Iterable[Row], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            out = asdict(row)
            out["median_s"] = "" if not math.isfinite(row.median_s) else f"{row.median_s:.6g}"
            out["ratio"] = "" if not math.isfinite(row.ratio) else f"{row.ratio:.4g}"
            writer.writerow(out)


def table(rows: Iterable[Row]) -> str:
    """The rows as an aligned text table."""
    header = [f.name for f in fields(Row)]
    body = [
        [
            r.benchmark,
            r.variant,
            r.size,
            str(r.repeats),
            fmt_seconds(r.median_s),
            "-" if not math.isfinite(r.ratio) else f"{r.ratio:.3g}",
            r.note,
        ]
        for r in rows
    ]
    lines = grid(header, body)
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)
