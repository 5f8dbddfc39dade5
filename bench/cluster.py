"""``--cluster local:2`` against ``--workers 2``: the same campaign and the same class, in one run.

Each variant is ``python -m oracle`` as a fresh process, timed from start to exit (JAX, the
cluster's start and shutdown, the summary included), the two variants in turn (the
cluster first in odd repeats), so a slow spell of the shared machine hits both alike. The
ratio cluster / workers is what Dask costs on one machine (goal: <= 1.1). Every run also
checks that the two wrote the same CSV bytes (at the same path, so the replay columns
agree), which is the promise; a difference is reported in the note.

The campaign is ``--graphs 200 --inputs 4`` (``--quick``: 40 graphs) on a JAX cache warmed
by a first run, the class ``bench.class_check``'s synthesized ``layers.py`` submissions
(60; ``--quick``: 10) with ``--seeds 1``.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.class_check import synthesize
from bench.common import Row, ratio

ROOT = Path(__file__).resolve().parent.parent
GOAL = 1.1


def timed(command: list[str], out: Path) -> tuple[float, bytes]:
    """Wall seconds of one command, and the CSV bytes it wrote at ``out`` (removed after)."""
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} exited with {done.returncode}:\n{done.stderr[-2000:]}")
    written = out.read_bytes()
    shutil.rmtree(out.parent)
    return wall, written


def compare(name: str, size: str, base: list[str], out: Path, repeats: int) -> list[Row]:
    """``base`` with ``--workers 2`` and with ``--cluster local:2``, in turn, ``repeats`` times each."""
    variants = {"--workers 2": ["--workers", "2"], "--cluster local:2": ["--cluster", "local:2"]}
    times: dict[str, list[float]] = {v: [] for v in variants}
    outputs: dict[str, set[bytes]] = {v: set() for v in variants}
    for repeat in range(repeats):
        order = list(variants) if repeat % 2 == 0 else list(reversed(variants))
        for variant in order:
            wall, written = timed([*base, *variants[variant], "--out", str(out)], out)
            times[variant].append(wall)
            outputs[variant].add(written)
    workers = statistics.median(times["--workers 2"])
    cluster = statistics.median(times["--cluster local:2"])
    same = len(outputs["--workers 2"] | outputs["--cluster local:2"]) == 1
    met = "met" if cluster / workers <= GOAL else "MISSED"
    return [
        Row(name, "--workers 2", size, repeats, workers, 1.0, "wall, start to exit; baseline"),
        Row(
            name,
            "--cluster local:2",
            size,
            repeats,
            cluster,
            ratio(cluster, workers),
            f"{cluster / workers:.2f}x --workers 2 (goal <= {GOAL}: {met}); "
            + ("the same CSV bytes" if same else "THE CSV BYTES DIFFER"),
        ),
    ]


def run(quick: bool = False) -> list[Row]:
    graphs, submissions, repeats = (40, 10, 1) if quick else (200, 60, 2)
    python = [sys.executable, "-m", "oracle"]
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        work = Path(tmp)
        campaign = [*python, "report", "--graphs", str(graphs), "--inputs", "4", "--seed", "5"]
        timed([*campaign, "--workers", "2", "--out", str(work / "warm" / "d.csv")], work / "warm" / "d.csv")
        rows = compare("cluster", f"campaign, {graphs} graphs x 4", campaign, work / "c" / "d.csv", repeats)
        planted = synthesize(work / "class", submissions)
        klass = [*python, "check", "--submissions", str(work / "class"), "--seeds", "1"]
        size = f"class, {submissions} submissions ({planted} with bugs)"
        rows += compare("cluster", size, klass, work / "k" / "class.csv", repeats)
    return rows
