"""The oracle: the default campaign's comparisons per second, and its time against bare ``jax.vmap(jax.vjp)``.

Both sides run as fresh processes, timed from start to exit (interpreter start-up and
imports included on both sides):

- ``campaign``: ``python -m oracle report --graphs G --inputs 16 --seed 0 --workers 1``, the
  whole job: engine and JAX on every case, comparisons, case files, CSV, summary and plot;
- ``bare vmap(vjp)``: ``python -m bench.bare_vjp`` with the same options, the same graphs and
  input sets and the same eager ``jax.vmap`` of ``jax.vjp`` per graph, and nothing else.

The ratio campaign / bare is the oracle's overhead over the JAX work it cannot avoid.
Eager JAX compiles every primitive once per shape, so both sides are timed twice, each with
its own ``BACKPROP_ORACLE_JAX_CACHE`` folder: *cold* (a fresh, empty folder for every run:
what a fresh machine sees) and *warm* (reusing the folder of the first cold run: every
later run on the same machine). One more run uses every core (``--workers`` left at its
default), with a warm cache, for the throughput a user gets from ``nox -s report``; it runs
in turn with the warm pair.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Row, ratio

ROOT = Path(__file__).resolve().parent.parent  # the repository: ``python -m bench.bare_vjp`` runs from here
GRAPHS, QUICK_GRAPHS = 1000, 100
INPUTS = 16
SEED = 0


class Run:
    """One timed process: wall seconds, and for a campaign its rows and its own figure of seconds."""

    def __init__(self, seconds: float, rows: int = 0, own_seconds: float = math.nan) -> None:
        self.seconds = seconds
        self.rows = rows
        self.own_seconds = own_seconds


def timed(
    command: list[str], cache: Path, cwd: Path = ROOT, extra: dict[str, str] | None = None
) -> tuple[float, subprocess.CompletedProcess[str]]:
    env = {**os.environ, "BACKPROP_ORACLE_JAX_CACHE": str(cache), **(extra or {})}
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, done


def campaign(graphs: int, cache: Path, out: Path, workers: int = 1) -> Run:
    options = ["--graphs", str(graphs), "--inputs", str(INPUTS), "--seed", str(SEED)]
    options += ["--workers", str(workers), "--out", str(out)]
    command = [sys.executable, "-m", "oracle", "report", *options]
    seconds, done = timed(command, cache)
    if done.returncode not in (0, 1):  # 1: the campaign found a divergence, which is still a finished run
        raise RuntimeError(f"{' '.join(command)} exited with {done.returncode}:\n{done.stderr[-2000:]}")
    figures = json.loads((out.parent / "summary.json").read_text())  # the campaign's numbers, as data
    return Run(seconds, figures["rows"], figures["seconds"] or math.nan)


def bare(graphs: int, cache: Path) -> Run:
    options = ["--graphs", str(graphs), "--inputs", str(INPUTS), "--seed", str(SEED)]
    command = [sys.executable, "-m", "bench.bare_vjp", *options]
    seconds, done = timed(command, cache)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited with {done.returncode}:\n{done.stderr[-2000:]}")
    return Run(seconds)


def throughput(runs: list[Run]) -> str:
    rows = runs[0].rows
    wall = statistics.median(r.seconds for r in runs)
    own = statistics.median(r.own_seconds for r in runs)
    return (
        f"{rows} comparisons: {rows / wall:.0f}/s from start to exit, "
        f"{rows / own:.0f}/s as the campaign reports it (its {own:.1f} s exclude start-up and summary)"
    )


def run(quick: bool = False, graphs: int | None = None, repeats: int | None = None) -> list[Row]:
    graphs = graphs or (QUICK_GRAPHS if quick else GRAPHS)
    repeats = repeats or (1 if quick else 2)
    workers = os.cpu_count() or 1
    size = f"{graphs} graphs x {INPUTS} inputs"
    with tempfile.TemporaryDirectory(prefix="bench-oracle-") as tmp:
        work = Path(tmp)
        cold_campaign: list[Run] = []
        cold_bare: list[Run] = []
        for r in range(repeats):  # campaign and bare alternate, so a slow spell hits both
            cold_campaign.append(campaign(graphs, work / f"cache-campaign-{r}", work / f"out-{r}" / "d.csv"))
            cold_bare.append(bare(graphs, work / f"cache-bare-{r}"))
        warm_campaign: list[Run] = []
        warm_bare: list[Run] = []
        parallel: list[Run] = []
        for _ in range(repeats):
            warm_campaign.append(campaign(graphs, work / "cache-campaign-0", work / "out-warm" / "d.csv"))
            warm_bare.append(bare(graphs, work / "cache-bare-0"))
            out = work / "out-parallel" / "d.csv"
            parallel.append(campaign(graphs, work / "cache-campaign-0", out, workers))

    def median(runs: list[Run]) -> float:
        return statistics.median(r.seconds for r in runs)

    cold_base, warm_base = median(cold_bare), median(warm_bare)
    name = "oracle"
    return [
        Row(name, "bare vmap(vjp), cold cache", size, repeats, cold_base, 1.0, "baseline of the cold rows"),
        Row(
            name,
            "campaign, 1 worker, cold cache",
            size,
            repeats,
            median(cold_campaign),
            ratio(median(cold_campaign), cold_base),
            throughput(cold_campaign),
        ),
        Row(name, "bare vmap(vjp), warm cache", size, repeats, warm_base, 1.0, "baseline of the warm rows"),
        Row(
            name,
            "campaign, 1 worker, warm cache",
            size,
            repeats,
            median(warm_campaign),
            ratio(median(warm_campaign), warm_base),
            throughput(warm_campaign),
        ),
        Row(
            name,
            f"campaign, {workers} workers, warm cache",
            size,
            repeats,
            median(parallel),
            ratio(median(parallel), warm_base),
            throughput(parallel)
            + f"; speed-up over 1 worker {median(warm_campaign) / median(parallel):.2f}x; "
            "ratio to the 1-process bare run",
        ),
    ]
